//! Text and NDJSON rendering of decoded IKE messages.
//!
//! Text: one block per message — a head line (frame, time, endpoints, transport), the IKE
//! header, then one line per payload (its short name as the label, registry names with their
//! numbers, every field; byte strings of more than [`HEX_MAX`] octets are cut, with their
//! length) and indented sub-lines (proposals, selectors, attributes, the decrypted inner chain).
//! Colours come from `colored`, which [`Output`] switched on or off once.
//!
//! JSON: the typed records of `super::json` (`docs/json.md`).

use std::fmt::Write as _;
use std::io::Write;

use colored::Colorize;
use ietfwg_ikev2::wire::ikev1::{Ikev1Message, Ikev1Payload};
use ietfwg_ikev2::wire::payload::{
    AttrValue, CfgValue, GatewayId, IdValue, NotifyData, Payload, PayloadBody, Proposal,
    SignatureInfo, TrafficSelector, Transform,
};
use ietfwg_ikev2::wire::registry::PayloadType;
use ietfwg_ikev2::{Error, Header};
use serde_json::Value;

use ietfwg_ikev2::decoder::{
    Decoded, Decryption, Encrypted, FragmentState, IcvStatus, Ikev2Decoded, Opened,
};

use super::stream::Event;
use crate::output::Output;
use ietfwg_capture::Timestamp;

/// Octets of a byte string shown in text output before it is cut.
pub const HEX_MAX: usize = 32;
const INDENT: &str = "    ";

// ---------------------------------------------------------------- helpers

/// `NAME (n)` for an assigned value, `n` otherwise.
fn nm(name: Option<&str>, n: impl std::fmt::Display) -> String {
    match name {
        Some(s) => format!("{s} ({n})"),
        None => format!("{n}"),
    }
}

/// Lowercase hex, cut after [`HEX_MAX`] octets.
fn hx(b: &[u8]) -> String {
    if b.len() > HEX_MAX {
        format!("{}… ({} octets)", hex::encode(&b[..HEX_MAX]), b.len())
    } else {
        hex::encode(b)
    }
}

/// Hex with its length: `32 octets: ab12…`.
fn data(b: &[u8]) -> String {
    if b.is_empty() {
        "empty".to_string()
    } else if b.len() > HEX_MAX {
        hx(b)
    } else {
        format!("{} ({} octets)", hex::encode(b), b.len())
    }
}

/// A payload type as `IDi (35)`, `No Next Payload (0)`.
fn pt(t: PayloadType) -> String {
    nm(t.short().or(t.name()), t.0)
}

fn payload_label(t: PayloadType) -> String {
    t.short()
        .map(str::to_string)
        .unwrap_or_else(|| format!("type-{}", t.0))
}

/// `k=v k=v` from any serialised value; registry values (`{"id", "name"}`) as `NAME (id)`.
fn kv(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            if let (Some(id), Some(name), 2) = (m.get("id"), m.get("name"), m.len()) {
                return nm(name.as_str(), id);
            }
            let mut parts = Vec::new();
            for (k, v) in m {
                if v.is_null() || v.as_array().is_some_and(|a| a.is_empty()) {
                    continue;
                }
                parts.push(format!("{k}={}", kv_value(v)));
            }
            parts.join(" ")
        }
        other => kv_value(other),
    }
}

