//! `wait` and `as_completed`, after CPython's WaitTests and AsCompletedTests in
//! test_concurrent_futures: the same fixtures (a finished, a failed, a cancelled and
//! a pending future) and the same expectations, with gates in place of sleeps.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use common::{Gate, gate, occupy_worker};
use weftkit::executor::{
    Future, ReturnWhen, TaskError, ThreadPool, Waited, as_completed, as_completed_timeout, wait,
};
use weftkit_testkit::{GENEROUS, watchdog};

/// The fixtures of CPython's test module, on their own one-worker pool so that the
/// pool under test stays free.
struct Fixtures {
    successful: Future<u32>,
    exception: Future<u32>,
    cancelled: Future<u32>,
    _pool: ThreadPool,
}

fn fixtures() -> Fixtures {
    common::quiet_panics("(on purpose)");
    let pool = ThreadPool::builder().max_workers(1).build().unwrap();
    let successful = pool.submit(|| 42).unwrap();
    let exception = pool
        .submit(|| -> u32 { panic!("fixture (on purpose)") })
        .unwrap();
    successful.wait();
    exception.wait();
    let gate = gate();
    let busy = occupy_worker(&pool, &gate);
    let cancelled = pool.submit(|| 0).unwrap();
    assert!(cancelled.cancel());
    drop(gate);
    busy.result().unwrap();
    Fixtures {
        successful,
        exception,
        cancelled,
        _pool: pool,
    }
}

/// A future of `pool` that finishes with `value` once `gate` opens.
fn gated(pool: &ThreadPool, gate: &Gate, value: u32) -> Future<u32> {
    let g = gate.event();
    pool.submit(move || {
        g.wait();
        value
    })
    .unwrap()
}

fn failing_after(pool: &ThreadPool, gate: &Gate) -> Future<u32> {
    let g = gate.event();
    pool.submit(move || -> u32 {
        g.wait();
        panic!("gated failure (on purpose)")
    })
    .unwrap()
}

/// The keys of what `wait` found, sorted: the tests pass `(index, &future)` pairs.
fn sorted<F>(waited: Waited<(usize, F)>) -> Waited<usize> {
    let keys = |items: Vec<(usize, F)>| {
        let mut keys: Vec<usize> = items.into_iter().map(|(key, _)| key).collect();
        keys.sort_unstable();
        keys
    };
    Waited {
        done: keys(waited.done),
        not_done: keys(waited.not_done),
    }
}

fn waited(done: &[usize], not_done: &[usize]) -> Waited<usize> {
    Waited {
        done: done.to_vec(),
        not_done: not_done.to_vec(),
    }
}

fn pool(workers: usize) -> ThreadPool {
    ThreadPool::builder().max_workers(workers).build().unwrap()
}

// ---------------------------------------------------------------- wait

/// test_first_completed: one finishes, one is held; FIRST_COMPLETED returns the one.
#[test]
fn first_completed() {
    watchdog(|| {
        let pool = pool(2);
        let held = gate();
        let quick = gate();
        let futures = [gated(&pool, &held, 1), gated(&pool, &quick, 2)];
        quick.set();
        let got = sorted(wait(
            futures.iter().enumerate(),
            ReturnWhen::FirstCompleted,
            None,
        ));
        assert_eq!(got, waited(&[1], &[0]));
    });
}

/// test_first_completed_some_already_completed: already-done futures satisfy it at
/// once (a cancelled future counts as completed).
#[test]
fn first_completed_some_already_completed() {
    watchdog(|| {
        let f = fixtures();
        let pool = pool(1);
        let held = gate();
        let pending = gated(&pool, &held, 1);
        let futures = [f.cancelled, f.successful, pending];
        let got = sorted(wait(
            futures.iter().enumerate(),
            ReturnWhen::FirstCompleted,
            None,
        ));
        assert_eq!(got, waited(&[0, 1], &[2]));
    });
}

/// test_first_exception: returns when one fails, with whatever finished before it.
#[test]
fn first_exception() {
    watchdog(|| {
        let pool = pool(3);
        let (g1, g2, g3) = (gate(), gate(), gate());
        let futures = [
            gated(&pool, &g1, 1),
            failing_after(&pool, &g2),
            gated(&pool, &g3, 3),
        ];
        g1.set();
        futures[0].wait();
        g2.set();
        let got = sorted(wait(
            futures.iter().enumerate(),
            ReturnWhen::FirstException,
            None,
        ));
        assert_eq!(got, waited(&[0, 1], &[2]));
        assert!(futures[1].failed());
    });
}

