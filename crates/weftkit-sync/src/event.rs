//! [`Event`]: Python's `threading.Event`, a flag that threads can wait for.
//!
//! # How an event waits (the invariants)
//!
//! One atomic word, `state`, holds the flag and tells `set` whether anybody must be
//! woken; parked waiters sit in a [`WaitList`] behind a [`Lock`] and block through
//! `LockGuard::park_on`, the protocol of `raw/README.md` (W1–W3, L1).
//!
//! ```text
//! state = generation << 2 | WAITERS | SET
//! ```
//!
//! - **E1 — fast paths are one atomic operation.** `is_set`, and `wait` on a set event,
//!   are one `Acquire` load; `set` with nobody parked is one `fetch_or`; `clear` is one
//!   CAS (a load if the flag is already clear). A waiter spins briefly before it parks,
//!   so a set that follows soon costs no park and no unpark: with more than one CPU it
//!   first checks the state in a busy loop for a few microseconds (a cross-core
//!   hand-off is caught there), then `SpinWait` backs off: a few exponential rounds,
//!   then busy polls for at most 20 µs by the clock (on one CPU the busy loops are
//!   skipped and one yield lets the setter run). The spin is bounded by time, not by
//!   a count of yields (`raw/spin.rs`): on a loaded machine one `yield_now` may give
//!   the CPU away for milliseconds, which is what made the spin phase last 8–48 ms. What it checks is E8's
//!   condition, not the flag alone, so a `set` and `clear` that both run while it spins
//!   are not missed.
//! - **E2 — a waiter registers with one RMW, under the lock.** It locks, then
//!   `fetch_or(WAITERS)`. If the previous value had `SET`, or a generation other than
//!   the one its wait began in (E8), it returns at once (a `set` came; nothing
//!   queued). Otherwise it enqueues itself *in the same critical section*, tagged with
//!   that generation, which is the previous value's.
//! - **E3 — `WAITERS` is set whenever a waiter is queued.** It is set by registrations
//!   (E2) and cleared only under the lock, when the list is empty. So at every unlock a
//!   non-empty list implies `WAITERS`. It may be set spuriously (a registration that
//!   found `SET`), which costs the next `set` one trip through the lock, nothing more.
//! - **E4 — the set that turns the flag on wakes the waiters.** `set` is
//!   `fetch_or(SET)`. If the previous value already had `SET`, an earlier `set` owns the
//!   wake-up; if it had `WAITERS` and not `SET`, this `set` locks and wakes every queued
//!   waiter whose generation is not after the previous value's (E5), then clears
//!   `WAITERS` if the list is now empty.
//!
//!   *Why no wake-up is lost.* Let a waiter register with RMW `r`, seeing `SET` clear
//!   and generation `g`. All RMWs on `state` form one total order. Take the first RMW
//!   after `r` that turns `SET` on, `s`. From `r` until the waiter leaves the list,
//!   `WAITERS` stays set (E3), so `s` sees `WAITERS` and not `SET`, with a generation
//!   `>= g` (generations only grow). Its setter locks after the waiter's critical
//!   section, so it finds the waiter (unless it already left) and wakes it. Any other
//!   `set` after `r` comes after `s`. This holds however a timed-out waiter's exit
//!   races the set: the waiter leaves the list only under the lock (L1), and if the
//!   setter popped it first, the waiter counts as notified.
//! - **E5 — a `clear` starts a new generation, so a late `set` never wakes a waiter that
//!   came after a `clear`.** `clear` turns `SET` off and adds one to the generation in
//!   one CAS. If a waiter registers after such a `clear`, its generation is later than
//!   that of any `set` whose `fetch_or` came before the `clear`, and that `set` skips it
//!   even if it reaches the lock only later. This is Python's behaviour, where `set`,
//!   `clear` and `wait` each run under one lock. Waiters register in lock order, so
//!   generations never decrease along the list and a setter wakes a prefix of it.
//!   Generations wrap around; two generations are compared by their wrapping distance,
//!   and the waiters queued at any time span far fewer than `usize::MAX / 8` of them.
//! - **E6 — a notified waiter returns `true`.** A waiter that a `set` woke returns
//!   `true` even if the event was cleared before it ran (Python's gh-57711): it was
//!   notified. A waiter whose deadline passed or whose token fired removes itself under
//!   the lock; if it was no longer queued, a setter popped it and the wait counts as
//!   notified (L1). Otherwise it returns whether a `set` came since its wait began
//!   (E8's condition, read at that moment), and clears `WAITERS` if it left the list
//!   empty.
//! - **E7 — memory ordering.** `set`'s `fetch_or` is `Release`; every read of `SET`
//!   that ends a wait is `Acquire` (the loads and the registering `fetch_or`), and a
//!   woken waiter synchronises through its `Waiter` flag, stored after the setter's
//!   `fetch_or`. So whatever a thread did before `set()` happens before any `wait` that
//!   returns because of it. `clear` orders nothing (`Relaxed`): it publishes no data;
//!   but being an RMW it continues the release sequence of the `set` before it, so a
//!   waiter that reads the generation a `clear` wrote (E8) still synchronises with
//!   that `set`.
//! - **E8 — a waiter belongs to the generation current when its wait began.** A wait
//!   reads `state` once at entry: `SET` there ends it at once; otherwise it remembers
//!   that generation `g`. `clear` moves the generation on only when it turns `SET`
//!   off, so while `SET` was clear at entry, the generation can differ from `g` later
//!   only if a `set` came after the entry (and a `clear` after it). Every check a
//!   waiter makes — each spin, the registering RMW (E2), the exit after a timeout or a
//!   stop (E6) — therefore asks "`SET`, or a generation other than `g`?", and a queued
//!   waiter is tagged with `g` itself. So any `set` after a wait began ends that wait
//!   with `true`, even if `clear` follows at once and the waiter was still spinning
//!   (not yet queued) through both — CPython's `test_set_and_clear`, which on a loaded
//!   machine, where the spin can last milliseconds, used to leave such a waiter queued
//!   in the new generation until the next `set`.