fn kv_value(v: &Value) -> String {
    match v {
        Value::String(s) if s.len() > 2 * HEX_MAX && s.bytes().all(|c| c.is_ascii_hexdigit()) => {
            format!("{}… ({} octets)", &s[..2 * HEX_MAX], s.len() / 2)
        }
        Value::String(s) => s.clone(),
        Value::Object(m) if m.len() == 2 && m.contains_key("id") && m.contains_key("name") => kv(v),
        Value::Object(_) => format!("{{{}}}", kv(v)),
        Value::Array(a) => format!("[{}]", a.iter().map(kv).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

fn label(s: &str, depth: usize) -> String {
    let pad = INDENT.repeat(depth + 1);
    format!("{pad}{}", format!("{s:<9}").cyan())
}

fn sub(depth: usize) -> String {
    INDENT.repeat(depth + 1) + "         "
}

fn err_text(e: &Error) -> String {
    e.to_string()
}

// ---------------------------------------------------------------- text

/// Lines of one payload (and its sub-structures) at nesting `depth`.
fn payload_text(p: &Payload, depth: usize, lines: &mut Vec<String>) {
    let mut trailer = format!("[{} len {} @{}", p.payload_type.0, p.length, p.offset);
    if p.critical {
        trailer += " critical";
    }
    if p.reserved != 0 {
        let _ = write!(trailer, " reserved 0x{:02x}", p.reserved);
    }
    trailer += "]";
    let lab = label(&payload_label(p.payload_type), depth);
    let mut subl: Vec<String> = Vec::new();
    let summary: String = match &p.body {
        PayloadBody::Sa(sa) => {
            for pr in &sa.proposals {
                subl.push(proposal_line(pr));
            }
            format!("{} proposal(s)", sa.proposals.len())
        }
        PayloadBody::Ke(ke) => {
            let mut s = format!("{}, {}", nm(ke.group.name(), ke.group.0), data(&ke.data));
            if ke.reserved != 0 {
                let _ = write!(s, " reserved 0x{:04x}", ke.reserved);
            }
            s
        }
        PayloadBody::Id(id) => {
            let v = match &id.value {
                IdValue::Ipv4Addr(a) => a.to_string(),
                IdValue::Ipv6Addr(a) => a.to_string(),
                IdValue::Fqdn(s) | IdValue::Rfc822Addr(s) | IdValue::DerAsn1Dn(s) => {
                    format!("{s:?}")
                }
                IdValue::FcName(s) => format!("{s:?}"),
                IdValue::Null => "(no data)".to_string(),
                IdValue::Opaque => data(&id.data),
                IdValue::Malformed { reason } => {
                    format!(
                        "{} {}",
                        data(&id.data),
                        format!("malformed: {reason}").yellow()
                    )
                }
            };
            let mut s = format!("{} {}", nm(id.id_type.name(), id.id_type.0), v.bold());
            if id.reserved != [0; 3] {
                let _ = write!(s, " reserved {}", hex::encode(id.reserved));
            }
            s
        }
        PayloadBody::Cert(c) => {
            let mut s = format!("{}, {}", nm(c.encoding.name(), c.encoding.0), data(&c.data));
            if let Some(x) = &c.x509 {
                subl.push(format!("subject {}", x.subject));
                subl.push(format!("issuer {}", x.issuer));
                subl.push(format!("serial {}", x.serial));
            }
            if let Some(h) = &c.hash_and_url {
                s = format!(
                    "{}, hash {} url {}",
                    nm(c.encoding.name(), c.encoding.0),
                    hex::encode(&h.hash),
                    h.url
                );
            }
            s
        }
        PayloadBody::CertReq(c) => {
            if let Some(h) = &c.ca_hashes {
                for x in h {
                    subl.push(format!("CA {}", hex::encode(x.0)));
                }
                format!(
                    "{}, {} CA hash(es)",
                    nm(c.encoding.name(), c.encoding.0),
                    h.len()
                )
            } else {
                format!("{}, {}", nm(c.encoding.name(), c.encoding.0), data(&c.data))
            }
        }
        PayloadBody::Auth(a) => {
            let mut s = format!("{}, {}", nm(a.method.name(), a.method.0), data(&a.data));
            if a.reserved != [0; 3] {
                let _ = write!(s, " reserved {}", hex::encode(a.reserved));
            }
            match &a.signature {
                Some(SignatureInfo::Decoded(d)) => subl.push(format!(
                    "signature {} (OID {}), {}",
                    d.algorithm.unwrap_or("unknown algorithm"),
                    d.oid,
                    data(&d.signature)
                )),
                Some(SignatureInfo::Malformed { reason }) => subl.push(
                    format!("signature malformed: {reason}")
                        .yellow()
                        .to_string(),
                ),
                None => {}
            }
            s
        }
        PayloadBody::Nonce(n) => data(&n.data),
        PayloadBody::Notify(n) => notify_text(n),
        PayloadBody::Delete(d) => {
            let spis: Vec<String> = d.spis.iter().map(|s| hex::encode(&s.0)).collect();
            format!(
                "{} SPI size {}: {} SPI(s){}{}",
                nm(d.protocol_id.name(), d.protocol_id.0),
                d.spi_size,
                d.spis.len(),
                if spis.is_empty() { "" } else { " " },
                spis.join(" ")
            )
        }
        PayloadBody::VendorId(v) => match v.vendor {
            Some(name) => format!("{} {}", name.bold(), data(&v.data)),
            None => format!("unknown vendor {}", data(&v.data)),
        },
        PayloadBody::Ts(ts) => {
            for t in &ts.selectors {
                subl.push(selector_line(t));
            }
            let mut s = format!("{} selector(s)", ts.selectors.len());
            if ts.reserved != [0; 3] {
                let _ = write!(s, " reserved {}", hex::encode(ts.reserved));
            }
            s
        }
        PayloadBody::Sk(sk) => format!(
            "first inner payload {}, {} octets of IV, ciphertext and ICV",
            pt(sk.next_payload),
            sk.data.len()
        ),
        PayloadBody::Skf(f) => format!(
            "fragment {} of {}, first inner payload {}, {} octets of IV, ciphertext and ICV",
            f.fragment_number,
            f.total_fragments,
            pt(f.next_payload),
            f.data.len()
        ),
        PayloadBody::Cp(cp) => {
            for a in &cp.attributes {
                let v = match &a.decoded {
                    CfgValue::Empty => "(requested)".to_string(),
                    CfgValue::Ipv4(x) => x.to_string(),
                    CfgValue::Ipv6 {
                        address,
                        prefix_len: Some(p),
                    } => format!("{address}/{p}"),
                    CfgValue::Ipv6 { address, .. } => address.to_string(),
                    CfgValue::Ipv4Subnet { address, netmask } => format!("{address}/{netmask}"),
                    CfgValue::Text(t) => format!("{t:?}"),
                    CfgValue::AttributeTypes(ts) => ts
                        .iter()
                        .map(|t| nm(t.name(), t.0))
                        .collect::<Vec<_>>()
                        .join(", "),
                    CfgValue::Raw => data(&a.value),
                    CfgValue::Malformed { reason } => format!(
                        "{} {}",
                        data(&a.value),
                        format!("malformed: {reason}").yellow()
                    ),
                };
                subl.push(format!(
                    "{}{}: {v}",
                    nm(a.attr_type.name(), a.attr_type.0),
                    if a.r_bit { " (R bit set)" } else { "" }
                ));
            }
            format!(
                "{}, {} attribute(s)",
                nm(cp.cfg_type.name(), cp.cfg_type.0),
                cp.attributes.len()
            )
        }
        PayloadBody::Eap(e) => {
            let t = e
                .eap_type
                .map(|t| format!(" type {}", nm(t.name(), t.0)))
                .unwrap_or_default();
            format!(
                "{} id {} length {}{t} {}",
                nm(e.code.name(), e.code.0),
                e.identifier,
                e.length,
                if e.type_data.is_empty() {
                    String::new()
                } else {
                    data(&e.type_data)
                }
            )
        }
        PayloadBody::Puzzle(p) => data(&p.data),
        PayloadBody::Unknown { data: d } => {
            let name = p.payload_type.name().unwrap_or("unassigned payload type");
            format!("{name}, not decoded: {}", data(d))
        }
    };
    lines.push(format!("{lab}{summary}  {}", trailer.dimmed()));
    let s = sub(depth);
    for l in subl {
        lines.push(format!("{s}{l}"));
    }
}

/// `proposal #1 IKE: ENCR_AES_CBC_128 / PRF_HMAC_SHA2_256 / AUTH_HMAC_SHA2_256_128 / 2048-bit
/// MODP Group (14)` (the proposal's `Display`), then what else the wire carries: the SPI,
/// transform attributes other than Key Length, reserved octets.
pub fn proposal_line(p: &Proposal) -> String {
    let mut s = format!("proposal {p}");
    if p.transforms.is_empty() {
        s += "no transforms";
    }
    if !p.spi.is_empty() {
        let _ = write!(s, ", SPI {}", hex::encode(&p.spi));
    }
    for t in &p.transforms {
        let extra = transform_extras(t);
        if !extra.is_empty() {
            let _ = write!(s, " [{t}: {}]", extra.join(", "));
        }
    }
    if p.reserved != 0 {
        let _ = write!(s, " (reserved 0x{:02x})", p.reserved);
    }
    s
}

/// What a transform's name leaves out: attributes other than Key Length, reserved octets.
fn transform_extras(t: &Transform) -> Vec<String> {
    let mut extra = Vec::new();
    for a in &t.attributes {
        match (&a.value, a.attr_type.0) {
            (AttrValue::Tv(_), 14) => {}
            (AttrValue::Tv(v), _) => {
                extra.push(format!("{}={v}", nm(a.attr_type.name(), a.attr_type.0)))
            }
            (AttrValue::Tlv(b), _) => extra.push(format!(
                "{}={}",
                nm(a.attr_type.name(), a.attr_type.0),
                hx(b)
            )),
        }
    }
    if t.reserved1 != 0 || t.reserved2 != 0 {
        extra.push(format!(
            "reserved 0x{:02x}/0x{:02x}",
            t.reserved1, t.reserved2
        ));
    }
    extra
}

/// A traffic selector's `Display`, with the fields it leaves out of a security label or a
/// selector of an unknown type.
fn selector_line(t: &TrafficSelector) -> String {
    match t {
        TrafficSelector::SecLabel { reserved, label } => {
            format!("{t}, label {} reserved {reserved}", hx(label))
        }
        TrafficSelector::Unknown {
            ts_type,
            byte1,
            data: d,
        } => format!(
            "{t}: {} octet1 0x{byte1:02x} {}",
            nm(ts_type.name(), ts_type.0),
            data(d)
        ),
        _ => t.to_string(),
    }
}

fn notify_text(n: &ietfwg_ikev2::wire::payload::Notify) -> String {
    let t = n.notify_type;
    let name = nm(t.name(), t.0);
    let mut s = if t.is_error() {
        name.yellow().bold().to_string()
    } else {
        name.bold().to_string()
    };
    if n.protocol_id.0 != 0 || !n.spi.is_empty() {
        let _ = write!(s, " protocol {}", nm(n.protocol_id.name(), n.protocol_id.0));
    }
    if !n.spi.is_empty() {
        let _ = write!(s, " SPI {}", hex::encode(&n.spi));
    }
    let d = match &n.decoded {
        NotifyData::Empty => String::new(),
        NotifyData::Raw => data(&n.data),
        NotifyData::NatDetectionHash(h) => format!("SHA-1 {}", hex::encode(h)),
        NotifyData::Cookie(c) => format!("cookie {}", data(c)),
        NotifyData::InvalidKePayload { group } => {
            format!("accepted group {}", nm(group.name(), group.0))
        }
        NotifyData::UnsupportedCriticalPayload { payload_type } => format!(
            "payload type {}",
            nm(PayloadType(*payload_type).short(), payload_type)
        ),
        NotifyData::InvalidMessageId { message_id } => format!("message ID {message_id}"),
        NotifyData::SignatureHashAlgorithms(v) => v
            .iter()
            .map(|h| nm(h.name(), h.0))
            .collect::<Vec<_>>()
            .join(", "),
        NotifyData::Redirect {
            gateway_id_type,
            gateway_id,
            nonce,
            ..
        } => {
            let gw = match &**gateway_id {
                GatewayId::Ipv4(a) => a.to_string(),
                GatewayId::Ipv6(a) => a.to_string(),
                GatewayId::Fqdn(f) => format!("{f:?}"),
                GatewayId::Raw(b) => data(b),
            };
            let mut s = format!(
                "gateway {} {gw}",
                nm(gateway_id_type.name(), gateway_id_type.0)
            );
            if let Some(nc) = nonce {
                let _ = write!(s, ", nonce {}", data(nc));
            }
            s
        }
        NotifyData::SetWindowSize(w) => format!("window size {w}"),
        NotifyData::AuthLifetime(l) => format!("lifetime {l} s"),
        NotifyData::IpcompSupported { cpi, transform_id } => {
            format!("CPI 0x{cpi:04x} transform {transform_id}")
        }
        NotifyData::AdditionalAddress(a) => a.to_string(),
        NotifyData::Puzzle { prf, difficulty } => {
            format!("PRF {} difficulty {difficulty}", nm(prf.name(), prf.0))
        }
        NotifyData::PpkIdentity {
            ppk_id_type,
            ppk_id,
        } => format!("PPK_ID type {ppk_id_type} {}", data(ppk_id)),
        NotifyData::NoPpkAuth(b) => format!("auth data {}", data(b)),
        NotifyData::AdditionalKeyExchangeLink(b) => format!("link {}", data(b)),
        NotifyData::Malformed { reason } => format!(
            "{} {}",
            data(&n.data),
            format!("malformed: {reason}").yellow()
        ),
    };
    if !d.is_empty() {
        s += ": ";
        s += &d;
    }
    s
}

/// The head line of an entry.
fn head(ev: &Event) -> String {
    format!(
        "{}  {}  {} → {}  {}",
        format!("#{}", ev.frame).bold(),
        ev.ts,
        ev.src,
        ev.dst,
        ev.transport.label()
    )
}

fn header_text(h: &Header) -> String {
    let mut flags = Vec::new();
    if h.initiator() {
        flags.push("I");
    }
    if h.version() {
        flags.push("V");
    }
    if h.response() {
        flags.push("R");
    }
    let other = h.flags & !(Header::FLAG_INITIATOR | Header::FLAG_RESPONSE | Header::FLAG_VERSION);
    format!(
        "{}{} {}  flags 0x{:02x} [{}]{}  msgid {}  SPIi {:016x}  SPIr {:016x}  v{}.{}  len {}",
        label("IKEv2", 0),
        nm(h.exchange.name(), h.exchange.0).bold(),
        if h.response() { "response" } else { "request" },
        h.flags,
        flags.join(" "),
        if other != 0 {
            format!(" (unassigned bits 0x{other:02x})")
        } else {
            String::new()
        },
        h.message_id,
        h.spi_i,
        h.spi_r,
        h.major_version,
        h.minor_version,
        h.length
    )
}

fn encrypted_text(e: &Encrypted, depth: usize, lines: &mut Vec<String>) {
    let s = sub(depth);
    match &e.decryption {
        Decryption::NoKeys => lines.push(format!(
            "{s}{}",
            "not decrypted: no key table entry for this IKE SA".dimmed()
        )),
        Decryption::Failed(err) => lines.push(format!(
            "{s}{}",
            format!("decryption failed: {}", err_text(err)).red().bold()
        )),
        Decryption::Done(opened) => opened_text(opened, depth, lines),
    }
}

fn opened_text(opened: &Opened, depth: usize, lines: &mut Vec<String>) {
    let s = sub(depth);
    let d = &opened.decrypted;
    let icv = match opened.icv() {
        IcvStatus::Ok => "icv ok".green().to_string(),
        IcvStatus::NotChecked => "ICV not checked (key table: ANY … [No Checking])"
            .yellow()
            .to_string(),
        IcvStatus::Bad => "icv BAD".red().bold().to_string(),
    };
    lines.push(format!(
        "{s}decrypted: {icv}, {} octets of plaintext at @{}, pad length {}",
        d.plaintext.len(),
        d.plaintext_offset,
        d.pad_len
    ));
    match &opened.payloads {
        Some(Ok(ps)) => {
            if opened.icv() == IcvStatus::Bad {
                lines.push(format!(
                    "{s}{}",
                    "unauthenticated: the ICV does not verify (wrong keys or altered message); the chain below parses but cannot be trusted"
                        .red()
                ));
            }
            for p in ps {
                payload_text(p, depth + 1, lines);
            }
        }
        Some(Err(e)) => lines.push(format!(
            "{}{}",
            label("error", depth + 1),
            err_text(e).red().bold()
        )),
        None => {}
    }
    match &opened.fragments {
        Some(FragmentState::Waiting { missing }) => lines.push(format!(
            "{s}fragment kept; waiting for fragment(s) {}",
            missing
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(FragmentState::Discarded(why)) => lines.push(format!(
            "{s}{}",
            format!("fragment discarded: {why}").yellow()
        )),
        Some(FragmentState::Complete(r)) => {
            let frames: Vec<String> = r.frames.iter().map(|f| format!("#{f}")).collect();
            lines.push(format!(
                "{s}{}",
                format!(
                    "reassembled: {} octets from frames {}, first payload {}",
                    r.plaintext.len(),
                    frames.join(" "),
                    pt(r.first_payload)
                )
                .green()
            ));
            match &r.payloads {
                Ok(ps) => {
                    for p in ps {
                        payload_text(p, depth + 1, lines);
                    }
                }
                Err(e) => lines.push(format!(
                    "{}{}",
                    label("error", depth + 1),
                    err_text(e).red().bold()
                )),
            }
        }
        None => {}
    }
}

fn ikev2_text(d: &Ikev2Decoded, lines: &mut Vec<String>) {
    match &d.message {
        Ok(m) => {
            lines.push(header_text(&m.header));
            for (i, p) in m.payloads.iter().enumerate() {
                payload_text(p, 0, lines);
                if let Some(e) = d.encrypted.as_ref().filter(|e| e.payload_index == i) {
                    encrypted_text(e, 0, lines);
                }
            }
        }
        Err(e) => {
            if let Some(h) = &d.header {
                lines.push(header_text(h));
            }
            lines.push(format!("{}{}", label("error", 0), err_text(e).red().bold()));
        }
    }
}

fn ikev1_payload_text(p: &Ikev1Payload, depth: usize, lines: &mut Vec<String>) {
    let body = serde_json::to_value(&p.body).unwrap_or(Value::Null);
    let mut fields = kv(&body);
    if let Some(k) = body.get("kind").and_then(Value::as_str) {
        fields = fields
            .replacen(&format!("kind={k}"), "", 1)
            .trim()
            .to_string();
    }
    let mut trailer = format!("[{} len {} @{}", p.payload_type.0, p.length, p.offset);
    if p.reserved != 0 {
        let _ = write!(trailer, " reserved 0x{:02x}", p.reserved);
    }
    trailer += "]";
    lines.push(format!(
        "{}{fields}  {}",
        label(&p.payload_type.to_string(), depth),
        trailer.dimmed()
    ));
    for c in &p.children {
        ikev1_payload_text(c, depth + 1, lines);
    }
}

fn ikev1_text(m: &Ikev1Message, lines: &mut Vec<String>) {
    let h = &m.header;
    let mut flags = Vec::new();
    if h.flags.encryption {
        flags.push("E");
    }
    if h.flags.commit {
        flags.push("C");
    }
    if h.flags.authentication_only {
        flags.push("A");
    }
    lines.push(format!(
        "{}{}  flags 0x{:02x} [{}]  msgid 0x{:08x}  CKY-I {}  CKY-R {}  v{}.{}  len {}",
        label("IKEv1", 0),
        nm(h.exchange_type.name(), h.exchange_type.0).bold(),
        h.flags.raw,
        flags.join(" "),
        h.message_id,
        hex::encode(h.initiator_cookie),
        hex::encode(h.responder_cookie),
        h.major_version,
        h.minor_version,
        h.length
    ));
    if let Some(n) = m.encrypted_len {
        lines.push(format!(
            "{}{n} octets, first payload {}",
            label("encrypted", 0),
            h.next_payload
        ));
    }
    for p in &m.payloads {
        ikev1_payload_text(p, 0, lines);
    }
    if m.trailing_len > 0 {
        lines.push(format!(
            "{}{}",
            label("note", 0),
            format!(
                "{} octet(s) after the message's Length (not part of it)",
                m.trailing_len
            )
            .dimmed()
        ));
    }
}

/// One entry as text.
pub fn entry_text(out: &mut Output, ev: &Event) -> anyhow::Result<()> {
    let mut lines = vec![head(ev)];
    match &ev.decoded {
        Decoded::Ikev2(x) => ikev2_text(x, &mut lines),
        Decoded::Ikev1(Ok(m)) => ikev1_text(m, &mut lines),
        Decoded::Ikev1(Err(e)) => {
            lines.push(format!("{}{}", label("IKEv1", 0), "ISAKMP message".bold()));
            lines.push(format!("{}{}", label("error", 0), err_text(e).red().bold()));
        }
        Decoded::Esp { spi, seq, len } => lines.push(format!(
            "{}SPI 0x{spi:08x}  seq {seq}  {len} octets",
            label("ESP", 0)
        )),
        Decoded::Keepalive => lines.push(format!(
            "{}{}",
            label("keepalive", 0),
            "NAT-keepalive (0xFF, RFC 3948 §2.3)".dimmed()
        )),
        Decoded::Transport(e) => {
            lines.push(format!(
                "{}{}",
                label("error", 0),
                e.to_string().red().bold()
            ));
        }
    }
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// A packet whose IP/UDP/TCP headers did not decode.
pub fn packet_error_text(
    out: &mut Output,
    frame: u64,
    ts: Timestamp,
    msg: &str,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}  {ts}\n{}{}",
        format!("#{frame}").bold(),
        label("error", 0),
        msg.red().bold()
    )?;
    Ok(())
}

// ---------------------------------------------------------------- JSON

/// One entry as an NDJSON line (`super::json`).
pub fn entry_json(out: &mut Output, ev: &Event) -> anyhow::Result<()> {
    super::json::entry(out, ev)
}

/// A packet whose IP/UDP/TCP headers did not decode, as NDJSON.
pub fn packet_error_json(
    out: &mut Output,
    frame: u64,
    ts: Timestamp,
    msg: &str,
) -> anyhow::Result<()> {
    super::json::packet_error(out, frame, ts, msg)
}
