//! Property tests with generators for each payload's fields: every IKEv2 payload type (RFC 7296
//! §3.3–§3.16, RFC 7383's SKF, RFC 8019's Puzzle Solution) built from random field values parses
//! as that type and emits the very octets it was parsed from, alone and in chains; and every row
//! of a Wireshark `ikev2_decryption_table` round-trips through `table_line` → `parse_table`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ietfwg_ikev2::crypto::keytable::{parse_table, table_line, Encr, Integ, SaKeys};
use ietfwg_ikev2::{Message, PayloadBody};
use proptest::prelude::*;

type Bytes = Vec<u8>;

fn bytes(len: impl Into<prop::collection::SizeRange>) -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), len)
}

fn u16be(v: usize) -> [u8; 2] {
    u16::try_from(v).unwrap().to_be_bytes()
}

/// A transform attribute (RFC 7296 §3.3.5): TV (AF=1) or TLV (AF=0).
fn attribute() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        // Key Length (14), TV.
        prop_oneof![Just(128u16), Just(192), Just(256), any::<u16>()].prop_map(|k| [
            &[0x80, 14][..],
            &k.to_be_bytes()
        ]
        .concat()),
        // Another type in TLV form (a private attribute type: no fixed meaning).
        (16384u16..0x8000, bytes(0..12))
            .prop_map(|(t, v)| { [&t.to_be_bytes()[..], &u16be(v.len()), &v].concat() }),
    ]
}

/// One transform (§3.3.2) without its Last Substruc octet.
fn transform() -> impl Strategy<Value = Bytes> {
    (
        1u8..=13,
        any::<u16>(),
        prop::collection::vec(attribute(), 0..3),
    )
        .prop_map(|(t, id, attrs)| {
            let attrs = attrs.concat();
            [
                &[0][..],
                &u16be(8 + attrs.len()),
                &[t, 0],
                &id.to_be_bytes(),
                &attrs,
            ]
            .concat()
        })
}

/// One proposal (§3.3.1) without its Last Substruc octet.
fn proposal() -> impl Strategy<Value = Bytes> {
    (
        any::<u8>(),
        prop_oneof![
            Just((1u8, 0usize)),
            Just((1, 8)),
            Just((2, 4)),
            Just((3, 4))
        ],
        bytes(8),
        prop::collection::vec(transform(), 1..6),
    )
        .prop_map(|(num, (protocol, spi_size), spi, transforms)| {
            let n = transforms.len();
            let mut body = Vec::new();
            for (i, t) in transforms.into_iter().enumerate() {
                body.push(if i + 1 == n { 0 } else { 3 });
                body.extend(t);
            }
            let spi = &spi[..spi_size];
            let len = 8 + spi.len() + body.len();
            [
                &[0][..],
                &u16be(len),
                &[num, protocol, spi_size as u8, n as u8],
                spi,
                &body,
            ]
            .concat()
        })
}

/// Chains sub-structures whose first octet is Last Substruc: `more` before each but the last.
fn substructures(items: Vec<Bytes>, more: u8) -> Bytes {
    let n = items.len();
    let mut out = Vec::new();
    for (i, s) in items.into_iter().enumerate() {
        out.push(if i + 1 == n { 0 } else { more });
        out.extend(s);
    }
    out
}

/// A traffic selector (§3.13.1): IPv4 (7) or IPv6 (8) address range.
fn selector() -> impl Strategy<Value = Bytes> {
    (
        any::<bool>(),
        any::<u8>(),
        any::<u16>(),
        any::<u16>(),
        bytes(32),
    )
        .prop_map(|(v6, proto, a, b, addrs)| {
            let (t, alen) = if v6 { (8u8, 16) } else { (7, 4) };
            let len = 8 + 2 * alen;
            [
                &[t, proto][..],
                &u16be(len),
                &a.to_be_bytes(),
                &b.to_be_bytes(),
                &addrs[..2 * alen],
            ]
            .concat()
        })
}

