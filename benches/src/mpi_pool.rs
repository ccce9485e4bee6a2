//! MPI pools: 100,000 trivial calls through `map` at chunksize 1 and 1000 on 4 ranks (a
//! client and 3 workers), and start-up to the first result: weft's `MpiPool` against
//! `mpi4py.futures.MPIPoolExecutor` (Debian's `python3-mpi4py`, for `/usr/bin/python3`),
//! both under `mpirun -n 4 --oversubscribe`, and against weft's own `ProcessPool` with 3
//! workers on the same work. Built with the `mpi` feature (`cargo xtask bench` turns it
//! on where OpenMPI is installed); skipped, saying so, where `mpirun` is missing.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::child::{self, ChildRun};
use crate::harness::{Bench, Contender, Workload, rate_of};

const RANKS: &str = "4";
const WORKERS: usize = 3;
const WEFT: &str = "weft MpiPool";
const MPI4PY: &str = "mpi4py.futures MPIPoolExecutor";
const PROCESS: &str = "weft ProcessPool (3 workers)";
/// Debian's Python, the one its `python3-mpi4py` is for (not a `python3` on `PATH`).
const SYSTEM_PYTHON: &str = "/usr/bin/python3";
/// The flag that makes this binary an MPI program (every rank runs it).
pub(crate) const CHILD_FLAG: &str = "--mpi-child";

/// The trivial call every system makes (as the process group's).
fn work(n: u64) -> u64 {
    n.wrapping_mul(3) ^ 1
}

fn expected(n: u64) -> u64 {
    (0..n).map(work).fold(0, u64::wrapping_add)
}

fn mpirun() -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args(["-n", RANKS, "--oversubscribe"])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    cmd
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn has_mpi4py() -> bool {
    Path::new(SYSTEM_PYTHON).is_file()
        && Command::new(SYSTEM_PYTHON)
            .args(["-c", "import mpi4py.futures"])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Runs `cmd`; its report, with `nanos` replaced by the wall time of the whole job
/// when `whole_job` (start-up: launch, init, the first result, exit).
fn job(cmd: Command, system: &str, want: u64, whole_job: bool) -> ChildRun {
    let started = Instant::now();
    let mut run = child::run(cmd, system).expect_check(system, &want.to_string());
    if whole_job {
        run.nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    }
    run
}

/// weft's MPI pool on `workload`: this binary on 4 ranks.
fn weft(workload: &str, n: u64) -> Contender<'static> {
    let workload = workload.to_owned();
    let want = if workload == "startup" {
        work(1)
    } else {
        expected(n)
    };
    Contender::external(WEFT, move || {
        let exe = std::env::current_exe().expect("the benchmark binary can find itself");
        let mut cmd = mpirun();
        cmd.arg(exe).args([CHILD_FLAG, &workload, &n.to_string()]);
        job(cmd, WEFT, want, workload == "startup")
    })
    .counted_as_weft()
    .max_samples(5)
}

/// mpi4py.futures on `workload`, where Debian's mpi4py is installed.
fn mpi4py(workload: &str, n: u64) -> Option<Contender<'static>> {
    if !has_mpi4py() {
        eprintln!(
            "  (Debian's python3-mpi4py not found: skipping mpi4py.futures; cargo xtask mpi --setup installs it)"
        );
        return None;
    }
    let workload = workload.to_owned();
    let want = if workload == "startup" {
        work(1)
    } else {
        expected(n)
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join("mpi_pool.py");
    Some(
        Contender::external(MPI4PY, move || {
            let mut cmd = mpirun();
            cmd.args([SYSTEM_PYTHON, "-m", "mpi4py.futures"])
                .arg(&script)
                .args([&workload, &n.to_string()]);
            job(cmd, MPI4PY, want, workload == "startup")
        })
        .max_samples(5),
    )
}

