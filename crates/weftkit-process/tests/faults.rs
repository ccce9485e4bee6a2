//! One test per fault a worker process can suffer: the task in flight gets an error
//! value that says what happened, and the pool goes on. After each test no child
//! process and no file descriptor is left behind (checked by the runner).

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};
use weftkit::executor::TaskError;
use weftkit::process::{ProcessPool, SubmitError};

use common::{Case, children_of, eventually, is_dead, kill, marker, note};

/// Set right after `init()`, which never returns in a worker: true in the parent only.
static PARENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn main() {
    weftkit::process::init();
    PARENT.store(true, std::sync::atomic::Ordering::SeqCst);
    if std::env::var_os("WEFT_TEST_ROLE").is_some_and(|r| r == "parent") {
        parent_role();
    }
    let cases: &[Case] = &[
        (
            "a_serde_impl_panicking_in_the_worker_fails_one_future",
            worker_side_serde_panics,
        ),
        (
            "sigkill_mid_task_fails_that_task_and_the_pool_goes_on",
            sigkill_mid_task,
        ),
        (
            "a_panic_comes_back_with_message_and_location",
            panic_in_task,
        ),
        ("exit_and_abort_are_worker_deaths", exit_and_abort),
        ("a_task_past_its_deadline_is_killed_and_replaced", deadline),
        (
            "a_killed_worker_takes_the_processes_its_task_started",
            killed_worker_takes_its_children,
        ),
        ("parent_sigkill_leaves_no_orphans", parent_sigkill),
        (
            "sigint_to_the_process_group_leaves_no_orphans",
            sigint_to_group,
        ),
        ("a_half_written_frame_is_a_death_never_garbage", half_frame),
        ("a_damaged_frame_fails_its_task_with_codec", damaged_frame),
        (
            "past_a_damaged_frame_no_task_runs_twice",
            damaged_stream_runs_nothing_twice,
        ),
        (
            "a_worker_killed_during_a_16_mib_write_does_not_block",
            big_write_to_killed_worker,
        ),
        (
            "serialize_failures_fail_one_future_only",
            serialize_failures,
        ),
        (
            "a_failing_initializer_breaks_the_pool_with_its_reason",
            failing_initializer,
        ),
        (
            "a_hung_initializer_breaks_the_pool_at_the_startup_timeout",
            hung_initializer,
        ),
        ("unstartable_workers_break_the_pool", unstartable_workers),
        (
            "a_worker_killed_during_start_up_is_replaced",
            killed_during_start_up,
        ),
        (
            "a_refused_start_with_a_worker_alive_does_not_break_the_pool",
            refused_start_with_a_worker_alive,
        ),
        (
            "a_thousand_submits_while_busy_never_block",
            thousand_submits_while_busy,
        ),
        (
            "a_thousand_submits_while_the_manager_is_held_never_block",
            thousand_submits_while_manager_held,
        ),
        (
            "a_done_callback_ending_the_pool_while_main_joins_it_does_not_deadlock",
            callback_ends_pool_while_main_joins,
        ),
        (
            "a_done_callback_submitting_to_a_full_queue_is_refused_not_stuck",
            callback_submits_to_full_queue,
        ),
        (
            "a_finished_task_survives_the_death_of_the_next",
            finished_task_survives_next_death,
        ),
        (
            "a_long_task_holds_at_most_one_short_one_behind_it",
            long_task_among_short_ones,
        ),
        (
            "a_reply_is_out_while_the_next_task_runs",
            reply_out_while_next_runs,
        ),
        (
            "user_code_panicking_on_the_manager_fails_one_future",
            manager_side_panics,
        ),
        ("an_endless_timeout_is_no_deadline", endless_timeout),
        (
            "a_worker_that_closes_its_socket_but_lives_is_killed_and_reaped",
            closes_socket_and_lives,
        ),
    ];
    common::run(cases);
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn double(n: u64) -> u64 {
    n * 2
}

/// The one worker of a one-worker pool, after a task ran on it.
fn worker_pid(pool: &ProcessPool) -> u32 {
    pool.submit(pid, ()).unwrap().result().unwrap()
}

fn wait_running(pool: &ProcessPool, n: usize) {
    eventually("tasks running", || pool.stats().running >= n);
}

fn sigkill_mid_task() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let victim = worker_pid(&pool);
    let doomed = pool.submit(sleep_ms, 60_000).unwrap();
    let others: Vec<_> = (0..10).map(|n| pool.submit(double, n).unwrap()).collect();
    wait_running(&pool, 1);
    kill(victim, libc::SIGKILL);
    assert_eq!(
        doomed.result(),
        Err(TaskError::WorkerDied {
            signal: Some(libc::SIGKILL),
            exit_code: None
        })
    );
    let got: Vec<u64> = others.into_iter().map(|f| f.result().unwrap()).collect();
    assert_eq!(got, (0..10).map(|n| n * 2).collect::<Vec<_>>());
    assert_ne!(
        worker_pid(&pool),
        victim,
        "a new worker replaced the dead one"
    );
    assert!(pool.stats().restarts >= 1);
}

