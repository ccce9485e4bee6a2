//! Python's `threading.Thread` and `threading.Timer`, in Rust form: threads with
//! names, idents and daemon flags, a stop token each, an excepthook, daemon
//! semantics at exit, and timers served by one shared thread.
//!
//! | Python | weft |
//! |---|---|
//! | `Thread(target=f, name=.., daemon=..).start()` | [`Thread::new(f)`](Thread::new)`.name(..).daemon(..).start()` |
//! | subclass `Thread`, override `run()` | implement [`Runnable`], [`Thread::from_runnable`] |
//! | `t.join()`, `t.join(timeout)` | [`JoinHandle::join`] (returns the result), [`JoinHandle::wait_timeout`] |
//! | `t.is_alive()`, `t.name`, `t.ident`, `t.native_id`, `t.daemon` | [`JoinHandle`] methods of those names |
//! | (none) | [`JoinHandle::stop`], [`stop_token`], [`is_stopped`], [`sleep`] |
//! | `current_thread()`, `main_thread()`, `enumerate()`, `active_count()` | [`current`], [`main_thread`], [`enumerate`], [`active_count`] |
//! | `threading.excepthook`, `ExceptHookArgs` | [`set_excepthook`], [`ExceptHookArgs`], [`default_excepthook`] |
//! | `Timer(d, f).start()`, `t.cancel()` | [`Timer::after(d, f)`](Timer::after)`.start()`, [`TimerHandle::cancel`] |
//! | (none) | [`Timer::every`]: fixed-rate, no drift |
//! | `threading._shutdown()` at exit | the same, automatically; [`shutdown`] on demand; [`set_exit_deadline`] |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use weftkit::thread::{Thread, is_stopped, sleep};
//!
//! let worker = Thread::new(|| {
//!     let mut rounds = 0;
//!     while !is_stopped() {
//!         rounds += 1;
//!         sleep(Duration::from_millis(1)); // wakes at once on stop
//!     }
//!     rounds
//! })
//! .name("worker")
//! .start()?;
//! sleep(Duration::from_millis(10));
//! worker.stop();
//! println!("{} did {} rounds", "worker", worker.join().unwrap());
//! # Ok::<(), weftkit::thread::SpawnError>(())
//! ```
//!
//! # Daemon threads and exit
//!
//! As in Python, when `main` returns the process first waits for every running
//! non-daemon weft thread (and non-daemon [`Timer`]), then exits; daemon threads are
//! abandoned wherever they are. Threads are non-daemon by default, except that a
//! thread started from a daemon weft thread is a daemon too.
//!
//! This needs no call from you. When the first non-daemon thread or timer starts,
//! weft registers a function with the C runtime's `atexit` (once). Returning from
//! `main` ends in the C runtime's `exit`, and so does [`std::process::exit`]; `exit`
//! calls that function, which waits on weft's registry until no non-daemon thread is
//! left (including threads those threads started meanwhile), then lets the exit go
//! on. Before that, the Rust runtime has flushed stdout and made it unbuffered, so
//! what the waited-for threads print still comes out. The thread that calls `exit`
//! is never waited for by itself. [`shutdown`] performs the same wait on demand.
//!
//! Beyond Python, [`set_exit_deadline`] bounds that wait: after the deadline the
//! process exits anyway and names on stderr the threads and timers it abandoned.
//!
//! What happens in the other ways a process ends:
//!
//! - **A panic in `main`** (with the default `panic = "unwind"`): the Rust runtime
//!   catches it, prints it, and exits with code 101 through `exit`, so the wait runs
//!   as usual and the exit code stays 101.
//! - **`panic = "abort"`, [`std::process::abort`], or a fatal signal** (SIGKILL,
//!   SIGSEGV...): no `atexit` function runs; every thread dies at once.
//! - **SIGINT (Ctrl-C) and SIGTERM**: their default action kills the process at
//!   once, without `exit`, so non-daemon threads are *not* waited for. weft installs
//!   no signal handler. To finish work on Ctrl-C, handle the signal yourself (for
//!   example with the `ctrlc` crate), stop your threads through their
//!   [`StopToken`](weftkit_sync::StopToken)s and return from `main`. Python differs
//!   here: its SIGINT handler raises `KeyboardInterrupt` in the main thread, and the
//!   exit then waits for non-daemon threads.
//! - **`exit` called while non-daemon threads wait for something only `main` would
//!   do**: the process waits for ever, as Python's does; an exit deadline is the
//!   remedy.
//! - **[`std::process::exit`] in a non-daemon thread once the process is already
//!   exiting** (`main` has returned, or another thread's `exit` is running): on
//!   Linux the standard library lets only the first `exit` go on and parks every
//!   later caller for ever, so the exit waits for ever for that parked thread, and
//!   its exit code is lost. An exit deadline ends the wait (the first exit's code
//!   stands); better, call `exit` from one place and have other threads return, or
//!   tell `main` what they want.
//! - On platforms without `atexit` (not Unix or Windows) nothing waits at exit;
//!   call [`shutdown`] before returning from `main`.
//!
//! # Panics in threads
//!
//! A panic in a weft thread is caught at the thread's edge: [`JoinHandle::join`]
//! returns it as [`JoinError::Panicked`] (message and thread name), and the
//! excepthook reports it in the thread, by default as Python's
//! `Exception in thread <name>: <message>` on stderr. To avoid the same panic being
//! printed twice, weft wraps the std panic hook once so that it stays silent for
//! panics inside weft threads and timer callbacks, and only for those; the
//! [`excepthook`](set_excepthook) docs give the details and the consequences.
//!
//! # Timers
//!
//! [`Timer::after`] runs a callback once, later (non-daemon by default, as in Python:
//! exit waits for a pending one); [`Timer::every`] at a fixed rate (a daemon by
//! default). One shared daemon thread waits for all pending timers (a heap ordered by due
//! time) and hands each run to a short-lived thread named after the timer. The
//! protocol between cancelling and firing is in `src/timer/README.md`.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]

mod current;
mod error;
mod excepthook;
mod exit;
mod handle;
mod info;
mod os;
mod registry;
mod runtime;
mod thread;
mod timer;

pub use current::{active_count, current, enumerate, is_stopped, main_thread, sleep, stop_token};
pub use error::{JoinError, Panicked, SpawnError, TimerError};
pub use excepthook::{ExceptHookArgs, default_excepthook, reset_excepthook, set_excepthook};
pub use exit::{set_exit_deadline, shutdown, shutdown_timeout};
pub use handle::JoinHandle;
pub use info::ThreadInfo;
pub use thread::{Runnable, Thread};
pub use timer::{Timer, TimerHandle};

/// The examples of this crate's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
