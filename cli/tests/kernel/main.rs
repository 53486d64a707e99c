//! rfou's in-kernel integration tests.
//!
//! They run as root on a kernel with fou (they fail, never skip, elsewhere) and need the
//! `kernel-tests` feature. Run them all with `scripts/test`, which boots a VM with such a kernel
//! when this machine has none; or, as root on such a kernel:
//! `cargo test --features kernel-tests --test kernel`.
//!
//! Every test makes its own network namespaces (see `harness`), so they run in parallel and
//! never touch the machine's own network.

mod ansible;
mod apply;
mod apply_guard;
mod boot;
mod complete;
mod concurrent;
mod doctor;
mod errors;
mod globals;
mod harness;
mod harness_modules;
mod harness_rfou;
mod interop;
mod kernels;
mod kill;
mod library;
mod man_examples;
mod modules;
mod mtu;
mod promises;
mod promises_export;
mod promises_mtu;
mod promises_readback;
mod promises_words;
mod prop_chain;
mod prop_model;
mod prop_words;
mod property;
mod runs;
mod scale;
mod sent;
mod show;
mod smoke;
mod traffic;
mod tunnel_json;
mod undo;

#[path = "../support/raw_fou.rs"]
mod raw_fou;
