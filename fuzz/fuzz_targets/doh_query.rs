//! DoH encode → decode identity: a query built from arbitrary options (name, type, class, ID,
//! flags, EDNS, RFC 8467 padding) decodes to the same question, ID and flags, and its length
//! is a multiple of the padding block when padding was asked for.
#![no_main]

use arbitrary::Arbitrary;
use hickory_proto::rr::{DNSClass, RecordType};
use ietfwg_doh::answer::Answer;
use ietfwg_doh::query::{build, Padding, QueryOptions};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    labels: Vec<String>,
    qtype: u16,
    qclass: u16,
    id: u16,
    rd: bool,
    cd: bool,
    dnssec_ok: bool,
    edns: bool,
    udp_payload_size: u16,
    pad_block: Option<u8>,
}

fuzz_target!(|input: Input| {
    let name = input.labels.join(".");
    let mut opts = QueryOptions::new(&name, RecordType::from(input.qtype));
    opts.qclass = DNSClass::from(input.qclass);
    opts.id = input.id;
    opts.recursion_desired = input.rd;
    opts.checking_disabled = input.cd;
    opts.dnssec_ok = input.dnssec_ok;
    opts.edns = input.edns || input.dnssec_ok || input.pad_block.is_some();
    opts.udp_payload_size = input.udp_payload_size.max(512);
    opts.padding = match input.pad_block {
        Some(b) => Padding::Block(u16::from(b.max(1))),
        None => Padding::None,
    };
    let Ok(wire) = build(&opts) else {
        return; // a name that is not a DNS name is refused, not encoded
    };
    let a = Answer::from_wire(&wire).expect("our own query decodes");
    assert_eq!(a.id, input.id);
    assert_eq!(a.flags.rd, input.rd);
    assert_eq!(a.flags.cd, input.cd);
    assert_eq!(a.question.len(), 1);
    if let (Padding::Block(b), true) = (opts.padding, opts.edns) {
        assert_eq!(wire.len() % usize::from(b), 0, "padded to the block");
    }
});