fn boom(n: u32) -> u32 {
    if n == 13 {
        panic!("unlucky {n}");
    }
    n
}

fn panic_in_task() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let before = worker_pid(&pool);
    match pool.submit(boom, 13).unwrap().result() {
        Err(TaskError::Panicked { message }) => {
            assert!(message.starts_with("unlucky 13, at "), "{message}");
            assert!(message.contains("faults.rs:"), "location: {message}");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert_eq!(pool.submit(boom, 7).unwrap().result(), Ok(7));
    assert_eq!(worker_pid(&pool), before, "the worker lived on");
    assert_eq!(pool.stats().restarts, 0);
}

fn exit_with(code: i32) -> u32 {
    std::process::exit(code)
}

fn abort(_: ()) -> u32 {
    std::process::abort()
}

fn exit_and_abort() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    assert_eq!(
        pool.submit(exit_with, 3).unwrap().result(),
        Err(TaskError::WorkerDied {
            signal: None,
            exit_code: Some(3)
        })
    );
    assert_eq!(
        pool.submit(abort, ()).unwrap().result(),
        Err(TaskError::WorkerDied {
            signal: Some(libc::SIGABRT),
            exit_code: None
        })
    );
    assert_eq!(pool.submit(double, 4).unwrap().result(), Ok(8));
}

fn deadline() {
    let timeout = Duration::from_millis(300);
    let pool = ProcessPool::builder()
        .max_workers(1)
        .timeout(timeout)
        .build()
        .unwrap();
    let hung = pool.submit(sleep_ms, 60_000).unwrap();
    let next = pool.submit(double, 5).unwrap();
    assert_eq!(hung.result(), Err(TaskError::DeadlineExceeded { timeout }));
    assert_eq!(next.result(), Ok(10));
    assert!(pool.stats().restarts >= 1);
}

/// Spawns this test binary as a pool's parent; returns it once its two workers run
/// long tasks, with their pids.
fn start_parent(own_group: bool) -> (std::process::Child, Vec<u32>) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .env("WEFT_TEST_ROLE", "parent")
        .stdout(Stdio::piped());
    if own_group {
        command.process_group(0);
    }
    let mut parent = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(parent.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let workers: Vec<u32> = children_of(parent.id())
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(workers.len(), 2, "the parent runs two workers");
    (parent, workers)
}

