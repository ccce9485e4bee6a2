//! What becomes of a worker's tasks once it left the pool and its exit status is
//! known (invariants 3, 4 and 10 of `src/wire/README.md`), and of a reply that came
//! from it. Replies already received were delivered first (invariant 4); what is
//! decided here is the fate of every task still in flight: each is put back, retried
//! or failed, exactly once.

use weftkit_executor::TaskError;
use weftkit_shim::time::Duration;

use super::{Exit, Phase};

/// Workers in a row that may die by a signal during start-up (killed from outside,
/// or by the out-of-memory killer) before the pool counts itself broken.
pub(crate) const START_ATTEMPTS: u32 = 3;

/// A task in flight on the worker, as the decision sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InFlight {
    /// The task's id.
    pub(crate) id: u64,
    /// Runs so far that ended with a worker's death (for `retries`).
    pub(crate) attempts: u32,
}

/// The worker that left, as the decision sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reaped<'a> {
    /// Its process id, for the messages.
    pub(crate) pid: u32,
    /// How far its start-up got (frames read after its death count too).
    pub(crate) phase: Phase,
    /// Its write side was shut: it was to exit once its replies were out.
    pub(crate) retiring: bool,
    /// Why it left.
    pub(crate) exit: &'a Exit,
    /// The signal that ended it, if one did.
    pub(crate) signal: Option<i32>,
    /// Its exit code, if it exited.
    pub(crate) exit_code: Option<i32>,
    /// Its tasks in flight, oldest first: only the head may have started (invariant 4).
    pub(crate) tasks: &'a [InFlight],
}

/// How the pool stands, read under the state lock as the worker is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing<'a> {
    /// Running; `shutdown`: no more submits, and no replacement is owed.
    Open {
        /// `shutdown` was called.
        shutdown: bool,
    },
    /// `terminate_workers`/`kill_workers` is ending it.
    Ending,
    /// It broke, for this reason.
    Broken(&'a str),
}

/// The pool's side of the decision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pool<'a> {
    /// How the pool stands.
    pub(crate) standing: Standing<'a>,
    /// The `retries` setting.
    pub(crate) retries: u32,
    /// The `timeout` setting, for the error of a task past it.
    pub(crate) timeout: Option<Duration>,
    /// Workers in a row that died by a signal before they were ready.
    pub(crate) start_failures: u32,
}

/// What becomes of one task in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fate {
    /// It never started: back to the front of the queue, in order, as it was.
    Requeue,
    /// It may have run, and `retries` allows another run: back to the front of the
    /// queue, in order, with one more attempt counted.
    Retry,
    /// Its future fails with this error.
    Fail(TaskError),
}

/// What happens to the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The pool broke or is ending: every task fails with the pool's error, nothing
    /// else happens (and the failures do not count as completed tasks).
    PoolOver,
    /// The worker failed to start, but that does not break the pool: every task goes
    /// back (none started, invariant 4) and a replacement is owed; `counts`: the
    /// failure counts toward [`START_ATTEMPTS`] (a slow start among ready workers
    /// says nothing about whether workers can start, and does not).
    Restart {
        /// Add one to the failed starts in a row.
        counts: bool,
    },
    /// Start-up keeps failing: the pool breaks with this reason, and every task fails
    /// with it.
    BreakPool(String),
    /// A worker that was ready (or retired as planned) left: each task has its fate;
    /// the failures count as completed tasks.
    Settled {
        /// A replacement is owed: the worker left unplanned while the pool runs on.
        replace: bool,
    },
}

impl Verdict {
    /// Whether this counts as a failed start in the pool's stats.
    pub(crate) fn failed_start(&self) -> bool {
        matches!(self, Self::Restart { .. } | Self::BreakPool(_))
    }
}

/// The decision for one reaped worker: one fate per task in flight, in their order,
/// and what happens to the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settlement {
    /// One per task of [`Reaped::tasks`], in the same order.
    pub(crate) fates: Vec<Fate>,
    /// What happens to the pool.
    pub(crate) verdict: Verdict,
}

/// The tasks sorted by their fates (see [`sort_out`]).
#[derive(Debug)]
pub(crate) struct Sorted<T> {
    /// Back to the front of the queue, in this order (retried ones counted already).
    pub(crate) back: Vec<T>,
    /// To fail, each with its error.
    pub(crate) failed: Vec<(T, TaskError)>,
}

/// Decides what becomes of `worker`'s tasks and of the pool.
///
/// - The pool broke or is ending: every task fails with `PoolBroken` (its reason) or
///   `Cancelled`.
/// - The worker was not ready (and did not retire as planned): no task started on it
///   (invariant 4). Killed by a signal from outside (fewer than [`START_ATTEMPTS`]
///   times in a row), or by the pool as a late starter among ready workers: every
///   task goes back and a replacement starts. Anything else (it exited, broke the
///   protocol, or keeps being killed) breaks the pool: no worker can start.
/// - Otherwise only the head may have started (invariant 4). It fails with
///   `DeadlineExceeded` if the deadline was its own, with `Codec` if the stream was
///   damaged (invariant 3), and otherwise (it died while the head ran, or was
///   killed for the task before it, whose reply came after all) it is retried
///   within `retries`, or fails with `WorkerDied` and the real status (invariant 10).
///   The tasks behind it never started and go back as they were, unless the stream
///   was damaged: then nothing past the damage can be told apart, each may have run,
///   and each is retried within `retries` or fails with `Codec` (invariant 3).
///   A replacement is owed unless the worker retired as planned or the pool shuts
///   down.
pub(crate) fn settle(worker: &Reaped<'_>, pool: &Pool<'_>) -> Settlement {
    let all = |fate: Fate| vec![fate; worker.tasks.len()];
    let shutdown = match pool.standing {
        Standing::Broken(reason) => {
            return Settlement {
                fates: all(Fate::Fail(TaskError::PoolBroken {
                    reason: reason.to_owned(),
                })),
                verdict: Verdict::PoolOver,
            };
        }
        Standing::Ending => {
            return Settlement {
                fates: all(Fate::Fail(TaskError::Cancelled)),
                verdict: Verdict::PoolOver,
            };
        }
        Standing::Open { shutdown } => shutdown,
    };
    let planned = worker.retiring && worker.tasks.is_empty() && !worker.exit.kills();
    if worker.phase != Phase::Ready && !planned {
        return start_up_failure(worker, pool);
    }
    let fates = worker
        .tasks
        .iter()
        .enumerate()
        .map(|(k, task)| {
            if k == 0 {
                head_fate(task, worker, pool)
            } else {
                behind_fate(task, worker.exit, pool.retries)
            }
        })
        .collect();
    Settlement {
        fates,
        verdict: Verdict::Settled {
            replace: !planned && !shutdown,
        },
    }
}

