//! [`MpiPool`]: `mpi4py.futures.MPIPoolExecutor`, with the process pool's interface.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use weftkit_executor::{Future, Promise, TaskError};
use weftkit_process::remote::RemoteCall;
use weftkit_process::{SubmitError, WhenFull};
use weftkit_shim::sync::atomic::Ordering;
use weftkit_shim::sync::{Arc, Mutex};
use weftkit_shim::thread::JoinHandle;

use crate::BuildError;
use crate::engine::{self, Counters};
use crate::job::{Job, TypedSink};
use crate::state::{Refused, Shared};

/// The default bound of the submit queue.
pub const DEFAULT_QUEUE_CAPACITY: usize = 4096;

/// Configures an [`MpiPool`]; made by [`MpiPool::builder`].
///
/// # Examples
///
/// ```
/// use weftkit::mpi::{MpiPool, WhenFull};
///
/// let builder = MpiPool::builder().queue_capacity(100).when_full(WhenFull::Reject);
/// // build() needs weftkit::mpi::init() under mpirun first
/// # let _ = builder;
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until build() is called"]
pub struct MpiPoolBuilder {
    capacity: Option<usize>,
    when_full: WhenFull,
}

impl Default for MpiPoolBuilder {
    fn default() -> Self {
        Self {
            capacity: Some(DEFAULT_QUEUE_CAPACITY),
            when_full: WhenFull::Block,
        }
    }
}

impl MpiPoolBuilder {
    /// Bounds the submit queue to `n` tasks (default [`DEFAULT_QUEUE_CAPACITY`]); a
    /// chunk of a `map` counts as one.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = weftkit::mpi::MpiPool::builder().queue_capacity(16);
    /// # let _ = builder;
    /// ```
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.capacity = Some(n);
        self
    }

    /// Lets the submit queue grow without bound (Python's behaviour).
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = weftkit::mpi::MpiPool::builder().unbounded();
    /// # let _ = builder;
    /// ```
    pub fn unbounded(mut self) -> Self {
        self.capacity = None;
        self
    }

    /// What `submit` does when the queue is full: wait (the default) or refuse.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = weftkit::mpi::MpiPool::builder().when_full(weftkit::mpi::WhenFull::Reject);
    /// # let _ = builder;
    /// ```
    pub fn when_full(mut self, when_full: WhenFull) -> Self {
        self.when_full = when_full;
        self
    }

    /// Builds the pool on rank 0, over every other rank of the job.
    ///
    /// # Errors
    ///
    /// [`BuildError::NotInitialized`] without a successful [`init`](crate::init),
    /// [`BuildError::SingleRank`] in a job of one rank, [`BuildError::InUse`] while
    /// another pool runs, [`BuildError::ZeroCapacity`], [`BuildError::Os`].
    ///
    /// # Examples
    ///
    /// ```
    /// // outside mpirun, or before init(): a clear error, never a hang
    /// assert!(weftkit::mpi::MpiPool::builder().build().is_err());
    /// ```
    pub fn build(self) -> Result<MpiPool, BuildError> {
        if self.capacity == Some(0) {
            return Err(BuildError::ZeroCapacity);
        }
        let context = crate::init::context().ok_or(BuildError::NotInitialized)?;
        if context.comm.size() < 2 {
            return Err(BuildError::SingleRank);
        }
        if context.pool_alive.swap(true, Ordering::AcqRel) {
            return Err(BuildError::InUse);
        }
        let shared = Arc::new(Shared::new(self.capacity.unwrap_or(usize::MAX)));
        let counters = Arc::new(Counters::default());
        let engine = {
            let (shared, counters) = (Arc::clone(&shared), Arc::clone(&counters));
            weftkit_shim::thread::Builder::new()
                .name("weft-mpi-engine".to_owned())
                .spawn(move || {
                    engine::run(
                        &context.comm,
                        &shared,
                        &counters,
                        &context.next_id,
                        &context.pool_alive,
                    );
                })
        };
        let engine = match engine {
            Ok(engine) => engine,
            Err(error) => {
                context.pool_alive.store(false, Ordering::Release);
                return Err(BuildError::Os(error.to_string()));
            }
        };
        Ok(MpiPool {
            shared,
            counters,
            engine: Mutex::new(Some(engine)),
            workers: usize::try_from(context.comm.size() - 1).unwrap_or(0),
            when_full: self.when_full,
        })
    }
}

