//! Decoding beyond RFC 4944/6282: Neighbor Discovery and 6LoWPAN-ND options (RFC 4861, 6775,
//! 8505) in ICMPv6, context learning from 6CO options, RFC 8138 6LoRHs applied, and RFC 8931
//! RFRAG reassembly — through [`lowpan::Decoder`].
//!
//! Corpus frames are read from `shared/corpus/6lo` at test time (their bytes are not copied
//! here); the expected values are what TShark 4.0.17 shows for them (`tshark -r F -V`). When
//! the corpus is absent those tests print a notice and pass, unless `CI=true`. The other vectors
//! are built here, one comment per field.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::net::Ipv6Addr;
use std::path::Path;

use ietfwg_6lo::ipv6::{self, Summary, Upper};
use ietfwg_6lo::lowpan::{Decoder, LearnedContext, RfragAckInfo};
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::nd::{NdBody, NdMessage, NdOption};
use ietfwg_6lo::reassembly::{IncompleteReason, Limits};
use ietfwg_6lo::sixlorh::{OuterHeader, RplOption};
use ietfwg_6lo::{ContextTable, Error, ErrorKind, LinkAddr};
use ietfwg_test_support::shared;

fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn ext(s: &str) -> LinkAddr {
    s.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Corpus: ND in the ETSI 6LoWPAN interop captures (link type 230, no FCS)
// ---------------------------------------------------------------------------------------------

/// The frames of a classic pcap of link type 230 (802.15.4, no FCS) or 195 (FCS).
fn frames(path: &Path) -> (FcsMode, Vec<Vec<u8>>) {
    let data = std::fs::read(path).unwrap();
    let (mut rest, header) = pcap_parser::parse_pcap_header(&data).unwrap();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (r, b) = if header.is_bigendian() {
            pcap_parser::parse_pcap_frame_be(rest)
        } else {
            pcap_parser::parse_pcap_frame(rest)
        }
        .unwrap();
        out.push(b.data.to_vec());
        rest = r;
    }
    let fcs = match header.network.0 {
        230 => FcsMode::None,
        195 => FcsMode::Crc16,
        other => panic!("{}: link type {other}", path.display()),
    };
    (fcs, out)
}

/// Each frame's ND message (and error), decoded in order.
fn nd_of(file: &str) -> Option<Vec<(Option<NdMessage>, Option<Error>)>> {
    let dir = shared::corpus("6lo")?;
    let (fcs, frames) = frames(&dir.join(file));
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    Some(
        frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let r = dec.decode_frame(f, fcs, i as u64 + 1, 0);
                assert!(r.error.is_none(), "{file} frame {}: {:?}", i + 1, r.error);
                let s = r
                    .datagram
                    .as_ref()
                    .and_then(|d| d.ipv6.as_ref())
                    .expect("IPv6");
                match &s.upper {
                    Upper::Icmpv6 {
                        nd,
                        nd_error,
                        checksum_ok,
                        ..
                    } => {
                        assert_eq!(*checksum_ok, Some(true), "{file} frame {}", i + 1);
                        (nd.as_deref().cloned(), nd_error.clone())
                    }
                    other => panic!("{file} frame {}: {other:?}", i + 1),
                }
            })
            .collect(),
    )
}

fn sllao(addr: LinkAddr, data: &str) -> ietfwg_6lo::nd::LinkLayerAddress {
    ietfwg_6lo::nd::LinkLayerAddress {
        address: Some(addr),
        data: hex::decode(data).unwrap(),
    }
}

