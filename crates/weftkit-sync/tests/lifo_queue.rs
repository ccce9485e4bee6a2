//! Behaviour of `LifoQueue` (last in, first out), after CPython's test_queue.

#[path = "queue_common/mod.rs"]
mod common;

/// What every flavour does (queue_common/mod.rs).
mod shared {
    use weftkit_sync::LifoQueue;
    crate::common::queue_behaviour!(LifoQueue);
}

/// Random single-threaded runs agree with a `Vec` used as a stack.
mod model {
    use weftkit_sync::LifoQueue;
    crate::common::model_check!(LifoQueue, Vec<u8>);
}

use weftkit_sync::{GetError, LifoQueue};
use weftkit_testkit::watchdog;

#[test]
fn the_last_item_put_comes_out_first() {
    let q = LifoQueue::bounded(5).unwrap();
    for i in [3, 1, 4, 1, 5] {
        q.put(i).unwrap();
    }
    let got: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
    assert_eq!(got, [5, 1, 4, 1, 3]);
    assert_eq!(q.try_get(), Err(GetError::Empty));
}

/// CPython's simple_queue_test for LifoQueue: 111, 333, 222 put, a blocked put of 444
/// lands after the first get (of 222), then 444, 333, 111.
#[test]
fn simple_queue_test_fill_block_drain_in_order() {
    watchdog(|| {
        let q = LifoQueue::bounded(3).unwrap();
        for i in [111, 333, 222] {
            q.put(i).unwrap();
        }
        std::thread::scope(|s| {
            s.spawn(|| q.put(444).unwrap());
            common::wait_for_debug(&q, "waiting_putters: 1");
            assert_eq!(q.get(), Ok(222));
        });
        let rest: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
        assert_eq!(rest, [444, 333, 111]);
    });
}
