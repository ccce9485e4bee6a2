//! The parking lock under every weftkit-sync primitive: invariants R1–R8 in `README.md`.
//!
//! One word holds the lock bit, the queue-lock bit and the head of an intrusive list of
//! parked lockers, each a [`Node`] on its own thread's stack.

use std::ptr;

use weftkit_shim::sync::atomic::{AtomicUsize, Ordering};
use weftkit_shim::thread::yield_now;
use weftkit_shim::time::{Duration, Instant};

use super::SpinWait;
use super::WakeReason;
use super::node::{HANDOFF, Node};
use crate::StopToken;

/// Someone holds the lock.
const LOCKED: usize = 0b01;
/// Someone holds the queue lock: it alone edits the list (R2).
const QUEUE_LOCKED: usize = 0b10;
/// The bits of the word that are not the head pointer.
const FLAGS: usize = LOCKED | QUEUE_LOCKED;

/// How long a locker waits in total before an unlock hands it the lock (R8).
const FAIR_AFTER: Duration = Duration::from_micros(500);

/// The head (newest node) of the queue in a state word.
fn head_of(state: usize) -> *const Node {
    (state & !FLAGS) as *const Node
}

/// A non-reentrant lock with no data: one word (R1–R8).
#[derive(Debug)]
pub(crate) struct RawLock {
    state: AtomicUsize,
}

