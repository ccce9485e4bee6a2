//! Faults on 4 ranks: a panicking task and values that do not (de)serialize fail only
//! their own futures, and every rank lives on; a job of one rank and a rank running
//! another build are clear errors, never hangs. `cargo test` starts this program under
//! `mpirun` itself.

mod common;

use std::collections::HashSet;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use weftkit::executor::TaskError;
use weftkit::mpi::{BuildError, InitError, MpiPool};

use common::{Case, my_rank};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if !common::under_mpirun() {
        single_rank_is_an_error();
        another_build_is_an_error();
        another_mpi_program_is_silent();
        a_dead_rank_ends_the_job();
        common::relaunch_under_mpirun();
    }
    match mode.as_str() {
        "--single-rank" => {
            weftkit::mpi::init().expect("MPI start-up");
            assert!(matches!(
                MpiPool::builder().build(),
                Err(BuildError::SingleRank)
            ));
            println!("single-rank: ok");
            return;
        }
        "--rank-dies" => {
            weftkit::mpi::init().expect("MPI start-up");
            let pool = MpiPool::builder().build().expect("a pool");
            let dead = pool.submit(abort_rank, ()).expect("submit");
            // OpenMPI's runtime ends the job when a rank dies; should MPI report the
            // death to this rank instead, the pool breaks and says so.
            match dead.result() {
                Err(TaskError::PoolBroken { reason }) => println!("rank-dies: broken: {reason}"),
                other => println!("rank-dies: unexpected {other:?}"),
            }
            std::process::exit(3);
        }
        "--mismatch" => {
            match weftkit::mpi::init() {
                Err(InitError::Mismatch { problems }) => {
                    assert!(problems.contains("rank 1"), "{problems}");
                    println!("mismatch: ok");
                }
                other => panic!("expected a mismatch, got {other:?}"),
            }
            return;
        }
        "--silent" => {
            match weftkit::mpi::init() {
                Err(InitError::Silent { ranks }) => {
                    assert_eq!(ranks, [1]);
                    println!("silent: ok");
                }
                other => panic!("expected a silent rank, got {other:?}"),
            }
            return;
        }
        "--not-weft" => {
            // Another MPI program: initializes MPI, never calls weftkit::mpi::init.
            let universe = mpi::initialize().expect("MPI");
            // mpirun ends this rank once rank 0 has ended; this only bounds a hang.
            std::thread::sleep(std::time::Duration::from_secs(100));
            drop(universe);
            return;
        }
        _ => {}
    }
    weftkit::mpi::init().expect("MPI start-up");
    let cases: &[Case] = &[
        ("a_panic_fails_its_future_only", panics_isolated),
        (
            "an_argument_that_does_not_encode_fails_its_future_only",
            bad_argument,
        ),
        (
            "a_result_that_does_not_encode_fails_its_future_only",
            bad_result,
        ),
        (
            "a_result_that_does_not_decode_fails_its_future_only",
            undecodable_result,
        ),
    ];
    common::run(cases);
}

/// `mpirun -n 1`: building a pool is `SingleRank`, at once.
fn single_rank_is_an_error() {
    let me = std::env::current_exe().unwrap();
    let out = common::mpirun("1")
        .arg(&me)
        .arg("--single-rank")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("single-rank: ok"),
        "a job of one rank: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("test a_pool_on_one_rank_is_a_clear_error ... ok");
}

/// Rank 1 runs another build (this file plus one byte): rank 0's `init` says so.
fn another_build_is_an_error() {
    let me = std::env::current_exe().unwrap();
    let other = std::env::temp_dir().join(format!("weft-mpi-other-build-{}", std::process::id()));
    let mut bytes = std::fs::read(&me).unwrap();
    bytes.push(0);
    std::fs::write(&other, bytes).unwrap();
    std::fs::set_permissions(&other, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = common::mpirun("1")
        .arg(&me)
        .arg("--mismatch")
        .args([":", "-n", "1"])
        .arg(&other)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&other);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("mismatch: ok"),
        "another build on rank 1: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("test a_rank_running_another_build_is_a_clear_error ... ok");
}

