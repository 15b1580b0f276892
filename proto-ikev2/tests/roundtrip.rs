//! Message codec tests: every IKEv2 message of the shared capture corpus parses and re-emits
//! byte for byte; prefixes and mutations never panic; hand-built vectors per payload kind;
//! decoded values checked against tshark 4.0.17's dissection.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
use std::collections::BTreeMap;
use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use etherparse::{LaxSlicedPacket, TransportSlice};
use ietfwg_ikev2::wire::payload::{
    AttrValue, GatewayId, IdValue, NotifyData, SignatureInfo, TrafficSelector, TransformId,
};
use ietfwg_ikev2::wire::registry::{
    EncrId, ExchangeType, GatewayIdType, HashAlgorithm, IntegId, KeId, NotifyType, PayloadType,
    PrfId, ProtocolId,
};
use ietfwg_ikev2::{Message, PayloadBody};
use pcap_parser::pcapng::Block;
use pcap_parser::{Linktype, PcapBlockOwned, PcapError};

// ---------------------------------------------------------------------------------------------
// Corpus extraction
// ---------------------------------------------------------------------------------------------

/// The corpus folder, or None (with a notice) when it isn't there; under CI it must be.
fn corpus_dir() -> Option<PathBuf> {
    ietfwg_test_support::shared::corpus("ikev2")
}

/// One IKE message found in a capture.
#[derive(Debug, Clone)]
struct CorpusMsg {
    /// Path relative to the corpus folder.
    file: String,
    /// 1-based frame number, as tshark numbers frames.
    frame: usize,
    /// The IKE message (after the non-ESP marker on 4500).
    bytes: Vec<u8>,
}

impl CorpusMsg {
    /// Files whose messages are deliberately malformed (tcpdump's regression captures): the
    /// `oobr` / `segfault` ones, and `ikev2-id-normal` / `ikev2-id-short`, whose IDi payload
    /// (length 9, resp. 5) ends the chain with 39, resp. 43, bytes of 0xdeadbeef left inside
    /// the header Length (tshark: "Extra data").
    fn malformed_file(&self) -> bool {
        self.file.contains("oobr")
            || self.file.contains("segfault")
            || self.file.ends_with("tcpdump/ikev2-id-normal.pcap")
            || self.file.ends_with("tcpdump/ikev2-id-short.pcap")
    }
}

/// What the walk over one capture saw.
#[derive(Debug, Default, Clone, Copy)]
struct FileCounts {
    frames: usize,
    ikev2: usize,
    other_ike_version: usize,
    ip_fragments: usize,
    esp: usize,
    keepalives: usize,
}

fn capture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            capture_files(&p, out);
        } else if let Some(ext) = p.extension().and_then(|e| e.to_str()) {
            if matches!(ext, "pcap" | "pcapng" | "cap") {
                out.push(p);
            }
        }
    }
}

/// UDP ports and payload of a link-layer frame (None when it isn't UDP); `Err(())` for an IP
/// fragment.
fn udp_of(linktype: Linktype, data: &[u8]) -> Result<Option<(u16, u16, Vec<u8>)>, ()> {
    let sliced = match linktype {
        Linktype::ETHERNET => LaxSlicedPacket::from_ethernet(data).ok(),
        Linktype::NULL | Linktype::LOOP => {
            data.get(4..).and_then(|d| LaxSlicedPacket::from_ip(d).ok())
        }
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => LaxSlicedPacket::from_ip(data).ok(),
        Linktype::LINUX_SLL => data
            .get(16..)
            .and_then(|d| LaxSlicedPacket::from_ip(d).ok()),
        _ => None,
    };
    let Some(p) = sliced else { return Ok(None) };
    let Some(ipp) = p.net.as_ref().and_then(|n| n.ip_payload_ref()) else {
        return Ok(None);
    };
    if ipp.ip_number != etherparse::IpNumber::UDP {
        return Ok(None);
    }
    if ipp.fragmented {
        return Err(());
    }
    if let Some(TransportSlice::Udp(u)) = &p.transport {
        return Ok(Some((
            u.source_port(),
            u.destination_port(),
            u.payload().to_vec(),
        )));
    }
    // A UDP datagram cut short by the capture's snap length: take what there is.
    let d = ipp.payload;
    if d.len() >= 8 {
        let sp = u16::from_be_bytes([d[0], d[1]]);
        let dp = u16::from_be_bytes([d[2], d[3]]);
        return Ok(Some((sp, dp, d[8..].to_vec())));
    }
    Ok(None)
}

