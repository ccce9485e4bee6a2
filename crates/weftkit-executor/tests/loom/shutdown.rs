//! Shutdown racing submit (D1, D2, A2): a submit either returns `ShutDown` with its
//! task, or its future resolves. It never hangs (loom reports a deadlock), and a
//! submitter parked on a full queue is released by the shutdown.

use loom::sync::Arc;
use loom::thread;
use weftkit_executor::{SubmitError, TaskError, ThreadPool};
use weftkit_testkit::model;

fn submit_and_resolve(pool: &ThreadPool, value: u32) -> Option<u32> {
    match pool.submit(move || value) {
        Ok(future) => Some(future.result().expect("an accepted task runs")),
        Err(SubmitError::ShutDown(task)) => {
            assert_eq!(task(), value, "the refused task comes back");
            None
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
}

/// A submitter from outside against `shutdown(wait = true)`.
#[test]
fn submit_racing_shutdown() {
    model(|| {
        let pool = Arc::new(
            ThreadPool::builder()
                .max_workers(1)
                .queue_capacity(1)
                .build()
                .unwrap(),
        );
        let submitter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || submit_and_resolve(&pool, 7))
        };
        pool.shutdown(true, false);
        if let Some(value) = submitter.join().unwrap() {
            assert_eq!(value, 7);
        }
    });
}

/// The queue (capacity 1) is full, so the submitter may park on admission; the
/// shutdown (cancelling queued futures) must release it, and the first future
/// resolves either way.
#[test]
fn blocked_submit_racing_shutdown_with_cancel() {
    model(|| {
        let pool = Arc::new(
            ThreadPool::builder()
                .max_workers(1)
                .queue_capacity(1)
                .build()
                .unwrap(),
        );
        let first = pool.submit(|| 1).unwrap();
        let submitter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || match pool.submit(|| 2) {
                Ok(future) => {
                    let got = future.result(); // it resolves, with one of these
                    assert!(matches!(got, Ok(2) | Err(TaskError::Cancelled)), "{got:?}");
                }
                Err(error) => assert!(matches!(error, SubmitError::ShutDown(_))),
            })
        };
        pool.shutdown(false, true);
        let got = first.result(); // it resolves, with one of these
        assert!(matches!(got, Ok(1) | Err(TaskError::Cancelled)), "{got:?}");
        submitter.join().unwrap();
    });
}
