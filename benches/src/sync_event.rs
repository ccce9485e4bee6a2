//! Event ping-pong between two threads, against `Mutex<bool>` + `Condvar` flags (std
//! and parking_lot).
//!
//! One round trip: thread A sets `ping` and waits for `pong`; thread B waits for
//! `ping`, clears it and sets `pong`; A clears `pong`. Run it pinned to one core with
//! `taskset -c 0 target/release/weftkit-benches event` to see the shared-core case.

use std::sync::{Condvar, Mutex};

use crate::harness::{Bench, Contender, Workload};

/// A settable, clearable, waitable flag.
trait Flag: Sync + Default {
    fn set(&self);
    fn clear(&self);
    fn wait(&self);
}

#[derive(Default)]
struct WeftEvent(weftkit::sync::Event);
impl Flag for WeftEvent {
    fn set(&self) {
        self.0.set();
    }
    fn clear(&self) {
        self.0.clear();
    }
    fn wait(&self) {
        self.0.wait();
    }
}

#[derive(Default)]
struct StdFlag {
    flag: Mutex<bool>,
    changed: Condvar,
}
impl Flag for StdFlag {
    fn set(&self) {
        *self.flag.lock().expect("no panics while locked") = true;
        self.changed.notify_all();
    }
    fn clear(&self) {
        *self.flag.lock().expect("no panics while locked") = false;
    }
    fn wait(&self) {
        let guard = self.flag.lock().expect("no panics while locked");
        drop(
            self.changed
                .wait_while(guard, |set| !*set)
                .expect("no panics while locked"),
        );
    }
}

/// `rounds` ping-pong round trips; returns the count after checking both sides ran them all.
/// Each side checks the sequence number the other left before it woke it, so a wait
/// that returned before its flag was set fails the run instead of looking fast.
fn ping_pong<F: Flag>(rounds: u64) -> u64 {
    let (ping, pong) = (F::default(), F::default());
    let seq = std::sync::atomic::AtomicU64::new(0);
    let answered = std::thread::scope(|s| {
        let echo = s.spawn(|| {
            let mut answered = 0u64;
            for i in 0..rounds {
                ping.wait();
                assert_eq!(seq.load(std::sync::atomic::Ordering::Acquire), 2 * i + 1);
                ping.clear();
                seq.store(2 * i + 2, std::sync::atomic::Ordering::Release);
                pong.set();
                answered += 1;
            }
            answered
        });
        for i in 0..rounds {
            seq.store(2 * i + 1, std::sync::atomic::Ordering::Release);
            ping.set();
            pong.wait();
            assert_eq!(seq.load(std::sync::atomic::Ordering::Acquire), 2 * i + 2);
            pong.clear();
        }
        echo.join().expect("the echo thread does not panic")
    });
    assert_eq!(answered, rounds, "a round trip was lost");
    rounds
}

#[derive(Default)]
struct ParkingLotFlag {
    flag: parking_lot::Mutex<bool>,
    changed: parking_lot::Condvar,
}
impl Flag for ParkingLotFlag {
    fn set(&self) {
        *self.flag.lock() = true;
        self.changed.notify_all();
    }
    fn clear(&self) {
        *self.flag.lock() = false;
    }
    fn wait(&self) {
        let mut guard = self.flag.lock();
        self.changed.wait_while(&mut guard, |set| !*set);
    }
}

/// Runs the event group.
pub(crate) fn run(bench: &mut Bench) {
    let rounds = bench.config.pick(20_000, 5_000, 200);
    bench.run(
        Workload::new("event/ping-pong", "round trip")
            .with(Contender::weft("weft Event", move || {
                ping_pong::<WeftEvent>(rounds)
            }))
            .with(Contender::peer("std Mutex+Condvar", move || {
                ping_pong::<StdFlag>(rounds)
            }))
            .with(Contender::peer("parking_lot Mutex+Condvar", move || {
                ping_pong::<ParkingLotFlag>(rounds)
            })),
    );
}
