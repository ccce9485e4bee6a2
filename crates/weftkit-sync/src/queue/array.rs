//! `ArrayCore`: the bounded FIFO queue without a lock on its fast path. Its protocol
//! and the invariants A1–A10 named below are in `README.md` beside this file.

use std::fmt;
use std::mem::MaybeUninit;
use std::ops::Deref;

use weftkit_shim::cell::UnsafeCell;
use weftkit_shim::hint::spin_loop;
use weftkit_shim::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
use weftkit_shim::thread::yield_now;
use weftkit_shim::time::{Duration, Instant};

use super::shared::Block;
use super::sleepers::Sleepers;
use crate::raw::WakeReason;
use crate::{GetError, PutError, QueueJoinError, StopToken, TaskDoneError};

/// The most bytes of slots a bounded `Queue` allocates up front; a larger bound uses
/// the locked core, which grows as items arrive.
pub(super) const ARRAY_BUDGET: usize = 4 << 20;

/// `JOIN_WAIT` in `retired`: joiners are parked (A4). The count is `retired >> 1`.
const JOIN_WAIT: u64 = 1;
/// One unit of `retired`'s count.
const RETIRE_ONE: u64 = 2;

/// Keeps a hot atomic on its own cache line (two lines: adjacent-line prefetch).
#[repr(align(128))]
struct Padded<T>(T);

impl<T> Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// One place in the ring.
struct Slot<T> {
    /// Which position may use the slot next (A1).
    stamp: AtomicU64,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// Why `try_push` refused an item.
enum Refused {
    Full,
    ShutDown,
}

/// Why `try_pop` returned no item.
enum NoItem {
    Empty,
    ShutDown,
}

/// A short exponential spin for a lost CAS, then yields for a slot another thread is
/// still filling or emptying (the A2 window: nothing to park on).
struct Backoff(u32);

impl Backoff {
    const SPIN_LIMIT: u32 = 6;
    /// Busy rounds a blocking call spins before it starts yielding (A10).
    const BUSY_BEFORE_PARK: u32 = 3;
    /// Rounds (spins, then yields) a blocking call tries before it parks.
    const PARK_AFTER: u32 = if weftkit_shim::IS_MODEL { 1 } else { 10 };

    fn spin(&mut self) {
        // Under a model one hint (a scheduling point) is enough; more only enlarges
        // the state space.
        let spins = if weftkit_shim::IS_MODEL {
            1
        } else {
            1u32 << self.0.min(Self::SPIN_LIMIT)
        };
        for _ in 0..spins {
            spin_loop();
        }
        self.0 += 1;
    }

    fn snooze(&mut self) {
        if weftkit_shim::IS_MODEL || self.0 > Self::SPIN_LIMIT {
            yield_now();
            self.0 += 1;
        } else {
            self.spin();
        }
    }
}

/// What a blocking call that found the ring full or empty does next (A10).
enum Next {
    /// Try the operation again (after a spin or a yield).
    Retry,
    /// Register and park.
    Park,
    /// The deadline has passed or the stop token has fired: give up now.
    GiveUp(WakeReason),
}

/// The back-off of a blocking call before it parks (A10): a few busy rounds, then
/// yields for at most `YIELD_FOR` of clock time; never past the deadline or the stop.
struct PrePark {
    backoff: Backoff,
    /// When the first yield happened; the clock is read only from then on.
    yielding_since: Option<Instant>,
}

impl PrePark {
    /// How long a blocking call may keep yielding before it parks.
    const YIELD_FOR: Duration = Duration::from_micros(30);

    fn new() -> Self {
        Self {
            backoff: Backoff(0),
            yielding_since: None,
        }
    }

    /// Whether to try again, park, or give up. The first call of a wait checks the
    /// deadline (one clock read, only when there is one) and the token, so a zero
    /// timeout or a fired token gives up at once, as Python's `remaining <= 0` does.
    fn next(&mut self, deadline: Option<Instant>, stop: Option<&StopToken>) -> Next {
        if stop.is_some_and(StopToken::is_stopped) {
            return Next::GiveUp(WakeReason::Stopped);
        }
        let round = self.backoff.0;
        if round == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
            return Next::GiveUp(WakeReason::TimedOut);
        }
        if round > Backoff::PARK_AFTER {
            return Next::Park;
        }
        if round < Backoff::BUSY_BEFORE_PARK {
            self.backoff.spin();
            return Next::Retry;
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return Next::GiveUp(WakeReason::TimedOut);
        }
        let since = *self.yielding_since.get_or_insert(now);
        if now.saturating_duration_since(since) >= Self::YIELD_FOR {
            self.backoff.0 = Backoff::PARK_AFTER + 1; // park from now on
            return Next::Park;
        }
        // The thread that will make room or put an item often shares this CPU.
        yield_now();
        self.backoff.0 += 1;
        Next::Retry
    }
}

