//! `Lock`: mutual exclusion, no lost wake-up on unlock, timed-out waiters racing unlock.

use loom::sync::Arc;
use loom::thread;
use weftkit_shim::time::Duration;
use weftkit_sync::{Lock, StopToken};
use weftkit_testkit::model;

/// Two lockers increment under the lock: no lost update, and the one that parks is woken.
#[test]
fn two_lockers_exclude_and_wake() {
    model(|| {
        let lock = Arc::new(Lock::new(0));
        let other = Arc::clone(&lock);
        let t = thread::spawn(move || *other.lock() += 1);
        *lock.lock() += 1;
        t.join().unwrap();
        assert_eq!(*lock.lock(), 2);
    });
}

/// A timed locker racing the holder's unlock (R4): it either gets the lock or times
/// out, and in both cases the third thread still gets the lock (no lost wake-up).
#[test]
fn timed_out_waiter_racing_unlock() {
    model(|| {
        let lock = Arc::new(Lock::new(0));
        let held = lock.lock();
        let timed = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                lock.lock_timeout(Duration::from_millis(1))
                    .map(|mut g| *g += 1)
                    .is_some()
            })
        };
        let blocking = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || *lock.lock() += 10)
        };
        drop(held);
        let got = timed.join().unwrap();
        blocking.join().unwrap();
        assert_eq!(*lock.lock(), if got { 11 } else { 10 });
    });
}

/// A stop racing a parked locker: the locker returns `Stopped` or the lock, never hangs.
#[test]
fn stop_racing_parked_locker() {
    model(|| {
        let lock = Arc::new(Lock::new(()));
        let token = StopToken::new();
        let held = lock.lock();
        let t = {
            let (lock, token) = (Arc::clone(&lock), token.clone());
            thread::spawn(move || lock.lock_stoppable(&token).is_ok())
        };
        token.stop();
        let got = t.join().unwrap();
        drop(held);
        assert!(!got, "the lock was held the whole time");
        assert!(lock.try_lock().is_some());
    });
}
