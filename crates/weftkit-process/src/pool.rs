//! [`ProcessPool`]: Python's `ProcessPoolExecutor` / `multiprocessing.Pool`, minus their
//! failure modes.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use weftkit_executor::{Future, Promise, TaskError};
use weftkit_shim::sync::atomic::Ordering;
use weftkit_shim::sync::{Arc, Mutex};
use weftkit_shim::thread::JoinHandle;

use crate::SubmitError;
use crate::builder::{ProcessPoolBuilder, WhenFull};
use crate::call::Call;
use crate::state::{Job, Shared, TypedSink};

/// Why a task was not queued.
#[derive(Debug)]
pub(crate) enum Refused {
    Full,
    ShutDown,
    Broken(String),
}

impl Refused {
    fn with<A>(self, args: A) -> SubmitError<A> {
        match self {
            Self::Full => SubmitError::Full(args),
            Self::ShutDown => SubmitError::ShutDown(args),
            Self::Broken(reason) => SubmitError::Broken { reason, args },
        }
    }

    /// The error an item of a `map` gets when its chunk was refused.
    pub(crate) fn task_error(&self) -> TaskError {
        match self {
            Self::Full => TaskError::QueueFull,
            Self::ShutDown => TaskError::ShutDown,
            Self::Broken(reason) => TaskError::PoolBroken {
                reason: reason.clone(),
            },
        }
    }
}

/// A snapshot of a pool's counters.
///
/// # Examples
///
/// ```
/// weftkit::process::init();
/// let pool = weftkit::process::ProcessPool::builder().max_workers(1).build()?;
/// assert_eq!(pool.submit(|n: u8| n, 1)?.result()?, 1);
/// let stats = pool.stats();
/// assert_eq!((stats.completed, stats.queued, stats.running), (1, 0, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Worker processes alive (starting or running).
    pub workers_alive: usize,
    /// Workers started to replace one that died, was killed at a deadline, or retired
    /// after `max_tasks_per_child` tasks.
    pub restarts: u64,
    /// Worker starts that failed: refused by the system, or a worker that died or
    /// was too slow before it was ready. The pool tries again; it breaks only when
    /// starting keeps failing, or when no worker is left to do the work.
    pub failed_starts: u64,
    /// Tasks waiting for a worker (a chunk of a `map` counts as one task).
    pub queued: usize,
    /// Tasks handed to workers and not finished. A worker is handed several short
    /// tasks at once, so this counts tasks waiting in a worker too; such a task can
    /// no longer be cancelled.
    pub running: usize,
    /// Tasks finished, successfully or not, in a worker.
    pub completed: u64,
}

