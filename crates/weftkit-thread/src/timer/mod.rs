//! [`Timer`]: Python's `threading.Timer` (one-shot) plus a fixed-rate periodic form,
//! all served by one shared thread. The protocol is in `README.md` here.

mod entry;
mod schedule;
mod service;
#[cfg(test)]
mod tests;

use std::fmt;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::{Duration, Instant};

use self::entry::{Callback, Entry};
pub(crate) use self::service::Sched;
use crate::error::{JoinError, TimerError};
use crate::exit::ensure_exit_hook;
use crate::registry::{add_pending_timer, remove_pending};
use crate::runtime::runtime;

/// A callback to run later, once ([`after`](Self::after)) or at a fixed rate
/// ([`every`](Self::every)); [`start`](Self::start) it to get a [`TimerHandle`].
///
/// All timers share one thread, `weft-timer`, which waits for the earliest due time
/// and then starts a short-lived thread for that run of the callback, named after
/// the timer. A thousand pending timers cost one thread; a slow callback delays no
/// other timer; a callback may block, sleep, start threads, join or cancel other
/// timers. The shared thread is a daemon, starts with the first timer and ends
/// after a couple of seconds with no timer pending.
///
/// A panic in a callback is reported to the excepthook (see
/// [`set_excepthook`](crate::set_excepthook)), in the callback's thread, named after
/// the timer; it ends that run only: a periodic timer keeps its schedule.
///
/// As in Python, a one-shot timer ([`after`](Self::after)) made in `main` is
/// non-daemon unless [`daemon(true)`](Self::daemon) says otherwise: the process waits
/// at exit for a timer still pending (until it has run, or is cancelled). It inherits
/// its creator's flag, so one made in a daemon thread is a daemon. A periodic timer
/// ([`every`](Self::every)) is a daemon by default, since it never ends by itself.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use weftkit::thread::Timer;
///
/// let (tx, rx) = mpsc::channel();
/// let reminder = Timer::after(Duration::from_millis(10), move || tx.send("ding").unwrap())
///     .name("reminder")
///     .start()?;
/// assert_eq!(rx.recv().unwrap(), "ding");
/// reminder.join().unwrap();
/// assert!(!reminder.cancel()); // too late: it already ran
/// # Ok::<(), weftkit::thread::TimerError>(())
/// ```
///
/// # Differences from Python's `threading.Timer`
///
/// - Python starts one thread per timer for its whole wait; here one shared thread
///   waits for all of them and a thread exists only while a callback runs.
/// - [`cancel`](TimerHandle::cancel) says whether it prevented the run (`true`) or
///   came too late (`false`); Python's returns nothing. When the callback is
///   running, `cancel` also fires its stop token and waits for it to return.
/// - [`every`](Self::every) (fixed-rate repetition) has no Python equivalent.
/// - As in Python, a one-shot timer inherits its creator's daemon flag: made in a
///   daemon weft thread (a pool worker, say) it is a daemon; made in `main` or a
///   non-daemon thread it is not. Made in a thread weft did not start (say,
///   `std::thread::spawn`) it is not a daemon; Python would make it one.
/// - A periodic timer, which Python lacks, is a daemon unless told: a non-daemon one
///   would keep the process from exiting until something cancels it.
#[must_use = "a timer does nothing until it is started"]
pub struct Timer {
    delay: Duration,
    periodic: bool,
    callback: Callback,
    name: Option<String>,
    daemon: bool,
}

impl Timer {
    /// A timer that runs `f` once, `delay` after it is started (Python's
    /// `Timer(delay, f)`). Its daemon flag is its creator's, as in Python: made in
    /// `main` it is non-daemon, and a pending one is waited for when the process
    /// exits; [`daemon(true)`](Self::daemon) lets the process exit without it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::Timer;
    ///
    /// let timer = Timer::after(Duration::from_millis(1), || println!("later")).start()?;
    /// timer.join().unwrap();
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    pub fn after(delay: Duration, f: impl FnOnce() + Send + 'static) -> Self {
        Self {
            delay,
            periodic: false,
            callback: Callback::Once(Box::new(f)),
            name: None,
            daemon: crate::current::inherited_daemon(),
        }
    }

