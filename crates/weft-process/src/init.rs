//! [`init`]: where a worker process diverts into its loop, and how a pool knows it ran.

use std::sync::OnceLock;

/// The environment variable that marks a process as a worker; its value names the
/// protocol version.
pub(crate) const WORKER_ENV: &str = "WEFT_PROCESS_WORKER";

/// The value of [`WORKER_ENV`] this build speaks.
pub(crate) const WORKER_ENV_VALUE: &str = "weft-process-1";

/// Set once `init` ran (a `OnceLock`, not an atomic: loom's atomics cannot be statics).
static INIT_RAN: OnceLock<()> = OnceLock::new();

/// Makes this program able to run a [`ProcessPool`](crate::ProcessPool): call it first
/// in `main`.
///
/// A pool's workers are this same executable started again with a marker in their
/// environment. In a worker, `init` never returns: it runs the worker loop (handshake,
/// initializer, tasks) and exits when the pool closes its end or the parent dies. In
/// the parent it only records that it ran, and returns at once. A pool built without
/// it is refused with [`BuildError::NotInitialized`](crate::BuildError::NotInitialized).
///
/// Anything `main` does before `init` also happens in every worker, so nothing should
/// come before it.
///
/// # Examples
///
/// ```
/// // first thing in `main`:
/// weft::process::init();
/// // ... the program, which may now build process pools
/// ```
pub fn init() {
    // The marker is `<protocol>:<parent pid>`.
    let parent = std::env::var(WORKER_ENV).ok().and_then(|v| {
        let (protocol, pid) = v.split_once(':')?;
        (protocol == WORKER_ENV_VALUE).then(|| pid.parse::<u32>().ok())?
    });
    if let Some(parent) = parent {
        crate::os::worker_setup(parent);
        // SAFETY: `init` is documented to come first in `main`, before the program
        // starts a thread that could read the environment concurrently.
        unsafe { crate::os::remove_env(WORKER_ENV) };
        let _ = INIT_RAN.set(());
        crate::worker::run();
    }
    let _ = INIT_RAN.set(());
}

/// Whether [`init`] ran in this process.
pub(crate) fn init_ran() -> bool {
    INIT_RAN.get().is_some()
}
