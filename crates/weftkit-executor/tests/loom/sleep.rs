//! The park/wake protocol (S1–S7): a job pushed from outside as the last worker goes
//! to sleep is never lost.

use loom::sync::Arc;
use weftkit_executor::ThreadPool;
use weftkit_sync::Event;
use weftkit_testkit::model;

/// One worker: the first task runs and the worker goes idle (searching, then asleep);
/// the second submit lands at every point of that descent. `result` on the second
/// future hangs (loom reports a deadlock) if the wake-up is lost.
#[test]
fn submit_as_the_only_worker_falls_asleep() {
    model(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        assert_eq!(pool.submit(|| 1).unwrap().result(), Ok(1));
        assert_eq!(pool.submit(|| 2).unwrap().result(), Ok(2));
    });
}

/// Two workers, two jobs from outside, the first blocked until the second runs (as
/// Python's pool of two would run them): a poster may skip the wake-up while a worker
/// searches (S6), so the last searcher that finds a job must wake a sleeper for the
/// other one; otherwise the second job waits behind the blocked first forever.
///
/// The race needs one preemption (the searching worker, inside its search); this
/// model runs at one, as at two it takes minutes.
#[test]
fn second_job_runs_while_the_first_blocks() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        // Warm up: both workers started (the first submit starts two) and going idle.
        pool.submit(|| ()).unwrap().result().unwrap();
        let event = Arc::new(Event::new());
        let waiter = {
            let event = Arc::clone(&event);
            pool.submit(move || event.wait()).unwrap()
        };
        let setter = pool.submit(move || event.set()).unwrap();
        assert_eq!((waiter.result(), setter.result()), (Ok(()), Ok(())));
    });
}

/// S7: a task pushes a subtask onto its worker's own deque and then blocks on a plain
/// `Event` (it does not help) until the subtask sets it, while the other worker goes
/// to sleep. Only that worker can run the subtask, so the push must wake it: without
/// a SeqCst fence between the push and the read of `num_sleeping`, the poster can
/// read no sleeper while the sleeper's re-check reads an empty deque (store
/// buffering), and both wait forever.
///
/// The lost wake-up needs no preemption, only stale reads; this model runs at one
/// (found in seconds without the fence), as at two it takes minutes.
#[test]
fn local_push_reaches_a_worker_falling_asleep() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let set = pool.install(|| {
            let event = Arc::new(Event::new());
            let setter = {
                let event = Arc::clone(&event);
                pool.submit(move || event.set()).unwrap()
            };
            event.wait();
            setter
        });
        assert_eq!(set.result(), Ok(()));
    });
}

/// S8: a worker waiting with a timeout inside a task sleeps with a deadline while the
/// other worker may steal and run the subtask; the deadline (loom's virtual clock)
/// may pass as the thief's completion wakes it. Either way the wait ends, the
/// subtask's future resolves, and the pool shuts down (no sleeper is lost or counted
/// twice).
#[test]
fn timed_wait_inside_a_task_sleeps_within_its_deadline() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let (timed_out, sub) = pool.install(|| {
            let sub = pool.submit(|| 7).unwrap();
            let done = sub.wait_timeout(std::time::Duration::from_millis(1));
            (!done, sub)
        });
        assert!(timed_out || sub.done());
        assert_eq!(sub.result(), Ok(7));
    });
}
