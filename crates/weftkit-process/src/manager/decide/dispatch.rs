//! Who does the work: which worker takes a queued task, when a worker retires, how
//! many workers to start, and when the manager is done.

use weftkit_shim::time::{Duration, Instant};

use super::Phase;

/// Tasks in flight on a worker whose tasks are short: enough to hide the round trip.
pub(crate) const DEEP: usize = 64;
/// Tasks in flight on a worker whose tasks are long (or unknown yet): one running, one
/// waiting, so a long task does not hold many others behind it.
pub(crate) const SHALLOW: usize = 2;
/// A task shorter than this lets its worker be fed [`DEEP`].
pub(crate) const SHORT_TASK: Duration = Duration::from_millis(1);

/// What the dispatcher sees of one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// Where it is in its start-up. Tasks may be queued behind `Setup` (the worker
    /// checks the probe before it runs anything, invariant 1): start-up costs no
    /// extra round trip.
    pub(crate) phase: Phase,
    /// Its write side is shut: it exits once its replies are out.
    pub(crate) retiring: bool,
    /// Its stream ended (or failed) on our side.
    pub(crate) gone: bool,
    /// Tasks in flight on it.
    pub(crate) in_flight: usize,
    /// It was handed a task before (so its state may be what killed the last one).
    pub(crate) used: bool,
    /// It was handed `max_tasks_per_child` tasks (see [`spent`]).
    pub(crate) spent: bool,
    /// Its last task was short.
    pub(crate) fast: bool,
    /// Since when its head task may have been running.
    pub(crate) head_since: Instant,
}

/// Whether a worker handed `sent` tasks has reached `limit` (`max_tasks_per_child`;
/// `None`: no limit). Generic over the limit's integer type; a limit too large for a
/// `u64` is never reached.
pub(crate) fn spent<N: TryInto<u64>>(sent: u64, limit: Option<N>) -> bool {
    limit.is_some_and(|n| n.try_into().is_ok_and(|n| sent >= n))
}

/// How many tasks `slot` may have in flight at `now`: [`DEEP`] while its tasks are
/// short, but [`SHALLOW`] once its head task has run longer than [`SHORT_TASK`]
/// while other workers could take the work, so that a long task in a stream of short
/// ones holds few others behind it. (`alone`: the pool has one worker at most, and
/// there is nowhere else for a task to go.)
pub(crate) fn depth(slot: &Slot, now: Instant, alone: bool) -> usize {
    let head_is_short =
        slot.in_flight == 0 || now.saturating_duration_since(slot.head_since) < SHORT_TASK;
    if slot.fast && (head_is_short || alone) {
        DEEP
    } else {
        SHALLOW
    }
}

/// Whether a replacement will start this round (next, in the manager's
/// `spawn_needed`), with nothing run yet: workers are `owed`, fewer than
/// `max_workers` are `active` (not retiring), the system is not refusing starts
/// (`backing_off`), and the pool does not shut down.
pub(crate) fn fresh_coming(
    owed: usize,
    active: usize,
    max_workers: usize,
    backing_off: bool,
    shutdown: bool,
) -> bool {
    owed > 0 && active < max_workers && !backing_off && !shutdown
}

/// Where a queued task goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    /// To worker `i` (its index among the slots given).
    To(usize),
    /// Nowhere yet: it waits for the replacement that starts this round, and the
    /// tasks behind it go on meanwhile.
    Hold,
    /// No worker has room: dispatching stops for this round.
    Full,
}

/// Picks the worker for a task run `attempts` times before, among `slots` (every
/// worker, in the manager's order); `fresh_coming` from [`fresh_coming`].
///
/// A worker takes tasks unless it retires, is gone, is full ([`depth`]) or spent.
/// Of those, the least loaded takes it, and a ready worker before one still
/// starting; on a tie, the first. A task run again after its worker died goes to a
/// worker that has run nothing yet (the replacement), rather than one whose state
/// may be what killed the last; it waits for the replacement only while one is sure
/// to come, so nothing is held up.
pub(crate) fn pick(
    attempts: u32,
    slots: impl IntoIterator<Item = Slot>,
    now: Instant,
    alone: bool,
    fresh_coming: bool,
) -> Pick {
    let prefer_fresh = attempts > 0;
    let best = slots
        .into_iter()
        .enumerate()
        .filter(|(_, s)| !s.retiring && !s.gone && s.in_flight < depth(s, now, alone) && !s.spent)
        .min_by_key(|(_, s)| (prefer_fresh && s.used, s.in_flight, s.phase != Phase::Ready));
    match best {
        None => Pick::Full,
        Some((_, s)) if prefer_fresh && s.used && fresh_coming => Pick::Hold,
        Some((i, _)) => Pick::To(i),
    }
}

/// What becomes of a worker after dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retire {
    /// It goes on.
    Keep,
    /// Its write side is shut: it exits at end of stream once its replies are out.
    /// `replace`: a replacement is owed (it was spent while the pool runs on).
    Now {
        /// Owe a replacement.
        replace: bool,
    },
}

/// Whether `slot` retires: once it is `idle` (nothing in flight, nothing left to
/// write) and either spent or the pool shuts down with its queue `drained`.
pub(crate) fn retire(slot: &Slot, idle: bool, shutdown: bool, drained: bool) -> Retire {
    if !slot.retiring && idle && (slot.spent || (shutdown && drained)) {
        Retire::Now {
            replace: slot.spent && !shutdown,
        }
    } else {
        Retire::Keep
    }
}

/// Whether the manager is done: the pool shuts down, its queue is drained, and no
/// worker is left, in the pool or dying.
pub(crate) fn finished(shutdown: bool, drained: bool, workers: usize, dying: usize) -> bool {
    shutdown && drained && workers == 0 && dying == 0
}

/// The next step of starting workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpawnStep {
    /// `max_workers` are active: start none, and forget the replacements owed.
    Full,
    /// Enough are starting for the queued work, and none is owed: start none.
    Enough,
    /// Start one; `replacing`: it replaces one that ended (a restart).
    Start {
        /// It is a replacement.
        replacing: bool,
    },
}

/// Whether to start a worker: one per queued task (`queued`, counting those
/// `starting` already), up to `max_workers` `active` (not retiring), plus the `owed`
/// replacements for workers that ended.
pub(crate) fn spawn_step(
    active: usize,
    max_workers: usize,
    owed: usize,
    starting: usize,
    queued: usize,
) -> SpawnStep {
    if active >= max_workers {
        SpawnStep::Full
    } else if owed == 0 && starting >= queued {
        SpawnStep::Enough
    } else {
        SpawnStep::Start {
            replacing: owed > 0,
        }
    }
}

#[cfg(test)]
mod tests;
