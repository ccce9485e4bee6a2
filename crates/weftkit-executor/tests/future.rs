//! Behaviour of `Future`: results (plain, timed, stoppable), states, cancellation
//! (before start, while running through the stop token, after the end), done
//! callbacks, panics, and the report of failures nobody read; after CPython's
//! FutureTests in test_concurrent_futures.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use common::{gate, occupy_worker, wait_until};
use proptest::prelude::*;
use weftkit::executor::{Future, TaskError, ThreadPool, stop_token};
use weftkit::sync::{Queue, StopToken};
use weftkit_testkit::{GENEROUS, watchdog};

fn one_worker() -> ThreadPool {
    ThreadPool::builder().max_workers(1).build().unwrap()
}

// ---------------------------------------------------------------- results

#[test]
fn result_returns_the_value() {
    watchdog(|| {
        let pool = one_worker();
        assert_eq!(pool.submit(|| 21 * 2).unwrap().result(), Ok(42));
        assert_eq!(
            pool.submit(|| "owned".to_owned())
                .unwrap()
                .result()
                .as_deref(),
            Ok("owned")
        );
    });
}

/// CPython's test_result_with_timeout: a pending future times out and stays usable.
#[test]
fn result_timeout_times_out_then_succeeds() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let mut future = pool.submit(move || g.wait_timeout(GENEROUS)).unwrap();
        assert_eq!(
            future.result_timeout(Duration::from_millis(5)),
            Err(TaskError::TimedOut)
        );
        assert_eq!(
            future.result_timeout(Duration::ZERO),
            Err(TaskError::TimedOut)
        );
        assert!(!future.done());
        gate.set();
        assert_eq!(future.result_timeout(GENEROUS), Ok(true));
        assert_eq!(
            future.result_timeout(GENEROUS),
            Err(TaskError::AlreadyTaken)
        );
    });
}

#[test]
fn result_stoppable_ends_when_the_token_fires() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let mut future = pool.submit(move || g.wait_timeout(GENEROUS)).unwrap();
        let stop = StopToken::new();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(5));
                stop.stop();
            });
            assert_eq!(future.result_stoppable(&stop), Err(TaskError::Stopped));
        });
        assert_eq!(future.result_stoppable(&stop), Err(TaskError::Stopped));
        gate.set();
        assert_eq!(future.result_stoppable(&StopToken::new()), Ok(true));
    });
}

#[test]
fn result_after_a_result_is_already_taken() {
    watchdog(|| {
        let pool = one_worker();
        let mut future = pool.submit(|| 1).unwrap();
        assert_eq!(future.result_timeout(GENEROUS), Ok(1));
        assert_eq!(
            future.result_stoppable(&StopToken::new()),
            Err(TaskError::AlreadyTaken)
        );
        assert!(future.done());
        assert_eq!(future.result(), Err(TaskError::AlreadyTaken));
    });
}

// ---------------------------------------------------------------- states

/// CPython's test_done / test_running / test_cancelled through a task's life.
#[test]
fn states_through_a_tasks_life() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let busy = occupy_worker(&pool, &gate);
        assert!(busy.running() && !busy.done() && !busy.cancelled() && !busy.failed());
        assert_eq!(format!("{busy:?}"), "Future { status: \"running\", .. }");

        let pending = pool.submit(|| 1).unwrap();
        assert!(!pending.running() && !pending.done() && !pending.cancelled());
        assert!(format!("{pending:?}").contains("pending"));

        gate.set();
        busy.wait();
        assert!(busy.done() && !busy.running() && !busy.cancelled() && !busy.failed());
        assert!(format!("{busy:?}").contains("finished"));
        assert!(pending.wait_timeout(GENEROUS));
        assert_eq!(pending.result(), Ok(1));

        common::quiet_panics("(on purpose)");
        let failed = pool
            .submit(|| -> u8 { panic!("states (on purpose)") })
            .unwrap();
        failed.wait();
        assert!(failed.done() && failed.failed() && !failed.cancelled() && !failed.running());
        assert!(format!("{failed:?}").contains("failed"));
        let _ = failed.result();
    });
}

