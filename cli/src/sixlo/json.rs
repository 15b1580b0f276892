//! The NDJSON records of `6lo decode --json` (`docs/json.md`, `docs/schema/6lo-decode.json`):
//! typed, borrowed from the frame report, written straight into the output writer.

use std::borrow::Cow;

use ietfwg_6lo::ble::BleReport;
use ietfwg_6lo::ipv6::{Summary, Upper};
use ietfwg_6lo::link::LinkHeader;
use ietfwg_6lo::lowpan::{
    DatagramReport, FrameReport, IncompleteDatagram, LearnedAddress, LearnedContext, LowpanReport,
};
use ietfwg_6lo::mle::MleMessage;
use ietfwg_6lo::security::SecurityReport;
use ietfwg_6lo::{mac, Error, Layer};
use ietfwg_capture::{Encap, Timestamp};
use serde::Serialize;

use super::render::{Hinted, Link};
use crate::json::{rfc_cited, Hex, Problem, Time};
use crate::text::Text;

/// One frame of the capture (or one `--hex` line).
#[derive(Serialize)]
struct FrameRecord<'a> {
    record: &'static str,
    frame: u64,
    time: Time,
    linktype: u32,
    encap: Option<&'a Encap>,
    snapped: Option<Snapped>,
    /// The link header of an MS/TP, NFC LLCP or G.9959 frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a LinkHeader>,
    /// The Bluetooth LE link layer (LL or HCI, L2CAP), for Bluetooth LE captures.
    #[serde(skip_serializing_if = "Option::is_none")]
    ble: Option<&'a BleReport>,
    mac: Option<&'a mac::Frame<'a>>,
    lowpan: Option<&'a LowpanReport>,
    note: Option<&'a str>,
    datagram: Option<DatagramRecord<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    learned_contexts: &'a [LearnedContext],
    /// Secured frames (`--wpan-key`, `--thread-key`): how the frame was unsecured, or why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    security: Option<&'a SecurityReport>,
    /// A short → extended address this frame showed (an association response).
    #[serde(skip_serializing_if = "Option::is_none")]
    learned_address: Option<&'a LearnedAddress>,
    error: Option<Problem>,
    warnings: Vec<Problem>,
}

#[derive(Serialize)]
struct Snapped {
    captured: usize,
    original: u32,
}

/// [`DatagramReport`] with its bytes in hex; its `ipv6_error` is the record's `error`.
#[derive(Serialize)]
struct DatagramRecord<'a> {
    length: usize,
    frames: &'a [u64],
    checksum_recomputed: bool,
    ipv6: Option<&'a Summary>,
    /// A Mesh Link Establishment message (UDP 19788), decrypted with `--thread-key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    mle: Option<&'a MleMessage>,
    bytes: Hex<'a>,
}

impl<'a> DatagramRecord<'a> {
    fn new(d: &'a DatagramReport) -> Self {
        DatagramRecord {
            length: d.length,
            frames: &d.frames,
            checksum_recomputed: d.checksum_recomputed,
            ipv6: d.ipv6.as_ref(),
            mle: d.mle.as_deref(),
            bytes: Hex(&d.bytes),
        }
    }
}

/// The layer names of `error.layer`, as the codec serialises them.
fn layer_name(l: Layer) -> &'static str {
    match l {
        Layer::Mac => "mac",
        Layer::Dispatch => "dispatch",
        Layer::Iphc => "iphc",
        Layer::Nhc => "nhc",
        Layer::Hc1 => "hc1",
        Layer::Reassembly => "reassembly",
        Layer::Ipv6 => "ipv6",
        Layer::Mle => "mle",
        Layer::Link => "link",
        Layer::Ble => "ble",
        _ => "6lowpan",
    }
}

/// Where a layer's rules are, when the message cites no section itself.
fn layer_rfc(l: Layer) -> Option<&'static str> {
    match l {
        Layer::Mac => Some("IEEE 802.15.4"),
        Layer::Dispatch => Some("RFC 4944 §5"),
        Layer::Iphc => Some("RFC 6282 §3"),
        Layer::Nhc => Some("RFC 6282 §4"),
        Layer::Hc1 => Some("RFC 4944 §10"),
        Layer::Reassembly => Some("RFC 4944 §5.3"),
        Layer::Ipv6 => Some("RFC 8200"),
        Layer::Mle => Some("draft-ietf-6lo-mesh-link-establishment"),
        Layer::Ble => Some("RFC 7668 §2"),
        _ => None,
    }
}

