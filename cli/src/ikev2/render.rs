//! Text and NDJSON rendering of decoded IKE messages.
//!
//! Text: one block per message — a head line (frame, time, endpoints, transport), the IKE
//! header, then one line per payload (its short name as the label, registry names with their
//! numbers, every field; byte strings of more than [`HEX_MAX`] octets are cut, with their
//! length) and indented sub-lines (proposals, selectors, attributes, the decrypted inner chain).
//! Each line ends with the section that defines it and, for a payload, where it lies:
//! `(RFC 7296 §3.10; type 41, 28 octets at 176)` is a Notify payload, payload type 41, whose
//! 28 octets (generic header included) start at octet 176 of the IKE message. A message whose
//! payload chain fails part way shows the payloads read before the error, then the error.
//! Colours come from `colored`, which [`Output`] switched on or off once.
//!
//! JSON: the typed records of `super::json` (`docs/json.md`).

use ietfwg_ikev2::wire::fields::body_reference;
use ietfwg_ikev2::wire::ikev1::{Ikev1Message, Ikev1Payload};
use ietfwg_ikev2::wire::payload::{
    AttrValue, CfgValue, GatewayId, IdValue, NotifyData, Payload, PayloadBody, Proposal,
    SignatureInfo, TrafficSelector, Transform,
};
use ietfwg_ikev2::wire::reader::Reader;
use ietfwg_ikev2::wire::registry::PayloadType;
use ietfwg_ikev2::{Error, Header};

use ietfwg_ikev2::decoder::{
    Decoded, Decryption, Encrypted, FragmentState, IcvStatus, Ikev2Decoded, Opened,
};

use super::stream::Event;
use crate::text::{self, Text};
use ietfwg_capture::Timestamp;

/// Octets of a byte string shown in text output before it is cut.
pub const HEX_MAX: usize = 32;
const INDENT: &str = "    ";

// ---------------------------------------------------------------- helpers

/// `NAME (n)` for an assigned value, `n` otherwise.
fn nm(t: &mut Text, name: Option<&str>, n: impl std::fmt::Display) {
    match name {
        Some(s) => {
            t.s(s).s(" (").d(n).s(")");
        }
        None => {
            t.d(n);
        }
    }
}

/// `nm` for a registry value with a `u8`/`u16` number.
fn nmn<I: itoa::Integer>(t: &mut Text, name: Option<&str>, n: I) {
    match name {
        Some(s) => {
            t.s(s).s(" (").n(n).s(")");
        }
        None => {
            t.n(n);
        }
    }
}

/// Lowercase hex, cut after [`HEX_MAX`] octets.
fn hx(t: &mut Text, b: &[u8]) {
    if b.len() > HEX_MAX {
        t.hex_bytes(&b[..HEX_MAX]).s("… (").n(b.len()).s(" octets)");
    } else {
        t.hex_bytes(b);
    }
}

/// Hex with its length: `ab12… (32 octets)`.
fn data(t: &mut Text, b: &[u8]) {
    if b.is_empty() {
        t.s("empty");
    } else if b.len() > HEX_MAX {
        hx(t, b);
    } else {
        t.hex_bytes(b).s(" (").n(b.len()).s(" octets)");
    }
}

/// A payload type as `IDi (35)`, `No Next Payload (0)`.
fn pt(t: &mut Text, p: PayloadType) {
    nmn(t, p.short().or(p.name()), p.0);
}

fn payload_label(p: PayloadType) -> std::borrow::Cow<'static, str> {
    match p.short() {
        Some(s) => s.into(),
        None => format!("type-{}", p.0).into(),
    }
}

fn indent(t: &mut Text, depth: usize) {
    for _ in 0..=depth {
        t.s(INDENT);
    }
}

/// A line's label: the indent for `depth`, then `{s:<9}` in cyan.
fn label(t: &mut Text, s: &str, depth: usize) {
    indent(t, depth);
    t.styled(text::cyan, |t| {
        t.pad(s, 9);
    });
}