// ---------------------------------------------------------------- cancel

/// CPython's test_cancel: pending → cancelled; running and finished → not.
#[test]
fn cancel_before_start_succeeds_and_the_task_never_runs() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let busy = occupy_worker(&pool, &gate);
        let ran = Arc::new(AtomicUsize::new(0));
        let queued = {
            let ran = Arc::clone(&ran);
            pool.submit(move || ran.fetch_add(1, Ordering::SeqCst))
                .unwrap()
        };
        assert!(queued.cancel());
        assert!(queued.cancel(), "cancelling again still reports cancelled");
        assert!(queued.cancelled() && queued.done() && !queued.failed() && !queued.running());
        assert!(format!("{queued:?}").contains("cancelled"));
        assert!(!busy.cancel(), "a running task is not cancelled");
        assert!(busy.running() && !busy.cancelled() && !busy.done());
        gate.set();
        assert_eq!(busy.result(), Ok(()), "the running task kept its result");
        assert_eq!(queued.result(), Err(TaskError::Cancelled));
        pool.shutdown(true, false);
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        let finished = {
            let pool = one_worker();
            let f = pool.submit(|| ()).unwrap();
            f.wait();
            f
        };
        assert!(!finished.cancel());
        assert_eq!(finished.result(), Ok(()));
    });
}

/// Python's contract: `cancel` on a running task returns false and changes nothing;
/// the task's value stands and `cancelled()` stays false. (Before, the task's stop
/// token fired and the future reported Cancelled although `cancel` said false.)
#[test]
fn cancel_of_a_running_task_changes_nothing() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let saw_stop = Arc::new(AtomicBool::new(false));
        let future = {
            let saw_stop = Arc::clone(&saw_stop);
            pool.submit(move || {
                g.wait();
                saw_stop.store(stop_token().is_stopped(), Ordering::SeqCst);
                "kept"
            })
            .unwrap()
        };
        wait_until(|| future.running());
        assert!(!future.cancel(), "a running task cannot be cancelled");
        assert!(!future.cancel(), "asking again changes nothing");
        assert!(future.running() && !future.cancelled());
        gate.set();
        future.wait();
        assert!(future.done() && !future.cancelled() && !future.failed());
        assert!(!future.cancel(), "a finished future is not cancelled");
        assert_eq!(future.result(), Ok("kept"));
        assert!(
            !saw_stop.load(Ordering::SeqCst),
            "cancel fires no stop token"
        );
    });
}

/// Beyond Python: `request_stop` on a running task fires its stop token, so a task
/// blocked in a stop-aware wait ends; the task decides its outcome (here it returns
/// the wait's error as its value), and the future is not cancelled.
#[test]
fn request_stop_ends_a_stop_aware_wait_and_the_task_decides() {
    watchdog(|| {
        let pool = one_worker();
        let queue = Arc::new(Queue::<u32>::unbounded());
        let future = {
            let queue = Arc::clone(&queue);
            pool.submit(move || queue.get_stoppable(&stop_token()))
                .unwrap()
        };
        wait_until(|| future.running());
        assert!(future.request_stop(), "a running task gets the request");
        future.wait();
        assert!(!future.cancelled() && !future.failed());
        assert!(!future.request_stop(), "a done future gets no request");
        assert!(matches!(future.result(), Ok(Err(_))));
        // The worker is free again, and the next task's token is fresh.
        assert_eq!(
            pool.submit(|| stop_token().is_stopped()).unwrap().result(),
            Ok(false)
        );
    });
}