/// The parent role: a pool of two workers busy with long tasks, forever.
fn parent_role() -> ! {
    // A test runner started in the background by a non-interactive shell inherits
    // SIGINT ignored: give this role the default, which the SIGINT case relies on.
    // SAFETY: setting a signal's disposition to SIG_DFL touches no memory.
    unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let _busy: Vec<_> = (0..4)
        .map(|_| pool.submit(sleep_ms, 600_000).unwrap())
        .collect();
    while pool.stats().workers_alive < 2 || pool.stats().running < 4 {
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("ready");
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

fn parent_sigkill() {
    let (mut parent, workers) = start_parent(false);
    parent.kill().unwrap();
    assert_eq!(parent.wait().unwrap().signal(), Some(libc::SIGKILL));
    for pid in workers {
        eventually("orphaned worker exits", || is_dead(pid));
    }
}

fn sigint_to_group() {
    let (mut parent, workers) = start_parent(true);
    kill_group(parent.id(), libc::SIGINT);
    assert_eq!(parent.wait().unwrap().signal(), Some(libc::SIGINT));
    for pid in workers {
        eventually("worker exits after Ctrl-C", || is_dead(pid));
    }
}

fn kill_group(pgid: u32, signal: i32) {
    // SAFETY: `kill` with a negative pid signals that process group; no memory is touched.
    unsafe { libc::kill(-(pgid as libc::pid_t), signal) };
}

/// Writes `bytes` to the worker's socket behind the pool's back: fd 3, the lowest
/// descriptor free in a freshly started worker, where `init` moves it.
fn write_fd3(bytes: &[u8]) {
    // SAFETY: `bytes` is valid for reads of its length; fd 3 is the worker's socket.
    unsafe { libc::write(3, bytes.as_ptr().cast(), bytes.len()) };
}

fn half_frame_then_exit(_: ()) -> u64 {
    // A header announcing 100 bytes, and only 2 of them.
    write_fd3(&[100, 0, 0, 0, 1, 2, 3, 4, 0, 5]);
    std::process::exit(0)
}

fn half_frame() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    assert_eq!(
        pool.submit(half_frame_then_exit, ()).unwrap().result(),
        Err(TaskError::WorkerDied {
            signal: None,
            exit_code: Some(0)
        })
    );
    assert_eq!(pool.submit(double, 1).unwrap().result(), Ok(2));
}

fn bad_crc_then_wait(_: ()) -> u64 {
    write_fd3(&[2, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 3, 0]);
    std::thread::sleep(Duration::from_secs(60));
    0
}

fn damaged_frame() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    match pool.submit(bad_crc_then_wait, ()).unwrap().result() {
        Err(TaskError::Codec { message }) => assert!(message.contains("CRC"), "{message}"),
        other => panic!("expected Codec, got {other:?}"),
    }
    assert_eq!(pool.submit(double, 2).unwrap().result(), Ok(4));
}

fn byte_len(bytes: Vec<u8>) -> usize {
    bytes.len()
}

fn big_write_to_killed_worker() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let victim = worker_pid(&pool);
    let busy = pool.submit(sleep_ms, 60_000).unwrap();
    let big = pool.submit(byte_len, vec![7u8; 16 << 20]).unwrap();
    wait_running(&pool, 2); // both handed to the worker, which reads nothing
    // Not a measurement: only so that the busy task counts as long, and its worker
    // takes nothing more; the next task needs a second worker.
    std::thread::sleep(Duration::from_millis(20));
    // The write of the 16 MiB is stuck; a manager blocked in it could not start the
    // second worker, hand it this task, or read its reply.
    let elsewhere = pool.submit(pid, ()).unwrap().result().unwrap();
    assert_ne!(elsewhere, victim);
    let queued = pool.submit(double, 21).unwrap();
    kill(victim, libc::SIGKILL);
    assert!(matches!(busy.result(), Err(TaskError::WorkerDied { .. })));
    assert_eq!(big.result(), Ok(16 << 20), "re-sent to a fresh worker");
    assert_eq!(queued.result(), Ok(42));
}

/// A value whose serialization always fails.
#[derive(Debug, Deserialize)]
struct Unserializable(u8);

impl Serialize for Unserializable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this value refuses to be serialized",
        ))
    }
}

fn takes_unserializable(v: Unserializable) -> u8 {
    v.0
}

fn returns_unserializable(n: u8) -> Unserializable {
    Unserializable(n)
}