/// The indent of a sub-line at `depth`.
fn sub(t: &mut Text, depth: usize) {
    indent(t, depth);
    t.s("         ");
}

// ---------------------------------------------------------------- text

/// Lines of one payload (and its sub-structures) at nesting `depth`.
fn payload_text(t: &mut Text, p: &Payload, depth: usize) {
    label(t, &payload_label(p.payload_type), depth);
    match &p.body {
        PayloadBody::Sa(sa) => {
            t.n(sa.proposals.len()).s(" proposal(s)");
        }
        PayloadBody::Ke(ke) => {
            nmn(t, ke.group.name(), ke.group.0);
            t.s(", ");
            data(t, &ke.data);
            if ke.reserved != 0 {
                t.s(" reserved ").hex(u64::from(ke.reserved), 4);
            }
        }
        PayloadBody::Id(id) => {
            nmn(t, id.id_type.name(), id.id_type.0);
            t.s(" ");
            t.styled(text::bold, |t| match &id.value {
                IdValue::Ipv4Addr(a) => {
                    t.d(a);
                }
                IdValue::Ipv6Addr(a) => {
                    t.d(a);
                }
                IdValue::Fqdn(s) | IdValue::Rfc822Addr(s) | IdValue::DerAsn1Dn(s) => {
                    t.d(format_args!("{s:?}"));
                }
                IdValue::FcName(s) => {
                    t.d(format_args!("{s:?}"));
                }
                IdValue::Null => {
                    t.s("(no data)");
                }
                IdValue::Opaque => data(t, &id.data),
                IdValue::Malformed { reason } => {
                    data(t, &id.data);
                    t.s(" ");
                    t.styled(text::yellow, |t| {
                        t.s("malformed: ").d(reason);
                    });
                }
            });
            if id.reserved != [0; 3] {
                t.s(" reserved ").hex_bytes(&id.reserved);
            }
        }
        PayloadBody::Cert(c) => {
            nmn(t, c.encoding.name(), c.encoding.0);
            match &c.hash_and_url {
                Some(h) => {
                    t.s(", hash ").hex_bytes(&h.hash).s(" url ").d(&h.url);
                }
                None => {
                    t.s(", ");
                    data(t, &c.data);
                }
            }
        }
        PayloadBody::CertReq(c) => {
            nmn(t, c.encoding.name(), c.encoding.0);
            if let Some(h) = &c.ca_hashes {
                t.s(", ").n(h.len()).s(" CA hash(es)");
            } else {
                t.s(", ");
                data(t, &c.data);
            }
        }
        PayloadBody::Auth(a) => {
            nmn(t, a.method.name(), a.method.0);
            t.s(", ");
            data(t, &a.data);
            if a.reserved != [0; 3] {
                t.s(" reserved ").hex_bytes(&a.reserved);
            }
        }
        PayloadBody::Nonce(n) => data(t, &n.data),
        PayloadBody::Notify(n) => notify_text(t, n),
        PayloadBody::Delete(d) => {
            nmn(t, d.protocol_id.name(), d.protocol_id.0);
            t.s(" SPI size ")
                .n(d.spi_size)
                .s(": ")
                .n(d.spis.len())
                .s(" SPI(s)");
            for spi in &d.spis {
                t.s(" ").hex_bytes(&spi.0);
            }
        }
        PayloadBody::VendorId(v) => match v.vendor {
            Some(name) => {
                t.st(text::bold, name).s(" ");
                data(t, &v.data);
            }
            None => {
                t.s("unknown vendor ");
                data(t, &v.data);
            }
        },
        PayloadBody::Ts(ts) => {
            t.n(ts.selectors.len()).s(" selector(s)");
            if ts.reserved != [0; 3] {
                t.s(" reserved ").hex_bytes(&ts.reserved);
            }
        }
        PayloadBody::Sk(sk) => {
            t.s("first inner payload ");
            pt(t, sk.next_payload);
            t.s(", ")
                .n(sk.data.len())
                .s(" octets of IV, ciphertext and ICV");
        }
        PayloadBody::Skf(f) => {
            t.s("fragment ")
                .n(f.fragment_number)
                .s(" of ")
                .n(f.total_fragments)
                .s(", first inner payload ");
            pt(t, f.next_payload);
            t.s(", ")
                .n(f.data.len())
                .s(" octets of IV, ciphertext and ICV");
        }
        PayloadBody::Cp(cp) => {
            nmn(t, cp.cfg_type.name(), cp.cfg_type.0);
            t.s(", ").n(cp.attributes.len()).s(" attribute(s)");
        }
        PayloadBody::Eap(e) => {
            nmn(t, e.code.name(), e.code.0);
            t.s(" id ").n(e.identifier).s(" length ").n(e.length);
            if let Some(ty) = e.eap_type {
                t.s(" type ");
                nmn(t, ty.name(), ty.0);
            }
            t.s(" ");
            if !e.type_data.is_empty() {
                data(t, &e.type_data);
            }
        }
        PayloadBody::Puzzle(p) => data(t, &p.data),
        PayloadBody::Unknown { data: d } => {
            let name = p.payload_type.name().unwrap_or("unassigned payload type");
            t.s(name).s(", not decoded: ");
            data(t, d);
        }
    }
    t.s("  (");
    t.styled(text::dimmed, |t| {
        t.s(body_reference(p))
            .s("; type ")
            .n(p.payload_type.0)
            .s(", ")
            .n(p.length)
            .s(" octets at ")
            .n(p.offset);
        if p.critical {
            t.s(", critical");
        }
        if p.reserved != 0 {
            t.s(", reserved ").hex(u64::from(p.reserved), 2);
        }
    });
    t.s(")");
    t.nl();
    // Sub-lines.
    match &p.body {
        PayloadBody::Sa(sa) => {
            for pr in &sa.proposals {
                sub(t, depth);
                proposal_line(t, pr);
                t.nl();
            }
        }
        PayloadBody::Cert(c) => {
            if let Some(x) = &c.x509 {
                sub(t, depth);
                t.s("subject ").d(&x.subject).nl();
                sub(t, depth);
                t.s("issuer ").d(&x.issuer).nl();
                sub(t, depth);
                t.s("serial ").d(&x.serial).nl();
            }
        }
        PayloadBody::CertReq(c) => {
            for x in c.ca_hashes.iter().flatten() {
                sub(t, depth);
                t.s("CA ").hex_bytes(&x.0).nl();
            }
        }
        PayloadBody::Auth(a) => match &a.signature {
            Some(SignatureInfo::Decoded(d)) => {
                sub(t, depth);
                t.s("signature ")
                    .s(d.algorithm.unwrap_or("unknown algorithm"))
                    .s(" (OID ")
                    .d(&d.oid)
                    .s("), ");
                data(t, &d.signature);
                t.nl();
            }
            Some(SignatureInfo::Malformed { reason }) => {
                sub(t, depth);
                t.styled(text::yellow, |t| {
                    t.s("signature malformed: ").d(reason);
                });
                t.nl();
            }
            None => {}
        },
        PayloadBody::Ts(ts) => {
            for s in &ts.selectors {
                sub(t, depth);
                selector_line(t, s);
                t.nl();
            }
        }
        PayloadBody::Cp(cp) => {
            for a in &cp.attributes {
                sub(t, depth);
                nmn(t, a.attr_type.name(), a.attr_type.0);
                if a.r_bit {
                    t.s(" (R bit set)");
                }
                t.s(": ");
                match &a.decoded {
                    CfgValue::Empty => {
                        t.s("(requested)");
                    }
                    CfgValue::Ipv4(x) => {
                        t.d(x);
                    }
                    CfgValue::Ipv6 {
                        address,
                        prefix_len: Some(p),
                    } => {
                        t.d(address).s("/").d(p);
                    }
                    CfgValue::Ipv6 { address, .. } => {
                        t.d(address);
                    }
                    CfgValue::Ipv4Subnet { address, netmask } => {
                        t.d(address).s("/").d(netmask);
                    }
                    CfgValue::Text(s) => {
                        t.d(format_args!("{s:?}"));
                    }
                    CfgValue::AttributeTypes(ts) => {
                        for (i, ty) in ts.iter().enumerate() {
                            if i > 0 {
                                t.s(", ");
                            }
                            nmn(t, ty.name(), ty.0);
                        }
                    }
                    CfgValue::Raw => data(t, &a.value),
                    CfgValue::Malformed { reason } => {
                        data(t, &a.value);
                        t.s(" ");
                        t.styled(text::yellow, |t| {
                            t.s("malformed: ").d(reason);
                        });
                    }
                }
                t.nl();
            }
        }
        _ => {}
    }
}

