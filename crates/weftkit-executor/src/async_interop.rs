//! Async interop: a pool [`Future`] is a [`std::future::Future`] (Python's
//! `asyncio.wrap_future`), [`ThreadPool::run_in_executor`] runs blocking work on a pool
//! from async code (Python's `loop.run_in_executor`), and [`CancelOnDrop`] ties a
//! task's life to the async code that awaits it.
//!
//! # How an awaiting task is woken (the invariants)
//!
//! - **A1 — one waker per future, replaced, never piled up.** `poll` on a pending
//!   future registers the async task's waker like a done callback (`add_waker`), with
//!   the key that removes it. Polled again with a waker that would not wake the same
//!   task, it removes the old one first; with one that would, it keeps it.
//! - **A2 — no lost wake-up.** After registering, `poll` checks `done` again. The
//!   completer sets `DONE`, then takes and calls every registered waker; a waker added
//!   after that runs at once (`add_waker` on a closed list). So either `poll` sees
//!   `DONE`, or its waker is in the list the completer takes.
//! - **A3 — no wake after drop, no leak.** Dropping the future removes its waker
//!   (`remove_waker`), so nothing refers to the async task after the future is gone,
//!   and a task that never completes keeps no waker alive. A waker the completer had
//!   already taken may still run once, which wakes a task that no longer waits on this
//!   future: harmless, as spurious wake-ups are for every executor.
//!
//! `tests/loom/future.rs` models a waker's registration racing completion and drop.

use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Future, SubmitError, TaskError, ThreadPool};

/// A pool [`Future`] holds no `T` inline and is never pinned structurally: moving it
/// after a `poll` is sound, so it is `Unpin` whatever `T` is.
impl<T> Unpin for Future<T> {}

impl<T> std::future::Future for Future<T> {
    type Output = Result<T, TaskError>;

    /// Resolves to what [`result`](Future::result) returns. Awaiting never blocks the
    /// async runtime's thread: the task's completion wakes the awaiting task (A1–A3).
    /// (`pool.submit(f)?` itself may: with [`WhenFull::Block`](crate::WhenFull) it
    /// waits for room in a full queue, with `CallerRuns` it runs `f` there. From async
    /// code use [`ThreadPool::run_in_executor`], which waits for room without blocking.)
    /// Awaiting inside a pool task with a `block_on` does not help the pool as
    /// [`result`](Future::result) does: in a one-worker pool it waits for ever.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.inner().is_done() {
            this.forget_async_waker();
            return Poll::Ready(this.take());
        }
        let same_task = this
            .async_waker
            .as_ref()
            .is_some_and(|registered| registered.1.will_wake(cx.waker()));
        if !same_task {
            this.forget_async_waker();
            let waker = cx.waker().clone();
            let wake = waker.clone();
            // `None`: done meanwhile; the waker has run already and the check below
            // sees `DONE` (A2).
            if let Some(key) = this.inner().add_waker(Box::new(move || wake.wake())) {
                this.async_waker = Some(Box::new((key, waker)));
            }
        }
        if this.inner().is_done() {
            this.forget_async_waker();
            return Poll::Ready(this.take());
        }
        Poll::Pending
    }
}

impl<T> Future<T> {
    /// Removes the waker an earlier `poll` registered, if any (A1, A3).
    pub(crate) fn forget_async_waker(&mut self) {
        if let Some(registered) = self.async_waker.take() {
            self.inner().remove_waker(registered.0);
        }
    }

    /// Wraps this future so that dropping it before it is done cancels the task (if it
    /// has not started) and asks it to stop (if it runs): what cancelling the asyncio
    /// future of `asyncio.wrap_future` does, plus the cooperative stop. A plain
    /// [`Future`] dropped while awaited lets its task run on, unobserved.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::ThreadPool;
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// let value = futures_lite_block_on(pool.submit(|| 7)?.cancel_on_drop());
    /// assert_eq!(value?, 7);
    /// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     use std::task::{Context, Poll, Waker};
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = Context::from_waker(Waker::noop());
    /// #     loop {
    /// #         if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::yield_now();
    /// #     }
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel_on_drop(self) -> CancelOnDrop<T> {
        CancelOnDrop { future: Some(self) }
    }
}

/// A [`Future`] that cancels its task when dropped before it is done (and asks a
/// running one to stop); made by [`Future::cancel_on_drop`]. Await it like the future
/// itself.
#[must_use = "a future does nothing unless awaited"]
#[derive(Debug)]
pub struct CancelOnDrop<T> {
    future: Option<Future<T>>,
}

impl<T> CancelOnDrop<T> {
    /// The future inside, no longer cancelled on drop.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| 1)?.cancel_on_drop().into_inner();
    /// assert_eq!(future.result()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(mut self) -> Future<T> {
        match self.future.take() {
            Some(future) => future,
            // Only `into_inner` and `drop` take it, and both consume `self`.
            None => unreachable!("a CancelOnDrop always holds its future until consumed"),
        }
    }
}

