//! [`ThreadPool`]: Python's `concurrent.futures.ThreadPoolExecutor`, work-stealing and bounded.

use std::fmt;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::{Duration, Instant};
use weftkit_sync::StopToken;

use crate::SubmitError;
use crate::builder::{ThreadPoolBuilder, WhenFull};
use crate::future::{Future, Shared};
use crate::registry::{Refused, Registry, Ticket};
use crate::task::{detached_job, future_job, run_detached_task, run_future_task};

/// How long a submit may wait for room.
#[derive(Debug, Clone, Copy)]
enum Wait<'a> {
    /// As the pool's [`WhenFull`] policy says.
    Policy,
    /// Not at all (`try_submit`).
    Never,
    /// Until the deadline (`None`: forever) or the token.
    Until(Option<Instant>, Option<&'a StopToken>),
}

/// What admission decided for one task.
enum Admit {
    /// Queue it; the ticket is released when it starts.
    Queue(Ticket),
    /// Run it on the submitting thread (`WhenFull::CallerRuns`).
    RunHere,
}

/// A pool of worker threads that run submitted tasks, with a bounded queue, futures,
/// and work stealing.
///
/// Tasks submitted from outside go to a global queue; tasks submitted by a task go to
/// its worker's own deque; idle workers steal from each other, then sleep (no CPU is
/// used while the pool is idle). Workers start lazily, up to
/// [`max_workers`](ThreadPoolBuilder::max_workers).
///
/// # Examples
///
/// ```
/// use weftkit::executor::ThreadPool;
///
/// let pool = ThreadPool::builder().max_workers(4).build()?;
/// let futures: Vec<_> = (1..=10u64)
///     .map(|n| pool.submit(move || n * n))
///     .collect::<Result<_, _>>()?;
/// let total: u64 = futures.into_iter().map(|f| f.result().unwrap()).sum();
/// assert_eq!(total, 385);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Differences from Python's `concurrent.futures.ThreadPoolExecutor`
///
/// - The queue is bounded by default ([`DEFAULT_QUEUE_CAPACITY`](crate::DEFAULT_QUEUE_CAPACITY));
///   Python's grows without limit (2,000,000 submits can take gigabytes). What a full
///   queue does is a choice: [`WhenFull::Block`], [`WhenFull::Reject`] or
///   [`WhenFull::CallerRuns`].
/// - `submit` returns a `Result`: a refused task comes back inside the error.
/// - Waiting on a future from inside a task runs other queued tasks meanwhile, so
///   nested submit-and-wait never deadlocks, whatever the pool size.
/// - `with ThreadPoolExecutor() as ex:` is the pool's scope: dropping it shuts it down
///   and waits, as `__exit__` does.
/// - Workers are daemon threads of `weftkit::thread` (listed by
///   `weftkit::thread::enumerate()`, named `<prefix>-<n>` where Python writes
///   `<prefix>_<n>`): a pool that is never dropped does not hold the process open
///   at exit, where Python joins its workers.
/// - `submit(fn, *args)` takes one closure that captures the arguments.
/// - [`map(f, items)`](Self::map) keeps Python's argument order, but is lazy with a
///   bounded window (Python's submits every item at once) and yields one `Result` per
///   item, so a failed item does not end the map; collect into `Result<Vec<_>, _>`
///   for Python's stop-at-the-first-error.
/// - Beyond Python: [`queued`](Self::queued), [`running`](Self::running) and
///   [`completed`](Self::completed) counts; weighted admission
///   ([`submit_weighted`](Self::submit_weighted)); a cooperative stop that reaches
///   running tasks through their [`StopToken`](crate::stop_token)
///   ([`Future::request_stop`](crate::Future::request_stop)).
pub struct ThreadPool {
    registry: Arc<Registry>,
    when_full: WhenFull,
}