/// The request may come before the task asks for its token, or before the task
/// starts: the token it then gets is already fired.
#[test]
fn request_stop_reaches_a_token_asked_for_later() {
    watchdog(|| {
        let pool = one_worker();
        let busy_gate = gate();
        let g = busy_gate.event();
        let busy = pool.submit(move || g.wait()).unwrap();
        let (started_gate, release_gate) = (gate(), gate());
        let (started, release) = (started_gate.event(), release_gate.event());
        let asked_while_running = {
            pool.submit(move || {
                started.set();
                release.wait();
                stop_token().is_stopped()
            })
            .unwrap()
        };
        let asked_before_start = pool.submit(|| stop_token().is_stopped()).unwrap();
        assert!(
            asked_before_start.request_stop(),
            "pending: delivered at start"
        );
        busy_gate.set();
        busy.result().unwrap();
        started_gate.wait();
        assert!(asked_while_running.request_stop());
        release_gate.set();
        assert_eq!(asked_while_running.result(), Ok(true));
        assert_eq!(asked_before_start.result(), Ok(true));
    });
}

/// Work a waiting task runs while it helps is not part of that task: it does not see
/// (and is not stopped by) the waiting task's token.
#[test]
fn a_stopped_tasks_token_does_not_leak_into_work_it_helps_with() {
    watchdog(|| {
        let pool = Arc::new(one_worker());
        let gate = gate();
        let g = gate.event();
        let helped_saw_stop = Arc::new(Mutex::new(None));
        let future = {
            let (pool, seen) = (Arc::clone(&pool), Arc::clone(&helped_saw_stop));
            pool.clone()
                .submit(move || {
                    g.wait();
                    assert!(
                        stop_token().is_stopped(),
                        "the test asks this task to stop first"
                    );
                    // The deque, top first: the detached job, then `inner`; waiting
                    // on `inner` runs the detached job on this thread first.
                    let inner = pool.submit(|| ()).unwrap();
                    pool.execute(move || {
                        *seen.lock().unwrap() = Some(stop_token().is_stopped());
                    })
                    .unwrap();
                    inner.result().unwrap();
                })
                .unwrap()
        };
        wait_until(|| future.running());
        assert!(future.request_stop());
        gate.set();
        assert_eq!(future.result(), Ok(()));
        pool.shutdown(true, false);
        assert_eq!(*helped_saw_stop.lock().unwrap(), Some(false));
    });
}

/// Python sets a future FINISHED before it runs its callbacks: inside one, `done()`
/// is already true, so an "are all of them done?" check counts its own future.
#[test]
fn a_future_reads_as_done_inside_its_own_callback() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let future = Arc::new(pool.submit(move || g.wait()).unwrap());
        let (tx, rx) = mpsc::channel();
        let me = Arc::clone(&future);
        future.add_done_callback(move |_| {
            tx.send((me.done(), me.running(), me.cancelled(), me.failed()))
                .unwrap();
        });
        gate.set();
        assert_eq!(rx.recv_timeout(GENEROUS), Ok((true, false, false, false)));
    });
}

/// A task asked to stop that ignores its token runs to its end and its value is
/// handed out: a stop request decides no outcome.
#[test]
fn a_running_task_that_ignores_a_stop_keeps_its_value() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let future = pool
            .submit(move || {
                g.wait(); // not stop-aware: the task runs to its end
                7
            })
            .unwrap();
        wait_until(|| future.running());
        assert!(future.request_stop());
        assert!(future.running() && !future.done() && !future.cancelled());
        gate.set();
        assert_eq!(future.result(), Ok(7));
    });
}

/// A cancel that comes after the task returned changes nothing, even while the future
/// is still being completed: the result stands and the token is not fired.
#[test]
fn a_cancel_after_the_task_returned_leaves_its_result() {
    watchdog(|| {
        let pool = one_worker();
        for i in 0..200 {
            let future = pool.submit(move || i).unwrap();
            future.wait();
            assert!(!future.cancel());
            assert!(!future.cancelled());
            assert_eq!(future.result(), Ok(i));
        }
    });
}

