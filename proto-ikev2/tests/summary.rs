//! The capture analysis (`summary`, `audit`) driven with real captures: every scenario of the
//! project's own strongSwan recordings `pcaps/ikev2/*.pcap` (with and without their `.keys`),
//! and a few third-party corpus files (`$IETFWG_SHARED/corpus/ikev2`, optional locally,
//! required when `CI=true`).
//!
//! The small extractor below stands in for the CLI's capture driver: Ethernet / DLT_NULL / raw
//! IP, IPv4 reassembly (etherparse's `IpDefragPool`, counting the fragments), UDP on either
//! port 500/4500 (the lab's initiator uses 1500/14500, so one IKE port on either side is enough),
//! non-ESP marker stripped by `transport::classify_udp`. With a key table each SK payload is
//! decrypted (`crypto::decrypt`, ICV verified) and its chain parsed (`payload::parse_chain`);
//! SKF fragments are decrypted one by one, and at the fragment that completes the set their
//! plaintexts are concatenated in Fragment Number order and parsed with the first fragment's
//! Next Payload (RFC 7383 §2.6).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use ietfwg_ikev2::analysis::audit::{self, Requirement, Role};
use ietfwg_ikev2::analysis::summary::{
    Analyzer, ChildStatus, Evidence, KeysHint, NatOutcome, Observed, Outcome, SaSummary, Severity,
};
use ietfwg_ikev2::crypto::decrypt::{decrypt, Decrypted};
use ietfwg_ikev2::crypto::keytable::{self, SaKeys};
use ietfwg_ikev2::wire::payload::{self, PayloadBody, Proposal, Transform, TransformId};
use ietfwg_ikev2::wire::reader::Reader;
use ietfwg_ikev2::wire::registry::{PayloadType, ProtocolId, TransformType};
use ietfwg_ikev2::wire::transport::{classify_udp, UdpPayload};
use ietfwg_ikev2::{Message, Payload};

// ---- capture reading --------------------------------------------------------------------------

/// One UDP datagram on an IKE port that carries an IKEv2 message.
#[derive(Debug, Clone)]
struct Datagram {
    frame: u64,
    time_nanos: u64,
    src: SocketAddr,
    dst: SocketAddr,
    ike: Vec<u8>,
    ip_fragments: usize,
}

/// (link type, timestamp ns, bytes) of every frame.
fn frames(path: &Path) -> Vec<(i32, u64, Vec<u8>)> {
    use pcap_parser::{Block, PcapBlockOwned, PcapError};
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = pcap_parser::create_reader(1 << 16, file)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let mut linktypes: Vec<i32> = Vec::new();
    let mut resolutions: Vec<u64> = Vec::new();
    let mut nanos_per_unit: u64 = 1000;
    let mut out = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        linktypes.push(h.network.0);
                        // 0xa1b23c4d: nanosecond-resolution pcap.
                        if h.magic_number == 0xa1b2_3c4d || h.magic_number == 0x4d3c_b2a1 {
                            nanos_per_unit = 1;
                        }
                    }
                    PcapBlockOwned::Legacy(b) => out.push((
                        linktypes[0],
                        u64::from(b.ts_sec) * 1_000_000_000 + u64::from(b.ts_usec) * nanos_per_unit,
                        b.data.to_vec(),
                    )),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        linktypes.push(idb.linktype.0);
                        resolutions.push(idb.ts_resolution().unwrap_or(1_000_000));
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let res = resolutions[epb.if_id as usize];
                        let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let nanos = (ts / res) * 1_000_000_000
                            + (u128::from(ts % res) * 1_000_000_000 / u128::from(res)) as u64;
                        out.push((
                            linktypes[epb.if_id as usize],
                            nanos,
                            epb.data[..epb.caplen as usize].to_vec(),
                        ));
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().unwrap(),
            Err(e) => panic!("{}: {e:?}", path.display()),
        }
    }
    out
}

fn net_addrs(s: &etherparse::SlicedPacket<'_>) -> Option<(IpAddr, IpAddr, Option<u16>)> {
    match &s.net {
        Some(etherparse::NetSlice::Ipv4(v4)) => {
            let h = v4.header();
            Some((
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                Some(h.identification()),
            ))
        }
        Some(etherparse::NetSlice::Ipv6(v6)) => Some((
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            None,
        )),
        _ => None,
    }
}

/// The IKEv2 datagrams of a capture, IPv4 fragments reassembled.
fn datagrams(path: &Path) -> Vec<Datagram> {
    let mut pool: etherparse::defrag::IpDefragPool = etherparse::defrag::IpDefragPool::new();
    let mut frag_counts: HashMap<(IpAddr, IpAddr, u16), usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, (lt, time_nanos, data)) in frames(path).iter().enumerate() {
        let frame = i as u64 + 1;
        let sliced = match lt {
            1 => etherparse::SlicedPacket::from_ethernet(data),
            0 => etherparse::SlicedPacket::from_ip(&data[4..]),
            101 | 228 => etherparse::SlicedPacket::from_ip(data),
            other => panic!("{}: link type {other}", path.display()),
        };
        let Ok(sliced) = sliced else { continue };
        let Some((sip, dip, ident)) = net_addrs(&sliced) else {
            continue;
        };
        let fragmenting = matches!(&sliced.net, Some(etherparse::NetSlice::Ipv4(v4)) if v4.header().is_fragmenting_payload());
        let (sport, dport, payload, ip_fragments): (u16, u16, Vec<u8>, usize) = if fragmenting {
            let key = (sip, dip, ident.unwrap_or(0));
            *frag_counts.entry(key).or_default() += 1;
            match pool.process_sliced_packet(&sliced, (), ()) {
                Ok(Some(whole)) => {
                    let n = frag_counts.remove(&key).unwrap_or(0);
                    if whole.ip_number != etherparse::IpNumber::UDP {
                        continue;
                    }
                    let Ok(udp) = etherparse::UdpSlice::from_slice(&whole.payload) else {
                        continue;
                    };
                    (
                        udp.source_port(),
                        udp.destination_port(),
                        udp.payload().to_vec(),
                        n,
                    )
                }
                _ => continue,
            }
        } else {
            let Some(etherparse::TransportSlice::Udp(udp)) = &sliced.transport else {
                continue;
            };
            (
                udp.source_port(),
                udp.destination_port(),
                udp.payload().to_vec(),
                0,
            )
        };
        let (sp, dp) = (sport, dport);
        // The lab's initiator uses 1500/14500: classify by whichever side is an IKE port.
        let ike = match classify_udp(sp, dp, &payload) {
            UdpPayload::Ike { message, .. } => message.to_vec(),
            _ => continue,
        };
        if ike.len() < 28 || ike[17] >> 4 != 2 {
            continue;
        }
        out.push(Datagram {
            frame,
            time_nanos: *time_nanos,
            src: SocketAddr::new(sip, sp),
            dst: SocketAddr::new(dip, dp),
            ike,
            ip_fragments,
        });
    }
    out
}