fn serialize_failures() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let before = worker_pid(&pool);
    match pool
        .submit(takes_unserializable, Unserializable(1))
        .unwrap()
        .result()
    {
        Err(TaskError::Codec { message }) => {
            assert!(message.contains("argument did not encode"), "{message}");
        }
        other => panic!("expected Codec, got {other:?}"),
    }
    match pool.submit(returns_unserializable, 2).unwrap().result() {
        Err(TaskError::Codec { message }) => {
            assert!(message.contains("result did not encode"), "{message}");
        }
        other => panic!("expected Codec, got {other:?}"),
    }
    let mut items = pool.map(returns_unserializable, [1u8]);
    assert!(matches!(items.next(), Some(Err(TaskError::Codec { .. }))));
    assert_eq!(pool.submit(double, 3).unwrap().result(), Ok(6));
    assert_eq!(worker_pid(&pool), before, "the pool stayed healthy");
}

fn bad_initializer() {
    panic!("cannot open the model file");
}

fn failing_initializer() {
    let pool = ProcessPool::builder()
        .max_workers(2)
        .initializer(bad_initializer)
        .build()
        .unwrap();
    let futures: Vec<_> = (0..5).map(|n| pool.submit(double, n).unwrap()).collect();
    for future in futures {
        match future.result() {
            Err(TaskError::PoolBroken { reason }) => {
                assert!(reason.contains("cannot open the model file"), "{reason}");
            }
            other => panic!("expected PoolBroken, got {other:?}"),
        }
    }
    assert!(matches!(
        pool.submit(double, 9),
        Err(SubmitError::Broken { args: 9, .. })
    ));
    assert!(pool.broken_reason().is_some());
}

fn stuck_initializer() {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn hung_initializer() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .initializer(stuck_initializer)
        .startup_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let future = pool.submit(double, 1).unwrap();
    match future.result() {
        Err(TaskError::PoolBroken { reason }) => {
            assert!(reason.contains("initializer did not finish"), "{reason}");
        }
        other => panic!("expected PoolBroken, got {other:?}"),
    }
    assert!(matches!(
        pool.submit(double, 2),
        Err(SubmitError::Broken { .. })
    ));
}

fn unstartable_workers() {
    for program in ["/nonexistent/weft-worker", "/bin/true"] {
        let pool = ProcessPool::builder()
            .max_workers(2)
            .program(program)
            .build()
            .unwrap();
        let futures: Vec<_> = (0..3).map(|n| pool.submit(double, n).unwrap()).collect();
        for future in futures {
            assert!(
                matches!(future.result(), Err(TaskError::PoolBroken { .. })),
                "{program}"
            );
        }
        let reason = pool.broken_reason().unwrap();
        assert!(reason.contains("worker"), "{reason}");
    }
}

/// The marker path `name` of the parent of this worker process.
fn parents_marker(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "weftkit-process-{}-{name}",
        std::os::unix::process::parent_id()
    ))
}

/// An initializer that notes its worker's pid, then waits for the parent's gate.
fn gated_initializer() {
    note(parents_marker("init-pids"), &std::process::id().to_string());
    wait_for_file(parents_marker("init-gate").to_string_lossy().into_owned());
}

fn init_pids(path: &std::path::Path) -> Vec<u32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect()
}

fn killed_during_start_up() {
    let (pids, gate) = (marker("init-pids"), marker("init-gate"));
    let pool = ProcessPool::builder()
        .max_workers(1)
        .initializer(gated_initializer)
        .build()
        .unwrap();
    let future = pool.submit(double, 5).unwrap();
    eventually("the first worker is in its initializer", || {
        init_pids(&pids).len() == 1
    });
    kill(init_pids(&pids)[0], libc::SIGKILL);
    eventually("a replacement is in its initializer", || {
        init_pids(&pids).len() == 2
    });
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(
        future.result(),
        Ok(10),
        "the task waited for the replacement"
    );
    assert_eq!(pool.broken_reason(), None);
    assert_eq!(pool.stats().restarts, 1);
    assert_eq!(pool.stats().failed_starts, 1);
    drop(pool);
    let _ = (std::fs::remove_file(pids), std::fs::remove_file(gate));
}

