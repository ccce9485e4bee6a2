//! Which deadline passed, when the next one is, and the pause after a refused start:
//! every case, and the properties that tie them together.

use proptest::prelude::*;
use weftkit_shim::time::{Duration, Instant};

use super::*;

const MS: Duration = Duration::from_millis(1);
const LIMITS: Limits = Limits {
    timeout: Some(Duration::from_millis(100)),
    startup: Duration::from_millis(500),
};

/// A worker started at `t0`, in `phase`, with task 7 at its head since `t0 + 10 ms`
/// if `busy`.
fn worker(t0: Instant, phase: Phase, busy: bool) -> Clocked {
    Clocked {
        phase,
        spawned_at: t0,
        head: busy.then_some(7),
        head_since: t0 + 10 * MS,
    }
}

#[test]
fn next_deadline_every_case() {
    let t0 = Instant::now();
    let endless = Limits {
        timeout: None,
        ..LIMITS
    };
    let huge = Limits {
        timeout: Some(Duration::MAX),
        startup: Duration::MAX,
    };
    // (worker, limits, deadline)
    let cases = [
        (worker(t0, Phase::Hello, false), LIMITS, Some(t0 + 500 * MS)),
        (worker(t0, Phase::Setup, true), LIMITS, Some(t0 + 500 * MS)),
        (worker(t0, Phase::Ready, false), LIMITS, None),
        (worker(t0, Phase::Ready, true), LIMITS, Some(t0 + 110 * MS)),
        (worker(t0, Phase::Ready, true), endless, None),
        (worker(t0, Phase::Ready, true), huge, None),
        (worker(t0, Phase::Hello, false), huge, None),
    ];
    for (k, (w, limits, want)) in cases.into_iter().enumerate() {
        assert_eq!(next_deadline(&w, &limits), want, "case {k}");
    }
}

#[test]
fn overdue_every_case() {
    let t0 = Instant::now();
    let early = t0 + 499 * MS;
    let late = t0 + 500 * MS;
    // (worker, others_ready, now, overdue)
    let cases = [
        (worker(t0, Phase::Hello, false), false, early, None),
        (
            worker(t0, Phase::Hello, false),
            false,
            late,
            Some(Overdue::NoHandshake),
        ),
        (
            worker(t0, Phase::Hello, false),
            true,
            late,
            Some(Overdue::LateStart),
        ),
        (worker(t0, Phase::Setup, true), false, early, None),
        (
            worker(t0, Phase::Setup, true),
            false,
            late,
            Some(Overdue::SlowInitializer),
        ),
        (
            worker(t0, Phase::Setup, true),
            true,
            late,
            Some(Overdue::LateStart),
        ),
        (
            worker(t0, Phase::Ready, false),
            false,
            t0 + 3600 * 1000 * MS,
            None,
        ),
        (worker(t0, Phase::Ready, true), true, t0 + 109 * MS, None),
        (
            worker(t0, Phase::Ready, true),
            true,
            t0 + 110 * MS,
            Some(Overdue::Deadline { id: 7 }),
        ),
        (
            worker(t0, Phase::Ready, true),
            false,
            late,
            Some(Overdue::Deadline { id: 7 }),
        ),
    ];
    for (k, (w, others_ready, now, want)) in cases.into_iter().enumerate() {
        assert_eq!(overdue(&w, &LIMITS, others_ready, now), want, "case {k}");
    }
    let endless = Limits {
        timeout: None,
        ..LIMITS
    };
    let busy = worker(t0, Phase::Ready, true);
    assert_eq!(
        overdue(&busy, &endless, false, late),
        None,
        "no timeout, no deadline"
    );
}

#[test]
fn backing_off_until_the_instant() {
    let t0 = Instant::now();
    assert!(!backing_off(None, t0));
    assert!(backing_off(Some(t0 + MS), t0));
    assert!(
        !backing_off(Some(t0), t0),
        "the instant itself is past the wait"
    );
    assert!(!backing_off(Some(t0), t0 + MS));
}

#[test]
fn refused_every_case() {
    let t0 = Instant::now();
    assert_eq!(refused(false, SPAWN_BACKOFF, t0), Refusal::Break);
    assert_eq!(
        refused(true, SPAWN_BACKOFF, t0),
        Refusal::Later {
            at: t0 + SPAWN_BACKOFF,
            backoff: SPAWN_BACKOFF * 2
        }
    );
    assert_eq!(
        refused(true, SPAWN_BACKOFF_MAX - MS, t0),
        Refusal::Later {
            at: t0 + SPAWN_BACKOFF_MAX - MS,
            backoff: SPAWN_BACKOFF_MAX
        }
    );
    assert_eq!(
        refused(true, SPAWN_BACKOFF_MAX, t0),
        Refusal::Later {
            at: t0 + SPAWN_BACKOFF_MAX,
            backoff: SPAWN_BACKOFF_MAX
        }
    );
}

