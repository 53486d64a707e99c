//! The three packages are ready for crates.io: each has what its page needs (description,
//! license, repository, documentation, readme, keywords, categories), its path dependencies
//! name the version they point at (what crates.io resolves once they are published), and
//! its package holds its sources, its readme and the license, and nothing of the repository
//! around it. Offline and quick: `cargo metadata` and `cargo package --list`. That each
//! package builds from what it holds, in publishing order, is `scripts/publish-check`'s
//! (`cargo publish --dry-run --workspace`, which needs crates.io).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// The packages to publish, in the order they must be: each after what it depends on.
const PUBLISHED: &[&str] = &["rfou-uapi", "rfou", "rfou-cli"];

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(&cargo)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        out.status.success(),
        "cargo {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The workspace's packages, by name, as `cargo metadata` describes them.
fn packages() -> Vec<Value> {
    let text = cargo(&[
        "metadata",
        "--no-deps",
        "--offline",
        "--format-version",
        "1",
    ]);
    let metadata: Value = serde_json::from_str(&text).expect("cargo metadata's JSON");
    metadata["packages"].as_array().expect("packages").clone()
}

fn package<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in the workspace"))
}

#[test]
fn every_package_has_what_its_crates_io_page_needs() {
    let all = packages();
    for name in PUBLISHED {
        let p = package(&all, name);
        // `publish: null` is "anywhere"; a list that leaves crates.io out, or [], is not.
        assert!(p["publish"].is_null(), "{name}: publish = {}", p["publish"]);
        for field in [
            "description",
            "license",
            "repository",
            "documentation",
            "readme",
        ] {
            let value = p[field].as_str().unwrap_or_default();
            assert!(!value.trim().is_empty(), "{name}: no {field}");
        }
        assert_eq!(p["license"], "MIT", "{name}");
        assert_eq!(p["repository"], "https://github.com/rfou/rfou", "{name}");
        assert_eq!(
            p["documentation"],
            format!("https://docs.rs/{name}").as_str(),
            "{name}"
        );
        // crates.io takes at most five keywords of at most 20 letters, digits, - and _.
        let keywords = p["keywords"].as_array().expect("keywords");
        assert!((1..=5).contains(&keywords.len()), "{name}: {keywords:?}");
        for k in keywords {
            let k = k.as_str().expect("a keyword");
            assert!(
                k.len() <= 20
                    && k.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)),
                "{name}: keyword {k:?}"
            );
        }
        let categories = p["categories"].as_array().expect("categories");
        assert!(!categories.is_empty(), "{name}: no categories");
        assert_eq!(p["version"], "0.1.0", "{name}: the version the others name");
    }
}

#[test]
fn path_dependencies_name_the_version_they_point_at() {
    let all = packages();
    for name in PUBLISHED {
        for dep in package(&all, name)["dependencies"]
            .as_array()
            .expect("dependencies")
        {
            if dep["path"].is_null() {
                continue;
            }
            let target = dep["name"].as_str().expect("a name");
            let version = package(&all, target)["version"].as_str().expect("version");
            assert_eq!(
                dep["req"],
                format!("^{version}").as_str(),
                "{name} depends on {target} by path: it must name version {version} too"
            );
            assert!(
                PUBLISHED.iter().position(|p| p == &target)
                    < PUBLISHED.iter().position(|p| p == name),
                "{name} depends on {target}: {target} must be published first"
            );
        }
    }
}

#[test]
fn each_package_holds_its_sources_readme_and_license_and_nothing_else() {
    for (name, dirs) in [
        ("rfou-uapi", &["src/", "tests/"][..]),
        ("rfou", &["src/"][..]),
        ("rfou-cli", &["src/"][..]),
    ] {
        let list = cargo(&[
            "package",
            "--list",
            "--offline",
            "--allow-dirty",
            "-p",
            name,
        ]);
        let files: Vec<&str> = list.lines().collect();
        for needed in ["Cargo.toml", "LICENSE", "README.md", "src/lib.rs"] {
            assert!(files.contains(&needed), "{name} lacks {needed}: {files:?}");
        }
        // What cargo adds itself, and the sources.
        let own = [
            "Cargo.toml",
            "Cargo.toml.orig",
            "Cargo.lock",
            ".cargo_vcs_info.json",
            "LICENSE",
            "README.md",
        ];
        let stray: Vec<&&str> = files
            .iter()
            .filter(|f| !own.contains(f) && !dirs.iter().any(|d| f.starts_with(d)))
            .collect();
        assert!(stray.is_empty(), "{name} would publish {stray:?}");
    }
    // The command's package is the command: its binary is in it.
    let list = cargo(&[
        "package",
        "--list",
        "--offline",
        "--allow-dirty",
        "-p",
        "rfou-cli",
    ]);
    assert!(list.lines().any(|f| f == "src/main.rs"), "{list}");
}
