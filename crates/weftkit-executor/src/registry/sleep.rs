//! Idle workers park here and are woken without a thundering herd: S1–S7 in `README.md`.

use weftkit_shim::sync::atomic::{AtomicUsize, Ordering, fence};
use weftkit_shim::time::Instant;
use weftkit_sync::{Condition, StopToken};

/// Why a sleeping worker was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Its wake condition held when it re-checked: it never slept.
    Ready,
    /// `wake_one` chose it because work was posted (S5 applies if it leaves).
    ForWork,
    /// `wake(index)` or `wake_all` woke it for its own reason (latch, future, shutdown).
    Targeted,
}

/// How long a waiting worker may wait: a timed or stop-aware wait inside a task
/// helps, and sleeps, only within its limit.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit<'a> {
    /// Until its condition holds.
    Never,
    /// Until this instant.
    Deadline(Instant),
    /// Until this token fires.
    Stop(&'a StopToken),
}

impl Limit<'_> {
    /// Whether the limit has been reached.
    pub(crate) fn reached(&self) -> bool {
        match self {
            Self::Never => false,
            Self::Deadline(deadline) => Instant::now() >= *deadline,
            Self::Stop(stop) => stop.is_stopped(),
        }
    }
}

#[derive(Debug, Default)]
struct Slot {
    asleep: bool,
    woken: Option<Wake>,
}

/// One sleep slot per worker, and the count of sleeping ones.
#[derive(Debug)]
pub(crate) struct Sleep {
    num_sleeping: AtomicUsize,
    /// Workers spinning in search of work (S6): while one searches, a poster need not
    /// wake a sleeper, because the searcher will find the job.
    num_searching: AtomicUsize,
    slots: Box<[Condition<Slot>]>,
}

impl Sleep {
    /// Slots for `workers` workers.
    pub(crate) fn new(workers: usize) -> Self {
        Self {
            num_sleeping: AtomicUsize::new(0),
            num_searching: AtomicUsize::new(0),
            slots: (0..workers)
                .map(|_| Condition::new(Slot::default()))
                .collect(),
        }
    }

    /// How many workers are asleep right now (a snapshot).
    pub(crate) fn sleeping(&self) -> usize {
        self.num_sleeping.load(Ordering::Relaxed)
    }

    /// Worker `index` sleeps unless `ready()` holds after it announced itself (S1).
    pub(crate) fn sleep(&self, index: usize, ready: impl Fn() -> bool) -> Wake {
        // With no limit, only a wake-up (or `ready`) ends the sleep.
        self.sleep_within(index, ready, Limit::Never)
            .unwrap_or(Wake::Targeted)
    }

    /// As [`sleep`](Self::sleep), but gives up when `limit` is reached: `None` then,
    /// with the worker no longer counted as asleep (S8). A waker that claimed the
    /// slot first wins: its reason is returned, so that S5 can pass a wake-up for
    /// work on.
    pub(crate) fn sleep_within(
        &self,
        index: usize,
        ready: impl Fn() -> bool,
        limit: Limit<'_>,
    ) -> Option<Wake> {
        let mut slot = self.slots[index].lock();
        slot.asleep = true;
        self.num_sleeping.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if ready() {
            slot.asleep = false;
            self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
            return Some(Wake::Ready);
        }
        loop {
            if let Some(reason) = slot.woken.take() {
                return Some(reason);
            }
            if limit.reached() {
                // S8: under the slot lock, so no waker can claim it halfway.
                slot.asleep = false;
                self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
                return None;
            }
            match limit {
                Limit::Never => slot.wait(),
                Limit::Deadline(deadline) => {
                    let _ = slot.wait_timeout(deadline.saturating_duration_since(Instant::now()));
                }
                Limit::Stop(stop) => {
                    let _ = slot.wait_stoppable(stop);
                }
            }
        }
    }

    /// Called after work was pushed, to the injector or to a worker's own deque: wakes
    /// one sleeper if there is one and nobody is searching already (S2, S6). The fence
    /// is needed for a local push too (S7).
    #[inline]
    pub(crate) fn new_work(&self) {
        fence(Ordering::SeqCst);
        if self.num_sleeping.load(Ordering::SeqCst) > 0
            && self.num_searching.load(Ordering::SeqCst) == 0
        {
            self.wake_one();
        }
    }

    /// Called after a `join` pushed its second closure onto the joining worker's own
    /// deque: as [`new_work`](Self::new_work) but with no fence (S9). The joining worker
    /// takes the job back itself if nobody steals it, so a sleeper that misses this
    /// push loses parallelism, never the job; the next push that sees it asleep wakes it.
    #[inline]
    pub(crate) fn new_join_work(&self) {
        // S9: plain loads (a `mov` on x86); no fence, unlike S2 and S7.
        if self.num_sleeping.load(Ordering::SeqCst) > 0
            && self.num_searching.load(Ordering::SeqCst) == 0
        {
            self.wake_one();
        }
    }

    /// A worker starts spinning in search of work (S6).
    pub(crate) fn start_searching(&self) {
        self.num_searching.fetch_add(1, Ordering::SeqCst);
    }

    /// A worker stops searching; `true` if it was the last searcher (S6: if it found
    /// work, it must then wake a sleeper for whatever work remains).
    pub(crate) fn stop_searching(&self) -> bool {
        self.num_searching.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Wakes a sleeper if any sleeps (for a last searcher that found work, S6).
    pub(crate) fn wake_one_if_sleeping(&self) {
        fence(Ordering::SeqCst);
        if self.num_sleeping.load(Ordering::SeqCst) > 0 {
            self.wake_one();
        }
    }

    /// Wakes one sleeping worker, if any, for new work (S3); returns whether it did.
    pub(crate) fn wake_one(&self) -> bool {
        self.slots
            .iter()
            .any(|slot| Self::claim(&self.num_sleeping, slot, Wake::ForWork))
    }

    /// Wakes worker `index` if it sleeps, for its own reason (S3, S4).
    pub(crate) fn wake(&self, index: usize) {
        Self::claim(&self.num_sleeping, &self.slots[index], Wake::Targeted);
    }

    /// Wakes every sleeping worker (shutdown, D2).
    pub(crate) fn wake_all(&self) {
        for slot in self.slots.iter() {
            Self::claim(&self.num_sleeping, slot, Wake::Targeted);
        }
    }

    fn claim(num_sleeping: &AtomicUsize, slot: &Condition<Slot>, reason: Wake) -> bool {
        let mut slot = slot.lock();
        if !slot.asleep {
            return false;
        }
        slot.asleep = false;
        slot.woken = Some(reason);
        num_sleeping.fetch_sub(1, Ordering::SeqCst);
        slot.notify_one();
        true
    }
}
