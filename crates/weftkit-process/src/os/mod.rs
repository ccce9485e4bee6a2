//! The operating-system calls the process pool needs, in one place.
//!
//! - `spawn_worker`: start this executable again as a worker, its socket as stdin.
//! - `worker_setup`: in the worker, the parent-death signal and `SIGINT` ignored
//!   (`wire/README.md`, 7-9).
//! - `worker_stream`: a worker's end of its socket, moved off stdin.
//! - `remove_env_if_alone`: forget the worker marker, where that is sound.
//! - `Poller`: `poll(2)` over the workers' sockets and the wake-up socket.
//! - `send`: a write that reports a dead peer as an error, never as `SIGPIPE`.
//! - `signal`: `kill(2)` for a child not yet reaped.
//! - `executable_identity`: which file this process runs, for the handshake.
//! - `sigint`: the one-shot `SIGINT` handler behind `cancel_on_interrupt`
//!   (`src/interrupt.rs`).
//!
//! Unix only; the parent-death signal is Linux's (elsewhere the workers still exit at
//! end of stream).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(not(unix))]
compile_error!("weftkit-process runs worker processes through Unix sockets: Unix only for now");