// ---- decryption and driving the analyzer ------------------------------------------------------

/// A parsed message and, when decrypted, its inner chain (SKF: at the completing fragment).
struct Prepared {
    d: Datagram,
    msg: Message,
    inner: Option<Vec<Payload>>,
}

/// `strict`: every SK/SKF payload must decrypt with a verified ICV (the project's recordings);
/// otherwise a failed ICV leaves the message without decrypted payloads, as the CLI does.
fn prepare_with(path: &Path, table: Option<&[SaKeys]>, strict: bool) -> Vec<Prepared> {
    let mut frags: BTreeMap<(u64, u32, bool, bool), Vec<Decrypted>> = BTreeMap::new();
    let mut out = Vec::new();
    for d in datagrams(path) {
        let msg = Message::parse(&d.ike)
            .unwrap_or_else(|e| panic!("{} frame {}: {e}", path.display(), d.frame));
        let mut inner = None;
        let last = msg.payloads.last();
        let enc = last.filter(|p| matches!(p.body, PayloadBody::Sk(_) | PayloadBody::Skf(_)));
        if let (Some(table), Some(p)) = (table, enc) {
            let h = &msg.header;
            if let Some(k) = keytable::find(table, h.spi_i, h.spi_r) {
                let dec = match decrypt(&d.ike, p.offset, k, h.initiator()) {
                    Ok(dec) => dec,
                    Err(e) if strict => panic!("{} frame {}: {e}", path.display(), d.frame),
                    Err(_) => {
                        out.push(Prepared { d, msg, inner });
                        continue;
                    }
                };
                assert!(
                    dec.icv_ok || !strict,
                    "{} frame {}: ICV",
                    path.display(),
                    d.frame
                );
                if !dec.icv_ok {
                    out.push(Prepared { d, msg, inner });
                    continue;
                }
                match dec.fragment {
                    None => {
                        let chain = payload::parse_chain(
                            &mut Reader::new(&dec.plaintext, dec.plaintext_offset),
                            PayloadType(dec.first_payload),
                        )
                        .unwrap_or_else(|e| panic!("{} frame {}: {e}", path.display(), d.frame));
                        inner = Some(chain);
                    }
                    Some(f) => {
                        let key = (h.spi_i, h.message_id, h.initiator(), h.response());
                        let list = frags.entry(key).or_default();
                        if list.iter().all(|x| x.fragment != dec.fragment) {
                            list.push(dec);
                        }
                        if list.len() == usize::from(f.total) {
                            let mut list = frags.remove(&key).unwrap();
                            list.sort_by_key(|x| x.fragment.unwrap().number);
                            let first = list[0].first_payload;
                            let plain: Vec<u8> =
                                list.iter().flat_map(|x| x.plaintext.clone()).collect();
                            let chain = payload::parse_chain(
                                &mut Reader::new(&plain, 0),
                                PayloadType(first),
                            )
                            .unwrap_or_else(|e| {
                                panic!("{} frame {}: {e}", path.display(), d.frame)
                            });
                            inner = Some(chain);
                        }
                    }
                }
            }
        }
        out.push(Prepared { d, msg, inner });
    }
    out
}

fn prepare(path: &Path, table: Option<&[SaKeys]>) -> Vec<Prepared> {
    prepare_with(path, table, true)
}

fn run(prepared: &[Prepared]) -> Vec<SaSummary> {
    let mut a = Analyzer::new();
    for p in prepared {
        a.push(&Observed {
            frame: p.d.frame,
            time_nanos: p.d.time_nanos,
            src: p.d.src,
            dst: p.d.dst,
            bytes: &p.d.ike,
            message: &p.msg,
            decrypted: p.inner.as_deref(),
            ip_fragments: p.d.ip_fragments,
        });
    }
    a.finish()
}

fn pcaps_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2")
}

/// The summaries of `pcaps/ikev2/NAME.pcap`, with its `.keys` or without.
fn scenario(name: &str, with_keys: bool) -> Vec<SaSummary> {
    let pcap = pcaps_dir().join(format!("{name}.pcap"));
    let table = with_keys.then(|| {
        let text = std::fs::read_to_string(pcap.with_extension("keys")).unwrap();
        keytable::parse_table(&text).unwrap()
    });
    let s = run(&prepare(&pcap, table.as_deref()));
    if std::env::var_os("SUMMARY_DUMP").is_some() {
        println!(
            "== {name} (keys: {with_keys})\n{}",
            serde_json::to_string_pretty(&s).unwrap()
        );
    }
    s
}

fn shared_corpus() -> Option<PathBuf> {
    ietfwg_test_support::shared::corpus("ikev2")
}

