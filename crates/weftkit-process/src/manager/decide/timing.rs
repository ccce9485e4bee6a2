//! Deadlines: a task's `timeout`, a worker's `startup_timeout`, and the pause after
//! the system refused to start a worker. The manager sleeps in `poll` until the
//! earliest [`next_deadline`], and asks [`overdue`] what passed.

use weftkit_shim::time::{Duration, Instant};

use super::Phase;

/// The first pause before trying again to start a worker that the system refused
/// (the pause doubles up to [`SPAWN_BACKOFF_MAX`] while the refusals go on).
pub(crate) const SPAWN_BACKOFF: Duration = Duration::from_millis(50);
/// See [`SPAWN_BACKOFF`].
pub(crate) const SPAWN_BACKOFF_MAX: Duration = Duration::from_secs(2);

/// The pool's time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The `timeout` setting: how long a task may run.
    pub(crate) timeout: Option<Duration>,
    /// The `startup_timeout` setting: how long a worker may take to be ready.
    pub(crate) startup: Duration,
}

/// What the clock sees of one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clocked {
    /// Where it is in its start-up.
    pub(crate) phase: Phase,
    /// When it was started.
    pub(crate) spawned_at: Instant,
    /// Its head task, if it has tasks in flight.
    pub(crate) head: Option<u64>,
    /// Since when its head task may have been running (since `Ready`, or since the
    /// reply of the task before).
    pub(crate) head_since: Instant,
}

/// A deadline that passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overdue {
    /// Not ready within the `startup_timeout` while other workers are: it is
    /// replaced (it leaves with `Exit::LateStart`).
    LateStart,
    /// No `Hello` within the `startup_timeout`, and no worker is ready: the pool
    /// breaks (the program does not call `init()` first).
    NoHandshake,
    /// The initializer did not finish within the `startup_timeout`, and no worker is
    /// ready: the pool breaks.
    SlowInitializer,
    /// Its head task, task `id`, ran past the `timeout` (it leaves with
    /// `Exit::Deadline`).
    Deadline {
        /// The head task.
        id: u64,
    },
}

/// The next deadline of `worker`, if it has one: the end of its start-up, or of its
/// head task's `timeout` (a timeout too long to add is no deadline).
pub(crate) fn next_deadline(worker: &Clocked, limits: &Limits) -> Option<Instant> {
    match worker.phase {
        Phase::Hello | Phase::Setup => worker.spawned_at.checked_add(limits.startup),
        Phase::Ready if worker.head.is_some() => limits
            .timeout
            .and_then(|t| worker.head_since.checked_add(t)),
        Phase::Ready => None,
    }
}

/// Which deadline of `worker` has passed at `now`, if one has: exactly when `now`
/// reached its [`next_deadline`]. `others_ready`: some worker of the pool is ready,
/// so a late starter is replaced rather than taken as proof that no worker can
/// start.
pub(crate) fn overdue(
    worker: &Clocked,
    limits: &Limits,
    others_ready: bool,
    now: Instant,
) -> Option<Overdue> {
    if next_deadline(worker, limits).is_none_or(|deadline| now < deadline) {
        return None;
    }
    Some(match (worker.phase, worker.head) {
        (Phase::Hello | Phase::Setup, _) if others_ready => Overdue::LateStart,
        (Phase::Hello, _) => Overdue::NoHandshake,
        (Phase::Setup, _) => Overdue::SlowInitializer,
        (Phase::Ready, Some(id)) => Overdue::Deadline { id },
        (Phase::Ready, None) => return None, // no deadline: unreachable
    })
}

/// Whether the pool still waits, at `now`, before it starts a worker again after
/// the system refused one (`respawn_at`: when the wait ends).
pub(crate) fn backing_off(respawn_at: Option<Instant>, now: Instant) -> bool {
    respawn_at.is_some_and(|at| now < at)
}

/// What to do when the system refused to start a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Workers alive go on with the work (the refusal may pass: the process limit,
    /// memory): try again at `at`, and wait `backoff` after the next refusal.
    Later {
        /// No new start before this.
        at: Instant,
        /// The pause after the next refusal.
        backoff: Duration,
    },
    /// No worker is alive, so no task could ever run: the pool breaks.
    Break,
}

/// Decides after a refused start at `now`, with `any_alive` workers whose stream
/// is open and the current `backoff`.
pub(crate) fn refused(any_alive: bool, backoff: Duration, now: Instant) -> Refusal {
    if any_alive {
        Refusal::Later {
            at: now + backoff,
            backoff: (backoff * 2).min(SPAWN_BACKOFF_MAX),
        }
    } else {
        Refusal::Break
    }
}

#[cfg(test)]
mod tests;
