//! Bounded producer/consumer queues, 1 producer : 1 consumer and 4 : 4, against std's
//! `mpsc::sync_channel` (its receiver shared behind a mutex for 4 consumers) and
//! crossbeam-channel's `bounded`.

use std::sync::Mutex;
use std::sync::mpsc;

use crate::harness::{Bench, Contender, Workload};

/// Slots in each queue.
const CAPACITY: usize = 1024;

/// A bounded multi-producer multi-consumer queue of `u64`.
trait BoundedQueue: Sync {
    fn new(capacity: usize) -> Self;
    fn put(&self, item: u64);
    fn get(&self) -> u64;
}

struct WeftQueue(weftkit::sync::Queue<u64>);
impl BoundedQueue for WeftQueue {
    fn new(capacity: usize) -> Self {
        Self(weftkit::sync::Queue::bounded(capacity).expect("capacity is not 0"))
    }
    fn put(&self, item: u64) {
        self.0.put(item).expect("the queue is never shut down");
    }
    fn get(&self) -> u64 {
        self.0.get().expect("the queue is never shut down")
    }
}

struct StdChannel {
    tx: mpsc::SyncSender<u64>,
    rx: Mutex<mpsc::Receiver<u64>>,
}
impl BoundedQueue for StdChannel {
    fn new(capacity: usize) -> Self {
        let (tx, rx) = mpsc::sync_channel(capacity);
        Self {
            tx,
            rx: Mutex::new(rx),
        }
    }
    fn put(&self, item: u64) {
        self.tx.send(item).expect("the receiver lives");
    }
    fn get(&self) -> u64 {
        self.rx
            .lock()
            .expect("no panics while locked")
            .recv()
            .expect("the sender lives")
    }
}

struct Crossbeam(
    crossbeam_channel::Sender<u64>,
    crossbeam_channel::Receiver<u64>,
);
impl BoundedQueue for Crossbeam {
    fn new(capacity: usize) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        Self(tx, rx)
    }
    fn put(&self, item: u64) {
        self.0.send(item).expect("the receiver lives");
    }
    fn get(&self) -> u64 {
        self.1.recv().expect("the sender lives")
    }
}

/// `pairs` producers each put `per_producer` distinct numbers; `pairs` consumers each
/// take `per_producer` items. Checks that the sum of what came out is the sum of what
/// went in; returns the items moved.
fn transfer<Q: BoundedQueue>(pairs: u64, per_producer: u64) -> u64 {
    let queue = Q::new(CAPACITY);
    let total = pairs * per_producer;
    let got: u64 = std::thread::scope(|s| {
        for p in 0..pairs {
            let queue = &queue;
            s.spawn(move || {
                for i in 0..per_producer {
                    queue.put(p * per_producer + i);
                }
            });
        }
        let consumers: Vec<_> = (0..pairs)
            .map(|_| s.spawn(|| (0..per_producer).map(|_| queue.get()).sum::<u64>()))
            .collect();
        consumers
            .into_iter()
            .map(|c| c.join().expect("a consumer does not panic"))
            .sum()
    });
    assert_eq!(
        got,
        total * (total - 1) / 2,
        "a queue lost or changed an item"
    );
    total
}

fn workload(name: String, pairs: u64, per_producer: u64) -> Workload<'static> {
    Workload::new(name, "item")
        .with(Contender::weft("weft Queue", move || {
            transfer::<WeftQueue>(pairs, per_producer)
        }))
        .with(Contender::peer("crossbeam-channel bounded", move || {
            transfer::<Crossbeam>(pairs, per_producer)
        }))
        .with(Contender::peer("std mpsc sync_channel", move || {
            transfer::<StdChannel>(pairs, per_producer)
        }))
}

/// Runs the queue group.
pub(crate) fn run(bench: &mut Bench) {
    let items = bench.config.pick(2_000_000, 400_000, 8_000);
    for pairs in [1u64, 4] {
        bench.run(workload(
            format!("queue/{pairs}:{pairs}, capacity {CAPACITY}"),
            pairs,
            items / pairs,
        ));
    }
}
