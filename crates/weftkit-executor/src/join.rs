//! Fork-join: [`ThreadPool::join`] runs two closures, possibly in parallel.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicBool, Ordering};
use weftkit_sync::Event;

use crate::ThreadPool;
use crate::registry::{JobResult, Latch, Registry, StackJob, WorkerThread, current_worker};

/// Set by a thief that ran the second closure of a `join`; wakes the joining worker.
struct WorkerLatch {
    set: AtomicBool,
    registry: *const Registry,
    owner: usize,
}

impl WorkerLatch {
    fn new(owner: &WorkerThread) -> Self {
        Self {
            set: AtomicBool::new(false),
            registry: Arc::as_ptr(owner.registry()),
            owner: owner.index(),
        }
    }

    #[inline]
    fn probe(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }
}

impl Latch for WorkerLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: the latch is live until the store below makes it observable.
        let (registry, owner) = unsafe { ((*this).registry, (*this).owner) };
        // SAFETY: as above; after this store the owner may free the latch.
        unsafe { (*this).set.store(true, Ordering::Release) };
        // SAFETY: stack jobs are only run by workers of the pool they were pushed to,
        // and a worker holds an `Arc` of its registry: the registry outlives this call.
        unsafe { (*registry).sleep.wake(owner) };
    }
}

/// Set by a worker that ran a job injected from outside the pool; wakes the caller.
struct ThreadLatch {
    /// Shared, so that the setter's clone keeps the event alive after the waiter,
    /// seeing it set, has freed the job that holds this latch.
    event: Arc<Event>,
}

impl Latch for ThreadLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: the latch is live until the event is set.
        let event = unsafe { Arc::clone(&(*this).event) };
        event.set();
    }
}

impl ThreadPool {
    /// Runs `a` and `b`, possibly in parallel, and returns both results: rayon's
    /// fork-join. The calling thread runs `a` while `b` waits to be stolen by an idle
    /// worker; if nobody stole it, the caller runs `b` too. Called from outside the
    /// pool, both run inside it and the caller blocks until they are done.
    ///
    /// `a` must not wait for something only `b` does (a barrier both meet at, a
    /// message `b` sends): `b` may run after `a` on the same thread, as it does in
    /// rayon, even while other workers are idle. For two tasks that must run at the
    /// same time, submit both.
    ///
    /// # Panics
    ///
    /// If `a` or `b` panics, the panic is resumed in the caller after both have
    /// finished (the closures may borrow from the caller's stack).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::ThreadPool;
    ///
    /// fn fib(pool: &ThreadPool, n: u64) -> u64 {
    ///     if n < 2 {
    ///         return n;
    ///     }
    ///     let (a, b) = pool.join(|| fib(pool, n - 1), || fib(pool, n - 2));
    ///     a + b
    /// }
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// assert_eq!(fib(&pool, 20), 6765);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        match current_worker() {
            Some(worker) if worker.belongs_to(self.registry()) => join_in_worker(worker, a, b),
            _ => self.install(move || {
                let worker = current_worker().filter(|w| w.belongs_to(self.registry()));
                match worker {
                    Some(worker) => join_in_worker(worker, a, b),
                    // Run by the caller (shut-down pool): one after the other.
                    None => (a(), b()),
                }
            }),
        }
    }

    /// Runs `f` on one of this pool's workers and blocks until it returns (rayon's
    /// `install`): `join`, `scope` and waits inside `f` then work as inside any task.
    /// `f` may borrow from the caller. Called from one of this pool's tasks, or when no
    /// worker can take it (the pool is shutting down, or no thread could be started),
    /// it runs on the calling thread.
    ///
    /// # Panics
    ///
    /// A panic in `f` is resumed here.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let local = vec![1, 2, 3];
    /// let sum = pool.install(|| local.iter().sum::<i32>());
    /// assert_eq!(sum, 6);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn install<F, R>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        let registry = self.registry();
        // Already on one of this pool's workers: run here. Queuing the job and blocking
        // on its latch would deadlock a one-worker pool (the job sits on the caller's
        // own deque and the blocked caller is the only one who could run it).
        if Registry::is_current(registry)
            || registry.is_shutting_down()
            || Registry::ensure_worker(registry).is_err()
        {
            return f();
        }
        let job = StackJob::new(
            f,
            ThreadLatch {
                event: Arc::new(Event::new()),
            },
        );
        // SAFETY: this frame waits below until the latch is set, so the job outlives its
        // execution; it is executed once, by the worker that takes it.
        Registry::push_job_ref(registry, unsafe { job.as_job_ref() });
        job.latch.event.wait();
        unwrap_result(job.into_result())
    }
}

/// `join` on a worker of the pool: push `b`, run `a`, then take `b` back or wait for it.
fn join_in_worker<A, B, RA, RB>(worker: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let job_b = StackJob::new(b, WorkerLatch::new(worker));
    // SAFETY: this frame does not return before `job_b` was either popped back (and
    // run inline) or executed by a thief and its latch observed set.
    worker.push_join(unsafe { job_b.as_job_ref() });
    // Start another worker if none is idle to steal `b`, as `push_closure` does:
    // otherwise a fork-join tree on a fresh pool never ran on more than the two
    // workers that the outside `install` started, whatever `max_workers`.
    Registry::grow_if_idle(worker.registry());
    let result_a = catch_unwind(AssertUnwindSafe(a));
    let result_b = loop {
        if job_b.latch.probe() {
            break job_b.into_result();
        }
        match worker.pop_local() {
            Some(job) if job.points_to(&job_b) => {
                // Nobody stole `b`: run it here, as a plain call.
                let b = job_b.take_func();
                break match b.map(|b| catch_unwind(AssertUnwindSafe(b))) {
                    Some(Ok(value)) => JobResult::Ok(value),
                    Some(Err(panic)) => JobResult::Panic(panic),
                    None => JobResult::Pending,
                };
            }
            // Work `a` queued and left behind sits above `b`: run it first.
            Some(job) => job.execute(worker.registry()),
            None => {
                // `b` was stolen: help until the thief sets the latch.
                worker.help_until(|| job_b.latch.probe(), drop);
                break job_b.into_result();
            }
        }
    };
    let result_a = match result_a {
        Ok(value) => value,
        Err(panic) => resume_unwind(panic),
    };
    (result_a, unwrap_result(result_b))
}

fn unwrap_result<R>(result: JobResult<R>) -> R {
    match result {
        JobResult::Ok(value) => value,
        JobResult::Panic(panic) => resume_unwind(panic),
        JobResult::Pending => unreachable!("a stack job is waited for only after it ran"),
    }
}
