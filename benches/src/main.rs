//! `cargo xtask bench`: weft and its peers on the same workloads, in one run.
//!
//! Every workload runs each system for several samples, interleaved (system A, B, C,
//! A, B, C, ...) so that machine noise hits all of them alike, and reports the median,
//! min and max and the ratio of each system to the best peer, plus each system's peak
//! RSS measured alone in a child process. Each workload checks its own result: a
//! benchmark that computes a wrong answer fails the run.
//!
//! Usage: `weftkit-benches [--quick | --smoke] [GROUP...]`.

mod chart;
mod child;
mod executor_join;
mod executor_map;
mod executor_memory;
mod executor_progress;
mod executor_startup;
mod executor_submit;
mod harness;
mod machine;
#[cfg(feature = "mpi")]
mod mpi_pool;
mod peers;
mod process_pool;
mod report;
mod seed_csv;
mod sync_event;
mod sync_lock;
mod sync_queue;
mod sync_semaphore;

use std::process::ExitCode;

use harness::{Bench, Config, Mode};

/// A group of workloads: its name (what `cargo xtask bench GROUP` selects) and the
/// function that builds its systems and hands each workload to the harness.
struct Group {
    name: &'static str,
    about: &'static str,
    run: fn(&mut Bench),
}

/// Every group, in the order they run.
const GROUPS: &[Group] = &[
    Group {
        name: "lock",
        about: "Lock uncontended and contended (2, 8 threads) vs parking_lot, std",
        run: sync_lock::run,
    },
    Group {
        name: "event",
        about: "Event ping-pong vs std and parking_lot Mutex+Condvar flags",
        run: sync_event::run,
    },
    Group {
        name: "semaphore",
        about: "Semaphore acquire/release, uncontended and contended vs Mutex+Condvar semaphores",
        run: sync_semaphore::run,
    },
    Group {
        name: "queue",
        about: "bounded Queue producer/consumer 1:1 and 4:4 vs mpsc sync_channel, crossbeam-channel",
        run: sync_queue::run,
    },
    Group {
        name: "submit",
        about: "1M tiny tasks submitted and awaited vs rayon, threadpool, a crossbeam-channel pool",
        run: executor_submit::run_submit,
    },
    Group {
        name: "futures",
        about: "a Future per task, results collected, vs oneshot peers and Python",
        run: executor_submit::run_futures,
    },
    Group {
        name: "join",
        about: "recursive fib fork-join vs rayon::join",
        run: executor_join::run,
    },
    Group {
        name: "startup",
        about: "build a thread pool, run a task on every worker, shut it down",
        run: executor_startup::run,
    },
    Group {
        name: "map",
        about: "map over 10M items vs rayon par_iter and std::thread::scope chunks",
        run: executor_map::run,
    },
    Group {
        name: "progress",
        about: "a 1M-task map with and without the progress bar (the bar's cost)",
        run: executor_progress::run,
    },
    Group {
        name: "memory",
        about: "2M slow tasks: bounded vs unbounded queues, time and peak RSS",
        run: executor_memory::run,
    },
    Group {
        name: "csv",
        about: "the seed's case: a task per line of a 2M-line CSV, 5 workers, time and peak RSS",
        run: seed_csv::run,
    },
    #[cfg(feature = "mpi")]
    Group {
        name: "mpi",
        about: "MPI pools on 4 ranks: map at chunksize 1 and 1000, start-up, vs mpi4py.futures and ProcessPool",
        run: mpi_pool::run,
    },
    Group {
        name: "process",
        about: "process pools: map at chunksize 1 and 1000, start-up, vs procspawn and Python",
        run: process_pool::run,
    },
];

const USAGE: &str = "usage: weftkit-benches [--quick | --smoke] [GROUP...]";

fn usage() -> String {
    let mut text = format!("{USAGE}\n\ngroups (all when none is named):\n");
    for g in GROUPS {
        text.push_str(&format!("  {:<10} {}\n", g.name, g.about));
    }
    text
}

fn main() -> ExitCode {
    // First: a worker process of either pool diverts here into its loop.
    weftkit::process::init();
    procspawn::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    #[cfg(feature = "mpi")]
    if args.first().map(String::as_str) == Some(mpi_pool::CHILD_FLAG) {
        return mpi_pool::child(&args[1..]);
    }
    let mut mode = Mode::Full;
    let mut names = Vec::new();
    let mut child = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => mode = Mode::Quick,
            "--smoke" => mode = Mode::Smoke,
            "--child" => {
                // --child GROUP WORKLOAD SYSTEM: run one system once (see harness.rs).
                let (Some(g), Some(w), Some(s)) = (rest.next(), rest.next(), rest.next()) else {
                    eprintln!("--child needs GROUP WORKLOAD SYSTEM");
                    return ExitCode::from(2);
                };
                child = Some((g.clone(), w.clone(), s.clone()));
            }
            "-h" | "--help" => {
                print!("{}", usage());
                return ExitCode::SUCCESS;
            }
            name if !name.starts_with('-') => names.push(name.to_owned()),
            other => {
                eprintln!("unknown flag {other}\n{}", usage());
                return ExitCode::from(2);
            }
        }
    }
    let config = Config { mode };

    if let Some((group, workload, system)) = child {
        let Some(g) = GROUPS.iter().find(|g| g.name == group) else {
            eprintln!("unknown group {group}");
            return ExitCode::from(2);
        };
        let mut bench = Bench::child(config, workload.clone(), system);
        bench.start_group(g.name);
        (g.run)(&mut bench);
        // run_in_child exits the process once it found the workload.
        eprintln!("group {group} has no workload {workload:?}");
        return ExitCode::from(3);
    }

    if let Some(unknown) = names.iter().find(|n| !GROUPS.iter().any(|g| g.name == *n)) {
        eprintln!("unknown group {unknown}\n{}", usage());
        return ExitCode::from(2);
    }
    let machine = machine::Machine::detect();
    let mut bench = Bench::parent(config);
    for g in GROUPS {
        if names.is_empty() || names.iter().any(|n| n == g.name) {
            bench.start_group(g.name);
            (g.run)(&mut bench);
        }
    }
    report::print_and_save(&bench, &machine, &args)
}
