//! The SA's outcome, unanswered requests and retransmissions, and what decryption missed.

use super::*;

/// IV and ICV sizes of the SK payload for the chosen IKE transforms.
pub(super) fn sk_overhead(chosen: &ProposalSummary) -> Option<(usize, usize)> {
    let encr = chosen.transforms.iter().find(|t| t.transform_type.0 == 1)?;
    let integ = chosen.transforms.iter().find(|t| t.transform_type.0 == 3);
    let (iv, aead_icv) = match encr.id {
        3 => (8, None),
        12 | 23 => (16, None),
        13 | 24 => (8, None),
        14 | 18 | 25 => (8, Some(8)),
        15 | 19 | 26 => (8, Some(12)),
        16 | 20 | 27 | 28 => (8, Some(16)),
        _ => return None,
    };
    let icv = match aead_icv {
        Some(n) => n,
        None => match integ.map(|t| t.id)? {
            1 | 2 | 5 | 8 => 12,
            12 => 16,
            13 => 24,
            14 => 32,
            _ => return None,
        },
    };
    Some((iv, icv))
}

pub(super) fn outcome(
    sa: &mut Sa<'_>,
    init: &Init,
    later: &Later,
    capture_end: u64,
) -> (Outcome, String, bool) {
    let _ = capture_end;
    let has_init = init.last.is_some();
    if !has_init {
        let answered = sa.exs.iter().any(Ex::answered);
        let first = sa.recs.first().map_or(0, |r| r.frame);
        sa.find(
            Severity::Info,
            "NO_IKE_SA_INIT",
            format!(
                "first seen in frame {first} without IKE_SA_INIT: the IKE SA was created before the capture started, or by rekeying another IKE SA (CREATE_CHILD_SA; the link is visible only with keys)"
            ),
            "",
            Evidence::Inferred,
            vec![first],
        );
        if let Some((name, f)) = &later.fatal {
            return (
                Outcome::Failed,
                format!("failed: {name} (frame {f})"),
                false,
            );
        }
        return if answered {
            (
                Outcome::Established,
                "IKE SA already established when the capture starts (its exchanges are answered)"
                    .to_owned(),
                true,
            )
        } else {
            (
                Outcome::Incomplete,
                "IKE SA seen mid-life, no exchange answered in the capture".to_owned(),
                true,
            )
        };
    }
    let last_init = init.last.and_then(|i| sa.exs.get(i)).cloned();
    if init.chosen.is_none() {
        if let Some((name, f)) = &init.failed {
            return (
                Outcome::Failed,
                format!("IKE_SA_INIT failed: the responder answered N({name}) (frame {f})"),
                false,
            );
        }
        if let Some(ex) = last_init.filter(|e| !e.answered()) {
            let f = ex.first_req_row().map_or(0, |r| sa.frame(r));
            return if ex.retransmissions() > 0 {
                (
                    Outcome::Failed,
                    format!(
                        "no response to IKE_SA_INIT (frame {f}, retransmitted {} time(s))",
                        ex.retransmissions()
                    ),
                    false,
                )
            } else {
                (
                    Outcome::Incomplete,
                    format!("IKE_SA_INIT request (frame {f}) without response in the capture"),
                    false,
                )
            };
        }
        return (
            Outcome::Failed,
            "IKE_SA_INIT response without an SA payload".to_owned(),
            false,
        );
    }
    let chosen_frame = init.chosen.as_ref().map_or(0, |c| c.frame);
    let Some(auth_i) = later.last_auth else {
        let intermediate = sa
            .exs
            .iter()
            .any(|e| e.exchange == ExchangeType::IKE_INTERMEDIATE);
        return (
            Outcome::Incomplete,
            format!(
                "IKE_SA_INIT completed (frame {chosen_frame}){}; no IKE_AUTH in the capture",
                if intermediate {
                    " and IKE_INTERMEDIATE"
                } else {
                    ""
                }
            ),
            false,
        );
    };
    let Some(auth) = sa.exs.get(auth_i).cloned() else {
        return (Outcome::Incomplete, String::new(), false);
    };
    let req_frame = auth.first_req_row().map_or(0, |r| sa.frame(r));
    if !auth.answered() {
        return if auth.retransmissions() > 0 {
            (
                Outcome::Failed,
                format!(
                    "IKE_SA_INIT completed (frame {chosen_frame}), but IKE_AUTH (frame {req_frame}) got no response although retransmitted {} time(s)",
                    auth.retransmissions()
                ),
                false,
            )
        } else {
            (
                Outcome::Incomplete,
                format!(
                    "IKE_SA_INIT completed (frame {chosen_frame}); IKE_AUTH request (frame {req_frame}) without response in the capture"
                ),
                false,
            )
        };
    }
    let resp_recs = sa.recs_of(&auth.resp);
    let Some(resp) = content(&resp_recs) else {
        return (Outcome::Incomplete, String::new(), false);
    };
    if let Some((name, f)) = &later.fatal {
        return (
            Outcome::Failed,
            format!("IKE SA failed: N({name}) (frame {f}, decrypted)"),
            false,
        );
    }
    if resp.decrypted {
        if later.auth_seen_ok {
            let child = match &later.child_failed {
                Some(n) => {
                    format!("; the CHILD_SA was not created (N({n}) in the IKE_AUTH response)")
                }
                None => String::new(),
            };
            return (
                Outcome::Established,
                format!(
                    "IKE SA established: the IKE_AUTH response (frame {}) carries the responder's AUTH{child}",
                    resp.frame
                ),
                false,
            );
        }
        if later.eap_pending {
            return (
                Outcome::Incomplete,
                format!(
                    "EAP authentication in progress (frame {}): no final IKE_AUTH in the capture",
                    resp.frame
                ),
                false,
            );
        }
        return (
            Outcome::Failed,
            format!(
                "the IKE_AUTH response (frame {}) carries no AUTH payload",
                resp.frame
            ),
            false,
        );
    }
    // Not decrypted: infer.
    let last_auth_row = auth.resp.last().map_or(0, |p| p.row);
    let used_after: Vec<u64> = sa
        .exs
        .iter()
        .filter(|e| e.answered() && e.req.first().is_some_and(|p| p.row > last_auth_row))
        .filter_map(|e| e.first_req_row().map(|r| sa.frame(r)))
        .collect();
    if !used_after.is_empty() {
        return (
            Outcome::Established,
            format!(
                "IKE SA established (inferred): the IKE_AUTH response (frame {}) is encrypted, but the SA is used afterwards (exchanges from frame {})",
                resp.frame,
                used_after.first().copied().unwrap_or(0)
            ),
            true,
        );
    }
    let tiny = match (
        init.chosen.as_ref().and_then(|c| sk_overhead(&c.proposal)),
        resp.sk_data_len,
    ) {
        (Some((iv, icv)), Some(len)) => Some(len.saturating_sub(iv + icv)),
        _ => None,
    };
    // IDr (≥ 9 bytes) + AUTH (≥ 8 + 16) + Pad Length: a successful response needs ≥ 34.
    if let Some(ct) = tiny.filter(|ct| *ct < 34) {
        sa.find(
            Severity::Error,
            "AUTHENTICATION_FAILED",
            format!(
                "inferred, not seen: the IKE_AUTH response (frame {}) is encrypted and holds only {ct} bytes of ciphertext — too small for IDr and AUTH, so it most likely carries only an error notify, and nothing follows it: the responder rejected authentication (AUTHENTICATION_FAILED, or another error)",
                resp.frame
            ),
            explain::error_notify(nt::AUTHENTICATION_FAILED, ExchangeType::IKE_AUTH).map_or("", |x| x.check),
            Evidence::Inferred,
            vec![req_frame, resp.frame],
        );
        sa.hint_keys(KeysHint::Confirm { joiner: " — " });
        sa.outcome_keys_hint = Some(KeysHint::Confirm { joiner: "; " });
        return (
            Outcome::Failed,
            format!(
                "IKE_AUTH failed (inferred): the encrypted response (frame {}) is too small to carry the responder's AUTH",
                resp.frame
            ),
            true,
        );
    }
    sa.outcome_keys_hint = Some(KeysHint::Confirm { joiner: " — " });
    (
        Outcome::Established,
        format!(
            "IKE SA probably established (inferred): IKE_AUTH answered (frame {}), contents encrypted",
            resp.frame
        ),
        true,
    )
}

