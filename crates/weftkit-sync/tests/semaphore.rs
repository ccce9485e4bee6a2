//! Behaviour of `Semaphore` and `BoundedSemaphore`, after CPython's test_threading
//! SemaphoreTests and BoundedSemaphoreTests, plus a model-based property test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use weftkit_sync::{
    BoundedSemaphore, ReleaseError, Semaphore, SemaphorePermit, StopToken, Stopped,
};
use weftkit_testkit::{GENEROUS, watchdog};

const fn assert_send_sync<T: Send + Sync>() {}
const _: () = assert_send_sync::<Semaphore>();
const _: () = assert_send_sync::<BoundedSemaphore>();
const _: () = assert_send_sync::<SemaphorePermit<'static>>();
const _: () = assert_send_sync::<ReleaseError>();

/// CPython test_default_value: `Semaphore()` has one permit.
#[test]
fn default_has_one_permit() {
    assert_eq!(Semaphore::default().available_permits(), 1);
    let bounded = BoundedSemaphore::default();
    assert_eq!((bounded.available_permits(), bounded.bound()), (1, 1));
}

/// CPython test_acquire / test_with: a permit is given back when it drops.
#[test]
fn permit_is_given_back_on_drop() {
    let sem = Semaphore::new(2);
    let a = sem.acquire();
    let b = sem.acquire();
    assert_eq!(sem.available_permits(), 0);
    drop(a);
    assert_eq!(sem.available_permits(), 1);
    drop(b);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn permit_is_given_back_when_its_holder_panics() {
    let sem = Semaphore::new(1);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _permit = sem.acquire();
        panic!("inside the semaphore");
    }));
    assert!(result.is_err());
    assert_eq!(sem.available_permits(), 1);
}

/// CPython test_try_acquire: non-blocking acquire on an empty semaphore fails.
#[test]
fn try_acquire_on_zero_is_none() {
    let sem = Semaphore::new(0);
    assert!(sem.try_acquire().is_none());
    let sem = Semaphore::new(1);
    let held = sem.try_acquire();
    assert!(held.is_some());
    assert!(sem.try_acquire().is_none());
}

/// CPython test_acquire_timeout: a timed acquire on an empty semaphore returns
/// `False`, also with a zero timeout.
#[test]
fn acquire_timeout_is_none_when_zero() {
    let sem = Semaphore::new(0);
    assert!(sem.acquire_timeout(Duration::ZERO).is_none());
    assert!(sem.acquire_timeout(Duration::from_millis(10)).is_none());
    sem.release(1).unwrap();
    assert!(sem.acquire_timeout(Duration::ZERO).is_some());
    let bounded = BoundedSemaphore::new(1);
    let _held = bounded.acquire();
    assert!(bounded.acquire_timeout(Duration::from_millis(10)).is_none());
}

/// CPython test_multirelease: `release(n)` lets exactly `n` blocked acquirers through.
#[test]
fn release_n_wakes_n_waiters() {
    watchdog(|| {
        let sem = Semaphore::new(0);
        let passed = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..5 {
                s.spawn(|| {
                    sem.acquire().forget();
                    passed.fetch_add(1, Ordering::SeqCst);
                });
            }
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(passed.load(Ordering::SeqCst), 0);
            sem.release(3).unwrap();
            while passed.load(Ordering::SeqCst) < 3 {
                std::thread::yield_now();
            }
            // Nobody else got a permit, so nobody else may pass.
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(passed.load(Ordering::SeqCst), 3);
            assert_eq!(sem.available_permits(), 0);
            sem.release(2).unwrap();
        });
        assert_eq!(passed.load(Ordering::SeqCst), 5);
        assert_eq!(sem.available_permits(), 0);
    });
}

/// A zero-permit semaphore used as a signal: each release lets one waiter through.
#[test]
fn zero_permit_semaphore_counts_signals() {
    watchdog(|| {
        let signals = Semaphore::new(0);
        std::thread::scope(|s| {
            let consumer = s.spawn(|| {
                for _ in 0..1_000 {
                    signals.acquire().forget();
                }
            });
            for _ in 0..1_000 {
                signals.release(1).unwrap();
            }
            consumer.join().unwrap();
        });
        assert_eq!(signals.available_permits(), 0);
    });
}

/// CPython test_release_unacquired (BoundedSemaphore): over-release is an error and
/// adds nothing.
#[test]
fn bounded_over_release_errors_and_adds_nothing() {
    let sem = BoundedSemaphore::new(2);
    assert_eq!(
        sem.release(1),
        Err(ReleaseError::PastBound {
            bound: 2,
            available: 2,
            requested: 1
        })
    );
    assert_eq!(sem.available_permits(), 2);
    sem.acquire().forget();
    sem.acquire().forget();
    assert!(matches!(
        sem.release(3),
        Err(ReleaseError::PastBound { requested: 3, .. })
    ));
    assert_eq!(sem.available_permits(), 0);
    sem.release(2).unwrap();
    assert_eq!(sem.available_permits(), 2);
    assert!(sem.release(1).is_err());
    assert_eq!(sem.release(0), Ok(()));
}