fn codes(s: &SaSummary) -> Vec<(Severity, &str, Evidence)> {
    s.findings
        .iter()
        .map(|f| (f.severity, f.code.as_str(), f.evidence))
        .collect()
}

fn finding<'a>(s: &'a SaSummary, code: &str) -> &'a ietfwg_ikev2::analysis::summary::Finding {
    s.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} finding in {:#?}", s.findings))
}

fn only(mut v: Vec<SaSummary>) -> SaSummary {
    assert_eq!(v.len(), 1, "{v:#?}");
    v.remove(0)
}

// ---- scenarios --------------------------------------------------------------------------------

#[test]
fn every_recording_summarises() {
    let mut names: Vec<String> = std::fs::read_dir(pcaps_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 13, "{names:?}");
    for name in &names {
        for keys in [false, true] {
            let sas = scenario(name, keys);
            assert!(!sas.is_empty(), "{name}");
            for s in &sas {
                // Every frame of the ladder appears once, in time order.
                let frames: Vec<u64> = s.ladder.iter().map(|e| e.frame).collect();
                assert!(frames.windows(2).all(|w| w[0] < w[1]), "{name}: {frames:?}");
                // JSON renders.
                let json = serde_json::to_value(s).unwrap();
                assert!(json["outcome"].is_string(), "{name}");
                if !keys {
                    assert_eq!(s.decryption.decrypted_messages, 0, "{name}");
                } else if name != "no-proposal" {
                    assert_eq!(
                        s.decryption.decrypted_messages, s.decryption.encrypted_messages,
                        "{name}"
                    );
                }
            }
        }
    }
}

#[test]
fn successful_ciphers() {
    for (name, encr, ke) in [
        (
            "aes-cbc-sha256-modp2048",
            "ENCR_AES_CBC_128",
            "2048-bit MODP Group (14)",
        ),
        (
            "aes-gcm-ecp256",
            "ENCR_AES_GCM_16_256",
            "256-bit random ECP group (19)",
        ),
        ("aes-ctr-x25519", "ENCR_AES_CTR_256", "Curve25519 (31)"),
        ("aes-ccm-x25519", "ENCR_AES_CCM_16_128", "Curve25519 (31)"),
        (
            "3des-sha1-modp2048",
            "ENCR_3DES",
            "2048-bit MODP Group (14)",
        ),
        (
            "chacha20poly1305-x25519",
            "ENCR_CHACHA20_POLY1305",
            "Curve25519 (31)",
        ),
    ] {
        let s = only(scenario(name, true));
        assert_eq!(
            s.outcome,
            Outcome::Established,
            "{name}: {}",
            s.outcome_text
        );
        assert!(!s.outcome_inferred, "{name}");
        let chosen = &s.chosen.as_ref().unwrap().proposal;
        assert_eq!(chosen.encr, [encr], "{name}");
        assert_eq!(chosen.ke, [ke], "{name}");
        assert_eq!(
            s.offered.as_ref().unwrap().proposals[0].encr,
            [encr],
            "{name}"
        );
        // Ladder: INIT →/←, AUTH →/←, INFORMATIONAL →/←, all answered.
        let ladder: Vec<(&str, bool, u32)> = s
            .ladder
            .iter()
            .map(|e| (e.exchange.name().unwrap_or("?"), e.response, e.message_id))
            .collect();
        assert_eq!(
            ladder,
            [
                ("IKE_SA_INIT", false, 0),
                ("IKE_SA_INIT", true, 0),
                ("IKE_AUTH", false, 1),
                ("IKE_AUTH", true, 1),
                ("INFORMATIONAL", false, 2),
                ("INFORMATIONAL", true, 2)
            ],
            "{name}"
        );
        assert_eq!(s.ladder[0].answered_by, Some(2));
        assert_eq!(s.ladder[3].answers, Some(3));
        assert!(s
            .ladder
            .iter()
            .all(|e| !e.unanswered && e.retransmission_of.is_none()));
        assert_eq!(s.ladder[2].inner.as_ref().unwrap()[0], "IDi", "{name}");
        assert_eq!(
            s.identities.initiator.as_deref(),
            Some("initiator@test.local")
        );
        assert_eq!(
            s.identities.responder.as_deref(),
            Some("responder@test.local")
        );
        assert_eq!(
            s.identities.initiator_auth.as_deref(),
            Some("Shared Key Message Integrity Code")
        );
        // The CHILD_SA of IKE_AUTH: ESP aes128gcm16, 127.0.0.0/24 both ways.
        assert_eq!(s.child_sas.len(), 1, "{name}");
        let c = &s.child_sas[0];
        assert_eq!(c.status, ChildStatus::Created);
        assert_eq!(c.chosen.as_ref().unwrap().protocol, "ESP");
        assert_eq!(c.chosen.as_ref().unwrap().encr, ["ENCR_AES_GCM_16_128"]);
        assert_eq!(c.accepted_ts.as_ref().unwrap().ts_i, ["127.0.0.0/24"]);
        // Deleted by the initiator.
        assert_eq!(
            s.ended.as_deref(),
            Some("deleted by the initiator (frame 5)"),
            "{name}"
        );
        assert_eq!(s.deletes[0].protocol, "IKE");
        // strongSwan fakes NAT (kernel-libipsec): the hashes don't match 127.0.0.1 ↔ 127.0.0.1.
        assert_eq!(s.nat.outcome, NatOutcome::HashesDontMatchCapture, "{name}");
        // Floated to 4500 (the responder) / 14500 (the lab's initiator).
        let floats: Vec<(u16, &str)> = s
            .endpoint_changes
            .iter()
            .map(|c| (c.to.port(), c.note.as_str()))
            .collect();
        assert!(
            floats.contains(&(4500, "floated to 4500 (NAT-T, RFC 7296 §2.23)")),
            "{floats:?}"
        );
        assert_eq!(s.initiator, "127.0.0.1:1500".parse().unwrap());
        assert_eq!(s.responder, "127.0.0.1:500".parse().unwrap());
        // No errors or warnings.
        assert!(
            s.findings.iter().all(|f| f.severity == Severity::Info),
            "{name}: {:#?}",
            s.findings
        );
        // Without keys: established, inferred from the INFORMATIONAL that follows.
        let n = only(scenario(name, false));
        assert_eq!(n.outcome, Outcome::Established, "{name}");
        assert!(
            n.outcome_inferred && n.outcome_text.contains("inferred"),
            "{name}"
        );
        assert!(n.child_sas.is_empty() && n.identities.initiator.is_none());
        assert!(codes(&n).contains(&(Severity::Info, "NOT_DECRYPTED", Evidence::Seen)));
    }
}