/// test_first_exception_some_already_complete: successes and cancellations do not
/// end a FIRST_EXCEPTION wait; a later failure does.
#[test]
fn first_exception_some_already_complete() {
    watchdog(|| {
        let f = fixtures();
        let pool = pool(2);
        let (fail_gate, held) = (gate(), gate());
        let futures = [
            f.successful,
            f.cancelled,
            failing_after(&pool, &fail_gate),
            gated(&pool, &held, 4),
        ];
        fail_gate.set();
        let got = sorted(wait(
            futures.iter().enumerate(),
            ReturnWhen::FirstException,
            None,
        ));
        assert_eq!(got, waited(&[0, 1, 2], &[3]));
    });
}

/// test_first_exception_one_already_failed.
#[test]
fn first_exception_one_already_failed() {
    watchdog(|| {
        let f = fixtures();
        let pool = pool(1);
        let held = gate();
        let futures = [f.exception, gated(&pool, &held, 1)];
        let got = sorted(wait(
            futures.iter().enumerate(),
            ReturnWhen::FirstException,
            None,
        ));
        assert_eq!(got, waited(&[0], &[1]));
    });
}

/// Without any failure, FIRST_EXCEPTION waits for all (it is ALL_COMPLETED then).
#[test]
fn first_exception_without_failures_waits_for_all() {
    watchdog(|| {
        let pool = pool(2);
        let (g1, g2) = (gate(), gate());
        let futures = [gated(&pool, &g1, 1), gated(&pool, &g2, 2)];
        g1.set();
        std::thread::scope(|s| {
            s.spawn(|| {
                futures[0].wait();
                g2.set();
            });
            let got = sorted(wait(
                futures.iter().enumerate(),
                ReturnWhen::FirstException,
                None,
            ));
            assert_eq!(got, waited(&[0, 1], &[]));
        });
    });
}

/// test_all_completed.
#[test]
fn all_completed() {
    watchdog(|| {
        let f = fixtures();
        let pool = pool(2);
        let futures = [
            f.successful,
            f.cancelled,
            f.exception,
            pool.submit(|| 21 * 2).unwrap(),
            pool.submit(|| 7).unwrap(),
        ];
        let got = sorted(wait(
            futures.iter().enumerate(),
            ReturnWhen::AllCompleted,
            None,
        ));
        assert_eq!(got, waited(&[0, 1, 2, 3, 4], &[]));
    });
}

/// test_timeout: ALL_COMPLETED with a timeout returns the done ones and the pending.
#[test]
fn all_completed_with_a_timeout() {
    watchdog(|| {
        let f = fixtures();
        let pool = pool(2);
        let held = gate();
        let quick = pool.submit(|| 1).unwrap();
        quick.wait();
        let futures = [
            f.cancelled,
            f.exception,
            f.successful,
            quick,
            gated(&pool, &held, 5),
        ];
        let got = sorted(wait(
            futures.iter().enumerate(),
            ReturnWhen::AllCompleted,
            Some(Duration::from_millis(20)),
        ));
        assert_eq!(got, waited(&[0, 1, 2, 3], &[4]));
        let got = sorted(wait(
            futures.iter().enumerate(),
            ReturnWhen::FirstException,
            Some(Duration::ZERO),
        ));
        assert_eq!(
            got,
            waited(&[0, 1, 2, 3], &[4]),
            "a failure is there already"
        );
    });
}

#[test]
fn zero_timeout_with_nothing_done_returns_all_pending() {
    watchdog(|| {
        let pool = pool(2);
        let held = gate();
        let futures = [gated(&pool, &held, 1), gated(&pool, &held, 2)];
        for when in [
            ReturnWhen::FirstCompleted,
            ReturnWhen::FirstException,
            ReturnWhen::AllCompleted,
        ] {
            let got = sorted(wait(futures.iter().enumerate(), when, Some(Duration::ZERO)));
            assert_eq!(got, waited(&[], &[0, 1]), "{when:?}");
        }
    });
}

