//! Linux: thread ids from the `gettid` system call and `getpid`, the exit hook from
//! `atexit`.
#![allow(
    unsafe_code,
    reason = "FFI calls into libc; each is documented at its call site"
)]

/// The kernel thread id (TID) of the calling thread.
///
/// Through the raw system call rather than libc's `gettid` wrapper: glibc only has
/// that wrapper since 2.30, and Rust supports Linux down to glibc 2.17 (RHEL 7; 2.28
/// in RHEL 8 and Debian 10 still lacks it), where linking it would fail.
pub(crate) fn native_id() -> Option<u64> {
    // SAFETY: the `gettid` system call takes no arguments (none are passed), touches
    // no memory and cannot fail.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    u64::try_from(tid).ok()
}

/// The TID of the main thread, which Linux makes equal to the process id.
pub(crate) fn main_native_id() -> Option<u64> {
    // SAFETY: `getpid` takes no arguments, touches no memory and cannot fail.
    let pid = unsafe { libc::getpid() };
    u64::try_from(pid).ok()
}

/// Whether the calling thread is the main thread: its TID is the process id.
pub(crate) fn is_main_thread() -> bool {
    native_id() == main_native_id()
}

/// Registers `hook` to run in `exit()`.
pub(crate) fn at_exit(hook: extern "C" fn()) -> super::AtExit {
    // SAFETY: `hook` is a plain `extern "C" fn()` that lives as long as the program
    // (a function item); `atexit` only stores the pointer.
    if unsafe { libc::atexit(hook) } == 0 {
        super::AtExit::Registered
    } else {
        super::AtExit::Refused
    }
}
