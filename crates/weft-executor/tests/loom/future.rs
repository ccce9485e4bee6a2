//! `Future`: completion by the worker racing `cancel` from another thread and
//! `add_done_callback` from the owner. A `cancel` that returns `true` means the task
//! never ran; one that returns `false` found it running (the result is then its value
//! or, if the cancel came before it returned, `Cancelled`) or done. The callback runs
//! exactly once, and `result` and `cancelled` agree.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;
use weft_executor::{TaskError, ThreadPool};
use weft_testkit::model;

/// Worker (runs or finds it cancelled), canceller, and the owner adding a callback.
#[test]
fn completion_racing_cancel_and_add_done_callback() {
    model(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let future = {
            let ran = Arc::clone(&ran);
            Arc::new(
                pool.submit(move || ran.store(true, Ordering::SeqCst))
                    .unwrap(),
            )
        };
        let canceller = {
            let future = Arc::clone(&future);
            thread::spawn(move || future.cancel())
        };
        {
            let calls = Arc::clone(&calls);
            future.add_done_callback(move |_| {
                calls.fetch_add(1, Ordering::SeqCst);
            });
        }
        let cancelled = canceller.join().unwrap();
        let future = Arc::try_unwrap(future).unwrap();
        future.wait();
        let reports_cancelled = future.cancelled();
        let result = future.result();
        assert_eq!(reports_cancelled, result == Err(TaskError::Cancelled));
        // Callbacks run before waiters are released (or at once, on the adder).
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        if cancelled {
            assert!(!ran.load(Ordering::SeqCst), "a cancelled task never runs");
            assert_eq!(result, Err(TaskError::Cancelled));
        } else {
            assert!(ran.load(Ordering::SeqCst), "cancel failed, so the task ran");
            // Ok if the task had returned first, Cancelled if the cancel came first.
            assert!(matches!(result, Ok(()) | Err(TaskError::Cancelled)));
        }
    });
}

/// `cancel` of a running task fires the task's stop token, whether the task asks for
/// its token before or after the cancel: a task that looks after `cancel` returned
/// `false` always sees it stopped.
#[test]
fn cancel_of_a_running_task_reaches_its_stop_token() {
    model(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let started = Arc::new(AtomicBool::new(false));
        let cancel_returned = Arc::new(AtomicBool::new(false));
        let future = {
            let started = Arc::clone(&started);
            let cancel_returned = Arc::clone(&cancel_returned);
            pool.submit(move || {
                started.store(true, Ordering::SeqCst);
                let cancelled_before = cancel_returned.load(Ordering::SeqCst);
                let stopped = weft_executor::stop_token().is_stopped();
                // If the cancel was over before we asked, the token must be stopped.
                !cancelled_before || stopped
            })
            .unwrap()
        };
        if started.load(Ordering::SeqCst) {
            // Running (or done): cancel must fail.
            assert!(!future.cancel());
            cancel_returned.store(true, Ordering::SeqCst);
        }
        match future.result() {
            Ok(consistent) => assert!(consistent),
            Err(error) => assert_eq!(error, TaskError::Cancelled),
        }
    });
}
