//! The `rfou` command: the global options, the command or batch they name, and the exit
//! status. Everything else is the `rfou_cli` library's.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use rfou::{Error, Family, Handle};
use rfou_cli::exit::{self, BAD_INPUT};
use rfou_cli::{args, batch, complete, exec, help, quick, Command, Format};

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    // The shell stubs' completer: before the options, which would read the words as options.
    if argv.first().is_some_and(|w| w == "__complete") {
        let words: Vec<String> = argv[1..]
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        complete::run(&words, &mut std::io::stdout().lock());
        return ExitCode::SUCCESS;
    }
    // Plain command lines skip clap (see quick.rs); clap reads the rest, with its messages.
    let args = match quick::read(&argv) {
        Some(args) => args,
        None => match args::read(argv) {
            Ok(args) => args,
            Err(e) => return clap_error(&e),
        },
    };
    let family = match (args.has("-6"), args.has("-4")) {
        (true, _) => Some(Family::Inet6),
        (_, true) => Some(Family::Inet),
        _ => None,
    };
    let format = Format {
        json: args.has("-j"),
        pretty: args.has("-p"),
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
        None => match rfou_cli::parse(&args.words, family) {
            Ok(Command::Help(topic)) => {
                return match help::text(topic.as_deref()) {
                    Ok(text) => {
                        // Help that cannot be written has nowhere else to go.
                        let _ = out.write_all(text.as_bytes());
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(&e),
                };
            }
            // import reads files only: no namespace to open.
            Ok(Command::ImportNetworkd { files }) => {
                if args.netns.is_some() {
                    return fail(&Error::invalid(
                        "import reads files and no namespace: -n has no meaning for it",
                    ));
                }
                let status = match exec::import_networkd(&files, &mut out, &mut err) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(&e),
                };
                let _ = out.flush();
                return status;
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
                Ok(status) => status,
                Err(failure) => {
                    let _ = out.flush();
                    return fail_apply(&failure, format, &mut out);
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
                    force: args.has("--force"),
                    atomic: args.has("--atomic"),
                },
            };
            let mut io = rfou_cli::Io {
                format,
                out: &mut out,
                err: &mut err,
            };
            batch::run(batch, &mut handle, &mut io) as u8
        }
        (None, None) => unreachable!("a command or a batch"),
    };
    let _ = out.flush();
    ExitCode::from(status)
}

fn fail(e: &Error) -> ExitCode {
    eprintln!("rfou: {}", rfou_cli::output::for_message(&e.to_string()));
    ExitCode::from(exit::status(e))
}

/// A failed `apply`: said on standard error; with `-j` also as the JSON a program reads,
/// `{"changed": BOOL, "changes": [], "error": MESSAGE}`, where `changed` says whether the
/// namespace may differ from before (an undo that did not read back as before).
fn fail_apply(
    failure: &rfou::state::ApplyFailure,
    format: Format,
    out: &mut dyn Write,
) -> ExitCode {
    if format.json {
        let value = serde_json::json!({
            "changed": failure.changed,
            "changes": [],
            "error": failure.error.to_string(),
        });
        let _ = writeln!(out, "{}", rfou_cli::output::to_json(&value, format.pretty));
        let _ = out.flush();
    }
    fail(&failure.error)
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
    ExitCode::from(BAD_INPUT)
}
