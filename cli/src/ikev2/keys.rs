//! `--keys` files (read with the library's [`KeyReader`], which tells the kinds apart by
//! content) and `ietfwg ikev2 keys LOG…`, which prints what they hold as Wireshark tables.

use std::io::{BufRead, BufReader, Read as _, Write as _};

use anyhow::{anyhow, Context as _};
use ietfwg_ikev2::crypto::keyfile::{KeyFileKind, KeyReader, Keys};
use ietfwg_ikev2::crypto::keytable;
use ietfwg_ikev2::esp::sa::esp_sa_line;

use crate::output::Output;
use crate::Status;

/// Octets a Wireshark key table may hold: far more than any capture's SAs need (a line of the
/// largest keys is under 1 KiB), and a bound on what a wrong file (a disk image, `/dev/zero`)
/// can make the process read.
pub const MAX_KEY_TABLE: u64 = 16 << 20;
/// Octets a daemon log may hold: logs are read line by line and only key material is kept
/// (bounded by the reader), so this only stops a runaway input.
pub const MAX_KEY_LOG: u64 = 4 << 30;
/// Octets one line of a key file may hold.
pub const MAX_KEY_LINE: usize = 4096;
/// Octets one line of a daemon log may hold (charon's and pluto's lines are far shorter).
pub const MAX_LOG_LINE: usize = 64 << 10;

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    /// strongSwan charon logs (filelog with ike = 4, chd = 4), libreswan pluto logs
    /// (plutodebug=private) or Wireshark tables; each is recognised by its content.
    #[arg(value_name = "LOG", required = true)]
    pub files: Vec<String>,

    /// Print only the ikev2_decryption_table rows, or only the esp_sa rows.
    #[arg(long, value_enum)]
    pub only: Option<Only>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    Ikev2,
    Esp,
}

/// Reads one key file, bounded: tables up to [`MAX_KEY_TABLE`] octets, logs up to
/// [`MAX_KEY_LOG`], lines up to [`MAX_KEY_LINE`] (tables) or [`MAX_LOG_LINE`] (logs); a line
/// that is not UTF-8 is named. Errors name the file and the line.
pub fn read_key_file(path: &str) -> anyhow::Result<(KeyFileKind, Keys)> {
    let file = std::fs::File::open(path).with_context(|| format!("reading --keys {path}"))?;
    let mut r = BufReader::new(file.take(MAX_KEY_LOG + 1));
    let mut reader = KeyReader::new();
    let mut line = Vec::new();
    let mut total: u64 = 0;
    let mut n = 0usize;
    loop {
        line.clear();
        let got = (&mut r)
            .take(MAX_LOG_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading --keys {path}"))?;
        if got == 0 {
            break;
        }
        n += 1;
        total += got as u64;
        let is_log = matches!(
            reader.kind(),
            KeyFileKind::CharonLog | KeyFileKind::PlutoLog
        );
        let (max_total, max_line) = if is_log {
            (MAX_KEY_LOG, MAX_LOG_LINE)
        } else {
            (MAX_KEY_TABLE, MAX_KEY_LINE)
        };
        if total > max_total {
            return Err(anyhow!(
                "--keys {path}: larger than the limit of {max_total} octets for a {}",
                if is_log {
                    reader.kind().describe()
                } else {
                    "key table"
                }
            ));
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        if body.len() > max_line {
            // The rest of the line is skipped unread into memory; a file over the size
            // limit is named as such first.
            if !line.ends_with(b"\n") {
                let room = (max_total + 1).saturating_sub(total);
                total +=
                    skip_line(&mut r, room).with_context(|| format!("reading --keys {path}"))?;
            }
            if total > max_total {
                return Err(anyhow!(
                    "--keys {path}: larger than the limit of {max_total} octets for a {}",
                    if is_log {
                        reader.kind().describe()
                    } else {
                        "key table"
                    }
                ));
            }
            return Err(anyhow!(
                "--keys {path}: line {n} is longer than the limit of {max_line} octets"
            ));
        }
        let text = std::str::from_utf8(body).map_err(|e| {
            anyhow!(
                "--keys {path}: line {n} is not UTF-8 text (octet {} of the line)",
                e.valid_up_to() + 1
            )
        })?;
        reader
            .push_line(text)
            .map_err(|e| anyhow!("--keys {path} ({}): {e}", reader.kind().describe()))?;
    }
    let kind = reader.kind();
    Ok((kind, reader.finish()))
}

/// Consumes the rest of a line (to its `\n` or the end, at most `limit` octets) without
/// keeping it; returns the octets consumed.
fn skip_line(r: &mut impl BufRead, limit: u64) -> std::io::Result<u64> {
    let mut n = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() || n >= limit {
            return Ok(n);
        }
        let (used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        r.consume(used);
        n += used as u64;
        if done {
            return Ok(n);
        }
    }
}

/// Reads every `--keys` file and merges them; notes on keys that could not be used go to
/// stderr. `None` when no file was given.
pub fn load_keys(paths: &[String]) -> anyhow::Result<Option<Keys>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut all = Keys::default();
    for p in paths {
        let (kind, k) = read_key_file(p)?;
        for note in &k.notes {
            eprintln!("note: --keys {p} ({}): {note}", kind.describe());
        }
        let mut k = k;
        k.notes.clear();
        all.merge(k);
    }
    for note in all.notes.drain(..) {
        eprintln!("note: --keys: {note}");
    }
    Ok(Some(all))
}

/// `ietfwg ikev2 keys LOG…`: the Wireshark `ikev2_decryption_table` rows, then (after a
/// comment line) the `esp_sa` rows. Exit 1 when a file gave no key at all or keys had to be
/// left out.
pub fn keys_cmd(a: &KeysArgs, out: &mut Output) -> anyhow::Result<Status> {
    let mut all = Keys::default();
    let mut status = Status::Ok;
    for p in &a.files {
        let (kind, k) = read_key_file(p)?;
        for note in &k.notes {
            eprintln!("note: {p} ({}): {note}", kind.describe());
        }
        if !k.notes.is_empty() {
            status = Status::Findings;
        }
        eprintln!(
            "{p}: {}, {} IKE SA(s), {} ESP SA(s)",
            kind.describe(),
            k.ike.len(),
            k.esp.len()
        );
        if k.ike.is_empty() && k.esp.is_empty() {
            status = Status::Findings;
        }
        let mut k = k;
        k.notes.clear();
        all.merge(k);
    }
    for note in all.notes.drain(..) {
        eprintln!("note: {note}");
        status = Status::Findings;
    }
    let w = &mut *out;
    if a.only != Some(Only::Esp) {
        writeln!(w, "# ikev2_decryption_table")?;
        for k in &all.ike {
            writeln!(w, "{}", keytable::table_line(k))?;
        }
    }
    if a.only != Some(Only::Ikev2) {
        writeln!(w, "# esp_sa")?;
        for s in &all.esp {
            writeln!(w, "{}", esp_sa_line(s))?;
        }
    }
    out.flush()?;
    Ok(status)
}