/// The bounded FIFO ring (`README.md`).
pub(crate) struct ArrayCore<T> {
    /// `lap | index | SHUT | GET_WAIT`: where the next put goes (A1, A3, A4).
    tail: Padded<AtomicU64>,
    /// `lap | index | PUT_WAIT`: where the next get comes from (A1, A4).
    head: Padded<AtomicU64>,
    /// `2 * (items done or dropped) | JOIN_WAIT` (A8, A4).
    retired: Padded<AtomicU64>,
    /// `shutdown(true)` found unfinished items: every join fails (A9).
    abandoned: AtomicBool,
    slots: Box<[Slot<T>]>,
    capacity: u64,
    /// The smallest power of two above `capacity`; also the `SHUT` bit.
    low: u64,
    one_lap: u64,
    getters: Sleepers,
    putters: Sleepers,
    joiners: Sleepers,
}

// SAFETY: items move between threads through the slots (so `T: Send`); a slot's value
// is touched only by the thread that owns it under A1, so sharing the core never
// shares a `&T`.
unsafe impl<T: Send> Send for ArrayCore<T> {}
// SAFETY: as above: every access to a slot's value is exclusive under A1.
unsafe impl<T: Send> Sync for ArrayCore<T> {}

impl<T> ArrayCore<T> {
    /// Whether a bounded queue of `capacity` items uses this core (it fits the budget).
    pub(super) fn fits(capacity: usize) -> bool {
        capacity
            .checked_mul(size_of::<Slot<T>>())
            .is_some_and(|bytes| bytes <= ARRAY_BUDGET)
    }

