//! Cuts the captures and key tables under the given folders into seed inputs for the fuzz
//! targets in `fuzz/`: one file per 802.15.4 frame (with the mode octet `sixlo_frame` expects),
//! runs of consecutive frames for reassembly, IKE messages from UDP 500/4500, whole capture
//! files, key tables and daemon logs (charon, pluto). `scripts/fuzz` runs it into a work directory, so no third-party bytes
//! ever enter the repository.
//!
//! Usage: fuzz-seeds OUT_DIR DIR...
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ietfwg_capture::flows::{Flows, Proto};
use ietfwg_test_support::capture::{read_capture, Fcs};

/// libFuzzer's `-max_len` in `scripts/fuzz`: longer seeds would be cut anyway.
const MAX_SEED: usize = 65_536;
/// Frames joined into one `sixlo_frame` seed, so that fragments meet the reassembler.
const RUN: usize = 8;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let out = PathBuf::from(args.next().expect("usage: fuzz-seeds OUT_DIR DIR..."));
    let mut files = Vec::new();
    for dir in args {
        walk(Path::new(&dir), &mut files);
    }
    files.sort();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut put = |target: &'static str, name: String, bytes: &[u8]| {
        if bytes.is_empty() || bytes.len() > MAX_SEED {
            return;
        }
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).expect("create seed folder");
        std::fs::write(dir.join(name), bytes).expect("write seed");
        *counts.entry(target).or_default() += 1;
    };
    for path in &files {
        let label = path
            .to_string_lossy()
            .replace(['/', '.'], "_")
            .trim_start_matches('_')
            .to_string();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".keys") || name.starts_with("ikev2_decryption_table") {
            let table = std::fs::read(path).expect("read key table");
            put("ikev2_keytable", label.clone(), &table);
            put("ikev2_keylog", label, &table);
            continue;
        }
        if name.ends_with(".log") {
            // Daemon logs (charon, pluto): the last 64 KiB hold whole IKE SAs' key dumps.
            let log = std::fs::read(path).expect("read daemon log");
            put(
                "ikev2_keylog",
                label,
                &log[log.len().saturating_sub(MAX_SEED)..],
            );
            continue;
        }
        let bytes = std::fs::read(path).expect("read capture");
        put("capture_read", label.clone(), &bytes);
        let packets = read_capture(path, &label);
        let mut run = Vec::new();
        let mut in_run = 0;
        let mut flows = Flows::new();
        for p in &packets {
            if let Some(w) = p.wpan() {
                let mode = match w.fcs {
                    Fcs::Crc16 => 1u8,
                    Fcs::Crc32 => 2,
                    _ => 0,
                };
                let mut seed = vec![mode];
                seed.extend_from_slice(w.frame);
                put("sixlo_frame", format!("{label}-{}", p.number), &seed);
                if in_run == 0 {
                    run = vec![mode];
                } else {
                    run.extend_from_slice(&[0xf0, 0x0d]);
                }
                run.extend_from_slice(w.frame);
                in_run += 1;
                if in_run == RUN {
                    put("sixlo_frame", format!("{label}-run{}", p.number), &run);
                    in_run = 0;
                }
                continue;
            }
            let Ok(l4s) = flows.push(&p.packet()) else {
                continue;
            };
            for l4 in l4s {
                let ports = [l4.src.port(), l4.dst.port()];
                match l4.proto {
                    Proto::Udp if ports.contains(&500) => {
                        put(
                            "ikev2_message",
                            format!("{label}-{}", p.number),
                            &l4.payload,
                        );
                    }
                    Proto::Udp if ports.contains(&4500) => {
                        if let Some(m) = l4.payload.strip_prefix(&[0, 0, 0, 0]) {
                            put("ikev2_message", format!("{label}-{}", p.number), m);
                        }
                    }
                    Proto::Tcp if ports.contains(&4500) => {
                        put(
                            "ikev2_tcp_stream",
                            format!("{label}-{}", p.number),
                            &l4.payload,
                        );
                    }
                    _ => {}
                }
            }
        }
    }
    for (target, n) in counts {
        eprintln!("fuzz-seeds: {n:6} seeds for {target}");
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!(
            "fuzz-seeds: notice: {} is absent, no seeds from it",
            dir.display()
        );
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
            let capture = [".pcap", ".pcapng", ".cap"]
                .iter()
                .any(|x| name.ends_with(x));
            if capture
                || name.ends_with(".keys")
                || name.ends_with(".log")
                || name.starts_with("ikev2_decryption_table")
            {
                out.push(p);
            }
        }
    }
}
