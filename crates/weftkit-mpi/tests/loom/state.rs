//! Claim: however submits, `shutdown(wait, cancel_futures)` and the engine's rounds
//! interleave, every submitted future resolves exactly once (run by the engine, or
//! cancelled by the shutdown: never both, never neither), a refused submit gets its
//! job back, the engine ends, and it never sleeps through a submit or a shutdown (a
//! lost wake-up: loom's condition variable never times out, so it would be reported
//! as a deadlock).
//!
//! The engine here is the real engine's loop without MPI: take what there is, claim
//! each job (`Promise::start`) and complete it, end when `try_end` says so, otherwise
//! `wait_for_work`.

#[path = "../../src/state.rs"]
#[allow(dead_code, reason = "the model uses part of the state's interface")]
mod protocol;

use loom::sync::Arc;
use loom::thread;
use protocol::Shared;
use weftkit_executor::{Promise, TaskError};
use weftkit_shim::time::Duration;
use weftkit_testkit::model;

/// The job of the model: the future's producing end.
type Job = Promise<u32>;

/// The engine's loop without MPI (every job taken is "sent" and answered at once).
fn engine(shared: &Shared<Job>) {
    let mut taken = Vec::new();
    loop {
        shared.take(4, &mut taken);
        for mut promise in taken.drain(..) {
            if promise.start() {
                promise.complete(Ok(7));
            }
        }
        if shared.try_end(true) {
            return;
        }
        shared.wait_for_work(Duration::from_millis(1));
    }
}

/// Submits `n` jobs, each a future that must resolve.
fn submit(shared: &Shared<Job>, n: usize, block: bool) -> Vec<weftkit_executor::Future<u32>> {
    let mut futures = Vec::new();
    for _ in 0..n {
        let (promise, future) = Promise::new();
        match shared.push(promise, block) {
            Ok(()) => futures.push(future),
            Err((_, promise)) => {
                // Refused: the job came back; the submitter completes it (as
                // `MpiPool::submit` does) and hands the argument back.
                promise.complete(Err(TaskError::Cancelled));
                assert!(future.done());
            }
        }
    }
    futures
}

fn resolved(future: weftkit_executor::Future<u32>) {
    assert!(future.done(), "a future was left pending");
    match future.result() {
        Ok(7) | Err(TaskError::Cancelled) => {}
        other => panic!("unexpected outcome {other:?}"),
    }
}

#[test]
fn submit_racing_shutdown_with_cancel_loses_nothing() {
    model(|| {
        let shared = Arc::new(Shared::<Job>::new(8));
        let engine_thread = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || engine(&shared))
        };
        let submitter = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || submit(&shared, 2, true))
        };
        for promise in shared.shutdown(true) {
            promise.complete(Err(TaskError::Cancelled));
        }
        let futures = submitter.join().unwrap();
        engine_thread.join().unwrap();
        futures.into_iter().for_each(resolved);
    });
}

#[test]
fn a_submit_is_never_slept_through() {
    model(|| {
        let shared = Arc::new(Shared::<Job>::new(8));
        let engine_thread = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || engine(&shared))
        };
        let futures = submit(&shared, 2, true);
        // Wait for the results before the shutdown: only a wake-up from the submits
        // can get them run.
        for future in futures {
            assert_eq!(future.result(), Ok(7));
        }
        assert!(shared.shutdown(false).is_empty());
        engine_thread.join().unwrap();
    });
}

#[test]
fn a_full_queue_blocks_then_drains_without_loss() {
    model(|| {
        let shared = Arc::new(Shared::<Job>::new(1));
        let engine_thread = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || engine(&shared))
        };
        let futures = submit(&shared, 2, true);
        for promise in shared.shutdown(false) {
            promise.complete(Err(TaskError::Cancelled));
        }
        engine_thread.join().unwrap();
        // Nothing was cancelled: both ran.
        for future in futures {
            assert_eq!(future.result(), Ok(7));
        }
    });
}
