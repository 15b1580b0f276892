//! IKE_SA_INIT (RFC 7296 §1.2): offers, the choice, and the responder's refusals and
//! demands (COOKIE §2.6, INVALID_KE_PAYLOAD §1.3, REDIRECT RFC 5685).

use super::*;

/// What IKE_SA_INIT showed.
#[derive(Debug, Default)]
pub(super) struct Init {
    pub(super) offers: Vec<Offer>,
    pub(super) chosen: Option<Chosen>,
    /// Index (in `sa.exs`) of the last IKE_SA_INIT exchange.
    pub(super) last: Option<usize>,
    /// The last exchange ended in an error notify (its name and frame).
    pub(super) failed: Option<(String, u64)>,
    /// The request and response rows that carry the NAT detection of the SA.
    pub(super) nat_req: Option<usize>,
    pub(super) nat_resp: Option<usize>,
}

pub(super) fn ike_sa_init(sa: &mut Sa<'_>) -> Init {
    let mut init = Init::default();
    let idx: Vec<usize> = sa
        .exs
        .iter()
        .enumerate()
        .filter(|(_, e)| e.exchange == ExchangeType::IKE_SA_INIT && e.requester_initiator)
        .map(|(i, _)| i)
        .collect();
    // The proposals and KE group of the last request read: a retried request that repeats
    // them repeats the last offer, which is then not summarised again.
    let mut last_raw: Option<(&[Proposal], Option<KeId>)> = None;
    for (k, &ei) in idx.iter().enumerate() {
        let Some(ex) = sa.exs.get(ei).cloned() else {
            continue;
        };
        init.last = Some(ei);
        let req = sa.recs_of(&ex.req);
        let resp = sa.recs_of(&ex.resp);
        if let Some(q) = req.first() {
            if let Some(props) = q.sa.as_deref() {
                if last_raw == Some((props, q.ke)) {
                    if let Some(o) = init.offers.last_mut() {
                        o.frame = q.frame;
                        o.cookie = q.has_notify(nt::COOKIE);
                    }
                } else {
                    last_raw = Some((props, q.ke));
                    let offer = Offer {
                        frame: q.frame,
                        ke_group: q.ke.map(ke_name),
                        cookie: q.has_notify(nt::COOKIE),
                        proposals: props
                            .iter()
                            .enumerate()
                            .map(|(i, p)| summarize_proposal(p, i + 1))
                            .collect(),
                    };
                    let same = init.offers.last().is_some_and(|o: &Offer| {
                        o.proposals == offer.proposals && o.ke_group == offer.ke_group
                    });
                    if same {
                        if let Some(o) = init.offers.last_mut() {
                            o.frame = offer.frame;
                            o.cookie = offer.cookie;
                        }
                    } else {
                        init.offers.push(offer);
                    }
                }
            }
            if !q.nat.is_empty() {
                init.nat_req = ex.first_req_row();
                init.nat_resp = None;
            }
        }
        let Some(p) = resp.first() else { continue };
        if !p.nat.is_empty() {
            init.nat_resp = ex.first_resp_row();
        }
        init.failed = None;
        let Some(answer) = p.init_response.as_deref() else {
            continue;
        };
        if let Some(first) = answer.chosen() {
            init.chosen = Some(Chosen {
                frame: p.frame,
                ke_group: answer.ke.as_ref().map(|k| ke_name(k.group)),
                proposal: summarize_proposal(first, 1),
            });
        }
        let next_req = idx
            .get(k + 1)
            .and_then(|n| sa.exs.get(*n))
            .and_then(|e| e.req.first())
            .and_then(|part| sa.rec(part.row));
        let req_frame = req.first().map_or(0, |q| q.frame);
        for demand in &answer.demands {
            match demand {
                Demand::InvalidKe(wanted) => {
                    let wanted = *wanted;
                    let sent = req.first().and_then(|q| q.ke);
                    let wanted_text =
                        wanted.map_or_else(|| "an unreadable group".to_owned(), ke_name);
                    let sent_text = sent.map_or_else(|| "no KE payload".to_owned(), ke_name);
                    let retry = next_req.map(|q| (q.frame, q.ke));
                    let (sev, tail) = match retry {
                        Some((f, Some(g))) if Some(g) == wanted => (
                            Severity::Info,
                            format!("; the initiator retried with {} (frame {f}) — this costs one round trip", ke_name(g)),
                        ),
                        Some((f, g)) => (
                            Severity::Error,
                            format!(
                                "; the initiator retried (frame {f}) but with {}, not the group asked for",
                                g.map_or_else(|| "no KE payload".to_owned(), ke_name)
                            ),
                        ),
                        None => (
                            Severity::Error,
                            "; the initiator did not retry in this capture".to_owned(),
                        ),
                    };
                    if sev == Severity::Error {
                        init.failed = Some(("INVALID_KE_PAYLOAD".to_owned(), p.frame));
                    }
                    let check =
                        explain::error_notify(nt::INVALID_KE_PAYLOAD, ExchangeType::IKE_SA_INIT)
                            .map_or("", |x| x.check);
                    sa.find(
                        sev,
                        "INVALID_KE_PAYLOAD",
                        format!(
                            "the responder rejected the key exchange group of IKE_SA_INIT: the initiator's KE payload used {sent_text} (frame {req_frame}); the responder's N(INVALID_KE_PAYLOAD) wants {wanted_text} (frame {}){tail}",
                            p.frame
                        ),
                        check,
                        Evidence::Seen,
                        [Some(req_frame), Some(p.frame), retry.map(|r| r.0)]
                            .into_iter()
                            .flatten()
                            .collect(),
                    );
                }
                Demand::Cookie(cookie) => {
                    let retry = next_req.filter(|q| q.has_notify(nt::COOKIE));
                    let cookie = NotifyData::decode(nt::COOKIE, cookie);
                    let same_cookie = retry.is_some_and(|q| {
                        q.notifies
                            .iter()
                            .any(|m| m.t == nt::COOKIE && m.data == cookie)
                    });
                    let tail = match (retry, same_cookie) {
                        (Some(q), true) => format!(
                            "; the initiator repeated IKE_SA_INIT with the cookie (frame {})",
                            q.frame
                        ),
                        (Some(q), false) => format!(
                            "; the initiator repeated IKE_SA_INIT (frame {}) but with a different cookie",
                            q.frame
                        ),
                        (None, _) => {
                            "; the initiator did not repeat IKE_SA_INIT with it in this capture"
                                .to_owned()
                        }
                    };
                    if retry.is_none() {
                        init.failed = Some(("COOKIE".to_owned(), p.frame));
                    }
                    sa.find(
                        if same_cookie {
                            Severity::Info
                        } else {
                            Severity::Warning
                        },
                        "COOKIE",
                        format!(
                            "DoS protection engaged: the responder answered the IKE_SA_INIT request (frame {req_frame}) with N(COOKIE) (frame {}) — {}{tail}",
                            p.frame,
                            explain::COOKIE.meaning
                        ),
                        explain::COOKIE.check,
                        Evidence::Seen,
                        [Some(p.frame), retry.map(|q| q.frame)]
                            .into_iter()
                            .flatten()
                            .collect(),
                    );
                }
                Demand::Redirect(redirect) => {
                    let to = match redirect {
                        Some(r) => gateway_text(&r.gateway),
                        None => "an unreadable gateway".to_owned(),
                    };
                    init.failed = Some(("REDIRECT".to_owned(), p.frame));
                    sa.find(
                        Severity::Info,
                        "REDIRECT",
                        format!(
                            "REDIRECT (frame {}): {} — to {to}",
                            p.frame,
                            explain::REDIRECT.meaning
                        ),
                        explain::REDIRECT.check,
                        Evidence::Seen,
                        vec![p.frame],
                    );
                }
                Demand::NoProposalChosen => {
                    let offers: Vec<String> = req
                        .first()
                        .and_then(|q| q.sa.as_ref())
                        .map(|props| props.iter().map(ToString::to_string).collect())
                        .unwrap_or_default();
                    init.failed = Some(("NO_PROPOSAL_CHOSEN".to_owned(), p.frame));
                    let x =
                        explain::error_notify(nt::NO_PROPOSAL_CHOSEN, ExchangeType::IKE_SA_INIT);
                    sa.find(
                        Severity::Error,
                        "NO_PROPOSAL_CHOSEN",
                        format!(
                            "IKE_SA_INIT response (frame {}) is N(NO_PROPOSAL_CHOSEN): {}. The initiator offered (frame {req_frame}): {}. The responder's own proposals are not visible in the capture (unknown)",
                            p.frame,
                            x.map_or("", |x| x.meaning),
                            if offers.is_empty() { "nothing readable".to_owned() } else { offers.join("; ") }
                        ),
                        x.map_or("", |x| x.check),
                        Evidence::Seen,
                        vec![req_frame, p.frame],
                    );
                }
                Demand::Error(n) => {
                    init.failed = Some((notify_name(n.notify_type), p.frame));
                    error_finding(sa, &Note::outer(n), p, ExchangeType::IKE_SA_INIT);
                }
            }
        }
    }
    init
}