/// Every IKE message (any version) of one capture, with counts.
fn extract_file(root: &Path, path: &Path) -> (Vec<CorpusMsg>, FileCounts) {
    let rel = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    let f = File::open(path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut reader =
        pcap_parser::create_reader(1 << 20, f).unwrap_or_else(|e| panic!("{rel}: {e:?}"));
    let mut if_linktypes: Vec<Linktype> = Vec::new();
    let mut legacy_linktype = Linktype::ETHERNET;
    let mut counts = FileCounts::default();
    let mut msgs = Vec::new();
    let handle =
        |linktype: Linktype, data: &[u8], counts: &mut FileCounts, msgs: &mut Vec<CorpusMsg>| {
            counts.frames += 1;
            let frame = counts.frames;
            let (sp, dp, payload) = match udp_of(linktype, data) {
                Err(()) => {
                    counts.ip_fragments += 1;
                    return;
                }
                Ok(None) => return,
                Ok(Some(x)) => x,
            };
            let ike = if sp == 500 || dp == 500 {
                payload
            } else if sp == 4500 || dp == 4500 {
                if payload == [0xff] {
                    counts.keepalives += 1;
                    return;
                }
                match payload.get(..4) {
                    Some([0, 0, 0, 0]) => payload[4..].to_vec(),
                    _ => {
                        counts.esp += 1;
                        return;
                    }
                }
            } else {
                return;
            };
            if ike.get(17).map(|v| v >> 4) == Some(2) {
                counts.ikev2 += 1;
                msgs.push(CorpusMsg {
                    file: rel.clone(),
                    frame,
                    bytes: ike,
                });
            } else {
                counts.other_ike_version += 1;
            }
        };
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => legacy_linktype = h.network,
                    PcapBlockOwned::Legacy(b) => {
                        let n = (b.caplen as usize).min(b.data.len());
                        handle(legacy_linktype, &b.data[..n], &mut counts, &mut msgs);
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => if_linktypes.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        if_linktypes.push(idb.linktype)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let lt = if_linktypes
                            .get(epb.if_id as usize)
                            .copied()
                            .unwrap_or(Linktype::ETHERNET);
                        let n = (epb.caplen as usize).min(epb.data.len());
                        handle(lt, &epb.data[..n], &mut counts, &mut msgs);
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let lt = if_linktypes.first().copied().unwrap_or(Linktype::ETHERNET);
                        let n = (spb.origlen as usize).min(spb.data.len());
                        handle(lt, &spb.data[..n], &mut counts, &mut msgs);
                    }
                    _ => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    break;
                }
            }
            Err(e) => panic!("{rel}: capture read error {e:?}"),
        }
    }
    (msgs, counts)
}

/// Every IKEv2 message of the corpus, and the counts per file.
fn corpus() -> Option<(Vec<CorpusMsg>, BTreeMap<String, FileCounts>)> {
    let dir = corpus_dir()?;
    let mut files = Vec::new();
    capture_files(&dir, &mut files);
    assert!(!files.is_empty(), "no captures under {}", dir.display());
    let mut all = Vec::new();
    let mut per_file = BTreeMap::new();
    for f in &files {
        let (msgs, counts) = extract_file(&dir, f);
        let rel = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
        per_file.insert(rel, counts);
        all.extend(msgs);
    }
    Some((all, per_file))
}

/// `ikev2=` counts of INVENTORY.txt (tshark 4.0.17), by relative path.
fn inventory(dir: &Path) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(dir.join("INVENTORY.txt")).unwrap_or_default();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(path) = words.next() else { continue };
        let path = path.trim_start_matches("./").to_string();
        for w in words {
            if let Some(n) = w.strip_prefix("ikev2=").and_then(|n| n.parse().ok()) {
                out.insert(path.clone(), n);
            }
        }
    }
    out
}

fn find<'a>(msgs: &'a [CorpusMsg], file: &str, frame: usize) -> &'a CorpusMsg {
    msgs.iter()
        .find(|m| m.file == file && m.frame == frame)
        .unwrap_or_else(|| panic!("{file} frame {frame} not extracted"))
}

// ---------------------------------------------------------------------------------------------
// Corpus tests
// ---------------------------------------------------------------------------------------------

#[test]
fn corpus_roundtrip_byte_exact() {
    let Some((msgs, per_file)) = corpus() else {
        return;
    };
    let mut ok = 0usize;
    let mut malformed_rejected = 0usize;
    let mut by_payload: BTreeMap<String, usize> = BTreeMap::new();
    for m in &msgs {
        let r = Message::parse(&m.bytes);
        if m.malformed_file() {
            let e = r.expect_err(&format!(
                "{} frame {}: malformed capture parsed",
                m.file, m.frame
            ));
            assert!(!e.to_string().is_empty());
            eprintln!("  rejected as expected: {} frame {}: {e}", m.file, m.frame);
            malformed_rejected += 1;
            continue;
        }
        let parsed = r.unwrap_or_else(|e| panic!("{} frame {}: {e}", m.file, m.frame));
        assert_eq!(
            parsed.emit(),
            m.bytes,
            "{} frame {}: emit differs",
            m.file,
            m.frame
        );
        for p in &parsed.payloads {
            *by_payload
                .entry(format!(
                    "{}",
                    ietfwg_ikev2::wire::payload::short_name(p.payload_type)
                ))
                .or_default() += 1;
        }
        ok += 1;
    }
    let totals = per_file
        .values()
        .fold(FileCounts::default(), |a, c| FileCounts {
            frames: a.frames + c.frames,
            ikev2: a.ikev2 + c.ikev2,
            other_ike_version: a.other_ike_version + c.other_ike_version,
            ip_fragments: a.ip_fragments + c.ip_fragments,
            esp: a.esp + c.esp,
            keepalives: a.keepalives + c.keepalives,
        });
    eprintln!(
        "corpus: {} files, {} frames; IKEv2 messages {} ({} round-tripped byte-exact, {} malformed rejected); \
         other IKE versions {}, IP fragments skipped {}, ESP-in-UDP {}, keepalives {}",
        per_file.len(),
        totals.frames,
        msgs.len(),
        ok,
        malformed_rejected,
        totals.other_ike_version,
        totals.ip_fragments,
        totals.esp,
        totals.keepalives
    );
    eprintln!("payloads seen: {by_payload:?}");
    assert_eq!(ok + malformed_rejected, msgs.len());
    assert!(ok >= 300, "only {ok} messages round-tripped");

    // Cross-check with tshark's per-file IKEv2 counts. tshark counts frames carrying IKEv2,
    // reassembling IP fragments; we skip fragmented datagrams, so a file with fragments may
    // have fewer here, never more.
    let dir = corpus_dir().unwrap_or_default();
    let inv = inventory(&dir);
    assert!(!inv.is_empty(), "INVENTORY.txt has no ikev2= counts");
    for (file, want) in &inv {
        let Some(c) = per_file.get(file) else {
            panic!("{file} is in INVENTORY.txt but was not read");
        };
        if c.ip_fragments == 0 {
            assert_eq!(c.ikev2, *want, "{file}: IKEv2 messages vs tshark's count");
        } else {
            assert!(
                c.ikev2 <= *want,
                "{file}: {} IKEv2 messages, tshark {want}",
                c.ikev2
            );
            eprintln!(
                "  {file}: {} IKEv2 here + {} IP fragments skipped; tshark {want}",
                c.ikev2, c.ip_fragments
            );
        }
    }
}

