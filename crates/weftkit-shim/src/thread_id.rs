//! Thread ids that are never reused: the same code in both modes.

use std::sync::atomic::{AtomicU64, Ordering};

/// The next id to hand out; 0 is never handed out.
static NEXT: AtomicU64 = AtomicU64::new(1);

crate::thread_local! {
    #[allow(
        clippy::missing_const_for_thread_local,
        reason = "the id is assigned on first use, not at compile time"
    )]
    static ID: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
}

/// A number that identifies the calling thread and that no other thread of this
/// process has or ever had; never 0.
///
/// Unlike the address of a thread-local, which a thread started later may be given
/// again once this one has exited, the id is never reused (a `u64` counter does not
/// wrap in practice). Only uniqueness is promised: the counter orders nothing.
pub fn unique_id() -> u64 {
    ID.with(|id| *id)
}
