//! A small runner for test binaries with `harness = false` (their `main` must call
//! `weftkit::process::init()` first), plus checks that a finished test left no child
//! process and no file descriptor behind.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// A named test case.
pub(crate) type Case = (&'static str, fn());

/// Runs every case whose name contains the first command-line argument (if any), one
/// at a time, each under the watchdog, then checks for leaks. Exits non-zero if any
/// failed, after a closing `N passed, N failed` line.
pub(crate) fn run(cases: &[Case]) {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let fds_before = open_fds();
        let case = *case;
        let outcome = std::panic::catch_unwind(|| weftkit_testkit::watchdog(case))
            .map_err(|_| "panicked".to_owned())
            .and_then(|()| no_children_left())
            .and_then(|()| no_fds_leaked(&fds_before));
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED: {why}");
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// The file descriptors open in this process now.
pub(crate) fn open_fds() -> BTreeSet<String> {
    std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn no_fds_leaked(before: &BTreeSet<String>) -> Result<(), String> {
    // The read_dir of the check itself opens one descriptor while it runs, and
    // closes it: compare what is open before and after, outside of it.
    let after = open_fds();
    let leaked: Vec<_> = after.difference(before).collect();
    if leaked.len() <= 1 && after.len() <= before.len() {
        Ok(())
    } else {
        Err(format!("file descriptors leaked: {leaked:?}"))
    }
}

/// The children of this process still listed in /proc (alive, or zombies nobody reaped).
fn no_children_left() -> Result<(), String> {
    let children = children_of(std::process::id());
    if children.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "child processes left behind (pid, state): {children:?}"
        ))
    }
}

/// `(pid, state)` of every process whose parent is `parent`.
pub(crate) fn children_of(parent: u32) -> Vec<(u32, char)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Some((state, ppid)) = stat(pid)
            && ppid == parent
        {
            found.push((pid, state));
        }
    }
    found
}

/// `(state, parent pid)` of `pid`, from /proc/<pid>/stat.
pub(crate) fn stat(pid: u32) -> Option<(char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Whether `pid` has exited (gone, or a zombie waiting for whoever adopted it).
pub(crate) fn is_dead(pid: u32) -> bool {
    stat(pid).is_none_or(|(state, _)| state == 'Z' || state == 'X')
}

/// Polls `condition` until it holds, failing after `weftkit_testkit::GENEROUS`.
pub(crate) fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + weftkit_testkit::GENEROUS;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A fresh path in the temp dir for a marker file, removed if it exists.
pub(crate) fn marker(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("weftkit-process-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Appends `line` and a newline to the file at `path` (made if missing): how a task
/// in a worker leaves a trace the test can read.
pub(crate) fn note(path: impl AsRef<std::path::Path>, line: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(file, "{line}").unwrap();
}

/// Sends `signal` to `pid`.
pub(crate) fn kill(pid: u32, signal: i32) {
    // SAFETY: `kill` takes a pid and a signal number and touches no memory.
    unsafe { libc::kill(pid as libc::pid_t, signal) };
}
