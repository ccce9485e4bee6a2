//! Behaviour of `Barrier`, after CPython's test_threading BarrierTests, plus
//! `wait_stoppable`, `withdraw` and a panicking action.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use proptest::prelude::*;
use weftkit_sync::{Barrier, BarrierError, ConfigError, StopToken};
use weftkit_testkit::{GENEROUS, watchdog};

/// Spins (yielding) until `n` parties wait in the current cycle.
fn until_waiting(barrier: &Barrier, n: usize) {
    while barrier.n_waiting() != n {
        std::thread::yield_now();
    }
}

/// Runs `threads` threads, each calling `body(thread number)`; returns their results.
fn run_threads<R: Send>(threads: usize, body: impl Fn(usize) -> R + Sync) -> Vec<R> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let body = &body;
                s.spawn(move || body(t))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn sorted(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v
}

#[test]
fn barrier_and_errors_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Barrier>();
    send_sync::<BarrierError>();
    send_sync::<ConfigError>();
}

#[test]
fn zero_parties_is_a_config_error() {
    assert_eq!(Barrier::new(0).err(), Some(ConfigError::ZeroParties));
}

#[test]
fn single_party_returns_index_zero_at_once_every_time() {
    let barrier = Barrier::new(1).unwrap();
    for _ in 0..5 {
        assert_eq!(barrier.wait(), Ok(0));
        assert_eq!(barrier.wait_timeout(Duration::ZERO), Ok(0));
    }
    assert!(!barrier.is_broken());
}

/// CPython `test_barrier`: several passes in a row; nobody leaves a pass before every
/// party has arrived in it.
#[test]
fn multiple_cycles_no_party_passes_early() {
    watchdog(|| {
        const N: usize = 5;
        const CYCLES: usize = 10;
        let barrier = Barrier::new(N).unwrap();
        let arrived: Vec<AtomicUsize> = (0..CYCLES).map(|_| AtomicUsize::new(0)).collect();
        run_threads(N, |_| {
            for (cycle, count) in arrived.iter().enumerate() {
                count.fetch_add(1, Ordering::SeqCst);
                barrier.wait().unwrap();
                assert_eq!(count.load(Ordering::SeqCst), N, "released early in {cycle}");
            }
        });
        assert!(!barrier.is_broken());
    });
}

/// CPython `test_wait_return`: the indices of one cycle are 0..parties, each once.
#[test]
fn indices_per_cycle_are_a_permutation() {
    watchdog(|| {
        const N: usize = 4;
        const CYCLES: usize = 6;
        let barrier = Barrier::new(N).unwrap();
        let per_thread = run_threads(N, |_| {
            (0..CYCLES)
                .map(|_| barrier.wait().unwrap())
                .collect::<Vec<_>>()
        });
        for cycle in 0..CYCLES {
            let indices = per_thread.iter().map(|v| v[cycle]).collect();
            assert_eq!(sorted(indices), (0..N).collect::<Vec<_>>());
        }
    });
}

/// Arrival order: the first to arrive gets 0, the one completing the cycle parties - 1.
#[test]
fn index_is_arrival_order() {
    watchdog(|| {
        let barrier = Barrier::new(3).unwrap();
        std::thread::scope(|s| {
            let first = s.spawn(|| barrier.wait());
            until_waiting(&barrier, 1);
            let second = s.spawn(|| barrier.wait());
            until_waiting(&barrier, 2);
            assert_eq!(barrier.wait(), Ok(2));
            assert_eq!(first.join().unwrap(), Ok(0));
            assert_eq!(second.join().unwrap(), Ok(1));
        });
    });
}

