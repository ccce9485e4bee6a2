//! Ctrl-C for pools built with
//! [`cancel_on_interrupt`](crate::ProcessPoolBuilder::cancel_on_interrupt): the first
//! `SIGINT` ends every such pool still alive, as `terminate_workers` would but without
//! waiting, so that a thread blocked on one of their futures gets `Err(Cancelled)` and
//! the program can clean up.
//!
//! Three parts: a one-shot `SIGINT` handler (`os::sigint`) that sends one byte down a
//! socket; one watcher thread, started with the first such pool, that reads the socket
//! and ends the pools; and the registry of those pools, which keeps none of them alive.
//!
//! # Invariants
//!
//! 1. **The handler does only async-signal-safe work**: one lock-free atomic load (the
//!    socket's descriptor) and one `send` of one byte, non-blocking and with
//!    `MSG_NOSIGNAL`, with `errno` saved and restored around it. No lock, no
//!    allocation, no pool state: the rest happens on the watcher thread, which may take
//!    locks. A full socket already holds a byte the watcher has yet to read, so a
//!    dropped byte loses nothing.
//! 2. **The handler is one-shot** (`SA_RESETHAND`): the kernel restores `SIGINT`'s
//!    default action as it delivers the first one, so a second Ctrl-C ends the program
//!    as usual, even when the cleanup after the first one hangs. Building another pool
//!    with the flag arms it again; arming never replaces an ignored `SIGINT` (it stays
//!    ignored, as Python leaves it), and replaces any other disposition.
//! 3. **The socket exists before the handler is armed and is never closed**: its
//!    descriptor is handed to the handler before the first `sigaction`, the write end
//!    lives in the static registry, and the read end in the watcher, which never
//!    returns (it reads in blocking mode, retrying on `EINTR`). Both ends are
//!    close-on-exec, so workers never inherit them.
//! 4. **Registering and arming happen under the registry lock, and so does the
//!    watcher's taking of the pools.** The watcher takes every registered pool out at
//!    once, then ends those still alive (outside the lock: cancelling a future runs
//!    its done callbacks, which may build a pool). A pool is ended by at most one
//!    Ctrl-C; a pool built after the watcher's round waits for the next one.
//! 5. **The registry keeps no pool alive**: it holds `Weak<Shared>`. A dropped pool's
//!    entry fails to upgrade and is pruned at the next registration or Ctrl-C; the
//!    watcher holds a strong reference only while it ends that pool.
//! 6. **With no registered pool alive, a Ctrl-C does what it would have done without
//!    the flag** (a pool shut down and done, or broken, counts as gone though still
//!    held): the watcher, finding none, sends `SIGINT` to the process again, with
//!    the handler disarmed by 2 (so by default the program ends, killed by `SIGINT`),
//!    and does so under the registry lock, so that no pool built meanwhile re-arms the
//!    handler first. Were it armed again anyway (a pool built and dropped before the
//!    watcher's round), the byte comes back, that pool is gone too, and the next round
//!    raises the signal with the handler disarmed.
//! 7. **The watcher never waits for a pool**: `Shared::begin_end` cancels the queue,
//!    sets the signal the manager ends the workers with (`SIGTERM`), and wakes the
//!    manager; it does not join. The futures it cancels run their done callbacks on
//!    the watcher thread; a panic there is caught, so Ctrl-C never loses its watcher.
//!
//! Under the model checkers (`weft_loom`, `weft_shuttle`) none of this is built and
//! registering does nothing: signals and processes are outside the models, and loom's
//! `Arc` has no `Weak`.

use std::io;

use weftkit_shim::sync::Arc;

use crate::state::Shared;

/// Makes the first `SIGINT` end `shared`'s pool (invariants 2-5): starts the watcher
/// if this is the first such pool, registers the pool, and arms the handler unless
/// it is armed already or `SIGINT` is ignored.
///
/// # Errors
///
/// The socket or the watcher thread could not be made, or `sigaction` failed.
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub(crate) fn register(shared: &Arc<Shared>) -> io::Result<()> {
    use crate::os::sigint::{self, Disposition};

    let mut registry = watch::registry();
    if registry.pipe.is_none() {
        registry.pipe = Some(watch::start()?);
    }
    registry.pools.retain(|pool| pool.strong_count() > 0);
    registry.pools.push(Arc::downgrade(shared));
    if sigint::disposition()? == Disposition::Other {
        sigint::arm()?;
    }
    Ok(())
}

/// Under the model checkers: nothing to do (see the module docs).
///
/// # Errors
///
/// Never.
#[cfg(any(weft_loom, weft_shuttle))]
pub(crate) fn register(_shared: &Arc<Shared>) -> io::Result<()> {
    Ok(())
}

/// The registry and the watcher thread.
#[cfg(not(any(weft_loom, weft_shuttle)))]
mod watch {
    use std::io::{self, Read};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    use weftkit_shim::sync::{Arc, Mutex, MutexGuard, Weak};

    use crate::os::sigint;
    use crate::state::Shared;

    /// The pools to end at the next Ctrl-C, and the handler's socket.
    pub(super) struct Registry {
        /// Pools built with the flag and not yet ended by a Ctrl-C (invariant 5).
        pub(super) pools: Vec<Weak<Shared>>,
        /// The socket's write end, once the watcher runs (invariant 3).
        pub(super) pipe: Option<UnixStream>,
    }

    static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
        pools: Vec::new(),
        pipe: None,
    });

    /// Locks the registry; a panic elsewhere while it was held does not make it
    /// unusable (it holds no invariant a half-done change could break).
    pub(super) fn registry() -> MutexGuard<'static, Registry> {
        REGISTRY
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the socket, starts the watcher on its read end, and hands the write end's
    /// descriptor to the handler; returns the write end, to be kept for good
    /// (invariant 3).
    pub(super) fn start() -> io::Result<UnixStream> {
        let (write_end, read_end) = UnixStream::pair()?; // both close-on-exec
        write_end.set_nonblocking(true)?;
        weftkit_shim::thread::Builder::new()
            .name("weftkit-process-interrupt".into())
            .spawn(move || watch(&read_end))?;
        sigint::set_pipe(write_end.as_raw_fd());
        Ok(write_end)
    }

    /// The watcher: one round per wake-up of the handler.
    fn watch(read_end: &UnixStream) {
        let mut buf = [0u8; 64];
        loop {
            match (&*read_end).read(&mut buf) {
                Ok(0) => return, // the write end closed: cannot happen (invariant 3)
                Ok(_) => end_registered_pools(),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// Ends every registered pool still alive, or, if there is none, lets the
    /// `SIGINT` do what it would have done without the flag (invariants 4, 6, 7).
    fn end_registered_pools() {
        let mut registry = registry();
        let pools: Vec<Arc<Shared>> = registry
            .pools
            .drain(..)
            .filter_map(|pool| pool.upgrade())
            // A pool shut down and done, or broken, is over though still held: it
            // does not keep Ctrl-C from ending the program.
            .filter(|pool| !pool.is_finished())
            .collect();
        if pools.is_empty() {
            sigint::raise();
            return;
        }
        drop(registry);
        for shared in pools {
            // A done callback of a cancelled future runs here; its panic must not
            // take the watcher with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                shared.begin_end(crate::os::SIGTERM);
            }));
        }
    }
}
