#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

// Addresses used throughout (wire order is little-endian):
//   PAN 0xabcd            -> cd ab
//   PAN 0x4321            -> 21 43
//   short 0x1234          -> 34 12
//   short 0x5678          -> 78 56
//   ext 00:11:22:33:44:55:66:77 -> 77 66 55 44 33 22 11 00
//   ext 08:09:0a:0b:0c:0d:0e:0f -> 0f 0e 0d 0c 0b 0a 09 08
const PAN_D: u16 = 0xabcd;
const PAN_S: u16 = 0x4321;
const SHORT_D: LinkAddr = LinkAddr::Short(0x1234);
const SHORT_S: LinkAddr = LinkAddr::Short(0x5678);
const EXT_D: LinkAddr = LinkAddr::Extended([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
const EXT_S: LinkAddr = LinkAddr::Extended([0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]);

/// One addressing vector: the bytes and what the header must decode to.
struct AddrCase {
    name: &'static str,
    bytes: &'static [u8],
    dst_pan: Option<u16>,
    dst: LinkAddr,
    src_pan: Option<u16>,
    src_pan_on_wire: bool,
    src: LinkAddr,
    /// Where the payload starts (= length of the MHR).
    payload_offset: usize,
}

/// 802.15.4-2006 data frames, every addressing-mode combination with each legal PAN ID
/// compression value. Payload is always `ee`.
const CASES_2006: &[AddrCase] = &[
    AddrCase {
        name: "2006 none/none",
        bytes: &[
            0x01, 0x10, // FCF 0x1001: data, v2006, dst none, src none, no compression
            0x07, // seq 7
            0xee, // payload
        ],
        dst_pan: None,
        dst: LinkAddr::Absent,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 3,
    },
    AddrCase {
        name: "2006 short/none",
        bytes: &[
            0x01, 0x18, // FCF 0x1801: data, v2006, dst short
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x34, 0x12, // dst short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 7,
    },
    AddrCase {
        name: "2006 ext/none",
        bytes: &[
            0x01, 0x1c, // FCF 0x1c01: data, v2006, dst ext
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: EXT_D,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 13,
    },
    AddrCase {
        name: "2006 none/short",
        bytes: &[
            0x01, 0x90, // FCF 0x9001: data, v2006, src short
            0x07, // seq
            0x21, 0x43, // src PAN
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: None,
        dst: LinkAddr::Absent,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: SHORT_S,
        payload_offset: 7,
    },
    AddrCase {
        name: "2006 none/ext",
        bytes: &[
            0x01, 0xd0, // FCF 0xd001: data, v2006, src ext
            0x07, // seq
            0x21, 0x43, // src PAN
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: None,
        dst: LinkAddr::Absent,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: EXT_S,
        payload_offset: 13,
    },
    AddrCase {
        name: "2006 short/short",
        bytes: &[
            0x01, 0x98, // FCF 0x9801: data, v2006, dst short, src short, no compression
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x34, 0x12, // dst short
            0x21, 0x43, // src PAN
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: SHORT_S,
        payload_offset: 11,
    },
    AddrCase {
        name: "2006 short/short compressed",
        bytes: &[
            0x41, 0x98, // FCF 0x9841: data, PAN ID compression, v2006, dst short, src short
            0x07, // seq
            0xcd, 0xab, // dst PAN (also the source's)
            0x34, 0x12, // dst short
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: Some(PAN_D),
        src_pan_on_wire: false,
        src: SHORT_S,
        payload_offset: 9,
    },
    AddrCase {
        name: "2006 short/ext compressed",
        bytes: &[
            0x41, 0xd8, // FCF 0xd841: data, compression, v2006, dst short, src ext
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x34, 0x12, // dst short
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: Some(PAN_D),
        src_pan_on_wire: false,
        src: EXT_S,
        payload_offset: 15,
    },
    AddrCase {
        name: "2006 ext/short",
        bytes: &[
            0x01, 0x9c, // FCF 0x9c01: data, v2006, dst ext, src short, no compression
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0x21, 0x43, // src PAN
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: EXT_D,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: SHORT_S,
        payload_offset: 17,
    },
    AddrCase {
        name: "2006 ext/ext",
        bytes: &[
            0x01, 0xdc, // FCF 0xdc01: data, v2006, dst ext, src ext, no compression
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0x21, 0x43, // src PAN
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: EXT_D,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: EXT_S,
        payload_offset: 23,
    },
    AddrCase {
        name: "2006 ext/ext compressed",
        bytes: &[
            0x41, 0xdc, // FCF 0xdc41: data, compression, v2006, dst ext, src ext
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: EXT_D,
        src_pan: Some(PAN_D),
        src_pan_on_wire: false,
        src: EXT_S,
        payload_offset: 21,
    },
];

/// 802.15.4-2015 data frames, one per row of Table 7-2 (plus the extended variants of rows
/// 3-6). Payload is always `ee`.
const CASES_2015: &[AddrCase] = &[
    AddrCase {
        name: "2015 row 1: none/none, PIC 0 -> no PAN",
        bytes: &[
            0x01, 0x20, // FCF 0x2001: data, v2015, no addresses, PIC 0
            0x07, // seq
            0xee, // payload
        ],
        dst_pan: None,
        dst: LinkAddr::Absent,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 3,
    },
    AddrCase {
        name: "2015 row 2: none/none, PIC 1 -> dst PAN",
        bytes: &[
            0x41, 0x20, // FCF 0x2041: data, PIC 1, v2015, no addresses
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: LinkAddr::Absent,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 5,
    },
    AddrCase {
        name: "2015 row 3: short/none, PIC 0 -> dst PAN",
        bytes: &[
            0x01, 0x28, // FCF 0x2801: data, v2015, dst short
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x34, 0x12, // dst short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 7,
    },
    AddrCase {
        name: "2015 row 3: ext/none, PIC 0 -> dst PAN",
        bytes: &[
            0x01, 0x2c, // FCF 0x2c01: data, v2015, dst ext
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: EXT_D,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 13,
    },
    AddrCase {
        name: "2015 row 4: short/none, PIC 1 -> no PAN",
        bytes: &[
            0x41, 0x28, // FCF 0x2841: data, PIC 1, v2015, dst short
            0x07, // seq
            0x34, 0x12, // dst short
            0xee, // payload
        ],
        dst_pan: None,
        dst: SHORT_D,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 5,
    },
    AddrCase {
        name: "2015 row 4: ext/none, PIC 1 -> no PAN",
        bytes: &[
            0x41, 0x2c, // FCF 0x2c41: data, PIC 1, v2015, dst ext
            0x07, // seq
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0xee, // payload
        ],
        dst_pan: None,
        dst: EXT_D,
        src_pan: None,
        src_pan_on_wire: false,
        src: LinkAddr::Absent,
        payload_offset: 11,
    },
    AddrCase {
        name: "2015 row 5: none/short, PIC 0 -> src PAN",
        bytes: &[
            0x01, 0xa0, // FCF 0xa001: data, v2015, src short
            0x07, // seq
            0x21, 0x43, // src PAN
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: None,
        dst: LinkAddr::Absent,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: SHORT_S,
        payload_offset: 7,
    },
    AddrCase {
        name: "2015 row 5: none/ext, PIC 0 -> src PAN",
        bytes: &[
            0x01, 0xe0, // FCF 0xe001: data, v2015, src ext
            0x07, // seq
            0x21, 0x43, // src PAN
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: None,
        dst: LinkAddr::Absent,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: EXT_S,
        payload_offset: 13,
    },
    AddrCase {
        name: "2015 row 6: none/short, PIC 1 -> no PAN",
        bytes: &[
            0x41, 0xa0, // FCF 0xa041: data, PIC 1, v2015, src short
            0x07, // seq
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: None,
        dst: LinkAddr::Absent,
        src_pan: None,
        src_pan_on_wire: false,
        src: SHORT_S,
        payload_offset: 5,
    },
    AddrCase {
        name: "2015 row 6: none/ext, PIC 1 -> no PAN",
        bytes: &[
            0x41, 0xe0, // FCF 0xe041: data, PIC 1, v2015, src ext
            0x07, // seq
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: None,
        dst: LinkAddr::Absent,
        src_pan: None,
        src_pan_on_wire: false,
        src: EXT_S,
        payload_offset: 11,
    },
    AddrCase {
        name: "2015 row 7: ext/ext, PIC 0 -> dst PAN only",
        bytes: &[
            0x01, 0xec, // FCF 0xec01: data, v2015, dst ext, src ext, PIC 0
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: EXT_D,
        src_pan: Some(PAN_D),
        src_pan_on_wire: false,
        src: EXT_S,
        payload_offset: 21,
    },
    AddrCase {
        name: "2015 row 8: ext/ext, PIC 1 -> no PAN",
        bytes: &[
            0x41, 0xec, // FCF 0xec41: data, PIC 1, v2015, dst ext, src ext
            0x07, // seq
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: None,
        dst: EXT_D,
        src_pan: None,
        src_pan_on_wire: false,
        src: EXT_S,
        payload_offset: 19,
    },
    AddrCase {
        name: "2015 row 9: short/short, PIC 0 -> both PANs",
        bytes: &[
            0x01, 0xa8, // FCF 0xa801: data, v2015, dst short, src short
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x34, 0x12, // dst short
            0x21, 0x43, // src PAN
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: SHORT_S,
        payload_offset: 11,
    },
    AddrCase {
        name: "2015 row 10: short/ext, PIC 0 -> both PANs",
        bytes: &[
            0x01, 0xe8, // FCF 0xe801: data, v2015, dst short, src ext
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x34, 0x12, // dst short
            0x21, 0x43, // src PAN
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: EXT_S,
        payload_offset: 17,
    },
    AddrCase {
        name: "2015 row 11: ext/short, PIC 0 -> both PANs",
        bytes: &[
            0x01, 0xac, // FCF 0xac01: data, v2015, dst ext, src short
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0x21, 0x43, // src PAN
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: EXT_D,
        src_pan: Some(PAN_S),
        src_pan_on_wire: true,
        src: SHORT_S,
        payload_offset: 17,
    },
    AddrCase {
        name: "2015 row 12: short/ext, PIC 1 -> dst PAN only",
        bytes: &[
            0x41, 0xe8, // FCF 0xe841: data, PIC 1, v2015, dst short, src ext
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x34, 0x12, // dst short
            0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, // src ext
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: Some(PAN_D),
        src_pan_on_wire: false,
        src: EXT_S,
        payload_offset: 15,
    },
    AddrCase {
        name: "2015 row 13: ext/short, PIC 1 -> dst PAN only",
        bytes: &[
            0x41, 0xac, // FCF 0xac41: data, PIC 1, v2015, dst ext, src short
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // dst ext
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: EXT_D,
        src_pan: Some(PAN_D),
        src_pan_on_wire: false,
        src: SHORT_S,
        payload_offset: 15,
    },
    AddrCase {
        name: "2015 row 14: short/short, PIC 1 -> dst PAN only",
        bytes: &[
            0x41, 0xa8, // FCF 0xa841: data, PIC 1, v2015, dst short, src short
            0x07, // seq
            0xcd, 0xab, // dst PAN
            0x34, 0x12, // dst short
            0x78, 0x56, // src short
            0xee, // payload
        ],
        dst_pan: Some(PAN_D),
        dst: SHORT_D,
        src_pan: Some(PAN_D),
        src_pan_on_wire: false,
        src: SHORT_S,
        payload_offset: 9,
    },
];

fn check_addr_case(c: &AddrCase, version: FrameVersion) {
    let f = parse(c.bytes, FcsMode::None).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    assert_eq!(f.frame_type, FrameType::DATA, "{}", c.name);
    assert_eq!(f.version, version, "{}", c.name);
    assert_eq!(f.seq, Some(7), "{}", c.name);
    assert_eq!(f.dst_pan, c.dst_pan, "{}: dst PAN", c.name);
    assert_eq!(f.dst, c.dst, "{}: dst", c.name);
    assert_eq!(f.src_pan, c.src_pan, "{}: src PAN", c.name);
    assert_eq!(
        f.src_pan_on_wire, c.src_pan_on_wire,
        "{}: src PAN on wire",
        c.name
    );
    assert_eq!(f.src, c.src, "{}: src", c.name);
    assert_eq!(
        f.payload_offset, c.payload_offset,
        "{}: payload offset",
        c.name
    );
    assert_eq!(f.payload, &[0xee], "{}: payload", c.name);
    assert_eq!(f.payload_len, 1, "{}", c.name);
    assert!(
        !f.payload_encrypted && f.security.is_none() && f.fcs.is_none(),
        "{}",
        c.name
    );
}

#[test]
fn addressing_2006() {
    for c in CASES_2006 {
        check_addr_case(c, FrameVersion::V2006);
    }
}

#[test]
fn addressing_2015_pan_id_compression_table() {
    for c in CASES_2015 {
        check_addr_case(c, FrameVersion::V2015);
    }
}

#[test]
fn pan_presence_2015_matches_table_for_all_18_combinations() {
    // (dst mode, src mode, PIC) -> (dst PAN, src PAN), straight from Table 7-2.
    let rows: &[(u8, u8, bool, bool, bool)] = &[
        (0, 0, false, false, false),
        (0, 0, true, true, false),
        (2, 0, false, true, false),
        (3, 0, false, true, false),
        (2, 0, true, false, false),
        (3, 0, true, false, false),
        (0, 2, false, false, true),
        (0, 3, false, false, true),
        (0, 2, true, false, false),
        (0, 3, true, false, false),
        (3, 3, false, true, false),
        (3, 3, true, false, false),
        (2, 2, false, true, true),
        (2, 3, false, true, true),
        (3, 2, false, true, true),
        (2, 3, true, true, false),
        (3, 2, true, true, false),
        (2, 2, true, true, false),
    ];
    for &(d, s, c, dp, sp) in rows {
        assert_eq!(
            pan_presence_2015(d, s, c),
            PanPresence { dst: dp, src: sp },
            "{d}/{s}/{c}"
        );
    }
}

#[test]
fn truncated_source_address_names_field_and_offset() {
    // "2006 short/ext compressed" cut after 3 octets of the extended source address.
    let frame = &CASES_2006[7].bytes[..10];
    let e = parse(frame, FcsMode::None).unwrap_err();
    assert_eq!(
        *e.kind(),
        crate::ErrorKind::Truncated {
            layer: Layer::Mac,
            field: "source address",
            offset: 7,
            needed: 8,
            available: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "802.15.4 MAC: truncated at byte 7: source address needs 8 byte(s), 3 left"
    );
}

#[test]
fn illegal_pan_id_compression_2006() {
    let only_dst = [
        0x41, 0x18, // FCF 0x1841: data, PAN ID compression, v2006, dst short, src none
        0x07, // seq
        0xcd, 0xab, 0x34, 0x12, // dst PAN, dst short
    ];
    let e = parse(&only_dst, FcsMode::None).unwrap_err();
    assert_eq!(e.field(), "PAN ID compression");
    assert_eq!(e.offset(), 0);
    let neither = [
        0x41, 0x10, // FCF 0x1041: data, PAN ID compression, v2006, no addresses
        0x07, // seq
    ];
    assert_eq!(
        parse(&neither, FcsMode::None).unwrap_err().field(),
        "PAN ID compression"
    );
}

#[test]
fn reserved_addressing_mode_and_version_and_frame_types() {
    let dst1 = [
        0x01, 0x14, // FCF 0x1401: data, v2006, dst mode 1 (reserved)
        0x07,
    ];
    let e = parse(&dst1, FcsMode::None).unwrap_err();
    assert_eq!((e.field(), e.offset()), ("destination addressing mode", 1));
    let src1 = [
        0x01, 0x50, // FCF 0x5001: data, v2006, src mode 1 (reserved)
        0x07,
    ];
    let e = parse(&src1, FcsMode::None).unwrap_err();
    assert_eq!((e.field(), e.offset()), ("source addressing mode", 1));
    let src1_2015 = [
        0x01, 0x60, // FCF 0x6001: data, v2015, src mode 1 (reserved for frame types 0-3)
        0x07,
    ];
    assert_eq!(
        parse(&src1_2015, FcsMode::None).unwrap_err().field(),
        "source addressing mode"
    );
    let v3 = [
        0x01, 0x30, // FCF 0x3001: data, frame version 3 (reserved)
        0x07,
    ];
    let e = parse(&v3, FcsMode::None).unwrap_err();
    assert_eq!((e.field(), e.offset()), ("frame version", 1));
    for t in 4u8..=7 {
        let e = parse(&[t, 0x20, 0x07], FcsMode::None).unwrap_err();
        assert_eq!((e.field(), e.offset()), ("frame type", 0), "type {t}");
        if t >= 5 {
            assert!(e.to_string().contains("not decoded"), "{e}");
        }
    }
}

#[test]
fn sequence_number_suppression_2015_only() {
    let f2015 = [
        0x41, 0xa9, // FCF 0xa941: data, PIC 1, seq suppressed, v2015, dst short, src short
        0xcd, 0xab, // dst PAN
        0x34, 0x12, // dst short
        0x78, 0x56, // src short
        0xee, // payload
    ];
    let f = parse(&f2015, FcsMode::None).unwrap();
    assert!(f.seq_suppressed);
    assert_eq!(f.seq, None);
    assert_eq!((f.dst, f.src, f.src_pan), (SHORT_D, SHORT_S, Some(PAN_D)));
    assert_eq!(f.payload, &[0xee]);
    // The same bit is reserved in 2006 frames: ignored, the sequence number is read.
    let f2006 = [
        0x41,
        0x99, // FCF 0x9941: data, compression, bit 8 (reserved in 2006), v2006, short/short
        0x07, // seq
        0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
        0xee, // payload
    ];
    let f = parse(&f2006, FcsMode::None).unwrap();
    assert!(!f.seq_suppressed);
    assert_eq!(f.seq, Some(7));
    assert_eq!(f.fcf, 0x9941);
}

/// 2006 beacon with two GTS descriptors and two pending addresses.
const BEACON_2006: &[u8] = &[
    0x00, 0x90, // FCF 0x9000: beacon, v2006, dst none, src short
    0x42, // seq
    0xcd, 0xab, // src PAN
    0x01, 0x00, // src short 0x0001
    0x36, 0x5e, // superframe spec 0x5e36: BO 6, SO 3, final CAP 14, BLE, PAN coordinator
    0x82, // GTS spec: 2 descriptors, GTS permit
    0x01, // GTS directions: descriptor 0 receive-only, descriptor 1 transmit-only
    0x34, 0x12, 0x29, // GTS 0: short 0x1234, start slot 9, length 2
    0x78, 0x56, 0x3b, // GTS 1: short 0x5678, start slot 11, length 3
    0x11, // pending address spec: 1 short, 1 extended
    0xbc, 0x9a, // pending short 0x9abc
    0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, // pending ext 00:11:22:33:44:55:66:77
    0x68, 0x69, // beacon payload "hi"
];

#[test]
fn beacon_2006() {
    let f = parse(BEACON_2006, FcsMode::None).unwrap();
    assert_eq!(f.frame_type, FrameType::BEACON);
    assert_eq!(f.frame_type.to_string(), "Beacon");
    assert_eq!(
        (f.seq, f.src_pan, f.src, f.dst),
        (
            Some(0x42),
            Some(PAN_D),
            LinkAddr::Short(1),
            LinkAddr::Absent
        )
    );
    let b = f.beacon.as_ref().unwrap();
    assert_eq!(
        (b.beacon_order, b.superframe_order, b.final_cap_slot),
        (6, 3, 14)
    );
    assert!(b.battery_life_extension && b.pan_coordinator && !b.association_permit && b.gts_permit);
    assert_eq!(
        b.gts,
        vec![
            GtsDescriptor {
                short_addr: 0x1234,
                starting_slot: 9,
                length: 2,
                receive: true
            },
            GtsDescriptor {
                short_addr: 0x5678,
                starting_slot: 11,
                length: 3,
                receive: false
            },
        ]
    );
    assert_eq!((b.pending_short_count, b.pending_ext_count), (1, 1));
    assert_eq!(b.pending_addresses, vec![LinkAddr::Short(0x9abc), EXT_D]);
    assert_eq!(b.payload_len, 2);
    assert_eq!(f.payload, b"hi");
    assert_eq!(f.payload_offset, 28);
}

/// 2003 acknowledgment with FCS (checked against tshark: "FCS: 0x820b (Correct)").
const ACK_2003_FCS: &[u8] = &[
    0x02, 0x00, // FCF 0x0002: ack, v2003, no addresses
    0x56, // seq 86
    0x0b, 0x82, // FCS 0x820b, little-endian
];

#[test]
fn ack_with_fcs() {
    let f = parse(ACK_2003_FCS, FcsMode::Crc16).unwrap();
    assert_eq!(f.frame_type, FrameType::ACK);
    assert_eq!(f.version, FrameVersion::V2003);
    assert_eq!(f.seq, Some(0x56));
    assert_eq!(
        (f.dst, f.src, f.dst_pan, f.src_pan),
        (LinkAddr::Absent, LinkAddr::Absent, None, None)
    );
    assert_eq!(
        f.fcs,
        Some(Fcs {
            bits: 16,
            received: 0x820b,
            computed: 0x820b,
            ok: true
        })
    );
    assert_eq!(f.payload_len, 0);
    // One flipped bit: a bad FCS is reported, not an error.
    let mut bad = ACK_2003_FCS.to_vec();
    bad[2] ^= 0x01;
    let f = parse(&bad, FcsMode::Crc16).unwrap();
    let fcs = f.fcs.unwrap();
    assert!(!fcs.ok);
    assert_eq!(fcs.received, 0x820b);
    assert_ne!(fcs.computed, 0x820b);
    // Shorter than the FCS: truncated.
    let e = parse(&[0x02], FcsMode::Crc16).unwrap_err();
    assert_eq!(
        *e.kind(),
        crate::ErrorKind::Truncated {
            layer: Layer::Mac,
            field: "FCS",
            offset: 0,
            needed: 2,
            available: 1
        }
    );
}

#[test]
fn crc_catalogue_check_values_and_32_bit_fcs() {
    assert_eq!(crc16(b"123456789"), 0x2189);
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    // Verified with tshark -o "wpan.fcs_format:ITU-T CRC-32": "FCS: 0x8138b066 (Correct)".
    let frame = [
        0x41, 0x88, // FCF 0x8841: data, compression, v2003, short/short
        0x07, // seq
        0xcd, 0xab, // dst PAN
        0xff, 0xff, // dst broadcast
        0x01, 0x00, // src short 0x0001
        b'h', b'e', b'l', b'l', b'o', // payload
        0x66, 0xb0, 0x38, 0x81, // FCS-32 0x8138b066, little-endian
    ];
    let f = parse(&frame, FcsMode::Crc32).unwrap();
    assert_eq!(
        f.fcs,
        Some(Fcs {
            bits: 32,
            received: 0x8138_b066,
            computed: 0x8138_b066,
            ok: true
        })
    );
    assert_eq!(f.payload, b"hello");
    assert!(f.dst.is_broadcast());
}

/// `parse_fcs_unchecked` splits the FCS off as `parse` does, computes no CRC (no `fcs`, right
/// or wrong), and fails as `parse` does on a frame shorter than its FCS.
#[test]
fn fcs_unchecked_is_parse_without_the_verdict() {
    let mut frame = vec![
        0x41, 0x88, // FCF 0x8841: data, compression, v2003, short/short
        0x07, // seq
        0xcd, 0xab, // dst PAN
        0xff, 0xff, // dst broadcast
        0x01, 0x00, // src short 0x0001
        b'h', b'e', b'l', b'l', b'o', // payload
    ];
    append_fcs(&mut frame, FcsMode::Crc16);
    let mut bad = frame.clone();
    *bad.last_mut().unwrap() ^= 0xff;
    for (f, ok) in [(&frame, true), (&bad, false)] {
        for mode in [FcsMode::Crc16, FcsMode::Crc32, FcsMode::None] {
            let checked = parse(f, mode).unwrap();
            let unchecked = parse_fcs_unchecked(f, mode).unwrap();
            if mode == FcsMode::Crc16 {
                assert_eq!(checked.fcs.map(|x| x.ok), Some(ok));
            }
            assert_eq!(unchecked.fcs, None);
            assert_eq!(
                Frame {
                    fcs: None,
                    ..checked
                },
                unchecked,
                "{mode:?}"
            );
        }
    }
    for short in [&frame[..0], &frame[..1]] {
        assert_eq!(
            parse_fcs_unchecked(short, FcsMode::Crc16).unwrap_err(),
            parse(short, FcsMode::Crc16).unwrap_err()
        );
    }
}

/// 2003 Association Request (MAC command), as in zigbee-join-authenticate.pcap frame 15.
const ASSOC_REQ_2003: &[u8] = &[
    0x23, 0xc8, // FCF 0xc823: command, AR, dst short, v2003, src ext, no compression
    0x0c, // seq 12
    0xff, 0x01, // dst PAN 0x01ff
    0x00, 0x00, // dst short 0x0000
    0xff, 0xff, // src PAN 0xffff
    0x07, 0x20, 0x00, 0xff, 0xff, 0xda, 0x1c, 0x00, // src ext 00:1c:da:ff:ff:00:20:07
    0x01, // command id: association request
    0x80, // capability information: allocate address
];

#[test]
fn mac_command_association_request() {
    // FCF 0xc823: type 3 (command), AR, dst short, version 0 (2003), src ext — as in
    // zigbee-join-authenticate.pcap frame 15.
    let f = parse(ASSOC_REQ_2003, FcsMode::None).unwrap();
    assert_eq!(f.frame_type, FrameType::MAC_COMMAND);
    assert!(f.ack_request);
    assert_eq!(f.dst_pan, Some(0x01ff));
    assert_eq!(f.src_pan, Some(0xffff));
    assert!(f.src_pan_on_wire);
    assert_eq!(
        f.src,
        LinkAddr::Extended([0x00, 0x1c, 0xda, 0xff, 0xff, 0x00, 0x20, 0x07])
    );
    let c = f.command.as_ref().unwrap();
    assert_eq!(c.id, CommandId::ASSOCIATION_REQUEST);
    assert_eq!(c.id.to_string(), "Association Request");
    assert_eq!((c.offset, c.content.as_slice()), (17, &[0x80][..]));
    assert_eq!((f.payload_offset, f.payload), (18, &[0x80][..]));
}

#[test]
fn mac_command_2015_beacon_request_and_unknown_id() {
    let f = parse(
        &[
            0x03, 0x28, // FCF 0x2803: command, v2015, dst short, src none, PIC 0 (row 3)
            0x01, // seq
            0xff, 0xff, // dst PAN broadcast
            0xff, 0xff, // dst short broadcast
            0x07, // command id: beacon request
        ],
        FcsMode::None,
    )
    .unwrap();
    assert_eq!(f.command.as_ref().unwrap().id.to_string(), "Beacon Request");
    assert!(f.command.as_ref().unwrap().content.is_empty());
    let f = parse(
        &[0x03, 0x08, 0x01, 0xff, 0xff, 0xff, 0xff, 0x7f],
        FcsMode::None,
    )
    .unwrap();
    assert_eq!(f.command.as_ref().unwrap().id, CommandId(0x7f));
    assert_eq!(f.command.as_ref().unwrap().id.to_string(), "0x7f");
    // No command identifier at all.
    let e = parse(&[0x03, 0x08, 0x01, 0xff, 0xff, 0xff, 0xff], FcsMode::None).unwrap_err();
    assert_eq!(
        *e.kind(),
        crate::ErrorKind::Truncated {
            layer: Layer::Mac,
            field: "command frame identifier",
            offset: 7,
            needed: 1,
            available: 0
        }
    );
}

/// Secured 2006 data frames, one per key identifier mode.
struct SecCase {
    name: &'static str,
    bytes: &'static [u8],
    level: SecurityLevel,
    key_id_mode: u8,
    frame_counter: Option<u32>,
    key_source: Option<&'static [u8]>,
    key_index: Option<u8>,
    mic: &'static [u8],
    payload: &'static [u8],
    payload_offset: usize,
    encrypted: bool,
}

const SEC_CASES: &[SecCase] = &[
    SecCase {
        name: "key id mode 0, ENC-MIC-32",
        bytes: &[
            0x49, 0x98, // FCF 0x9849: data, security, compression, v2006, short/short
            0x01, // seq
            0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
            0x05, // security control: level 5 (ENC-MIC-32), key id mode 0
            0x01, 0x00, 0x00, 0x00, // frame counter 1
            0xde, 0xad, 0xbe, 0xef, // ciphertext
            0x11, 0x22, 0x33, 0x44, // MIC-32
        ],
        level: SecurityLevel::ENC_MIC_32,
        key_id_mode: 0,
        frame_counter: Some(1),
        key_source: None,
        key_index: None,
        mic: &[0x11, 0x22, 0x33, 0x44],
        payload: &[0xde, 0xad, 0xbe, 0xef],
        payload_offset: 14,
        encrypted: true,
    },
    SecCase {
        name: "key id mode 1, ENC-MIC-64",
        bytes: &[
            0x49, 0x98, // FCF 0x9849
            0x02, // seq
            0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
            0x0e, // security control: level 6 (ENC-MIC-64), key id mode 1
            0x00, 0x01, 0x00, 0x00, // frame counter 0x100
            0x05, // key index 5
            0xde, 0xad, // ciphertext
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // MIC-64
        ],
        level: SecurityLevel::ENC_MIC_64,
        key_id_mode: 1,
        frame_counter: Some(0x100),
        key_source: None,
        key_index: Some(5),
        mic: &[1, 2, 3, 4, 5, 6, 7, 8],
        payload: &[0xde, 0xad],
        payload_offset: 15,
        encrypted: true,
    },
    SecCase {
        name: "key id mode 2, ENC-MIC-128",
        bytes: &[
            0x49, 0x98, // FCF 0x9849
            0x03, // seq
            0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
            0x17, // security control: level 7 (ENC-MIC-128), key id mode 2
            0xff, 0xff, 0xff, 0xff, // frame counter 0xffffffff
            0xa1, 0xa2, 0xa3, 0xa4, // key source (4 octets)
            0x09, // key index 9
            0xde, // ciphertext
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // MIC-128
        ],
        level: SecurityLevel::ENC_MIC_128,
        key_id_mode: 2,
        frame_counter: Some(0xffff_ffff),
        key_source: Some(&[0xa1, 0xa2, 0xa3, 0xa4]),
        key_index: Some(9),
        mic: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        payload: &[0xde],
        payload_offset: 19,
        encrypted: true,
    },
    SecCase {
        name: "key id mode 3, ENC (no MIC)",
        bytes: &[
            0x49, 0x98, // FCF 0x9849
            0x04, // seq
            0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
            0x1c, // security control: level 4 (ENC), key id mode 3
            0x02, 0x00, 0x00, 0x00, // frame counter 2
            0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, // key source (8 octets)
            0x01, // key index 1
            0xde, 0xad, 0xbe, // ciphertext, no MIC
        ],
        level: SecurityLevel::ENC,
        key_id_mode: 3,
        frame_counter: Some(2),
        key_source: Some(&[0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8]),
        key_index: Some(1),
        mic: &[],
        payload: &[0xde, 0xad, 0xbe],
        payload_offset: 23,
        encrypted: true,
    },
    SecCase {
        name: "key id mode 1, MIC-64 only: payload readable",
        bytes: &[
            0x49, 0x98, // FCF 0x9849
            0x05, // seq
            0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
            0x0a, // security control: level 2 (MIC-64), key id mode 1
            0x03, 0x00, 0x00, 0x00, // frame counter 3
            0x02, // key index 2
            0x41, 0x60, // plaintext payload
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // MIC-64
        ],
        level: SecurityLevel::MIC_64,
        key_id_mode: 1,
        frame_counter: Some(3),
        key_source: None,
        key_index: Some(2),
        mic: &[1, 2, 3, 4, 5, 6, 7, 8],
        payload: &[0x41, 0x60],
        payload_offset: 15,
        encrypted: false,
    },
];

#[test]
fn secured_frames_each_key_id_mode() {
    for c in SEC_CASES {
        let f = parse(c.bytes, FcsMode::None).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert!(f.security_enabled, "{}", c.name);
        let s = f.security.as_ref().unwrap();
        assert_eq!(s.offset, 9, "{}", c.name);
        assert_eq!(s.security_level, c.level, "{}", c.name);
        assert_eq!(s.key_id_mode, KeyIdMode(c.key_id_mode), "{}", c.name);
        assert_eq!(s.frame_counter, c.frame_counter, "{}", c.name);
        assert_eq!(s.key_source.as_deref(), c.key_source, "{}", c.name);
        assert_eq!(s.key_index, c.key_index, "{}", c.name);
        assert_eq!(s.length, c.payload_offset - 9, "{}", c.name);
        assert_eq!(s.mic_len(), c.mic.len(), "{}", c.name);
        assert_eq!(f.mic.as_deref().unwrap_or(&[]), c.mic, "{}", c.name);
        assert_eq!(f.mic.is_some(), !c.mic.is_empty(), "{}", c.name);
        assert_eq!(f.payload, c.payload, "{}", c.name);
        assert_eq!(f.payload_len, c.payload.len(), "{}", c.name);
        assert_eq!(f.payload_offset, c.payload_offset, "{}", c.name);
        assert_eq!(f.payload_encrypted, c.encrypted, "{}", c.name);
    }
}

#[test]
fn secured_frame_too_short_for_its_mic() {
    let frame = [
        0x49, 0x98, // FCF 0x9849: data, security, compression, v2006, short/short
        0x01, // seq
        0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
        0x07, // security control: ENC-MIC-128, key id mode 0
        0x01, 0x00, 0x00, 0x00, // frame counter
        0xaa, 0xbb, 0xcc, // only 3 octets left, MIC needs 16
    ];
    let e = parse(&frame, FcsMode::None).unwrap_err();
    assert_eq!(
        *e.kind(),
        crate::ErrorKind::Truncated {
            layer: Layer::Mac,
            field: "MIC",
            offset: 14,
            needed: 16,
            available: 3
        }
    );
}

#[test]
fn secured_2015_frame_counter_suppression_and_encrypted_command() {
    let frame = [
        0x4b, 0xa8, // FCF 0xa84b: command, security, PIC 1, v2015, short/short (row 14)
        0x09, // seq
        0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
        0x65, // security control: level 5, key id mode 0, frame counter suppressed, ASN in nonce
        0x99, 0x98, // ciphertext (the command identifier is encrypted in 2015)
        0x11, 0x22, 0x33, 0x44, // MIC-32
    ];
    let f = parse(&frame, FcsMode::None).unwrap();
    let s = f.security.as_ref().unwrap();
    assert!(s.frame_counter_suppressed && s.asn_in_nonce);
    assert_eq!((s.frame_counter, s.length), (None, 1));
    assert!(f.payload_encrypted);
    assert_eq!(f.command, None);
    assert_eq!(f.payload, &[0x99, 0x98]);
    assert_eq!(f.mic.as_deref(), Some(&[0x11, 0x22, 0x33, 0x44][..]));
    // In 2006 the same bits 5-6 are reserved: the frame counter is read.
    let frame_2006 = [
        0x49, 0x98, // FCF 0x9849: data, security, compression, v2006, short/short
        0x01, // seq
        0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
        0x64, // security control: level 4, bits 5-6 set (reserved in 2006)
        0x01, 0x00, 0x00, 0x00, // frame counter 1
        0xaa, // ciphertext
    ];
    let s = parse(&frame_2006, FcsMode::None).unwrap().security.unwrap();
    assert!(!s.frame_counter_suppressed && !s.asn_in_nonce);
    assert_eq!(s.frame_counter, Some(1));
}

#[test]
fn secured_2003_frame_has_no_aux_header() {
    let frame = [
        0x49, 0x88, // FCF 0x8849: data, security, compression, v2003, short/short
        0x01, // seq
        0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
        0x01, 0x02, 0x03, 0x04,
        0x05, // 2003 suite-specific payload (counter, key seq, ciphertext...)
    ];
    let f = parse(&frame, FcsMode::None).unwrap();
    assert!(f.security_enabled && f.payload_encrypted);
    assert_eq!((f.security.clone(), f.mic.clone()), (None, None));
    assert_eq!(f.payload_offset, 9);
    assert_eq!(f.payload_len, 5);
}

#[test]
fn secured_2006_command_keeps_identifier_readable() {
    let frame = [
        0x4b, 0x98, // FCF 0x984b: command, security, compression, v2006, short/short
        0x01, // seq
        0xcd, 0xab, 0x34, 0x12, 0x78, 0x56, // dst PAN, dst, src
        0x05, // security control: ENC-MIC-32, key id mode 0
        0x01, 0x00, 0x00, 0x00, // frame counter
        0x02, // command id (open payload): association response
        0xaa, 0xbb, 0xcc, // encrypted command content
        0x11, 0x22, 0x33, 0x44, // MIC-32
    ];
    let f = parse(&frame, FcsMode::None).unwrap();
    assert!(f.payload_encrypted);
    let c = f.command.as_ref().unwrap();
    assert_eq!(c.id, CommandId::ASSOCIATION_RESPONSE);
    assert_eq!(c.content, vec![0xaa, 0xbb, 0xcc]);
    assert_eq!(f.payload, &[0xaa, 0xbb, 0xcc]);
}

/// 2015 data frame with header IEs (Time Correction, CSL, HT1) and payload IEs (MLME with a
/// short and a long nested IE, Payload Termination).
const IE_FRAME: &[u8] = &[
    0x41, 0xaa, // FCF 0xaa41: data, PIC 1, IE present, v2015, dst short, src short (row 14)
    0x10, // seq
    0xcd, 0xab, // dst PAN
    0xff, 0xff, // dst broadcast
    0x01, 0x00, // src short 0x0001
    0x02, 0x0f, // header IE 0x0f02: length 2, element id 0x1e (Time Correction)
    0xfb, 0x8f, // time sync info 0x8ffb: -5 us, NACK
    0x06, 0x0d, // header IE 0x0d06: length 6, element id 0x1a (CSL)
    0x10, 0x00, 0x00, 0x01, 0x05, 0x00, // phase 0x10, period 0x100, rendezvous time 5
    0x00, 0x3f, // header IE 0x3f00: length 0, element id 0x7e (HT1)
    0x0b, 0x88, // payload IE 0x880b: length 11, group 1 (MLME)
    0x06, 0x1a, // sub-IE 0x1a06: short, length 6, sub-id 0x1a (TSCH Synchronization)
    0x01, 0x02, 0x03, 0x04, 0x05, 0x00, // ASN, join metric
    0x01, 0xc8, // sub-IE 0xc801: long, length 1, sub-id 0x9 (Channel Hopping)
    0x00, // hopping sequence id
    0x00, 0xf8, // payload IE 0xf800: length 0, group 0xf (Payload Termination)
    0xc0, 0xff, 0xee, // payload
];

#[test]
fn header_and_payload_ies() {
    let f = parse(IE_FRAME, FcsMode::None).unwrap();
    assert!(f.ie_present);
    let ids: Vec<String> = f
        .header_ies
        .iter()
        .map(|ie| ie.element_id.to_string())
        .collect();
    assert_eq!(ids, ["Time Correction", "CSL", "HT1"]);
    let tc = &f.header_ies[0];
    assert_eq!(
        (tc.offset, tc.length, tc.content.as_slice()),
        (9, 2, &[0xfb, 0x8f][..])
    );
    assert_eq!(
        tc.time_correction,
        Some(TimeCorrection {
            time_correction_us: -5,
            nack: true
        })
    );
    assert_eq!(
        f.header_ies[1].csl,
        Some(Csl {
            phase: 0x10,
            period: 0x100,
            rendezvous_time: Some(5)
        })
    );
    assert_eq!(f.header_ies[2].length, 0);
    assert_eq!(f.payload_ies.len(), 2);
    let mlme = &f.payload_ies[0];
    assert_eq!(
        (mlme.group_id, mlme.offset, mlme.length),
        (PayloadIeGroup::MLME, 23, 11)
    );
    assert_eq!(mlme.sub_ies.len(), 2);
    assert_eq!(mlme.sub_ies[0].sub_id, MlmeSubIeId::TSCH_SYNCHRONIZATION);
    assert_eq!(mlme.sub_ies[0].sub_id.to_string(), "TSCH Synchronization");
    assert_eq!(
        (mlme.sub_ies[0].format, mlme.sub_ies[0].offset),
        ("short", 25)
    );
    assert_eq!(mlme.sub_ies[0].content, vec![1, 2, 3, 4, 5, 0]);
    assert_eq!(mlme.sub_ies[1].sub_id, MlmeSubIeId::CHANNEL_HOPPING);
    assert_eq!(
        (mlme.sub_ies[1].format, mlme.sub_ies[1].length),
        ("long", 1)
    );
    assert_eq!(f.payload_ies[1].group_id.to_string(), "Payload Termination");
    assert_eq!((f.payload_offset, f.payload), (38, &[0xc0, 0xff, 0xee][..]));
}

#[test]
fn header_ies_ended_by_ht2_and_positive_time_correction() {
    let frame = [
        0x02, 0x2a, // FCF 0x2a02: ack, IE present, v2015, dst short, src none, PIC 0 (row 3)
        0x33, // seq
        0xcd, 0xab, // dst PAN
        0x34, 0x12, // dst short
        0x02, 0x0f, // header IE: Time Correction, length 2
        0x64, 0x00, // +100 us, ACK
        0x80, 0x3f, // header IE 0x3f80: length 0, element id 0x7f (HT2): payload follows
        0x01, 0x02, // payload (not IEs)
    ];
    let f = parse(&frame, FcsMode::None).unwrap();
    assert_eq!(f.header_ies.len(), 2);
    assert_eq!(f.header_ies[1].element_id, HeaderIeId::HT2);
    assert_eq!(
        f.header_ies[0].time_correction,
        Some(TimeCorrection {
            time_correction_us: 100,
            nack: false
        })
    );
    assert!(f.payload_ies.is_empty());
    assert_eq!(f.payload, &[1, 2]);
}

#[test]
fn ie_errors_name_field_and_offset() {
    // Header IE longer than what is left.
    let e = parse(
        &[
            0x01, 0x22, // FCF 0x2201: data, IE present, v2015, no addresses
            0x01, // seq
            0x05, 0x0f, // header IE: Time Correction, length 5
            0x00, 0x00, // only 2 octets
        ],
        FcsMode::None,
    )
    .unwrap_err();
    assert_eq!(
        *e.kind(),
        crate::ErrorKind::Truncated {
            layer: Layer::Mac,
            field: "header IE content",
            offset: 5,
            needed: 5,
            available: 2
        }
    );
    // Payload IE longer than what is left.
    let e = parse(
        &[
            0x01, 0x22, // FCF 0x2201
            0x01, // seq
            0x00, 0x3f, // HT1
            0x10, 0x88, // payload IE: MLME, length 16
            0x00, // 1 octet
        ],
        FcsMode::None,
    )
    .unwrap_err();
    assert_eq!(
        *e.kind(),
        crate::ErrorKind::Truncated {
            layer: Layer::Mac,
            field: "payload IE content",
            offset: 7,
            needed: 16,
            available: 1
        }
    );
    // Nested IE longer than its MLME IE.
    let e = parse(
        &[
            0x01, 0x22, // FCF 0x2201
            0x01, // seq
            0x00, 0x3f, // HT1
            0x04, 0x88, // payload IE: MLME, length 4
            0x05, 0x1a, // sub-IE: TSCH Synchronization, length 5
            0x00, 0x00, // 2 octets inside the MLME IE
            0xee, 0xee, 0xee, // frame payload (outside the MLME IE)
        ],
        FcsMode::None,
    )
    .unwrap_err();
    assert_eq!(
        *e.kind(),
        crate::ErrorKind::Truncated {
            layer: Layer::Mac,
            field: "MLME sub-IE content",
            offset: 9,
            needed: 5,
            available: 2
        }
    );
    // A payload IE descriptor where a header IE is expected.
    let e = parse(&[0x01, 0x22, 0x01, 0x0b, 0x88], FcsMode::None).unwrap_err();
    assert_eq!((e.field(), e.offset()), ("header IE type", 3));
    // A header IE descriptor after HT1.
    let e = parse(&[0x01, 0x22, 0x01, 0x00, 0x3f, 0x02, 0x0f], FcsMode::None).unwrap_err();
    assert_eq!((e.field(), e.offset()), ("payload IE type", 5));
}

#[test]
fn encrypted_2015_frame_leaves_payload_ies_undecoded() {
    let frame = [
        0x49, 0xaa, // FCF 0xaa49: data, security, PIC 1, IE present, v2015, short/short
        0x10, // seq
        0xcd, 0xab, 0xff, 0xff, 0x01, 0x00, // dst PAN, dst, src
        0x05, // security control: ENC-MIC-32, key id mode 0
        0x01, 0x00, 0x00, 0x00, // frame counter
        0x00, 0x3f, // header IE HT1 (header IEs are never encrypted)
        0x0b, 0x88, 0x00, // encrypted payload IEs + payload
        0x11, 0x22, 0x33, 0x44, // MIC-32
    ];
    let f = parse(&frame, FcsMode::None).unwrap();
    assert_eq!(f.header_ies.len(), 1);
    assert!(f.payload_ies.is_empty());
    assert!(f.payload_encrypted);
    assert_eq!((f.payload_offset, f.payload), (16, &[0x0b, 0x88, 0x00][..]));
}

#[test]
fn json_shape() {
    let f = parse(IE_FRAME, FcsMode::None).unwrap();
    let v = serde_json_like(&f);
    assert!(v.contains("\"frame_type\":\"data\""), "{v}");
    assert!(v.contains("\"version\":\"802.15.4-2015\""), "{v}");
    assert!(v.contains("\"element_id\":\"Time Correction\""), "{v}");
    assert!(v.contains("\"group_id\":\"MLME\""), "{v}");
    assert!(v.contains("\"content\":\"fb8f\""), "{v}");
    assert!(!v.contains("\"payload\":"), "{v}");
    assert_eq!(FrameType::MAC_COMMAND.to_string(), "MAC Command");
    assert_eq!(FrameVersion::V2006.to_string(), "802.15.4-2006");
}

/// Minimal JSON rendering through serde's derive, without a serde_json dependency: uses the
/// Debug-free `serde::Serializer` implemented below.
fn serde_json_like<T: serde::Serialize>(v: &T) -> String {
    let mut out = String::new();
    v.serialize(json::Ser { out: &mut out }).unwrap();
    out
}

/// A tiny JSON serializer, enough for the shapes in this module.
mod json {
    use serde::ser::{self, Serialize};
    use std::fmt;

    #[derive(Debug)]
    pub struct E(String);
    impl fmt::Display for E {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for E {}
    impl ser::Error for E {
        fn custom<T: fmt::Display>(m: T) -> Self {
            E(m.to_string())
        }
    }

    pub struct Ser<'a> {
        pub out: &'a mut String,
    }
    pub struct Compound<'a> {
        out: &'a mut String,
        first: bool,
        close: &'static str,
    }

    impl<'a> ser::Serializer for Ser<'a> {
        type Ok = ();
        type Error = E;
        type SerializeSeq = Compound<'a>;
        type SerializeTuple = Compound<'a>;
        type SerializeTupleStruct = Compound<'a>;
        type SerializeTupleVariant = Compound<'a>;
        type SerializeMap = Compound<'a>;
        type SerializeStruct = Compound<'a>;
        type SerializeStructVariant = Compound<'a>;
        fn serialize_bool(self, v: bool) -> Result<(), E> {
            self.out.push_str(if v { "true" } else { "false" });
            Ok(())
        }
        fn serialize_i8(self, v: i8) -> Result<(), E> {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i16(self, v: i16) -> Result<(), E> {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i32(self, v: i32) -> Result<(), E> {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i64(self, v: i64) -> Result<(), E> {
            self.out.push_str(&v.to_string());
            Ok(())
        }
        fn serialize_u8(self, v: u8) -> Result<(), E> {
            self.serialize_u64(u64::from(v))
        }
        fn serialize_u16(self, v: u16) -> Result<(), E> {
            self.serialize_u64(u64::from(v))
        }
        fn serialize_u32(self, v: u32) -> Result<(), E> {
            self.serialize_u64(u64::from(v))
        }
        fn serialize_u64(self, v: u64) -> Result<(), E> {
            self.out.push_str(&v.to_string());
            Ok(())
        }
        fn serialize_f32(self, v: f32) -> Result<(), E> {
            self.serialize_f64(f64::from(v))
        }
        fn serialize_f64(self, v: f64) -> Result<(), E> {
            self.out.push_str(&v.to_string());
            Ok(())
        }
        fn serialize_char(self, v: char) -> Result<(), E> {
            self.serialize_str(&v.to_string())
        }
        fn serialize_str(self, v: &str) -> Result<(), E> {
            self.out.push('"');
            self.out.push_str(v);
            self.out.push('"');
            Ok(())
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<(), E> {
            Err(E("bytes".into()))
        }
        fn serialize_none(self) -> Result<(), E> {
            self.out.push_str("null");
            Ok(())
        }
        fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), E> {
            v.serialize(self)
        }
        fn serialize_unit(self) -> Result<(), E> {
            self.serialize_none()
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<(), E> {
            self.serialize_none()
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<(), E> {
            self.serialize_str(v)
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            v: &T,
        ) -> Result<(), E> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            v: &T,
        ) -> Result<(), E> {
            v.serialize(self)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, E> {
            self.out.push('[');
            Ok(Compound {
                out: self.out,
                first: true,
                close: "]",
            })
        }
        fn serialize_tuple(self, n: usize) -> Result<Compound<'a>, E> {
            self.serialize_seq(Some(n))
        }
        fn serialize_tuple_struct(self, _: &'static str, n: usize) -> Result<Compound<'a>, E> {
            self.serialize_seq(Some(n))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            n: usize,
        ) -> Result<Compound<'a>, E> {
            self.serialize_seq(Some(n))
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, E> {
            self.out.push('{');
            Ok(Compound {
                out: self.out,
                first: true,
                close: "}",
            })
        }
        fn serialize_struct(self, _: &'static str, n: usize) -> Result<Compound<'a>, E> {
            self.serialize_map(Some(n))
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            n: usize,
        ) -> Result<Compound<'a>, E> {
            self.serialize_map(Some(n))
        }
    }

    impl Compound<'_> {
        fn sep(&mut self) {
            if !self.first {
                self.out.push(',');
            }
            self.first = false;
        }
        fn elem<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), E> {
            self.sep();
            v.serialize(Ser { out: self.out })
        }
        fn field<T: ?Sized + Serialize>(&mut self, k: &str, v: &T) -> Result<(), E> {
            self.sep();
            self.out.push('"');
            self.out.push_str(k);
            self.out.push_str("\":");
            v.serialize(Ser { out: self.out })
        }
        fn finish(self) -> Result<(), E> {
            self.out.push_str(self.close);
            Ok(())
        }
    }

    impl ser::SerializeSeq for Compound<'_> {
        type Ok = ();
        type Error = E;
        fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), E> {
            self.elem(v)
        }
        fn end(self) -> Result<(), E> {
            self.finish()
        }
    }
    impl ser::SerializeTuple for Compound<'_> {
        type Ok = ();
        type Error = E;
        fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), E> {
            self.elem(v)
        }
        fn end(self) -> Result<(), E> {
            self.finish()
        }
    }
    impl ser::SerializeTupleStruct for Compound<'_> {
        type Ok = ();
        type Error = E;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), E> {
            self.elem(v)
        }
        fn end(self) -> Result<(), E> {
            self.finish()
        }
    }
    impl ser::SerializeTupleVariant for Compound<'_> {
        type Ok = ();
        type Error = E;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), E> {
            self.elem(v)
        }
        fn end(self) -> Result<(), E> {
            self.finish()
        }
    }
    impl ser::SerializeMap for Compound<'_> {
        type Ok = ();
        type Error = E;
        fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), E> {
            self.sep();
            k.serialize(Ser { out: self.out })?;
            self.out.push(':');
            Ok(())
        }
        fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), E> {
            v.serialize(Ser { out: self.out })
        }
        fn end(self) -> Result<(), E> {
            self.finish()
        }
    }
    impl ser::SerializeStruct for Compound<'_> {
        type Ok = ();
        type Error = E;
        fn serialize_field<T: ?Sized + Serialize>(
            &mut self,
            k: &'static str,
            v: &T,
        ) -> Result<(), E> {
            self.field(k, v)
        }
        fn end(self) -> Result<(), E> {
            self.finish()
        }
    }
    impl ser::SerializeStructVariant for Compound<'_> {
        type Ok = ();
        type Error = E;
        fn serialize_field<T: ?Sized + Serialize>(
            &mut self,
            k: &'static str,
            v: &T,
        ) -> Result<(), E> {
            self.field(k, v)
        }
        fn end(self) -> Result<(), E> {
            self.finish()
        }
    }
}

/// Every vector of this module with its FCS mode and the length of its mandatory part (the
/// shortest prefix that can still be a complete frame: header up to the auxiliary security
/// header, beacon fields or command identifier, plus MIC and FCS).
fn all_vectors() -> Vec<(&'static str, &'static [u8], FcsMode, usize)> {
    let mut v: Vec<(&'static str, &'static [u8], FcsMode, usize)> = Vec::new();
    for c in CASES_2006.iter().chain(CASES_2015) {
        v.push((c.name, c.bytes, FcsMode::None, c.payload_offset));
    }
    for c in SEC_CASES {
        v.push((
            c.name,
            c.bytes,
            FcsMode::None,
            c.payload_offset + c.mic.len(),
        ));
    }
    v.push(("beacon 2006", BEACON_2006, FcsMode::None, 28));
    v.push(("ack 2003 + FCS", ACK_2003_FCS, FcsMode::Crc16, 5));
    v.push(("association request", ASSOC_REQ_2003, FcsMode::None, 18));
    v.push(("IE frame", IE_FRAME, FcsMode::None, 9));
    v
}

#[test]
fn every_strict_prefix_errors_or_is_a_frame_itself() {
    for (name, bytes, mode, min_ok) in all_vectors() {
        let full = parse(bytes, mode).unwrap_or_else(|e| panic!("{name}: {e}"));
        for n in 0..bytes.len() {
            let prefix = &bytes[..n];
            match parse(prefix, mode) {
                Err(e) => assert!(
                    e.offset() <= n,
                    "{name}[..{n}]: offset {} past the end: {e}",
                    e.offset()
                ),
                Ok(f) => {
                    // Only a prefix that still holds every mandatory field may parse, and then
                    // its header must be the full frame's.
                    assert!(
                        n >= min_ok,
                        "{name}[..{n}] parsed although {min_ok} octets are mandatory"
                    );
                    assert_eq!(
                        (f.fcf, f.seq, f.dst, f.src, f.src_pan),
                        (full.fcf, full.seq, full.dst, full.src, full.src_pan),
                        "{name}[..{n}]"
                    );
                    assert_eq!(f.security, full.security, "{name}[..{n}]");
                }
            }
        }
    }
}

/// xorshift64*: a small deterministic PRNG for the fuzz tests.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn fuzz_random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut buf = Vec::with_capacity(130);
    let mut ok = 0usize;
    for i in 0..100_000u32 {
        buf.clear();
        let len = rng.below(131) as usize;
        for _ in 0..len {
            buf.push(rng.next() as u8);
        }
        let mode = [FcsMode::None, FcsMode::Crc16, FcsMode::Crc32][(i % 3) as usize];
        match parse(&buf, mode) {
            Ok(f) => {
                ok += 1;
                assert!(f.payload_offset + f.payload_len <= buf.len());
                assert_eq!(f.payload.len(), f.payload_len);
            }
            Err(e) => assert!(e.offset() <= buf.len(), "{e} for {buf:02x?}"),
        }
    }
    // Random input does reach the deep paths: a fair share decodes.
    assert!(ok > 10_000, "only {ok} random inputs decoded");
}

#[test]
fn fuzz_mutated_vectors_never_panic() {
    let mut rng = Rng(42);
    let vectors = all_vectors();
    for _ in 0..50_000 {
        let (_, bytes, mode, _) = vectors[rng.below(vectors.len() as u64) as usize];
        let mut b = bytes.to_vec();
        for _ in 0..=rng.below(4) {
            let i = rng.below(b.len() as u64) as usize;
            b[i] ^= 1 << rng.below(8);
        }
        let cut = rng.below(b.len() as u64 + 1) as usize;
        if let Err(e) = parse(&b[..cut], mode) {
            assert!(e.offset() <= cut);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Corpus

/// Per link-type-195 file: (frames with a good FCS, frames with a bad FCS), from tshark 4.0
/// (`tshark -r FILE -T fields -e wpan.fcs_ok`); frames whose capture is cut short are not
/// counted (tshark cannot check them either).
const FCS_VERDICTS: &[(&str, usize, usize)] = &[
    ("6lowpan_dissector_enourmously_big_trace.pcap", 84, 6481),
    ("802154_with_FCS_6lowpan_ICMPv6.pcap", 0, 4),
    ("802_15_4-oobr-2.pcap", 0, 1),
    ("wpan_802_15_4_LLT_195_6lowpan.pcap", 84, 0),
    ("zigbee-transport-key-skke_1.pcap", 1, 0),
];

struct Packet {
    data: Vec<u8>,
    origlen: usize,
}

/// Reads a classic pcap file of either byte order (pcap-parser's `parse_pcap` only handles
/// little-endian records; two tcpdump captures here are big-endian).
fn read_pcap(path: &std::path::Path) -> Option<(i32, Vec<Packet>)> {
    let data = std::fs::read(path).ok()?;
    let (mut rest, header) = pcap_parser::parse_pcap_header(&data).ok()?;
    let mut pkts = Vec::new();
    while !rest.is_empty() {
        let parsed = if header.is_bigendian() {
            pcap_parser::parse_pcap_frame_be(rest)
        } else {
            pcap_parser::parse_pcap_frame(rest)
        };
        let (r, b) =
            parsed.unwrap_or_else(|e| panic!("{}: bad pcap record: {e:?}", path.display()));
        pkts.push(Packet {
            data: b.data.to_vec(),
            origlen: b.origlen as usize,
        });
        rest = r;
    }
    Some((header.network.0, pkts))
}

fn corpus_dir() -> Option<std::path::PathBuf> {
    ietfwg_test_support::shared::corpus("6lo")
}

fn corpus_frames(file: &str) -> Option<(FcsMode, Vec<Packet>)> {
    let dir = corpus_dir()?;
    let (lt, pkts) = read_pcap(&dir.join(file)).unwrap_or_else(|| panic!("cannot read {file}"));
    let mode = match lt {
        195 => FcsMode::Crc16,
        230 => FcsMode::None,
        other => panic!("{file}: link type {other}"),
    };
    Some((mode, pkts))
}

#[test]
fn corpus_never_panics_and_fcs_verdicts_match_tshark() {
    let Some(dir) = corpus_dir() else { return };
    let mut files = 0;
    let mut frames = 0;
    let mut decoded = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("pcap") {
            continue;
        }
        let Some((lt, pkts)) = read_pcap(&path) else {
            continue;
        };
        let mode = match lt {
            195 => FcsMode::Crc16,
            230 => FcsMode::None,
            _ => continue,
        };
        files += 1;
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (mut good, mut bad) = (0, 0);
        for p in &pkts {
            frames += 1;
            match parse(&p.data, mode) {
                Ok(f) => {
                    decoded += 1;
                    if let Some(fcs) = f.fcs {
                        if p.data.len() == p.origlen {
                            if fcs.ok {
                                good += 1
                            } else {
                                bad += 1
                            }
                        }
                    }
                }
                Err(e) => assert!(e.offset() <= p.data.len()),
            }
        }
        if let Some(&(_, g, b)) = FCS_VERDICTS.iter().find(|(n, _, _)| *n == name) {
            assert_eq!((good, bad), (g, b), "{name}: FCS verdicts (good, bad)");
        } else if mode == FcsMode::Crc16 {
            assert_eq!(bad, 0, "{name}: unexpected bad FCS");
        }
    }
    assert!(files >= 39, "only {files} 802.15.4 captures found");
    // tshark decodes every one of these frames except the two tcpdump beacon regressions.
    assert_eq!(frames - decoded, 2, "{frames} frames, {decoded} decoded");
}

#[test]
fn corpus_spot_checks_against_tshark() {
    // tshark -r 6lowpan_stimuli_01.pcap -T fields -e wpan.seq_no -e wpan.dst_pan -e wpan.dst64 -e wpan.src64
    //   60  0xabcd  00:12:74:00:14:65:d8:db  00:12:74:00:14:6e:f1:21
    let Some((mode, pkts)) = corpus_frames("6lowpan_stimuli_01.pcap") else {
        return;
    };
    let f = parse(&pkts[0].data, mode).unwrap();
    assert_eq!(
        (f.frame_type, f.version, f.seq, f.dst_pan),
        (FrameType::DATA, FrameVersion::V2003, Some(60), Some(0xabcd))
    );
    assert_eq!(f.dst.to_string(), "00:12:74:00:14:65:d8:db");
    assert_eq!(f.src.to_string(), "00:12:74:00:14:6e:f1:21");
    assert_eq!((f.src_pan, f.src_pan_on_wire), (Some(0xabcd), false));
    assert_eq!(f.fcs, None);

    // TD_6LOWPAN_HC_04_PASS.pcap frame 1: seq 109, dst PAN 0x0023, dst16 0x00ab,
    // src64 18:c0:ff:ee:1a:c0:ff:bb
    let Some((mode, pkts)) = corpus_frames("TD_6LOWPAN_HC_04_PASS.pcap") else {
        return;
    };
    let f = parse(&pkts[0].data, mode).unwrap();
    assert_eq!(
        (f.seq, f.dst_pan, f.dst),
        (Some(109), Some(0x0023), LinkAddr::Short(0x00ab))
    );
    assert_eq!(f.src.to_string(), "18:c0:ff:ee:1a:c0:ff:bb");

    // wpan_802_15_4_LLT_195_6lowpan.pcap frame 1: seq 0, dst64 00:12:74:00:14:6f:11:c7,
    // src64 00:12:74:00:14:6e:a3:79, FCS 0x17ac (Correct), 89 octets.
    let Some((mode, pkts)) = corpus_frames("wpan_802_15_4_LLT_195_6lowpan.pcap") else {
        return;
    };
    let f = parse(&pkts[0].data, mode).unwrap();
    assert_eq!(f.seq, Some(0));
    assert_eq!(f.dst.to_string(), "00:12:74:00:14:6f:11:c7");
    assert_eq!(f.src.to_string(), "00:12:74:00:14:6e:a3:79");
    assert_eq!(
        f.fcs,
        Some(Fcs {
            bits: 16,
            received: 0x17ac,
            computed: 0x17ac,
            ok: true
        })
    );
    assert_eq!(f.payload_offset + f.payload_len + 2, 89);

    // zigbee-join-authenticate.pcap (no FCS):
    //  frame 3: beacon, seq 99, src PAN 0x01ff, src16 0x0000, BO 15, SO 15, final CAP 15,
    //           association permit, 0 GTS; 26 octets
    //  frame 15: Association Request, seq 12, dst PAN 0x01ff, dst16 0x0000, src PAN 0xffff,
    //           src64 00:1c:da:ff:ff:00:20:07
    //  frame 16: Ack, seq 12
    let Some((mode, pkts)) = corpus_frames("zigbee-join-authenticate.pcap") else {
        return;
    };
    let f = parse(&pkts[2].data, mode).unwrap();
    assert_eq!(
        (f.frame_type, f.seq, f.src_pan, f.src),
        (
            FrameType::BEACON,
            Some(99),
            Some(0x01ff),
            LinkAddr::Short(0)
        )
    );
    let b = f.beacon.unwrap();
    assert_eq!(
        (b.beacon_order, b.superframe_order, b.final_cap_slot),
        (15, 15, 15)
    );
    assert!(b.association_permit && b.pan_coordinator && b.gts.is_empty());
    assert_eq!(b.payload_len, 26 - 11);
    let f = parse(&pkts[14].data, mode).unwrap();
    assert_eq!(
        f.command.as_ref().map(|c| c.id),
        Some(CommandId::ASSOCIATION_REQUEST)
    );
    assert_eq!(
        (f.seq, f.dst_pan, f.dst, f.src_pan),
        (Some(12), Some(0x01ff), LinkAddr::Short(0), Some(0xffff))
    );
    assert_eq!(f.src.to_string(), "00:1c:da:ff:ff:00:20:07");
    let f = parse(&pkts[15].data, mode).unwrap();
    assert_eq!((f.frame_type, f.seq), (FrameType::ACK, Some(12)));

    // tcpdump 802_15_4-data.pcap: 802.15.4-2015, ext/ext, PIC 0 (Table 7-2 row 7): dst PAN
    // 0xab4d only; dst64 10:05:00:81:00:01:00:01, src64 00:02:00:02:40:02:10:02; 6LoWPAN IPHC
    // (0x7e) at offset 21.
    let Some((mode, pkts)) = corpus_frames("802_15_4-data.pcap") else {
        return;
    };
    let f = parse(&pkts[0].data, mode).unwrap();
    assert_eq!(
        (f.version, f.seq, f.dst_pan),
        (FrameVersion::V2015, Some(1), Some(0xab4d))
    );
    assert_eq!((f.src_pan, f.src_pan_on_wire), (Some(0xab4d), false));
    assert_eq!(f.dst.to_string(), "10:05:00:81:00:01:00:01");
    assert_eq!(f.src.to_string(), "00:02:00:02:40:02:10:02");
    assert_eq!((f.payload_offset, f.payload.first()), (21, Some(&0x7e)));

    // tcpdump 802_15_4_beacon.pcap: enhanced beacon, short/ext PIC 0 (row 10: both PANs), then
    // an HT1 header IE claiming 32 octets where 19 are left: tshark reports it malformed too.
    let Some((mode, pkts)) = corpus_frames("802_15_4_beacon.pcap") else {
        return;
    };
    let e = parse(&pkts[0].data, mode).unwrap_err();
    assert_eq!(
        *e.kind(),
        crate::ErrorKind::Truncated {
            layer: Layer::Mac,
            field: "header IE content",
            offset: 18,
            needed: 32,
            available: 19
        }
    );
}
