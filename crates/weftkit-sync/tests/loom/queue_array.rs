//! The bounded `Queue`'s lock-free ring (`src/queue/README.md`, A1–A10): a put or get
//! racing a waiter that parks on a full or empty ring is never lost (A5), a waiter that
//! gives up never strands its wake-up (A7), shutdown reaches every waiter (A3, A6),
//! and task_done/join keep their count (A8, A9). `bounded` queues use the ring;
//! `queue.rs` covers the locked core through unbounded queues.
//!
//! Models where two threads can wait in the A2 window at once (two getters, or two
//! putters, behind one in-flight operation) are shuttle models instead
//! (`tests/shuttle/queue_array.rs`): loom lets two yielding spinners take turns
//! forever, so it never finishes them.

use loom::sync::Arc;
use loom::thread;
use weftkit_shim::time::Duration;
use weftkit_sync::{GetError, PutError, Queue, QueueJoinError};
use weftkit_testkit::model;

/// A getter that finds the ring empty and parks is woken by the put (A5).
#[test]
fn put_wakes_a_getter_parking_on_empty() {
    model(|| {
        let q = Arc::new(Queue::bounded(1).unwrap());
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get())
        };
        q.put(7).unwrap();
        assert_eq!(getter.join().unwrap(), Ok(7));
    });
}

/// A putter that finds the ring full and parks is woken by the get (A5), and FIFO
/// order holds across the lap.
#[test]
fn get_wakes_a_putter_parking_on_full() {
    model(|| {
        let q = Arc::new(Queue::bounded(1).unwrap());
        q.put(1).unwrap();
        let putter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put(2))
        };
        assert_eq!(q.get(), Ok(1));
        assert_eq!(putter.join().unwrap(), Ok(()));
        assert_eq!(q.try_get(), Ok(2));
    });
}

/// A timed getter racing a put: it takes the item or leaves it queued (A7).
#[test]
fn timed_get_racing_put() {
    model(|| {
        let q = Arc::new(Queue::bounded(1).unwrap());
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get_timeout(Duration::from_millis(1)))
        };
        q.put(7).unwrap();
        match getter.join().unwrap() {
            Ok(item) => assert_eq!(item, 7),
            Err(e) => {
                assert_eq!(e, GetError::TimedOut);
                assert_eq!(q.try_get(), Ok(7), "the item was lost");
            }
        }
    });
}

/// `shutdown(false)` racing a getter parking on empty and a putter parking on full
/// (two rings): both wake with `ShutDown`, the putter with its item (A3, A6).
#[test]
fn shutdown_racing_parking_getter_and_putter() {
    model(|| {
        let empty = Arc::new(Queue::<u8>::bounded(1).unwrap());
        let full = Arc::new(Queue::bounded(1).unwrap());
        full.put(0u8).unwrap();
        let getter = {
            let q = Arc::clone(&empty);
            thread::spawn(move || q.get())
        };
        let putter = {
            let q = Arc::clone(&full);
            thread::spawn(move || q.put(1))
        };
        empty.shutdown(false);
        full.shutdown(false);
        assert_eq!(getter.join().unwrap(), Err(GetError::ShutDown));
        assert_eq!(putter.join().unwrap(), Err(PutError::ShutDown(1)));
        assert_eq!(full.try_get(), Ok(0), "shutdown(false) keeps queued items");
    });
}

/// A put racing `shutdown(false)`: it lands before the shutdown (and its item still
/// comes out) or fails with the item back (A3).
#[test]
fn put_racing_shutdown_lands_or_is_refused() {
    model(|| {
        let q = Arc::new(Queue::bounded(2).unwrap());
        let putter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put(1))
        };
        q.shutdown(false);
        match putter.join().unwrap() {
            Ok(()) => assert_eq!(q.try_get(), Ok(1)),
            Err(e) => assert_eq!(e, PutError::ShutDown(1)),
        }
        assert_eq!(q.try_get(), Err(GetError::ShutDown));
    });
}

/// `join` racing the worker's get + task_done: the joiner wakes, and only after the
/// item was marked done (A5, A8).
#[test]
fn join_racing_task_done() {
    model(|| {
        let q = Arc::new(Queue::bounded(1).unwrap());
        q.put(1).unwrap();
        let worker = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                q.get().unwrap();
                q.task_done().unwrap();
            })
        };
        assert_eq!(q.join(), Ok(()));
        assert!(q.task_done().is_err(), "join returned before task_done");
        worker.join().unwrap();
    });
}

/// A consumer's task_done always counts the put of the item it got, even while the
/// put is racing (A8): never a spurious `TaskDoneError`.
#[test]
fn task_done_after_get_never_fails() {
    model(|| {
        let q = Arc::new(Queue::bounded(1).unwrap());
        let worker = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                q.get().unwrap();
                q.task_done()
            })
        };
        q.put(1).unwrap();
        assert_eq!(worker.join().unwrap(), Ok(()));
    });
}

/// `shutdown(true)` racing a parked joiner and a put: the put's item is dropped or
/// refused, and the joiner fails (A9).
#[test]
fn shutdown_immediate_racing_join_and_put() {
    model(|| {
        let q = Arc::new(Queue::bounded(2).unwrap());
        q.put(1u8).unwrap();
        let joiner = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.join())
        };
        let putter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put(2).is_ok())
        };
        q.shutdown(true);
        assert_eq!(joiner.join().unwrap(), Err(QueueJoinError::ShutDown));
        putter.join().unwrap();
        assert_eq!(q.try_get(), Err(GetError::ShutDown), "nothing survives");
    });
}
