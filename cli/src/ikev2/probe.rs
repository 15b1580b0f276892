//! `ietfwg ikev2 probe HOST[:PORT]`: sends IKE_SA_INIT offers to one responder and reports which
//! it accepts; `--scan` finds every accepted encryption, PRF, integrity and group value, one
//! transform type at a time (the plan is [`ietfwg_ikev2::active::probe::Scan`]), rated against RFC 8247.
//!
//! What goes on the wire: only IKE_SA_INIT requests (and their retransmissions, and the same
//! request again with the responder's COOKIE), to the one address resolved from HOST (never a
//! broadcast or multicast address: see [`super::net::resolve_target`]), never faster than
//! `--rate` messages per second. An accepted offer leaves a half-open IKE SA on the responder:
//! without IKE_AUTH there are no keys to delete it with, so the responder drops it when its
//! half-open timeout expires. `--scan` avoids that: its offers carry key exchange data for a
//! group the responder does not select, so a match is answered with INVALID_KE_PAYLOAD and
//! leaves no state.

use std::borrow::Cow;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use colored::Colorize as _;
use ietfwg_ikev2::active::probe::{
    self, ChosenTransforms, Encryption, InitRequest, Probe, Response, ResponseKind, Scan, ScanStep,
    SwanctlProposal, Verdict,
};
use ietfwg_ikev2::analysis::audit::{self, Rating};
use ietfwg_ikev2::wire::registry::{KeId, TransformType};
use ietfwg_ikev2::wire::transport::{ike_after_marker, IKE_PORT, NAT_T_PORT, NON_ESP_MARKER};

use super::net::{self, Pacer, Retransmit, UdpTransport};
use crate::json::Problem;
use crate::output::Output;
use crate::Status;

/// Offered when neither --proposals nor --scan is given: what current implementations
/// commonly accept (RFC 8247 MUST/SHOULD algorithms), as one non-AEAD and one AEAD proposal.
const DEFAULT_PROPOSALS: &str = "aes256-aes128-sha256-sha384-sha512-x25519-ecp256-ecp384-modp2048-modp3072,\
aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp2048-modp3072";

/// Consecutive unanswered scan probes after which the scan gives up.
const MAX_SILENT: usize = 3;

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// The responder: an address or name, with an optional port (default 500):
    /// `192.0.2.1`, `vpn.example:4500`, `[2001:db8::1]:500`. Broadcast and multicast
    /// addresses are refused.
    #[arg(value_name = "HOST[:PORT]")]
    pub target: String,

    /// SwanctlProposal these proposals, in strongSwan's swanctl syntax (`aes256-sha256-modp2048`;
    /// several separated by `,` go in one SA payload). Repeat the option for separate offers.
    #[arg(long = "proposals", value_name = "SPEC")]
    pub proposals: Vec<String>,

    /// Find every accepted encryption, PRF, integrity and key exchange value, varying one
    /// transform type at a time (a bounded number of offers; no half-open SA is left behind).
    #[arg(long)]
    pub scan: bool,

    /// Never send more than N messages per second (retransmissions included).
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    pub rate: f64,

    /// Seconds to wait for each answer (retransmitting with RFC 7296 §2.1 backoff meanwhile).
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub timeout: f64,

    /// NDJSON: one object per probe, then a summary object.
    #[arg(long)]
    pub json: bool,
}

