//! IKEv2 message parsing (RFC 7296 §3 and every payload the crate decodes), and the codec's
//! promise: whatever parses emits back to exactly the same octets. IKEv1 parsing on the same
//! input, since the stream decoder hands it whatever carries major version 1.
#![no_main]

use ietfwg_ikev2::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(data) {
        let emitted = m.emit();
        assert_eq!(
            emitted.as_slice(),
            data,
            "emit(parse(m)) != m for a message that parsed"
        );
    }
    let _ = ietfwg_ikev2::wire::ikev1::parse(data);
});