/// A task asked to stop that then panics has failed (the panic is its outcome): its
/// callbacks see the panic, and `cancelled()` is false.
#[test]
fn a_stopped_task_that_panics_has_failed() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let queue = Arc::new(Queue::<u32>::unbounded());
        let future = {
            let queue = Arc::clone(&queue);
            pool.submit(move || {
                let got = queue.get_stoppable(&stop_token());
                panic!("stopped-running-8c4 (on purpose): {got:?}");
            })
            .unwrap()
        };
        let (tx, rx) = mpsc::channel();
        future.add_done_callback(move |r| tx.send(r.clone().err()).unwrap());
        wait_until(|| future.running());
        assert!(!future.cancel());
        assert!(future.request_stop());
        assert!(matches!(rx.recv(), Ok(Some(TaskError::Panicked { .. }))));
        future.wait();
        assert!(!future.cancelled() && future.failed());
        assert!(matches!(future.result(), Err(TaskError::Panicked { .. })));
    });
}

/// Racing `cancel` against the start of a task: exactly one of "the cancel came
/// first" (Cancelled, the task never ran) and "the task was claimed first" (its
/// value) holds, and `cancel`'s answer and `cancelled()` agree with the result.
#[test]
fn cancel_racing_the_start_of_a_task_is_decided_once() {
    watchdog(|| {
        let pool = one_worker();
        let (mut cancelled, mut finished) = (0, 0);
        for i in 0..2_000u32 {
            let future = pool.submit(move || i).unwrap();
            let answer = future.cancel();
            future.wait();
            let was_cancelled = future.cancelled();
            assert_eq!(answer, was_cancelled, "cancel's answer is the outcome");
            match future.result() {
                Err(TaskError::Cancelled) => {
                    assert!(was_cancelled);
                    cancelled += 1;
                }
                Ok(value) => {
                    assert!(!was_cancelled);
                    assert_eq!(value, i);
                    finished += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(cancelled + finished, 2_000);
    });
}

#[test]
fn stop_token_outside_a_task_is_never_stopped() {
    assert!(!stop_token().is_stopped());
}

// ---------------------------------------------------------------- callbacks

/// CPython's test_done_callback_with_result / _with_cancel / _already_successful.
#[test]
fn add_done_callback_runs_once_with_the_result() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let future = pool
            .submit(move || {
                g.wait();
                5
            })
            .unwrap();
        let (tx, rx) = mpsc::channel();
        for _ in 0..3 {
            let tx = tx.clone();
            future.add_done_callback(move |r| tx.send(r.clone()).unwrap());
        }
        gate.set();
        for _ in 0..3 {
            assert_eq!(rx.recv().unwrap(), Ok(5));
        }
        future.wait();
        drop(tx);
        assert!(rx.recv().is_err(), "each callback runs exactly once");
        assert_eq!(future.result(), Ok(5));
    });
}

#[test]
fn add_done_callback_on_a_done_future_runs_at_once_on_this_thread() {
    watchdog(|| {
        let pool = one_worker();
        let future = pool.submit(|| 7).unwrap();
        future.wait();
        let seen = Arc::new(Mutex::new(None));
        {
            let seen = Arc::clone(&seen);
            future.add_done_callback(move |r| {
                *seen.lock().unwrap() = Some((std::thread::current().id(), r.clone()));
            });
        }
        assert_eq!(
            seen.lock().unwrap().take(),
            Some((std::thread::current().id(), Ok(7)))
        );
        assert_eq!(
            future.result(),
            Ok(7),
            "a callback does not take the result"
        );
    });
}

#[test]
fn add_done_callback_sees_cancellation() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let busy = occupy_worker(&pool, &gate);
        let queued = pool.submit(|| 1).unwrap();
        let (tx, rx) = mpsc::channel();
        queued.add_done_callback(move |r| tx.send(r.clone()).unwrap());
        assert!(queued.cancel());
        assert_eq!(rx.recv().unwrap(), Err(TaskError::Cancelled));
        gate.set();
        busy.result().unwrap();
    });
}

