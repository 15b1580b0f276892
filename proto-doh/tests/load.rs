//! The load engine (`client::load`) against BIND 9.18 on loopback: every answer of a run is
//! checked against the zone, in the closed and the open loop, over several connections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use hickory_proto::rr::RecordType;
use ietfwg_doh::answer::Answer;
use ietfwg_doh::client::load::{self, LoadConfig, Progress, Stop};
use ietfwg_doh::client::{ClientConfig, Connector, Method};
use ietfwg_doh::query::{build, QueryOptions};
use ietfwg_test_support::dns_lab::{bulk_addr, bulk_name, Bind};

fn bind() -> Option<&'static Bind> {
    static LAB: OnceLock<Option<Bind>> = OnceLock::new();
    LAB.get_or_init(Bind::start).as_ref()
}

/// Runs the engine over `names` bulk names with the result channel, and checks that every
/// answer carries exactly the zone's address for the name its query asked.
fn every_answer_matches_the_zone(rate: Option<f64>, connections: usize, method: Method) {
    let Some(b) = bind() else { return };
    let names = 500;
    let queries: Arc<[Bytes]> = (0..names)
        .map(|i| Bytes::from(build(&QueryOptions::new(&bulk_name(i), RecordType::A)).unwrap()))
        .collect();
    let mut cfg = ClientConfig::new(&b.doh_url());
    cfg.cacert = Some(b.cacert());
    let connector = Connector::new(cfg).unwrap();
    let count = 1500u64;
    let load = LoadConfig {
        queries,
        method,
        connections,
        concurrency: 16,
        rate,
        max_outstanding: 1000,
        stop: Stop::Count(count),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (report, done) = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let progress = Arc::new(Progress::default());
        let c = connector.clone();
        let engine = tokio::spawn(async move { load::run(&c, load, progress, Some(tx)).await });
        let mut done = Vec::new();
        while let Some(c) = rx.recv().await {
            done.push(c);
        }
        (engine.await.unwrap().unwrap(), done)
    });
    assert_eq!(report.sent, count);
    assert_eq!(report.answered, count);
    assert_eq!(done.len() as u64, count);
    let mut seen = BTreeMap::new();
    for c in &done {
        let i = (c.seq % names as u64) as usize;
        let resp = c
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("query {}: {e}", c.seq));
        assert_eq!(resp.status, 200);
        let a = Answer::from_wire(&resp.body).unwrap();
        assert_eq!(a.rcode, "NOERROR");
        assert_eq!(
            a.question[0].name,
            format!("{}.", bulk_name(i)),
            "query {}",
            c.seq
        );
        let data: Vec<&str> = a.answer.iter().map(|r| r.data.as_str()).collect();
        assert_eq!(data, [bulk_addr(i).to_string().as_str()], "query {}", c.seq);
        *seen.entry(c.seq).or_insert(0) += 1;
    }
    // Each sequence number exactly once: nothing lost, nothing doubled.
    assert_eq!(seen.len() as u64, count);
    assert!(seen.values().all(|&n| n == 1));
    assert_eq!(report.handshakes.connections, connections as u64);
    let per_second: u64 = report.per_second.iter().map(|s| s.answered).sum();
    assert_eq!(per_second, count);
    assert!(report.latency.p50 > 0.0 && report.latency.p50 <= report.latency.max);
}

#[test]
fn closed_loop_answers_equal_the_zone() {
    every_answer_matches_the_zone(None, 1, Method::Post);
}

#[test]
fn closed_loop_over_three_connections_with_get() {
    every_answer_matches_the_zone(None, 3, Method::Get);
}

#[test]
fn open_loop_answers_equal_the_zone() {
    every_answer_matches_the_zone(Some(3000.0), 2, Method::Post);
}

#[test]
fn a_server_that_never_answers_gives_timeouts() {
    // A server that never answers within the timeout: every query is a timeout, counted by
    // phase, and the run still ends.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = listener;
    let mut cfg = ClientConfig::new(&format!("http://127.0.0.1:{port}/dns-query"));
    cfg.connect_timeout = Duration::from_millis(300);
    cfg.request_timeout = Duration::from_millis(300);
    let connector = Connector::new(cfg).unwrap();
    let q: Arc<[Bytes]> = vec![Bytes::from(
        build(&QueryOptions::new("a.test", RecordType::A)).unwrap(),
    )]
    .into();
    let load = LoadConfig {
        queries: q,
        method: Method::Post,
        connections: 1,
        concurrency: 1,
        rate: Some(50.0),
        max_outstanding: 100,
        stop: Stop::Count(10),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = rt
        .block_on(load::run(
            &connector,
            load,
            Arc::new(Progress::default()),
            None,
        ))
        .unwrap();
    assert_eq!(report.sent, 10);
    assert_eq!(report.answered, 0);
    assert_eq!(report.failed, 10);
    assert_eq!(report.errors.timeout, 10, "{:?}", report.errors);
}
