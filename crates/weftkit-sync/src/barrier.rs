//! [`Barrier`]: Python's `threading.Barrier`, reusable, with an optional action and
//! a party that may withdraw.
//!
//! # How a wait learns how its cycle ended
//!
//! All state sits behind one [`Lock`]; waiters park on one [`WaitList`] with
//! [`LockGuard::park_on`] and, once woken, decide what happened from the state alone
//! (never from the wake-up reason), so a spurious or late wake-up cannot mislead them.
//!
//! - Each cycle has a `generation`. A party remembers the generation it arrived in.
//!   When the last party arrives the generation moves on at once, so a fast thread that
//!   comes back for the next cycle joins the new generation and cannot be counted in the
//!   old one (the pattern of Rust's `std::sync::Barrier`).
//! - A party woken while its generation is still the current one either finds the
//!   barrier broken (it leaves with `Broken`) or its own wait ended early (it breaks the
//!   barrier and leaves with `TimedOut` / `Stopped`). A party whose generation has moved
//!   on looks its generation up in `settling`: absent means the cycle completed (it gets
//!   its index, even if its own timeout passed meanwhile: L1 of `raw/README.md`);
//!   `Pending` means the action is still running (it parks again, with no deadline);
//!   `Broken` means the cycle broke, and the party claims one of the entry's slots.
//! - `settling` holds only cycles that are not plain completions: those whose action
//!   runs, and those that [`Barrier::reset`] ended while parties were still inside. An
//!   entry leaves once its last party has read it, so it never holds more entries than
//!   there are threads in `wait`.
//! - The action runs with the lock released, so it may call the barrier's methods and
//!   it never holds up threads that only ask `n_waiting()`.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use weftkit_shim::time::{Duration, Instant};

use crate::raw::{WaitList, WakeReason, deadline_after};
use crate::{BarrierError, ConfigError, Lock, LockGuard, StopToken};

/// The callable run once per cycle, by the thread that completes the cycle.
type Action = Box<dyn Fn() + Send + Sync + 'static>;

/// A reusable rendezvous point for a fixed number of threads ("parties").
///
/// Each party calls [`wait`](Self::wait); the calls return once all parties have
/// called it. Each returns a different index in `0..parties`, in arrival order: the
/// first to arrive gets `0`, the last (which completes the cycle and runs the action)
/// gets `parties - 1`. The barrier then starts its next cycle, so the same threads can
/// meet at it again and again.
///
/// A wait that cannot complete *breaks* the barrier: when a party times out, is
/// stopped, or the barrier is [aborted](Self::abort), every party waiting in that cycle
/// and every later one gets an error until [`reset`](Self::reset). A party that is
/// done for good can [`withdraw`](Self::withdraw) instead, which lowers the number of
/// parties without breaking anything.
///
/// # Examples
///
/// Three threads work in phases; none starts phase 2 before all finished phase 1:
///
/// ```
/// use weftkit::sync::Barrier;
///
/// let barrier = Barrier::new(3)?;
/// let indices: Vec<usize> = std::thread::scope(|s| {
///     let handles: Vec<_> = (0..3)
///         .map(|_| {
///             s.spawn(|| {
///                 // phase 1 ...
///                 let index = barrier.wait().expect("nobody breaks this barrier");
///                 // phase 2 ...
///                 index
///             })
///         })
///         .collect();
///     handles.into_iter().map(|h| h.join().unwrap()).collect()
/// });
/// let mut sorted = indices;
/// sorted.sort();
/// assert_eq!(sorted, [0, 1, 2]);
/// # Ok::<(), weftkit::sync::ConfigError>(())
/// ```
///
/// # Differences from Python's `threading.Barrier`
///
/// - `Barrier(0)` is an error value ([`ConfigError::ZeroParties`]), not a `ValueError`.
/// - `Barrier(n, action, timeout)` is `Barrier::new(n)?.with_action(f).with_timeout(t)`.
/// - `wait(timeout)` is [`wait_timeout`](Self::wait_timeout); errors are values of
///   [`BarrierError`]: the party whose timeout passed gets
///   [`TimedOut`](BarrierError::TimedOut), the others
///   [`Broken`](BarrierError::Broken) (Python raises `BrokenBarrierError` in all).
/// - The index is the arrival order, `0` first, as CPython computes it.
/// - The action runs *without* the barrier's internal lock held (CPython holds it,
///   so an action that touches the barrier deadlocks there). Once all parties have
///   arrived, the cycle's outcome depends on the action alone: a timeout, stop,
///   [`abort`](Self::abort) or [`reset`](Self::reset) that comes while the action runs
///   applies to the next cycle, and the parties of this one wait for the action to
///   end. Actions of two cycles can overlap only if more threads than parties use
///   the barrier (CPython runs them one at a time).
/// - A panicking action breaks the barrier, wakes every waiting party with
///   [`Broken`](BarrierError::Broken), and the panic continues in the thread that
///   ran the action (Python raises the exception there and breaks the barrier).
/// - New: [`wait_stoppable`](Self::wait_stoppable) (a fired [`StopToken`] breaks the
///   barrier like a timeout) and [`withdraw`](Self::withdraw) (a party leaves for
///   good without breaking the barrier).
/// - A new cycle can start while the parties of the previous one are still waking
///   up; CPython makes newcomers wait until the last of them has left.
pub struct Barrier {
    state: Lock<State>,
    action: Option<Action>,
    timeout: Option<Duration>,
}

