//! Waits that give up leave nothing behind on the futures they watched: a waker left
//! on a pending future stays (with what it holds) until the future completes, so a
//! loop of timed waits on one long task would grow without bound.

use weftkit_shim::sync::Arc;
use weftkit_shim::time::Duration;
use weftkit_sync::Event;
use weftkit_testkit::watchdog;

use crate::{ReturnWhen, ThreadPool, as_completed_timeout, wait};

const TINY: Duration = Duration::from_micros(1);
const ROUNDS: usize = 1_000;

fn long_task(pool: &ThreadPool) -> (crate::Future<()>, Arc<Event>) {
    let gate = Arc::new(Event::new());
    let g = Arc::clone(&gate);
    (pool.submit(move || g.wait()).unwrap(), gate)
}

#[test]
fn timed_waits_on_a_long_future_leave_no_wakers() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let (long, gate) = long_task(&pool);
        let quick = pool.submit(|| ()).unwrap();
        quick.wait();
        let futures = [long];
        for _ in 0..ROUNDS {
            let waited = wait(&futures, ReturnWhen::AllCompleted, Some(TINY));
            assert!(waited.not_done[0] == &futures[0] && waited.done.is_empty());
            assert!(!futures[0].wait_timeout(TINY));
        }
        assert_eq!(futures[0].inner().waker_count(), 0);
        gate.set();
        let [long] = futures;
        assert_eq!(long.result(), Ok(()));
    });
}

#[test]
fn as_completed_leaves_no_wakers_on_what_it_hands_back_or_drops() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let (long, gate) = long_task(&pool);
        let mut remaining = vec![long];
        for _ in 0..ROUNDS {
            let mut pending = as_completed_timeout(remaining, TINY);
            assert!(pending.next().is_none() && pending.timed_out());
            remaining = pending.into_remaining();
        }
        assert_eq!(remaining[0].inner().waker_count(), 0);
        // Dropped with the future unyielded: the future (still queued in the job)
        // keeps no waker pointing at the dropped iterator's inbox.
        let shared = Arc::clone(remaining[0].inner());
        drop(as_completed_timeout(remaining, TINY));
        assert_eq!(shared.waker_count(), 0);
        gate.set();
    });
}

/// The same from inside a pool task, where the timed waits help the pool.
#[test]
fn timed_waits_inside_a_task_leave_no_wakers() {
    watchdog(|| {
        let pool = Arc::new(ThreadPool::builder().max_workers(2).build().unwrap());
        let (long, gate) = long_task(&pool);
        let counted = pool
            .submit(move || {
                let mut long = long;
                for _ in 0..ROUNDS {
                    assert!(!long.wait_timeout(TINY));
                    assert_eq!(long.result_timeout(TINY), Err(crate::TaskError::TimedOut));
                    let futures = std::slice::from_ref(&long);
                    assert_eq!(
                        wait(futures, ReturnWhen::FirstCompleted, Some(TINY))
                            .done
                            .len(),
                        0
                    );
                }
                (long.inner().waker_count(), long)
            })
            .unwrap();
        let (count, long) = counted.result().unwrap();
        assert_eq!(count, 0);
        gate.set();
        assert_eq!(long.result(), Ok(()));
    });
}
