//! Behaviour of `Thread`, `Runnable` and `JoinHandle`, after CPython's
//! test_threading ThreadTests.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::watchdog;
use weftkit_sync::{Condition, StopToken, Stopped};
use weftkit_testkit::GENEROUS;
use weftkit_thread::{
    JoinError, Runnable, SpawnError, Thread, current, enumerate, is_stopped, sleep, stop_token,
};

/// A gate the test opens to let its threads finish.
fn gate() -> std::sync::Arc<Condition<bool>> {
    std::sync::Arc::new(Condition::new(false))
}

fn open(gate: &Condition<bool>) {
    let mut open = gate.lock();
    *open = true;
    open.notify_all();
}

fn wait_open(gate: &Condition<bool>) {
    gate.lock().wait_for(|open| *open);
}

#[test]
fn join_returns_what_the_thread_returned() {
    watchdog(|| {
        let handle = Thread::new(|| String::from("result")).start().unwrap();
        assert_eq!(handle.join().unwrap(), "result");
    });
}

#[test]
fn unnamed_threads_are_called_thread_n() {
    watchdog(|| {
        let handle = Thread::new(|| ()).start().unwrap();
        let number = handle.name().strip_prefix("Thread-").expect("Thread-N");
        assert!(number.parse::<u64>().is_ok(), "{}", handle.name());
        handle.join().unwrap();
    });
}

#[test]
fn a_given_name_is_kept_even_with_odd_characters() {
    watchdog(|| {
        for name in [
            "worker",
            "a\0b",
            "a name much longer than the fifteen bytes Linux keeps",
        ] {
            let handle = Thread::new(|| current().name().to_owned())
                .name(name)
                .start()
                .unwrap();
            assert_eq!(handle.name(), name);
            assert_eq!(handle.join().unwrap(), name);
        }
    });
}

struct Counter {
    rounds: u32,
}

impl Runnable for Counter {
    type Output = (u32, bool);

    fn run(&mut self, stop: &StopToken) -> (u32, bool) {
        while !stop.wait_timeout(Duration::from_millis(1)) {
            self.rounds += 1;
        }
        (self.rounds, is_stopped())
    }
}

#[test]
fn a_runnable_runs_with_its_threads_stop_token() {
    watchdog(|| {
        let handle = Thread::from_runnable(Counter { rounds: 0 })
            .start()
            .unwrap();
        assert!(handle.name().ends_with(" (Counter)"), "{}", handle.name());
        handle.stop();
        let (_rounds, saw_stop) = handle.join().unwrap();
        assert!(saw_stop, "the token run() got is the thread's own");
    });
}

#[test]
fn a_named_runnable_keeps_its_name() {
    watchdog(|| {
        let handle = Thread::from_runnable(Counter { rounds: 0 })
            .name("counter")
            .start()
            .unwrap();
        assert_eq!(handle.name(), "counter");
        handle.stop();
        handle.join().unwrap();
    });
}

#[test]
fn a_panic_comes_back_from_join_with_its_message_and_thread_name() {
    watchdog(|| {
        let handle = Thread::new(|| -> u8 { panic!("bad input {}", 42) })
            .name("parser")
            .start()
            .unwrap();
        let err = handle.join().unwrap_err();
        let panicked = err.panicked().expect("a panic");
        assert_eq!(panicked.message(), "bad input 42");
        assert_eq!(panicked.thread_name(), "parser");
        assert!(
            panicked
                .location()
                .is_some_and(|at| at.contains("thread.rs"))
        );
        assert!(err.to_string().contains("parser") && err.to_string().contains("bad input 42"));
    });
}

#[test]
fn joining_the_current_thread_is_an_error() {
    // CPython: test_joining_current_thread (RuntimeError there).
    watchdog(|| {
        let (handle_tx, handle_rx) = mpsc::channel::<weftkit_thread::JoinHandle<()>>();
        let (result_tx, result_rx) = mpsc::channel();
        let handle = Thread::new(move || {
            let own = handle_rx.recv().unwrap();
            result_tx.send(own.join()).unwrap();
        })
        .name("self-joiner")
        .start()
        .unwrap();
        handle_tx.send(handle).unwrap();
        let result = result_rx.recv_timeout(GENEROUS).unwrap();
        assert_eq!(
            result,
            Err(JoinError::CurrentThread {
                name: "self-joiner".into()
            })
        );
    });
}

#[test]
fn an_os_refusal_is_an_error_value_not_a_panic() {
    watchdog(|| {
        // A stack larger than the address space: the OS must refuse it.
        if usize::BITS < 64 {
            return; // a quarter of a 32-bit address space might be granted
        }
        let refused = Thread::new(|| ())
            .name("too-big")
            .stack_size(1 << (usize::BITS - 2))
            .start();
        match refused {
            Err(SpawnError::Os { name, source }) => {
                assert_eq!(name, "too-big");
                assert!(!source.to_string().is_empty());
            }
            other => panic!("expected SpawnError::Os, got {other:?}"),
        }
        // The refused thread left no trace.
        assert!(enumerate().iter().all(|t| t.name() != "too-big"));
    });
}

