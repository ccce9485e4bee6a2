//! Semaphore acquire+release: uncontended, and 4 threads sharing 2 permits, against the
//! semaphore people write by hand from a mutex and a condition variable (std and
//! parking_lot; std has no semaphore of its own).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::harness::{Bench, Contender, Workload};

/// A counting semaphore: take a permit, run `f`, give it back.
trait Sem: Sync {
    fn new(permits: usize) -> Self;
    fn with_permit(&self, f: impl FnOnce());
}

struct WeftSem(weftkit::sync::Semaphore);
impl Sem for WeftSem {
    fn new(permits: usize) -> Self {
        Self(weftkit::sync::Semaphore::new(permits))
    }
    fn with_permit(&self, f: impl FnOnce()) {
        let _permit = self.0.acquire();
        f();
    }
}

struct StdSem {
    permits: Mutex<usize>,
    freed: Condvar,
}
impl Sem for StdSem {
    fn new(permits: usize) -> Self {
        Self {
            permits: Mutex::new(permits),
            freed: Condvar::new(),
        }
    }
    fn with_permit(&self, f: impl FnOnce()) {
        {
            let guard = self.permits.lock().expect("no panics while locked");
            let mut guard = self
                .freed
                .wait_while(guard, |n| *n == 0)
                .expect("no panics while locked");
            *guard -= 1;
        }
        f();
        *self.permits.lock().expect("no panics while locked") += 1;
        self.freed.notify_one();
    }
}

struct ParkingLotSem {
    permits: parking_lot::Mutex<usize>,
    freed: parking_lot::Condvar,
}
impl Sem for ParkingLotSem {
    fn new(permits: usize) -> Self {
        Self {
            permits: parking_lot::Mutex::new(permits),
            freed: parking_lot::Condvar::new(),
        }
    }
    fn with_permit(&self, f: impl FnOnce()) {
        {
            let mut guard = self.permits.lock();
            self.freed.wait_while(&mut guard, |n| *n == 0);
            *guard -= 1;
        }
        f();
        *self.permits.lock() += 1;
        self.freed.notify_one();
    }
}

/// `threads` threads each take and return one of `permits` permits `per_thread` times;
/// checks that no more than `permits` holders were ever inside at once and that every
/// acquisition ran.
fn cycle<S: Sem>(threads: u64, permits: usize, per_thread: u64) -> u64 {
    let sem = S::new(permits);
    let inside = AtomicUsize::new(0);
    let most_inside = AtomicUsize::new(0);
    let ran = AtomicU64::new(0);
    let body = || {
        for _ in 0..per_thread {
            sem.with_permit(|| {
                let now = inside.fetch_add(1, Ordering::AcqRel) + 1;
                most_inside.fetch_max(now, Ordering::Relaxed);
                ran.fetch_add(black_box(1), Ordering::Relaxed);
                inside.fetch_sub(1, Ordering::AcqRel);
            });
        }
    };
    if threads == 1 {
        body();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(body);
            }
        });
    }
    let total = threads * per_thread;
    assert_eq!(ran.into_inner(), total, "an acquisition was lost");
    assert!(
        most_inside.into_inner() <= permits,
        "a semaphore let more than {permits} holders in"
    );
    total
}

fn workload(name: &str, threads: u64, permits: usize, per_thread: u64) -> Workload<'static> {
    Workload::new(name, "acquire+release")
        .with(Contender::weft("weft Semaphore", move || {
            cycle::<WeftSem>(threads, permits, per_thread)
        }))
        .with(Contender::peer("parking_lot Mutex+Condvar", move || {
            cycle::<ParkingLotSem>(threads, permits, per_thread)
        }))
        .with(Contender::peer("std Mutex+Condvar", move || {
            cycle::<StdSem>(threads, permits, per_thread)
        }))
}

/// Runs the semaphore group.
pub(crate) fn run(bench: &mut Bench) {
    // std's condition variable makes a system call on every notify: ~1.5 M/s here, so
    // these sizes keep its samples near a second.
    let ops = bench.config.pick(2_000_000, 500_000, 10_000);
    bench.run(workload("semaphore/uncontended", 1, 1, ops));
    let ops = bench.config.pick(1_000_000, 250_000, 8_000);
    bench.run(workload(
        "semaphore/contended/4 threads, 2 permits",
        4,
        2,
        ops / 4,
    ));
}
