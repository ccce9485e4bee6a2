//! What submitting threads and the engine thread share on the client: the queue of
//! jobs, the flags and the two condition variables (`README.md`, invariants S1-S4).
//! Generic over the job, so that the loom models run this very code.

use std::collections::VecDeque;

use weftkit_shim::sync::{Condvar, Mutex, MutexGuard};
use weftkit_shim::time::Duration;

/// Why a job was not queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    Full,
    ShutDown,
    Broken(String),
}

/// The mutable part, under [`Shared::state`].
#[derive(Debug)]
pub(crate) struct State<J> {
    pub(crate) queue: VecDeque<J>,
    /// No more submits; the engine ends once the work is done (S1, S3).
    pub(crate) shutdown: bool,
    /// Why the pool broke, once it did.
    pub(crate) broken: Option<String>,
    /// The engine has ended: nothing will take jobs any more.
    pub(crate) ended: bool,
    /// The engine sleeps in `wait_for_work` (S4): a push notifies only then, so a
    /// submit costs no wake-up call while the engine is busy.
    engine_waiting: bool,
    /// Submitters sleeping for room: a take notifies only when there are some.
    room_waiters: usize,
}

/// The queue and its flags, shared by the pool's handle, its submitters and its engine.
#[derive(Debug)]
pub(crate) struct Shared<J> {
    state: Mutex<State<J>>,
    /// Submitters waiting for room.
    room: Condvar,
    /// The engine waiting for work (S4).
    work: Condvar,
    capacity: usize,
}

impl<J> Shared<J> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                shutdown: false,
                broken: None,
                ended: false,
                engine_waiting: false,
                room_waiters: 0,
            }),
            room: Condvar::new(),
            work: Condvar::new(),
            capacity,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<J>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `job` (S1), waiting for room if `block`; the job comes back if refused.
    pub(crate) fn push(&self, job: J, block: bool) -> Result<(), (Refused, J)> {
        let mut state = self.lock();
        loop {
            if let Some(reason) = &state.broken {
                return Err((Refused::Broken(reason.clone()), job));
            }
            if state.shutdown || state.ended {
                return Err((Refused::ShutDown, job));
            }
            if state.queue.len() < self.capacity {
                break;
            }
            if !block {
                return Err((Refused::Full, job));
            }
            state.room_waiters += 1;
            state = self
                .room
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.room_waiters -= 1;
        }
        state.queue.push_back(job);
        let wake = state.engine_waiting;
        drop(state);
        // S4: the engine sets `engine_waiting` and checks the queue under the lock
        // before it sleeps, so either it saw this job, or this push saw the flag and
        // notifies.
        if wake {
            self.work.notify_one();
        }
        Ok(())
    }

    /// Stops taking jobs; with `cancel`, takes every queued job out (S2) for the caller
    /// to cancel.
    pub(crate) fn shutdown(&self, cancel: bool) -> Vec<J> {
        let drained = {
            let mut state = self.lock();
            state.shutdown = true;
            if cancel {
                state.queue.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        self.room.notify_all();
        self.work.notify_all();
        drained
    }

    /// Breaks the pool: no more submits; every queued job is handed back to fail.
    pub(crate) fn break_with(&self, reason: String) -> Vec<J> {
        let drained = {
            let mut state = self.lock();
            state.broken.get_or_insert(reason);
            state.queue.drain(..).collect()
        };
        self.room.notify_all();
        drained
    }

    /// The engine's take: up to `max` jobs from the front of the queue (S2).
    pub(crate) fn take(&self, max: usize, into: &mut Vec<J>) -> usize {
        if max == 0 {
            return 0;
        }
        let (taken, waiters) = {
            let mut state = self.lock();
            let n = max.min(state.queue.len());
            into.extend(state.queue.drain(..n));
            (n, state.room_waiters)
        };
        // A submitter counts itself under the lock before it sleeps for room: one it
        // missed here had not yet found the queue full.
        if taken > 0 && waiters > 0 {
            self.room.notify_all();
        }
        taken
    }

    /// The engine's check before it ends (S3): shut down, nothing queued, nothing in
    /// flight (`idle`). Marks the end, under the lock, when it is over.
    pub(crate) fn try_end(&self, idle: bool) -> bool {
        let mut state = self.lock();
        let over = (state.shutdown || state.broken.is_some()) && state.queue.is_empty() && idle;
        if over {
            state.ended = true;
        }
        over
    }

    /// The engine's pause when it has nothing to do: sleeps up to `timeout` unless a
    /// job is queued or a shutdown was asked (checked under the lock first: S4).
    pub(crate) fn wait_for_work(&self, timeout: Duration) {
        let mut state = self.lock();
        if !state.queue.is_empty() || state.shutdown || state.broken.is_some() {
            return;
        }
        state.engine_waiting = true;
        let (mut state, _) = self
            .work
            .wait_timeout(state, timeout)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.engine_waiting = false;
    }

    /// How many jobs wait in the queue.
    pub(crate) fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    /// Why the pool is broken, if it is.
    pub(crate) fn broken(&self) -> Option<String> {
        self.lock().broken.clone()
    }
}
