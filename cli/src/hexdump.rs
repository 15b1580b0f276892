//! `-x/--hexdump`: the bytes of a frame or message, first as a classic dump (offset, 16 octets
//! in hex, ASCII) like `tshark -x`, then field by field — each field's octets, its layer,
//! name, value and defining section — with bit fields broken out one line per sub-field in
//! tshark's `..1. .... = Name: meaning` notation. The field maps come from the protocol crates
//! (`ietfwg_6lo::fields`, `ietfwg_ikev2::wire::fields`); this module only lays them out.
//! Coloured by layer when the output is coloured.

use std::io::{self, Write};

use colored::{Color, Colorize};
use ietfwg_report::fields::{Field, Layer};

const PALETTE: [Color; 6] = [
    Color::Cyan,
    Color::Yellow,
    Color::Green,
    Color::Magenta,
    Color::Blue,
    Color::Red,
];

/// Octets shown per line in the field list; a longer field shows [`FIELD_LINES`] lines and
/// says how many octets follow (the classic dump above shows them all).
const FIELD_OCTETS: usize = 8;
const FIELD_LINES: usize = 4;

fn paint(s: &str, slot: usize, color: bool) -> String {
    if color {
        s.color(PALETTE[slot % PALETTE.len()]).to_string()
    } else {
        s.to_string()
    }
}

/// Writes the dump of `bytes` under the heading `title`, with its field map `rows`; `slot`
/// picks the colour slot of a field's layer (0-based, wraps).
pub fn render<L: Layer>(
    out: &mut dyn Write,
    color: bool,
    title: &str,
    bytes: &[u8],
    rows: &[Field<L>],
    slot: fn(L) -> usize,
) -> io::Result<()> {
    writeln!(out, "    {title}")?;
    // Which row each octet belongs to, for colouring the classic dump.
    let mut owner = vec![usize::MAX; bytes.len()];
    for (i, r) in rows.iter().enumerate() {
        for o in owner.get_mut(r.range.clone()).into_iter().flatten() {
            *o = i;
        }
    }
    for (line, chunk) in bytes.chunks(16).enumerate() {
        let base = line * 16;
        let mut hex = String::new();
        let mut ascii = String::new();
        for (j, b) in chunk.iter().enumerate() {
            if j == 8 {
                hex.push(' ');
            }
            let cell = format!("{b:02x}");
            let owner_slot = owner
                .get(base + j)
                .and_then(|&o| rows.get(o))
                .map(|r| slot(r.layer));
            hex += &match owner_slot {
                Some(s) => paint(&cell, s, color),
                None => cell,
            };
            hex.push(' ');
            ascii.push(if b.is_ascii_graphic() || *b == b' ' {
                *b as char
            } else {
                '.'
            });
        }
        let pad = (16 - chunk.len()) * 3 + usize::from(chunk.len() <= 8);
        writeln!(out, "    {base:04x}  {hex}{:pad$} {ascii}", "")?;
    }
    writeln!(
        out,
        "    {:<9} {:<24} {:<9} field = value",
        "offset", "octets", "layer"
    )?;
    for r in rows {
        let octets = bytes.get(r.range.clone()).unwrap_or_default();
        let offs = if r.range.len() <= 1 {
            format!("{}", r.range.start)
        } else {
            format!("{}-{}", r.range.start, r.range.end - 1)
        };
        let mut lines: Vec<String> = octets
            .chunks(FIELD_OCTETS)
            .take(FIELD_LINES)
            .map(|c| {
                c.iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        if octets.len() > FIELD_OCTETS * FIELD_LINES {
            lines.push(format!(
                "… {} more",
                octets.len() - FIELD_OCTETS * FIELD_LINES
            ));
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        let reference = if r.reference.is_empty() {
            String::new()
        } else {
            format!("  [{}]", r.reference)
        };
        let head = format!("{:<9} {:<24} {:<9} ", offs, lines[0], r.layer.name());
        writeln!(
            out,
            "    {}{} = {}{}",
            paint(&head, slot(r.layer), color),
            r.name,
            r.value,
            reference
        )?;
        for l in lines.iter().skip(1) {
            writeln!(out, "    {:<9} {}", "", paint(l, slot(r.layer), color))?;
        }
        if let Some((word, width)) = r.word {
            for b in &r.bits {
                let mut pattern = String::new();
                for i in 0..width {
                    if i > 0 && i % 4 == 0 {
                        pattern.push(' ');
                    }
                    let inside = i >= b.first && i < b.first.saturating_add(b.len);
                    pattern.push(if inside {
                        if (word >> (width - 1 - i)) & 1 == 1 {
                            '1'
                        } else {
                            '0'
                        }
                    } else {
                        '.'
                    });
                }
                let meaning = if b.meaning.is_empty() {
                    format!("{}", b.value)
                } else {
                    b.meaning.to_string()
                };
                writeln!(out, "    {:<9} {} = {}: {}", "", pattern, b.name, meaning)?;
            }
        }
    }
    Ok(())
}
