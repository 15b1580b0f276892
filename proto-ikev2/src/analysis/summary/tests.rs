use super::*;
use crate::wire::payload::{AttrValue, TrafficSelector, Transform, TransformAttr, TransformId};
use crate::wire::registry::TransformAttrType;

fn tr(t: u8, id: u16, kl: Option<u16>) -> Transform {
    Transform {
        reserved1: 0,
        length: 0,
        transform_type: TransformType(t),
        reserved2: 0,
        transform_id: TransformId::new(TransformType(t), id),
        attributes: kl
            .map(|k| TransformAttr {
                attr_type: TransformAttrType::KEY_LENGTH,
                value: AttrValue::Tv(k),
            })
            .into_iter()
            .collect(),
    }
}

#[test]
fn proposal_names() {
    let p = Proposal {
        reserved: 0,
        length: 0,
        proposal_num: 1,
        protocol_id: ProtocolId::IKE,
        spi: Vec::new(),
        transforms: vec![
            tr(1, 12, Some(128)),
            tr(1, 3, None),
            tr(2, 5, None),
            tr(3, 12, None),
            tr(4, 14, None),
            tr(6, 36, None),
            tr(1, 99, None),
        ],
    };
    let s = summarize_proposal(&p, 1);
    assert_eq!(s.encr, ["ENCR_AES_CBC_128", "ENCR_3DES", "ENCR#99"]);
    assert_eq!(s.ke, ["2048-bit MODP Group (14)"]);
    assert_eq!(s.addke.get("ADDKE1").unwrap(), &["ml-kem-768 (36)"]);
    assert_eq!(
        s.text,
        "#1 IKE: ENCR_AES_CBC_128,ENCR_3DES,ENCR#99 / PRF_HMAC_SHA2_256 / AUTH_HMAC_SHA2_256_128 / 2048-bit MODP Group (14) / ADDKE1=ml-kem-768 (36)"
    );
    assert_eq!(s.transforms.len(), 7);
}

/// The summary's text is the proposal's `Display`, every group in its place (ADDKEn by name,
/// ESN, then the other types), and each transform's name is the same in the groups and the list.
#[test]
fn proposal_text_is_the_display() {
    let p = Proposal {
        reserved: 0,
        length: 0,
        proposal_num: 3,
        protocol_id: ProtocolId::ESP,
        spi: vec![1, 2, 3, 4],
        transforms: vec![
            tr(5, 0, None),
            tr(200, 7, None),
            tr(7, 37, None),
            tr(1, 20, Some(256)),
            tr(6, 36, None),
            tr(7, 31, None),
            tr(0, 1, None),
            tr(3, 12, None),
            tr(5, 1, None),
        ],
    };
    let s = summarize_proposal(&p, 2);
    assert_eq!(s.text, p.to_string());
    assert_eq!(s.spi.as_deref(), Some("01020304"));
    assert_eq!(s.esn.len(), 2);
    assert_eq!(s.other.len(), 2);
    assert_eq!(s.addke.get("ADDKE2").map(Vec::len), Some(2));
    let names: Vec<String> = p.transforms.iter().map(ToString::to_string).collect();
    assert_eq!(
        s.transforms
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        names
    );
    let empty = Proposal {
        transforms: Vec::new(),
        ..p
    };
    assert_eq!(summarize_proposal(&empty, 1).text, empty.to_string());
}

/// Ladder labels: the text the ladder prints, the same string in JSON, and compared with a
/// `&str` as the tests do.
#[test]
fn payload_labels() {
    let cases = [
        (PayloadLabel::Fixed("SA"), "SA"),
        (PayloadLabel::Type(PayloadType::IDI), "IDi"),
        (PayloadLabel::Type(PayloadType(99)), "type-99"),
        (PayloadLabel::Notify(nt::COOKIE), "N(COOKIE)"),
        (PayloadLabel::Notify(NotifyType(40000)), "N(40000)"),
        (
            PayloadLabel::Skf {
                number: 1,
                total: 3,
            },
            "SKF(1/3)",
        ),
    ];
    for (label, text) in cases {
        assert_eq!(label.to_string(), text);
        assert_eq!(label, text);
        assert_ne!(label, "type-9");
        assert_ne!(label, "N(COOKIE");
        assert_ne!(label, "SKF(1/4)");
        assert_ne!(label, "N(40001)");
        assert_eq!(
            crate::wire::registry::testjson::to_json(&label),
            format!("\"{text}\"")
        );
    }
}

