//! Every case of a dead worker's settlement, as a table, and the properties that hold
//! for any input (`src/wire/README.md`, invariants 3, 4 and 10).

use weftkit_shim::time::Duration;

use proptest::prelude::*;
use weftkit_executor::TaskError;

use super::*;

const PID: u32 = 7;
const SIGKILL: i32 = 9;
const REASON: &str = "the initializer failed";
const TIMEOUT: Duration = Duration::from_secs(5);

fn open() -> Standing<'static> {
    Standing::Open { shutdown: false }
}

/// Tasks with ids 1, 2, ... and these attempts.
fn tasks(attempts: &[u32]) -> Vec<InFlight> {
    (1..)
        .zip(attempts)
        .map(|(id, &attempts)| InFlight { id, attempts })
        .collect()
}

/// One row of the table: the worker and the pool, then what must be decided.
struct Row {
    name: &'static str,
    standing: Standing<'static>,
    phase: Phase,
    retiring: bool,
    exit: Exit,
    status: (Option<i32>, Option<i32>),
    attempts: &'static [u32],
    retries: u32,
    start_failures: u32,
    fates: Vec<Fate>,
    verdict: Verdict,
}

impl Row {
    fn check(&self) {
        let tasks = tasks(self.attempts);
        let worker = Reaped {
            pid: PID,
            phase: self.phase,
            retiring: self.retiring,
            exit: &self.exit,
            signal: self.status.0,
            exit_code: self.status.1,
            tasks: &tasks,
        };
        let pool = Pool {
            standing: self.standing,
            retries: self.retries,
            timeout: Some(TIMEOUT),
            start_failures: self.start_failures,
        };
        let got = settle(&worker, &pool);
        assert_eq!(
            got,
            Settlement {
                fates: self.fates.clone(),
                verdict: self.verdict.clone(),
            },
            "case {}",
            self.name
        );
    }
}

/// A row with the usual values: an open pool, a ready worker killed by `SIGKILL`,
/// no retries, no failed start before.
fn row(name: &'static str) -> Row {
    Row {
        name,
        standing: open(),
        phase: Phase::Ready,
        retiring: false,
        exit: Exit::Gone,
        status: (Some(SIGKILL), None),
        attempts: &[0, 0, 0],
        retries: 0,
        start_failures: 0,
        fates: Vec::new(),
        verdict: Verdict::Settled { replace: true },
    }
}

fn died(signal: Option<i32>, exit_code: Option<i32>) -> Fate {
    Fate::Fail(TaskError::WorkerDied { signal, exit_code })
}

fn broken(reason: &str) -> Fate {
    Fate::Fail(TaskError::PoolBroken {
        reason: reason.to_owned(),
    })
}

fn damaged_head(why: &str) -> Fate {
    Fate::Fail(TaskError::Codec {
        message: format!("the worker's reply was damaged: {why}"),
    })
}

fn may_have_run() -> Fate {
    Fate::Fail(TaskError::Codec {
        message: "the worker's stream was damaged before this task's reply came, so it may have run; give the pool retries(n) to run such tasks again".to_owned(),
    })
}

fn ended_in_start_up(status: &str) -> String {
    format!(
        "worker process {PID} ended during start-up ({status}); is weftkit::process::init() first in main, and does the initializer succeed?"
    )
}

/// The pool is over: whatever the worker did, its tasks fail with the pool's error.
fn pool_over_rows() -> Vec<Row> {
    vec![
        Row {
            standing: Standing::Broken(REASON),
            fates: vec![broken(REASON); 3],
            verdict: Verdict::PoolOver,
            ..row("a broken pool fails every task with its reason")
        },
        Row {
            standing: Standing::Broken(REASON),
            phase: Phase::Hello,
            attempts: &[],
            verdict: Verdict::PoolOver,
            ..row("a broken pool settles a starting worker without tasks as over")
        },
        Row {
            standing: Standing::Ending,
            retries: 3,
            fates: vec![Fate::Fail(TaskError::Cancelled); 3],
            verdict: Verdict::PoolOver,
            ..row("an ending pool cancels every task, retries or not")
        },
        Row {
            standing: Standing::Ending,
            phase: Phase::Setup,
            exit: Exit::LateStart,
            attempts: &[0],
            fates: vec![Fate::Fail(TaskError::Cancelled)],
            verdict: Verdict::PoolOver,
            ..row("an ending pool cancels the tasks of a late starter too")
        },
    ]
}

