//! Daemon semantics at exit: [`shutdown`], [`shutdown_timeout`],
//! [`set_exit_deadline`], and the `atexit` hook that does the same wait when the
//! process exits. The crate docs describe the behaviour; this is how it is hooked in.
//!
//! - When the first non-daemon thread or timer starts, weft registers one function
//!   with the C runtime's `atexit`. Returning from `main` (the Rust runtime then
//!   calls `exit`, with 101 after a panic in `main`) and `std::process::exit` both
//!   run it, on the exiting thread, before the process ends.
//! - It waits on the registry's condition until no non-daemon thread or timer is
//!   left (they may start more non-daemon threads meanwhile; those are waited for
//!   too), or until the exit deadline passes. Then it returns, `exit` goes on, and
//!   daemon threads are cut off wherever they are.
//! - A non-daemon thread waiting in [`shutdown`] is waited for like any other (it
//!   goes on running once its `shutdown` returns); its `shutdown` does not wait for
//!   the exiting thread.
//! - The exiting thread does not wait for itself: when a weft thread calls
//!   `process::exit`, its own entry (and its timer's, for a timer callback) is left
//!   out. Its thread-locals are already gone by then (`exit` destroys them before it
//!   runs `atexit` functions), so it is found by its OS thread id.
//! - Only one thread runs `exit`: std (on Linux) parks every later caller of
//!   `process::exit` for ever, and returning from `main` counts as a call. So a
//!   non-daemon thread that calls `exit` while another exit is waiting for it can
//!   never finish; nothing here can tell it apart from a thread still at work, so
//!   only the exit deadline ends that wait (the crate docs say so).

use weftkit_shim::time::Duration;

use crate::error::SpawnError;
use crate::registry::{WaitKind, wait_until_quiet};
use crate::runtime::{Runtime, runtime};

/// Waits until no non-daemon weft thread (and no non-daemon timer) is left, then
/// returns: what the process does by itself when `main` returns, done on demand.
///
/// Threads started meanwhile are waited for too. The calling thread never waits
/// for itself, nor for another thread that is itself waiting in `shutdown` or
/// exiting (they would wait for each other for ever). The exit deadline does not
/// apply; see [`shutdown_timeout`] for a bounded wait.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::thread::{Thread, shutdown, sleep};
///
/// for i in 0..3 {
///     let _ = Thread::new(move || sleep(Duration::from_millis(5 * i))).start()?;
/// }
/// shutdown(); // every non-daemon thread above has finished
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
pub fn shutdown() {
    let rt = runtime();
    // Without a timeout the wait cannot fail.
    let _ = wait_until_quiet(&rt, &calling_thread(&rt), WaitKind::Shutdown, None);
}

/// Like [`shutdown`], giving up after `timeout`; returns `true` if no non-daemon
/// thread or timer was left.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::thread::{Thread, shutdown_timeout, sleep};
///
/// let stuck = Thread::new(|| sleep(Duration::from_secs(3600))).start()?;
/// assert!(!shutdown_timeout(Duration::from_millis(10)));
/// stuck.stop();
/// assert!(shutdown_timeout(Duration::from_secs(30)));
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
pub fn shutdown_timeout(timeout: Duration) -> bool {
    let rt = runtime();
    wait_until_quiet(&rt, &calling_thread(&rt), WaitKind::Shutdown, Some(timeout)).is_ok()
}

/// Bounds how long the process waits for non-daemon threads when it exits:
/// `Some(d)` waits at most `d`, then exits anyway and names on stderr the threads
/// and timers it abandoned; `None` (the default, Python's behaviour) waits for ever.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// // A stuck worker must not keep the process alive for more than five seconds.
/// weftkit::thread::set_exit_deadline(Some(Duration::from_secs(5)));
/// ```
pub fn set_exit_deadline(deadline: Option<Duration>) {
    *runtime().exit_deadline.lock() = deadline;
}

/// The idents the calling thread must not wait for: its own and, in a timer
/// callback, its timer's.
fn calling_thread(rt: &Runtime) -> Vec<u64> {
    let info = crate::current::known_current_info().or_else(|| {
        // Thread-locals are gone during `exit`; find the thread by its OS id.
        crate::os::native_id().and_then(|id| rt.registry.lock().find_native(id))
    });
    match info {
        Some(info) => std::iter::once(info.ident).chain(info.timer).collect(),
        None => Vec::new(),
    }
}

/// Registers the exit hook with the C runtime, once.
///
/// # Errors
///
/// [`SpawnError::ExitHook`] if the C runtime refused it.
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub(crate) fn ensure_exit_hook(rt: &Runtime) -> Result<(), SpawnError> {
    use crate::os::{AtExit, at_exit};

    let mut installed = rt.installed.lock();
    if installed.exit_hook {
        return Ok(());
    }
    match at_exit(wait_at_exit) {
        AtExit::Registered | AtExit::Unsupported => {
            installed.exit_hook = true;
            Ok(())
        }
        AtExit::Refused => Err(SpawnError::ExitHook),
    }
}

/// Under loom there is no process exit to hook.
#[cfg(any(weft_loom, weft_shuttle))]
#[allow(
    clippy::unnecessary_wraps,
    reason = "the same signature as the real hook"
)]
pub(crate) fn ensure_exit_hook(_rt: &Runtime) -> Result<(), SpawnError> {
    Ok(())
}

/// The `atexit` function: waits for the non-daemon threads (within the deadline).
#[cfg(not(any(weft_loom, weft_shuttle)))]
extern "C" fn wait_at_exit() {
    use std::io::Write as _;

    // Never unwind into the C runtime.
    let _ = std::panic::catch_unwind(|| {
        let rt = runtime();
        let deadline = *rt.exit_deadline.lock();
        let excluded = calling_thread(&rt);
        if let Err(abandoned) = wait_until_quiet(&rt, &excluded, WaitKind::Exit, deadline) {
            let deadline = deadline.unwrap_or(Duration::MAX);
            // Ignore a failed write: the process is exiting either way.
            let _ = writeln!(
                std::io::stderr(),
                "weft: exit deadline of {deadline:?} passed; abandoning the non-daemon work still running: {abandoned}"
            );
        }
    });
}
