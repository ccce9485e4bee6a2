//! Every error weftkit-mpi returns. Task failures are weftkit-executor's
//! [`TaskError`](weftkit_executor::TaskError) and refused submits weftkit-process's
//! [`SubmitError`](weftkit_process::SubmitError): the same errors as the process pool,
//! where they mean the same thing.

use thiserror::Error;

/// [`init`](crate::init) failed on rank 0.
///
/// # Examples
///
/// ```
/// let e = weftkit::mpi::InitError::Silent { ranks: vec![3] };
/// assert!(e.to_string().contains("mpirun -n N ./prog"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InitError {
    /// MPI was initialized before `weftkit::mpi::init()` (by other code of the program).
    #[error(
        "MPI was already initialized by other code; call weftkit::mpi::init() first in main and let it initialize MPI"
    )]
    AlreadyInitialized,
    /// The MPI library cannot be called from more than one thread
    /// (`MPI_THREAD_SERIALIZED`), which the pool needs.
    #[error(
        "the MPI library offers only {0} thread support, and weftkit-mpi needs MPI_THREAD_SERIALIZED; use an MPI built with thread support (Debian's OpenMPI has it)"
    )]
    ThreadSupport(String),
    /// A rank runs another program or another build of this one.
    #[error(
        "not every rank runs this program: {problems}; start every rank with the same executable, built once (mpirun -n N ./prog), and copy that file to every host"
    )]
    Mismatch {
        /// Which ranks, and how they differ.
        problems: String,
    },
    /// These ranks initialized MPI but never said hello before the start-up deadline
    /// (120 s, or `WEFTKIT_MPI_STARTUP_TIMEOUT` seconds): they run another MPI
    /// program, or one that does not call `weftkit::mpi::init()` first in `main`.
    ///
    /// A rank that never initializes MPI at all (a program without MPI, or one that
    /// hangs before `MPI_Init`) cannot be detected this way: with OpenMPI, rank 0
    /// then waits inside `MPI_Init` itself, before weftkit-mpi can run. Bound such a
    /// job with `mpirun --timeout N`.
    #[error(
        "ranks {ranks:?} did not answer at start-up: they run another program, or one that does not call weftkit::mpi::init() first in main; start every rank with this executable (mpirun -n N ./prog)"
    )]
    Silent {
        /// The ranks that never answered.
        ranks: Vec<usize>,
    },
    /// An MPI call failed.
    #[error("MPI failed at start-up: {0}")]
    Mpi(String),
}

/// An [`MpiPool`](crate::MpiPool) could not be built.
///
/// # Examples
///
/// ```
/// use weftkit::mpi::{BuildError, MpiPool};
///
/// // without init() (or without mpirun), no pool:
/// assert!(matches!(MpiPool::builder().build(), Err(BuildError::NotInitialized)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `weftkit::mpi::init()` was not called (or failed), or this is not rank 0.
    #[error(
        "weftkit::mpi::init() was not called (or returned an error): call it first in main, and build pools on rank 0"
    )]
    NotInitialized,
    /// The job has one rank: no worker to run tasks.
    #[error(
        "the MPI job has a single rank, so there is no worker rank to run tasks; start it with mpirun -n N ./prog (N >= 2: rank 0 is the client, the others are workers)"
    )]
    SingleRank,
    /// Another pool is running: the worker ranks serve one pool at a time.
    #[error(
        "another MpiPool is still running; the worker ranks serve one pool at a time: shut the other down (shutdown(true, ..) or drop it) first"
    )]
    InUse,
    /// `queue_capacity(0)`.
    #[error(
        "a bounded queue needs a capacity of at least 1, got queue_capacity(0); use unbounded() for no limit"
    )]
    ZeroCapacity,
    /// The operating system refused the pool's engine thread.
    #[error("the operating system refused to start the pool's thread: {0}")]
    Os(String),
}
