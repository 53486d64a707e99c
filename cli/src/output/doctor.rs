//! `rfou doctor`'s report for people: the checks grouped by what they are about (the kernel,
//! rfou, each tunnel, each device, each port), one line a check with its status, then the
//! detail and the fix, wrapped; and a count at the end.

use crate::doctor::{Check, ObjectKind, Report, Status};

/// Where the detail and the fix start, and how wide the text is.
const INDENT: usize = 11;
const WIDTH: usize = 100;

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Note => "note",
        Status::Warn => "warn",
        Status::Fail => "FAIL",
        Status::Unknown => "unknown",
    }
}

/// The heading of a group: `kernel`, `rfou`, `tunnel t1`, `device eth0`, `port 5555`.
fn heading(check: &Check) -> String {
    match check.kind {
        ObjectKind::Kernel | ObjectKind::Process | ObjectKind::Port => check.object.clone(),
        ObjectKind::Tunnel => format!("tunnel {}", check.object),
        ObjectKind::Device => format!("device {}", check.object),
    }
}

/// `text` wrapped at [`WIDTH`], every line after the first indented by [`INDENT`]; `first`
/// is how far the first line starts.
fn wrapped(text: &str, first: usize) -> String {
    let mut out = String::new();
    let (mut column, mut fresh) = (first, true);
    for word in text.split(' ') {
        let len = word.chars().count();
        if !fresh && column + 1 + len > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(INDENT));
            (column, fresh) = (INDENT, true);
        }
        if !fresh {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += len;
        fresh = false;
    }
    out
}

/// The report as text.
pub fn text(report: &Report) -> String {
    let mut out = match &report.netns {
        Some(ns) => format!("rfou doctor: namespace \"{ns}\"\n"),
        None => "rfou doctor: this namespace\n".to_string(),
    };
    // Groups in the order their first check came.
    let mut groups: Vec<(String, Vec<&Check>)> = Vec::new();
    for check in &report.checks {
        let head = heading(check);
        match groups.iter_mut().find(|(h, _)| *h == head) {
            Some((_, checks)) => checks.push(check),
            None => groups.push((head, vec![check])),
        }
    }
    for (head, checks) in &groups {
        out.push('\n');
        out.push_str(head);
        out.push('\n');
        for check in checks {
            let id = check.check.split(' ').next().unwrap_or("");
            let line = format!("  {:<8} {:<15}", status_word(check.status), id);
            let start = line.chars().count() + 1;
            out.push_str(&line);
            out.push(' ');
            out.push_str(&wrapped(&check.detail, start));
            out.push('\n');
            if let Some(fix) = &check.fix {
                out.push_str(&" ".repeat(INDENT));
                out.push_str("fix: ");
                out.push_str(fix);
                out.push('\n');
            }
        }
    }
    let count = |status| report.checks.iter().filter(|c| c.status == status).count();
    let mut counts = Vec::new();
    for (status, one, many) in [
        (Status::Fail, "failed", "failed"),
        (Status::Warn, "warning", "warnings"),
        (Status::Unknown, "unknown", "unknown"),
        (Status::Note, "note", "notes"),
        (Status::Ok, "ok", "ok"),
    ] {
        match count(status) {
            0 => {}
            1 => counts.push(format!("1 {one}")),
            n => counts.push(format!("{n} {many}")),
        }
    }
    out.push('\n');
    out.push_str(&counts.join(", "));
    out.push_str(if report.ok {
        ": nothing fails\n"
    } else {
        ": traffic does not flow where FAIL says\n"
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut long = Check::new(
            "mtu",
            ObjectKind::Tunnel,
            "t1",
            Status::Fail,
            "word ".repeat(40).trim_end().to_string(),
        );
        long.fix = Some("rfou tunnel change t1 mtu 1472".into());
        Report {
            ok: false,
            netns: Some("blue".into()),
            checks: vec![
                Check::new(
                    "privilege",
                    ObjectKind::Process,
                    "rfou",
                    Status::Ok,
                    "root".into(),
                ),
                long,
                Check::new("gro", ObjectKind::Device, "v0", Status::Warn, "off".into()),
                Check::new(
                    "encap-sport",
                    ObjectKind::Tunnel,
                    "t1",
                    Status::Ok,
                    "auto".into(),
                ),
            ],
        }
    }

    #[test]
    fn checks_are_grouped_by_object_with_their_fixes() {
        let text = text(&report());
        assert!(
            text.starts_with("rfou doctor: namespace \"blue\"\n\nrfou\n  ok "),
            "{text}"
        );
        let tunnel = text.find("tunnel t1\n").expect("a group of t1");
        let device = text.find("device v0\n").expect("a group of v0");
        assert!(tunnel < device, "{text}");
        // Both checks of t1 are in its group, before v0's.
        assert!(text[tunnel..device].contains("encap-sport"), "{text}");
        assert!(
            text.contains("           fix: rfou tunnel change t1 mtu 1472\n"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(
            text.ends_with("1 failed, 1 warning, 2 ok: traffic does not flow where FAIL says\n"),
            "{text}"
        );
    }
}
