//! Which worker takes a task, when one retires, how many start: every case, and the
//! properties that hold for any pool.

use proptest::prelude::*;
use weftkit_shim::time::{Duration, Instant};

use super::*;

const US: Duration = Duration::from_micros(1);

/// A ready, unused, idle, fast worker whose head started at `at`.
fn slot(at: Instant) -> Slot {
    Slot {
        phase: Phase::Ready,
        retiring: false,
        gone: false,
        in_flight: 0,
        used: false,
        spent: false,
        fast: true,
        head_since: at,
    }
}

#[test]
fn depth_every_case() {
    let t0 = Instant::now();
    let busy = |fast, age: Duration| Slot {
        fast,
        in_flight: 1,
        ..slot(t0.checked_sub(age).unwrap_or(t0))
    };
    let short = SHORT_TASK - US;
    let long = SHORT_TASK;
    // (slot, alone, depth)
    let cases = [
        (slot(t0), false, DEEP),              // fast and idle
        (busy(true, short), false, DEEP),     // fast, head still short
        (busy(true, long), false, SHALLOW),   // fast, head long, others could work
        (busy(true, long), true, DEEP),       // fast, head long, but alone
        (busy(false, short), false, SHALLOW), // slow (or unknown yet)
        (busy(false, short), true, SHALLOW),  // slow, alone
        (
            Slot {
                fast: false,
                ..slot(t0)
            },
            false,
            SHALLOW,
        ), // a new worker
    ];
    for (k, (s, alone, want)) in cases.into_iter().enumerate() {
        assert_eq!(depth(&s, t0, alone), want, "case {k}");
    }
    // A head that started after `now` (a clock read late) is short.
    let future = Slot {
        in_flight: 1,
        ..slot(t0 + SHORT_TASK * 10)
    };
    assert_eq!(depth(&future, t0, false), DEEP);
}

#[test]
fn spent_every_case() {
    assert!(!spent::<u64>(0, None));
    assert!(!spent::<u64>(u64::MAX, None));
    assert!(!spent(2, Some(3u64)));
    assert!(spent(3, Some(3u64)));
    assert!(spent(4, Some(3u64)));
    assert!(spent(3, Some(3usize)), "any integer type of limit");
    assert!(
        !spent(u64::MAX, Some(u128::MAX)),
        "a limit past u64 is never reached"
    );
}

#[test]
fn fresh_coming_needs_every_condition() {
    // (owed, active, max_workers, backing_off, shutdown, coming)
    let cases = [
        (1, 1, 2, false, false, true),
        (0, 1, 2, false, false, false), // none owed
        (1, 2, 2, false, false, false), // no room
        (1, 1, 2, true, false, false),  // the system refuses starts
        (1, 1, 2, false, true, false),  // shutting down
    ];
    for (owed, active, max, backing_off, shutdown, want) in cases {
        assert_eq!(
            fresh_coming(owed, active, max, backing_off, shutdown),
            want,
            "{owed} {active} {max} {backing_off} {shutdown}"
        );
    }
}

