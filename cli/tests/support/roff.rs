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

/// An example of a page: the shell snippet between `.EX` and `.EE`, unescaped.
#[derive(Debug, Clone)]
pub struct Example {
    pub page: String,
    /// The line of `.EX`, counting from 1.
    pub line: usize,
    pub script: String,
}

impl std::fmt::Display for Example {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "man/{} line {}", self.page, self.line)
    }
}

/// Every `.EX`/`.EE` block of page `name`.
pub fn examples(name: &str) -> Vec<Example> {
    let text = read_page(name);
    let mut out = Vec::new();
    let mut current: Option<Example> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        match (&mut current, raw.trim_end()) {
            (None, ".EX") => {
                current = Some(Example {
                    page: name.to_string(),
                    line: number,
                    script: String::new(),
                })
            }
            (None, _) => {}
            (Some(_), ".EE") => out.push(current.take().expect("in a block")),
            (Some(_), line) if line.starts_with('.') || line.starts_with('\'') => {
                panic!("man/{name}:{number}: a request inside an example block: {line}")
            }
            (Some(example), line) => {
                let text = unescape(line).unwrap_or_else(|e| panic!("man/{name}:{number}: {e}"));
                example.script.push_str(&text);
                example.script.push('\n');
            }
        }
    }
    assert!(current.is_none(), "man/{name}: an .EX block has no .EE");
    out
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
}
