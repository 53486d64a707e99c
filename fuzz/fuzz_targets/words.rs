//! The word parser: any words parse or are refused without a panic, and a command that
//! parses prints to words that parse to the same command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfou::cli::{parse, print};
use rfou::Family;

fuzz_target!(|data: &[u8]| {
    // The first byte is the global -4/-6; the rest is the words, NUL-separated as in argv.
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let family = match first % 3 {
        0 => None,
        1 => Some(Family::Inet),
        _ => Some(Family::Inet6),
    };
    let text = String::from_utf8_lossy(rest);
    let words: Vec<&str> = if text.is_empty() {
        Vec::new()
    } else {
        text.split('\0').collect()
    };
    if let Ok(command) = parse(&words, family) {
        let printed = print::words(&command);
        let again = parse(&printed, None);
        assert!(
            again.as_ref().ok() == Some(&command),
            "{words:?} parsed to {command:?}, printed as {printed:?}, parsed to {again:?}"
        );
    }
});