#[test]
fn wait_on_no_futures_returns_at_once() {
    watchdog(|| {
        let none: Vec<Future<u32>> = Vec::new();
        for when in [
            ReturnWhen::FirstCompleted,
            ReturnWhen::FirstException,
            ReturnWhen::AllCompleted,
        ] {
            assert_eq!(wait(&none, when, None), Waited::default());
            assert_eq!(wait(none.iter().enumerate(), when, None), Waited::default());
        }
    });
}

/// Waiting inside a one-worker pool helps: the waited-for tasks run meanwhile.
#[test]
fn wait_inside_a_one_worker_pool_helps() {
    watchdog(|| {
        let pool = Arc::new(pool(1));
        let inner = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let futures: Vec<_> = (0..5).map(|i| inner.submit(move || i).unwrap()).collect();
                let first = wait(&futures, ReturnWhen::FirstCompleted, None);
                assert!(!first.done.is_empty());
                let all = wait(&futures, ReturnWhen::AllCompleted, None);
                assert_eq!(all.done.len(), 5);
                futures
                    .into_iter()
                    .map(|f| f.result().unwrap())
                    .sum::<i32>()
            })
            .unwrap();
        assert_eq!(outer.result(), Ok(10));
    });
}

/// The timed form helps too: a one-worker pool waiting on its own subtasks (on its
/// own deque, where nobody else looks) gets them done within the timeout.
#[test]
fn timed_wait_inside_a_one_worker_pool_helps() {
    watchdog(|| {
        let pool = Arc::new(pool(1));
        let inner = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let futures: Vec<_> = (0..5).map(|i| inner.submit(move || i).unwrap()).collect();
                let all = wait(&futures, ReturnWhen::AllCompleted, Some(GENEROUS));
                assert_eq!(all.done.len(), 5);
                futures
                    .into_iter()
                    .map(|f| f.result().unwrap())
                    .sum::<i32>()
            })
            .unwrap();
        assert_eq!(outer.result(), Ok(10));
    });
}

/// A timed wait inside a task on a future that cannot finish in time still ends, with
/// the future reported not done; the worker then takes other work.
#[test]
fn timed_wait_inside_a_task_times_out_on_a_blocked_future() {
    watchdog(|| {
        let pool = Arc::new(pool(2));
        let gate = gate();
        let blocked = occupy_worker(&pool, &gate);
        let outer = pool
            .submit(move || {
                let waited = wait(
                    [blocked],
                    ReturnWhen::AllCompleted,
                    Some(Duration::from_millis(1)),
                );
                assert!(waited.done.is_empty());
                waited.not_done
            })
            .unwrap();
        let mut not_done = outer.result().unwrap();
        assert_eq!(not_done.len(), 1, "the blocked future comes back, not done");
        let blocked = not_done.pop().unwrap();
        assert_eq!(pool.submit(|| 3).unwrap().result(), Ok(3));
        gate.set();
        assert_eq!(blocked.result(), Ok(()));
    });
}

// ---------------------------------------------------------------- as_completed

/// test_no_timeout: every future comes out, already-done ones included.
#[test]
fn as_completed_yields_every_future() {
    watchdog(|| {
        let f = fixtures();
        let pool = pool(2);
        let futures = vec![
            f.successful,
            f.exception,
            f.cancelled,
            pool.submit(|| 5).unwrap(),
        ];
        let mut results: Vec<String> = as_completed(futures)
            .map(|f| match f.result() {
                Ok(v) => v.to_string(),
                Err(TaskError::Panicked { .. }) => "panicked".into(),
                Err(e) => format!("{e:?}"),
            })
            .collect();
        results.sort();
        assert_eq!(results, ["42", "5", "Cancelled", "panicked"]);
    });
}

/// Futures come out in the order they complete, whatever their input order, also
/// when the consumer reads only after all of them completed. (Futures already done
/// when `as_completed` is called come out first, in input order: Python yields them
/// first too, in no set order.)
#[test]
fn as_completed_yields_in_completion_order() {
    watchdog(|| {
        // One pool per future: joining a pool's worker (shutdown with wait) makes
        // sure its future's completion, posting included, is over.
        let pools: Vec<ThreadPool> = (0..3).map(|_| pool(1)).collect();
        let gates = [gate(), gate(), gate()];
        let futures: Vec<_> = (0..3)
            .map(|i| gated(&pools[i], &gates[i], i as u32))
            .collect();
        let mut it = as_completed(futures);
        for i in [2, 0, 1] {
            gates[i].set();
            pools[i].shutdown(true, false);
        }
        let got: Vec<u32> = it.by_ref().map(|f| f.result().unwrap()).collect();
        assert_eq!(got, [2, 0, 1]);
    });
}

