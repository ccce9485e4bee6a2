//! Daemon semantics at exit, after CPython's test_threading (`test_daemon_threads`,
//! `test_join_nondaemon_on_shutdown`, `test_1_join_on_shutdown`...), checked in real
//! child processes: each `scenario_*` test runs only when `common::run_child`
//! starts this binary again to run it; the test that follows it reads what it did.
//! Plus `shutdown`/`shutdown_timeout` in process.

mod common;

use std::time::Duration;

use common::{is_child, run_child, wait_for_parent, watchdog};
use weftkit_testkit::GENEROUS;
use weftkit_thread::{Thread, Timer, set_exit_deadline, shutdown, shutdown_timeout, sleep};

const LIBTEST_DONE: &str = "test result:";

/// Registers a function that prints `marker` when `exit` runs `atexit` functions.
/// Registered after weft's own hook, it runs before it (they run in reverse order),
/// so the parent sees the marker once the exit has begun and weft is about to wait.
#[cfg(unix)]
fn print_when_exit_begins() {
    extern "C" fn marker() {
        println!("marker: exit has begun");
    }
    // SAFETY: `marker` is a function item that lives for the whole program, which is
    // all `atexit` requires of its argument.
    let registered = unsafe { libc::atexit(marker) };
    assert_eq!(registered, 0, "atexit refused the marker");
}

#[test]
#[ignore = "a child scenario, run by nondaemon_thread_outlives_main"]
fn scenario_nondaemon_thread() {
    if !is_child("scenario_nondaemon_thread") {
        return;
    }
    Thread::new(|| {
        wait_for_parent();
        println!("worker: still running after main returned");
    })
    .name("late-writer")
    .start()
    .unwrap();
    println!("main: returning");
}

