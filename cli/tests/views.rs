//! The views for reading captures by eye and by script: `-x/--hexdump`, `--brief`, selection
//! (`-c`, `--frames`, `--sa`), `stats`, completions and the man page, and the hints a command
//! gives when its input is not what it expects.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::{assert_exit, ietfwg, stderr, stdout};

fn pcap(dir: &str, name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "pcaps", dir, name]
        .iter()
        .collect();
    p.to_string_lossy().into_owned()
}

/// `6lo decode -x`: after each frame its bytes, every octet of the frame in the field list
/// once (the offsets column runs 0..len without gaps), the IPHC bits broken out with RFC 6282
/// sections, and no colour escape in a pipe.
#[test]
fn sixlo_hexdump_lists_every_octet_once() {
    let o = ietfwg(&["6lo", "decode", "-x", &pcap("6lo", "frag-udp.pcap")]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(!out.contains('\u{1b}'), "colour in a pipe");
    assert!(
        out.contains(".... ..10 .... .... = HLIM: Hop Limit 64"),
        "{out}"
    );
    assert!(out.contains("[RFC 6282 §3.1.1]"), "{out}");
    assert!(
        out.contains("1100 0... .... .... = Dispatch: 11000: FRAG1"),
        "{out}"
    );
    // Frame by frame, the offset column covers 0..len exactly.
    let mut frames = 0;
    for block in out.split("bytes of frame #").skip(1) {
        let len: usize = block
            .split_once('(')
            .and_then(|(_, r)| r.split_once(' '))
            .map(|(n, _)| n.parse().unwrap())
            .unwrap();
        let mut next = 0;
        for line in block.lines().skip(1) {
            let Some(first) = line.split_whitespace().next() else {
                continue;
            };
            let (a, b) = match first.split_once('-') {
                Some((a, b)) => (a, b),
                None => (first, first),
            };
            let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) else {
                continue;
            };
            if line.starts_with("    ")
                && line.len() > 14
                && line.as_bytes()[4].is_ascii_digit()
                && line.contains(" = ")
            {
                assert_eq!(a, next, "frame block: {line}");
                next = b + 1;
            }
        }
        assert_eq!(next, len, "{block}");
        frames += 1;
    }
    assert_eq!(frames, 15);
}

/// `ikev2 decode -x --keys`: the IKE header's Flags broken out (RFC 7296 §3.1), the SK payload
/// split into IV, ciphertext and ICV, and the decrypted plaintext dumped with its payloads.
#[test]
fn ikev2_hexdump_shows_flags_and_the_decrypted_plaintext() {
    let o = ietfwg(&[
        "ikev2",
        "decode",
        "-x",
        "--keys",
        &pcap("ikev2", "aes-gcm-ecp256.keys"),
        &pcap("ikev2", "aes-gcm-ecp256.pcap"),
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains(".... 1... = I (Initiator): sent by the original initiator"),
        "{out}"
    );
    assert!(
        out.contains("..1. .... = R (Response): a response"),
        "{out}"
    );
    assert!(
        out.contains("Integrity Checksum Data = 16 octets, verified  [RFC 7296 §3.14]"),
        "{out}"
    );
    let plain = out.matches("decrypted SK plaintext (").count();
    assert!(plain >= 2, "{plain}");
    assert!(
        out.contains("Identification - Initiator Next Payload"),
        "{out}"
    );
    // Without keys the SK payload is one field.
    let o = ietfwg(&[
        "ikev2",
        "decode",
        "-x",
        &pcap("ikev2", "aes-gcm-ecp256.pcap"),
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("IV, Encrypted IKE Payloads, Padding, ICV"),
        "{out}"
    );
    assert!(!out.contains("decrypted SK plaintext"), "{out}");
    assert!(stderr(&o).contains("IKE messages"));
}

/// `-x` with `--json` is a usage error.
#[test]
fn hexdump_and_json_conflict() {
    let o = ietfwg(&[
        "6lo",
        "decode",
        "-x",
        "--json",
        &pcap("6lo", "frag-udp.pcap"),
    ]);
    assert_exit(&o, 2);
}
