//! The one place in weft that names the concurrency primitives loom replaces.
//!
//! Every other weft crate imports atomics, `Arc`, `Mutex`, `UnsafeCell`, thread
//! spawn/park and `Instant` from here. Normally they are `std`'s; built with
//! `RUSTFLAGS="--cfg weft_loom"` they are `loom`'s, so that the model checker sees every
//! synchronising operation weft performs. There is no `clippy.toml` for this (clippy's
//! `disallowed_types` cannot tell a re-export from the original): `cargo xtask ci`'s
//! shim check reads the `src/` of every other crate and fails on any path that names
//! the raw primitives, spelled out or in a grouped `use`.
//!
//! Time is behind the switch too. loom has no clock, so under `weft_loom` each modelled
//! thread has a virtual clock that advances only when the thread parks with a timeout:
//! [`thread::park_timeout`] yields to the scheduler and then advances the clock by the
//! whole timeout. A timed wait therefore times out after one park, and because loom
//! explores every interleaving around that yield, the timeout paths of every primitive
//! are checked like the rest.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "this crate is the one place allowed to name the raw primitives"
)]
#![deny(unsafe_code)]

mod thread_id;

#[cfg(not(weft_loom))]
mod std_impl;
#[cfg(not(weft_loom))]
pub use std_impl::*;

#[cfg(weft_loom)]
mod loom_impl;
#[cfg(weft_loom)]
pub use loom_impl::*;

/// Whether this build runs under the loom model checker (`--cfg weft_loom`).
///
/// Code uses it to shrink bounded loops (spin counts) that would only enlarge the
/// state space loom must explore.
pub const IS_LOOM: bool = cfg!(weft_loom);
