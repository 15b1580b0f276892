//! Names of transforms, proposals and traffic selectors as the summary shows them.

use super::*;

/// Display name of a transform: `ENCR_AES_CBC_128`, `PRF_HMAC_SHA2_256`,
/// `AUTH_HMAC_SHA2_256_128`, `2048-bit MODP Group (14)`, `NO_ESN`; unassigned IDs as
/// `ENCR#99`.
pub fn transform_name(t: TransformType, id: u16, key_length: Option<u16>) -> String {
    let base = match t.0 {
        1 => EncrId(id).name().map(str::to_owned),
        2 => PrfId(id).name().map(str::to_owned),
        3 => IntegId(id).name().map(str::to_owned),
        4 | 6..=12 => KeId(id).name().map(|n| format!("{n} ({id})")),
        5 => match id {
            0 => Some("NO_ESN".to_owned()),
            1 => Some("ESN".to_owned()),
            _ => None,
        },
        _ => None,
    };
    let base = base.unwrap_or_else(|| format!("{}#{id}", t.short().unwrap_or("TRANSFORM")));
    match key_length {
        Some(k) => format!("{base}_{k}"),
        None => base,
    }
}

/// Summarises one proposal (`position` is 1-based).
pub fn summarize_proposal(p: &Proposal, position: usize) -> ProposalSummary {
    let mut s = ProposalSummary {
        number: p.proposal_num,
        position,
        protocol: p.protocol_id.to_string(),
        spi: (!p.spi.is_empty()).then(|| hex::encode(&p.spi)),
        encr: Vec::new(),
        prf: Vec::new(),
        integ: Vec::new(),
        ke: Vec::new(),
        addke: BTreeMap::new(),
        esn: Vec::new(),
        other: Vec::new(),
        text: String::new(),
        transforms: Vec::new(),
    };
    for t in &p.transforms {
        let id = t.transform_id.value();
        let kl = t.key_length();
        let name = transform_name(t.transform_type, id, kl);
        match t.transform_type.0 {
            1 => s.encr.push(name.clone()),
            2 => s.prf.push(name.clone()),
            3 => s.integ.push(name.clone()),
            4 => s.ke.push(name.clone()),
            5 => s.esn.push(name.clone()),
            6..=12 => s
                .addke
                .entry(t.transform_type.short().unwrap_or("ADDKE").to_owned())
                .or_default()
                .push(name.clone()),
            _ => s.other.push(name.clone()),
        }
        s.transforms.push(TransformEntry {
            transform_type: t.transform_type,
            id,
            key_length: kl,
            name,
        });
    }
    let mut groups: Vec<String> = Vec::new();
    for list in [&s.encr, &s.prf, &s.integ, &s.ke] {
        if !list.is_empty() {
            groups.push(list.join(","));
        }
    }
    for (k, list) in &s.addke {
        groups.push(format!("{k}={}", list.join(",")));
    }
    for list in [&s.esn, &s.other] {
        if !list.is_empty() {
            groups.push(list.join(","));
        }
    }
    s.text = format!("#{} {}: {}", s.number, s.protocol, groups.join(" / "));
    s
}

pub(super) fn exchange_name(x: ExchangeType) -> String {
    x.to_string()
}

pub(super) fn notify_name(t: NotifyType) -> String {
    t.to_string()
}

pub(super) fn side_of(from_initiator: bool) -> Side {
    if from_initiator {
        Side::Initiator
    } else {
        Side::Responder
    }
}

pub(super) fn ke_name(g: KeId) -> String {
    transform_name(TransformType::KE, g.0, None)
}

/// A traffic selector as text: `127.0.0.0/24`, `10.0.0.1-10.0.0.9`, plus ` proto N` and
/// ` port P` / ` ports A-B` when restricted.
pub fn ts_text(ts: &TrafficSelector) -> String {
    let (range, proto, sp, ep) = match ts {
        TrafficSelector::Ipv4Range {
            ip_protocol,
            start_port,
            end_port,
            start,
            end,
        } => (
            range_text(
                u128::from(u32::from(*start)),
                u128::from(u32::from(*end)),
                32,
                || (start.to_string(), end.to_string()),
            ),
            *ip_protocol,
            *start_port,
            *end_port,
        ),
        TrafficSelector::Ipv6Range {
            ip_protocol,
            start_port,
            end_port,
            start,
            end,
        } => (
            range_text(u128::from(*start), u128::from(*end), 128, || {
                (start.to_string(), end.to_string())
            }),
            *ip_protocol,
            *start_port,
            *end_port,
        ),
        TrafficSelector::SecLabel { label, .. } => {
            return format!("seclabel {}", String::from_utf8_lossy(label))
        }
        TrafficSelector::Unknown { .. } => return "TS of unknown type".to_owned(),
    };
    let mut out = range;
    if proto != 0 {
        out.push_str(&format!(" proto {proto}"));
    }
    if !(sp == 0 && ep == 65535) {
        if sp == ep {
            out.push_str(&format!(" port {sp}"));
        } else {
            out.push_str(&format!(" ports {sp}-{ep}"));
        }
    }
    out
}

/// `start/len` when [start, end] is a prefix, else `start-end` (or one address).
pub(super) fn range_text(
    start: u128,
    end: u128,
    bits: u32,
    show: impl Fn() -> (String, String),
) -> String {
    let (s, e) = show();
    if start == end {
        return s;
    }
    if end < start {
        return format!("{s}-{e}");
    }
    let span = start ^ end;
    // span must be 2^k - 1 and start must have zero host bits.
    if span.checked_add(1).is_some_and(u128::is_power_of_two) && start & span == 0 {
        let host = 128 - span.leading_zeros();
        if host <= bits {
            return format!("{s}/{}", bits - host);
        }
    } else if span == u128::MAX && start == 0 {
        return format!("{s}/0");
    }
    format!("{s}-{e}")
}
