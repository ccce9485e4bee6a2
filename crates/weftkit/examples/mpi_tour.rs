//! weft across machines: the process pool's interface on the ranks of an MPI job.
//!
//! ```text
//! cargo build --release -p weftkit --features mpi --example mpi_tour
//! mpirun -n 4 target/release/examples/mpi_tour
//! mpirun --hostfile hosts -n 16 target/release/examples/mpi_tour   # across hosts
//! ```
//!
//! Every rank runs this same program; rank 0 walks through the tour, the others run its
//! tasks. Each section does real work and checks its own answer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use weftkit::executor::{TaskError, ThreadPool, as_completed};
use weftkit::mpi::MpiPool;

/// Whether `n` is prime (trial division: unequal work per item, more for big primes).
fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

/// The primes in `[start, end)`, counted on whichever rank runs it.
fn count_primes((start, end): (u64, u64)) -> (usize, u64) {
    let count = (start..end).filter(|&n| is_prime(n)).count() as u64;
    (weftkit::mpi::rank().unwrap_or(0), count)
}

/// The length of the Collatz sequence from `n`.
fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

/// A task that runs a thread pool of its own on its rank (hybrid MPI + threads): the
/// sum of the squares of `0..n`, computed 4 ways in parallel there.
fn local_sum_of_squares(n: u64) -> u64 {
    let local = ThreadPool::builder()
        .max_workers(4)
        .build()
        .expect("a local pool");
    local
        .map(
            move |part: u64| (part..n).step_by(4).map(|k| k * k).sum::<u64>(),
            0..4,
        )
        .map(|r| r.expect("a local task"))
        .sum()
}

/// Fails for one input: a panic fails that task's future only.
fn checked_inverse(n: i64) -> f64 {
    assert!(n != 0, "no inverse of zero");
    1.0 / n as f64
}

fn slow_echo(n: u32) -> u32 {
    std::thread::sleep(Duration::from_millis(5));
    n
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    // First in main: on ranks 1..N this runs their tasks and never returns.
    weftkit::mpi::init()?;
    let pool = MpiPool::builder().build()?;
    let hosts = weftkit::mpi::hosts().unwrap_or_default();
    println!(
        "weft MPI tour: rank 0 is the client, {} worker ranks",
        pool.max_workers()
    );
    for (rank, host) in hosts.iter().enumerate() {
        println!("   rank {rank} runs on {host}");
    }

    println!("\n== submit: one task on a worker rank, a Future like any pool's");
    let steps = pool.submit(collatz_steps, 27)?.result()?;
    assert_eq!(steps, 111);
    println!("   27 reaches 1 in {steps} Collatz steps");

    println!("\n== map, chunksize 1000: the longest Collatz run below 1,000,000");
    let (best, longest) = pool
        .map(collatz_steps, 1..1_000_000u64)
        .chunksize(1_000)
        .map(Result::unwrap)
        .zip(1u64..)
        .map(|(steps, n)| (n, steps))
        .max_by_key(|&(_, steps)| steps)
        .unwrap_or((0, 0));
    assert_eq!((best, longest), (837_799, 524));
    println!("   {best} takes {longest} steps");

    println!(
        "\n== unequal tasks balance: workers pull, so the ranks share the primes below 4,000,000"
    );
    let blocks: Vec<(u64, u64)> = (0..400u64)
        .map(|b| (b * 10_000, (b + 1) * 10_000))
        .collect();
    let mut per_rank: BTreeMap<usize, usize> = BTreeMap::new();
    let mut primes = 0;
    for (_, result) in pool.map_unordered(count_primes, blocks) {
        let (rank, count) = result?;
        *per_rank.entry(rank).or_default() += 1;
        primes += count;
    }
    assert_eq!(primes, 283_146);
    println!("   {primes} primes; blocks run per rank: {per_rank:?}");

    println!("\n== as_completed over thread-pool and MPI futures together");
    let threads = ThreadPool::builder().max_workers(2).build()?;
    let mut futures = vec![
        pool.submit(collatz_steps, 97)?,
        pool.submit(collatz_steps, 871)?,
    ];
    futures.push(threads.submit(|| collatz_steps(6_171))?);
    let mut got: Vec<u32> = as_completed(futures).map(|f| f.result().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, [118, 178, 261]);
    println!("   {got:?}, whichever pool ran them");

    println!("\n== hybrid: a task runs its own thread pool on its rank");
    let sum = pool.submit(local_sum_of_squares, 1_000)?.result()?;
    assert_eq!(sum, (0..1_000u64).map(|k| k * k).sum());
    println!("   sum of squares below 1000 = {sum}");

    println!("\n== a panicking task fails its own future; the rank goes on");
    let inverses: Vec<Result<f64, TaskError>> = pool.map(checked_inverse, -2..=2i64).collect();
    assert!(matches!(&inverses[2], Err(TaskError::Panicked { .. })));
    assert_eq!(inverses.iter().filter(|r| r.is_ok()).count(), 4);
    if let Err(error) = &inverses[2] {
        println!("   1/0: {error}");
    }

    let stats = pool.stats();
    println!("\n== stats: {stats:?}");
    drop(pool);

    println!("\n== shutdown(wait, cancel_futures): pending work is cancelled, Python-style");
    let pool = MpiPool::builder().build()?;
    let futures: Vec<_> = (0..300u32)
        .map(|n| pool.submit(slow_echo, n))
        .collect::<Result<_, _>>()?;
    as_completed(&futures).next(); // the first result is in: work is under way
    pool.shutdown(true, true);
    let (mut ran, mut cancelled) = (0, 0);
    for future in futures {
        match future.result() {
            Ok(_) => ran += 1,
            Err(TaskError::Cancelled) => cancelled += 1,
            Err(other) => return Err(other.into()),
        }
    }
    assert_eq!(ran + cancelled, 300);
    println!("   {ran} ran, {cancelled} were cancelled before a worker took them");

    println!(
        "\nmpi tour complete: {} ranks on {} host(s), {} tasks, {:.2} s",
        hosts.len(),
        {
            let mut unique = hosts.clone();
            unique.sort();
            unique.dedup();
            unique.len()
        },
        stats.completed + ran,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