/// `proposal #1 IKE: ENCR_AES_CBC_128 / PRF_HMAC_SHA2_256 / AUTH_HMAC_SHA2_256_128 / 2048-bit
/// MODP Group (14)` (the proposal's `Display`), then what else the wire carries: the SPI,
/// transform attributes other than Key Length, reserved octets.
pub fn proposal_line(t: &mut Text, p: &Proposal) {
    t.s("proposal ");
    // The proposal's `Display`, written without `core::fmt`.
    p.put_text(&mut t.buf);
    if p.transforms.is_empty() {
        t.s("no transforms");
    }
    if !p.spi.is_empty() {
        t.s(", SPI ").hex_bytes(&p.spi);
    }
    for tr in &p.transforms {
        if has_extras(tr) {
            t.s(" [").d(tr).s(": ");
            transform_extras(t, tr);
            t.s("]");
        }
    }
    if p.reserved != 0 {
        t.s(" (reserved ").hex(u64::from(p.reserved), 2).s(")");
    }
}

/// Whether a transform carries what its name leaves out.
fn has_extras(tr: &Transform) -> bool {
    tr.reserved1 != 0
        || tr.reserved2 != 0
        || tr
            .attributes
            .iter()
            .any(|a| !matches!((&a.value, a.attr_type.0), (AttrValue::Tv(_), 14)))
}