#[test]
fn frames_ranges() {
    assert_eq!(frames_text(&[3, 4, 5]), "3–5");
    assert_eq!(frames_text(&[5, 8, 11]), "5, 8, 11");
    assert_eq!(frames_text(&[7]), "7");
}

#[test]
fn sk_overheads() {
    let p = Proposal {
        reserved: 0,
        length: 0,
        proposal_num: 1,
        protocol_id: ProtocolId::IKE,
        spi: Vec::new(),
        transforms: vec![tr(1, 12, Some(128)), tr(3, 12, None)],
    };
    assert_eq!(sk_overhead(&summarize_proposal(&p, 1)), Some((16, 16)));
    let g = Proposal {
        transforms: vec![tr(1, 20, Some(256))],
        ..p
    };
    assert_eq!(sk_overhead(&summarize_proposal(&g, 1)), Some((8, 16)));
}

// ---- hand-built exchanges ----

use crate::wire::header::Header;
use crate::wire::payload::{Auth, Notify, Sa as SaBody, Sk, Ts};

fn msg(spi_r: u64, exchange: u8, flags: u8, mid: u32, payloads: Vec<Payload>) -> Message {
    Message {
        header: Header {
            spi_i: 0x1111_2222_3333_4444,
            spi_r,
            next_payload: PayloadType(0),
            major_version: 2,
            minor_version: 0,
            exchange: ExchangeType(exchange),
            flags,
            message_id: mid,
            length: 0,
        },
        payloads,
    }
}

fn notify(t: u16, spi: Vec<u8>) -> Payload {
    Payload::new(
        PayloadType(41),
        PayloadBody::Notify(Notify {
            protocol_id: ProtocolId(if spi.is_empty() { 0 } else { 3 }),
            notify_type: NotifyType(t),
            spi,
            data: Default::default(),
            decoded: NotifyData::Empty,
        }),
    )
}

fn sa(protocol: u8, transforms: Vec<Transform>) -> Payload {
    Payload::new(
        PayloadType(33),
        PayloadBody::Sa(SaBody {
            proposals: smallvec::smallvec![Proposal {
                reserved: 0,
                length: 0,
                proposal_num: 1,
                protocol_id: ProtocolId(protocol),
                spi: if protocol == 3 {
                    vec![1, 2, 3, 4]
                } else {
                    Vec::new()
                },
                transforms,
            }],
        }),
    )
}

fn sk() -> Payload {
    Payload::new(
        PayloadType(46),
        PayloadBody::Sk(Sk {
            next_payload: PayloadType(39),
            data: vec![0; 120],
        }),
    )
}

fn auth() -> Payload {
    Payload::new(
        PayloadType(39),
        PayloadBody::Auth(Box::new(Auth {
            method: AuthMethod(2),
            reserved: [0; 3],
            data: vec![0; 32],
            signature: None,
        })),
    )
}

fn ts(t: u8) -> Payload {
    Payload::new(
        PayloadType(t),
        PayloadBody::Ts(Ts {
            reserved: [0; 3],
            selectors: vec![TrafficSelector::Ipv6Range {
                ip_protocol: 0,
                start_port: 0,
                end_port: 65535,
                start: "2001:db8::".parse().unwrap(),
                end: "2001:db8::ffff".parse().unwrap(),
            }],
        }),
    )
}

