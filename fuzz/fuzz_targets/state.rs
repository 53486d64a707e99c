//! The desired-state file of `rfou apply`: any text is either refused with a message that
//! names the file and a line, or read into a state whose ports and tunnels are unique.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `apply` reads the file as UTF-8: anything else is refused before the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match rfou::state::file::parse("f.toml", text) {
        Ok(state) => {
            let mut names: Vec<&str> = state.tunnels.iter().map(|t| t.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), state.tunnels.len(), "two entries for one tunnel");
        }
        Err(e) => assert!(e.to_string().starts_with("f.toml:"), "{e}"),
    }
});
