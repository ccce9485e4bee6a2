//! One worker process as the manager holds it: the child, its socket, what is being
//! written to it and read from it, and its tasks in flight; and the few blocking
//! waits for a child the manager allows itself (invariant 5 of `src/wire/README.md`).

use std::collections::VecDeque;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};

use weftkit_shim::time::{Duration, Instant};

use super::decide::Phase;
use super::decide::dispatch::{self, Slot};
use super::decide::timing::Clocked;
use crate::os;
use crate::state::Job;

/// How long a worker that ended its stream may take to exit before it is killed.
pub(super) const EXIT_GRACE: Duration = Duration::from_secs(1);

/// A worker process of the pool.
pub(super) struct Worker {
    pub(super) child: Child,
    pub(super) stream: UnixStream,
    pub(super) phase: Phase,
    /// Tasks sent (or being sent), oldest first; only the head may have started.
    pub(super) in_flight: VecDeque<Job>,
    pub(super) out: Vec<u8>,
    pub(super) out_pos: usize,
    pub(super) inbuf: Vec<u8>,
    /// Tasks handed to this worker so far (for `max_tasks_per_child`).
    pub(super) sent: u64,
    pub(super) spawned_at: Instant,
    /// Since when the head task may have been running.
    pub(super) head_since: Instant,
    /// Its last task was short: feed it [`dispatch::DEEP`].
    pub(super) fast: bool,
    /// Its write side is shut: it exits once its replies are out.
    pub(super) retiring: bool,
    /// Its stream ended (or failed) on our side.
    pub(super) gone: bool,
}

impl Worker {
    /// A worker just started, with `out` (its `Setup` frame) to write.
    pub(super) fn new(child: Child, stream: UnixStream, out: Vec<u8>, now: Instant) -> Self {
        Self {
            child,
            stream,
            phase: Phase::Hello,
            in_flight: VecDeque::new(),
            out,
            out_pos: 0,
            inbuf: Vec::new(),
            sent: 0,
            spawned_at: now,
            head_since: now,
            fast: false,
            retiring: false,
            gone: false,
        }
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether everything queued for it has been written.
    pub(super) fn flushed(&self) -> bool {
        self.out_pos >= self.out.len()
    }

    /// What the dispatcher sees of it, with `limit` the `max_tasks_per_child`.
    pub(super) fn slot<N: TryInto<u64>>(&self, limit: Option<N>) -> Slot {
        Slot {
            phase: self.phase,
            retiring: self.retiring,
            gone: self.gone,
            in_flight: self.in_flight.len(),
            used: self.sent > 0,
            spent: dispatch::spent(self.sent, limit),
            fast: self.fast,
            head_since: self.head_since,
        }
    }

    /// What the clock sees of it.
    pub(super) fn clocked(&self) -> Clocked {
        Clocked {
            phase: self.phase,
            spawned_at: self.spawned_at,
            head: self.in_flight.front().map(|job| job.id),
            head_since: self.head_since,
        }
    }

    /// Writes what the socket takes now; `false` if the worker is gone.
    pub(super) fn flush(&mut self) -> bool {
        while self.out_pos < self.out.len() {
            match os::send(&self.stream, &self.out[self.out_pos..]) {
                Ok(0) => return false,
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(_) => return false,
            }
        }
        self.out.clear();
        self.out_pos = 0;
        true
    }

    /// Appends what its socket has now to its input, through `scratch`; `false` at
    /// end of stream or on an error (the worker is gone), `true` once it would block.
    pub(super) fn read_available(&mut self, scratch: &mut [u8]) -> bool {
        loop {
            match (&self.stream).read(scratch) {
                Ok(0) => return false,
                Ok(n) => self.inbuf.extend_from_slice(&scratch[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }
}

/// (signal, exit code) of an exit status; neither without one.
pub(super) fn status_parts(status: Option<ExitStatus>) -> (Option<i32>, Option<i32>) {
    status.map_or((None, None), |s| (s.signal(), s.code()))
}

/// Waits for `child` until `deadline`; its status if it exited.
pub(super) fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    // A worker that ended its stream is usually gone within microseconds: poll soon
    // at first, then back off.
    let mut pause = Duration::from_micros(20);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                weftkit_shim::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(2));
            }
            _ => return None,
        }
    }
}

/// Reaps `child` (killing it first if `kill`, or if it does not exit within
/// [`EXIT_GRACE`]); returns (signal, exit code).
pub(super) fn reap(child: &mut Child, kill: bool) -> (Option<i32>, Option<i32>) {
    if kill {
        os::signal(child, os::SIGKILL);
    }
    let status = match wait_until(child, Instant::now() + EXIT_GRACE) {
        Some(status) => Some(status),
        None => {
            os::signal(child, os::SIGKILL);
            child.wait().ok()
        }
    };
    status_parts(status)
}
