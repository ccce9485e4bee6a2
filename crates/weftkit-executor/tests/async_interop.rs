//! A pool `Future` awaited from async code (Python's `asyncio.wrap_future`), in tokio's
//! multi-thread and current-thread runtimes and in `futures::executor::block_on`;
//! `run_in_executor`; wakers replaced and removed; `cancel_on_drop`.

mod common;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use common::gate;
use weftkit::executor::{TaskError, ThreadPool, WhenFull};
use weftkit_testkit::watchdog;

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counting(AtomicUsize);

impl Wake for Counting {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Counting>, Waker) {
    let counter = Arc::new(Counting::default());
    (Arc::clone(&counter), Waker::from(counter))
}

#[test]
fn await_in_a_tokio_multi_thread_runtime() {
    watchdog(|| {
        let pool = Arc::new(ThreadPool::builder().max_workers(2).build().unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let total = runtime.block_on(async {
            let handles: Vec<_> = (0..50u64)
                .map(|i| {
                    let pool = Arc::clone(&pool);
                    tokio::spawn(async move { pool.submit(move || i * 2).unwrap().await })
                })
                .collect();
            let mut total = 0;
            for handle in handles {
                total += handle.await.unwrap().unwrap();
            }
            total
        });
        assert_eq!(total, (0..50u64).map(|i| i * 2).sum::<u64>());
    });
}

/// On a current-thread runtime an await must yield, not block: another task on the
/// same thread opens the gate the pool task waits for.
#[test]
fn await_in_a_tokio_current_thread_runtime_yields() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let gate = gate();
        let g = gate.event();
        let waiting = pool
            .submit(move || {
                g.wait();
                "opened"
            })
            .unwrap();
        let got = runtime.block_on(async move {
            let opener = tokio::spawn(async move {
                gate.set();
            });
            let got = waiting.await;
            opener.await.unwrap();
            got
        });
        assert_eq!(got, Ok("opened"));
    });
}

#[test]
fn await_with_futures_block_on_and_errors_come_through() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let ok = futures::executor::block_on(pool.submit(|| 5).unwrap());
        assert_eq!(ok, Ok(5));
        let failed = futures::executor::block_on(
            pool.submit(|| -> u8 { panic!("awaited (on purpose)") })
                .unwrap(),
        );
        assert!(matches!(failed, Err(TaskError::Panicked { .. })));
    });
}

/// Polled again with another waker, the future replaces its waker: only the last one
/// is woken at completion.
#[test]
fn a_new_waker_replaces_the_old_one() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let gate = gate();
        let g = gate.event();
        let mut future = pool.submit(move || g.wait()).unwrap();
        let (first, first_waker) = counting();
        let (second, second_waker) = counting();
        assert!(
            Pin::new(&mut future)
                .poll(&mut Context::from_waker(&first_waker))
                .is_pending()
        );
        assert!(
            Pin::new(&mut future)
                .poll(&mut Context::from_waker(&second_waker))
                .is_pending()
        );
        gate.set();
        future.wait();
        assert_eq!(
            first.0.load(Ordering::SeqCst),
            0,
            "the replaced waker is gone"
        );
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert!(matches!(
            Pin::new(&mut future).poll(&mut Context::from_waker(&second_waker)),
            Poll::Ready(Ok(()))
        ));
    });
}

/// A future dropped while awaited leaves no waker behind: its completion wakes
/// nobody (and the task runs on: dropping does not cancel).
#[test]
fn dropping_an_awaited_future_removes_its_waker_and_does_not_cancel() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let gate = gate();
        let g = gate.event();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let mut future = pool
            .submit(move || {
                g.wait();
                flag.store(true, Ordering::SeqCst);
            })
            .unwrap();
        let (woken, waker) = counting();
        assert!(
            Pin::new(&mut future)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(future);
        gate.set();
        pool.shutdown(true, false);
        assert!(
            ran.load(Ordering::SeqCst),
            "dropping did not cancel the task"
        );
        assert_eq!(woken.0.load(Ordering::SeqCst), 0, "no wake after drop");
    });
}

/// `cancel_on_drop`: dropped before the task started, the task never runs.
#[test]
fn cancel_on_drop_cancels_a_task_not_started() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();
        let gate = gate();
        let busy = common::occupy_worker(&pool, &gate);
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let queued = pool
            .submit(move || flag.store(true, Ordering::SeqCst))
            .unwrap()
            .cancel_on_drop();
        drop(queued);
        gate.set();
        busy.result().unwrap();
        pool.shutdown(true, false);
        assert!(
            !ran.load(Ordering::SeqCst),
            "the dropped task was cancelled"
        );
        let kept = pool_value();
        assert_eq!(kept, Ok(3));
    });
}

fn pool_value() -> Result<u32, TaskError> {
    let pool = ThreadPool::builder().max_workers(1).build().unwrap();
    futures::executor::block_on(pool.submit(|| 3).unwrap().cancel_on_drop())
}

/// `run_in_executor` from tokio through a full queue: the one worker is held by a
/// gate that another async task opens later, so the first polls find the queue full.
/// The futures wait as async waiters (A4): they are polled a bounded number of times,
/// not in a busy loop, and every one completes.
#[test]
fn run_in_executor_waits_for_room_without_spinning() {
    /// Counts the polls of the future it wraps.
    struct Counted<'a, F>(F, &'a AtomicUsize);
    impl<F: Future + Unpin> Future for Counted<'_, F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.1.fetch_add(1, Ordering::SeqCst);
            Pin::new(&mut self.0).poll(cx)
        }
    }
    watchdog(|| {
        let pool = ThreadPool::builder()
            .max_workers(1)
            .queue_capacity(1)
            .when_full(WhenFull::Reject)
            .build()
            .unwrap();
        let gate = gate();
        let busy = common::occupy_worker(&pool, &gate);
        let polls = AtomicUsize::new(0);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let sum = runtime.block_on(async {
            let calls = (1..=20u64).map(|i| Counted(pool.run_in_executor(move || i), &polls));
            // The opener is its own task: the calls' task is woken only by them.
            let open = gate.event();
            let opener = tokio::spawn(async move {
                // Long enough that futures polling in a loop would pass the bound.
                for _ in 0..200 {
                    tokio::task::yield_now().await;
                }
                open.set();
            });
            let results = futures::future::join_all(calls).await;
            opener.await.unwrap();
            results.into_iter().map(Result::unwrap).sum::<u64>()
        });
        assert_eq!(sum, 210);
        busy.result().unwrap();
        let polls = polls.load(Ordering::SeqCst);
        assert!(
            polls < 2_000,
            "{polls} polls: the futures spun instead of waiting"
        );
        pool.shutdown(true, false);
        let refused = futures::executor::block_on(pool.run_in_executor(|| 1));
        assert_eq!(refused, Err(TaskError::ShutDown));
    });
}
