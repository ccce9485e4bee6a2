//! [`Future`]: the handle to a submitted task's result (`concurrent.futures.Future`).

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use weftkit_shim::cell::UnsafeCell;
use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicU32, Ordering};
use weftkit_shim::time::{Duration, Instant};
use weftkit_sync::{Event, Lock, StopToken, Stopped};

use crate::TaskError;
use crate::error::report_unobserved;
use crate::registry::{Limit, WorkerThread, current_worker};

/// A task owner (its runner, or `cancel`) has claimed the right to complete it.
const CLAIMED: u32 = 1 << 0;
/// The result is stored and callbacks have run.
const DONE: u32 = 1 << 1;
/// Completed by cancellation.
const CANCELLED: u32 = 1 << 2;
/// Completed with an error other than cancellation.
const FAILED: u32 = 1 << 3;
/// The `Future` handle was dropped.
const HANDLE_DROPPED: u32 = 1 << 4;
/// [`Future::request_stop`] was called before the future was done: the task's stop
/// token fires (at once if it exists, else as soon as it is made). It changes no
/// outcome: the task decides its own.
const STOP_REQUESTED: u32 = 1 << 5;
/// The error was read without taking the result ([`Future::exception`], a
/// [`SharedFuture`](crate::SharedFuture)): nothing to report when the handle drops.
const ERROR_READ: u32 = 1 << 6;
/// The outcome is decided and stored; callbacks may still be running. Set (with
/// `CANCELLED` or `FAILED`) before the callbacks, so that inside one the future
/// already reads as done, as in Python (state `FINISHED` before callbacks). `DONE`
/// follows the callbacks and is what hands the result cell over.
const RESOLVED: u32 = 1 << 7;
/// The `Future` handle took the result, or read its error: nothing to report when it
/// drops, and a second take finds nothing. Written only by the handle (it is not
/// `Clone`), so the word spares the handle a field of its own.
const TAKEN: u32 = 1 << 8;

type Callback<T> = Box<dyn FnOnce(&Result<T, TaskError>) + Send>;
type Waker = Box<dyn FnOnce() + Send>;

/// What a task and its `Future` share.
///
/// The result cell is written once, by whoever claimed the task (`CLAIMED`), before
/// `DONE` is set with `AcqRel`; after that only the handle reads or takes it, or the
/// completer if the handle was dropped first (`HANDLE_DROPPED`, decided by the same
/// atomic, so exactly one of them sees the other).
///
/// Small on purpose (a program may hold a million futures): no event of its own, and
/// the callbacks, wakers and stop token live in a box made only when one is first
/// registered. A blocked thread waits on its own parker, woken by a waker it
/// registers (see [`block`](Self::block)).
pub(crate) struct Shared<T> {
    state: AtomicU32,
    result: UnsafeCell<Option<Result<T, TaskError>>>,
    hooks: Lock<HookSlot<T>>,
}

/// The hooks of a future, behind its lock: closed flags inline, lists boxed on demand.
struct HookSlot<T> {
    hooks: Option<Box<Hooks<T>>>,
    /// Set when the completer took the callbacks: later callbacks run on registration.
    callbacks_closed: bool,
    /// Set when the completer took the wakers, after `DONE`.
    wakers_closed: bool,
}

struct Hooks<T> {
    callbacks: Vec<Callback<T>>,
    /// Wakers with the key that removes them again (a wait that gave up).
    wakers: Vec<(WakerKey, Waker)>,
    next_key: u64,
    /// The task's stop token, made on first use.
    stop: Option<StopToken>,
}

impl<T> HookSlot<T> {
    /// The hook lists, made on first use.
    fn hooks(&mut self) -> &mut Hooks<T> {
        self.hooks.get_or_insert_with(|| {
            Box::new(Hooks {
                callbacks: Vec::new(),
                wakers: Vec::new(),
                next_key: 0,
                stop: None,
            })
        })
    }

    /// Takes the callbacks registered so far (none if the lists were never made).
    fn take_callbacks(&mut self) -> Vec<Callback<T>> {
        self.hooks
            .as_mut()
            .map(|hooks| std::mem::take(&mut hooks.callbacks))
            .unwrap_or_default()
    }

    /// Takes the wakers registered so far (none if the lists were never made).
    fn take_wakers(&mut self) -> Vec<(WakerKey, Waker)> {
        self.hooks
            .as_mut()
            .map(|hooks| std::mem::take(&mut hooks.wakers))
            .unwrap_or_default()
    }
}

