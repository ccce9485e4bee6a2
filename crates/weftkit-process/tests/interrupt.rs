//! Ctrl-C and `cancel_on_interrupt`: a program whose pool was built with the flag
//! survives the first `SIGINT` with every pending future cancelled, and leaves no
//! worker behind. Each case runs this test binary again as a pool's parent (a role, in
//! its own process group, as a shell runs a foreground job) and sends `SIGINT` to that
//! group, as a terminal does at Ctrl-C. Without the flag, Ctrl-C ends the parent and
//! its workers: `tests/faults.rs` covers that.
//!
//! The roles build pools with the flag, and so install the handler; the runner's own
//! process never does.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use weftkit::executor::TaskError;
use weftkit::process::{ProcessPool, SubmitError};

use common::{Case, children_of, eventually, is_dead};

/// The environment variable naming the role a re-run of this binary plays.
const ROLE: &str = "WEFT_TEST_ROLE";

/// A task far longer than any test: it ends only when its worker is killed.
const FOREVER_MS: u64 = 600_000;

fn main() {
    weftkit::process::init();
    if let Some(role) = std::env::var_os(ROLE) {
        play(&role.to_string_lossy());
    }
    let cases: &[Case] = &[
        (
            "ctrl_c_cancels_every_future_and_the_program_goes_on",
            ctrl_c_cancels_futures,
        ),
        ("ctrl_c_cancels_a_map_in_progress", ctrl_c_cancels_a_map),
        ("a_second_ctrl_c_ends_the_program", second_ctrl_c),
        (
            "with_no_such_pool_alive_ctrl_c_ends_the_program",
            no_pool_alive,
        ),
        ("an_ignored_sigint_stays_ignored", ignored_sigint),
    ];
    common::run(cases);
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn double(n: u64) -> u64 {
    n * 2
}

// ---------------------------------------------------------------------------------
// The roles: this binary re-run as a pool's parent. Each prints `ready` once its
// workers run, then lines the test checks; it exits 0 unless a signal ends it.

fn play(role: &str) -> ! {
    // As a program started from a terminal has it: a test runner started in the
    // background by a non-interactive shell (`cargo test &`) inherits `SIGINT` ignored,
    // and with it ignored the flag rightly leaves it so (see "ignored").
    // SAFETY: setting a signal's disposition to SIG_DFL touches no memory.
    unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
    match role {
        "submit" => submit_role(false),
        "submit-then-wait" => submit_role(true),
        "map" => map_role(),
        "dropped" => dropped_role(),
        "ignored" => ignored_role(),
        other => panic!("unknown role {other}"),
    }
    std::process::exit(0)
}

fn interruptible_pool() -> ProcessPool {
    ProcessPool::builder()
        .max_workers(2)
        .cancel_on_interrupt()
        .build()
        .unwrap()
}

/// Waits until both workers run a task, then says so.
fn ready_when_running(pool: &ProcessPool) {
    while pool.stats().workers_alive < 2 || pool.stats().running < 2 {
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("ready");
}

/// Six long tasks on two workers (two running, the rest queued or pipelined behind
/// them); blocks in the first one's `result()` until Ctrl-C. With `then_wait`, it
/// then waits for a second Ctrl-C instead of exiting.
fn submit_role(then_wait: bool) {
    let pool = interruptible_pool();
    let mut futures: Vec<_> = (0..6)
        .map(|_| pool.submit(sleep_ms, FOREVER_MS).unwrap())
        .collect();
    ready_when_running(&pool);
    let first = futures.remove(0).result();
    println!("first: {first:?}");
    let cancelled = std::iter::once(first)
        .chain(futures.into_iter().map(weftkit::executor::Future::result))
        .filter(|r| r == &Err(TaskError::Cancelled))
        .count();
    println!("cancelled: {cancelled} of 6");
    match pool.submit(double, 1) {
        Err(SubmitError::ShutDown(1)) => println!("submit refused"),
        other => println!("submit after Ctrl-C: {other:?}"),
    }
    drop(pool);
    if then_wait {
        println!("waiting");
        loop {
            std::thread::sleep(Duration::from_secs(60));
        }
    }
}

/// A `map` of six long items (all handed to the pool at once: the window is larger),
/// iterated until Ctrl-C; a helper thread says `ready` while the main thread blocks
/// in the map.
fn map_role() {
    let pool = interruptible_pool();
    let outcomes: Vec<Result<u64, TaskError>> = std::thread::scope(|scope| {
        scope.spawn(|| ready_when_running(&pool));
        pool.map(sleep_ms, vec![FOREVER_MS; 6]).collect()
    });
    let cancelled = outcomes
        .iter()
        .filter(|r| *r == &Err(TaskError::Cancelled))
        .count();
    println!("map cancelled: {cancelled} of {}", outcomes.len());
}

/// A pool with the flag, used and dropped; then nothing but waiting.
fn dropped_role() {
    let pool = interruptible_pool();
    assert_eq!(pool.submit(double, 21).unwrap().result(), Ok(42));
    drop(pool);
    println!("ready");
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// `SIGINT` ignored before the pool is built (as `nohup` does); after the test's
/// `SIGINT`, it reads a line and checks the pool still works.
fn ignored_role() {
    // SAFETY: setting a signal's disposition to SIG_IGN touches no memory.
    unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    let pool = interruptible_pool();
    let long = pool.submit(sleep_ms, 200).unwrap();
    println!("ready");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    println!("long: {:?}", long.result());
    println!("after: {:?}", pool.submit(double, 21).unwrap().result());
}

// ---------------------------------------------------------------------------------
// The test side.

/// A role running in its own process group, its stdout read line by line on a
/// thread (so that a silent role fails the test instead of hanging it). Dropped, it
/// kills the role if it still runs, and waits for the reader.
struct Role {
    child: Child,
    lines: mpsc::Receiver<String>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Role {
    fn start(role: &str) -> Self {
        Self::start_with(role, Stdio::null())
    }

    fn start_with(role: &str, stdin: Stdio) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(ROLE, role)
            .process_group(0)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            reader: Some(reader),
        }
    }

    /// The next line the role prints.
    fn line(&self) -> String {
        self.lines
            .recv_timeout(weftkit_testkit::GENEROUS)
            .expect("the role printed nothing more")
    }

    /// Its workers, as its child processes.
    fn workers(&self) -> Vec<u32> {
        children_of(self.child.id())
            .into_iter()
            .map(|(pid, _)| pid)
            .collect()
    }

    /// Ctrl-C: `SIGINT` to its process group.
    fn interrupt(&self) {
        let group = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: `kill` with a negative pid signals that process group; the role is
        // not yet reaped, so its group id is still its own.
        unsafe { libc::kill(-group, libc::SIGINT) };
    }

    /// Waits for it to exit by itself.
    fn exit_status(&mut self) -> ExitStatus {
        let mut status = None;
        eventually("the role exits", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        status.unwrap()
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // End of its stdout comes once its workers are gone too (they share it); the
        // parent-death signal sees to that.
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

fn all_dead(workers: &[u32]) {
    for &pid in workers {
        eventually("a worker exits after Ctrl-C", || is_dead(pid));
    }
}

fn ctrl_c_cancels_futures() {
    let mut role = Role::start("submit");
    assert_eq!(role.line(), "ready");
    let workers = role.workers();
    assert_eq!(workers.len(), 2, "the role runs two workers: {workers:?}");
    role.interrupt();
    assert_eq!(role.line(), "first: Err(Cancelled)");
    assert_eq!(role.line(), "cancelled: 6 of 6");
    assert_eq!(role.line(), "submit refused");
    let status = role.exit_status();
    assert!(status.success(), "the role survives Ctrl-C: {status:?}");
    all_dead(&workers);
}

fn ctrl_c_cancels_a_map() {
    let mut role = Role::start("map");
    assert_eq!(role.line(), "ready");
    let workers = role.workers();
    assert_eq!(workers.len(), 2, "the role runs two workers: {workers:?}");
    role.interrupt();
    assert_eq!(role.line(), "map cancelled: 6 of 6");
    let status = role.exit_status();
    assert!(status.success(), "the role survives Ctrl-C: {status:?}");
    all_dead(&workers);
}

fn second_ctrl_c() {
    let mut role = Role::start("submit-then-wait");
    assert_eq!(role.line(), "ready");
    let workers = role.workers();
    role.interrupt();
    assert_eq!(role.line(), "first: Err(Cancelled)");
    assert_eq!(role.line(), "cancelled: 6 of 6");
    assert_eq!(role.line(), "submit refused");
    assert_eq!(role.line(), "waiting");
    all_dead(&workers);
    role.interrupt();
    assert_eq!(role.exit_status().signal(), Some(libc::SIGINT));
}

fn no_pool_alive() {
    let mut role = Role::start("dropped");
    assert_eq!(role.line(), "ready");
    assert!(role.workers().is_empty(), "the pool was dropped");
    role.interrupt();
    assert_eq!(role.exit_status().signal(), Some(libc::SIGINT));
}

fn ignored_sigint() {
    let mut role = Role::start_with("ignored", Stdio::piped());
    assert_eq!(role.line(), "ready");
    role.interrupt();
    // The signal is discarded as it is sent; only then does the role read on.
    let mut stdin = role.child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"go\n").unwrap();
    drop(stdin);
    assert_eq!(role.line(), "long: Ok(200)");
    assert_eq!(role.line(), "after: Ok(42)");
    assert!(role.exit_status().success());
}
