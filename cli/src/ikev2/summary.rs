//! `ietfwg ikev2 summary` and `ietfwg ikev2 audit`: the capture driven through the shared
//! [`IkeStream`] into `ietfwg_ikev2::analysis::summary::Analyzer`; this module only renders.

use std::io::Write;
use std::ops::ControlFlow;

use colored::Colorize;
use ietfwg_ikev2::analysis::audit::{self, AuditEntry, Requirement, Role};
use ietfwg_ikev2::analysis::summary::{
    Analyzer, Evidence, KeysHint, Observed, Outcome, PayloadLabel, SaSummary, Severity,
    MAX_MESSAGES, MAX_SAS,
};
use ietfwg_ikev2::decoder::Decoded;

use std::net::SocketAddr;

use ietfwg_capture::Timestamp;

use super::json;
use super::stream::{bad_packet_text, IkeStream, Pushed};
use super::{load_keys, Source, SourceArgs};
use crate::json::Problem;
use crate::output::Output;
use crate::Status;

/// Options of `summary` and `audit`.
#[derive(Debug, clap::Args)]
pub struct AnalysisArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// NDJSON: one object per IKE SA (summary) or per rated transform (audit).
    #[arg(long)]
    pub json: bool,

    /// Only the IKE SA with this SPI (initiator's or responder's, 16 hex digits).
    #[arg(long, value_name = "SPI")]
    pub sa: Option<crate::select::Spi>,
}

/// What `--keys` adds where the analysis needs the SA's keys ([`KeysHint`]).
const CONFIRM_WITH_KEYS: &str = "decrypt with --keys to confirm";
const GIVE_KEYS: &str = "pass --keys with ";

/// Words the analysis's [`KeysHint`]s with this command's flag. With `--keys` given
/// (`keys_given`), the SA needing keys has no row in the table: that is what is said.
fn add_keys_hints(sa: &mut SaSummary, keys_given: bool) {
    let no_row = format!(
        "`--keys` has no row for SPI {}/{}",
        sa.spi_i,
        sa.spi_r.as_deref().unwrap_or("0000000000000000")
    );
    let confirm = if keys_given {
        format!("{no_row} to decrypt it and confirm")
    } else {
        CONFIRM_WITH_KEYS.to_string()
    };
    if let Some(KeysHint::Confirm { joiner }) = sa.outcome_keys_hint {
        sa.outcome_text = format!("{}{joiner}{confirm}", sa.outcome_text);
    }
    for f in &mut sa.findings {
        match f.keys_hint {
            Some(KeysHint::Confirm { joiner }) => {
                f.text = format!("{}{joiner}{confirm}", f.text);
            }
            Some(KeysHint::KeyTable) if keys_given => {
                let fields = f.check.find('(').map_or("", |i| &f.check[i..]);
                f.check = format!("{no_row}: add a line for this SA to the table {fields}");
            }
            Some(KeysHint::KeyTable) => f.check = format!("{GIVE_KEYS}{}", f.check),
            None => {}
        }
    }
}

/// What a capture held besides its IKE SAs.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    /// IKEv2 messages that did not parse.
    broken: u64,
    /// Packets whose IP/UDP/TCP headers could not be read (reported on stderr, then skipped,
    /// as `decode` does).
    bad_packets: u64,
    /// IKE SAs summarised before the end of the capture (the analysis's table was full).
    evicted: u64,
}

impl Counts {
    /// `; 1 packet could not be read`, `; 3 IKE SAs summarised early …` or nothing.
    fn extra_text(&self) -> String {
        let mut s = match self.bad_packets {
            0 => String::new(),
            1 => "; 1 packet could not be read".to_owned(),
            n => format!("; {n} packets could not be read"),
        };
        if self.evicted > 0 {
            s += &format!(
                "; {} IKE SAs summarised early (the analysis holds at most {MAX_SAS} SAs and {MAX_MESSAGES} messages)",
                self.evicted
            );
        }
        s
    }
}