prop_compose! {
    fn any_worker(t0: Instant)(
        phase in prop_oneof![Just(Phase::Hello), Just(Phase::Setup), Just(Phase::Ready)],
        head in proptest::option::of(0u64..10),
        since_ms in 0u64..1_000,
    ) -> Clocked {
        Clocked { phase, spawned_at: t0, head, head_since: t0 + Duration::from_millis(since_ms) }
    }
}

prop_compose! {
    fn any_limits()(
        timeout in proptest::option::of(1u64..1_000),
        startup in 1u64..1_000,
    ) -> Limits {
        Limits { timeout: timeout.map(Duration::from_millis), startup: Duration::from_millis(startup) }
    }
}

fn any_case() -> impl Strategy<Value = (Instant, Clocked, Limits)> {
    Just(Instant::now()).prop_flat_map(|t0| (Just(t0), any_worker(t0), any_limits()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// A deadline passes exactly when `now` reaches the next deadline: the manager,
    /// which sleeps until then, never wakes too early to find it nor misses it.
    /// (`now` is anywhere, or within a microsecond of the deadline.)
    #[test]
    fn overdue_exactly_at_the_next_deadline(
        (t0, w, limits) in any_case(),
        others_ready in any::<bool>(),
        now_ms in 0u64..3_000,
        near in proptest::option::of(-1i8..=1),
    ) {
        let deadline = next_deadline(&w, &limits);
        let now = match (deadline, near) {
            (Some(d), Some(-1)) => d - Duration::from_micros(1),
            (Some(d), Some(0)) => d,
            (Some(d), Some(_)) => d + Duration::from_micros(1),
            _ => t0 + Duration::from_millis(now_ms),
        };
        let due = deadline.is_some_and(|d| now >= d);
        prop_assert_eq!(overdue(&w, &limits, others_ready, now).is_some(), due);
    }

    /// Once passed, a deadline stays passed, and the same one.
    #[test]
    fn a_passed_deadline_stays_passed(
        (t0, w, limits) in any_case(),
        others_ready in any::<bool>(),
        now_ms in 0u64..3_000,
        later_ms in 0u64..3_000,
    ) {
        let now = t0 + Duration::from_millis(now_ms);
        if let Some(found) = overdue(&w, &limits, others_ready, now) {
            let later = now + Duration::from_millis(later_ms);
            prop_assert_eq!(overdue(&w, &limits, others_ready, later), Some(found));
        }
    }

    /// The start-up deadline is the pool's decision only where no worker is ready;
    /// with one ready, a late starter is replaced instead. A task's deadline names
    /// the head.
    #[test]
    fn what_passed_depends_on_the_phase(
        (t0, w, limits) in any_case(),
        others_ready in any::<bool>(),
        now_ms in 0u64..3_000,
    ) {
        let now = t0 + Duration::from_millis(now_ms);
        match overdue(&w, &limits, others_ready, now) {
            None => {}
            Some(Overdue::LateStart) => prop_assert!(w.phase != Phase::Ready && others_ready),
            Some(Overdue::NoHandshake) => prop_assert!(w.phase == Phase::Hello && !others_ready),
            Some(Overdue::SlowInitializer) => prop_assert!(w.phase == Phase::Setup && !others_ready),
            Some(Overdue::Deadline { id }) => {
                prop_assert!(w.phase == Phase::Ready);
                prop_assert_eq!(Some(id), w.head);
            }
        }
    }

    /// The pause after a refusal grows, never past [`SPAWN_BACKOFF_MAX`].
    #[test]
    fn the_backoff_grows_to_its_cap(steps in 1usize..20) {
        let t0 = Instant::now();
        let mut backoff = SPAWN_BACKOFF;
        for _ in 0..steps {
            let Refusal::Later { at, backoff: next } = refused(true, backoff, t0) else {
                return Err(TestCaseError::fail("a worker is alive"));
            };
            prop_assert_eq!(at, t0 + backoff);
            prop_assert!(next >= backoff && next <= SPAWN_BACKOFF_MAX);
            backoff = next;
        }
    }
}
