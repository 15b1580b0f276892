//! Every `--json` output of every capture command (`6lo decode`/`stats`, `ikev2
//! decode`/`summary`/`audit`/`stats`) on every capture of `pcaps/` and of the shared corpus, and
//! of `doh decode`/`query`/`batch`, against the JSON Schema files of `docs/schema/` (draft
//! 2020-12); per command, each key path holds one JSON type across all lines (or null); and the
//! number of lines with a top-level `error` equals the number of failures the command's closing
//! line on stderr reports (for `stats`, its `failed` count equals `decode`'s). The commands that
//! need a live peer are checked against their schemas by the tests that run them
//! (`common::schema_check`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use ietfwg_test_support::doh_server::{DohServer, ServerConfig};
use ietfwg_test_support::shared::{capture_files, corpus};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A command's schema, and the JSON type each key path had so far.
struct Checker {
    name: &'static str,
    validator: jsonschema::Validator,
    types: BTreeMap<String, (&'static str, String)>,
    lines: usize,
}

impl Checker {
    fn new(name: &'static str) -> Checker {
        let path = root().join("docs/schema").join(format!("{name}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}: draft 2020-12"
        );
        let validator = jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|e| panic!("{name}: not a valid schema: {e}"));
        Checker {
            name,
            validator,
            types: BTreeMap::new(),
            lines: 0,
        }
    }

    /// Checks every NDJSON line of `out`; returns how many carry a top-level `error` object.
    fn check(&mut self, what: &str, out: &Output) -> u64 {
        let stdout = std::str::from_utf8(&out.stdout).expect("stdout is UTF-8");
        let mut errors = 0;
        for (i, line) in stdout.lines().enumerate() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{what}: line {}: not JSON ({e}): {line}", i + 1));
            let problems: Vec<String> = self
                .validator
                .iter_errors(&v)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .take(5)
                .collect();
            assert!(
                problems.is_empty(),
                "{what}: line {} does not match docs/schema/{}.json: {problems:#?}\n{line}",
                i + 1,
                self.name
            );
            assert!(v.is_object(), "{what}: line {} is not an object", i + 1);
            errors += u64::from(v.get("error").is_some_and(Value::is_object));
            self.walk(what, "", &v);
            self.lines += 1;
        }
        errors
    }