/// A codec error as a [`Problem`], with the message the text output prints.
pub fn problem(e: &Error) -> Problem {
    let message = Hinted(e).to_string();
    let rfc = rfc_cited(&message)
        .map(Cow::Owned)
        .or_else(|| layer_rfc(e.layer()).map(Cow::Borrowed));
    Problem {
        layer: Cow::Borrowed(layer_name(e.layer())),
        field: Some(Cow::Borrowed(e.field())),
        offset: Some(e.offset() as u64),
        message,
        rfc,
    }
}

/// The Neighbor Discovery errors of a datagram (and of the datagrams it carries).
fn nd_warnings(s: &Summary, out: &mut Vec<Problem>) {
    match &s.upper {
        Upper::Icmpv6 {
            nd_error: Some(e), ..
        } => out.push(problem(e)),
        Upper::Ipv6(inner) => nd_warnings(inner, out),
        _ => {}
    }
}

/// A link frame whose check sequence does not hold: decoded all the same, as an 802.15.4 frame
/// with a bad FCS is, and said so.
fn link_warnings(l: &LinkHeader, out: &mut Vec<Problem>) {
    let mut bad = |field: &'static str, rfc: &'static str| {
        out.push(Problem {
            layer: Cow::Borrowed("link"),
            field: Some(Cow::Borrowed(field)),
            offset: None,
            message: format!("{field} BAD"),
            rfc: Some(Cow::Borrowed(rfc)),
        })
    };
    match l {
        LinkHeader::Mstp(h) => {
            if !h.header_crc_ok {
                bad("Header CRC", "RFC 8163 §4");
            }
            if h.data_crc_ok == Some(false) {
                bad(if h.cobs { "CRC-32K" } else { "Data CRC" }, "RFC 8163 §4");
            }
        }
        LinkHeader::G9959(h) => {
            if !h.checksum_ok {
                bad("Checksum", "RFC 7428 §3");
            }
        }
        LinkHeader::NfcLlcp(_) => {}
    }
}

pub fn frame(t: &mut Text, r: &FrameReport<'_>, link: &Link<'_>) -> anyhow::Result<()> {
    // A frame fails (the closing line counts it) when it does not decode, or when the datagram
    // it completes is malformed: both are `error`, the first one met.
    let error = r
        .error
        .as_ref()
        .or_else(|| r.datagram.as_ref().and_then(|d| d.ipv6_error.as_ref()))
        .map(problem);
    let mut warnings = Vec::new();
    if let Some(f) = r.mac.as_ref().and_then(|m| m.fcs.as_ref()) {
        if !f.ok {
            warnings.push(Problem {
                layer: Cow::Borrowed("mac"),
                field: Some(Cow::Borrowed("FCS")),
                offset: None,
                message: format!(
                    "FCS BAD (0x{:04x}, expected 0x{:04x})",
                    f.received, f.computed
                ),
                rfc: Some(Cow::Borrowed("IEEE 802.15.4")),
            });
        }
    }
    if let Some(l) = r.link.as_deref() {
        link_warnings(l, &mut warnings);
    }
    if let Some(e) = r.lowpan.as_ref().and_then(|l| l.sixlorh_error.as_ref()) {
        warnings.push(problem(e));
    }
    if let Some(d) = r.datagram.as_ref().filter(|d| d.trailing > 0) {
        warnings.push(Problem {
            layer: Cow::Borrowed("ipv6"),
            field: Some(Cow::Borrowed("Payload Length")),
            offset: Some(4),
            message: super::render::trailing_message(d),
            rfc: Some(Cow::Borrowed("RFC 8200 §3")),
        });
    }
    if let Some(s) = r.datagram.as_ref().and_then(|d| d.ipv6.as_ref()) {
        nd_warnings(s, &mut warnings);
    }
    if let Some(e) = r
        .datagram
        .as_ref()
        .and_then(|d| d.mle.as_ref())
        .and_then(|m| m.error.as_ref())
    {
        warnings.push(problem(e));
    }
    t.json(&FrameRecord {
        record: "frame",
        frame: r.frame,
        time: Time(link.ts),
        linktype: link.linktype,
        encap: link.encap,
        snapped: link
            .snapped
            .map(|(captured, original)| Snapped { captured, original }),
        link: r.link.as_deref(),
        ble: link.ble,
        mac: r.mac.as_ref(),
        lowpan: r.lowpan.as_ref(),
        note: r.note.as_deref(),
        datagram: r.datagram.as_ref().map(DatagramRecord::new),
        learned_contexts: &r.learned_contexts,
        security: r.security.as_deref(),
        learned_address: r.learned_address.as_ref(),
        error,
        warnings,
    })
}