#[test]
fn pick_every_case() {
    let t0 = Instant::now();
    let s = slot(t0);
    let load = |n| Slot { in_flight: n, ..s };
    let used = |n| Slot {
        used: true,
        in_flight: n,
        ..s
    };
    let starting = |n| Slot {
        phase: Phase::Setup,
        in_flight: n,
        ..s
    };
    let slow_full = Slot {
        fast: false,
        in_flight: SHALLOW,
        ..s
    };
    // (name, attempts, slots, fresh_coming, pick)
    let cases: Vec<(&str, u32, Vec<Slot>, bool, Pick)> = vec![
        ("no worker", 0, vec![], false, Pick::Full),
        (
            "retiring",
            0,
            vec![Slot {
                retiring: true,
                ..s
            }],
            false,
            Pick::Full,
        ),
        ("gone", 0, vec![Slot { gone: true, ..s }], false, Pick::Full),
        (
            "spent",
            0,
            vec![Slot { spent: true, ..s }],
            false,
            Pick::Full,
        ),
        ("full (deep)", 0, vec![load(DEEP)], false, Pick::Full),
        ("full (shallow)", 0, vec![slow_full], false, Pick::Full),
        (
            "the least loaded",
            0,
            vec![load(3), load(1), load(2)],
            false,
            Pick::To(1),
        ),
        (
            "the first of equals",
            0,
            vec![load(1), load(1)],
            false,
            Pick::To(0),
        ),
        (
            "ready before starting",
            0,
            vec![starting(1), load(1)],
            false,
            Pick::To(1),
        ),
        (
            "less loaded starting",
            0,
            vec![load(2), starting(1)],
            false,
            Pick::To(1),
        ),
        (
            "a fresh task ignores use",
            0,
            vec![load(2), used(1)],
            true,
            Pick::To(1),
        ),
        (
            "a retry prefers unused",
            1,
            vec![used(0), load(5)],
            false,
            Pick::To(1),
        ),
        (
            "a retry waits for a fresh one",
            1,
            vec![used(0)],
            true,
            Pick::Hold,
        ),
        (
            "a retry takes a used one when none comes",
            2,
            vec![used(0)],
            false,
            Pick::To(0),
        ),
        (
            "a retry skips the full unused",
            1,
            vec![load(DEEP), used(0)],
            true,
            Pick::Hold,
        ),
        (
            "room behind setup",
            0,
            vec![starting(0)],
            false,
            Pick::To(0),
        ),
    ];
    assert_eq!(cases.len(), PICK_CASES);
    for (name, attempts, slots, fresh, want) in cases {
        assert_eq!(pick(attempts, slots, t0, false, fresh), want, "{name}");
    }
}

/// The rows of the table above, counted so that none is dropped by mistake.
const PICK_CASES: usize = 16;

#[test]
fn retire_every_case() {
    let s = slot(Instant::now());
    let spent_slot = Slot { spent: true, ..s };
    let retiring = Slot {
        retiring: true,
        spent: true,
        ..s
    };
    // (slot, idle, shutdown, drained, decision)
    let cases = [
        (
            spent_slot,
            true,
            false,
            false,
            Retire::Now { replace: true },
        ),
        (
            spent_slot,
            true,
            true,
            false,
            Retire::Now { replace: false },
        ),
        (spent_slot, false, false, false, Retire::Keep), // replies still to come
        (retiring, true, true, true, Retire::Keep),      // once only
        (s, true, true, true, Retire::Now { replace: false }),
        (s, true, true, false, Retire::Keep), // queued work left
        (s, false, true, true, Retire::Keep), // tasks in flight
        (s, true, false, true, Retire::Keep), // no shutdown, not spent
    ];
    for (k, (slot, idle, shutdown, drained, want)) in cases.into_iter().enumerate() {
        assert_eq!(retire(&slot, idle, shutdown, drained), want, "case {k}");
    }
}

#[test]
fn finished_needs_everything_over() {
    assert!(finished(true, true, 0, 0));
    assert!(!finished(false, true, 0, 0));
    assert!(!finished(true, false, 0, 0));
    assert!(!finished(true, true, 1, 0));
    assert!(!finished(true, true, 0, 1));
}

#[test]
fn spawn_step_every_case() {
    // (active, max_workers, owed, starting, queued, step)
    let cases = [
        (2, 2, 1, 0, 5, SpawnStep::Full),
        (3, 2, 0, 0, 0, SpawnStep::Full),
        (0, 2, 0, 0, 0, SpawnStep::Enough),
        (1, 2, 0, 1, 1, SpawnStep::Enough),
        (1, 2, 0, 1, 2, SpawnStep::Start { replacing: false }),
        (1, 2, 1, 1, 0, SpawnStep::Start { replacing: true }),
        (0, 1, 0, 0, 1, SpawnStep::Start { replacing: false }),
    ];
    for (active, max, owed, starting, queued, want) in cases {
        assert_eq!(
            spawn_step(active, max, owed, starting, queued),
            want,
            "{active} {max} {owed} {starting} {queued}"
        );
    }
}

