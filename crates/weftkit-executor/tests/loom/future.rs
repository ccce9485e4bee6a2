//! `Future`: completion by the worker racing `cancel` from another thread and
//! `add_done_callback` from the owner. A `cancel` that returns `true` means the task
//! never ran; one that returns `false` found it running or done, and the result is
//! then the task's value (Python's contract: a failed cancel changes nothing). The
//! callback runs exactly once, and `result` and `cancelled` agree. `request_stop`
//! racing the task reaches its stop token whenever it was delivered.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;
use weftkit_executor::{TaskError, ThreadPool};
use weftkit_testkit::model;

/// Worker (runs or finds it cancelled), canceller, and the owner adding a callback.
#[test]
fn completion_racing_cancel_and_add_done_callback() {
    model(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let future = {
            let ran = Arc::clone(&ran);
            Arc::new(
                pool.submit(move || ran.store(true, Ordering::SeqCst))
                    .unwrap(),
            )
        };
        let canceller = {
            let future = Arc::clone(&future);
            thread::spawn(move || future.cancel())
        };
        {
            let calls = Arc::clone(&calls);
            future.add_done_callback(move |_| {
                calls.fetch_add(1, Ordering::SeqCst);
            });
        }
        let cancelled = canceller.join().unwrap();
        let future = Arc::try_unwrap(future).unwrap();
        future.wait();
        let reports_cancelled = future.cancelled();
        let result = future.result();
        assert_eq!(reports_cancelled, result == Err(TaskError::Cancelled));
        // Callbacks run before waiters are released (or at once, on the adder).
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        if cancelled {
            assert!(!ran.load(Ordering::SeqCst), "a cancelled task never runs");
            assert_eq!(result, Err(TaskError::Cancelled));
        } else {
            assert!(ran.load(Ordering::SeqCst), "cancel failed, so the task ran");
            assert_eq!(result, Ok(()), "a failed cancel leaves the task's value");
        }
    });
}

/// `request_stop` racing a task that asks for its token: if the request was
/// delivered (`true`) before the task looked, the task sees its token fired; the
/// task's value is its result either way, and the future is never cancelled.
#[test]
fn request_stop_racing_a_running_task_reaches_its_token() {
    model(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let delivered = Arc::new(AtomicBool::new(false));
        let future = {
            let delivered = Arc::clone(&delivered);
            pool.submit(move || {
                let delivered_before = delivered.load(Ordering::SeqCst);
                let stopped = weftkit_executor::stop_token().is_stopped();
                // A request delivered before we asked must show on the token.
                !delivered_before || stopped
            })
            .unwrap()
        };
        if future.request_stop() {
            delivered.store(true, Ordering::SeqCst);
        }
        let cancelled = future.cancelled();
        assert_eq!(future.result(), Ok(true));
        assert!(!cancelled);
    });
}

/// A `Waker` that counts its wake-ups (std's `Wake`; the counter is loom's).
struct CountingWaker(AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Async interop A1–A3: an awaiting task's waker registration races the completion.
/// If the first poll finds the task pending, the waker must be woken (no lost
/// wake-up), and the next poll must be ready.
#[test]
fn waker_registration_racing_completion() {
    use std::future::Future as _;
    use std::task::{Context, Poll, Waker};
    model(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let mut future = pool.submit(|| 7u8).unwrap();
        let counter = std::sync::Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(std::sync::Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        match std::pin::Pin::new(&mut future).poll(&mut cx) {
            Poll::Ready(result) => assert_eq!(result, Ok(7)),
            Poll::Pending => {
                while counter.0.load(Ordering::SeqCst) == 0 {
                    thread::yield_now();
                }
                assert!(matches!(
                    std::pin::Pin::new(&mut future).poll(&mut cx),
                    Poll::Ready(Ok(7))
                ));
            }
        }
    });
}

/// A3: a future dropped while awaited removes its waker, so the completion that
/// follows wakes nobody (a missing removal is a wake-up after drop); and a drop that
/// races the completion wakes at most once, leaving nothing behind (loom checks that
/// every Arc is freed).
#[test]
fn waker_registration_racing_drop_and_completion() {
    use std::future::Future as _;
    use std::task::{Context, Waker};
    model(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let gate = Arc::new(weftkit_sync::Event::new());
        let held = Arc::clone(&gate);
        let mut gated = pool.submit(move || held.wait()).unwrap();
        let mut racing = pool.submit(|| ()).unwrap();
        let gated_wakes = std::sync::Arc::new(CountingWaker(AtomicUsize::new(0)));
        let racing_wakes = std::sync::Arc::new(CountingWaker(AtomicUsize::new(0)));
        let gated_waker = Waker::from(std::sync::Arc::clone(&gated_wakes));
        assert!(
            std::pin::Pin::new(&mut gated)
                .poll(&mut Context::from_waker(&gated_waker))
                .is_pending(),
            "the gate is closed"
        );
        drop(gated_waker); // the future keeps its own clone until it is dropped
        let racing_waker = Waker::from(std::sync::Arc::clone(&racing_wakes));
        let _ = std::pin::Pin::new(&mut racing).poll(&mut Context::from_waker(&racing_waker));
        drop(gated);
        drop(racing);
        gate.set();
        pool.shutdown(true, false);
        assert_eq!(
            gated_wakes.0.load(Ordering::SeqCst),
            0,
            "no wake after drop"
        );
        assert!(racing_wakes.0.load(Ordering::SeqCst) <= 1);
        assert_eq!(
            std::sync::Arc::strong_count(&gated_wakes),
            1,
            "the waker was freed"
        );
    });
}

/// A thread outside the pool blocks on its own parker after registering a waker
/// (`Shared::block`): the completion racing the registration must wake it (no lost
/// wake-up), and the value it then takes is the one completed.
#[test]
fn a_blocked_result_racing_the_completion_gets_the_value() {
    model(|| {
        let (promise, future) = weftkit_executor::Promise::<u8>::new();
        let completer = thread::spawn(move || promise.complete(Ok(5)));
        assert_eq!(future.result(), Ok(5));
        completer.join().unwrap();
    });
}

/// The parker is the thread's own and reused: a wait that timed out while its future
/// completed may have its waker run late, during the thread's next wait on another
/// future. That stale wake-up must not end the second wait early (its result is the
/// second future's value), and nothing is lost for the first. The late wake-up
/// needs three preemptions (the completer stops between taking the wakers and running
/// them), one more than the suite's default bound: this small model sets its own.
#[test]
fn a_late_waker_of_a_timed_out_wait_does_not_end_the_next_wait() {
    use std::time::Duration;
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| {
        let (first, first_future) = weftkit_executor::Promise::<u8>::new();
        let (second, second_future) = weftkit_executor::Promise::<u8>::new();
        let completer = thread::spawn(move || {
            first.complete(Ok(1));
            second.complete(Ok(2));
        });
        let _ = first_future.wait_timeout(Duration::from_millis(1));
        assert_eq!(second_future.result(), Ok(2));
        assert_eq!(first_future.result(), Ok(1));
        completer.join().unwrap();
    });
}
