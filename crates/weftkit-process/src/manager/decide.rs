//! The manager's decisions, as pure functions: plain data in, a decision out, no I/O
//! and no clock (the caller passes `now`). The manager thread (`manager.rs`) only
//! carries them out: it kills, spawns, completes futures. So every case of crash
//! recovery is tested here, in `decide/tests.rs`, without killing a process.
//!
//! - [`settle`](settle::settle): what becomes of the tasks of a worker that left the
//!   pool (retried, put back, failed) and of the pool (a replacement, a broken pool).
//! - [`dispatch`]: which worker takes a queued task, when a worker retires, how many
//!   workers to start, when the manager is done.
//! - [`timing`]: deadlines (a task's `timeout`, the `startup_timeout`) and the pause
//!   after the system refused to start a worker.
//!
//! The numbered invariants are those of `src/wire/README.md`.

pub(crate) mod dispatch;
pub(crate) mod settle;
pub(crate) mod timing;

#[cfg(test)]
mod tests;

/// Where a worker is in its start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Started; waiting for its `Hello`.
    Hello,
    /// `Setup` sent; waiting for `Ready` (the initializer runs).
    Setup,
    /// Taking tasks. Before this it runs no task (invariant 4).
    Ready,
}

/// Why a worker leaves the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Its stream ended or broke: it exited, or is exiting.
    Gone,
    /// Its head task, task `id`, ran past the deadline.
    Deadline {
        /// The head task when the deadline passed.
        id: u64,
    },
    /// It sent a damaged frame or broke the protocol (invariant 3).
    Damaged(String),
    /// It was not ready within the start-up timeout while other workers were.
    LateStart,
}

impl Exit {
    /// Which of two exits found for one worker in one round wins: the lower.
    fn rank(&self) -> u8 {
        match self {
            Self::Deadline { .. } => 0,
            Self::Damaged(_) => 1,
            Self::LateStart => 2,
            Self::Gone => 3,
        }
    }

    /// Whether the manager kills the worker as it leaves: every exit but
    /// [`Exit::Gone`], where the worker ended by itself (invariant 9: a worker that
    /// exits by itself leaves its task's processes alone).
    pub(crate) fn kills(&self) -> bool {
        !matches!(self, Self::Gone)
    }
}

/// The exits found in one round, `(worker index, exit)`, cut to one per worker (of
/// two, the more telling: a deadline passed as the worker died is the task's
/// deadline, not a death to retry), highest index first, so that the workers can be
/// taken out by `swap_remove` in that order without moving one still to come.
pub(crate) fn one_exit_per_worker(mut exits: Vec<(usize, Exit)>) -> Vec<(usize, Exit)> {
    exits.sort_by_key(|(i, exit)| (std::cmp::Reverse(*i), exit.rank()));
    exits.dedup_by_key(|(i, _)| *i);
    exits
}