fn refused_start_with_a_worker_alive() {
    // A second name for this executable, on the same file system, so that the
    // handshake (which checks the file) passes; removed once the first worker runs.
    let exe = std::env::current_exe().unwrap();
    let link = exe.with_extension(format!("link-{}", std::process::id()));
    let _ = std::fs::remove_file(&link);
    std::fs::hard_link(&exe, &link).unwrap();
    let pool = ProcessPool::builder()
        .max_workers(2)
        .program(&link)
        .build()
        .unwrap();
    let gate = marker("gate-refused");
    let busy = pool
        .submit(wait_for_file, gate.to_string_lossy().into_owned())
        .unwrap();
    wait_running(&pool, 1);
    std::fs::remove_file(&link).unwrap();
    // Not a measurement: only so that the busy task counts as long, and the worker
    // takes one more task at most; the second needs a second worker.
    std::thread::sleep(Duration::from_millis(20));
    let next: Vec<_> = (0..2).map(|n| pool.submit(double, n).unwrap()).collect();
    eventually("the system refused the second worker", || {
        pool.stats().failed_starts >= 1
    });
    assert_eq!(
        pool.broken_reason(),
        None,
        "one worker is alive to do the work"
    );
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(busy.result(), Ok(true));
    for (n, future) in (0..).zip(next) {
        assert_eq!(future.result(), Ok(n * 2), "the live worker took it");
    }
    assert_eq!(pool.broken_reason(), None);
    assert_eq!(pool.stats().workers_alive, 1);
    let _ = std::fs::remove_file(gate);
}