/// Runs the MPI group.
pub(crate) fn run(bench: &mut Bench) {
    if !on_path("mpirun") {
        eprintln!(
            "  (mpirun not found: skipping the MPI group; cargo xtask mpi --setup installs OpenMPI)"
        );
        return;
    }
    let n = bench.config.pick(100_000, 30_000, 1_000);
    let want = expected(n);
    let process_pool = weftkit::process::ProcessPool::builder()
        .max_workers(WORKERS)
        .build()
        .expect("weftkit::process::init() ran at the top of main");
    for chunksize in [1usize, 1000] {
        let script = format!("map{chunksize}");
        let measured = bench.run(
            Workload::new(
                format!("mpi/map {n} items, chunksize {chunksize}, 4 ranks"),
                "item",
            )
            .with(weft(&script, n))
            .with(Contender::peer(PROCESS, || {
                let sum = process_pool
                    .map(work, 0..n)
                    .chunksize(chunksize)
                    .map(|r| r.expect("no task fails"))
                    .fold(0, u64::wrapping_add);
                assert_eq!(sum, want, "a result was lost or wrong");
                n
            }))
            .with_opt(mpi4py(&script, n)),
        );
        let weft_rate = rate_of(&measured, WEFT);
        let factor = if chunksize == 1 { 10.0 } else { 3.0 };
        if let (Some(w), Some(p)) = (weft_rate, rate_of(&measured, MPI4PY)) {
            bench.target(
                format!("mpi: >= {factor}x mpi4py.futures at chunksize {chunksize}"),
                w >= factor * p,
                format!(
                    "weft {:.1} k/s vs mpi4py {:.1} k/s ({:.2}x)",
                    w / 1e3,
                    p / 1e3,
                    w / p
                ),
            );
        }
        if let (Some(w), Some(p)) = (weft_rate, rate_of(&measured, PROCESS)) {
            bench.target(
                format!("mpi: within 2x of the ProcessPool at chunksize {chunksize}"),
                w * 2.0 >= p,
                format!(
                    "weft MPI {:.1} k/s vs ProcessPool {:.1} k/s ({:.2}x)",
                    w / 1e3,
                    p / 1e3,
                    w / p
                ),
            );
        }
    }
    drop(process_pool);
    let measured = bench.run(
        Workload::new(
            "mpi/start-up to first result (whole mpirun job, 4 ranks)",
            "start",
        )
        .with(weft("startup", 1))
        .with_opt(mpi4py("startup", 1)),
    );
    if let (Some(w), Some(p)) = (rate_of(&measured, WEFT), rate_of(&measured, MPI4PY)) {
        bench.target(
            "mpi: start-up no slower than mpi4py.futures",
            w >= p,
            format!("weft {:.0} ms vs mpi4py {:.0} ms", 1e3 / w, 1e3 / p),
        );
    }
}

/// This binary as one rank of weft's MPI job: `--mpi-child WORKLOAD N`. Rank 0 runs the
/// workload and prints the report line; the other ranks serve it inside `init`.
pub(crate) fn child(args: &[String]) -> ExitCode {
    let (Some(workload), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("{CHILD_FLAG} needs WORKLOAD N");
        return ExitCode::from(2);
    };
    weftkit::mpi::init().expect("MPI start-up");
    let pool = weftkit::mpi::MpiPool::builder()
        .build()
        .expect("an MPI pool");
    let (ops, total, nanos) = if workload == "startup" {
        let started = Instant::now();
        let total = pool
            .submit(work, 1)
            .expect("open")
            .result()
            .expect("the first result");
        (1, total, started.elapsed().as_nanos())
    } else {
        let chunksize: usize = workload.trim_start_matches("map").parse().unwrap_or(1);
        // Warm, as the in-process pools are between samples: the same map on a tenth
        // of the items before the clock starts.
        let warm = pool.map(work, 0..n / 10).chunksize(chunksize).count();
        assert_eq!(warm as u64, n / 10);
        let started = Instant::now();
        let total = pool
            .map(work, 0..n)
            .chunksize(chunksize)
            .map(|r| r.expect("no task fails"))
            .fold(0, u64::wrapping_add);
        (n, total, started.elapsed().as_nanos())
    };
    drop(pool);
    println!(
        "{} ops={ops} nanos={nanos} rss_kib={} check={total}",
        child::REPORT_PREFIX,
        child::peak_rss_kib()
    );
    ExitCode::SUCCESS
}
