//! One blocked thread: invariants W1–W3 in `README.md`.

use std::cell::Cell;

use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicBool, Ordering};
use weftkit_shim::thread::{self, Thread};
use weftkit_shim::time::Instant;

use crate::StopToken;

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WakeReason {
    /// A notifier chose this waiter.
    Notified,
    /// The deadline passed first.
    TimedOut,
    /// The wait's `StopToken` fired first.
    Stopped,
}

weftkit_shim::thread_local! {
    /// The calling thread's last waiter, reused while nobody else holds it (W4).
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! has no const form")]
    static CACHED: Cell<Option<Arc<Waiter>>> = Cell::new(None);
}

/// A parked (or about to park) thread and its notification flag.
#[derive(Debug)]
pub(crate) struct Waiter {
    thread: Thread,
    notified: AtomicBool,
}

impl Waiter {
    /// A waiter for the calling thread: this thread's cached one when nobody else
    /// holds it any more, else a new one (W4).
    pub(crate) fn new() -> Arc<Self> {
        // `try_with`: after this thread's thread-locals were destroyed (an `atexit` hook
        // on the main thread waits for non-daemon threads after that point) there is no
        // cache; a fresh waiter each time is still correct.
        let cached = CACHED.try_with(Cell::take).ok().flatten();
        if let Some(mut waiter) = cached {
            // `get_mut` succeeds only if this is the last reference, and it synchronises
            // (Acquire) with every other holder's drop, so the last notifier's store to
            // `notified` happens before this reset.
            if let Some(unique) = Arc::get_mut(&mut waiter) {
                unique.notified.store(false, Ordering::Relaxed);
                Self::cache(&waiter);
                return waiter;
            }
        }
        let waiter = Arc::new(Self {
            thread: thread::current(),
            notified: AtomicBool::new(false),
        });
        Self::cache(&waiter);
        waiter
    }

    /// Keeps `waiter` for this thread's next wait, if its thread-locals still exist.
    fn cache(waiter: &Arc<Self>) {
        let _ = CACHED.try_with(|cached| cached.set(Some(Arc::clone(waiter))));
    }

    /// Marks the waiter notified and wakes its thread (W1).
    pub(crate) fn notify(&self) {
        self.notified.store(true, Ordering::Release);
        self.thread.unpark();
    }

    /// Whether a notifier has chosen this waiter.
    pub(crate) fn is_notified(&self) -> bool {
        self.notified.load(Ordering::Acquire)
    }

    /// Parks the calling thread (which must be the one that made this waiter) until
    /// it is notified, `deadline` passes, or `stop` fires (W2, W3).
    pub(crate) fn wait(&self, deadline: Option<Instant>, stop: Option<&StopToken>) -> WakeReason {
        let _registration = stop.map(|token| token.register(self.thread.clone()));
        loop {
            if self.is_notified() {
                return WakeReason::Notified;
            }
            if stop.is_some_and(StopToken::is_stopped) {
                return WakeReason::Stopped;
            }
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return WakeReason::TimedOut;
                    }
                    thread::park_timeout(deadline.saturating_duration_since(now));
                }
            }
        }
    }
}