/// A configuration attribute (§3.15.1) with a value its type allows.
fn cp_attribute() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        (
            prop_oneof![Just(1u16), Just(2), Just(3), Just(4)],
            prop_oneof![Just(0usize), Just(4)]
        ),
        (Just(8u16), prop_oneof![Just(0usize), Just(17)]),
        (Just(10u16), prop_oneof![Just(0usize), Just(16)]),
        (Just(7u16), 0usize..20),
        (16384u16..0x8000, 0usize..20),
    ]
    .prop_flat_map(|(t, len)| (Just(t), bytes(len)))
    .prop_map(|(t, v)| [&t.to_be_bytes()[..], &u16be(v.len()), &v].concat())
}

/// An identification payload body (§3.5) whose data fits its type.
fn id_body() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        bytes(4).prop_map(|a| [&[1u8, 0, 0, 0][..], &a].concat()),
        bytes(16).prop_map(|a| [&[5u8, 0, 0, 0][..], &a].concat()),
        "[a-z]{1,10}(\\.[a-z]{1,10}){0,3}"
            .prop_map(|n| [&[2u8, 0, 0, 0][..], n.as_bytes()].concat()),
        "[a-z]{1,8}@[a-z]{1,8}\\.[a-z]{2,3}"
            .prop_map(|n| [&[3u8, 0, 0, 0][..], n.as_bytes()].concat()),
        bytes(1..40).prop_map(|k| [&[11u8, 0, 0, 0][..], &k].concat()),
    ]
}

/// A notification (§3.10) with data its type allows.
fn notify_body() -> impl Strategy<Value = Bytes> {
    let spi = prop_oneof![
        Just((0u8, 0usize)),
        Just((3, 4)),
        Just((2, 4)),
        Just((1, 8))
    ];
    let typed = prop_oneof![
        // Error types (§3.10.1) with no data.
        (1u16..=43).prop_map(|t| (t, vec![])),
        // NAT_DETECTION_SOURCE/DESTINATION_IP: a SHA-1 hash (§2.23).
        (16388u16..=16389, bytes(20)).prop_map(|(t, h)| (t, h)),
        // COOKIE: 1–64 octets (§2.6).
        bytes(1..=64).prop_map(|c| (16390u16, c)),
        // IKEV2_FRAGMENTATION_SUPPORTED: empty (RFC 7383 §2.3).
        Just((16430u16, vec![])),
        // SIGNATURE_HASH_ALGORITHMS: 16-bit identifiers (RFC 7427 §4).
        prop::collection::vec(1u16..=8, 1..5)
            .prop_map(|v| (16431u16, v.iter().flat_map(|a| a.to_be_bytes()).collect())),
        // A private-use status type with any data.
        (40960u16..=65535, bytes(0..24)).prop_map(|(t, d)| (t, d)),
    ];
    (spi, bytes(8), typed).prop_map(|((proto, spi_size), spi, (t, data))| {
        let proto = if spi_size == 0 { 0 } else { proto };
        [
            &[proto, spi_size as u8][..],
            &t.to_be_bytes(),
            &spi[..spi_size],
            &data,
        ]
        .concat()
    })
}

/// An EAP message (RFC 3748 §4) whose Length is its size.
fn eap_body() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        (1u8..=2, any::<u8>(), 1u8..=60, bytes(0..30)).prop_map(|(code, id, t, d)| {
            [&[code, id][..], &u16be(5 + d.len()), &[t], &d].concat()
        }),
        (3u8..=4, any::<u8>()).prop_map(|(code, id)| vec![code, id, 0, 4]),
    ]
}

/// An AUTH body (§3.8): the classic methods, and RFC 7427's digital signature with an
/// AlgorithmIdentifier (sha256WithRSAEncryption, RFC 7427 Appendix A.1.2).
fn auth_body() -> impl Strategy<Value = Bytes> {
    const SHA256_RSA: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
    ];
    prop_oneof![
        (
            prop_oneof![Just(1u8), Just(2), Just(3), Just(9), Just(10), Just(11)],
            bytes(1..64)
        )
            .prop_map(|(m, d)| [&[m, 0, 0, 0][..], &d].concat()),
        bytes(1..64).prop_map(|sig| [
            &[14u8, 0, 0, 0, SHA256_RSA.len() as u8][..],
            &SHA256_RSA,
            &sig
        ]
        .concat()),
    ]
}