fn wait_for_file(path: String) -> bool {
    while !std::path::Path::new(&path).exists() {
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

fn thousand_submits_while_busy() {
    let gate = marker("gate-1000");
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let busy = pool
        .submit(wait_for_file, gate.to_string_lossy().into_owned())
        .unwrap();
    wait_running(&pool, 1);
    let futures: Vec<_> = (0..1_000)
        .map(|n| pool.submit(double, n).unwrap())
        .collect();
    assert!(
        !busy.done(),
        "every submit returned while the worker was busy"
    );
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(busy.result(), Ok(true));
    let total: u64 = futures.into_iter().map(|f| f.result().unwrap()).sum();
    assert_eq!(total, (0..1_000).map(|n| n * 2).sum());
    let _ = std::fs::remove_file(gate);
}

/// Holds the pool's manager thread inside a done callback (which runs there) until
/// the returned sender is dropped or sends.
fn hold_manager(pool: &ProcessPool) -> std::sync::mpsc::Sender<()> {
    let gate = marker("gate-manager");
    let busy = pool
        .submit(wait_for_file, gate.to_string_lossy().into_owned())
        .unwrap();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    busy.add_done_callback(move |_| {
        held_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(weftkit_testkit::GENEROUS);
    });
    std::fs::write(&gate, b"go").unwrap();
    held_rx.recv().unwrap();
    let _ = std::fs::remove_file(gate);
    release_tx
}

fn thousand_submits_while_manager_held() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let release = hold_manager(&pool);
    // The manager is inside the callback: it reads no wake-up until it returns.
    let futures: Vec<_> = (0..1_000)
        .map(|n| pool.submit(double, n).unwrap())
        .collect();
    assert_eq!(pool.stats().queued, 1_000, "every submit returned, queued");
    release.send(()).unwrap();
    let total: u64 = futures.into_iter().map(|f| f.result().unwrap()).sum();
    assert_eq!(total, (0..1_000).map(|n| n * 2).sum());
}

fn callback_submits_to_full_queue() {
    let fds_before = common::open_fds().len();
    let pool = std::sync::Arc::new(
        ProcessPool::builder()
            .max_workers(1)
            .queue_capacity(1)
            .build()
            .unwrap(),
    );
    let gate = marker("gate-full");
    let busy = pool
        .submit(wait_for_file, gate.to_string_lossy().into_owned())
        .unwrap();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (full_tx, full_rx) = std::sync::mpsc::channel::<()>();
    let (outcome_tx, outcome_rx) = std::sync::mpsc::channel();
    let inner = std::sync::Arc::clone(&pool);
    busy.add_done_callback(move |_| {
        held_tx.send(()).unwrap();
        let _ = full_rx.recv_timeout(weftkit_testkit::GENEROUS);
        // The queue is full and only this thread could empty it: no waiting.
        let refused = matches!(inner.submit(double, 2), Err(SubmitError::Full(2)));
        outcome_tx.send(refused).unwrap();
        // `inner` is the last handle now: the pool is dropped here, on its own
        // manager thread, which must not try to join itself.
    });
    std::fs::write(&gate, b"go").unwrap();
    held_rx.recv().unwrap();
    let queued = pool.submit(double, 1).unwrap(); // fills the queue of one
    drop(pool);
    full_tx.send(()).unwrap();
    assert!(outcome_rx.recv().unwrap(), "refused with Full, not blocked");
    // Dropped on the manager thread, the pool still finishes its queued work.
    assert_eq!(queued.result(), Ok(2));
    // ... then ends and reaps its worker, with nobody joining it.
    eventually("the dropped pool reaped its worker", || {
        children_of(std::process::id()).is_empty()
    });
    eventually("the dropped pool closed its sockets", || {
        common::open_fds().len() <= fds_before
    });
    let _ = std::fs::remove_file(gate);
}

fn long_task_among_short_ones() {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    // Both workers warm, with short tasks: each is fed many at a time.
    let warm: u64 = pool.map(double, 0..400).map(Result::unwrap).sum();
    assert_eq!(warm, (0..400).map(|n| n * 2).sum());
    let gate = marker("gate-long");
    let long = pool
        .submit(wait_for_file, gate.to_string_lossy().into_owned())
        .unwrap();
    wait_running(&pool, 1);
    // Not a measurement: only so that the long task has run longer than a short one
    // (a millisecond) when the next tasks are handed out.
    std::thread::sleep(Duration::from_millis(20));
    let short: Vec<_> = (0..20).map(|n| pool.submit(double, n).unwrap()).collect();
    eventually("the short tasks ran on the other worker", || {
        short.iter().filter(|f| f.done()).count() >= short.len() - 1
    });
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(long.result(), Ok(true));
    for (n, future) in (0..).zip(short) {
        assert_eq!(future.result(), Ok(n * 2));
    }
    let _ = std::fs::remove_file(gate);
}

/// Appends a line to the marker file at `path`, then exits with code 3.
fn note_then_exit(path: String) -> u64 {
    note(path, "ran");
    std::process::exit(3)
}

/// A one-worker pool, warmed up (so it is fed several tasks at once), busy with a task
/// that waits for the returned gate: whatever is submitted next reaches the worker
/// together, in one read.
fn busy_warm_pool(
    name: &str,
) -> (
    ProcessPool,
    std::path::PathBuf,
    weftkit::executor::Future<bool>,
) {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    for n in 0..20 {
        assert_eq!(pool.submit(double, n).unwrap().result(), Ok(n * 2));
    }
    let gate = marker(name);
    let busy = pool
        .submit(wait_for_file, gate.to_string_lossy().into_owned())
        .unwrap();
    wait_running(&pool, 1);
    (pool, gate, busy)
}

fn finished_task_survives_next_death() {
    let runs = marker("exit-runs");
    let (pool, gate, busy) = busy_warm_pool("gate-exit");
    let first = pool.submit(double, 1).unwrap();
    let second = pool
        .submit(note_then_exit, runs.to_string_lossy().into_owned())
        .unwrap();
    wait_running(&pool, 3);
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(busy.result(), Ok(true));
    assert_eq!(first.result(), Ok(2), "it finished before its worker died");
    assert_eq!(
        second.result(),
        Err(TaskError::WorkerDied {
            signal: None,
            exit_code: Some(3)
        })
    );
    let ran = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(ran.lines().count(), 1, "without retries it ran once");
    let _ = std::fs::remove_file(runs);
    let _ = std::fs::remove_file(gate);
}

fn reply_out_while_next_runs() {
    let (pool, gate, busy) = busy_warm_pool("gate-reply-1");
    let later = marker("gate-reply-2");
    let quick = pool.submit(double, 5).unwrap();
    let slow = pool
        .submit(wait_for_file, later.to_string_lossy().into_owned())
        .unwrap();
    wait_running(&pool, 3);
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(busy.result(), Ok(true));
    eventually("the quick task is done while the slow one waits", || {
        quick.done()
    });
    assert!(!slow.done(), "its gate is still shut");
    std::fs::write(&later, b"go").unwrap();
    assert_eq!(quick.result(), Ok(10));
    assert_eq!(slow.result(), Ok(true));
    let _ = std::fs::remove_file(gate);
    let _ = std::fs::remove_file(later);
}

fn in_parent() -> bool {
    PARENT.load(std::sync::atomic::Ordering::SeqCst)
}

/// Serializes fine; panics when deserialized in the parent.
#[derive(Debug, Serialize)]
struct GrumpyDecode(u8);

impl<'de> Deserialize<'de> for GrumpyDecode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u8::deserialize(d)?;
        assert!(!in_parent(), "GrumpyDecode refuses to be decoded");
        Ok(Self(n))
    }
}

