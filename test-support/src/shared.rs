//! The third-party corpus beside the project: the one place that reads `$IETFWG_SHARED`.
//!
//! Every test, benchmark and library test module of the workspace finds the corpus through
//! [`shared`] or [`corpus`]; when it is absent they print a notice and skip (or, for the
//! benchmarks, use only the project's own `pcaps/`) — unless `CI=true`, where a missing corpus
//! is a failure.

use std::path::{Path, PathBuf};

/// True when `CI=true`: a missing peer or corpus is then a failure, not a skip.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Where the shared folder should be, whether or not it is there: `$IETFWG_SHARED`, else
/// `../shared` beside the workspace.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("IETFWG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

/// The shared folder (`../shared` or `$IETFWG_SHARED`) when its `corpus/` is there. When it is
/// absent the caller skips — unless `CI=true`, where a missing corpus is a failure.
pub fn shared() -> Option<PathBuf> {
    let dir = shared_dir();
    if dir.join("corpus").is_dir() {
        return Some(dir);
    }
    absent(&dir)
}

/// `corpus/<sub>` of the shared folder (`sub` is `6lo`, `ikev2`, …) when it is there; otherwise
/// None with a notice — a panic under `CI=true`.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let dir = shared_dir().join("corpus").join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    absent(&dir)
}

fn absent(dir: &Path) -> Option<PathBuf> {
    if ci() {
        panic!(
            "CI=true but the shared corpus is missing at {}",
            dir.display()
        );
    }
    eprintln!(
        "notice: {} is absent (set IETFWG_SHARED to the folder holding corpus/); what needs it is skipped",
        dir.display()
    );
    None
}

/// A program on PATH, or None with a notice (a failure under `CI=true`, where `scripts/test`
/// has installed it).
pub fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in
        std::env::split_paths(&path).chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
    {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    if ci() {
        panic!("CI=true but {name} is not installed (scripts/test installs it)");
    }
    eprintln!("notice: {name} is not installed; skipping this test");
    None
}

/// Every `*.pcap`, `*.pcapng`, `*.cap` under `dir`, recursively, sorted. A folder that cannot be
/// read is a failure, not a silent skip.
pub fn capture_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
