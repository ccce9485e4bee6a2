//! The manager thread: one per pool. It starts workers, hands them tasks, reads their
//! replies, enforces deadlines, notices deaths and replaces the dead, all from one
//! `poll` loop that never blocks on a worker (`wire/README.md`, invariants 4-10).
//!
//! What to do is decided by the pure functions of [`decide`] (which worker takes a
//! task, which deadline passed, what becomes of a dead worker's tasks); this module
//! and its parts only carry the decisions out: `link` holds one worker process,
//! `replies` reads what workers send, `reaping` takes workers out of the pool and
//! settles their tasks.

mod decide;
mod link;
mod reaping;
mod replies;

use std::io;
use std::os::unix::net::UnixStream;

use weftkit_executor::TaskError;
use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::Ordering;
use weftkit_shim::thread::JoinHandle;
use weftkit_shim::time::{Duration, Instant};

use crate::call::Probe;
use crate::init::{WORKER_ENV, WORKER_ENV_VALUE};
use crate::os::{self, Poller};
use crate::state::{Job, Shared};
use crate::wire::{self, Bytes, ToWorker};
use decide::dispatch::{self, Pick, Retire, SpawnStep};
use decide::timing::{self, Limits, Overdue, Refusal, SPAWN_BACKOFF};
use decide::{Exit, Phase};
use link::{Worker, reap};
use reaping::Dying;

/// How soon a worker that left the pool is first checked again for its exit status
/// (it has usually exited within microseconds of closing its socket); the pause
/// doubles up to [`REAP_TICK`].
const REAP_FIRST: Duration = Duration::from_micros(20);
/// The longest pause between checks of a worker out of the pool.
const REAP_TICK: Duration = Duration::from_millis(1);
/// How long `terminate_workers` waits after `SIGTERM` before `SIGKILL`.
const TERM_GRACE: Duration = Duration::from_secs(1);

