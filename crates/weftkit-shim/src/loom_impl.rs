//! The `loom` side of the switch.

/// Atomics, `Arc`, `Mutex`, `Condvar` and `mpsc`: loom's models.
pub mod sync {
    pub use loom::sync::mpsc;
    pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

    /// Atomic integer and boolean types: loom's models.
    pub mod atomic {
        pub use loom::sync::atomic::{
            AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
        };
    }
}

/// Threads: loom's spawn, park and unpark, a modelled `park_timeout`, and an id that
/// is never reused.
pub mod thread {
    pub use crate::thread_id::unique_id;
    pub use loom::thread::{
        Builder, JoinHandle, Thread, ThreadId, current, panicking, park, spawn, yield_now,
    };

    use crate::time::{Duration, advance_clock};

    /// One CPU: a model explores interleavings, not parallel speed, and code that
    /// spins longer on several CPUs should keep its loom state space small.
    ///
    /// # Errors
    ///
    /// Never; the signature matches `std::thread::available_parallelism`.
    pub fn available_parallelism() -> std::io::Result<std::num::NonZeroUsize> {
        Ok(std::num::NonZeroUsize::MIN)
    }

    /// Models a timed park: yields to the scheduler (so any other thread may run,
    /// including one that unparks this one) and then advances this thread's virtual
    /// clock by `timeout`, so a deadline computed before the park has passed after it.
    pub fn park_timeout(timeout: Duration) {
        yield_now();
        advance_clock(timeout);
    }

    /// Models `sleep`: advances this thread's virtual clock after a yield.
    pub fn sleep(duration: Duration) {
        park_timeout(duration);
    }
}

/// Time: a per-thread virtual clock that only `park_timeout` advances.
pub mod time {
    pub(crate) use crate::virtual_time::advance_clock;
    pub use crate::virtual_time::{Duration, Instant};
}

/// Spin-loop hints: loom's, which yield to the scheduler.
pub mod hint {
    pub use loom::hint::spin_loop;
}

/// Interior mutability: loom's tracked `UnsafeCell`.
pub mod cell {
    /// loom's tracked cell, with a `get_mut` to match the std side.
    #[derive(Debug)]
    pub struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// Wraps `value`.
        pub fn new(value: T) -> Self {
            Self(loom::cell::UnsafeCell::new(value))
        }

        /// Unwraps the value.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }

        /// Calls `f` with a shared raw pointer to the value.
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            self.0.with(f)
        }

        /// Calls `f` with a mutable raw pointer to the value.
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            self.0.with_mut(f)
        }

        /// Returns a mutable reference through exclusive access.
        pub fn get_mut(&mut self) -> &mut T {
            // loom's cell has no safe `get_mut`; exclusive access makes the deref sound.
            self.0.with_mut(|p| {
                // SAFETY: `&mut self` proves no other reference to the value exists.
                #[allow(unsafe_code, reason = "the one deref loom's API leaves to us")]
                unsafe {
                    &mut *p
                }
            })
        }
    }
}

/// Thread-local storage: loom's `thread_local!`.
pub use loom::thread_local;

#[doc(hidden)]
pub use loom::thread_local as loom_thread_local;

/// A thread-local: loom's `thread_local!` (loom has no `const` form).
#[macro_export]
macro_rules! const_thread_local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $ty:ty = $init:expr;) => {
        $crate::loom_thread_local! { $(#[$attr])* $vis static $name: $ty = $init; }
    };
}
