//! A shutdown storm on a bounded pool: three submitters (blocking on a full queue of
//! two) race two threads calling `shutdown(wait = true, cancel_futures = true)`.
//! Every submit either hands its task back with `ShutDown` or returns a future that
//! resolves, with its value or `Cancelled`; no submitter or shutdown hangs (a
//! deadlock fails the model), and the outcomes add up to what was submitted.

use weftkit_executor::{SubmitError, TaskError, ThreadPool};
use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicUsize, Ordering};
use weftkit_shim::thread;
use weftkit_testkit::shuttle_model;

const SUBMITTERS: usize = 3;
const PER_SUBMITTER: usize = 2;

/// What one submitter saw: (values returned, cancelled, refused).
#[derive(Default, Debug)]
struct Outcomes {
    values: usize,
    cancelled: usize,
    refused: usize,
}

#[test]
fn submitters_racing_cancelling_shutdowns() {
    shuttle_model(2_000, || {
        let pool = Arc::new(
            ThreadPool::builder()
                .max_workers(2)
                .queue_capacity(2)
                .build()
                .unwrap(),
        );
        let ran = Arc::new(AtomicUsize::new(0));
        let submitters: Vec<_> = (0..SUBMITTERS)
            .map(|s| {
                let pool = Arc::clone(&pool);
                let ran = Arc::clone(&ran);
                thread::spawn(move || {
                    let mut seen = Outcomes::default();
                    for k in 0..PER_SUBMITTER {
                        let value = s * 10 + k;
                        let ran = Arc::clone(&ran);
                        match pool.submit(move || {
                            ran.fetch_add(1, Ordering::SeqCst);
                            value
                        }) {
                            Ok(future) => match future.result() {
                                Ok(got) => {
                                    assert_eq!(got, value);
                                    seen.values += 1;
                                }
                                Err(TaskError::Cancelled) => seen.cancelled += 1,
                                Err(other) => panic!("task {value}: unexpected {other:?}"),
                            },
                            Err(SubmitError::ShutDown(_task)) => seen.refused += 1,
                            Err(other) => panic!("submit {value}: unexpected {other:?}"),
                        }
                    }
                    seen
                })
            })
            .collect();
        let stoppers: Vec<_> = (0..2)
            .map(|_| {
                let pool = Arc::clone(&pool);
                thread::spawn(move || pool.shutdown(true, true))
            })
            .collect();
        let mut total = Outcomes::default();
        for submitter in submitters {
            let seen = submitter.join().unwrap();
            total.values += seen.values;
            total.cancelled += seen.cancelled;
            total.refused += seen.refused;
        }
        for stopper in stoppers {
            stopper.join().unwrap();
        }
        assert_eq!(
            total.values + total.cancelled + total.refused,
            SUBMITTERS * PER_SUBMITTER,
            "every submit accounted for once: {total:?}"
        );
        let ran = ran.load(Ordering::SeqCst);
        assert!(ran >= total.values, "{ran} ran, {total:?}");
        assert!(
            ran <= total.values + total.cancelled,
            "{ran} ran, {total:?}"
        );
        // Both shutdowns waited: nothing is left queued or running.
        assert_eq!(pool.queued(), 0);
        assert_eq!(pool.running(), 0);
        assert_eq!(pool.completed(), ran as u64, "{total:?}");
    });
}
