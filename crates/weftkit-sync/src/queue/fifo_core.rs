//! `FifoCore`: what a [`Queue`](crate::Queue) runs on. A bounded queue whose slots fit
//! `ARRAY_BUDGET` is the lock-free ring (`array.rs`, `README.md`); any other is the
//! locked core every flavour shares (`shared.rs`).

use std::collections::VecDeque;
use std::fmt;

use weftkit_shim::time::Instant;

use super::array::ArrayCore;
use super::shared::{Block, QueueCore};
use crate::{ConfigError, GetError, PutError, QueueJoinError, StopToken, TaskDoneError};

/// The two ways a `Queue` can be built; every method forwards to the one in use.
#[allow(
    clippy::large_enum_variant,
    reason = "the ring's size is its cache-line padding, there by design; boxing it would add a pointer chase to every put and get"
)]
pub(crate) enum FifoCore<T> {
    Array(ArrayCore<T>),
    Locked(QueueCore<VecDeque<T>>),
}

/// Forwards `$call` to whichever core is in use.
macro_rules! each {
    ($self:ident, $core:ident => $call:expr) => {
        match $self {
            FifoCore::Array($core) => $call,
            FifoCore::Locked($core) => $call,
        }
    };
}

impl<T> FifoCore<T> {
    pub(crate) fn bounded(capacity: usize) -> Result<Self, ConfigError> {
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        if ArrayCore::<T>::fits(capacity) {
            Ok(Self::Array(ArrayCore::new(capacity)))
        } else {
            QueueCore::bounded(capacity).map(Self::Locked)
        }
    }

    pub(crate) fn unbounded() -> Self {
        Self::Locked(QueueCore::unbounded())
    }

    pub(crate) fn put(&self, item: T, block: Block<'_>) -> Result<(), PutError<T>> {
        each!(self, core => core.put(item, block))
    }

    pub(crate) fn get(&self, block: Block<'_>) -> Result<T, GetError> {
        each!(self, core => core.get(block))
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        each!(self, core => core.task_done())
    }

    pub(crate) fn join(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), QueueJoinError> {
        each!(self, core => core.join(deadline, stop))
    }

    pub(crate) fn shutdown(&self, immediate: bool) {
        each!(self, core => core.shutdown(immediate));
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        each!(self, core => core.is_shut_down())
    }

    pub(crate) fn len(&self) -> usize {
        each!(self, core => core.len())
    }

    pub(crate) fn is_full(&self) -> bool {
        each!(self, core => core.is_full())
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        match self {
            Self::Array(core) => Some(core.capacity()),
            Self::Locked(core) => core.capacity(),
        }
    }

    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(self, core => core.debug(name, f))
    }
}