// ---- unanswered, retransmissions, decryption ----------------------------------------------------

pub(super) fn unanswered(sa: &mut Sa<'_>, init: &Init, frag: &Fragmentation, capture_end: u64) {
    let _ = init;
    let exs = sa.exs.clone();
    let port500_answered = exs.iter().any(|e| {
        e.answered()
            && e.req
                .first()
                .and_then(|p| sa.rec(p.row))
                .is_some_and(|r| r.dst.port() == 500 || r.src.port() == 500)
    });
    for ex in &exs {
        let Some(first_row) = ex.first_req_row() else {
            continue;
        };
        let Some(first) = sa.rec(first_row) else {
            continue;
        };
        let name = exchange_name(ex.exchange);
        let retx_frames: Vec<u64> = ex.req_retx.iter().map(|r| sa.frame(*r)).collect();
        if ex.answered() {
            if ex.retransmissions() > 0 {
                let resp_frame = ex.first_resp_row().map_or(0, |r| sa.frame(r));
                sa.find(
                    Severity::Warning,
                    "RETRANSMITTED",
                    format!(
                        "{name} request (frame {}) was retransmitted {} time(s) (frames {}) before the response (frame {resp_frame})",
                        first.frame,
                        ex.retransmissions(),
                        frames_text(&retx_frames)
                    ),
                    "packet loss on the path, or a slow peer (busy, or waiting on a RADIUS/LDAP back end)",
                    Evidence::Seen,
                    std::iter::once(first.frame).chain(retx_frames).collect(),
                );
            }
            continue;
        }
        let last_time = ex
            .req_retx
            .iter()
            .chain(ex.req.iter().map(|p| &p.row))
            .filter_map(|r| sa.rec(*r))
            .map(|r| r.time)
            .max()
            .unwrap_or(first.time);
        let wait = capture_end.saturating_sub(last_time) as f64 / 1e9;
        let ipf = ex
            .req
            .iter()
            .filter_map(|p| sa.rec(p.row))
            .map(|r| r.ip_fragments)
            .max()
            .unwrap_or(0);
        let mut text = format!(
            "{name} request from the {} (message ID {}, frame {}, {} bytes{}) got no response",
            side_of(ex.requester_initiator).as_str(),
            ex.message_id,
            first.frame,
            first.size,
            if ipf > 1 {
                format!(", sent in {ipf} IP fragments")
            } else {
                String::new()
            }
        );
        if ex.retransmissions() > 0 {
            text.push_str(&format!(
                "; retransmitted {} time(s) over {:.1} s (frames {})",
                ex.retransmissions(),
                last_time.saturating_sub(first.time) as f64 / 1e9,
                frames_text(&retx_frames)
            ));
        }
        if wait < 0.001 {
            text.push_str("; it is the last IKE message of the capture");
        } else {
            text.push_str(&format!(
                "; the capture's last IKE message comes {wait:.1} s after it"
            ));
        }
        let mut check = String::from(explain::UNANSWERED.check);
        let on_4500 = first.dst.port() == 4500 || first.src.port() == 4500;
        if on_4500 && port500_answered {
            check.push_str(". Here the exchange on UDP 500 was answered and this one, on UDP 4500, was not: check that UDP 4500 passes");
        }
        if ipf > 1 {
            check.push_str(&format!(
                ". This message was IP-fragmented: {}",
                fragmentation_advice(frag)
            ));
        }
        let severity = if matches!(
            ex.exchange,
            ExchangeType::IKE_SA_INIT | ExchangeType::IKE_AUTH
        ) || ex.retransmissions() > 0
        {
            Severity::Error
        } else {
            Severity::Warning
        };
        sa.find(
            severity,
            "UNANSWERED",
            text,
            &check,
            Evidence::Seen,
            std::iter::once(first.frame).chain(retx_frames).collect(),
        );
    }
}

