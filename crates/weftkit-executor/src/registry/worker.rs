//! A worker thread: its loop, where it looks for work, and how it helps while it waits.

use std::cell::Cell;
use std::ptr;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::{Duration, Instant};

use super::deque::{Steal, Worker};
use super::job::InlineJob;
use super::sleep::{Limit, Wake};
use super::{JobRef, Registry, WorkerQueues};

weftkit_shim::const_thread_local! {
    /// The worker running on this thread, or null outside every pool.
    static CURRENT: Cell<*const WorkerThread> = Cell::new(ptr::null());
}

/// The worker running on the calling thread, if it is a pool worker.
#[inline]
pub(crate) fn current_worker() -> Option<&'static WorkerThread> {
    let worker = CURRENT.with(Cell::get);
    // SAFETY: `CURRENT` is set by `main_loop` to a `WorkerThread` on its own stack and
    // reset to null before that frame ends; only this thread reads it, so the pointer is
    // live for as long as this thread can observe it. The 'static lifetime never escapes
    // the thread: `WorkerThread` is `!Send` and `!Sync`.
    unsafe { worker.as_ref() }
}

/// A job found by a worker, from either kind of queue.
pub(crate) enum Work {
    /// From a worker's own deque.
    Local(JobRef),
    /// From the injector (or an inbox).
    Injected(InlineJob),
}

impl Work {
    /// Runs it on a thread serving `registry`.
    pub(crate) fn execute(self, registry: &Registry) {
        let _no_task = crate::task::CurrentTask::clear();
        match self {
            Self::Local(job) => job.execute(registry),
            Self::Injected(job) => job.execute(registry),
        }
    }
}

/// One worker: its pool, its index, its deques. Lives on the worker's stack.
pub(crate) struct WorkerThread {
    registry: Arc<Registry>,
    index: usize,
    local: Worker<JobRef>,
    inbox: Worker<InlineJob>,
    /// Keeps the type `!Send`/`!Sync`: it is reachable only from its own thread.
    _not_send: std::marker::PhantomData<*const ()>,
}

/// A worker's whole life: initializer, then find work, run it, or sleep, until shutdown.
pub(super) fn main_loop(registry: Arc<Registry>, index: usize, queues: WorkerQueues) {
    let worker = WorkerThread {
        registry,
        index,
        local: queues.local,
        inbox: queues.inbox,
        _not_send: std::marker::PhantomData,
    };
    CURRENT.with(|current| current.set(&worker));
    // Declared after `worker`, so dropped before it, also if this frame unwinds: no
    // later `current_worker()` on this thread (a thread-local's destructor) can see
    // the pointer dangle.
    let _reset = ResetCurrent;
    worker.run_initializer();
    let registry = &worker.registry;
    let mut searching = false;
    // The sleep re-check found work: posts made while this worker searched may have
    // skipped their wake-up (S6), and it no longer counts as a searcher.
    let mut found_at_recheck = false;
    loop {
        if let Some(job) = worker.find_work() {
            if searching {
                searching = false;
                if registry.sleep.stop_searching() && registry.has_work() {
                    // S6: the last searcher found work; more is queued, so make sure
                    // somebody looks for it.
                    registry.sleep.wake_one_if_sleeping();
                }
            } else if found_at_recheck && registry.has_work() {
                // S6 again: without this, a second job whose post skipped the wake-up
                // waits behind this one, and forever if this one blocks until it runs.
                registry.sleep.wake_one_if_sleeping();
            }
            found_at_recheck = false;
            job.execute(registry);
            continue;
        }
        if registry.is_shutting_down() && !registry.has_work() {
            break;
        }
        if !searching {
            searching = true;
            registry.sleep.start_searching();
            if worker.spin_for_work() {
                continue;
            }
        }
        searching = false;
        registry.sleep.stop_searching();
        let woke = registry
            .sleep
            .sleep(index, || registry.has_work() || registry.is_shutting_down());
        found_at_recheck = woke == Wake::Ready;
    }
    if searching {
        registry.sleep.stop_searching();
    }
}

/// Clears `CURRENT` when the worker's frame ends.
struct ResetCurrent;

impl Drop for ResetCurrent {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(ptr::null()));
    }
}

impl WorkerThread {
    /// This worker's index in its pool.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Whether this worker belongs to `registry`.
    #[inline]
    pub(crate) fn belongs_to(&self, registry: &Arc<Registry>) -> bool {
        Arc::ptr_eq(&self.registry, registry)
    }

    /// The pool this worker belongs to.
    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Pushes onto this worker's own deque and tells sleepers there is work to steal,
    /// with the same fence as a push to the injector (S7).
    #[inline]
    pub(crate) fn push(&self, job: JobRef) {
        self.local.push(job);
        self.registry.sleep.new_work();
    }

    /// Pushes a `join`'s second closure onto this worker's own deque: no fence (S9),
    /// because this worker takes the job back itself if nobody steals it.
    #[inline]
    pub(crate) fn push_join(&self, job: JobRef) {
        self.local.push(job);
        self.registry.sleep.new_join_work();
    }

    /// Pops the newest job of this worker's own deque (used by `join` to take its
    /// second closure back when nobody stole it).
    #[inline]
    pub(crate) fn pop_local(&self) -> Option<JobRef> {
        self.local.pop()
    }

