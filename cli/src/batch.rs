//! `rfou -b FILE`: many commands, one a line.
//!
//! Every line is parsed before anything is sent, so a typo on line 700 leaves the kernel as
//! it was. Then the lines run in order; the first failure stops the batch (unless
//! `--force`), naming FILE:LINE and how many lines were applied before it.

use rfou::{Error, Family, Handle};

use crate::exit;
use crate::output::for_message;
use crate::runs::{add_ports, add_tunnels, change_tunnels, del_tunnels, runs_with, told};
pub use crate::Line;
use crate::{exec, parse, Command, Io};

/// The words of one line: split at ASCII white space (as iproute2 splits a batch line), `#`
/// starts a comment.
pub fn split(line: &str) -> Vec<&str> {
    line.split_ascii_whitespace()
        .take_while(|w| !w.starts_with('#'))
        .collect()
}

/// A batch's text, read a line at a time, each line into its words in one pass over its
/// bytes (batches run to thousands of lines). The lines are those of `str::lines` (`\n` or
/// `\r\n` ends a line, the last may have no end) and the words those of [`split`].
struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner { text, at: 0 }
    }

    /// The next line, its words put in `words` (emptied first); `None` after the last.
    fn next_line(&mut self, words: &mut Vec<&'a str>) -> Option<&'a str> {
        words.clear();
        let bytes = self.text.as_bytes();
        let start = self.at;
        if start >= bytes.len() {
            return None;
        }
        // Blanks, then a word, then blanks...: each a tight loop of its own. Words end at
        // ASCII bytes only, so every slice below is whole characters.
        let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\x0c' | b'\r');
        let mut i = start;
        loop {
            while i < bytes.len() && blank(bytes[i]) {
                i += 1;
            }
            match bytes.get(i) {
                None | Some(b'\n') => break,
                // `#` starts a comment where a word would start, not inside one.
                Some(b'#') => {
                    i += bytes[i..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .unwrap_or(bytes.len() - i);
                    break;
                }
                Some(_) => {
                    let first = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    words.push(&self.text[first..i]);
                }
            }
        }
        let (end, ended) = (i, i < bytes.len());
        self.at = end + 1;
        let line = &self.text[start..end];
        // Only `\r\n` ends a line: a `\r` last in the text stays, as in `str::lines`.
        match line.strip_suffix('\r') {
            Some(stripped) if ended => Some(stripped),
            _ => Some(line),
        }
    }
}

/// How many `\n` `text` holds, counted in runs of 255 bytes into a byte each: a loop the
/// compiler turns into vector instructions.
fn count_newlines(text: &str) -> usize {
    text.as_bytes()
        .chunks(255)
        .map(|run| run.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n')))
        .map(usize::from)
        .sum()
}

/// The part of `line` from the first of `words` to the last (which `split` took from it).
fn span<'a>(line: &'a str, words: &[&str]) -> &'a str {
    let offset = |word: &str| word.as_ptr() as usize - line.as_ptr() as usize;
    match (words.first(), words.last()) {
        (Some(first), Some(last)) => &line[offset(first)..offset(last) + last.len()],
        _ => "",
    }
}

/// Parses every line; the errors come back with their line numbers.
pub fn parse_lines(text: &str, family: Option<Family>) -> (Vec<Line<'_>>, Vec<(usize, Error)>) {
    // Room for every line at once: growing by doubling copies the lines and touches fresh
    // pages at each step.
    let mut lines = Vec::with_capacity(count_newlines(text) + 1);
    let mut errors = Vec::new();
    let mut words = Vec::new();
    let mut scanner = Scanner::new(text);
    let mut number = 0;
    while let Some(raw) = scanner.next_line(&mut words) {
        number += 1;
        if words.is_empty() {
            continue;
        }
        match parse::parse_words(&words, family) {
            Ok(Command::Help(_)) => {
                errors.push((number, Error::invalid("help is not a batch command")))
            }
            // apply is all or nothing on its own, and its plan is not a line's to undo.
            Ok(Command::Apply { .. } | Command::Export | Command::ImportNetworkd { .. }) => errors
                .push((
                    number,
                    Error::invalid(
                        "apply, export and import are not batch commands: run them alone",
                    ),
                )),
            Ok(command) => lines.push(Line {
                number,
                // As written, a slice of the text: only a failure message needs the words one
                // space apart, and joins them then.
                text: span(raw, &words),
                command,
            }),
            Err(err) => errors.push((number, err)),
        }
    }
    (lines, errors)
}