pub(super) fn gateway_text(g: &GatewayId) -> String {
    match g {
        GatewayId::Raw(_) => format!("gateway identity {g}"),
        _ => g.to_string(),
    }
}

/// A finding for an error notify, from the explanation table.
pub(super) fn error_finding(sa: &mut Sa<'_>, n: &Note, r: &Rec, exchange: ExchangeType) {
    let name = notify_name(n.t);
    let x = explain::error_notify(n.t, exchange);
    let detail = match &n.data {
        NotifyData::InvalidKePayload { group } => format!(" (wants {})", ke_name(*group)),
        NotifyData::InvalidMessageId { message_id } => format!(" (message ID {message_id})"),
        NotifyData::UnsupportedCriticalPayload { payload_type } => {
            format!(" (payload type {})", short(PayloadType(*payload_type)))
        }
        _ if !n.spi.is_empty() => format!(" (SPI {})", hex::encode(&n.spi)),
        _ => String::new(),
    };
    let meaning = x.map_or(
        "an error notify: the request it answers failed (RFC 7296 §3.10.1)",
        |x| x.meaning,
    );
    sa.find(
        Severity::Error,
        &name,
        format!(
            "{} {} from the {} (frame {}) carries N({name}){detail}{}: {meaning}",
            exchange_name(exchange),
            if r.response { "response" } else { "request" },
            side_of(r.from_initiator).as_str(),
            r.frame,
            if n.inner {
                ", inside the encrypted payload"
            } else {
                ""
            },
        ),
        x.map_or("the peer's log for why it sent this notify", |x| x.check),
        Evidence::Seen,
        vec![r.frame],
    );
}
