//! The third-party corpus beside the project.

use std::path::{Path, PathBuf};

/// True when `CI=true`: a missing peer or corpus is then a failure, not a skip.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `../shared` (or `$IETFWG_SHARED`). When it is absent the caller skips — unless `CI=true`,
/// where a missing corpus is a failure.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("IETFWG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    if dir.join("corpus").is_dir() {
        return Some(dir);
    }
    if ci() {
        panic!(
            "CI=true but the shared corpus is missing at {}",
            dir.display()
        );
    }
    eprintln!("notice: {} is absent; skipping this test", dir.display());
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
