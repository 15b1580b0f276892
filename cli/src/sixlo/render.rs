//! Text and NDJSON rendering of 6LoWPAN frame reports.

use std::fmt;
use std::io::Write;

use colored::Colorize;
use ietfwg_6lo::ipv6::{Summary, Upper};
use ietfwg_6lo::lowpan::{Compression, FrameReport, IncompleteDatagram};
use ietfwg_6lo::security::{SecurityReport, Status};
use ietfwg_6lo::{Detail, Error, LinkAddr};
use ietfwg_capture::{Encap, Timestamp};
use serde_json::{Map, Value};

use crate::output::Output;

const INDENT: &str = "    ";

/// The key that tags a serialised enum: the codec crates use `type` (dispatch headers) or
/// `kind` (NHC, upper layers, encapsulations).
fn tag_key(m: &Map<String, Value>) -> Option<&'static str> {
    ["kind", "type"]
        .into_iter()
        .find(|k| m.get(*k).is_some_and(Value::is_string))
}

/// `k=v k=v` from a serialised header, skipping the enum tag, nulls and empty lists.
fn fields(v: &Value) -> String {
    let Value::Object(m) = v else {
        return v.to_string();
    };
    let skip = tag_key(m);
    let mut parts = Vec::new();
    for (k, v) in m {
        if Some(k.as_str()) == skip || v.is_null() || v.as_array().is_some_and(|a| a.is_empty()) {
            continue;
        }
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Object(_) => format!("{{{}}}", fields(v)),
            Value::Array(a) => a.iter().map(fields).collect::<Vec<_>>().join(", "),
            Value::Number(n) if k == "checksum" || k.ends_with("_tag") => {
                format!("0x{:04x}", n.as_u64().unwrap_or(0))
            }
            other => other.to_string(),
        };
        parts.push(format!("{k}={s}"));
    }
    parts.join(" ")
}

/// The tag of a serialised enum and the value to list fields of.
fn tag(v: &Value) -> (String, Value) {
    match v {
        Value::Object(m) => match tag_key(m) {
            Some(k) => (m[k].as_str().unwrap_or("?").to_string(), v.clone()),
            None if m.len() == 1 => m
                .iter()
                .next()
                .map(|(k, v)| (k.clone(), v.clone()))
                .unwrap_or_default(),
            None => (String::new(), v.clone()),
        },
        Value::String(s) => (s.clone(), Value::Null),
        other => (other.to_string(), Value::Null),
    }
}

/// A codec error as this program prints it: the library's text, then, for an error the user
/// can remedy with an option of this program, the option to give (the library names none).
pub struct Hinted<'a>(pub &'a Error);

impl fmt::Display for Hinted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        match self.0.detail() {
            Some(Detail::ContextNotConfigured { id }) => {
                write!(f, " (give it with --context {id}=PREFIX/LEN)")
            }
            _ => Ok(()),
        }
    }
}

fn label(s: &str) -> String {
    format!("{INDENT}{:<9}", s).cyan().to_string()
}

/// What the capture says about a frame, beside the frame itself.
#[derive(Debug)]
pub struct Link<'a> {
    pub ts: Timestamp,
    pub linktype: u32,
    pub encap: Option<&'a Encap>,
    /// `(captured, original)` length when the capture cut the frame short.
    pub snapped: Option<(usize, u32)>,
}