/// An extra release while a permit is live would let the permit's drop pass the
/// bound: it is refused, and the drop returns the count to the bound exactly.
#[test]
fn bounded_release_cannot_take_a_live_permits_place() {
    let sem = BoundedSemaphore::new(1);
    let permit = sem.acquire();
    assert!(matches!(
        sem.release(1),
        Err(ReleaseError::PastBound { .. })
    ));
    drop(permit);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn release_error_messages_say_what_to_do() {
    let sem = BoundedSemaphore::new(1);
    let message = sem.release(usize::MAX).unwrap_err().to_string();
    assert!(message.contains("bound of 1"), "{message}");
    assert!(message.contains("forget()"), "{message}");
    let sem = Semaphore::new(1);
    let message = sem.release(Semaphore::MAX_PERMITS).unwrap_err().to_string();
    assert!(message.contains("overflow"), "{message}");
}

#[test]
fn semaphore_release_errs_only_on_overflow() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS - 1);
    assert_eq!(sem.release(2), Err(ReleaseError::Overflow { requested: 2 }));
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS - 1);
    assert_eq!(sem.release(1), Ok(()));
    assert!(sem.release(usize::MAX).is_err());
    assert_eq!(
        Semaphore::new(usize::MAX).available_permits(),
        Semaphore::MAX_PERMITS
    );
    // A permit dropped on a full semaphore keeps it full rather than overflowing.
    let permit = sem.acquire();
    sem.release(1).unwrap();
    drop(permit);
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
}

#[test]
fn try_acquire_many_takes_all_or_nothing() {
    let sem = Semaphore::new(3);
    assert!(sem.try_acquire_many(4).is_none());
    let three = sem.try_acquire_many(3).unwrap();
    assert_eq!(three.permits(), 3);
    assert_eq!(sem.available_permits(), 0);
    drop(three);
    assert_eq!(sem.available_permits(), 3);
    let bounded = BoundedSemaphore::new(3);
    bounded.try_acquire_many(2).unwrap().forget();
    bounded.release(2).unwrap();
    assert_eq!(bounded.available_permits(), 3);
}

/// CPython test_acquire_contended: many threads acquiring and releasing keep the
/// number inside the section within the permits, and every permit comes back.
#[test]
fn contended_acquirers_stay_within_the_permits() {
    watchdog(|| {
        const PERMITS: usize = 3;
        let sem = BoundedSemaphore::new(PERMITS);
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..8 {
                let (sem, inside, most) = (&sem, &inside, &most);
                s.spawn(move || {
                    for i in 0..2_000 {
                        let permit = match (t + i) % 3 {
                            0 => sem.acquire(),
                            1 => sem.acquire_timeout(GENEROUS).unwrap(),
                            _ => match sem.try_acquire() {
                                Some(permit) => permit,
                                None => continue,
                            },
                        };
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        inside.fetch_sub(1, Ordering::SeqCst);
                        if i % 2 == 0 {
                            drop(permit);
                        } else {
                            permit.forget();
                            sem.release(1).unwrap();
                        }
                    }
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= PERMITS);
        assert_eq!(sem.available_permits(), PERMITS);
    });
}

/// Timed acquirers give up while others keep releasing: no permit is stranded.
#[test]
fn timed_out_acquirers_never_strand_a_permit() {
    watchdog(|| {
        let sem = Semaphore::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..300 {
                        if let Some(permit) = sem.acquire_timeout(Duration::from_micros(30)) {
                            drop(permit);
                        }
                    }
                });
            }
            for _ in 0..300 {
                sem.release(1).unwrap();
                if let Some(permit) = sem.acquire_timeout(GENEROUS) {
                    permit.forget();
                }
            }
        });
        assert_eq!(sem.available_permits(), 0);
        // A blocking acquirer after the churn is still woken by one release.
        std::thread::scope(|s| {
            let last = s.spawn(|| sem.acquire().forget());
            sem.release(1).unwrap();
            last.join().unwrap();
        });
    });
}

#[test]
fn stop_wakes_a_parked_acquirer() {
    watchdog(|| {
        let sem = Semaphore::new(0);
        let token = StopToken::new();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| sem.acquire_stoppable(&token).map(SemaphorePermit::forget));
            std::thread::sleep(Duration::from_millis(20));
            token.stop();
            assert_eq!(waiter.join().unwrap(), Err(Stopped));
        });
        // A free permit wins over a fired token.
        sem.release(1).unwrap();
        assert!(sem.acquire_stoppable(&token).is_ok());
    });
}