/// What a transform's name leaves out: attributes other than Key Length, reserved octets.
fn transform_extras(t: &mut Text, tr: &Transform) {
    let mut first = true;
    let mut sep = |t: &mut Text| {
        if !first {
            t.s(", ");
        }
        first = false;
    };
    for a in &tr.attributes {
        match (&a.value, a.attr_type.0) {
            (AttrValue::Tv(_), 14) => {}
            (AttrValue::Tv(v), _) => {
                sep(t);
                nmn(t, a.attr_type.name(), a.attr_type.0);
                t.s("=").d(v);
            }
            (AttrValue::Tlv(b), _) => {
                sep(t);
                nmn(t, a.attr_type.name(), a.attr_type.0);
                t.s("=");
                hx(t, b);
            }
        }
    }
    if tr.reserved1 != 0 || tr.reserved2 != 0 {
        sep(t);
        t.s("reserved ")
            .hex(u64::from(tr.reserved1), 2)
            .s("/")
            .hex(u64::from(tr.reserved2), 2);
    }
}

/// A traffic selector's `Display`, with the fields it leaves out of a security label or a
/// selector of an unknown type.
fn selector_line(t: &mut Text, ts: &TrafficSelector) {
    match ts {
        TrafficSelector::SecLabel { reserved, label } => {
            t.d(ts).s(", label ");
            hx(t, label);
            t.s(" reserved ").d(reserved);
        }
        TrafficSelector::Unknown {
            ts_type,
            byte1,
            data: d,
        } => {
            t.d(ts).s(": ");
            nmn(t, ts_type.name(), ts_type.0);
            t.s(" octet1 ").hex(u64::from(*byte1), 2).s(" ");
            data(t, d);
        }
        _ => {
            t.d(ts);
        }
    }
}

