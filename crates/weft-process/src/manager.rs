//! The manager thread: one per pool. It starts workers, hands them tasks, reads their
//! replies, enforces deadlines, notices deaths and replaces the dead, all from one
//! `poll` loop that never blocks on a worker (`wire/README.md`, invariants 4-10).

use std::collections::VecDeque;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::process::Child;

use weft_executor::TaskError;
use weft_shim::sync::Arc;
use weft_shim::sync::atomic::Ordering;
use weft_shim::thread::JoinHandle;
use weft_shim::time::{Duration, Instant};

use crate::call::Probe;
use crate::init::{WORKER_ENV, WORKER_ENV_VALUE};
use crate::os::{self, Poller};
use crate::state::{Job, Shared};
use crate::wire::{self, Bytes, HEADER, Parsed, ToParent, ToWorker};

/// Tasks in flight on a worker whose tasks are short: enough to hide the round trip.
const DEEP: usize = 64;
/// Tasks in flight on a worker whose tasks are long (or unknown yet): one running, one
/// waiting, so a long task does not hold many others behind it.
const SHALLOW: usize = 2;
/// A task shorter than this lets its worker be fed [`DEEP`].
const SHORT_TASK: Duration = Duration::from_millis(1);
/// How long a worker that ended its stream may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);
/// How soon a worker that left the pool is first checked again for its exit status
/// (it has usually exited within microseconds of closing its socket); the pause
/// doubles up to [`REAP_TICK`].
const REAP_FIRST: Duration = Duration::from_micros(20);
/// The longest pause between checks of a worker out of the pool.
const REAP_TICK: Duration = Duration::from_millis(1);
/// Workers in a row that may die by a signal during start-up (killed from outside,
/// or by the out-of-memory killer) before the pool counts itself broken.
const START_ATTEMPTS: u32 = 3;
/// The first pause before trying again to start a worker that the system refused
/// (the pause doubles up to [`SPAWN_BACKOFF_MAX`] while the refusals go on).
const SPAWN_BACKOFF: Duration = Duration::from_millis(50);
/// See [`SPAWN_BACKOFF`].
const SPAWN_BACKOFF_MAX: Duration = Duration::from_secs(2);
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
    weft_shim::thread::Builder::new()
        .name("weft-process-manager".into())
        .spawn(move || {
            MANAGING.with(|m| m.set(std::ptr::from_ref::<Shared>(&shared) as usize));
            Manager::new(shared, wake_rx).run();
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Started; waiting for its `Hello`.
    Hello,
    /// `Setup` sent; waiting for `Ready` (the initializer runs).
    Setup,
    /// Taking tasks.
    Ready,
}

/// Why a worker leaves the pool.
#[derive(Debug)]
enum Exit {
    /// Its stream ended or broke: it exited, or is exiting.
    Gone,
    /// Its head task, task `id`, ran past the deadline.
    Deadline { id: u64 },
    /// It sent a damaged frame or broke the protocol.
    Damaged(String),
    /// It was not ready within the start-up timeout while other workers were.
    LateStart,
}

impl Exit {
    /// Which of two exits found for one worker in one round wins: the lower.
    fn rank(&self) -> u8 {
        match self {
            Self::Deadline { .. } => 0,
            Self::Damaged(_) => 1,
            Self::LateStart => 2,
            Self::Gone => 3,
        }
    }
}

struct Worker {
    child: Child,
    stream: UnixStream,
    phase: Phase,
    /// Tasks sent (or being sent), oldest first; only the head may have started.
    in_flight: VecDeque<Job>,
    out: Vec<u8>,
    out_pos: usize,
    inbuf: Vec<u8>,
    /// Tasks handed to this worker so far (for `max_tasks_per_child`).
    sent: u64,
    spawned_at: Instant,
    /// Since when the head task may have been running.
    head_since: Instant,
    /// Its last task was short: feed it [`DEEP`].
    fast: bool,
    /// Its write side is shut: it exits once its replies are out.
    retiring: bool,
    /// Its stream ended (or failed) on our side.
    gone: bool,
}

impl Worker {
    /// How many tasks it may have in flight: [`DEEP`] while its tasks are short, but
    /// [`SHALLOW`] once its head task has run longer than [`SHORT_TASK`] while other
    /// workers could take the work, so that a long task in a stream of short ones
    /// holds few others behind it. (`alone`: the pool has one worker at most.)
    fn depth(&self, now: Instant, alone: bool) -> usize {
        let head_is_short = self.in_flight.is_empty()
            || now.saturating_duration_since(self.head_since) < SHORT_TASK;
        if self.fast && (head_is_short || alone) {
            DEEP
        } else {
            SHALLOW
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes what the socket takes now; `false` if the worker is gone.
    fn flush(&mut self) -> bool {
        while self.out_pos < self.out.len() {
            match os::send(&self.stream, &self.out[self.out_pos..]) {
                Ok(0) => return false,
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(_) => return false,
            }
        }
        self.out.clear();
        self.out_pos = 0;
        true
    }
}

/// A worker that left the pool and has not been reaped yet: its tasks are settled
/// once its exit status is known (`wire/README.md`, invariant 10).
struct Dying {
    worker: Worker,
    exit: Exit,
    /// Past this it is killed, so its status comes at once.
    deadline: Instant,
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
            // One exit per worker; of two, the more telling (a deadline passed as the
            // worker died is the task's deadline, not a death to retry).
            exits.sort_by_key(|(i, exit)| (std::cmp::Reverse(*i), exit.rank()));
            exits.dedup_by_key(|(i, _)| *i);
            for (i, exit) in exits {
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
    /// workers with room, retires workers once the work is done. `false`: the manager
    /// is finished.
    fn tend(&mut self) -> bool {
        let shared = Arc::clone(&self.shared);
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
        let alone = shared.config.max_workers == 1;
        // A replacement will start (next, in `spawn_needed`) and has run nothing.
        let active = self.workers.iter().filter(|w| !w.retiring).count();
        let fresh_coming = self.owed > 0
            && active < shared.config.max_workers
            && self.respawn_at.is_none()
            && !state.shutdown;
        let mut next = 0;
        while let Some(candidate) = state.queue.get(next) {
            // A task run again after its worker died goes to a worker that has run
            // nothing yet (the replacement), rather than one whose state may be what
            // killed the last. It waits for the replacement only while one is sure
            // to come, and the tasks behind it go on meanwhile: nothing is held up.
            let prefer_fresh = candidate.attempts > 0;
            let limit = shared.config.max_tasks_per_child;
            let Some(worker) = self
                .workers
                .iter_mut()
                .filter(|w| {
                    // Tasks may be queued behind `Setup` (the worker checks the probe
                    // before it runs anything): start-up costs no extra round trip.
                    !w.retiring
                        && !w.gone
                        && w.in_flight.len() < w.depth(now, alone)
                        && limit.is_none_or(|n| w.sent < n)
                })
                // The least loaded, and a ready worker before one still starting.
                .min_by_key(|w| {
                    let used = prefer_fresh && w.sent > 0;
                    (used, w.in_flight.len(), w.phase != Phase::Ready)
                })
            else {
                break;
            };
            if prefer_fresh && worker.sent > 0 && fresh_coming {
                next += 1; // for the replacement, which starts this round
                continue;
            }
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
            let spent = shared
                .config
                .max_tasks_per_child
                .is_some_and(|n| worker.sent >= n);
            let idle = worker.in_flight.is_empty() && worker.out_pos >= worker.out.len();
            if !worker.retiring && idle && (spent || (shutdown && drained)) {
                worker.retiring = true;
                // The worker exits at end of stream once its replies are out.
                let _ = worker.stream.shutdown(std::net::Shutdown::Write);
                if spent && !shutdown {
                    self.owed += 1;
                }
            }
        }
        !(shutdown && drained && self.workers.is_empty() && self.dying.is_empty())
    }

    /// Starts workers for queued work (one per task, up to `max_workers`) and
    /// replacements for workers that ended.
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
        match self.respawn_at {
            Some(at) if Instant::now() < at => return, // the system refused: not yet
            Some(_) => self.respawn_at = None,         // past: it is no deadline any more
            None => {}
        }
        loop {
            let active = self.workers.iter().filter(|w| !w.retiring).count();
            if active >= self.shared.config.max_workers {
                self.owed = 0;
                return;
            }
            let starting = self
                .workers
                .iter()
                .filter(|w| w.phase != Phase::Ready)
                .count();
            if self.owed == 0 && starting >= queued {
                return;
            }
            let replacing = self.owed > 0;
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
                let now = Instant::now();
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
                self.workers.push(Worker {
                    child,
                    stream,
                    phase: Phase::Hello,
                    in_flight: VecDeque::new(),
                    out,
                    out_pos: 0,
                    inbuf: Vec::new(),
                    sent: 0,
                    spawned_at: now,
                    head_since: now,
                    fast: false,
                    retiring: false,
                    gone: false,
                });
                self.shared.counters.alive.fetch_add(1, Ordering::Relaxed);
                self.respawn_at = None;
                true
            }
            Err(_) if self.workers.iter().any(|w| !w.gone) => {
                self.shared
                    .counters
                    .failed_starts
                    .fetch_add(1, Ordering::Relaxed);
                // A passing refusal (the process limit, memory): the workers alive go
                // on with the work; try again later.
                self.respawn_at = Some(Instant::now() + self.spawn_backoff);
                self.spawn_backoff = (self.spawn_backoff * 2).min(SPAWN_BACKOFF_MAX);
                false
            }
            Err(error) => {
                let reason = format!(
                    "could not start a worker process ({}): {error}; check that the program exists and can run, and the process limit (ulimit -u)",
                    config.program.display()
                );
                self.break_pool(reason);
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
            weft_shim::thread::sleep(Duration::from_millis(1));
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let timeout = self.shared.config.timeout;
        let startup = self.shared.config.startup_timeout;
        let worker_deadlines = self.workers.iter().filter_map(|w| match w.phase {
            Phase::Hello | Phase::Setup => w.spawned_at.checked_add(startup),
            Phase::Ready if !w.in_flight.is_empty() => {
                timeout.and_then(|t| w.head_since.checked_add(t))
            }
            _ => None,
        });
        worker_deadlines.chain(self.respawn_at).min()
    }

    /// Reads every worker that has input and handles its frames; returns the workers
    /// that must leave.
    fn read_all(&mut self) -> Vec<(usize, Exit)> {
        let mut exits = Vec::new();
        for i in 0..self.workers.len() {
            if i >= self.workers.len() {
                break; // the pool broke while handling a frame, and took every worker
            }
            let (readable, writable) = (self.poller.readable(i + 1), self.poller.writable(i + 1));
            if writable && !self.workers[i].flush() {
                self.workers[i].gone = true;
            }
            if readable || self.workers[i].gone {
                if !self.read_worker(i) {
                    self.workers[i].gone = true;
                }
                let handled = self.handle_frames(i);
                if i >= self.workers.len() {
                    break; // the pool broke while handling a frame
                }
                if let Err(reason) = handled {
                    exits.push((i, Exit::Damaged(reason)));
                    continue;
                }
            }
            if self.workers[i].gone {
                exits.push((i, Exit::Gone));
            }
        }
        exits
    }

    /// Reads what the worker's socket has; `false` at end of stream or error.
    fn read_worker(&mut self, i: usize) -> bool {
        read_available(&mut self.workers[i], &mut self.scratch)
    }

    /// Handles every whole frame in worker `i`'s input.
    ///
    /// # Errors
    ///
    /// The stream is damaged or out of protocol: the worker must go.
    fn handle_frames(&mut self, i: usize) -> Result<(), String> {
        let mut inbuf = std::mem::take(&mut self.workers[i].inbuf);
        let mut consumed = 0;
        let outcome = loop {
            match wire::next_frame(&inbuf[consumed..]) {
                Parsed::Partial => break Ok(()),
                Parsed::Damaged(reason) => break Err(reason),
                Parsed::Frame { len } => {
                    let payload = &inbuf[consumed + HEADER..consumed + HEADER + len];
                    consumed += HEADER + len;
                    let message = match postcard::from_bytes::<ToParent<'_>>(payload) {
                        Ok(message) => message,
                        Err(e) => break Err(format!("a frame did not decode: {e}")),
                    };
                    if let Err(reason) = self.handle(i, message) {
                        break Err(reason);
                    }
                    if i >= self.workers.len() {
                        break Ok(()); // the pool broke and took every worker
                    }
                }
            }
        };
        inbuf.drain(..consumed);
        if let Some(worker) = self.workers.get_mut(i) {
            worker.inbuf = inbuf; // (unless the pool broke and took every worker)
        }
        outcome
    }

    /// Handles one message from worker `i`.
    fn handle(&mut self, i: usize, message: ToParent<'_>) -> Result<(), String> {
        let phase = self.workers[i].phase;
        let pid = self.workers[i].pid();
        match message {
            ToParent::Hello { probe, .. } if phase == Phase::Hello => {
                // The worker checks the parent's probe itself before it runs anything;
                // this check only names the problem sooner.
                if !self.probe.matches(&probe) {
                    self.break_pool(different_build(pid));
                    return Ok(());
                }
                self.workers[i].phase = Phase::Setup;
            }
            ToParent::Mismatch => {
                self.break_pool(different_build(pid));
                return Ok(());
            }
            ToParent::Ready if phase == Phase::Setup => {
                let worker = &mut self.workers[i];
                worker.phase = Phase::Ready;
                worker.head_since = Instant::now(); // the deadline starts now
                self.start_failures = 0;
                self.spawn_backoff = SPAWN_BACKOFF;
            }
            ToParent::InitFailed { message } if phase == Phase::Setup => {
                self.break_pool(format!(
                    "the initializer failed in worker process {pid}: {message}"
                ));
            }
            ToParent::Reply {
                id,
                micros,
                outcome,
            } if phase == Phase::Ready => {
                return settle_reply(&self.shared, &mut self.workers[i], (id, micros), outcome);
            }
            other => return Err(format!("a message out of protocol order: {other:?}")),
        }
        Ok(())
    }

    /// Delivers the whole replies left in the socket of a reaped worker: all it wrote
    /// is there now, and a reply that crossed the kill for a deadline (or a death
    /// right after it) must win over that kill, so that a task that finished is
    /// never reported lost, nor run again.
    ///
    /// The start-up frames count too: a worker killed as a late starter may have
    /// become ready (and started a task) just before the kill.
    fn drain_replies(&mut self, worker: &mut Worker) {
        read_available(worker, &mut self.scratch);
        let inbuf = std::mem::take(&mut worker.inbuf);
        let mut consumed = 0;
        while let Parsed::Frame { len } = wire::next_frame(&inbuf[consumed..]) {
            let payload = &inbuf[consumed + HEADER..consumed + HEADER + len];
            consumed += HEADER + len;
            match (worker.phase, postcard::from_bytes(payload)) {
                (Phase::Hello, Ok(ToParent::Hello { .. })) => worker.phase = Phase::Setup,
                (Phase::Setup, Ok(ToParent::Ready)) => worker.phase = Phase::Ready,
                (
                    Phase::Ready,
                    Ok(ToParent::Reply {
                        id,
                        micros,
                        outcome,
                    }),
                ) => {
                    if settle_reply(&self.shared, worker, (id, micros), outcome).is_err() {
                        break;
                    }
                }
                _ => break,
            }
        }
    }

    fn check_deadlines(&mut self, exits: &mut Vec<(usize, Exit)>) {
        let now = Instant::now();
        let timeout = self.shared.config.timeout;
        let startup = self.shared.config.startup_timeout;
        let mut startup_failure = None;
        // With healthy workers about, a late starter is replaced rather than taken as
        // proof that no worker can start.
        let others_ready = self.workers.iter().any(|w| w.phase == Phase::Ready);
        for (i, worker) in self.workers.iter().enumerate() {
            let late = worker
                .spawned_at
                .checked_add(startup)
                .is_some_and(|d| now >= d);
            match worker.phase {
                Phase::Hello | Phase::Setup if late && others_ready => {
                    exits.push((i, Exit::LateStart));
                }
                Phase::Hello if late => {
                    startup_failure = Some(format!(
                        "worker process {} sent no handshake within the startup_timeout of {startup:?}; call weft::process::init() first in main",
                        worker.pid()
                    ));
                }
                Phase::Setup if late => {
                    startup_failure = Some(format!(
                        "the initializer did not finish within the startup_timeout of {startup:?} in worker process {}; make it finish sooner, or raise startup_timeout",
                        worker.pid()
                    ));
                }
                Phase::Ready
                    if !worker.in_flight.is_empty()
                        && timeout
                            .and_then(|t| worker.head_since.checked_add(t))
                            .is_some_and(|d| now >= d) =>
                {
                    let id = worker.in_flight.front().map_or(0, |job| job.id);
                    exits.push((i, Exit::Deadline { id }));
                }
                _ => {}
            }
        }
        if let Some(reason) = startup_failure {
            exits.clear();
            self.break_pool(reason);
        }
    }

    /// Worker `i` leaves the pool: killed now unless it is already on its way out,
    /// then reaped by [`Manager::reap_dying`] without blocking the manager.
    fn remove(&mut self, i: usize, exit: Exit) {
        if i >= self.workers.len() {
            return; // the pool broke meanwhile and took every worker
        }
        let mut worker = self.workers.swap_remove(i);
        if !matches!(exit, Exit::Gone) {
            os::signal(&mut worker.child, os::SIGKILL);
        }
        self.reap_pause = REAP_FIRST;
        self.dying.push(Dying {
            worker,
            exit,
            deadline: Instant::now() + EXIT_GRACE,
        });
    }

    /// Reaps the workers out of the pool that have exited (killing those past their
    /// grace), and settles their tasks.
    fn reap_dying(&mut self) {
        let mut k = 0;
        while k < self.dying.len() {
            let dying = &mut self.dying[k];
            let status = match dying.worker.child.try_wait() {
                Ok(Some(status)) => Some(status),
                Ok(None) if Instant::now() < dying.deadline => {
                    k += 1;
                    continue;
                }
                Ok(None) => {
                    // Past its grace: killed, its status comes at once.
                    os::signal(&mut dying.worker.child, os::SIGKILL);
                    dying.worker.child.wait().ok()
                }
                Err(_) => None,
            };
            let Dying {
                mut worker, exit, ..
            } = self.dying.swap_remove(k);
            if !matches!(exit, Exit::Damaged(_)) {
                self.drain_replies(&mut worker);
            }
            let status = status.map_or((None, None), |s| (s.signal(), s.code()));
            self.settle(worker, exit, status);
        }
    }

    /// Settles the tasks of a reaped worker and owes a replacement.
    fn settle(
        &mut self,
        mut worker: Worker,
        exit: Exit,
        (signal, exit_code): (Option<i32>, Option<i32>),
    ) {
        let kill = !matches!(exit, Exit::Gone);
        self.shared.counters.alive.fetch_sub(1, Ordering::Relaxed);
        let planned = worker.retiring && worker.in_flight.is_empty() && !kill;
        let shared = Arc::clone(&self.shared);
        let counters = &shared.counters;
        counters
            .running
            .fetch_sub(worker.in_flight.len(), Ordering::Relaxed);
        let mut jobs = std::mem::take(&mut worker.in_flight);
        // The check for an ending pool and the re-queue are made under one lock, so a
        // `terminate_workers` in between cannot miss the re-queued jobs.
        let mut state = shared.lock();
        let ended = match (&state.broken, state.ending) {
            (Some(reason), _) => Some(TaskError::PoolBroken {
                reason: reason.clone(),
            }),
            (None, Some(_)) => Some(TaskError::Cancelled),
            (None, None) => None,
        };
        if let Some(error) = ended {
            drop(state);
            for job in jobs {
                job.sink.fail(error.clone());
            }
            return;
        }
        let killed_while_starting = matches!(exit, Exit::Gone) && signal.is_some();
        let late_among_ready = matches!(exit, Exit::LateStart);
        if worker.phase != Phase::Ready
            && !planned
            && (late_among_ready
                || killed_while_starting && self.start_failures + 1 < START_ATTEMPTS)
        {
            // Killed from outside (or by us, late) before it was ready: no task started
            // on it (it runs none before `Ready`, invariant 4), so all go back, in
            // order, and a replacement starts. Only a start-up that keeps failing
            // breaks the pool.
            // A slow start among ready workers says nothing about whether workers
            // can start: it does not count toward breaking the pool.
            if killed_while_starting {
                self.start_failures += 1;
            }
            counters.failed_starts.fetch_add(1, Ordering::Relaxed);
            for job in jobs.into_iter().rev() {
                state.queue.push_front(job);
            }
            counters.queued.store(state.queue.len(), Ordering::Relaxed);
            drop(state);
            self.owed += 1;
            return;
        }
        if worker.phase != Phase::Ready && !planned {
            drop(state);
            counters.failed_starts.fetch_add(1, Ordering::Relaxed);
            let status = match (signal, exit_code) {
                (Some(s), _) => format!("killed by signal {s}"),
                (None, Some(c)) => format!("exit code {c}"),
                (None, None) => "no status".to_owned(),
            };
            let reason = match exit {
                Exit::Damaged(why) => format!(
                    "worker process {} broke the protocol during start-up ({why})",
                    worker.pid()
                ),
                _ => format!(
                    "worker process {} ended during start-up ({status}); is weft::process::init() first in main, and does the initializer succeed?",
                    worker.pid()
                ),
            };
            self.break_pool(reason.clone());
            for job in jobs {
                job.sink.fail(TaskError::PoolBroken {
                    reason: reason.clone(),
                });
            }
            return;
        }
        let retries = shared.config.retries;
        let mut failed = Vec::new();
        if let Some(mut head) = jobs.pop_front() {
            let error = match &exit {
                Exit::Deadline { id } if *id == head.id => Some(TaskError::DeadlineExceeded {
                    timeout: shared.config.timeout.unwrap_or_default(),
                }),
                Exit::Damaged(message) => Some(TaskError::Codec {
                    message: format!("the worker's reply was damaged: {message}"),
                }),
                // It died (or was killed for the task before it, whose reply came
                // after all) while this one ran.
                _ if head.attempts < retries => None,
                _ => Some(TaskError::WorkerDied { signal, exit_code }),
            };
            match error {
                Some(error) => failed.push((head, error)),
                None => {
                    head.attempts += 1;
                    jobs.push_front(head);
                }
            }
        }
        if let Exit::Damaged(_) = exit {
            // Past a damaged frame nothing can be told apart: the worker may have
            // run every task behind it too. Each counts as run once more, so none
            // runs twice unless `retries` allows it.
            let mut again = VecDeque::new();
            for mut job in jobs.drain(..) {
                if job.attempts < retries {
                    job.attempts += 1;
                    again.push_back(job);
                } else {
                    failed.push((job, TaskError::Codec {
                        message: "the worker's stream was damaged before this task's reply came, so it may have run; give the pool retries(n) to run such tasks again".to_owned(),
                    }));
                }
            }
            jobs = again;
        }
        // Behind the head, nothing started (invariant 4): back to the front, in order.
        for job in jobs.into_iter().rev() {
            state.queue.push_front(job);
        }
        counters.queued.store(state.queue.len(), Ordering::Relaxed);
        let shutdown = state.shutdown;
        drop(state);
        counters
            .completed
            .fetch_add(failed.len() as u64, Ordering::Relaxed);
        for (job, error) in failed {
            job.sink.fail(error);
        }
        if !planned && !shutdown {
            self.owed += 1;
        }
    }

    /// Breaks the pool: no more submits; every queued and in-flight task fails with
    /// the reason; every worker is killed and reaped.
    fn break_pool(&mut self, reason: String) {
        let queued: Vec<Job> = {
            let mut state = self.shared.lock();
            if state.broken.is_none() {
                state.broken = Some(reason.clone());
            }
            self.shared.room.notify_all();
            state.queue.drain(..).collect()
        };
        let error = TaskError::PoolBroken { reason };
        for job in queued {
            job.sink.fail(error.clone());
        }
        let dying = self.dying.drain(..).map(|d| d.worker);
        for mut worker in self.workers.drain(..).chain(dying) {
            reap(&mut worker.child, true);
            for job in worker.in_flight.drain(..) {
                job.sink.fail(error.clone());
            }
        }
        let counters = &self.shared.counters;
        counters.alive.store(0, Ordering::Relaxed);
        counters.queued.store(0, Ordering::Relaxed);
        counters.running.store(0, Ordering::Relaxed);
    }

    /// `terminate_workers` / `kill_workers`: signal every worker, reap it, cancel its tasks.
    fn end_workers(&mut self, signal: i32) {
        for worker in &mut self.workers {
            os::signal(&mut worker.child, signal);
        }
        let deadline = Instant::now() + TERM_GRACE;
        let dying = self.dying.drain(..).map(|d| d.worker);
        for mut worker in self.workers.drain(..).chain(dying) {
            if wait_until(&mut worker.child, deadline).is_none() {
                reap(&mut worker.child, true); // not gone within the grace: SIGKILL
            }
            for job in worker.in_flight.drain(..) {
                job.sink.fail(TaskError::Cancelled);
            }
        }
        let counters = &self.shared.counters;
        counters.alive.store(0, Ordering::Relaxed);
        counters.running.store(0, Ordering::Relaxed);
    }
}

/// Breaks the pool if the manager thread unwinds: every queued and in-flight future
/// fails, blocked submitters wake, every worker is killed and reaped.
struct RunGuard(Manager);

impl Drop for RunGuard {
    fn drop(&mut self) {
        if weft_shim::thread::panicking() {
            let manager = &mut self.0;
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                manager.break_pool(
                    "the pool's manager thread panicked (a bug in weft-process or in a Drop or Deserialize of a task's type); build a new pool".to_owned(),
                );
            }));
        }
    }
}

