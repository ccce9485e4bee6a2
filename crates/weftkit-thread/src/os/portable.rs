//! Every other platform: no portable thread id; the main thread is recognised by
//! the name the Rust runtime gives it; the exit hook is the C runtime's `atexit`
//! where `libc` offers it.

/// No portable way to read a kernel thread id here.
pub(crate) fn native_id() -> Option<u64> {
    None
}

/// No portable way to read the main thread's kernel id here.
pub(crate) fn main_native_id() -> Option<u64> {
    None
}

/// The Rust runtime names the main thread `main`.
pub(crate) fn is_main_thread() -> bool {
    weftkit_shim::thread::current().name() == Some("main")
}

/// Registers `hook` to run in `exit()`.
#[cfg(any(unix, windows))]
#[allow(
    unsafe_code,
    reason = "FFI call into the C runtime, documented at the call"
)]
pub(crate) fn at_exit(hook: extern "C" fn()) -> super::AtExit {
    // SAFETY: `hook` is a plain `extern "C" fn()` that lives as long as the program
    // (a function item); `atexit` only stores the pointer.
    if unsafe { libc::atexit(hook) } == 0 {
        super::AtExit::Registered
    } else {
        super::AtExit::Refused
    }
}

/// No C runtime `atexit` on this platform.
#[cfg(not(any(unix, windows)))]
pub(crate) fn at_exit(_hook: extern "C" fn()) -> super::AtExit {
    super::AtExit::Unsupported
}
