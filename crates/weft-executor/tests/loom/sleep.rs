//! The park/wake protocol (S1–S4): a job pushed from outside as the last worker goes
//! to sleep is never lost.

use loom::sync::Arc;
use weft_executor::ThreadPool;
use weft_sync::Event;
use weft_testkit::model;

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