/// A packet that holds no 802.15.4 frame.
#[derive(Serialize)]
struct SkippedRecord<'a> {
    record: &'static str,
    frame: u64,
    time: Time,
    linktype: u32,
    skipped: &'a str,
}

pub fn skipped(
    t: &mut Text,
    number: u64,
    ts: Timestamp,
    linktype: u32,
    why: &str,
) -> anyhow::Result<()> {
    t.json(&SkippedRecord {
        record: "skipped",
        frame: number,
        time: Time(ts),
        linktype,
        skipped: why,
    })
}

/// A packet whose link-layer encapsulation did not decode: a frame record with nothing decoded.
pub fn link_error(
    t: &mut Text,
    number: u64,
    ts: Timestamp,
    linktype: u32,
    msg: &str,
    location: Option<(&'static str, usize)>,
) -> anyhow::Result<()> {
    // The field and its offset in the packet where the capture crate names them (a ZEP
    // header), else the encapsulation as a whole.
    let (field, offset) = match location {
        Some((field, at)) => (format!("ZEP {field}"), at),
        None => ("encapsulation".to_string(), 0),
    };
    let error = Problem {
        layer: Cow::Borrowed("link"),
        field: Some(Cow::Owned(field)),
        offset: Some(u64::try_from(offset).unwrap_or(u64::MAX)),
        message: msg.to_owned(),
        rfc: None,
    };
    undecoded(t, number, ts, linktype, error)
}

/// A `--hex` line that holds no frame (not hex, too long): a frame record with nothing decoded
/// and `error.layer` `input`, so that every frame the closing line counts as failed has a line.
pub fn input_error(t: &mut Text, number: u64, msg: &str) -> anyhow::Result<()> {
    let error = Problem {
        layer: Cow::Borrowed("input"),
        field: None,
        offset: None,
        message: format!("line {number}: {msg}"),
        rfc: None,
    };
    undecoded(t, number, Timestamp { secs: 0, nanos: 0 }, 0, error)
}

fn undecoded(
    t: &mut Text,
    number: u64,
    ts: Timestamp,
    linktype: u32,
    error: Problem,
) -> anyhow::Result<()> {
    t.json(&FrameRecord {
        record: "frame",
        frame: number,
        time: Time(ts),
        linktype,
        encap: None,
        snapped: None,
        link: None,
        ble: None,
        mac: None,
        lowpan: None,
        note: None,
        datagram: None,
        learned_contexts: &[],
        security: None,
        learned_address: None,
        error: Some(error),
        warnings: Vec::new(),
    })
}

#[derive(Serialize)]
struct IncompleteRecord<'a> {
    record: &'static str,
    incomplete: &'a IncompleteDatagram,
}

/// A datagram given up incomplete (not a failed frame: the closing line counts these apart).
pub fn incomplete(t: &mut Text, inc: &IncompleteDatagram) -> anyhow::Result<()> {
    t.json(&IncompleteRecord {
        record: "incomplete",
        incomplete: inc,
    })
}

#[cfg(test)]
mod tests {
    use ietfwg_6lo::iphc;
    use ietfwg_6lo::{ContextTable, LinkAddr};

    use super::*;

    /// The library says which context is missing; the option to give it is added in JSON as in
    /// text, and the RFC section comes from the layer when the message cites none.
    #[test]
    fn missing_context_is_one_problem() -> anyhow::Result<()> {
        let (a, b) = (LinkAddr::Short(1), LinkAddr::Short(2));
        let ctx = ContextTable::new();
        let Err(e) = iphc::decompress(&[0x7b, 0xf3, 0x50, 0x11], 0, &ctx, a, b, None) else {
            anyhow::bail!("decompressed without context 5");
        };
        let p = problem(&e);
        assert_eq!(
            serde_json::to_value(&p)?,
            serde_json::json!({
                "layer": "iphc",
                "field": "SCI",
                "offset": 2,
                "message": "IPHC: byte 2: SCI: context 5 is not configured (give it with --context 5=PREFIX/LEN)",
                "rfc": "RFC 6282 §3",
            })
        );
        Ok(())
    }
}
