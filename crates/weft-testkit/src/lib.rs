//! Test helpers for weft's own tests (dev-only, unpublished).
//!
//! - [`deadline`] runs a test body under a watchdog, so a deadlock fails the test with
//!   a message instead of hanging CI.
//! - [`model`] runs a scenario under loom's model checker when built with
//!   `--cfg weft_loom`, and once, plainly, otherwise.
//! - [`GENEROUS`] is the timeout to give waits that must not time out: it only
//!   expires when something is truly stuck.
#![forbid(unsafe_code)]

use std::time::Duration;

/// A timeout for waits that should succeed: long enough that only a real hang
/// reaches it, even on a loaded two-core CI machine.
pub const GENEROUS: Duration = Duration::from_secs(30);

/// How long [`deadline`] lets a test body run by default.
pub const WATCHDOG: Duration = Duration::from_secs(120);

/// Runs `body` on a fresh thread and fails the calling test if it has not finished
/// within `limit`, naming the limit, so a deadlock is a failure with a message rather
/// than a hung test run. A panic in `body` is re-raised in the caller.
///
/// Under `--cfg weft_loom` it simply calls `body` (loom finds deadlocks itself).
///
/// # Panics
///
/// When `body` panics (re-raised), or when it is still running after `limit`.
#[cfg(not(weft_loom))]
pub fn deadline<R: Send + 'static>(
    limit: Duration,
    body: impl FnOnce() -> R + Send + 'static,
) -> R {
    use std::sync::mpsc;

    let (done_tx, done_rx) = mpsc::channel();
    let worker = weft_shim::thread::Builder::new()
        .name("weft-testkit-deadline".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            // The receiver is gone only if the watchdog already fired.
            let _ = done_tx.send(result);
        })
        .expect("the test harness could not spawn a thread");
    match done_rx.recv_timeout(limit) {
        Ok(Ok(value)) => {
            let _ = worker.join();
            value
        }
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!(
            "deadlock suspected: the test body was still running after {limit:?} \
             (weft_testkit::deadline); the stuck thread is left behind"
        ),
    }
}

/// Under loom, `deadline` runs `body` directly: loom detects deadlocks itself.
///
/// # Panics
///
/// When `body` panics.
#[cfg(weft_loom)]
pub fn deadline<R>(_limit: Duration, body: impl FnOnce() -> R) -> R {
    body()
}

/// [`deadline`] with the default [`WATCHDOG`] limit.
///
/// # Panics
///
/// As [`deadline`].
#[cfg(not(weft_loom))]
pub fn watchdog<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> R {
    deadline(WATCHDOG, body)
}

/// Runs `f` under loom's model checker (every interleaving, within the preemption
/// bound set by `LOOM_MAX_PREEMPTIONS`).
#[cfg(weft_loom)]
pub fn model(f: impl Fn() + Sync + Send + 'static) {
    loom::model(f);
}

/// Runs `f` once on the calling thread: without `--cfg weft_loom` there is no model
/// checker, but the scenario still runs as a plain test.
#[cfg(not(weft_loom))]
pub fn model(f: impl Fn() + Sync + Send + 'static) {
    f();
}