/// A pool of worker processes that run `fn` items on serde arguments, and survives its
/// workers: a worker that crashes, aborts, exits or hangs past its deadline fails only
/// the task it was running, and is replaced.
///
/// Workers are this same program started again: call [`init`](crate::init) first in
/// `main`. Tasks are `fn` items or non-capturing closures, `fn(A) -> R` with `A` and `R`
/// serde types, so what cannot cross a process boundary does not compile. Arguments
/// and results travel as checked postcard frames (see the crate's `wire/README.md`).
///
/// # Examples
///
/// ```
/// use weftkit::process::ProcessPool;
///
/// fn collatz_steps(mut n: u64) -> u32 {
///     let mut steps = 0;
///     while n != 1 {
///         n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
///         steps += 1;
///     }
///     steps
/// }
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     weftkit::process::init(); // first: in a worker, this runs tasks and never returns
///     let pool = ProcessPool::builder().max_workers(2).build()?;
///     assert_eq!(pool.submit(collatz_steps, 27)?.result()?, 111);
///     let longest = pool
///         .map(collatz_steps, 1..10_000u64)
///         .chunksize(500)
///         .map(Result::unwrap)
///         .max();
///     assert_eq!(longest, Some(261));
///     Ok(())
/// }
/// ```
///
/// # Differences from Python's `concurrent.futures.ProcessPoolExecutor` and `multiprocessing.Pool`
///
/// - A worker killed mid-task (`kill -9`, `abort`, `exit`) fails that one task with
///   [`TaskError::WorkerDied`] and is replaced; Python's executor breaks for good
///   (`BrokenProcessPool`) and `multiprocessing.Pool` hangs.
/// - Only `fn` items and non-capturing closures are accepted, checked at compile time:
///   no pickling errors at run time, no bound method silently dropped.
/// - A per-task [`timeout`](ProcessPoolBuilder::timeout) kills and replaces a hung
///   worker ([`TaskError::DeadlineExceeded`]); Python has only timed waits.
/// - The submit queue is bounded ([`WhenFull`]); Python's grows without limit.
/// - Workers are started with exec, never forked from a threaded parent.
/// - A panic comes back with its message and `file:line:col`.
/// - `retries`, `terminate_workers`, `kill_workers` and [`stats`](Self::stats) have no
///   Python counterpart (`Pool.terminate` is closest to `terminate_workers`).
/// - `map` is lazy with a bounded window and yields one `Result` per item.
/// - A worker the pool kills (deadline, `kill_workers`) takes its process group with
///   it: the programs its tasks started go too, unless they left the group.
/// - Short tasks are handed to a worker several at a time (up to 64 while its tasks
///   take under a millisecond, otherwise 2), to hide the round trip. A task handed
///   out counts as running: `cancel` no longer stops it, `shutdown(cancel_futures)`
///   lets it run, and [`Stats::running`] counts it.
/// - Workers die with the parent at once on Linux (a parent-death signal); elsewhere
///   a worker notices only when it next reads its socket, after its current task.
/// - Ctrl-C: workers run in their own process group and ignore `SIGINT`, so the
///   parent alone decides; by default it dies
///   and its workers follow at once (no orphans, no hang, no tracebacks from each
///   worker). A program that handles `SIGINT` calls [`shutdown`](Self::shutdown) or
///   [`kill_workers`](Self::kill_workers) on the thread that receives the signal
///   (for example through the `ctrlc` or `signal-hook` crate), never inside an async
///   signal handler itself: both take locks and wait for a thread. Programs a task
///   starts inherit the ignored `SIGINT`. Ctrl-Z likewise stops only the parent:
///   its workers finish the task at hand, then wait. (Being a background process
///   group, a worker that prints to a terminal set to `stty tostop` is stopped;
///   give the pool a `timeout` in such a setting.)
/// - Ctrl-C as `KeyboardInterrupt`, opt-in: a pool built with
///   [`cancel_on_interrupt`](ProcessPoolBuilder::cancel_on_interrupt) ends at the first
///   `SIGINT` as with [`terminate_workers`](Self::terminate_workers), so a thread
///   blocked in `result()` or in a `map` gets [`TaskError::Cancelled`] and the program
///   carries on to clean up; a second Ctrl-C ends the program as usual.
pub struct ProcessPool {
    shared: Arc<Shared>,
    manager: Mutex<Option<JoinHandle<()>>>,
}

impl ProcessPool {
    /// Starts configuring a pool.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().max_workers(2).build()?;
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn builder() -> ProcessPoolBuilder {
        ProcessPoolBuilder::default()
    }

    pub(crate) fn from_parts(shared: Arc<Shared>, manager: JoinHandle<()>) -> Self {
        Self {
            shared,
            manager: Mutex::new(Some(manager)),
        }
    }

