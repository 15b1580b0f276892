//! NAT detection (RFC 7296 §2.23): the hashes compared with the capture's addresses.

use super::*;

pub(super) fn nat(sa: &Sa<'_>, init: &Init, changes: &[EndpointChange]) -> Nat {
    let req = init.nat_req.and_then(|i| sa.rec(i));
    let resp = init.nat_resp.and_then(|i| sa.rec(i));
    let Some(req) = req else {
        let has_init = sa
            .recs
            .iter()
            .any(|r| r.exchange == ExchangeType::IKE_SA_INIT);
        return Nat {
            outcome: if has_init {
                NatOutcome::NotDetected
            } else {
                NatOutcome::Unknown
            },
            text: if has_init {
                "no NAT_DETECTION notifies in IKE_SA_INIT: NAT detection was not performed (NAT traversal not supported or disabled)".to_owned()
            } else {
                "IKE_SA_INIT is not in the capture: NAT detection not visible".to_owned()
            },
            checks: Vec::new(),
        };
    };
    let mut checks: Vec<NatCheck> = Vec::new();
    // Per notify kind, "any SOURCE hash matches" (a host may send several).
    let mut verdict = |r: &Rec, dest: bool| -> Option<bool> {
        let list: Vec<&NatRec> = r.nat.iter().filter(|n| n.dest == dest).collect();
        if list.is_empty() {
            return None;
        }
        let matches = list.iter().any(|n| n.matches);
        let sender = side_of(r.from_initiator);
        let about = if dest {
            side_of(!r.from_initiator)
        } else {
            sender
        };
        checks.push(NatCheck {
            frame: r.frame,
            sender,
            notify: if dest {
                "NAT_DETECTION_DESTINATION_IP"
            } else {
                "NAT_DETECTION_SOURCE_IP"
            }
            .to_owned(),
            about,
            address: if dest { r.dst } else { r.src },
            matches,
        });
        Some(matches)
    };
    let i_self = verdict(req, false);
    let r_peer = verdict(req, true);
    let (r_self, i_peer) = match resp {
        Some(p) => (verdict(p, false), verdict(p, true)),
        None => (None, None),
    };
    let bad = |v: Option<bool>| v == Some(false);
    let mut lines: Vec<String> = Vec::new();
    for c in checks.iter().filter(|c| !c.matches) {
        lines.push(if c.sender == c.about {
            format!(
                "the {}'s {} (frame {}) does not match {}, the address the capture shows it sending from",
                c.sender.as_str(),
                c.notify,
                c.frame,
                c.address
            )
        } else {
            format!(
                "the {}'s {} (frame {}) does not match {}, the {}'s address in this capture: the {} sees it at another address",
                c.sender.as_str(),
                c.notify,
                c.frame,
                c.address,
                c.about.as_str(),
                c.sender.as_str()
            )
        });
    }
    let matching: Vec<String> = checks
        .iter()
        .filter(|c| c.matches)
        .map(|c| {
            format!(
                "the {}'s {} (frame {})",
                c.sender.as_str(),
                c.notify,
                c.frame
            )
        })
        .collect();
    let translated_i = bad(i_self) || bad(i_peer);
    let translated_r = bad(r_self) || bad(r_peer);
    let same_host = req.src.ip() == req.dst.ip();
    let loopback = req.src.ip().is_loopback() || req.dst.ip().is_loopback();
    let impossible_pair = (bad(i_self) && bad(i_peer))
        || (bad(r_self) && bad(r_peer))
        || (bad(i_peer) && bad(r_peer));
    let suspicious = impossible_pair || ((translated_i || translated_r) && (same_host || loopback));
    let floated = changes
        .iter()
        .find(|c| c.to.port() == 4500)
        .map(|c| format!(" The peers then floated to port 4500 (frame {}).", c.frame))
        .unwrap_or_default();
    let mismatch_text = lines.join("; ");
    let match_text = if matching.is_empty() {
        String::new()
    } else {
        format!(" Matching: {}.", matching.join(", "))
    };
    let partial = if resp.is_none() {
        " Only the request's hashes could be checked: no IKE_SA_INIT response with NAT detection in the capture."
    } else {
        ""
    };
    let (outcome, text) = if suspicious {
        let why = if same_host || loopback {
            format!(
                "Both ends use {} in this capture{}, so no NAT can be between them: the mismatching hash(es) were faked by the sender — strongSwan does so on purpose to force UDP encapsulation of ESP (`encap = yes`, or kernel-libipsec) — or the capture was taken behind a NAT",
                if same_host { format!("the same IP address {}", req.src.ip()) } else { "a loopback address".to_owned() },
                if loopback && same_host { " (loopback)" } else { "" }
            )
        } else {
            "No single NAT between the peers, seen from one capture point, gives this combination: the capture was taken behind a NAT (or between two), or a peer faked its hash (strongSwan does so to force UDP encapsulation: `encap = yes`, kernel-libipsec)".to_owned()
        };
        (
            NatOutcome::HashesDontMatchCapture,
            format!(
                "NAT detection hashes are present but don't match the addresses in this capture (capture taken behind a NAT, or a peer faking NAT): {mismatch_text}.{match_text} {why}. The peers act on their own comparison: each one that sees a mismatch behaves as if a NAT were present.{partial}{floated}"
            ),
        )
    } else {
        let side_note = |self_bad: bool, who: &str| {
            if self_bad {
                format!(" (the capture shows the translated address of the {who}: it was taken outside that NAT)")
            } else {
                format!(" (the capture shows the {who}'s own address: it was taken on the {who}'s side of the NAT)")
            }
        };
        match (translated_i, translated_r) {
            (false, false) => (
                NatOutcome::NoNat,
                format!("no NAT between the peers: every NAT detection hash matches the addresses in the capture.{partial}{floated}"),
            ),
            (true, false) => (
                NatOutcome::InitiatorBehindNat,
                format!(
                    "the initiator is behind a NAT{}: {mismatch_text}.{match_text}{partial}{floated}",
                    side_note(bad(i_self), "initiator")
                ),
            ),
            (false, true) => (
                NatOutcome::ResponderBehindNat,
                format!(
                    "the responder is behind a NAT{}: {mismatch_text}.{match_text}{partial}{floated}",
                    side_note(bad(r_self), "responder")
                ),
            ),
            (true, true) => (
                NatOutcome::BothBehindNat,
                format!("both peers are behind a NAT: {mismatch_text}.{match_text}{partial}{floated}"),
            ),
        }
    };
    Nat {
        outcome,
        text,
        checks,
    }
}

pub(super) fn nat_finding(sa: &mut Sa<'_>, nat: &Nat) {
    let check = match nat.outcome {
        NatOutcome::HashesDontMatchCapture => "if no NAT is expected between the peers, look for a peer that forces UDP encapsulation (strongSwan `encap = yes`, kernel-libipsec); otherwise, where the capture was taken relative to the NAT(s)",
        NatOutcome::InitiatorBehindNat | NatOutcome::ResponderBehindNat | NatOutcome::BothBehindNat => "UDP 4500 must pass the NAT after the float; the peer behind the NAT sends NAT-keepalives to hold the mapping (strongSwan `keep_alive`)",
        _ => return,
    };
    let mut frames: Vec<u64> = nat.checks.iter().map(|c| c.frame).collect();
    frames.dedup();
    sa.find(
        Severity::Info,
        "NAT",
        nat.text.clone(),
        check,
        Evidence::Seen,
        frames,
    );
}