/// How long [`Shared::block`] may wait.
#[derive(Clone, Copy)]
pub(crate) enum Block<'a> {
    /// Until the future is done.
    Forever,
    /// Until the future is done or the deadline passes.
    Until(Instant),
    /// Until the future is done or the token fires.
    Stop(&'a StopToken),
}

weftkit_shim::thread_local! {
    /// This thread's parker for blocking on futures: set by the waker that a blocked
    /// [`Shared::block`] registers. One per thread, reused: a thread blocks on one
    /// future at a time.
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! has no const form")]
    static PARKER: Arc<Event> = Arc::new(Event::new());
}

/// Names a waker registered with [`Shared::add_waker`], to remove it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WakerKey(u64);

// SAFETY: the result cell is accessed by one thread at a time, handed over through the
// `state` atomic (see the type's docs); callbacks and wakers are `Send`; `T: Send` lets
// the value move from the worker to the handle's thread.
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; every field is `Send` when `T: Send`.
unsafe impl<T: Send> Send for Shared<T> {}

impl<T> Shared<T> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: AtomicU32::new(0),
            result: UnsafeCell::new(None),
            hooks: Lock::new(HookSlot {
                hooks: None,
                callbacks_closed: false,
                wakers_closed: false,
            }),
        })
    }

    fn state(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    pub(crate) fn is_done(&self) -> bool {
        self.state() & DONE != 0
    }

    /// The runner claims the task; `false` means it was cancelled first.
    pub(crate) fn claim_for_run(&self) -> bool {
        self.state.fetch_or(CLAIMED, Ordering::AcqRel) & CLAIMED == 0
    }

    /// Cancels the task if nobody claimed it yet: one CAS from a state without
    /// `CLAIMED` to `CLAIMED | CANCELLED`, so exactly one of a canceller and the
    /// runner's [`claim_for_run`](Self::claim_for_run) wins. Returns
    /// `(cancelled, won)`: whether the future is (now or already) cancelled, and
    /// whether this call made the CAS, in which case the caller completes it.
    pub(crate) fn cancel_unstarted(&self) -> (bool, bool) {
        let mut state = self.state();
        loop {
            if state & CANCELLED != 0 {
                return (true, false);
            }
            if state & (CLAIMED | DONE | RESOLVED) != 0 {
                return (false, false);
            }
            match self.state.compare_exchange_weak(
                state,
                state | CLAIMED | CANCELLED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return (true, true),
                Err(actual) => state = actual,
            }
        }
    }

    /// The task's stop token, made on first use; already stopped if
    /// [`Future::request_stop`] asked.
    pub(crate) fn stop_token(&self) -> StopToken {
        let mut slot = self.hooks.lock();
        let token = slot.hooks().stop.get_or_insert_with(StopToken::new).clone();
        drop(slot);
        if self.state() & STOP_REQUESTED != 0 {
            token.stop();
        }
        token
    }

    /// Asks the task to stop (its token fires); `false` if the future was done
    /// already. Either this sees the token in its slot and fires it, or
    /// `stop_token` makes the token after this set `STOP_REQUESTED` and fires it
    /// there: the slot's lock orders the two.
    pub(crate) fn request_stop(&self) -> bool {
        let previous = self.state.fetch_or(STOP_REQUESTED, Ordering::AcqRel);
        if previous & (DONE | RESOLVED) != 0 {
            return false;
        }
        let token = {
            let slot = self.hooks.lock();
            slot.hooks.as_ref().and_then(|hooks| hooks.stop.clone())
        };
        if let Some(token) = token {
            token.stop();
        }
        true
    }

    /// Stores the result, runs the callbacks, publishes `DONE`, wakes every waiter.
    /// The caller claimed the task.
    pub(crate) fn complete(&self, result: Result<T, TaskError>) {
        let outcome = match &result {
            Ok(_) => 0,
            Err(TaskError::Cancelled) => CANCELLED,
            Err(_) => FAILED,
        };
        let flags = DONE | outcome;
        // SAFETY: this thread claimed the task and `DONE` is not set, so nobody else
        // reads or writes the cell (see the type's docs).
        self.result.with_mut(|cell| unsafe { *cell = Some(result) });
        self.state.fetch_or(RESOLVED | outcome, Ordering::Release);
        // Close the list only once it is empty: a callback added while callbacks run
        // (by one of them, or by another thread) joins the list and runs here. Closing
        // first made `add_done_callback` wait for `DONE`, which a callback adding a
        // callback on this very thread would wait for forever.
        loop {
            let callbacks = {
                let mut slot = self.hooks.lock();
                let callbacks = slot.take_callbacks();
                if callbacks.is_empty() {
                    slot.callbacks_closed = true;
                    break;
                }
                callbacks
            };
            // SAFETY: as above: until `DONE` only this thread touches the cell.
            let result = self.result.with(|cell| unsafe { (*cell).as_ref() });
            if let Some(result) = result {
                for callback in callbacks {
                    run_callback(callback, result);
                }
            }
        }
        let previous = self.state.fetch_or(flags, Ordering::AcqRel);
        let wakers = {
            let mut slot = self.hooks.lock();
            slot.wakers_closed = true;
            slot.take_wakers()
        };
        for (_, waker) in wakers {
            waker();
        }
        if previous & HANDLE_DROPPED != 0 && flags & FAILED != 0 {
            // The handle is gone, so nobody will read this error: report it.
            // SAFETY: the handle was dropped, so this thread alone touches the cell.
            if let Some(Err(error)) = self.result.with_mut(|cell| unsafe { (*cell).take() }) {
                report_unobserved(error);
            }
        }
    }

    /// Calls `waker` once the future is done (at once if it already is, and then
    /// returns `None`). A wait that gives up before the future is done must hand the
    /// key to [`remove_waker`](Self::remove_waker): nothing else frees the waker
    /// (and what it holds) until the future completes, which may be never.
    pub(crate) fn add_waker(&self, waker: Waker) -> Option<WakerKey> {
        let mut slot = self.hooks.lock();
        if slot.wakers_closed {
            drop(slot);
            waker();
            None
        } else {
            let hooks = slot.hooks();
            let key = WakerKey(hooks.next_key);
            hooks.next_key += 1;
            hooks.wakers.push((key, waker));
            Some(key)
        }
    }

    /// Removes a waker that has not run yet (it is dropped uncalled); does nothing if
    /// the completer took it already.
    pub(crate) fn remove_waker(&self, key: WakerKey) {
        let removed = {
            let mut slot = self.hooks.lock();
            slot.hooks.as_mut().and_then(|hooks| {
                let index = hooks.wakers.iter().position(|(k, _)| *k == key);
                index.map(|index| hooks.wakers.swap_remove(index))
            })
        };
        // Dropped outside the lock: a waker's captures may be anything.
        drop(removed);
    }

    /// Blocks this thread until the future is done or `limit` ends; whether it is done.
    ///
    /// The thread waits on its own parker (`PARKER`) after registering a waker that
    /// sets it. The parker is cleared before each registration, so a set it still
    /// carries comes from an earlier wait's waker that ran late: such a wake finds the
    /// future not done, removes this wait's waker and registers again. A waker that
    /// could not be removed was taken by the completer, which takes wakers only after
    /// `DONE`: the next check sees the future done.
    pub(crate) fn block(&self, limit: Block<'_>) -> bool {
        // A thread whose thread-locals are already torn down (a future waited on from a
        // thread-local destructor or an exit hook) waits on a parker of its own.
        let wait = |parker: &Arc<Event>| {
            loop {
                if self.is_done() {
                    return true;
                }
                parker.clear();
                let waker: Waker = {
                    let parker = Arc::clone(parker);
                    Box::new(move || parker.set())
                };
                let Some(key) = self.add_waker(waker) else {
                    return true; // closed: the completer is past `DONE`
                };
                let woke = match limit {
                    Block::Forever => {
                        parker.wait();
                        true
                    }
                    Block::Until(deadline) => {
                        parker.wait_timeout(deadline.saturating_duration_since(Instant::now()))
                    }
                    Block::Stop(stop) => parker.wait_stoppable(stop).is_ok(),
                };
                if woke && self.is_done() {
                    return true;
                }
                self.remove_waker(key);
                if !woke {
                    return self.is_done();
                }
            }
        };
        PARKER
            .try_with(|parker| wait(parker))
            .unwrap_or_else(|_| wait(&Arc::new(Event::new())))
    }

    /// Wakers registered and not yet run or removed.
    #[cfg(test)]
    pub(crate) fn waker_count(&self) -> usize {
        self.hooks
            .lock()
            .hooks
            .as_ref()
            .map_or(0, |hooks| hooks.wakers.len())
    }
}

