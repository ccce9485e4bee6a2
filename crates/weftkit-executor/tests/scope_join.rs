//! Behaviour of `ThreadPool::scope`, `join` and `install`: borrowing from the
//! caller's stack, nesting, panics propagated only after every task finished, and
//! fork-join recursion from inside and outside the pool.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weftkit::executor::ThreadPool;
use weftkit_testkit::watchdog;

fn pool(workers: usize) -> ThreadPool {
    ThreadPool::builder().max_workers(workers).build().unwrap()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- scope

#[test]
fn scope_tasks_borrow_a_slice_and_write_results() {
    watchdog(|| {
        let pool = pool(3);
        let data: Vec<u64> = (1..=1000).collect();
        let mut sums = [0u64; 10];
        pool.scope(|s| {
            for (chunk, sum) in data.chunks(100).zip(sums.iter_mut()) {
                s.spawn(move |_| *sum = chunk.iter().sum());
            }
        });
        assert_eq!(sums.iter().sum::<u64>(), 500_500);
        assert_eq!(sums[0], 5050);
    });
}

#[test]
fn scope_returns_the_bodys_value_and_waits_for_every_task() {
    watchdog(|| {
        let pool = pool(2);
        let count = AtomicUsize::new(0);
        let value = pool.scope(|s| {
            for _ in 0..50 {
                s.spawn(|_| {
                    std::thread::sleep(Duration::from_micros(200));
                    count.fetch_add(1, Ordering::SeqCst);
                });
            }
            "body"
        });
        assert_eq!(value, "body");
        assert_eq!(count.load(Ordering::SeqCst), 50);
    });
}

#[test]
fn scope_tasks_spawn_more_tasks_into_the_same_scope() {
    watchdog(|| {
        let pool = pool(2);
        let count = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..4 {
                s.spawn(|s| {
                    for _ in 0..4 {
                        s.spawn(|s| {
                            s.spawn(|_| {
                                count.fetch_add(1, Ordering::SeqCst);
                            });
                        });
                    }
                });
            }
        });
        assert_eq!(count.load(Ordering::SeqCst), 16);
    });
}

#[test]
fn nested_scopes_inside_scope_tasks() {
    watchdog(|| {
        for workers in [1, 2] {
            let pool = pool(workers);
            let mut grid = vec![vec![0u32; 8]; 8];
            pool.scope(|s| {
                for (i, row) in grid.iter_mut().enumerate() {
                    let pool = &pool;
                    s.spawn(move |_| {
                        pool.scope(|inner| {
                            for (j, cell) in row.iter_mut().enumerate() {
                                inner.spawn(move |_| *cell = (i * 8 + j) as u32);
                            }
                        });
                    });
                }
            });
            let flat: Vec<u32> = grid.into_iter().flatten().collect();
            assert_eq!(flat, (0..64).collect::<Vec<_>>());
        }
    });
}

/// A panicking task's panic is resumed by `scope`, but only after every other task
/// finished (they may borrow from the frame the panic unwinds).
#[test]
fn a_task_panic_propagates_after_all_tasks_finish() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = pool(2);
        let finished = AtomicUsize::new(0);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            pool.scope(|s| {
                s.spawn(|_| panic!("scope task (on purpose)"));
                for _ in 0..9 {
                    s.spawn(|_| {
                        std::thread::sleep(Duration::from_millis(2));
                        finished.fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
        }));
        let payload = outcome.expect_err("the panic propagates");
        assert_eq!(panic_message(&*payload), "scope task (on purpose)");
        assert_eq!(finished.load(Ordering::SeqCst), 9);
        // The pool is fine afterwards.
        assert_eq!(pool.submit(|| 1).unwrap().result(), Ok(1));
    });
}

#[test]
fn a_body_panic_propagates_after_all_tasks_finish() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = pool(2);
        let finished = AtomicUsize::new(0);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            pool.scope(|s| {
                for _ in 0..5 {
                    s.spawn(|_| {
                        std::thread::sleep(Duration::from_millis(2));
                        finished.fetch_add(1, Ordering::SeqCst);
                    });
                }
                panic!("scope body (on purpose)");
            });
        }));
        let payload = outcome.expect_err("the panic propagates");
        assert_eq!(panic_message(&*payload), "scope body (on purpose)");
        assert_eq!(finished.load(Ordering::SeqCst), 5);
    });
}

/// Inside a one-worker pool, a task that opens a scope runs the scope's tasks while
/// it waits for them.
#[test]
fn scope_inside_a_one_worker_pool_helps() {
    watchdog(|| {
        let pool = Arc::new(pool(1));
        let inner = Arc::clone(&pool);
        let total = pool
            .submit(move || {
                let parts = Mutex::new(Vec::new());
                inner.scope(|s| {
                    for i in 0..10 {
                        let parts = &parts;
                        s.spawn(move |_| parts.lock().unwrap().push(i));
                    }
                });
                parts.into_inner().unwrap().into_iter().sum::<i32>()
            })
            .unwrap();
        assert_eq!(total.result(), Ok(45));
    });
}

