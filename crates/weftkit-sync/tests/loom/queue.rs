//! Queues: blocked putters and getters are woken (Q1), a waiter that gives up never
//! strands the item or slot it was woken for (Q2, L1), shutdown and task_done wake
//! everyone who must wake (Q3). The three flavours share one core, so an unbounded
//! `Queue` stands for all of them; a bounded `Queue` is the lock-free ring
//! (`queue_array.rs`), so the bounded models of the locked core use `LifoQueue`
//! where the ring's spin window would make loom's search endless.

use loom::sync::Arc;
use loom::thread;
use weftkit_shim::time::Duration;
use weftkit_sync::{GetError, LifoQueue, PutError, Queue, QueueJoinError};
use weftkit_testkit::model;

/// Capacity 1, two items: the putter parks on the second put until the getter takes
/// the first, and the getter parks whenever it gets ahead. Neither wake-up is lost.
#[test]
fn capacity_one_blocked_putter_and_getter() {
    model(|| {
        let q = Arc::new(Queue::bounded(1).unwrap());
        let putter = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                q.put(1).unwrap();
                q.put(2).unwrap();
            })
        };
        assert_eq!(q.get(), Ok(1));
        assert_eq!(q.get(), Ok(2));
        putter.join().unwrap();
    });
}

/// A put racing `shutdown(false)` while a getter frees the only slot: the put either
/// lands (and its item can still be got) or fails with `ShutDown` and the item back.
#[test]
fn put_racing_shutdown() {
    model(|| {
        let q = Arc::new(Queue::bounded(1).unwrap());
        q.put(0).unwrap();
        let putter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put(1))
        };
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get())
        };
        q.shutdown(false);
        let put = putter.join().unwrap();
        assert_eq!(
            getter.join().unwrap(),
            Ok(0),
            "shutdown(false) keeps queued items"
        );
        match put {
            Ok(()) => assert_eq!(q.try_get(), Ok(1)),
            Err(e) => {
                assert_eq!(e, PutError::ShutDown(1));
                assert_eq!(q.try_get(), Err(GetError::ShutDown));
            }
        }
    });
}

/// A timed get racing a put: the item is either received by the timed getter or is
/// still in the queue afterwards; a getter that times out never takes it with it.
#[test]
fn timed_get_racing_put() {
    model(|| {
        let q = Arc::new(Queue::unbounded());
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get_timeout(Duration::from_millis(1)))
        };
        q.put(7).unwrap();
        match getter.join().unwrap() {
            Ok(item) => {
                assert_eq!(item, 7);
                assert_eq!(q.try_get(), Err(GetError::Empty));
            }
            Err(e) => {
                assert_eq!(e, GetError::TimedOut);
                assert_eq!(q.try_get(), Ok(7), "the item was lost");
            }
        }
    });
}

/// A timed getter and a blocking getter wait for one item. If the put's wake-up
/// reaches the timed getter as it times out, the item must not be stranded: either the
/// timed getter takes it, or the blocking getter is woken for it (L1, Q2).
#[test]
fn timed_out_getter_passes_on_the_item() {
    model(|| {
        let q = Arc::new(Queue::unbounded());
        let timed = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get_timeout(Duration::from_millis(1)))
        };
        let blocking = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get())
        };
        q.put(1).unwrap();
        if timed.join().unwrap().is_ok() {
            q.put(2).unwrap(); // the blocking getter's item
        }
        assert!(blocking.join().unwrap().is_ok());
        assert_eq!(q.try_get(), Err(GetError::Empty));
    });
}

/// The mirror image for slots: a timed putter and a blocking putter wait on a full
/// queue of one slot; a freed slot is never stranded by the putter that times out.
#[test]
fn timed_out_putter_passes_on_the_slot() {
    model(|| {
        let q = Arc::new(LifoQueue::bounded(1).unwrap());
        q.put(0).unwrap();
        let timed = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put_timeout(1, Duration::from_millis(1)).is_ok())
        };
        let blocking = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put(2).unwrap())
        };
        assert_eq!(q.get(), Ok(0));
        if timed.join().unwrap() {
            q.get().unwrap(); // make room for the blocking putter
        }
        blocking.join().unwrap();
        assert_eq!(q.try_get(), Ok(2));
    });
}

/// `join` racing the worker's `get` + `task_done`: the joiner always wakes, and only
/// after the item was marked done.
#[test]
fn join_racing_task_done() {
    model(|| {
        let q = Arc::new(Queue::unbounded());
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

/// `shutdown(true)` racing a join and a blocked get: both wake with errors, none hangs.
#[test]
fn shutdown_immediate_wakes_joiner_and_getter() {
    model(|| {
        let q = Arc::new(Queue::<u8>::unbounded());
        q.put(1).unwrap();
        q.get().unwrap(); // unfinished, and the queue is empty
        let joiner = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.join())
        };
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get())
        };
        q.shutdown(true);
        assert_eq!(joiner.join().unwrap(), Err(QueueJoinError::ShutDown));
        assert_eq!(getter.join().unwrap(), Err(GetError::ShutDown));
    });
}
