//! [`ThreadPoolBuilder`]: how a pool is configured.

use std::fmt;

use crate::registry::{Config, Initializer, Registry};
use crate::{BuildError, ThreadPool};

/// The queue bound a pool gets unless told otherwise: enough to keep every worker busy
/// through bursts, small enough that a runaway producer cannot exhaust memory (a queued
/// task costs about 100–200 bytes plus what its closure captures).
pub const DEFAULT_QUEUE_CAPACITY: usize = 65_536;

/// What `submit` does when the queue is full.
///
/// # Examples
///
/// ```
/// use weftkit::executor::{ThreadPool, WhenFull};
///
/// let pool = ThreadPool::builder().queue_capacity(10).when_full(WhenFull::CallerRuns).build()?;
/// # Ok::<(), weftkit::executor::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WhenFull {
    /// `submit` waits for room (the default): the producer slows to the pool's pace.
    #[default]
    Block,
    /// `submit` returns [`SubmitError::Full`](crate::SubmitError::Full) with the task.
    Reject,
    /// The submitting thread runs the task itself, then `submit` returns its
    /// (finished) future.
    CallerRuns,
}

/// Configures a [`ThreadPool`]; made by [`ThreadPool::builder`].
///
/// # Examples
///
/// ```
/// use weftkit::executor::{ThreadPool, WhenFull};
///
/// let pool = ThreadPool::builder()
///     .max_workers(4)
///     .queue_capacity(1_000)
///     .when_full(WhenFull::Block)
///     .thread_name_prefix("resize")
///     .initializer(|| println!("worker up"))
///     .build()?;
/// assert_eq!(pool.max_workers(), 4);
/// # Ok::<(), weftkit::executor::BuildError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct ThreadPoolBuilder {
    max_workers: Option<usize>,
    capacity: Option<usize>,
    weight_limit: Option<usize>,
    when_full: WhenFull,
    thread_name_prefix: String,
    initializer: Option<Initializer>,
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        Self {
            max_workers: None,
            capacity: Some(DEFAULT_QUEUE_CAPACITY),
            weight_limit: None,
            when_full: WhenFull::Block,
            thread_name_prefix: "weft-worker".to_owned(),
            initializer: None,
        }
    }
}

