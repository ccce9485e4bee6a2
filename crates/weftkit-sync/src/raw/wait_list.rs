//! A FIFO of waiters kept inside lock-protected state: invariant L1 in `README.md`.

use std::collections::VecDeque;

use weftkit_shim::sync::Arc;

use super::Waiter;

/// Waiters in arrival order. Every method must be called with the protecting lock held.
#[derive(Debug, Default)]
pub(crate) struct WaitList {
    waiters: VecDeque<Arc<Waiter>>,
}

impl WaitList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self {
            waiters: VecDeque::new(),
        }
    }

    /// How many waiters are queued.
    pub(crate) fn len(&self) -> usize {
        self.waiters.len()
    }

    /// Appends `waiter`.
    pub(crate) fn push(&mut self, waiter: Arc<Waiter>) {
        self.waiters.push_back(waiter);
    }

    /// Removes `waiter` if it is still queued; `false` means a notifier already
    /// popped it, so the caller must treat its wait as notified (L1).
    pub(crate) fn remove(&mut self, waiter: &Arc<Waiter>) -> bool {
        match self.waiters.iter().position(|w| Arc::ptr_eq(w, waiter)) {
            Some(index) => {
                self.waiters.remove(index);
                true
            }
            None => false,
        }
    }

    /// Whether no waiter is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    /// Wakes the longest waiter; `false` if there was none.
    pub(crate) fn notify_one(&mut self) -> bool {
        match self.waiters.pop_front() {
            Some(waiter) => {
                waiter.notify();
                true
            }
            None => false,
        }
    }

    /// Wakes up to `n` waiters, longest first; returns how many woke.
    pub(crate) fn notify(&mut self, n: usize) -> usize {
        let mut woken = 0;
        while woken < n && self.notify_one() {
            woken += 1;
        }
        woken
    }

    /// Wakes every waiter; returns how many woke.
    pub(crate) fn notify_all(&mut self) -> usize {
        self.notify(usize::MAX)
    }
}
