//! The kernel's modules, shared by the tests of one run: a test that unloads a module runs
//! alone ([`modules_alone`]), and puts every module back when it ends ([`Reload`]).

use crate::harness::{require_kernel, try_run, MODULES};

/// The kernel's modules are shared by every test: a test that unloads one (to see rfou work
/// without it) must run alone. Every [`Netns`] holds the modules shared; [`modules_alone`]
/// waits until no namespace of any other test lives, and keeps new ones from being made.
static MODULES_LOCK: std::sync::RwLock<()> = std::sync::RwLock::new(());

thread_local! {
    /// This thread's hold on [`MODULES_LOCK`]: shared (a count of its namespaces and the one
    /// guard they share: taking a second read lock in one thread can deadlock against a
    /// waiting writer), or alone (its namespaces need no other hold).
    static HOLD: std::cell::RefCell<Hold> = const { std::cell::RefCell::new(Hold::None) };
}

enum Hold {
    None,
    Shared(usize, std::sync::RwLockReadGuard<'static, ()>),
    Alone,
}

/// One namespace's share of [`MODULES_LOCK`].
#[derive(Debug)]
pub(crate) struct ModulesShared;

impl ModulesShared {
    pub(crate) fn take() -> ModulesShared {
        HOLD.with(|hold| {
            let mut hold = hold.borrow_mut();
            *hold = match std::mem::replace(&mut *hold, Hold::None) {
                Hold::None => {
                    Hold::Shared(1, MODULES_LOCK.read().unwrap_or_else(|e| e.into_inner()))
                }
                Hold::Shared(n, guard) => Hold::Shared(n + 1, guard),
                Hold::Alone => Hold::Alone,
            };
        });
        ModulesShared
    }
}

impl Drop for ModulesShared {
    fn drop(&mut self) {
        HOLD.with(|hold| {
            let mut hold = hold.borrow_mut();
            *hold = match std::mem::replace(&mut *hold, Hold::None) {
                Hold::Shared(n, guard) if n > 1 => Hold::Shared(n - 1, guard),
                Hold::Shared(..) | Hold::None => Hold::None,
                Hold::Alone => Hold::Alone,
            };
        });
    }
}

/// Exclusive use of the kernel's modules, for a test that unloads one: waits until no other
/// test has a namespace, and holds off new ones until dropped. Call it before making any
/// namespace of one's own (a thread that holds the modules shared cannot have them alone).
/// Whatever the test unloads, it must load again before dropping this.
pub fn modules_alone() -> ModulesAlone {
    require_kernel();
    let held = HOLD.with(|hold| !matches!(*hold.borrow(), Hold::None));
    assert!(!held, "modules_alone: this test already has a namespace");
    let guard = MODULES_LOCK.write().unwrap_or_else(|e| e.into_inner());
    HOLD.with(|hold| *hold.borrow_mut() = Hold::Alone);
    ModulesAlone { _guard: guard }
}

pub struct ModulesAlone {
    _guard: std::sync::RwLockWriteGuard<'static, ()>,
}

impl Drop for ModulesAlone {
    fn drop(&mut self) {
        HOLD.with(|hold| *hold.borrow_mut() = Hold::None);
    }
}

/// The names of the loaded modules, sorted (`/proc/modules`).
pub fn loaded_modules() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/modules").expect("/proc/modules");
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// Loads every module of [`MODULES`] again when dropped, also when the test fails: a test
/// that unloads one (under [`modules_alone`]) holds one, as the tests after it need them.
pub struct Reload;

impl Drop for Reload {
    fn drop(&mut self) {
        for module in MODULES {
            let out = try_run("modprobe", &[module]);
            if !out.status.success() {
                // Not a panic: this may run while the test unwinds.
                eprintln!("cannot load {module} again: the tests after this one will fail");
            }
        }
    }
}
