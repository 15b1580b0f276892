//! IKEv2 message parsing over the IKEv2 corpus, ietfwg against rusticata's `ipsec-parser` 0.7
//! on the same messages in the same run.
//!
//! Messages: every UDP datagram of `$IETFWG_SHARED/corpus/ikev2/**/*.{pcap,pcapng,cap}`
//! (default `../../shared` beside the workspace; without it a notice is printed and only the
//! project's captures are used) and of `pcaps/ikev2/*.pcap`, on UDP port 500 or 4500 or the
//! lab's 1500 / 14500 (read as 500 / 4500), classified by `transport::classify_udp`: the 4-byte
//! non-ESP marker is stripped, NAT-keepalives and ESP-in-UDP are skipped, and messages whose
//! version octet is not 2.x (IKEv1) are skipped. IP fragments and TCP are skipped (counted).
//!
//! Message set: the IKEv2 messages that BOTH parsers accept:
//! * ietfwg: `Message::parse` returns `Ok`;
//! * ipsec-parser: `parse_ikev2_header` + `parse_ikev2_payload_list` return `Ok`, with an `Ok`
//!   payload vector and nothing left over.
//!
//! Messages that only one (or neither) parser takes are printed with the reason. Before timing,
//! the bench checks that both agree on the header fields and on the number and lengths of the
//! payloads (it panics otherwise) and that `emit` gives back every message byte for byte, and it
//! counts, per payload type, what `ipsec-parser` leaves raw or cuts short where ietfwg decodes.
//!
//! Groups (all `Throughput::ElementsAndBytes`: one element = one message, bytes = the IKE
//! message bytes; one iteration handles every message of the set once):
//! * `ikev2_parse/ietfwg` — `Message::parse` (version and Length checks, every payload
//!   decoded into owned values).
//! * `ikev2_parse/ipsec_parser` — `parse_ikev2_header` + `parse_ikev2_payload_list` (borrows
//!   slices of the input).
//! * `ikev2_emit/ietfwg` — `Message::emit` of the parsed messages, for information.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use etherparse::{SlicedPacket, TransportSlice};
use ietfwg_ikev2::wire::payload::{IdValue, NotifyData, SignatureInfo};
use ietfwg_ikev2::wire::transport::{classify_udp, UdpPayload, IKE_PORT, NAT_T_PORT};
use ietfwg_ikev2::{Message, PayloadBody};
use ietfwg_test_support::capture::{read_capture, Raw};
use ipsec_parser::{
    nom, parse_ikev2_header, parse_ikev2_payload_list, IkeV2Header, IkeV2Payload,
    IkeV2PayloadContent,
};

/// The strongSwan lab in `pcaps/ikev2` runs the initiator on these ports.
const LAB_IKE_PORT: u16 = 1500;
const LAB_NAT_T_PORT: u16 = 14500;

/// One IKEv2 message (from its first header byte) and where it came from.
struct Candidate {
    file: String,
    number: usize,
    bytes: Vec<u8>,
}

/// Why packets were not candidates, and how many.
#[derive(Default)]
struct Skipped(BTreeMap<String, usize>);

impl Skipped {
    fn add(&mut self, why: impl Into<String>) {
        *self.0.entry(why.into()).or_default() += 1;
    }
}

fn shared_dir() -> PathBuf {
    ietfwg_test_support::shared::shared_dir()
}

/// Every capture under `dir` (recursively), sorted.
fn captures_in(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            captures_in(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("pcap" | "pcapng" | "cap")
        ) {
            out.push(p);
        }
    }
    out.sort();
}

/// The lab's ports read as the IANA ones.
fn iana_port(p: u16) -> u16 {
    match p {
        LAB_IKE_PORT => IKE_PORT,
        LAB_NAT_T_PORT => NAT_T_PORT,
        p => p,
    }
}