fn run_callback<T>(callback: Callback<T>, result: &Result<T, TaskError>) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(result)));
    if let Err(panic) = outcome {
        // As Python's Future: a failing callback is logged and ignored.
        eprintln!(
            "weft: a future's done callback panicked: {}",
            crate::error::panic_message(&*panic)
        );
    }
}

/// The handle to a task submitted to a [`ThreadPool`](crate::ThreadPool): wait for it,
/// take its result, cancel it, or get called back when it is done.
///
/// Every future resolves: with the task's value, or with a [`TaskError`] saying why
/// there is none (the task panicked, was cancelled, or the pool broke).
///
/// # Examples
///
/// ```
/// use weftkit::executor::ThreadPool;
///
/// let pool = ThreadPool::builder().max_workers(2).build()?;
/// let answer = pool.submit(|| 6 * 7)?;
/// assert_eq!(answer.result()?, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Differences from Python's `concurrent.futures.Future`
///
/// - [`result`](Self::result) consumes the future and returns the value by move (no
///   `Clone` needed); `result(timeout=t)` is [`result_timeout`](Self::result_timeout),
///   whose [`TaskError::TimedOut`] leaves the future pending and usable. For Python's
///   "any number of readers, from any thread", [`shared`](Self::shared) makes a
///   cloneable [`SharedFuture`](crate::SharedFuture).
/// - [`exception`](Self::exception) is Python's `exception()`: it waits and takes
///   nothing; the error also stays readable after `result_timeout` handed it out. On a
///   cancelled future it returns `Some(TaskError::Cancelled)`, where Python raises
///   `CancelledError`: one value says every way a task can end without a result.
/// - An exception is an `Err` value, never a panic in the waiting thread.
/// - Waiting inside a pool task helps: the waiting worker runs other queued tasks, so
///   a task that submits another and waits for it cannot deadlock the pool.
/// - [`cancel`](Self::cancel) keeps Python's contract exactly (`true` only before the
///   task starts; a running task keeps its result). Beyond Python,
///   [`request_stop`](Self::request_stop) asks a running task to stop through its
///   [`StopToken`]; the task decides its own outcome.
/// - It is also a [`std::future::Future`]: `future.await` in async code is Python's
///   `await asyncio.wrap_future(future)`, in any runtime. Dropping an awaited future
///   does not cancel its task; [`cancel_on_drop`](Self::cancel_on_drop) makes it so.
/// - A failed future dropped without anyone reading its error is reported (to the
///   hook set with [`set_unobserved_failure_hook`](crate::set_unobserved_failure_hook),
///   by default a line on stderr), like asyncio's "exception was never retrieved".
#[must_use = "a future does nothing unless waited on; drop it explicitly to let the task run unobserved"]
pub struct Future<T> {
    shared: Arc<Shared<T>>,
    /// The async task's waker registered by the last `poll` that found the task
    /// pending, with the key that removes it again (see `async_interop.rs`).
    /// Boxed: only awaited futures have one, and every future carries the slot.
    pub(crate) async_waker: Option<Box<(WakerKey, std::task::Waker)>>,
    /// `&Future` lends out `&T` (late done callbacks): share it only if `T: Sync`.
    _shares_t: PhantomData<T>,
}