    fn run_initializer(&self) {
        let Some(init) = self.registry.initializer() else {
            return;
        };
        if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(init)) {
            let message = crate::error::panic_message(&*panic);
            self.registry.mark_broken(format!(
                "the initializer of worker {} panicked: {message}",
                self.index
            ));
        }
    }

    /// Own deque, own inbox, the injector (taking a batch into the inbox), then the
    /// other workers' deques and inboxes.
    pub(crate) fn find_work(&self) -> Option<Work> {
        if let Some(job) = self.local.pop() {
            return Some(Work::Local(job));
        }
        if let Some(job) = self.inbox.pop() {
            return Some(Work::Injected(job));
        }
        loop {
            match self.registry.injector.steal_batch_and_pop(&self.inbox) {
                Steal::Success(job) => return Some(Work::Injected(job)),
                Steal::Empty => break,
                Steal::Retry => {}
            }
        }
        self.steal()
    }

    fn steal(&self) -> Option<Work> {
        let registry = &self.registry;
        let n = registry.local_stealers.len();
        loop {
            let mut retry = false;
            for offset in 1..n {
                let victim = (self.index + offset) % n;
                // `is_empty` first: two loads and a fence, where crossbeam's `steal` pins its
                // epoch (a SeqCst RMW, and on a thread's first pin a registration
                // that its exit undoes) before it looks. Workers that never steal,
                // as in a pool that only runs injected tasks, never pin at all.
                let local = &registry.local_stealers[victim];
                if !local.is_empty() {
                    match local.steal() {
                        Steal::Success(job) => return Some(Work::Local(job)),
                        Steal::Empty => {}
                        Steal::Retry => retry = true,
                    }
                }
                let inbox = &registry.inbox_stealers[victim];
                if !inbox.is_empty() {
                    match inbox.steal() {
                        Steal::Success(job) => return Some(Work::Injected(job)),
                        Steal::Empty => {}
                        Steal::Retry => retry = true,
                    }
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// A short bounded search before sleeping; `true` if work appeared. Bounded by
    /// time (S6): a few exponential busy rounds, then yields until 50 µs have passed
    /// by the clock, checked before each yield (so a search overruns the budget by one
    /// `yield_now` at most). Before, 32 yields were the bound: on a loaded machine
    /// each can last milliseconds, and they kept an idle worker off its sleep far
    /// longer than a park costs. Yielding (not busy polling) lets a submitter on the
    /// same CPU run, which is where the pool's work comes from.
    fn spin_for_work(&self) -> bool {
        // None under loom or shuttle: every spin is a scheduling point to explore, and a
        // job that appears while searching is caught by the sleep re-check (S1) anyway.
        if weftkit_shim::IS_MODEL {
            return false;
        }
        const BUSY_ROUNDS: u32 = 10;
        const BUDGET: Duration = Duration::from_micros(50);
        // A shutdown also ends the search (`true`: look again, and the main loop
        // exits once the queues are empty): a worker that finished its last task just
        // before `shutdown` would otherwise spin out its budget first, on a CPU that
        // the thread joining the pool needs.
        let registry = &self.registry;
        for round in 0..BUSY_ROUNDS {
            if registry.has_work() || registry.is_shutting_down() {
                return true;
            }
            for _ in 0..(1u32 << round) {
                weftkit_shim::hint::spin_loop();
            }
        }
        let began = Instant::now();
        loop {
            if registry.has_work() || registry.is_shutting_down() {
                return true;
            }
            if began.elapsed() >= BUDGET {
                return false;
            }
            weftkit_shim::thread::yield_now();
        }
    }

    /// Runs queued jobs until `done()` holds, sleeping (S1–S5) when there are none.
    /// `register` is called once with a waker that must be called when `done()` turns true.
    pub(crate) fn help_until(
        &self,
        done: impl Fn() -> bool,
        register: impl FnOnce(Box<dyn FnOnce() + Send>),
    ) {
        self.help_within(done, register, Limit::Never);
    }

    /// As [`help_until`](Self::help_until), but only until `limit` is reached; returns
    /// whether `done()` holds. No job is started once the limit is reached, but one
    /// started before may run past it (a job cannot be interrupted). A waker given to
    /// `register` may still be registered when this returns `false`: the caller
    /// removes it.
    pub(crate) fn help_within(
        &self,
        done: impl Fn() -> bool,
        register: impl FnOnce(Box<dyn FnOnce() + Send>),
        limit: Limit<'_>,
    ) -> bool {
        let mut register = Some(register);
        loop {
            if done() {
                return true;
            }
            if limit.reached() {
                return false;
            }
            if let Some(job) = self.find_work() {
                job.execute(&self.registry);
                continue;
            }
            if let Some(register) = register.take() {
                let registry = Arc::clone(&self.registry);
                let index = self.index;
                register(Box::new(move || registry.sleep.wake(index)));
                continue; // re-check `done` after registering
            }
            let registry = &self.registry;
            let woke =
                registry
                    .sleep
                    .sleep_within(self.index, || done() || registry.has_work(), limit);
            if woke == Some(Wake::ForWork) && (done() || limit.reached()) && registry.has_work() {
                // S5: this worker leaves; hand the wake-up meant for the work onwards.
                registry.sleep.wake_one();
            }
        }
    }
}
