//! Presenting state: tables for people, JSON for programs, and text made safe to print.
//!
//! The JSON of ports is that of `ip -j fou show`, field for field; the JSON of tunnels is
//! rfou's own, documented in rfou-tunnel(8).

pub mod doctor;
pub mod plan;
pub mod ports;
pub mod tunnels;

use serde::Serialize;
use tabled::grid::util::string::get_line_width;
use tabled::settings::Style;
use tabled::tables::CompactTable;

/// Appends `n` in decimal, without the formatting machinery: a show can list tens of
/// thousands of ports.
pub(crate) fn push_number(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

/// `text` made safe to print in a message: control characters written as escapes (`\x1b`,
/// `\t`), and every word longer than [`LONG_WORD`] characters cut, saying how long it was.
/// A batch file can hold anything; its errors quote its words.
pub fn for_message(text: &str) -> String {
    // Most text has neither: it is kept as it is.
    let plain =
        text.split(' ').all(|w| w.len() <= LONG_WORD) && !text.chars().any(char::is_control);
    if plain {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len().min(4 * LONG_WORD));
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let length = word.chars().count();
        let kept = if length > LONG_WORD {
            word.chars().take(LONG_WORD / 2)
        } else {
            word.chars().take(length)
        };
        for c in kept {
            match c {
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                c if c.is_control() && c.is_ascii() => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        if length > LONG_WORD {
            out.push_str(&format!("... ({length} characters)"));
        }
    }
    out
}

/// Words longer than this are cut in messages.
pub const LONG_WORD: usize = 80;

pub fn to_json<T: Serialize>(value: &T, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(value).expect("serializable")
    } else {
        serde_json::to_string(value).expect("serializable")
    }
}

pub(crate) fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

pub(crate) fn protocol_name(number: u8) -> String {
    match rfou::values::protocol_name(number) {
        Some(name) => format!("{number} ({name})"),
        None => number.to_string(),
    }
}

/// `rows` under `header`, in left-aligned columns with no lines between them (tabled's
/// blank style). The cells are measured here, and tabled's `CompactTable` writes them
/// without building a grid of its own: a show can list tens of thousands of ports.
pub(crate) fn blank_table<const N: usize>(
    header: [&str; N],
    rows: impl Iterator<Item = [String; N]>,
) -> String {
    let mut all = vec![header.map(String::from)];
    all.extend(rows);
    // A column's width includes the space either side of its cells.
    let mut widths = [0; N];
    for row in &all {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(get_line_width(cell) + 2);
        }
    }
    let mut out = CompactTable::new(&all)
        .columns(N)
        .width(widths)
        .with(Style::blank())
        .to_string();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_written_as_tabled_table_writes_them() {
        let cell = |s: &str| s.to_string();
        let rows = [
            [
                cell("5555"),
                cell("inet"),
                cell("ipproto 4 (ipip)"),
                cell("-"),
            ],
            [cell("7"), cell("inet6"), cell("gue"), cell("2001:db8::1")],
            [cell("65535"), cell("inet"), cell("ü-dev"), cell("网卡")],
        ];
        let header = ["PORT", "FAMILY", "CARRIES", "X"];
        for count in 0..=rows.len() {
            let mut builder = tabled::builder::Builder::default();
            builder.push_record(header);
            for row in &rows[..count] {
                builder.push_record(row.clone());
            }
            let mut table = builder.build();
            table.with(Style::blank());
            assert_eq!(
                blank_table(header, rows[..count].iter().cloned()),
                format!("{table}\n")
            );
        }
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        for n in [0, 7, 9, 10, 99, 100, 5555, 65535, 1_000_000, u32::MAX] {
            let mut out = String::from("x");
            push_number(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }

    #[test]
    fn messages_escape_control_characters_and_cut_long_words() {
        assert_eq!(
            for_message("unknown \"a\x1b[2Jb\""),
            "unknown \"a\\x1b[2Jb\""
        );
        assert_eq!(for_message("tab\there\u{85}"), "tab\\there\\u{85}");
        let long = "x".repeat(10_000_000);
        let text = for_message(&format!("bad \"{long}\" here"));
        assert!(text.len() < 200, "{}", text.len());
        assert!(text.starts_with("bad \"xxxx"), "{text}");
        assert!(text.ends_with("... (10000002 characters) here"), "{text}");
        assert_eq!(for_message("plain words stay"), "plain words stay");
        // At the limit, in characters whatever their bytes: kept whole; one more is cut.
        for word in ["x".repeat(LONG_WORD), "é".repeat(LONG_WORD)] {
            assert_eq!(for_message(&format!("a {word}")), format!("a {word}"));
        }
        let cut = for_message(&"x".repeat(LONG_WORD + 1));
        assert_eq!(
            cut,
            format!("{}... (81 characters)", "x".repeat(LONG_WORD / 2))
        );
    }
}