fn grumpy_decode(n: u8) -> GrumpyDecode {
    GrumpyDecode(n)
}

/// Panics when dropped in the parent.
#[derive(Debug, Serialize, Deserialize)]
struct GrumpyDrop(u8);

impl Drop for GrumpyDrop {
    fn drop(&mut self) {
        if in_parent() && !std::thread::panicking() {
            panic!("GrumpyDrop refuses to be dropped");
        }
    }
}

fn grumpy_drop(n: u8) -> GrumpyDrop {
    GrumpyDrop(n)
}

fn manager_side_panics() {
    let (pool, gate, busy) = busy_warm_pool("gate-grumpy");
    let decoded = pool.submit(grumpy_decode, 1).unwrap();
    // Dropped unobserved: its result is dropped on the manager thread.
    drop(pool.submit(grumpy_drop, 2).unwrap());
    let after = pool.submit(double, 21).unwrap();
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(busy.result(), Ok(true));
    match decoded.result() {
        Err(TaskError::Codec { message }) => assert!(message.contains("Deserialize"), "{message}"),
        other => panic!("expected Codec, got {other:?}"),
    }
    assert_eq!(after.result(), Ok(42));
    assert_eq!(pool.submit(double, 2).unwrap().result(), Ok(4));
    assert_eq!(pool.broken_reason(), None);
    let _ = std::fs::remove_file(gate);
}

/// Decodes and encodes fine in the parent; panics when encoded in a worker.
#[derive(Debug, PartialEq, Deserialize)]
struct GrumpyEncode(u8);

impl Serialize for GrumpyEncode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        assert!(in_parent(), "GrumpyEncode refuses to be encoded");
        self.0.serialize(s)
    }
}

fn grumpy_encode(n: u8) -> GrumpyEncode {
    GrumpyEncode(n)
}

fn worker_side_serde_panics() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let before = pool.submit(pid, ()).unwrap().result().unwrap();
    match pool.submit(grumpy_encode, 1).unwrap().result() {
        Err(TaskError::Panicked { message }) => {
            assert!(message.contains("refuses to be encoded"), "{message}");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    // The same worker goes on: the panic failed one future, not the process.
    assert_eq!(pool.submit(pid, ()).unwrap().result(), Ok(before));
    assert_eq!(pool.stats().restarts, 0);
}

fn endless_timeout() {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .timeout(Duration::MAX)
        .build()
        .unwrap();
    assert_eq!(pool.submit(double, 4).unwrap().result(), Ok(8));
    assert_eq!(pool.submit(sleep_ms, 20).unwrap().result(), Ok(20));
    assert_eq!(pool.broken_reason(), None);
}

/// Closes the worker's socket behind the pool's back, then lingers.
fn close_socket_and_linger(_: ()) -> u64 {
    // SAFETY: fd 3 is the worker's socket (see `write_fd3`); the worker loop does not
    // touch it again before this task returns, and it never does.
    unsafe { libc::close(3) };
    std::thread::sleep(Duration::from_secs(3600));
    0
}

fn closes_socket_and_lives() {
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let lingering = pool.submit(close_socket_and_linger, ()).unwrap();
    // Its stream ended but it did not exit: after a grace it is killed and reaped.
    assert_eq!(
        lingering.result(),
        Err(TaskError::WorkerDied {
            signal: Some(libc::SIGKILL),
            exit_code: None
        })
    );
    assert_eq!(pool.submit(double, 8).unwrap().result(), Ok(16));
    assert_eq!(pool.stats().restarts, 1);
}

/// Starts `sleep`, notes its pid in the marker file at `path`, then never returns.
#[allow(
    clippy::zombie_processes,
    reason = "the worker is killed before it could reap its child; the system's reaper adopts it"
)]
fn start_sleeper_and_hang(path: String) -> u64 {
    let sleeper = std::process::Command::new("sleep")
        .arg("3600")
        .spawn()
        .unwrap();
    std::fs::write(path, sleeper.id().to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(3600));
    0
}