    /// Runs `f(args)` in a worker process and returns the [`Future`] of its result.
    /// When the queue is full it does what the pool's [`WhenFull`] says.
    ///
    /// An argument that fails to serialize gives a future already failed with
    /// [`TaskError::Codec`], and so does a function that a worker could not find (one
    /// in a shared library rather than in this executable); a result that fails to serialize in the worker fails the
    /// same way. Either way the pool carries on.
    ///
    /// A done callback ([`Future::add_done_callback`]) of this pool's futures runs on
    /// the pool's manager thread, as in Python: keep it short, since the pool hands out
    /// no work while it runs. A `submit` from inside one never waits for room (that
    /// would wait for the manager itself): a full queue gives [`SubmitError::Full`]
    /// even under [`WhenFull::Block`]. Waiting there for a future of the same pool
    /// (`result`, or iterating a `map`) would wait for the manager itself, and never
    /// returns: hand such work to another thread.
    ///
    /// # Errors
    ///
    /// [`SubmitError::ShutDown`] after [`shutdown`](Self::shutdown) (or
    /// `terminate_workers`/`kill_workers`), [`SubmitError::Full`] when full under
    /// [`WhenFull::Reject`], [`SubmitError::Broken`] once the pool is broken. The
    /// argument comes back inside the error.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().max_workers(1).build()?;
    /// let future = pool.submit(|s: String| s.len(), "hello".to_owned())?;
    /// assert_eq!(future.result()?, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit<A, R>(&self, f: fn(A) -> R, args: A) -> Result<Future<R>, SubmitError<A>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + 'static,
    {
        let (promise, future) = Promise::new();
        let bytes = match postcard::to_allocvec(&args) {
            Ok(bytes) => bytes,
            Err(error) => {
                promise.complete(Err(TaskError::Codec {
                    message: format!("the argument did not encode: {error}"),
                }));
                return Ok(future);
            }
        };
        if let Err(message) = crate::wire::check_args(&bytes) {
            promise.complete(Err(TaskError::Codec { message }));
            return Ok(future);
        }
        let call = match Call::new(f) {
            Ok(call) => call,
            Err(message) => {
                promise.complete(Err(TaskError::Codec { message }));
                return Ok(future);
            }
        };
        let job = self.job(call, bytes, promise, decode_one::<R>);
        let block = self.shared.config.when_full == WhenFull::Block;
        match self.enqueue(job, block) {
            Ok(()) => Ok(future),
            Err((refused, job)) => {
                // The future is dropped unobserved: complete it quietly.
                job.sink.fail(TaskError::Cancelled);
                drop(future);
                Err(refused.with(args))
            }
        }
    }