/// What [`analyze`] hands on: an IKE SA, or a packet or message it had to skip.
enum Item {
    Sa(Box<SaSummary>),
    /// A packet that could not be read or an IKEv2 message that did not parse (for `--json`;
    /// the text output counts them in the closing line).
    Unreadable {
        frame: u64,
        ts: Timestamp,
        ends: Option<(SocketAddr, SocketAddr)>,
        error: Problem,
    },
}

/// Reads the whole source and hands `each` the IKE SAs it holds (their [`KeysHint`]s worded):
/// those the analysis summarises early as they are, the rest at the end; and, as they come,
/// the packets and messages it skipped. Returns the counts of messages that did not parse, of
/// packets that could not be read and of early summaries.
fn analyze(
    source: &SourceArgs,
    only: Option<crate::select::Spi>,
    mut each: impl FnMut(Item) -> anyhow::Result<()>,
) -> anyhow::Result<Counts> {
    let mut unreadable = Vec::new();
    let keys = load_keys(&source.keys)?.map(|k| k.ike);
    let keys_given = keys.is_some();
    // `--sa`: only the SA whose initiator's or responder's SPI it is; the keys hints worded.
    let give = |mut sa: SaSummary, each: &mut dyn FnMut(Item) -> anyhow::Result<()>| {
        if let Some(spi) = only {
            let hex = spi.hex();
            if sa.spi_i != hex && sa.spi_r.as_deref() != Some(hex.as_str()) {
                return Ok(());
            }
        }
        add_keys_hints(&mut sa, keys_given);
        each(Item::Sa(Box::new(sa)))
    };
    let frames = source.frames;
    let mut input = Source::open_threaded(source)?;
    // Only IKEv2 messages are analysed: IKEv1 ones are not worth their payloads' decoding.
    // The analysis reads no KE, Nonce or SK/SKF octets (the SK payload's length only): they
    // are not copied out of the message.
    let mut stream = IkeStream::new(keys).ikev1_headers_only().opaque_data_left();
    let mut analyzer = Analyzer::new();
    let (mut messages, mut broken, mut bad_packets) = (0u64, 0u64, 0u64);
    let mut stopped = false;
    let mut early = Vec::new();
    let mut evictions_seen = 0;
    while let Some(pkt) = input.next_packet()? {
        let (number, pkt_ts) = (pkt.number, pkt.ts);
        if frames.is_some_and(|r| r.past(number)) {
            stopped = true;
            break;
        }
        let pushed = stream.push_lent(&pkt, |ev| {
            let Decoded::Ikev2(d) = &ev.decoded else {
                return Ok(ControlFlow::Continue(()));
            };
            if !frames.is_none_or(|r| r.contains(ev.frame)) {
                return Ok(ControlFlow::Continue(()));
            }
            messages += 1;
            let message = match &d.message {
                Ok(m) => m,
                Err(e) => {
                    broken += 1;
                    unreadable.push(Item::Unreadable {
                        frame: ev.frame,
                        ts: ev.ts,
                        ends: Some((ev.src, ev.dst)),
                        error: json::message_problem(e),
                    });
                    return Ok(ControlFlow::Continue(()));
                }
            };
            analyzer.push(&Observed {
                frame: ev.frame,
                time_nanos: ev.ts.as_nanos(),
                src: ev.src,
                dst: ev.dst,
                bytes: &d.bytes,
                message,
                decrypted: d.decrypted_payloads(),
                ip_fragments: ev.ip_fragments,
            });
            Ok(if source.count.is_some_and(|n| messages >= n) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        // (Both usually empty: looked at only when not, as this runs for every packet.)
        if !unreadable.is_empty() {
            for item in unreadable.drain(..) {
                each(item)?;
            }
        }
        if analyzer.evictions() != evictions_seen {
            evictions_seen = analyzer.evictions();
            early.extend(analyzer.take_evicted());
            for sa in early.drain(..) {
                give(sa, &mut each)?;
            }
        }
        match pushed {
            Pushed::Stopped => {
                // Stopped by --count: what is left incomplete is not noted.
                stopped = true;
                break;
            }
            // A packet whose headers do not decode carries no IKE message to analyse: it is
            // counted and reported, and the packets after it are analysed.
            Pushed::BadPacket(e) => {
                bad_packets += 1;
                let msg = bad_packet_text(&e);
                eprintln!("frame {number}: {msg}");
                each(Item::Unreadable {
                    frame: number,
                    ts: pkt_ts,
                    ends: None,
                    error: Problem::plain("packet", msg, None),
                })?;
            }
            Pushed::Done => {}
        }
    }
    if !stopped {
        for note in stream.finish() {
            eprintln!("note: {note}");
        }
    }
    let counts = Counts {
        broken,
        bad_packets,
        evicted: analyzer.evictions(),
    };
    for sa in analyzer.finish() {
        give(sa, &mut each)?;
    }
    Ok(counts)
}

pub fn summary_cmd(a: &AnalysisArgs, out: &mut Output) -> anyhow::Result<Status> {
    if a.source.interface.is_none() {
        crate::hints::capture_stdin(&a.source.input, "ietfwg ikev2 summary")?;
    }
    let (mut failed, mut total, mut established, mut failures) = (false, 0usize, 0usize, 0usize);
    let counts = analyze(&a.source, a.sa, |item| {
        let sa = match item {
            Item::Sa(sa) => *sa,
            Item::Unreadable {
                frame,
                ts,
                ends,
                error,
            } if a.json => return json::unreadable(out, frame, ts, ends, error),
            Item::Unreadable { .. } => return Ok(()),
        };
        // An SA that failed, or one with an error finding (a CHILD_SA refused, a request never
        // answered), makes the exit status 1.
        failed |= sa.outcome == Outcome::Failed
            || sa.findings.iter().any(|f| f.severity == Severity::Error);
        total += 1;
        established += usize::from(sa.outcome == Outcome::Established);
        failures += usize::from(sa.outcome == Outcome::Failed);
        if a.json {
            json::sa(out, &sa)
        } else {
            sa_text(out, &sa)
        }
    })?;
    failed |= counts.broken > 0 || counts.bad_packets > 0;
    out.flush()?;
    eprintln!("{total} IKE SAs: {established} established, {failures} failed, {} incomplete; {} messages did not parse{}", total - established - failures, counts.broken, counts.extra_text());
    Ok(if failed { Status::Findings } else { Status::Ok })
}

pub fn audit_cmd(a: &AnalysisArgs, out: &mut Output) -> anyhow::Result<Status> {
    if a.source.interface.is_none() {
        crate::hints::capture_stdin(&a.source.input, "ietfwg ikev2 audit")?;
    }
    let (mut total, mut failing) = (0usize, 0usize);
    let counts = analyze(&a.source, a.sa, |item| {
        let sa = match item {
            Item::Sa(sa) => *sa,
            // The audit rates SAs; its closing line counts unreadable packets only.
            Item::Unreadable {
                frame,
                ts,
                ends: None,
                error,
            } if a.json => return json::unreadable(out, frame, ts, None, error),
            Item::Unreadable { .. } => return Ok(()),
        };
        let entries = audit::audit(&sa);
        let fails = audit::fails(&entries);
        failing += usize::from(fails);
        total += 1;
        if a.json {
            json::audit(out, &entries)
        } else {
            audit_text(out, &sa, &entries, fails)
        }
    })?;
    out.flush()?;
    eprintln!("{total} IKE SAs audited against RFC 8247/8221/9395; {failing} with a MUST NOT chosen or offered first{}", counts.extra_text());
    Ok(if failing > 0 || counts.bad_packets > 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}

fn requirement_coloured(r: Requirement) -> String {
    let s = r.to_string();
    match r {
        Requirement::MustNot => s.red().bold().to_string(),
        Requirement::ShouldNot => s.yellow().to_string(),
        Requirement::Must | Requirement::ShouldPlus | Requirement::Should => s.green().to_string(),
        _ => s,
    }
}

fn audit_text(
    out: &mut Output,
    sa: &SaSummary,
    entries: &[AuditEntry],
    fails: bool,
) -> anyhow::Result<()> {
    let verdict = if fails {
        "FAILS".red().bold().to_string()
    } else {
        "ok".green().to_string()
    };
    writeln!(
        out,
        "{} {}  {} ⇄ {}  {verdict}",
        "IKE SA".bold(),
        sa.spi_i,
        sa.initiator,
        sa.responder
    )?;
    for e in entries {
        let side = if e.protocol == "IKE" {
            String::new()
        } else {
            format!("{} ", e.protocol)
        };
        let role = match e.role {
            Role::Offered { proposal, position } => {
                format!("{side}offered #{proposal} (position {position})")
            }
            Role::Chosen => format!("{side}chosen"),
        };
        let note = if e.rating.note.is_empty() {
            String::new()
        } else {
            format!(" — {}", e.rating.note)
        };
        writeln!(
            out,
            "    {:<30} {:<5} {:<40} {:<10} {}{note}",
            role,
            e.transform_type.short().unwrap_or("?"),
            e.name,
            requirement_coloured(e.rating.requirement),
            e.rating.source
        )?;
    }
    Ok(())
}

/// The ladder's payload labels, separated by spaces.
/// `{text:<width}`: `text`, then spaces up to `width` characters.
fn pad_right(line: &mut String, text: &str, width: usize) {
    line.push_str(text);
    for _ in text.chars().count()..width {
        line.push(' ');
    }
}

fn labels(line: &mut String, labels: &[PayloadLabel]) {
    use std::fmt::Write as _;
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        let _ = write!(line, "{label}");
    }
}

fn sa_text(out: &mut Output, sa: &SaSummary) -> anyhow::Result<()> {
    let outcome = match sa.outcome {
        Outcome::Established => "ESTABLISHED".green().bold(),
        Outcome::Failed => "FAILED".red().bold(),
        Outcome::Incomplete => "INCOMPLETE".yellow().bold(),
    };
    let spi_r = sa.spi_r.as_deref().unwrap_or("0000000000000000");
    writeln!(
        out,
        "{} {}/{}  {} ⇄ {}  {outcome}",
        "IKE SA".bold(),
        sa.spi_i,
        spi_r,
        sa.initiator,
        sa.responder
    )?;
    let inferred = if sa.outcome_inferred && !sa.outcome_text.contains("inferred") {
        " (inferred)"
    } else {
        ""
    };
    writeln!(out, "  {:<14}{}{inferred}", "outcome", sa.outcome_text)?;
    if let Some(ended) = &sa.ended {
        writeln!(out, "  {:<14}{ended}", "ended")?;
    }
    if let (Some(i), r) = (&sa.identities.initiator, &sa.identities.responder) {
        writeln!(
            out,
            "  {:<14}{i} ⇄ {}",
            "identities",
            r.as_deref().unwrap_or("?")
        )?;
    }
    for c in &sa.endpoint_changes {
        writeln!(
            out,
            "  {:<14}frame {}: {} → {} ({})",
            "endpoint", c.frame, c.from, c.to, c.note
        )?;
    }
    if let Some(o) = &sa.offered {
        for (i, p) in o.proposals.iter().enumerate() {
            writeln!(
                out,
                "  {:<14}{}",
                if i == 0 { "offered" } else { "" },
                p.text
            )?;
        }
    }
    if let Some(c) = &sa.chosen {
        writeln!(out, "  {:<14}{}", "chosen", c.proposal.text.bold())?;
    }
    for child in &sa.child_sas {
        writeln!(
            out,
            "  {:<14}{} {}",
            "CHILD_SA", child.exchange, child.status_text
        )?;
    }
    if let Some(r) = &sa.rekeyed_to {
        writeln!(
            out,
            "  {:<14}into IKE SA {} (frame {})",
            "rekeyed", r.new_spi_i, r.request_frame
        )?;
    }
    writeln!(out, "  {:<14}{}", "NAT", sa.nat.text)?;
    let f = &sa.fragmentation;
    if f.initiator_supported
        || f.responder_supported
        || !f.skf.is_empty()
        || !f.ip_fragmented.is_empty()
    {
        let skf: Vec<String> = f
            .skf
            .iter()
            .map(|m| {
                format!(
                    "{} {} in {} fragments (frames {:?})",
                    m.exchange,
                    if m.response { "response" } else { "request" },
                    m.total,
                    m.frames
                )
            })
            .collect();
        writeln!(
            out,
            "  {:<14}IKEv2 fragmentation announced by initiator: {}, responder: {}{}{}",
            "fragmentation",
            f.initiator_supported,
            f.responder_supported,
            if skf.is_empty() {
                String::new()
            } else {
                format!("; {}", skf.join("; "))
            },
            if f.ip_fragmented.is_empty() {
                String::new()
            } else {
                format!("; {} IKE messages IP-fragmented", f.ip_fragmented.len())
            }
        )?;
    }
    writeln!(out, "  {}", "ladder".cyan())?;
    // One line buffer for the whole ladder; the labels and numbers are written into it, not
    // collected as `String`s first.
    let mut line = String::with_capacity(160);
    // The integers are written with itoa and padded here: `write!` with a width went through
    // the formatting machinery for each (a few thousand instructions a line, and a capture's
    // ladders have a line per message).
    let mut num = itoa::Buffer::new();
    for l in &sa.ladder {
        use std::fmt::Write as _;
        line.clear();
        let kind = if l.response { "response" } else { "request " };
        line.push_str("    #");
        pad_right(&mut line, num.format(l.frame), 5);
        let _ = write!(line, " {:>9.3}s ", l.rel_ms / 1000.0);
        line.push_str(l.direction.arrow());
        line.push(' ');
        // `{:<16}` of the exchange's name (or number): the code point's `Display` does not pad.
        match l.exchange.name() {
            Some(name) => pad_right(&mut line, name, 16),
            None => pad_right(&mut line, num.format(l.exchange.0), 16),
        }
        line.push(' ');
        line.push_str(kind);
        line.push_str(" mid ");
        pad_right(&mut line, num.format(l.message_id), 3);
        line.push(' ');
        labels(&mut line, &l.payloads);
        if let Some(inner) = &l.inner {
            line.push_str(" [");
            labels(&mut line, inner);
            line.push(']');
        }
        line.push_str("  ");
        line.push_str(num.format(l.size));
        line.push_str(" B");
        if let Some(of) = l.retransmission_of {
            let _ = write!(line, "  {}", format!("retransmission of #{of}").yellow());
        }
        if l.unanswered {
            let _ = write!(line, "  {}", "no answer".red());
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    if !sa.findings.is_empty() {
        writeln!(out, "  {}", "findings".cyan())?;
    }
    // Each explanation once per SA: a check already given above is referred to.
    let mut checks_given: Vec<&str> = Vec::new();
    for f in &sa.findings {
        let sev = match f.severity {
            Severity::Error => "error".red().bold(),
            Severity::Warning => "warning".yellow().bold(),
            Severity::Info => "info".blue().bold(),
        };
        let seen = match f.evidence {
            Evidence::Seen => "",
            Evidence::Inferred => " (inferred)",
        };
        // A finding that repeats the NAT line's explanation refers to it instead.
        let text = if !sa.nat.text.is_empty() && f.text == sa.nat.text {
            "as explained on the NAT line above"
        } else {
            f.text.as_str()
        };
        writeln!(out, "    {sev} {}{seen}: {text}", f.code.bold())?;
        if checks_given.contains(&f.check.as_str()) {
            writeln!(out, "      check: as above")?;
        } else if !f.check.is_empty() {
            writeln!(out, "      check: {}", f.check)?;
            checks_given.push(&f.check);
        }
    }
    writeln!(out)?;
    Ok(())
}
