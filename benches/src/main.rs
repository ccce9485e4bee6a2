//! `cargo xtask bench`: weft and its peers on the same workloads, in one run.
//!
//! Every workload runs each system for several samples, interleaved (system A, B, C,
//! A, B, C, ...) so that machine noise hits all of them alike, and reports the median,
//! min and max throughput and the ratio of each system to the best peer. Each
//! workload checks its own result: a benchmark that computes a wrong answer fails.
//!
//! Usage: `weft-benches [--quick] [FILTER]` (FILTER selects groups by substring).

mod executor_join;
mod executor_memory;
mod executor_submit;
mod harness;
mod process_pool;
mod report;
mod sync_event;
mod sync_lock;

use std::process::ExitCode;

use harness::Config;

fn main() -> ExitCode {
    // First: a worker process of either pool diverts here into its loop.
    weft::process::init();
    procspawn::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, system, n] = args.as_slice()
        && flag == "--child-memory"
    {
        // A child of the memory group: run one system, print its peak RSS.
        executor_memory::child(system, n.parse().unwrap_or(0));
        println!("{}", executor_memory::peak_rss_kib());
        return ExitCode::SUCCESS;
    }
    let mut config = Config::full();
    let mut filter = None;
    for arg in args {
        match arg.as_str() {
            "--quick" => config = Config::quick(),
            "-h" | "--help" => {
                println!("usage: weft-benches [--quick] [FILTER]");
                return ExitCode::SUCCESS;
            }
            other if !other.starts_with('-') => filter = Some(other.to_owned()),
            other => {
                eprintln!("unknown flag {other}; usage: weft-benches [--quick] [FILTER]");
                return ExitCode::from(2);
            }
        }
    }
    let selected = |group: &str| filter.as_deref().is_none_or(|f| group.contains(f));

    let mut results = Vec::new();
    if selected("lock") {
        results.extend(sync_lock::run(&config));
    }
    if selected("submit") {
        results.extend(executor_submit::run(&config));
    }
    if selected("join") {
        results.extend(executor_join::run(&config));
    }
    if selected("memory") {
        results.extend(executor_memory::run(&config));
    }
    if selected("event") {
        results.extend(sync_event::run(&config));
    }
    if selected("process") {
        results.extend(process_pool::run(&config));
    }
    report::print_and_save(&results, &config)
}