#[test]
fn scope_on_a_shut_down_pool_runs_tasks_on_the_caller() {
    watchdog(|| {
        let pool = pool(2);
        pool.shutdown(true, false);
        let me = std::thread::current().id();
        let ran_on = Mutex::new(Vec::new());
        pool.scope(|s| {
            for _ in 0..3 {
                s.spawn(|_| ran_on.lock().unwrap().push(std::thread::current().id()));
            }
        });
        assert_eq!(ran_on.into_inner().unwrap(), [me, me, me]);
        assert!(format!("{:?}", pool).contains("ThreadPool"));
    });
}

// ---------------------------------------------------------------- join

#[test]
fn join_returns_both_results_from_outside_the_pool() {
    watchdog(|| {
        let pool = pool(2);
        let text = String::from("borrowed");
        let (a, b) = pool.join(|| text.len(), || text.to_uppercase());
        assert_eq!((a, b.as_str()), (8, "BORROWED"));
    });
}

#[test]
fn join_from_inside_a_task() {
    watchdog(|| {
        let pool = Arc::new(pool(2));
        let inner = Arc::clone(&pool);
        let sum = pool
            .submit(move || {
                let (a, b) = inner.join(|| (1..=50).sum::<u32>(), || (51..=100).sum::<u32>());
                a + b
            })
            .unwrap();
        assert_eq!(sum.result(), Ok(5050));
    });
}

fn fib(pool: &ThreadPool, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = pool.join(|| fib(pool, n - 1), || fib(pool, n - 2));
    a + b
}

/// Deep fork-join recursion: every second closure is either popped back or stolen.
#[test]
fn fib_with_join_on_pools_of_one_two_and_four() {
    watchdog(|| {
        for workers in [1, 2, 4] {
            let pool = pool(workers);
            assert_eq!(fib(&pool, 24), 46_368, "{workers} workers");
            // From several outside threads at once.
            std::thread::scope(|s| {
                for _ in 0..3 {
                    s.spawn(|| assert_eq!(fib(&pool, 18), 2584));
                }
            });
        }
    });
}

/// Workers start lazily, also for fork-join: one recursive join from outside on a
/// fresh four-worker pool starts more than the two workers its `install` starts.
/// (Thousands of pushes each start a worker when none is idle: only an adversarial
/// schedule could keep one idle at every push.)
#[test]
fn join_starts_workers_up_to_max_workers() {
    watchdog(|| {
        let pool = pool(4);
        assert_eq!(fib(&pool, 25), 75_025);
        assert!(pool.workers() > 2, "{} workers", pool.workers());
    });
}

#[test]
fn join_resumes_a_panic_after_both_closures_finished() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = pool(2);
        for panicking_side in ["a", "b"] {
            let other_finished = AtomicUsize::new(0);
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                pool.install(|| {
                    pool.join(
                        || {
                            if panicking_side == "a" {
                                panic!("join a (on purpose)");
                            }
                            std::thread::sleep(Duration::from_millis(2));
                            other_finished.fetch_add(1, Ordering::SeqCst);
                        },
                        || {
                            if panicking_side == "b" {
                                panic!("join b (on purpose)");
                            }
                            std::thread::sleep(Duration::from_millis(2));
                            other_finished.fetch_add(1, Ordering::SeqCst);
                        },
                    )
                })
            }));
            let payload = outcome.expect_err("the panic propagates");
            assert_eq!(
                panic_message(&*payload),
                format!("join {panicking_side} (on purpose)")
            );
            assert_eq!(other_finished.load(Ordering::SeqCst), 1);
        }
        assert_eq!(fib(&pool, 10), 55, "the pool still works");
    });
}

#[test]
fn join_on_a_shut_down_pool_runs_both_here() {
    watchdog(|| {
        let pool = pool(2);
        pool.shutdown(true, false);
        let me = std::thread::current().id();
        let (a, b) = pool.join(
            || std::thread::current().id(),
            || std::thread::current().id(),
        );
        assert_eq!((a, b), (me, me));
    });
}

// ---------------------------------------------------------------- install

#[test]
fn install_runs_on_a_worker_and_borrows() {
    watchdog(|| {
        let pool = ThreadPool::builder()
            .max_workers(1)
            .thread_name_prefix("inst")
            .build()
            .unwrap();
        let local = [1, 2, 3];
        let (sum, name) = pool.install(|| {
            (
                local.iter().sum::<i32>(),
                std::thread::current().name().map(str::to_owned),
            )
        });
        assert_eq!((sum, name.as_deref()), (6, Some("inst-0")));
    });
}

/// `install` called from inside one of the pool's own tasks must not wait for a
/// worker to take the job: on a one-worker pool, the only worker is the caller.
#[test]
fn install_from_inside_the_pool_does_not_deadlock() {
    watchdog(|| {
        for workers in [1, 2] {
            let pool = Arc::new(pool(workers));
            let inner = Arc::clone(&pool);
            let got = pool
                .submit(move || inner.install(|| inner.install(|| 7)))
                .unwrap();
            assert_eq!(got.result(), Ok(7));
            // And from inside a scope task and a join.
            let got = pool.install(|| pool.join(|| pool.install(|| 1), || pool.install(|| 2)));
            assert_eq!(got, (1, 2));
        }
    });
}

#[test]
fn install_resumes_a_panic() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = pool(1);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            pool.install(|| -> u8 { panic!("install (on purpose)") })
        }));
        assert_eq!(
            panic_message(&*outcome.expect_err("propagates")),
            "install (on purpose)"
        );
        assert_eq!(pool.install(|| 3), 3);
    });
}
