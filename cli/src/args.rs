//! The global options as clap reads them: its command built from the one table of them
//! ([`crate::grammar::GLOBAL_OPTIONS`]), for the command lines [`crate::quick`] leaves to
//! it (and for `--help` and `--version`, and clap's messages).

use clap::{Arg, ArgAction, ArgMatches};

use crate::grammar::{OptionArg, GLOBAL_OPTIONS};
use crate::help;
use crate::quick::Args;

/// clap's name of an option: its long name without dashes, or `ipv6`/`ipv4` for `-6`/`-4`.
fn arg_id(id: &str) -> &str {
    match id {
        "-6" => "ipv6",
        "-4" => "ipv4",
        "-n" => "netns",
        "-b" => "batch",
        "-j" => "json",
        "-p" => "pretty",
        other => other.trim_start_matches('-'),
    }
}

/// The `rfou` command as clap reads it.
pub fn command() -> clap::Command {
    let mut command = clap::Command::new("rfou")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Configure Linux Foo-over-UDP (FOU) and Generic UDP Encapsulation (GUE).")
        .disable_help_subcommand(true)
        .override_usage(help::USAGE_LINE)
        .after_help(help::grammar());
    // -h and -V are clap's own flags, with its help and version text.
    for option in GLOBAL_OPTIONS
        .iter()
        .filter(|o| !matches!(o.id(), "-h" | "-V"))
    {
        let id = arg_id(option.id());
        let mut arg = Arg::new(id).help(option.help);
        if let Some(short) = option.short {
            arg = arg.short(short.chars().nth(1).expect("a short option has a letter"));
        }
        if let Some(long) = option.long {
            arg = arg.long(&long[2..]);
        }
        arg = match option.arg {
            OptionArg::Netns => arg.value_name("NAME").action(ArgAction::Set),
            OptionArg::File => arg.value_name("FILE").action(ArgAction::Set),
            OptionArg::None => arg.action(ArgAction::SetTrue),
        };
        for excluded in option.excludes {
            arg = arg.conflicts_with(arg_id(excluded));
        }
        for needed in option.needs {
            arg = arg.requires(arg_id(needed));
        }
        command = command.arg(arg);
    }
    command.arg(
        Arg::new("words")
            .value_name("COMMAND")
            .help("The command: add, del, show, tunnel ... (see below)")
            .num_args(0..)
            .trailing_var_arg(true)
            .allow_hyphen_values(true),
    )
}

/// What clap read, as [`Args`].
pub fn from_matches(matches: &ArgMatches) -> Args {
    let mut args = Args {
        netns: matches.get_one::<String>("netns").cloned(),
        batch: matches.get_one::<String>("batch").cloned(),
        ..Args::default()
    };
    for option in GLOBAL_OPTIONS.iter().filter(|o| o.arg == OptionArg::None) {
        if matches!(option.id(), "-h" | "-V") {
            continue;
        }
        let id = arg_id(option.id());
        if matches.get_flag(id) {
            args.flags.push(option.id());
        }
    }
    args.words = matches
        .get_many::<String>("words")
        .map(|w| w.cloned().collect())
        .unwrap_or_default();
    args
}

/// The command line `argv` (without the program name) as clap reads it.
pub fn read(argv: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Args, clap::Error> {
    let all = std::iter::once(std::ffi::OsString::from("rfou")).chain(argv);
    command()
        .try_get_matches_from(all)
        .map(|m| from_matches(&m))
}