#[derive(Debug)]
struct State {
    /// Parties a cycle needs; lowered by `withdraw`.
    parties: usize,
    /// The cycle now filling.
    generation: u64,
    /// Parties that arrived in the filling cycle and have not left it.
    arrived: usize,
    /// The filling cycle is broken: arrivals fail until `reset`.
    broken: bool,
    /// Parked parties, of the filling cycle and of cycles whose action runs.
    waiters: WaitList,
    /// Earlier cycles that did not simply complete, while some party still has to
    /// learn so; any generation not listed here (and not current) completed.
    settling: VecDeque<Settling>,
}

#[derive(Debug)]
struct Settling {
    generation: u64,
    outcome: Outcome,
    /// Parties of that cycle that have not yet read the outcome.
    unclaimed: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Every party arrived; the action is running.
    Pending,
    /// The cycle broke (reset while parties waited, or its action panicked).
    Broken,
    /// The cycle completed (never stored: a cycle missing from `settling` completed).
    Completed,
}

impl State {
    /// Breaks the filling cycle and wakes its parties (once).
    fn break_cycle(&mut self) {
        if !self.broken {
            self.broken = true;
            self.waiters.notify_all();
        }
    }

    /// How the earlier cycle `generation` ended. A `Broken` answer is claimed (the
    /// entry goes once all its parties have read it), so each party asks once.
    fn outcome_of(&mut self, generation: u64) -> Outcome {
        let Some(at) = self
            .settling
            .iter()
            .position(|s| s.generation == generation)
        else {
            return Outcome::Completed;
        };
        let entry = &mut self.settling[at];
        if entry.outcome == Outcome::Pending {
            return Outcome::Pending;
        }
        entry.unclaimed = entry.unclaimed.saturating_sub(1);
        let outcome = entry.outcome;
        if entry.unclaimed == 0 {
            self.settling.remove(at);
        }
        outcome
    }
}

