//! The waiting machinery every primitive is built on; invariants in `README.md` here.

mod deadline;
mod node;
mod raw_lock;
mod spin;
mod wait_list;
mod waiter;

pub(crate) use deadline::deadline_after;
pub(crate) use raw_lock::RawLock;
pub(crate) use spin::{SpinWait, multi_cpu};
pub(crate) use wait_list::WaitList;
pub(crate) use waiter::{Waiter, WakeReason};
