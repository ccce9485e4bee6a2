//! Behaviour of `RLock`, after CPython's test_threading RLockTests.

use std::cell::Cell;
use std::time::Duration;

use weftkit_sync::{RLock, StopToken, Stopped};
use weftkit_testkit::watchdog;

#[test]
fn owner_reenters_and_the_count_unwinds() {
    let lock = RLock::new(Cell::new(0));
    let a = lock.lock();
    let b = lock.lock();
    let c = lock.try_lock().expect("the owner re-enters");
    let d = lock
        .lock_timeout(Duration::ZERO)
        .expect("the owner re-enters");
    c.set(c.get() + 1);
    drop((a, c));
    assert!(lock.is_locked() && lock.is_owned());
    drop((b, d));
    assert!(!lock.is_locked() && !lock.is_owned());
}

#[test]
fn other_threads_wait_until_every_level_is_released() {
    watchdog(|| {
        let lock = RLock::new(Cell::new(0u32));
        let outer = lock.lock();
        let inner = lock.lock();
        std::thread::scope(|s| {
            s.spawn(|| {
                assert!(lock.try_lock().is_none());
                assert!(lock.lock_timeout(Duration::from_millis(5)).is_none());
                assert!(!lock.is_owned());
            })
            .join()
            .unwrap();
            drop(inner);
            s.spawn(|| assert!(lock.try_lock().is_none(), "one level is still held"))
                .join()
                .unwrap();
            drop(outer);
            s.spawn(|| {
                let g = lock.lock();
                g.set(g.get() + 1);
            });
        });
        assert_eq!(lock.into_inner().get(), 1);
    });
}

/// A thread that leaked a guard and then exited still holds the lock for good. A
/// later thread, which may be given the dead thread's thread-local memory, must not
/// be taken for the owner and let in.
#[test]
fn a_later_thread_never_inherits_a_dead_owners_levels() {
    let lock = RLock::new(());
    std::thread::scope(|s| {
        s.spawn(|| std::mem::forget(lock.lock()));
    });
    for _ in 0..20 {
        std::thread::scope(|s| {
            s.spawn(|| {
                assert!(
                    !lock.is_owned(),
                    "a new thread took over a dead owner's levels"
                );
                assert!(lock.try_lock().is_none());
            });
        });
    }
    assert!(lock.is_locked());
}

#[test]
fn many_threads_with_nested_locking_never_lose_an_update() {
    watchdog(|| {
        let lock = RLock::new(Cell::new(0u64));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..5_000 {
                        let outer = lock.lock();
                        let inner = lock.lock();
                        inner.set(outer.get() + 1);
                    }
                });
            }
        });
        assert_eq!(lock.into_inner().get(), 20_000);
    });
}

#[test]
fn panic_inside_nested_levels_releases_them_all() {
    let lock = RLock::new(Cell::new(1));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _a = lock.lock();
        let _b = lock.lock();
        panic!("boom");
    }));
    assert!(result.is_err());
    assert!(!lock.is_locked());
    std::thread::scope(|s| {
        s.spawn(|| assert!(lock.try_lock().is_some()));
    });
}

#[test]
fn stop_wakes_a_thread_waiting_for_another_owner() {
    watchdog(|| {
        let lock = RLock::new(());
        let token = StopToken::new();
        let held = lock.lock();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| lock.lock_stoppable(&token).map(drop));
            std::thread::sleep(Duration::from_millis(10));
            token.stop();
            assert_eq!(waiter.join().unwrap(), Err(Stopped));
        });
        // The owner re-enters even with a stopped token: it never has to wait.
        assert!(lock.lock_stoppable(&token).is_ok());
        drop(held);
    });
}