#[test]
fn is_alive_and_wait_timeout_follow_the_thread() {
    watchdog(|| {
        let gate = gate();
        let inner = std::sync::Arc::clone(&gate);
        let handle = Thread::new(move || wait_open(&inner)).start().unwrap();
        assert!(handle.is_alive());
        assert!(!handle.wait_timeout(Duration::from_millis(1)));
        assert!(!handle.wait_timeout(Duration::ZERO));
        open(&gate);
        assert!(handle.wait_timeout(GENEROUS));
        assert!(!handle.is_alive());
        // wait_timeout did not consume the handle.
        handle.join().unwrap();
    });
}

#[test]
fn idents_are_unique_and_native_ids_are_the_os_ids() {
    watchdog(|| {
        let gate = gate();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let gate = std::sync::Arc::clone(&gate);
                Thread::new(move || {
                    let seen = current().native_id();
                    wait_open(&gate);
                    seen
                })
                .start()
                .unwrap()
            })
            .collect();
        let mut idents: Vec<_> = handles.iter().map(|h| h.ident()).collect();
        idents.sort_unstable();
        idents.dedup();
        assert_eq!(idents.len(), 8);
        // All eight are alive at once, so their OS ids are distinct too.
        let mut natives: Vec<_> = handles.iter().map(|h| h.native_id()).collect();
        if cfg!(target_os = "linux") {
            assert!(natives.iter().all(Option::is_some));
            natives.sort_unstable();
            natives.dedup();
            assert_eq!(natives.len(), 8);
        }
        open(&gate);
        for handle in handles {
            let expected = handle.native_id();
            assert_eq!(handle.join().unwrap(), expected);
        }
    });
}

#[test]
fn daemon_defaults_to_false_and_is_inherited_from_a_daemon_thread() {
    // CPython: test_daemon_param and the daemon inheritance rule.
    watchdog(|| {
        let plain = Thread::new(|| ()).start().unwrap();
        assert!(!plain.is_daemon());
        let parent = Thread::new(|| {
            let inherited = Thread::new(|| current().is_daemon()).start().unwrap();
            let overridden = Thread::new(|| current().is_daemon())
                .daemon(false)
                .start()
                .unwrap();
            (
                inherited.is_daemon(),
                inherited.join().unwrap(),
                overridden.join().unwrap(),
            )
        })
        .daemon(true)
        .start()
        .unwrap();
        assert!(parent.is_daemon());
        assert_eq!(parent.join().unwrap(), (true, true, false));
        let from_nondaemon = Thread::new(|| Thread::new(|| ()).start().unwrap().is_daemon())
            .start()
            .unwrap();
        assert!(!from_nondaemon.join().unwrap());
        plain.join().unwrap();
    });
}

#[test]
fn stop_wakes_a_sleeping_thread() {
    watchdog(|| {
        let handle = Thread::new(|| sleep(Duration::from_secs(3600)))
            .start()
            .unwrap();
        handle.stop();
        assert!(!handle.join().unwrap(), "the sleep was cut short");
    });
}

#[test]
fn stop_wakes_a_stop_aware_wait_on_a_condition() {
    watchdog(|| {
        let handle = Thread::new(|| {
            let never = Condition::new(false);
            never.lock().wait_for_stoppable(|set| *set, &stop_token())
        })
        .start()
        .unwrap();
        handle.stop();
        assert_eq!(handle.join().unwrap(), Err(Stopped));
    });
}

#[test]
fn a_stop_before_the_body_runs_is_seen_by_it() {
    watchdog(|| {
        for _ in 0..20 {
            let handle = Thread::new(|| (is_stopped(), sleep(Duration::MAX)))
                .start()
                .unwrap();
            handle.stop();
            let (_maybe_early, slept_fully) = handle.join().unwrap();
            assert!(!slept_fully, "a sleep after the stop returns false");
        }
    });
}

#[test]
fn the_stop_token_can_be_shared_by_a_group() {
    watchdog(|| {
        let group = StopToken::new();
        let handles: Vec<_> = (0..3)
            .map(|_| {
                Thread::new(|| sleep(Duration::from_secs(3600)))
                    .stop_token(group.clone())
                    .start()
                    .unwrap()
            })
            .collect();
        assert!(!handles[0].stop_token().is_stopped());
        handles[1].stop(); // stopping one stops the group
        assert!(group.is_stopped());
        for handle in handles {
            assert!(!handle.join().unwrap());
        }
    });
}

#[test]
fn dropping_the_handle_detaches_the_thread() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel();
        drop(
            Thread::new(move || {
                sleep(Duration::from_millis(5));
                tx.send("still ran").unwrap();
            })
            .start()
            .unwrap(),
        );
        assert_eq!(rx.recv_timeout(GENEROUS).unwrap(), "still ran");
    });
}

#[test]
fn handle_info_is_what_the_thread_sees_as_current() {
    watchdog(|| {
        let handle = Thread::new(current).name("seen").start().unwrap();
        let info = handle.info();
        let seen = handle.join().unwrap();
        assert_eq!(seen, info);
        assert_eq!(seen.name(), "seen");
        assert!(!seen.is_dummy() && !seen.is_main());
    });
}