/// CPython `test_action`: the action runs once per cycle, after every party arrived
/// and before any is released.
#[test]
fn action_runs_once_per_cycle_before_release() {
    watchdog(|| {
        const N: usize = 4;
        const CYCLES: usize = 8;
        let arrivals = Arc::new(AtomicUsize::new(0));
        let runs = Arc::new(AtomicUsize::new(0));
        let barrier = {
            let (arrivals, runs) = (Arc::clone(&arrivals), Arc::clone(&runs));
            Barrier::new(N).unwrap().with_action(move || {
                let cycle = runs.load(Ordering::SeqCst);
                // A panic here would come back out of one party's `wait`.
                assert_eq!(arrivals.load(Ordering::SeqCst), N * (cycle + 1));
                runs.store(cycle + 1, Ordering::SeqCst);
            })
        };
        run_threads(N, |_| {
            for cycle in 0..CYCLES {
                arrivals.fetch_add(1, Ordering::SeqCst);
                barrier.wait().unwrap();
                // The next action needs every party back in `wait`, so this cannot
                // race it: exactly this cycle's action has run.
                assert_eq!(runs.load(Ordering::SeqCst), cycle + 1);
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), CYCLES);
    });
}

/// CPython `test_abort`: abort wakes the waiting parties with Broken, and later waits
/// fail at once.
#[test]
fn abort_wakes_waiters_with_broken() {
    watchdog(|| {
        const N: usize = 4;
        let barrier = Barrier::new(N).unwrap();
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..N - 1).map(|_| s.spawn(|| barrier.wait())).collect();
            until_waiting(&barrier, N - 1);
            barrier.abort();
            for w in waiters {
                assert_eq!(w.join().unwrap(), Err(BarrierError::Broken));
            }
        });
        assert!(barrier.is_broken());
        assert_eq!(barrier.n_waiting(), 0);
        assert_eq!(barrier.wait(), Err(BarrierError::Broken));
        assert_eq!(barrier.wait_timeout(GENEROUS), Err(BarrierError::Broken));
    });
}

/// CPython `test_abort_and_reset`: after abort, reset makes the barrier usable again.
#[test]
fn reset_after_abort_makes_it_usable_again() {
    watchdog(|| {
        const N: usize = 3;
        let barrier = Barrier::new(N).unwrap();
        barrier.abort();
        assert_eq!(barrier.wait(), Err(BarrierError::Broken));
        barrier.reset();
        assert!(!barrier.is_broken());
        for _ in 0..3 {
            let indices = run_threads(N, |_| barrier.wait().unwrap());
            assert_eq!(sorted(indices), [0, 1, 2]);
        }
    });
}

/// CPython `test_reset`: reset while parties wait gives them Broken; the barrier is
/// then empty and whole.
#[test]
fn reset_while_parties_wait_gives_them_broken() {
    watchdog(|| {
        const N: usize = 3;
        let barrier = Barrier::new(N).unwrap();
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..N - 1).map(|_| s.spawn(|| barrier.wait())).collect();
            until_waiting(&barrier, N - 1);
            barrier.reset();
            assert!(!barrier.is_broken());
            for w in waiters {
                assert_eq!(w.join().unwrap(), Err(BarrierError::Broken));
            }
        });
        assert_eq!(barrier.n_waiting(), 0);
        let indices = run_threads(N, |_| barrier.wait().unwrap());
        assert_eq!(sorted(indices), [0, 1, 2]);
    });
}

/// Parties of the cycle that reset broke, and a fresh cycle filling right after, do not
/// mix: the old ones get Broken, the new cycle completes.
#[test]
fn reset_then_a_new_cycle_at_once() {
    watchdog(|| {
        let barrier = Barrier::new(2).unwrap();
        std::thread::scope(|s| {
            let old = s.spawn(|| barrier.wait());
            until_waiting(&barrier, 1);
            barrier.reset();
            let new = s.spawn(|| barrier.wait());
            assert!(barrier.wait().is_ok());
            assert!(new.join().unwrap().is_ok());
            assert_eq!(old.join().unwrap(), Err(BarrierError::Broken));
        });
        assert!(!barrier.is_broken());
    });
}

/// CPython `test_timeout`: the party whose timeout passes gets TimedOut and breaks the
/// barrier; the others get Broken.
#[test]
fn timeout_breaks_and_the_others_get_broken() {
    watchdog(|| {
        let barrier = Barrier::new(3).unwrap();
        std::thread::scope(|s| {
            let other = s.spawn(|| barrier.wait());
            until_waiting(&barrier, 1);
            assert_eq!(
                barrier.wait_timeout(Duration::from_millis(10)),
                Err(BarrierError::TimedOut)
            );
            assert_eq!(other.join().unwrap(), Err(BarrierError::Broken));
        });
        assert!(barrier.is_broken());
        assert_eq!(barrier.wait(), Err(BarrierError::Broken));
    });
}

