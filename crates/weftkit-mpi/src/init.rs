//! [`init`]: MPI set up on every rank, the start-up check (invariant P1), the worker
//! ranks diverted into their loop, and the end of the job on rank 0.

use std::sync::OnceLock;

use mpi::Threading;
use weftkit_shim::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use weftkit_shim::time::{Duration, Instant};

use crate::InitError;
use crate::comm::{self, Comm};
use crate::wire::{Hello, TAG_HELLO, TAG_VERDICT, TAG_WORK, ToWorker, Verdict};

/// How long rank 0 waits for every other rank to say hello, unless the environment
/// variable [`STARTUP_TIMEOUT_ENV`] gives another number of seconds.
const STARTUP_DEADLINE: Duration = Duration::from_secs(120);

/// The environment variable that sets the start-up deadline, in seconds.
const STARTUP_TIMEOUT_ENV: &str = "WEFTKIT_MPI_STARTUP_TIMEOUT";

fn startup_deadline() -> Duration {
    std::env::var(STARTUP_TIMEOUT_ENV)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(STARTUP_DEADLINE, Duration::from_secs)
}

/// What rank 0 keeps after `init`.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) comm: Comm,
    /// The host each rank runs on, by rank.
    pub(crate) hosts: Vec<String>,
    /// A pool runs (invariant T1: at most one at a time).
    pub(crate) pool_alive: AtomicBool,
    /// The next task id, for every pool of the job (invariant I1).
    pub(crate) next_id: AtomicU64,
}

static CONTEXT: OnceLock<Context> = OnceLock::new();

/// The thread that initialized MPI on rank 0: the only one that may finalize it.
static INIT_THREAD: OnceLock<libc::pthread_t> = OnceLock::new();

/// This process's rank, once `init` set MPI up.
static RANK: OnceLock<usize> = OnceLock::new();

/// This process's rank in the MPI job, once [`init`] ran: `Some(0)` on the client, a
/// worker's rank inside a task running there, `None` before `init`.
///
/// # Examples
///
/// ```
/// // before init (or outside mpirun), no rank:
/// assert_eq!(weftkit::mpi::rank(), None);
/// ```
pub fn rank() -> Option<usize> {
    RANK.get().copied()
}

/// Rank 0's context, once `init` succeeded there.
pub(crate) fn context() -> Option<&'static Context> {
    CONTEXT.get()
}

/// The host each rank runs on, by rank: on rank 0 after [`init`], `None` elsewhere.
///
/// # Examples
///
/// ```
/// // before init (or outside mpirun), nothing is known:
/// assert_eq!(weftkit::mpi::hosts(), None);
/// ```
pub fn hosts() -> Option<Vec<String>> {
    CONTEXT.get().map(|context| context.hosts.clone())
}