#[test]
fn no_proposal() {
    for keys in [false, true] {
        let s = only(scenario("no-proposal", keys));
        assert_eq!(s.outcome, Outcome::Failed);
        assert!(
            s.outcome_text.contains("NO_PROPOSAL_CHOSEN"),
            "{}",
            s.outcome_text
        );
        assert_eq!(s.spi_r, None, "the responder SPI stays zero");
        let f = finding(&s, "NO_PROPOSAL_CHOSEN");
        assert_eq!((f.severity, f.evidence), (Severity::Error, Evidence::Seen));
        assert_eq!(f.frames, [1, 2]);
        assert!(f.text.contains("no proposal in common"), "{}", f.text);
        // The initiator's offer (aes128-sha256-modp2048) is listed.
        assert!(
            f.text.contains(
                "#1 IKE: ENCR_AES_CBC_128 / PRF_HMAC_SHA2_256 / AUTH_HMAC_SHA2_256_128 / 2048-bit MODP Group (14)"
            ),
            "{}",
            f.text
        );
        assert!(f.text.contains("unknown"), "{}", f.text);
        assert!(f.check.contains("proposals"), "{}", f.check);
        assert!(s.chosen.is_none());
        assert_eq!(
            s.offered.as_ref().unwrap().proposals[0].prf,
            ["PRF_HMAC_SHA2_256"]
        );
        assert_eq!(s.ladder[1].payloads, ["N(NO_PROPOSAL_CHOSEN)"]);
    }
}

#[test]
fn invalid_ke() {
    for keys in [false, true] {
        let s = only(scenario("invalid-ke", keys));
        assert_eq!(s.outcome, Outcome::Established, "{}", s.outcome_text);
        let f = finding(&s, "INVALID_KE_PAYLOAD");
        // Retried with the wanted group: the setup recovered, so it's info.
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(f.frames, [1, 2, 3]);
        assert!(
            f.text
                .contains("used 256-bit random ECP group (19) (frame 1)")
                && f.text.contains("wants 2048-bit MODP Group (14) (frame 2)")
                && f.text
                    .contains("retried with 2048-bit MODP Group (14) (frame 3)"),
            "{}",
            f.text
        );
        // Same SPIi: one SA; the first offer (KE 19) is kept as an earlier offer.
        assert_eq!(s.offered.as_ref().unwrap().frame, 3);
        assert_eq!(
            s.offered.as_ref().unwrap().ke_group.as_deref(),
            Some("2048-bit MODP Group (14)")
        );
        assert_eq!(s.offered_earlier.len(), 1);
        assert_eq!(
            s.offered_earlier[0].ke_group.as_deref(),
            Some("256-bit random ECP group (19)")
        );
        // The offer lists both groups in one proposal (aes128-sha256-ecp256-modp2048);
        // strongSwan moves the wanted group first in the retry.
        assert_eq!(
            s.offered_earlier[0].proposals[0].ke,
            ["256-bit random ECP group (19)", "2048-bit MODP Group (14)"]
        );
        assert_eq!(
            s.offered.as_ref().unwrap().proposals[0].ke,
            ["2048-bit MODP Group (14)", "256-bit random ECP group (19)"]
        );
        assert_eq!(
            s.chosen.as_ref().unwrap().proposal.ke,
            ["2048-bit MODP Group (14)"]
        );
        // The retry is a new request, not a retransmission.
        assert!(s.ladder.iter().all(|e| e.retransmission_of.is_none()));
        assert_eq!(s.ladder[1].answers, Some(1));
        assert_eq!(s.ladder[3].answers, Some(3));
    }
}

#[test]
fn wrong_psk() {
    // With keys: AUTHENTICATION_FAILED is seen inside the SK payload.
    let s = only(scenario("wrong-psk", true));
    assert_eq!(s.outcome, Outcome::Failed);
    assert!(!s.outcome_inferred);
    let f = finding(&s, "AUTHENTICATION_FAILED");
    assert_eq!((f.severity, f.evidence), (Severity::Error, Evidence::Seen));
    assert!(
        f.text
            .contains("seen: the responder rejected the initiator's authentication"),
        "{}",
        f.text
    );
    assert!(f.text.contains("initiator@test.local"), "{}", f.text);
    assert!(f.check.contains("pre-shared key"), "{}", f.check);
    assert_eq!(
        s.ladder[3].inner.as_ref().map(|v| v.len()),
        Some(1),
        "{:?}",
        s.ladder[3].inner
    );
    assert_eq!(
        s.ladder[3].inner.as_ref().unwrap()[0],
        "N(AUTHENTICATION_FAILED)"
    );
    // Without keys: inferred from the size of the encrypted response.
    let n = only(scenario("wrong-psk", false));
    assert_eq!(n.outcome, Outcome::Failed);
    assert!(n.outcome_inferred);
    let f = finding(&n, "AUTHENTICATION_FAILED");
    assert_eq!(
        (f.severity, f.evidence),
        (Severity::Error, Evidence::Inferred)
    );
    assert!(
        f.text.starts_with("inferred, not seen")
            && f.keys_hint == Some(KeysHint::Confirm { joiner: " — " }),
        "{}",
        f.text
    );
    assert!(f.text.contains("16 bytes of ciphertext"), "{}", f.text);
}

