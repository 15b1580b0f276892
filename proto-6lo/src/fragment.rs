//! RFC 4944 §5.3 fragmentation: splitting one compressed IPv6 datagram into 6LoWPAN payloads
//! that each fit a frame.
//!
//! ```text
//!   First fragment:
//!   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!   |1 1 0 0 0|    datagram_size    |         datagram_tag          |
//!   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!   Subsequent fragments:
//!   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!   |1 1 1 0 0|    datagram_size    |         datagram_tag          |
//!   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!   |datagram_offset|
//!   +-+-+-+-+-+-+-+-+
//! ```
//!
//! `datagram_size` and `datagram_offset` count octets of the UNCOMPRESSED datagram
//! (RFC 6282 §2), the offset in units of 8 octets. So:
//!
//! - the first fragment carries all the compressed headers (they stand for `consumed`
//!   uncompressed octets) and then as many payload octets as fit such that `consumed` plus them
//!   is a multiple of 8 — the next fragment's offset must be expressible;
//! - every subsequent fragment but the last carries a multiple of 8 octets;
//! - `datagram_size` is 11 bits: a datagram of more than 2047 octets cannot be fragmented.
//!
//! A datagram whose compressed form fits the room whole is not fragmented at all.

use crate::dispatch::DispatchHeader;
use crate::error::{Error, Layer, Result};

/// Octets of a FRAG1 header.
pub const FRAG1_LEN: usize = 4;
/// Octets of a FRAGN header.
pub const FRAGN_LEN: usize = 5;
/// Largest datagram_size (11 bits).
pub const MAX_DATAGRAM: usize = 0x07ff;

/// One 6LoWPAN payload of a datagram: a fragment header (or none) and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// FRAG1 / FRAGN, or None when the datagram was not fragmented.
    pub header: Option<DispatchHeader>,
    /// The 6LoWPAN bytes of this piece: the fragment header, then the compressed headers (first
    /// piece only) and datagram octets.
    pub bytes: Vec<u8>,
    /// Offset in the uncompressed datagram of the first octet this piece stands for.
    pub offset: usize,
    /// Uncompressed datagram octets this piece stands for.
    pub len: usize,
}

fn too_small(field: &'static str, reason: String) -> Error {
    Error::invalid(Layer::Dispatch, field, 0, reason)
}