fn notify_text(t: &mut Text, n: &ietfwg_ikev2::wire::payload::Notify) {
    let nt = n.notify_type;
    let style = if nt.is_error() {
        text::yellow_bold
    } else {
        text::bold
    };
    t.styled(style, |t| nmn(t, nt.name(), nt.0));
    if n.protocol_id.0 != 0 || !n.spi.is_empty() {
        t.s(" protocol ");
        nmn(t, n.protocol_id.name(), n.protocol_id.0);
    }
    if !n.spi.is_empty() {
        t.s(" SPI ").hex_bytes(&n.spi);
    }
    // ": " and the decoded data, unless that is empty.
    let at = t.buf.len();
    t.s(": ");
    match &n.decoded {
        NotifyData::Empty => {}
        NotifyData::Raw => data(t, &n.data),
        NotifyData::NatDetectionHash(h) => {
            t.s("SHA-1 ").hex_bytes(h);
        }
        NotifyData::Cookie(c) => {
            t.s("cookie ");
            data(t, c);
        }
        NotifyData::InvalidKePayload { group } => {
            t.s("accepted group ");
            nmn(t, group.name(), group.0);
        }
        NotifyData::UnsupportedCriticalPayload { payload_type } => {
            t.s("payload type ");
            nm(t, PayloadType(*payload_type).short(), payload_type);
        }
        NotifyData::InvalidMessageId { message_id } => {
            t.s("message ID ").d(message_id);
        }
        NotifyData::SignatureHashAlgorithms(v) => {
            for (i, h) in v.iter().enumerate() {
                if i > 0 {
                    t.s(", ");
                }
                nmn(t, h.name(), h.0);
            }
        }
        NotifyData::Redirect {
            gateway_id_type,
            gateway_id,
            nonce,
            ..
        } => {
            t.s("gateway ");
            nmn(t, gateway_id_type.name(), gateway_id_type.0);
            t.s(" ");
            match &**gateway_id {
                GatewayId::Ipv4(a) => {
                    t.d(a);
                }
                GatewayId::Ipv6(a) => {
                    t.d(a);
                }
                GatewayId::Fqdn(f) => {
                    t.d(format_args!("{f:?}"));
                }
                GatewayId::Raw(b) => data(t, b),
            }
            if let Some(nc) = nonce {
                t.s(", nonce ");
                data(t, nc);
            }
        }
        NotifyData::SetWindowSize(w) => {
            t.s("window size ").d(w);
        }
        NotifyData::AuthLifetime(l) => {
            t.s("lifetime ").d(l).s(" s");
        }
        NotifyData::IpcompSupported { cpi, transform_id } => {
            t.s("CPI ")
                .hex(u64::from(*cpi), 4)
                .s(" transform ")
                .d(transform_id);
        }
        NotifyData::AdditionalAddress(a) => {
            t.d(a);
        }
        NotifyData::Puzzle { prf, difficulty } => {
            t.s("PRF ");
            nmn(t, prf.name(), prf.0);
            t.s(" difficulty ").d(difficulty);
        }
        NotifyData::PpkIdentity {
            ppk_id_type,
            ppk_id,
        } => {
            t.s("PPK_ID type ").d(ppk_id_type).s(" ");
            data(t, ppk_id);
        }
        NotifyData::NoPpkAuth(b) => {
            t.s("auth data ");
            data(t, b);
        }
        NotifyData::AdditionalKeyExchangeLink(b) => {
            t.s("link ");
            data(t, b);
        }
        NotifyData::Malformed { reason } => {
            data(t, &n.data);
            t.s(" ");
            t.styled(text::yellow, |t| {
                t.s("malformed: ").d(reason);
            });
        }
    }
    if t.buf.len() == at + 2 {
        t.buf.truncate(at);
    }
}