/// The worker was not ready: no task started on it (invariant 4).
fn start_up_rows() -> Vec<Row> {
    vec![
        Row {
            phase: Phase::Hello,
            fates: vec![Fate::Requeue; 3],
            verdict: Verdict::Restart { counts: true },
            ..row("killed from outside before its hello: every task goes back, in order")
        },
        Row {
            phase: Phase::Setup,
            start_failures: START_ATTEMPTS - 2,
            fates: vec![Fate::Requeue; 3],
            verdict: Verdict::Restart { counts: true },
            ..row("killed in its initializer, not yet too often: restarted")
        },
        Row {
            phase: Phase::Setup,
            start_failures: START_ATTEMPTS - 1,
            fates: vec![broken(&ended_in_start_up("killed by signal 9")); 3],
            verdict: Verdict::BreakPool(ended_in_start_up("killed by signal 9")),
            ..row("killed during start-up once too often: the pool breaks")
        },
        Row {
            phase: Phase::Hello,
            exit: Exit::LateStart,
            start_failures: START_ATTEMPTS - 1,
            fates: vec![Fate::Requeue; 3],
            verdict: Verdict::Restart { counts: false },
            ..row("a late starter among ready workers is replaced and counts for nothing")
        },
        Row {
            phase: Phase::Setup,
            exit: Exit::LateStart,
            retiring: true,
            attempts: &[],
            verdict: Verdict::Restart { counts: false },
            ..row("a retiring late starter was killed by the pool: not a planned exit")
        },
        Row {
            phase: Phase::Setup,
            status: (None, Some(1)),
            fates: vec![broken(&ended_in_start_up("exit code 1")); 3],
            verdict: Verdict::BreakPool(ended_in_start_up("exit code 1")),
            ..row("a worker that exits during start-up breaks the pool")
        },
        Row {
            phase: Phase::Hello,
            status: (None, None),
            attempts: &[0],
            fates: vec![broken(&ended_in_start_up("no status"))],
            verdict: Verdict::BreakPool(ended_in_start_up("no status")),
            ..row("a starting worker with no status breaks the pool")
        },
        Row {
            phase: Phase::Setup,
            exit: Exit::Damaged("bad crc".to_owned()),
            attempts: &[0, 0],
            fates: vec![
                broken(&format!(
                    "worker process {PID} broke the protocol during start-up (bad crc)"
                ));
                2
            ],
            verdict: Verdict::BreakPool(format!(
                "worker process {PID} broke the protocol during start-up (bad crc)"
            )),
            ..row("a starting worker that breaks the protocol breaks the pool")
        },
        Row {
            phase: Phase::Hello,
            exit: Exit::Deadline { id: 1 },
            attempts: &[0],
            fates: vec![broken(&ended_in_start_up("killed by signal 9"))],
            verdict: Verdict::BreakPool(ended_in_start_up("killed by signal 9")),
            ..row("a kill by the pool during start-up other than for lateness breaks the pool")
        },
        Row {
            phase: Phase::Hello,
            standing: Standing::Open { shutdown: true },
            attempts: &[0],
            fates: vec![Fate::Requeue],
            verdict: Verdict::Restart { counts: true },
            ..row("a restart is owed even in shutdown (the manager forgets it when it spawns)")
        },
        Row {
            phase: Phase::Hello,
            retiring: true,
            attempts: &[],
            verdict: Verdict::Settled { replace: false },
            ..row("a starting worker retired at shutdown ends as planned")
        },
        Row {
            phase: Phase::Setup,
            retiring: true,
            attempts: &[0],
            fates: vec![Fate::Requeue],
            verdict: Verdict::Restart { counts: true },
            ..row("a retiring worker with tasks was not planned to end")
        },
    ]
}

