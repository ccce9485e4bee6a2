//! Behaviour of `Timer` and `TimerHandle`, after CPython's test_threading TimerTests
//! (`test_init_immutable_default_args`, cancel before it fires...). Checked by order
//! and counts, never by how long anything took.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::watchdog;
use weftkit_sync::Lock;
use weftkit_testkit::GENEROUS;
use weftkit_thread::{JoinError, Timer, TimerError, TimerHandle, current, enumerate, sleep};

/// Polls `condition` (with short sleeps) until it holds; fails after `GENEROUS`.
fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + GENEROUS;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn after_runs_its_callback_once() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel();
        let timer = Timer::after(Duration::from_millis(5), move || tx.send("fired").unwrap())
            .start()
            .unwrap();
        assert_eq!(rx.recv_timeout(GENEROUS).unwrap(), "fired");
        timer.join().unwrap();
        assert!(!timer.is_alive());
        assert!(rx.try_recv().is_err(), "exactly once");
        assert!(!timer.cancel(), "too late to cancel");
    });
}

#[test]
fn cancel_before_it_fires_means_it_never_runs() {
    watchdog(|| {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let timer = Timer::after(Duration::from_secs(3600), move || {
            flag.store(true, Ordering::SeqCst)
        })
        .daemon(true) // a failed assertion before the cancel must not hang the exit
        .start()
        .unwrap();
        assert!(timer.is_alive());
        assert!(timer.cancel());
        assert!(!timer.is_alive());
        assert!(timer.wait_timeout(Duration::ZERO));
        timer.join().unwrap();
        assert!(!timer.cancel(), "a second cancel prevents nothing");
        assert!(!ran.load(Ordering::SeqCst));
    });
}

/// T1 under real contention: for each of many timers due around the moment they are
/// cancelled, the callback ran if and only if `cancel` returned `false`.
#[test]
fn the_callback_runs_iff_cancel_returned_false() {
    watchdog(|| {
        let runs: Vec<Arc<AtomicUsize>> = (0..200).map(|_| Arc::new(AtomicUsize::new(0))).collect();
        let timers: Vec<TimerHandle> = runs
            .iter()
            .enumerate()
            .map(|(i, count)| {
                let count = Arc::clone(count);
                Timer::after(Duration::from_micros(i as u64 * 10), move || {
                    count.fetch_add(1, Ordering::SeqCst);
                })
                .start()
                .unwrap()
            })
            .collect();
        let cancelled: Vec<bool> = timers.iter().map(TimerHandle::cancel).collect();
        for timer in &timers {
            timer.join().unwrap();
        }
        // Give a wrongly scheduled run every chance to show up.
        sleep(Duration::from_millis(20));
        for (i, (count, cancelled)) in runs.iter().zip(&cancelled).enumerate() {
            let ran = count.load(Ordering::SeqCst);
            assert_eq!(
                ran,
                usize::from(!cancelled),
                "timer {i}: cancelled={cancelled}, runs={ran}"
            );
        }
    });
}

/// Python's cancelled `Timer` lets go of its function when its thread ends, at
/// once; a cancelled timer here must not keep what its callback captured alive
/// until its due time comes up in the heap.
#[test]
fn cancel_lets_go_of_what_the_callback_captured() {
    watchdog(|| {
        let captured = Arc::new(());
        let held = Arc::clone(&captured);
        let once = Timer::after(Duration::from_secs(3600), move || drop(held))
            .daemon(true)
            .start()
            .unwrap();
        let held = Arc::clone(&captured);
        let every = Timer::every(Duration::from_secs(3600), move || {
            let _ = &held;
        })
        .start()
        .unwrap();
        assert_eq!(Arc::strong_count(&captured), 3);
        assert!(once.cancel() && every.cancel());
        assert_eq!(Arc::strong_count(&captured), 1, "cancelled while scheduled");

        // Cancelled while a run is in progress: freed by the time cancel returns.
        let (running_tx, running_rx) = mpsc::channel();
        let held = Arc::clone(&captured);
        let every = Timer::every(Duration::from_millis(1), move || {
            let _ = &held;
            let _ = running_tx.send(());
            sleep(Duration::MAX); // until cancel fires the timer's stop token
        })
        .start()
        .unwrap();
        running_rx.recv_timeout(GENEROUS).unwrap();
        assert!(every.cancel());
        assert_eq!(Arc::strong_count(&captured), 1, "cancelled while running");
    });
}

