//! The calling thread and the threads alive now: [`current`], [`main_thread`],
//! [`enumerate`], [`active_count`], and the calling thread's stop flag:
//! [`stop_token`], [`is_stopped`], [`sleep`].

use std::cell::RefCell;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::Duration;
use weftkit_sync::{Condition, StopToken};

use crate::info::{Info, Kind, ThreadInfo};
use crate::os;
use crate::runtime::runtime;

weftkit_shim::thread_local! {
    /// The calling thread's `Info`: set by weft when it starts a thread, made on
    /// first use (main or dummy) otherwise.
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! has no const form")]
    static CURRENT: RefCell<Option<Arc<Info>>> = RefCell::new(None);
}

/// Records `info` as the calling thread's (the first thing a weft thread does).
pub(crate) fn set_current(info: Arc<Info>) {
    // Fails only during thread teardown, when nothing can ask any more.
    let _ = CURRENT.try_with(|slot| *slot.borrow_mut() = Some(info));
}

/// The calling thread's `Info`, made on first use for a thread weft did not start.
pub(crate) fn current_info() -> Arc<Info> {
    CURRENT
        .try_with(|slot| {
            if let Some(info) = &*slot.borrow() {
                return info.clone();
            }
            let info = foreign_info();
            *slot.borrow_mut() = Some(info.clone());
            info
        })
        // Thread-locals are gone (the thread is being torn down): describe it afresh.
        .unwrap_or_else(|_| foreign_info())
}

/// The calling thread's `Info` if weft already knows it; `None` for a thread that
/// has not asked yet, or whose thread-locals are gone.
pub(crate) fn known_current_info() -> Option<Arc<Info>> {
    CURRENT
        .try_with(|slot| slot.borrow().clone())
        .ok()
        .flatten()
}

/// The calling thread's ident if weft already knows the thread (always, for a
/// thread weft started); `None` otherwise, without making a dummy for it.
pub(crate) fn known_current_ident() -> Option<u64> {
    known_current_info().map(|info| info.ident)
}

/// The main thread's `Info`, or a new dummy for any other thread weft did not start.
fn foreign_info() -> Arc<Info> {
    let rt = runtime();
    if os::is_main_thread() {
        return rt.main.clone();
    }
    let name = match weftkit_shim::thread::current().name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => rt.next_dummy_name(),
    };
    Arc::new(Info::dummy(rt.next_ident(), name))
}

/// The daemon flag a thread started now gets when none is given: a daemon weft
/// thread's children are daemons (as in Python); children of the main thread and of
/// threads weft did not start are not.
pub(crate) fn inherited_daemon() -> bool {
    let info = current_info();
    info.kind == Kind::Weft && info.daemon
}

/// The calling thread: its name, ident, OS id and daemon flag.
///
/// Inside a thread weft started it is that thread (inside a timer callback, the
/// thread running it, named after the timer). In the main thread it is
/// [`main_thread`]. In any other thread it is a *dummy*, as Python calls it: named
/// after the std thread (or `Dummy-N`), a daemon, always alive.
///
/// # Examples
///
/// ```
/// use weftkit::thread::{Thread, current};
///
/// let handle = Thread::new(|| current().name().to_owned()).name("worker-1").start()?;
/// assert_eq!(handle.join().unwrap(), "worker-1");
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
#[must_use]
pub fn current() -> ThreadInfo {
    ThreadInfo::new(current_info())
}

/// The process's main thread (Python's `threading.main_thread()`), from any thread.
///
/// # Examples
///
/// ```
/// let main = weftkit::thread::main_thread();
/// assert_eq!((main.name(), main.ident(), main.is_daemon()), ("MainThread", 1, false));
/// ```
#[must_use]
pub fn main_thread() -> ThreadInfo {
    ThreadInfo::new(runtime().main.clone())
}