use std::fmt;

use weftkit_shim::hint::spin_loop;
use weftkit_shim::sync::atomic::{AtomicUsize, Ordering};
use weftkit_shim::time::{Duration, Instant};

use crate::raw::{SpinWait, WaitList, WakeReason, deadline_after};
use crate::{Lock, StopToken, Stopped};

/// The flag.
const SET: usize = 0b01;
/// Waiters may be queued (E3).
const WAITERS: usize = 0b10;
/// One generation: the bits above `SET | WAITERS` (E5).
const GENERATION: usize = 0b100;
/// The generation part of a state word.
const GENERATION_MASK: usize = !(SET | WAITERS);

/// Whether generation `a` is not after generation `b` (wrapping, E5).
fn not_after(a: usize, b: usize) -> bool {
    b.wrapping_sub(a) <= usize::MAX / 2
}

/// Busy checks of the flag a waiter makes before `SpinWait`'s backoff (E1), on a
/// machine where the setter can run meanwhile: a few microseconds, about what a
/// cross-core hand-off takes, and far less than a park and an unpark.
const BUSY_CHECKS: u32 = 100;

/// [`BUSY_CHECKS`] with more than one CPU to run on, else none: on one CPU the setter
/// cannot run while the waiter spins, so the waiter goes straight to yielding.
fn busy_checks() -> u32 {
    if crate::raw::multi_cpu() {
        BUSY_CHECKS
    } else {
        0
    }
}

/// A flag that threads can set, clear, and wait for.
///
/// [`wait`](Self::wait) blocks until the flag is set; [`set`](Self::set) wakes every
/// waiting thread; [`clear`](Self::clear) resets the flag so that later waits block
/// again. Checking a set event is one atomic load; a waiter spins briefly, then parks,
/// so a wait costs no CPU while nobody sets the event.
///
/// # Examples
///
/// ```
/// use weftkit::sync::Event;
///
/// let ready = Event::new();
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         // ... prepare something ...
///         ready.set();
///     });
///     ready.wait(); // returns once the other thread has called `set`
///     assert!(ready.is_set());
/// });
/// ```
///
/// # Differences from Python's `threading.Event`
///
/// - `wait(timeout)` is [`wait_timeout`](Self::wait_timeout), returning `false` if
///   the timeout passed with the flag still clear; `wait()` with no timeout returns
///   nothing (Python's always returns `True`).
/// - As in Python, a waiter that a [`set`](Self::set) woke reports success even if
///   the event was cleared again before the waiter ran; and a waiter that started
///   after a [`clear`](Self::clear) is not woken by a `set` that came before it.
/// - [`wait_stoppable`](Self::wait_stoppable) gives up when a [`StopToken`] fires.
/// - Whatever a thread did before `set()` is visible to a thread whose `wait`
///   returned because of it.
pub struct Event {
    state: AtomicUsize,
    queue: Lock<Queue>,
}