/// A snapshot of a pool's counters.
///
/// # Examples
///
/// ```
/// let stats = weftkit::mpi::Stats::default();
/// assert_eq!((stats.queued, stats.running, stats.completed), (0, 0, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Worker ranks (every rank but 0).
    pub workers: usize,
    /// Tasks waiting for a worker (a chunk of a `map` counts as one task).
    pub queued: usize,
    /// Tasks handed to workers and not finished; a worker holds several short tasks
    /// at once, so this counts tasks waiting in a worker too (no longer cancellable).
    pub running: usize,
    /// Tasks finished, successfully or not, on a worker.
    pub completed: u64,
}

/// The process pool's interface across the ranks of an MPI job: Python's
/// `mpi4py.futures.MPIPoolExecutor`.
///
/// The job is SPMD: `mpirun -n N ./prog` runs this program on N ranks, each calls
/// [`init`](crate::init) first in `main`, rank 0 goes on as the client and builds the
/// pool, the other N - 1 ranks run its tasks. Tasks are `fn` items or non-capturing
/// closures `fn(A) -> R` with serde arguments and results, named as weftkit-process
/// names them (offsets in the same executable) and carried as postcard bytes in MPI
/// messages. [`submit`](Self::submit) returns the same
/// [`Future`](weftkit_executor::Future) as the thread and process pools, so
/// `as_completed`, `wait` and callbacks work across all three.
///
/// Workers pull: each holds at most 2 tasks while its tasks are long (up to 64 while
/// they take under a millisecond), and gets more only as it replies, so unequal tasks
/// balance themselves.
///
/// Done callbacks (`Future::add_done_callback`) of this pool's futures run on the
/// pool's engine thread: a callback that waits for this pool (the `result()` of
/// another of its futures, the next item of one of its maps) deadlocks it. See
/// [`submit`](Self::submit).
///
/// # Examples
///
/// ```no_run
/// use weftkit::mpi::MpiPool;
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
///     weftkit::mpi::init()?; // first: worker ranks run tasks here and never return
///     let pool = MpiPool::builder().build()?;
///     assert_eq!(pool.submit(collatz_steps, 27)?.result()?, 111);
///     let longest = pool.map(collatz_steps, 1..100_000u64).chunksize(1_000).map(Result::unwrap).max();
///     assert_eq!(longest, Some(350));
///     Ok(())
/// }
/// ```
///
/// # Differences from Python's `mpi4py.futures.MPIPoolExecutor`
///
/// - Workers are the ranks of the running job (SPMD, like `mpi4py.futures`'s
///   `python -m mpi4py.futures` mode and `MPICommExecutor`); nothing is spawned.
/// - Only `fn` items and non-capturing closures are accepted, checked at compile
///   time; no pickling errors at run time.
/// - The submit queue is bounded ([`WhenFull`]); Python's grows without limit.
/// - `map` is lazy with a bounded window and yields one `Result` per item; a failed
///   item does not end it.
/// - A rank that dies ends the MPI job (as in Python: OpenMPI's runtime aborts it); a
///   task that panics fails only its future.
/// - One pool at a time per job; the worker ranks serve one pool after another and
///   exit when rank 0's program ends, not when a pool shuts down (the next pool runs
///   on the same ranks, and a worker cannot know which pool is the last).
pub struct MpiPool {
    shared: Arc<Shared<Job>>,
    counters: Arc<Counters>,
    engine: Mutex<Option<JoinHandle<()>>>,
    workers: usize,
    when_full: WhenFull,
}

impl MpiPool {
    /// Starts configuring a pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = weftkit::mpi::MpiPool::builder();
    /// # let _ = builder;
    /// ```
    pub fn builder() -> MpiPoolBuilder {
        MpiPoolBuilder::default()
    }

