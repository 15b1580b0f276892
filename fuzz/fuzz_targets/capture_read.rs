//! pcap and pcapng reading, link-layer slicing, 802.15.4 encapsulation finding, and IPv4/IPv6
//! fragment and TCP stream reassembly, over an arbitrary file: every packet the reader yields
//! goes through `wpan_frame`, `ip_payload` and `Flows`. Invariant: no panic, no hang, memory
//! bounded by the reader's and reassemblers' limits; after an error the reader is finished.
#![no_main]

use std::io::Cursor;

use ietfwg_capture::flows::Flows;
use ietfwg_capture::{ip_payload, wpan_frame, CaptureReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::from_reader(Box::new(Cursor::new(data.to_vec()))) else {
        return;
    };
    let mut flows = Flows::new();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                assert!(p.data.len() <= data.len(), "a packet larger than the file");
                let _ = wpan_frame(&p);
                let _ = ip_payload(&p);
                let _ = flows.push(&p);
            }
            Ok(None) => break,
            Err(_) => {
                assert!(
                    matches!(reader.next_packet(), Ok(None)),
                    "the reader goes on after an error"
                );
                break;
            }
        }
    }
    let _ = flows.finish();
});
