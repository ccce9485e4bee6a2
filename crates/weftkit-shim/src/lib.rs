//! The one place in weft that names the concurrency primitives loom replaces.
//!
//! Every other weft crate imports atomics, `Arc`, `Mutex`, `UnsafeCell`, thread
//! spawn/park and `Instant` from here. Normally they are `std`'s; built with
//! `RUSTFLAGS="--cfg weft_loom"` they are `loom`'s, so that the model checker sees every
//! synchronising operation weft performs. There is no `clippy.toml` for this (clippy's
//! `disallowed_types` cannot tell a re-export from the original): `cargo xtask ci`'s
//! shim check reads the `src/` of every other crate and fails on any path that names
//! the raw primitives, spelled out or in a grouped `use`. Built with
//! `RUSTFLAGS="--cfg weft_shuttle"` they are `shuttle`'s instead: its randomized
//! scheduler samples schedules of models too large for loom to enumerate.
//!
//! Time is behind the switch too. loom and shuttle have no clock, so under either each modelled
//! thread has a virtual clock that advances only when the thread parks with a timeout:
//! [`thread::park_timeout`] yields to the scheduler and then advances the clock by the
//! whole timeout. A timed wait therefore times out after one park, and because the checker
//! explores the interleavings around that yield, the timeout paths of every primitive
//! are checked like the rest.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "this crate is the one place allowed to name the raw primitives"
)]
#![deny(unsafe_code)]

mod thread_id;

#[cfg(all(weft_loom, weft_shuttle))]
compile_error!("`--cfg weft_loom` and `--cfg weft_shuttle` exclude each other: pick one checker");

#[cfg(not(weft_loom))]
mod std_cell;
#[cfg(any(weft_loom, weft_shuttle))]
mod virtual_time;

#[cfg(not(any(weft_loom, weft_shuttle)))]
mod std_impl;
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub use std_impl::*;

#[cfg(weft_loom)]
mod loom_impl;
#[cfg(weft_loom)]
pub use loom_impl::*;

#[cfg(weft_shuttle)]
mod shuttle_impl;
#[cfg(weft_shuttle)]
pub use shuttle_impl::*;

/// Whether this build runs under a model checker: loom (`--cfg weft_loom`) or
/// shuttle (`--cfg weft_shuttle`).
///
/// Code uses it to shrink bounded loops (spin counts) that would only enlarge the
/// state space the checker must explore.
pub const IS_MODEL: bool = cfg!(any(weft_loom, weft_shuttle));

/// The examples of this crate's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
