//! Starts the test lab's BIND 9.18 DoH server (authoritative for `example.test`, free ports,
//! a CA made at start-up) for benchmarks and manual runs, prints where it is, and keeps it
//! running until standard input closes.
//!
//! Output, one `key=value` per line: `url=` (DoH over TLS), `cacert=`, `dns_port=`,
//! `names=` (a file of `nI.bulk.example.test A` lines, one per bulk name), then `ready`.
//!
//! Usage: doh-lab   (e.g. `coproc LAB { target/release/doh-lab; }` in a shell script)
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{Read as _, Write as _};

use ietfwg_test_support::dns_lab::{bulk_name, Bind, BULK};

fn main() {
    let Some(bind) = Bind::start() else {
        eprintln!("doh-lab: named is not installed");
        std::process::exit(2);
    };
    let names = bind.dir().join("bulk-names.txt");
    let mut text = String::new();
    for i in 0..BULK {
        text.push_str(&bulk_name(i));
        text.push_str(" A\n");
    }
    std::fs::write(&names, text).expect("write the names file");
    let mut out = std::io::stdout().lock();
    writeln!(out, "url={}", bind.doh_url()).unwrap();
    writeln!(out, "cacert={}", bind.cacert().display()).unwrap();
    writeln!(out, "dns_port={}", bind.dns_port()).unwrap();
    writeln!(out, "names={}", names.display()).unwrap();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    drop(out);
    // Until stdin closes (EOF or error); BIND stops when `bind` drops.
    let mut sink = [0u8; 64];
    while let Ok(n) = std::io::stdin().read(&mut sink) {
        if n == 0 {
            break;
        }
    }
    drop(bind);
}
