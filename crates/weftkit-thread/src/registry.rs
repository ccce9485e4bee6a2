//! The registry of live weft threads, and of everything the process waits for at
//! exit (non-daemon threads and non-daemon timers).
//!
//! It lives in `Runtime::registry`, a `Condition<Registry>`: every change that can
//! end a wait (a thread finishing, a timer retiring, a waiter joining the wait)
//! calls `notify_all`, and waiters re-check [`Registry::is_quiet`] with the lock
//! held, so no ending is missed.
//!
//! Threads are entered *before* they are spawned, by the starting thread: once
//! `start` has returned, an exit that begins at once still waits for the thread.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::Duration;

use crate::info::Info;
use crate::runtime::Runtime;

/// Something the exit waits for.
#[derive(Debug)]
struct Pending {
    name: String,
    what: &'static str,
}

/// Live weft threads, and what the process waits for at exit.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    /// Started, not finished; by ident, so in start order.
    live: BTreeMap<u64, Arc<Info>>,
    /// Non-daemon threads and timers, by ident.
    pending: BTreeMap<u64, Pending>,
    /// Idents of threads that are themselves waiting in `shutdown` or the exit hook
    /// (with a count: several waits may exclude the same ident). `shutdown` does not
    /// wait for them, or two waiting threads would wait for each other for ever.
    waiting: BTreeMap<u64, usize>,
}

/// Who waits: the two differ in whom they leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitKind {
    /// `shutdown()`: leaves out the caller and every other thread waiting in a
    /// `shutdown()` or in the exit hook (they are waiting for the same thing).
    Shutdown,
    /// The exit hook: leaves out the exiting thread only. A non-daemon thread that
    /// is inside `shutdown()` will go on running afterwards, so the exit waits for
    /// it to finish; its `shutdown()` does not wait for the exiting thread.
    #[cfg_attr(
        any(weft_loom, weft_shuttle),
        allow(dead_code, reason = "loom models have no process exit to hook")
    )]
    Exit,
}

impl Registry {
    /// The live threads, in start order.
    pub(crate) fn live(&self) -> Vec<Arc<Info>> {
        self.live.values().cloned().collect()
    }

    /// How many threads are live.
    pub(crate) fn live_count(&self) -> usize {
        self.live.len()
    }

    /// The live thread whose OS id is `native_id`.
    pub(crate) fn find_native(&self, native_id: u64) -> Option<Arc<Info>> {
        self.live
            .values()
            .find(|info| info.native_id_now() == Some(native_id))
            .cloned()
    }

    /// Whether `ident` is left out of a wait of `kind` by a thread that excludes
    /// `excluded`.
    fn left_out(&self, ident: u64, excluded: &[u64], kind: WaitKind) -> bool {
        excluded.contains(&ident)
            || (kind == WaitKind::Shutdown && self.waiting.contains_key(&ident))
    }

    /// Whether nothing is left to wait for.
    fn is_quiet(&self, excluded: &[u64], kind: WaitKind) -> bool {
        self.pending
            .keys()
            .all(|&ident| self.left_out(ident, excluded, kind))
    }

    /// `thread 'a' (ident 3), timer 'b' (ident 7)`: what is still pending.
    fn describe_pending(&self, excluded: &[u64], kind: WaitKind) -> String {
        let mut text = String::new();
        for (&ident, pending) in &self.pending {
            if self.left_out(ident, excluded, kind) {
                continue;
            }
            if !text.is_empty() {
                text.push_str(", ");
            }
            let _ = write!(text, "{} '{}' (ident {ident})", pending.what, pending.name);
        }
        text
    }
}

/// Enters a thread about to be spawned (and, if it is not a daemon, the exit's list).
pub(crate) fn register_thread(rt: &Runtime, info: &Arc<Info>) {
    let mut registry = rt.registry.lock();
    registry.live.insert(info.ident, Arc::clone(info));
    if !info.daemon {
        registry.pending.insert(
            info.ident,
            Pending {
                name: info.name.clone(),
                what: "thread",
            },
        );
    }
}

/// Removes a thread whose body has ended (or that never started) and marks it
/// finished, in one step under the registry lock, so that `is_alive`, `enumerate`
/// and the exit wait never disagree.
pub(crate) fn finish_thread(rt: &Runtime, info: &Info) {
    let mut registry = rt.registry.lock();
    registry.live.remove(&info.ident);
    registry.pending.remove(&info.ident);
    info.set_finished();
    registry.notify_all();
}

/// Makes the exit wait for a non-daemon timer.
pub(crate) fn add_pending_timer(rt: &Runtime, ident: u64, name: &str) {
    rt.registry.lock().pending.insert(
        ident,
        Pending {
            name: name.to_owned(),
            what: "timer",
        },
    );
}

/// A non-daemon timer has fired for the last time or was cancelled.
pub(crate) fn remove_pending(rt: &Runtime, ident: u64) {
    let mut registry = rt.registry.lock();
    if registry.pending.remove(&ident).is_some() {
        registry.notify_all();
    }
}

/// Waits until every pending thread and timer has ended, except those in
/// `excluded` (the caller) and, for `shutdown`, those waiting themselves (see
/// [`WaitKind`]); `timeout` `None` waits for ever.
///
/// # Errors
///
/// On timeout, the description of what is still pending.
pub(crate) fn wait_until_quiet(
    rt: &Runtime,
    excluded: &[u64],
    kind: WaitKind,
    timeout: Option<Duration>,
) -> Result<(), String> {
    let mut registry = rt.registry.lock();
    for ident in excluded {
        *registry.waiting.entry(*ident).or_default() += 1;
    }
    // Other waiters may have been waiting for exactly these idents.
    registry.notify_all();
    let quiet = match timeout {
        None => {
            registry.wait_for(|r| r.is_quiet(excluded, kind));
            true
        }
        Some(timeout) => registry.wait_for_timeout(|r| r.is_quiet(excluded, kind), timeout),
    };
    let result = if quiet {
        Ok(())
    } else {
        Err(registry.describe_pending(excluded, kind))
    };
    for ident in excluded {
        if let Some(count) = registry.waiting.get_mut(ident) {
            *count -= 1;
            if *count == 0 {
                registry.waiting.remove(ident);
            }
        }
    }
    result
}
