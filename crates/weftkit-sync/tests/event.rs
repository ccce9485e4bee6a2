//! Behaviour of `Event`, after CPython's test_threading EventTests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use weftkit_sync::{Event, StopToken, Stopped};
use weftkit_testkit::{GENEROUS, watchdog};

const fn assert_send_sync<T: Send + Sync>() {}
const _: () = assert_send_sync::<Event>();

/// CPython test_is_set.
#[test]
fn is_set_follows_set_and_clear() {
    let event = Event::new();
    assert!(!event.is_set());
    event.set();
    assert!(event.is_set());
    event.set();
    assert!(event.is_set());
    event.clear();
    assert!(!event.is_set());
    event.clear();
    assert!(!event.is_set());
}

#[test]
fn default_is_clear_and_debug_shows_the_flag() {
    let event = Event::default();
    assert!(!event.is_set());
    assert!(format!("{event:?}").contains("is_set: false"));
    event.set();
    assert!(format!("{event:?}").contains("is_set: true"));
}

#[test]
fn wait_on_a_set_event_returns_at_once() {
    watchdog(|| {
        let event = Event::new();
        event.set();
        event.wait();
        assert!(event.wait_timeout(GENEROUS));
        assert!(event.wait_timeout(Duration::ZERO));
        assert_eq!(event.wait_stoppable(&StopToken::new()), Ok(()));
    });
}

/// CPython test_timeout: a wait on a clear event times out with `False`, also with a
/// zero timeout, and reports `True` once the event is set.
#[test]
fn wait_timeout_returns_false_when_not_set() {
    let event = Event::new();
    assert!(!event.wait_timeout(Duration::ZERO));
    assert!(!event.wait_timeout(Duration::from_millis(10)));
    event.set();
    assert!(event.wait_timeout(Duration::from_millis(10)));
    event.clear();
    assert!(!event.wait_timeout(Duration::from_millis(1)));
}

/// CPython test_notify: one `set` wakes every waiter.
#[test]
fn set_wakes_every_waiter() {
    watchdog(|| {
        let event = Event::new();
        let woken = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for i in 0..6 {
                let (event, woken) = (&event, &woken);
                s.spawn(move || {
                    if i % 2 == 0 {
                        event.wait();
                    } else {
                        assert!(event.wait_timeout(GENEROUS));
                    }
                    woken.fetch_add(1, Ordering::SeqCst);
                });
            }
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(woken.load(Ordering::SeqCst), 0, "nobody set the event yet");
            event.set();
        });
        assert_eq!(woken.load(Ordering::SeqCst), 6);
    });
}

/// CPython test_set_and_clear (gh-57711): waiters woken by `set` report `True` even if
/// the event was cleared again before they ran.
#[test]
fn set_and_clear_waiters_return_true() {
    watchdog(|| {
        const N: usize = 5;
        let event = Event::new();
        let arrived = AtomicUsize::new(0);
        let results = std::thread::scope(|s| {
            let waiters: Vec<_> = (0..N)
                .map(|_| {
                    s.spawn(|| {
                        arrived.fetch_add(1, Ordering::SeqCst);
                        event.wait_timeout(GENEROUS)
                    })
                })
                .collect();
            while arrived.load(Ordering::SeqCst) < N {
                std::thread::yield_now();
            }
            // Let the waiters get past their spin and park (as CPython's test does).
            std::thread::sleep(Duration::from_millis(100));
            event.set();
            event.clear();
            waiters
                .into_iter()
                .map(|w| w.join().unwrap())
                .collect::<Vec<_>>()
        });
        assert_eq!(results, [true; N]);
        assert!(!event.is_set());
    });
}

