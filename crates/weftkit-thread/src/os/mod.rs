//! The operating-system calls weftkit-thread needs, one file per backend.
//!
//! - `native_id`: the kernel's id of the calling thread (Python's `native_id`).
//! - `main_native_id`: the kernel's id of the process's main thread, from any thread.
//! - `is_main_thread`: whether the calling thread is the process's main thread.
//! - `at_exit`: registers a function for the C runtime to call in `exit()`, which is
//!   how the process waits for non-daemon threads after `main` returns.
//!
//! Linux (and Android) answer all four exactly, through `gettid`/`getpid`/`atexit`.
//! Elsewhere there is no portable thread id, so the ids are `None` and the main
//! thread is recognised by the name the Rust runtime gives it; `atexit` is still the
//! C runtime's where `libc` has it.
#![cfg_attr(
    any(weft_loom, weft_shuttle),
    allow(
        dead_code,
        unused_imports,
        reason = "under loom there is no process exit to hook"
    )
)]

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux;
#[cfg(any(target_os = "linux", target_os = "android"))]
use linux as imp;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod portable;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use portable as imp;

pub(crate) use imp::{at_exit, is_main_thread, main_native_id, native_id};

/// What became of a request to run a function in `exit()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AtExit {
    /// The C runtime will call it.
    Registered,
    /// The C runtime refused (its table of exit functions is full, or no memory).
    Refused,
    /// This platform has no `atexit`: only an explicit `shutdown()` waits.
    #[cfg_attr(
        any(unix, windows),
        allow(dead_code, reason = "only platforms without atexit report it")
    )]
    Unsupported,
}
