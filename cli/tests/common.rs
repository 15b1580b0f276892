//! Helpers shared by the integration tests: where the third-party corpus is, how to run the
//! binary and tshark.
#![allow(dead_code)]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared` (or `$IETFWG_SHARED`). When it is absent the caller skips — unless `CI=true`, where
/// a missing corpus is a failure.
pub fn shared() -> Option<PathBuf> {
    ietfwg_test_support::shared::shared()
}

/// tshark, when installed; under CI=true its absence is a failure.
pub fn tshark() -> Option<&'static str> {
    ietfwg_test_support::shared::program("tshark").map(|_| "tshark")
}

/// A folder of the project's own captures: `pcaps/DIR`.
pub fn pcaps_dir(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("pcaps")
        .join(dir)
}

/// `pcaps/DIR/NAME` as a string, for a command's arguments.
pub fn project_pcap(dir: &str, name: &str) -> String {
    pcaps_dir(dir).join(name).to_string_lossy().into_owned()
}

/// The capture files of a corpus folder, sorted.
pub fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            )
        })
        .collect();
    v.sort();
    v
}

/// Runs `ietfwg ARGS…` (NO_COLOR and the default DoH server of the environment are not
/// passed on).
pub fn ietfwg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ietfwg"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("IETFWG_DOH_SERVER")
        .output()
        .expect("run ietfwg")
}

/// Runs `ietfwg ARGS…` with `stdin` as standard input.
pub fn ietfwg_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ietfwg"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ietfwg");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait ietfwg");
    writer.join().expect("stdin writer");
    out
}

/// Standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, showing standard error when it is another.
#[track_caller]
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", stderr(o));
}

/// Asserts the exit code and that standard error says `needle`.
#[track_caller]
pub fn assert_fails_with(o: &Output, code: i32, needle: &str) {
    assert_exit(o, code);
    assert!(
        stderr(o).contains(needle),
        "{needle:?} missing from: {}",
        stderr(o)
    );
}

/// `ietfwg doh query NAME TYPE --server URL --cacert CA EXTRA…`.
pub fn doh_query(url: &str, cacert: &Path, name: &str, qtype: &str, extra: &[&str]) -> Output {
    let ca = cacert.to_string_lossy();
    let mut args = vec![
        "doh", "query", name, qtype, "--server", url, "--cacert", &ca,
    ];
    args.extend_from_slice(extra);
    ietfwg(&args)
}

/// `ietfwg doh batch - --server URL --cacert CA EXTRA…` with `input` on standard input.
pub fn doh_batch(url: &str, cacert: &Path, input: &str, extra: &[&str]) -> Output {
    let ca = cacert.to_string_lossy();
    let mut args = vec!["doh", "batch", "-", "--server", url, "--cacert", &ca];
    args.extend_from_slice(extra);
    ietfwg_stdin(&args, input.as_bytes())
}

/// NDJSON lines of stdout.
pub fn ndjson(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// tshark's `-T fields` output, one Vec per line.
pub fn tshark_fields(file: &Path, extra: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(file).args(extra).args([
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// A number as tshark prints it: decimal or 0x-prefixed hex.
pub fn num(s: &str) -> u64 {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap_or_else(|_| panic!("bad hex {s}")),
        None => s.parse().unwrap_or_else(|_| panic!("bad number {s:?}")),
    }
}

/// Checks every NDJSON line of `stdout` against `docs/schema/NAME.json` (draft 2020-12), for the
/// commands that need a live peer and are run by their own tests; returns how many lines carry
/// a top-level `error` object.
pub fn schema_check(name: &str, stdout: &[u8]) -> u64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/schema")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let validator = jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|e| panic!("{name}: not a valid schema: {e}"));
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    let mut errors = 0;
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{name}: line {}: not JSON ({e}): {line}", i + 1));
        let problems: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(5)
            .collect();
        assert!(
            problems.is_empty(),
            "line {} does not match docs/schema/{name}.json: {problems:#?}\n{line}",
            i + 1
        );
        errors += u64::from(v.get("error").is_some_and(serde_json::Value::is_object));
    }
    errors
}

/// Runs `kdig ARGS…` in a UTF-8 locale (libidn2 converts names from and to the locale's
/// character set) and returns its stdout; a failed run fails the test with kdig's output.
pub fn kdig(args: &[&str]) -> String {
    let out = Command::new("kdig")
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("run kdig");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kdig failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}