/// How a batch treats failures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mode {
    /// Go on past failing lines and report each (`--force`).
    pub force: bool,
    /// On any failure, undo every line applied, so the namespace is as before (`--atomic`).
    pub atomic: bool,
}

/// A batch to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch<'a> {
    /// The batch file (`-` is standard input).
    pub file: &'a str,
    /// The family `-6` or `-4` gives its lines.
    pub family: Option<Family>,
    pub mode: Mode,
}

/// Runs a batch. Returns the exit status: 0 if every line was applied.
pub fn run(batch: Batch, handle: &mut Handle, io: &mut Io) -> i32 {
    let status = run_lines(batch, handle, io);
    handle.release_change_lock();
    let file = batch.file;
    // rfou's sockets keep a deleted namespace alive, so its lines still "succeed": in a
    // namespace nobody can reach any more. Say so rather than report them applied.
    if let Some(name) = handle.netns() {
        if !handle.netns_still_named() {
            let _ = writeln!(
                io.err,
                "rfou: {file}: namespace \"{name}\" was deleted while the batch ran: what was applied went with it"
            );
            return if status == 0 { 1 } else { status };
        }
    }
    status
}

fn run_lines(batch: Batch, handle: &mut Handle, io: &mut Io) -> i32 {
    let Batch { file, family, mode } = batch;
    let force = mode.force;
    let text = match exec::read_input(file, "batch file") {
        Ok((_, text)) => text,
        Err(e) => {
            let _ = writeln!(io.err, "rfou: {e}");
            return exit::status(&e).into();
        }
    };
    let (lines, parse_errors) = parse_lines(&text, family);
    for (number, e) in &parse_errors {
        let _ = writeln!(
            io.err,
            "rfou: {file}:{number}: {}",
            for_message(&e.to_string())
        );
    }
    if !parse_errors.is_empty() && !force {
        let _ = writeln!(
            io.err,
            "rfou: {file}: nothing applied: fix the lines above first"
        );
        return 2;
    }
    if mode.atomic {
        return crate::atomic::run(file, &lines, handle, io);
    }
    let mut status = if parse_errors.is_empty() { 0 } else { 2 };
    let mut applied = 0;
    let mut next = 0;
    while next < lines.len() {
        // Runs of port adds, tunnel adds and tunnel changes go to the kernel many requests
        // per `sendmsg`, runs of tunnel deletes as one group delete; anything else one line
        // at a time (a line of a kind that forms no run is a run of one).
        let first = &lines[next];
        let run_len = lines[next..]
            .iter()
            .take_while(|l| runs_with(&first.command, &l.command))
            .count()
            .max(1);
        let run = &lines[next..next + run_len];
        let (outcomes, run) = match &first.command {
            Command::PortAdd { .. } if run_len > 1 => (told(add_ports(run, handle, force)), run),
            Command::TunnelDel { .. } if run_len > 1 => {
                (told(del_tunnels(run, handle, force, io)), run)
            }
            Command::TunnelAdd(_) if run_len > 1 => (told(add_tunnels(run, handle, force)), run),
            Command::TunnelChange { .. } | Command::TunnelEncap { .. } if run_len > 1 => {
                match handle.hold_change_lock() {
                    Ok(()) => (change_tunnels(run, handle, force), run),
                    Err(e) => (vec![Err(e)], &run[..1]),
                }
            }
            _ => {
                let run = &run[..1];
                (told(vec![exec::run_line(&run[0], handle, io)]), run)
            }
        };
        next += run.len();
        for (line, outcome) in run.iter().zip(outcomes) {
            // A change's report is said in its line's turn, as one by one says it.
            let outcome = outcome.and_then(|report| match (report, &line.command) {
                (
                    Some(report),
                    Command::TunnelChange { name, .. } | Command::TunnelEncap { name, .. },
                ) => exec::tell(name, &report, io.format, io.out, io.err),
                _ => Ok(()),
            });
            match outcome {
                Ok(()) => applied += 1,
                Err(e) => {
                    line.tell_failure(file, &e, io.err);
                    if status == 0 {
                        status = i32::from(exit::status(&e));
                    }
                    if !force {
                        let _ = writeln!(
                            io.err,
                            "rfou: {file}: stopped at line {}; {applied} line(s) before it were applied",
                            line.number
                        );
                        return status;
                    }
                }
            }
        }
    }
    if status != 0 {
        let _ = writeln!(
            io.err,
            "rfou: {file}: {applied} of {} line(s) applied",
            lines.len() + parse_errors.len()
        );
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines and words of `text` as [`Scanner`] reads them.
    fn scanned(text: &str) -> Vec<(&str, Vec<&str>)> {
        let mut scanner = Scanner::new(text);
        let mut out = Vec::new();
        let mut words = Vec::new();
        while let Some(line) = scanner.next_line(&mut words) {
            out.push((line, words.clone()));
        }
        out
    }

    /// The same read the plain way: `str::lines`, then [`split`].
    fn reference(text: &str) -> Vec<(&str, Vec<&str>)> {
        text.lines().map(|line| (line, split(line))).collect()
    }

    #[test]
    fn lines_and_words_are_those_of_the_standard_library() {
        let texts = [
            "",
            "\n",
            "\n\n",
            "a",
            "a\n",
            "a\r\nb\r\n",
            "a\rb\n\r",
            "last\r",
            "\r\n\r\n",
            "#",
            "a#",
            "# a\nb",
            "  add\tport  5555 ipproto 4   # ipip\n#all comment\n x#y  #z\n",
            "\u{a0}word\u{a0} é\x0cf\x0b\tg\n",
            "\u{2003}ünï #cödé\r\nport\u{85}5\n",
        ];
        for text in texts {
            assert_eq!(scanned(text), reference(text), "{text:?}");
        }
    }

    #[test]
    fn lines_and_words_agree_on_random_texts() {
        // Texts drawn from the characters that matter to lines, words and comments,
        // with a fixed seed (xorshift), so a failure is the same on every run.
        let pieces = [
            " ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "#", "a", "port", "5", "é", "\u{85}",
            "\u{a0}", "\u{2003}",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = next() % 24;
            let text: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(scanned(&text), reference(&text), "{text:?}");
        }
    }

    #[test]
    fn newlines_are_counted_past_a_run() {
        let text = "a\n".repeat(300) + "\n\r\n" + &"é".repeat(200);
        assert_eq!(count_newlines(&text), 302);
        assert_eq!(count_newlines(""), 0);
        assert_eq!(count_newlines(&"\n".repeat(255)), 255);
        assert_eq!(count_newlines(&"\n".repeat(256)), 256);
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let (lines, errors) = parse_lines(
            "# setup\n\nadd port 5555 ipproto 4 # ipip\n  tunnel del tun1\n",
            None,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(lines.iter().map(|l| l.number).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(lines[0].text, "add port 5555 ipproto 4");
    }

    #[test]
    fn a_failing_line_is_told_with_its_words_one_space_apart() {
        let (lines, _) = parse_lines("  add\tport  5555 ipproto 4   # ipip\n", None);
        assert_eq!(lines[0].text, "add\tport  5555 ipproto 4");
        let mut err = Vec::new();
        lines[0].tell_failure("f", &Error::invalid("no"), &mut err);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "rfou: f:1: add port 5555 ipproto 4: no\n"
        );
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let (lines, errors) =
            parse_lines("add port 1 ipproto 4\nadd port 0 gue\nfrobnicate\n", None);
        assert_eq!(lines.len(), 1);
        assert_eq!(errors.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [2, 3]);
        assert!(errors.iter().all(|(_, e)| exit::status(e) == 2));
    }
}