#[test]
fn zero_timeout_of_a_party_that_is_not_last_times_out() {
    let barrier = Barrier::new(2).unwrap();
    assert_eq!(
        barrier.wait_timeout(Duration::ZERO),
        Err(BarrierError::TimedOut)
    );
    assert!(barrier.is_broken());
}

#[test]
fn huge_timeout_means_wait_forever_not_overflow() {
    watchdog(|| {
        let barrier = Barrier::new(2).unwrap();
        std::thread::scope(|s| {
            let other = s.spawn(|| barrier.wait_timeout(Duration::MAX));
            until_waiting(&barrier, 1);
            assert_eq!(barrier.wait(), Ok(1));
            assert_eq!(other.join().unwrap(), Ok(0));
        });
    });
}

/// CPython `test_default_timeout`: the constructor's timeout applies to `wait`.
#[test]
fn default_timeout_applies_to_wait() {
    watchdog(|| {
        let barrier = Barrier::new(2)
            .unwrap()
            .with_timeout(Duration::from_millis(10));
        assert_eq!(barrier.wait(), Err(BarrierError::TimedOut));
        assert!(barrier.is_broken());
        barrier.reset();
        let token = StopToken::new();
        assert_eq!(barrier.wait_stoppable(&token), Err(BarrierError::TimedOut));
    });
}

#[test]
fn wait_timeout_overrides_the_default_timeout() {
    watchdog(|| {
        let barrier = Barrier::new(2)
            .unwrap()
            .with_timeout(Duration::from_millis(1));
        std::thread::scope(|s| {
            let patient = s.spawn(|| barrier.wait_timeout(GENEROUS));
            until_waiting(&barrier, 1);
            // Long past the default timeout; the patient party still waits.
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(barrier.wait(), Ok(1)); // the last party never waits
            assert_eq!(patient.join().unwrap(), Ok(0));
        });
    });
}

#[test]
fn stop_breaks_and_the_others_get_broken() {
    watchdog(|| {
        let barrier = Barrier::new(3).unwrap();
        let token = StopToken::new();
        std::thread::scope(|s| {
            let plain = s.spawn(|| barrier.wait());
            let stoppable = s.spawn(|| barrier.wait_stoppable(&token));
            until_waiting(&barrier, 2);
            token.stop();
            assert_eq!(stoppable.join().unwrap(), Err(BarrierError::Stopped));
            assert_eq!(plain.join().unwrap(), Err(BarrierError::Broken));
        });
        assert!(barrier.is_broken());
    });
}

#[test]
fn a_fired_token_stops_a_waiting_party_but_not_the_last() {
    watchdog(|| {
        let token = StopToken::new();
        token.stop();
        let barrier = Barrier::new(2).unwrap();
        assert_eq!(
            barrier.wait_stoppable(&token),
            Err(BarrierError::Stopped),
            "a party that would wait is stopped at once"
        );
        barrier.reset();
        std::thread::scope(|s| {
            let other = s.spawn(|| barrier.wait());
            until_waiting(&barrier, 1);
            assert_eq!(barrier.wait_stoppable(&token), Ok(1));
            assert_eq!(other.join().unwrap(), Ok(0));
        });
    });
}

#[test]
fn withdraw_completes_the_cycle_when_the_rest_wait() {
    watchdog(|| {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let barrier = Barrier::new(3).unwrap().with_action(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| barrier.wait())).collect();
            until_waiting(&barrier, 2);
            assert_eq!(barrier.withdraw(), Ok(()));
            let indices = waiters.into_iter().map(|w| w.join().unwrap().unwrap());
            assert_eq!(sorted(indices.collect()), [0, 1]);
        });
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "the withdrawal ran the action"
        );
        assert_eq!(barrier.parties(), 2);
        assert!(!barrier.is_broken());
        let indices = run_threads(2, |_| barrier.wait().unwrap());
        assert_eq!(sorted(indices), [0, 1]);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn withdraw_before_anyone_arrives_lowers_the_count() {
    let barrier = Barrier::new(2).unwrap();
    assert_eq!(barrier.withdraw(), Ok(()));
    assert_eq!(barrier.parties(), 1);
    assert_eq!(barrier.wait(), Ok(0));
}