/// Completion order is also kept when the consumer is ahead of the tasks.
#[test]
fn as_completed_waits_for_each_next_completion() {
    watchdog(|| {
        let pool = pool(3);
        let gates = [gate(), gate(), gate()];
        let futures: Vec<_> = (0..3).map(|i| gated(&pool, &gates[i], i as u32)).collect();
        let mut it = as_completed(futures);
        for &i in &[1usize, 2, 0] {
            gates[i].set();
            assert_eq!(it.next().map(|f| f.result().unwrap()), Some(i as u32));
        }
        assert!(it.next().is_none());
        assert!(!it.timed_out());
    });
}

/// test_zero_timeout: the done futures come out, then the timeout ends the iteration;
/// the pending one is handed back.
#[test]
fn as_completed_timeout_ends_and_hands_back_the_rest() {
    watchdog(|| {
        let f = fixtures();
        let pool = pool(1);
        let held = gate();
        let futures = vec![
            f.cancelled,
            f.exception,
            f.successful,
            gated(&pool, &held, 9),
        ];
        let mut it = as_completed_timeout(futures, Duration::ZERO);
        let yielded: Vec<Future<u32>> = it.by_ref().collect();
        assert_eq!(yielded.len(), 3);
        assert!(yielded.iter().all(Future::done));
        assert!(it.timed_out());
        assert!(it.next().is_none(), "stays ended after the timeout");
        assert!(format!("{it:?}").contains("timed_out: true"));
        let rest = it.into_remaining();
        assert_eq!(rest.len(), 1);
        held.set();
        let [pending]: [Future<u32>; 1] = rest.try_into().unwrap();
        assert_eq!(pending.result(), Ok(9));
        for f in yielded {
            let _ = f.result();
        }
    });
}

#[test]
fn as_completed_timeout_with_time_to_spare_does_not_time_out() {
    watchdog(|| {
        let pool = pool(2);
        let futures: Vec<_> = (0..10).map(|i| pool.submit(move || i).unwrap()).collect();
        let mut it = as_completed_timeout(futures, GENEROUS);
        assert_eq!(it.size_hint(), (0, Some(10)));
        let mut got: Vec<i32> = it.by_ref().map(|f| f.result().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
        assert!(!it.timed_out());
        assert!(it.into_remaining().is_empty());
    });
}

#[test]
fn as_completed_of_nothing_is_empty() {
    let none: Vec<Future<()>> = Vec::new();
    assert_eq!(as_completed(none).count(), 0);
}

/// Consuming `as_completed` inside a one-worker pool helps run the tasks it waits on.
#[test]
fn as_completed_inside_a_one_worker_pool_helps() {
    watchdog(|| {
        let pool = Arc::new(pool(1));
        let inner = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let futures: Vec<_> = (0..6).map(|i| inner.submit(move || i).unwrap()).collect();
                as_completed(futures)
                    .map(|f| f.result().unwrap())
                    .sum::<i32>()
            })
            .unwrap();
        assert_eq!(outer.result(), Ok(15));
    });
}

/// `as_completed_timeout` from a worker helps as the untimed form does.
#[test]
fn as_completed_timeout_inside_a_one_worker_pool_helps() {
    watchdog(|| {
        let pool = Arc::new(pool(1));
        let inner = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let futures: Vec<_> = (0..6).map(|i| inner.submit(move || i).unwrap()).collect();
                let mut completed = as_completed_timeout(futures, GENEROUS);
                let sum = completed.by_ref().map(|f| f.result().unwrap()).sum::<i32>();
                (sum, completed.timed_out())
            })
            .unwrap();
        assert_eq!(outer.result(), Ok((15, false)));
    });
}

// ---------------------------------------------------------------- keys and identity

/// Python's `future_to_url[future]`: `(key, future)` pairs (a `HashMap` as it is)
/// come back from `as_completed` with each key beside its own future.
#[test]
fn as_completed_over_pairs_yields_each_key_with_its_future() {
    watchdog(|| {
        let pool = pool(3);
        let mut by_input = HashMap::new();
        for input in 0..20u32 {
            by_input.insert(input, pool.submit(move || input * input).unwrap());
        }
        let mut seen = HashSet::new();
        for (input, future) in as_completed(by_input) {
            assert_eq!(future.result(), Ok(input * input));
            assert!(seen.insert(input), "each key once");
        }
        assert_eq!(seen.len(), 20);
    });
}

