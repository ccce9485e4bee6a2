//! `Lock` over the word lock of `raw/README.md` (R1–R8): mutual exclusion, no lost
//! wake-up on unlock, timed-out waiters unlinking themselves while an unlock pops,
//! waiters contending for the queue lock, and the hand-off to a waiter that lost a race.

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

/// Two parked lockers behind a holder: the queue holds two nodes, the unlocks pop them
/// in turn (R3, R4), and every increment lands.
#[test]
fn two_queued_lockers_are_both_woken() {
    model(|| {
        let lock = Arc::new(Lock::new(0));
        let held = lock.lock();
        let lockers: Vec<_> = (0..2)
            .map(|_| {
                let lock = Arc::clone(&lock);
                thread::spawn(move || *lock.lock() += 1)
            })
            .collect();
        drop(held);
        for t in lockers {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), 2);
        assert!(!lock.is_locked());
    });
}

/// Two timed lockers give up while the holder unlocks: both may want the queue lock at
/// once, each unlinks itself or takes over the wake-up it was given (R6), and the lock
/// ends free, with no node left behind.
///
/// Run it at `LOOM_MAX_PREEMPTIONS=2` (as `cargo xtask loom` does): at 3, loom keeps
/// re-running the locker that yields in the queue-lock wait while the holder, runnable
/// between two of its own operations, waits its turn, and the model exceeds loom's
/// branch limit.
#[test]
fn two_timed_out_lockers_unlink_while_the_holder_unlocks() {
    model(|| {
        let lock = Arc::new(Lock::new(0));
        let held = lock.lock();
        let lockers: Vec<_> = (0..2)
            .map(|_| {
                let lock = Arc::clone(&lock);
                thread::spawn(move || {
                    lock.lock_timeout(Duration::from_millis(1))
                        .map(|mut g| *g += 1)
                        .is_some()
                })
            })
            .collect();
        drop(held);
        let got = lockers
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|&got| got)
            .count();
        assert_eq!(*lock.try_lock().expect("nobody holds the lock"), got);
    });
}

/// The holder unlocks and locks again at once, barging past the locker it just woke;
/// that locker queues again, now due, and the next unlock hands the lock to it (R8).
#[test]
fn a_barged_locker_is_handed_the_lock() {
    model(|| {
        let lock = Arc::new(Lock::new(Vec::new()));
        let held = lock.lock();
        let t = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || lock.lock().push(1))
        };
        drop(held);
        lock.lock().push(0);
        t.join().unwrap();
        let mut order = lock.try_lock().expect("nobody holds the lock").clone();
        order.sort_unstable();
        assert_eq!(order, [0, 1]);
    });
}

/// A timed locker whose deadline passes while the holder barges and unlocks again:
/// a hand-off to a node that just timed out still gives it the lock (R6), and the lock
/// is never left locked with nobody holding it.
#[test]
fn timeout_racing_a_hand_off() {
    model(|| {
        let lock = Arc::new(Lock::new(0));
        let held = lock.lock();
        let t = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                lock.lock_timeout(Duration::from_millis(1))
                    .map(|mut g| *g += 1)
                    .is_some()
            })
        };
        drop(held);
        *lock.lock() += 10;
        let got = t.join().unwrap();
        assert_eq!(
            *lock.try_lock().expect("nobody holds the lock"),
            if got { 11 } else { 10 }
        );
    });
}

/// Three lockers queue behind the holder and the timed one gives up while the holder
/// still holds the lock. Among the interleavings, the timed locker pushed between the
/// other two, so it unlinks itself from the middle of the queue (`prev` and `next`
/// both non-null, R3's full walk, R6); the two others are then woken in turn by the
/// unlocks (R4) and every increment lands.
///
/// Preemption bound 1: four threads at 2 take too long for the suite.
#[test]
fn a_timed_locker_unlinks_from_the_middle_of_the_queue() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let lock = Arc::new(Lock::new(0));
        let held = lock.lock();
        let spawn_locker = |timed: bool| {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                if timed {
                    // The holder keeps the lock until this returns: it times out.
                    lock.lock_timeout(Duration::from_millis(1)).is_some()
                } else {
                    *lock.lock() += 1;
                    true
                }
            })
        };
        let first = spawn_locker(false);
        let middle = spawn_locker(true);
        let last = spawn_locker(false);
        assert!(!middle.join().unwrap(), "the lock was held the whole time");
        drop(held);
        assert!(first.join().unwrap() && last.join().unwrap());
        assert_eq!(*lock.try_lock().expect("nobody holds the lock"), 2);
    });
}
