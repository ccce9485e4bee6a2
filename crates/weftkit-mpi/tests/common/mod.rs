//! The runner of the MPI test programs (`harness = false`): started by `cargo test`
//! outside MPI, a program starts itself again under `mpirun -n 4 --oversubscribe`;
//! under mpirun, rank 0 runs the cases one at a time under a watchdog, and every other
//! rank serves their pools inside `init`.
#![allow(dead_code, reason = "each test program uses a different subset")]

use std::process::Command;

/// A named test case, run on rank 0.
pub(crate) type Case = (&'static str, fn());

/// The Debian packages the MPI tests need (the same file `cargo xtask` installs from).
pub(crate) const PACKAGES: &[&str] = &include!("packages.in");

/// The ranks the tests run on: a client and three workers.
pub(crate) const RANKS: &str = "4";

/// Whether this process was started by mpirun (OpenMPI sets these for each rank).
pub(crate) fn under_mpirun() -> bool {
    std::env::var_os("OMPI_COMM_WORLD_SIZE").is_some() || std::env::var_os("PMI_RANK").is_some()
}

/// `mpirun` with the flags the tests need: all ranks on this host, more ranks than
/// cores, allowed as root (CI runs as root).
pub(crate) fn mpirun(ranks: &str) -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args(["-n", ranks, "--oversubscribe"])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    cmd
}

/// Outside mpirun: runs this same program under `mpirun -n 4` with the same arguments
/// and exits with its status. Never skips: without mpirun it fails, naming the fix.
pub(crate) fn relaunch_under_mpirun() -> ! {
    let me = std::env::current_exe().expect("the test program's own path");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let status = mpirun(RANKS).arg(&me).args(&args).status();
    match status {
        Ok(status) => {
            assert_no_rank_left(&me);
            std::process::exit(status.code().unwrap_or(1))
        }
        Err(error) => {
            eprintln!(
                "error: the MPI tests need mpirun ({error}); install OpenMPI with `cargo xtask mpi --setup` (as root), or run this one line: sudo sh -c 'apt-get update && apt-get install -y {}'",
                PACKAGES.join(" ")
            );
            std::process::exit(1)
        }
    }
}

/// After the job: no process of this program is left (every rank exited).
pub(crate) fn assert_no_rank_left(me: &std::path::Path) {
    let me = std::fs::canonicalize(me).unwrap_or_else(|_| me.to_path_buf());
    let mine = std::process::id().to_string();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if pid == mine || !pid.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let exe = std::fs::read_link(entry.path().join("exe")).ok()?;
            (exe == me).then_some(pid)
        })
        .collect();
    if !left.is_empty() {
        eprintln!("error: ranks of this test program are left behind after the job: pids {left:?}");
        std::process::exit(1);
    }
}

/// Rank 0: runs every case whose name contains the first argument (if any), each under
/// the watchdog; prints a summary and exits non-zero if any failed.
pub(crate) fn run(cases: &[Case]) {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let case = *case;
        match std::panic::catch_unwind(|| weftkit_testkit::watchdog(case)) {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED");
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// The rank this code runs on (in a task: the worker's).
pub(crate) fn my_rank(_: ()) -> usize {
    weftkit::mpi::rank().unwrap_or(usize::MAX)
}
