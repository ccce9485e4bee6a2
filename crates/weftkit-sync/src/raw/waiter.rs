//! One blocked thread: invariants W1–W3 in `README.md`.

use std::cell::Cell;

use std::ptr;

use weftkit_shim::cell::UnsafeCell;
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

/// A parked (or about to park) thread, its notification flag, and its links in a
/// [`WaitList`](super::WaitList).
pub(crate) struct Waiter {
    thread: Thread,
    notified: AtomicBool,
    /// Read and written only by the holder of the lock that protects the list the
    /// waiter is in, or by the only owner (L2, W4).
    links: UnsafeCell<Links>,
}

/// A waiter's place in a [`WaitList`](super::WaitList) (L2).
#[derive(Clone, Copy)]
pub(crate) struct Links {
    /// The waiter queued just before this one (towards the front), or null.
    pub(crate) prev: *const Waiter,
    /// The waiter queued just after this one, or null.
    pub(crate) next: *const Waiter,
    /// What the list's owner tagged the waiter with (Event: its generation).
    pub(crate) tag: usize,
    /// In a list now.
    pub(crate) linked: bool,
}

impl Links {
    const UNLINKED: Self = Self {
        prev: ptr::null(),
        next: ptr::null(),
        tag: 0,
        linked: false,
    };
}

// SAFETY: `thread` and `notified` are thread-safe; `links` holds plain pointers that
// are only read or written under the lock protecting the list (or by the only owner,
// W4), so sharing or sending a waiter never races on them (L2).
unsafe impl Send for Waiter {}
// SAFETY: as for `Send`.
unsafe impl Sync for Waiter {}

impl std::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter")
            .field("notified", &self.is_notified())
            .finish_non_exhaustive()
    }
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
                // L2: no list holds a reference, so the waiter is unlinked.
                debug_assert!(
                    !unique.links.get_mut().linked,
                    "a unique waiter is in no list"
                );
                Self::cache(&waiter);
                return waiter;
            }
        }
        let waiter = Arc::new(Self {
            thread: thread::current(),
            notified: AtomicBool::new(false),
            links: UnsafeCell::new(Links::UNLINKED),
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

    /// The waiter's links.
    ///
    /// # Safety
    ///
    /// The caller holds the lock protecting the list the waiter is (or is about to
    /// be) in (L2).
    pub(crate) unsafe fn links(&self) -> Links {
        // SAFETY: the caller's lock serialises every access to the links (L2).
        self.links.with(|p| unsafe { *p })
    }

    /// Replaces the waiter's links.
    ///
    /// # Safety
    ///
    /// As [`links`](Self::links).
    pub(crate) unsafe fn set_links(&self, links: Links) {
        // SAFETY: as in `links`.
        self.links.with_mut(|p| unsafe { *p = links });
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
