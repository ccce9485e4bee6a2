//! Claim: with the manager's round "drain the wake channel, THEN clear the flag, look
//! at the queue under its lock, block until a byte arrives", no submit is lost: a job
//! pushed under the lock and followed by `wake()` is seen by the manager, however the
//! submitters' pushes and wake-ups interleave with its round, even on a channel that
//! holds a single byte and drops a byte sent while it is full (as the full
//! non-blocking socket does). A lost wake-up leaves the manager blocked forever, which
//! loom reports as a deadlock.
//!
//! The protocol code is the pool's own: `src/wake.rs` is compiled into this test. Only
//! the channel is modelled: a byte count with a condition variable, whose blocking wait
//! stands in for the manager's `poll(2)` on the wake socket.
//!
//! Swapping the order in `drain_then_clear` (clear, then drain) makes both models
//! below fail with a deadlock at the default bound of two preemptions (the first
//! already at one): a submitter sets the flag and sends its byte between the clear and
//! the drain, the drain swallows the byte, the flag stays set, and the next `wake()`
//! sends nothing.

#[path = "../../src/wake.rs"]
mod protocol;

use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use protocol::{Bell, Drain, WakeFlag};
use weftkit_testkit::model;

/// How many bytes the modelled socket holds: the least a socket can, so that a ring on
/// a full channel (dropped, like a send that would block) is among the interleavings.
const CAPACITY: usize = 1;

/// The wake socket: bytes in flight, and the manager's blocking wait for one.
#[derive(Default)]
struct Channel {
    bytes: Mutex<usize>,
    arrived: Condvar,
}

impl Bell for Arc<Channel> {
    fn ring(&self) {
        let mut bytes = self.bytes.lock().unwrap();
        if *bytes < CAPACITY {
            *bytes += 1;
        }
        self.arrived.notify_one();
    }
}

impl Drain for Arc<Channel> {
    fn drain(&self) {
        *self.bytes.lock().unwrap() = 0;
    }
}

impl Channel {
    /// The manager's `poll`: blocks until a byte is there, and leaves it there.
    fn wait_for_byte(&self) {
        let mut bytes = self.bytes.lock().unwrap();
        while *bytes == 0 {
            bytes = self.arrived.wait(bytes).unwrap();
        }
    }
}

/// What a submitter and the manager share: the queue under its lock, the flag and
/// the channel.
struct Pool {
    queue: Mutex<Vec<u32>>,
    wake: WakeFlag<Arc<Channel>>,
    channel: Arc<Channel>,
}

impl Pool {
    fn new() -> Arc<Self> {
        let channel = Arc::new(Channel::default());
        Arc::new(Self {
            queue: Mutex::new(Vec::new()),
            wake: WakeFlag::new(Arc::clone(&channel)),
            channel,
        })
    }

    /// `submit`: push under the lock, release it, wake.
    fn submit(&self, job: u32) {
        self.queue.lock().unwrap().push(job);
        self.wake.wake();
    }

    /// The manager loop, until it has taken `jobs` jobs; returns them in the order
    /// taken.
    fn manage(&self, jobs: usize) -> Vec<u32> {
        let mut taken = Vec::new();
        loop {
            self.wake.drain_then_clear(&self.channel);
            taken.extend(self.queue.lock().unwrap().drain(..));
            if taken.len() == jobs {
                return taken;
            }
            self.channel.wait_for_byte();
        }
    }
}

/// Two submitters, one job each, racing every step of the manager's round.
#[test]
fn two_submitters_each_wake_the_manager() {
    model(|| {
        let pool = Pool::new();
        let submitters: Vec<_> = [1, 2]
            .into_iter()
            .map(|job| {
                let pool = Arc::clone(&pool);
                thread::spawn(move || pool.submit(job))
            })
            .collect();
        let mut taken = pool.manage(2);
        for submitter in submitters {
            submitter.join().unwrap();
        }
        taken.sort_unstable();
        assert_eq!(taken, [1, 2]);
    });
}

/// One submitter, two jobs in a row: its second `wake()` may find the flag its first
/// one set, still uncleared, and send nothing; the manager must still take both.
#[test]
fn one_submitter_wakes_twice() {
    model(|| {
        let pool = Pool::new();
        let submitter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                pool.submit(1);
                pool.submit(2);
            })
        };
        assert_eq!(pool.manage(2), [1, 2]);
        submitter.join().unwrap();
    });
}