pub(super) fn not_decrypted(sa: &mut Sa<'_>, d: &DecryptionCounts) {
    if d.encrypted_messages == 0 || d.decrypted_messages == d.encrypted_messages {
        return;
    }
    let frames: Vec<u64> = sa
        .recs
        .iter()
        .filter(|r| r.encrypted && !r.decrypted && r.skf.is_none())
        .map(|r| r.frame)
        .collect();
    if d.decrypted_messages == 0 {
        sa.find(
            Severity::Info,
            "NOT_DECRYPTED",
            format!(
                "{} encrypted message(s) not decrypted: identities, CHILD_SA proposals, traffic selectors, deletes and error notifies inside SK are not visible, and conclusions about them are inferred",
                d.encrypted_messages
            ),
            "a Wireshark ikev2_decryption_table for this SA (SPIi, SPIr, SK_ei, SK_er, SK_ai, SK_ar)",
            Evidence::Seen,
            frames,
        );
        sa.hint_keys(KeysHint::KeyTable);
    } else {
        sa.find(
            Severity::Warning,
            "NOT_DECRYPTED",
            format!(
                "{} of {} encrypted message(s) came without decrypted payloads (integrity check failed or keys missing)",
                d.encrypted_messages - d.decrypted_messages,
                d.encrypted_messages
            ),
            "the key table line for this SA (wrong SK_e/SK_a, or the algorithm names)",
            Evidence::Seen,
            frames,
        );
    }
}
