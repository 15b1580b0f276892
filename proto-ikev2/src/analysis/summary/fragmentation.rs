//! IKEv2 fragmentation (RFC 7383) and IP fragmentation of IKE messages.

use super::*;

pub(super) fn fragmentation(sa: &mut Sa<'_>) -> Fragmentation {
    let mut f = Fragmentation::default();
    for r in sa
        .recs
        .iter()
        .filter(|r| r.exchange == ExchangeType::IKE_SA_INIT)
    {
        if r.has_notify(nt::IKEV2_FRAGMENTATION_SUPPORTED) {
            if r.from_initiator {
                f.initiator_supported = true;
            } else {
                f.responder_supported = true;
            }
        }
    }
    // Sets found by a map (not a scan of the list) and fragment numbers kept in a set, so
    // that grouping is linear in the SKF fragments however many messages they claim to be.
    let mut sets: Vec<SkfMessage> = Vec::new();
    let mut index: HashMap<(String, u32, Direction, bool), usize> = HashMap::new();
    let mut seen: Vec<BTreeSet<u16>> = Vec::new();
    for r in sa.recs {
        if r.ip_fragments > 1 {
            f.ip_fragmented.push(IpFragmented {
                frame: r.frame,
                exchange: exchange_name(r.exchange),
                size: r.size,
                fragments: r.ip_fragments,
            });
        }
        let Some((n, total)) = r.skf else { continue };
        let exchange = exchange_name(r.exchange);
        let dir = r.direction();
        let key = (exchange.clone(), r.message_id, dir, r.response);
        let at = *index.entry(key).or_insert_with(|| {
            sets.push(SkfMessage {
                exchange,
                message_id: r.message_id,
                direction: dir,
                response: r.response,
                total,
                seen: Vec::new(),
                frames: Vec::new(),
            });
            seen.push(BTreeSet::new());
            sets.len() - 1
        });
        if let (Some(set), Some(numbers)) = (sets.get_mut(at), seen.get_mut(at)) {
            numbers.insert(n);
            set.frames.push(r.frame);
        }
    }
    for (s, numbers) in sets.iter_mut().zip(seen) {
        s.seen = numbers.into_iter().collect();
    }
    if !sets.is_empty() {
        let parts: Vec<String> = sets
            .iter()
            .map(|s| {
                format!(
                    "{} {} sent as {} SKF fragment(s) (frames {})",
                    s.exchange,
                    if s.response { "response" } else { "request" },
                    s.total,
                    frames_text(&s.frames)
                )
            })
            .collect();
        let frames: Vec<u64> = sets.iter().flat_map(|s| s.frames.clone()).collect();
        sa.find(
            Severity::Info,
            "IKE_FRAGMENTATION",
            format!("IKEv2 fragmentation (RFC 7383): {}", parts.join("; ")),
            "",
            Evidence::Seen,
            frames,
        );
        for s in &sets {
            let missing = missing_text(&s.seen, s.total);
            if !missing.is_empty() {
                sa.find(
                    Severity::Warning,
                    "IKE_FRAGMENTATION",
                    format!(
                        "{} {} (message ID {}): fragment(s) {} of {} missing from the capture; the receiver cannot reassemble the message",
                        s.exchange,
                        if s.response { "response" } else { "request" },
                        s.message_id,
                        missing,
                        s.total
                    ),
                    "packet loss between the peers (or at the capture point); fragment size (strongSwan `fragment_size`) against the path MTU",
                    Evidence::Seen,
                    s.frames.clone(),
                );
            }
        }
        if !(f.initiator_supported && f.responder_supported)
            && sa
                .recs
                .iter()
                .any(|r| r.exchange == ExchangeType::IKE_SA_INIT)
        {
            sa.find(
                Severity::Warning,
                "IKE_FRAGMENTATION",
                "SKF fragments are used although IKE_SA_INIT did not show IKEV2_FRAGMENTATION_SUPPORTED from both sides (RFC 7383 §2.3 requires both)".to_owned(),
                "the fragmentation settings of both peers",
                Evidence::Seen,
                Vec::new(),
            );
        }
    }
    f.skf = sets;
    for ip in f.ip_fragmented.clone() {
        let answered = sa
            .rows
            .iter()
            .find(|e| e.frame == ip.frame)
            .is_some_and(|e| !e.unanswered);
        if answered {
            sa.find(
                Severity::Warning,
                "IP_FRAGMENTATION",
                format!(
                    "the {} message in frame {} ({} bytes) was fragmented by IP into {} fragments; it got through here, but IP fragments are often dropped by firewalls and NATs",
                    ip.exchange, ip.frame, ip.size, ip.fragments
                ),
                fragmentation_advice(&f),
                Evidence::Seen,
                vec![ip.frame],
            );
        }
    }
    f
}

pub(super) fn fragmentation_advice(f: &Fragmentation) -> &'static str {
    match (f.initiator_supported, f.responder_supported) {
        (true, true) => "both peers announced IKEv2 fragmentation (RFC 7383): lower its fragment size below the path MTU (strongSwan `fragment_size`)",
        (false, false) => "neither peer announced IKEV2_FRAGMENTATION_SUPPORTED: enable IKEv2 fragmentation (RFC 7383, strongSwan `fragmentation = yes`) on both",
        (false, true) => "the initiator did not announce IKEV2_FRAGMENTATION_SUPPORTED: enable IKEv2 fragmentation (RFC 7383) on it",
        (true, false) => "the responder did not announce IKEV2_FRAGMENTATION_SUPPORTED: enable IKEv2 fragmentation (RFC 7383) on it",
    }
}

/// Missing Fragment Numbers listed in a finding, at most; the rest are counted.
pub const MAX_MISSING_LISTED: usize = 8;

/// The Fragment Numbers from 1 to `total` not in `seen` (sorted, each once): `2, 3` or
/// `2, 3, 4, 5, 6, 7, 8, 9 and 65526 more`; empty when none is missing. A forged "fragment 1
/// of 65535" costs a few words, not the whole list (RFC 7383 §2.5 allows 65535 fragments).
pub(super) fn missing_text(seen: &[u16], total: u16) -> String {
    let count = usize::from(total).saturating_sub(seen.len());
    let listed: Vec<String> = (1..=total)
        .filter(|n| seen.binary_search(n).is_err())
        .take(MAX_MISSING_LISTED)
        .map(|n| n.to_string())
        .collect();
    let mut text = listed.join(", ");
    if count > listed.len() {
        text += &format!(" and {} more", count - listed.len());
    }
    text
}

/// `3`, `3–5`, or `3, 8, 11`.
pub(super) fn frames_text(frames: &[u64]) -> String {
    match frames {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last]
            if frames
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.checked_add(1) == Some(*b))) =>
        {
            format!("{first}–{last}")
        }
        _ => frames
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}