/// A payload that may appear anywhere in a chain: (type, body).
fn plain_payload() -> impl Strategy<Value = (u8, Bytes)> {
    prop_oneof![
        prop::collection::vec(proposal(), 1..4).prop_map(|p| (33, substructures(p, 2))),
        (any::<u16>(), bytes(1..64))
            .prop_map(|(g, d)| (34, [&g.to_be_bytes()[..], &[0, 0], &d].concat())),
        (35u8..=36, id_body()),
        (1u8..=13, bytes(1..64)).prop_map(|(e, d)| (37, [&[e][..], &d].concat())),
        prop::collection::vec(bytes(20), 0..3)
            .prop_map(|h| (38, [&[4u8][..], &h.concat()].concat())),
        auth_body().prop_map(|b| (39, b)),
        bytes(16..=64).prop_map(|n| (40, n)),
        notify_body().prop_map(|b| (41, b)),
        prop_oneof![
            Just((1u8, 0usize, 0usize)),
            (2u8..=3, Just(4usize), 1usize..5)
        ]
        .prop_flat_map(|(p, size, n)| (Just((p, size, n)), bytes(size * n)))
        .prop_map(|((p, size, n), spis)| (42, [&[p, size as u8][..], &u16be(n), &spis].concat())),
        bytes(1..40).prop_map(|v| (43, v)),
        (44u8..=45, prop::collection::vec(selector(), 1..4))
            .prop_map(|(t, s)| { (t, [&[s.len() as u8, 0, 0, 0][..], &s.concat()].concat()) }),
        (1u8..=4, prop::collection::vec(cp_attribute(), 0..4))
            .prop_map(|(t, a)| (47, [&[t, 0, 0, 0][..], &a.concat()].concat())),
        eap_body().prop_map(|b| (48, b)),
        bytes(0..32).prop_map(|d| (54, d)),
    ]
}

/// SK (46) or SKF (53), which end a chain; `inner` is the first inner payload's type.
fn encrypted_payload() -> impl Strategy<Value = (u8, u8, Bytes)> {
    prop_oneof![
        (prop_oneof![Just(35u8), Just(41), Just(33)], bytes(8..96))
            .prop_map(|(inner, d)| (46, inner, d)),
        (1u16..=8, bytes(8..64))
            .prop_flat_map(|(total, d)| (Just(total), 1..=total, Just(d)))
            .prop_map(|(total, n, d)| {
                let inner = if n == 1 { 35 } else { 0 };
                (
                    53,
                    inner,
                    [&n.to_be_bytes()[..], &total.to_be_bytes(), &d].concat(),
                )
            }),
    ]
}

/// A message of IKE header + `payloads` (+ an optional SK/SKF last), with every Next Payload
/// and length set.
fn message(
    spis: [u64; 2],
    exchange: u8,
    flags: u8,
    message_id: u32,
    payloads: &[(u8, Bytes)],
    last: Option<&(u8, u8, Bytes)>,
    critical: &[bool],
) -> Bytes {
    let mut chain: Vec<(u8, u8, &[u8])> = payloads
        .iter()
        .map(|(t, b)| (*t, 0, b.as_slice()))
        .collect();
    if let Some((t, inner, b)) = last {
        chain.push((*t, *inner, b));
    }
    let mut body = Vec::new();
    for (i, (_, inner, b)) in chain.iter().enumerate() {
        let next = chain.get(i + 1).map_or(*inner, |p| p.0);
        let c = if critical.get(i).copied().unwrap_or(false) {
            0x80
        } else {
            0
        };
        body.extend([next, c]);
        body.extend(u16be(4 + b.len()));
        body.extend_from_slice(b);
    }
    let first = chain.first().map_or(0, |p| p.0);
    [
        &spis[0].to_be_bytes()[..],
        &spis[1].to_be_bytes(),
        &[first, 0x20, exchange, flags],
        &message_id.to_be_bytes(),
        &u32::try_from(28 + body.len()).unwrap().to_be_bytes(),
        &body,
    ]
    .concat()
}

/// The payload type each body variant is parsed from.
fn variant_matches(t: u8, body: &PayloadBody) -> bool {
    matches!(
        (t, body),
        (33, PayloadBody::Sa(_))
            | (34, PayloadBody::Ke(_))
            | (35 | 36, PayloadBody::Id(_))
            | (37, PayloadBody::Cert(_))
            | (38, PayloadBody::CertReq(_))
            | (39, PayloadBody::Auth(_))
            | (40, PayloadBody::Nonce(_))
            | (41, PayloadBody::Notify(_))
            | (42, PayloadBody::Delete(_))
            | (43, PayloadBody::VendorId(_))
            | (44 | 45, PayloadBody::Ts(_))
            | (46, PayloadBody::Sk(_))
            | (47, PayloadBody::Cp(_))
            | (48, PayloadBody::Eap(_))
            | (53, PayloadBody::Skf(_))
            | (54, PayloadBody::Puzzle(_))
    )
}

