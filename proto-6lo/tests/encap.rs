//! Captured frames and their FCS: the frames `ietfwg-capture` finds in the corpus (through
//! `ietfwg_test_support::capture`, the path the binary takes), with the FCS mode
//! `encap::capture_fcs` gives them, check where tshark says "FCS correct".
#![allow(clippy::unwrap_used, clippy::panic)]

use ietfwg_6lo::encap;
use ietfwg_6lo::mac::{self, FcsMode};
use ietfwg_test_support::capture::read_capture;
use ietfwg_test_support::shared::shared;

/// Every frame of `name` (in `shared/corpus/6lo`) with its FCS mode; `None` without the corpus.
fn frames(name: &str) -> Option<Vec<(usize, Vec<u8>, FcsMode)>> {
    let path = shared()?.join("corpus/6lo").join(name);
    Some(
        read_capture(&path, name)
            .iter()
            .map(|raw| {
                let w = raw
                    .wpan()
                    .unwrap_or_else(|| panic!("{name} #{}", raw.number));
                let fcs = encap::capture_fcs(w.frame, w.fcs.octets());
                (raw.number, w.frame.to_vec(), fcs)
            })
            .collect(),
    )
}

/// Link type 195: every FCS present and correct (tshark: "FCS correct").
#[test]
fn corpus_fcs_checks_where_tshark_says_correct() {
    for name in [
        "wpan_802_15_4_LLT_195_6lowpan.pcap",
        "802_15_4_with_FCS_13_frames.pcap",
    ] {
        let Some(frames) = frames(name) else { return };
        for (number, frame, fcs) in &frames {
            assert!(matches!(fcs, FcsMode::Crc16));
            assert!(mac::fcs_matches(frame, *fcs), "{name} #{number}");
        }
        assert!(frames.len() > 10, "{name}");
    }
}

/// 802_15_4_ACKS.pcap: ZEP v2 in CRC mode; tshark says "FCS correct" for every frame.
#[test]
fn corpus_zep_crc_mode_fcs_checks() {
    let Some(frames) = frames("802_15_4_ACKS.pcap") else {
        return;
    };
    assert_eq!(frames.len(), 7);
    for (number, frame, fcs) in &frames {
        assert_eq!(*fcs, FcsMode::Crc16, "#{number}");
        assert!(mac::fcs_matches(frame, *fcs), "#{number}: FCS checks");
    }
}
