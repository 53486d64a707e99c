//! systemd's configuration file syntax, as systemd-networkd 252 reads its `.netdev` and
//! `.network` files: `[Section]` headers, `Key=value` assignments with blanks around both
//! stripped, comment lines starting with `#` or `;`, and a line ending in a backslash
//! continued on the next (the backslash read as a blank).

/// One `Key=value` of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Assignment {
    pub(super) key: String,
    pub(super) value: String,
    /// The line the assignment starts on.
    pub(super) line: usize,
}

/// A `[Section]` and its assignments, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Section {
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) assignments: Vec<Assignment>,
}

/// What a file holds. Lines networkd ignores with a warning (an assignment outside any
/// section, a line without `=`) are errors here: the import would not know what they meant.
pub(super) fn read(text: &str) -> Result<Vec<Section>, (usize, String)> {
    let mut sections: Vec<Section> = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    while let Some((index, raw)) = lines.next() {
        let number = index + 1;
        if is_comment(raw) {
            continue;
        }
        let mut line = raw.to_string();
        // A line ending in an unescaped backslash goes on: comment lines inside are skipped.
        while ends_continued(&line) {
            line.pop();
            line.push(' ');
            match lines.next() {
                Some((_, next)) if is_comment(next) => continue,
                Some((_, next)) => line.push_str(next),
                None => break,
            }
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let Some(name) = header.strip_suffix(']') else {
                return Err((number, format!("\"{line}\" is not a section header")));
            };
            sections.push(Section {
                name: name.to_string(),
                line: number,
                assignments: Vec::new(),
            });
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err((
                number,
                format!("\"{line}\" is neither a [Section] nor a Key=value"),
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err((number, format!("\"{line}\" has no key before '='")));
        }
        let Some(section) = sections.last_mut() else {
            return Err((
                number,
                format!("{key}= comes before any [Section]: networkd ignores it"),
            ));
        };
        section.assignments.push(Assignment {
            key: key.to_string(),
            value: value.trim().to_string(),
            line: number,
        });
    }
    Ok(sections)
}

fn is_comment(line: &str) -> bool {
    matches!(line.trim_start().chars().next(), Some('#' | ';'))
}

/// Whether `line` ends in a backslash that no backslash before it escapes.
fn ends_continued(line: &str) -> bool {
    let trailing = line.bytes().rev().take_while(|b| *b == b'\\').count();
    trailing % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_comments_and_continuations() {
        let text = "\u{feff}# a comment\n[NetDev]\n  Name = t1 \n; another\nKind=ipip\n\n\
                    [Tunnel]\nRemote=192.0.2.2\\\n# inside\n\nLocal=\n";
        let sections = read(text).unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].name, "NetDev");
        assert_eq!(sections[0].line, 2);
        let keys: Vec<(&str, &str, usize)> = sections[0]
            .assignments
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str(), a.line))
            .collect();
        assert_eq!(keys, [("Name", "t1", 3), ("Kind", "ipip", 5)]);
        // The continuation joins "Remote=192.0.2.2 " and the blank line after the comment.
        assert_eq!(sections[1].assignments[0].value, "192.0.2.2");
        assert_eq!(sections[1].assignments[0].line, 8);
        assert_eq!(sections[1].assignments[1].key, "Local");
        assert_eq!(sections[1].assignments[1].value, "");
    }

    #[test]
    fn what_networkd_would_ignore_is_refused_with_its_line() {
        assert_eq!(read("Name=x\n").unwrap_err().0, 1);
        assert_eq!(read("[NetDev]\nName x\n").unwrap_err().0, 2);
        assert_eq!(read("[NetDev]\n=x\n").unwrap_err().0, 2);
        assert_eq!(read("[NetDev\n").unwrap_err().0, 1);
        // An escaped backslash does not continue the line.
        let s = read("[A]\nK=a\\\\\nL=b\n").unwrap();
        assert_eq!(s[0].assignments.len(), 2);
    }
}