impl<T> Future<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>) -> Self {
        Self {
            shared,
            async_waker: None,
            _shares_t: PhantomData,
        }
    }

    /// Waits for the task and returns its result, consuming the future.
    ///
    /// Called from inside a pool task, the waiting worker runs other queued tasks until
    /// this one is done.
    ///
    /// # Errors
    ///
    /// [`TaskError::Panicked`] if the task panicked, [`TaskError::Cancelled`] if it was
    /// cancelled, [`TaskError::PoolBroken`] if the pool broke before it ran.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// assert_eq!(pool.submit(|| "done")?.result()?, "done");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn result(mut self) -> Result<T, TaskError> {
        self.wait();
        self.take()
    }

    /// Waits at most `timeout` for the result.
    ///
    /// Called from inside a pool task, the waiting worker runs other queued tasks until
    /// this one is done or the deadline passes. It starts none after the deadline, but
    /// one it started before may finish after it (a task cannot be interrupted).
    ///
    /// # Errors
    ///
    /// [`TaskError::TimedOut`] if the task was not done in time (the future stays
    /// usable); [`TaskError::AlreadyTaken`] if a previous call took the result; otherwise
    /// as [`result`](Self::result).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::executor::{TaskError, ThreadPool};
    /// use weftkit::sync::Event;
    /// use std::sync::Arc;
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// let gate = Arc::new(Event::new());
    /// let g = Arc::clone(&gate);
    /// let mut future = pool.submit(move || g.wait())?;
    /// assert_eq!(future.result_timeout(Duration::from_millis(1)), Err(TaskError::TimedOut));
    /// gate.set();
    /// assert_eq!(future.result_timeout(Duration::from_secs(30)), Ok(()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn result_timeout(&mut self, timeout: Duration) -> Result<T, TaskError> {
        if !self.wait_timeout(timeout) {
            return Err(TaskError::TimedOut);
        }
        self.take()
    }

    /// Waits for the result unless `stop` fires first.
    ///
    /// Called from inside a pool task, the waiting worker first runs queued tasks
    /// (the awaited one may be among them) until this one is done or `stop` fires.
    ///
    /// # Errors
    ///
    /// [`TaskError::Stopped`] if the token fired first (the future stays usable);
    /// otherwise as [`result_timeout`](Self::result_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::ThreadPool;
    /// use weftkit::sync::StopToken;
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// let mut future = pool.submit(|| 1)?;
    /// assert_eq!(future.result_stoppable(&StopToken::new()), Ok(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn result_stoppable(&mut self, stop: &StopToken) -> Result<T, TaskError> {
        if self.wait_stoppable(stop).is_err() {
            return Err(TaskError::Stopped);
        }
        self.take()
    }

    /// Runs the pool's queued jobs on this worker until the task is done or `limit`
    /// is reached; whether it is done. Leaves no waker behind on the future.
    fn help(&self, worker: &WorkerThread, limit: Limit<'_>) -> bool {
        let key = Cell::new(None);
        let done = worker.help_within(
            || self.shared.is_done(),
            |waker| key.set(self.shared.add_waker(waker)),
            limit,
        );
        if let Some(key) = key.get() {
            // Gone already if the future completed; else it would stay until then.
            self.shared.remove_waker(key);
        }
        done
    }

    pub(crate) fn take(&mut self) -> Result<T, TaskError> {
        if self.shared.state() & TAKEN != 0 {
            return Err(TaskError::AlreadyTaken);
        }
        self.shared.state.fetch_or(TAKEN, Ordering::Relaxed);
        let taken = self.shared.result.with_mut(|cell| {
            // SAFETY: `DONE` was observed (Acquire) and the handle is alive, so the
            // completer no longer touches the cell and only this handle reads it
            // (`&mut self` excludes the `&self` readers).
            let cell = unsafe { &mut *cell };
            match cell {
                // An error stays readable by `exception` after it was handed out.
                Some(Err(error)) => Some(Err(error.clone())),
                _ => cell.take(),
            }
        });
        taken.unwrap_or(Err(TaskError::AlreadyTaken))
    }

    /// The stored result, once `DONE` was observed; `None` if a value was taken.
    fn peek(&self) -> Option<&Result<T, TaskError>> {
        debug_assert!(self.shared.is_done());
        // SAFETY: `DONE` was observed (Acquire), so the completer no longer touches the
        // cell; while `&self` lives no `&mut self` method (`take`) can run, and every
        // other reader only reads.
        self.shared.result.with(|cell| unsafe { (*cell).as_ref() })
    }

    /// The result, cloned: what a [`SharedFuture`](crate::SharedFuture) hands to each
    /// reader. The caller observed `DONE`.
    pub(crate) fn read_cloned(&self) -> Result<T, TaskError>
    where
        T: Clone,
    {
        match self.peek() {
            Some(Ok(value)) => Ok(value.clone()),
            Some(Err(_)) | None => Err(self.error().unwrap_or(TaskError::AlreadyTaken)),
        }
    }

    /// The error of a done future, without taking anything; `None` on success. Marks
    /// the error as read (only then: a success costs no write to the shared state).
    fn error(&self) -> Option<TaskError> {
        match self.peek() {
            Some(Err(error)) => {
                self.shared.state.fetch_or(ERROR_READ, Ordering::Relaxed);
                Some(error.clone())
            }
            // A value, or a value already taken: the task succeeded.
            Some(Ok(_)) | None => None,
        }
    }

    /// Waits for the task and returns its error, or `None` if it succeeded: Python's
    /// `future.exception()`. It takes nothing: the result can still be read after it,
    /// and it may be called any number of times. Reading the error counts as
    /// observing it (nothing is reported when the future is dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::{TaskError, ThreadPool};
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// let ok = pool.submit(|| 1)?;
    /// assert_eq!(ok.exception(), None);
    /// assert_eq!(ok.result()?, 1);
    ///
    /// let failed = pool.submit(|| -> u8 { panic!("bad input") })?;
    /// assert!(matches!(failed.exception(), Some(TaskError::Panicked { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exception(&self) -> Option<TaskError> {
        self.wait();
        self.error()
    }

    /// [`exception`](Self::exception), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TaskError::TimedOut`] if the task was not done in time (Python raises
    /// `TimeoutError`); the future stays usable.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| "fine")?;
    /// assert_eq!(future.exception_timeout(Duration::from_secs(30)), Ok(None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exception_timeout(&self, timeout: Duration) -> Result<Option<TaskError>, TaskError> {
        if !self.wait_timeout(timeout) {
            return Err(TaskError::TimedOut);
        }
        Ok(self.error())
    }

    /// Waits until the task is done unless `stop` fires first, helping the pool if
    /// called from inside a pool task (as [`result_stoppable`](Self::result_stoppable)).
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired before the task was done.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::StopToken;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| ())?;
    /// assert_eq!(future.wait_stoppable(&StopToken::new()), Ok(()));
    /// assert!(future.done());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_stoppable(&self, stop: &StopToken) -> Result<(), Stopped> {
        if self.shared.is_done() {
            return Ok(());
        }
        let done = match current_worker() {
            // A task waiting on a task it queued (on its own deque, where no other
            // worker may look) must run it: blocking at once deadlocked a one-worker
            // pool until the token fired.
            Some(worker) => self.help(worker, Limit::Stop(stop)),
            None => self.shared.block(Block::Stop(stop)),
        };
        if done { Ok(()) } else { Err(Stopped) }
    }

    /// Makes this future readable by many: a cloneable handle whose
    /// [`result`](crate::SharedFuture::result) every clone may call, each getting a
    /// clone of the value (or the same error). Python's futures are all like this.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let config = pool.submit(|| String::from("loaded"))?.shared();
    /// let readers: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let config = config.clone();
    ///         std::thread::spawn(move || config.result())
    ///     })
    ///     .collect();
    /// for reader in readers {
    ///     assert_eq!(reader.join().unwrap()?, "loaded");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shared(self) -> crate::SharedFuture<T>
    where
        T: Clone,
    {
        crate::SharedFuture::new(self)
    }

    /// Waits until the task is done (finished, failed or cancelled), helping the pool
    /// if called from inside a pool task.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| ())?;
    /// future.wait();
    /// assert!(future.done());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait(&self) {
        if self.shared.is_done() {
            return;
        }
        match current_worker() {
            Some(worker) => {
                self.help(worker, Limit::Never);
            }
            None => {
                self.shared.block(Block::Forever);
            }
        }
    }

    /// Waits at most `timeout` for the task to be done; `false` if it was not.
    /// Inside a pool task it helps within the deadline, as
    /// [`result_timeout`](Self::result_timeout) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| ())?;
    /// assert!(future.wait_timeout(Duration::from_secs(30)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        if self.shared.is_done() {
            return true;
        }
        match (current_worker(), Instant::now().checked_add(timeout)) {
            (Some(worker), Some(deadline)) => self.help(worker, Limit::Deadline(deadline)),
            (Some(worker), None) => self.help(worker, Limit::Never),
            (None, Some(deadline)) => self.shared.block(Block::Until(deadline)),
            (None, None) => self.shared.block(Block::Forever),
        }
    }

    /// Whether the task is done: finished, failed or cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| ())?;
    /// future.wait();
    /// assert!(future.done());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn done(&self) -> bool {
        self.shared.state() & (DONE | RESOLVED) != 0
    }

    /// Whether the task is running right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| ())?;
    /// future.wait();
    /// assert!(!future.running());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn running(&self) -> bool {
        let state = self.shared.state();
        state & CLAIMED != 0 && state & (DONE | RESOLVED | CANCELLED) == 0
    }

    /// Whether the future was cancelled: a [`cancel`](Self::cancel) returned `true`,
    /// or a shutdown with `cancel_futures` cancelled it before it ran. Whenever it
    /// returns `true`, [`done`](Self::done) does too, and the result is
    /// [`TaskError::Cancelled`]. A task asked to stop with
    /// [`request_stop`](Self::request_stop) is not cancelled: it completes with what
    /// it returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| ())?;
    /// future.wait();
    /// assert!(!future.cancelled());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancelled(&self) -> bool {
        // Done as well: `cancel` sets CANCELLED before it completes the future, and a
        // cancelled future must also be done (Python's invariant).
        let state = self.shared.state();
        state & CANCELLED != 0 && state & (DONE | RESOLVED) != 0
    }

    /// Whether the task is done with an error other than cancellation (a panic, or a
    /// broken pool), without taking the result. `wait` with
    /// [`ReturnWhen::FirstException`](crate::ReturnWhen::FirstException) uses it.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| -> () { panic!("no") })?;
    /// future.wait();
    /// assert!(future.failed());
    /// # let _ = future.result();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn failed(&self) -> bool {
        self.shared.state() & FAILED != 0
    }

    /// Cancels the task if it has not started: Python's `Future.cancel()`.
    ///
    /// - **Not started:** the task will never run; the future completes as
    ///   [`TaskError::Cancelled`] before `cancel` returns, which returns `true`.
    /// - **Running or done:** returns `false` and changes nothing: a running task
    ///   goes on, and its future completes with what it returns (as in Python). To
    ///   ask a running task to stop, use [`request_stop`](Self::request_stop).
    /// - **Cancelled already:** returns `true` again.
    ///
    /// So [`cancelled`](Self::cancelled) is `true` exactly when a `cancel` returned
    /// `true` (or [`ThreadPool::shutdown`](crate::ThreadPool::shutdown) with
    /// `cancel_futures` cancelled it). A cancel that races the task's start is decided
    /// by one atomic step on the future's state: either the task was claimed to run
    /// first (`false`) or the cancel came first (`true`, and the task never runs).
    ///
    /// A cancelled future is not a failure: dropping it unread reports nothing to the
    /// [unobserved-failure hook](crate::set_unobserved_failure_hook), and
    /// [`failed`](Self::failed) stays `false`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weftkit::executor::{TaskError, ThreadPool};
    /// use weftkit::sync::Event;
    ///
    /// let pool = ThreadPool::builder().max_workers(1).build()?;
    /// let gate = Arc::new(Event::new());
    /// let g = Arc::clone(&gate);
    /// let busy = pool.submit(move || {
    ///     g.wait();
    ///     "kept"
    /// })?; // occupies the only worker
    /// let queued = pool.submit(|| "never runs")?;
    /// assert!(queued.cancel());
    /// while !busy.running() {
    ///     std::thread::yield_now();
    /// }
    /// assert!(!busy.cancel()); // running: cancel changes nothing...
    /// gate.set();
    /// assert_eq!(queued.result(), Err(TaskError::Cancelled));
    /// assert!(!busy.cancelled());
    /// assert_eq!(busy.result()?, "kept"); // ...and the task's value stands
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel(&self) -> bool {
        let (cancelled, won) = self.shared.cancel_unstarted();
        if won {
            self.shared.complete(Err(TaskError::Cancelled));
        }
        cancelled
    }

    /// Asks the task to stop, cooperatively: its [`StopToken`] (see
    /// [`stop_token`](crate::stop_token)) fires, so a stop-aware wait inside it
    /// (`get_stoppable`, `wait_stoppable`, `result_stoppable`, ...) returns early and
    /// a loop that checks [`StopToken::is_stopped`] can end. This goes beyond Python,
    /// whose running tasks cannot be asked anything.
    ///
    /// It decides no outcome: the task returns what it chooses (a value, or an error
    /// it returns), and the future completes with that. A task that ignores its token
    /// runs to the end as usual. Returns `true` if the request was delivered: the task
    /// is running (its token fires now) or has not started (its token is already
    /// fired when it starts, unless [`cancel`](Self::cancel) keeps it from starting);
    /// `false` if the future was already done.
    ///
    /// The request reaches work that reads its token: a [`ThreadPool`](crate::ThreadPool)
    /// task through [`stop_token`](crate::stop_token), a [`Promise`](crate::Promise)'s
    /// producer through [`Promise::stop_token`](crate::Promise::stop_token). A process
    /// pool's task runs in another process, which no token reaches: there the request
    /// is recorded (`true`) and changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weftkit::executor::{stop_token, ThreadPool};
    /// use weftkit::sync::Queue;
    ///
    /// let pool = ThreadPool::builder().max_workers(1).build()?;
    /// let jobs = Arc::new(Queue::<u32>::unbounded());
    /// let q = Arc::clone(&jobs);
    /// // The task decides what a stop means: here, "no job came".
    /// let future = pool.submit(move || q.get_stoppable(&stop_token()).ok())?;
    /// assert!(future.request_stop());
    /// assert_eq!(future.result()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request_stop(&self) -> bool {
        self.shared.request_stop()
    }

    /// Calls `callback` with the result once the task is done — at once, on this
    /// thread, if it already is; otherwise on the thread that completes it, before
    /// waiters are released. A panicking callback is reported on stderr and ignored.
    /// Inside the callback the future already reads as [`done`](Self::done) (as in
    /// Python), but its result is handed over only after the callbacks: a callback
    /// must not wait for the result of the future it was added to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let (tx, rx) = mpsc::channel();
    /// let future = pool.submit(|| 5)?;
    /// future.add_done_callback(move |result| tx.send(*result.as_ref().unwrap()).unwrap());
    /// assert_eq!(rx.recv().unwrap(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_done_callback(&self, callback: impl FnOnce(&Result<T, TaskError>) + Send + 'static) {
        let mut slot = self.shared.hooks.lock();
        if !slot.callbacks_closed {
            slot.hooks().callbacks.push(Box::new(callback));
            return;
        }
        drop(slot);
        // The completer is past its callbacks; once `DONE` is set the result is ours.
        self.shared.block(Block::Forever);
        // SAFETY: `DONE` is set and the handle is alive: only this handle touches the
        // cell (and `&self` excludes a concurrent `take`).
        let result = self.shared.result.with(|cell| unsafe { (*cell).as_ref() });
        match result {
            Some(result) => run_callback(Box::new(callback), result),
            None => run_callback(Box::new(callback), &Err(TaskError::AlreadyTaken)),
        }
    }

    /// The shared state, for `wait`/`as_completed`.
    pub(crate) fn inner(&self) -> &Arc<Shared<T>> {
        &self.shared
    }
}