    pub(crate) fn job<T: Send + 'static>(
        &self,
        call: Call,
        args: Vec<u8>,
        promise: Promise<T>,
        decode: fn(&[u8]) -> Result<T, TaskError>,
    ) -> Job {
        Job {
            id: self.shared.next_id.fetch_add(1, Ordering::Relaxed),
            call,
            args,
            sink: Box::new(TypedSink::new(promise, decode, "in the parent")),
            attempts: 0,
        }
    }

    /// Queues `job`, waiting for room if `block`.
    pub(crate) fn enqueue(&self, job: Job, block: bool) -> Result<(), (Refused, Job)> {
        let shared = &self.shared;
        let mut state = shared.lock();
        loop {
            if let Some(reason) = &state.broken {
                return Err((Refused::Broken(reason.clone()), job));
            }
            if state.shutdown {
                return Err((Refused::ShutDown, job));
            }
            if shared.config.capacity.is_none_or(|c| state.queue.len() < c) {
                break;
            }
            // On the manager thread (a done callback), waiting for room would wait for
            // the manager itself: refuse instead.
            if !block || crate::manager::is_manager_of(shared) {
                return Err((Refused::Full, job));
            }
            shared.wake();
            state = shared
                .room
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        state.queue.push_back(job);
        shared
            .counters
            .queued
            .store(state.queue.len(), Ordering::Relaxed);
        drop(state);
        shared.wake();
        Ok(())
    }

    /// Stops taking tasks; with `wait`, returns once every queued task has run (or, with
    /// `cancel_futures`, been cancelled) and every worker has exited and been reaped.
    /// Running tasks always finish. Calling it again is harmless. Inside a done
    /// callback of this pool's futures (which runs on the pool's manager thread) it
    /// cannot wait for that thread: it returns at once, and the pool ends once the
    /// callback has returned and the work is done. The same holds for dropping the
    /// pool there.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::process::{ProcessPool, SubmitError};
    ///
    /// weftkit::process::init();
    /// let pool = ProcessPool::builder().max_workers(1).build()?;
    /// let future = pool.submit(|n: u32| n * 2, 21)?;
    /// pool.shutdown(true, false);
    /// assert_eq!(future.result()?, 42); // queued work still ran
    /// assert!(matches!(pool.submit(|n: u32| n, 1), Err(SubmitError::ShutDown(1))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let cancelled: Vec<Job> = {
            let mut state = self.shared.lock();
            state.shutdown = true;
            self.shared.room.notify_all();
            if cancel_futures {
                state.queue.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        for job in cancelled {
            job.sink.fail(TaskError::Cancelled);
        }
        self.shared.wake();
        if wait {
            self.join_manager();
        }
    }

    /// Ends the pool at once: every worker gets `SIGTERM` (then `SIGKILL` if it has not
    /// exited within a second) and is reaped; every pending future fails with
    /// [`TaskError::Cancelled`]. Returns once the workers are gone.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().max_workers(1).build()?;
    /// pool.terminate_workers();
    /// assert_eq!(pool.stats().workers_alive, 0);
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn terminate_workers(&self) {
        self.end(crate::os::SIGTERM);
    }

    /// As [`terminate_workers`](Self::terminate_workers), with `SIGKILL` straight away.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().max_workers(1).build()?;
    /// pool.kill_workers();
    /// assert!(pool.submit(|n: u8| n, 1).is_err());
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn kill_workers(&self) {
        self.end(crate::os::SIGKILL);
    }

    fn end(&self, signal: i32) {
        self.shared.begin_end(signal);
        self.join_manager();
    }

    fn join_manager(&self) {
        if crate::manager::is_manager_of(&self.shared) {
            // A done callback ended or dropped the pool: the manager cannot join
            // itself, nor wait for the lock below, which a joiner on another thread
            // may hold while it waits for this very thread. The manager ends once
            // the callback returns.
            return;
        }
        // The join happens under the lock: a second `shutdown(wait)` blocks here until
        // the first one's join is over, instead of finding the handle taken and
        // returning while the manager still runs.
        let mut manager = self
            .manager
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(handle) = manager.take() {
            // A panic in the manager is a bug; its guard broke the pool and failed
            // every job while it unwound.
            let _ = handle.join();
        }
    }

    /// A snapshot of the pool's counters.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().build()?;
    /// assert_eq!(pool.stats().workers_alive, 0); // workers start with the first task
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        Stats {
            workers_alive: c.alive.load(Ordering::Relaxed),
            restarts: c.restarts.load(Ordering::Relaxed),
            failed_starts: c.failed_starts.load(Ordering::Relaxed),
            queued: c.queued.load(Ordering::Relaxed),
            running: c.running.load(Ordering::Relaxed),
            completed: c.completed.load(Ordering::Relaxed),
        }
    }

    /// Why the pool is broken, if it is.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().build()?;
    /// assert_eq!(pool.broken_reason(), None);
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn broken_reason(&self) -> Option<String> {
        self.shared.lock().broken.clone()
    }

    /// The most worker processes this pool runs at once.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().max_workers(3).build()?;
    /// assert_eq!(pool.max_workers(), 3);
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn max_workers(&self) -> usize {
        self.shared.config.max_workers
    }
}

/// Decodes one task's result.
fn decode_one<R: DeserializeOwned>(bytes: &[u8]) -> Result<R, TaskError> {
    postcard::from_bytes(bytes).map_err(|e| TaskError::Codec {
        message: format!(
            "the result did not decode in the parent: {e}; {}",
            crate::wire::DECODE_HINT
        ),
    })
}

impl Drop for ProcessPool {
    /// Shuts down and waits, as Python's `with ProcessPoolExecutor() as ex:` does.
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessPool")
            .field("max_workers", &self.max_workers())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
