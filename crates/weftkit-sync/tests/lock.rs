//! Behaviour of `Lock`: exclusion, try/timeout/stop forms, panics unlock.

use std::time::Duration;

use weftkit_sync::{Lock, StopToken, Stopped};
use weftkit_testkit::{GENEROUS, watchdog};

#[test]
fn many_threads_never_lose_an_update() {
    watchdog(|| {
        let lock = Lock::new(0u64);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        *lock.lock() += 1;
                    }
                });
            }
        });
        assert_eq!(lock.into_inner(), 80_000);
    });
}

#[test]
fn try_lock_fails_while_held_and_succeeds_after() {
    let lock = Lock::new(1);
    let guard = lock.lock();
    assert!(lock.is_locked());
    assert!(lock.try_lock().is_none());
    drop(guard);
    assert!(!lock.is_locked());
    assert_eq!(*lock.try_lock().unwrap(), 1);
}

#[test]
fn lock_timeout_returns_none_when_held_elsewhere() {
    let lock = Lock::new(());
    let _held = lock.lock();
    assert!(lock.lock_timeout(Duration::from_millis(20)).is_none());
    assert!(lock.lock_timeout(Duration::ZERO).is_none());
}

#[test]
fn lock_timeout_succeeds_when_released_in_time() {
    watchdog(|| {
        let lock = Lock::new(0);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            let held = lock.lock();
            s.spawn(|| {
                ready_tx.send(()).unwrap();
                *lock
                    .lock_timeout(GENEROUS)
                    .expect("released long before the timeout") += 1;
            });
            ready_rx.recv().unwrap();
            drop(held);
        });
        assert_eq!(lock.into_inner(), 1);
    });
}

#[test]
fn huge_timeout_means_wait_forever_not_overflow() {
    let lock = Lock::new(());
    assert!(lock.lock_timeout(Duration::MAX).is_some());
}

#[test]
fn panic_while_locked_unlocks_without_poisoning() {
    let lock = Lock::new(vec![1]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut guard = lock.lock();
        guard.push(2);
        panic!("boom");
    }));
    assert!(result.is_err());
    assert!(!lock.is_locked());
    assert_eq!(*lock.lock(), [1, 2]);
}

#[test]
fn stop_wakes_a_parked_locker() {
    watchdog(|| {
        let lock = Lock::new(());
        let token = StopToken::new();
        let held = lock.lock();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| lock.lock_stoppable(&token).map(drop));
            while !lock.is_locked() {}
            std::thread::sleep(Duration::from_millis(10));
            token.stop();
            assert_eq!(waiter.join().unwrap(), Err(Stopped));
        });
        drop(held);
        assert!(
            lock.lock_stoppable(&token).is_ok(),
            "a free lock is taken even when stopped"
        );
    });
}

#[test]
fn get_mut_and_into_inner_need_no_lock() {
    let mut lock = Lock::new(String::from("a"));
    lock.get_mut().push('b');
    assert_eq!(lock.into_inner(), "ab");
}

#[test]
fn debug_shows_data_or_locked() {
    let lock = Lock::new(5);
    assert!(format!("{lock:?}").contains('5'));
    let _held = lock.lock();
    assert!(format!("{lock:?}").contains("<locked>"));
}

/// Timed lockers that give up all the time (unlinking their nodes from the middle,
/// the head and the tail of the queue) mixed with plain lockers and a hand-off every
/// 0.5 ms: every update lands, and no locker is left parked (the test would hang).
#[test]
fn timeouts_unlinking_from_a_busy_queue_lose_nothing() {
    watchdog(timeouts_unlinking_scenario);
}

fn timeouts_unlinking_scenario() {
    const THREADS: u64 = 6;
    const ROUNDS: u64 = 3_000;
    let lock = Lock::new(0u64);
    let landed = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (lock, landed) = (&lock, &landed);
            s.spawn(move || {
                for i in 0..ROUNDS {
                    if (t + i) % 3 == 0 {
                        // Some of these time out while queued, some get the lock.
                        let timeout = Duration::from_micros(i % 40);
                        if let Some(mut guard) = lock.lock_timeout(timeout) {
                            *guard += 1;
                            landed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    } else {
                        let mut guard = lock.lock();
                        *guard += 1;
                        // Hold a little so that lockers queue up behind.
                        for _ in 0..(i % 64) {
                            std::hint::black_box(&mut *guard);
                        }
                        landed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(lock.into_inner(), landed.into_inner());
}
