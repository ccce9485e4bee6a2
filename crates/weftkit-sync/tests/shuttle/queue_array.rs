//! The bounded `Queue`'s ring (`src/queue/README.md`) with two waiters of one kind:
//! scenarios where two threads can spin in the A2 window at once, which loom cannot
//! finish (two yielding spinners may take turns forever under it). shuttle samples
//! their schedules instead; `tests/loom/queue_array.rs` has the rest.

use weftkit_shim::sync::Arc;
use weftkit_shim::thread;
use weftkit_shim::time::Duration;
use weftkit_sync::{GetError, Queue};
use weftkit_testkit::shuttle_model;

/// Schedules tried per model.
const ITERATIONS: usize = 2_000;

/// Two getters park; two puts wake both, one item each (A5, A6).
#[test]
fn each_put_wakes_one_of_two_getters() {
    shuttle_model(ITERATIONS, || {
        let q = Arc::new(Queue::bounded(2).unwrap());
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                thread::spawn(move || q.get().unwrap())
            })
            .collect();
        q.put(1).unwrap();
        q.put(2).unwrap();
        let mut got: Vec<i32> = getters.into_iter().map(|g| g.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

/// Two putters park on a full ring; two gets wake both, and FIFO order holds (A5, A6).
#[test]
fn each_get_wakes_one_of_two_putters() {
    shuttle_model(ITERATIONS, || {
        let q = Arc::new(Queue::bounded(1).unwrap());
        q.put(0).unwrap();
        let putters: Vec<_> = (1..=2)
            .map(|i| {
                let q = Arc::clone(&q);
                thread::spawn(move || q.put(i).unwrap())
            })
            .collect();
        let mut got = vec![q.get().unwrap(), q.get().unwrap(), q.get().unwrap()];
        for p in putters {
            p.join().unwrap();
        }
        assert_eq!(got[0], 0, "the first item put comes out first");
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
    });
}

/// A timed getter and a blocking getter wait for one item; a wake-up reaching the
/// timed getter as it times out is passed on, never stranded (A7).
#[test]
fn timed_out_getter_passes_on_the_item() {
    shuttle_model(ITERATIONS, || {
        let q = Arc::new(Queue::bounded(2).unwrap());
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

/// The mirror image for slots: a freed slot is never stranded by a putter that times
/// out (A7).
#[test]
fn timed_out_putter_passes_on_the_slot() {
    shuttle_model(ITERATIONS, || {
        let q = Arc::new(Queue::bounded(1).unwrap());
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

/// Producers and consumers on a ring of two slots, with task_done and join: every
/// item comes out once, and join returns only after the last task_done (A1, A8).
#[test]
fn two_producers_two_consumers_with_join() {
    shuttle_model(ITERATIONS, || {
        let q = Arc::new(Queue::bounded(2).unwrap());
        let producers: Vec<_> = (0..2u32)
            .map(|p| {
                let q = Arc::clone(&q);
                thread::spawn(move || {
                    for i in 0..3 {
                        q.put(p * 10 + i).unwrap();
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                thread::spawn(move || {
                    let mut got = Vec::new();
                    for _ in 0..3 {
                        got.push(q.get().unwrap());
                        q.task_done().unwrap();
                    }
                    got
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        q.join().unwrap();
        let mut all: Vec<u32> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 10, 11, 12]);
        assert!(
            q.task_done().is_err(),
            "join returned before the last task_done"
        );
    });
}