/// The worker was ready: only the head may have started (invariant 4).
fn ready_rows() -> Vec<Row> {
    vec![
        Row {
            fates: vec![died(Some(SIGKILL), None), Fate::Requeue, Fate::Requeue],
            ..row("a death fails the head with the signal, and the rest go back")
        },
        Row {
            status: (None, Some(3)),
            fates: vec![died(None, Some(3)), Fate::Requeue, Fate::Requeue],
            ..row("an exit fails the head with the exit code")
        },
        Row {
            status: (None, None),
            attempts: &[0],
            fates: vec![died(None, None)],
            ..row("a death without a status says so")
        },
        Row {
            retries: 1,
            attempts: &[0, 0],
            fates: vec![Fate::Retry, Fate::Requeue],
            ..row("with retries left the head runs again")
        },
        Row {
            retries: 1,
            attempts: &[1, 0],
            fates: vec![died(Some(SIGKILL), None), Fate::Requeue],
            ..row("with its retries spent the head fails")
        },
        Row {
            retries: 2,
            attempts: &[0, 2],
            fates: vec![Fate::Retry, Fate::Requeue],
            ..row("a task behind the head goes back unchanged, whatever its attempts")
        },
        Row {
            exit: Exit::Deadline { id: 1 },
            retries: 5,
            attempts: &[0, 0],
            fates: vec![
                Fate::Fail(TaskError::DeadlineExceeded { timeout: TIMEOUT }),
                Fate::Requeue,
            ],
            ..row("the head's own deadline fails it, retries or not")
        },
        Row {
            exit: Exit::Deadline { id: 9 },
            attempts: &[0, 0],
            fates: vec![died(Some(SIGKILL), None), Fate::Requeue],
            ..row("killed for a task whose reply came after all: the head died")
        },
        Row {
            exit: Exit::Deadline { id: 9 },
            retries: 1,
            attempts: &[0],
            fates: vec![Fate::Retry],
            ..row("killed for a task whose reply came after all: the head is retried")
        },
        Row {
            exit: Exit::LateStart,
            attempts: &[0, 0],
            fates: vec![died(Some(SIGKILL), None), Fate::Requeue],
            ..row("a late starter that was ready after all settles as a death")
        },
        Row {
            exit: Exit::Damaged("bad crc".to_owned()),
            fates: vec![damaged_head("bad crc"), may_have_run(), may_have_run()],
            ..row("a damaged stream fails the head, and the rest may have run")
        },
        Row {
            exit: Exit::Damaged("bad crc".to_owned()),
            retries: 2,
            attempts: &[0, 1, 2],
            fates: vec![damaged_head("bad crc"), Fate::Retry, may_have_run()],
            ..row("past a damaged frame each task counts as run once")
        },
        Row {
            attempts: &[],
            ..row("a ready worker without tasks that died is replaced")
        },
        Row {
            retiring: true,
            attempts: &[],
            verdict: Verdict::Settled { replace: false },
            ..row("a retired worker that ends as planned is not replaced")
        },
        Row {
            retiring: true,
            attempts: &[0],
            fates: vec![died(Some(SIGKILL), None)],
            ..row("a retiring worker that dies under a task is replaced")
        },
        Row {
            retiring: true,
            exit: Exit::Deadline { id: 5 },
            attempts: &[],
            ..row("a retiring worker killed by the pool is replaced")
        },
        Row {
            standing: Standing::Open { shutdown: true },
            attempts: &[0],
            fates: vec![died(Some(SIGKILL), None)],
            verdict: Verdict::Settled { replace: false },
            ..row("in shutdown a dead worker is not replaced")
        },
    ]
}