/// CPython test_set_and_clear under CPU load (E8): with a busy thread on every core,
/// a waiter may still be in its spin phase (each `yield_now` can then last
/// milliseconds) when `set(); clear();` both run. It began its wait before the `set`,
/// so it must return `true`; before E8 it registered in the generation the `clear`
/// started and slept until a next `set` (here: until its timeout, so `false`).
#[test]
fn set_and_clear_under_cpu_load_wakes_every_waiter() {
    const N: usize = 5;
    const ROUNDS: usize = 5;
    /// Only reached when a waiter missed the `set`.
    const MISSED: Duration = Duration::from_secs(5);
    watchdog(|| {
        let busy_threads = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
        let stop_busy = std::sync::atomic::AtomicBool::new(false);
        /// Stops the busy threads however the scope ends (a failed assertion too).
        struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop_busy);
            for _ in 0..busy_threads {
                s.spawn(|| {
                    while !stop_busy.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                });
            }
            let mut missed = 0;
            for _ in 0..ROUNDS {
                let event = Event::new();
                let arrived = AtomicUsize::new(0);
                let results = std::thread::scope(|s| {
                    let waiters: Vec<_> = (0..N)
                        .map(|_| {
                            s.spawn(|| {
                                arrived.fetch_add(1, Ordering::SeqCst);
                                event.wait_timeout(MISSED)
                            })
                        })
                        .collect();
                    while arrived.load(Ordering::SeqCst) < N {
                        std::thread::yield_now();
                    }
                    // Each waiter has counted itself in; the few instructions from there
                    // into `wait_timeout` have all but surely run after a short sleep
                    // (CPython sleeps longer; here a short one keeps the waiters in the
                    // spin phase that used to miss the set).
                    std::thread::sleep(Duration::from_millis(5));
                    event.set();
                    event.clear();
                    waiters
                        .into_iter()
                        .map(|w| w.join().unwrap())
                        .collect::<Vec<_>>()
                });
                missed += results.iter().filter(|woken| !**woken).count();
            }
            assert_eq!(
                missed, 0,
                "waiters that began before set(); clear(); missed the set"
            );
        });
    });
}

/// A waiter that times out leaves; a later `set` still reaches a waiter that stayed.
#[test]
fn timed_out_waiter_does_not_swallow_a_later_set() {
    watchdog(|| {
        let event = Event::new();
        std::thread::scope(|s| {
            let patient = s.spawn(|| event.wait_timeout(GENEROUS));
            let hasty = s.spawn(|| event.wait_timeout(Duration::from_millis(5)));
            assert!(!hasty.join().unwrap());
            event.set();
            assert!(patient.join().unwrap());
        });
    });
}

#[test]
fn stop_wakes_a_parked_waiter() {
    watchdog(|| {
        let event = Event::new();
        let token = StopToken::new();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| event.wait_stoppable(&token));
            std::thread::sleep(Duration::from_millis(20));
            token.stop();
            assert_eq!(waiter.join().unwrap(), Err(Stopped));
        });
        // The event still works after a stopped waiter left.
        event.set();
        event.wait();
    });
}

#[test]
fn a_set_event_wins_over_a_fired_token() {
    let event = Event::new();
    let token = StopToken::new();
    token.stop();
    assert_eq!(event.wait_stoppable(&token), Err(Stopped));
    event.set();
    assert_eq!(event.wait_stoppable(&token), Ok(()));
}

/// Two threads hand a turn back and forth through two events: every round needs a
/// wake-up that must not be lost, and the turn order must hold.
#[test]
fn ping_pong_never_loses_a_turn() {
    watchdog(|| {
        const ROUNDS: usize = 20_000;
        let ping = Event::new();
        let pong = Event::new();
        let turns = AtomicUsize::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                for round in 0..ROUNDS {
                    ping.wait();
                    ping.clear();
                    assert_eq!(turns.fetch_add(1, Ordering::SeqCst), 2 * round + 1);
                    pong.set();
                }
            });
            for round in 0..ROUNDS {
                assert_eq!(turns.fetch_add(1, Ordering::SeqCst), 2 * round);
                ping.set();
                pong.wait();
                pong.clear();
            }
        });
        assert_eq!(turns.load(Ordering::SeqCst), 2 * ROUNDS);
    });
}

/// Many waiters with short timeouts churn while a setter sets and clears: every wait
/// ends, and waiters that started after the last `set` are woken by the final one.
#[test]
fn timeouts_racing_set_and_clear_never_hang() {
    watchdog(|| {
        let event = Event::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..500 {
                        event.wait_timeout(Duration::from_micros(50));
                    }
                    event.wait();
                });
            }
            for _ in 0..500 {
                event.set();
                std::thread::yield_now();
                event.clear();
            }
            event.set();
        });
    });
}