/// Borrowed futures and borrowed keys work too (`as_completed(&map)`), and the
/// futures stay with the caller.
#[test]
fn as_completed_over_borrowed_pairs_leaves_the_futures_in_place() {
    watchdog(|| {
        let pool = pool(2);
        let futures: HashMap<&str, Future<usize>> = ["a", "bb", "ccc"]
            .into_iter()
            .map(|word| (word, pool.submit(move || word.len()).unwrap()))
            .collect();
        let order: Vec<&str> = as_completed(&futures).map(|(word, _)| *word).collect();
        assert_eq!(order.len(), 3);
        for (word, future) in futures {
            assert_eq!(future.result(), Ok(word.len()));
        }
    });
}

/// `wait` over pairs splits the keys: done ones with their futures, pending ones
/// with theirs, for every `ReturnWhen`.
#[test]
fn wait_over_pairs_gives_the_keys_back() {
    watchdog(|| {
        let pool = pool(2);
        for when in [
            ReturnWhen::FirstCompleted,
            ReturnWhen::FirstException,
            ReturnWhen::AllCompleted,
        ] {
            let held = gate();
            let quick = pool.submit(|| 1).unwrap();
            quick.wait();
            let jobs = vec![("quick", quick), ("held", gated(&pool, &held, 2))];
            let waited = wait(jobs, when, Some(Duration::from_millis(1)));
            let done: Vec<_> = waited.done.iter().map(|(k, _)| *k).collect();
            let not_done: Vec<_> = waited.not_done.iter().map(|(k, _)| *k).collect();
            assert_eq!((done, not_done), (vec!["quick"], vec!["held"]), "{when:?}");
            let (_, quick) = waited.done.into_iter().next().unwrap();
            assert_eq!(quick.result(), Ok(1));
            held.set();
        }
    });
}

/// A future equals itself and no other; its id survives moves; futures work as
/// `HashMap` and `HashSet` keys, as in Python's `{executor.submit(...): url}`.
#[test]
#[allow(
    clippy::mutable_key_type,
    reason = "a future hashes by its identity, which never changes"
)]
fn futures_have_a_stable_identity() {
    watchdog(|| {
        let pool = pool(2);
        let a = pool.submit(|| 1).unwrap();
        let b = pool.submit(|| 2).unwrap();
        assert_ne!(a.id(), b.id());
        assert!(a == a && a != b);
        let id = a.id();
        let moved = vec![a];
        assert_eq!(moved[0].id(), id);
        let mut future_to_input: HashMap<Future<i32>, &str> = HashMap::new();
        let [a] = <[Future<i32>; 1]>::try_from(moved).unwrap();
        future_to_input.insert(a, "one");
        future_to_input.insert(b, "two");
        let done: HashSet<_> = future_to_input.keys().map(Future::id).collect();
        assert!(done.contains(&id));
        // Python's loop, with futures as the keys: look the input up by the future.
        for future in as_completed(future_to_input.keys()) {
            let input = future_to_input[future];
            assert_eq!(future.exception(), None, "{input}");
        }
        let shared = pool.submit(|| 3).unwrap().shared();
        assert_eq!(shared, shared.clone());
        assert_eq!(shared.id(), shared.clone().id());
    });
}

/// The timed form hands back the keyed items not yet done, keys and all.
#[test]
fn as_completed_timeout_hands_back_the_remaining_pairs() {
    watchdog(|| {
        let pool = pool(2);
        let held = gate();
        let quick = pool.submit(|| 0).unwrap();
        quick.wait();
        let jobs = vec![("quick", quick), ("held", gated(&pool, &held, 1))];
        let mut pending = as_completed_timeout(jobs, Duration::from_millis(1));
        let (first, _) = pending.next().unwrap();
        assert_eq!(first, "quick");
        assert!(pending.next().is_none() && pending.timed_out());
        let remaining = pending.into_remaining();
        assert_eq!(remaining.len(), 1);
        assert_eq!(remaining[0].0, "held");
        held.set();
        let (_, future) = remaining.into_iter().next().unwrap();
        assert_eq!(future.result(), Ok(1));
    });
}
