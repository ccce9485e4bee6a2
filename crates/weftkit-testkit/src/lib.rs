//! Test helpers for weft's own tests (dev-only, unpublished).
//!
//! - [`deadline`] runs a test body under a watchdog, so a deadlock fails the test with
//!   a message instead of hanging CI.
//! - [`model`] runs a scenario under loom's model checker when built with
//!   `--cfg weft_loom`, and once, plainly, otherwise.
//! - `shuttle_model` (under `--cfg weft_shuttle`) runs a scenario under shuttle's
//!   randomized scheduler, for models too large for loom to enumerate.
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
/// Under `--cfg weft_loom` or `--cfg weft_shuttle` it simply calls `body` (the
/// checker finds deadlocks itself).
///
/// # Panics
///
/// When `body` panics (re-raised), or when it is still running after `limit`.
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub fn deadline<R: Send + 'static>(
    limit: Duration,
    body: impl FnOnce() -> R + Send + 'static,
) -> R {
    use std::sync::mpsc;

    let (done_tx, done_rx) = mpsc::channel();
    let worker = weftkit_shim::thread::Builder::new()
        .name("weftkit-testkit-deadline".into())
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
             (weftkit_testkit::deadline); the stuck thread is left behind"
        ),
    }
}

/// Under loom or shuttle, `deadline` runs `body` directly: the checker detects
/// deadlocks itself.
///
/// # Panics
///
/// When `body` panics.
#[cfg(any(weft_loom, weft_shuttle))]
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
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub fn model(f: impl Fn() + Sync + Send + 'static) {
    f();
}

/// Under shuttle, a loom-sized scenario runs through [`shuttle_model`] with
/// [`SHUTTLE_ITERATIONS`] schedules.
#[cfg(weft_shuttle)]
pub fn model(f: impl Fn() + Sync + Send + 'static) {
    shuttle_model(SHUTTLE_ITERATIONS, f);
}

/// How many random schedules [`model`] tries under shuttle.
#[cfg(weft_shuttle)]
pub const SHUTTLE_ITERATIONS: usize = 1_000;

/// Runs `f` under shuttle's randomized scheduler, `iterations` times, each with a
/// fresh random schedule; a panic, a failed assertion or a deadlock (every modelled
/// thread blocked) in any of them fails the test and prints the schedule to replay.
///
/// The environment variable `WEFT_SHUTTLE_SCALE` (a positive number, default 1)
/// multiplies `iterations`, so `cargo xtask shuttle` can size a whole run to the
/// time it has.
///
/// # Panics
///
/// When `f` fails in some schedule, or when `WEFT_SHUTTLE_SCALE` is not a positive
/// number.
#[cfg(weft_shuttle)]
pub fn shuttle_model(iterations: usize, f: impl Fn() + Sync + Send + 'static) {
    let scale = match std::env::var("WEFT_SHUTTLE_SCALE") {
        Ok(text) => match text.parse::<f64>() {
            Ok(scale) if scale > 0.0 => scale,
            _ => panic!("WEFT_SHUTTLE_SCALE must be a positive number, not {text:?}"),
        },
        Err(_) => 1.0,
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a positive scale of a test's iteration count; rounding is fine"
    )]
    let iterations = ((iterations as f64) * scale).ceil().max(1.0) as usize;
    shuttle::check_random(f, iterations);
}