/// tshark: NS / NA (two TLLAOs: EUI-64 and 16-bit) / RS / RA (PIO, SLLAO, ABRO).
#[test]
fn corpus_nd_02_ns_na_rs_ra() {
    let Some(v) = nd_of("TD_6LOWPAN_ND_02.pcap") else {
        return;
    };
    assert_eq!(v.len(), 4);
    assert!(v.iter().all(|(_, e)| e.is_none()));
    let m: Vec<NdMessage> = v.into_iter().map(|(m, _)| m.unwrap()).collect();
    // Frame 1: Target fe80::23:ff:fe00:ab, SLLAO 18:c0:ff:ee:1a:c0:ff:bb (Length 2).
    assert_eq!(
        m[0].body,
        NdBody::NeighborSolicitation {
            target: a("fe80::23:ff:fe00:ab")
        }
    );
    assert_eq!(
        m[0].options,
        vec![NdOption::SourceLinkLayerAddress(sllao(
            ext("18:c0:ff:ee:1a:c0:ff:bb"),
            "18c0ffee1ac0ffbb000000000000"
        ))]
    );
    // Frame 2: Flags 0xe0000000 (R, S, O); TLLAO 18:c0:ff:ee:1a:c0:ff:aa and, Length 1,
    // "00:ab:00:00:00:00" — the 16-bit address 0x00ab padded (RFC 4944 §8).
    assert_eq!(
        m[1].body,
        NdBody::NeighborAdvertisement {
            router: true,
            solicited: true,
            override_: true,
            target: a("fe80::23:ff:fe00:ab")
        }
    );
    assert_eq!(
        m[1].options,
        vec![
            NdOption::TargetLinkLayerAddress(sllao(
                ext("18:c0:ff:ee:1a:c0:ff:aa"),
                "18c0ffee1ac0ffaa000000000000"
            )),
            NdOption::TargetLinkLayerAddress(sllao(LinkAddr::Short(0x00ab), "00ab00000000")),
        ]
    );
    // Frame 3: RS, no option.
    assert_eq!(m[2].body, NdBody::RouterSolicitation);
    assert!(m[2].options.is_empty());
    // Frame 4: Cur hop limit 255, flags 0x00 (Prf medium), Router lifetime 1800, Reachable 0,
    // Retrans 0; PIO fdaa:bb:cc:dd::/64 flags 0x60 (A, R), valid 86400, preferred 14400;
    // SLLAO 18:c0:ff:ee:1a:c0:ff:aa; ABRO Version Low 2560, Version 512, Valid Lifetime 512,
    // 6LBR fe80::1ac0:ffee:1ac0:ffaa.
    assert_eq!(
        m[3].body,
        NdBody::RouterAdvertisement {
            cur_hop_limit: 255,
            managed: false,
            other: false,
            home_agent: false,
            preference: 0,
            proxy: false,
            router_lifetime: 1800,
            reachable_time: 0,
            retrans_timer: 0
        }
    );
    assert_eq!(
        m[3].options,
        vec![
            NdOption::PrefixInformation {
                prefix_length: 64,
                on_link: false,
                autonomous: true,
                router_address: true,
                valid_lifetime: 86400,
                preferred_lifetime: 14400,
                prefix: a("fdaa:bb:cc:dd::")
            },
            NdOption::SourceLinkLayerAddress(sllao(
                ext("18:c0:ff:ee:1a:c0:ff:aa"),
                "18c0ffee1ac0ffaa000000000000"
            )),
            NdOption::AuthoritativeBorderRouter {
                version_low: 2560,
                version_high: 512,
                version: 512 << 16 | 2560,
                valid_lifetime: 512,
                border_router: a("fe80::1ac0:ffee:1ac0:ffaa")
            }
        ]
    );
}

/// tshark frame 1: NS with two SLLAOs, 18:c0:ff:ee:1a:c0:ff:bb and "00:cd:00:00:00:00".
#[test]
fn corpus_nd_04_ns_with_short_sllao() {
    let Some(v) = nd_of("TD_6LOWPAN_ND_04.pcap") else {
        return;
    };
    let m = v[0].0.clone().unwrap();
    assert_eq!(
        m.options[1],
        NdOption::SourceLinkLayerAddress(sllao(LinkAddr::Short(0x00cd), "00cd00000000"))
    );
    assert_eq!(v.len(), 4);
    assert!(matches!(
        v[3].0.as_ref().unwrap().options[2],
        NdOption::AuthoritativeBorderRouter { .. }
    ));
}