    /// Records the type of every key path (array indices as `[]`): one type per path.
    fn walk(&mut self, what: &str, path: &str, v: &Value) {
        let t = match v {
            Value::Null => return,
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(a) => {
                let p = format!("{path}[]");
                for x in a {
                    self.walk(what, &p, x);
                }
                "array"
            }
            Value::Object(m) => {
                for (k, x) in m {
                    self.walk(what, &format!("{path}.{k}"), x);
                }
                "object"
            }
        };
        let seen = self
            .types
            .entry(path.to_owned())
            .or_insert_with(|| (t, what.to_owned()));
        assert_eq!(
            seen.0, t,
            "{}: key {path} is a {t} in {what} but a {} in {}",
            self.name, seen.0, seen.1
        );
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The number just before `label` in `text` (`3 frames failed` → 3 for "frames failed"), or 0
/// when the label does not occur.
fn count_before(text: &str, label: &str) -> u64 {
    let Some(at) = text.find(label) else {
        return 0;
    };
    let head = text[..at].trim_end();
    let digits: String = head
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count before {label:?} in {text:?}"))
}

/// The last line of stderr: the closing summary.
fn closing(out: &Output) -> String {
    stderr(out).lines().last().unwrap_or_default().to_owned()
}

fn run(args: &[&str]) -> Output {
    let out = common::ietfwg(args);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "ietfwg {args:?}: exit {code:?}: {}",
        stderr(&out)
    );
    out
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The captures of `pcaps/SUB` and of the corpus's `SUB` (when the corpus is there).
fn captures(sub: &str) -> Vec<PathBuf> {
    let mut files = capture_files(&root().join("pcaps").join(sub));
    assert!(!files.is_empty(), "pcaps/{sub} holds captures");
    if let Some(dir) = corpus(sub) {
        files.extend(capture_files(&dir));
    }
    files
}

#[test]
fn sixlo_decode_json_matches_its_schema_and_counts() {
    let mut c = Checker::new("6lo-decode");
    let mut stats = Checker::new("6lo-stats");
    let options: [&[&str]; 3] = [
        &[],
        &["--context", "0=2001:db8::/64", "--context", "1=aaaa::/64"],
        &["--learn-contexts"],
    ];
    let mut with_error = 0;
    let mut files = captures("6lo");
    files.extend(capture_files(&root().join("pcaps/6lo-ble")));
    for f in files {
        for opts in options {
            let mut args = vec!["6lo", "decode", s(&f), "--json"];
            args.extend_from_slice(opts);
            let out = run(&args);
            let what = format!("{args:?}");
            let errors = c.check(&what, &out);
            let line = closing(&out);
            assert_eq!(
                errors,
                count_before(&line, "frames failed to decode"),
                "{what}: lines with error vs the closing line {line:?}"
            );
            with_error += errors;
            if opts.len() < 2 {
                // `6lo stats` over the same frames: one record that never fails itself, whose
                // `failed` is the number of frames decode counted as failed.
                let mut a = vec!["6lo", "stats", s(&f), "--json"];
                a.extend_from_slice(opts);
                let out = run(&a);
                assert_eq!(stats.check(&format!("{a:?}"), &out), 0);
                let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
                assert_eq!(
                    v["failed"], errors,
                    "{a:?} against decode's closing line {line:?}"
                );
            }
        }
    }
    // 6LoWPAN over MS/TP, NFC LLCP and G.9959 (`link`), and MLE decrypted (`datagram.mle`).
    let sec = root().join("pcaps/6lo-sec/mle.pcap");
    let links = capture_files(&root().join("pcaps/6lo-links"));
    let mut extra: Vec<Vec<&str>> = links
        .iter()
        .map(|f| vec!["6lo", "decode", s(f), "--json"])
        .collect();
    assert_eq!(extra.len(), 3);
    let thread = ["6lo", "decode", s(&sec), "--json", "--thread-key"];
    let mut t = thread.to_vec();
    t.push("00112233445566778899aabbccddeeff");
    extra.push(t);
    extra.push(vec!["6lo", "decode", s(&sec), "--json"]);
    for args in &extra {
        let out = run(args);
        c.check(&format!("{args:?}"), &out);
    }
    // `--hex`: one frame per line, one of them not hex (a line of its own with `error.layer`
    // `input`), one truncated.
    let out = common::ietfwg_stdin(
        &["6lo", "decode", "--hex", "--json"],
        b"41d801cdabffff0200\nzz\n41c8\n",
    );
    let errors = c.check("6lo decode --hex", &out);
    assert_eq!(
        errors,
        count_before(&closing(&out), "frames failed to decode")
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "one line per hex line");
    assert_eq!(lines[1]["error"]["layer"], "input", "{}", lines[1]);
    assert_eq!(lines[1]["frame"], 2);
    assert!(c.lines > 7_000, "{} lines checked", c.lines);
    assert!(stats.lines > 50, "{} stats lines checked", stats.lines);
    eprintln!(
        "6lo decode: {} lines, {with_error} with error, {} key paths",
        c.lines,
        c.types.len()
    );
}

/// The key table of a capture, as `scripts/output-diff` finds it.
fn keys_for(f: &Path) -> Option<PathBuf> {
    let dir = f.parent()?;
    let stem = f.file_stem()?.to_str()?;
    let own = dir.join(format!("{stem}.keys"));
    if own.is_file() {
        return Some(own);
    }
    let special = if stem.contains("ikefrag") {
        Some("ikev2_decryption_table.ikefrag")
    } else if stem.contains("noprop") || stem.contains("kernel") {
        Some("ikev2_decryption_table.noprop-kernel")
    } else {
        None
    };
    if let Some(t) = special.map(|n| dir.join(n)).filter(|p| p.is_file()) {
        return Some(t);
    }
    Some(dir.join("ikev2_decryption_table")).filter(|p| p.is_file())
}

#[test]
fn ikev2_json_matches_its_schemas_and_counts() {
    let mut decode = Checker::new("ikev2-decode");
    let mut summary = Checker::new("ikev2-summary");
    let mut audit = Checker::new("ikev2-audit");
    let mut stats = Checker::new("ikev2-stats");
    let (mut decode_errors, mut keyed) = (0, 0);
    for f in captures("ikev2") {
        let keys = keys_for(&f);
        keyed += usize::from(keys.is_some());
        let key_opts: Vec<Vec<&str>> = match &keys {
            Some(k) => vec![vec![], vec!["--keys", s(k)]],
            None => vec![vec![]],
        };
        for k in &key_opts {
            let args = |cmd| {
                let mut a = vec!["ikev2", cmd, s(&f), "--json"];
                a.extend(k.iter().copied());
                a
            };
            let a = args("decode");
            let out = run(&a);
            let errors = decode.check(&format!("{a:?}"), &out);
            let line = closing(&out);
            assert_eq!(
                errors,
                count_before(&line, "errors"),
                "{a:?}: lines with error vs {line:?}"
            );
            decode_errors += errors;
            let decode_line = line;

            let a = args("summary");
            let out = run(&a);
            let errors = summary.check(&format!("{a:?}"), &out);
            let line = closing(&out);
            let reported = count_before(&line, "failed,")
                + count_before(&line, "messages did not parse")
                + count_before(&line, "packet could not be read")
                + count_before(&line, "packets could not be read");
            assert_eq!(errors, reported, "{a:?}: lines with error vs {line:?}");

            let a = args("stats");
            let out = run(&a);
            assert_eq!(stats.check(&format!("{a:?}"), &out), 0);
            let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
            assert_eq!(
                v["failed"].as_u64().expect("failed") + v["bad_packets"].as_u64().expect("bad"),
                count_before(&decode_line, "errors"),
                "{a:?}: failed + bad_packets against decode's closing line {decode_line:?}"
            );

            let a = args("audit");
            let out = run(&a);
            let errors = audit.check(&format!("{a:?}"), &out);
            let line = closing(&out);
            let reported = count_before(&line, "with a MUST NOT")
                + count_before(&line, "packet could not be read")
                + count_before(&line, "packets could not be read");
            assert_eq!(errors, reported, "{a:?}: lines with error vs {line:?}");
        }
    }
    assert!(keyed >= 13, "{keyed} keyed captures");
    eprintln!(
        "ikev2: decode {} lines ({decode_errors} with error), summary {}, audit {}",
        decode.lines, summary.lines, audit.lines
    );
}

#[test]
fn doh_decode_json_matches_its_schema() {
    let mut c = Checker::new("doh-decode");
    // A query as `doh encode` builds it, in each input form, and an answer with records.
    for (args, fmt) in [
        (vec!["www.example.test", "AAAA"], "hex"),
        (vec!["example.test", "MX", "--no-edns"], "base64url"),
        (vec!["x.example.test", "TXT", "--do"], "raw"),
    ] {
        let mut enc = vec!["doh", "encode"];
        enc.extend(args.iter().copied());
        enc.extend(["--format", fmt]);
        let q = run(&enc);
        let out = common::ietfwg_stdin(&["doh", "decode", "--json"], &q.stdout);
        assert_eq!(out.status.code(), Some(0), "{enc:?}: {}", stderr(&out));
        assert_eq!(c.check(&format!("{enc:?} | doh decode"), &out), 0);
    }
    let q = run(&["doh", "encode", "www.example.test", "--format", "raw"]);
    let answer = ietfwg_test_support::doh_server::echo_answer(&q.stdout).expect("an answer");
    let out = common::ietfwg_stdin(&["doh", "decode", "--json"], &answer);
    c.check("an answer", &out);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(!v["answers"].as_array().expect("answers").is_empty(), "{v}");
}

#[test]
fn doh_query_and_batch_json_match_their_schemas_and_count() {
    let server = DohServer::start(ServerConfig::default());
    let url = server.url();
    let ca = server.ca_pem_path().to_str().expect("UTF-8").to_owned();
    let mut query = Checker::new("doh-query");
    for extra in [&[][..], &["--get"], &["--tls"], &["--json-api"]] {
        let mut args = vec![
            "doh",
            "query",
            "www.example.test",
            "--server",
            &url,
            "--cacert",
            &ca,
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = run(&args);
        query.check(&format!("{args:?}"), &out);
        // An example line for docs/json.md (`--nocapture`).
        eprintln!(
            "example {extra:?}: {}",
            String::from_utf8_lossy(&out.stdout).trim()
        );
    }
    // A server that answers 404: the record carries `error`.
    let bad = DohServer::start(ServerConfig::fixed(404, "text/plain", b"no".to_vec(), &[]));
    let bad_url = bad.url();
    let bad_ca = bad.ca_pem_path().to_str().expect("UTF-8").to_owned();
    let args = [
        "doh",
        "query",
        "www.example.test",
        "--server",
        &bad_url,
        "--cacert",
        &bad_ca,
        "--json",
    ];
    let out = run(&args);
    assert_eq!(query.check("404", &out), 1);

    let mut batch = Checker::new("doh-batch");
    let input = b"www.example.test\nwww.example.test AAAA\nbad line here x\nx.example.test BOGUS\nnx.example.test\n";
    for (srv, ca) in [(&url, &ca), (&bad_url, &bad_ca)] {
        let out = common::ietfwg_stdin(
            &["doh", "batch", "-", "--server", srv, "--cacert", ca],
            input,
        );
        let errors = batch.check("batch", &out);
        eprintln!(
            "example batch:\n{}",
            String::from_utf8_lossy(&out.stdout).trim()
        );
        let line = closing(&out);
        assert_eq!(
            errors,
            {
                let at = line.find("errors ").expect("errors count") + "errors ".len();
                line[at..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .expect("a number")
            },
            "lines with error vs {line:?}"
        );
    }
}

/// `ikev2 esp-decrypt --json` on every ESP recording of `pcaps/ikev2`, and on one with a
/// replayed packet and an altered one: each line matches the schema, one `esp` record per ESP
/// packet, and the lines with `error` are the closing line's ICV failures, replays and errors.
#[test]
fn ikev2_esp_decrypt_json_matches_its_schema_and_counts() {
    let mut esp = Checker::new("ikev2-esp-decrypt");
    let dir = root().join("pcaps/ikev2");
    let tmp = std::env::temp_dir().join(format!("ietfwg-json-esp-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut recordings = 0;
    for f in captures("ikev2") {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        if !name.starts_with("esp-") || !f.starts_with(&dir) {
            continue;
        }
        recordings += 1;
        let log = dir.join(format!("{name}.log"));
        let inner = tmp.join(format!("{name}.pcap"));
        let a = [
            "ikev2",
            "esp-decrypt",
            s(&f),
            "-o",
            s(&inner),
            "--keys",
            s(&log),
            "--json",
        ];
        let out = run(&a);
        let errors = esp.check(&format!("{a:?}"), &out);
        let line = closing(&out);
        let reported = count_before(&line, "ICV failures")
            + count_before(&line, "replayed or too old")
            + count_before(&line, "errors");
        assert_eq!(errors, reported, "{a:?}: lines with error vs {line:?}");
        let records = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("{\"record\":\"esp\""))
            .count() as u64;
        assert_eq!(records, count_before(&line, "ESP:"), "{a:?}: {line:?}");
    }
    assert!(recordings >= 6, "{recordings} ESP recordings");
    std::fs::remove_dir_all(&tmp).ok();
}