fn sa_keys() -> impl Strategy<Value = SaKeys> {
    (
        prop::sample::select(Encr::ALL.to_vec()),
        prop::sample::select(Integ::ALL.to_vec()),
        any::<u64>(),
        any::<u64>(),
        any::<[u64; 8]>(),
    )
        .prop_map(|(encr, integ, spi_i, spi_r, seed)| {
            let integ = if encr.is_aead() { Integ::None } else { integ };
            // Key octets from the seed: random enough, cheap to shrink.
            let key = |n: usize, k: usize| -> Vec<u8> {
                (0..n)
                    .map(|i| (seed[k].rotate_left(i as u32 * 7) >> (i % 8)) as u8)
                    .collect()
            };
            SaKeys {
                spi_i,
                spi_r,
                sk_ei: key(encr.sk_len(), 0),
                sk_er: key(encr.sk_len(), 1),
                encr,
                sk_ai: key(integ.key_len(), 2),
                sk_ar: key(integ.key_len(), 3),
                integ,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Each payload type alone: parses as that type, and emits what it parsed.
    #[test]
    fn every_payload_type_emits_what_it_parses(
        p in plain_payload(),
        spis in any::<[u64; 2]>(),
        exchange in 34u8..=37,
        flags in prop_oneof![Just(0x08u8), Just(0x20), Just(0x28), Just(0x00)],
        message_id in any::<u32>(),
        critical in any::<bool>(),
    ) {
        let bytes = message(spis, exchange, flags, message_id, std::slice::from_ref(&p), None, &[critical]);
        let m = Message::parse(&bytes).map_err(|e| TestCaseError::fail(format!("{e}: {}", hex::encode(&bytes))))?;
        prop_assert_eq!(m.payloads.len(), 1);
        prop_assert_eq!(m.payloads[0].payload_type.0, p.0);
        prop_assert_eq!(m.payloads[0].critical, critical);
        prop_assert!(variant_matches(p.0, &m.payloads[0].body), "{:?}", m.payloads[0].body);
        prop_assert_eq!(m.emit(), bytes);
    }

    /// Chains of payloads, ending with SK or SKF or not: the same, payload by payload, with
    /// each payload's offset where it was built.
    #[test]
    fn payload_chains_emit_what_they_parse(
        ps in prop::collection::vec(plain_payload(), 0..6),
        last in prop::option::of(encrypted_payload()),
        spis in any::<[u64; 2]>(),
        message_id in any::<u32>(),
    ) {
        let bytes = message(spis, 35, 0x08, message_id, &ps, last.as_ref(), &[]);
        let m = Message::parse(&bytes).map_err(|e| TestCaseError::fail(format!("{e}: {}", hex::encode(&bytes))))?;
        prop_assert_eq!(m.payloads.len(), ps.len() + usize::from(last.is_some()));
        let mut offset = 28;
        for (i, (t, b)) in ps.iter().enumerate() {
            prop_assert_eq!(m.payloads[i].payload_type.0, *t);
            prop_assert_eq!(m.payloads[i].offset, offset);
            prop_assert!(variant_matches(*t, &m.payloads[i].body));
            offset += 4 + b.len();
        }
        if let Some((t, _, _)) = &last {
            prop_assert!(variant_matches(*t, &m.payloads[ps.len()].body));
        }
        prop_assert_eq!(m.emit(), bytes);
    }

    /// A key table of any rows (with comments and blank lines between) reads back row for row.
    #[test]
    fn key_table_rows_round_trip(rows in prop::collection::vec(sa_keys(), 1..6)) {
        let mut text = String::from("# ikev2_decryption_table\n");
        for k in &rows {
            prop_assert!(k.check().is_ok());
            text.push_str(&table_line(k));
            text.push_str("\n\n");
        }
        let read = parse_table(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(read, rows);
    }
}
