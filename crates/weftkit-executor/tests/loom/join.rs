//! `join` (rayon's fork-join): the second closure is either popped back and run by the
//! joining worker, or stolen and run by the other worker, whose latch wakes the
//! joiner (S4). Both results come back, and borrowed data is read correctly. The push
//! of the second closure is not fenced (S9): the model explores the other worker
//! falling asleep without seeing it, and the joiner must then take it back itself.

use loom::sync::atomic::{AtomicUsize, Ordering};
use weftkit_executor::ThreadPool;
use weftkit_testkit::model;

/// Two workers: the one running the joined closures, and a possible thief.
#[test]
fn second_closure_stolen_or_popped_back() {
    model(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let data = [1usize, 2];
        let runs = AtomicUsize::new(0);
        let (a, b) = pool.join(
            || {
                runs.fetch_add(1, Ordering::SeqCst);
                data[0]
            },
            || {
                runs.fetch_add(1, Ordering::SeqCst);
                data[1]
            },
        );
        assert_eq!((a, b), (1, 2));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    });
}

/// A task that waits for a future of its own pool helps meanwhile; when the other
/// worker steals the subtask, its completion must wake the waiting worker (S4).
#[test]
fn waiting_worker_is_woken_by_the_thief() {
    model(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let got = pool.install(|| pool.submit(|| 5).unwrap().result());
        assert_eq!(got, Ok(5));
    });
}