#[test]
fn cookie() {
    let sas = scenario("cookie", true);
    assert_eq!(sas.len(), 2);
    let (a, b) = (&sas[0], &sas[1]);
    assert_eq!(a.outcome, Outcome::Established);
    assert!(a.findings.iter().all(|f| f.code != "COOKIE"));
    assert_eq!(b.outcome, Outcome::Established, "{}", b.outcome_text);
    let f = finding(b, "COOKIE");
    assert_eq!((f.severity, f.evidence), (Severity::Info, Evidence::Seen));
    assert!(f.text.contains("DoS protection engaged"), "{}", f.text);
    assert!(
        f.text
            .contains("repeated IKE_SA_INIT with the cookie (frame 6)"),
        "{}",
        f.text
    );
    assert_eq!(f.frames, [5, 6]);
    // Frames of b: 4 (init), 5 (COOKIE), 6 (init + cookie), 7, 8, 10, 13, 14.
    let frames: Vec<u64> = b.ladder.iter().map(|e| e.frame).collect();
    assert_eq!(frames, [4, 5, 6, 7, 8, 10, 13, 14]);
    assert_eq!(b.ladder[2].payloads[0], "N(COOKIE)");
    assert!(b.offered.as_ref().unwrap().cookie);
    assert!(
        b.offered_earlier.is_empty(),
        "same proposals and group: one offer"
    );
    // a's IKE_AUTH response is delayed 1.5 s, not retransmitted.
    assert_eq!(a.ladder[2].answered_by, Some(9));
    assert!(a.ladder.iter().all(|e| e.retransmissions == 0));
    // Without keys too.
    let n = scenario("cookie", false);
    assert!(codes(&n[1]).contains(&(Severity::Info, "COOKIE", Evidence::Seen)));
    assert_eq!(n[1].outcome, Outcome::Established);
}

#[test]
fn child_sa_kernel_refused() {
    let s = only(scenario("child-sa-kernel-refused", true));
    assert_eq!(s.outcome, Outcome::Established, "{}", s.outcome_text);
    assert!(s
        .outcome_text
        .contains("the CHILD_SA was not created (N(NO_PROPOSAL_CHOSEN)"));
    let f = finding(&s, "NO_PROPOSAL_CHOSEN");
    assert_eq!((f.severity, f.evidence), (Severity::Error, Evidence::Seen));
    assert!(
        f.text
            .contains("after the IKE SA proposals matched in IKE_SA_INIT")
            && f.text
                .contains("the IKE SA was established but the CHILD_SA could not be created"),
        "{}",
        f.text
    );
    assert!(f.text.contains("ESP: ENCR_AES_GCM_16_128"), "{}", f.text);
    assert!(
        f.check.contains("kernel/IPsec stack")
            && f.check
                .contains("unable to install inbound and outbound IPsec SA (SAD)")
            && f.check.contains("compare ESP proposals"),
        "{}",
        f.check
    );
    assert_eq!(f.frames, [3, 4]);
    assert_eq!(s.child_sas[0].status, ChildStatus::Failed);
    assert_eq!(s.child_sas[0].status_text, "failed: NO_PROPOSAL_CHOSEN");
    // Without keys: the notify is not visible; the SA is established (INFORMATIONAL follows).
    let n = only(scenario("child-sa-kernel-refused", false));
    assert_eq!(n.outcome, Outcome::Established);
    assert!(n.outcome_inferred);
    assert!(n.findings.iter().all(|f| f.code != "NO_PROPOSAL_CHOSEN"));
}