    /// A ring of `capacity` slots; `capacity` is at least 1 and [`fits`](Self::fits).
    pub(super) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1) as u64;
        let low = (capacity + 1).next_power_of_two();
        let slots = (0..capacity)
            .map(|i| Slot {
                stamp: AtomicU64::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Self {
            tail: Padded(AtomicU64::new(0)),
            head: Padded(AtomicU64::new(0)),
            retired: Padded(AtomicU64::new(0)),
            abandoned: AtomicBool::new(false),
            slots,
            capacity,
            low,
            one_lap: low * 4,
            getters: Sleepers::new(low * 2),
            putters: Sleepers::new(low * 2),
            joiners: Sleepers::new(JOIN_WAIT),
        }
    }

    /// `SHUT` in `tail`.
    fn shut(&self) -> u64 {
        self.low
    }

    /// `GET_WAIT` in `tail`, `PUT_WAIT` in `head`.
    fn wait_bit(&self) -> u64 {
        self.low * 2
    }

    /// The flag bits of `tail` or `head` (`SHUT | GET_WAIT`, `PUT_WAIT`).
    fn flags(&self) -> u64 {
        self.low * 3
    }

    /// The position part of `tail` or `head`.
    fn pos(&self, word: u64) -> u64 {
        word & !self.flags()
    }

    /// The position after `pos` (the next slot, or slot 0 of the next lap).
    fn next(&self, pos: u64) -> u64 {
        let index = pos & (self.low - 1);
        if index + 1 < self.capacity {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// How many operations a position stands for: `n(pos)` in `README.md`.
    fn count(&self, pos: u64) -> u64 {
        (pos / self.one_lap) * self.capacity + (pos & (self.low - 1))
    }

    fn slot(&self, pos: u64) -> &Slot<T> {
        // `index < capacity` by construction of every position (`next`), so this
        // never panics.
        &self.slots[(pos & (self.low - 1)) as usize]
    }

    /// Whether the slot at `tail` looks free for this lap: a read-only test to spin on
    /// before parking, which leaves `head`'s cache line (written by every get) alone.
    fn may_push(&self) -> bool {
        let tail = self.tail.load(Ordering::Relaxed);
        tail & self.shut() != 0
            || self.slot(self.pos(tail)).stamp.load(Ordering::Relaxed) == self.pos(tail)
    }

    /// Whether the slot at `head` looks filled: a read-only test to spin on before
    /// parking, which leaves `tail`'s cache line (written by every put) alone.
    fn may_pop(&self) -> bool {
        let pos = self.pos(self.head.load(Ordering::Relaxed));
        self.slot(pos).stamp.load(Ordering::Relaxed) == pos + 1
    }

    /// Puts `item` if there is room; never waits except in the A2 window.
    fn try_push(&self, item: T) -> Result<(), (T, Refused)> {
        let mut backoff = Backoff(0);
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.shut() != 0 {
                return Err((item, Refused::ShutDown)); // A3
            }
            let pos = self.pos(tail);
            let slot = self.slot(pos);
            // A1: Acquire pairs with the get's Release that freed the slot.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == pos {
                let new = self.next(pos) | (tail & self.flags());
                // A1, A3, A4: the whole word, flags included, must be unchanged.
                match self.tail.compare_exchange_weak(
                    tail,
                    new,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the winning CAS made this thread the slot's only
                        // owner until the stamp store below (A1); the slot is empty
                        // (its stamp said "free for pos").
                        slot.value.with_mut(|p| unsafe { (*p).write(item) });
                        // A1: publishes the item to the get at `pos`.
                        slot.stamp.store(pos + 1, Ordering::Release);
                        if tail & self.wait_bit() != 0 {
                            self.getters.notify_one(&self.tail); // A5, A6
                        }
                        return Ok(());
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == pos + 1 {
                // A2: the slot still holds last lap's item; full only if head agrees.
                fence(Ordering::SeqCst);
                let head = self.pos(self.head.load(Ordering::Relaxed));
                if head.wrapping_add(self.one_lap) == pos {
                    return Err((item, Refused::Full));
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // A2 window: another put claimed this position and is writing.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Takes the oldest item if there is one; never waits except in the A2 window.
    fn try_pop(&self) -> Result<T, NoItem> {
        let mut backoff = Backoff(0);
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let pos = self.pos(head);
            let slot = self.slot(pos);
            // A1: Acquire pairs with the put's Release, so the item is visible.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == pos + 1 {
                let new = self.next(pos) | (head & self.flags());
                // A1, A4: the whole word, flag included, must be unchanged.
                match self.head.compare_exchange_weak(
                    head,
                    new,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the winning CAS made this thread the slot's only
                        // owner until the stamp store below, and the stamp said the
                        // put at `pos` wrote an item (A1). It is read exactly once.
                        let item = slot.value.with(|p| unsafe { (*p).assume_init_read() });
                        // A1: frees the slot for the put one lap later.
                        slot.stamp
                            .store(pos.wrapping_add(self.one_lap), Ordering::Release);
                        if head & self.wait_bit() != 0 {
                            self.putters.notify_one(&self.head); // A5, A6
                        }
                        return Ok(item);
                    }
                    Err(current) => {
                        head = current;
                        backoff.spin();
                    }
                }
            } else if stamp == pos {
                // A2: the slot is not filled yet; empty only if tail agrees.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if self.pos(tail) == pos {
                    return Err(if tail & self.shut() != 0 {
                        NoItem::ShutDown // A3
                    } else {
                        NoItem::Empty
                    });
                }
                backoff.spin();
                head = self.head.load(Ordering::Relaxed);
            } else {
                // A2 window: another get claimed this position and is reading.
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    pub(super) fn put(&self, mut item: T, block: Block<'_>) -> Result<(), PutError<T>> {
        let mut spin = PrePark::new();
        loop {
            match self.try_push(item) {
                Ok(()) => return Ok(()),
                Err((item, Refused::ShutDown)) => return Err(PutError::ShutDown(item)),
                Err((refused, Refused::Full)) => item = refused,
            }
            let Block::Until { deadline, stop } = block else {
                return Err(PutError::Full(item));
            };
            match spin.next(deadline, stop) {
                Next::Retry => {
                    // Spin on the slot alone until it looks free (A2 decides for real).
                    while !self.may_push() && matches!(spin.next(deadline, stop), Next::Retry) {}
                    continue;
                }
                Next::GiveUp(WakeReason::Stopped) => return Err(PutError::Stopped(item)),
                Next::GiveUp(_) => return Err(PutError::TimedOut(item)),
                Next::Park => {}
            }
            let waiter = self.putters.register(&self.head);
            // SAFETY: `waiter` came from `self.putters.register` just above.
            let withdraw = || unsafe { self.putters.withdraw(&waiter, &self.head) };
            // A5: retry after registering.
            match self.try_push(item) {
                Ok(()) => {
                    // SAFETY: `waiter` came from `self.putters.register`.
                    unsafe { self.putters.cancel(&waiter, &self.head) }; // A7
                    return Ok(());
                }
                Err((item, Refused::ShutDown)) => {
                    // SAFETY: `waiter` came from `self.putters.register`.
                    unsafe { self.putters.cancel(&waiter, &self.head) };
                    return Err(PutError::ShutDown(item));
                }
                Err((refused, Refused::Full)) => item = refused,
            }
            match waiter.wait(deadline, stop) {
                WakeReason::Notified => {}
                // A7: only a waiter nobody chose may give up.
                WakeReason::TimedOut if withdraw() => {
                    return Err(PutError::TimedOut(item));
                }
                WakeReason::Stopped if withdraw() => {
                    return Err(PutError::Stopped(item));
                }
                WakeReason::TimedOut | WakeReason::Stopped => {}
            }
            spin = PrePark::new();
        }
    }

    pub(super) fn get(&self, block: Block<'_>) -> Result<T, GetError> {
        let mut spin = PrePark::new();
        loop {
            match self.try_pop() {
                Ok(item) => return Ok(item),
                Err(NoItem::ShutDown) => return Err(GetError::ShutDown),
                Err(NoItem::Empty) => {}
            }
            let Block::Until { deadline, stop } = block else {
                return Err(GetError::Empty);
            };
            match spin.next(deadline, stop) {
                Next::Retry => {
                    // Spin on the slot alone until it looks filled (A2 decides for real).
                    while !self.may_pop() && matches!(spin.next(deadline, stop), Next::Retry) {}
                    continue;
                }
                Next::GiveUp(WakeReason::Stopped) => return Err(GetError::Stopped),
                Next::GiveUp(_) => return Err(GetError::TimedOut),
                Next::Park => {}
            }
            let waiter = self.getters.register(&self.tail);
            // SAFETY: `waiter` came from `self.getters.register` just above.
            let withdraw = || unsafe { self.getters.withdraw(&waiter, &self.tail) };
            // A5: retry after registering.
            match self.try_pop() {
                Ok(item) => {
                    // SAFETY: `waiter` came from `self.getters.register`.
                    unsafe { self.getters.cancel(&waiter, &self.tail) }; // A7
                    return Ok(item);
                }
                Err(NoItem::ShutDown) => {
                    // SAFETY: `waiter` came from `self.getters.register`.
                    unsafe { self.getters.cancel(&waiter, &self.tail) };
                    return Err(GetError::ShutDown);
                }
                Err(NoItem::Empty) => {}
            }
            match waiter.wait(deadline, stop) {
                WakeReason::Notified => {}
                // A7: only a waiter nobody chose may give up.
                WakeReason::TimedOut if withdraw() => {
                    return Err(GetError::TimedOut);
                }
                WakeReason::Stopped if withdraw() => {
                    return Err(GetError::Stopped);
                }
                WakeReason::TimedOut | WakeReason::Stopped => {}
            }
            spin = PrePark::new();
        }
    }

    /// Items put (claimed) and not yet retired, with `retired`'s word.
    fn unfinished(&self) -> (u64, u64) {
        // Acquire: a count read here is at least what the caller's own gets saw (A8).
        let retired = self.retired.load(Ordering::Acquire);
        let put = self.count(self.pos(self.tail.load(Ordering::Acquire)));
        (put.saturating_sub(retired / RETIRE_ONE), retired)
    }

    pub(super) fn task_done(&self) -> Result<(), TaskDoneError> {
        loop {
            let (unfinished, retired) = self.unfinished();
            if unfinished == 0 {
                return Err(TaskDoneError); // A8
            }
            // A8: count + 1 only while count < n(tail); A5 for the joiners' bit.
            if self
                .retired
                .compare_exchange_weak(
                    retired,
                    retired + RETIRE_ONE,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                if unfinished == 1 && retired & JOIN_WAIT != 0 {
                    self.joiners.notify_all(&self.retired); // A6
                }
                return Ok(());
            }
        }
    }

    /// `Some` once `join` may return: done, or abandoned by `shutdown(true)`.
    fn join_outcome(&self) -> Option<Result<(), QueueJoinError>> {
        // The count first: `shutdown(true)` sets `abandoned` before it retires the
        // dropped items, so a zero reached that way is seen with the flag (A9).
        let done = self.unfinished().0 == 0;
        if self.abandoned.load(Ordering::Acquire) {
            return Some(Err(QueueJoinError::ShutDown));
        }
        done.then_some(Ok(()))
    }

    pub(super) fn join(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), QueueJoinError> {
        loop {
            if let Some(outcome) = self.join_outcome() {
                return outcome;
            }
            let waiter = self.joiners.register(&self.retired);
            // SAFETY: `waiter` came from `self.joiners.register` just above.
            let withdraw = || unsafe { self.joiners.withdraw(&waiter, &self.retired) };
            // A5: re-check after registering.
            if let Some(outcome) = self.join_outcome() {
                // SAFETY: `waiter` came from `self.joiners.register`.
                unsafe { self.joiners.cancel(&waiter, &self.retired) };
                return outcome;
            }
            match waiter.wait(deadline, stop) {
                WakeReason::Notified => {}
                WakeReason::TimedOut if withdraw() => {
                    return Err(QueueJoinError::TimedOut);
                }
                WakeReason::Stopped if withdraw() => {
                    return Err(QueueJoinError::Stopped);
                }
                WakeReason::TimedOut | WakeReason::Stopped => {}
            }
        }
    }

    pub(super) fn shutdown(&self, immediate: bool) {
        // A3: from here on no put claims a slot.
        self.tail.fetch_or(self.shut(), Ordering::SeqCst);
        let mut dropped = Vec::new();
        if immediate {
            // A9: the ordinary get protocol, until empty.
            while let Ok(item) = self.try_pop() {
                dropped.push(item);
            }
            self.retire_dropped(dropped.len() as u64);
            self.joiners.notify_all(&self.retired); // A6
        }
        self.getters.notify_all(&self.tail); // A6
        self.putters.notify_all(&self.head);
        drop(dropped); // A9: no lock is held: an item's Drop may use the queue
    }

    /// A9: marks the join abandoned if anything is unfinished, and retires up to
    /// `dropped` items.
    fn retire_dropped(&self, dropped: u64) {
        loop {
            let (unfinished, retired) = self.unfinished();
            if unfinished > 0 {
                // Release: pairs with the joiners' Acquire load.
                self.abandoned.store(true, Ordering::Release);
            }
            let new = retired + RETIRE_ONE * dropped.min(unfinished);
            if self
                .retired
                .compare_exchange_weak(retired, new, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }

    pub(super) fn is_shut_down(&self) -> bool {
        self.tail.load(Ordering::Acquire) & self.shut() != 0
    }

    pub(super) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            // A consistent pair: tail did not move while head was read.
            if self.pos(self.tail.load(Ordering::SeqCst)) == self.pos(tail) {
                let len = self
                    .count(self.pos(tail))
                    .saturating_sub(self.count(self.pos(head)));
                return usize::try_from(len).unwrap_or(usize::MAX);
            }
        }
    }

    pub(super) fn is_full(&self) -> bool {
        self.len() as u64 >= self.capacity
    }

    pub(super) fn capacity(&self) -> usize {
        usize::try_from(self.capacity).unwrap_or(usize::MAX)
    }

    /// The `Debug` fields of a queue called `name`.
    pub(super) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("len", &self.len())
            .field("capacity", &Some(self.capacity()))
            .field("unfinished", &self.unfinished().0)
            .field("shut_down", &self.is_shut_down())
            .field("waiting_getters", &self.getters.len())
            .field("waiting_putters", &self.putters.len())
            .field("waiting_joiners", &self.joiners.len())
            .finish()
    }
}

impl<T> Drop for ArrayCore<T> {
    fn drop(&mut self) {
        // Exclusive access: no put is half done, so this ends at the first miss.
        while self.try_pop().is_ok() {}
    }
}
