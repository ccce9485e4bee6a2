//! What the pool handle and its manager thread share: the queue, the flags, the
//! counters, and the type-erased jobs.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use weftkit_executor::TaskError;
use weftkit_shim::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use weftkit_shim::sync::{Condvar, Mutex, MutexGuard};
use weftkit_shim::time::Duration;

use crate::builder::WhenFull;
use crate::call::Call;
pub(crate) use crate::sink::{Sink, TypedSink};
use crate::wake::{Bell, Drain, WakeFlag};

/// One submitted task.
pub(crate) struct Job {
    pub(crate) id: u64,
    pub(crate) call: Call,
    pub(crate) args: Vec<u8>,
    pub(crate) sink: Box<dyn Sink>,
    /// Runs so far that ended with the worker's death (for `retries`).
    pub(crate) attempts: u32,
}

/// The pool's settings, fixed at `build`.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) max_tasks_per_child: Option<u64>,
    pub(crate) initializer: Option<Call>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) startup_timeout: Duration,
    pub(crate) capacity: Option<usize>,
    pub(crate) when_full: WhenFull,
    pub(crate) retries: u32,
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
}

/// The mutable state, under [`Shared::state`].
#[derive(Default)]
pub(crate) struct State {
    pub(crate) queue: VecDeque<Job>,
    /// `shutdown` was called: no more submits; the manager ends when the work is done.
    pub(crate) shutdown: bool,
    /// `terminate_workers`/`kill_workers`: the signal to end the workers with.
    pub(crate) ending: Option<i32>,
    /// Why the pool broke, once it did.
    pub(crate) broken: Option<String>,
}

/// Snapshot counters, updated by the manager and the submitters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) alive: AtomicUsize,
    pub(crate) restarts: AtomicU64,
    pub(crate) failed_starts: AtomicU64,
    pub(crate) queued: AtomicUsize,
    pub(crate) running: AtomicUsize,
    pub(crate) completed: AtomicU64,
}

/// Everything the pool handle and the manager thread share.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) state: Mutex<State>,
    /// Submitters waiting for room in the queue.
    pub(crate) room: Condvar,
    /// Wakes the manager through the sending end of the wake socket (`wire/README.md`,
    /// invariant 6).
    wake: WakeFlag<UnixStream>,
    pub(crate) next_id: AtomicU64,
    pub(crate) counters: Counters,
}

impl Shared {
    pub(crate) fn new(config: Config, wake_tx: UnixStream) -> Self {
        Self {
            config,
            state: Mutex::new(State::default()),
            room: Condvar::new(),
            wake: WakeFlag::new(wake_tx),
            next_id: AtomicU64::new(0),
            counters: Counters::default(),
        }
    }

    /// Locks the state; a panic elsewhere while it was held does not make it unusable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Ends the pool at once, without waiting: no more submits, every queued task
    /// cancelled, and the manager told to end its workers with `signal` (it cancels
    /// their tasks as it reaps them).
    pub(crate) fn begin_end(&self, signal: i32) {
        let cancelled: Vec<Job> = {
            let mut state = self.lock();
            state.shutdown = true;
            if state.ending.is_none() {
                state.ending = Some(signal);
            }
            self.room.notify_all();
            state.queue.drain(..).collect()
        };
        for job in cancelled {
            job.sink.fail(TaskError::Cancelled);
        }
        self.counters.queued.store(0, Ordering::Relaxed);
        self.wake();
    }

    /// Whether the pool is over: broken, or shut down with nothing left to run and
    /// no worker left. (Only Ctrl-C asks, which the model checkers do not build.)
    #[cfg(not(any(weft_loom, weft_shuttle)))]
    pub(crate) fn is_finished(&self) -> bool {
        let state = self.lock();
        state.broken.is_some()
            || state.shutdown
                && state.queue.is_empty()
                && self.counters.alive.load(Ordering::Relaxed) == 0
                && self.counters.running.load(Ordering::Relaxed) == 0
    }

    /// Wakes the manager; never blocks (invariant 6).
    pub(crate) fn wake(&self) {
        self.wake.wake();
    }

    /// Reads the manager's end of the wake socket dry, then lets later submits wake
    /// it again; the manager looks at the state next (invariant 6).
    pub(crate) fn drain_wake(&self, wake_rx: &UnixStream) {
        self.wake.drain_then_clear(wake_rx);
    }
}

/// The wake socket's sending end: non-blocking, and written with `MSG_NOSIGNAL`, so a
/// manager that has ended (its end closed) costs an error, not `SIGPIPE`.
impl Bell for UnixStream {
    fn ring(&self) {
        // A full socket means a byte is already waiting: nothing is lost.
        let _ = crate::os::send(self, &[1]);
    }
}

/// The wake socket's receiving end (non-blocking): read until it would block. Stopped
/// early (by an error), it leaves a byte that costs one needless round, no more.
impl Drain for UnixStream {
    fn drain(&self) {
        let mut buf = [0u8; 64];
        while matches!((&*self).read(&mut buf), Ok(n) if n > 0) {}
    }
}