#[test]
fn corpus_prefixes_are_errors() {
    let Some((msgs, _)) = corpus() else { return };
    let mut n = 0usize;
    for m in msgs.iter().filter(|m| !m.malformed_file()) {
        let b = &m.bytes;
        for len in 0..b.len() {
            // As captured: the header Length no longer matches.
            let e = Message::parse(&b[..len]).expect_err("prefix parsed");
            assert!(
                e.offset <= len,
                "{} frame {}: prefix {len}: offset {}",
                m.file,
                m.frame,
                e.offset
            );
            // With the Length patched to the prefix: the payload parsers see the cut.
            if len >= 28 {
                let mut p = b[..len].to_vec();
                p[24..28].copy_from_slice(&(len as u32).to_be_bytes());
                let e = Message::parse(&p).expect_err("patched prefix parsed");
                assert!(
                    e.offset <= len,
                    "{} frame {}: patched prefix {len}: {e}",
                    m.file,
                    m.frame
                );
            }
            n += 1;
        }
    }
    eprintln!("{n} strict prefixes, all rejected");
    assert!(n > 10_000);
}

/// xorshift64*: deterministic.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
}

/// Patches the header Length to the buffer size (so mutations reach the payloads).
fn fix_len(b: &mut [u8]) {
    if b.len() >= 28 {
        let n = b.len() as u32;
        b[24..28].copy_from_slice(&n.to_be_bytes());
    }
}

