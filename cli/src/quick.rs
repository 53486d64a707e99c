//! The global options of the common command lines, read without clap.
//!
//! clap builds its whole command (every option, its help, its conflicts) before it reads a
//! word: about a third of the code a command runs, measured with valgrind (1,053 of the 3,316
//! distinct superblocks of `rfou -j show`). Under emulation, where each process translates
//! the code it runs afresh, that is a large part of a single command's time.
//!
//! [`read`] takes only command lines whose meaning is plain: separate options (`-n NAME`,
//! `--json`, ...) each at most once, then the command's words. Anything else (`-jp`,
//! `--netns=X`, `--`, `-h`, `--version`, a repeated or unknown option, a value that looks
//! like an option, a forbidden combination, a word that is not UTF-8) is `None`, and clap
//! reads it, with its messages. For every command line it takes, the result is exactly
//! clap's: a test compares the two on every sequence of up to five tokens.

use std::ffi::OsString;

use crate::Args;

/// The options `Args` gives a value, as `rfou` spells them.
enum Opt {
    Netns,
    Batch,
    Json,
    Pretty,
    Force,
    Atomic,
    Ipv6,
    Ipv4,
}

fn option(word: &str) -> Option<Opt> {
    Some(match word {
        "-n" | "--netns" => Opt::Netns,
        "-b" | "--batch" => Opt::Batch,
        "-j" | "--json" => Opt::Json,
        "-p" | "--pretty" => Opt::Pretty,
        "--force" => Opt::Force,
        "--atomic" => Opt::Atomic,
        "-6" => Opt::Ipv6,
        "-4" => Opt::Ipv4,
        _ => return None,
    })
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
        let flag = |set: &mut bool| (!std::mem::replace(set, true)).then_some(());
        let value = |slot: &mut Option<String>, next: Option<&OsString>| {
            let value = next?.to_str()?;
            // clap takes "-" as a value and refuses any other word starting with '-'.
            if slot.is_some() || (value.starts_with('-') && value != "-") {
                return None;
            }
            *slot = Some(value.to_string());
            Some(())
        };
        match option(word)? {
            Opt::Netns => value(&mut args.netns, words.next())?,
            Opt::Batch => value(&mut args.batch, words.next())?,
            Opt::Json => flag(&mut args.json)?,
            Opt::Pretty => flag(&mut args.pretty)?,
            Opt::Force => flag(&mut args.force)?,
            Opt::Atomic => flag(&mut args.atomic)?,
            Opt::Ipv6 => flag(&mut args.ipv6)?,
            Opt::Ipv4 => flag(&mut args.ipv4)?,
        }
    }
    // clap's rules (see `Args`): --force and --atomic need --batch and exclude each other;
    // -6 excludes -4.
    let batch = args.batch.is_some();
    if ((args.force || args.atomic) && !batch) || (args.force && args.atomic) {
        return None;
    }
    if args.ipv6 && args.ipv4 {
        return None;
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Each option once (its other spelling is the same arm of `option`, and the same
    /// `Arg` of clap's), values, a command word, and some of what only clap reads.
    #[rustfmt::skip]
    const TOKENS: &[&str] = &[
        "-n", "--batch", "-j", "--pretty", "--force", "--atomic", "-6", "-4",
        "blue", "-", "show", "--", "-jp", "--netns=x",
    ];

    fn clap_reads(argv: &[OsString]) -> Option<Args> {
        let all = std::iter::once(OsString::from("rfou")).chain(argv.iter().cloned());
        Args::try_parse_from(all).ok()
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