/// The head line of an entry.
fn head(t: &mut Text, ev: &Event) {
    t.styled(text::bold, |t| {
        t.s("#").n(ev.frame);
    });
    t.s("  ")
        .ts(ev.ts)
        .s("  ")
        .sock(&ev.src)
        .s(" → ")
        .sock(&ev.dst)
        .s("  ")
        .s(ev.transport.label())
        .nl();
}

fn header_text(t: &mut Text, h: &Header) {
    label(t, "IKEv2", 0);
    t.styled(text::bold, |t| nmn(t, h.exchange.name(), h.exchange.0));
    t.s(if h.response() {
        " response"
    } else {
        " request"
    })
    .s("  flags ")
    .hex(u64::from(h.flags), 2)
    .s(" [");
    let mut first = true;
    for (on, f) in [
        (h.initiator(), "I"),
        (h.version(), "V"),
        (h.response(), "R"),
    ] {
        if on {
            if !first {
                t.s(" ");
            }
            first = false;
            t.s(f);
        }
    }
    t.s("]");
    let other = h.flags & !(Header::FLAG_INITIATOR | Header::FLAG_RESPONSE | Header::FLAG_VERSION);
    if other != 0 {
        t.s(" (unassigned bits ").hex(u64::from(other), 2).s(")");
    }
    t.s("  msgid ")
        .n(h.message_id)
        .s("  SPIi ")
        .hex_digits(h.spi_i, 16)
        .s("  SPIr ")
        .hex_digits(h.spi_r, 16)
        .s("  v")
        .n(h.major_version)
        .s(".")
        .n(h.minor_version)
        .s("  len ")
        .n(h.length)
        .s("  (");
    t.st(text::dimmed, "RFC 7296 §3.1");
    t.s(")").nl();
}

fn error_line(t: &mut Text, e: &Error, depth: usize) {
    label(t, "error", depth);
    t.styled(text::red_bold, |t| {
        t.d(e);
    });
    t.nl();
}

fn encrypted_text(t: &mut Text, e: &Encrypted, depth: usize) {
    match &e.decryption {
        Decryption::NoKeys => {
            sub(t, depth);
            t.st(
                text::dimmed,
                "not decrypted: no key table entry for this IKE SA",
            )
            .nl();
        }
        Decryption::Failed(err) => {
            sub(t, depth);
            t.styled(text::red_bold, |t| {
                t.s("decryption failed: ").d(err);
            });
            t.nl();
        }
        Decryption::Done(opened) => opened_text(t, opened, depth),
    }
}

fn opened_text(t: &mut Text, opened: &Opened, depth: usize) {
    let d = &opened.decrypted;
    sub(t, depth);
    t.s("decrypted: ");
    match opened.icv() {
        IcvStatus::Ok => t.st(text::green, "icv ok"),
        IcvStatus::NotChecked => t.st(
            text::yellow,
            "ICV not checked (key table: ANY … [No Checking])",
        ),
        IcvStatus::Bad => t.st(text::red_bold, "icv BAD"),
    };
    t.s(", ")
        .n(d.plaintext.len())
        .s(" octets of plaintext at octet ")
        .n(d.plaintext_offset)
        .s(", pad length ")
        .n(d.pad_len)
        .nl();
    match &opened.payloads {
        Some(Ok(ps)) => {
            if opened.icv() == IcvStatus::Bad {
                sub(t, depth);
                t.st(
                    text::red,
                    "unauthenticated: the ICV does not verify (wrong keys or altered message); the chain below parses but cannot be trusted",
                )
                .nl();
            }
            for p in ps {
                payload_text(t, p, depth + 1);
            }
        }
        Some(Err(e)) => {
            // The inner payloads read before the error, then the error.
            let mut r = Reader::new(&d.plaintext, d.plaintext_offset);
            for p in ietfwg_ikev2::wire::payload::payloads_before_error(
                &mut r,
                PayloadType(d.first_payload),
            ) {
                payload_text(t, &p, depth + 1);
            }
            error_line(t, e, depth + 1);
        }
        None => {}
    }
    match &opened.fragments {
        Some(FragmentState::Waiting { missing }) => {
            sub(t, depth);
            t.s("fragment kept; waiting for fragment(s) ");
            for (i, m) in missing.iter().enumerate() {
                if i > 0 {
                    t.s(", ");
                }
                t.n(*m);
            }
            t.nl();
        }
        Some(FragmentState::Discarded(why)) => {
            sub(t, depth);
            t.styled(text::yellow, |t| {
                t.s("fragment discarded: ").d(why);
            });
            t.nl();
        }
        Some(FragmentState::Complete(r)) => {
            sub(t, depth);
            t.styled(text::green, |t| {
                t.s("reassembled: ")
                    .n(r.plaintext.len())
                    .s(" octets from frames ");
                for (i, f) in r.frames.iter().enumerate() {
                    if i > 0 {
                        t.s(" ");
                    }
                    t.s("#").n(*f);
                }
                t.s(", first payload ");
                pt(t, r.first_payload);
            });
            t.nl();
            match &r.payloads {
                Ok(ps) => {
                    for p in ps {
                        payload_text(t, p, depth + 1);
                    }
                }
                Err(e) => error_line(t, e, depth + 1),
            }
        }
        None => {}
    }
}

