//! `ProcessPool`: submit, map, shutdown, retries, terminate/kill, stats. The runner
//! checks after each test that no child process and no file descriptor is left.

mod common;

use std::time::Duration;

use weftkit::executor::TaskError;
use weftkit::process::{ProcessPool, SubmitError, WhenFull};

use common::{Case, eventually, marker, note};

fn main() {
    weftkit::process::init();
    let cases: &[Case] = &[
        ("submit_runs_in_another_process", submit_runs_elsewhere),
        ("closures_and_structured_values_cross", closures_and_values),
        ("map_is_ordered_for_every_chunksize", map_ordered),
        ("map_is_lazy_over_an_endless_iterator", map_lazy),
        ("map_unordered_yields_every_index_once", map_unordered),
        (
            "a_map_over_a_shut_down_pool_ends_after_one_refused_chunk",
            map_over_shut_down_pool,
        ),
        ("map_gives_a_panicking_item_its_own_error", map_item_errors),
        ("shutdown_runs_queued_work_then_refuses", shutdown_waits),
        (
            "shutdown_cancel_futures_cancels_the_queue",
            shutdown_cancels,
        ),
        ("drop_waits_for_the_work", drop_waits),
        (
            "a_second_shutdown_wait_returns_only_when_the_work_is_done",
            two_shutdowns,
        ),
        ("retries_rerun_a_task_whose_worker_died", retries),
        (
            "retries_run_a_task_exactly_one_more_time_each",
            retries_run_out,
        ),
        (
            "a_retry_amid_a_backlog_holds_nothing_up",
            retry_amid_backlog,
        ),
        (
            "terminate_kills_a_worker_that_ignores_sigterm",
            terminate_escalates,
        ),
        (
            "terminate_and_kill_end_the_pool_at_once",
            terminate_and_kill,
        ),
        ("max_tasks_per_child_replaces_workers", max_tasks_per_child),
        ("reject_hands_the_argument_back_when_full", reject_when_full),
        ("cancel_before_start_wins", cancel_before_start),
        ("stats_count_the_work", stats),
        ("the_initializer_runs_in_each_worker", initializer_runs),
        (
            "submits_from_many_threads_are_never_unseen",
            many_submitters,
        ),
        ("the_worker_marker_is_gone_after_init", marker_gone),
        (
            "a_stale_worker_marker_runs_the_program_normally",
            stale_marker,
        ),
    ];
    common::run(cases);
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

fn square(n: u64) -> u64 {
    n * n
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn pool(workers: usize) -> ProcessPool {
    ProcessPool::builder().max_workers(workers).build().unwrap()
}

fn submit_runs_elsewhere() {
    let pool = pool(2);
    let worker = pool.submit(pid, ()).unwrap().result().unwrap();
    assert_ne!(worker, std::process::id());
    assert_eq!(pool.submit(square, 12).unwrap().result(), Ok(144));
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Order {
    id: u32,
    items: Vec<(String, u32)>,
}

fn closures_and_values() {
    let pool = pool(1);
    let total = pool
        .submit(
            |o: Order| o.items.iter().map(|(_, n)| n).sum::<u32>() + o.id,
            Order {
                id: 1,
                items: vec![("a".into(), 2), ("b".into(), 3)],
            },
        )
        .unwrap();
    assert_eq!(total.result(), Ok(6));
    let echoed = pool
        .submit(
            |s: Option<String>| s.map(|s| s.to_uppercase()),
            Some("x".into()),
        )
        .unwrap();
    assert_eq!(echoed.result(), Ok(Some("X".to_owned())));
}

fn map_ordered() {
    let pool = pool(2);
    for chunksize in [1, 7, 1000] {
        let got: Vec<u64> = pool
            .map(square, 0..5_000u64)
            .chunksize(chunksize)
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, (0..5_000u64).map(|n| n * n).collect::<Vec<_>>());
    }
}

fn map_lazy() {
    let pool = pool(2);
    let first: Vec<u64> = pool
        .map(square, 0u64..)
        .window(4)
        .take(10)
        .map(Result::unwrap)
        .collect();
    assert_eq!(first, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
}

fn map_unordered() {
    let pool = pool(2);
    let mut got: Vec<(usize, u64)> = pool
        .map_unordered(square, 0..500u64)
        .chunksize(9)
        .map(|(i, r)| (i, r.unwrap()))
        .collect();
    got.sort_unstable();
    assert_eq!(
        got,
        (0..500u64).map(|n| (n as usize, n * n)).collect::<Vec<_>>()
    );
}

fn odd_panics(n: u32) -> u32 {
    assert!(n.is_multiple_of(2), "odd {n}");
    n
}

fn map_item_errors() {
    let pool = pool(2);
    let got: Vec<Result<u32, TaskError>> = pool.map(odd_panics, 0..6).chunksize(3).collect();
    assert_eq!(got.len(), 6);
    for (n, result) in got.into_iter().enumerate() {
        match result {
            Ok(v) => assert_eq!(v as usize, n),
            Err(TaskError::Panicked { message }) => {
                assert!(n % 2 == 1 && message.starts_with(&format!("odd {n}")));
            }
            Err(other) => panic!("{other:?}"),
        }
    }
}

fn shutdown_waits() {
    let pool = pool(1);
    let futures: Vec<_> = (0..20).map(|n| pool.submit(square, n).unwrap()).collect();
    pool.shutdown(true, false);
    assert_eq!(pool.stats().workers_alive, 0);
    let got: Vec<u64> = futures.into_iter().map(|f| f.result().unwrap()).collect();
    assert_eq!(got, (0..20).map(|n| n * n).collect::<Vec<_>>());
    assert!(matches!(
        pool.submit(square, 3),
        Err(SubmitError::ShutDown(3))
    ));
}

fn shutdown_cancels() {
    let pool = pool(1);
    let running = pool.submit(sleep_ms, 200).unwrap();
    let queued: Vec<_> = (0..20).map(|n| pool.submit(square, n).unwrap()).collect();
    eventually("the first task runs", || pool.stats().running >= 1);
    pool.shutdown(true, true);
    assert_eq!(running.result(), Ok(200), "running tasks finish");
    let cancelled = queued
        .into_iter()
        .filter(|f| {
            f.wait();
            f.cancelled()
        })
        .count();
    assert!(
        cancelled >= 18,
        "the queue was cancelled ({cancelled} of 20)"
    );
}

fn drop_waits() {
    let pool = pool(2);
    let futures: Vec<_> = (0..10).map(|n| pool.submit(square, n).unwrap()).collect();
    drop(pool);
    for (n, f) in futures.into_iter().enumerate() {
        assert!(f.done());
        assert_eq!(f.result(), Ok((n * n) as u64));
    }
}

fn die_once(path: String) -> String {
    let path = std::path::Path::new(&path);
    if !path.exists() {
        std::fs::write(path, b"died here once").unwrap();
        std::process::abort();
    }
    "second time lucky".to_owned()
}

fn map_over_shut_down_pool() {
    let pool = pool(1);
    pool.shutdown(true, false);
    // An endless input: the map must end, not yield errors for ever.
    let items: Vec<_> = pool.map(square, 0..).chunksize(3).collect();
    assert_eq!(items, vec![Err(TaskError::ShutDown); 3]);
    let unordered: Vec<_> = pool.map_unordered(square, 0..).collect();
    assert_eq!(unordered, vec![(0, Err(TaskError::ShutDown))]);
}

fn retries() {
    let once = marker("retry-once");
    let pool = ProcessPool::builder()
        .max_workers(1)
        .retries(1)
        .build()
        .unwrap();
    let result = pool.submit(die_once, once.to_string_lossy().into_owned());
    assert_eq!(result.unwrap().result().as_deref(), Ok("second time lucky"));
    drop(pool);

    let again = marker("retry-none");
    let plain = self::pool(1);
    let result = plain.submit(die_once, again.to_string_lossy().into_owned());
    assert!(matches!(
        result.unwrap().result(),
        Err(TaskError::WorkerDied { .. })
    ));
    let _ = std::fs::remove_file(once);
    let _ = std::fs::remove_file(again);
}

/// Notes its worker's pid in the marker file at `path`, then dies.
fn note_and_abort(path: String) -> u8 {
    note(path, &std::process::id().to_string());
    std::process::abort()
}

fn retries_run_out() {
    let runs = marker("retries-runs");
    let pool = ProcessPool::builder()
        .max_workers(2)
        .retries(2)
        .build()
        .unwrap();
    // Both workers used: a retry must not go to either.
    let used: std::collections::BTreeSet<u32> =
        pool.map(pid, vec![(); 200]).map(Result::unwrap).collect();
    let result = pool
        .submit(note_and_abort, runs.to_string_lossy().into_owned())
        .unwrap()
        .result();
    assert!(
        matches!(
            result,
            Err(TaskError::WorkerDied {
                signal: Some(libc::SIGABRT),
                ..
            })
        ),
        "{result:?}"
    );
    let pids: Vec<u32> = std::fs::read_to_string(&runs)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 3, "the first run and two retries");
    let retried_on: std::collections::BTreeSet<u32> = pids[1..].iter().copied().collect();
    assert_eq!(retried_on.len(), 2, "each retry on its own worker");
    assert!(
        retried_on
            .iter()
            .all(|p| !used.contains(p) && *p != pids[0]),
        "retries ran on fresh workers: {pids:?}, used before {used:?}"
    );
    let _ = std::fs::remove_file(runs);
}

/// `n * n`, except that item 500 aborts its worker the first time (noted at `path`).
fn square_or_die_once((n, path): (u64, String)) -> u64 {
    if n == 500 && !std::path::Path::new(&path).exists() {
        std::fs::write(&path, b"died").unwrap();
        std::process::abort();
    }
    n * n
}

fn retry_amid_backlog() {
    let once = marker("backlog-once");
    let pool = ProcessPool::builder()
        .max_workers(2)
        .retries(1)
        .build()
        .unwrap();
    let path = once.to_string_lossy().into_owned();
    let items = (0..1_000u64).map(|n| (n, path.clone()));
    let results: Vec<u64> = pool
        .map(square_or_die_once, items)
        .map(Result::unwrap)
        .collect();
    assert_eq!(results, (0..1_000u64).map(|n| n * n).collect::<Vec<_>>());
    assert!(once.exists(), "item 500 did die once");
    let _ = std::fs::remove_file(once);
}

/// Ignores SIGTERM, says so in the marker file at `path`, then sleeps for ever.
fn deaf_to_sigterm(path: String) -> u8 {
    // SAFETY: setting a signal's disposition to SIG_IGN touches no memory.
    unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    std::fs::write(path, b"deaf").unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn terminate_escalates() {
    let deaf_now = marker("deaf");
    let pool = pool(1);
    let deaf = pool
        .submit(deaf_to_sigterm, deaf_now.to_string_lossy().into_owned())
        .unwrap();
    eventually("the task ignores SIGTERM", || deaf_now.exists());
    pool.terminate_workers(); // SIGTERM, then SIGKILL after a second
    assert_eq!(deaf.result(), Err(TaskError::Cancelled));
    assert_eq!(pool.stats().workers_alive, 0);
    let _ = std::fs::remove_file(deaf_now);
}

fn terminate_and_kill() {
    for kill in [false, true] {
        let pool = pool(2);
        let futures: Vec<_> = (0..10)
            .map(|_| pool.submit(sleep_ms, 60_000).unwrap())
            .collect();
        eventually("tasks run", || pool.stats().running >= 2);
        if kill {
            pool.kill_workers();
        } else {
            pool.terminate_workers();
        }
        for f in futures {
            assert_eq!(f.result(), Err(TaskError::Cancelled));
        }
        assert_eq!(pool.stats().workers_alive, 0);
        assert!(matches!(
            pool.submit(square, 1),
            Err(SubmitError::ShutDown(1))
        ));
    }
}

fn max_tasks_per_child() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .max_tasks_per_child(2)
        .build()
        .unwrap();
    let pids: Vec<u32> = (0..6)
        .map(|_| pool.submit(pid, ()).unwrap().result().unwrap())
        .collect();
    let mut distinct = pids.clone();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        3,
        "a fresh worker every two tasks: {pids:?}"
    );
    assert!(pool.stats().restarts >= 2);
}

fn reject_when_full() {
    let gate = marker("gate-reject");
    let pool = ProcessPool::builder()
        .max_workers(1)
        .queue_capacity(2)
        .when_full(WhenFull::Reject)
        .build()
        .unwrap();
    let path = gate.to_string_lossy().into_owned();
    // Two tasks fill the worker's pipeline, two more the queue.
    let held: Vec<_> = (0..2)
        .map(|_| pool.submit(wait_for_file, path.clone()).unwrap())
        .collect();
    eventually("the worker holds two tasks", || pool.stats().running == 2);
    let queued: Vec<_> = (0..2)
        .map(|_| pool.submit(wait_for_file, path.clone()).unwrap())
        .collect();
    match pool.submit(square, 5) {
        Err(SubmitError::Full(args)) => assert_eq!(args, 5),
        other => panic!("expected Full, got {other:?}"),
    }
    std::fs::write(&gate, b"go").unwrap();
    for f in held.into_iter().chain(queued) {
        assert_eq!(f.result(), Ok(true));
    }
    let _ = std::fs::remove_file(gate);
}

fn two_shutdowns() {
    let pool = pool(1);
    let gate = common::marker("two-shutdowns-gate");
    let held = pool
        .submit(wait_for_file, gate.display().to_string())
        .unwrap();
    let queued: Vec<_> = (0..5).map(|n| pool.submit(square, n).unwrap()).collect();
    // Whichever of the two returns first must find every task done: before the fix,
    // the one that found the manager's handle taken returned at once.
    let shut_down_and_check = || {
        pool.shutdown(true, false);
        queued.iter().all(weftkit::executor::Future::done)
    };
    std::thread::scope(|s| {
        let first = s.spawn(shut_down_and_check);
        let second = s.spawn(shut_down_and_check);
        common::eventually("both shutdowns have begun", || {
            pool.submit(square, 9).is_err()
        });
        std::fs::write(&gate, b"open").unwrap();
        for shutdown in [first, second] {
            assert!(
                shutdown.join().unwrap(),
                "a shutdown(wait) returned before the work was done"
            );
        }
    });
    assert_eq!(held.result(), Ok(true));
    let _ = std::fs::remove_file(&gate);
}

fn wait_for_file(path: String) -> bool {
    while !std::path::Path::new(&path).exists() {
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

fn cancel_before_start() {
    let gate = marker("gate-cancel");
    let pool = pool(1);
    let path = gate.to_string_lossy().into_owned();
    let held: Vec<_> = (0..2)
        .map(|_| pool.submit(wait_for_file, path.clone()).unwrap())
        .collect();
    eventually("the worker holds two tasks", || pool.stats().running == 2);
    let queued = pool.submit(square, 4).unwrap();
    assert!(queued.cancel());
    assert!(!held[0].cancel(), "a running task is not cancelled");
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(queued.result(), Err(TaskError::Cancelled));
    for f in held {
        assert_eq!(f.result(), Ok(true));
    }
    assert_eq!(pool.submit(square, 3).unwrap().result(), Ok(9));
    let _ = std::fs::remove_file(gate);
}

fn stats() {
    let pool = pool(2);
    assert_eq!(pool.stats().workers_alive, 0, "workers start with work");
    let n = pool.map(square, 0..100u64).filter(Result::is_ok).count();
    assert_eq!(n, 100);
    let stats = pool.stats();
    assert_eq!(stats.completed, 100);
    assert_eq!((stats.queued, stats.running, stats.restarts), (0, 0, 0));
    assert!(stats.workers_alive >= 1 && stats.workers_alive <= 2);
}

fn set_flag() {
    // Runs in the worker: an environment variable is per process.
    // SAFETY: the initializer runs before the worker starts any thread.
    unsafe { std::env::set_var("WEFT_TEST_INITIALIZED", "yes") };
}

fn read_flag(_: ()) -> Option<String> {
    std::env::var("WEFT_TEST_INITIALIZED").ok()
}

fn initializer_runs() {
    let pool = ProcessPool::builder()
        .max_workers(2)
        .initializer(set_flag)
        .build()
        .unwrap();
    let seen: Vec<_> = (0..6)
        .map(|_| pool.submit(read_flag, ()).unwrap())
        .map(|f| f.result().unwrap())
        .collect();
    assert!(seen.iter().all(|s| s.as_deref() == Some("yes")));
    assert_eq!(std::env::var("WEFT_TEST_INITIALIZED").ok(), None);
}

/// Many threads submitting one task at a time each, so that wake-ups race the
/// manager's drain of its wake socket over and over: a lost wake-up leaves a submit
/// unseen and its `result()` (or the pool's drop) hangs, which the watchdog reports.
fn many_submitters() {
    for round in 0..10u64 {
        let pool = pool(2);
        std::thread::scope(|scope| {
            for t in 0..4u64 {
                let pool = &pool;
                scope.spawn(move || {
                    for n in 0..200u64 {
                        let x = round * 10_000 + t * 1_000 + n;
                        assert_eq!(pool.submit(square, x).unwrap().result(), Ok(x * x));
                    }
                });
            }
        });
        drop(pool);
    }
}

fn has_worker_marker(_: ()) -> bool {
    std::env::var_os("WEFT_PROCESS_WORKER").is_some()
}

/// In the parent and in a worker, `init` leaves no marker for the programs a task
/// starts.
fn marker_gone() {
    assert!(!has_worker_marker(()));
    let pool = pool(1);
    assert_eq!(
        pool.submit(has_worker_marker, ()).unwrap().result(),
        Ok(false)
    );
}

/// A marker left in the environment of a program that no pool started (its stdin is
/// not a pool's socket): the program says so and runs as itself.
fn stale_marker() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("the_worker_marker_is_gone_after_init")
        .env("WEFT_PROCESS_WORKER", "weftkit-process-1:1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    assert!(stderr.contains("running as a normal program"), "{stderr}");
}
