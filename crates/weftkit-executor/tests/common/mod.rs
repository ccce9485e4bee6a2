//! Fixtures shared by the black-box tests: gates that hold workers busy, polling for a
//! state the pool reaches by itself, and a recorder for the unobserved-failure hook.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use weftkit::executor::{Future, ThreadPool, UnobservedFailure};
use weftkit::sync::Event;

/// An event that tasks wait on to hold workers busy; set it to let them finish.
///
/// Dropping the `Gate` sets it, so a test that fails (unwinds) before opening its
/// gate does not leave the pool's drop joining a worker that waits forever. Declare
/// it after the pool, so that it drops first.
#[derive(Debug)]
pub(crate) struct Gate(Arc<Event>);

impl Gate {
    /// A handle for a task to wait on.
    pub(crate) fn event(&self) -> Arc<Event> {
        Arc::clone(&self.0)
    }
}

impl std::ops::Deref for Gate {
    type Target = Event;
    fn deref(&self) -> &Event {
        &self.0
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.0.set();
    }
}

/// A closed gate.
pub(crate) fn gate() -> Gate {
    Gate(Arc::new(Event::new()))
}

/// Waits (polling) until `cond` holds. Tests call it under a watchdog, so a state
/// that never comes fails the test rather than hanging it; nothing here is timed.
pub(crate) fn wait_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Submits a task that waits on `gate` and returns once a worker runs it, so that
/// the worker stays busy until the gate is set.
pub(crate) fn occupy_worker(pool: &ThreadPool, gate: &Gate) -> Future<()> {
    let before = pool.running();
    let g = gate.event();
    let future = pool.submit(move || g.wait()).unwrap();
    wait_until(|| future.running());
    assert!(pool.running() > before);
    future
}

/// Like [`occupy_worker`] for every worker of a `workers`-worker pool.
pub(crate) fn occupy_all(pool: &ThreadPool, gate: &Gate) -> Vec<Future<()>> {
    (0..pool.max_workers())
        .map(|_| occupy_worker(pool, gate))
        .collect()
}

fn reports() -> &'static Mutex<Vec<String>> {
    static REPORTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    &REPORTS
}

/// Installs (once per test binary) a hook that records every unobserved failure.
pub(crate) fn record_unobserved_failures() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        weftkit::executor::set_unobserved_failure_hook(Some(Box::new(
            |failure: &UnobservedFailure| {
                reports().lock().unwrap().push(failure.error.to_string());
            },
        )));
    });
}

/// How many recorded unobserved failures mention `tag` (tests use unique tags, so
/// tests running in parallel do not see each other's reports).
pub(crate) fn reported(tag: &str) -> usize {
    reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.contains(tag))
        .count()
}

/// Silences the default panic message for panics whose message contains `quiet`
/// (tests that panic on purpose, many times); other panics print as usual.
pub(crate) fn quiet_panics(quiet: &'static str) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if !message.contains(quiet) {
                default(info);
            }
        }));
    });
}
