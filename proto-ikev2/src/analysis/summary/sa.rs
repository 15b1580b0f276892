//! Per-SA analysis: requests paired with responses, retransmissions, endpoints, the
//! responder's SPI, decryption counts and identities.

use super::*;

/// Part of a request or response: one SKF fragment, or the whole message.
#[derive(Debug, Clone, Copy)]
pub(super) struct Part {
    pub(super) frag: Option<u16>,
    pub(super) digest: u64,
    pub(super) len: usize,
    pub(super) row: usize,
}

/// One request/response exchange.
#[derive(Debug, Clone)]
pub(super) struct Ex {
    pub(super) requester_initiator: bool,
    pub(super) message_id: u32,
    pub(super) exchange: ExchangeType,
    /// Rows of the request (fragments; no retransmissions).
    pub(super) req: Vec<Part>,
    /// Rows of the response (fragments; no retransmissions).
    pub(super) resp: Vec<Part>,
    /// Rows of retransmitted request copies.
    pub(super) req_retx: Vec<usize>,
    /// Retransmissions of the request, counted per fragment, the largest count.
    pub(super) retx: BTreeMap<Option<u16>, usize>,
    /// Fragment (None: whole message) → positions in `req` and in `resp`, in order: a copy is
    /// looked up among the parts of its own fragment, not by a scan of every part, so that
    /// pairing stays linear in an SA's messages however many fragments a message has.
    pub(super) req_at: HashMap<Option<u16>, Vec<usize>>,
    pub(super) resp_at: HashMap<Option<u16>, Vec<usize>>,
}

impl Ex {
    fn new(requester_initiator: bool, message_id: u32, exchange: ExchangeType) -> Ex {
        Ex {
            requester_initiator,
            message_id,
            exchange,
            req: Vec::new(),
            resp: Vec::new(),
            req_retx: Vec::new(),
            retx: BTreeMap::new(),
            req_at: HashMap::new(),
            resp_at: HashMap::new(),
        }
    }
    fn push_req(&mut self, part: Part) {
        self.req_at
            .entry(part.frag)
            .or_default()
            .push(self.req.len());
        self.req.push(part);
    }
    fn push_resp(&mut self, part: Part) {
        self.resp_at
            .entry(part.frag)
            .or_default()
            .push(self.resp.len());
        self.resp.push(part);
    }
    /// The first part of `parts` with fragment `frag` for which `like` holds.
    fn first_of(
        at: &HashMap<Option<u16>, Vec<usize>>,
        parts: &[Part],
        frag: Option<u16>,
        like: impl Fn(&Part) -> bool,
    ) -> Option<Part> {
        at.get(&frag)?
            .iter()
            .filter_map(|&i| parts.get(i).copied())
            .find(|p| like(p))
    }
    pub(super) fn answered(&self) -> bool {
        !self.resp.is_empty()
    }
    pub(super) fn retransmissions(&self) -> usize {
        self.retx.values().copied().max().unwrap_or(0)
    }
    pub(super) fn first_req_row(&self) -> Option<usize> {
        self.req.first().map(|p| p.row)
    }
    pub(super) fn first_resp_row(&self) -> Option<usize> {
        self.resp.first().map(|p| p.row)
    }
}

/// Working state for one SA.
pub(super) struct Sa<'r> {
    pub(super) recs: &'r [Rec],
    pub(super) rows: Vec<LadderEntry>,
    pub(super) exs: Vec<Ex>,
    pub(super) findings: Vec<Finding>,
    /// Set where the outcome text needs the keys to be confirmed.
    pub(super) outcome_keys_hint: Option<KeysHint>,
}

impl<'r> Sa<'r> {
    pub(super) fn rec(&self, row: usize) -> Option<&'r Rec> {
        self.recs.get(row)
    }
    pub(super) fn frame(&self, row: usize) -> u64 {
        self.rec(row).map_or(0, |r| r.frame)
    }
    pub(super) fn recs_of(&self, parts: &[Part]) -> Vec<&'r Rec> {
        parts.iter().filter_map(|p| self.recs.get(p.row)).collect()
    }
    pub(super) fn find(
        &mut self,
        severity: Severity,
        code: &str,
        text: String,
        check: &str,
        evidence: Evidence,
        frames: Vec<u64>,
    ) {
        self.findings.push(Finding {
            severity,
            code: code.to_owned(),
            text,
            check: check.to_owned(),
            evidence,
            frames,
            keys_hint: None,
        });
    }

    /// Marks the last finding as needing the keys (see [`KeysHint`]).
    pub(super) fn hint_keys(&mut self, hint: KeysHint) {
        if let Some(f) = self.findings.last_mut() {
            f.keys_hint = Some(hint);
        }
    }
}

