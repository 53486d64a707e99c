//! The files the Debian package ships beside the command (scripts/build-deb): the example
//! /etc/rfou/rfou.toml does nothing as it is, and its commented entries are a valid file once
//! uncommented. No root needed. That the package installs, boots, and removes as it should is
//! scripts/boot-test's.

use std::path::PathBuf;

fn example() -> String {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packaging/rfou.toml"
    ));
    std::fs::read_to_string(path).expect("packaging/rfou.toml")
}

#[test]
fn the_example_names_nothing() {
    let text = example();
    assert!(
        text.lines().all(|l| l.is_empty() || l.starts_with('#')),
        "{text}"
    );
    let state = rfou::state::parse("rfou.toml", &text).expect("parses");
    assert!(
        state.ports.is_empty() && state.tunnels.is_empty(),
        "{state:?}"
    );
}

#[test]
fn the_example_uncommented_is_a_valid_file() {
    // The entries are the commented lines that are TOML: `[[...]]` headers and `key = value`.
    let entries: String = example()
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| {
            l.starts_with("[[") || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let state =
        rfou::state::parse("rfou.toml", &entries).unwrap_or_else(|e| panic!("{e}\n{entries}"));
    assert_eq!(state.ports.len(), 2, "{entries}");
    assert_eq!(state.tunnels.len(), 1, "{entries}");
}