#[test]
fn corpus_mutation_fuzz() {
    let Some((msgs, _)) = corpus() else { return };
    let msgs: Vec<&CorpusMsg> = msgs.iter().filter(|m| !m.malformed_file()).collect();
    assert!(!msgs.is_empty());
    let iterations: usize = std::env::var("IKEV2_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let (mut ok, mut err) = (0usize, 0usize);
    for _ in 0..iterations {
        let m = msgs[rng.below(msgs.len())];
        let mut b = m.bytes.clone();
        let rounds = 1 + rng.below(4);
        for _ in 0..rounds {
            match rng.below(7) {
                0 => {
                    let i = rng.below(b.len());
                    b[i] ^= 1 << rng.below(8);
                }
                1 => {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
                2 => {
                    // Small values in length/count-like places are the interesting ones.
                    let i = rng.below(b.len());
                    b[i] = [0, 1, 2, 3, 4, 7, 8, 0x80, 0xff][rng.below(9)];
                }
                3 => {
                    let cut = 28 + rng.below(b.len().saturating_sub(28) + 1);
                    b.truncate(cut);
                }
                4 => {
                    let i = 28 + rng.below(b.len().saturating_sub(28) + 1);
                    let n = 1 + rng.below(8);
                    for _ in 0..n {
                        b.insert(i.min(b.len()), rng.next() as u8);
                    }
                }
                5 => {
                    if b.len() > 29 {
                        let i = 28 + rng.below(b.len() - 28);
                        let n = (1 + rng.below(8)).min(b.len() - i);
                        b.drain(i..i + n);
                    }
                }
                _ => {
                    // Nudge a 16-bit field by ±1..4.
                    if b.len() > 30 {
                        let i = 28 + rng.below(b.len() - 29);
                        let v = u16::from_be_bytes([b[i], b[i + 1]]);
                        let d = 1 + rng.below(4) as u16;
                        let v = if rng.below(2) == 0 {
                            v.wrapping_add(d)
                        } else {
                            v.wrapping_sub(d)
                        };
                        b[i..i + 2].copy_from_slice(&v.to_be_bytes());
                    }
                }
            }
        }
        if rng.below(4) != 0 {
            fix_len(&mut b);
        }
        match Message::parse(&b) {
            Ok(parsed) => {
                let out = parsed.emit();
                let again = Message::parse(&out)
                    .unwrap_or_else(|e| panic!("re-parse failed: {e}\n{}", hex::encode(&b)));
                assert_eq!(again, parsed, "re-parse differs\n{}", hex::encode(&b));
                assert_eq!(out, b, "emit not byte-exact\n{}", hex::encode(&b));
                ok += 1;
            }
            Err(e) => {
                assert!(e.offset <= b.len(), "{e} (len {})", b.len());
                assert!(!e.to_string().is_empty());
                err += 1;
            }
        }
    }
    eprintln!("mutation fuzz: {iterations} mutated messages, {ok} parsed (and re-emitted exactly), {err} rejected");
    assert!(ok > 0 && err > 0);
}

// ---------------------------------------------------------------------------------------------
// Decoded values, as tshark 4.0.17 shows them
// ---------------------------------------------------------------------------------------------

#[test]
fn tshark_ipsec_cap_first_ike_sa_init() {
    // `tshark -r wireshark-wiki/ipsec.cap -V -Y "frame.number==39"` (frames 1–38 aren't IKE).
    let Some((msgs, _)) = corpus() else { return };
    let m = Message::parse(&find(&msgs, "wireshark-wiki/ipsec.cap", 39).bytes).unwrap();
    assert_eq!(m.header.spi_i, 0x70a6_0526_4724_dd4c);
    assert_eq!(m.header.spi_r, 0);
    assert_eq!(m.header.exchange, ExchangeType::IKE_SA_INIT);
    assert_eq!(m.header.flags, 0x08);
    assert!(m.header.initiator() && !m.header.response());
    assert_eq!(m.header.length, 476);
    let types: Vec<u8> = m.payloads.iter().map(|p| p.payload_type.0).collect();
    assert_eq!(types, vec![33, 34, 40, 41, 41]);
    let PayloadBody::Sa(sa) = &m.payloads[0].body else {
        panic!()
    };
    assert_eq!(m.payloads[0].length, 236);
    assert_eq!(sa.proposals.len(), 2);
    let p1 = &sa.proposals[0];
    assert_eq!(
        (p1.proposal_num, p1.protocol_id, p1.spi.len(), p1.length),
        (1, ProtocolId::IKE, 0, 44)
    );
    let ids: Vec<TransformId> = p1.transforms.iter().map(|t| t.transform_id).collect();
    assert_eq!(
        ids,
        vec![
            TransformId::Encr(EncrId(12)),  // ENCR_AES_CBC
            TransformId::Integ(IntegId(2)), // AUTH_HMAC_SHA1_96
            TransformId::Prf(PrfId(2)),     // PRF_HMAC_SHA1
            TransformId::Ke(KeId(2)),       // Alternate 1024-bit MODP group
        ]
    );
    assert_eq!(p1.transforms[0].key_length(), Some(128));
    assert_eq!(p1.transforms[0].attributes[0].value, AttrValue::Tv(128));
    let p2 = &sa.proposals[1];
    assert_eq!(
        (p2.proposal_num, p2.transforms.len(), p2.length),
        (2, 21, 188)
    );
    let keys: Vec<Option<u16>> = p2.transforms[..3].iter().map(|t| t.key_length()).collect();
    assert_eq!(keys, vec![Some(128), Some(192), Some(256)]);
    assert_eq!(p2.transforms[3].transform_id, TransformId::Encr(EncrId(3))); // ENCR_3DES
    let dh: Vec<u16> = p2.transforms[16..]
        .iter()
        .map(|t| t.transform_id.value())
        .collect();
    assert_eq!(dh, vec![14, 5, 2, 16, 18]);
    let PayloadBody::Ke(ke) = &m.payloads[1].body else {
        panic!()
    };
    assert_eq!(ke.group, KeId(2));
    assert_eq!(ke.data.len(), 128);
    assert_eq!(hex::encode(&ke.data[..8]), "99dfc5f3077d3e39");
    let PayloadBody::Nonce(n) = &m.payloads[2].body else {
        panic!()
    };
    assert_eq!(hex::encode(&n.data), "745e0b91d54ac69916e78d407b8aa4cf");
    let PayloadBody::Notify(n) = &m.payloads[3].body else {
        panic!()
    };
    assert_eq!(n.notify_type, NotifyType(16388));
    assert_eq!(
        n.decoded,
        NotifyData::NatDetectionHash(
            hex::decode("ad1dd832ce714000847d531388189c014c7eea0b")
                .unwrap()
                .try_into()
                .unwrap()
        )
    );
    let PayloadBody::Notify(n) = &m.payloads[4].body else {
        panic!()
    };
    assert_eq!(n.notify_type, NotifyType(16389));
    assert_eq!(
        hex::encode(&n.data),
        "01dbf9c57616f41806a36fbe57a100279b326e65"
    );
}

#[test]
fn tshark_scapy_redirect() {
    // `tshark -r scapy/ikev2_notify_redirect.pcap -V`.
    let Some((msgs, _)) = corpus() else { return };
    let m1 = Message::parse(&find(&msgs, "scapy/ikev2_notify_redirect.pcap", 1).bytes).unwrap();
    let PayloadBody::Sa(sa) = &m1.payloads[0].body else {
        panic!()
    };
    let t = &sa.proposals[0].transforms;
    assert_eq!(t[0].transform_id, TransformId::Encr(EncrId(20))); // AES-GCM 16-octet ICV
    assert_eq!(t[0].key_length(), Some(256));
    assert_eq!(t[2].transform_id, TransformId::Ke(KeId(28))); // 256-bit Brainpool
    let decoded: Vec<&NotifyData> = m1
        .payloads
        .iter()
        .filter_map(|p| match &p.body {
            PayloadBody::Notify(n) => Some(&n.decoded),
            _ => None,
        })
        .collect();
    assert_eq!(decoded.len(), 5);
    assert_eq!(*decoded[2], NotifyData::Empty); // IKEV2_FRAGMENTATION_SUPPORTED
    assert_eq!(*decoded[3], NotifyData::Empty); // REDIRECT_SUPPORTED
    assert_eq!(
        *decoded[4],
        NotifyData::SignatureHashAlgorithms(smallvec::smallvec![
            HashAlgorithm(1),
            HashAlgorithm(2),
            HashAlgorithm(3),
            HashAlgorithm(4)
        ])
    );

    let m2 = Message::parse(&find(&msgs, "scapy/ikev2_notify_redirect.pcap", 2).bytes).unwrap();
    assert!(m2.header.response());
    assert_eq!(m2.header.length, 106);
    assert_eq!(m2.payloads.len(), 1);
    assert_eq!(m2.payloads[0].length, 78);
    let PayloadBody::Notify(n) = &m2.payloads[0].body else {
        panic!()
    };
    assert_eq!(
        (n.protocol_id, n.notify_type),
        (ProtocolId::IKE, NotifyType(16407))
    );
    let NotifyData::Redirect {
        gateway_id_type,
        gateway_id_len,
        gateway_id,
        nonce,
    } = &n.decoded
    else {
        panic!("{:?}", n.decoded)
    };
    assert_eq!((*gateway_id_type, *gateway_id_len), (GatewayIdType(3), 28));
    assert_eq!(
        **gateway_id,
        GatewayId::Fqdn("moneybin.duckburg.disney.com".into())
    );
    let nonce = nonce.as_ref().unwrap();
    assert_eq!(nonce.len(), 40);
    assert_eq!(
        hex::encode(nonce),
        "4bf3ea6cd0c6afe702c567fe7db3ff973424bb5e9de6af123a41975a6ffb266e9c5b4c915795132b"
    );

    // Frame 3: REDIRECTED_FROM 10.5.2.52 (01 04 0a050234).
    let m3 = Message::parse(&find(&msgs, "scapy/ikev2_notify_redirect.pcap", 3).bytes).unwrap();
    let from = m3
        .payloads
        .iter()
        .find_map(|p| match &p.body {
            PayloadBody::Notify(n) if n.notify_type == NotifyType(16408) => Some(n.decoded.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        from,
        NotifyData::Redirect {
            gateway_id_type: GatewayIdType(1),
            gateway_id_len: 4,
            gateway_id: Box::new(GatewayId::Ipv4(Ipv4Addr::new(10, 5, 2, 52))),
            nonce: None
        }
    );
    // Frame 4: N(NO_PROPOSAL_CHOSEN), no data.
    let m4 = Message::parse(&find(&msgs, "scapy/ikev2_notify_redirect.pcap", 4).bytes).unwrap();
    let PayloadBody::Notify(n) = &m4.payloads[0].body else {
        panic!()
    };
    assert_eq!(
        (n.notify_type, &n.decoded),
        (NotifyType(14), &NotifyData::Empty)
    );
}

#[test]
fn tshark_strongswan_skf_fragments() {
    // `tshark -r local-strongswan/strongswan-loopback-psk-ikefrag.pcap -Y isakmp.frag`:
    // IKE_AUTH sent as SKF fragments 1..3 and answered with fragments 1..2.
    let Some((msgs, _)) = corpus() else { return };
    let mut seen = Vec::new();
    for m in msgs
        .iter()
        .filter(|m| m.file == "local-strongswan/strongswan-loopback-psk-ikefrag.pcap")
    {
        let parsed = Message::parse(&m.bytes).unwrap();
        for p in &parsed.payloads {
            if let PayloadBody::Skf(f) = &p.body {
                // Only fragment 1 names the first inner payload (IDi / IDr = 35 / 36).
                if f.fragment_number == 1 {
                    assert!(matches!(f.next_payload.0, 35 | 36), "{:?}", f.next_payload);
                } else {
                    assert_eq!(f.next_payload, PayloadType(0));
                }
                seen.push((f.fragment_number, f.total_fragments));
            }
        }
    }
    assert_eq!(seen, vec![(1, 3), (2, 3), (3, 3), (1, 2), (2, 2)]);
}

// ---------------------------------------------------------------------------------------------
// Hand-built messages, one per payload kind
// ---------------------------------------------------------------------------------------------

/// An IKE header (28 bytes) with the given Next Payload, exchange, flags and total Length.
fn header(next: u8, exchange: u8, flags: u8, msg_id: u32, len: u32) -> Vec<u8> {
    let mut h = vec![
        0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, // IKE SA Initiator's SPI
        0, 0, 0, 0, 0, 0, 0, 0,        // IKE SA Responder's SPI
        next,     // Next Payload
        0x20,     // MjVer 2, MnVer 0
        exchange, // Exchange Type
        flags,    // Flags
    ];
    h.extend(msg_id.to_be_bytes()); // Message ID
    h.extend(len.to_be_bytes()); // Length
    h
}

fn roundtrip(bytes: &[u8]) -> Message {
    let m = Message::parse(bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.emit(), bytes, "emit differs");
    m
}

#[test]
fn vector_ike_sa_init_with_notifies_and_vendor_id() {
    let mut b = header(33, 34, 0x08, 0, 0);
    b.extend([
        34, 0, 0, 20, // SA: next KE, length 20
        0, 0, 0, 16, // proposal: last, length 16
        1, 1, 0, 1, // #1, IKE, SPI size 0, 1 transform
        0, 0, 0, 8, // transform: last, length 8
        4, 0, 0, 31, // KE, Curve25519
    ]);
    b.extend([40, 0, 0, 40, 0, 31, 0, 0]); // KE: next Nonce, length 40, group 31, RESERVED
    b.extend([0x77; 32]); // Key Exchange Data
    b.extend([41, 0, 0, 20]); // Nonce: next N, length 20
    b.extend([0x4e; 16]); // Nonce Data
    b.extend([41, 0, 0, 14, 0, 0, 0x40, 0x2f, 0, 2, 0, 3, 0, 4]); // N(SIGNATURE_HASH_ALGORITHMS)
    b.extend([41, 0, 0, 8, 0, 0, 0x40, 0x2e]); // N(IKEV2_FRAGMENTATION_SUPPORTED), no data
    b.extend([43, 0, 0, 10, 0, 0, 0x40, 0x06, 0xc0, 0x01]); // N(COOKIE) 0xc001
    b.extend([0, 0, 0, 12, b'i', b'e', b't', b'f', b'w', b'g', b'!', b'!']); // V, last
    let n = b.len() as u32;
    b[24..28].copy_from_slice(&n.to_be_bytes());
    let m = roundtrip(&b);
    assert_eq!(m.payloads.len(), 7);
    let PayloadBody::Notify(n) = &m.payloads[3].body else {
        panic!()
    };
    assert_eq!(
        n.decoded,
        NotifyData::SignatureHashAlgorithms(smallvec::smallvec![
            HashAlgorithm(2),
            HashAlgorithm(3),
            HashAlgorithm(4)
        ])
    );
    let PayloadBody::Notify(n) = &m.payloads[5].body else {
        panic!()
    };
    assert_eq!(n.decoded, NotifyData::Cookie(vec![0xc0, 0x01]));
    let PayloadBody::VendorId(v) = &m.payloads[6].body else {
        panic!()
    };
    assert_eq!(v.data, b"ietfwg!!");
    // JSON: SPIs as 16 hex digits, byte strings as lowercase hex, snake_case tags.
    let j = serde_json::to_value(&m).unwrap();
    assert_eq!(j["header"]["spi_i"], "0a0b0c0d0e0f1011");
    assert_eq!(j["header"]["spi_r"], "0000000000000000");
    assert_eq!(j["header"]["exchange"]["id"], 34);
    assert_eq!(
        j["payloads"][0]["body"]["sa"]["proposals"][0]["transforms"][0]["transform_id"]["id"],
        31
    );
    assert_eq!(j["payloads"][2]["body"]["nonce"]["data"], "4e".repeat(16));
    assert_eq!(
        j["payloads"][5]["body"]["notify"]["decoded"]["cookie"],
        "c001"
    );
    assert_eq!(
        j["payloads"][6]["body"]["vendor_id"]["data"],
        hex::encode(b"ietfwg!!")
    );
}

#[test]
fn corpus_vendor_ids_recognised() {
    let Some((msgs, _)) = corpus() else { return };
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for m in msgs.iter().filter(|m| !m.malformed_file()) {
        for p in &Message::parse(&m.bytes).unwrap().payloads {
            if let PayloadBody::VendorId(v) = &p.body {
                total += 1;
                *names
                    .entry(v.vendor.unwrap_or("(unknown)").to_string())
                    .or_default() += 1;
            }
        }
    }
    eprintln!("{total} Vendor ID payloads: {names:?}");
    assert!(total > 0);
    assert!(
        names.keys().any(|k| k != "(unknown)"),
        "no Vendor ID recognised: {names:?}"
    );
}

#[test]
fn vector_unencrypted_auth_exchange_every_payload() {
    // An IKE_AUTH-shaped message with every payload in the clear (as a decoder sees after
    // decryption): IDi, CERT, CERTREQ, AUTH (Digital Signature), CP, SA, TSi, TSr, D, EAP.
    let mut b = header(35, 35, 0x08, 1, 0);
    b.extend([37, 0, 0, 17, 2, 0, 0, 0]); // IDi: next CERT, length 17, ID_FQDN, RESERVED
    b.extend(b"gw.test.e"); // Identification Data
    b.extend([38, 0, 0, 9, 4, 0x30, 0x03, 0x02, 0x01]); // CERT: X.509 Signature, junk DER (kept raw)
    b.extend([39, 0, 0, 25, 4]); // CERTREQ: next AUTH, length 25, X.509 Signature
    b.extend([0xca; 20]); // one CA hash
    b.extend([47, 0, 0, 27, 14, 0, 0, 0]); // AUTH: next CP, length 27, Digital Signature
    b.extend([
        15, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05,
        0x00,
    ]); // ASN.1 len + AlgId sha256WithRSA
    b.extend([0x51, 0x52, 0x53]); // Signature Value (shortened)
    b.extend([33, 0, 0, 16, 1, 0, 0, 0]); // CP: next SA, length 16, CFG_REQUEST
    b.extend([0, 1, 0, 0]); // INTERNAL_IP4_ADDRESS, empty
    b.extend([0, 3, 0, 0]); // INTERNAL_IP4_DNS, empty
    b.extend([44, 0, 0, 24]); // SA: next TSi, length 24
    b.extend([0, 0, 0, 20, 1, 3, 4, 1, 0x11, 0x22, 0x33, 0x44]); // proposal: ESP, SPI 11223344, 1 transform
    b.extend([0, 0, 0, 8, 1, 0, 0, 20]); // transform: ENCR_AES_GCM_16 (no key length: kept as is)
    b.extend([45, 0, 0, 24, 1, 0, 0, 0]); // TSi: next TSr, 1 TS
    b.extend([7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 1, 0, 0, 10, 1, 255, 255]); // 10.1.0.0-10.1.255.255
    b.extend([42, 0, 0, 24, 1, 0, 0, 0]); // TSr: next D, 1 TS
    b.extend([7, 17, 0, 16, 0, 53, 0, 53, 10, 2, 0, 1, 10, 2, 0, 1]); // UDP/53 10.2.0.1
    b.extend([48, 0, 0, 12, 3, 4, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd]); // D: next EAP, ESP, 1 SPI
    b.extend([0, 0, 0, 13, 2, 9, 0, 9, 1, b'a', b'l', b'i', b'c']); // EAP Response id 9, Identity "alic"
    let n = b.len() as u32;
    b[24..28].copy_from_slice(&n.to_be_bytes());
    let m = roundtrip(&b);
    let kinds: Vec<&str> = m
        .payloads
        .iter()
        .map(|p| match &p.body {
            PayloadBody::Id(_) => "id",
            PayloadBody::Cert(_) => "cert",
            PayloadBody::CertReq(_) => "certreq",
            PayloadBody::Auth(_) => "auth",
            PayloadBody::Cp(_) => "cp",
            PayloadBody::Sa(_) => "sa",
            PayloadBody::Ts(_) => "ts",
            PayloadBody::Delete(_) => "delete",
            PayloadBody::Eap(_) => "eap",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["id", "cert", "certreq", "auth", "cp", "sa", "ts", "ts", "delete", "eap"]
    );
    let PayloadBody::Id(id) = &m.payloads[0].body else {
        panic!()
    };
    assert_eq!(id.value, IdValue::Fqdn("gw.test.e".into()));
    let PayloadBody::Auth(a) = &m.payloads[3].body else {
        panic!()
    };
    let Some(SignatureInfo::Decoded(ds)) = &a.signature else {
        panic!()
    };
    assert_eq!(ds.algorithm, Some("sha256WithRSAEncryption"));
    let PayloadBody::Ts(tsr) = &m.payloads[7].body else {
        panic!()
    };
    assert!(matches!(
        tsr.selectors[0],
        TrafficSelector::Ipv4Range {
            ip_protocol: 17,
            start_port: 53,
            ..
        }
    ));
    let PayloadBody::Eap(e) = &m.payloads[9].body else {
        panic!()
    };
    assert_eq!(
        (e.identifier, e.length, e.type_data.as_slice()),
        (9, 9, &b"alic"[..])
    );
}

#[test]
fn vector_sk_skf_and_puzzle() {
    // IKE_AUTH with SK: Next Payload names the first inner payload (IDi); nothing may follow.
    let mut b = header(46, 35, 0x08, 1, 0);
    b.extend([35, 0, 0, 24]); // SK: inner first = IDi, length 24
    b.extend([0x11; 16]); // IV (AES-CBC)
    b.extend([0x22; 4]); // ciphertext + ICV (shortened)
    let n = b.len() as u32;
    b[24..28].copy_from_slice(&n.to_be_bytes());
    let m = roundtrip(&b);
    let PayloadBody::Sk(sk) = &m.payloads[0].body else {
        panic!()
    };
    assert_eq!((sk.next_payload, sk.data.len()), (PayloadType(35), 20));
    // Append a Nonce after the SK: rejected, pointing at the byte after SK.
    let mut bad = b.clone();
    bad.extend([0, 0, 0, 4]);
    let l = bad.len() as u32;
    bad[24..28].copy_from_slice(&l.to_be_bytes());
    let e = Message::parse(&bad).unwrap_err();
    assert_eq!(
        (e.offset, e.path.clone()),
        (52, vec!["SK payload #1".to_string()])
    );

    // SKF (RFC 7383): fragment 2 of 3, Next Payload 0.
    let mut b = header(53, 35, 0x08, 1, 0);
    b.extend([0, 0, 0, 16]); // SKF: next 0 (not the first fragment), length 16
    b.extend([0, 2, 0, 3]); // Fragment Number 2, Total Fragments 3
    b.extend([0x33; 8]); // IV + encrypted fragment + ICV (shortened)
    let n = b.len() as u32;
    b[24..28].copy_from_slice(&n.to_be_bytes());
    let m = roundtrip(&b);
    let PayloadBody::Skf(f) = &m.payloads[0].body else {
        panic!()
    };
    assert_eq!(
        (f.fragment_number, f.total_fragments, f.next_payload),
        (2, 3, PayloadType(0))
    );

    // IKE_SA_INIT request with a Puzzle Solution (RFC 8019 §7.1.2): N(COOKIE), PS.
    let mut b = header(41, 34, 0x08, 0, 0);
    b.extend([54, 0, 0, 12, 0, 0, 0x40, 0x06, 0xc0, 0x0c, 0x1e, 0x01]); // N(COOKIE), next PS
    b.extend([0, 0, 0, 20]); // PS: last, length 20
    b.extend([0x5e; 16]); // Puzzle Solution Data (a 128-bit key)
    let n = b.len() as u32;
    b[24..28].copy_from_slice(&n.to_be_bytes());
    let m = roundtrip(&b);
    let PayloadBody::Puzzle(ps) = &m.payloads[1].body else {
        panic!()
    };
    assert_eq!(ps.data, vec![0x5e; 16]);

    // N(PUZZLE) in the response: PRF_HMAC_SHA2_256, difficulty 18.
    let mut b = header(41, 34, 0x20, 0, 0);
    b.extend([0, 0, 0, 11, 0, 0, 0x40, 0x32, 0, 5, 18]); // N(PUZZLE)
    let n = b.len() as u32;
    b[24..28].copy_from_slice(&n.to_be_bytes());
    let m = roundtrip(&b);
    let PayloadBody::Notify(n) = &m.payloads[0].body else {
        panic!()
    };
    assert_eq!(
        n.decoded,
        NotifyData::Puzzle {
            prf: PrfId(5),
            difficulty: 18
        }
    );
}

#[test]
fn vector_structural_errors_name_field_offset_and_path() {
    // A chain whose last payload still names a next one: truncated at the missing payload.
    let mut b = header(40, 37, 0x08, 2, 36);
    b.extend([41, 0, 0, 8, 1, 2, 3, 4]); // Nonce saying "next: N", but the message ends
    let e = Message::parse(&b).unwrap_err();
    assert_eq!(
        (e.field, e.offset, e.path.clone()),
        ("payload header", 36, vec!["N payload #2".to_string()])
    );
    // Payload Length 3.
    let mut b = header(40, 37, 0x08, 2, 32);
    b.extend([0, 0, 0, 3]);
    let e = Message::parse(&b).unwrap_err();
    assert_eq!((e.field, e.offset), ("Payload Length", 30));
    assert_eq!(e.path, vec!["Nonce payload #1".to_string()]);
    assert!(e.to_string().contains("Nonce payload #1"), "{e}");
    // Transform inside SA with a bad Last Substruc.
    let mut b = header(33, 34, 0x08, 0, 48);
    b.extend([
        0, 0, 0, 20, 0, 0, 0, 16, 1, 1, 0, 1, 9, 0, 0, 8, 4, 0, 0, 31,
    ]);
    let e = Message::parse(&b).unwrap_err();
    assert_eq!((e.field, e.offset), ("Last Substruc", 40));
    assert_eq!(e.path, vec!["SA payload #1", "proposal #1", "transform #1"]);
    // Trailing bytes past the header Length.
    let mut b = header(0, 37, 0x08, 2, 28);
    b.push(0);
    assert_eq!(Message::parse(&b).unwrap_err().field, "Length");
    // Empty INFORMATIONAL (no payloads) is fine.
    let b = header(0, 37, 0x20, 2, 28);
    assert!(roundtrip(&b).payloads.is_empty());
}

/// The project's own strongSwan recordings (pcaps/ikev2): every message parses and emits to
/// the same bytes.
#[test]
fn project_captures_roundtrip_byte_exact() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2");
    let mut files = Vec::new();
    capture_files(&dir, &mut files);
    assert!(
        files.len() >= 13,
        "expected the 13 recordings, found {}",
        files.len()
    );
    let mut n = 0usize;
    for f in &files {
        let (msgs, _) = extract_file(&dir, f);
        assert!(!msgs.is_empty(), "{}: no IKE messages", f.display());
        for m in msgs {
            let parsed = Message::parse(&m.bytes)
                .unwrap_or_else(|e| panic!("{} frame {}: {e}", m.file, m.frame));
            assert_eq!(parsed.emit(), m.bytes, "{} frame {}", m.file, m.frame);
            n += 1;
        }
    }
    eprintln!("{n} messages of pcaps/ikev2 round-trip byte-exactly");
    assert!(n >= 90, "only {n} messages");
}
