//! One exit per worker and round: the more telling wins, in an order that lets the
//! manager take the workers out one by one.

use proptest::prelude::*;

use super::*;

fn damaged() -> Exit {
    Exit::Damaged("bad crc".to_owned())
}

/// Exits found in one round: `(worker index, exit)`.
type Exits = Vec<(usize, Exit)>;

#[test]
fn one_exit_per_worker_every_case() {
    let cases: Vec<(Exits, Exits)> = vec![
        (vec![], vec![]),
        (vec![(0, Exit::Gone)], vec![(0, Exit::Gone)]),
        // A deadline passed as the worker died is the task's deadline.
        (
            vec![(0, Exit::Gone), (0, Exit::Deadline { id: 3 })],
            vec![(0, Exit::Deadline { id: 3 })],
        ),
        (
            vec![(1, Exit::LateStart), (1, damaged())],
            vec![(1, damaged())],
        ),
        (
            vec![(2, Exit::Gone), (2, Exit::LateStart)],
            vec![(2, Exit::LateStart)],
        ),
        (
            vec![(1, damaged()), (1, Exit::Deadline { id: 4 })],
            vec![(1, Exit::Deadline { id: 4 })],
        ),
        // Highest index first, for `swap_remove`.
        (
            vec![(0, Exit::Gone), (2, Exit::Gone), (1, damaged())],
            vec![(2, Exit::Gone), (1, damaged()), (0, Exit::Gone)],
        ),
        // Of two equal exits, the first found.
        (
            vec![(0, Exit::Deadline { id: 1 }), (0, Exit::Deadline { id: 2 })],
            vec![(0, Exit::Deadline { id: 1 })],
        ),
    ];
    for (input, want) in cases {
        assert_eq!(one_exit_per_worker(input.clone()), want, "{input:?}");
    }
}

#[test]
fn only_a_worker_gone_by_itself_is_not_killed() {
    assert!(!Exit::Gone.kills());
    assert!(Exit::Deadline { id: 0 }.kills());
    assert!(damaged().kills());
    assert!(Exit::LateStart.kills());
}

fn any_exit() -> impl Strategy<Value = Exit> {
    prop_oneof![
        Just(Exit::Gone),
        (0u64..3).prop_map(|id| Exit::Deadline { id }),
        Just(damaged()),
        Just(Exit::LateStart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Every worker with an exit keeps exactly one, of the lowest rank it had, and
    /// the indices come strictly descending, so `swap_remove` in this order never
    /// moves a worker still to be taken out.
    #[test]
    fn one_exit_each_highest_index_first(
        exits in proptest::collection::vec((0usize..5, any_exit()), 0..12),
    ) {
        let kept = one_exit_per_worker(exits.clone());
        prop_assert!(kept.windows(2).all(|w| w[0].0 > w[1].0));
        let mut had: Vec<usize> = exits.iter().map(|(i, _)| *i).collect();
        had.sort_unstable();
        had.dedup();
        let mut got: Vec<usize> = kept.iter().map(|(i, _)| *i).collect();
        got.reverse();
        prop_assert_eq!(got, had);
        for (i, exit) in &kept {
            let best = exits.iter().filter(|(j, _)| j == i).map(|(_, e)| e.rank()).min();
            prop_assert_eq!(Some(exit.rank()), best);
        }
    }
}