/// Rank 1 runs an MPI program that never calls `weftkit::mpi::init`: rank 0's `init`
/// reports it as silent once the (shortened) start-up deadline passes, instead of
/// hanging in a collective call that rank never joins.
fn another_mpi_program_is_silent() {
    let me = std::env::current_exe().unwrap();
    let mut child = common::mpirun("1")
        .env("WEFTKIT_MPI_STARTUP_TIMEOUT", "2")
        .args(["-x", "WEFTKIT_MPI_STARTUP_TIMEOUT"])
        .arg(&me)
        .arg("--silent")
        .args([":", "-n", "1"])
        .arg(&me)
        .arg("--not-weft")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A generous deadline that only a hang reaches.
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > give_up {
            let _ = child.kill();
            panic!("rank 0 hung at start-up beside another MPI program");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("silent: ok"),
        "another MPI program on rank 1: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::assert_no_rank_left(&me);
    println!("test a_rank_running_another_mpi_program_is_reported_silent ... ok");
}

/// Ends the worker rank that runs it.
fn abort_rank((): ()) -> u8 {
    std::process::abort()
}

/// A task aborts its worker rank: the job ends (mpirun names the dead rank) instead of
/// hanging, and no rank is left behind.
fn a_dead_rank_ends_the_job() {
    let me = std::env::current_exe().unwrap();
    let mut child = common::mpirun(common::RANKS)
        .arg(&me)
        .arg("--rank-dies")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A generous deadline that only a hang reaches.
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > give_up {
            let _ = child.kill();
            panic!("the job hung after a rank died");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success(), "the job succeeded although a rank died");
    assert!(
        stderr.contains("signal")
            || String::from_utf8_lossy(&out.stdout).contains("rank-dies: broken"),
        "neither mpirun nor the pool reported the dead rank: {stderr}"
    );
    common::assert_no_rank_left(&me);
    println!("test a_dead_rank_ends_the_job_and_leaves_no_process ... ok");
}

fn pool() -> MpiPool {
    MpiPool::builder().build().expect("a pool on 4 ranks")
}

fn fragile(n: u32) -> u32 {
    assert!(!n.is_multiple_of(7), "item {n} is a multiple of 7");
    n + 1
}

/// Every rank still answers.
fn all_ranks_alive(pool: &MpiPool) {
    let ranks: HashSet<usize> = pool
        .map(my_rank, vec![(); 3_000])
        .map(Result::unwrap)
        .collect();
    assert_eq!(ranks, HashSet::from([1, 2, 3]));
}

fn panics_isolated() {
    let pool = pool();
    for (n, result) in pool.map(fragile, 0..700u32).chunksize(10).enumerate() {
        let n = n as u32;
        if n.is_multiple_of(7) {
            match result {
                Err(TaskError::Panicked { message }) => {
                    assert!(
                        message.contains(&format!("item {n} is a multiple of 7")),
                        "{message}"
                    );
                    assert!(message.contains("mpi_faults.rs"), "no location: {message}");
                }
                other => panic!("item {n}: {other:?}"),
            }
        } else {
            assert_eq!(result, Ok(n + 1));
        }
    }
    match pool.submit(fragile, 14).unwrap().result() {
        Err(TaskError::Panicked { .. }) => {}
        other => panic!("{other:?}"),
    }
    all_ranks_alive(&pool);
}

/// Fails to serialize when it holds 13, on whichever side encodes it.
#[derive(Debug, PartialEq, Deserialize)]
struct Touchy(u32);

impl Serialize for Touchy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == 13 {
            return Err(serde::ser::Error::custom("13 does not serialize"));
        }
        s.serialize_u32(self.0)
    }
}

fn bad_argument() {
    let pool = pool();
    let future = pool.submit(|t: Touchy| t.0, Touchy(13)).unwrap();
    assert!(matches!(future.result(), Err(TaskError::Codec { .. })));
    assert_eq!(
        pool.submit(|t: Touchy| t.0, Touchy(12)).unwrap().result(),
        Ok(12)
    );
    all_ranks_alive(&pool);
}

fn bad_result() {
    let pool = pool();
    let results: Vec<_> = pool.map(Touchy, 10..16u32).collect();
    for (n, result) in (10..16u32).zip(results) {
        if n == 13 {
            match result {
                Err(TaskError::Codec { message }) => {
                    assert!(message.contains("did not encode"), "{message}")
                }
                other => panic!("{other:?}"),
            }
        } else {
            assert_eq!(result, Ok(Touchy(n)));
        }
    }
    assert!(matches!(
        pool.submit(Touchy, 13).unwrap().result(),
        Err(TaskError::Codec { .. })
    ));
    all_ranks_alive(&pool);
}

/// Serializes fine, never deserializes.
#[derive(Debug, Serialize)]
struct OneWay(u32);

impl<'de> Deserialize<'de> for OneWay {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("OneWay does not deserialize"))
    }
}

fn undecodable_result() {
    let pool = pool();
    match pool.submit(OneWay, 1).unwrap().result() {
        Err(TaskError::Codec { message }) => {
            assert!(message.contains("did not decode"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    all_ranks_alive(&pool);
}
