//! An intrusive FIFO of waiters kept inside lock-protected state: invariants L1 and L2
//! in `README.md`.

use std::fmt;
use std::ptr;

use weftkit_shim::sync::Arc;

use super::Waiter;
use super::waiter::Links;

/// Waiters in arrival order, linked through their own [`Links`]: two pointers, and
/// queuing never allocates. Every method must be called with the protecting lock held.
pub(crate) struct WaitList {
    /// The longest waiter (woken first), or null.
    front: *const Waiter,
    /// The newest waiter, or null.
    back: *const Waiter,
}

// SAFETY: the list owns one `Arc<Waiter>` per linked waiter (L2) and `Waiter` is
// `Send + Sync`; moving the list moves those references.
unsafe impl Send for WaitList {}
// SAFETY: `len` and `front_tag` read linked waiters' links through `&self`. Those links
// are written only by methods taking `&mut self` on the one list that holds the waiter
// (L2), so while any `&WaitList` exists no thread writes what they read, and the list's
// `Arc`s keep the waiters alive. Every `WaitList` lives in lock-protected state, so
// a `&WaitList` is only used under the lock that protects it, which is what makes that
// `&mut` exclusive across threads.
unsafe impl Sync for WaitList {}

impl Default for WaitList {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WaitList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("len", &self.len())
            .finish()
    }
}

impl WaitList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self {
            front: ptr::null(),
            back: ptr::null(),
        }
    }

    /// How many waiters are queued (a walk: for diagnostics).
    pub(crate) fn len(&self) -> usize {
        let mut count = 0;
        let mut current = self.front;
        while !current.is_null() {
            count += 1;
            // SAFETY: a linked waiter is kept alive by the list's reference (L2), and the
            // caller holds the protecting lock, so its links are ours to read.
            current = unsafe { (*current).links().next };
        }
        count
    }

    /// Appends `waiter` tagged with `tag` (see [`front_tag`](Self::front_tag)).
    pub(crate) fn push_tagged(&mut self, waiter: Arc<Waiter>, tag: usize) {
        // SAFETY: under the protecting lock (L2). The waiter is in no list: a thread
        // waits on one thing at a time and pushes a waiter only after the list that
        // held it before gave its reference back.
        unsafe {
            debug_assert!(!waiter.links().linked, "a waiter is in at most one list");
            let new = Arc::into_raw(waiter);
            (*new).set_links(Links {
                prev: self.back,
                next: ptr::null(),
                tag,
                linked: true,
            });
            if self.back.is_null() {
                self.front = new;
            } else {
                let mut back = (*self.back).links();
                back.next = new;
                (*self.back).set_links(back);
            }
            self.back = new;
        }
    }

    /// The tag of the longest waiter, if any.
    pub(crate) fn front_tag(&self) -> Option<usize> {
        // SAFETY: a linked waiter is alive (L2) and the lock is held.
        (!self.front.is_null()).then(|| unsafe { (*self.front).links().tag })
    }

    /// Removes `waiter` if it is still queued; `false` means a notifier already
    /// popped it, so the caller must treat its wait as notified (L1).
    ///
    /// # Safety
    ///
    /// `waiter` was pushed onto this list and onto no other list since: if it is still
    /// linked, it is linked here, and its neighbours are this list's to edit.
    pub(crate) unsafe fn remove(&mut self, waiter: &Arc<Waiter>) -> bool {
        // SAFETY: under the protecting lock (L2); `waiter` is alive (we hold a
        // reference), and if it is linked it is linked in this list (this fn's
        // contract).
        unsafe {
            if !waiter.links().linked {
                return false;
            }
            self.unlink(Arc::as_ptr(waiter));
        }
        true
    }

    /// Whether no waiter is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.front.is_null()
    }

    /// Wakes the longest waiter; `false` if there was none.
    pub(crate) fn notify_one(&mut self) -> bool {
        if self.front.is_null() {
            return false;
        }
        // SAFETY: the front waiter is linked in this list (L2).
        let waiter = unsafe { self.unlink(self.front) };
        waiter.notify();
        true
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

    /// Takes `waiter` out of the list and returns the list's reference to it (L2).
    ///
    /// # Safety
    ///
    /// `waiter` is linked in this list, and the protecting lock is held.
    unsafe fn unlink(&mut self, waiter: *const Waiter) -> Arc<Waiter> {
        // SAFETY: per the contract, `waiter` and its neighbours are linked here, alive
        // (L2), and their links ours to edit; the pointer came from `Arc::into_raw`.
        unsafe {
            let links = (*waiter).links();
            if links.prev.is_null() {
                self.front = links.next;
            } else {
                let mut prev = (*links.prev).links();
                prev.next = links.next;
                (*links.prev).set_links(prev);
            }
            if links.next.is_null() {
                self.back = links.prev;
            } else {
                let mut next = (*links.next).links();
                next.prev = links.prev;
                (*links.next).set_links(next);
            }
            (*waiter).set_links(Links {
                prev: ptr::null(),
                next: ptr::null(),
                tag: links.tag,
                linked: false,
            });
            Arc::from_raw(waiter)
        }
    }
}

impl Drop for WaitList {
    fn drop(&mut self) {
        // Gives back the list's references; with `&mut self` nobody else can lock.
        while !self.front.is_null() {
            // SAFETY: the front waiter is linked here, and `&mut self` is exclusive.
            drop(unsafe { self.unlink(self.front) });
        }
    }
}