impl<T> Drop for Future<T> {
    fn drop(&mut self) {
        // An awaiting task that gave up leaves no waker behind (and none is woken).
        self.forget_async_waker();
        if self.shared.state() & TAKEN != 0 {
            return;
        }
        let previous = self.shared.state.fetch_or(HANDLE_DROPPED, Ordering::AcqRel);
        if previous & DONE != 0 && previous & FAILED != 0 && previous & ERROR_READ == 0 {
            let taken = self.shared.result.with_mut(|cell| {
                // SAFETY: `DONE` is set, so the completer is finished with the cell.
                unsafe { (*cell).take() }
            });
            if let Some(Err(error)) = taken {
                report_unobserved(error);
            }
        }
    }
}

/// The identity of a [`Future`]: stable for the future's life, shared by the clones of
/// a [`SharedFuture`](crate::SharedFuture), and never equal for two futures alive at
/// the same time (an id may be reused once its future and every handle to it are
/// gone). Made by [`Future::id`].
///
/// # Examples
///
/// ```
/// let pool = weftkit::executor::ThreadPool::builder().build()?;
/// let (a, b) = (pool.submit(|| 1)?, pool.submit(|| 2)?);
/// assert_ne!(a.id(), b.id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FutureId(usize);

impl<T> Future<T> {
    /// This future's identity: what Python code gets from using the future itself as
    /// a dict key. `Future` is also `Eq` and `Hash` by this identity, so futures can
    /// be map keys (`HashMap<Future<T>, Input>`), as in Python's
    /// `future_to_url[future]`. (Clippy's `mutable_key_type` lint does not know that
    /// the hash is the identity, which never changes: allow it where futures are keys,
    /// or keep `(key, future)` pairs, which [`as_completed`](crate::as_completed) hands
    /// back as pairs.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| 6 * 7)?;
    /// let id = future.id();
    /// let mut inputs = HashMap::new();
    /// inputs.insert(future, "six times seven"); // the future moves; its id does not
    /// let (future, input) = inputs.into_iter().next().unwrap();
    /// assert_eq!((future.id(), input), (id, "six times seven"));
    /// assert_eq!(future.result()?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> FutureId {
        // The shared state's address: fixed while any handle or the task holds it.
        FutureId(std::ptr::from_ref::<Shared<T>>(&*self.shared).addr())
    }
}

impl<T> PartialEq for Future<T> {
    /// Two futures are equal when they are the same future (see [`Future::id`]).
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<T> Eq for Future<T> {}

impl<T> std::hash::Hash for Future<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.cancelled() {
            "cancelled"
        } else if self.failed() {
            "failed"
        } else if self.done() {
            "finished"
        } else if self.running() {
            "running"
        } else {
            "pending"
        };
        f.debug_struct("Future")
            .field("status", &status)
            .finish_non_exhaustive()
    }
}
