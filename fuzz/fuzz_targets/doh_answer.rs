//! DNS answers as `ietfwg doh` reads them: a DNS message (RFC 1035 §4.1, with EDNS(0) and
//! padding) into the answer model, the JSON API form, and stdin in every input format.
#![no_main]

use ietfwg_doh::answer::Answer;
use ietfwg_doh::input::{decode_input, InputFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = Answer::from_wire(data) {
        // The model of a message that decoded is always serialisable for --json.
        let _ = a.min_ttl();
        assert!(a.size == data.len());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Answer::from_json_api(text);
    }
    for format in [
        InputFormat::Auto,
        InputFormat::Binary,
        InputFormat::Hex,
        InputFormat::Base64url,
    ] {
        if let Ok(wire) = decode_input(data, format) {
            let _ = Answer::from_wire(&wire);
        }
    }
});
