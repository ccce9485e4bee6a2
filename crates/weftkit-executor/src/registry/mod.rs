//! What a pool shares with its workers; the protocols are in `README.md` here.

mod admission;
mod deque;
mod job;
mod sleep;
mod stats;
mod worker;

use std::fmt;

use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use weftkit_sync::Lock;

pub(crate) use admission::{Admission, Refused};
use deque::{Injector, Steal, Stealer, Worker};
pub(crate) use job::{InlineJob, JobRef, JobResult, Latch, StackJob};
pub(crate) use sleep::Limit;
pub(crate) use stats::Stats;
pub(crate) use worker::{WorkerThread, current_worker};

use crate::SpawnError;

/// What a queued job holds of the pool's admission: released when the job starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Ticket {
    /// Units of the weight limit (the job also holds one place in the bounded queue).
    pub(crate) weight: usize,
}

/// A worker's two deques: its own (LIFO, jobs its tasks push) and its inbox (FIFO,
/// batches taken from the injector).
pub(crate) struct WorkerQueues {
    pub(crate) local: Worker<JobRef>,
    pub(crate) inbox: Worker<InlineJob>,
}

/// Runs once in each worker thread before it takes work. A `Box`, not an `Arc`: the
/// registry owns it alone, and loom's `Arc` cannot hold a `dyn` (no unsized coercion).
pub(crate) type Initializer = Box<dyn Fn() + Send + Sync>;

/// A pool's configuration, fixed at build time.
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) capacity: Option<usize>,
    pub(crate) weight_limit: Option<usize>,
    pub(crate) thread_name_prefix: String,
    pub(crate) initializer: Option<Initializer>,
}

/// The state a pool shares with its workers.
pub(crate) struct Registry {
    injector: Injector<InlineJob>,
    /// Thieves' ends of each worker's own deque (jobs its tasks pushed).
    local_stealers: Box<[Stealer<JobRef>]>,
    /// Thieves' ends of each worker's inbox (a batch it took from the injector).
    inbox_stealers: Box<[Stealer<InlineJob>]>,
    /// Deques of workers not started yet (workers start lazily).
    unstarted: Lock<Vec<Option<WorkerQueues>>>,
    pub(crate) sleep: sleep::Sleep,
    pub(crate) admission: Admission,
    /// Admission by stated cost (`submit_weighted`), if the pool has a weight limit.
    pub(crate) weights: Option<Admission>,
    pub(crate) stats: Stats,
    started: AtomicUsize,
    /// Worker threads that have not exited yet.
    threads: Lock<Vec<WorkerHandle>>,
    /// Held by a thread joining the workers, so a second `shutdown(wait)` waits for
    /// the first one's joins instead of finding `threads` emptied and returning.
    joining: Lock<()>,
    shutting_down: AtomicBool,
    /// `shutdown(cancel_futures = true)`: queued tasks complete as cancelled.
    cancelling: AtomicBool,
    broken: Lock<Option<String>>,
    is_broken: AtomicBool,
    config: Config,
}

impl Registry {
    /// A registry with no worker started yet.
    pub(crate) fn new(config: Config) -> Arc<Self> {
        let queues: Vec<WorkerQueues> = (0..config.max_workers)
            .map(|_| WorkerQueues {
                local: Worker::new_lifo(),
                inbox: Worker::new_fifo(),
            })
            .collect();
        let local_stealers = queues.iter().map(|q| q.local.stealer()).collect();
        let inbox_stealers = queues.iter().map(|q| q.inbox.stealer()).collect();
        Arc::new(Self {
            injector: Injector::new(),
            local_stealers,
            inbox_stealers,
            unstarted: Lock::new(queues.into_iter().map(Some).collect()),
            sleep: sleep::Sleep::new(config.max_workers),
            admission: Admission::new(config.capacity),
            weights: config.weight_limit.map(|limit| Admission::new(Some(limit))),
            stats: Stats::new(config.max_workers),
            started: AtomicUsize::new(0),
            threads: Lock::new(Vec::new()),
            joining: Lock::new(()),
            shutting_down: AtomicBool::new(false),
            cancelling: AtomicBool::new(false),
            broken: Lock::new(None),
            is_broken: AtomicBool::new(false),
            config,
        })
    }

    /// The most workers this pool runs.
    pub(crate) fn max_workers(&self) -> usize {
        self.config.max_workers
    }

    /// Workers started so far.
    pub(crate) fn started_workers(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }

    /// Makes sure at least one worker runs, so that a queued job will be taken.
    ///
    /// # Errors
    ///
    /// When no worker runs and the OS refused to start one.
    pub(crate) fn ensure_worker(this: &Arc<Self>) -> Result<(), SpawnError> {
        if this.started.load(Ordering::Acquire) > 0 {
            return Ok(());
        }
        Self::start_worker_if_needed(this)
    }

