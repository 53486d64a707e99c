//! The global options of the common command lines, read without clap, from the one table
//! of them ([`crate::grammar::GLOBAL_OPTIONS`]).
//!
//! clap builds its whole command (every option, its help, its conflicts) before it reads a
//! word, a good part of the code a short command runs (docs/bulk.md says how much).
//!
//! [`read`] takes only command lines whose meaning is plain: separate options (`-n NAME`,
//! `--json`, ...) each at most once, then the command's words. Anything else (`-jp`,
//! `--netns=X`, `--`, `-h`, `--version`, a repeated or unknown option, a value that looks
//! like an option, a forbidden combination, a word that is not UTF-8) is `None`, and clap
//! reads it, with its messages. For every command line it takes, the result is exactly
//! clap's: a test compares the two on every sequence of up to five tokens.

use std::ffi::OsString;

use crate::grammar::{global_option, OptionArg, GLOBAL_OPTIONS};

/// The global options as read from a command line, and the command's words.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// `-n NAME`.
    pub netns: Option<String>,
    /// `-b FILE`.
    pub batch: Option<String>,
    /// The flags given, by id (`-j`, `--force`, `-6`...).
    pub flags: Vec<&'static str>,
    /// The command and its words.
    pub words: Vec<String>,
}

impl Args {
    /// Whether the flag of id `id` (short name, or long where it has none) was given.
    pub fn has(&self, id: &str) -> bool {
        self.flags.contains(&id)
    }
}

/// The arguments (without the program name) as clap would read them, or `None` where clap
/// must read them.
pub fn read(argv: &[OsString]) -> Option<Args> {
    let mut args = Args::default();
    let mut words = argv.iter();
    while let Some(word) = words.next() {
        let word = word.to_str()?;
        if !word.starts_with('-') {
            // The command: it and everything after it are its words.
            args.words.push(word.to_string());
            for word in words.by_ref() {
                args.words.push(word.to_str()?.to_string());
            }
            break;
        }
        let option = global_option(word)?;
        // -h and -V print; clap says how.
        if matches!(option.id(), "-h" | "-V") {
            return None;
        }
        match option.arg {
            OptionArg::None => {
                if args.has(option.id()) {
                    return None;
                }
                args.flags.push(option.id());
            }
            OptionArg::Netns | OptionArg::File => {
                let value = words.next()?.to_str()?;
                // clap takes "-" as a value and refuses any other word starting with '-'.
                let slot = if option.arg == OptionArg::Netns {
                    &mut args.netns
                } else {
                    &mut args.batch
                };
                if slot.is_some() || (value.starts_with('-') && value != "-") {
                    return None;
                }
                *slot = Some(value.to_string());
            }
        }
    }
    // In the table's order, as clap gives them.
    let position = |id: &&str| GLOBAL_OPTIONS.iter().position(|o| o.id() == *id);
    args.flags.sort_by_key(position);
    // The table's rules, as clap applies them: what an option needs and what it excludes.
    let given = |id: &str| match id {
        "-n" => args.netns.is_some(),
        "-b" => args.batch.is_some(),
        other => args.has(other),
    };
    for option in GLOBAL_OPTIONS.iter().filter(|o| given(o.id())) {
        if option.needs.iter().any(|n| !given(n)) || option.excludes.iter().any(|x| given(x)) {
            return None;
        }
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each option once (its other spelling is the same arm of `option`, and the same
    /// `Arg` of clap's), values, a command word, and some of what only clap reads.
    #[rustfmt::skip]
    const TOKENS: &[&str] = &[
        "-n", "--batch", "-j", "--pretty", "--force", "--atomic", "-6", "-4",
        "blue", "-", "show", "--", "-jp", "--netns=x",
    ];

    fn clap_reads(argv: &[OsString]) -> Option<Args> {
        crate::args::read(argv.iter().cloned()).ok()
    }

    /// Every sequence of up to `len` tokens: what `read` takes, clap reads the same.
    fn same_as_clap_up_to(len: u32) -> usize {
        let mut taken = 0;
        for n in 0..=len {
            for mut index in 0..TOKENS.len().pow(n) {
                let mut argv = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    argv.push(OsString::from(TOKENS[index % TOKENS.len()]));
                    index /= TOKENS.len();
                }
                if let Some(quick) = read(&argv) {
                    taken += 1;
                    assert_eq!(Some(quick), clap_reads(&argv), "{argv:?}");
                }
            }
        }
        taken
    }

    #[test]
    fn what_it_takes_clap_reads_the_same() {
        let taken = same_as_clap_up_to(5);
        // It does take the plain command lines: this is the path commands go.
        assert!(taken > 10_000, "took only {taken}");
    }

    #[test]
    fn it_takes_the_common_command_lines() {
        for line in [
            "-n blue add port 5555 ipproto 4",
            "-n blue -b ports.txt --atomic",
            "-j -p show",
            "-b - --force",
            "tunnel encap dev tun1 fou encap-dport 5555",
            "show -j",
            "--netns blue --json --batch f --force",
        ] {
            let argv: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            let quick = read(&argv).unwrap_or_else(|| panic!("not taken: {line}"));
            assert_eq!(Some(quick), clap_reads(&argv), "{line}");
        }
    }

    #[test]
    fn clap_reads_what_needs_its_messages() {
        for line in [
            "--help",
            "-V",
            "-n",
            "-n -j show",
            "-j -j show",
            "--force show",
            "-b f --force --atomic",
            "-4 -6 show",
            "--netns=blue show",
            "-- show",
        ] {
            let argv: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            assert!(read(&argv).is_none(), "taken: {line}");
        }
        use std::os::unix::ffi::OsStringExt;
        let not_utf8 = vec![OsString::from("show"), OsString::from_vec(vec![0xff])];
        assert!(read(&not_utf8).is_none());
    }
}
