//! Writes a libFuzzer dictionary for each target that reads text (`state`, `batch`, `words`)
//! to `target/dicts/<target>.dict` (`scripts/fuzz` runs it before fuzzing them and passes
//! the dictionary with `-dict=`). The words come from the tables the readers themselves read:
//! the keywords of ports and tunnels with their aliases and negations, the modes, encap types
//! and protocols, the command words and global options; for the desired-state file also
//! TOML's own tokens. A mutation can then put a whole keyword where it would otherwise have
//! to build one byte at a time. Made at each run from the code, so never out of date, and not
//! committed.

use std::path::Path;

use rfou::fou::PORT_KEYS;
use rfou::tunnel::{TunnelMode, KEYS, PROTO_WORDS};
use rfou::EncapType;
use rfou_cli::grammar::{
    APPLY_OPTIONS, DOCTOR, GLOBAL_OPTIONS, IMPORT_SOURCES, PORT_SHOW, STATE_COMMANDS, TOP, TUNNEL,
};
use rfou_fuzz::VALUES;

/// One entry of a dictionary: the word in quotes, with `"`, `\` and bytes outside printable
/// ASCII written as `\xNN`.
fn entry(word: &str) -> String {
    let mut out = String::from("\"");
    for byte in word.bytes() {
        if byte == b'"' || byte == b'\\' || !(0x20..0x7f).contains(&byte) {
            out.push_str(&format!("\\x{byte:02x}"));
        } else {
            out.push(byte as char);
        }
    }
    out.push('"');
    out
}

fn main() {
    let mut keywords: Vec<&str> = Vec::new();
    for key in KEYS {
        keywords.push(key.name);
        keywords.extend(key.aliases);
        keywords.extend(key.negations);
    }
    keywords.extend(PORT_KEYS.iter().map(|(name, _)| *name));
    keywords.extend(TunnelMode::WORDS);
    keywords.extend(EncapType::WORDS);
    keywords.extend(PROTO_WORDS);
    keywords.extend(VALUES);

    let mut commands: Vec<&str> = Vec::new();
    for list in [
        TOP,
        TUNNEL,
        DOCTOR,
        PORT_SHOW,
        STATE_COMMANDS,
        IMPORT_SOURCES,
        APPLY_OPTIONS,
    ] {
        commands.extend(list);
    }
    commands.extend(["port", "dev", "mode", "help", "\n", " "]);
    let options: Vec<&str> = GLOBAL_OPTIONS
        .iter()
        .flat_map(|option| [option.short, option.long])
        .flatten()
        .collect();

    let toml = [
        "[[port]]\n",
        "[[tunnel]]\n",
        " = ",
        "true",
        "false",
        "\"",
        "'",
        "\n",
        "#",
        "[",
        "]",
        "{",
        "}",
        ",",
        ".",
        "\"\"\"",
    ];
    let dicts: [(&str, Vec<&str>); 3] = [
        ("state", [&keywords[..], &toml[..]].concat()),
        ("batch", [&keywords[..], &commands[..]].concat()),
        (
            "words",
            [&keywords[..], &commands[..], &options[..]].concat(),
        ),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("dicts");
    std::fs::create_dir_all(&dir).expect("dictionary directory");
    for (target, mut words) in dicts {
        words.sort_unstable();
        words.dedup();
        let text: String = words.iter().map(|w| entry(w) + "\n").collect();
        std::fs::write(dir.join(format!("{target}.dict")), text).expect("dictionary file");
        println!("{target}: {} words", words.len());
    }
}