pub fn frame_text(out: &mut Output, r: &FrameReport<'_>, link: &Link<'_>) -> anyhow::Result<()> {
    let (ts, encap) = (link.ts, link.encap);
    let head = format!("#{}", r.frame).bold();
    write!(out, "{head}  {ts}")?;
    if let Some(m) = &r.mac {
        write!(out, "  {} {}", m.version, m.frame_type.to_string().bold())?;
        if let Some(seq) = m.seq {
            write!(out, " seq {seq}")?;
        }
        let pan = m.dst_pan.or(m.src_pan);
        if let Some(p) = pan {
            write!(out, " PAN 0x{p:04x}")?;
        }
        write!(out, "  {} → {}", m.src, m.dst)?;
        if let Some(f) = &m.fcs {
            let verdict = if f.ok {
                "FCS ok".green()
            } else {
                format!(
                    "FCS BAD (0x{:04x}, expected 0x{:04x})",
                    f.received, f.computed
                )
                .red()
                .bold()
            };
            write!(out, "  {verdict}")?;
        }
        if m.security_enabled {
            write!(out, "  {}", "secured".yellow())?;
        }
    }
    writeln!(out)?;
    if let Some((captured, original)) = link.snapped {
        writeln!(
            out,
            "{}{}",
            label("capture"),
            format!("only {captured} of {original} bytes captured: FCS not checked").yellow()
        )?;
    }
    if let Some(e) = encap {
        let v = serde_json::to_value(e)?;
        let (t, inner) = tag(&v);
        if t != "direct" {
            writeln!(out, "{}{} {}", label("encap"), t, fields(&inner))?;
        }
    }
    if let Some(m) = &r.mac {
        if !m.header_ies.is_empty() || !m.payload_ies.is_empty() {
            for ie in serde_json::to_value(&m.header_ies)?
                .as_array()
                .into_iter()
                .flatten()
            {
                writeln!(out, "{}{}", label("header IE"), fields(ie))?;
            }
            for ie in serde_json::to_value(&m.payload_ies)?
                .as_array()
                .into_iter()
                .flatten()
            {
                writeln!(out, "{}{}", label("payload IE"), fields(ie))?;
            }
        }
        if let Some(s) = &m.security {
            writeln!(
                out,
                "{}{}",
                label("security"),
                fields(&serde_json::to_value(s)?)
            )?;
        }
        if let Some(sec) = &r.security {
            security_line(out, sec)?;
        }
        if let Some(l) = &r.learned_address {
            writeln!(
                out,
                "{}0x{:04x} in PAN 0x{:04x} is {}",
                label("learnt"),
                l.short,
                l.pan,
                LinkAddr::Extended(l.extended)
            )?;
        }
        if let Some(c) = &m.command {
            writeln!(
                out,
                "{}{}",
                label("command"),
                fields(&serde_json::to_value(c)?)
            )?;
        }
        if let Some(b) = &m.beacon {
            writeln!(
                out,
                "{}{}",
                label("beacon"),
                fields(&serde_json::to_value(b)?)
            )?;
        }
    }
    if let Some(l) = &r.lowpan {
        for h in &l.dispatch {
            let (t, inner) = tag(&serde_json::to_value(h)?);
            writeln!(
                out,
                "{}{} {}",
                label("6LoWPAN"),
                t.to_uppercase(),
                fields(&inner)
            )?;
        }
        match &l.compression {
            Some(Compression::Iphc {
                iphc,
                nhc,
                compressed_len,
                uncompressed_len,
            }) => {
                writeln!(
                    out,
                    "{}TF={:02b} NH={} HLIM={:02b} CID={} SAC={} SAM={:02b} M={} DAC={} DAM={:02b}  ({} bytes for {})",
                    label("IPHC"),
                    iphc.tf,
                    u8::from(iphc.nh),
                    iphc.hlim,
                    u8::from(iphc.cid),
                    u8::from(iphc.sac),
                    iphc.sam,
                    u8::from(iphc.m),
                    u8::from(iphc.dac),
                    iphc.dam,
                    compressed_len,
                    uncompressed_len
                )?;
                writeln!(
                    out,
                    "{INDENT}{:<9}src {}  ({})",
                    "", iphc.src, iphc.src_mode
                )?;
                writeln!(
                    out,
                    "{INDENT}{:<9}dst {}  ({})",
                    "", iphc.dst, iphc.dst_mode
                )?;
                for n in nhc {
                    let (t, inner) = tag(&serde_json::to_value(n)?);
                    writeln!(out, "{}{} {}", label("NHC"), t, fields(&inner))?;
                }
            }
            Some(Compression::Hc1 {
                hc1,
                uncompressed_len,
            }) => {
                writeln!(
                    out,
                    "{}{}  (for {} bytes)",
                    label("HC1"),
                    fields(&serde_json::to_value(hc1)?),
                    uncompressed_len
                )?;
            }
            Some(Compression::Ipv6) => {
                writeln!(out, "{}uncompressed IPv6 (dispatch 0x41)", label("6LoWPAN"))?
            }
            None => {}
        }
        if let Some(f) = &l.fragment {
            let state = if f.completes {
                "completes it".green().to_string()
            } else {
                "pending".to_string()
            };
            writeln!(
                out,
                "{}bytes {}..{} of datagram {} → {} size {} tag 0x{:04x}: {state}",
                label("fragment"),
                f.offset,
                f.offset + f.len,
                f.key.src,
                f.key.dst,
                f.key.size,
                f.key.tag
            )?;
        }
    }
    if let Some(d) = &r.datagram {
        if let Some(ip) = &d.ipv6 {
            ipv6_lines(out, ip)?;
        }
        if d.frames.len() > 1 {
            let list: Vec<String> = d.frames.iter().map(|f| format!("#{f}")).collect();
            writeln!(
                out,
                "{}{} bytes reassembled from frames {}",
                label("datagram"),
                d.length,
                list.join(" ")
            )?;
        }
        if d.checksum_recomputed {
            writeln!(
                out,
                "{}UDP checksum elided on the wire, recomputed (RFC 6282 §4.3.2)",
                label("note")
            )?;
        }
        if let Some(e) = &d.ipv6_error {
            writeln!(out, "{}{}", label("warning"), e.to_string().yellow())?;
        }
    }
    if let Some(n) = &r.note {
        writeln!(out, "{}{}", label("note"), n.dimmed())?;
    }
    if let Some(e) = &r.error {
        writeln!(
            out,
            "{}{}",
            label("error"),
            Hinted(e).to_string().red().bold()
        )?;
    }
    Ok(())
}