    /// Runs `f(args)` on a worker rank and returns the [`Future`] of its result. When
    /// the queue is full it does what the pool's [`WhenFull`] says.
    ///
    /// An argument that fails to serialize gives a future already failed with
    /// [`TaskError::Codec`], and so does a function that another rank could not find
    /// (one in a shared library); a result that fails to serialize on the worker fails
    /// the same way. A panic in `f` fails the future with [`TaskError::Panicked`].
    /// Either way the rank and the pool go on.
    ///
    /// A done callback of this pool's futures runs on the pool's engine thread, the
    /// one thread that talks to the workers: keep it short, and never make it wait
    /// for this pool. A callback that calls `result()` on another future of this pool,
    /// iterates one of its [`Map`](crate::Map)s, or waits for anything the pool must
    /// deliver deadlocks the pool: the engine waits for itself. Hand such work to
    /// another thread (a thread pool, a channel) instead. A `submit` from inside one
    /// never waits for room (a full queue gives [`SubmitError::Full`]).
    ///
    /// # Errors
    ///
    /// [`SubmitError::ShutDown`] after [`shutdown`](Self::shutdown),
    /// [`SubmitError::Full`] when full under [`WhenFull::Reject`],
    /// [`SubmitError::Broken`] once an MPI call failed. The argument comes back.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
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
        let encoded = postcard::to_allocvec(&args)
            .map_err(|e| format!("the argument did not encode: {e}"))
            .and_then(|bytes| crate::map::check_args(bytes, ""))
            .and_then(|bytes| RemoteCall::new(f).map(|call| (call, bytes)));
        let (call, bytes) = match encoded {
            Ok(encoded) => encoded,
            Err(message) => {
                promise.complete(Err(TaskError::Codec { message }));
                return Ok(future);
            }
        };
        let job = Job {
            call,
            args: bytes,
            sink: Box::new(TypedSink::new(promise, decode_one::<R>, "on rank 0")),
        };
        match self.enqueue(job, self.when_full == WhenFull::Block) {
            Ok(()) => Ok(future),
            Err((refused, job)) => {
                // The future is dropped unobserved: complete it quietly.
                job.sink.fail(TaskError::Cancelled);
                drop(future);
                Err(match refused {
                    Refused::Full => SubmitError::Full(args),
                    Refused::ShutDown => SubmitError::ShutDown(args),
                    Refused::Broken(reason) => SubmitError::Broken { reason, args },
                })
            }
        }
    }

    /// Queues `job`, waiting for room if `block` (never on the engine thread).
    pub(crate) fn enqueue(&self, job: Job, block: bool) -> Result<(), (Refused, Job)> {
        self.shared.push(job, block && !engine::on_engine())
    }

    /// Stops taking tasks; with `wait`, returns once every queued task has run (or,
    /// with `cancel_futures`, been cancelled: Python's `shutdown(cancel_futures=True)`)
    /// and the pool's engine has ended. Tasks already handed to a worker always finish.
    /// The worker ranks stay, for the next pool. Calling it again is harmless; inside a
    /// done callback it cannot wait, and returns at once.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weftkit::mpi::MpiPool;
    /// use weftkit::process::SubmitError;
    ///
    /// weftkit::mpi::init()?;
    /// let pool = MpiPool::builder().build()?;
    /// let future = pool.submit(|n: u32| n * 2, 21)?;
    /// pool.shutdown(true, false);
    /// assert_eq!(future.result()?, 42); // queued work still ran
    /// assert!(matches!(pool.submit(|n: u32| n, 1), Err(SubmitError::ShutDown(1))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        for job in self.shared.shutdown(cancel_futures) {
            job.sink.fail(TaskError::Cancelled);
        }
        if wait && !engine::on_engine() {
            let mut engine = self
                .engine
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(handle) = engine.take() {
                // A panic in the engine is a bug; the pool is over either way.
                let _ = handle.join();
            }
        }
    }

    /// A snapshot of the pool's counters.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
    /// pool.submit(|n: u8| n, 1)?.result()?;
    /// assert_eq!(pool.stats().completed, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> Stats {
        Stats {
            workers: self.workers,
            queued: self.shared.queued(),
            running: self.counters.running.load(Ordering::Relaxed),
            completed: self.counters.completed.load(Ordering::Relaxed),
        }
    }

    /// How many worker ranks run this pool's tasks (the job's size less one).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?; // under mpirun -n 4
    /// assert_eq!(pool.max_workers(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_workers(&self) -> usize {
        self.workers
    }

    /// Why the pool is broken (an MPI call failed), if it is.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
    /// assert_eq!(pool.broken_reason(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn broken_reason(&self) -> Option<String> {
        self.shared.broken()
    }
}

/// Decodes one task's result.
fn decode_one<R: DeserializeOwned>(bytes: &[u8]) -> Result<R, TaskError> {
    postcard::from_bytes(bytes).map_err(|e| TaskError::Codec {
        message: format!(
            "the result did not decode on rank 0: {e}; {}",
            crate::wire::DECODE_HINT
        ),
    })
}

impl Drop for MpiPool {
    /// Shuts down and waits, as Python's `with MPIPoolExecutor() as ex:` does.
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for MpiPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpiPool")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
