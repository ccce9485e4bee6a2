//! The job that runs a submitted closure and completes its future.

use std::cell::Cell;

use weftkit_shim::sync::Arc;
use weftkit_sync::StopToken;

use crate::TaskError;
use crate::error::panic_message;
use crate::future::Shared;
use crate::registry::{Registry, Ticket};

/// A task whose stop token can be asked for while it runs.
trait StopSource {
    fn stop_token(&self) -> StopToken;
}

impl<T: Send> StopSource for Shared<T> {
    fn stop_token(&self) -> StopToken {
        Shared::stop_token(self)
    }
}

weftkit_shim::thread_local! {
    /// The task running on this thread (innermost, when a waiting worker helps).
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! has no const form")]
    static CURRENT_TASK: Cell<Option<*const dyn StopSource>> = Cell::new(None);
}

/// The [`StopToken`] of the pool task running on this thread.
///
/// [`Future::request_stop`](crate::Future::request_stop) fires it, so a task that
/// waits with the stop-aware forms of `weftkit::sync` (`get_stoppable`,
/// `wait_stoppable`, ...) ends early; the task then returns what it chooses, and its
/// future completes with that. Outside a task it returns a token nobody stops.
///
/// # Examples
///
/// ```
/// use weftkit::executor::{stop_token, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let future = pool.submit(|| stop_token().is_stopped())?;
/// assert_eq!(future.result()?, false);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stop_token() -> StopToken {
    match CURRENT_TASK.with(Cell::get) {
        // SAFETY: `CurrentTask` sets the pointer for exactly as long as the task runs on
        // this thread, while the job owns an `Arc` of the shared state, and restores the
        // previous value (also on unwind) before that ends; only this thread reads it.
        Some(task) => unsafe { (*task).stop_token() },
        None => StopToken::new(),
    }
}

/// Makes a task current on this thread until dropped (also on unwind), then restores
/// the task it interrupted (a waiting worker that helps runs tasks inside tasks).
pub(crate) struct CurrentTask(Option<*const dyn StopSource>);

impl CurrentTask {
    fn enter(task: &(dyn StopSource + 'static)) -> Self {
        Self(CURRENT_TASK.with(|current| current.replace(Some(task))))
    }

    /// No task is current until dropped: a job a worker takes from a queue is not part
    /// of the task that was waiting there, and must not see (nor be stopped by) its
    /// token. A future's job then enters its own.
    pub(crate) fn clear() -> Self {
        Self(CURRENT_TASK.with(|current| current.replace(None)))
    }
}

impl Drop for CurrentTask {
    fn drop(&mut self) {
        CURRENT_TASK.with(|current| current.set(self.0));
    }
}

/// The job closure for `submit`: runs `f` unless cancelled or the pool broke, and completes
/// the future with its value or its panic.
pub(crate) fn future_job<F, T>(
    shared: &Arc<Shared<T>>,
    f: F,
    ticket: Ticket,
) -> impl FnOnce(&Registry) + Send + 'static
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let shared = Arc::clone(shared);
    move |registry: &Registry| {
        registry.release(ticket);
        run_future_task(registry, &shared, f);
    }
}

/// Runs a future's task on this thread (a worker, or the submitter for `CallerRuns`).
pub(crate) fn run_future_task<F, T>(registry: &Registry, shared: &Arc<Shared<T>>, f: F)
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if registry.is_cancelling() {
        // `shutdown(cancel_futures)`: cancel it as `cancel` would, before it is
        // claimed, so a task seen running is never cancelled (Python's contract).
        if shared.cancel_unstarted().1 {
            shared.complete(Err(TaskError::Cancelled));
        }
        drop_quietly(f);
        return;
    }
    if !shared.claim_for_run() {
        drop_quietly(f);
        return; // cancelled before it started; `cancel` completed the future
    }
    if let Some(reason) = registry.broken_reason() {
        shared.complete(Err(TaskError::PoolBroken { reason }));
        drop_quietly(f);
        return;
    }
    registry.stats.task_started();
    let outcome = {
        let _current = CurrentTask::enter(&**shared);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
    };
    registry.stats.task_finished();
    shared.complete(outcome.map_err(|panic| TaskError::Panicked {
        message: panic_message(&*panic),
    }));
}

/// The job closure for `execute`: runs `f`; a panic goes to the unobserved-failure hook.
pub(crate) fn detached_job<F>(f: F, ticket: Ticket) -> impl FnOnce(&Registry) + Send + 'static
where
    F: FnOnce() + Send + 'static,
{
    move |registry: &Registry| {
        registry.release(ticket);
        run_detached_task(registry, f);
    }
}

/// Runs an `execute`d task on this thread.
pub(crate) fn run_detached_task<F: FnOnce()>(registry: &Registry, f: F) {
    if registry.is_cancelling() {
        drop_quietly(f);
        return;
    }
    if let Some(reason) = registry.broken_reason() {
        crate::error::report_unobserved(TaskError::PoolBroken { reason });
        drop_quietly(f);
        return;
    }
    registry.stats.task_started();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    registry.stats.task_finished();
    if let Err(panic) = outcome {
        crate::error::report_unobserved(TaskError::Panicked {
            message: panic_message(&*panic),
        });
    }
}

/// Drops a task that will not run; a panic in what it captured must not unwind
/// through the worker.
fn drop_quietly<F>(f: F) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(f)));
}
