//! Property tests: a query built from any options decodes to those options (encode → decode
//! identity, what `doh encode | doh decode` relies on), padded queries are whole blocks
//! (RFC 8467 §4.1), and the GET form's base64url (RFC 8484 §4.1, RFC 4648 §5) gives back the
//! very octets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hickory_proto::rr::{DNSClass, RecordType};
use ietfwg_doh::answer::{Answer, AnswerRecords};
use ietfwg_doh::input::{decode_input, InputFormat};
use ietfwg_doh::query::{build, class_name, type_name, Padding, QueryOptions, OPTION_PADDING};
use ietfwg_doh::wire::{base64url, from_base64url, get_url};
use proptest::prelude::*;

/// A name of 1–4 LDH labels (RFC 1035 §2.3.1 preferred syntax), or the root.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(".".to_string()),
        9 => prop::collection::vec("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", 1..5)
            .prop_map(|labels| labels.join(".")),
    ]
}

fn options() -> impl Strategy<Value = QueryOptions> {
    (
        name(),
        // Any type but OPT (41), which is not a question type.
        any::<u16>().prop_filter("OPT is not a QTYPE", |t| *t != 41),
        prop_oneof![Just(DNSClass::IN), Just(DNSClass::CH), Just(DNSClass::HS)],
        any::<u16>(),
        any::<[bool; 4]>(),
        512u16..=4096,
        prop_oneof![
            Just(Padding::None),
            Just(Padding::Block(128)),
            Just(Padding::Block(468)),
            (1u16..=1024).prop_map(Padding::Block),
        ],
    )
        .prop_map(
            |(name, t, qclass, id, [rd, cd, edns, dnssec_ok], size, padding)| QueryOptions {
                name,
                qtype: RecordType::from(t),
                qclass,
                id,
                recursion_desired: rd,
                checking_disabled: cd,
                dnssec_ok: dnssec_ok && edns,
                edns,
                udp_payload_size: size,
                padding,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `build` → `Answer::from_wire` gives back every option that went in.
    #[test]
    fn encode_then_decode_is_identity(opts in options()) {
        let wire = build(&opts).unwrap();
        let a = Answer::from_wire(&wire).unwrap();
        prop_assert_eq!(a.id, opts.id);
        prop_assert!(!a.flags.qr);
        prop_assert_eq!(a.flags.rd, opts.recursion_desired);
        prop_assert_eq!(a.flags.cd, opts.checking_disabled);
        prop_assert_eq!(a.size, wire.len());
        prop_assert_eq!(a.question.len(), 1);
        let q = &a.question[0];
        let want = if opts.name == "." { ".".to_string() } else { format!("{}.", opts.name) };
        prop_assert_eq!(&q.name, &want);
        prop_assert_eq!(&q.qtype, &type_name(u16::from(opts.qtype)));
        prop_assert_eq!(&q.qclass, &class_name(u16::from(opts.qclass)));
        prop_assert!(a.answer.is_empty() && a.authority.is_empty());
        match (&a.edns, opts.edns) {
            (None, false) => {}
            (Some(e), true) => {
                prop_assert_eq!(e.udp_payload_size, opts.udp_payload_size);
                prop_assert_eq!(e.version, 0);
                prop_assert_eq!(e.dnssec_ok, opts.dnssec_ok);
                let padding: Vec<_> = e.options.iter().filter(|o| o.code == OPTION_PADDING).collect();
                match opts.padding {
                    Padding::None => prop_assert!(padding.is_empty()),
                    Padding::Block(b) => {
                        // RFC 8467 §4.1: the whole message is a multiple of the block.
                        prop_assert_eq!(wire.len() % usize::from(b), 0);
                        prop_assert_eq!(padding.len(), 1);
                        prop_assert!(padding[0].data.bytes().all(|c| c == b'0'));
                    }
                }
            }
            (e, want) => prop_assert!(false, "EDNS {e:?}, asked {want}"),
        }
    }

    /// The GET form: base64url without padding round-trips, from the URL's `dns` variable
    /// too, and `doh decode`'s input reader takes every form of the same octets.
    #[test]
    fn get_form_and_input_forms_round_trip(opts in options()) {
        let wire = build(&opts).unwrap();
        let b64 = base64url(&wire);
        prop_assert!(!b64.contains('=') && !b64.contains('+') && !b64.contains('/'));
        prop_assert_eq!(&from_base64url(&b64).unwrap(), &wire);
        let url = get_url("https://doh.example/dns-query", &wire);
        let dns = url.split_once("?dns=").unwrap().1;
        prop_assert_eq!(&from_base64url(dns).unwrap(), &wire);
        prop_assert_eq!(&decode_input(b64.as_bytes(), InputFormat::Auto).unwrap(), &wire);
        let hex = format!("{}\n", hex::encode(&wire));
        prop_assert_eq!(&decode_input(hex.as_bytes(), InputFormat::Auto).unwrap(), &wire);
        prop_assert_eq!(&decode_input(&wire, InputFormat::Binary).unwrap(), &wire);
    }

    /// `build` writes the octets hickory-proto's `Message` encoder writes for the same
    /// options (what `build` used before it wrote the header and question itself).
    #[test]
    fn same_octets_as_hickorys_message_encoder(opts in options()) {
        prop_assert_eq!(build(&opts).unwrap(), hickory_build(&opts));
    }

    /// `AnswerRecords::decode` (`doh batch`'s reused buffers) accepts exactly the messages
    /// `Answer::from_wire` accepts, with the same error, and reads the same RCODE and answer
    /// section — over answers with records of several types, and the same with one octet
    /// changed or the end cut off (most of which fail).
    #[test]
    fn reused_answer_buffers_agree_with_from_wire(
        wire in answer_message(),
        flip in (any::<prop::sample::Index>(), any::<u8>()),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut flipped = wire.clone();
        let at = flip.0.index(flipped.len());
        flipped[at] = flip.1;
        let cut = wire[..cut.index(wire.len() + 1)].to_vec();
        // One set of buffers for all three, as batch reuses them.
        let mut records = AnswerRecords::default();
        for b in [&wire, &flipped, &cut] {
            let full = Answer::from_wire(b);
            let lean = records.decode(b);
            match (&full, &lean) {
                (Ok(a), Ok(())) => {
                    prop_assert_eq!(&a.rcode, &records.rcode().into_owned());
                    prop_assert_eq!(a.rcode_value, records.rcode_value());
                    let got: Vec<_> = records
                        .records()
                        .map(|r| (r.name.to_string(), r.ttl, r.class.to_string(), r.rtype.to_string(), r.data.to_string()))
                        .collect();
                    let want: Vec<_> = a
                        .answer
                        .iter()
                        .map(|r| (r.name.clone(), r.ttl, r.class.clone(), r.rtype.clone(), r.data.clone()))
                        .collect();
                    prop_assert_eq!(got, want);
                    // The same JSON as the owned records.
                    let got = serde_json::to_string(&records.records().collect::<Vec<_>>()).unwrap();
                    prop_assert_eq!(got, serde_json::to_string(&a.answer).unwrap());
                }
                (Err(f), Err(l)) => prop_assert_eq!(f.to_string(), l.to_string()),
                _ => prop_assert!(false, "from_wire {:?} but decode {:?}", full.map(|_| ()), lean),
            }
        }
    }

    /// Any octets survive base64url both ways.
    #[test]
    fn base64url_round_trips_any_octets(b in prop::collection::vec(any::<u8>(), 1..600)) {
        prop_assert_eq!(from_base64url(&base64url(&b)).unwrap(), b);
    }
}

/// A DNS response to `q.example.` A: header (any RCODE), the question, then answer and
/// authority records owned by a pointer to the question name, of type A, AAAA, TXT, CNAME, MX
/// or an unassigned type, with RDATA that is right for the type or any octets.
fn answer_message() -> impl Strategy<Value = Vec<u8>> {
    let rdata = prop_oneof![
        (Just(1u16), prop::collection::vec(any::<u8>(), 4)),
        (Just(28u16), prop::collection::vec(any::<u8>(), 16)),
        (
            Just(16u16),
            "[ -~]{0,20}".prop_map(|t| {
                let mut v = vec![t.len() as u8];
                v.extend_from_slice(t.as_bytes());
                v
            })
        ),
        // A name: the label "x" then a pointer to the question name (offset 12).
        (Just(5u16), Just(vec![1, b'x', 0xc0, 12])),
        (
            Just(15u16),
            (any::<u16>()).prop_map(|p| {
                let mut v = p.to_be_bytes().to_vec();
                v.extend_from_slice(&[0xc0, 12]);
                v
            })
        ),
        (Just(65280u16), prop::collection::vec(any::<u8>(), 0..12)),
        (
            prop_oneof![Just(1u16), Just(28u16), Just(5u16)],
            prop::collection::vec(any::<u8>(), 0..20)
        ),
    ];
    (
        0u8..16,
        prop::collection::vec((rdata.clone(), any::<u32>()), 0..5),
        prop::collection::vec((rdata, any::<u32>()), 0..3),
    )
        .prop_map(|(rcode, answers, authority)| {
            let mut m = vec![0x12, 0x34, 0x81, 0x80 | rcode, 0, 1];
            m.extend_from_slice(&(answers.len() as u16).to_be_bytes());
            m.extend_from_slice(&(authority.len() as u16).to_be_bytes());
            m.extend_from_slice(&[0, 0]);
            m.extend_from_slice(b"\x01q\x07example\x00\x00\x01\x00\x01");
            for ((rtype, rdata), ttl) in answers.iter().chain(authority.iter()) {
                m.extend_from_slice(&[0xc0, 12]);
                m.extend_from_slice(&rtype.to_be_bytes());
                m.extend_from_slice(&[0, 1]);
                m.extend_from_slice(&ttl.to_be_bytes());
                m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
                m.extend_from_slice(rdata);
            }
            m
        })
}

/// The query as hickory-proto's `Message` encodes it (padding sized as `build` sizes it).
fn hickory_build(opts: &QueryOptions) -> Vec<u8> {
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::opt::EdnsOption;
    let name = ietfwg_doh::query::parse_name(&opts.name).unwrap();
    let mut msg = Message::new();
    msg.set_id(opts.id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(opts.recursion_desired)
        .set_checking_disabled(opts.checking_disabled);
    let mut q = Query::query(name, opts.qtype);
    q.set_query_class(opts.qclass);
    msg.add_query(q);
    if !opts.edns {
        return msg.to_vec().unwrap();
    }
    let mut edns = Edns::new();
    edns.set_max_payload(opts.udp_payload_size)
        .set_version(0)
        .set_dnssec_ok(opts.dnssec_ok);
    msg.set_edns(edns.clone());
    let Padding::Block(block) = opts.padding else {
        return msg.to_vec().unwrap();
    };
    let unpadded = msg.to_vec().unwrap().len();
    let block = usize::from(block);
    let pad = (block - (unpadded + 4) % block) % block;
    edns.options_mut()
        .insert(EdnsOption::Unknown(OPTION_PADDING, vec![0; pad]));
    msg.set_edns(edns);
    msg.to_vec().unwrap()
}