/// The parked waiters, each tagged with the generation it registered in (E2, E5).
/// Waiters register in lock order, so the tags never decrease along the list.
struct Queue {
    waiters: WaitList,
}

impl Queue {
    /// Wakes every waiter whose generation is not after `generation` (E4, E5): a
    /// prefix of the list.
    fn wake_through(&mut self, generation: usize) {
        while let Some(tag) = self.waiters.front_tag() {
            if !not_after(tag, generation) {
                break;
            }
            self.waiters.notify_one();
        }
    }

    fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }
}

impl Event {
    /// A new event, not set.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = weftkit::sync::Event::new();
    /// assert!(!event.is_set());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: AtomicUsize::new(0),
            queue: Lock::new(Queue {
                waiters: WaitList::new(),
            }),
        }
    }

    /// Whether the flag is set (a snapshot: another thread may change it at once).
    ///
    /// When it returns `true`, whatever the setting thread did before
    /// [`set`](Self::set) is visible to the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = weftkit::sync::Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_set(&self) -> bool {
        self.state.load(Ordering::Acquire) & SET != 0
    }

    /// Sets the flag and wakes every thread waiting for it. Threads that wait later
    /// return at once, until [`clear`](Self::clear) is called. Setting a set event
    /// does nothing more.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = weftkit::sync::Event::new();
    /// event.set();
    /// event.set();
    /// event.wait(); // returns at once
    /// ```
    #[inline]
    pub fn set(&self) {
        let prev = self.state.fetch_or(SET, Ordering::Release);
        if prev & (SET | WAITERS) == WAITERS {
            self.wake(prev & GENERATION_MASK);
        }
    }

    /// Clears the flag: later waits block until the next [`set`](Self::set). Threads
    /// that a `set` already woke still report success.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let event = weftkit::sync::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// assert!(!event.wait_timeout(Duration::from_millis(1)));
    /// ```
    #[inline]
    pub fn clear(&self) {
        let mut state = self.state.load(Ordering::Relaxed);
        while state & SET != 0 {
            // E5: turn the flag off and start a new generation in one step.
            let next = (state & !SET).wrapping_add(GENERATION);
            match self.state.compare_exchange_weak(
                state,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => state = actual,
            }
        }
    }

    /// Blocks until the flag is set; returns at once if it is set already.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::Event;
    ///
    /// let done = Event::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| done.set());
    ///     done.wait();
    /// });
    /// ```
    pub fn wait(&self) {
        let outcome = self.wait_until(None, None);
        debug_assert!(
            outcome,
            "an untimed, unstoppable wait ends only when notified"
        );
    }

    /// Blocks until the flag is set or `timeout` has passed; returns `true` if the
    /// flag was set (Python's return value), `false` on timeout.
    ///
    /// A waiter that a [`set`](Self::set) woke returns `true` even if the event was
    /// cleared before it ran. A zero timeout only checks the flag. The deadline is
    /// fixed when the call starts, so spurious wake-ups never extend it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::sync::Event;
    ///
    /// let event = Event::new();
    /// assert!(!event.wait_timeout(Duration::from_millis(5)));
    /// event.set();
    /// assert!(event.wait_timeout(Duration::ZERO));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let entry = self.state.load(Ordering::Acquire);
        if entry & SET != 0 {
            return true;
        }
        if timeout.is_zero() {
            return false;
        }
        self.wait_from(entry, deadline_after(timeout), None)
    }

    /// [`wait`](Self::wait), calling `on_entry` once the wait has begun (E8), for the
    /// loom models: a `set` after `on_entry` must end this wait. Exists only in model
    /// builds (`--cfg weft_loom`).
    #[cfg(weft_loom)]
    #[doc(hidden)]
    pub fn wait_entered(&self, on_entry: impl FnOnce()) {
        let entry = self.state.load(Ordering::Acquire);
        on_entry();
        let outcome = self.wait_from(entry, None, None);
        debug_assert!(outcome, "an untimed wait ends only when a set came");
    }

    /// Blocks until the flag is set, unless `stop` fires first.
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired while the flag was still clear (also if it had
    /// fired before the call). A set flag wins: on a set event this returns `Ok`
    /// whatever the token says.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Event, StopToken, Stopped};
    ///
    /// let event = Event::new();
    /// let token = StopToken::new();
    /// token.stop();
    /// assert_eq!(event.wait_stoppable(&token), Err(Stopped));
    /// event.set();
    /// assert_eq!(event.wait_stoppable(&token), Ok(()));
    /// ```
    pub fn wait_stoppable(&self, stop: &StopToken) -> Result<(), Stopped> {
        if self.wait_until(None, Some(stop)) {
            Ok(())
        } else {
            Err(Stopped)
        }
    }

    /// The common wait: `true` if the flag was set when the wait began, or a `set`
    /// came after that (E8).
    fn wait_until(&self, deadline: Option<Instant>, stop: Option<&StopToken>) -> bool {
        self.wait_from(self.state.load(Ordering::Acquire), deadline, stop)
    }

    /// A wait that read `entry` from `state` when it began (E8): the flag and the
    /// generation this waiter belongs to.
    fn wait_from(&self, entry: usize, deadline: Option<Instant>, stop: Option<&StopToken>) -> bool {
        if entry & SET != 0 {
            return true;
        }
        let generation = entry & GENERATION_MASK;
        // E1: a short spin before parking, bounded by the clock: busy checks while
        // another CPU may be about to set the flag, then SpinWait's backoff (R7).
        for _ in 0..busy_checks() {
            spin_loop();
            if self.set_since(generation) {
                return true;
            }
        }
        let mut spin = SpinWait::new();
        while spin.spin() {
            if self.set_since(generation) {
                return true;
            }
        }
        self.wait_slow(generation, deadline, stop)
    }

    /// Whether the flag is set now, or was set since generation `generation` began
    /// and then cleared (E8: `clear` moves the generation on only when it turns the
    /// flag off). `Acquire`: the value read was written by the `set`, or by a `clear`
    /// whose RMW continues that `set`'s release sequence (E7).
    fn set_since(&self, generation: usize) -> bool {
        Self::set_in(self.state.load(Ordering::Acquire), generation)
    }

    /// [`set_since`](Self::set_since) on a state word already read.
    fn set_in(state: usize, generation: usize) -> bool {
        state & SET != 0 || state & GENERATION_MASK != generation
    }

    #[cold]
    fn wait_slow(
        &self,
        generation: usize,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> bool {
        if stop.is_some_and(StopToken::is_stopped) {
            return self.set_since(generation);
        }
        let mut queue = self.queue.lock();
        // E2: register with one RMW; it also reads the flag and the generation.
        let prev = self.state.fetch_or(WAITERS, Ordering::Acquire);
        if Self::set_in(prev, generation) {
            if prev & WAITERS == 0 {
                // We set WAITERS with nobody queued (E3 lets us undo it under the lock).
                self.state.fetch_and(!WAITERS, Ordering::Relaxed);
            }
            return true;
        }
        // E8: `prev`'s generation is the one this wait began in.
        match queue.park_on_tagged(|q| &mut q.waiters, generation, deadline, stop) {
            WakeReason::Notified => true,
            WakeReason::TimedOut | WakeReason::Stopped => {
                // E6: park_on removed us under the lock; we were not notified.
                if queue.is_empty() {
                    self.state.fetch_and(!WAITERS, Ordering::Relaxed);
                }
                drop(queue);
                self.set_since(generation)
            }
        }
    }

    /// E4: the set that turned the flag on, with waiters queued, wakes those of its
    /// generation and earlier.
    #[cold]
    fn wake(&self, generation: usize) {
        let mut queue = self.queue.lock();
        queue.wake_through(generation);
        if queue.is_empty() {
            self.state.fetch_and(!WAITERS, Ordering::Relaxed);
        }
    }
}

impl Default for Event {
    /// A new event, not set.
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish_non_exhaustive()
    }
}