/// The worker left before it was ready, unplanned.
fn start_up_failure(worker: &Reaped<'_>, pool: &Pool<'_>) -> Settlement {
    let all = |fate: Fate| vec![fate; worker.tasks.len()];
    let killed_while_starting = matches!(worker.exit, Exit::Gone) && worker.signal.is_some();
    let late_among_ready = matches!(worker.exit, Exit::LateStart);
    if late_among_ready
        || killed_while_starting && pool.start_failures.saturating_add(1) < START_ATTEMPTS
    {
        return Settlement {
            fates: all(Fate::Requeue),
            verdict: Verdict::Restart {
                counts: killed_while_starting,
            },
        };
    }
    let status = match (worker.signal, worker.exit_code) {
        (Some(s), _) => format!("killed by signal {s}"),
        (None, Some(c)) => format!("exit code {c}"),
        (None, None) => "no status".to_owned(),
    };
    let reason = match worker.exit {
        Exit::Damaged(why) => format!(
            "worker process {} broke the protocol during start-up ({why})",
            worker.pid
        ),
        _ => format!(
            "worker process {} ended during start-up ({status}); is weftkit::process::init() first in main, and does the initializer succeed?",
            worker.pid
        ),
    };
    Settlement {
        fates: all(Fate::Fail(TaskError::PoolBroken {
            reason: reason.clone(),
        })),
        verdict: Verdict::BreakPool(reason),
    }
}

/// The head of a ready worker: the one task that may have started.
fn head_fate(head: &InFlight, worker: &Reaped<'_>, pool: &Pool<'_>) -> Fate {
    match worker.exit {
        Exit::Deadline { id } if *id == head.id => Fate::Fail(TaskError::DeadlineExceeded {
            timeout: pool.timeout.unwrap_or_default(),
        }),
        Exit::Damaged(message) => Fate::Fail(TaskError::Codec {
            message: format!("the worker's reply was damaged: {message}"),
        }),
        _ if head.attempts < pool.retries => Fate::Retry,
        _ => Fate::Fail(TaskError::WorkerDied {
            signal: worker.signal,
            exit_code: worker.exit_code,
        }),
    }
}

/// A task behind the head of a ready worker.
fn behind_fate(task: &InFlight, exit: &Exit, retries: u32) -> Fate {
    match exit {
        // Past a damaged frame nothing can be told apart: the worker may have run
        // every task behind it too. Each counts as run once more, so none runs twice
        // unless `retries` allows it.
        Exit::Damaged(_) if task.attempts < retries => Fate::Retry,
        Exit::Damaged(_) => Fate::Fail(TaskError::Codec {
            message: "the worker's stream was damaged before this task's reply came, so it may have run; give the pool retries(n) to run such tasks again".to_owned(),
        }),
        // Behind the head, nothing started (invariant 4).
        _ => Fate::Requeue,
    }
}

/// Sorts `tasks` (the worker's in-flight tasks, in the order given to [`settle`]) by
/// `fates`: each ends up exactly once, either back in the queue (in its order, with
/// `retried` applied to those retried) or failed with its error. (A task without a
/// fate, which [`settle`] never leaves, would go back as it was: never lost.)
pub(crate) fn sort_out<T>(
    tasks: impl ExactSizeIterator<Item = T>,
    fates: Vec<Fate>,
    mut retried: impl FnMut(&mut T),
) -> Sorted<T> {
    debug_assert_eq!(tasks.len(), fates.len(), "one fate per task");
    let mut sorted = Sorted {
        back: Vec::new(),
        failed: Vec::new(),
    };
    let mut fates = fates.into_iter();
    for mut task in tasks {
        match fates.next().unwrap_or(Fate::Requeue) {
            Fate::Requeue => sorted.back.push(task),
            Fate::Retry => {
                retried(&mut task);
                sorted.back.push(task);
            }
            Fate::Fail(error) => sorted.failed.push((task, error)),
        }
    }
    sorted
}

/// Checks that a reply for task `id` is for the worker's head task (`head`; `None`
/// with nothing in flight): a worker replies in the order it got its tasks
/// (invariant 4), so any other reply means the stream is out of protocol.
///
/// # Errors
///
/// What is wrong with the reply: the worker must go.
pub(crate) fn check_reply(head: Option<u64>, id: u64) -> Result<(), String> {
    match head {
        None => Err(format!("a reply for task {id}, which was not sent")),
        Some(head) if head != id => Err(format!("a reply for task {id} out of order")),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