    /// A timer that runs `f` every `interval`, at a fixed rate: run `n` is due at
    /// `start + n · interval` (the first one interval after the start), so lateness
    /// never accumulates. When a run is late or slow and due times go by, those
    /// runs are skipped, not made up in a burst: runs never overlap and never pile
    /// up. It runs until cancelled. A daemon by default (the process does not wait
    /// for it at exit); with [`daemon(false)`](Self::daemon) exit waits until it is
    /// cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    /// use weftkit::thread::{Timer, sleep};
    ///
    /// let beats = Arc::new(AtomicU32::new(0));
    /// let counter = Arc::clone(&beats);
    /// let heartbeat = Timer::every(Duration::from_millis(2), move || {
    ///     counter.fetch_add(1, Ordering::SeqCst);
    /// })
    /// .start()?;
    /// while beats.load(Ordering::SeqCst) < 3 {
    ///     sleep(Duration::from_millis(1));
    /// }
    /// assert!(heartbeat.cancel());
    /// let after_cancel = beats.load(Ordering::SeqCst);
    /// sleep(Duration::from_millis(10));
    /// assert_eq!(beats.load(Ordering::SeqCst), after_cancel); // no run after cancel
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    pub fn every(interval: Duration, f: impl FnMut() + Send + 'static) -> Self {
        Self {
            delay: interval,
            periodic: true,
            callback: Callback::Every(Box::new(f)),
            name: None,
            daemon: true,
        }
    }

    /// Names the timer: its callback runs in a thread of that name, and the
    /// excepthook reports its panics under it. Unnamed timers are `Timer-N`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::Timer;
    ///
    /// let t = Timer::after(Duration::ZERO, || ()).name("flush").start()?;
    /// assert_eq!(t.name(), "flush");
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// `false` makes the process wait for the timer at exit, as for a non-daemon
    /// thread: a pending one-shot timer until it has run, a periodic one until it is
    /// cancelled; `true` lets the process exit without it. One-shot timers are
    /// non-daemon by default (Python's default), periodic ones daemons.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::Timer;
    ///
    /// // A reminder the process need not wait for at exit.
    /// let t = Timer::after(Duration::from_secs(3600), || ()).daemon(true).start()?;
    /// assert!(t.is_daemon());
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = daemon;
        self
    }

    /// Starts the timer's clock.
    ///
    /// # Errors
    ///
    /// - [`TimerError::ZeroInterval`] for an [`every`](Self::every) timer with a zero
    ///   interval.
    /// - [`TimerError::Spawn`] if the shared timer thread was not running and the
    ///   OS refused to start it, or (non-daemon timer) the exit hook could not be
    ///   registered.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::Timer;
    ///
    /// let timer = Timer::after(Duration::from_secs(3600), || unreachable!()).start()?;
    /// assert!(timer.cancel()); // cancelled before it fired: it never runs
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    pub fn start(self) -> Result<TimerHandle, TimerError> {
        if self.periodic && self.delay.is_zero() {
            return Err(TimerError::ZeroInterval);
        }
        let rt = runtime();
        if !self.daemon {
            ensure_exit_hook(&rt)?;
        }
        let ident = rt.next_ident();
        let name = self.name.unwrap_or_else(|| rt.next_timer_name());
        let start = Instant::now();
        let period = self.periodic.then_some(self.delay);
        let entry = Arc::new(Entry::new(
            ident,
            name,
            self.daemon,
            start,
            self.callback,
            period,
        ));
        if !self.daemon {
            add_pending_timer(&rt, ident, &entry.name);
        }
        // A due time too far off to represent never comes: nothing to schedule.
        if let Some(at) = start.checked_add(self.delay) {
            let first_tick = u64::from(self.periodic);
            if let Err(error) = service::schedule(&rt, Arc::clone(&entry), at, first_tick) {
                remove_pending(&rt, ident);
                return Err(error.into());
            }
        }
        Ok(TimerHandle { entry })
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("delay", &self.delay)
            .field("periodic", &self.periodic)
            .field("name", &self.name)
            .field("daemon", &self.daemon)
            .finish_non_exhaustive()
    }
}