pub(super) fn analyze(
    spi_i: u64,
    mut recs: Vec<Rec>,
    capture_end: u64,
) -> (SaSummary, Option<u64>) {
    recs.sort_by_key(|r| (r.time, r.frame));
    let t0 = recs.first().map_or(0, |r| r.time);
    // The payload labels move into the ladder: nothing after this reads them from the records.
    let rows = recs
        .iter_mut()
        .map(|r| LadderEntry {
            frame: r.frame,
            time_nanos: r.time,
            rel_ms: r.time.saturating_sub(t0) as f64 / 1e6,
            direction: r.direction(),
            exchange: r.exchange,
            message_id: r.message_id,
            response: r.response,
            payloads: std::mem::take(&mut r.outer),
            inner: r.inner.take(),
            notifies: r.notifies.iter().map(|n| n.t).collect(),
            size: r.size,
            ip_fragments: r.ip_fragments,
            retransmission_of: None,
            retransmissions: 0,
            answered_by: None,
            answers: None,
            unanswered: false,
        })
        .collect();
    let mut sa = Sa {
        recs: &recs,
        rows,
        exs: Vec::new(),
        findings: Vec::new(),
        outcome_keys_hint: None,
    };
    pair(&mut sa);

    let (initiator, responder, endpoint_changes) = endpoints(&recs);
    let spi_r = responder_spi(&mut sa);
    let decryption = decryption_counts(&sa);
    let identities = identities(&sa);
    let fragmentation = fragmentation(&mut sa);
    let init = ike_sa_init(&mut sa);
    let nat = nat(&sa, &init, &endpoint_changes);
    nat_finding(&mut sa, &nat);
    let later = later_exchanges(&mut sa, init.chosen.is_some());
    let (outcome, outcome_text, outcome_inferred) = outcome(&mut sa, &init, &later, capture_end);
    unanswered(&mut sa, &init, &fragmentation, capture_end);
    not_decrypted(&mut sa, &decryption);

    let ended = if let Some(d) = later
        .deletes
        .iter()
        .find(|d| d.protocol == "IKE" && !d.response)
    {
        Some(match &later.rekey {
            Some(k) => format!(
                "rekeyed into IKE SA {} (frame {}), then deleted by the {} (frame {})",
                k.new_spi_i,
                k.request_frame,
                d.by.as_str(),
                d.frame
            ),
            None => format!("deleted by the {} (frame {})", d.by.as_str(), d.frame),
        })
    } else {
        later.rekey.as_ref().map(|k| {
            format!(
                "rekeyed into IKE SA {} (frame {})",
                k.new_spi_i, k.request_frame
            )
        })
    };

    let mut findings = std::mem::take(&mut sa.findings);
    findings.sort_by_key(|f| f.severity);
    let new_spi = later
        .rekey
        .as_ref()
        .and_then(|k| u64::from_str_radix(&k.new_spi_i, 16).ok());
    let mut offered_earlier = init.offers;
    let offered = offered_earlier.pop();
    let first_frame = recs.first().map_or(0, |r| r.frame);
    let last_frame = recs.last().map_or(0, |r| r.frame);
    let duration_ms = recs
        .last()
        .map_or(0.0, |r| r.time.saturating_sub(t0) as f64 / 1e6);
    let summary = SaSummary {
        spi_i: format!("{spi_i:016x}"),
        spi_r: spi_r.map(|s| format!("{s:016x}")),
        initiator,
        responder,
        endpoint_changes,
        first_frame,
        last_frame,
        duration_ms,
        outcome,
        outcome_text,
        outcome_inferred,
        outcome_keys_hint: sa.outcome_keys_hint,
        ended,
        decryption,
        identities,
        offered,
        offered_earlier,
        chosen: init.chosen,
        child_sas: later.children,
        rekeyed_from: None,
        rekeyed_to: later.rekey,
        deletes: later.deletes,
        nat,
        fragmentation,
        ladder: sa.rows,
        findings,
    };
    (summary, new_spi)
}

