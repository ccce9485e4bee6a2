//! Linux: thread ids from `gettid`/`getpid`, the exit hook from `atexit`.
#![allow(
    unsafe_code,
    reason = "FFI calls into libc; each is documented at its call site"
)]

/// The kernel thread id (TID) of the calling thread.
pub(crate) fn native_id() -> Option<u64> {
    // SAFETY: `gettid` takes no arguments, touches no memory and cannot fail.
    let tid = unsafe { libc::gettid() };
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