fn ikev2_text(t: &mut Text, d: &Ikev2Decoded) {
    match &d.message {
        Ok(m) => {
            header_text(t, &m.header);
            for (i, p) in m.payloads.iter().enumerate() {
                payload_text(t, p, 0);
                if let Some(e) = d.encrypted.as_ref().filter(|e| e.payload_index == i) {
                    encrypted_text(t, e, 0);
                }
            }
        }
        Err(e) => {
            if let Some(h) = &d.header {
                header_text(t, h);
            }
            for p in &d.partial {
                payload_text(t, p, 0);
            }
            error_line(t, e, 0);
        }
    }
}

fn ikev1_payload_text(t: &mut Text, p: &Ikev1Payload, depth: usize) {
    // `k=v` fields of the body, without its `kind=` tag, trimmed: written into a buffer kept in
    // `t` across payloads (no `String` per payload).
    let mut fields = std::mem::take(&mut t.kv);
    fields.clear();
    let (text, kind_at) = match t.tape.record(&p.body) {
        Ok(()) => {
            t.tape.write_kv(0, &mut fields, HEX_MAX);
            let text = String::from_utf8_lossy(&fields);
            // Where `kind=KIND` first is, and its length.
            let kind_at = t.tape.top_str("kind").map(|k| {
                let at = text
                    .match_indices("kind=")
                    .map(|(i, _)| i)
                    .find(|&i| text[i + 5..].starts_with(k));
                (at, 5 + k.len())
            });
            (text, kind_at)
        }
        Err(_) => (std::borrow::Cow::Borrowed("null"), None),
    };
    // The text with `kind=KIND` cut out and then trimmed, as the two pieces either side.
    let (before, after) = match kind_at {
        None => (&text[..], ""),
        Some((at, len)) => {
            let (a, b) = match at {
                Some(i) => (&text[..i], &text[i + len..]),
                None => (&text[..], ""),
            };
            let a = a.trim_start();
            let (a, b) = if a.is_empty() {
                ("", b.trim_start())
            } else {
                (a, b)
            };
            let b = b.trim_end();
            if b.is_empty() {
                (a.trim_end(), "")
            } else {
                (a, b)
            }
        }
    };
    indent(t, depth);
    t.styled(text::cyan, |t| {
        t.pad_d(p.payload_type, 9);
    });
    t.s(before).s(after).s("  (");
    drop(text);
    t.kv = fields;
    t.styled(text::dimmed, |t| {
        t.s("RFC 2408 §3; type ")
            .n(p.payload_type.0)
            .s(", ")
            .n(p.length)
            .s(" octets at ")
            .n(p.offset);
        if p.reserved != 0 {
            t.s(", reserved ").hex(u64::from(p.reserved), 2);
        }
    });
    t.s(")");
    t.nl();
    for c in &p.children {
        ikev1_payload_text(t, c, depth + 1);
    }
}

