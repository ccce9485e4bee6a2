//! Parked threads of one kind, with their "someone is parked" bit kept in the atomic
//! word that their notifiers modify anyway (A4, A5 in `README.md`).

use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicU64, Ordering};

use crate::Lock;
use crate::raw::{WaitList, Waiter};

/// A list of parked threads and the bit of a word that says it is non-empty.
pub(super) struct Sleepers {
    list: Lock<WaitList>,
    /// The flag bit in the word passed to every method (always the same word).
    bit: u64,
}

impl Sleepers {
    pub(super) fn new(bit: u64) -> Self {
        Self {
            list: Lock::new(WaitList::new()),
            bit,
        }
    }

    /// Queues the calling thread and sets the bit in `word` (A4). The caller must retry
    /// its operation before it waits (A5).
    pub(super) fn register(&self, word: &AtomicU64) -> Arc<Waiter> {
        let waiter = Waiter::new();
        let mut list = self.list.lock();
        list.push_tagged(Arc::clone(&waiter), 0);
        // A4: set under the lock, after the push. A5: an RMW on the notifier's word,
        // so either the notifier's RMW returns the bit or the caller's retry sees the
        // notifier's change.
        word.fetch_or(self.bit, Ordering::AcqRel);
        waiter
    }

    /// Takes `waiter` off the list; `false` if a notifier already chose it, so its
    /// wait counts as notified (A7, L1).
    ///
    /// # Safety
    ///
    /// `waiter` was returned by `register` on these `Sleepers` (so it was pushed onto
    /// this list and no other).
    pub(super) unsafe fn withdraw(&self, waiter: &Arc<Waiter>, word: &AtomicU64) -> bool {
        let mut list = self.list.lock();
        // SAFETY: `waiter` was pushed onto this list only (this fn's contract).
        let removed = unsafe { list.remove(waiter) };
        if removed && list.is_empty() {
            // A4: the list emptied under the lock.
            word.fetch_and(!self.bit, Ordering::AcqRel);
        }
        removed
    }

    /// Withdraws a waiter whose retry succeeded; a wake-up it was already given goes
    /// to the next waiter instead (A7).
    ///
    /// # Safety
    ///
    /// As for [`withdraw`](Self::withdraw): `waiter` came from `register` on these
    /// `Sleepers`.
    pub(super) unsafe fn cancel(&self, waiter: &Arc<Waiter>, word: &AtomicU64) {
        // SAFETY: passed on from this fn's contract.
        if !unsafe { self.withdraw(waiter, word) } {
            self.notify_one(word);
        }
    }

    /// Wakes the longest-parked thread, if any (A6).
    pub(super) fn notify_one(&self, word: &AtomicU64) {
        let mut list = self.list.lock();
        if list.notify_one() && list.is_empty() {
            // A4: the list emptied under the lock.
            word.fetch_and(!self.bit, Ordering::AcqRel);
        }
    }

    /// Wakes every parked thread (A6).
    pub(super) fn notify_all(&self, word: &AtomicU64) {
        let mut list = self.list.lock();
        if list.notify_all() > 0 {
            // A4: the list emptied under the lock.
            word.fetch_and(!self.bit, Ordering::AcqRel);
        }
    }

    /// How many threads are parked (a snapshot, for `Debug`).
    pub(super) fn len(&self) -> usize {
        self.list.lock().len()
    }
}