/// The IKEv2 message a packet carries, or why it carries none.
fn extract(raw: &Raw, skipped: &mut Skipped) -> Option<Vec<u8>> {
    let sliced = match raw.linktype {
        1 => SlicedPacket::from_ethernet(&raw.data),
        // DLT_NULL / DLT_LOOP: a 4-byte address family, then IPv4 or IPv6.
        0 | 108 => match raw.data.get(4..) {
            Some(ip) => SlicedPacket::from_ip(ip),
            None => {
                skipped.add("truncated link header");
                return None;
            }
        },
        12 | 14 | 101 | 228 | 229 => SlicedPacket::from_ip(&raw.data),
        113 => SlicedPacket::from_linux_sll(&raw.data),
        lt => {
            skipped.add(format!("link type {lt} ({})", raw.file));
            return None;
        }
    };
    let sliced = match sliced {
        Ok(s) => s,
        Err(_) => {
            skipped.add("not a well-formed IP packet (etherparse)");
            return None;
        }
    };
    if sliced
        .net
        .as_ref()
        .and_then(|n| n.ip_payload_ref())
        .is_some_and(|p| p.fragmented)
    {
        skipped.add("IP fragment (not reassembled here)");
        return None;
    }
    let udp = match &sliced.transport {
        Some(TransportSlice::Udp(u)) => u,
        Some(TransportSlice::Tcp(_)) => {
            skipped.add("TCP");
            return None;
        }
        _ => {
            skipped.add("not UDP");
            return None;
        }
    };
    let (sp, dp) = (
        iana_port(udp.source_port()),
        iana_port(udp.destination_port()),
    );
    match classify_udp(sp, dp, udp.payload()) {
        UdpPayload::Ike { message, .. } => {
            if message.len() >= 18 && message[17] >> 4 != 2 {
                skipped.add(format!(
                    "IKE major version {} (not IKEv2)",
                    message[17] >> 4
                ));
                return None;
            }
            Some(message.to_vec())
        }
        UdpPayload::Keepalive => {
            skipped.add("NAT-keepalive");
            None
        }
        UdpPayload::Esp { .. } => {
            skipped.add("ESP-in-UDP");
            None
        }
        UdpPayload::NotIke(_) => {
            skipped.add("UDP, not on an IKE port (or empty)");
            None
        }
    }
}

/// ipsec-parser's decode of one message, the work timed in `ikev2_parse/ipsec_parser`, with
/// the outcome checked.
fn ipsec_parse(msg: &[u8]) -> Result<(IkeV2Header, Vec<IkeV2Payload<'_>>), String> {
    let (rest, hdr) = parse_ikev2_header(msg).map_err(|e| format!("header: {}", nom_reason(&e)))?;
    let (rem, list) = parse_ikev2_payload_list(rest, hdr.next_payload)
        .map_err(|e| format!("payload list: {}", nom_reason(&e)))?;
    let mut v = list.map_err(|e| format!("payload: {e:?}"))?;
    if !rem.is_empty() {
        return Err(format!("{} byte(s) left over", rem.len()));
    }
    // The first element is the parser's `Dummy` seed.
    if !v.is_empty() {
        v.remove(0);
    }
    Ok((hdr, v))
}

/// A nom error without the input dump.
fn nom_reason(e: &nom::Err<nom::error::Error<&[u8]>>) -> String {
    match e {
        nom::Err::Incomplete(n) => format!("incomplete ({n:?})"),
        nom::Err::Error(e) | nom::Err::Failure(e) => {
            format!("{:?}, {} byte(s) before the end", e.code, e.input.len())
        }
    }
}

/// One line of the comparison table, counted over the message set.
#[derive(Default)]
struct Findings(
    BTreeMap<&'static str, (usize, Option<String>)>,
    /// The vendors our Vendor ID lookup named.
    std::collections::BTreeSet<&'static str>,
);

impl Findings {
    fn add(&mut self, what: &'static str, n: usize) {
        self.0.entry(what).or_default().0 += n;
    }

    /// Counts one, and keeps the first example.
    fn add_eg(&mut self, what: &'static str, eg: impl FnOnce() -> String) {
        let e = self.0.entry(what).or_default();
        e.0 += 1;
        if e.1.is_none() {
            e.1 = Some(eg());
        }
    }
}