#[test]
fn debug_shows_the_count() {
    let sem = Semaphore::new(2);
    assert!(format!("{sem:?}").contains("available_permits: 2"));
    let bounded = BoundedSemaphore::new(3);
    let permit = bounded.acquire();
    assert!(format!("{bounded:?}").contains("available_permits: 2"));
    assert!(format!("{bounded:?}").contains("bound: 3"));
    assert!(format!("{permit:?}").contains("permits: 1"));
}

/// One step of the single-threaded model test.
#[derive(Debug, Clone)]
enum Op {
    TryAcquire,
    TryAcquireMany(usize),
    Release(usize),
    DropPermit(usize),
    ForgetPermit(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::TryAcquire),
        (0usize..4).prop_map(Op::TryAcquireMany),
        (0usize..4).prop_map(Op::Release),
        any::<usize>().prop_map(Op::DropPermit),
        any::<usize>().prop_map(Op::ForgetPermit),
    ]
}

/// Either semaphore, for the model test.
enum Sem {
    Plain(Semaphore),
    Bounded(BoundedSemaphore),
}

impl Sem {
    fn try_acquire(&self, n: Option<usize>) -> Option<SemaphorePermit<'_>> {
        match (self, n) {
            (Self::Plain(s), None) => s.try_acquire(),
            (Self::Plain(s), Some(n)) => s.try_acquire_many(n),
            (Self::Bounded(s), None) => s.try_acquire(),
            (Self::Bounded(s), Some(n)) => s.try_acquire_many(n),
        }
    }

    fn release(&self, n: usize) -> Result<(), ReleaseError> {
        match self {
            Self::Plain(s) => s.release(n),
            Self::Bounded(s) => s.release(n),
        }
    }

    fn available_permits(&self) -> usize {
        match self {
            Self::Plain(s) => s.available_permits(),
            Self::Bounded(s) => s.available_permits(),
        }
    }
}

/// The counter model: `available`, the permits held, and (for a bounded semaphore)
/// the forgotten permits `release` may give back.
fn run_model(start: usize, bounded: bool, ops: &[Op]) -> Result<(), TestCaseError> {
    let sem = if bounded {
        Sem::Bounded(BoundedSemaphore::new(start))
    } else {
        Sem::Plain(Semaphore::new(start))
    };
    let mut available = start;
    let mut forgotten = 0usize;
    let mut held: Vec<SemaphorePermit<'_>> = Vec::new();
    for op in ops {
        match *op {
            Op::TryAcquire | Op::TryAcquireMany(_) => {
                let many = if let Op::TryAcquireMany(n) = *op {
                    Some(n)
                } else {
                    None
                };
                let n = many.unwrap_or(1);
                let got = sem.try_acquire(many);
                prop_assert_eq!(got.is_some(), n <= available);
                if let Some(permit) = got {
                    prop_assert_eq!(permit.permits(), n);
                    available -= n;
                    held.push(permit);
                }
            }
            Op::Release(n) => {
                let result = sem.release(n);
                if bounded {
                    prop_assert_eq!(result.is_ok(), n <= forgotten);
                    if result.is_ok() {
                        forgotten -= n;
                        available += n;
                    }
                } else {
                    prop_assert!(result.is_ok());
                    available += n;
                }
            }
            Op::DropPermit(i) | Op::ForgetPermit(i) if !held.is_empty() => {
                let permit = held.swap_remove(i % held.len());
                let n = permit.permits();
                if let Op::DropPermit(_) = op {
                    drop(permit);
                    available += n;
                } else {
                    permit.forget();
                    forgotten += n;
                }
            }
            Op::DropPermit(_) | Op::ForgetPermit(_) => {}
        }
        prop_assert_eq!(sem.available_permits(), available);
        if bounded {
            let live: usize = held.iter().map(SemaphorePermit::permits).sum();
            prop_assert!(available <= start);
            prop_assert_eq!(available + live + forgotten, start);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random single-threaded sequences agree with a plain counter: never negative.
    #[test]
    fn semaphore_matches_a_counter(start in 0usize..4, ops in prop::collection::vec(op(), 0..60)) {
        run_model(start, false, &ops)?;
    }

    /// The same for a bounded semaphore, which also never passes its bound.
    #[test]
    fn bounded_semaphore_matches_a_counter_within_its_bound(
        start in 0usize..4,
        ops in prop::collection::vec(op(), 0..60),
    ) {
        run_model(start, true, &ops)?;
    }
}
