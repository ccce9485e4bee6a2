//! `RLock`: nested levels by one thread exclude another, and the last level's unlock
//! wakes the parked thread.

use std::cell::Cell;

use loom::sync::Arc;
use loom::thread;
use weftkit_sync::RLock;
use weftkit_testkit::model;

#[test]
fn nested_owner_and_a_contender() {
    model(|| {
        let lock = Arc::new(RLock::new(Cell::new(0)));
        let other = Arc::clone(&lock);
        let t = thread::spawn(move || {
            let g = other.lock();
            g.set(g.get() + 1);
        });
        {
            let outer = lock.lock();
            let inner = lock.lock();
            inner.set(outer.get() + 10);
        }
        t.join().unwrap();
        assert_eq!(lock.lock().get(), 11);
    });
}