impl ThreadPoolBuilder {
    /// The most worker threads (default: the number of logical CPUs). Workers start
    /// lazily, one per submit that finds no idle worker, up to this number.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().max_workers(2).build()?;
    /// assert_eq!(pool.max_workers(), 2);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Bounds the queue of tasks waiting for a worker (default:
    /// [`DEFAULT_QUEUE_CAPACITY`]). The bound applies to submits from outside the
    /// pool; a task submitting from inside is always admitted (blocking a worker on
    /// its own pool's queue could deadlock it), so `queued` may pass it then.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::{SubmitError, ThreadPool, WhenFull};
    /// use weftkit::sync::Event;
    ///
    /// let pool = ThreadPool::builder().max_workers(1).queue_capacity(1).when_full(WhenFull::Reject).build()?;
    /// let gate = std::sync::Arc::new(Event::new());
    /// let (held, started) = (std::sync::Arc::clone(&gate), std::sync::Arc::new(Event::new()));
    /// let running = std::sync::Arc::clone(&started);
    /// let busy = pool.submit(move || { running.set(); held.wait(); })?;
    /// started.wait(); // the worker is busy: the next task waits in the queue
    /// let queued = pool.submit(|| ())?;
    /// assert!(matches!(pool.submit(|| ()), Err(SubmitError::Full(_))));
    /// gate.set();
    /// # let _ = (busy.result(), queued.result());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.capacity = Some(n);
        self
    }

    /// Removes the bound on the queue: `submit` never waits, and memory grows with the
    /// backlog (Python's behaviour; opt in only when producers are bounded elsewhere).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().unbounded().build()?;
    /// let futures: Vec<_> = (0..10_000).map(|i| pool.submit(move || i)).collect::<Result<_, _>>()?;
    /// assert_eq!(futures.into_iter().map(|f| f.result().unwrap()).sum::<i32>(), 49_995_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unbounded(mut self) -> Self {
        self.capacity = None;
        self
    }

    /// Bounds the summed cost of waiting tasks submitted with
    /// [`submit_weighted`](ThreadPool::submit_weighted) (bytes, rows: any unit the
    /// submitter states), so a few huge tasks cannot exhaust memory while many small
    /// ones still flow. Applies on top of [`queue_capacity`](Self::queue_capacity).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().queue_weight_limit(64 << 20).build()?;
    /// let rows = vec![0u8; 1 << 20];
    /// let future = pool.submit_weighted(rows.len(), move || rows.len())?;
    /// assert_eq!(future.result()?, 1 << 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn queue_weight_limit(mut self, limit: usize) -> Self {
        self.weight_limit = Some(limit);
        self
    }

    /// What `submit` does when the queue is full (default [`WhenFull::Block`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::{ThreadPool, WhenFull};
    ///
    /// let pool = ThreadPool::builder().when_full(WhenFull::CallerRuns).build()?;
    /// assert_eq!(pool.submit(|| 5)?.result()?, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn when_full(mut self, policy: WhenFull) -> Self {
        self.when_full = policy;
        self
    }

    /// Worker threads are named `<prefix>-<index>` (default prefix `weft-worker`, so
    /// `weft-worker-0`, `weft-worker-1`, ...; a prefix that already ends in `-` or `_`
    /// gets no second one). Workers are `weftkit::thread` daemon threads:
    /// `weftkit::thread::enumerate()` lists them under these names. A prefix with a NUL
    /// byte makes [`build`](Self::build) fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().thread_name_prefix("resize").build()?;
    /// let name = pool.submit(|| weftkit::thread::current().name().to_owned())?.result()?;
    /// assert!(name.starts_with("resize-"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name_prefix = prefix.into();
        self
    }

    /// Runs `init` once in each worker thread before it takes work. If it panics the
    /// pool is broken: tasks not yet run fail with
    /// [`TaskError::PoolBroken`](crate::TaskError::PoolBroken), and later submits return
    /// [`SubmitError::Broken`](crate::SubmitError::Broken) (Python's `BrokenThreadPool`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// thread_local!(static SCRATCH: Cell<u64> = const { Cell::new(0) });
    /// let pool = weftkit::executor::ThreadPool::builder().initializer(|| SCRATCH.set(42)).build()?;
    /// assert_eq!(pool.submit(|| SCRATCH.get())?.result()?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn initializer(mut self, init: impl Fn() + Send + Sync + 'static) -> Self {
        self.initializer = Some(Box::new(init));
        self
    }

    /// Builds the pool. No thread starts until the first task is submitted.
    ///
    /// # Errors
    ///
    /// [`BuildError`] for `max_workers(0)`, `queue_capacity(0)`,
    /// `queue_weight_limit(0)`, or a thread name prefix containing a NUL byte.
    pub fn build(self) -> Result<ThreadPool, BuildError> {
        let max_workers = self.max_workers.unwrap_or_else(num_cpus::get);
        if max_workers == 0 {
            return Err(BuildError::ZeroWorkers);
        }
        if self.thread_name_prefix.contains('\0') {
            return Err(BuildError::NulInThreadName);
        }
        if self.capacity == Some(0) {
            return Err(BuildError::ZeroCapacity);
        }
        if self.weight_limit == Some(0) {
            return Err(BuildError::ZeroWeightLimit);
        }
        let registry = Registry::new(Config {
            max_workers,
            capacity: self.capacity,
            weight_limit: self.weight_limit,
            thread_name_prefix: self.thread_name_prefix,
            initializer: self.initializer,
        });
        Ok(ThreadPool::from_parts(registry, self.when_full))
    }
}

impl fmt::Debug for ThreadPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("max_workers", &self.max_workers)
            .field("capacity", &self.capacity)
            .field("weight_limit", &self.weight_limit)
            .field("when_full", &self.when_full)
            .field("thread_name_prefix", &self.thread_name_prefix)
            .field("initializer", &self.initializer.is_some())
            .finish()
    }
}