/// Checks that both parsers agree on the structure of one message, and counts what
/// ipsec-parser leaves raw or cuts short where ours decodes.
fn compare(
    c: &Candidate,
    ours: &Message,
    hdr: &IkeV2Header,
    theirs: &[IkeV2Payload<'_>],
    f: &mut Findings,
) {
    let here = format!("{} #{}", c.file, c.number);
    assert_eq!(ours.header.spi_i, hdr.init_spi, "{here}: SPIi");
    assert_eq!(ours.header.spi_r, hdr.resp_spi, "{here}: SPIr");
    assert_eq!(ours.header.exchange.0, hdr.exch_type.0, "{here}: exchange");
    assert_eq!(ours.header.message_id, hdr.msg_id, "{here}: message ID");
    assert_eq!(ours.header.length, hdr.length, "{here}: length");
    assert_eq!(ours.payloads.len(), theirs.len(), "{here}: payload count");
    for (o, t) in ours.payloads.iter().zip(theirs) {
        assert_eq!(o.length, t.hdr.payload_length, "{here}: payload length");
        f.add("payloads (total)", 1);
        match (&o.body, &t.content) {
            (PayloadBody::Sa(sa), IkeV2PayloadContent::SA(props)) => {
                let ours_attrs: usize = sa
                    .proposals
                    .iter()
                    .flat_map(|p| &p.transforms)
                    .filter(|t| !t.attributes.is_empty())
                    .count();
                let theirs_raw: usize = props
                    .iter()
                    .flat_map(|p| &p.transforms)
                    .filter(|t| t.attributes.is_some_and(|a| !a.is_empty()))
                    .count();
                assert_eq!(ours_attrs, theirs_raw, "{here}: transforms with attributes");
                f.add(
                    "SA: transforms (total)",
                    props.iter().map(|p| p.transforms.len()).sum(),
                );
                f.add("SA: transforms with attributes (ipsec-parser: raw bytes; ours: TV/TLV decoded, key length)", theirs_raw);
            }
            (PayloadBody::Id(id), IkeV2PayloadContent::IDi(p) | IkeV2PayloadContent::IDr(p)) => {
                assert_eq!(id.data, p.ident_data, "{here}: ID data");
                if !matches!(id.value, IdValue::Opaque | IdValue::Malformed { .. }) {
                    f.add(
                        "ID: data decoded by ours (IPv4/IPv6/FQDN/RFC822/DN); ipsec-parser: raw bytes",
                        1,
                    );
                }
            }
            (PayloadBody::Cert(cert), IkeV2PayloadContent::Certificate(p)) => {
                assert_eq!(cert.data, p.cert_data, "{here}: CERT data");
                f.add("CERT payloads (ipsec-parser: raw bytes)", 1);
                if cert.x509.is_some() {
                    f.add(
                        "CERT: X.509 subject/issuer/serial decoded by ours (x509-parser)",
                        1,
                    );
                }
            }
            (PayloadBody::CertReq(cr), IkeV2PayloadContent::CertificateRequest(p)) => {
                assert_eq!(cr.data, p.ca_data, "{here}: CERTREQ data");
                if cr.ca_hashes.is_some() {
                    f.add(
                        "CERTREQ: CA key hashes split by ours; ipsec-parser: raw bytes",
                        1,
                    );
                }
            }
            (PayloadBody::Auth(a), IkeV2PayloadContent::Authentication(p)) => {
                if a.data != p.auth_data {
                    f.add_eg("AUTH: ipsec-parser's auth_data is wrong (starts at the 3 RESERVED octets, last 3 data octets lost)", || {
                        format!("{here}: ours {} octets, ipsec-parser {}", a.data.len(), p.auth_data.len())
                    });
                }
                if matches!(a.signature, Some(SignatureInfo::Decoded(_))) {
                    f.add("AUTH: RFC 7427 AlgorithmIdentifier decoded by ours", 1);
                }
            }
            (PayloadBody::Notify(n), IkeV2PayloadContent::Notify(p)) => {
                f.add("Notify payloads", 1);
                let theirs = p.notify_data.unwrap_or(&[]);
                if !n.data.is_empty() {
                    f.add("Notify: with Notification Data", 1);
                }
                if n.data.as_slice() != theirs {
                    f.add_eg("Notify: ipsec-parser's notify_data is cut short (4 octets missing; None when <= 4)", || {
                        format!(
                            "{here}: type {}: ours {} octets, ipsec-parser {} ({})",
                            n.notify_type.0,
                            n.data.len(),
                            theirs.len(),
                            if n.data.starts_with(theirs) { "a prefix of ours" } else { "not a prefix" }
                        )
                    });
                }
                if !matches!(
                    n.decoded,
                    NotifyData::Empty | NotifyData::Raw | NotifyData::Malformed { .. }
                ) {
                    f.add(
                        "Notify: data decoded by type by ours (NAT-D, COOKIE, hash algorithms, REDIRECT...); ipsec-parser: raw bytes",
                        1,
                    );
                }
            }
            (PayloadBody::Delete(d), IkeV2PayloadContent::Delete(p)) => {
                let ours: usize = d.spis.iter().map(|s| s.0.len()).sum();
                if ours != p.spi.len() {
                    f.add_eg(
                        "Delete: ipsec-parser's SPI bytes are cut short by 4",
                        || format!("{here}: ours {ours} octets, ipsec-parser {}", p.spi.len()),
                    );
                }
            }
            (PayloadBody::VendorId(v), IkeV2PayloadContent::VendorID(p)) => {
                f.add("Vendor ID payloads", 1);
                if v.data != p.vendor_id {
                    f.add_eg("Vendor ID: ipsec-parser's vendor_id is cut short (last 8 octets missing; rejected under 8)", || {
                        format!(
                            "{here}: ours {} octets, ipsec-parser {} ({})",
                            v.data.len(),
                            p.vendor_id.len(),
                            if v.data.starts_with(p.vendor_id) { "a prefix of ours" } else { "not a prefix" }
                        )
                    });
                }
                if let Some(name) = v.vendor {
                    f.add("Vendor ID: vendor named by ours", 1);
                    f.1.insert(name);
                }
            }
            (PayloadBody::Ts(ts), IkeV2PayloadContent::TSi(p) | IkeV2PayloadContent::TSr(p)) => {
                assert_eq!(ts.selectors.len(), p.ts.len(), "{here}: TS count");
                f.add("TS payloads (decoded by both)", 1);
            }
            (PayloadBody::Sk(_), IkeV2PayloadContent::Encrypted(_)) => {
                f.add(
                    "SK payloads (ciphertext raw in both; ours decrypts separately, with keys)",
                    1,
                );
            }
            (PayloadBody::Ke(_), IkeV2PayloadContent::KE(_))
            | (PayloadBody::Nonce(_), IkeV2PayloadContent::Nonce(_)) => {}
            (PayloadBody::Cp(_), IkeV2PayloadContent::Unknown(_)) => f.add(
                "CP: attributes decoded by ours; ipsec-parser: Unknown (raw)",
                1,
            ),
            (PayloadBody::Eap(_), IkeV2PayloadContent::Unknown(_)) => {
                f.add("EAP: decoded by ours; ipsec-parser: Unknown (raw)", 1)
            }
            (PayloadBody::Skf(_), IkeV2PayloadContent::Unknown(_)) => f.add(
                "SKF: fragment number/total decoded by ours; ipsec-parser: Unknown (raw)",
                1,
            ),
            (PayloadBody::Puzzle(_), IkeV2PayloadContent::Unknown(_)) => {
                f.add("PS: decoded by ours; ipsec-parser: Unknown (raw)", 1)
            }
            (PayloadBody::Unknown { .. }, IkeV2PayloadContent::Unknown(_)) => {
                f.add("unassigned/other payload types (raw in both)", 1)
            }
            (o, t) => panic!(
                "{here}: payload at offset {} decoded as different kinds: ours {:?}, theirs {:?}",
                ours.payloads
                    .iter()
                    .find(|p| std::ptr::eq(&p.body, o))
                    .map_or(0, |p| p.offset),
                std::mem::discriminant(o),
                t
            ),
        }
    }
}

/// The message set, with the selection printed.
fn load() -> Vec<Candidate> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shared = shared_dir().join("corpus/ikev2");
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    if shared.is_dir() {
        let mut v = Vec::new();
        captures_in(&shared, &mut v);
        for p in v {
            let label = p
                .strip_prefix(&shared)
                .map(|r| format!("corpus/ikev2/{}", r.display()))
                .unwrap_or_else(|_| p.display().to_string());
            files.push((p, label));
        }
    } else {
        eprintln!(
            "bench: notice: {} not found (set IETFWG_SHARED); using only pcaps/ikev2",
            shared.display()
        );
    }
    let mut own = Vec::new();
    captures_in(&root.join("pcaps/ikev2"), &mut own);
    for p in own {
        let label = format!(
            "pcaps/ikev2/{}",
            p.file_name().unwrap_or_default().to_string_lossy()
        );
        files.push((p, label));
    }

    // The same capture published twice (e.g. scapy's ikev2_nat_t.pcapng is Wireshark's
    // capture.pcapng) is read once.
    let mut seen: Vec<(Vec<u8>, String)> = Vec::new();
    files.retain(|(p, label)| {
        let content = std::fs::read(p).unwrap_or_default();
        if let Some((_, first)) = seen.iter().find(|(c, _)| *c == content) {
            eprintln!("bench: {label} is the same file as {first}: read once");
            return false;
        }
        seen.push((content, label.clone()));
        true
    });
    let mut raws = Vec::new();
    for (p, label) in &files {
        // The high bits of a pcap header's link type may carry FCS information
        // (pcap-linktype §"LinkType"): only the low 16 bits name the link type.
        raws.extend(read_capture(p, label).into_iter().map(|mut r| {
            if r.linktype >= 0 {
                r.linktype &= 0xffff;
            }
            r
        }));
    }
    let mut skipped = Skipped::default();
    let mut candidates = Vec::new();
    for r in &raws {
        if let Some(bytes) = extract(r, &mut skipped) {
            candidates.push(Candidate {
                file: r.file.clone(),
                number: r.number,
                bytes,
            });
        }
    }
    eprintln!(
        "bench: {} packets read from {} captures; {} IKEv2 message candidates",
        raws.len(),
        files.len(),
        candidates.len()
    );
    for (why, n) in &skipped.0 {
        eprintln!("bench:   skipped {n:5}  {why}");
    }
    candidates
}