/// Feeds (frame, from initiator, message, inner) in order; addresses are IPv6.
fn drive(list: &[(u64, bool, &Message, Option<Vec<Payload>>)]) -> Vec<SaSummary> {
    let i: SocketAddr = "[2001:db8::1]:500".parse().unwrap();
    let r: SocketAddr = "[2001:db8::2]:500".parse().unwrap();
    let mut a = Analyzer::new();
    for (frame, from_i, m, inner) in list {
        let bytes = m.emit();
        a.push(&Observed {
            frame: *frame,
            time_nanos: frame.saturating_mul(1_000_000),
            src: if *from_i { i } else { r },
            dst: if *from_i { r } else { i },
            bytes: &bytes,
            message: m,
            decrypted: inner.as_deref(),
            ip_fragments: 0,
        });
    }
    a.finish()
}

#[test]
fn ts_unacceptable_in_ike_auth() {
    let ike = vec![tr(1, 20, Some(256)), tr(2, 5, None), tr(4, 19, None)];
    let esp = vec![tr(1, 20, Some(128)), tr(5, 0, None)];
    let init_q = msg(0, 34, 0x08, 0, vec![sa(1, ike.clone())]);
    let init_r = msg(9, 34, 0x20, 0, vec![sa(1, ike)]);
    let auth_q = msg(9, 35, 0x08, 1, vec![sk()]);
    let auth_r = msg(9, 35, 0x20, 1, vec![sk()]);
    let info_q = msg(9, 37, 0x00, 0, vec![sk()]); // from the responder: its message ID 0
    let out = drive(&[
        (1, true, &init_q, None),
        (2, false, &init_r, None),
        (
            3,
            true,
            &auth_q,
            Some(vec![auth(), sa(3, esp), ts(44), ts(45)]),
        ),
        (
            4,
            false,
            &auth_r,
            Some(vec![auth(), notify(38, Vec::new())]),
        ),
        (
            5,
            false,
            &info_q,
            Some(vec![notify(11, vec![0xca, 0xfe, 0, 1])]),
        ),
    ]);
    let s = &out[0];
    assert_eq!(s.outcome, Outcome::Established, "{}", s.outcome_text);
    assert!(
        s.outcome_text.contains("N(TS_UNACCEPTABLE)"),
        "{}",
        s.outcome_text
    );
    let c = &s.child_sas[0];
    assert_eq!(
        (c.status, c.status_text.as_str()),
        (ChildStatus::Failed, "failed: TS_UNACCEPTABLE")
    );
    assert_eq!(c.proposed_ts.as_ref().unwrap().ts_i, ["2001:db8::/112"]);
    let f = s
        .findings
        .iter()
        .find(|f| f.code == "TS_UNACCEPTABLE")
        .unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.text.contains("inside the encrypted payload"),
        "{}",
        f.text
    );
    assert!(f.check.contains("local_ts/remote_ts"), "{}", f.check);
    let f = s.findings.iter().find(|f| f.code == "INVALID_SPI").unwrap();
    assert!(
        f.text.contains("(SPI cafe0001)")
            && f.text.contains("INFORMATIONAL request from the responder"),
        "{}",
        f.text
    );
    // The responder's INFORMATIONAL request has no response: a warning, not an error.
    let u = s.findings.iter().find(|f| f.code == "UNANSWERED").unwrap();
    assert_eq!(u.severity, Severity::Warning);
    assert!(s.ladder[4].unanswered && s.ladder[4].direction == Direction::ResponderToInitiator);
}

