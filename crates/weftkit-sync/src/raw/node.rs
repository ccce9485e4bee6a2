//! One parked locker of a `RawLock`, on its own thread's stack: R2, R3 and R5 in
//! `README.md`.

use std::ptr;

use weftkit_shim::cell::UnsafeCell;
use weftkit_shim::sync::atomic::{AtomicU8, Ordering};
use weftkit_shim::thread::{self, Thread};
use weftkit_shim::time::Instant;

use super::WakeReason;
use crate::StopToken;

/// The node is queued, or about to be: no outcome yet.
const WAITING: u8 = 0;
/// A waker popped the node and freed the lock: try again (R4).
pub(super) const NOTIFIED: u8 = 1;
/// A waker popped the node and kept the lock locked for it (R8).
pub(super) const HANDOFF: u8 = 2;

/// A queued locker. Aligned so that its address leaves the state word's two flag bits
/// clear.
#[repr(align(8))]
pub(super) struct Node {
    /// The next older node (towards the tail), or null at the tail.
    next: UnsafeCell<*const Node>,
    /// The next newer node (towards the head); valid from the cache holder to the tail
    /// once a walk passed (R3).
    prev: UnsafeCell<*const Node>,
    /// The tail, cached on the first node of a walk that has one (R3).
    queue_tail: UnsafeCell<*const Node>,
    /// In the list; read and written under the queue lock only (R2, R6).
    linked: UnsafeCell<bool>,
    /// Waited long enough to be handed the lock (R8); written by the owner before the
    /// push, read under the queue lock.
    due: UnsafeCell<bool>,
    /// `WAITING`, `NOTIFIED` or `HANDOFF`: stored last by the waker (R5).
    outcome: AtomicU8,
    thread: Thread,
}

impl Node {
    /// An unlinked node for the calling thread.
    pub(super) fn new() -> Self {
        Self {
            next: UnsafeCell::new(ptr::null()),
            prev: UnsafeCell::new(ptr::null()),
            queue_tail: UnsafeCell::new(ptr::null()),
            linked: UnsafeCell::new(false),
            due: UnsafeCell::new(false),
            outcome: AtomicU8::new(WAITING),
            thread: thread::current(),
        }
    }

    /// Fills the node for a push in front of `head` (R2, R3).
    ///
    /// # Safety
    ///
    /// The caller is the node's owner and the node is unlinked (never pushed, or R5 or
    /// R6 ended every other thread's access), so these writes race nothing.
    pub(super) unsafe fn prepare(&self, head: *const Self, due: bool) {
        let me: *const Self = self;
        // SAFETY: an unlinked node is reachable by no other thread (this fn's contract).
        unsafe {
            self.set_next(head);
            self.set_prev(ptr::null());
            self.set_queue_tail(if head.is_null() { me } else { ptr::null() });
            self.set_linked(true);
            self.due.with_mut(|p| *p = due);
        }
        self.outcome.store(WAITING, Ordering::Relaxed);
    }