/// What unsecuring a frame gave: the MIC verified (with which key) or why the payload was not
/// decoded, with the option that would supply what was missing.
fn security_line(out: &mut Output, sec: &SecurityReport) -> anyhow::Result<()> {
    let source = sec
        .nonce_source
        .map(|e| format!(", nonce from {}", LinkAddr::Extended(e)))
        .unwrap_or_default();
    let key = sec.key.map(|k| format!(" with {k}")).unwrap_or_default();
    let line = match sec.status {
        Status::Verified => format!("{}{key}{source}", "MIC verified".green()),
        Status::Unauthenticated => format!(
            "{}{key}{source}",
            "decrypted, no MIC to verify (security level 4)".yellow()
        ),
        Status::MicFailed => format!(
            "{} ({} key(s) tried{source}): payload not decoded",
            "MIC FAILED".red().bold(),
            sec.keys_tried
        ),
        Status::NoKey => format!(
            "{} (give it with --wpan-key or --thread-key)",
            "no key".yellow()
        ),
        Status::NoExtendedAddress => format!(
            "{} for 0x{:04x} (give it with --addr-map 0x{:04x}=EXT)",
            "no extended address".yellow(),
            sec.short_source.unwrap_or_default(),
            sec.short_source.unwrap_or_default()
        ),
        Status::Unsupported => format!(
            "{}: {}",
            "not decrypted".yellow(),
            sec.reason.as_deref().unwrap_or_default()
        ),
    };
    writeln!(out, "{}{line}", label("MIC"))?;
    Ok(())
}

fn checksum_verdict(ok: Option<bool>) -> String {
    match ok {
        Some(true) => "ok".green().to_string(),
        Some(false) => "BAD".red().bold().to_string(),
        None => "not verified".dimmed().to_string(),
    }
}

/// The IPv6 header and its upper layer, one line each (and again for IPv6-in-IPv6).
fn ipv6_lines(out: &mut Output, ip: &Summary) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}{} → {}  plen {} nh {} hlim {} tc 0x{:02x} flow 0x{:05x}",
        label("IPv6"),
        ip.src.to_string().bold(),
        ip.dst.to_string().bold(),
        ip.payload_length,
        ip.next_header,
        ip.hop_limit,
        ip.traffic_class,
        ip.flow_label
    )?;
    if !ip.ext_headers.is_empty() {
        let list: Vec<String> = ip
            .ext_headers
            .iter()
            .map(|(t, len)| format!("{t} ({len} bytes)"))
            .collect();
        writeln!(out, "{}{}", label("ext hdrs"), list.join(", "))?;
    }
    match &ip.upper {
        Upper::Udp {
            src_port,
            dst_port,
            length,
            checksum,
            checksum_ok,
        } => writeln!(
            out,
            "{}{src_port} → {dst_port}  len {length}  checksum 0x{checksum:04x} {}",
            label("UDP"),
            checksum_verdict(*checksum_ok)
        )?,
        Upper::Icmpv6 {
            type_,
            code,
            name,
            checksum,
            checksum_ok,
            nd,
            nd_error,
        } => {
            writeln!(
                out,
                "{}{name} (type {type_} code {code})  checksum 0x{checksum:04x} {}",
                label("ICMPv6"),
                checksum_verdict(*checksum_ok)
            )?;
            if let Some(nd) = nd {
                writeln!(
                    out,
                    "{}{}",
                    label("ND"),
                    fields(&serde_json::to_value(&nd.body)?)
                )?;
                for o in &nd.options {
                    let (t, inner) = tag(&serde_json::to_value(o)?);
                    writeln!(out, "{}{t} {}", label("ND option"), fields(&inner))?;
                }
            }
            if let Some(e) = nd_error {
                writeln!(out, "{}{}", label("warning"), e.to_string().yellow())?;
            }
        }
        Upper::Ipv6(inner) => ipv6_lines(out, inner)?,
        Upper::Other { protocol } => {
            writeln!(out, "{}protocol {protocol}, not decoded", label("payload"))?
        }
        Upper::None => {}
    }
    Ok(())
}