#[test]
fn withdraw_leaves_a_partial_cycle_waiting() {
    watchdog(|| {
        let barrier = Barrier::new(4).unwrap();
        std::thread::scope(|s| {
            let first = s.spawn(|| barrier.wait());
            until_waiting(&barrier, 1);
            assert_eq!(barrier.withdraw(), Ok(()));
            assert_eq!(
                barrier.n_waiting(),
                1,
                "3 parties, 1 arrived: still filling"
            );
            let second = s.spawn(|| barrier.wait());
            until_waiting(&barrier, 2);
            assert_eq!(barrier.wait(), Ok(2));
            assert_eq!(first.join().unwrap(), Ok(0));
            assert_eq!(second.join().unwrap(), Ok(1));
        });
    });
}

#[test]
fn withdraw_of_the_last_party_is_an_error() {
    let barrier = Barrier::new(2).unwrap();
    assert_eq!(barrier.withdraw(), Ok(()));
    assert_eq!(barrier.withdraw(), Err(BarrierError::LastParty));
    assert_eq!(barrier.parties(), 1);
    assert!(!barrier.is_broken(), "a refused withdrawal changes nothing");
    assert_eq!(barrier.wait(), Ok(0));
}

#[test]
fn withdraw_from_a_broken_barrier_is_broken() {
    let barrier = Barrier::new(3).unwrap();
    barrier.abort();
    assert_eq!(barrier.withdraw(), Err(BarrierError::Broken));
    assert_eq!(barrier.parties(), 3, "the party is still counted");
    barrier.reset();
    assert_eq!(barrier.withdraw(), Ok(()));
    assert_eq!(barrier.parties(), 2);
}

#[test]
fn action_panic_breaks_the_barrier_and_continues_in_its_thread() {
    watchdog(|| {
        let first = Arc::new(AtomicBool::new(true));
        let barrier = {
            let first = Arc::clone(&first);
            Barrier::new(3).unwrap().with_action(move || {
                if first.swap(false, Ordering::SeqCst) {
                    panic!("the action failed");
                }
            })
        };
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| barrier.wait())).collect();
            until_waiting(&barrier, 2);
            let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| barrier.wait()))
                .expect_err("the action's panic continues in the thread that ran it");
            assert_eq!(panic.downcast_ref::<&str>(), Some(&"the action failed"));
            for w in waiters {
                assert_eq!(w.join().unwrap(), Err(BarrierError::Broken));
            }
        });
        assert!(barrier.is_broken());
        assert_eq!(barrier.wait(), Err(BarrierError::Broken));
        barrier.reset();
        let indices = run_threads(3, |_| barrier.wait().unwrap());
        assert_eq!(sorted(indices), [0, 1, 2]);
    });
}

/// Runs a barrier of `parties` whose action signals `started` and then blocks until
/// `go` is sent; returns (started receiver, go sender, barrier).
fn gated_barrier(parties: usize) -> (mpsc::Receiver<()>, mpsc::Sender<()>, Barrier) {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (started_tx, go_rx) = (Mutex::new(started_tx), Mutex::new(go_rx));
    let barrier = Barrier::new(parties).unwrap().with_action(move || {
        started_tx.lock().unwrap().send(()).unwrap();
        go_rx.lock().unwrap().recv().unwrap();
    });
    (started_rx, go_tx, barrier)
}

/// Once every party has arrived, only the action decides: a stop that fires while it
/// runs does not break the cycle.
#[test]
fn stop_while_the_action_runs_does_not_break_its_cycle() {
    watchdog(|| {
        let (started, go, barrier) = gated_barrier(2);
        let token = StopToken::new();
        std::thread::scope(|s| {
            let stoppable = s.spawn(|| barrier.wait_stoppable(&token));
            until_waiting(&barrier, 1);
            let last = s.spawn(|| barrier.wait());
            started.recv().unwrap();
            token.stop();
            // Give the stopped party time to notice; it must go on waiting.
            std::thread::sleep(Duration::from_millis(20));
            go.send(()).unwrap();
            assert_eq!(stoppable.join().unwrap(), Ok(0));
            assert_eq!(last.join().unwrap(), Ok(1));
        });
        assert!(!barrier.is_broken());
    });
}