/// Every thread alive now: the main thread first, then each weft thread that has
/// been started and has not finished, in the order they were started. Includes the
/// shared timer thread (`weft-timer`) while it runs; does not include threads weft
/// did not start.
///
/// # Examples
///
/// ```
/// use weftkit::thread::{Thread, enumerate, sleep};
/// use std::time::Duration;
///
/// let handle = Thread::new(|| sleep(Duration::from_secs(60))).name("sleeper").start()?;
/// let names: Vec<_> = enumerate().iter().map(|t| t.name().to_owned()).collect();
/// assert_eq!(names[0], "MainThread");
/// assert!(names.iter().any(|n| n == "sleeper"));
/// handle.stop();
/// handle.join().unwrap();
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
#[must_use]
pub fn enumerate() -> Vec<ThreadInfo> {
    let rt = runtime();
    let live = rt.registry.lock().live();
    std::iter::once(rt.main.clone())
        .chain(live)
        .map(ThreadInfo::new)
        .collect()
}

/// How many threads [`enumerate`] would list: the main thread plus the live weft
/// threads.
///
/// # Examples
///
/// ```
/// assert!(weftkit::thread::active_count() >= 1); // at least the main thread
/// ```
#[must_use]
pub fn active_count() -> usize {
    1 + runtime().registry.lock().live_count()
}

/// The calling thread's [`StopToken`]: the one [`JoinHandle::stop`] fires.
///
/// Hand it to the stop-aware waits of `weftkit::sync` (`lock_stoppable`,
/// `wait_stoppable`, `get_stoppable`...) so that a blocked thread can be stopped. A
/// thread weft did not start has a token of its own that nothing fires unless you
/// hand a clone out.
///
/// [`JoinHandle::stop`]: crate::JoinHandle::stop
///
/// # Examples
///
/// ```
/// use weftkit::sync::{Condition, Stopped};
/// use weftkit::thread::{Thread, stop_token};
///
/// let handle = Thread::new(|| {
///     let never = Condition::new(false);
///     never.lock().wait_for_stoppable(|set| *set, &stop_token())
/// })
/// .start()?;
/// handle.stop(); // the wait ends with Stopped instead of blocking for ever
/// assert_eq!(handle.join().unwrap(), Err(Stopped));
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
#[must_use]
pub fn stop_token() -> StopToken {
    current_info().stop.clone()
}

/// Whether the calling thread has been asked to stop (its [`stop_token`] fired).
///
/// # Examples
///
/// A worker loop that checks its stop flag between rounds:
///
/// ```
/// use weftkit::thread::{Thread, is_stopped, sleep};
/// use std::time::Duration;
///
/// let handle = Thread::new(|| {
///     let mut rounds = 0u64;
///     while !is_stopped() {
///         rounds += 1;
///         sleep(Duration::from_millis(1));
///     }
///     rounds
/// })
/// .start()?;
/// sleep(Duration::from_millis(10));
/// handle.stop();
/// assert!(handle.join().unwrap() >= 1);
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
#[must_use]
pub fn is_stopped() -> bool {
    current_info().stop.is_stopped()
}

/// Sleeps for `duration`, or less if the calling thread is asked to stop; returns
/// `true` if it slept the whole time, `false` if a stop cut it short (or had
/// already been asked).
///
/// The thread parks on its [`StopToken`] (no polling), so a stop wakes it at once.
/// [`Duration::MAX`] (like any duration too large to represent) sleeps until
/// stopped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::thread::{Thread, sleep};
///
/// assert!(sleep(Duration::from_millis(1))); // nobody stops the caller
///
/// let handle = Thread::new(|| sleep(Duration::from_secs(3600))).start()?;
/// handle.stop(); // wakes it long before the hour is up
/// assert!(!handle.join().unwrap());
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
///
/// # Differences from Python's `time.sleep`
///
/// Python's sleep cannot be interrupted from another thread; the usual workaround
/// is `stop_event.wait(duration)`, which is what this is.
pub fn sleep(duration: Duration) -> bool {
    let stop = current_info().stop.clone();
    if duration == Duration::MAX {
        // Said explicitly rather than left to deadline overflow, so that it also
        // holds under loom, whose virtual clock has room for any deadline. Nobody
        // notifies this condition: only the stop ends the wait.
        let never = Condition::new(());
        let _stopped = never.lock().wait_stoppable(&stop);
        return false;
    }
    !stop.wait_timeout(duration)
}