#[test]
fn every_case_of_a_settlement() {
    let rows: Vec<Row> = [pool_over_rows(), start_up_rows(), ready_rows()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(rows.len(), SETTLE_CASES);
    for row in &rows {
        row.check();
    }
}

/// The rows of the table above, counted so that none is dropped by mistake.
const SETTLE_CASES: usize = 4 + 12 + 17;

#[test]
fn a_deadline_without_a_timeout_setting_says_zero() {
    let tasks = tasks(&[0]);
    let exit = Exit::Deadline { id: 1 };
    let worker = Reaped {
        pid: PID,
        phase: Phase::Ready,
        retiring: false,
        exit: &exit,
        signal: Some(SIGKILL),
        exit_code: None,
        tasks: &tasks,
    };
    let pool = Pool {
        standing: open(),
        retries: 0,
        timeout: None,
        start_failures: 0,
    };
    assert_eq!(
        settle(&worker, &pool).fates,
        vec![Fate::Fail(TaskError::DeadlineExceeded {
            timeout: Duration::ZERO
        })]
    );
}

#[test]
fn only_restarts_and_broken_starts_are_failed_starts() {
    assert!(Verdict::Restart { counts: false }.failed_start());
    assert!(Verdict::BreakPool(String::new()).failed_start());
    assert!(!Verdict::PoolOver.failed_start());
    assert!(!Verdict::Settled { replace: true }.failed_start());
}

#[test]
fn sort_out_keeps_the_order_and_counts_the_retried() {
    let fates = vec![
        Fate::Retry,
        Fate::Fail(TaskError::Cancelled),
        Fate::Requeue,
        Fate::Retry,
    ];
    let sorted = sort_out(tasks(&[0, 0, 0, 1]).into_iter(), fates, |t| t.attempts += 1);
    assert_eq!(
        sorted.back,
        vec![
            InFlight { id: 1, attempts: 1 },
            InFlight { id: 3, attempts: 0 },
            InFlight { id: 4, attempts: 2 },
        ]
    );
    assert_eq!(
        sorted.failed,
        vec![(InFlight { id: 2, attempts: 0 }, TaskError::Cancelled)]
    );
}

#[test]
fn a_reply_must_be_for_the_head() {
    assert_eq!(check_reply(Some(4), 4), Ok(()));
    assert_eq!(
        check_reply(Some(4), 5),
        Err("a reply for task 5 out of order".to_owned())
    );
    assert_eq!(
        check_reply(None, 5),
        Err("a reply for task 5, which was not sent".to_owned())
    );
}

fn any_phase() -> impl Strategy<Value = Phase> {
    prop_oneof![Just(Phase::Hello), Just(Phase::Setup), Just(Phase::Ready)]
}

/// Any exit; a deadline names one of the ids 0..=4 (tasks have ids 1, 2, ...).
fn any_exit() -> impl Strategy<Value = Exit> {
    prop_oneof![
        Just(Exit::Gone),
        (0u64..5).prop_map(|id| Exit::Deadline { id }),
        Just(Exit::Damaged("bad crc".to_owned())),
        Just(Exit::LateStart),
    ]
}

fn any_standing() -> impl Strategy<Value = Standing<'static>> {
    prop_oneof![
        any::<bool>().prop_map(|shutdown| Standing::Open { shutdown }),
        Just(Standing::Ending),
        Just(Standing::Broken(REASON)),
    ]
}

/// Any input to [`settle`], as owned values.
#[derive(Debug, Clone)]
struct Input {
    phase: Phase,
    retiring: bool,
    exit: Exit,
    signal: Option<i32>,
    exit_code: Option<i32>,
    tasks: Vec<InFlight>,
    standing: Standing<'static>,
    retries: u32,
    timeout: Option<Duration>,
    start_failures: u32,
}

impl Input {
    fn decide(&self) -> Settlement {
        let worker = Reaped {
            pid: PID,
            phase: self.phase,
            retiring: self.retiring,
            exit: &self.exit,
            signal: self.signal,
            exit_code: self.exit_code,
            tasks: &self.tasks,
        };
        let pool = Pool {
            standing: self.standing,
            retries: self.retries,
            timeout: self.timeout,
            start_failures: self.start_failures,
        };
        settle(&worker, &pool)
    }
}