#[test]
fn natt_rekey_delete() {
    let sas = scenario("natt-rekey-delete", true);
    assert_eq!(sas.len(), 2);
    let (old, new) = (&sas[0], &sas[1]);
    // NAT: strongSwan faked the SOURCE hashes; both peers sit on 127.0.0.1.
    assert_eq!(old.nat.outcome, NatOutcome::HashesDontMatchCapture);
    let t = &old.nat.text;
    assert!(
        t.contains("don't match the addresses in this capture")
            && t.contains(
                "the initiator's NAT_DETECTION_SOURCE_IP (frame 1) does not match 127.0.0.1:1500"
            )
            && t.contains(
                "the responder's NAT_DETECTION_SOURCE_IP (frame 2) does not match 127.0.0.1:500"
            )
            && t.contains("the same IP address 127.0.0.1")
            && t.contains("strongSwan"),
        "{t}"
    );
    // The DESTINATION hashes match.
    let dest: Vec<bool> = old
        .nat
        .checks
        .iter()
        .filter(|c| c.notify == "NAT_DETECTION_DESTINATION_IP")
        .map(|c| c.matches)
        .collect();
    assert_eq!(dest, [true, true]);
    // Rekey visible with keys, linked both ways.
    let rk = old.rekeyed_to.as_ref().unwrap();
    assert_eq!((rk.request_frame, rk.response_frame), (5, Some(6)));
    assert_eq!(rk.new_spi_i, new.spi_i);
    assert_eq!(rk.new_spi_r.as_deref(), new.spi_r.as_deref());
    assert_eq!(new.rekeyed_from.as_deref(), Some(old.spi_i.as_str()));
    assert_eq!(new.outcome, Outcome::Established);
    assert!(!new.outcome_inferred, "{}", new.outcome_text);
    assert!(
        new.outcome_text.contains("by rekeying IKE SA"),
        "{}",
        new.outcome_text
    );
    assert_eq!(
        new.chosen.as_ref().unwrap().proposal.encr,
        ["ENCR_AES_GCM_16_256"]
    );
    assert!(new.findings.iter().all(|f| f.code != "NO_IKE_SA_INIT"));
    assert!(old
        .ended
        .as_deref()
        .unwrap()
        .starts_with("rekeyed into IKE SA"));
    // Deletes: old IKE SA (frame 7); in the new SA: ESP (rekeyed CHILD_SA), ESP, IKE.
    assert_eq!(
        old.deletes
            .iter()
            .filter(|d| !d.response)
            .map(|d| (d.frame, d.protocol.as_str()))
            .collect::<Vec<_>>(),
        [(7, "IKE")]
    );
    let nd: Vec<(u64, &str, bool)> = new
        .deletes
        .iter()
        .map(|d| (d.frame, d.protocol.as_str(), d.response))
        .collect();
    assert_eq!(
        nd,
        [
            (11, "ESP", false),
            (12, "ESP", true),
            (13, "ESP", false),
            (14, "ESP", true),
            (15, "IKE", false)
        ]
    );
    assert_eq!(
        new.ended.as_deref(),
        Some("deleted by the initiator (frame 15)")
    );
    // The CHILD_SA rekey (N(REKEY_SA)) with PFS in the new SA.
    let c = new.child_sas.iter().find(|c| c.rekey_of.is_some()).unwrap();
    assert_eq!(c.status, ChildStatus::Created);
    assert_eq!(c.chosen.as_ref().unwrap().ke, ["Curve25519 (31)"]);
    // Without keys: two SAs, the second first seen without IKE_SA_INIT.
    let n = scenario("natt-rekey-delete", false);
    assert_eq!(n.len(), 2);
    assert!(n[0].rekeyed_to.is_none() && n[1].rekeyed_from.is_none());
    let f = finding(&n[1], "NO_IKE_SA_INIT");
    assert_eq!(f.evidence, Evidence::Inferred);
    assert!(f.text.contains("rekeying"), "{}", f.text);
    // … and the encrypted CREATE_CHILD_SA just before it, between the same hosts, is named.
    assert!(
        f.text.contains(&format!(
            "probably the rekey of IKE SA {}: its encrypted CREATE_CHILD_SA (frames 5–6)",
            n[0].spi_i
        )),
        "{}",
        f.text
    );
    assert!(n[0].child_sas[0]
        .status_text
        .contains("probably the IKE SA rekey"));
    assert_eq!(n[1].outcome, Outcome::Established);
    assert_eq!(n[0].nat.outcome, NatOutcome::HashesDontMatchCapture);
}

#[test]
fn fragmentation() {
    let s = only(scenario("fragmentation", true));
    assert_eq!(s.outcome, Outcome::Established, "{}", s.outcome_text);
    let fr = &s.fragmentation;
    assert!(fr.initiator_supported && fr.responder_supported);
    let sets: Vec<(bool, u16, Vec<u16>, Vec<u64>)> = fr
        .skf
        .iter()
        .map(|m| (m.response, m.total, m.seen.clone(), m.frames.clone()))
        .collect();
    assert_eq!(
        sets,
        [
            (false, 3, vec![1, 2, 3], vec![3, 4, 5]),
            (true, 2, vec![1, 2], vec![6, 7])
        ]
    );
    let f = finding(&s, "IKE_FRAGMENTATION");
    assert!(
        f.text
            .contains("IKE_AUTH request sent as 3 SKF fragment(s) (frames 3–5)")
            && f.text
                .contains("IKE_AUTH response sent as 2 SKF fragment(s) (frames 6–7)"),
        "{}",
        f.text
    );
    // Fragments are not retransmissions; the request (frame 3) is answered by frame 6.
    assert!(s.ladder.iter().all(|e| e.retransmission_of.is_none()));
    assert_eq!(s.ladder[2].payloads, ["SKF(1/3)"]);
    assert_eq!(s.ladder[2].answered_by, Some(6));
    // The reassembled inner chain sits at the last fragment.
    assert!(s.ladder[2].inner.is_none());
    assert_eq!(s.ladder[4].inner.as_ref().unwrap()[0], "IDi");
    assert_eq!(s.ladder[6].inner.as_ref().unwrap()[0], "IDr");
    assert_eq!(s.decryption.encrypted_messages, 4); // 2 SKF sets + 2 SK
    assert_eq!(
        s.identities.responder.as_deref(),
        Some("responder@test.local")
    );
}

// ---- audit ------------------------------------------------------------------------------------

#[test]
fn audit_3des() {
    let s = only(scenario("3des-sha1-modp2048", false));
    let entries = audit::audit(&s);
    let chosen: Vec<(&str, Requirement)> = entries
        .iter()
        .filter(|e| e.role == Role::Chosen)
        .map(|e| (e.name.as_str(), e.rating.requirement))
        .collect();
    assert_eq!(
        chosen,
        [
            // strongSwan's wire order: ENCR, INTEG, PRF, KE.
            ("ENCR_3DES", Requirement::May),
            ("AUTH_HMAC_SHA1_96", Requirement::MustMinus),
            ("PRF_HMAC_SHA1", Requirement::MustMinus),
            ("2048-bit MODP Group (14)", Requirement::Must),
        ]
    );
    assert!(entries.iter().all(|e| e.sa_spi_i == s.spi_i));
    assert!(entries.iter().any(|e| e.role
        == Role::Offered {
            proposal: 1,
            position: 1
        }
        && e.name == "ENCR_3DES"));
    assert!(!audit::fails(&entries));
    // JSON shape of the role.
    let j = serde_json::to_value(&entries[0]).unwrap();
    assert_eq!(j["role"]["kind"], "offered");
    assert_eq!(j["spi_i"], s.spi_i.as_str(), "the SA summary's name for it");
    assert_eq!(j["rating"]["requirement"], "MAY");
}

fn transform(t: u8, id: u16) -> Transform {
    Transform {
        reserved1: 0,
        length: 0,
        transform_type: TransformType(t),
        reserved2: 0,
        transform_id: TransformId::new(TransformType(t), id),
        attributes: Default::default(),
    }
}