/// Sets MPI up on this rank: call it first in `main`, on every rank (`mpirun -n N
/// ./prog` runs the same program N times).
///
/// On rank 0 it checks that every other rank runs this same executable, then returns:
/// the program goes on as the *client*, which builds [`MpiPool`](crate::MpiPool)s. On
/// every other rank it never returns: the rank runs tasks for rank 0's pools until
/// rank 0's program ends, then finalizes MPI and exits. Anything `main` does before
/// `init` happens on every rank, so nothing should come before it.
///
/// MPI is initialized with `MPI_THREAD_SERIALIZED`: weftkit-mpi makes every MPI call
/// from one thread at a time. `MPI_Finalize` runs on rank 0 when its program ends
/// (after `main` returns, or at `std::process::exit`), on the thread that called
/// `init`, as MPI requires: call `init` on the main thread, and end the program by
/// returning from `main` (or `exit` from that thread). Should another thread call
/// `std::process::exit`, rank 0 ends without `MPI_Finalize` and `mpirun` ends the job
/// with an error.
///
/// Rank 0 waits up to 120 s for every other rank to say hello; the environment
/// variable `WEFTKIT_MPI_STARTUP_TIMEOUT` (a whole number of seconds, e.g.
/// `mpirun -x WEFTKIT_MPI_STARTUP_TIMEOUT=600 -n 64 ./prog` for a slow cluster) sets
/// another deadline. A rank that initialized MPI but never said hello by then is
/// named in [`InitError::Silent`]; one that never initializes MPI keeps rank 0 in
/// `MPI_Init` itself, which only `mpirun --timeout N` bounds.
///
/// # Errors
///
/// On rank 0 only (a worker rank that fails prints why and exits, which ends the job):
/// MPI was already initialized, offers too little thread support, or a rank runs
/// another program or build, or stays silent past the deadline ([`InitError`] names
/// the rank and the fix).
///
/// # Examples
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     weftkit::mpi::init()?; // worker ranks never return from here
///     let pool = weftkit::mpi::MpiPool::builder().build()?;
///     assert_eq!(pool.submit(|n: u64| n * 2, 21)?.result()?, 42);
///     Ok(())
/// }
/// ```
pub fn init() -> Result<(), InitError> {
    if CONTEXT.get().is_some() {
        return Ok(());
    }
    let (universe, provided) = mpi::initialize_with_threading(Threading::Serialized)
        .ok_or(InitError::AlreadyInitialized)?;
    // MPI is finalized by weftkit-mpi at the end of the program (rank 0) or of the
    // worker loop, not when this handle drops.
    std::mem::forget(universe);
    // The handshake runs on MPI_COMM_WORLD, with tags of its own, before any
    // collective call: a rank running another program never joins a collective of
    // ours, so rank 0 must learn of it by point-to-point messages first (P1).
    let world = Comm::world().map_err(|e| InitError::Mpi(e.0))?;
    let worker = world.rank() != 0;
    let _ = RANK.set(usize::try_from(world.rank()).unwrap_or(0));
    if provided < Threading::Serialized {
        let error = InitError::ThreadSupport(format!("{provided:?}"));
        if worker {
            eprintln!("weft: rank {}: {error}", world.rank());
            std::process::exit(1);
        }
        return Err(error);
    }
    let probe = crate::probe::here();
    if worker {
        crate::worker::run(&world, probe);
    }
    // SAFETY: pthread_self has no precondition.
    let _ = INIT_THREAD.set(unsafe { libc::pthread_self() });
    let hosts = handshake(&world, &probe)?;
    // Every rank said hello and was told yes: each now duplicates the world too.
    let comm = Comm::world_duplicate().map_err(|e| InitError::Mpi(e.0))?;
    // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds (it catches
    // panics); registering it has no other precondition.
    unsafe {
        libc::atexit(at_exit);
    }
    let _ = CONTEXT.set(Context {
        comm,
        hosts,
        pool_alive: AtomicBool::new(false),
        next_id: AtomicU64::new(0),
    });
    Ok(())
}

