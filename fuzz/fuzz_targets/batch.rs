//! The batch reader: any text splits into lines and words and parses without a panic; each
//! line kept runs the command its text says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfou::cli::batch::{parse_lines, split};
use rfou::cli::parse;

fuzz_target!(|data: &[u8]| {
    // A batch file is read as UTF-8 (`batch::read`): anything else never reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (lines, errors) = parse_lines(text, None);
    let count = text.lines().count();
    let mut previous = 0;
    for line in &lines {
        assert!(
            line.number > previous && line.number <= count,
            "line {}",
            line.number
        );
        previous = line.number;
        assert_eq!(
            parse(&split(&line.text), None).ok().as_ref(),
            Some(&line.command)
        );
    }
    for (number, _) in &errors {
        assert!(*number >= 1 && *number <= count);
    }
    assert!(lines.len() + errors.len() <= count);
});