/// One frame as an NDJSON line (`super::json`).
pub fn frame_json(out: &mut Output, r: &FrameReport<'_>, link: &Link<'_>) -> anyhow::Result<()> {
    super::json::frame(out, r, link)
}

pub fn skipped(
    out: &mut Output,
    json: bool,
    number: u64,
    ts: Timestamp,
    linktype: u32,
    why: &str,
) -> anyhow::Result<()> {
    if json {
        super::json::skipped(out, number, ts, linktype, why)
    } else {
        writeln!(
            out,
            "{}  {ts}  {}",
            format!("#{number}").bold(),
            format!("not 802.15.4: {why}").dimmed()
        )?;
        Ok(())
    }
}

pub fn link_error(
    out: &mut Output,
    json: bool,
    number: u64,
    ts: Timestamp,
    linktype: u32,
    msg: &str,
) -> anyhow::Result<()> {
    if json {
        super::json::link_error(out, number, ts, linktype, msg)
    } else {
        writeln!(
            out,
            "{}  {ts}\n{}{}",
            format!("#{number}").bold(),
            label("error"),
            msg.red().bold()
        )?;
        Ok(())
    }
}

pub fn incomplete_line(inc: &IncompleteDatagram) -> String {
    let frames: Vec<String> = inc.frames.iter().map(|f| format!("#{f}")).collect();
    format!(
        "incomplete datagram {} → {} size {} tag 0x{:04x}: {} of {} bytes from frames {} ({})",
        inc.key.src,
        inc.key.dst,
        inc.key.size,
        inc.key.tag,
        inc.received,
        inc.key.size,
        frames.join(" "),
        serde_json::to_value(inc.reason)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_default()
    )
}

pub fn incomplete(out: &mut Output, json: bool, inc: &IncompleteDatagram) -> anyhow::Result<()> {
    if json {
        super::json::incomplete(out, inc)
    } else {
        writeln!(out, "{}", incomplete_line(inc).yellow())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ietfwg_6lo::iphc;
    use ietfwg_6lo::{ContextTable, LinkAddr};

    use super::*;

    /// The library says which context is missing; the option to give it is added here, in text
    /// and in JSON alike.
    #[test]
    fn missing_context_is_printed_with_the_option() -> anyhow::Result<()> {
        // SAC=1 SAM=11 with SCI=5 (CID octet 0x50), no context configured.
        let (a, b) = (LinkAddr::Short(1), LinkAddr::Short(2));
        let ctx = ContextTable::new();
        let Err(e) = iphc::decompress(&[0x7b, 0xf3, 0x50, 0x11], 0, &ctx, a, b, None) else {
            anyhow::bail!("decompressed without context 5");
        };
        let text = "IPHC: byte 2: SCI: context 5 is not configured";
        assert_eq!(e.to_string(), text);
        let hinted = format!("{text} (give it with --context 5=PREFIX/LEN)");
        assert_eq!(Hinted(&e).to_string(), hinted);
        // Other errors print as the library says.
        let Err(e) = iphc::decompress(&[0x7b], 0, &ctx, a, b, None) else {
            anyhow::bail!("decompressed one octet");
        };
        assert_eq!(Hinted(&e).to_string(), e.to_string());
        Ok(())
    }
}
