//! Behaviour of `SharedFuture`: one result read by many threads, as every Python
//! future allows (`result()` any number of times, from any thread).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::gate;
use weftkit::executor::{SharedFuture, TaskError, ThreadPool};
use weftkit::sync::{Barrier, StopToken};
use weftkit_testkit::{GENEROUS, watchdog};

const fn assert_send_sync<T: Send + Sync>() {}
const _: () = assert_send_sync::<SharedFuture<String>>();

/// Many threads wait on one future and each gets the value.
#[test]
fn many_threads_read_the_same_value() {
    const READERS: usize = 8;
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let gate = gate();
        let g = gate.event();
        let shared = pool
            .submit(move || {
                g.wait();
                String::from("ready")
            })
            .unwrap()
            .shared();
        let all_waiting = Arc::new(Barrier::new(READERS + 1).unwrap());
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let (shared, all_waiting) = (shared.clone(), Arc::clone(&all_waiting));
                std::thread::spawn(move || {
                    all_waiting.wait().unwrap();
                    shared.result()
                })
            })
            .collect();
        all_waiting.wait().unwrap();
        gate.set();
        for reader in readers {
            assert_eq!(reader.join().unwrap(), Ok(String::from("ready")));
        }
        assert_eq!(shared.result(), Ok(String::from("ready")), "and again");
        assert_eq!(shared.exception(), None);
        assert!(shared.done() && !shared.failed() && !shared.cancelled());
    });
}

/// Every reader gets the same error.
#[test]
fn many_threads_read_the_same_error() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let shared = pool
            .submit(|| -> u8 { panic!("shared-err-3b (on purpose)") })
            .unwrap()
            .shared();
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let shared = shared.clone();
                std::thread::spawn(move || shared.result())
            })
            .collect();
        let errors: Vec<_> = readers
            .into_iter()
            .map(|r| r.join().unwrap().unwrap_err())
            .collect();
        assert!(
            matches!(&errors[0], TaskError::Panicked { message } if message.contains("shared-err-3b"))
        );
        assert!(errors.iter().all(|e| *e == errors[0]));
        assert_eq!(shared.exception(), Some(errors[0].clone()));
        assert!(shared.failed());
    });
}

/// The timed and stop-aware forms leave the future usable.
#[test]
fn timed_and_stoppable_reads_leave_it_usable() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let gate = gate();
        let g = gate.event();
        let shared = pool
            .submit(move || {
                g.wait();
                5u32
            })
            .unwrap()
            .shared();
        assert_eq!(
            shared.result_timeout(Duration::from_millis(1)),
            Err(TaskError::TimedOut)
        );
        assert_eq!(
            shared.exception_timeout(Duration::from_millis(1)),
            Err(TaskError::TimedOut)
        );
        let stop = StopToken::new();
        stop.stop();
        assert_eq!(shared.result_stoppable(&stop), Err(TaskError::Stopped));
        assert!(shared.wait_stoppable(&stop).is_err());
        assert!(!shared.wait_timeout(Duration::from_millis(1)));
        gate.set();
        assert_eq!(shared.result_stoppable(&StopToken::new()), Ok(5));
        assert_eq!(shared.result_timeout(GENEROUS), Ok(5));
    });
}

/// A task waiting on a shared future of a task queued behind it, on a one-worker
/// pool, runs that task itself (it helps) instead of deadlocking.
#[test]
fn waiting_inside_a_worker_helps() {
    watchdog(|| {
        let pool = Arc::new(ThreadPool::builder().max_workers(1).build().unwrap());
        let inner_pool = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let inner = inner_pool.submit(|| 21).unwrap().shared();
                let copy = inner.clone();
                inner.result().unwrap() + copy.result().unwrap()
            })
            .unwrap();
        assert_eq!(outer.result(), Ok(42));
    });
}

/// Cancel through one clone is seen by all; an unread failure is reported once,
/// when the last clone goes; a read one is not reported.
#[test]
fn cancel_and_unobserved_failures_follow_the_last_clone() {
    common::record_unobserved_failures();
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let gate = gate();
        let busy = common::occupy_worker(&pool, &gate);
        let queued = pool.submit(|| 1).unwrap().shared();
        let other = queued.clone();
        assert!(queued.cancel());
        assert!(other.cancelled());
        assert_eq!(other.result(), Err(TaskError::Cancelled));
        gate.set();
        busy.result().unwrap();

        let unread = pool
            .submit(|| -> u8 { panic!("shared-unread-9f (on purpose)") })
            .unwrap()
            .shared();
        let second = unread.clone();
        unread.wait();
        drop(unread);
        assert_eq!(common::reported("shared-unread-9f"), 0, "a clone is left");
        drop(second);
        assert_eq!(common::reported("shared-unread-9f"), 1);

        let read = pool
            .submit(|| -> u8 { panic!("shared-read-9f (on purpose)") })
            .unwrap()
            .shared();
        assert!(read.result().is_err());
        drop(read);
        pool.shutdown(true, false);
        assert_eq!(common::reported("shared-read-9f"), 0);
    });
}