impl ThreadPool {
    /// Starts configuring a pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().max_workers(2).build()?;
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::default()
    }

    pub(crate) fn from_parts(registry: Arc<Registry>, when_full: WhenFull) -> Self {
        Self {
            registry,
            when_full,
        }
    }

    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Submits `f` and returns the [`Future`] of its result. When the queue is full it
    /// does what the pool's [`WhenFull`] policy says.
    ///
    /// # Errors
    ///
    /// [`SubmitError::ShutDown`] after [`shutdown`](Self::shutdown);
    /// [`SubmitError::Full`] when full under [`WhenFull::Reject`];
    /// [`SubmitError::Spawn`] when no worker thread could be started at all. The task
    /// comes back inside the error.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit(|| "hello".len())?;
    /// assert_eq!(future.result()?, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_with(f, 0, Wait::Policy)
    }

    /// Submits `f` only if the queue has room now; never blocks and never runs `f` here.
    /// From inside one of the pool's tasks it is always admitted (see
    /// [`queue_capacity`](crate::ThreadPoolBuilder::queue_capacity)).
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit), and [`SubmitError::Full`] whenever the queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// assert_eq!(pool.try_submit(|| 1)?.result()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_submit<F, T>(&self, f: F) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_with(f, 0, Wait::Never)
    }

    /// Submits `f`, waiting at most `timeout` for room in the queue.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit), and [`SubmitError::Full`] if the queue stayed full.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// assert_eq!(pool.submit_timeout(|| 2, Duration::from_secs(1))?.result()?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_timeout<F, T>(&self, f: F, timeout: Duration) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_with(f, 0, Wait::Until(Instant::now().checked_add(timeout), None))
    }

    /// Submits `f`, waiting for room in the queue unless `stop` fires.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit), and [`SubmitError::Stopped`] if the token fired
    /// while the queue was full.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::StopToken;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let future = pool.submit_stoppable(|| 3, &StopToken::new())?;
    /// assert_eq!(future.result()?, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_stoppable<F, T>(
        &self,
        f: F,
        stop: &StopToken,
    ) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_with(f, 0, Wait::Until(None, Some(stop)))
    }

    /// Submits `f`, waiting for room whatever the pool's [`WhenFull`] policy (`map`).
    pub(crate) fn submit_blocking<F, T>(&self, f: F) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_with(f, 0, Wait::Until(None, None))
    }

    /// Submits `f` stating its cost (bytes, rows, ...), admitted against the pool's
    /// [`queue_weight_limit`](ThreadPoolBuilder::queue_weight_limit) as well as its
    /// queue capacity. A pool with no weight limit ignores the cost.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit), and [`SubmitError::TooHeavy`] if `cost` exceeds the
    /// whole limit (it could never be admitted).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::ThreadPool;
    ///
    /// let pool = ThreadPool::builder().queue_weight_limit(64 << 20).build()?; // 64 MiB
    /// let chunk = vec![0u8; 1 << 20];
    /// let len = chunk.len();
    /// let future = pool.submit_weighted(len, move || chunk.iter().map(|&b| b as u64).sum::<u64>())?;
    /// assert_eq!(future.result()?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_weighted<F, T>(&self, cost: usize, f: F) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_with(f, cost, Wait::Policy)
    }

    /// [`submit_weighted`](Self::submit_weighted) that never waits: submits `f` only if
    /// its cost and one queue slot fit now.
    ///
    /// # Errors
    ///
    /// As [`submit_weighted`](Self::submit_weighted), and [`SubmitError::Full`] when
    /// there is no room now.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().queue_weight_limit(100).build()?;
    /// let future = pool.try_submit_weighted(10, || "rows")?;
    /// assert_eq!(future.result()?, "rows");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_submit_weighted<F, T>(&self, cost: usize, f: F) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_with(f, cost, Wait::Never)
    }

    /// [`submit_weighted`](Self::submit_weighted) that waits at most `timeout` for
    /// room, whatever the pool's [`WhenFull`] policy.
    ///
    /// # Errors
    ///
    /// As [`submit_weighted`](Self::submit_weighted), and [`SubmitError::Full`] if the
    /// room did not come in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().queue_weight_limit(100).build()?;
    /// let future = pool.submit_weighted_timeout(10, || 7, Duration::from_secs(1))?;
    /// assert_eq!(future.result()?, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_weighted_timeout<F, T>(
        &self,
        cost: usize,
        f: F,
        timeout: Duration,
    ) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_with(
            f,
            cost,
            Wait::Until(Instant::now().checked_add(timeout), None),
        )
    }

    /// Runs `f` in the pool with no future (fire and forget). A panic in `f` is
    /// reported to the unobserved-failure hook.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let (tx, rx) = mpsc::channel();
    /// pool.execute(move || tx.send(7).unwrap())?;
    /// assert_eq!(rx.recv().unwrap(), 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute<F>(&self, f: F) -> Result<(), SubmitError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        match self.admit(0, Wait::Policy) {
            Err(refused) => Err(refusal(refused, f)),
            Ok(Admit::RunHere) => {
                run_detached_task(&self.registry, f);
                Ok(())
            }
            Ok(Admit::Queue(ticket)) => {
                if let Err(error) = Registry::ensure_worker(&self.registry) {
                    self.registry.release(ticket);
                    return Err(SubmitError::Spawn(error, f));
                }
                Registry::push_closure(&self.registry, detached_job(f, ticket));
                Ok(())
            }
        }
    }

    fn submit_with<F, T>(
        &self,
        f: F,
        weight: usize,
        wait: Wait<'_>,
    ) -> Result<Future<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if let Some(weights) = &self.registry.weights
            && weights.capacity().is_some_and(|limit| weight > limit)
        {
            return Err(SubmitError::TooHeavy(f));
        }
        match self.admit(weight, wait) {
            Err(refused) => Err(refusal(refused, f)),
            Ok(Admit::RunHere) => {
                let shared = Shared::new();
                run_future_task(&self.registry, &shared, f);
                Ok(Future::new(shared))
            }
            Ok(Admit::Queue(ticket)) => {
                if let Err(error) = Registry::ensure_worker(&self.registry) {
                    self.registry.release(ticket);
                    return Err(SubmitError::Spawn(error, f));
                }
                let shared = Shared::new();
                Registry::push_closure(&self.registry, future_job(&shared, f, ticket));
                Ok(Future::new(shared))
            }
        }
    }

    /// Decides where a task goes: the queue (with a ticket), the caller, or nowhere.
    fn admit(&self, weight: usize, wait: Wait<'_>) -> Result<Admit, Refused> {
        let registry = &self.registry;
        if registry.is_shutting_down() {
            return Err(Refused::ShutDown);
        }
        if let Some(reason) = registry.broken_reason() {
            return Err(Refused::Broken(reason));
        }
        let weight = if registry.weights.is_some() {
            weight
        } else {
            0
        };
        if Registry::is_current(registry) {
            // A task submitting more work is never blocked: with every worker blocked
            // on a full queue, nobody would empty it.
            registry.admission.force_admit(1);
            if let Some(weights) = &registry.weights {
                weights.force_admit(weight);
            }
            return Ok(Admit::Queue(Ticket { weight }));
        }
        let run_here = self.when_full == WhenFull::CallerRuns && matches!(wait, Wait::Policy);
        let admitted =
            |admission: &crate::registry::Admission, units: usize| -> Result<bool, Refused> {
                if units == 0 {
                    return Ok(true);
                }
                match wait {
                    Wait::Never => Ok(admission.try_admit(units)),
                    Wait::Policy => match self.when_full {
                        WhenFull::Block => admission.admit(units, None, None).map(|()| true),
                        WhenFull::Reject | WhenFull::CallerRuns => Ok(admission.try_admit(units)),
                    },
                    Wait::Until(deadline, stop) => {
                        admission.admit(units, deadline, stop).map(|()| true)
                    }
                }
            };
        if !admitted(&registry.admission, 1)? {
            return if run_here {
                Ok(Admit::RunHere)
            } else {
                Err(Refused::Full)
            };
        }
        if let Some(weights) = &registry.weights {
            match admitted(weights, weight) {
                Ok(true) => {}
                outcome => {
                    registry.admission.release(1);
                    return match outcome {
                        Ok(_) if run_here => Ok(Admit::RunHere),
                        Ok(_) => Err(Refused::Full),
                        Err(refused) => Err(refused),
                    };
                }
            }
        }
        Ok(Admit::Queue(Ticket { weight }))
    }

    /// Stops taking tasks; with `wait`, returns once every queued task has run (or, with
    /// `cancel_futures`, been cancelled) and every worker has exited.
    ///
    /// With `cancel_futures`, tasks that have not started complete as
    /// [`TaskError::Cancelled`](crate::TaskError::Cancelled) (running ones finish).
    /// Calling it again is harmless. Called from inside one of this pool's tasks, it
    /// does not wait (a worker cannot wait for itself to exit).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::{SubmitError, ThreadPool};
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// let future = pool.submit(|| 1)?;
    /// pool.shutdown(true, false);
    /// assert_eq!(future.result()?, 1); // queued work still ran
    /// assert!(matches!(pool.submit(|| 2), Err(SubmitError::ShutDown(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.registry.begin_shutdown(cancel_futures);
        if cancel_futures {
            self.registry.drain_injector_here();
            self.registry.drain_inboxes_here();
        }
        if wait && !Registry::is_current(&self.registry) {
            self.registry.join_workers();
        }
    }

    /// Tasks admitted through `submit` and its forms that no worker has taken yet (a
    /// snapshot), cancelled ones included until a worker drops them. Tasks of
    /// `scope`, `join` and `install` are not counted here, nor in `running` and
    /// `completed`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// assert_eq!(pool.queued(), 0);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn queued(&self) -> usize {
        self.registry.admission.queued()
    }

    /// Tasks running right now (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// assert_eq!(pool.running(), 0);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn running(&self) -> usize {
        // A count of tasks at one moment: `usize`, like `queued` (totals such as
        // `completed` are `u64`).
        usize::try_from(self.registry.stats.running()).unwrap_or(usize::MAX)
    }

    /// Submitted tasks that ran to the end so far, with a value or a panic (a
    /// snapshot); cancelled tasks and tasks failed by a broken pool are not counted.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// pool.submit(|| ())?.result()?;
    /// assert_eq!(pool.completed(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn completed(&self) -> u64 {
        self.registry.stats.completed()
    }

    /// The most worker threads this pool runs.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().max_workers(3).build()?;
    /// assert_eq!(pool.max_workers(), 3);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn max_workers(&self) -> usize {
        self.registry.max_workers()
    }

    /// Worker threads started so far (they start lazily).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// assert_eq!(pool.workers(), 0);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn workers(&self) -> usize {
        self.registry.started_workers()
    }
}

/// Turns an admission refusal into the submit error that hands `f` back.
fn refusal<F>(refused: Refused, f: F) -> SubmitError<F> {
    match refused {
        Refused::Full => SubmitError::Full(f),
        Refused::ShutDown => SubmitError::ShutDown(f),
        Refused::Stopped => SubmitError::Stopped(f),
        Refused::Broken(reason) => SubmitError::Broken(reason, f),
    }
}

impl Drop for ThreadPool {
    /// Shuts down and waits, as Python's `with ThreadPoolExecutor() as ex:` does on exit.
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("max_workers", &self.max_workers())
            .field("workers", &self.workers())
            .field("queued", &self.queued())
            .field("running", &self.running())
            .field("completed", &self.completed())
            .field("when_full", &self.when_full)
            .finish_non_exhaustive()
    }
}
