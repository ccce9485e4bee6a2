//! The manager's decisions, every case, without a process.
