//! Helpers for weftkit-thread's tests: a watchdog that also bounds the exit, and
//! running one test of this test binary as a child process, to watch what the
//! process does when it exits.
//!
//! [`watchdog`] is `weftkit_testkit::watchdog` plus an exit deadline: a test that fails
//! while a non-daemon thread of its own is still blocked would otherwise make the
//! test binary wait for that thread at exit, turning a failure into a hang.
//!
//! A child scenario is an `#[ignore]`d test that returns at once unless the
//! environment variable [`CHILD`] names it; [`run_child`] starts the test binary
//! again with that variable, `--exact <name> --ignored --nocapture`, and collects
//! its output.
//!
//! Scenarios that must show that something happens *after* `main` returned use the
//! child's stdin as a gate: a thread in the child blocks until stdin reaches end of
//! file, and the parent closes stdin only once it has read a given line (libtest's
//! final `test result:` line, printed as `main` finishes, or a marker printed from
//! an `atexit` function that runs when `exit` has begun). No sleeps, no timing.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use weftkit_testkit::GENEROUS;

/// Runs `body` under `weftkit_testkit::watchdog`, after bounding how long this process
/// may wait for non-daemon threads when it exits.
pub(crate) fn watchdog<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> R {
    weftkit_thread::set_exit_deadline(Some(GENEROUS));
    weftkit_testkit::watchdog(body)
}

/// The environment variable that selects a child scenario.
pub(crate) const CHILD: &str = "WEFT_THREAD_CHILD_SCENARIO";

/// Whether this process is the child running `scenario`.
pub(crate) fn is_child(scenario: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(scenario)
}

/// Blocks until the parent closes the child's stdin (end of file).
pub(crate) fn wait_for_parent() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().lock().read_to_end(&mut sink);
}

/// What a child printed and how it ended.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<String>,
    pub(crate) stderr: String,
}

impl Outcome {
    /// The index of the first stdout line containing `needle`.
    pub(crate) fn line(&self, needle: &str) -> Option<usize> {
        self.stdout.iter().position(|line| line.contains(needle))
    }

    /// Panics with the whole output unless `condition` holds.
    pub(crate) fn check(&self, condition: bool, what: &str) {
        assert!(
            condition,
            "{what}\n--- status: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.status,
            self.stdout.join("\n"),
            self.stderr
        );
    }
}

/// Runs the test `scenario` of this binary as a child process. If `release_after`
/// is given, the child's stdin is closed once a stdout line contains it; otherwise
/// stdin stays open until the child has exited. Kills the child and fails if it has
/// not exited within [`GENEROUS`].
pub(crate) fn run_child(scenario: &str, release_after: Option<&str>) -> Outcome {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut child = Command::new(exe)
        .args([
            scenario,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, scenario)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("could not start the test binary as a child");
    let mut stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");

    let (line_tx, line_rx) = mpsc::channel();
    let stdout_reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let deadline = Instant::now() + GENEROUS;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match line_rx.recv_timeout(left) {
            Ok(line) => {
                if release_after.is_some_and(|needle| line.contains(needle)) {
                    stdin = None; // end of file for the child's stdin
                }
                lines.push(line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                kill(&mut child);
                panic!(
                    "child scenario {scenario} still running after {GENEROUS:?}; stdout so far:\n{}",
                    lines.join("\n")
                );
            }
        }
    }
    let status = wait_with_deadline(&mut child, deadline, scenario);
    drop(stdin);
    let _ = stdout_reader.join();
    let stderr = stderr_reader.join().unwrap_or_default();
    Outcome {
        status,
        stdout: lines,
        stderr,
    }
}

fn wait_with_deadline(child: &mut Child, deadline: Instant, scenario: &str) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            return status;
        }
        if Instant::now() >= deadline {
            kill(child);
            panic!("child scenario {scenario} closed its stdout but did not exit");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