/// CPython's test_done_callback_raises: a failing callback is reported and ignored;
/// the other callbacks still run and the result is intact.
#[test]
fn a_panicking_callback_is_ignored() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let future = pool
            .submit(move || {
                g.wait();
                3
            })
            .unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        future.add_done_callback(|_| panic!("callback (on purpose)"));
        {
            let calls = Arc::clone(&calls);
            future.add_done_callback(move |_| {
                calls.fetch_add(1, Ordering::SeqCst);
            });
        }
        gate.set();
        assert_eq!(future.result(), Ok(3));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Late callbacks panicking on this thread are caught too.
        let done = pool.submit(|| 4).unwrap();
        done.wait();
        done.add_done_callback(|_| panic!("late callback (on purpose)"));
        assert_eq!(done.result(), Ok(4));
        // The worker survived.
        assert_eq!(pool.submit(|| 5).unwrap().result(), Ok(5));
    });
}

/// A callback may add another callback to its own future (Python allows it; the new
/// one runs as the future is already done). It must not deadlock the completing
/// worker.
#[test]
fn a_callback_may_add_a_callback_to_its_own_future() {
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let future = Arc::new(pool.submit(move || g.wait()).unwrap());
        let (tx, rx) = mpsc::channel();
        {
            let again = Arc::clone(&future);
            future.add_done_callback(move |_| {
                again.add_done_callback(move |r| tx.send(r.clone()).unwrap());
            });
        }
        gate.set();
        assert_eq!(rx.recv_timeout(GENEROUS), Ok(Ok(())));
        assert_eq!(pool.submit(|| 1).unwrap().result(), Ok(1), "worker alive");
    });
}

// ---------------------------------------------------------------- panics

#[test]
fn a_panic_becomes_an_error_with_its_message_and_the_worker_survives() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let str_panic = pool
            .submit(|| -> u8 { panic!("plain (on purpose)") })
            .unwrap();
        assert_eq!(
            str_panic.result(),
            Err(TaskError::Panicked {
                message: "plain (on purpose)".into()
            })
        );
        let n = 7;
        let string_panic = pool
            .submit(move || -> u8 { panic!("formatted {n} (on purpose)") })
            .unwrap();
        assert_eq!(
            string_panic.result(),
            Err(TaskError::Panicked {
                message: "formatted 7 (on purpose)".into()
            })
        );
        let other = pool
            .submit(|| -> u8 { std::panic::panic_any(42u32) })
            .unwrap();
        match other.result() {
            Err(TaskError::Panicked { message }) => assert!(message.contains("not a string")),
            r => panic!("{r:?}"),
        }
        assert_eq!(pool.submit(|| 1).unwrap().result(), Ok(1));
        let error = TaskError::Panicked {
            message: "m".into(),
        };
        assert_eq!(error.to_string(), "the task panicked: m");
    });
}

// ---------------------------------------------------------------- unobserved failures

/// A failed future dropped after it completed is reported exactly once.
#[test]
fn unobserved_failure_reported_once_when_dropped_after_completion() {
    common::record_unobserved_failures();
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let future = pool
            .submit(|| -> u8 { panic!("unobserved-after-1c9 (on purpose)") })
            .unwrap();
        future.wait();
        assert_eq!(common::reported("unobserved-after-1c9"), 0);
        drop(future);
        assert_eq!(common::reported("unobserved-after-1c9"), 1);
        pool.shutdown(true, false);
        assert_eq!(common::reported("unobserved-after-1c9"), 1);
    });
}

/// A failed future dropped before its task failed is reported once, by the worker.
#[test]
fn unobserved_failure_reported_once_when_dropped_before_completion() {
    common::record_unobserved_failures();
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let future = pool
            .submit(move || -> u8 {
                g.wait();
                panic!("unobserved-before-84e (on purpose)")
            })
            .unwrap();
        drop(future);
        gate.set();
        pool.shutdown(true, false);
        assert_eq!(common::reported("unobserved-before-84e"), 1);
    });
}