#[test]
fn nondaemon_thread_outlives_main() {
    watchdog(|| {
        let out = run_child("scenario_nondaemon_thread", Some(LIBTEST_DONE));
        out.check(out.status.success(), "the child should exit cleanly");
        let done = out.line(LIBTEST_DONE);
        let late = out.line("worker: still running after main returned");
        out.check(
            done.is_some() && late > done,
            "the worker's line must come after main returned (after libtest's result)",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by daemon_threads_are_abandoned"]
fn scenario_daemon_thread() {
    if !is_child("scenario_daemon_thread") {
        return;
    }
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    Thread::new(move || {
        // A thread started by a daemon thread is a daemon too (inherited).
        let inner = Thread::new(|| {
            wait_for_parent();
            println!("inherited daemon: printed after main");
        })
        .start()
        .unwrap();
        assert!(inner.is_daemon());
        started_tx.send(()).unwrap();
        wait_for_parent(); // the parent never closes stdin: this never returns
        println!("daemon: printed after main");
    })
    .daemon(true)
    .start()
    .unwrap();
    started_rx.recv().unwrap();
    println!("main: returning");
}

#[test]
fn daemon_threads_are_abandoned() {
    watchdog(|| {
        // stdin stays open: if the exit waited for either daemon, this would hang.
        let out = run_child("scenario_daemon_thread", None);
        out.check(out.status.success(), "the child should exit cleanly");
        out.check(out.line("main: returning").is_some(), "main ran");
        out.check(
            out.line("printed after main").is_none(),
            "no daemon thread may outlive the exit",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by exit_waits_for_threads_started_by_other_threads"]
fn scenario_nested_threads() {
    if !is_child("scenario_nested_threads") {
        return;
    }
    // A non-daemon thread that starts another and returns at once.
    Thread::new(|| {
        Thread::new(|| {
            wait_for_parent();
            println!("grandchild: finished after main");
        })
        .start()
        .unwrap();
    })
    .start()
    .unwrap();
    // A daemon thread that starts an explicitly non-daemon one. Nothing waits for
    // the daemon, so main waits until it has started its child (else the exit could
    // come first, and then the child is never started: the same race as in Python).
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    Thread::new(move || {
        Thread::new(|| {
            wait_for_parent();
            println!("non-daemon child of a daemon: finished after main");
        })
        .daemon(false)
        .start()
        .unwrap();
        started_tx.send(()).unwrap();
    })
    .daemon(true)
    .start()
    .unwrap();
    started_rx.recv().unwrap();
    println!("main: returning");
}

#[test]
fn exit_waits_for_threads_started_by_other_threads() {
    watchdog(|| {
        let out = run_child("scenario_nested_threads", Some(LIBTEST_DONE));
        out.check(out.status.success(), "the child should exit cleanly");
        let done = out.line(LIBTEST_DONE);
        out.check(
            done.is_some() && out.line("grandchild: finished after main") > done,
            "a non-daemon thread started by a thread must be waited for",
        );
        out.check(
            out.line("non-daemon child of a daemon: finished after main") > done,
            "a non-daemon thread started by a daemon thread must be waited for",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by exit_waits_for_a_thread_that_is_inside_shutdown"]
fn scenario_shutdown_in_a_thread() {
    if !is_child("scenario_shutdown_in_a_thread") {
        return;
    }
    Thread::new(|| {
        Thread::new(|| {
            wait_for_parent();
            println!("worker: finished");
        })
        .start()
        .unwrap();
        shutdown(); // waits for the worker
        println!("coordinator: finished after its shutdown returned");
    })
    .name("coordinator")
    .start()
    .unwrap();
    println!("main: returning");
}

/// A non-daemon thread waiting in `shutdown()` goes on running when it returns, so
/// the exit must not take "waiting in shutdown" for "done".
#[test]
fn exit_waits_for_a_thread_that_is_inside_shutdown() {
    watchdog(|| {
        let out = run_child("scenario_shutdown_in_a_thread", Some(LIBTEST_DONE));
        out.check(out.status.success(), "the child should exit cleanly");
        let worker = out.line("worker: finished");
        out.check(
            worker > out.line(LIBTEST_DONE)
                && out.line("coordinator: finished after its shutdown returned") > worker,
            "the coordinator's work after shutdown() must not be cut off by the exit",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by process_exit_waits_for_nondaemon_threads"]
fn scenario_process_exit() {
    if !is_child("scenario_process_exit") {
        return;
    }
    Thread::new(|| {
        wait_for_parent();
        println!("worker: finished during exit");
    })
    .start()
    .unwrap();
    #[cfg(unix)]
    print_when_exit_begins();
    std::process::exit(7);
}

#[cfg(unix)]
#[test]
fn process_exit_waits_for_nondaemon_threads() {
    watchdog(|| {
        let out = run_child("scenario_process_exit", Some("marker: exit has begun"));
        out.check(out.status.code() == Some(7), "the exit code is kept");
        let begun = out.line("marker: exit has begun");
        out.check(
            begun.is_some() && out.line("worker: finished during exit") > begun,
            "process::exit must wait for the non-daemon worker",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by the_exit_wait_works_after_thread_locals_are_gone"]
fn scenario_exit_after_a_wait() {
    if !is_child("scenario_exit_after_a_wait") {
        return;
    }
    // A timed wait parks this thread, which caches its waiter in a thread-local.
    // `exit` destroys this thread's thread-locals before it runs the `atexit` hook,
    // which then parks again on this same thread.
    assert!(!weftkit_sync::Event::new().wait_timeout(Duration::from_millis(1)));
    Thread::new(|| {
        std::thread::sleep(Duration::from_millis(300));
        println!("worker: finished during exit");
    })
    .start()
    .unwrap();
    #[cfg(unix)]
    print_when_exit_begins();
    std::process::exit(0);
}

#[cfg(unix)]
#[test]
fn the_exit_wait_works_after_thread_locals_are_gone() {
    watchdog(|| {
        let out = run_child("scenario_exit_after_a_wait", Some("marker: exit has begun"));
        out.check(out.status.success(), "the exit wait must not panic");
        let begun = out.line("marker: exit has begun");
        out.check(
            begun.is_some() && out.line("worker: finished during exit") > begun,
            "process::exit must wait for the non-daemon worker",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by a_failing_main_still_waits_and_keeps_its_exit_code"]
fn scenario_failing_main() {
    if !is_child("scenario_failing_main") {
        return;
    }
    Thread::new(|| {
        wait_for_parent();
        // Not a timing assertion: the pause only makes it near-certain that the exit
        // hook has parked by now, which is the path this scenario exercises.
        std::thread::sleep(Duration::from_millis(100));
        println!("worker: finished after the failure");
    })
    .start()
    .unwrap();
    panic!("main fails");
}

/// libtest turns a failed test into `exit(101)`, as the Rust runtime turns a panic
/// in `main` into `exit(101)`: the wait must happen and the code must stay 101.
#[test]
fn a_failing_main_still_waits_and_keeps_its_exit_code() {
    watchdog(|| {
        let out = run_child("scenario_failing_main", Some(LIBTEST_DONE));
        out.check(out.status.code() == Some(101), "the failure's exit code");
        let done = out.line(LIBTEST_DONE);
        out.check(
            done.is_some() && out.line("worker: finished after the failure") > done,
            "the non-daemon worker must be waited for after a failure too",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by exit_from_a_thread_does_not_wait_for_itself"]
fn scenario_exit_from_thread() {
    if !is_child("scenario_exit_from_thread") {
        return;
    }
    Thread::new(|| {
        wait_for_parent();
        println!("other worker: finished");
    })
    .name("other")
    .start()
    .unwrap();
    Thread::new(|| {
        #[cfg(unix)]
        print_when_exit_begins();
        println!("exiter: calling exit");
        std::process::exit(3);
    })
    .name("exiter")
    .start()
    .unwrap();
    // Stay out of the way: the exiter ends the process.
    loop {
        std::thread::park();
    }
}

#[test]
fn exit_from_a_thread_does_not_wait_for_itself() {
    watchdog(|| {
        // Released once the exit has begun (where there is a marker), so the other
        // worker can only finish if the exit really waits for it.
        let release = if cfg!(unix) {
            "marker: exit has begun"
        } else {
            "exiter: calling exit"
        };
        let out = run_child("scenario_exit_from_thread", Some(release));
        out.check(
            out.status.code() == Some(3),
            "the exit code of the exiting thread",
        );
        out.check(
            out.line("other worker: finished") > out.line(release),
            "the other non-daemon thread must be waited for",
        );
    });
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "a child scenario, run by a_second_exit_from_a_waited_for_thread_needs_the_deadline"]
fn scenario_second_exit() {
    if !is_child("scenario_second_exit") {
        return;
    }
    set_exit_deadline(Some(Duration::from_millis(100)));
    Thread::new(|| {
        wait_for_parent(); // until the exit (main returning) has begun
        println!("late exiter: calling exit(5)");
        std::process::exit(5);
    })
    .name("late-exiter")
    .start()
    .unwrap();
    print_when_exit_begins();
    println!("main: returning");
}

/// The documented limit: std parks a second caller of `exit` for ever, so the first
/// exit, waiting for that non-daemon thread, is ended only by the deadline; the
/// first exit's code stands.
#[cfg(target_os = "linux")]
#[test]
fn a_second_exit_from_a_waited_for_thread_needs_the_deadline() {
    watchdog(|| {
        let out = run_child("scenario_second_exit", Some("marker: exit has begun"));
        out.check(
            out.line("late exiter: calling exit(5)") > out.line("marker: exit has begun"),
            "the thread called exit after the exit had begun",
        );
        out.check(
            out.status.code() == Some(0),
            "main's exit code stands, not the late exit's",
        );
        out.check(
            out.stderr.contains("abandoning") && out.stderr.contains("thread 'late-exiter'"),
            "the deadline ended the wait for the parked thread",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by the_exit_deadline_abandons_stuck_threads"]
fn scenario_exit_deadline() {
    if !is_child("scenario_exit_deadline") {
        return;
    }
    set_exit_deadline(Some(Duration::from_millis(100)));
    Thread::new(|| {
        wait_for_parent(); // never released
        println!("stuck: released");
    })
    .name("stuck-worker")
    .start()
    .unwrap();
    println!("main: returning");
}

#[test]
fn the_exit_deadline_abandons_stuck_threads() {
    watchdog(|| {
        let out = run_child("scenario_exit_deadline", None);
        out.check(out.status.success(), "the child should exit cleanly");
        out.check(out.line("stuck: released").is_none(), "nothing released it");
        out.check(
            out.stderr.contains("exit deadline")
                && out.stderr.contains("abandoning")
                && out.stderr.contains("thread 'stuck-worker'"),
            "stderr must name the abandoned thread",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by nondaemon_timers_are_waited_for_and_daemon_timers_are_not"]
fn scenario_timers() {
    if !is_child("scenario_timers") {
        return;
    }
    let _running = Timer::after(Duration::ZERO, || {
        wait_for_parent();
        println!("non-daemon timer: finished after main");
    })
    .daemon(false)
    .start()
    .unwrap();
    let _pending = Timer::after(Duration::from_millis(100), || {
        println!("pending non-daemon timer: fired");
    })
    .daemon(false)
    .start()
    .unwrap();
    let _daemon = Timer::after(Duration::from_secs(3600), || {
        println!("abandoned timer: fired");
    })
    .daemon(true)
    .start()
    .unwrap();
    println!("main: returning");
}

#[test]
fn nondaemon_timers_are_waited_for_and_daemon_timers_are_not() {
    watchdog(|| {
        let out = run_child("scenario_timers", Some(LIBTEST_DONE));
        out.check(out.status.success(), "the child should exit cleanly");
        let done = out.line(LIBTEST_DONE);
        out.check(
            done.is_some() && out.line("non-daemon timer: finished after main") > done,
            "a running non-daemon timer must be waited for",
        );
        out.check(
            out.line("pending non-daemon timer: fired").is_some(),
            "a pending non-daemon timer must fire before the exit",
        );
        out.check(
            out.line("abandoned timer: fired").is_none(),
            "a daemon timer is abandoned",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by a_default_timer_is_waited_for_like_pythons"]
fn scenario_default_timer() {
    if !is_child("scenario_default_timer") {
        return;
    }
    // No `.daemon(..)`: Python's `Timer(0.1, f).start()` then the end of the script.
    let _pending = Timer::after(Duration::from_millis(100), || {
        println!("default timer: fired");
    })
    .start()
    .unwrap();
    // A cancelled one is not waited for (it would hold the exit for an hour).
    let cancelled = Timer::after(Duration::from_secs(3600), || {
        println!("cancelled timer: fired");
    })
    .start()
    .unwrap();
    assert!(cancelled.cancel());
    println!("main: returning");
}

/// Python's `Timer` is non-daemon: a script that starts one and ends is waited for
/// until the timer has fired. A cancelled timer does not hold the exit (a hang here
/// would be the watchdog's failure).
#[test]
fn a_default_timer_is_waited_for_like_pythons() {
    watchdog(|| {
        let out = run_child("scenario_default_timer", Some(LIBTEST_DONE));
        out.check(out.status.success(), "the child should exit cleanly");
        out.check(
            out.line("default timer: fired").is_some(),
            "a pending one-shot timer is non-daemon by default and fires before the exit",
        );
        out.check(
            out.line("cancelled timer: fired").is_none(),
            "a cancelled timer never fires",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by the_default_excepthook_prints_like_python"]
fn scenario_default_excepthook() {
    if !is_child("scenario_default_excepthook") {
        return;
    }
    let failed = Thread::new(|| panic!("kaboom"))
        .name("boomer")
        .start()
        .unwrap()
        .join();
    assert!(failed.is_err());
    // A thread weft did not start keeps std's panic message.
    assert!(
        std::thread::spawn(|| panic!("plain std panic"))
            .join()
            .is_err()
    );
}

#[test]
fn the_default_excepthook_prints_like_python() {
    watchdog(|| {
        let out = run_child("scenario_default_excepthook", None);
        out.check(out.status.success(), "the child should exit cleanly");
        out.check(
            out.stderr.contains("Exception in thread boomer: kaboom"),
            "Python's report line",
        );
        out.check(
            out.stderr.contains("panicked at") && out.stderr.contains("exit.rs"),
            "where it panicked",
        );
        out.check(
            !out.stderr.contains("thread 'boomer'"),
            "std's own message for the weft thread is not printed twice",
        );
        out.check(
            out.stderr.contains("plain std panic"),
            "other threads' panics still go to std's hook",
        );
    });
}

#[test]
#[ignore = "a child scenario, run by a_panicking_excepthook_is_itself_reported"]
fn scenario_panicking_excepthook() {
    if !is_child("scenario_panicking_excepthook") {
        return;
    }
    weftkit_thread::set_excepthook(|args| panic!("the hook failed on '{}'", args.message()));
    // A timer callback runs inside a runner thread's own report scope: the hook's
    // panic must be printed there too.
    Timer::after(Duration::ZERO, || panic!("tick failed"))
        .name("ticker")
        .start()
        .unwrap()
        .join()
        .unwrap();
    let failed = Thread::new(|| panic!("work failed"))
        .name("worker")
        .start()
        .unwrap()
        .join();
    assert!(failed.is_err());
}

/// Python reports an exception raised by `threading.excepthook` itself through
/// `sys.excepthook`; here the panic hook prints the hook's panic, then the default
/// report of the thread's panic follows.
#[test]
fn a_panicking_excepthook_is_itself_reported() {
    watchdog(|| {
        let out = run_child("scenario_panicking_excepthook", None);
        out.check(out.status.success(), "the child should exit cleanly");
        for (hook_panic, report) in [
            (
                "the hook failed on 'tick failed'",
                "Exception in thread ticker: tick failed",
            ),
            (
                "the hook failed on 'work failed'",
                "Exception in thread worker: work failed",
            ),
        ] {
            out.check(
                out.stderr.contains(hook_panic),
                "the hook's own panic is printed",
            );
            out.check(out.stderr.contains(report), "the default report follows");
        }
    });
}

#[test]
fn shutdown_returns_once_nondaemon_threads_finished() {
    watchdog(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let tx = tx.clone();
                Thread::new(move || {
                    sleep(Duration::from_millis(5 * i));
                    tx.send(i).unwrap();
                })
                .start()
                .unwrap()
            })
            .collect();
        shutdown();
        // Each thread had sent before it finished; shutdown waited for all of them.
        assert_eq!(rx.try_iter().count(), 4);
        assert!(handles.iter().all(|h| !h.is_alive()));
    });
}

#[test]
fn shutdown_timeout_reports_a_thread_still_running() {
    watchdog(|| {
        let stuck = Thread::new(|| sleep(Duration::from_secs(3600)))
            .name("stuck")
            .start()
            .unwrap();
        assert!(!shutdown_timeout(Duration::from_millis(10)));
        stuck.stop();
        stuck.join().unwrap();
        assert!(shutdown_timeout(GENEROUS));
    });
}

#[test]
fn shutdown_from_a_nondaemon_thread_does_not_wait_for_itself() {
    watchdog(|| {
        let handle = Thread::new(|| shutdown_timeout(GENEROUS)).start().unwrap();
        // Other tests' threads may be running, but this one never waits for itself.
        let _ = handle.join().unwrap();
        let handle = Thread::new(shutdown).start().unwrap();
        handle.join().unwrap();
    });
}

#[test]
fn daemon_threads_are_not_waited_for_by_shutdown() {
    watchdog(|| {
        let daemon = Thread::new(|| sleep(Duration::from_secs(3600)))
            .daemon(true)
            .start()
            .unwrap();
        shutdown();
        assert!(daemon.is_alive());
        daemon.stop();
        assert!(daemon.join().is_ok());
    });
}