/// Pairs requests and responses, flags retransmissions.
pub(super) fn pair(sa: &mut Sa<'_>) {
    let mut open: HashMap<(bool, u32), usize> = HashMap::new();
    for (row, r) in sa.recs.iter().enumerate() {
        let part = Part {
            frag: r.skf.map(|(n, _)| n),
            digest: r.digest,
            len: r.size,
            row,
        };
        let requester_initiator = if r.response {
            !r.from_initiator
        } else {
            r.from_initiator
        };
        let key = (requester_initiator, r.message_id);
        let current = open.get(&key).copied();
        if !r.response {
            if let Some(ei) = current {
                let Some(ex) = sa.exs.get_mut(ei) else {
                    continue;
                };
                if ex.exchange == r.exchange {
                    let answered = ex.answered();
                    let same = Ex::first_of(&ex.req_at, &ex.req, part.frag, |p| {
                        p.digest == part.digest || (p.len == part.len && !answered)
                    });
                    if let Some(orig) = same {
                        *ex.retx.entry(part.frag).or_default() += 1;
                        ex.req_retx.push(row);
                        let count = ex.retransmissions();
                        let first = ex.first_req_row();
                        let orig_frame = sa.recs.get(orig.row).map(|o| o.frame);
                        if let Some(e) = sa.rows.get_mut(row) {
                            e.retransmission_of = orig_frame;
                        }
                        if let Some(e) = first.and_then(|f| sa.rows.get_mut(f)) {
                            e.retransmissions = count;
                        }
                        continue;
                    }
                    if !answered && part.frag.is_some() && !ex.req_at.contains_key(&part.frag) {
                        ex.push_req(part);
                        continue;
                    }
                }
            }
            let mut ex = Ex::new(requester_initiator, r.message_id, r.exchange);
            ex.push_req(part);
            sa.exs.push(ex);
            open.insert(key, sa.exs.len() - 1);
        } else {
            let ei = match current {
                Some(ei) => ei,
                None => {
                    // A response whose request is not in the capture.
                    sa.exs
                        .push(Ex::new(requester_initiator, r.message_id, r.exchange));
                    open.insert(key, sa.exs.len() - 1);
                    sa.exs.len() - 1
                }
            };
            let Some(ex) = sa.exs.get_mut(ei) else {
                continue;
            };
            let same = Ex::first_of(&ex.resp_at, &ex.resp, part.frag, |p| {
                p.digest == part.digest || p.len == part.len
            });
            if let Some(orig) = same {
                let orig_frame = sa.recs.get(orig.row).map(|o| o.frame);
                let first = ex.first_resp_row();
                if let Some(e) = sa.rows.get_mut(row) {
                    e.retransmission_of = orig_frame;
                }
                if let Some(e) = first.and_then(|f| sa.rows.get_mut(f)) {
                    e.retransmissions += 1;
                }
                continue;
            }
            ex.push_resp(part);
            if ex.resp.len() == 1 {
                let req_row = ex.first_req_row();
                let req_frame = req_row.and_then(|f| sa.recs.get(f)).map(|o| o.frame);
                if let Some(e) = sa.rows.get_mut(row) {
                    e.answers = req_frame;
                }
                if let Some(e) = req_row.and_then(|f| sa.rows.get_mut(f)) {
                    e.answered_by = Some(r.frame);
                }
            }
        }
    }
    for ex in &sa.exs {
        if ex.answered() {
            continue;
        }
        for row in ex
            .req
            .iter()
            .map(|p| p.row)
            .chain(ex.req_retx.iter().copied())
        {
            if let Some(e) = sa.rows.get_mut(row) {
                e.unanswered = true;
            }
        }
    }
}

