//! The queue machinery shared by every flavour: Q1–Q3 in `mod.rs`.

use std::fmt;

use weftkit_shim::time::{Duration, Instant};

use super::Store;
use crate::raw::{WaitList, WakeReason, deadline_after};
use crate::{
    ConfigError, GetError, Lock, LockGuard, PutError, QueueJoinError, StopToken, TaskDoneError,
};

/// How long an operation may wait.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Block<'a> {
    /// Not at all: the `try_` forms.
    Never,
    /// Until `deadline` passes (`None`: forever) or `stop` fires.
    Until {
        deadline: Option<Instant>,
        stop: Option<&'a StopToken>,
    },
}

impl<'a> Block<'a> {
    /// Wait as long as it takes.
    pub(crate) fn forever() -> Self {
        Block::Until {
            deadline: None,
            stop: None,
        }
    }

    /// Wait at most `timeout` from now (the deadline is fixed here, once).
    pub(crate) fn timeout(timeout: Duration) -> Self {
        Block::Until {
            deadline: deadline_after(timeout),
            stop: None,
        }
    }

    /// Wait until `stop` fires.
    pub(crate) fn stoppable(stop: &'a StopToken) -> Self {
        Block::Until {
            deadline: None,
            stop: Some(stop),
        }
    }

    /// Parks on `list` if this operation may wait; `None` means it may not.
    fn park<S>(
        self,
        state: &mut LockGuard<'_, State<S>>,
        list: fn(&mut State<S>) -> &mut WaitList,
    ) -> Option<WakeReason> {
        match self {
            Block::Never => None,
            Block::Until { deadline, stop } => Some(state.park_on(list, deadline, stop)),
        }
    }
}

/// A queue of any flavour: the store plus the lock-protected bookkeeping.
pub(crate) struct QueueCore<S> {
    state: Lock<State<S>>,
    /// `None` for an unbounded queue; never `Some(0)`.
    capacity: Option<usize>,
}

struct State<S> {
    items: S,
    /// Items put and not yet marked done. A `u64`, so that even a 32-bit program that
    /// never calls `task_done` cannot overflow it.
    unfinished: u64,
    shut_down: bool,
    /// `shutdown(true)` found unfinished items: every join fails from now on.
    abandoned: bool,
    not_empty: WaitList,
    not_full: WaitList,
    all_done: WaitList,
}

impl<S: Store> QueueCore<S> {
    pub(crate) fn bounded(capacity: usize) -> Result<Self, ConfigError> {
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        Ok(Self::new(Some(capacity)))
    }

    pub(crate) fn unbounded() -> Self {
        Self::new(None)
    }

    fn new(capacity: Option<usize>) -> Self {
        Self {
            state: Lock::new(State {
                items: S::default(),
                unfinished: 0,
                shut_down: false,
                abandoned: false,
                not_empty: WaitList::new(),
                not_full: WaitList::new(),
                all_done: WaitList::new(),
            }),
            capacity,
        }
    }

    pub(crate) fn put(&self, item: S::Item, block: Block<'_>) -> Result<(), PutError<S::Item>> {
        let mut state = self.state.lock();
        loop {
            if state.shut_down {
                return Err(PutError::ShutDown(item));
            }
            if !self.full(&state) {
                state.items.push(item);
                state.unfinished += 1;
                state.not_empty.notify_one(); // Q1
                return Ok(());
            }
            match block.park(&mut state, |s| &mut s.not_full) {
                None => return Err(PutError::Full(item)),
                Some(WakeReason::Notified) => {} // Q2: re-check, take the slot
                Some(WakeReason::TimedOut) => return Err(PutError::TimedOut(item)),
                Some(WakeReason::Stopped) => return Err(PutError::Stopped(item)),
            }
        }
    }

    pub(crate) fn get(&self, block: Block<'_>) -> Result<S::Item, GetError> {
        let mut state = self.state.lock();
        loop {
            if let Some(item) = state.items.pop() {
                state.not_full.notify_one(); // Q1
                return Ok(item);
            }
            if state.shut_down {
                return Err(GetError::ShutDown);
            }
            match block.park(&mut state, |s| &mut s.not_empty) {
                None => return Err(GetError::Empty),
                Some(WakeReason::Notified) => {} // Q2: re-check, take the item
                Some(WakeReason::TimedOut) => return Err(GetError::TimedOut),
                Some(WakeReason::Stopped) => return Err(GetError::Stopped),
            }
        }
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut state = self.state.lock();
        if state.unfinished == 0 {
            return Err(TaskDoneError);
        }
        state.unfinished -= 1;
        if state.unfinished == 0 {
            state.all_done.notify_all(); // Q3
        }
        Ok(())
    }

    pub(crate) fn join(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), QueueJoinError> {
        let mut state = self.state.lock();
        loop {
            if state.abandoned {
                return Err(QueueJoinError::ShutDown);
            }
            if state.unfinished == 0 {
                return Ok(());
            }
            match state.park_on(|s| &mut s.all_done, deadline, stop) {
                WakeReason::Notified => {}
                WakeReason::TimedOut => return Err(QueueJoinError::TimedOut),
                WakeReason::Stopped => return Err(QueueJoinError::Stopped),
            }
        }
    }

    pub(crate) fn shutdown(&self, immediate: bool) {
        let mut state = self.state.lock();
        state.shut_down = true;
        let dropped = if immediate {
            if state.unfinished > 0 {
                state.abandoned = true;
            }
            let dropped = std::mem::take(&mut state.items);
            let count = u64::try_from(dropped.len()).unwrap_or(u64::MAX);
            state.unfinished = state.unfinished.saturating_sub(count);
            state.all_done.notify_all(); // Q3
            Some(dropped)
        } else {
            None
        };
        state.not_empty.notify_all(); // Q3
        state.not_full.notify_all();
        drop(state);
        drop(dropped); // outside the lock: an item's Drop may use the queue
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.state.lock().shut_down
    }

    pub(crate) fn len(&self) -> usize {
        self.state.lock().items.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.full(&self.state.lock())
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    fn full(&self, state: &State<S>) -> bool {
        self.capacity
            .is_some_and(|capacity| state.items.len() >= capacity)
    }

    /// The `Debug` body of a queue type called `name`: a snapshot of its counts.
    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct(name)
            .field("len", &state.items.len())
            .field("capacity", &self.capacity)
            .field("unfinished", &state.unfinished)
            .field("shut_down", &state.shut_down)
            .field("waiting_getters", &state.not_empty.len())
            .field("waiting_putters", &state.not_full.len())
            .field("waiting_joiners", &state.all_done.len())
            .finish()
    }
}
