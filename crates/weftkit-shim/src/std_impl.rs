//! The `std` side of the switch.

/// Atomics, `Arc`, `Mutex`, `Condvar` and `mpsc`: `std`'s.
pub mod sync {
    pub use std::sync::mpsc;
    pub use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};

    /// Atomic integer and boolean types: `std`'s.
    pub mod atomic {
        pub use std::sync::atomic::{
            AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
        };
    }
}

/// Threads: `std`'s spawn, park and unpark, plus an id that is never reused.
pub mod thread {
    pub use crate::thread_id::unique_id;
    pub use std::thread::{
        Builder, JoinHandle, Thread, ThreadId, available_parallelism, current, panicking, park,
        park_timeout, sleep, spawn, yield_now,
    };
}

/// Time: `std`'s monotonic clock.
pub mod time {
    pub use std::time::{Duration, Instant};
}

/// Spin-loop hints.
pub mod hint {
    pub use std::hint::spin_loop;
}

/// Interior mutability with loom's closure-based access API.
pub mod cell {
    pub use crate::std_cell::UnsafeCell;
}

/// Thread-local storage: `std`'s `thread_local!`.
pub use std::thread_local;

/// A thread-local with a `const` initialiser (no lazy-initialisation check on access):
/// `std`'s `thread_local!` with `const { .. }`; loom's plain `thread_local!` under loom.
#[macro_export]
macro_rules! const_thread_local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $ty:ty = $init:expr;) => {
        ::std::thread_local! { $(#[$attr])* $vis static $name: $ty = const { $init }; }
    };
}