/// One probe's record (text row or JSON object).
#[derive(Debug, Clone, serde::Serialize)]
struct ProbeRecord {
    /// The record kind (`docs/json.md`).
    #[serde(rename = "record")]
    kind: &'static str,
    probe: usize,
    /// `offer` (--proposals) or `base`, `encr`, `prf`, `integ`, `group` (--scan).
    step: &'static str,
    /// The value tested (scan), or null.
    candidate: Option<String>,
    /// The proposals of the last request, swanctl syntax.
    offer: Vec<String>,
    /// The KE payload's group of the last request.
    ke_group: KeId,
    /// `accepted`, `rejected`, `invalid_ke`, `cookie`, `redirect`, `error`, `unexpected`,
    /// `no_answer`.
    result: &'static str,
    /// Scan verdict on the candidate: accepted, rejected, unknown.
    verdict: Option<Verdict>,
    /// The error notify's name (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD…).
    notify: Option<String>,
    /// The group an INVALID_KE_PAYLOAD asked for.
    requested_group: Option<KeId>,
    /// The transforms the responder chose.
    chosen: Option<ChosenTransforms>,
    /// Why an answer was not understood.
    reason: Option<String>,
    /// Datagrams sent for this probe (retransmissions, COOKIE and INVALID_KE retries included).
    messages: u32,
    /// The responder asked for a COOKIE (RFC 7296 §2.6) and the request was sent again with it.
    cookie: bool,
    /// The responder's notifies, vendor IDs, fragmentation and NAT-T support.
    responder: Option<ResponderInfo>,
    /// The probe got no usable answer (`no_answer`, `unexpected`); a refusal is a result, not
    /// an error.
    error: Option<Problem>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct ResponderInfo {
    notifies: Vec<String>,
    vendor_ids: Vec<String>,
    fragmentation: bool,
    nat_detection: bool,
}

/// One accepted value of a scan, rated.
#[derive(Debug, Clone, serde::Serialize)]
struct RatedValue {
    /// `ENCR`, `PRF`, `INTEG`, `KE` (the text's headings).
    #[serde(skip)]
    short: &'static str,
    /// A code point, as in `audit` and `summary`.
    transform_type: TransformType,
    id: u16,
    name: String,
    keyword: String,
    key_length: Option<u16>,
    rating: Rating,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Summary {
    /// The record kind (`docs/json.md`).
    #[serde(rename = "record")]
    kind: &'static str,
    target: SocketAddr,
    probes: usize,
    messages: u32,
    rate: f64,
    offers_accepted: usize,
    offers_rejected: usize,
    half_open_sas: usize,
    scan: Option<ScanSummary>,
    /// Always null: the summary counts the probes, it is not one.
    error: Option<Problem>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct ScanSummary {
    max_probes: usize,
    probes: usize,
    nothing_accepted: bool,
    accepted: Vec<RatedValue>,
    unknown: Vec<String>,
    stopped: Option<String>,
}

pub fn run(args: ProbeArgs, mut out: Output) -> anyhow::Result<Status> {
    if !(args.rate.is_finite() && args.rate > 0.0) {
        bail!("--rate must be a positive number of messages per second");
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    let mut offers: Vec<Vec<SwanctlProposal>> = Vec::new();
    for spec in &args.proposals {
        offers.push(probe::parse_proposals(spec).with_context(|| "--proposals")?);
    }
    if offers.is_empty() && !args.scan {
        offers.push(probe::parse_proposals(DEFAULT_PROPOSALS)?);
    }
    // Refusals (broadcast, multicast, unspecified) happen here, before any socket exists.
    let target = net::resolve_target(&args.target, IKE_PORT)?;
    if args.json {
        out.set_json();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(probe_all(&args, target, offers, &mut out))
}

struct Prober {
    transport: UdpTransport,
    retransmit: Retransmit,
    target: SocketAddr,
    local: SocketAddr,
    messages: u32,
    /// The target is port 4500: IKE messages there carry the non-ESP marker (RFC 7296 §2.23,
    /// RFC 3948 §2.2) from the first one on.
    marker: bool,
}

/// The IKE message of a datagram received on a port-4500 exchange (marker removed).
fn strip_marker(d: &[u8], marker: bool) -> &[u8] {
    if marker {
        ike_after_marker(d).unwrap_or(&[])
    } else {
        d
    }
}

/// The answer of one request (after COOKIE handling), and the datagrams it took.
struct ProbeReply {
    response: Option<Response>,
    offers: Vec<SwanctlProposal>,
    ke_group: KeId,
    messages: u32,
    cookie: bool,
}

impl Prober {
    /// Sends one IKE_SA_INIT for `offers` with KE data of `ke_group`, resending it once with
    /// the responder's COOKIE when asked (RFC 7296 §2.6).
    async fn ask(
        &mut self,
        offers: &[SwanctlProposal],
        ke_group: KeId,
    ) -> anyhow::Result<ProbeReply> {
        let m = probe::fresh(ke_group).context("making the IKE_SA_INIT")?;
        let mut cookie: Option<Vec<u8>> = None;
        let mut messages = 0;
        loop {
            let req = probe::build_init(&InitRequest {
                spi_i: m.spi_i,
                offers,
                ke_group,
                ke_data: &m.ke_data,
                nonce: &m.nonce,
                cookie: cookie.as_deref(),
                nat: Some((self.local, self.target)),
            });
            let spi = m.spi_i;
            let marker = self.marker;
            let req = if marker {
                [&NON_ESP_MARKER[..], &req].concat()
            } else {
                req
            };
            let got = self
                .transport
                .exchange(&req, self.retransmit, |d| {
                    probe::is_response_to(strip_marker(d, marker), spi)
                })
                .await?;
            let Some(got) = got else {
                let sent = transmissions_until_timeout(self.retransmit);
                messages += sent;
                self.messages += sent;
                return Ok(ProbeReply {
                    response: None,
                    offers: offers.to_vec(),
                    ke_group,
                    messages,
                    cookie: cookie.is_some(),
                });
            };
            messages += got.transmissions;
            self.messages += got.transmissions;
            let r = probe::classify(strip_marker(&got.response, marker), m.spi_i, offers);
            if let ResponseKind::Cookie { cookie: c } = &r.outcome {
                if cookie.is_none() {
                    cookie = Some(c.clone());
                    continue;
                }
            }
            return Ok(ProbeReply {
                response: Some(r),
                offers: offers.to_vec(),
                ke_group,
                messages,
                cookie: cookie.is_some(),
            });
        }
    }
}

/// How many times [`UdpTransport::exchange`] sends a request that gets no answer: at 0, then
/// after `initial`, twice that…, at most `retries` more, while within `timeout`.
fn transmissions_until_timeout(rt: Retransmit) -> u32 {
    let mut at = Duration::ZERO;
    let mut wait = rt.initial;
    let mut sent = 1;
    while sent <= rt.retries {
        at += wait;
        if at >= rt.timeout {
            break;
        }
        sent += 1;
        wait = wait.saturating_mul(2);
    }
    sent
}

fn record(
    n: usize,
    step: &'static str,
    candidate: Option<String>,
    a: &ProbeReply,
    messages: u32,
    verdict: Option<Verdict>,
) -> ProbeRecord {
    let mut rec = ProbeRecord {
        kind: "probe",
        probe: n,
        step,
        candidate,
        offer: a.offers.iter().map(|o| o.to_string()).collect(),
        ke_group: a.ke_group,
        result: "no_answer",
        verdict,
        notify: None,
        requested_group: None,
        chosen: None,
        reason: None,
        messages,
        cookie: a.cookie,
        responder: None,
        error: None,
    };
    if a.response.is_none() {
        rec.error = Some(Problem::plain(
            "network",
            format!("no answer ({messages} datagrams sent)"),
            Some("RFC 7296 §2.1"),
        ));
    }
    if let Some(r) = &a.response {
        rec.result = r.outcome.label();
        match &r.outcome {
            ResponseKind::Accepted { chosen } => rec.chosen = Some(chosen.clone()),
            ResponseKind::NoProposalChosen => rec.notify = Some("NO_PROPOSAL_CHOSEN".into()),
            ResponseKind::InvalidKe { requested } => {
                rec.notify = Some("INVALID_KE_PAYLOAD".into());
                rec.requested_group = Some(*requested);
            }
            ResponseKind::Cookie { .. } => rec.notify = Some("COOKIE".into()),
            ResponseKind::Redirect => rec.notify = Some("REDIRECT".into()),
            ResponseKind::Error { notify } => rec.notify = Some(notify.to_string()),
            ResponseKind::Unexpected { reason } => {
                rec.reason = Some(reason.clone());
                rec.error = Some(Problem {
                    layer: Cow::Borrowed("ikev2"),
                    field: None,
                    offset: None,
                    message: format!("answer not understood: {reason}"),
                    rfc: crate::json::rfc_cited(reason)
                        .map(Cow::Owned)
                        .or(Some(Cow::Borrowed("RFC 7296 §1.2"))),
                });
            }
        }
        rec.responder = Some(ResponderInfo {
            notifies: r.notifies.iter().map(|t| t.to_string()).collect(),
            vendor_ids: r.vendor_ids.clone(),
            fragmentation: r.fragmentation,
            nat_detection: r.nat_detection,
        });
    }
    rec
}

async fn probe_all(
    args: &ProbeArgs,
    target: SocketAddr,
    offers: Vec<Vec<SwanctlProposal>>,
    out: &mut Output,
) -> anyhow::Result<Status> {
    let mut transport = UdpTransport::connect(target, None).await?;
    // 2 % under the rate: the spacing is kept in this process, and a datagram's send call may
    // return a little late; the margin keeps every 1-s window on the wire within --rate.
    transport.set_pacer(Pacer::new(args.rate * 0.98));
    let local = transport.local()?;
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut p = Prober {
        transport,
        retransmit: Retransmit {
            initial: Duration::from_millis(500).min(timeout),
            retries: 3,
            timeout,
        },
        target,
        local,
        messages: 0,
        marker: target.port() == NAT_T_PORT,
    };
    let mut n = 0;
    let (mut accepted, mut rejected, mut answered) = (0usize, 0usize, 0usize);
    if !args.json {
        writeln!(out, "{} {target}", "IKEv2 probe of".bold())?;
    }
    // --proposals (or the default): act as an initiator would on INVALID_KE_PAYLOAD.
    if !offers.is_empty() && !args.json {
        writeln!(
            out,
            "\n  {:>3}  {:<44} {:<10} detail",
            "#", "offer", "result"
        )?;
    }
    for offer in &offers {
        n += 1;
        let mut group = offer
            .first()
            .and_then(|o| o.ke.first().copied())
            .unwrap_or(KeId::MODP_2048);
        let mut tried = vec![group];
        let mut messages = 0;
        let a = loop {
            let a = p.ask(offer, group).await?;
            messages += a.messages;
            if let Some(Response {
                outcome: ResponseKind::InvalidKe { requested },
                ..
            }) = &a.response
            {
                let offered = offer.iter().any(|o| o.ke.contains(requested));
                if offered && !tried.contains(requested) {
                    group = *requested;
                    tried.push(group);
                    continue;
                }
            }
            break a;
        };
        let rec = record(n, "offer", None, &a, messages, None);
        match &a.response {
            Some(r) => {
                answered += 1;
                if matches!(r.outcome, ResponseKind::Accepted { .. }) {
                    accepted += 1;
                } else {
                    rejected += 1;
                }
            }
            None => rejected += 1,
        }
        emit(out, args.json, &rec)?;
    }
    let mut scan_summary = None;
    let mut scan_found = false;
    if args.scan {
        let mut scan = Scan::new();
        let max = scan.max_probes();
        if out.stderr_tty && !args.json {
            eprintln!(
                "scanning {target}: at most {max} offers at {} per second",
                args.rate
            );
        }
        let mut silent = 0;
        let mut stopped = None;
        if !args.json {
            writeln!(
                out,
                "\n  {:>3}  {:<6} {:<18} {:<10} detail",
                "#", "type", "candidate", "verdict"
            )?;
        }
        while let Some(pr) = scan.next_probe() {
            n += 1;
            let Probe {
                step,
                offers: po,
                ke_group,
                ..
            } = pr;
            let a = p.ask(&po, ke_group).await?;
            let verdict = scan.record(a.response.as_ref().map(|r| &r.outcome));
            if a.response.is_some() {
                answered += 1;
                silent = 0;
            } else {
                silent += 1;
            }
            let rec = record(
                n,
                step_name(&step),
                Some(step.candidate()),
                &a,
                a.messages,
                Some(verdict),
            );
            if matches!(
                a.response.as_ref().map(|r| &r.outcome),
                Some(ResponseKind::Accepted { .. })
            ) {
                accepted += 1;
            }
            emit(out, args.json, &rec)?;
            if silent >= MAX_SILENT || (step == ScanStep::Base && a.response.is_none()) {
                stopped = Some(format!(
                    "stopped: {silent} offer(s) in a row got no answer within {}s",
                    args.timeout
                ));
                break;
            }
        }
        let r = scan.result().clone();
        scan_found = !r.encr.is_empty();
        scan_summary = Some(ScanSummary {
            max_probes: max,
            probes: r.probes,
            nothing_accepted: r.nothing_accepted,
            accepted: rated(&r.encr, &r.prf, &r.integ, &r.ke),
            unknown: r.unknown.clone(),
            stopped,
        });
    }
    let summary = Summary {
        kind: "summary",
        target,
        probes: n,
        messages: p.messages,
        rate: args.rate,
        offers_accepted: accepted,
        offers_rejected: rejected,
        half_open_sas: accepted,
        scan: scan_summary,
        error: None,
    };
    if args.json {
        out.json(&summary)?;
    } else {
        print_summary(out, &summary)?;
    }
    out.flush()?;
    if answered == 0 && n > 0 {
        bail!(
            "no answer from {target} to any of {n} IKE_SA_INIT offer(s) within {}s each",
            args.timeout
        );
    }
    if accepted > 0 && answered < n {
        eprintln!(
            "note: {target} stopped answering after accepting offers: responders limit half-open IKE SAs per address (strongSwan: 5, for 30 s by default) and ignore new ones until the old expire"
        );
    }
    if accepted > 0 {
        eprintln!(
            "note: {accepted} accepted offer(s) left half-open IKE SAs on {target}; nothing can delete them without completing IKE_AUTH, so the responder drops them after its half-open timeout"
        );
    }
    Ok(if accepted > 0 || scan_found {
        Status::Ok
    } else {
        Status::Findings
    })
}

fn step_name(s: &ScanStep) -> &'static str {
    match s {
        ScanStep::Base => "base",
        ScanStep::Encr(_) => "encr",
        ScanStep::Prf(_) => "prf",
        ScanStep::Integ(_) => "integ",
        ScanStep::Group(_) => "group",
    }
}

fn rated(
    encr: &[Encryption],
    prf: &[ietfwg_ikev2::wire::registry::PrfId],
    integ: &[ietfwg_ikev2::wire::registry::IntegId],
    ke: &[KeId],
) -> Vec<RatedValue> {
    let encr = encr.iter().map(|e| {
        let t = TransformType::ENCR;
        (t, e.id.0, e.key_len, e.keyword(), e.id.to_string())
    });
    // The other types carry no Key Length; their swanctl keyword comes from `probe::keyword`.
    let other =
        |t: TransformType, id: u16, name: String| (t, id, None, probe::keyword(t, id), name);
    encr.chain(
        prf.iter()
            .map(|x| other(TransformType::PRF, x.0, x.to_string())),
    )
    .chain(
        integ
            .iter()
            .map(|x| other(TransformType::INTEG, x.0, x.to_string())),
    )
    .chain(
        ke.iter()
            .map(|x| other(TransformType::KE, x.0, x.to_string())),
    )
    .map(|(t, id, key_length, keyword, name)| RatedValue {
        short: t.short().unwrap_or("?"),
        transform_type: t,
        id,
        name,
        keyword,
        key_length,
        rating: audit::rate(t, id, key_length),
    })
    .collect()
}

fn emit(out: &mut Output, json: bool, rec: &ProbeRecord) -> anyhow::Result<()> {
    if json {
        return out.json(rec);
    }
    let result = match rec.result {
        "accepted" => rec.result.green().bold(),
        "rejected" | "error" => rec.result.red(),
        "no_answer" | "unexpected" => rec.result.yellow(),
        _ => rec.result.normal(),
    };
    let detail = if let Some(c) = &rec.chosen {
        format!("chose {c}")
    } else if let Some(g) = rec.requested_group {
        format!(
            "INVALID_KE_PAYLOAD, wants {}",
            probe::keyword(TransformType::KE, g.0)
        )
    } else if let Some(nt) = &rec.notify {
        nt.clone()
    } else if let Some(r) = &rec.reason {
        r.clone()
    } else if rec.result == "no_answer" {
        format!("no answer ({} datagrams sent)", rec.messages)
    } else {
        String::new()
    };
    if rec.step == "offer" {
        writeln!(
            out,
            "  {:>3}  {:<44} {:<10} {detail}",
            rec.probe,
            rec.offer.join(","),
            pad(result, 10),
        )?;
    } else {
        let verdict = match rec.verdict {
            Some(Verdict::Accepted) => "accepted".green().bold(),
            Some(Verdict::Rejected) => "rejected".normal(),
            _ => "unknown".yellow(),
        };
        writeln!(
            out,
            "  {:>3}  {:<6} {:<18} {} {detail}",
            rec.probe,
            rec.step,
            rec.candidate.as_deref().unwrap_or(""),
            pad(verdict, 10),
        )?;
    }
    Ok(())
}

/// Left-aligns a coloured string (format width would count the escape codes).
fn pad(s: colored::ColoredString, width: usize) -> String {
    let len = s.input.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(len)))
}

fn print_summary(out: &mut Output, s: &Summary) -> anyhow::Result<()> {
    if let Some(scan) = &s.scan {
        writeln!(out)?;
        if scan.nothing_accepted {
            writeln!(
                out,
                "{}",
                "The responder accepts none of the known IKE algorithms (NO_PROPOSAL_CHOSEN to every value at once).".red()
            )?;
        } else {
            writeln!(
                out,
                "{}",
                "Accepted by the responder (RFC 8247 rating):".bold()
            )?;
            for t in ["ENCR", "PRF", "INTEG", "KE"] {
                let vals: Vec<&RatedValue> =
                    scan.accepted.iter().filter(|v| v.short == t).collect();
                if vals.is_empty() {
                    let why = if t == "INTEG" {
                        "(none: AEAD only)"
                    } else {
                        "(none)"
                    };
                    writeln!(out, "  {t:<6} {why}")?;
                    continue;
                }
                for (i, v) in vals.iter().enumerate() {
                    let req = v.rating.requirement;
                    let label = req.as_str();
                    let shown = if req.is_discouraged() {
                        label.red().bold()
                    } else if req >= audit::Requirement::ShouldPlus {
                        label.green()
                    } else {
                        label.normal()
                    };
                    let name = match v.key_length {
                        Some(l) => format!("{} ({l})", v.name),
                        None => v.name.clone(),
                    };
                    writeln!(
                        out,
                        "  {:<6} {:<18} {:<34} {} {}",
                        if i == 0 { t } else { "" },
                        v.keyword,
                        name,
                        pad(shown, 11),
                        if v.rating.note.is_empty() {
                            v.rating.source.to_string()
                        } else {
                            format!("{}: {}", v.rating.source, v.rating.note)
                        }
                    )?;
                }
            }
        }
        if !scan.unknown.is_empty() {
            writeln!(out, "  no verdict: {}", scan.unknown.join(", "))?;
        }
        if let Some(why) = &scan.stopped {
            writeln!(out, "  {}", why.yellow())?;
        }
        writeln!(
            out,
            "\n{} scan offers (at most {}), {} datagrams in all, at most {}/s.",
            scan.probes, scan.max_probes, s.messages, s.rate
        )?;
    } else {
        writeln!(
            out,
            "\n{} of {} offer(s) accepted; {} datagrams, at most {}/s.",
            s.offers_accepted, s.probes, s.messages, s.rate
        )?;
    }
    Ok(())
}