    /// Queues `func`: boxed onto the current worker's own deque if it is one of this
    /// pool's workers, else inline into the injector (no allocation of its own). Then
    /// wakes a sleeping worker or starts a new one (lazily, up to `max_workers`, as
    /// Python's `ThreadPoolExecutor`).
    pub(crate) fn push_closure<F: FnOnce(&Registry) + Send + 'static>(this: &Arc<Self>, func: F) {
        match current_worker() {
            Some(worker) if worker.belongs_to(this) => worker.push(JobRef::boxed(func)),
            _ => this.inject(InlineJob::from_closure(func)),
        }
        Self::grow_if_idle(this);
    }

    /// Queues a job that lives elsewhere (a stack job): on the current worker's deque,
    /// or through the injector.
    pub(crate) fn push_job_ref(this: &Arc<Self>, job: JobRef) {
        match current_worker() {
            Some(worker) if worker.belongs_to(this) => worker.push(job),
            _ => this.inject(InlineJob::from_job_ref(job)),
        }
        Self::grow_if_idle(this);
    }

    fn inject(&self, job: InlineJob) {
        self.injector.push(job);
        self.sleep.new_work();
        // D1: a submit that passed the shutdown check may push after the last worker
        // saw `shutting_down` and an empty injector and exited; nobody would take the
        // job and its future would never resolve. `new_work` fenced (SeqCst) after the
        // push: if this load still reads `false`, every worker that later reads `true`
        // sees the job; if it reads `true`, run what is left here.
        if self.is_shutting_down() {
            self.drain_injector_here();
        }
    }

    #[inline]
    pub(crate) fn grow_if_idle(this: &Arc<Self>) {
        // Not while shutting down: more parallelism is no use then, and a worker
        // started that late would only widen the window `join_workers` must close.
        // `started` first: once the pool is full it never changes, so a `join` on a
        // full pool pays one read of an unshared line and no read of the sleep counts.
        if this.started_workers() < this.config.max_workers
            && this.sleep.sleeping() == 0
            && !this.is_shutting_down()
        {
            // A refused thread is fine here: `ensure_worker` guaranteed one runs.
            let _ = Self::start_worker_if_needed(this);
        }
    }

    /// Frees what a job held of the admission, as the job starts.
    #[inline]
    pub(crate) fn release(&self, ticket: Ticket) {
        self.admission.release(1);
        if ticket.weight > 0
            && let Some(weights) = &self.weights
        {
            weights.release(ticket.weight);
        }
    }

    /// Whether the calling thread is one of this pool's workers.
    pub(crate) fn is_current(this: &Arc<Self>) -> bool {
        current_worker().is_some_and(|worker| worker.belongs_to(this))
    }

    /// Takes one job out of the injector.
    fn take_injected(&self) -> Option<InlineJob> {
        loop {
            match self.injector.steal() {
                Steal::Success(job) => return Some(job),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    /// Starts another worker if none sleeps and the pool is not full.
    ///
    /// # Errors
    ///
    /// When the OS refused the thread.
    #[inline(never)]
    fn start_worker_if_needed(this: &Arc<Self>) -> Result<(), SpawnError> {
        if this.sleep.sleeping() > 0 {
            return Ok(());
        }
        let claimed = this
            .started
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < this.config.max_workers).then_some(n + 1)
            });
        let Ok(index) = claimed else { return Ok(()) };
        Self::spawn_worker(this, index).inspect_err(|_| {
            // Give the slot back so a later submit can try again.
            this.started.fetch_sub(1, Ordering::SeqCst);
        })
    }

    /// Starts worker `index` as a weft thread: a daemon (a pool never holds the
    /// process open at exit; dropping the pool joins its workers), named
    /// `<prefix>-<index>`, listed by `weftkit::thread::enumerate()`.
    fn spawn_worker(this: &Arc<Self>, index: usize) -> Result<(), SpawnError> {
        let registry = Arc::clone(this);
        let prefix = &this.config.thread_name_prefix;
        let separator = if prefix.ends_with(['-', '_']) {
            ""
        } else {
            "-"
        };
        let name = format!("{prefix}{separator}{index}");
        // The thread takes its deque from `unstarted` itself, so that a refused spawn
        // leaves the deque (whose stealer the others hold) in place for a later try.
        let spawned = start_thread(name.clone(), move || {
            let queues = registry.unstarted.lock()[index].take();
            if let Some(queues) = queues {
                worker::main_loop(registry, index, queues);
            }
        });
        match spawned {
            Ok(handle) => {
                this.threads.lock().push(handle);
                Ok(())
            }
            Err(error) => Err(SpawnError::from_thread(name, &error)),
        }
    }

    /// Whether any queue holds a job (a snapshot).
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty()
            || self.local_stealers.iter().any(|s| !s.is_empty())
            || self.inbox_stealers.iter().any(|s| !s.is_empty())
    }

    /// Initiates shutdown: refuses new submits, wakes sleepers and parked submitters.
    pub(crate) fn begin_shutdown(&self, cancel_futures: bool) {
        if cancel_futures {
            self.cancelling.store(true, Ordering::SeqCst);
        }
        self.shutting_down.store(true, Ordering::SeqCst);
        self.admission.close();
        if let Some(weights) = &self.weights {
            weights.close();
        }
        self.sleep.wake_all();
    }

    /// Whether shutdown began.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Whether queued tasks should complete as cancelled instead of running.
    pub(crate) fn is_cancelling(&self) -> bool {
        self.cancelling.load(Ordering::Relaxed)
    }

    /// Runs every job still in the injector on the calling thread (used by
    /// `shutdown(cancel_futures)` so cancelled futures resolve at once).
    pub(crate) fn drain_injector_here(&self) {
        while let Some(job) = self.take_injected() {
            job.execute(self);
        }
    }

    /// Runs, on the calling thread, the injected jobs that workers took in a batch
    /// (their inboxes) but have not started: `shutdown(cancel_futures)` must cancel
    /// those futures before it returns too, not when a busy worker gets to them.
    pub(crate) fn drain_inboxes_here(&self) {
        for inbox in &self.inbox_stealers {
            loop {
                match inbox.steal() {
                    Steal::Success(job) => job.execute(self),
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
        }
    }

    /// Waits until every worker thread's body has returned. Called from outside the pool.
    pub(crate) fn join_workers(&self) {
        // Not `threads` itself: a worker starting another one takes that lock.
        let _joining = self.joining.lock();
        // Until the list stays empty: a worker that started another one (a `join`
        // growing the pool as shutdown began) pushed its handle before it could exit,
        // so joining the starter makes the new handle visible to the next round.
        loop {
            let handles = std::mem::take(&mut *self.threads.lock());
            if handles.is_empty() {
                break;
            }
            for handle in handles {
                wait_for_worker(handle);
            }
        }
    }

    /// Marks the pool broken (a failed initializer); every task not yet run fails.
    pub(crate) fn mark_broken(&self, reason: String) {
        let mut broken = self.broken.lock();
        if broken.is_none() {
            *broken = Some(reason);
        }
        self.is_broken.store(true, Ordering::SeqCst);
    }

    /// Why the pool is broken, if it is.
    pub(crate) fn broken_reason(&self) -> Option<String> {
        if self.is_broken.load(Ordering::SeqCst) {
            self.broken.lock().clone()
        } else {
            None
        }
    }

    pub(crate) fn initializer(&self) -> Option<&Initializer> {
        self.config.initializer.as_ref()
    }
}

/// A worker thread's handle: a weft thread's, or under a model checker a modelled thread's.
#[cfg(not(any(weft_loom, weft_shuttle)))]
type WorkerHandle = weftkit_thread::JoinHandle<()>;
#[cfg(any(weft_loom, weft_shuttle))]
type WorkerHandle = weftkit_shim::thread::JoinHandle<()>;

/// Waits until a worker's body has returned: it has run its last job and left the
/// pool's loop. What follows in the thread (thread-local destructors, the OS thread's
/// exit) touches nothing of the pool's, so the handle is then let go rather than joined,
/// as Python's `Thread.join` returns once the thread's Python code is done.
#[cfg(not(any(weft_loom, weft_shuttle)))]
fn wait_for_worker(handle: WorkerHandle) {
    handle.wait_timeout(weftkit_shim::time::Duration::MAX);
}

/// Under a model checker: the modelled thread is joined.
#[cfg(any(weft_loom, weft_shuttle))]
fn wait_for_worker(handle: WorkerHandle) {
    // A worker never unwinds (user code runs under catch_unwind), so join only fails
    // if the thread was already gone; nothing is left to do.
    let _ = handle.join();
}

/// Starts a worker as a daemon weft thread.
#[cfg(not(any(weft_loom, weft_shuttle)))]
fn start_thread(
    name: String,
    body: impl FnOnce() + Send + 'static,
) -> Result<WorkerHandle, weftkit_thread::SpawnError> {
    weftkit_thread::Thread::new(body)
        .name(name)
        .daemon(true)
        .start()
}

/// Under loom or shuttle, a plain modelled thread: weftkit-thread's process-wide registry (idents,
/// names, the exit hook) is not what these models check, and its state outliving one
/// execution makes loom's exploration non-deterministic.
#[cfg(any(weft_loom, weft_shuttle))]
fn start_thread(
    name: String,
    body: impl FnOnce() + Send + 'static,
) -> Result<WorkerHandle, weftkit_thread::SpawnError> {
    weftkit_shim::thread::Builder::new()
        .name(name.clone())
        .spawn(body)
        .map_err(|source| weftkit_thread::SpawnError::Os { name, source })
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("max_workers", &self.config.max_workers)
            .field("started", &self.started_workers())
            .field("queued", &self.admission.queued())
            .field("shutting_down", &self.is_shutting_down())
            .finish_non_exhaustive()
    }
}