/// A started [`Timer`]: cancel it, or wait for it to be over.
///
/// Dropping the handle does not cancel the timer; it runs on (and a periodic timer
/// runs until the process exits).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::thread::Timer;
///
/// let timer = Timer::after(Duration::from_secs(60), || ()).start()?;
/// assert!(timer.is_alive());
/// assert!(timer.cancel());
/// assert!(!timer.is_alive());
/// assert!(!timer.cancel()); // only the first cancel prevents anything
/// # Ok::<(), weftkit::thread::TimerError>(())
/// ```
#[must_use = "dropping the handle does not cancel the timer; keep it to cancel it"]
pub struct TimerHandle {
    entry: Arc<Entry>,
}

impl TimerHandle {
    /// Cancels the timer; returns `true` if that prevented a run.
    ///
    /// - Not yet fired: it never will; `true`.
    /// - A one-shot timer whose callback has run or is running: `false` (if
    ///   running, its stop token is fired and `cancel` waits for it to return).
    /// - A periodic timer: no run starts after `cancel` returns, and a run in
    ///   progress is asked to stop and waited for; `true` the first time.
    /// - Already cancelled: `false`.
    ///
    /// Called from inside the timer's own callback, `cancel` cannot wait for the run
    /// it is part of: it returns at once, and a periodic timer does not run again.
    /// Otherwise, do not call it while holding something the running callback
    /// needs, since it waits for the callback.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::Timer;
    ///
    /// let t = Timer::after(Duration::from_secs(60), || ()).start()?;
    /// assert!(t.cancel());
    /// assert!(!t.cancel());
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    pub fn cancel(&self) -> bool {
        self.entry.cancel(&runtime())
    }

    /// Whether the timer may still run: not cancelled, and (one-shot) not done.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::Timer;
    ///
    /// let t = Timer::after(Duration::ZERO, || ()).start()?;
    /// t.join().unwrap();
    /// assert!(!t.is_alive());
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    #[must_use]
    pub fn is_alive(&self) -> bool {
        self.entry.is_alive()
    }

    /// Waits until the timer is over: a one-shot timer has run (its callback has
    /// returned), or the timer was cancelled and no run is in progress. A periodic
    /// timer is over only once cancelled.
    ///
    /// # Errors
    ///
    /// [`JoinError::CurrentThread`] if called from the timer's own callback, which
    /// would wait for itself. A panic in the callback is not an error here: it went
    /// to the excepthook.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::Timer;
    ///
    /// let t = Timer::after(Duration::from_millis(1), || ()).start()?;
    /// t.join().unwrap();
    /// assert!(!t.is_alive());
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    pub fn join(&self) -> Result<(), JoinError> {
        self.entry.join()
    }

    /// Like [`join`](Self::join), giving up after `timeout`; returns whether the
    /// timer is over.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::Timer;
    ///
    /// let t = Timer::after(Duration::from_secs(60), || ()).start()?;
    /// assert!(!t.wait_timeout(Duration::from_millis(1)));
    /// t.cancel();
    /// assert!(t.wait_timeout(Duration::ZERO));
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.entry.wait_timeout(timeout)
    }

    /// The timer's name (also the name of the threads running its callback).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let t = weftkit::thread::Timer::after(Duration::from_secs(60), || ()).start()?;
    /// assert!(t.name().starts_with("Timer-"));
    /// # t.cancel();
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.entry.name
    }

    /// Whether the process exits without waiting for this timer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let t = weftkit::thread::Timer::after(Duration::from_secs(60), || ()).start()?;
    /// assert!(!t.is_daemon()); // Python's default: exit waits for it
    /// t.cancel(); // ...unless it is cancelled
    /// # Ok::<(), weftkit::thread::TimerError>(())
    /// ```
    #[must_use]
    pub fn is_daemon(&self) -> bool {
        self.entry.daemon
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("name", &self.entry.name)
            .field("periodic", &self.entry.period.is_some())
            .field("daemon", &self.entry.daemon)
            .field("alive", &self.entry.is_alive())
            .finish()
    }
}
