//! The `rfou` command: global options here, everything else in `rfou::cli`.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use rfou::cli::{self, batch, exec, Command, Format};
use rfou::{Error, Family, Handle};

mod quick;

/// Configure Linux Foo-over-UDP (FOU) and Generic UDP Encapsulation (GUE).
#[derive(Parser, Debug, Default, PartialEq, Eq)]
#[command(name = "rfou", version, disable_help_subcommand = true)]
#[command(override_usage = cli::help::USAGE_LINE, after_help = cli::help::grammar())]
pub struct Args {
    /// Act inside network namespace NAME (/run/netns/NAME, as `ip -n`)
    #[arg(short = 'n', long = "netns", value_name = "NAME")]
    pub netns: Option<String>,
    /// JSON output
    #[arg(short = 'j', long)]
    pub json: bool,
    /// Indent JSON output
    #[arg(short = 'p', long)]
    pub pretty: bool,
    /// Read commands from FILE (- for standard input), one a line
    #[arg(short = 'b', long = "batch", value_name = "FILE")]
    pub batch: Option<String>,
    /// With --batch: go on past failing lines and report each
    #[arg(long, requires = "batch", conflicts_with = "atomic")]
    pub force: bool,
    /// With --batch: on any failure, undo every line applied, leaving the namespace as before
    #[arg(long, requires = "batch")]
    pub atomic: bool,
    /// IPv6 receive ports
    #[arg(short = '6', conflicts_with = "ipv4")]
    pub ipv6: bool,
    /// IPv4 receive ports
    #[arg(short = '4')]
    pub ipv4: bool,
    /// The command: add, del, show, tunnel ... (see below)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub words: Vec<String>,
}

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    // The shell stubs' completer: before clap, which would read the words as options.
    if argv.first().is_some_and(|w| w == "__complete") {
        let words: Vec<String> = argv[1..]
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        cli::completions::run(&words, &mut std::io::stdout().lock());
        return ExitCode::SUCCESS;
    }
    // Plain command lines skip clap (see quick.rs); clap reads the rest, with its messages.
    let args = match quick::read(&argv) {
        Some(args) => args,
        None => match Args::try_parse() {
            Ok(args) => args,
            Err(e) => return clap_error(&e),
        },
    };
    let family = match (args.ipv6, args.ipv4) {
        (true, _) => Some(Family::Inet6),
        (_, true) => Some(Family::Inet),
        _ => None,
    };
    let format = Format {
        json: args.json,
        pretty: args.pretty,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();

    if args.batch.is_some() && !args.words.is_empty() {
        return fail(&Error::invalid(
            "give either a command or -b FILE, not both",
        ));
    }
    // Parse before opening anything: a bad command line touches nothing.
    let command = match &args.batch {
        Some(_) => None,
        None => match cli::parse(&args.words, family) {
            Ok(Command::Help(topic)) => {
                return match cli::help::text(topic.as_deref()) {
                    Ok(text) => {
                        let _ = out.write_all(text.as_bytes());
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(&e),
                };
            }
            Ok(command) => Some(command),
            Err(e) => return fail(&e),
        },
    };
    let handle = match &args.netns {
        Some(name) => Handle::in_netns(name),
        None => Handle::new(),
    };
    let mut handle = match handle {
        Ok(handle) => handle,
        Err(e) => return fail(&e),
    };
    let status = match (&command, &args.batch) {
        (Some(Command::Apply { file, options }), _) => {
            match exec::apply(file, *options, &mut handle, format, &mut out, &mut err) {
                Ok(status) => status as i32,
                Err(e) => {
                    let _ = out.flush();
                    return fail(&e);
                }
            }
        }
        (Some(command), _) => match exec::run(command, &mut handle, format, &mut out, &mut err) {
            Ok(()) => 0,
            Err(e) => return fail(&e),
        },
        (None, Some(file)) => {
            let batch = batch::Batch {
                file,
                family,
                mode: batch::Mode {
                    force: args.force,
                    atomic: args.atomic,
                },
            };
            let mut io = cli::Io {
                format,
                out: &mut out,
                err: &mut err,
            };
            batch::run(batch, &mut handle, &mut io)
        }
        (None, None) => unreachable!("a command or a batch"),
    };
    let _ = out.flush();
    ExitCode::from(status as u8)
}

fn fail(e: &Error) -> ExitCode {
    eprintln!("rfou: {e}");
    ExitCode::from(e.exit_code() as u8)
}

/// clap's errors in rfou's voice: one line, `rfou: ...`, exit status 2, as every other bad
/// command line. `--help` and `--version` print as clap prints them.
fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ErrorKind};
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let context = |kind| e.get(kind).map(|v| v.to_string());
    // clap names an option with its value, "--netns <NAME>": rfou says "--netns NAME".
    let arg = context(ContextKind::InvalidArg)
        .unwrap_or_default()
        .replace(['<', '>'], "");
    let message = match e.kind() {
        ErrorKind::UnknownArgument => format!("unknown option \"{arg}\""),
        ErrorKind::InvalidValue
            if context(ContextKind::InvalidValue)
                .unwrap_or_default()
                .is_empty() =>
        {
            format!("{arg} needs a value")
        }
        ErrorKind::ArgumentConflict => match context(ContextKind::PriorArg) {
            Some(prior) if prior.replace(['<', '>'], "") == arg => {
                format!("{arg} is given twice: say it once")
            }
            Some(prior) => format!(
                "{arg} and {} cannot be given together",
                prior.replace(['<', '>'], "")
            ),
            None => format!("{arg} cannot be given here"),
        },
        ErrorKind::MissingRequiredArgument => {
            format!("{arg} is needed too (--force and --atomic go with --batch FILE)")
        }
        _ => {
            // Any other kind: clap's own first line, without its "error: ".
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad command line");
            first.trim_start_matches("error: ").replace('\'', "\"")
        }
    };
    let guess = match context(ContextKind::SuggestedArg) {
        Some(near) => format!(": did you mean `{near}`?"),
        None => String::new(),
    };
    eprintln!("rfou: {message}{guess}");
    ExitCode::from(2)
}