fn ike_proposal(num: u8, transforms: Vec<Transform>) -> Proposal {
    Proposal {
        reserved: 0,
        length: 0,
        proposal_num: num,
        protocol_id: ProtocolId::IKE,
        spi: Vec::new(),
        transforms,
    }
}

/// Rewrites the SA payload of the IKE_SA_INIT request of a real capture and summarises it.
fn with_offer(proposals: Vec<Proposal>) -> SaSummary {
    let pcap = pcaps_dir().join("no-proposal.pcap");
    let mut prepared = prepare(&pcap, None);
    for p in prepared.iter_mut().filter(|p| !p.msg.header.response()) {
        for pl in &mut p.msg.payloads {
            if let PayloadBody::Sa(sa) = &mut pl.body {
                sa.proposals = proposals.clone().into();
            }
        }
        p.d.ike = p.msg.emit();
    }
    only(run(&prepared))
}

#[test]
fn audit_fails_on_must_not_first() {
    // DES first: fails.
    let s = with_offer(vec![ike_proposal(
        1,
        vec![
            transform(1, 2),
            transform(2, 2),
            transform(3, 2),
            transform(4, 14),
        ],
    )]);
    let e = audit::audit(&s);
    assert_eq!(e[0].name, "ENCR_DES");
    assert_eq!(e[0].rating.requirement, Requirement::MustNot);
    assert!(audit::fails(&e));
    // Group 1 first: fails.
    let s = with_offer(vec![ike_proposal(
        1,
        vec![
            transform(1, 12),
            transform(2, 5),
            transform(3, 12),
            transform(4, 1),
        ],
    )]);
    assert!(audit::fails(&audit::audit(&s)));
    // Group 1 only in the second, fallback proposal, nothing chosen: reported, doesn't fail.
    let s = with_offer(vec![
        ike_proposal(1, vec![transform(1, 20), transform(2, 5), transform(4, 19)]),
        ike_proposal(
            2,
            vec![
                transform(1, 12),
                transform(2, 5),
                transform(3, 12),
                transform(4, 1),
            ],
        ),
    ]);
    let e = audit::audit(&s);
    assert!(e
        .iter()
        .any(|x| x.rating.requirement == Requirement::MustNot
            && x.role
                == Role::Offered {
                    proposal: 2,
                    position: 2
                }));
    assert!(!audit::fails(&e));
}

// ---- third-party corpus -----------------------------------------------------------------------

#[test]
fn zeek_ipsec_client_unanswered_ike_auth() {
    let Some(dir) = shared_corpus() else { return };
    let s = only(run(&prepare(
        &dir.join("zeek-spicy-ipsec/ipsec_client.pcap"),
        None,
    )));
    // The Windows client's IKE_AUTH (3468 bytes) is IP-fragmented in 3 pieces (this extractor
    // reassembles them, as the CLI driver does) and sent 3 times without an answer.
    let frames: Vec<(u64, &str, bool, usize)> = s
        .ladder
        .iter()
        .map(|e| {
            (
                e.frame,
                e.exchange.name().unwrap_or("?"),
                e.unanswered,
                e.ip_fragments,
            )
        })
        .collect();
    assert_eq!(
        frames,
        [
            (1, "IKE_SA_INIT", false, 0),
            (2, "IKE_SA_INIT", false, 0),
            (5, "IKE_AUTH", true, 3),
            (8, "IKE_AUTH", true, 3),
            (11, "IKE_AUTH", true, 3)
        ]
    );
    assert_eq!(s.ladder[2].retransmissions, 2);
    assert_eq!(s.ladder[3].retransmission_of, Some(5));
    assert_eq!(s.outcome, Outcome::Failed);
    assert!(
        s.outcome_text.contains("retransmitted 2 time(s)"),
        "{}",
        s.outcome_text
    );
    let f = finding(&s, "UNANSWERED");
    assert_eq!((f.severity, f.evidence), (Severity::Error, Evidence::Seen));
    assert_eq!(f.frames, [5, 8, 11]);
    assert!(f.text.contains("sent in 3 IP fragments"), "{}", f.text);
    assert!(
        f.text
            .contains("retransmitted 2 time(s) over 2.0 s (frames 8, 11)"),
        "{}",
        f.text
    );
    assert!(
        f.check.contains("UDP 500 and 4500")
            && f.check.contains("MTU")
            && f.check.contains("RFC 7383")
            && f.check.contains("check that UDP 4500 passes")
            && f.check
                .contains("neither peer announced IKEV2_FRAGMENTATION_SUPPORTED"),
        "{}",
        f.check
    );
    // Fragmentation not announced by either side; IP fragments listed.
    assert!(!s.fragmentation.initiator_supported && !s.fragmentation.responder_supported);
    assert_eq!(s.fragmentation.ip_fragmented.len(), 3);
    // NAT: the client (192.168.0.10) is behind a NAT, captured on its side.
    assert_eq!(
        s.nat.outcome,
        NatOutcome::InitiatorBehindNat,
        "{}",
        s.nat.text
    );
    assert!(
        s.nat.text.contains("on the initiator's side"),
        "{}",
        s.nat.text
    );
    // The client offered many proposals; all audited, none with MUST NOT first.
    assert!(s.offered.as_ref().unwrap().proposals.len() > 5);
}

