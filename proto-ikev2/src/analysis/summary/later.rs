//! The exchanges after IKE_SA_INIT: IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL.

use super::*;

#[derive(Debug, Default)]
pub(super) struct Later {
    pub(super) children: Vec<ChildSa>,
    pub(super) rekey: Option<IkeRekey>,
    pub(super) deletes: Vec<DeleteSeen>,
    /// Index of the last IKE_AUTH exchange.
    pub(super) last_auth: Option<usize>,
    /// The IKE_AUTH response (decrypted) carried AUTH and no AUTHENTICATION_FAILED.
    pub(super) auth_seen_ok: bool,
    /// A decrypted fatal notify ended the IKE SA (name, frame, inner).
    pub(super) fatal: Option<(String, u64)>,
    /// The IKE_AUTH response shows a Child SA failure (name).
    pub(super) child_failed: Option<String>,
    /// EAP in the last IKE_AUTH response without AUTH: still authenticating.
    pub(super) eap_pending: bool,
}

pub(super) fn proposals_of(props: &[Proposal]) -> Vec<ProposalSummary> {
    props
        .iter()
        .enumerate()
        .map(|(i, p)| summarize_proposal(p, i + 1))
        .collect()
}

pub(super) fn ts_pair(r: &Rec) -> Option<TsPair> {
    match (&r.ts_i, &r.ts_r) {
        (None, None) => None,
        (i, t) => Some(TsPair {
            ts_i: i.clone().unwrap_or_default(),
            ts_r: t.clone().unwrap_or_default(),
        }),
    }
}

/// Merges the content of several rows (SKF fragments: only the last one has inner payloads).
pub(super) fn content<'r>(recs: &[&'r Rec]) -> Option<&'r Rec> {
    recs.iter()
        .copied()
        .find(|r| r.decrypted)
        .or_else(|| recs.first().copied())
}

/// Error notifies that end the IKE SA when they appear in an IKE_AUTH response.
pub(super) fn fatal_in_auth(t: NotifyType) -> bool {
    matches!(t.0, 1 | 4 | 5 | 7 | 9 | 24 | 46)
}

/// Error notifies about the Child SA (the IKE SA survives, RFC 7296 §1.2).
pub(super) fn child_error(t: NotifyType) -> bool {
    matches!(t.0, 14 | 17 | 34..=39 | 43 | 44)
}