pub(super) fn endpoints(recs: &[Rec]) -> (SocketAddr, SocketAddr, Vec<EndpointChange>) {
    let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
    let Some(first) = recs.first() else {
        return (unspecified, unspecified, Vec::new());
    };
    let (mut cur_i, mut cur_r) = if first.from_initiator {
        (first.src, first.dst)
    } else {
        (first.dst, first.src)
    };
    let (initiator, responder) = (cur_i, cur_r);
    let mut changes: Vec<EndpointChange> = Vec::new();
    for r in recs {
        let (i, rr) = if r.from_initiator {
            (r.src, r.dst)
        } else {
            (r.dst, r.src)
        };
        let mut here: Vec<EndpointChange> = Vec::new();
        for (side, cur, new) in [
            (Side::Initiator, &mut cur_i, i),
            (Side::Responder, &mut cur_r, rr),
        ] {
            if *cur != new {
                here.push(EndpointChange {
                    frame: r.frame,
                    side,
                    from: *cur,
                    to: new,
                    note: String::new(),
                });
                *cur = new;
            }
        }
        let any_4500 = here
            .iter()
            .any(|c| c.to.port() == 4500 && c.from.port() != 4500);
        for c in &mut here {
            c.note = if c.from.ip() != c.to.ip() {
                "address changed (MOBIKE address update, or NAT rebinding)".to_owned()
            } else if c.to.port() == 4500 {
                "floated to 4500 (NAT-T, RFC 7296 §2.23)".to_owned()
            } else if any_4500 {
                format!(
                    "moved to port {} with the float to 4500 (its NAT-T port)",
                    c.to.port()
                )
            } else {
                format!(
                    "port changed from {} to {} (NAT rebinding?)",
                    c.from.port(),
                    c.to.port()
                )
            };
        }
        changes.extend(here);
    }
    (initiator, responder, changes)
}

/// The first non-zero responder SPI; a later different one is reported.
pub(super) fn responder_spi(sa: &mut Sa<'_>) -> Option<u64> {
    let mut spi: Option<(u64, u64)> = None;
    let mut conflicts: Vec<(u64, u64)> = Vec::new();
    for r in sa.recs {
        if r.spi_r == 0 {
            continue;
        }
        match spi {
            None => spi = Some((r.spi_r, r.frame)),
            Some((s, _)) if s != r.spi_r => {
                if !conflicts.iter().any(|(c, _)| *c == r.spi_r) {
                    conflicts.push((r.spi_r, r.frame));
                }
            }
            Some(_) => {}
        }
    }
    if let Some((s, f)) = spi {
        for (c, cf) in conflicts {
            sa.find(
                Severity::Warning,
                "SPI_R_CHANGED",
                format!(
                    "messages with this initiator SPI carry responder SPI {c:016x} (from frame {cf}), but frame {f} had {s:016x}: two IKE SAs share an initiator SPI, or the responder answered a retransmitted IKE_SA_INIT twice"
                ),
                "whether the initiator reuses SPIs; the ladder mixes both SAs",
                Evidence::Seen,
                vec![f, cf],
            );
        }
    }
    spi.map(|(s, _)| s)
}

pub(super) fn decryption_counts(sa: &Sa<'_>) -> DecryptionCounts {
    let mut d = DecryptionCounts::default();
    let mut skf_sets: HashMap<(bool, bool, u32), bool> = HashMap::new();
    for r in sa.recs {
        if r.skf.is_some() {
            let e = skf_sets
                .entry((r.from_initiator, r.response, r.message_id))
                .or_default();
            *e |= r.decrypted;
        } else if r.encrypted {
            d.encrypted_messages += 1;
            if r.decrypted {
                d.decrypted_messages += 1;
            }
        }
    }
    d.encrypted_messages += skf_sets.len();
    d.decrypted_messages += skf_sets.values().filter(|v| **v).count();
    d
}

pub(super) fn identities(sa: &Sa<'_>) -> Identities {
    let mut ids = Identities::default();
    for r in sa
        .recs
        .iter()
        .filter(|r| r.exchange == ExchangeType::IKE_AUTH)
    {
        if r.from_initiator {
            if r.id_i.is_some() {
                ids.initiator.clone_from(&r.id_i);
            }
            if let Some(a) = r.auth {
                ids.initiator_auth = Some(a.to_string());
            }
        } else {
            if r.id_r.is_some() {
                ids.responder.clone_from(&r.id_r);
            }
            if let Some(a) = r.auth {
                ids.responder_auth = Some(a.to_string());
            }
        }
    }
    ids
}