struct Selected {
    bytes: Vec<u8>,
    parsed: Message,
}

fn select(candidates: Vec<Candidate>) -> Vec<Selected> {
    let mut selected = Vec::new();
    let mut findings = Findings::default();
    let (mut only_ours, mut only_theirs, mut neither) = (0usize, 0usize, 0usize);
    let mut emit_mismatch = 0usize;
    let mut per_file: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in candidates {
        let ours = Message::parse(&c.bytes);
        let theirs = ipsec_parse(&c.bytes);
        match (ours, theirs) {
            (Ok(m), Ok((hdr, list))) => {
                compare(&c, &m, &hdr, &list, &mut findings);
                if m.emit() != c.bytes {
                    emit_mismatch += 1;
                    eprintln!(
                        "bench: {} #{}: emit differs from the input",
                        c.file, c.number
                    );
                }
                drop(list);
                let e = per_file.entry(c.file.clone()).or_insert((0usize, 0usize));
                e.0 += 1;
                e.1 += c.bytes.len();
                selected.push(Selected {
                    bytes: c.bytes,
                    parsed: m,
                });
            }
            (Ok(_), Err(t)) => {
                only_ours += 1;
                eprintln!(
                    "bench: only ietfwg accepts {} #{} ({} bytes): ipsec-parser: {t}",
                    c.file,
                    c.number,
                    c.bytes.len()
                );
            }
            (Err(o), Ok(_)) => {
                only_theirs += 1;
                eprintln!(
                    "bench: only ipsec-parser accepts {} #{} ({} bytes): ietfwg: {o}",
                    c.file,
                    c.number,
                    c.bytes.len()
                );
            }
            (Err(o), Err(t)) => {
                neither += 1;
                eprintln!(
                    "bench: neither accepts {} #{} ({} bytes): ietfwg: {o}; ipsec-parser: {t}",
                    c.file,
                    c.number,
                    c.bytes.len()
                );
            }
        }
    }
    let bytes: usize = selected.iter().map(|s| s.bytes.len()).sum();
    eprintln!(
        "bench: {} messages selected ({bytes} bytes); only ietfwg: {only_ours}, only ipsec-parser: {only_theirs}, neither: {neither}; emit differs: {emit_mismatch}",
        selected.len()
    );
    for (file, (n, b)) in &per_file {
        eprintln!("bench:   {n:4} messages, {b:6} bytes  {file}");
    }
    eprintln!("bench: what ipsec-parser 0.7 leaves raw or gets wrong, over the selected set:");
    for (what, (n, eg)) in &findings.0 {
        eprintln!("bench:   {n:5}  {what}");
        if let Some(eg) = eg {
            eprintln!("bench:          e.g. {eg}");
        }
    }
    eprintln!("bench: vendors named: {:?}", findings.1);
    selected
}