pub(super) fn later_exchanges(sa: &mut Sa<'_>, ike_proposals_matched: bool) -> Later {
    let mut later = Later::default();
    for ei in 0..sa.exs.len() {
        let Some(ex) = sa.exs.get(ei).cloned() else {
            continue;
        };
        if ex.exchange == ExchangeType::IKE_SA_INIT {
            continue;
        }
        let req_recs = sa.recs_of(&ex.req);
        let resp_recs = sa.recs_of(&ex.resp);
        let req = content(&req_recs);
        let resp = content(&resp_recs);
        let req_frame = req.map(|r| r.frame);
        let resp_frame = resp.map(|r| r.frame);
        let requester = side_of(ex.requester_initiator);

        // Deletes, in requests and responses.
        for r in [req, resp].into_iter().flatten() {
            for (proto, spis) in &r.deletes {
                later.deletes.push(DeleteSeen {
                    frame: r.frame,
                    by: side_of(r.from_initiator),
                    response: r.response,
                    protocol: proto.to_string(),
                    spis: spis.clone(),
                });
            }
        }

        // Error notifies (decrypted or outer) in both directions.
        let mut errors: Vec<(&Note, &Rec)> = Vec::new();
        for r in [req, resp].into_iter().flatten() {
            for n in r.notifies.iter().filter(|n| n.t.is_error()) {
                errors.push((n, r));
            }
        }

        match ex.exchange {
            ExchangeType::IKE_AUTH if ex.requester_initiator => {
                later.last_auth = Some(ei);
                later.eap_pending = false;
                let q = req;
                let p = resp;
                let child_offer = q.and_then(|q| q.sa.as_ref()).map(|s| proposals_of(s));
                if let Some(p) = p.filter(|p| p.decrypted) {
                    let has_auth = p.auth.is_some();
                    let auth_failed = p.has_notify(nt::AUTHENTICATION_FAILED);
                    if has_auth && !auth_failed {
                        later.auth_seen_ok = true;
                    }
                    if !has_auth && p.eap && !auth_failed {
                        later.eap_pending = true;
                    }
                    for (n, r) in &errors {
                        if r.response && fatal_in_auth(n.t) {
                            later.fatal = Some((notify_name(n.t), r.frame));
                        }
                        if r.response && !has_auth && child_error(n.t) && later.fatal.is_none() {
                            later.fatal = Some((notify_name(n.t), r.frame));
                        }
                    }
                    if child_offer.is_some() || p.sa.is_some() {
                        let child_err = p.notifies.iter().find(|n| child_error(n.t));
                        let chosen =
                            p.sa.as_ref()
                                .and_then(|s| s.first())
                                .map(|x| summarize_proposal(x, 1));
                        let (status, status_text) = match (&chosen, child_err) {
                            (Some(c), _) => (ChildStatus::Created, format!("created: {}", c.text)),
                            (None, Some(n)) => {
                                later.child_failed = Some(notify_name(n.t));
                                (ChildStatus::Failed, format!("failed: {}", notify_name(n.t)))
                            }
                            (None, None) => (
                                ChildStatus::Failed,
                                match p.notifies.iter().find(|n| n.t.is_error()) {
                                    Some(n) => format!(
                                        "not created: the IKE_AUTH response carries N({}) and no SA",
                                        notify_name(n.t)
                                    ),
                                    None => "not created: no SA in the IKE_AUTH response".to_owned(),
                                },
                            ),
                        };
                        later.children.push(ChildSa {
                            exchange: exchange_name(ex.exchange),
                            request_frame: req_frame,
                            response_frame: resp_frame,
                            rekey_of: None,
                            offered: child_offer.unwrap_or_default(),
                            chosen,
                            proposed_ts: q.and_then(ts_pair),
                            accepted_ts: ts_pair(p),
                            status,
                            status_text,
                        });
                    }
                } else if let (Some(q), None) = (q.filter(|q| q.decrypted), p) {
                    if let Some(offer) = child_offer {
                        later.children.push(ChildSa {
                            exchange: exchange_name(ex.exchange),
                            request_frame: Some(q.frame),
                            response_frame: None,
                            rekey_of: None,
                            offered: offer,
                            chosen: None,
                            proposed_ts: ts_pair(q),
                            accepted_ts: None,
                            status: ChildStatus::Unanswered,
                            status_text: "no response in the capture".to_owned(),
                        });
                    }
                }
            }
            ExchangeType::CREATE_CHILD_SA => {
                let visible = req.is_some_and(|q| q.decrypted);
                if !visible {
                    later.children.push(ChildSa {
                        exchange: exchange_name(ex.exchange),
                        request_frame: req_frame,
                        response_frame: resp_frame,
                        rekey_of: None,
                        offered: Vec::new(),
                        chosen: None,
                        proposed_ts: None,
                        accepted_ts: None,
                        status: if resp.is_none() { ChildStatus::Unanswered } else { ChildStatus::Encrypted },
                        status_text: "encrypted: a new Child SA, a Child SA rekey or an IKE SA rekey (decrypt to see which)".to_owned(),
                    });
                } else if let Some(q) = req {
                    let props = q.sa.as_deref().unwrap_or_default();
                    let is_ike = props
                        .first()
                        .is_some_and(|p| p.protocol_id == ProtocolId::IKE);
                    let chosen_raw = resp
                        .filter(|p| p.decrypted)
                        .and_then(|p| p.sa.as_ref())
                        .and_then(|s| s.first());
                    if is_ike {
                        let new_spi_i = props
                            .first()
                            .map(|p| hex::encode(&p.spi))
                            .unwrap_or_default();
                        later.rekey = Some(IkeRekey {
                            request_frame: q.frame,
                            response_frame: resp_frame,
                            by: requester,
                            new_spi_i: new_spi_i.clone(),
                            new_spi_r: chosen_raw.map(|c| hex::encode(&c.spi)),
                            offered: proposals_of(props),
                            chosen: chosen_raw.map(|c| summarize_proposal(c, 1)),
                        });
                        sa.find(
                            Severity::Info,
                            "IKE_REKEY",
                            format!(
                                "the {} rekeyed the IKE SA (CREATE_CHILD_SA, frames {}): new IKE SA {new_spi_i}{}",
                                requester.as_str(),
                                frames_text(&[Some(q.frame), resp_frame].into_iter().flatten().collect::<Vec<_>>()),
                                chosen_raw.map(|c| format!("/{}", hex::encode(&c.spi))).unwrap_or_default()
                            ),
                            "",
                            Evidence::Seen,
                            vec![q.frame],
                        );
                    } else {
                        let rekey_of = q
                            .notifies
                            .iter()
                            .find(|n| n.t == nt::REKEY_SA)
                            .map(|n| hex::encode(&n.spi));
                        let err = resp.and_then(|p| p.notifies.iter().find(|n| n.t.is_error()));
                        let chosen = chosen_raw.map(|c| summarize_proposal(c, 1));
                        let (status, status_text) = match (&chosen, err, resp) {
                            (Some(c), _, _) => {
                                (ChildStatus::Created, format!("created: {}", c.text))
                            }
                            (None, Some(n), _) => {
                                (ChildStatus::Failed, format!("failed: {}", notify_name(n.t)))
                            }
                            (None, None, None) => (
                                ChildStatus::Unanswered,
                                "no response in the capture".to_owned(),
                            ),
                            (None, None, Some(p)) if !p.decrypted => {
                                (ChildStatus::Encrypted, "response not decrypted".to_owned())
                            }
                            (None, None, Some(_)) => {
                                (ChildStatus::Failed, "no SA in the response".to_owned())
                            }
                        };
                        later.children.push(ChildSa {
                            exchange: exchange_name(ex.exchange),
                            request_frame: Some(q.frame),
                            response_frame: resp_frame,
                            rekey_of,
                            offered: proposals_of(props),
                            chosen,
                            proposed_ts: ts_pair(q),
                            accepted_ts: resp.and_then(ts_pair),
                            status,
                            status_text,
                        });
                    }
                }
            }
            ExchangeType::INFORMATIONAL => {
                for (n, r) in &errors {
                    if n.t == nt::AUTHENTICATION_FAILED {
                        later.fatal = Some((notify_name(n.t), r.frame));
                    }
                }
            }
            _ => {}
        }

        // Findings for every error notify of this exchange.
        for (n, r) in errors {
            if ex.exchange == ExchangeType::IKE_AUTH
                && n.t == nt::NO_PROPOSAL_CHOSEN
                && r.response
                && ike_proposals_matched
            {
                let has_auth = r.auth.is_some();
                let offered: Vec<String> = req
                    .and_then(|q| q.sa.as_ref())
                    .map(|s| proposals_of(s).into_iter().map(|p| p.text).collect())
                    .unwrap_or_default();
                sa.find(
                    Severity::Error,
                    "NO_PROPOSAL_CHOSEN",
                    format!(
                        "IKE_AUTH response (frame {}) carries N(NO_PROPOSAL_CHOSEN){} after the IKE SA proposals matched in IKE_SA_INIT{}: {}{}",
                        r.frame,
                        if n.inner { " inside the encrypted payload" } else { "" },
                        if has_auth { " and with the responder's AUTH" } else { "" },
                        explain::CHILD_SA_REFUSED.meaning,
                        if offered.is_empty() {
                            String::new()
                        } else {
                            format!(". The initiator's CHILD_SA proposals: {}", offered.join("; "))
                        }
                    ),
                    explain::CHILD_SA_REFUSED.check,
                    Evidence::Seen,
                    [req_frame, Some(r.frame)].into_iter().flatten().collect(),
                );
            } else if ex.exchange == ExchangeType::IKE_AUTH && n.t == nt::AUTHENTICATION_FAILED {
                let x = explain::error_notify(n.t, ex.exchange);
                let who = if r.from_initiator {
                    "the initiator rejected the responder's authentication"
                } else {
                    "the responder rejected the initiator's authentication"
                };
                sa.find(
                    Severity::Error,
                    "AUTHENTICATION_FAILED",
                    format!(
                        "IKE_AUTH {} (frame {}) carries N(AUTHENTICATION_FAILED){} — seen: {who}; {}{}",
                        if r.response { "response" } else { "request" },
                        r.frame,
                        if n.inner { " inside the encrypted payload (decrypted)" } else { "" },
                        x.map_or("", |x| x.meaning),
                        later_ids_text(req),
                    ),
                    x.map_or("", |x| x.check),
                    Evidence::Seen,
                    [req_frame, Some(r.frame)].into_iter().flatten().collect(),
                );
            } else {
                error_finding(sa, n, r, ex.exchange);
            }
        }
    }
    later
}

pub(super) fn later_ids_text(req: Option<&Rec>) -> String {
    match req.and_then(|q| q.id_i.as_ref()) {
        Some(id) => format!(". The initiator identified as {id}"),
        None => String::new(),
    }
}
