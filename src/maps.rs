//! The hash maps and sets of rfou: std's, with the hasher chosen here, so that every map in
//! the library and the command hashes the same way. clippy.toml refuses std's own names.
//!
//! In every build users run, the hasher is std's `RandomState`, the one
//! `std::collections::HashMap` has: its keys are drawn afresh for each map, and these types
//! are std's types.
//!
//! Built for fuzzing (`--cfg fuzzing`), the keys are fixed instead. With keys drawn afresh,
//! one input walks a table along a different path on each run (which slots collide, which
//! tags match by chance), and libFuzzer, which takes a path it has not seen for new
//! coverage, would count those paths as new (docs/fuzzing.md). The hasher changes which
//! slots a lookup visits, never what it finds. The order in which a map is walked is not
//! fixed in either build, as with std's maps.

#[cfg(not(fuzzing))]
/// The hasher of every map and set: std's, with keys drawn for each map.
pub type Hasher = std::collections::hash_map::RandomState;

#[cfg(fuzzing)]
/// The hasher of every map and set in the fuzz build: SipHash with fixed keys, so that one
/// input runs the same code on every run.
pub type Hasher = std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

/// std's `HashMap` with rfou's hasher. Made with `default()` or `collect()`.
#[allow(clippy::disallowed_types)]
pub type HashMap<K, V> = std::collections::HashMap<K, V, Hasher>;

/// std's `HashSet` with rfou's hasher. Made with `default()` or `collect()`.
#[allow(clippy::disallowed_types)]
pub type HashSet<T> = std::collections::HashSet<T, Hasher>;
