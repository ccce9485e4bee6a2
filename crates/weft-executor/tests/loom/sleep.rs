//! The park/wake protocol (S1–S4): a job pushed from outside as the last worker goes
//! to sleep is never lost.

use weft_executor::ThreadPool;
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
