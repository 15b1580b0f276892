//! `6lo decode -x`: a frame's bytes with the field map of `ietfwg_6lo::fields`.

use ietfwg_6lo::fields::{self, FieldLayer};
use ietfwg_6lo::lowpan::FrameReport;
use ietfwg_6lo::mac::FcsMode;

use crate::hexdump;
use crate::text::Text;

fn slot(l: FieldLayer) -> usize {
    match l {
        FieldLayer::Mac => 0,
        FieldLayer::Dispatch => 1,
        FieldLayer::Ipv6Header => 2,
        FieldLayer::Nhc => 3,
        FieldLayer::Payload => 4,
        FieldLayer::Fcs => 0,
        FieldLayer::Undecoded => 5,
    }
}

/// Writes the annotated dump of one 802.15.4 frame (`frame` as captured, FCS included when
/// `fcs` says there is one).
pub fn frame(
    t: &mut Text,
    frame: &[u8],
    fcs: FcsMode,
    report: &FrameReport<'_>,
) -> anyhow::Result<()> {
    let map = fields::frame_fields(frame, fcs, report);
    let title = format!(
        "bytes of frame #{} ({} octets of 802.15.4 frame; offsets count from its first octet)",
        report.frame,
        frame.len()
    );
    let color = t.color;
    hexdump::render(&mut t.buf, color, &title, frame, &map, slot)?;
    Ok(())
}