/// Handles dropped while their tasks fail, on two workers and from two threads: the
/// drop and the completion race on one atomic, and each failure is reported once.
#[test]
fn unobserved_failures_racing_their_drop_are_reported_exactly_once() {
    common::record_unobserved_failures();
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for i in 0..2_000u32 {
                        let f = pool
                            .submit(|| -> u8 { panic!("racing-drop-3b1 (on purpose)") })
                            .unwrap();
                        if i % 3 == 0 {
                            std::hint::spin_loop();
                        }
                        drop(f);
                    }
                });
            }
        });
        pool.shutdown(true, false);
        assert_eq!(common::reported("racing-drop-3b1"), 4_000);
    });
}

/// Reading the error (or the result) observes it; successes, cancellations and
/// timed-out waits are never reported.
#[test]
fn observed_failures_and_non_failures_are_not_reported() {
    common::record_unobserved_failures();
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let read = pool
            .submit(|| -> u8 { panic!("observed-5d2 (on purpose)") })
            .unwrap();
        assert!(read.result().is_err());
        let mut timed = pool
            .submit(|| -> u8 { panic!("observed-5d2 timed (on purpose)") })
            .unwrap();
        assert!(matches!(
            timed.result_timeout(GENEROUS),
            Err(TaskError::Panicked { .. })
        ));
        drop(timed);
        drop(pool.submit(|| 1).unwrap());
        let gate = gate();
        let busy = occupy_worker(&pool, &gate);
        let cancelled = pool.submit(|| 2).unwrap();
        assert!(cancelled.cancel());
        drop(cancelled);
        gate.set();
        busy.result().unwrap();
        pool.shutdown(true, false);
        assert_eq!(common::reported("observed-5d2"), 0);
    });
}

/// A failure read only through `add_done_callback` is still unobserved when dropped
/// (the callback saw a borrow): reported once.
#[test]
fn failure_seen_only_by_a_callback_is_reported_once() {
    common::record_unobserved_failures();
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let future = pool
            .submit(|| -> u8 { panic!("callback-only-e07 (on purpose)") })
            .unwrap();
        let (tx, rx) = mpsc::channel();
        future.add_done_callback(move |r| tx.send(r.is_err()).unwrap());
        assert_eq!(rx.recv(), Ok(true));
        drop(future);
        pool.shutdown(true, false);
        assert_eq!(common::reported("callback-only-e07"), 1);
    });
}

// ---------------------------------------------------------------- waiting inside

#[test]
fn waiting_inside_a_task_helps_the_pool() {
    watchdog(|| {
        let pool = Arc::new(one_worker());
        let inner = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let f = inner.submit(|| 20).unwrap();
                f.wait();
                assert!(f.done());
                f.result().unwrap() + 1
            })
            .unwrap();
        assert_eq!(outer.result(), Ok(21));
    });
}

/// The stoppable wait helps too: a task waiting on its own subtask in a one-worker
/// pool, with a token that never fires, does not deadlock.
#[test]
fn result_stoppable_inside_a_task_helps_the_pool() {
    watchdog(|| {
        let pool = Arc::new(one_worker());
        let inner = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let mut f = inner.submit(|| 20).unwrap();
                f.result_stoppable(&StopToken::new()).unwrap() + 1
            })
            .unwrap();
        assert_eq!(outer.result(), Ok(21));
        // A token that already fired still ends the wait at once, helping or not.
        let inner = Arc::clone(&pool);
        let stopped = pool
            .submit(move || {
                let gate = gate();
                let g = gate.event();
                let mut f = inner.submit(move || g.wait()).unwrap();
                let token = StopToken::new();
                token.stop();
                let got = f.result_stoppable(&token);
                drop(gate);
                got
            })
            .unwrap();
        assert_eq!(stopped.result(), Ok(Err(TaskError::Stopped)));
    });
}