prop_compose! {
    fn any_slot(t0: Instant)(
        starting in any::<bool>(),
        retiring in any::<bool>(),
        gone in any::<bool>(),
        in_flight in 0..DEEP + 2,
        used in any::<bool>(),
        spent in any::<bool>(),
        fast in any::<bool>(),
        age_us in 0u64..3_000,
    ) -> Slot {
        Slot {
            phase: if starting { Phase::Setup } else { Phase::Ready },
            retiring, gone, in_flight, used, spent, fast,
            head_since: t0.checked_sub(Duration::from_micros(age_us)).unwrap_or(t0),
        }
    }
}

fn takes(s: &Slot, now: Instant, alone: bool) -> bool {
    !s.retiring && !s.gone && !s.spent && s.in_flight < depth(s, now, alone)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// A task goes only to a worker that takes tasks, and to the least loaded of
    /// those (among the unused first, for a retry); it is held only for a retry
    /// while a fresh worker comes and every worker with room has run tasks; and
    /// dispatch stops only when no worker has room.
    #[test]
    fn pick_is_sound(
        (t0, slots) in Just(Instant::now()).prop_flat_map(|t0| {
            (Just(t0), proptest::collection::vec(any_slot(t0), 0..6))
        }),
        attempts in 0u32..3,
        alone in any::<bool>(),
        fresh in any::<bool>(),
    ) {
        let open: Vec<&Slot> = slots.iter().filter(|s| takes(s, t0, alone)).collect();
        match pick(attempts, slots.iter().copied(), t0, alone, fresh) {
            Pick::Full => prop_assert!(open.is_empty()),
            Pick::Hold => {
                prop_assert!(attempts > 0 && fresh);
                prop_assert!(!open.is_empty() && open.iter().all(|s| s.used));
            }
            Pick::To(i) => {
                let chosen = &slots[i];
                prop_assert!(takes(chosen, t0, alone));
                let key = |s: &Slot| (attempts > 0 && s.used, s.in_flight);
                prop_assert!(open.iter().all(|s| key(chosen) <= key(s)));
                prop_assert!(!(attempts > 0 && fresh && chosen.used));
            }
        }
    }

    /// Depth is one of the two, and never shallower for a worker alone.
    #[test]
    fn depth_is_deep_or_shallow(
        (t0, s) in Just(Instant::now()).prop_flat_map(|t0| (Just(t0), any_slot(t0))),
    ) {
        let apart = depth(&s, t0, false);
        let alone = depth(&s, t0, true);
        prop_assert!(apart == DEEP || apart == SHALLOW);
        prop_assert!(alone >= apart);
    }

    /// No step starts a worker past `max_workers`; a replacement is a start only
    /// while one is owed; with nothing owed, starts follow the queued work.
    #[test]
    fn spawn_step_is_sound(
        active in 0usize..5,
        max in 1usize..5,
        owed in 0usize..3,
        starting in 0usize..5,
        queued in 0usize..5,
    ) {
        match spawn_step(active, max, owed, starting, queued) {
            SpawnStep::Full => prop_assert!(active >= max),
            SpawnStep::Enough => prop_assert!(active < max && owed == 0 && starting >= queued),
            SpawnStep::Start { replacing } => {
                prop_assert!(active < max);
                prop_assert_eq!(replacing, owed > 0);
                prop_assert!(owed > 0 || starting < queued);
            }
        }
    }

    /// A worker retires only when idle and not retiring already, and a replacement
    /// is owed only for one spent while the pool runs on.
    #[test]
    fn retire_is_sound(
        s in any_slot(Instant::now()),
        idle in any::<bool>(),
        shutdown in any::<bool>(),
        drained in any::<bool>(),
    ) {
        match retire(&s, idle, shutdown, drained) {
            Retire::Keep => {
                prop_assert!(s.retiring || !idle || !(s.spent || (shutdown && drained)));
            }
            Retire::Now { replace } => {
                prop_assert!(idle && !s.retiring);
                prop_assert_eq!(replace, s.spent && !shutdown);
            }
        }
    }
}
