//! [`init`]: where a worker process diverts into its loop, and how a pool knows it ran.

use std::sync::OnceLock;

/// The environment variable that marks a process as a worker; its value names the
/// protocol version.
pub(crate) const WORKER_ENV: &str = "WEFT_PROCESS_WORKER";

/// The value of [`WORKER_ENV`] this build speaks.
pub(crate) const WORKER_ENV_VALUE: &str = "weftkit-process-1";

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
/// weftkit::process::init();
/// // ... the program, which may now build process pools
/// ```
pub fn init() {
    if let Some(marker) = std::env::var_os(WORKER_ENV) {
        let marker = marker.to_string_lossy().into_owned();
        match crate::os::worker_stream() {
            Some(stream) => {
                let Some(parent) = parent_pid(&marker) else {
                    eprintln!(
                        "weft: this worker process was started by a pool of another weftkit-process version ({WORKER_ENV}={marker}, this build speaks {WORKER_ENV_VALUE}); give program() only this program"
                    );
                    std::process::exit(crate::worker::EXIT_BROKEN_STREAM);
                };
                crate::os::worker_setup(parent);
                forget_marker();
                let _ = INIT_RAN.set(());
                crate::worker::run(&stream);
            }
            None => {
                // Not started by a pool: the marker was left in the environment by
                // something else. Run as the program it is.
                eprintln!(
                    "weft: {WORKER_ENV} is set, but this process was not started by a process pool (its stdin is not a pool's socket); running as a normal program"
                );
                forget_marker();
            }
        }
    }
    let _ = INIT_RAN.set(());
}

/// The parent's pid from a marker `<protocol>:<parent pid>` of this build's protocol.
fn parent_pid(marker: &str) -> Option<u32> {
    let (protocol, pid) = marker.split_once(':')?;
    (protocol == WORKER_ENV_VALUE).then(|| pid.parse::<u32>().ok())?
}

/// Removes the marker, so that programs a task starts do not take themselves for
/// workers. Sound only with one thread in the process (`init` comes first in `main`);
/// with more, the marker stays, and a program a task starts sees that its stdin is
/// not a pool's socket and runs normally.
fn forget_marker() {
    crate::os::remove_env_if_alone(WORKER_ENV);
}

/// Whether [`init`] ran in this process.
pub(crate) fn init_ran() -> bool {
    INIT_RAN.get().is_some()
}
