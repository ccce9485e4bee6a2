//! The timer heap and its dispatcher thread: invariants T3 and T4 in `README.md`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::{Duration, Instant};

use super::entry::{Claim, Entry};
use super::schedule::next_tick;
use crate::error::SpawnError;
use crate::runtime::{Runtime, RuntimeRef};
use crate::thread::Thread;

/// The dispatcher thread's name, as `enumerate()` shows it.
pub(crate) const DISPATCHER_NAME: &str = "weft-timer";

/// How long the dispatcher stays with nothing to do before it exits (a new timer
/// starts a new one).
const IDLE_LINGER: Duration = Duration::from_secs(2);

/// When the OS refuses a runner thread for a one-shot timer, try again this much later.
const SPAWN_RETRY: Duration = Duration::from_millis(100);

/// Cancelled entries still in the heap beyond which the heap is swept (if they are
/// also half of it), so that many cancelled far-off timers do not hold memory until
/// their due times.
const SWEEP_AFTER: usize = 64;

/// An entry's place in the heap: earliest `at` first, then scheduling order.
#[derive(Debug)]
struct Due {
    at: Instant,
    seq: u64,
    tick: u64,
    entry: Arc<Entry>,
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        // `BinaryHeap` pops the greatest: the earliest due time must be greatest.
        other
            .at
            .cmp(&self.at)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Due {}

/// The timer heap, in `Runtime::timers`.
#[derive(Debug, Default)]
pub(crate) struct Sched {
    heap: BinaryHeap<Due>,
    next_seq: u64,
    /// Whether a dispatcher thread is serving the heap.
    dispatcher: bool,
    /// Roughly how many cancelled entries are still in the heap.
    dead: usize,
}

impl Sched {
    fn push(&mut self, at: Instant, tick: u64, entry: Arc<Entry>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Due {
            at,
            seq,
            tick,
            entry,
        });
    }

    /// One more cancelled entry waits in the heap.
    pub(crate) fn note_dead(&mut self) {
        self.dead += 1;
    }

    /// Drops cancelled entries early once they are many and half the heap.
    fn sweep_if_worth_it(&mut self) {
        if self.dead > SWEEP_AFTER && self.dead * 2 > self.heap.len() {
            self.heap.retain(|due| due.entry.is_alive());
            self.dead = 0;
        }
    }
}

/// Puts `entry` in the heap, due at `at`, starting the dispatcher if none runs.
///
/// # Errors
///
/// [`SpawnError`] if there was no dispatcher and the OS refused to start one.
pub(crate) fn schedule(
    rt: &RuntimeRef,
    entry: Arc<Entry>,
    at: Instant,
    tick: u64,
) -> Result<(), SpawnError> {
    let mut sched = rt.timers.lock();
    if !sched.dispatcher {
        let dispatcher_rt = rt.clone();
        // Detached: it ends by itself when idle (T3).
        let _dispatcher = Thread::new(move || dispatch(&dispatcher_rt))
            .name(DISPATCHER_NAME)
            .daemon(true)
            .start()?;
        sched.dispatcher = true;
    }
    sched.push(at, tick, entry);
    // Only the dispatcher waits on this condition.
    sched.notify_one();
    Ok(())
}

/// The dispatcher's body: fire due entries until the heap has been empty a while.
fn dispatch(rt: &RuntimeRef) {
    /// If the dispatcher ever unwinds, let the next `start` begin a new one.
    struct ClearOnUnwind<'a>(&'a Runtime);
    impl Drop for ClearOnUnwind<'_> {
        fn drop(&mut self) {
            if weftkit_shim::thread::panicking() {
                self.0.timers.lock().dispatcher = false;
            }
        }
    }
    let _guard = ClearOnUnwind(rt);
    while let Some(due) = next_due(rt) {
        fire(rt, due);
    }
}

/// Waits for the earliest entry to be due and pops it; `None` (and the dispatcher
/// marked gone) after `IDLE_LINGER` with an empty heap.
fn next_due(rt: &Runtime) -> Option<Due> {
    let mut sched = rt.timers.lock();
    loop {
        sched.sweep_if_worth_it();
        let now = Instant::now();
        match sched.heap.peek().map(|due| due.at) {
            None => {
                let woken = sched.wait_timeout(IDLE_LINGER);
                if !woken && sched.heap.is_empty() {
                    sched.dispatcher = false;
                    return None;
                }
            }
            Some(at) if at > now => {
                // A push notifies; a spurious or early return just loops (T3).
                sched.wait_timeout(at.saturating_duration_since(now));
            }
            Some(_) => return sched.heap.pop(),
        }
    }
}

/// Runs a due entry on a new runner thread (or skips or drops it).
fn fire(rt: &RuntimeRef, due: Due) {
    let Due { tick, entry, .. } = due;
    match entry.claim() {
        Claim::Discard => {
            let mut sched = rt.timers.lock();
            sched.dead = sched.dead.saturating_sub(1);
            return;
        }
        Claim::Skip => {
            reschedule(rt, &entry, tick);
            return;
        }
        Claim::Run => {}
    }
    let runner_entry = Arc::clone(&entry);
    let runner_rt = rt.clone();
    let started = Thread::new(move || runner_entry.run(&runner_rt))
        .name(entry.name.clone())
        .daemon(entry.daemon)
        .stop_token(entry.stop.clone())
        .timer(entry.ident)
        .start();
    match started {
        // Detached: the runner reports its own end to the entry.
        Ok(_runner) => {
            if entry.period.is_some() {
                reschedule(rt, &entry, tick);
            }
        }
        Err(error) => {
            use std::io::Write as _;
            // A direct write: the dispatcher must not panic, even with stderr gone.
            let _ = writeln!(
                std::io::stderr(),
                "weft: could not start a thread to run timer '{}': {error}; it will be tried again",
                entry.name
            );
            if entry.unclaim(rt) {
                match entry.period {
                    Some(_) => reschedule(rt, &entry, tick),
                    None => {
                        if let Some(at) = Instant::now().checked_add(SPAWN_RETRY) {
                            rt.timers.lock().push(at, tick, entry);
                        }
                    }
                }
            }
        }
    }
}

/// Puts an every-timer back in the heap at its next tick (T4).
fn reschedule(rt: &Runtime, entry: &Arc<Entry>, tick: u64) {
    let Some(period) = entry.period else {
        return;
    };
    let elapsed = Instant::now().saturating_duration_since(entry.start);
    if let Some((next, offset)) = next_tick(period, tick, elapsed)
        && let Some(at) = entry.start.checked_add(offset)
    {
        rt.timers.lock().push(at, next, Arc::clone(entry));
    }
}
