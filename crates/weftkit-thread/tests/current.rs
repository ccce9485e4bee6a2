//! The calling thread and the live threads (`current`, `main_thread`, `enumerate`,
//! `active_count`, `ThreadInfo`) and its stop flag (`stop_token`, `is_stopped`,
//! `sleep`), after CPython's test_threading (`test_enumerate_after_join`,
//! `test_main_thread`, `test_foreign_thread`...).

mod common;

use std::time::Duration;

use common::watchdog;
use weftkit_testkit::GENEROUS;
use weftkit_thread::{
    Thread, active_count, current, enumerate, is_stopped, main_thread, sleep, stop_token,
};

#[test]
fn current_inside_a_weft_thread_is_that_thread() {
    watchdog(|| {
        let handle = Thread::new(|| {
            let me = current();
            (
                me.name().to_owned(),
                me.ident(),
                me.is_daemon(),
                me.is_alive(),
            )
        })
        .name("inside")
        .daemon(true)
        .start()
        .unwrap();
        let ident = handle.ident();
        assert_eq!(
            handle.join().unwrap(),
            ("inside".to_owned(), ident, true, true)
        );
    });
}

#[test]
fn a_thread_weft_did_not_start_is_a_dummy() {
    // CPython: test_foreign_thread (a _DummyThread).
    watchdog(|| {
        let named = std::thread::Builder::new()
            .name("std-worker".into())
            .spawn(|| (current(), current()))
            .unwrap()
            .join()
            .unwrap();
        let (first, second) = named;
        assert_eq!(first, second, "the same thread keeps one ident");
        assert_eq!(first.name(), "std-worker");
        assert!(first.is_dummy() && first.is_daemon() && first.is_alive());
        assert!(!first.is_main());

        let unnamed = std::thread::spawn(current).join().unwrap();
        assert!(unnamed.name().starts_with("Dummy-"), "{}", unnamed.name());
        assert_ne!(unnamed, first);
    });
}

#[test]
fn main_thread_is_ident_1_named_mainthread_and_not_a_daemon() {
    watchdog(|| {
        // CPython: test_main_thread.
        let main = main_thread();
        assert_eq!(main.name(), "MainThread");
        assert_eq!(main.ident(), 1);
        assert!(main.is_main() && !main.is_daemon() && !main.is_dummy() && main.is_alive());
        if cfg!(target_os = "linux") {
            assert_eq!(main.native_id(), Some(u64::from(std::process::id())));
        }
        // Tests run on harness threads, not the main thread.
        assert_ne!(current(), main);
        let seen_from_weft = Thread::new(main_thread).start().unwrap().join().unwrap();
        assert_eq!(seen_from_weft, main);
    });
}

#[test]
fn enumerate_lists_main_first_then_live_threads_until_they_finish() {
    // CPython: test_enumerate_after_join.
    watchdog(|| {
        let handle = Thread::new(|| sleep(Duration::from_secs(3600)))
            .name("listed")
            .start()
            .unwrap();
        let listed = enumerate();
        assert!(listed[0].is_main());
        assert!(listed.contains(&handle.info()));
        assert!(active_count() >= 2);
        let info = handle.info();
        handle.stop();
        handle.join().unwrap();
        assert!(!enumerate().contains(&info), "a joined thread is gone");
        assert!(!info.is_alive());
    });
}

#[test]
fn enumerate_does_not_list_threads_weft_did_not_start() {
    let me = current();
    assert!(me.is_dummy());
    assert!(!enumerate().contains(&me));
}

#[test]
fn sleep_returns_true_when_nobody_stops_the_thread() {
    watchdog(|| {
        assert!(sleep(Duration::from_millis(1)));
        assert!(sleep(Duration::ZERO));
        let in_weft = Thread::new(|| sleep(Duration::from_millis(1)))
            .start()
            .unwrap();
        assert!(in_weft.join().unwrap());
    });
}

#[test]
fn sleep_returns_false_at_once_when_already_stopped() {
    watchdog(|| {
        let handle = Thread::new(|| {
            stop_token().stop(); // a thread may stop itself
            (is_stopped(), sleep(Duration::MAX), sleep(Duration::ZERO))
        })
        .start()
        .unwrap();
        assert_eq!(handle.join().unwrap(), (true, false, false));
    });
}

#[test]
fn stop_cuts_a_long_sleep_short() {
    watchdog(|| {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let handle = Thread::new(move || {
            started_tx.send(()).unwrap();
            let slept = sleep(Duration::from_secs(3600));
            (slept, is_stopped())
        })
        .start()
        .unwrap();
        started_rx.recv_timeout(GENEROUS).unwrap();
        assert!(!is_stopped(), "only the worker's token is stopped");
        handle.stop();
        assert_eq!(handle.join().unwrap(), (false, true));
    });
}

#[test]
fn a_dummy_thread_has_a_token_of_its_own() {
    watchdog(|| {
        let token = std::thread::spawn(|| {
            let token = stop_token();
            assert!(!is_stopped());
            token.stop();
            assert!(is_stopped());
            assert!(!sleep(Duration::from_secs(3600)));
            token
        })
        .join()
        .unwrap();
        assert!(token.is_stopped());
        assert!(!is_stopped(), "the test thread's own token is untouched");
    });
}
