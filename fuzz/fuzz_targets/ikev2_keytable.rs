//! Wireshark's `ikev2_decryption_table` parser: arbitrary text never panics, and every row it
//! accepts round-trips: the line `table_line` writes for a row parses back to that row.
#![no_main]

use ietfwg_ikev2::crypto::keytable::{parse_table, table_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rows) = parse_table(text) else {
        return;
    };
    for row in &rows {
        let line = table_line(row);
        let back = parse_table(&line).expect("a line we wrote parses");
        assert_eq!(
            back.as_slice(),
            std::slice::from_ref(row),
            "row → line → row changed"
        );
    }
});