thread_local! {
    /// On a manager thread: the address of its pool's [`Shared`]; elsewhere 0.
    static MANAGING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether the calling thread is the manager of the pool that owns `shared`: a done
/// callback of that pool's futures runs here, and must not wait for the manager.
pub(crate) fn is_manager_of(shared: &Shared) -> bool {
    MANAGING.with(std::cell::Cell::get) == std::ptr::from_ref(shared) as usize
}

/// Starts the manager thread.
///
/// # Errors
///
/// The thread could not be started.
pub(crate) fn start(shared: Arc<Shared>, wake_rx: UnixStream) -> io::Result<JoinHandle<()>> {
    weftkit_shim::thread::Builder::new()
        .name("weftkit-process-manager".into())
        .spawn(move || {
            MANAGING.with(|m| m.set(std::ptr::from_ref::<Shared>(&shared) as usize));
            Manager::new(shared, wake_rx).run();
        })
}

struct Manager {
    shared: Arc<Shared>,
    wake_rx: UnixStream,
    workers: Vec<Worker>,
    /// Workers out of the pool, waiting to be reaped; never waited for in a block.
    dying: Vec<Dying>,
    /// The pause before the next check of `dying`.
    reap_pause: Duration,
    poller: Poller,
    probe: Probe,
    /// Workers that ended unplanned (or retired) and are to be replaced.
    owed: usize,
    /// Workers in a row that died by a signal before they were ready.
    start_failures: u32,
    /// The system refused the last start: no new one before this instant.
    respawn_at: Option<Instant>,
    /// The pause after the next refusal.
    spawn_backoff: Duration,
    scratch: Vec<u8>,
}

impl Manager {
    fn new(shared: Arc<Shared>, wake_rx: UnixStream) -> Self {
        Self {
            shared,
            wake_rx,
            workers: Vec::new(),
            dying: Vec::new(),
            reap_pause: REAP_FIRST,
            poller: Poller::default(),
            probe: Probe::here(),
            owed: 0,
            start_failures: 0,
            respawn_at: None,
            spawn_backoff: SPAWN_BACKOFF,
            scratch: vec![0; 1 << 18],
        }
    }

    /// Runs the manager; if it panics (a bug), [`RunGuard`] breaks the pool so that
    /// no future hangs and no worker is left behind.
    fn run(self) {
        let mut guard = RunGuard(self);
        guard.0.run_loop();
    }

    fn run_loop(&mut self) {
        loop {
            self.drain_wake();
            if !self.tend() {
                break;
            }
            self.spawn_needed();
            let mut any_gone = false;
            for worker in &mut self.workers {
                if !worker.gone && !worker.flush() {
                    worker.gone = true;
                }
                any_gone |= worker.gone;
            }
            self.poll(any_gone);
            let mut exits = self.read_all();
            self.check_deadlines(&mut exits);
            for (i, exit) in decide::one_exit_per_worker(exits) {
                self.remove(i, exit);
            }
            self.reap_dying();
        }
        // A job re-queued while the pool was ending: nobody will run it now.
        let left: Vec<Job> = self.shared.lock().queue.drain(..).collect();
        for job in left {
            job.sink.fail(TaskError::Cancelled);
        }
        let counters = &self.shared.counters;
        counters.queued.store(0, Ordering::Relaxed);
        counters.alive.store(0, Ordering::Relaxed);
    }

    /// Drains the wake socket, then clears the flag; the caller looks at the state
    /// next. In this order a wake-up is never lost (`wire/README.md`, invariant 6).
    fn drain_wake(&mut self) {
        self.shared.drain_wake(&self.wake_rx);
    }

    /// Looks at the shared state: ends the pool if asked, hands queued tasks to
    /// workers with room ([`dispatch::pick`]), retires workers once the work is done
    /// ([`dispatch::retire`]). `false`: the manager is finished.
    fn tend(&mut self) -> bool {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let mut state = shared.lock();
        if let Some(signal) = state.ending {
            drop(state);
            self.end_workers(signal);
            return false;
        }
        if state.broken.is_some() {
            return false;
        }
        let mut took = false;
        // Failed after the lock is released: their done callbacks may submit.
        let mut unsendable = Vec::new();
        let now = Instant::now();
        // With one worker at most there is nowhere else for a task to go.
        let alone = config.max_workers == 1;
        let limit = config.max_tasks_per_child;
        let fresh_coming = dispatch::fresh_coming(
            self.owed,
            self.workers.iter().filter(|w| !w.retiring).count(),
            config.max_workers,
            self.respawn_at.is_some(),
            state.shutdown,
        );
        let mut next = 0;
        while let Some(candidate) = state.queue.get(next) {
            let slots = self.workers.iter().map(|w| w.slot(limit));
            let worker = match dispatch::pick(candidate.attempts, slots, now, alone, fresh_coming) {
                Pick::To(i) => &mut self.workers[i],
                Pick::Hold => {
                    next += 1; // for the replacement, which starts this round
                    continue;
                }
                Pick::Full => break,
            };
            let Some(mut job) = state.queue.remove(next) else {
                break;
            };
            took = true;
            if !job.sink.start() {
                continue; // cancelled while queued: its future is complete
            }
            let frame = ToWorker::Task {
                id: job.id,
                call: job.call,
                args: Bytes(&job.args),
            };
            if let Err(message) = wire::push_frame(&mut worker.out, &frame) {
                unsendable.push((job, message));
                continue;
            }
            if worker.in_flight.is_empty() {
                worker.head_since = now;
            }
            worker.in_flight.push_back(job);
            worker.sent += 1;
            shared.counters.running.fetch_add(1, Ordering::Relaxed);
        }
        shared
            .counters
            .queued
            .store(state.queue.len(), Ordering::Relaxed);
        if took {
            shared.room.notify_all();
        }
        let drained = state.queue.is_empty();
        let shutdown = state.shutdown;
        drop(state);
        for (job, message) in unsendable {
            job.sink.fail(TaskError::Codec { message });
        }
        for worker in &mut self.workers {
            let idle = worker.in_flight.is_empty() && worker.flushed();
            if let Retire::Now { replace } =
                dispatch::retire(&worker.slot(limit), idle, shutdown, drained)
            {
                worker.retiring = true;
                // The worker exits at end of stream once its replies are out.
                let _ = worker.stream.shutdown(std::net::Shutdown::Write);
                if replace {
                    self.owed += 1;
                }
            }
        }
        !dispatch::finished(shutdown, drained, self.workers.len(), self.dying.len())
    }

    /// Starts workers for queued work (one per task, up to `max_workers`) and
    /// replacements for workers that ended ([`dispatch::spawn_step`]).
    fn spawn_needed(&mut self) {
        let (queued, shutdown) = {
            let state = self.shared.lock();
            if state.broken.is_some() || state.ending.is_some() {
                return;
            }
            (state.queue.len(), state.shutdown)
        };
        if shutdown {
            self.owed = 0;
        }
        if timing::backing_off(self.respawn_at, Instant::now()) {
            return; // the system refused: not yet
        }
        self.respawn_at = None; // past, if it was set: it is no deadline any more
        loop {
            let active = self.workers.iter().filter(|w| !w.retiring).count();
            let starting = self
                .workers
                .iter()
                .filter(|w| w.phase != Phase::Ready)
                .count();
            let step = dispatch::spawn_step(
                active,
                self.shared.config.max_workers,
                self.owed,
                starting,
                queued,
            );
            let replacing = match step {
                SpawnStep::Full => {
                    self.owed = 0;
                    return;
                }
                SpawnStep::Enough => return,
                SpawnStep::Start { replacing } => replacing,
            };
            if !self.spawn() {
                return;
            }
            self.owed = self.owed.saturating_sub(1);
            if replacing {
                self.shared
                    .counters
                    .restarts
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Starts one worker; `false` if it could not be started: then, with other workers
    /// still alive, a new try is scheduled ([`SPAWN_BACKOFF`]); with none, the pool is
    /// broken, as no task could ever run.
    fn spawn(&mut self) -> bool {
        let config = &self.shared.config;
        match os::spawn_worker(
            &config.program,
            &config.args,
            (WORKER_ENV, WORKER_ENV_VALUE),
        ) {
            Ok((child, stream)) => {
                let mut out = Vec::new();
                let setup = ToWorker::Setup {
                    probe: self.probe.clone(),
                    initializer: config.initializer,
                };
                if let Err(reason) = wire::push_frame(&mut out, &setup) {
                    let mut child = child;
                    reap(&mut child, true);
                    self.break_pool(reason);
                    return false;
                }
                self.workers
                    .push(Worker::new(child, stream, out, Instant::now()));
                self.shared.counters.alive.fetch_add(1, Ordering::Relaxed);
                self.respawn_at = None;
                true
            }
            Err(error) => {
                let any_alive = self.workers.iter().any(|w| !w.gone);
                match timing::refused(any_alive, self.spawn_backoff, Instant::now()) {
                    Refusal::Later { at, backoff } => {
                        self.shared
                            .counters
                            .failed_starts
                            .fetch_add(1, Ordering::Relaxed);
                        // A passing refusal (the process limit, memory): the workers
                        // alive go on with the work; try again later.
                        self.respawn_at = Some(at);
                        self.spawn_backoff = backoff;
                    }
                    Refusal::Break => {
                        let reason = format!(
                            "could not start a worker process ({}): {error}; check that the program exists and can run, and the process limit (ulimit -u)",
                            config.program.display()
                        );
                        self.break_pool(reason);
                    }
                }
                false
            }
        }
    }

    /// Waits until a worker or a submitter has something, or the next deadline.
    fn poll(&mut self, now: bool) {
        self.poller.clear();
        // Slot 0 is the wake-up socket; slot i + 1 is worker i.
        let wake = &self.wake_rx;
        self.poller.add(wake, false);
        for worker in &self.workers {
            self.poller
                .add(&worker.stream, worker.out_pos < worker.out.len());
        }
        let timeout = if now {
            Some(Duration::ZERO)
        } else {
            let next = self.next_deadline();
            // A worker out of the pool is checked again soon for its exit status.
            let reap = (!self.dying.is_empty()).then(|| {
                let at = Instant::now() + self.reap_pause;
                self.reap_pause = (self.reap_pause * 2).min(REAP_TICK);
                at
            });
            next.into_iter()
                .chain(reap)
                .min()
                .map(|deadline| deadline.saturating_duration_since(Instant::now()))
        };
        if self.poller.wait(timeout).is_err() {
            // poll itself failed (out of memory): do not spin.
            weftkit_shim::thread::sleep(Duration::from_millis(1));
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let limits = self.limits();
        let worker_deadlines = self
            .workers
            .iter()
            .filter_map(|w| timing::next_deadline(&w.clocked(), &limits));
        worker_deadlines.chain(self.respawn_at).min()
    }

    fn limits(&self) -> Limits {
        Limits {
            timeout: self.shared.config.timeout,
            startup: self.shared.config.startup_timeout,
        }
    }

    /// Adds the workers past a deadline ([`timing::overdue`]) to `exits`, or breaks the
    /// pool if no worker can start.
    fn check_deadlines(&mut self, exits: &mut Vec<(usize, Exit)>) {
        let now = Instant::now();
        let limits = self.limits();
        let startup = limits.startup;
        let mut startup_failure = None;
        let others_ready = self.workers.iter().any(|w| w.phase == Phase::Ready);
        for (i, worker) in self.workers.iter().enumerate() {
            match timing::overdue(&worker.clocked(), &limits, others_ready, now) {
                None => {}
                Some(Overdue::LateStart) => exits.push((i, Exit::LateStart)),
                Some(Overdue::Deadline { id }) => exits.push((i, Exit::Deadline { id })),
                Some(Overdue::NoHandshake) => {
                    startup_failure = Some(format!(
                        "worker process {} sent no handshake within the startup_timeout of {startup:?}; call weftkit::process::init() first in main",
                        worker.pid()
                    ));
                }
                Some(Overdue::SlowInitializer) => {
                    startup_failure = Some(format!(
                        "the initializer did not finish within the startup_timeout of {startup:?} in worker process {}; make it finish sooner, or raise startup_timeout",
                        worker.pid()
                    ));
                }
            }
        }
        if let Some(reason) = startup_failure {
            exits.clear();
            self.break_pool(reason);
        }
    }
}

/// Breaks the pool if the manager thread unwinds: every queued and in-flight future
/// fails, blocked submitters wake, every worker is killed and reaped.
struct RunGuard(Manager);

impl Drop for RunGuard {
    fn drop(&mut self) {
        if weftkit_shim::thread::panicking() {
            let manager = &mut self.0;
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                manager.break_pool(
                    "the pool's manager thread panicked (a bug in weftkit-process or in a Drop or Deserialize of a task's type); build a new pool".to_owned(),
                );
            }));
        }
    }
}