/// tshark marks frame 13's RS "[Malformed Packet]": its SLLAO (Length 2) runs past the
/// message. The summary stands; the option is an `nd_error` naming the byte.
#[test]
fn corpus_malformed_rs_option_is_an_nd_error() {
    let Some(dir) = shared::corpus("6lo") else {
        return;
    };
    let (fcs, frames) = frames(&dir.join("6lowpan_dissector_enourmously_big_trace.pcap"));
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    let mut r = None;
    for (i, f) in frames.iter().take(13).enumerate() {
        r = Some(dec.decode_frame(f, fcs, i as u64 + 1, 0).datagram);
    }
    let d = r.flatten().expect("frame 13 datagram");
    match &d.ipv6.as_ref().unwrap().upper {
        Upper::Icmpv6 {
            type_: 133,
            nd: Some(m),
            nd_error: Some(e),
            ..
        } => match e.kind() {
            ErrorKind::Truncated {
                field,
                needed,
                available,
                ..
            } => {
                assert_eq!(m.body, NdBody::RouterSolicitation);
                assert_eq!((*field, *needed, *available), ("ND option body", 14, 12));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Context learning (RFC 6775 §4.2, §7.2)
// ---------------------------------------------------------------------------------------------

/// 0x41 + an uncompressed RA from fe80::1 to ff02::1 carrying one 6CO.
fn ra_with_6co(ctx_len: u8, flags: u8, lifetime_min: u16, prefix: [u8; 8]) -> Vec<u8> {
    let src = a("fe80::1");
    let dst = a("ff02::1");
    let mut icmp = vec![
        134, 0, 0, 0, // type RA, code 0, checksum (filled below)
        64, 0, // Cur Hop Limit 64, flags 0
        0x07, 0x08, // Router Lifetime 1800
        0, 0, 0, 0, // Reachable Time
        0, 0, 0, 0, // Retrans Timer
        34, 2, ctx_len, flags, // 6CO, Length 2, Context Length, Res|C|CID
        0, 0, // reserved
    ];
    icmp.extend_from_slice(&lifetime_min.to_be_bytes()); // Valid Lifetime (minutes)
    icmp.extend_from_slice(&prefix); // Context Prefix (64 bits)
    let c = ipv6::upper_layer_checksum(&src, &dst, 58, &icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut d = vec![0x41]; // uncompressed IPv6 dispatch
    d.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, TC 0, flow 0
    d.extend_from_slice(&(icmp.len() as u16).to_be_bytes()); // Payload Length
    d.extend_from_slice(&[58, 255]); // Next Header ICMPv6, Hop Limit 255
    d.extend_from_slice(&src.octets());
    d.extend_from_slice(&dst.octets());
    d.extend_from_slice(&icmp);
    d
}

/// IPHC: TF=11 NH=0 HLIM=11 | CID=1 SAC=1 SAM=11 M=0 DAC=0 DAM=11; SCI=1 DCI=0; Next Header 59.
const IPHC_CTX1: [u8; 4] = [0x7b, 0xf3, 0x10, 0x3b];

#[test]
fn contexts_are_learnt_from_6co_and_withdrawn() {
    let (s1, s2) = (LinkAddr::Short(0x0001), LinkAddr::Short(0x0002));
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    dec.set_learn_contexts(true);
    assert!(dec.learns_contexts());
    // Context 1 unknown: the IPHC frame fails.
    let r = dec.decode_payload(&IPHC_CTX1, s1, s2, 1, 0);
    assert!(r.error.is_some());
    // RA: 6CO 2001:db8:1::/48, C=1, CID=1, lifetime 60 minutes; the prefix field's bits past
    // the context length (0xffff) are not part of the context.
    let ra = ra_with_6co(48, 0x11, 60, [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0xff, 0xff]);
    let r = dec.decode_payload(&ra, s1, s2, 2, 0);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(
        r.learned_contexts,
        vec![LearnedContext {
            cid: 1,
            prefix: a("2001:db8:1::"),
            length: 48,
            compression: true,
            valid_lifetime: 60,
            removed: false
        }]
    );
    assert_eq!(
        dec.contexts().get(1).unwrap().to_string(),
        "2001:db8:1::/48"
    );
    // Now the IPHC frame decodes, its source from context 1 + the link address.
    let r = dec.decode_payload(&IPHC_CTX1, s1, s2, 3, 0);
    let s = r.datagram.unwrap().ipv6.unwrap();
    assert_eq!(s.src, a("2001:db8:1::ff:fe00:1"));
    // C=0: still used for decompression (RFC 6775 §4.2), reported as such.
    let ra = ra_with_6co(48, 0x01, 5, [0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0]);
    let r = dec.decode_payload(&ra, s1, s2, 4, 0);
    assert!(!r.learned_contexts[0].compression);
    assert_eq!(
        dec.contexts().get(1).unwrap().to_string(),
        "2001:db8:2::/48"
    );
    // Lifetime 0 withdraws it (RFC 6775 §7.2).
    let ra = ra_with_6co(64, 0x11, 0, [0; 8]);
    let r = dec.decode_payload(&ra, s1, s2, 5, 0);
    assert!(r.learned_contexts[0].removed);
    assert!(dec.contexts().get(1).is_none());
    assert!(dec.decode_payload(&IPHC_CTX1, s1, s2, 6, 0).error.is_some());
    // Learning off: a 6CO changes nothing.
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    let ra = ra_with_6co(64, 0x11, 60, [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0]);
    let r = dec.decode_payload(&ra, s1, s2, 1, 0);
    assert!(r.learned_contexts.is_empty());
    assert!(dec.contexts().get(1).is_none());
    // The RA itself shows the option either way.
    match &r.datagram.unwrap().ipv6.unwrap().upper {
        Upper::Icmpv6 { nd: Some(m), .. } => assert_eq!(m.contexts().count(), 1),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 8138 6LoRH applied
// ---------------------------------------------------------------------------------------------

/// IPHC + NHC UDP with the checksum elided, fe80::ff:fe00:1 -> fe80::ff:fe00:2 (from the link
/// addresses 0x0001 -> 0x0002), ports 0xf0b1 -> 0xf0b2, payload "hi".
const IPHC_UDP: [u8; 6] = [
    0x7e, // 011 TF=11 NH=1 HLIM=10 (64)
    0x33, // CID=0 SAC=0 SAM=11 M=0 DAC=0 DAM=11
    0xf7, // NHC UDP 11110 C=1 P=11
    0x12, // ports 0xf0b1, 0xf0b2
    b'h', b'i',
];

/// Page 1: IP-in-IP (root elided, hop limit 63), SRH-6LoRH of two 2-octet hops, RPI, then
/// [`IPHC_UDP`]: the RPL root sending down a source route (RFC 8138 §8, non-storing mode).
fn root_down() -> Vec<u8> {
    let mut v = vec![
        0xf1, // page 1
        0xa1, 0x06, 0x3f, // elective 6LoRH, Length 1, type 6 IP-in-IP; hop limit 63
        0x81, 0x01, // critical, Size 1 (2 hops), type 1 (2-octet addresses)
        0x00, 0x11, // hop 1 = root with its last 2 octets replaced
        0x00, 0x22, // hop 2 = hop 1 with its last 2 octets replaced
        0x80, 0x05, // critical, TSE O0 R0 F0 I0 K0, type 5 RPI
        0x1e, // RPLInstanceID 30
        0x01, 0x00, // SenderRank 256
    ];
    v.extend_from_slice(&IPHC_UDP);
    v
}

fn inner_udp_ok(s: &Summary) -> Summary {
    let Upper::Ipv6(inner) = &s.upper else {
        panic!("{s:?}")
    };
    assert_eq!(
        (inner.src, inner.dst),
        (a("fe80::ff:fe00:1"), a("fe80::ff:fe00:2"))
    );
    match inner.upper {
        Upper::Udp {
            src_port: 0xf0b1,
            dst_port: 0xf0b2,
            length: 10,
            checksum_ok: Some(true),
            ..
        } => {}
        ref other => panic!("{other:?}"),
    }
    (**inner).clone()
}

#[test]
fn sixlorh_root_down_unfragmented() {
    let root = a("2001:db8::1");
    let (s1, s2) = (LinkAddr::Short(0x0001), LinkAddr::Short(0x0002));
    // Without the root address the 6LoRHs cannot be applied: the inner datagram alone.
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    let r = dec.decode_payload(&root_down(), s1, s2, 1, 0);
    let l = r.lowpan.as_ref().unwrap();
    assert!(l.sixlorh.is_none());
    assert_eq!(l.sixlorh_error.as_ref().unwrap().offset(), 1);
    assert_eq!(r.datagram.unwrap().length, 40 + 10);
    // With it: outer header, HbH(RPL Option), RH3, inner datagram.
    dec.set_rpl_root(Some(root));
    assert_eq!(dec.rpl_root(), Some(root));
    let r = dec.decode_payload(&root_down(), s1, s2, 2, 0);
    assert!(r.error.is_none(), "{:?}", r.error);
    let l = r.lowpan.as_ref().unwrap();
    let x = l.sixlorh.as_ref().unwrap();
    assert_eq!(
        x.outer,
        Some(OuterHeader {
            src: root,
            dst: a("2001:db8::11"),
            hop_limit: 63,
            encapsulator_elided: true
        })
    );
    assert_eq!(
        x.rpl_option,
        Some(RplOption {
            down: false,
            rank_error: false,
            forwarding_error: false,
            instance_id: 30,
            sender_rank: 256
        })
    );
    assert_eq!(x.source_route, vec![a("2001:db8::11"), a("2001:db8::22")]);
    let d = r.datagram.as_ref().unwrap();
    assert_eq!(d.length, 40 + 8 + 24 + 40 + 10);
    assert!(d.checksum_recomputed);
    let s = d.ipv6.as_ref().unwrap();
    assert_eq!(
        (s.src, s.dst, s.hop_limit, s.next_header),
        (root, a("2001:db8::11"), 63, 0)
    );
    assert_eq!(s.payload_length, 8 + 24 + 40 + 10);
    assert_eq!(s.ext_headers, vec![(0, 8), (43, 24)]);
    // RPL Option bytes and the RH3's one remaining address, as RFC 6553 / RFC 6554 lay them out.
    assert_eq!(&d.bytes[40..48], &[43, 0, 0x63, 4, 0x00, 30, 0x01, 0x00]);
    assert_eq!(&d.bytes[48..52], &[41, 2, 3, 1]);
    assert_eq!(&d.bytes[56..72], &a("2001:db8::22").octets());
    inner_udp_ok(s);
}

#[test]
fn sixlorh_in_rfc4944_fragments() {
    // The same datagram, 40+8+24+40+10 = 122 octets, in a FRAG1 + FRAGN: the FRAG1 carries
    // the 6LoRHs, the IPHC and "h"; the FRAGN the last octet at offset 120 (15 x 8).
    let root = a("2001:db8::1");
    let (s1, s2) = (LinkAddr::Short(0x0001), LinkAddr::Short(0x0002));
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    dec.set_rpl_root(Some(root));
    let mut f1 = vec![0xc0, 122, 0x00, 0x07]; // FRAG1 size 122 tag 7
    let body = root_down();
    f1.extend_from_slice(&body[..body.len() - 1]); // up to "h"
                                                   // 122 - 1 ("i") = 121 octets in the FRAG1 is not a multiple of 8; put "hi" in the FRAGN.
    f1.pop();
    let f2 = [0xe0, 122, 0x00, 0x07, 15, b'h', b'i']; // FRAGN offset 15*8=120
    let r = dec.decode_payload(&f1, s1, s2, 1, 0);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.lowpan.unwrap().fragment.unwrap().len, 120);
    let r = dec.decode_payload(&f2, s1, s2, 2, 0);
    let d = r.datagram.expect("reassembled");
    assert_eq!(d.frames, vec![1, 2]);
    let s = d.ipv6.unwrap();
    assert_eq!(s.payload_length, 82);
    inner_udp_ok(&s);
}

#[test]
fn rpi_without_ip_in_ip_is_a_hop_by_hop_header() {
    let (s1, s2) = (LinkAddr::Short(0x0001), LinkAddr::Short(0x0002));
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    let mut v = vec![
        0xf1, // page 1
        0x93, 0x05, // critical, TSE O1 R0 F0 I1 K1, type 5 RPI
        0x02, // SenderRank octet 2 (K=1): rank 512
    ];
    v.extend_from_slice(&IPHC_UDP);
    let r = dec.decode_payload(&v, s1, s2, 1, 0);
    let d = r.datagram.unwrap();
    let s = d.ipv6.unwrap();
    assert_eq!(s.ext_headers, vec![(0, 8)]);
    assert_eq!(&d.bytes[40..48], &[17, 0, 0x63, 4, 0x80, 0, 0x02, 0x00]);
    assert!(matches!(
        s.upper,
        Upper::Udp {
            checksum_ok: Some(true),
            ..
        }
    ));
}

// ---------------------------------------------------------------------------------------------
// RFC 8931 RFRAG
// ---------------------------------------------------------------------------------------------

/// The compressed datagram: IPHC + NHC UDP (checksum elided) + 100 octets of payload.
fn compressed() -> Vec<u8> {
    let mut v = IPHC_UDP[..4].to_vec();
    v.extend((0..100u8).map(|i| i.wrapping_mul(7)));
    v
}

/// An RFRAG: E=0, tag, X, sequence, Fragment_Size = data.len(), Offset / Datagram_Size.
fn rfrag(tag: u8, ack: bool, seq: u8, last: u16, data: &[u8]) -> Vec<u8> {
    let w = u16::from(ack) << 15 | u16::from(seq) << 10 | data.len() as u16;
    let mut v = vec![0xe8, tag]; // RFRAG dispatch 1110100 E=0, Datagram_Tag
    v.extend_from_slice(&w.to_be_bytes()); // X | Sequence | Fragment_Size
    v.extend_from_slice(&last.to_be_bytes()); // Datagram_Size (seq 0) / Fragment_Offset
    v.extend_from_slice(data);
    v
}

#[test]
fn rfrag_out_of_order_with_duplicate() {
    let (s1, s2) = (LinkAddr::Short(0x0001), LinkAddr::Short(0x0002));
    let c = compressed(); // 104 octets
    let whole = {
        let mut dec = Decoder::new(ContextTable::new(), Limits::default());
        dec.decode_payload(&c, s1, s2, 1, 0).datagram.unwrap()
    };
    let f0 = rfrag(9, true, 0, 104, &c[..40]); // first: Datagram_Size 104
    let f1 = rfrag(9, false, 1, 40, &c[40..80]);
    let f2 = rfrag(9, true, 2, 80, &c[80..]);
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    // Last, then middle, then middle again (duplicate), then the first.
    let r = dec.decode_payload(&f2, s1, s2, 1, 0);
    let i = r.lowpan.unwrap().rfrag.unwrap();
    assert_eq!(
        (i.sequence, i.offset, i.len, i.datagram_size, i.ack_request),
        (2, 80, 24, None, true)
    );
    assert!(r.datagram.is_none() && r.error.is_none());
    assert!(dec.decode_payload(&f1, s1, s2, 2, 0).datagram.is_none());
    assert!(dec.decode_payload(&f1, s1, s2, 3, 0).datagram.is_none());
    assert_eq!(dec.in_flight(), 1);
    let r = dec.decode_payload(&f0, s1, s2, 4, 0);
    assert!(r.error.is_none(), "{:?}", r.error);
    let i = r.lowpan.as_ref().unwrap().rfrag.clone().unwrap();
    assert!(i.completes);
    assert_eq!(i.datagram_size, Some(104));
    let d = r.datagram.unwrap();
    assert_eq!(d.frames, vec![1, 2, 3, 4]);
    assert_eq!(d.bytes, whole.bytes, "same as the unfragmented decode");
    assert_eq!(d.length, 40 + 8 + 100);
    assert!(matches!(
        d.ipv6.unwrap().upper,
        Upper::Udp {
            length: 108,
            checksum_ok: Some(true),
            ..
        }
    ));
    assert_eq!(dec.in_flight(), 0);
}

#[test]
fn rfrag_missing_abort_conflict_and_ack() {
    let (s1, s2) = (LinkAddr::Short(0x0001), LinkAddr::Short(0x0002));
    let c = compressed();
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    // Missing middle fragment: reported at the end, in compressed bytes.
    dec.decode_payload(&rfrag(1, false, 0, 104, &c[..40]), s1, s2, 1, 0);
    dec.decode_payload(&rfrag(1, false, 2, 80, &c[80..]), s1, s2, 2, 0);
    // Without the first fragment the size is a lower bound.
    dec.decode_payload(&rfrag(2, false, 1, 50, &c[50..60]), s1, s2, 3, 0);
    // An abort (Fragment_Offset 0 in a non-first fragment) drops tag 3.
    dec.decode_payload(&rfrag(3, false, 0, 104, &c[..40]), s1, s2, 4, 0);
    let r = dec.decode_payload(&rfrag(3, false, 1, 0, &[]), s1, s2, 5, 0);
    assert!(r.lowpan.unwrap().rfrag.unwrap().abort);
    assert!(r.note.unwrap().contains("abort"));
    // A fragment that disagrees with an earlier one drops tag 4, naming both frames.
    dec.decode_payload(&rfrag(4, false, 1, 40, &c[40..80]), s1, s2, 6, 0);
    let mut bad = c[60..80].to_vec();
    bad[3] ^= 0xff;
    let r = dec.decode_payload(&rfrag(4, false, 2, 60, &bad), s1, s2, 7, 0);
    let e = r.error.unwrap();
    assert!(
        e.to_string().contains("frame 7: disagrees with frame 6"),
        "{e}"
    );
    // A fragment longer than the frame: truncated.
    let mut short = rfrag(5, false, 1, 8, &[1, 2, 3, 4]);
    short.truncate(short.len() - 2);
    let e = dec.decode_payload(&short, s1, s2, 8, 0).error.unwrap();
    assert!(matches!(
        e.kind(),
        ErrorKind::Truncated {
            field: "RFRAG fragment",
            offset: 6,
            needed: 4,
            available: 2,
            ..
        }
    ));
    // RFRAG-ACK: bitmap 0xd0000000 acknowledges sequences 0, 1 and 3.
    let r = dec.decode_payload(&[0xea, 1, 0xd0, 0, 0, 0], s2, s1, 9, 0);
    assert_eq!(
        r.lowpan.unwrap().rfrag_ack,
        Some(RfragAckInfo {
            datagram_tag: 1,
            acknowledged: vec![0, 1, 3],
            null: false,
            full: false
        })
    );
    assert!(r.note.unwrap().contains("[0, 1, 3]"));
    let left = dec.finish();
    let got: Vec<_> = left
        .iter()
        .map(|i| {
            (
                i.key.tag,
                i.key.size,
                i.received,
                i.frames.clone(),
                i.reason,
                i.recoverable,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 104, 64, vec![1, 2], IncompleteReason::EndOfCapture, true),
            (2, 60, 10, vec![3], IncompleteReason::EndOfCapture, true),
        ]
    );
}

#[test]
fn rfrag_null_ack_aborts_and_expiry() {
    let (s1, s2) = (LinkAddr::Short(0x0001), LinkAddr::Short(0x0002));
    let c = compressed();
    let mut dec = Decoder::new(
        ContextTable::new(),
        Limits {
            timeout_nanos: 1_000,
            ..Limits::default()
        },
    );
    dec.decode_payload(&rfrag(1, true, 0, 104, &c[..40]), s1, s2, 1, 0);
    // The receiver (s2) answers with a NULL bitmap: the datagram is aborted.
    let r = dec.decode_payload(&[0xea, 1, 0, 0, 0, 0], s2, s1, 2, 0);
    assert!(r.lowpan.unwrap().rfrag_ack.unwrap().null);
    assert_eq!(dec.in_flight(), 0);
    // Expiry: a fragment older than the timeout is given up.
    dec.decode_payload(&rfrag(2, false, 0, 104, &c[..40]), s1, s2, 3, 0);
    dec.decode_payload(&rfrag(3, false, 0, 104, &c[..40]), s1, s2, 4, 5_000);
    let gone = dec.take_expired();
    assert_eq!(gone.len(), 1);
    assert_eq!(
        (gone[0].key.tag, gone[0].reason, gone[0].recoverable),
        (2, IncompleteReason::Expired, true)
    );
}

#[test]
fn sixlorh_inside_rfrag() {
    // RFRAG first fragment carrying page 1 6LoRHs then IPHC: 6LoRH + IPHC + UDP = the
    // `root_down` bytes after the page switch (a page switch before the RFRAG applies to it).
    let root = a("2001:db8::1");
    let (s1, s2) = (LinkAddr::Short(0x0001), LinkAddr::Short(0x0002));
    let body = root_down();
    let comp = &body[1..]; // without the page switch
    let n = comp.len();
    let mut f0 = vec![0xf1]; // page 1
    f0.extend(rfrag(5, false, 0, n as u16, &comp[..n - 1]));
    let f1 = rfrag(5, false, 1, (n - 1) as u16, &comp[n - 1..]);
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    dec.set_rpl_root(Some(root));
    assert!(dec.decode_payload(&f1, s1, s2, 1, 0).datagram.is_none());
    let r = dec.decode_payload(&f0, s1, s2, 2, 0);
    assert!(r.error.is_none(), "{:?}", r.error);
    let s = r.datagram.unwrap().ipv6.unwrap();
    assert_eq!((s.src, s.dst), (root, a("2001:db8::11")));
    inner_udp_ok(&s);
}