fn benches(c: &mut Criterion) {
    let set = select(load());
    assert!(!set.is_empty(), "no IKEv2 message accepted by both parsers");
    let msgs: Vec<&[u8]> = set.iter().map(|s| s.bytes.as_slice()).collect();
    let parsed: Vec<&Message> = set.iter().map(|s| &s.parsed).collect();
    let throughput = Throughput::ElementsAndBytes {
        elements: msgs.len() as u64,
        bytes: msgs.iter().map(|m| m.len() as u64).sum(),
    };

    let mut g = c.benchmark_group("ikev2_parse");
    g.throughput(throughput.clone());
    g.bench_function("ietfwg", |b| {
        b.iter(|| {
            for m in &msgs {
                let _ = black_box(Message::parse(black_box(m)));
            }
        })
    });
    g.bench_function("ipsec_parser", |b| {
        b.iter(|| {
            for m in &msgs {
                if let Ok((rest, hdr)) = parse_ikev2_header(black_box(m)) {
                    let _ = black_box(parse_ikev2_payload_list(rest, hdr.next_payload));
                    black_box(hdr);
                }
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ikev2_emit");
    g.throughput(throughput);
    g.bench_function("ietfwg", |b| {
        b.iter(|| {
            for m in &parsed {
                black_box(black_box(m).emit());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = parse;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(parse);
