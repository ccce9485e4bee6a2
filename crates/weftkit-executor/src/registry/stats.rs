//! Introspection counts: running and completed tasks, kept per worker so that counting
//! costs no shared cache line on the hot path.

use weftkit_shim::sync::atomic::{AtomicU64, Ordering};

use super::current_worker;

/// One cache line per counter slot, so workers never share one.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Slot {
    running: AtomicU64,
    completed: AtomicU64,
}

/// Per-worker counts plus one shared slot for tasks run outside a worker (the caller
/// of a `CallerRuns` submit, or a shutdown that cancels queued tasks).
#[derive(Debug)]
pub(crate) struct Stats {
    slots: Box<[Slot]>,
}

impl Stats {
    pub(crate) fn new(workers: usize) -> Self {
        Self {
            slots: (0..=workers).map(|_| Slot::default()).collect(),
        }
    }

    fn slot(&self) -> &Slot {
        let index = current_worker().map_or(self.slots.len() - 1, |w| w.index());
        &self.slots[index.min(self.slots.len() - 1)]
    }

    /// A task began running on this thread.
    pub(crate) fn task_started(&self) {
        self.slot().running.fetch_add(1, Ordering::Relaxed);
    }

    /// A task this thread was running finished.
    pub(crate) fn task_finished(&self) {
        let slot = self.slot();
        slot.running.fetch_sub(1, Ordering::Relaxed);
        slot.completed.fetch_add(1, Ordering::Relaxed);
    }

    /// Tasks running now (a snapshot).
    pub(crate) fn running(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| s.running.load(Ordering::Relaxed))
            .sum()
    }

    /// Tasks finished so far (a snapshot).
    pub(crate) fn completed(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| s.completed.load(Ordering::Relaxed))
            .sum()
    }
}
