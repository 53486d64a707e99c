//! The batch reader of `rfou -b FILE` (`batch::parse_lines`, which splits each line into its
//! words in one pass, and `batch::split`, the plain reading of a line). Any text is read
//! without a panic, and:
//! - every line is kept or refused, once, by its number, in order and in range;
//! - a line's words are those `split` finds in its text, and the command kept for the line
//!   is what those words parse to (the same command a failure message shows);
//! - `help`, `apply` and `export` are never kept: they are not batch commands.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfou_cli::batch::{parse_lines, split};
use rfou_cli::{parse, Command};

fuzz_target!(|data: &[u8]| {
    // A batch file is read as UTF-8 (`batch::read`): anything else never reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (lines, errors) = parse_lines(text, None);
    let all: Vec<&str> = text.lines().collect();
    let mut numbers: Vec<usize> = lines
        .iter()
        .map(|l| l.number)
        .chain(errors.iter().map(|(n, _)| *n))
        .collect();
    let before = numbers.clone();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), before.len(), "a line read twice");
    assert!(lines.windows(2).all(|w| w[0].number < w[1].number));
    // Kept or refused: exactly the lines that have a word.
    let with_words: Vec<usize> = (1..)
        .zip(&all)
        .filter(|(_, line)| !split(line).is_empty())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(numbers, with_words);
    for line in &lines {
        let words = split(line.text);
        assert_eq!(words, split(all[line.number - 1]), "line {}", line.number);
        assert_eq!(parse(&words, None).ok().as_ref(), Some(&line.command));
        assert!(!matches!(
            line.command,
            Command::Help(_) | Command::Apply { .. } | Command::Export
        ));
    }
});