impl RawLock {
    /// An unlocked lock.
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicUsize::new(0),
        }
    }

    /// Takes the lock if it is free right now (R1).
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & LOCKED != 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                state | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// Takes the lock, parking as long as it takes.
    #[inline]
    pub(crate) fn lock(&self) {
        // R1: one CAS when the word is all clear.
        if self
            .state
            .compare_exchange_weak(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            let outcome = self.lock_slow(None, None);
            debug_assert!(outcome.is_ok(), "an untimed, unstoppable lock cannot fail");
        }
    }

    /// Takes the lock unless `deadline` passes or `stop` fires first.
    ///
    /// # Errors
    ///
    /// The reason the wait ended without the lock (`TimedOut` or `Stopped`).
    #[inline]
    pub(crate) fn lock_until(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), WakeReason> {
        if self.try_lock() {
            return Ok(());
        }
        // A wait that may not wait (a zero timeout, a fired token) ends here, without
        // the spin of `lock_slow`: `lock_timeout(Duration::ZERO)` is `try_lock`.
        if stop.is_some_and(StopToken::is_stopped) {
            return Err(WakeReason::Stopped);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(WakeReason::TimedOut);
        }
        self.lock_slow(deadline, stop)
    }

    /// Whether some thread holds the lock (a snapshot).
    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// Releases the lock, waking one parked thread if there is one.
    ///
    /// # Safety
    ///
    /// The caller must hold the lock (it took it with `lock`, `try_lock` or
    /// `lock_until` and has not released it since): the data a `Lock` guards relies on
    /// it, and so does the queue protocol (R4, R8).
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        // R1: one CAS when nobody is queued and nobody edits the queue.
        if self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            // SAFETY: our caller holds the lock (this fn's contract).
            unsafe { self.unlock_slow() };
        }
    }

    /// Spins while the queue is empty (R7), then queues.
    #[cold]
    fn lock_slow(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), WakeReason> {
        let mut spin = SpinWait::new();
        let mut state = self.state.load(Ordering::Relaxed);
        if self.take_or_spin(&mut state, &mut spin) {
            return Ok(());
        }
        self.lock_queued(deadline, stop, spin)
    }

    /// Takes the lock whenever it is free and spins while it is held and the queue is
    /// empty (R7: parked threads mean a long hold); `true` once taken, `false` when
    /// the caller should queue. `state` is the last value read of the word.
    fn take_or_spin(&self, state: &mut usize, spin: &mut SpinWait) -> bool {
        loop {
            if *state & LOCKED == 0 {
                match self.state.compare_exchange_weak(
                    *state,
                    *state | LOCKED,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return true,
                    Err(actual) => *state = actual,
                }
                continue;
            }
            if head_of(*state).is_null() && spin.spin() {
                *state = self.state.load(Ordering::Relaxed);
                continue;
            }
            return false;
        }
    }

    /// Parks on this thread's own node until the lock is taken or handed over, the
    /// deadline passes or `stop` fires (R2, R5, R6, R8).
    fn lock_queued(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
        mut spin: SpinWait,
    ) -> Result<(), WakeReason> {
        // The node stays at this address (a local that never moves) while it is queued.
        let node = Node::new();
        let mut first_push: Option<Instant> = None;
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if self.take_or_spin(&mut state, &mut spin) {
                return Ok(());
            }
            if stop.is_some_and(StopToken::is_stopped) {
                return Err(WakeReason::Stopped);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(WakeReason::TimedOut);
            }
            // R8: a locker that already lost a race after waiting long enough is due.
            let due = match first_push {
                None => false,
                Some(_) if weftkit_shim::IS_MODEL => true,
                Some(since) => since.elapsed() >= FAIR_AFTER,
            };
            // R2: fill our own node, then publish it with one Release CAS that keeps the
            // flag bits. The node is not linked (never pushed, or R5/R6 finished with
            // it), so nobody else reads it until that CAS.
            // SAFETY: our own node, unlinked (see above).
            unsafe { node.prepare(head_of(state), due) };
            let pushed = (&raw const node) as usize | (state & FLAGS);
            if let Err(actual) = self.state.compare_exchange_weak(
                state,
                pushed,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                state = actual;
                continue;
            }
            first_push.get_or_insert_with(Instant::now);
            match node.wait(deadline, stop) {
                Ok(HANDOFF) => return Ok(()),
                Ok(_) => {
                    spin.reset();
                    state = self.state.load(Ordering::Relaxed);
                }
                // SAFETY: `node` is this thread's node, pushed onto this lock's queue
                // by the CAS above; it is still linked or a waker popped it (R5).
                Err(reason) => return unsafe { self.give_up(&node, reason) },
            }
        }
    }

    /// R6: a queued locker whose deadline passed or whose token fired leaves the
    /// queue, or takes over the wake-up it was already given.
    ///
    /// # Safety
    ///
    /// `node` is the calling thread's own node, pushed onto this lock's queue since it
    /// was last unlinked: it is either still linked in this queue (so `unlink` may edit
    /// its neighbours) or a waker of this lock popped it and will store its outcome (R5).
    #[cold]
    unsafe fn give_up(&self, node: &Node, reason: WakeReason) -> Result<(), WakeReason> {
        self.lock_queue();
        // SAFETY: we hold the queue lock, so `linked` is ours to read (R2), and if it
        // is set the node is in the list that `unlink` edits.
        let still_queued = unsafe { node.linked() };
        if still_queued {
            // SAFETY: as above: queue lock held, `node` linked.
            unsafe { self.unlink(node) };
        }
        // R4: an unlocker may have left its wake-up to us while we held the queue lock.
        // SAFETY: we took the queue lock above (`lock_queue`) and release it here once.
        unsafe { self.release_queue(false) };
        if still_queued {
            return Err(reason);
        }
        // R5: a waker popped us and is about to store the outcome; it will not be long.
        match node.wait_outcome() {
            HANDOFF => Ok(()),
            _ if self.try_lock() => Ok(()),
            _ => Err(reason),
        }
    }

    /// Takes the queue lock, waiting for its short-lived holder if need be.
    ///
    /// Only lockers that give up come here (R6), so a test-and-set loop is enough. Its
    /// RMW reads the newest value of the word, so it never spins on a stale one.
    fn lock_queue(&self) {
        let mut spin = SpinWait::new();
        while self.state.fetch_or(QUEUE_LOCKED, Ordering::Acquire) & QUEUE_LOCKED != 0 {
            // The holder edits a few pointers and leaves; if it was preempted, let it run.
            if !spin.spin() {
                yield_now();
            }
        }
    }

    /// Removes `node` from the queue (R3, R6).
    ///
    /// # Safety
    ///
    /// The caller holds the queue lock and `node` is linked.
    unsafe fn unlink(&self, node: &Node) {
        let target: *const Node = node;
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            let head = head_of(state);
            // SAFETY: queue lock held: every node reachable from the head is linked,
            // alive (R5: its owner waits for us) and ours to edit (R2). The `Acquire`
            // loads order each pusher's writes to its node before our reads.
            unsafe {
                let tail = Node::relink_all(head);
                if target == head {
                    let new_head = node.next();
                    if !new_head.is_null() {
                        (*new_head).set_prev(ptr::null());
                        (*new_head).set_queue_tail(tail);
                    }
                    // A push may have moved the head meanwhile: then walk again.
                    match self.state.compare_exchange_weak(
                        state,
                        new_head as usize | (state & FLAGS),
                        Ordering::Relaxed,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => break,
                        Err(actual) => state = actual,
                    }
                } else {
                    let (prev, next) = (node.prev(), node.next());
                    (*prev).set_next(next);
                    if next.is_null() {
                        (*head).set_queue_tail(prev);
                    } else {
                        (*next).set_prev(prev);
                    }
                    break;
                }
            }
        }
        // SAFETY: queue lock held (R2).
        unsafe { node.set_linked(false) };
    }

    /// The unlock that has a queue to look at (R4).
    ///
    /// # Safety
    ///
    /// The caller holds the lock, as for [`unlock`](Self::unlock): its `LOCKED` bit is
    /// the one this clears or hands over.
    #[cold]
    unsafe fn unlock_slow(&self) {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & QUEUE_LOCKED != 0 || head_of(state).is_null() {
                // R4: nobody to wake, or the queue-lock holder wakes in our place: its
                // releasing CAS expected `LOCKED`, which this RMW clears.
                match self.state.compare_exchange_weak(
                    state,
                    state & !LOCKED,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return,
                    Err(actual) => state = actual,
                }
                continue;
            }
            match self.state.compare_exchange_weak(
                state,
                state | QUEUE_LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        // SAFETY: the CAS above set `QUEUE_LOCKED` for us, and we hold the lock (this
        // fn's contract), as `unlocking` says.
        unsafe { self.release_queue(true) };
    }

    /// Releases the queue lock, which the caller holds, by R4's rule: if the queue is
    /// non-empty and the lock free (or, with `unlocking`, still the caller's), the tail
    /// is popped and woken first. With `unlocking` the caller's `LOCKED` is released in
    /// the same RMW. A `due` tail is handed the lock instead, if it is the caller's or
    /// free at that RMW (R8).
    ///
    /// # Safety
    ///
    /// The caller holds the queue lock (it set `QUEUE_LOCKED` and has not cleared it):
    /// only then are the queued nodes alive and ours to edit (R2, R5). With `unlocking`
    /// it also holds the lock itself.
    unsafe fn release_queue(&self, unlocking: bool) {
        let unlock_bit = if unlocking { LOCKED } else { 0 };
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            let head = head_of(state);
            if head.is_null() || (!unlocking && state & LOCKED != 0) {
                // Nobody to wake, or a holder whose unlock will see the queue (R4).
                match self.state.compare_exchange_weak(
                    state,
                    state & !(QUEUE_LOCKED | unlock_bit),
                    Ordering::Release,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return,
                    Err(actual) => state = actual,
                }
                continue;
            }
            // SAFETY: queue lock held and the queue non-empty: the nodes from `head`
            // on are linked and alive (R5) and ours to edit (R2, R3).
            let (tail, due, thread) = unsafe {
                let tail = Node::find_tail(head);
                (*tail).set_linked(false);
                (tail, (*tail).due(), (*tail).thread())
            };
            // R8: a due node gets the lock if it is ours to give or free right now.
            let mut handoff = due && (unlocking || state & LOCKED == 0);
            if tail == head {
                // The only node leaves with the word's pointer; a push since our load
                // fails the CAS and we pop again from the new head. `LOCKED` is ours
                // or clear in `state`.
                let keep = if handoff { LOCKED } else { 0 };
                if let Err(actual) = self.state.compare_exchange_weak(
                    state,
                    keep,
                    Ordering::Release,
                    Ordering::Acquire,
                ) {
                    // SAFETY: queue lock still held; the node is still in the list.
                    unsafe { (*tail).set_linked(true) };
                    state = actual;
                    continue;
                }
            } else {
                // SAFETY: queue lock held; `find_tail` set `prev` along the way (R3).
                unsafe {
                    let new_tail = (*tail).prev();
                    (*new_tail).set_next(ptr::null());
                    (*head).set_queue_tail(new_tail);
                }
                // Pushes may move the head, and (not `unlocking`) a barger may take the
                // lock meanwhile: keep the pointer, decide the hand-off on what we swap.
                loop {
                    let next = if handoff {
                        (state & !QUEUE_LOCKED) | LOCKED
                    } else {
                        state & !(QUEUE_LOCKED | unlock_bit)
                    };
                    match self.state.compare_exchange_weak(
                        state,
                        next,
                        Ordering::Release,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => break,
                        Err(actual) => state = actual,
                    }
                    handoff = due && (unlocking || state & LOCKED == 0);
                }
            }
            // R5: the node is out of the list; store the outcome last, then unpark our
            // own clone of the thread (the node may be gone once the store is seen).
            // SAFETY: the owner waits for this store before it leaves (R5).
            unsafe { (*tail).finish(handoff) };
            thread.unpark();
            return;
        }
    }
}