/// `result_timeout` and `wait_timeout` inside a task help as `result` does: a
/// one-worker pool waiting with a timeout on its own subtask gets the result.
#[test]
fn timed_waits_inside_a_one_worker_pool_help() {
    watchdog(|| {
        let pool = Arc::new(one_worker());
        let inner = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let mut f = inner.submit(|| 20).unwrap();
                let value = f.result_timeout(GENEROUS).unwrap();
                let g = inner.submit(|| ()).unwrap();
                (value, g.wait_timeout(GENEROUS), g.done())
            })
            .unwrap();
        assert_eq!(outer.result(), Ok((20, true, true)));
    });
}

/// A timed wait inside a task on a task that cannot finish in time times out (it
/// does not hang, and the future stays usable); a stop-aware one ends when its token
/// fires, from another thread, while the waiting worker sleeps.
#[test]
fn timed_and_stoppable_waits_inside_a_task_give_up() {
    watchdog(|| {
        let pool = Arc::new(ThreadPool::builder().max_workers(2).build().unwrap());
        let gate = gate();
        let blocked = occupy_worker(&pool, &gate);
        let outer = pool
            .submit(move || {
                let mut blocked = blocked;
                let timed = blocked.result_timeout(Duration::from_millis(1));
                (timed, blocked)
            })
            .unwrap();
        let (timed, mut blocked) = outer.result().unwrap();
        assert_eq!(timed, Err(TaskError::TimedOut));
        let token = StopToken::new();
        let stopper = token.clone();
        let started = Arc::new(weftkit::sync::Event::new());
        let s = Arc::clone(&started);
        let waiter = pool
            .submit(move || {
                s.set();
                let got = blocked.result_stoppable(&token);
                (got, blocked)
            })
            .unwrap();
        started.wait();
        stopper.stop();
        let (got, blocked) = waiter.result().unwrap();
        assert_eq!(got, Err(TaskError::Stopped));
        gate.set();
        assert_eq!(blocked.result(), Ok(()));
    });
}

/// Timeouts far in the future (`Duration::MAX`) mean "no timeout", never an
/// overflow.
#[test]
fn duration_max_timeouts_are_no_timeouts() {
    watchdog(|| {
        let pool = one_worker();
        let mut f = pool.submit_timeout(|| 1, Duration::MAX).unwrap();
        assert_eq!(f.result_timeout(Duration::MAX), Ok(1));
        assert!(pool.submit(|| 2).unwrap().wait_timeout(Duration::MAX));
    });
}

// ---------------------------------------------------------------- model

