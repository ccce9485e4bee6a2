//! Behaviour of `Condition`, after CPython's test_threading ConditionTests.

use std::collections::VecDeque;
use std::time::Duration;

use weftkit_sync::{Condition, StopToken, Stopped};
use weftkit_testkit::{GENEROUS, watchdog};

#[test]
fn wait_timeout_returns_false_without_notify() {
    let cond = Condition::new(());
    let mut guard = cond.lock();
    assert!(!guard.wait_timeout(Duration::from_millis(10)));
    assert!(!guard.wait_timeout(Duration::ZERO));
}

#[test]
fn notify_with_no_waiters_is_a_no_op() {
    let cond = Condition::new(());
    let mut guard = cond.lock();
    assert!(!guard.notify_one());
    assert_eq!(guard.notify(3), 0);
    assert_eq!(guard.notify_all(), 0);
}

#[test]
fn notify_n_wakes_at_most_n_then_all_wakes_the_rest() {
    watchdog(|| {
        // `gate` counts the threads parked in `wait`; `woken` counts those that returned.
        let gate = Condition::new(0usize);
        let woken = Condition::new(0usize);
        std::thread::scope(|s| {
            for _ in 0..5 {
                s.spawn(|| {
                    let mut g = gate.lock();
                    *g += 1;
                    woken.lock().notify_all(); // tell the main thread one more arrived
                    g.wait();
                    drop(g);
                    let mut w = woken.lock();
                    *w += 1;
                    w.notify_all();
                });
            }
            // Taking `gate` after the count reached 5 means all 5 are parked in `wait`.
            loop {
                let mut g = gate.lock();
                if *g == 5 {
                    assert_eq!(g.notify(2), 2);
                    break;
                }
                drop(g);
                woken.lock().wait_timeout(Duration::from_millis(1));
            }
            assert!(woken.lock().wait_for_timeout(|w| *w == 2, GENEROUS));
            // Nobody else was notified, so nobody else may return from `wait`.
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(*woken.lock(), 2);
            assert_eq!(gate.lock().notify_all(), 3);
            assert!(woken.lock().wait_for_timeout(|w| *w == 5, GENEROUS));
        });
    });
}

#[test]
fn producer_consumer_receives_every_item_once() {
    watchdog(|| {
        let queue = Condition::new(VecDeque::new());
        let total = 20_000u64;
        let sum = std::thread::scope(|s| {
            let consumers: Vec<_> = (0..3)
                .map(|_| {
                    s.spawn(|| {
                        let mut sum = 0u64;
                        loop {
                            let mut q = queue.lock();
                            q.wait_for(|q| !q.is_empty());
                            match q.pop_front() {
                                Some(Some(item)) => sum += item,
                                Some(None) => {
                                    q.push_back(None); // leave the sentinel for the others
                                    q.notify_all();
                                    return sum;
                                }
                                None => unreachable!("wait_for saw a non-empty queue"),
                            }
                        }
                    })
                })
                .collect();
            for item in 1..=total {
                let mut q = queue.lock();
                q.push_back(Some(item));
                q.notify_one();
            }
            let mut q = queue.lock();
            q.push_back(None);
            q.notify_all();
            drop(q);
            consumers
                .into_iter()
                .map(|c| c.join().unwrap())
                .sum::<u64>()
        });
        assert_eq!(sum, total * (total + 1) / 2);
    });
}

#[test]
fn wait_for_timeout_returns_last_predicate_value() {
    let cond = Condition::new(1);
    let mut g = cond.lock();
    assert!(g.wait_for_timeout(|n| *n == 1, Duration::ZERO));
    assert!(!g.wait_for_timeout(|n| *n == 2, Duration::from_millis(5)));
}

#[test]
fn stop_wakes_a_waiter_and_it_holds_the_lock_again() {
    watchdog(|| {
        let cond = Condition::new(0);
        let token = StopToken::new();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let mut g = cond.lock();
                *g = 1;
                let result = g.wait_for_stoppable(|n| *n == 99, &token);
                *g = 2; // the lock is held again
                result
            });
            while *cond.lock() != 1 {
                std::thread::yield_now();
            }
            token.stop();
            assert_eq!(waiter.join().unwrap(), Err(Stopped));
        });
        assert_eq!(cond.into_inner(), 2);
    });
}

/// The predicate is checked once more after a stop, as `wait_for_timeout` checks it
/// after its timeout: a state made true while the waiter was being stopped wins.
#[test]
fn wait_for_stoppable_rechecks_the_predicate_after_a_stop() {
    watchdog(|| {
        let cond = Condition::new(0);
        let token = StopToken::new();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let mut g = cond.lock();
                *g = 1;
                g.wait_for_stoppable(|n| *n == 2, &token)
            });
            // Seeing 1 under the lock means the waiter is parked (it let go of the lock).
            let mut g = loop {
                let g = cond.lock();
                if *g == 1 {
                    break g;
                }
                drop(g);
                std::thread::yield_now();
            };
            *g = 2; // the predicate holds, but nobody notifies...
            token.stop(); // ...and the stop wakes the waiter while we hold the lock
            drop(g);
            assert_eq!(waiter.join().unwrap(), Ok(()));
        });
    });
}

#[test]
fn panic_while_waiting_thread_holds_lock_unlocks() {
    let cond = Condition::new(0);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut g = cond.lock();
        *g = 1;
        panic!("inside the lock");
    }));
    assert!(r.is_err());
    assert_eq!(*cond.lock(), 1);
}