impl Barrier {
    /// A barrier for `parties` threads, with no action and no default timeout.
    ///
    /// # Errors
    ///
    /// [`ConfigError::ZeroParties`] if `parties` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Barrier, ConfigError};
    ///
    /// assert_eq!(Barrier::new(4)?.parties(), 4);
    /// assert_eq!(Barrier::new(0).err(), Some(ConfigError::ZeroParties));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn new(parties: usize) -> Result<Self, ConfigError> {
        if parties == 0 {
            return Err(ConfigError::ZeroParties);
        }
        Ok(Self {
            state: Lock::new(State {
                parties,
                generation: 0,
                arrived: 0,
                broken: false,
                waiters: WaitList::new(),
                settling: VecDeque::new(),
            }),
            action: None,
            timeout: None,
        })
    }

    /// Sets the action: run once per cycle, by the party whose arrival completes the
    /// cycle, after all parties have arrived and before any of them is released
    /// (Python's `action=` argument). Replaces an earlier action.
    ///
    /// The action runs without the barrier's lock held, so it may call the barrier's
    /// methods. If it panics, the barrier breaks, every waiting party gets
    /// [`BarrierError::Broken`], and the panic continues in the thread that ran it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use weftkit::sync::Barrier;
    ///
    /// let cycles = Arc::new(AtomicUsize::new(0));
    /// let counter = Arc::clone(&cycles);
    /// let barrier = Barrier::new(2)?.with_action(move || {
    ///     counter.fetch_add(1, Ordering::SeqCst);
    /// });
    /// std::thread::scope(|s| {
    ///     s.spawn(|| barrier.wait());
    ///     barrier.wait().unwrap();
    ///     // the action ran before either party was released
    ///     assert_eq!(cycles.load(Ordering::SeqCst), 1);
    /// });
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    #[must_use]
    pub fn with_action(mut self, action: impl Fn() + Send + Sync + 'static) -> Self {
        self.action = Some(Box::new(action));
        self
    }

    /// Sets the default timeout (Python's `timeout=` argument), used by
    /// [`wait`](Self::wait) and [`wait_stoppable`](Self::wait_stoppable);
    /// [`wait_timeout`](Self::wait_timeout) uses its own instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::sync::{Barrier, BarrierError};
    ///
    /// let barrier = Barrier::new(2)?.with_timeout(Duration::from_millis(1));
    /// assert_eq!(barrier.wait(), Err(BarrierError::TimedOut)); // nobody else came
    /// assert!(barrier.is_broken());
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Waits until all parties have called `wait`, then returns this party's index
    /// (arrival order: `0` for the first, `parties - 1` for the last). If a default
    /// timeout was set with [`with_timeout`](Self::with_timeout), waits at most that
    /// long.
    ///
    /// # Errors
    ///
    /// - [`BarrierError::Broken`] if the barrier is or becomes broken before the
    ///   cycle completes (aborted or reset, another party timed out or was stopped,
    ///   or an action panicked).
    /// - [`BarrierError::TimedOut`] if the default timeout passed first; this breaks
    ///   the barrier.
    ///
    /// # Panics
    ///
    /// Only if this party completed the cycle and the action panicked: the barrier is
    /// broken and the others are woken first, then the action's panic continues here.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = weftkit::sync::Barrier::new(1)?;
    /// assert_eq!(barrier.wait(), Ok(0)); // a single party never waits
    /// assert_eq!(barrier.wait(), Ok(0));
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn wait(&self) -> Result<usize, BarrierError> {
        self.wait_until(self.default_deadline(), None)
    }

    /// Like [`wait`](Self::wait), waiting at most `timeout` (instead of the default
    /// timeout). A zero timeout succeeds only for the party that completes the cycle.
    ///
    /// # Errors
    ///
    /// - [`BarrierError::TimedOut`] if `timeout` passed before the last party arrived;
    ///   this breaks the barrier, and the other parties get `Broken`. A party whose
    ///   timeout passes just as the cycle completes gets its index: once the last
    ///   party has arrived, the cycle no longer breaks.
    /// - [`BarrierError::Broken`] as for [`wait`](Self::wait).
    ///
    /// # Panics
    ///
    /// As [`wait`](Self::wait): only to continue a panic of the action this party ran.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::sync::{Barrier, BarrierError};
    ///
    /// let barrier = Barrier::new(2)?;
    /// assert_eq!(barrier.wait_timeout(Duration::ZERO), Err(BarrierError::TimedOut));
    /// assert_eq!(barrier.wait_timeout(Duration::ZERO), Err(BarrierError::Broken));
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BarrierError> {
        self.wait_until(deadline_after(timeout), None)
    }

    /// Like [`wait`](Self::wait) (including the default timeout), ending early when
    /// `stop` fires.
    ///
    /// # Errors
    ///
    /// - [`BarrierError::Stopped`] if `stop` fired (also before the call) while this
    ///   party waited for the others; like a timeout, this breaks the barrier and the
    ///   other parties get `Broken`. The party that completes the cycle never waits,
    ///   so a fired token does not stop it.
    /// - [`BarrierError::TimedOut`] and [`BarrierError::Broken`] as for
    ///   [`wait`](Self::wait).
    ///
    /// # Panics
    ///
    /// As [`wait`](Self::wait): only to continue a panic of the action this party ran.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Barrier, BarrierError, StopToken};
    ///
    /// let barrier = Barrier::new(2)?;
    /// let token = StopToken::new();
    /// token.stop();
    /// assert_eq!(barrier.wait_stoppable(&token), Err(BarrierError::Stopped));
    /// assert!(barrier.is_broken());
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn wait_stoppable(&self, stop: &StopToken) -> Result<usize, BarrierError> {
        self.wait_until(self.default_deadline(), Some(stop))
    }

    /// Breaks the barrier: every party waiting in the current cycle, and every later
    /// [`wait`](Self::wait), gets [`BarrierError::Broken`] until [`reset`](Self::reset).
    /// A cycle whose parties have all arrived (its action is running) still completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Barrier, BarrierError};
    ///
    /// let barrier = Barrier::new(2)?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| barrier.wait());
    ///     while barrier.n_waiting() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     barrier.abort();
    ///     assert_eq!(waiter.join().unwrap(), Err(BarrierError::Broken));
    /// });
    /// assert!(barrier.is_broken());
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn abort(&self) {
        self.state.lock().break_cycle();
    }

    /// Returns the barrier to its empty, unbroken state. Parties waiting in the
    /// current cycle get [`BarrierError::Broken`], as in Python. The number of parties
    /// stays as it is (withdrawals are not undone), and a cycle whose action is
    /// running still completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::Barrier;
    ///
    /// let barrier = Barrier::new(1)?;
    /// barrier.abort();
    /// assert!(barrier.wait().is_err());
    /// barrier.reset();
    /// assert_eq!(barrier.wait(), Ok(0));
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn reset(&self) {
        let mut state = self.state.lock();
        if state.arrived > 0 {
            // They will find their generation gone; tell them how it ended.
            let entry = Settling {
                generation: state.generation,
                outcome: Outcome::Broken,
                unclaimed: state.arrived,
            };
            state.settling.push_back(entry);
        }
        state.generation = state.generation.wrapping_add(1);
        state.arrived = 0;
        state.broken = false;
        state.waiters.notify_all();
    }

    /// The calling party leaves the barrier for good: [`parties`](Self::parties)
    /// drops by one, and nothing breaks. If the parties already waiting now make a
    /// full count, the cycle completes here: this thread runs the action and the
    /// waiting parties are released, with indices `0..parties`.
    ///
    /// Call it from a party that is not waiting (a waiting thread cannot call
    /// anything); the barrier cannot tell parties apart, so it trusts the caller to
    /// be one. The withdrawal lasts across [`reset`](Self::reset).
    ///
    /// # Errors
    ///
    /// - [`BarrierError::LastParty`] if only one party is left (a barrier needs at
    ///   least one); nothing changes. Use [`abort`](Self::abort) to give up on it.
    /// - [`BarrierError::Broken`] if the barrier is broken; the party is still
    ///   counted, so withdraw again after [`reset`](Self::reset).
    ///
    /// # Panics
    ///
    /// Only if this withdrawal completed a cycle and the action panicked: the barrier
    /// is broken and the waiting parties are woken first, then the panic continues here.
    ///
    /// # Examples
    ///
    /// Of three workers, one finishes early; the other two go on meeting:
    ///
    /// ```
    /// use weftkit::sync::{Barrier, BarrierError};
    ///
    /// let barrier = Barrier::new(3)?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| barrier.wait());
    ///     s.spawn(|| barrier.withdraw()).join().unwrap().unwrap();
    ///     assert_eq!(barrier.parties(), 2);
    ///     barrier.wait().unwrap();
    ///     waiter.join().unwrap().unwrap();
    /// });
    /// assert_eq!(Barrier::new(1)?.withdraw(), Err(BarrierError::LastParty));
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn withdraw(&self) -> Result<(), BarrierError> {
        let mut state = self.state.lock();
        if state.parties == 1 {
            return Err(BarrierError::LastParty);
        }
        if state.broken {
            return Err(BarrierError::Broken);
        }
        state.parties -= 1;
        if state.arrived == state.parties {
            let waiting = state.arrived;
            self.release(state, waiting);
        }
        Ok(())
    }

    /// Whether the barrier is broken (Python's `broken`).
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = weftkit::sync::Barrier::new(2)?;
    /// assert!(!barrier.is_broken());
    /// barrier.abort();
    /// assert!(barrier.is_broken());
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn is_broken(&self) -> bool {
        self.state.lock().broken
    }

    /// The number of parties a cycle needs: the number given to [`new`](Self::new),
    /// less one per [`withdraw`](Self::withdraw).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weftkit::sync::Barrier::new(3)?.parties(), 3);
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn parties(&self) -> usize {
        self.state.lock().parties
    }

    /// The number of parties waiting in the current cycle for the rest to arrive
    /// (Python's `n_waiting`); 0 when the barrier is broken. A snapshot: it may change
    /// at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = weftkit::sync::Barrier::new(2)?;
    /// assert_eq!(barrier.n_waiting(), 0);
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    pub fn n_waiting(&self) -> usize {
        let state = self.state.lock();
        if state.broken { 0 } else { state.arrived }
    }

    fn default_deadline(&self) -> Option<Instant> {
        self.timeout.and_then(deadline_after)
    }

    fn wait_until(
        &self,
        mut deadline: Option<Instant>,
        mut stop: Option<&StopToken>,
    ) -> Result<usize, BarrierError> {
        let mut state = self.state.lock();
        if state.broken {
            return Err(BarrierError::Broken);
        }
        let generation = state.generation;
        let index = state.arrived;
        state.arrived += 1;
        if state.arrived == state.parties {
            self.release(state, index);
            return Ok(index);
        }
        loop {
            let reason = state.park_on(|s| &mut s.waiters, deadline, stop);
            if state.generation == generation {
                if state.broken {
                    state.arrived -= 1;
                    return Err(BarrierError::Broken);
                }
                let error = match reason {
                    // Woken for another cycle's sake: ours is still filling.
                    WakeReason::Notified => continue,
                    WakeReason::TimedOut => BarrierError::TimedOut,
                    WakeReason::Stopped => BarrierError::Stopped,
                };
                state.arrived -= 1;
                state.break_cycle();
                return Err(error);
            }
            match state.outcome_of(generation) {
                Outcome::Completed => return Ok(index),
                Outcome::Broken => return Err(BarrierError::Broken),
                // All parties arrived; only the action decides now, and it will
                // wake us when it ends. Neither the deadline nor the token applies.
                Outcome::Pending => (deadline, stop) = (None, None),
            }
        }
    }

    /// Ends the filling cycle, whose parties have all arrived (`waiting` of them are
    /// parked): starts the next cycle, runs the action if any with the lock released,
    /// then releases the parked parties (or, if the action panicked, breaks the
    /// barrier, wakes them with `Broken` and continues the panic).
    fn release(&self, mut state: LockGuard<'_, State>, waiting: usize) {
        let generation = state.generation;
        state.generation = generation.wrapping_add(1);
        state.arrived = 0;
        let Some(action) = &self.action else {
            state.waiters.notify_all();
            return;
        };
        state.settling.push_back(Settling {
            generation,
            outcome: Outcome::Pending,
            unclaimed: waiting,
        });
        drop(state);
        let result = panic::catch_unwind(AssertUnwindSafe(action));
        let mut state = self.state.lock();
        // Only this thread removes a `Pending` entry, so it is still there.
        if let Some(at) = state
            .settling
            .iter()
            .position(|s| s.generation == generation)
        {
            if result.is_ok() || state.settling[at].unclaimed == 0 {
                state.settling.remove(at);
            } else {
                state.settling[at].outcome = Outcome::Broken;
            }
        }
        match result {
            Ok(()) => {
                state.waiters.notify_all();
            }
            Err(payload) => {
                state.broken = true;
                state.waiters.notify_all();
                drop(state);
                panic::resume_unwind(payload);
            }
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("parties", &state.parties)
            .field("n_waiting", &if state.broken { 0 } else { state.arrived })
            .field("broken", &state.broken)
            .field("has_action", &self.action.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}