fn different_build(pid: u32) -> String {
    format!(
        "worker process {pid} runs a different build of this program (the handshake did not match); do not replace the executable while it runs, and give program() only this program"
    )
}

/// Waits for `child` until `deadline`; its status if it exited.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<std::process::ExitStatus> {
    // A worker that ended its stream is usually gone within microseconds: poll soon
    // at first, then back off.
    let mut pause = Duration::from_micros(20);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                weft_shim::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(2));
            }
            _ => return None,
        }
    }
}

/// Reaps `child` (killing it first if `kill`, or if it does not exit within
/// [`EXIT_GRACE`]); returns (signal, exit code).
fn reap(child: &mut Child, kill: bool) -> (Option<i32>, Option<i32>) {
    if kill {
        os::signal(child, os::SIGKILL);
    }
    let status = match wait_until(child, Instant::now() + EXIT_GRACE) {
        Some(status) => Some(status),
        None => {
            os::signal(child, os::SIGKILL);
            child.wait().ok()
        }
    };
    status.map_or((None, None), |s| (s.signal(), s.code()))
}

/// Appends what `worker`'s socket has now to its input, through `scratch`; `false`
/// at end of stream or on an error (the worker is gone), `true` once it would block.
fn read_available(worker: &mut Worker, scratch: &mut [u8]) -> bool {
    loop {
        match (&worker.stream).read(scratch) {
            Ok(0) => return false,
            Ok(n) => worker.inbuf.extend_from_slice(&scratch[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Completes the head task of `worker` with its reply; `Err` if the reply is not for
/// the head (the stream is out of protocol).
fn settle_reply(
    shared: &Shared,
    worker: &mut Worker,
    (id, micros): (u64, u32),
    outcome: Result<Bytes<'_>, wire::WireError>,
) -> Result<(), String> {
    let Some(job) = worker.in_flight.pop_front() else {
        return Err(format!("a reply for task {id}, which was not sent"));
    };
    if job.id != id {
        worker.in_flight.push_front(job);
        return Err(format!("a reply for task {id} out of order"));
    }
    // How long the task ran in the worker: a round trip measured here would count the
    // machine's load and the pipeline's queue too.
    worker.fast = u128::from(micros) < SHORT_TASK.as_micros();
    worker.head_since = Instant::now();
    let counters = &shared.counters;
    counters.running.fetch_sub(1, Ordering::Relaxed);
    counters.completed.fetch_add(1, Ordering::Relaxed);
    match outcome {
        Ok(bytes) => job.sink.deliver(bytes.0),
        Err(error) => job.sink.fail(error.into()),
    }
    Ok(())
}