    /// Parks until a waker stores an outcome (`Ok`), `deadline` passes or `stop` fires
    /// (W2, W3 of `README.md`, with `outcome` as the flag).
    pub(super) fn wait(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<u8, WakeReason> {
        let _registration = stop.map(|token| token.register(self.thread.clone()));
        loop {
            let outcome = self.outcome.load(Ordering::Acquire);
            if outcome != WAITING {
                return Ok(outcome);
            }
            if stop.is_some_and(StopToken::is_stopped) {
                return Err(WakeReason::Stopped);
            }
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(WakeReason::TimedOut);
                    }
                    thread::park_timeout(deadline.saturating_duration_since(now));
                }
            }
        }
    }

    /// Parks until the waker that popped this node stores the outcome (R5, R6).
    pub(super) fn wait_outcome(&self) -> u8 {
        loop {
            let outcome = self.outcome.load(Ordering::Acquire);
            if outcome != WAITING {
                return outcome;
            }
            thread::park();
        }
    }

    /// Stores the outcome: the last access a waker makes to a popped node (R5).
    ///
    /// # Safety
    ///
    /// The node is alive: it was popped under the queue lock and its outcome not yet
    /// stored, so its owner is still waiting for this store.
    pub(super) unsafe fn finish(&self, handoff: bool) {
        let outcome = if handoff { HANDOFF } else { NOTIFIED };
        self.outcome.store(outcome, Ordering::Release);
    }

    /// A handle on the node's thread, for the waker to unpark after `finish` (R5).
    pub(super) fn thread(&self) -> Thread {
        self.thread.clone()
    }

    /// Walks from `head` to the tail cached by the first node that has one, setting
    /// `prev` on the way and caching the tail at `head` (R3).
    ///
    /// # Safety
    ///
    /// The caller holds the queue lock and `head` is the non-null head it read with
    /// `Acquire`.
    pub(super) unsafe fn find_tail(head: *const Self) -> *const Self {
        let mut current = head;
        // SAFETY: R3: every node on the walk is linked and alive, and the walk ends at
        // a cached tail before it could leave the list.
        unsafe {
            loop {
                let tail = (*current).queue_tail();
                if !tail.is_null() {
                    (*head).set_queue_tail(tail);
                    return tail;
                }
                let next = (*current).next();
                (*next).set_prev(current);
                current = next;
            }
        }
    }

    /// Walks the whole list from `head`, setting every `prev`, clearing every cached
    /// tail but the head's and caching the true tail there (R3); returns the tail.
    ///
    /// # Safety
    ///
    /// As [`find_tail`](Self::find_tail); every `next` chain ends in null (pops and
    /// removals null the new tail's `next`).
    pub(super) unsafe fn relink_all(head: *const Self) -> *const Self {
        let mut prev: *const Self = ptr::null();
        let mut current = head;
        // SAFETY: as documented: every node reached is linked and alive.
        unsafe {
            while !current.is_null() {
                (*current).set_prev(prev);
                (*current).set_queue_tail(ptr::null());
                prev = current;
                current = (*current).next();
            }
            (*head).set_queue_tail(prev);
        }
        prev
    }

    /// Reads `next`. Caller: the owner of an unlinked node, or the queue-lock holder.
    pub(super) unsafe fn next(&self) -> *const Self {
        // SAFETY: the caller's exclusive right (above) makes this read race-free.
        self.next.with(|p| unsafe { *p })
    }

    /// Writes `next`. Caller: as [`next`](Self::next).
    pub(super) unsafe fn set_next(&self, next: *const Self) {
        // SAFETY: as in `next`.
        self.next.with_mut(|p| unsafe { *p = next });
    }

    /// Reads `prev`. Caller: as [`next`](Self::next).
    pub(super) unsafe fn prev(&self) -> *const Self {
        // SAFETY: as in `next`.
        self.prev.with(|p| unsafe { *p })
    }

    /// Writes `prev`. Caller: as [`next`](Self::next).
    pub(super) unsafe fn set_prev(&self, prev: *const Self) {
        // SAFETY: as in `next`.
        self.prev.with_mut(|p| unsafe { *p = prev });
    }

    /// Reads `queue_tail`. Caller: as [`next`](Self::next).
    unsafe fn queue_tail(&self) -> *const Self {
        // SAFETY: as in `next`.
        self.queue_tail.with(|p| unsafe { *p })
    }

    /// Writes `queue_tail`. Caller: as [`next`](Self::next).
    pub(super) unsafe fn set_queue_tail(&self, tail: *const Self) {
        // SAFETY: as in `next`.
        self.queue_tail.with_mut(|p| unsafe { *p = tail });
    }

    /// Reads `linked`. Caller: as [`next`](Self::next).
    pub(super) unsafe fn linked(&self) -> bool {
        // SAFETY: as in `next`.
        self.linked.with(|p| unsafe { *p })
    }

    /// Writes `linked`. Caller: as [`next`](Self::next).
    pub(super) unsafe fn set_linked(&self, linked: bool) {
        // SAFETY: as in `next`.
        self.linked.with_mut(|p| unsafe { *p = linked });
    }

    /// Reads `due`. Caller: the queue-lock holder (the owner wrote it before the push).
    pub(super) unsafe fn due(&self) -> bool {
        // SAFETY: written before the Release push, read after an Acquire of the word.
        self.due.with(|p| unsafe { *p })
    }
}
