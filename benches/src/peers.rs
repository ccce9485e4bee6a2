//! Pieces the pool workloads share: a countdown to wait for fire-and-forget tasks, and
//! the simplest pool design (N threads pulling boxed closures from one channel).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

type Job = Box<dyn FnOnce() + Send>;

/// Counts finished tasks; the last one wakes the waiting submitter.
#[derive(Debug)]
pub(crate) struct Countdown {
    left: AtomicU64,
    done: weftkit::sync::Event,
}

impl Countdown {
    pub(crate) fn new(n: u64) -> Arc<Self> {
        let countdown = Arc::new(Self {
            left: AtomicU64::new(n),
            done: weftkit::sync::Event::new(),
        });
        if n == 0 {
            countdown.done.set();
        }
        countdown
    }

    pub(crate) fn tick(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.set();
        }
    }

    pub(crate) fn wait(&self) {
        self.done.wait();
    }
}

/// A plain pool: N threads pulling boxed closures from one crossbeam channel.
pub(crate) struct ChannelPool {
    tx: Option<crossbeam_channel::Sender<Job>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl ChannelPool {
    /// `n` workers behind an unbounded channel, or one bounded at `capacity`.
    pub(crate) fn new(n: usize, capacity: Option<usize>) -> Self {
        let (tx, rx) = match capacity {
            Some(cap) => crossbeam_channel::bounded::<Job>(cap),
            None => crossbeam_channel::unbounded::<Job>(),
        };
        let threads = (0..n)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || {
                    for job in rx {
                        job();
                    }
                })
            })
            .collect();
        Self {
            tx: Some(tx),
            threads,
        }
    }

    pub(crate) fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        self.tx
            .as_ref()
            .expect("the pool is open until dropped")
            .send(Box::new(f))
            .expect("workers live as long as the pool");
    }
}

impl Drop for ChannelPool {
    fn drop(&mut self) {
        self.tx.take();
        for t in self.threads.drain(..) {
            t.join().expect("a worker exits cleanly");
        }
    }
}
