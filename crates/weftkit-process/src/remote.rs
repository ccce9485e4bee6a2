//! The process pool's way of naming a task's function to another process that runs this
//! same executable, for the weftkit crates that carry tasks over another transport
//! (weftkit-mpi, across the ranks of an MPI job). A `ProcessPool` user needs none of it.
//!
//! Hidden from the docs and outside the semver promise: it is shared between crates of
//! one release, which depend on each other's exact versions.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::call::Call;
pub use crate::sink::{Sink, TypedSink};
pub use crate::wire::WireError;

/// A function, `fn(A) -> R`, named for another process running this same executable:
/// two offsets from a fixed function, paired with a trampoline made for `(A, R)`
/// (`wire/README.md`, invariants 1 and 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemoteCall(Call);

impl RemoteCall {
    /// A call of `f` on one postcard-encoded `A`; it writes the encoded `R`.
    ///
    /// # Errors
    ///
    /// `f` is not in the executable that holds this crate (it is in a shared library),
    /// so another process could not find it; the message says what to do.
    pub fn new<A, R>(f: fn(A) -> R) -> Result<Self, String>
    where
        A: DeserializeOwned,
        R: Serialize,
    {
        Call::new(f).map(Self)
    }

    /// A call of `f` on each item of a postcard-encoded `Vec<A>`; it writes an encoded
    /// `Vec<Result<R, WireError>>`, one outcome per item.
    ///
    /// # Errors
    ///
    /// As [`RemoteCall::new`].
    pub fn chunk<A, R>(f: fn(A) -> R) -> Result<Self, String>
    where
        A: DeserializeOwned,
        R: Serialize,
    {
        Call::chunk(f).map(Self)
    }

    /// Runs the call on `args` in this process, appending the encoded result to `out`;
    /// a panic in the function (or in a serde impl) comes back as
    /// [`WireError::Panicked`], a value that does not decode or encode as
    /// [`WireError::Codec`].
    ///
    /// # Errors
    ///
    /// The task's own failure, as above.
    ///
    /// # Safety
    ///
    /// `self` was made by [`RemoteCall::new`] or [`RemoteCall::chunk`] in a process
    /// running this same executable file, with the same layout: the caller has
    /// checked that, for example by comparing [`RemoteCall::new`] of a known function
    /// made on both sides and the executable's contents.
    pub unsafe fn invoke(self, args: &[u8], out: &mut Vec<u8>) -> Result<(), WireError> {
        // SAFETY: this function's contract is `Call::invoke`'s.
        unsafe { self.0.invoke(args, out) }
    }
}

/// Installs the worker's panic hook: a panic inside [`RemoteCall::invoke`] is not
/// printed; its message and location travel in [`WireError::Panicked`] instead.
pub fn install_panic_hook() {
    crate::call::install_panic_hook();
}