#[test]
fn every_runs_repeatedly_and_not_once_cancel_has_returned() {
    watchdog(|| {
        let count = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&count);
        let timer = Timer::every(Duration::from_millis(2), move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .start()
        .unwrap();
        eventually("three runs", || count.load(Ordering::SeqCst) >= 3);
        assert!(timer.cancel());
        let at_cancel = count.load(Ordering::SeqCst);
        sleep(Duration::from_millis(30)); // a dozen intervals
        assert_eq!(
            count.load(Ordering::SeqCst),
            at_cancel,
            "ran after cancel returned"
        );
        assert!(!timer.is_alive());
        timer.join().unwrap();
        assert!(!timer.cancel());
    });
}

#[test]
fn runs_of_an_every_timer_never_overlap_and_cancel_waits_for_the_running_one() {
    watchdog(|| {
        let inside = Arc::new(AtomicUsize::new(0));
        let most_inside = Arc::new(AtomicUsize::new(0));
        let runs = Arc::new(AtomicUsize::new(0));
        let (inside2, most2, runs2) = (
            Arc::clone(&inside),
            Arc::clone(&most_inside),
            Arc::clone(&runs),
        );
        let timer = Timer::every(Duration::from_millis(1), move || {
            let now = inside2.fetch_add(1, Ordering::SeqCst) + 1;
            most2.fetch_max(now, Ordering::SeqCst);
            // Overrun many intervals with a real (not stop-aware) sleep.
            std::thread::sleep(Duration::from_millis(5));
            runs2.fetch_add(1, Ordering::SeqCst);
            inside2.fetch_sub(1, Ordering::SeqCst);
        })
        .start()
        .unwrap();
        eventually("three runs", || runs.load(Ordering::SeqCst) >= 3);
        assert!(timer.cancel());
        assert_eq!(
            inside.load(Ordering::SeqCst),
            0,
            "a run was still going after cancel"
        );
        assert_eq!(
            most_inside.load(Ordering::SeqCst),
            1,
            "overrun ticks must be skipped, not overlapped"
        );
    });
}

#[test]
fn cancel_fires_the_stop_token_of_a_running_callback() {
    watchdog(|| {
        let (started_tx, started_rx) = mpsc::channel();
        let (slept_tx, slept_rx) = mpsc::channel();
        let timer = Timer::after(Duration::ZERO, move || {
            started_tx.send(()).unwrap();
            slept_tx.send(sleep(Duration::from_secs(3600))).unwrap();
        })
        .start()
        .unwrap();
        started_rx.recv_timeout(GENEROUS).unwrap();
        assert!(!timer.cancel(), "it was already running");
        // cancel waited for the callback, whose sleep the stop cut short.
        assert_eq!(slept_rx.try_recv(), Ok(false));
    });
}

#[test]
fn an_every_timer_can_cancel_itself_from_its_callback() {
    watchdog(|| {
        let slot: Arc<Lock<Option<TimerHandle>>> = Arc::new(Lock::new(None));
        let count = Arc::new(AtomicUsize::new(0));
        let (slot2, count2) = (Arc::clone(&slot), Arc::clone(&count));
        let (result_tx, result_rx) = mpsc::channel();
        // Hold the slot while starting: run 3 waits for the lock, so it finds the
        // handle there.
        let mut stored = slot.lock();
        let timer = Timer::every(Duration::from_millis(1), move || {
            if count2.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                let guard = slot2.lock();
                let own = guard.as_ref().expect("the handle was stored before run 3");
                result_tx.send((own.cancel(), own.join())).unwrap();
            }
        })
        .start()
        .unwrap();
        *stored = Some(timer);
        drop(stored);
        let (cancelled, joined) = result_rx.recv_timeout(GENEROUS).unwrap();
        assert!(cancelled, "the first cancel prevents later runs");
        assert!(matches!(joined, Err(JoinError::CurrentThread { .. })));
        let timer = slot.lock().take().unwrap();
        timer.join().unwrap();
        sleep(Duration::from_millis(10));
        assert_eq!(count.load(Ordering::SeqCst), 3);
    });
}

#[test]
fn callbacks_run_in_a_thread_named_after_the_timer_with_its_daemon_flag() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel();
        for (name, daemon) in [("flusher", true), ("final-flush", false)] {
            let tx = tx.clone();
            let timer = Timer::after(Duration::ZERO, move || {
                let me = current();
                tx.send((me.name().to_owned(), me.is_daemon())).unwrap();
            })
            .name(name)
            .daemon(daemon)
            .start()
            .unwrap();
            assert_eq!(timer.name(), name);
            assert_eq!(timer.is_daemon(), daemon);
            assert_eq!(
                rx.recv_timeout(GENEROUS).unwrap(),
                (name.to_owned(), daemon)
            );
            timer.join().unwrap();
        }
    });
}