/// Splits `datagram`, whose first `consumed` octets are replaced by the compressed headers
/// `compressed`, into 6LoWPAN payloads of at most `room` octets each (fragment headers
/// included).
///
/// Errors (layer dispatch, offset 0) when `consumed` is past the datagram, when the datagram
/// is over 2047 octets and must be fragmented, or when `room` cannot hold the compressed headers
/// in a FRAG1 at an 8-octet boundary, or 8 octets in a FRAGN.
pub fn fragment(
    datagram: &[u8],
    compressed: &[u8],
    consumed: usize,
    room: usize,
    tag: u16,
) -> Result<Vec<Fragment>> {
    let total = datagram.len();
    let rest = datagram.get(consumed..).ok_or_else(|| {
        too_small(
            "consumed",
            format!("compressed headers stand for {consumed} octets of a {total}-octet datagram"),
        )
    })?;
    if compressed.len() + rest.len() <= room {
        let mut bytes = Vec::with_capacity(compressed.len() + rest.len());
        bytes.extend_from_slice(compressed);
        bytes.extend_from_slice(rest);
        return Ok(vec![Fragment {
            header: None,
            bytes,
            offset: 0,
            len: total,
        }]);
    }
    if total > MAX_DATAGRAM {
        return Err(too_small(
            "datagram_size",
            format!("a {total}-octet datagram needs fragmenting, and datagram_size is 11 bits (at most {MAX_DATAGRAM})"),
        ));
    }
    let size = total as u16;
    // First fragment: every compressed header, then payload up to an 8-octet boundary of the
    // uncompressed datagram.
    let avail = room.checked_sub(FRAG1_LEN + compressed.len()).ok_or_else(|| {
        too_small(
            "frame size",
            format!(
                "{room} octets per frame cannot hold a FRAG1 header and {} octets of compressed headers",
                compressed.len()
            ),
        )
    })?;
    let reach = consumed + avail.min(rest.len());
    let covered = reach - reach % 8;
    if covered < consumed {
        return Err(too_small(
            "frame size",
            format!(
                "{room} octets per frame: the first fragment cannot end on an 8-octet boundary \
                 (headers stand for {consumed} octets, {avail} octets left for payload)"
            ),
        ));
    }
    let per = (room.saturating_sub(FRAGN_LEN)) / 8 * 8;
    if per == 0 {
        return Err(too_small(
            "frame size",
            format!("{room} octets per frame cannot hold a FRAGN header and 8 octets"),
        ));
    }
    let mut out = Vec::new();
    let h = DispatchHeader::Frag1 {
        datagram_size: size,
        datagram_tag: tag,
    };
    let mut bytes = Vec::with_capacity(room);
    h.emit(&mut bytes)?;
    bytes.extend_from_slice(compressed);
    bytes.extend_from_slice(&datagram[consumed..covered]);
    out.push(Fragment {
        header: Some(h),
        bytes,
        offset: 0,
        len: covered,
    });
    let last_room = room - FRAGN_LEN;
    let mut offset = covered;
    while offset < total {
        let remaining = total - offset;
        let n = if remaining <= last_room {
            remaining
        } else {
            per
        };
        let h = DispatchHeader::FragN {
            datagram_size: size,
            datagram_tag: tag,
            datagram_offset: (offset / 8) as u8,
        };
        let mut bytes = Vec::with_capacity(FRAGN_LEN + n);
        h.emit(&mut bytes)?;
        bytes.extend_from_slice(&datagram[offset..offset + n]);
        out.push(Fragment {
            header: Some(h),
            bytes,
            offset,
            len: n,
        });
        offset += n;
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn datagram(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    /// Checks the RFC 4944 rules on a fragment list and rebuilds the datagram from it.
    fn check(d: &[u8], comp: &[u8], consumed: usize, room: usize, frags: &[Fragment]) {
        let mut rebuilt = d[..consumed].to_vec();
        for (i, f) in frags.iter().enumerate() {
            assert!(
                f.bytes.len() <= room,
                "fragment {i} is {} > {room}",
                f.bytes.len()
            );
            match (&f.header, i) {
                (Some(DispatchHeader::Frag1 { datagram_size, .. }), 0) => {
                    assert_eq!(usize::from(*datagram_size), d.len());
                    assert_eq!(f.len % 8, 0, "FRAG1 covers a multiple of 8");
                    assert_eq!(&f.bytes[4..4 + comp.len()], comp);
                    rebuilt.extend_from_slice(&f.bytes[4 + comp.len()..]);
                }
                (
                    Some(DispatchHeader::FragN {
                        datagram_size,
                        datagram_offset,
                        ..
                    }),
                    _,
                ) => {
                    assert_eq!(usize::from(*datagram_size), d.len());
                    assert_eq!(usize::from(*datagram_offset) * 8, f.offset);
                    assert_eq!(rebuilt.len(), f.offset, "no gap, no overlap");
                    if i + 1 < frags.len() {
                        assert_eq!(f.len % 8, 0);
                    }
                    rebuilt.extend_from_slice(&f.bytes[5..]);
                }
                (None, 0) => {
                    assert_eq!(frags.len(), 1);
                    rebuilt.extend_from_slice(&f.bytes[comp.len()..]);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(rebuilt, d);
    }

    #[test]
    fn fits_whole() {
        let d = datagram(60);
        let f = fragment(&d, &[0x7a, 0x33, 1, 2], 48, 16, 9).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].header, None);
        assert_eq!(f[0].bytes.len(), 16);
        check(&d, &[0x7a, 0x33, 1, 2], 48, 16, &f);
    }

    #[test]
    fn frag1_ends_on_an_8_octet_boundary() {
        // 300 octets; headers of 48 compress to 10; 90 octets of room.
        let d = datagram(300);
        let comp = [0x7e; 10];
        let f = fragment(&d, &comp, 48, 90, 0xbeef).unwrap();
        // FRAG1: 90 - 4 - 10 = 76 octets of room, 48 + 76 = 124 → 120 covered (72 payload).
        assert_eq!(f[0].len, 120);
        assert_eq!(f[0].bytes.len(), 4 + 10 + 72);
        assert_eq!(&f[0].bytes[..4], &[0xc1, 0x2c, 0xbe, 0xef]);
        // FRAGN: 85 octets → 80 per fragment; 120, 200, then the last 20.
        let offsets: Vec<_> = f.iter().map(|x| (x.offset, x.len)).collect();
        assert_eq!(offsets, [(0, 120), (120, 80), (200, 80), (280, 20)]);
        assert_eq!(&f[1].bytes[..5], &[0xe1, 0x2c, 0xbe, 0xef, 15]);
        check(&d, &comp, 48, 90, &f);
    }

    #[test]
    fn many_sizes_and_rooms() {
        for total in [40usize, 41, 47, 48, 49, 100, 127, 128, 500, 1280, 2047] {
            let d = datagram(total);
            for consumed in [40usize, 48, 41] {
                if consumed > total {
                    continue;
                }
                for comp_len in [2usize, 7, 30] {
                    let comp = vec![0x60; comp_len];
                    for room in [20usize, 33, 60, 81, 102, 120] {
                        match fragment(&d, &comp, consumed, room, 1) {
                            Ok(f) => check(&d, &comp, consumed, room, &f),
                            Err(e) => {
                                assert_eq!(
                                    e.field(),
                                    "frame size",
                                    "{total} {consumed} {room}: {e}"
                                );
                                assert!(
                                    room < FRAG1_LEN + comp_len + 8,
                                    "{total} {consumed} {comp_len} {room}: {e}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn too_big_or_too_small() {
        let d = datagram(2048);
        assert_eq!(
            fragment(&d, &[0x60; 3], 40, 100, 1).unwrap_err().field(),
            "datagram_size"
        );
        let d = datagram(200);
        let e = fragment(&d, &[0x60; 30], 40, 30, 1).unwrap_err();
        assert_eq!(e.field(), "frame size");
        assert!(
            e.to_string().contains("30 octets of compressed headers"),
            "{e}"
        );
        assert_eq!(
            fragment(&d, &[], 300, 100, 1).unwrap_err().field(),
            "consumed"
        );
    }
}
