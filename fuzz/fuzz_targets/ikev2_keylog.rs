//! The `--keys` reader for every kind of key file (Wireshark's `ikev2_decryption_table` and
//! `esp_sa` tables, strongSwan charon logs, libreswan pluto logs; told apart by content):
//! arbitrary text never panics, and every IKE SA it gives whose keys fit its algorithms
//! round-trips through the Wireshark line `ikev2 keys` prints.
#![no_main]

use ietfwg_ikev2::crypto::keyfile::read_keys;
use ietfwg_ikev2::crypto::keytable::{parse_table, table_line};
use ietfwg_ikev2::esp::sa::{esp_sa_line, parse_esp_sa_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((_kind, keys)) = read_keys(text) else {
        return;
    };
    for row in keys.ike.iter().filter(|k| k.check().is_ok()) {
        let line = table_line(row);
        let back = parse_table(&line).expect("a line we wrote parses");
        assert_eq!(back.as_slice(), std::slice::from_ref(row), "row → line → row changed");
    }
    for sa in keys.esp.iter().filter(|s| s.check().is_ok()) {
        // The esp_sa line has no ESN column and may leave addresses out: only the keys,
        // algorithms and SPI must come back.
        let line = esp_sa_line(sa);
        let back = parse_esp_sa_line(&line, 1).expect("an esp_sa line we wrote parses");
        assert_eq!(
            (back.spi, back.encr, &back.enc_key, back.integ, &back.auth_key),
            (sa.spi, sa.encr, &sa.enc_key, sa.integ, &sa.auth_key),
            "esp_sa row → line → row changed"
        );
    }
});