#[test]
fn unnamed_timers_are_called_timer_n_and_one_shot_ones_are_non_daemon() {
    let timer = Timer::after(Duration::from_secs(3600), || ())
        .start()
        .unwrap();
    // Cancelled before any assertion: a pending non-daemon timer would hold the exit.
    let (name, daemon, cancelled) = (timer.name().to_owned(), timer.is_daemon(), timer.cancel());
    assert!(cancelled);
    assert!(name.starts_with("Timer-"));
    assert!(!daemon, "Python's default, in a non-daemon thread");
    let periodic = Timer::every(Duration::from_secs(3600), || ())
        .start()
        .unwrap();
    assert!(
        periodic.is_daemon(),
        "a periodic timer never ends by itself"
    );
    assert!(periodic.cancel());
}

#[test]
fn timers_are_dispatched_in_due_order() {
    watchdog(|| {
        // Started in reverse order of due time, 50 ms apart; the shared thread is
        // started first so that no start has to spawn it. Each callback records the
        // ident of the thread that ran it: runner threads are started one after
        // another in dispatch order, so their idents give that order, however the OS
        // schedules them afterwards.
        //
        // Each timer's due time lies between `before + delay` and `after + delay`
        // around its `start`. On a loaded machine a start can be delayed past the
        // gap, so only timers whose windows do not overlap have a due order to
        // check; normally none overlap and the whole order is checked.
        Timer::after(Duration::ZERO, || ())
            .start()
            .unwrap()
            .join()
            .unwrap();
        let seen = Arc::new(Lock::new(Vec::new()));
        let mut due = std::collections::HashMap::new();
        let timers: Vec<_> = [150u64, 100, 50, 0]
            .into_iter()
            .map(|ms| {
                let seen = Arc::clone(&seen);
                let delay = Duration::from_millis(ms);
                let before = Instant::now();
                let timer = Timer::after(delay, move || {
                    seen.lock().push((current().ident(), ms));
                })
                .start()
                .unwrap();
                due.insert(ms, (before + delay, Instant::now() + delay));
                timer
            })
            .collect();
        for timer in &timers {
            timer.join().unwrap();
        }
        let mut seen = seen.lock().clone();
        seen.sort_unstable();
        let order: Vec<u64> = seen.into_iter().map(|(_, ms)| ms).collect();
        assert_eq!(order.len(), 4, "each timer ran once: {order:?}");
        for (i, earlier) in order.iter().enumerate() {
            for later in &order[i + 1..] {
                let (earliest_due_of_earlier, _) = due[earlier];
                let (_, latest_due_of_later) = due[later];
                assert!(
                    latest_due_of_later >= earliest_due_of_earlier,
                    "timer {later} ms was due before timer {earlier} ms but ran after it: {order:?}"
                );
            }
        }
    });
}

#[test]
fn a_thousand_pending_timers_share_one_thread() {
    watchdog(|| {
        let timers: Vec<_> = (0..1000)
            .map(|i| {
                Timer::after(Duration::from_secs(3600 + i), || ())
                    .daemon(true)
                    .start()
                    .unwrap()
            })
            .collect();
        // One dispatcher serves them all (two for an instant at most, if an idle one
        // was just leaving when a new one started).
        let dispatchers = enumerate()
            .iter()
            .filter(|t| t.name() == "weft-timer")
            .count();
        assert!(
            (1..=2).contains(&dispatchers),
            "{dispatchers} timer threads"
        );
        assert!(enumerate().len() < 500, "no thread per pending timer");
        assert!(timers.iter().all(TimerHandle::cancel));
    });
}

#[test]
fn a_zero_interval_every_timer_is_refused() {
    let err = Timer::every(Duration::ZERO, || ()).start().unwrap_err();
    assert!(matches!(err, TimerError::ZeroInterval));
    assert!(err.to_string().contains("non-zero interval"));
}

#[test]
fn a_due_time_beyond_representation_never_fires() {
    watchdog(|| {
        // A daemon: if an assertion below failed before the cancel, the test binary's
        // exit must not wait for a timer that never fires.
        let timer = Timer::after(Duration::MAX, || unreachable!())
            .daemon(true)
            .start()
            .unwrap();
        assert!(timer.is_alive());
        assert!(!timer.wait_timeout(Duration::from_millis(1)));
        assert!(timer.cancel());
    });
}

/// As in Python, a one-shot timer inherits its creator's daemon flag: made in a daemon
/// weft thread (a pool worker, say) it is a daemon.
#[test]
fn a_timer_made_in_a_daemon_thread_is_a_daemon() {
    watchdog(|| {
        let daemon = weftkit_thread::Thread::new(|| {
            let timer = Timer::after(Duration::from_secs(3600), || ())
                .start()
                .unwrap();
            let daemon = timer.is_daemon();
            assert!(timer.cancel());
            daemon
        })
        .daemon(true)
        .start()
        .unwrap()
        .join()
        .unwrap();
        assert!(daemon);
    });
}
