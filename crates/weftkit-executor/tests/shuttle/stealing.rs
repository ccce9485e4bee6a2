//! Four workers stealing: tasks submitted from outside submit more tasks from inside
//! (onto their worker's own deque, where idle workers steal them) and fork-join, then
//! wait on what they submitted while helping. Every future resolves with its value;
//! nothing is lost, run twice or left waiting (a deadlock fails the model).

use weftkit_executor::ThreadPool;
use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicUsize, Ordering};
use weftkit_testkit::shuttle_model;

/// Outer tasks submitted from outside.
const OUTER: usize = 3;

#[test]
fn nested_submits_and_joins_across_four_workers() {
    shuttle_model(2_000, || {
        let pool = Arc::new(ThreadPool::builder().max_workers(4).build().unwrap());
        let runs = Arc::new(AtomicUsize::new(0));
        let outer: Vec<_> = (0..OUTER)
            .map(|i| {
                let inner_pool = Arc::clone(&pool);
                let runs = Arc::clone(&runs);
                pool.submit(move || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    let nested = {
                        let runs = Arc::clone(&runs);
                        inner_pool
                            .submit(move || {
                                runs.fetch_add(1, Ordering::SeqCst);
                                i * 100
                            })
                            .unwrap()
                    };
                    let (a, b) = inner_pool.join(
                        || {
                            runs.fetch_add(1, Ordering::SeqCst);
                            i
                        },
                        || {
                            runs.fetch_add(1, Ordering::SeqCst);
                            i * 10
                        },
                    );
                    nested.result().unwrap() + a + b
                })
                .unwrap()
            })
            .collect();
        for (i, future) in outer.into_iter().enumerate() {
            assert_eq!(future.result(), Ok(i * 111));
        }
        // Each outer task: itself, one nested task, two joined closures.
        assert_eq!(runs.load(Ordering::SeqCst), OUTER * 4);
        pool.shutdown(true, false);
        assert!(pool.completed() >= OUTER as u64 * 2);
        assert_eq!(pool.queued(), 0);
        assert_eq!(pool.running(), 0);
    });
}
