//! Lock: uncontended, and contended by 2 and 8 threads, against std and parking_lot.

use std::hint::black_box;

use crate::harness::{Bench, Contender, Workload};

/// The one thing every lock under test must do: run `f` on the guarded counter.
trait CounterLock: Sync + Default {
    fn with(&self, f: impl FnOnce(&mut u64));
    fn get(&self) -> u64 {
        let mut v = 0;
        self.with(|n| v = *n);
        v
    }
}

#[derive(Default)]
struct Weft(weftkit::sync::Lock<u64>);
impl CounterLock for Weft {
    fn with(&self, f: impl FnOnce(&mut u64)) {
        f(&mut self.0.lock());
    }
}

#[derive(Default)]
struct Std(std::sync::Mutex<u64>);
impl CounterLock for Std {
    fn with(&self, f: impl FnOnce(&mut u64)) {
        f(&mut self.0.lock().expect("no panics while locked"));
    }
}

#[derive(Default)]
struct ParkingLot(parking_lot::Mutex<u64>);
impl CounterLock for ParkingLot {
    fn with(&self, f: impl FnOnce(&mut u64)) {
        f(&mut self.0.lock());
    }
}

/// `threads` threads each add 1 to a shared counter `per_thread` times.
fn hammer<L: CounterLock>(threads: u64, per_thread: u64) -> u64 {
    let lock = L::default();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    lock.with(|n| *n = black_box(*n + 1));
                }
            });
        }
    });
    let total = threads * per_thread;
    assert_eq!(lock.get(), total, "a lock lost an update");
    total
}

/// One thread, no contention.
fn uncontended<L: CounterLock>(ops: u64) -> u64 {
    let lock = L::default();
    for _ in 0..ops {
        lock.with(|n| *n = black_box(*n + 1));
    }
    assert_eq!(lock.get(), ops, "a lock lost an update");
    ops
}

fn workload(name: String, f: impl Fn(u8) -> u64 + Copy + 'static) -> Workload<'static> {
    Workload::new(name, "lock+unlock")
        .with(Contender::weft("weft Lock", move || f(0)))
        .with(Contender::peer("parking_lot Mutex", move || f(1)))
        .with(Contender::peer("std Mutex", move || f(2)))
}

/// Runs the lock group.
pub(crate) fn run(bench: &mut Bench) {
    let ops = bench.config.pick(20_000_000, 4_000_000, 10_000);
    bench.run(workload(
        "lock/uncontended".into(),
        move |which| match which {
            0 => uncontended::<Weft>(ops),
            1 => uncontended::<ParkingLot>(ops),
            _ => uncontended::<Std>(ops),
        },
    ));
    for threads in [2u64, 8] {
        let per_thread = bench.config.pick(8_000_000, 2_000_000, 8_000) / threads;
        bench.run(workload(
            format!("lock/contended/{threads}"),
            move |which| match which {
                0 => hammer::<Weft>(threads, per_thread),
                1 => hammer::<ParkingLot>(threads, per_thread),
                _ => hammer::<Std>(threads, per_thread),
            },
        ));
    }
}
