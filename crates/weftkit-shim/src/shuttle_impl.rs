//! The `shuttle` side of the switch: shuttle's randomized scheduler controls every
//! synchronising operation, as loom's does, but samples schedules instead of
//! enumerating them, so it reaches models too large for loom (more threads, longer
//! runs). shuttle's atomics are sequentially consistent: it finds lost wake-ups and
//! races between operations, not missing fences (loom's models cover those).

/// Atomics, `Arc`, `Mutex`, `Condvar` and `mpsc`: shuttle's models (`Arc` and `Weak`
/// are `std`'s, as in shuttle).
pub mod sync {
    pub use shuttle::sync::mpsc;
    pub use shuttle::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};

    /// Atomic integer and boolean types: shuttle's models.
    pub mod atomic {
        pub use shuttle::sync::atomic::{
            AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
        };
    }
}

/// Threads: shuttle's spawn, park and unpark, a modelled `park_timeout`, and an id
/// that is never reused.
pub mod thread {
    pub use crate::thread_id::unique_id;
    pub use shuttle::thread::{
        Builder, JoinHandle, Thread, ThreadId, current, panicking, park, spawn, yield_now,
    };

    use crate::time::{Duration, advance_clock};

    /// One CPU, as under loom: code that spins longer on several CPUs should keep
    /// the modelled schedules short.
    ///
    /// # Errors
    ///
    /// Never; the signature matches `std::thread::available_parallelism`.
    pub fn available_parallelism() -> std::io::Result<std::num::NonZeroUsize> {
        Ok(std::num::NonZeroUsize::MIN)
    }

    /// Models a timed park: yields to the scheduler (so any other thread may run,
    /// including one that unparks this one) and then advances this thread's virtual
    /// clock by `timeout`. (shuttle's own `park_timeout` is a plain `park` that never
    /// times out, which would turn every timed wait into a reported deadlock.)
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

/// Spin-loop hints: shuttle's, which yield to the scheduler.
pub mod hint {
    pub use shuttle::hint::spin_loop;
}

/// Interior mutability: shuttle does not track cell accesses, so this is the `std`
/// cell with loom's `with`/`with_mut` API (races on it show up as wrong values or
/// broken invariants, not as reported data races).
pub mod cell {
    pub use crate::std_cell::UnsafeCell;
}

/// Thread-local storage: shuttle's `thread_local!` (one value per modelled thread
/// and execution).
pub use shuttle::thread_local;

#[doc(hidden)]
pub use shuttle::thread_local as shuttle_thread_local;

/// A thread-local with a `const` initialiser: shuttle's `thread_local!` (its `const`
/// form is initialised lazily like the plain one).
#[macro_export]
macro_rules! const_thread_local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $ty:ty = $init:expr;) => {
        $crate::shuttle_thread_local! { $(#[$attr])* $vis static $name: $ty = $init; }
    };
}