#[test]
fn odd_sequences_do_not_panic() {
    assert!(Analyzer::new().finish().is_empty());
    // A lone response, frame numbers at the top of the range, a request retransmitted.
    let resp = msg(7, 35, 0x20, 1, vec![sk()]);
    let req = msg(7, 37, 0x08, u32::MAX, vec![]);
    let out = drive(&[
        (u64::MAX - 2, false, &resp, None),
        (u64::MAX - 1, true, &req, None),
        (u64::MAX, true, &req, None),
    ]);
    assert_eq!(out.len(), 1);
    let s = &out[0];
    assert_eq!(s.ladder[0].answers, None);
    assert_eq!(s.ladder[2].retransmission_of, Some(u64::MAX - 1));
    assert_eq!(s.ladder[1].retransmissions, 1);
    assert!(s.findings.iter().any(|f| f.code == "NO_IKE_SA_INIT"));
    assert!(serde_json_like(s));
    // IKE_SA_INIT answered by an unknown error notify (private use 9000).
    let q = msg(0, 34, 0x08, 0, vec![]);
    let r = msg(0, 34, 0x20, 0, vec![notify(9000, Vec::new())]);
    let out = drive(&[(1, true, &q, None), (2, false, &r, None)]);
    assert_eq!(out[0].outcome, Outcome::Failed);
    assert!(out[0]
        .findings
        .iter()
        .any(|f| f.code == "9000" && f.severity == Severity::Error));
    assert_eq!(out[0].nat.outcome, NatOutcome::NotDetected);
}

/// The summary serialises (serde_json is a dev-dependency of the integration tests only).
fn serde_json_like(s: &SaSummary) -> bool {
    crate::wire::registry::testjson::to_json(&s.ladder[0].direction)
        == r#""responder_to_initiator""#
}

/// A full SA table summarises the least recently active SA first, also when the last active
/// one sent several messages in a row (its place is then kept, not moved); an SA summarised
/// early while it was the last active one is held anew, and can be summarised early again.
#[test]
fn full_table_evicts_the_least_recently_active() {
    let i: SocketAddr = "192.0.2.1:500".parse().unwrap();
    let r: SocketAddr = "192.0.2.2:500".parse().unwrap();
    let mut a = Analyzer::new();
    let mut frame = 0u64;
    let mut push = |a: &mut Analyzer, spi_i: u64, mid: u32| {
        frame += 1;
        let mut m = msg(0, 34, 0x08, mid, vec![notify(16388, Vec::new())]);
        m.header.spi_i = spi_i;
        let bytes = m.emit();
        a.push(&Observed {
            frame,
            time_nanos: frame * 1_000,
            src: i,
            dst: r,
            bytes: &bytes,
            message: &m,
            decrypted: None,
            ip_fragments: 0,
        });
    };
    // SA 1 twice in a row, then 2 … MAX_SAS, then 1 again: 2 is the least recently active.
    push(&mut a, 1, 0);
    push(&mut a, 1, 1);
    for spi in 2..=MAX_SAS as u64 {
        push(&mut a, spi, 0);
    }
    push(&mut a, 1, 2);
    push(&mut a, 1, 3);
    assert!(a.take_evicted().is_empty());
    push(&mut a, 0xffff, 0);
    let evicted: Vec<String> = a.take_evicted().into_iter().map(|s| s.spi_i).collect();
    assert_eq!(evicted, [format!("{:016x}", 2)]);
    // 3 next, then 4: SA 1 (active before 0xffff) stays.
    push(&mut a, 0xfffe, 0);
    push(&mut a, 0xfffd, 0);
    let evicted: Vec<String> = a.take_evicted().into_iter().map(|s| s.spi_i).collect();
    assert_eq!(evicted, [format!("{:016x}", 3), format!("{:016x}", 4)]);
    assert_eq!(a.evictions(), 3);
    let rest = a.finish();
    assert_eq!(rest.len(), MAX_SAS);
    let one = rest
        .iter()
        .find(|s| s.spi_i == format!("{:016x}", 1))
        .expect("SA 1 is still held");
    assert_eq!(one.ladder.len(), 4);

    // One SA with more than MAX_MESSAGES messages, twice over.
    let mut a = Analyzer::new();
    for mid in 0..(2 * MAX_MESSAGES as u32 + 5) {
        push(&mut a, 7, mid);
    }
    let evicted = a.take_evicted();
    assert_eq!(evicted.len(), 2);
    assert!(evicted.iter().all(|s| s.spi_i == format!("{:016x}", 7)));
    assert_eq!(a.finish().len(), 1);
}
