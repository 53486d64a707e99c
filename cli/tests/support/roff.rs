//! Reading rfou's manual pages (man(7) roff) back as text: the example blocks as the shell
//! snippets they show, and the words of a page. Shared by `tests/generated.rs` and the
//! kernel test `tests/kernel/man_examples.rs`.

// Each test crate uses only some of these.
#![allow(dead_code)]

use std::path::PathBuf;

/// The three pages that must be there, each with examples, by file name.
pub const PAGES: &[&str] = &["rfou.8", "rfou-fou.8", "rfou-tunnel.8"];

pub fn man_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("man")
}

/// Every page in man/ (`*.8`), by file name, sorted: [`PAGES`] and any added since.
pub fn all_pages() -> Vec<String> {
    let dir = man_dir();
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".8"))
        .collect();
    pages.sort();
    for page in PAGES {
        assert!(pages.iter().any(|p| p == page), "man/{page} is missing");
    }
    pages
}

/// The text of page `name` (`rfou.8`...).
pub fn read_page(name: &str) -> String {
    let path = man_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One line of roff text with its escapes resolved: `\-` is `-`, `\e` and `\\` are `\`,
/// `\(aq` is `'`, font changes vanish... An escape not in this list is an error, so a page
/// cannot show one thing and mean another.
pub fn unescape(line: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('-') => out.push('-'),
            Some('e') | Some('\\') => out.push('\\'),
            Some('&') => {}
            Some('.') => out.push('.'),
            Some(' ') | Some('~') => out.push(' '),
            Some('f') => match chars.next() {
                Some('B' | 'I' | 'R' | 'P') => {}
                other => return Err(format!("unknown font \\f{other:?} in: {line}")),
            },
            Some('(') => {
                let name: String = chars.by_ref().take(2).collect();
                out.push(match name.as_str() {
                    "aq" => '\'',
                    "dq" => '"',
                    "ga" => '`',
                    "ti" => '~',
                    "ha" => '^',
                    "rs" => '\\',
                    "em" => '\u{2014}',
                    "en" => '\u{2013}',
                    other => return Err(format!("unknown escape \\({other} in: {line}")),
                });
            }
            Some('"') => break, // a comment runs to the end of the line
            other => return Err(format!("unknown escape \\{other:?} in: {line}")),
        }
    }
    Ok(out)
}

/// An example of a page: the shell snippet between `.EX` and `.EE`, unescaped, and what it
/// prints (standard output and error, as a terminal shows them) when the page shows that
/// (see [`examples`]).
#[derive(Debug, Clone)]
pub struct Example {
    pub page: String,
    /// The line of `.EX`, counting from 1.
    pub line: usize,
    pub script: String,
    /// The block the page shows as the example's output, if any.
    pub output: Option<String>,
}

impl std::fmt::Display for Example {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "man/{} line {}", self.page, self.line)
    }
}

/// The comment that marks the `.nf`/`.fi` block right after it as the output of the example
/// before it: the manual examples test compares the two (a line `...` in it stands for any
/// lines, none included).
pub const OUTPUT_MARK: &str = ".\\\" example output";

/// The comment that marks the `.nf`/`.fi` block right after it as a sample of messages that
/// no example prints: `.\" not run: TEST`, naming the test that checks what it shows.
pub const NOT_RUN_MARK: &str = ".\\\" not run: ";

/// A block shown and not run, and the test its mark names.
#[derive(Debug, Clone)]
pub struct NotRun {
    pub page: String,
    pub line: usize,
    pub test: String,
}