/// Rank 0's side of the start-up check: every other rank's `Hello` (all of them,
/// or as many as came before the deadline), compared with `ours`, then one verdict
/// to each. If any rank is refused or silent, every rank that said hello is refused,
/// so that none goes on to the collective `MPI_Comm_dup`, and each waits for rank 0's
/// farewell (sent when rank 0's program ends, [`farewell`]) before it exits: rank 0
/// returns its error, and the program reports it, before `mpirun` sees a rank fail.
/// Returns every rank's host.
fn handshake(comm: &Comm, ours: &crate::wire::Probe) -> Result<Vec<String>, InitError> {
    let size = usize::try_from(comm.size()).unwrap_or(1);
    let mut hosts: Vec<Option<String>> = vec![None; size];
    hosts[0] = Some(hostname());
    let mut heard = vec![false; size];
    heard[0] = true;
    let mut problems: Vec<(i32, String)> = Vec::new();
    let mut waiting = size - 1;
    let started = Instant::now();
    let deadline = startup_deadline();
    let mut idle = crate::backoff::Backoff::new(Duration::from_millis(1));
    let mut silent = None;
    while waiting > 0 {
        let received = comm
            .try_recv(None, TAG_HELLO)
            .map_err(|e| InitError::Mpi(e.0))?;
        let Some((rank, bytes)) = received else {
            if started.elapsed() > deadline {
                silent = Some((1..size).filter(|r| !heard[*r]).collect::<Vec<usize>>());
                break;
            }
            idle.snooze();
            continue;
        };
        idle.reset();
        let index = usize::try_from(rank).unwrap_or(0);
        if heard[index] {
            continue;
        }
        heard[index] = true;
        waiting -= 1;
        match postcard::from_bytes::<Hello>(&bytes) {
            Ok(hello) => {
                if let Some(why) = crate::probe::mismatch(ours, &hello.probe) {
                    problems.push((rank, format!("rank {rank} (on {}): {why}", hello.host)));
                }
                hosts[index] = Some(hello.host);
            }
            Err(_) => problems.push((
                rank,
                format!("rank {rank}: its hello did not decode (another weftkit-mpi version)"),
            )),
        }
    }
    let failed = !problems.is_empty() || silent.is_some();
    let summary = match &silent {
        Some(ranks) => format!("ranks {ranks:?} did not answer at start-up"),
        None => problems
            .iter()
            .map(|(_, p)| p.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    };
    let told: Vec<i32> = (1..size)
        .filter(|r| heard[*r])
        .filter_map(|r| i32::try_from(r).ok())
        .collect();
    if failed {
        // Before any verdict: a refused rank waits for the farewell this sends.
        let _ = REFUSED.set(told.clone());
        // SAFETY: `farewell` is an `extern "C" fn()` that never unwinds (it catches
        // panics); registering it has no other precondition.
        unsafe {
            libc::atexit(farewell);
        }
    }
    for &rank in &told {
        let verdict = if failed {
            let own = problems.iter().find(|(r, _)| *r == rank);
            Verdict {
                ok: false,
                message: own.map_or_else(
                    || format!("another rank failed the start-up check ({summary})"),
                    |(_, p)| p.clone(),
                ),
            }
        } else {
            Verdict {
                ok: true,
                message: String::new(),
            }
        };
        let bytes = postcard::to_allocvec(&verdict).unwrap_or_default();
        comm.send(rank, TAG_VERDICT, &bytes)
            .map_err(|e| InitError::Mpi(e.0))?;
    }
    if let Some(ranks) = silent {
        return Err(InitError::Silent { ranks });
    }
    if !problems.is_empty() {
        return Err(InitError::Mismatch { problems: summary });
    }
    Ok(hosts.into_iter().map(Option::unwrap_or_default).collect())
}

/// The ranks refused at start-up, waiting for rank 0's farewell.
static REFUSED: OnceLock<Vec<i32>> = OnceLock::new();

/// Rank 0's end of a job whose start-up failed (an `atexit` hook): lets the refused
/// ranks exit, now that rank 0's program has reported its error. MPI is not finalized
/// (the job failed; `mpirun` ends it).
extern "C" fn farewell() {
    let _ = std::panic::catch_unwind(|| {
        let (Some(ranks), Ok(world)) = (REFUSED.get(), Comm::world()) else {
            return;
        };
        for &rank in ranks {
            let _ = world.send(rank, TAG_VERDICT, &[]);
        }
    });
}

/// This host's name, for messages.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "?".to_owned())
}

/// Rank 0's end of the job (an `atexit` hook, so on the thread that calls `exit`:
/// the main thread after `main` returned, or the thread that called
/// `std::process::exit`): tells every worker to exit, then finalizes MPI if this is
/// the thread that initialized it. MPI must be finalized by that thread: on any other
/// the hook skips `MPI_Finalize`, and `mpirun` ends the job, reporting that rank 0
/// exited without finalizing. A pool still running (leaked) would make MPI calls
/// concurrently (invariant T1): the job is aborted instead, loudly.
extern "C" fn at_exit() {
    let _ = std::panic::catch_unwind(|| {
        let Some(context) = CONTEXT.get() else {
            return;
        };
        if context.pool_alive.load(Ordering::Acquire) {
            eprintln!(
                "weft: the program ended while an MpiPool was still running (it was leaked, or lives in a static); aborting the MPI job. Drop or shut down every pool before main returns"
            );
            comm::abort(1);
        }
        let exit = postcard::to_allocvec(&ToWorker::Exit).unwrap_or_default();
        for rank in 1..context.comm.size() {
            let _ = context.comm.send(rank, TAG_WORK, &exit);
        }
        // SAFETY: pthread_self and pthread_equal have no precondition.
        let on_init_thread = INIT_THREAD
            .get()
            .is_some_and(|&init| unsafe { libc::pthread_equal(init, libc::pthread_self()) } != 0);
        if on_init_thread {
            comm::finalize();
        } else {
            eprintln!(
                "weft: the program exited from a thread other than the one that called weftkit::mpi::init(), which alone may finalize MPI; rank 0 ends without MPI_Finalize, and mpirun ends the job. Return from main (or exit from the thread that called init) instead"
            );
        }
    });
}