prop_compose! {
    fn any_input()(
        phase in any_phase(),
        retiring in any::<bool>(),
        exit in any_exit(),
        signal in proptest::option::of(1i32..32),
        exit_code in proptest::option::of(0i32..256),
        attempts in proptest::collection::vec(0u32..5, 0..6),
        standing in any_standing(),
        retries in 0u32..5,
        timeout in proptest::option::of((1u64..10_000).prop_map(Duration::from_millis)),
        start_failures in 0u32..START_ATTEMPTS,
    ) -> Input {
        Input {
            phase, retiring, exit, signal, exit_code, tasks: tasks(&attempts), standing,
            retries, timeout, start_failures,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// A decision never loses a task: every task in flight gets one fate, and ends
    /// exactly once, either back in the queue (in its order) or failed; so none is
    /// both retried and failed.
    #[test]
    fn every_task_ends_exactly_once(input in any_input()) {
        let settlement = input.decide();
        prop_assert_eq!(settlement.fates.len(), input.tasks.len());
        let sorted = sort_out(input.tasks.iter().copied(), settlement.fates, |t| t.attempts += 1);
        let mut ids: Vec<u64> = sorted.back.iter().map(|t| t.id).collect();
        prop_assert!(ids.is_sorted(), "back in their order: {:?}", ids);
        ids.extend(sorted.failed.iter().map(|(t, _)| t.id));
        ids.sort_unstable();
        let all: Vec<u64> = input.tasks.iter().map(|t| t.id).collect();
        prop_assert_eq!(ids, all);
    }

    /// A task runs at most `retries + 1` times: it is retried only while its
    /// attempts are below `retries`, so after the retry they are at most `retries`.
    #[test]
    fn attempts_never_exceed_retries(input in any_input()) {
        let settlement = input.decide();
        for (task, fate) in input.tasks.iter().zip(&settlement.fates) {
            if *fate == Fate::Retry {
                prop_assert!(task.attempts < input.retries);
            }
        }
    }

    /// A task that may have run never goes back as if it had not (invariants 3 and
    /// 4): the head of a ready worker, and every task of a damaged one.
    #[test]
    fn a_task_that_may_have_run_is_never_requeued_unchanged(input in any_input()) {
        let settlement = input.decide();
        if input.phase == Phase::Ready {
            let damaged = matches!(input.exit, Exit::Damaged(_));
            for (k, fate) in settlement.fates.iter().enumerate() {
                if k == 0 || damaged {
                    prop_assert_ne!(fate, &Fate::Requeue);
                }
            }
        }
    }

    /// A task that never started (behind the head, or on a worker not yet ready)
    /// is never failed with the worker's death nor counted as run, in a pool that
    /// goes on and a stream that is whole.
    #[test]
    fn a_task_that_never_started_goes_back_as_it_was(input in any_input()) {
        let settlement = input.decide();
        let goes_on = matches!(
            settlement.verdict,
            Verdict::Settled { .. } | Verdict::Restart { .. }
        );
        if goes_on && !matches!(input.exit, Exit::Damaged(_)) {
            let behind = usize::from(input.phase == Phase::Ready);
            for fate in settlement.fates.iter().skip(behind) {
                prop_assert_eq!(fate, &Fate::Requeue);
            }
        }
    }

    /// The head's own deadline fails it with `DeadlineExceeded`, whatever the retries.
    #[test]
    fn a_head_past_its_deadline_always_fails_with_it(input in any_input()) {
        let settlement = input.decide();
        let own_deadline = matches!(
            (&input.exit, input.tasks.first()),
            (Exit::Deadline { id }, Some(head)) if *id == head.id
        );
        if own_deadline && matches!(settlement.verdict, Verdict::Settled { .. }) {
            prop_assert_eq!(
                &settlement.fates[0],
                &Fate::Fail(TaskError::DeadlineExceeded {
                    timeout: input.timeout.unwrap_or_default()
                })
            );
        }
    }

    /// What happens to the pool matches what happens to the tasks: an over or
    /// broken pool sends nothing back and fails every task with its own error; a
    /// restart sends everything back.
    #[test]
    fn the_verdict_matches_the_fates(input in any_input()) {
        let settlement = input.decide();
        match &settlement.verdict {
            Verdict::PoolOver => {
                let error = match input.standing {
                    Standing::Broken(reason) => TaskError::PoolBroken { reason: reason.to_owned() },
                    Standing::Ending => TaskError::Cancelled,
                    Standing::Open { .. } => {
                        return Err(TestCaseError::fail("an open pool is not over"));
                    }
                };
                for fate in &settlement.fates {
                    prop_assert_eq!(fate, &Fate::Fail(error.clone()));
                }
            }
            Verdict::BreakPool(reason) => {
                prop_assert!(input.phase != Phase::Ready);
                for fate in &settlement.fates {
                    prop_assert_eq!(fate, &broken(reason));
                }
            }
            Verdict::Restart { counts } => {
                prop_assert!(input.phase != Phase::Ready);
                prop_assert!(settlement.fates.iter().all(|f| *f == Fate::Requeue));
                if *counts {
                    prop_assert!(input.signal.is_some() && input.exit == Exit::Gone);
                    prop_assert!(input.start_failures + 1 < START_ATTEMPTS);
                }
            }
            Verdict::Settled { replace } => {
                let open = matches!(input.standing, Standing::Open { .. });
                prop_assert!(open);
                let planned = input.retiring && input.tasks.is_empty() && input.exit == Exit::Gone;
                prop_assert!(input.phase == Phase::Ready || planned);
                let shutdown = input.standing == Standing::Open { shutdown: true };
                prop_assert_eq!(*replace, !planned && !shutdown);
            }
        }
    }
}
