//! `Promise`: the producing half of a `Future`, for work that runs elsewhere.

use weftkit::executor::{Promise, TaskError};
use weftkit_testkit::{GENEROUS, watchdog};

#[test]
fn completing_resolves_the_future_across_threads() {
    watchdog(|| {
        let (mut promise, future) = Promise::<u64>::new();
        let producer = std::thread::spawn(move || {
            assert!(promise.start());
            promise.complete(Ok(7));
        });
        assert_eq!(future.result(), Ok(7));
        producer.join().unwrap();
    });
}

#[test]
fn a_dropped_promise_fails_its_future_with_abandoned() {
    let (promise, future) = Promise::<u8>::new();
    drop(promise);
    assert!(future.done() && future.failed());
    assert_eq!(future.result(), Err(TaskError::Abandoned));

    let (mut started, future) = Promise::<u8>::new();
    assert!(started.start());
    drop(started);
    assert_eq!(future.result(), Err(TaskError::Abandoned));
}

#[test]
fn cancel_before_start_wins_and_start_reports_it() {
    let (mut promise, future) = Promise::<u8>::new();
    assert!(future.cancel());
    assert!(promise.is_done());
    assert!(!promise.start());
    promise.complete(Ok(1)); // dropped: the future stays cancelled
    assert_eq!(future.result(), Err(TaskError::Cancelled));
}

#[test]
fn cancel_after_start_fails_and_request_stop_fires_the_stop_token() {
    let (mut promise, future) = Promise::<u8>::new();
    assert!(promise.start() && promise.start());
    assert!(future.running());
    assert!(!future.cancel());
    assert!(!promise.stop_token().is_stopped(), "cancel fires no token");
    assert!(future.request_stop());
    assert!(promise.stop_token().is_stopped());
    promise.complete(Ok(3));
    assert_eq!(future.result(), Ok(3));
}

#[test]
fn done_callbacks_run_on_the_completing_thread() {
    let (promise, future) = Promise::<u8>::new();
    let (tx, rx) = std::sync::mpsc::channel();
    future.add_done_callback(move |r| tx.send(r.clone()).unwrap());
    promise.complete(Err(TaskError::WorkerDied {
        signal: Some(9),
        exit_code: None,
    }));
    let seen = rx.recv_timeout(GENEROUS).unwrap();
    assert_eq!(seen, future.result());
    assert!(seen.unwrap_err().to_string().contains("signal 9"));
}