#[derive(Debug, Clone)]
enum Op {
    /// Submit a task returning the value, or panicking.
    Submit { value: u8, panics: bool },
    /// Cancel the n-th submitted future (modulo the count).
    Cancel(usize),
    /// A zero timeout wait on the n-th future.
    Peek(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<u8>(), proptest::bool::weighted(0.2))
            .prop_map(|(value, panics)| Op::Submit { value, panics }),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => any::<usize>().prop_map(Op::Peek),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random submit / cancel / peek sequences on a one-worker pool held busy, then
    /// released: each future's outcome, and the order tasks ran in, match a model
    /// (cancel succeeds on anything not started; tasks run in submission order).
    #[test]
    fn outcomes_match_a_model(ops in proptest::collection::vec(op(), 1..40)) {
        common::quiet_panics("(on purpose)");
        watchdog(move || {
            let pool = one_worker();
            let gate = gate();
            let busy = occupy_worker(&pool, &gate);
            let order = Arc::new(Mutex::new(Vec::new()));
            let mut futures: Vec<Future<u8>> = Vec::new();
            // The model: (value, panics, cancelled) per submitted task.
            let mut model: Vec<(u8, bool, bool)> = Vec::new();
            let mut taken: Vec<bool> = Vec::new();
            for op in ops {
                match op {
                    Op::Submit { value, panics } => {
                        let order = Arc::clone(&order);
                        let index = futures.len();
                        futures.push(pool.submit(move || {
                            order.lock().unwrap().push(index);
                            assert!(!panics, "model (on purpose)");
                            value
                        }).unwrap());
                        model.push((value, panics, false));
                        taken.push(false);
                    }
                    Op::Cancel(n) if !futures.is_empty() => {
                        let i = n % futures.len();
                        assert!(futures[i].cancel(), "a queued future can be cancelled");
                        model[i].2 = true;
                    }
                    Op::Peek(n) if !futures.is_empty() => {
                        let i = n % futures.len();
                        let got = futures[i].result_timeout(Duration::ZERO);
                        if taken[i] {
                            assert_eq!(got, Err(TaskError::AlreadyTaken));
                        } else if model[i].2 {
                            // A done future's result is taken by the peek.
                            assert_eq!(got, Err(TaskError::Cancelled));
                            taken[i] = true;
                        } else {
                            assert_eq!(got, Err(TaskError::TimedOut));
                        }
                    }
                    _ => {}
                }
            }
            gate.set();
            busy.result().unwrap();
            for (i, f) in futures.iter_mut().enumerate() {
                let got = f.result_timeout(GENEROUS);
                let (value, panics, cancelled) = model[i];
                match got {
                    Err(TaskError::AlreadyTaken) => assert!(taken[i]),
                    Err(TaskError::Cancelled) => assert!(cancelled && !taken[i]),
                    Err(TaskError::Panicked { .. }) => assert!(panics && !cancelled),
                    Ok(v) => assert!(!panics && !cancelled && v == value),
                    other => panic!("{other:?}"),
                }
                assert_eq!(f.cancel(), cancelled, "cancel after the end");
            }
            let expected: Vec<usize> = (0..model.len()).filter(|&i| !model[i].2).collect();
            assert_eq!(*order.lock().unwrap(), expected);
        });
    }
}

// ---------------------------------------------------------------- exception

/// CPython's test_exception_with_success / _with_timeout: `exception()` waits, is
/// `None` on success, gives the error on failure, and takes nothing.
#[test]
fn exception_waits_and_takes_nothing() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let gate = gate();
        let g = gate.event();
        let mut ok = pool
            .submit(move || {
                g.wait();
                3
            })
            .unwrap();
        assert_eq!(
            ok.exception_timeout(Duration::from_millis(1)),
            Err(TaskError::TimedOut)
        );
        gate.set();
        assert_eq!(ok.exception(), None);
        assert_eq!(ok.exception(), None, "again: nothing was taken");
        assert_eq!(ok.result_timeout(GENEROUS), Ok(3));
        assert_eq!(
            ok.exception(),
            None,
            "after the value was taken: still a success"
        );

        let mut failed = pool
            .submit(|| -> u8 { panic!("exception-7d1 (on purpose)") })
            .unwrap();
        let error = failed.exception().expect("the task panicked");
        assert!(
            matches!(&error, TaskError::Panicked { message } if message.contains("exception-7d1"))
        );
        assert_eq!(failed.exception_timeout(GENEROUS), Ok(Some(error.clone())));
        assert_eq!(failed.result_timeout(GENEROUS), Err(error.clone()));
        assert_eq!(failed.exception(), Some(error), "the error stays readable");
    });
}

/// An error read through `exception()` was observed: dropping the future reports
/// nothing. One nobody read is reported, once.
#[test]
fn an_error_read_by_exception_is_not_reported_unobserved() {
    common::record_unobserved_failures();
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = one_worker();
        let read = pool
            .submit(|| -> u8 { panic!("exc-read-e41 (on purpose)") })
            .unwrap();
        assert!(read.exception().is_some());
        drop(read);
        let unread = pool
            .submit(|| -> u8 { panic!("exc-unread-e41 (on purpose)") })
            .unwrap();
        unread.wait();
        drop(unread);
        pool.shutdown(true, false);
        assert_eq!(common::reported("exc-read-e41"), 0);
        assert_eq!(common::reported("exc-unread-e41"), 1);
    });
}
