//! A thread's `StopToken`: `JoinHandle::stop` racing the thread on its way into a
//! sleep or a stop-aware wait (W3 of weftkit-sync's `raw/README.md`, through the
//! token weft hands each thread), and the end of a thread racing `wait_timeout`.

use weftkit_shim::time::Duration;
use weftkit_sync::Condition;
use weftkit_testkit::model;
use weftkit_thread::{Thread, is_stopped, sleep, stop_token};

/// `stop` racing a sleep that nothing else can end: whether the stop lands before
/// the thread has started, before it registers with its token, or while it is
/// parked, the sleep ends and reports that it was cut short. A lost wake-up would be
/// a deadlock, which loom reports.
#[test]
fn stop_always_wakes_an_endless_sleep() {
    model(|| {
        let handle = Thread::new(|| sleep(Duration::MAX)).start().unwrap();
        handle.stop();
        assert!(!handle.join().unwrap());
    });
}

/// The same race into a stop-aware wait of weftkit-sync, given the thread's own token.
#[test]
fn stop_always_wakes_a_stop_aware_wait() {
    model(|| {
        let handle = Thread::new(|| {
            let never = Condition::new(());
            let mut guard = never.lock();
            guard.wait_stoppable(&stop_token()).is_err()
        })
        .start()
        .unwrap();
        handle.stop();
        assert!(handle.join().unwrap());
    });
}

/// A timed sleep racing `stop`: it either slept the whole time or was cut short by
/// the stop, never cut short by anything else.
#[test]
fn a_timed_sleep_ends_early_only_because_of_a_stop() {
    model(|| {
        let handle = Thread::new(|| {
            let full = sleep(Duration::from_millis(1));
            (full, is_stopped())
        })
        .start()
        .unwrap();
        handle.stop();
        let (full, stopped) = handle.join().unwrap();
        assert!(full || stopped, "cut short without a stop");
    });
}

/// The thread's end racing `wait_timeout` and `is_alive`: a waiter never misses the
/// end (the registry and the thread's status change under one lock, with a
/// notification).
#[test]
fn wait_timeout_never_misses_the_end_of_the_thread() {
    model(|| {
        let handle = Thread::new(|| 7).start().unwrap();
        assert!(handle.wait_timeout(Duration::MAX));
        assert!(!handle.is_alive());
        assert_eq!(handle.join().unwrap(), 7);
    });
}