impl<T> std::future::Future for CancelOnDrop<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut().future.as_mut() {
            Some(future) => Pin::new(future).poll(cx),
            None => Poll::Ready(Err(TaskError::AlreadyTaken)),
        }
    }
}

impl<T> Drop for CancelOnDrop<T> {
    fn drop(&mut self) {
        if let Some(future) = &self.future
            && !future.done()
            && !future.cancel()
        {
            future.request_stop();
        }
    }
}

impl ThreadPool {
    /// Runs blocking work `f` on this pool and returns a future to `.await` in async
    /// code: Python's `await loop.run_in_executor(executor, f)`. Any async runtime
    /// works (tokio, smol, `futures::executor::block_on`); weftkit depends on none.
    ///
    /// The task is submitted when the returned future is first polled. If the pool's
    /// queue is full, the future does not block the runtime's thread: it waits for
    /// room as an async waiter, woken when the queue drains (or the pool shuts down). Dropping it before it is done lets a submitted
    /// task run on (unobserved), as Python does; wrap the work's future with
    /// [`Future::cancel_on_drop`] (through [`submit`](Self::submit)) to cancel it
    /// instead.
    ///
    /// # Errors
    ///
    /// The future resolves to the task's result, or to [`TaskError::ShutDown`] if the
    /// pool was shut down, [`TaskError::PoolBroken`] if it broke.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::ThreadPool;
    ///
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     use std::task::{Context, Poll, Waker};
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = Context::from_waker(Waker::noop());
    /// #     loop {
    /// #         if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::yield_now();
    /// #     }
    /// # }
    /// let pool = ThreadPool::builder().build()?;
    /// // In async code: `let digest = pool.run_in_executor(|| expensive_hash()).await?;`
    /// let digest = block_on(pool.run_in_executor(|| (1..=100u64).sum::<u64>()))?;
    /// assert_eq!(digest, 5050);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// In a tokio program (tokio is not a dependency of weftkit; any runtime works):
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weftkit::executor::ThreadPool;
    ///
    /// #[tokio::main(flavor = "current_thread")]
    /// async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let pool = Arc::new(ThreadPool::builder().max_workers(4).build()?);
    ///     // Blocking work off the async thread, as `await loop.run_in_executor(...)`.
    ///     let lines = pool.run_in_executor(|| "a\nb\nc".lines().count()).await?;
    ///     // A submitted task's future is awaitable too (`asyncio.wrap_future`).
    ///     let squared = pool.submit(move || lines * lines)?.await?;
    ///     assert_eq!(squared, 9);
    ///     Ok(())
    /// }
    /// ```
    pub fn run_in_executor<F, T>(&self, f: F) -> RunInExecutor<'_, F, T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        RunInExecutor {
            pool: self,
            state: RunState::Unsubmitted(Some(f)),
        }
    }
}

/// The future [`ThreadPool::run_in_executor`] returns.
#[must_use = "a future does nothing unless awaited: the work is submitted on the first poll"]
pub struct RunInExecutor<'pool, F, T> {
    pool: &'pool ThreadPool,
    state: RunState<F, T>,
}

enum RunState<F, T> {
    /// Not submitted yet (the `Option` is empty only while a submit is being tried).
    Unsubmitted(Option<F>),
    Submitted(Future<T>),
    Finished,
}

// `F` is only moved, never pinned: the future may move between polls.
impl<F, T> Unpin for RunInExecutor<'_, F, T> {}

impl<F, T> std::future::Future for RunInExecutor<'_, F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let RunState::Unsubmitted(slot) = &mut this.state {
            let Some(f) = slot.take() else {
                return Poll::Ready(Err(TaskError::AlreadyTaken));
            };
            let submitted = match this.pool.try_submit(f) {
                // Never block the runtime's thread: wait for room as an async waiter
                // (A4 in `registry/admission.rs`), then try once more, which catches a
                // release between the failed try and the registration.
                Err(SubmitError::Full(f)) => {
                    // (A plain submit states no weight: only the count can be full.)
                    this.pool.registry().admission.wait_async(cx.waker());
                    this.pool.try_submit(f)
                }
                other => other,
            };
            match submitted {
                Ok(future) => this.state = RunState::Submitted(future),
                Err(SubmitError::Full(f)) => {
                    *slot = Some(f);
                    return Poll::Pending;
                }
                Err(refused) => {
                    this.state = RunState::Finished;
                    return Poll::Ready(Err(refused.into_task_error()));
                }
            }
        }
        match &mut this.state {
            RunState::Submitted(future) => {
                let outcome = Pin::new(future).poll(cx);
                if outcome.is_ready() {
                    this.state = RunState::Finished;
                }
                outcome
            }
            _ => Poll::Ready(Err(TaskError::AlreadyTaken)),
        }
    }
}

impl<F, T> std::fmt::Debug for RunInExecutor<'_, F, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            RunState::Unsubmitted(_) => "unsubmitted",
            RunState::Submitted(_) => "submitted",
            RunState::Finished => "finished",
        };
        f.debug_struct("RunInExecutor")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