fn killed_worker_takes_its_children() {
    let noted = marker("sleeper-pid");
    let pool = ProcessPool::builder()
        .max_workers(1)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let hung = pool
        .submit(start_sleeper_and_hang, noted.to_string_lossy().into_owned())
        .unwrap();
    assert!(matches!(
        hung.result(),
        Err(TaskError::DeadlineExceeded { .. })
    ));
    let sleeper: u32 = std::fs::read_to_string(&noted).unwrap().parse().unwrap();
    eventually("the task's own child died with its worker", || {
        is_dead(sleeper)
    });
    let _ = std::fs::remove_file(noted);
}

/// Announces a 4096-byte frame with a wrong CRC behind the pool's back: the bytes
/// that follow (this task's own reply, and whatever comes next) become its payload.
fn open_bad_frame(_: ()) -> u64 {
    let mut header = Vec::new();
    header.extend_from_slice(&4096u32.to_le_bytes());
    header.extend_from_slice(&0xdead_beefu32.to_le_bytes());
    write_fd3(&header);
    1
}

/// Notes each run in the marker file at `path`; on the first, completes the bad frame.
fn note_and_finish(path: String) -> u64 {
    note(&path, "ran");
    if std::fs::read_to_string(&path).unwrap().lines().count() == 1 {
        write_fd3(&[0u8; 4096]);
    }
    7
}

fn damaged_stream_runs_nothing_twice() {
    let runs = marker("damaged-runs");
    let (pool, gate, busy) = busy_warm_pool("gate-damaged");
    let opener = pool.submit(open_bad_frame, ()).unwrap();
    let behind = pool
        .submit(note_and_finish, runs.to_string_lossy().into_owned())
        .unwrap();
    wait_running(&pool, 3);
    std::fs::write(&gate, b"go").unwrap();
    assert_eq!(busy.result(), Ok(true));
    assert!(matches!(opener.result(), Err(TaskError::Codec { .. })));
    // It ran (its reply was swallowed by the damage): it must not run again.
    match behind.result() {
        Err(TaskError::Codec { message }) => assert!(message.contains("may have run"), "{message}"),
        other => panic!("expected Codec, got {other:?}"),
    }
    let ran = std::fs::read_to_string(&runs).unwrap().lines().count();
    assert_eq!(ran, 1, "a task ran twice with retries off");
    assert_eq!(pool.submit(double, 2).unwrap().result(), Ok(4));
    let _ = std::fs::remove_file(runs);
    let _ = std::fs::remove_file(gate);
}

fn callback_ends_pool_while_main_joins() {
    let pool = std::sync::Arc::new(ProcessPool::builder().max_workers(1).build().unwrap());
    let gate = marker("gate-callback-kill");
    let busy = pool
        .submit(wait_for_file, gate.to_string_lossy().into_owned())
        .unwrap();
    wait_running(&pool, 1);
    let inner = std::sync::Arc::clone(&pool);
    busy.add_done_callback(move |_| inner.kill_workers());
    let opener = {
        let gate = gate.clone();
        std::thread::spawn(move || {
            // Not a measurement: only so that the main thread is most likely inside
            // its join when the callback ends the pool.
            std::thread::sleep(Duration::from_millis(200));
            std::fs::write(gate, b"go").unwrap();
        })
    };
    pool.shutdown(true, false);
    opener.join().unwrap();
    assert_eq!(busy.result(), Ok(true));
    let _ = std::fs::remove_file(gate);
}