#[test]
fn corpus_captures_summarise() {
    let Some(dir) = shared_corpus() else { return };
    // (file, key table, expected number of SAs)
    for (file, keys, n) in [
        (
            "local-strongswan/strongswan-loopback-psk-natt.pcap",
            Some("local-strongswan/ikev2_decryption_table"),
            1,
        ),
        (
            "local-strongswan/strongswan-loopback-psk-ikefrag.pcap",
            Some("local-strongswan/ikev2_decryption_table.ikefrag"),
            1,
        ),
        (
            "local-strongswan/strongswan-loopback-psk-noprop-kernel.pcap",
            Some("local-strongswan/ikev2_decryption_table.noprop-kernel"),
            1,
        ),
        (
            "wireshark-wiki/capture.pcapng",
            Some("wireshark-wiki/ikev2_decryption_table"),
            3,
        ),
        ("tcpdump/ikev2four.pcap", None, 2),
        ("wireshark-wiki/ipsec.cap", None, 0),
    ] {
        let table = keys.map(|k| {
            keytable::parse_table(&std::fs::read_to_string(dir.join(k)).unwrap()).unwrap()
        });
        let sas = run(&prepare_with(&dir.join(file), table.as_deref(), false));
        if n > 0 {
            assert_eq!(
                sas.len(),
                n,
                "{file}: {:#?}",
                sas.iter().map(|s| &s.spi_i).collect::<Vec<_>>()
            );
        }
        for s in &sas {
            serde_json::to_string(s).unwrap();
            let _ = audit::audit(s);
        }
        if std::env::var_os("SUMMARY_DUMP").is_some() {
            for s in &sas {
                println!(
                    "== {file} {} {:?}: {} | nat {:?} | {:?}",
                    s.spi_i,
                    s.outcome,
                    s.outcome_text,
                    s.nat.outcome,
                    codes(s)
                );
            }
        }
    }
}

// ---- the analysis's parse -------------------------------------------------------------------

/// `m`, parsed with [`OpaqueData::Left`], with what that parse left in `bytes` read back into
/// it: the KE, Nonce, SK and SKF octets, and the SA payload's proposals (each checked to have
/// been left first).
fn read_back(mut m: Message, bytes: &[u8]) -> Message {
    for p in &mut m.payloads {
        let body = &bytes[p.offset + 4..p.offset + usize::from(p.length)];
        let sa_left = matches!(p.body, PayloadBody::Sa(_))
            .then(|| payload::Sa::parse_left(p, bytes).expect("the SA payload parses"));
        match &mut p.body {
            PayloadBody::Ke(k) => {
                assert!(k.data.is_empty());
                k.data = body[4..].to_vec();
            }
            PayloadBody::Nonce(n) => {
                assert!(n.data.is_empty());
                n.data = body.to_vec();
            }
            PayloadBody::Sk(sk) => {
                assert!(sk.data.is_empty());
                sk.data = body.to_vec();
            }
            PayloadBody::Skf(f) => {
                assert!(f.data.is_empty());
                f.data = body[4..].to_vec();
            }
            PayloadBody::Sa(sa) => {
                assert!(sa.proposals.is_empty());
                *sa = sa_left.expect("an SA payload");
            }
            _ => {}
        }
    }
    m
}

/// The parse `summary` and `audit` make (`OpaqueData::Left`, into a reused payload list) gives
/// every IKEv2 message of the project's recordings and of the corpus's IKEv2 captures the
/// same result as the full parse: the same error, or the same message once what it left in the
/// octets is read back; and the analysis summarises the same SAs from either.
#[test]
fn opaque_data_left_parses_as_the_full_parse() {
    use ietfwg_ikev2::wire::payload::OpaqueData;
    let mut files: Vec<PathBuf> = std::fs::read_dir(pcaps_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    files.sort();
    let own = files.len();
    if let Some(dir) = shared_corpus() {
        for f in [
            "local-strongswan/strongswan-loopback-psk-ikefrag.pcap",
            "local-strongswan/strongswan-loopback-psk-natt.pcap",
            "local-strongswan/strongswan-loopback-psk-noprop-kernel.pcap",
            "scapy/ikev2_notify_redirect.pcap",
            "tcpdump/ikev2-id-normal.pcap",
            "tcpdump/ikev2-id-short.pcap",
            "tcpdump/ikev2four.pcap",
            "tcpdump/ikev2pI2.pcap",
            "wireshark-wiki/capture.pcapng",
            "wireshark-wiki/ipsec.cap",
            "zeek-spicy-ipsec/ipsec_client.pcap",
        ] {
            files.push(dir.join(f));
        }
    }
    let (mut messages, mut failing) = (0, 0);
    let mut reused = Vec::new();
    for f in &files {
        let (mut full, mut left) = (Vec::new(), Vec::new());
        for d in datagrams(f) {
            messages += 1;
            let whole = Message::parse(&d.ike);
            let lean =
                Message::parse_reusing(&d.ike, std::mem::take(&mut reused), OpaqueData::Left);
            match (whole, lean) {
                (Err(a), Err(b)) => {
                    assert_eq!(a, b, "{} frame {}", f.display(), d.frame);
                    failing += 1;
                }
                (Ok(a), Ok(b)) => {
                    assert_eq!(
                        a,
                        read_back(b.clone(), &d.ike),
                        "{} frame {}",
                        f.display(),
                        d.frame
                    );
                    full.push(Prepared {
                        d: d.clone(),
                        msg: a,
                        inner: None,
                    });
                    left.push(Prepared {
                        d,
                        msg: b,
                        inner: None,
                    });
                }
                (a, b) => panic!("{} frame {}: {a:?} but {b:?}", f.display(), d.frame),
            }
            if let Some(p) = left.last_mut() {
                // The next message parses into a list that held payloads before.
                reused = p.msg.payloads.clone();
            }
        }
        assert_eq!(
            serde_json::to_string(&run(&full)).unwrap(),
            serde_json::to_string(&run(&left)).unwrap(),
            "{}",
            f.display()
        );
    }
    // The project's recordings alone hold some 150 IKEv2 messages; the corpus adds 350 more.
    assert!(
        messages > 100 && own > 20,
        "{messages} messages in {own} recordings"
    );
    eprintln!(
        "{messages} IKEv2 messages in {} captures, {failing} failing",
        files.len()
    );
}