/// What the blocks of a page are: examples (`.EX`/`.EE`, each with the output the page shows
/// for it), and the blocks marked as not run. A `.nf`/`.fi` block is read only after a mark
/// (unmarked, it is text of the page); a mark must come right before `.nf`.
fn blocks(name: &str) -> (Vec<Example>, Vec<NotRun>) {
    enum Kind {
        Example,
        Output,
        NotRun(String),
    }
    let text = read_page(name);
    let mut examples: Vec<Example> = Vec::new();
    let mut not_run = Vec::new();
    let mut current: Option<(Kind, usize, String)> = None;
    let mut mark: Option<(Kind, usize)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end();
        let end = match current {
            Some((Kind::Example, _, _)) => ".EE",
            Some(_) => ".fi",
            None => "",
        };
        match &mut current {
            None if line == ".EX" => {
                if let Some((_, at)) = mark {
                    panic!("man/{name}:{at}: a mark before an .EX block (marks go before .nf)");
                }
                current = Some((Kind::Example, number, String::new()))
            }
            None if line == ".nf" && mark.is_some() => {
                let (kind, _) = mark.take().expect("a mark");
                current = Some((kind, number, String::new()))
            }
            None => {
                if let Some((_, at)) = mark {
                    panic!("man/{name}:{at}: a mark not followed by an .nf block");
                }
                mark = if line == OUTPUT_MARK {
                    Some((Kind::Output, number))
                } else {
                    line.strip_prefix(NOT_RUN_MARK)
                        .map(|test| (Kind::NotRun(test.trim().to_string()), number))
                };
            }
            Some(_) if line == end => {
                let (kind, start, body) = current.take().expect("in a block");
                match kind {
                    Kind::Example => examples.push(Example {
                        page: name.to_string(),
                        line: start,
                        script: body,
                        output: None,
                    }),
                    Kind::Output => {
                        let example = examples.last_mut().unwrap_or_else(|| {
                            panic!("man/{name}:{start}: an output block with no example before it")
                        });
                        assert!(
                            example.output.is_none(),
                            "man/{name}:{start}: a second output block for {example}"
                        );
                        example.output = Some(body);
                    }
                    Kind::NotRun(test) => not_run.push(NotRun {
                        page: name.to_string(),
                        line: start,
                        test,
                    }),
                }
            }
            Some(_) if line.starts_with('.') || line.starts_with('\'') => {
                panic!("man/{name}:{number}: a request inside a block read as text: {line}")
            }
            Some((_, _, body)) => {
                let text = unescape(line).unwrap_or_else(|e| panic!("man/{name}:{number}: {e}"));
                body.push_str(&text);
                body.push('\n');
            }
        }
    }
    assert!(
        current.is_none(),
        "man/{name}: a block has no end (.EE or .fi)"
    );
    assert!(mark.is_none(), "man/{name}: a mark at the end of the page");
    (examples, not_run)
}

/// Every example (`.EX`/`.EE` block) of page `name`, with the output the page shows for it:
/// the `.nf` block after it marked by [`OUTPUT_MARK`].
pub fn examples(name: &str) -> Vec<Example> {
    blocks(name).0
}

/// The blocks of page `name` marked by [`NOT_RUN_MARK`].
pub fn not_run(name: &str) -> Vec<NotRun> {
    blocks(name).1
}

/// Whether `actual` is what `shown` shows: line for line (blanks at the ends of lines aside),
/// where a line `...` of `shown` stands for any number of lines of `actual` (none included).
pub fn output_matches(shown: &str, actual: &str) -> bool {
    fn matches(shown: &[&str], actual: &[&str]) -> bool {
        match shown.split_first() {
            None => actual.is_empty(),
            Some((&"...", rest)) => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
            Some((line, rest)) => actual.first() == Some(line) && matches(rest, &actual[1..]),
        }
    }
    // Blanks at the ends of lines (tables pad their last column) are not shown.
    let shown: Vec<&str> = shown.lines().map(str::trim_end).collect();
    let actual: Vec<&str> = actual.lines().map(str::trim_end).collect();
    matches(&shown, &actual)
}

/// The words of page `name`: its text and macro arguments unescaped, split at everything
/// but letters, digits, `-` and `_`. Comment lines are left out.
pub fn words(name: &str) -> Vec<String> {
    let text = read_page(name);
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        if raw.starts_with(".\\\"") || raw.starts_with("'\\\"") {
            continue;
        }
        // A macro line: drop the macro's name, keep its arguments.
        let line = match raw.strip_prefix('.') {
            Some(rest) => rest.split_once(' ').map_or("", |(_, args)| args),
            None => raw,
        };
        let text = unescape(line).unwrap_or_else(|e| panic!("man/{name}:{}: {e}", index + 1));
        out.extend(
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .filter(|w| !w.is_empty())
                .map(str::to_string),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_what_the_pages_use() {
        assert_eq!(
            unescape(r"rfou \-b \- <<\(aqEOF\(aq").unwrap(),
            "rfou -b - <<'EOF'"
        );
        assert_eq!(unescape(r"a \e").unwrap(), r"a \");
        assert_eq!(unescape(r"\fBx\fR \(dqy\(dq").unwrap(), "x \"y\"");
        assert!(unescape(r"\*(xx").is_err());
    }

    #[test]
    fn output_matches_line_for_line_with_dots_for_any_lines() {
        assert!(output_matches("a\nb\n", "a\nb\n"));
        assert!(!output_matches("a\nb\n", "a\nc\n"));
        assert!(!output_matches("a\n", "a\nb\n"));
        assert!(output_matches("a\n...\nd\n", "a\nb\nc\nd\n"));
        assert!(output_matches("a\n...\nd\n", "a\nd\n"));
        assert!(!output_matches("a\n...\nd\n", "a\nb\n"));
        assert!(output_matches("...\n", ""));
        assert!(output_matches(" a   b\n", " a   b   \n"));
    }
}
