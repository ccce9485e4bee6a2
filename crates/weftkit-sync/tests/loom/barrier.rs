//! `Barrier`: the last arrival racing abort, a timed party racing the completing
//! arrival (L1, and the action's pending window), withdraw racing the last arrival,
//! and reset racing a party (the `settling` ledger).

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use weftkit_shim::time::Duration;
use weftkit_sync::{Barrier, BarrierError};
use weftkit_testkit::model;

/// A barrier of `parties` whose action counts its runs in the returned counter.
fn counting(parties: usize) -> (Arc<Barrier>, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let barrier = Barrier::new(parties).unwrap().with_action(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (Arc::new(barrier), runs)
}

fn spawn_wait(barrier: &Arc<Barrier>) -> thread::JoinHandle<Result<usize, BarrierError>> {
    let barrier = Arc::clone(barrier);
    thread::spawn(move || barrier.wait())
}

/// Two parties, and an abort racing them. A cycle either completes before the abort
/// (both get an index, the action ran once) or is broken by it (both get `Broken`, the
/// action never ran); never one of each. Either way the barrier ends broken: an abort
/// after the cycle completed breaks the next one.
#[test]
fn last_arrival_racing_abort() {
    model(|| {
        let (barrier, runs) = counting(2);
        let a = spawn_wait(&barrier);
        let b = spawn_wait(&barrier);
        barrier.abort();
        let results = (a.join().unwrap(), b.join().unwrap());
        match results {
            (Ok(x), Ok(y)) => {
                assert_eq!(x + y, 1, "indices of one cycle are 0 and 1");
                assert_eq!(runs.load(Ordering::SeqCst), 1);
            }
            (Err(BarrierError::Broken), Err(BarrierError::Broken)) => {
                assert_eq!(runs.load(Ordering::SeqCst), 0);
            }
            other => panic!("a cycle half completed and half broken: {other:?}"),
        }
        assert!(barrier.is_broken());
        assert_eq!(barrier.n_waiting(), 0);
    });
}

/// A timed party racing the arrival that completes the cycle, with and without an
/// action. If the cycle completed, the timed party gets its index even when its
/// timeout passed meanwhile (L1; and while the action runs it keeps waiting);
/// otherwise it gets `TimedOut`, the barrier is broken and the other party gets
/// `Broken`.
#[test]
fn timed_party_racing_the_completing_arrival() {
    for with_action in [false, true] {
        model(move || {
            let (barrier, runs) = if with_action {
                counting(2)
            } else {
                (
                    Arc::new(Barrier::new(2).unwrap()),
                    Arc::new(AtomicUsize::new(0)),
                )
            };
            let timed = {
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || barrier.wait_timeout(Duration::from_millis(1)))
            };
            let plain = barrier.wait();
            let timed = timed.join().unwrap();
            match (timed, plain) {
                (Ok(x), Ok(y)) => {
                    assert_eq!(x + y, 1, "indices of one cycle are 0 and 1");
                    assert!(!barrier.is_broken());
                    assert_eq!(runs.load(Ordering::SeqCst), usize::from(with_action));
                }
                (Err(BarrierError::TimedOut), Err(BarrierError::Broken)) => {
                    assert!(barrier.is_broken());
                    assert_eq!(runs.load(Ordering::SeqCst), 0);
                }
                other => panic!("inconsistent outcome: {other:?}"),
            }
        });
    }
}

/// Three parties: two wait while the third withdraws. Whatever the order, the two
/// form a full cycle (the withdrawal completes it if they were both waiting): both get
/// an index, the action runs once, nothing breaks.
#[test]
fn withdraw_racing_the_last_arrival() {
    model(|| {
        let (barrier, runs) = counting(3);
        let a = spawn_wait(&barrier);
        let b = spawn_wait(&barrier);
        assert_eq!(barrier.withdraw(), Ok(()));
        let x = a.join().unwrap().unwrap();
        let y = b.join().unwrap().unwrap();
        assert_eq!(x + y, 1, "indices of one cycle of 2 are 0 and 1");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(barrier.parties(), 2);
        assert!(!barrier.is_broken());
        assert_eq!(barrier.n_waiting(), 0);
    });
}

/// A reset racing a waiting party, then a timed wait. A party caught by the reset gets
/// `Broken` (even if the new cycle began before it woke), and then the timed wait is
/// alone and times out; otherwise the two form the new cycle.
#[test]
fn reset_racing_a_party() {
    model(|| {
        let barrier = Arc::new(Barrier::new(2).unwrap());
        let waiting = spawn_wait(&barrier);
        barrier.reset();
        let timed = barrier.wait_timeout(Duration::from_millis(1));
        match (waiting.join().unwrap(), timed) {
            (Ok(x), Ok(y)) => assert_eq!(x + y, 1),
            (Err(BarrierError::Broken), Err(BarrierError::TimedOut)) => {
                assert!(barrier.is_broken());
            }
            other => panic!("inconsistent outcome: {other:?}"),
        }
    });
}