/// abort and reset while the action runs apply to the next cycle, not to this one, and
/// the barrier's methods answer meanwhile (the action does not hold its lock).
#[test]
fn abort_while_the_action_runs_breaks_the_next_cycle_only() {
    watchdog(|| {
        let (started, go, barrier) = gated_barrier(2);
        std::thread::scope(|s| {
            let parties: Vec<_> = (0..2).map(|_| s.spawn(|| barrier.wait())).collect();
            started.recv().unwrap();
            assert_eq!(barrier.n_waiting(), 0, "the next cycle is empty");
            barrier.abort();
            assert!(barrier.is_broken());
            go.send(()).unwrap();
            let indices = parties.into_iter().map(|p| p.join().unwrap().unwrap());
            assert_eq!(sorted(indices.collect()), [0, 1]);
        });
        assert_eq!(barrier.wait(), Err(BarrierError::Broken));
    });
}

#[test]
fn the_action_may_call_the_barrier() {
    watchdog(|| {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let barrier = {
            let seen = Arc::clone(&seen);
            Arc::new_cyclic(|me: &std::sync::Weak<Barrier>| {
                let me = me.clone();
                Barrier::new(2).unwrap().with_action(move || {
                    let barrier = me.upgrade().expect("the barrier outlives its waits");
                    let mut seen = seen.lock().unwrap();
                    seen.push((barrier.parties(), barrier.n_waiting(), barrier.is_broken()));
                })
            })
        };
        let indices = run_threads(2, |_| barrier.wait().unwrap());
        assert_eq!(sorted(indices), [0, 1]);
        assert_eq!(*seen.lock().unwrap(), [(2, 0, false)]);
    });
}

/// More threads than parties: each cycle takes the next `parties` arrivals.
#[test]
fn more_threads_than_parties_form_successive_cycles() {
    watchdog(|| {
        let barrier = Barrier::new(2).unwrap();
        let indices = run_threads(6, |_| barrier.wait().unwrap());
        assert_eq!(sorted(indices), [0, 0, 0, 1, 1, 1]);
        assert_eq!(barrier.n_waiting(), 0);
    });
}

#[test]
fn debug_shows_the_state() {
    let barrier = Barrier::new(2)
        .unwrap()
        .with_timeout(Duration::from_secs(1));
    let text = format!("{barrier:?}");
    assert!(text.contains("parties: 2"), "{text}");
    assert!(text.contains("broken: false"), "{text}");
    barrier.abort();
    assert!(format!("{barrier:?}").contains("broken: true"));
}

#[test]
fn errors_say_what_to_do() {
    assert!(BarrierError::Broken.to_string().contains("reset()"));
    assert!(BarrierError::LastParty.to_string().contains("abort()"));
    assert!(ConfigError::ZeroParties.to_string().contains("at least 1"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// For any party count and number of cycles: each cycle's indices are 0..parties,
    /// the action runs once per cycle, and the barrier ends whole and empty.
    #[test]
    fn cycles_hand_out_permutations(parties in 1usize..=4, cycles in 1usize..=4) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let barrier = Barrier::new(parties).unwrap().with_action(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let per_thread = run_threads(parties, |_| {
            (0..cycles).map(|_| barrier.wait_timeout(GENEROUS).unwrap()).collect::<Vec<_>>()
        });
        for cycle in 0..cycles {
            let indices = per_thread.iter().map(|v| v[cycle]).collect();
            prop_assert_eq!(sorted(indices), (0..parties).collect::<Vec<_>>());
        }
        prop_assert_eq!(runs.load(Ordering::SeqCst), cycles);
        prop_assert!(!barrier.is_broken());
        prop_assert_eq!(barrier.n_waiting(), 0);
    }
}