fn ikev1_text(t: &mut Text, m: &Ikev1Message) {
    let h = &m.header;
    label(t, "IKEv1", 0);
    t.styled(text::bold, |t| {
        nmn(t, h.exchange_type.name(), h.exchange_type.0)
    });
    t.s("  flags ").hex(u64::from(h.flags.raw), 2).s(" [");
    let mut first = true;
    for (on, f) in [
        (h.flags.encryption, "E"),
        (h.flags.commit, "C"),
        (h.flags.authentication_only, "A"),
    ] {
        if on {
            if !first {
                t.s(" ");
            }
            first = false;
            t.s(f);
        }
    }
    t.s("]  msgid ")
        .hex(u64::from(h.message_id), 8)
        .s("  CKY-I ")
        .hex_bytes(&h.initiator_cookie)
        .s("  CKY-R ")
        .hex_bytes(&h.responder_cookie)
        .s("  v")
        .n(h.major_version)
        .s(".")
        .n(h.minor_version)
        .s("  len ")
        .n(h.length)
        .nl();
    if let Some(n) = m.encrypted_len {
        label(t, "encrypted", 0);
        t.d(n).s(" octets, first payload ").d(h.next_payload).nl();
    }
    for p in &m.payloads {
        ikev1_payload_text(t, p, 0);
    }
    if m.trailing_len > 0 {
        label(t, "note", 0);
        t.styled(text::dimmed, |t| {
            t.d(m.trailing_len)
                .s(" octet(s) after the message's Length (not part of it)");
        });
        t.nl();
    }
}

/// One entry as text, appended to `t`.
pub fn entry_text(t: &mut Text, ev: &Event) {
    head(t, ev);
    match &ev.decoded {
        Decoded::Ikev2(x) => ikev2_text(t, x),
        Decoded::Ikev1(Ok(m)) => ikev1_text(t, m),
        Decoded::Ikev1(Err(e)) => {
            label(t, "IKEv1", 0);
            t.st(text::bold, "ISAKMP message").nl();
            error_line(t, e, 0);
        }
        Decoded::Esp { spi, seq, len } => {
            label(t, "ESP", 0);
            t.s("SPI ")
                .hex(u64::from(*spi), 8)
                .s("  seq ")
                .d(seq)
                .s("  ")
                .d(len)
                .s(" octets")
                .nl();
        }
        Decoded::Keepalive => {
            label(t, "keepalive", 0);
            t.st(text::dimmed, "NAT-keepalive (0xFF, RFC 3948 §2.3)")
                .nl();
        }
        Decoded::Transport(e) => {
            label(t, "error", 0);
            t.styled(text::red_bold, |t| {
                t.d(e);
            });
            t.nl();
        }
    }
}

/// A packet whose IP/UDP/TCP headers did not decode.
pub fn packet_error_text(t: &mut Text, frame: u64, ts: Timestamp, msg: &str) {
    t.styled(text::bold, |t| {
        t.s("#").n(frame);
    });
    t.s("  ").ts(ts).nl();
    label(t, "error", 0);
    t.st(text::red_bold, msg).nl();
}

// ---------------------------------------------------------------- JSON

/// One entry as an NDJSON line (`super::json`).
pub fn entry_json(t: &mut Text, ev: &Event) -> anyhow::Result<()> {
    super::json::entry(t, ev)
}

/// A packet whose IP/UDP/TCP headers did not decode, as NDJSON.
pub fn packet_error_json(t: &mut Text, frame: u64, ts: Timestamp, msg: &str) -> anyhow::Result<()> {
    super::json::packet_error(t, frame, ts, msg)
}
