//! 1,000,000 tiny tasks submitted from outside and awaited, with and without a future
//! per task: weft against rayon, the threadpool crate and a crossbeam-channel pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use crate::harness::{Config, Contender, Measurement, compare};

const WORKERS: usize = 2;

/// Counts finished tasks; the last one signals the waiting submitter.
struct Countdown {
    left: AtomicU64,
    done: weft::sync::Event,
}

impl Countdown {
    fn new(n: u64) -> Arc<Self> {
        Arc::new(Self {
            left: AtomicU64::new(n),
            done: weft::sync::Event::new(),
        })
    }
    fn tick(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.set();
        }
    }
}

/// A plain pool: N threads pulling boxed closures from one crossbeam channel.
struct ChannelPool {
    tx: Option<crossbeam_channel::Sender<Box<dyn FnOnce() + Send>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl ChannelPool {
    fn new(n: usize) -> Self {
        let (tx, rx) = crossbeam_channel::unbounded::<Box<dyn FnOnce() + Send>>();
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
    fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        self.tx
            .as_ref()
            .expect("open")
            .send(Box::new(f))
            .expect("workers alive");
    }
}

impl Drop for ChannelPool {
    fn drop(&mut self) {
        self.tx.take();
        for t in self.threads.drain(..) {
            t.join().expect("worker exits cleanly");
        }
    }
}

fn work(i: u64) -> u64 {
    std::hint::black_box(i.wrapping_mul(2654435761))
}

/// Runs the executor group.
pub(crate) fn run(config: &Config) -> Vec<Measurement> {
    eprintln!("executor");
    let n = config.ops(1_000_000);
    let weft_pool = weft::executor::ThreadPool::builder()
        .max_workers(WORKERS)
        .unbounded()
        .build()
        .expect("valid pool");
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .expect("rayon pool");
    let tp = threadpool::ThreadPool::new(WORKERS);
    let channel_pool = ChannelPool::new(WORKERS);

    let mut out = compare(
        config,
        "submit/1M tiny tasks",
        "task",
        vec![
            Contender::weft(|| {
                let c = Countdown::new(n);
                for i in 0..n {
                    let c = Arc::clone(&c);
                    weft_pool
                        .execute(move || {
                            work(i);
                            c.tick();
                        })
                        .expect("pool open");
                }
                c.done.wait();
                n
            }),
            Contender::peer("rayon::spawn", || {
                let c = Countdown::new(n);
                for i in 0..n {
                    let c = Arc::clone(&c);
                    rayon_pool.spawn(move || {
                        work(i);
                        c.tick();
                    });
                }
                c.done.wait();
                n
            }),
            Contender::peer("threadpool", || {
                let c = Countdown::new(n);
                for i in 0..n {
                    let c = Arc::clone(&c);
                    tp.execute(move || {
                        work(i);
                        c.tick();
                    });
                }
                c.done.wait();
                n
            }),
            Contender::peer("crossbeam-channel pool", || {
                let c = Countdown::new(n);
                for i in 0..n {
                    let c = Arc::clone(&c);
                    channel_pool.spawn(move || {
                        work(i);
                        c.tick();
                    });
                }
                c.done.wait();
                n
            }),
        ],
    );

    let n = config.ops(200_000);
    out.extend(compare(
        config,
        "submit/futures, results collected",
        "task",
        vec![
            Contender::weft(|| {
                let futures: Vec<_> = (0..n)
                    .map(|i| weft_pool.submit(move || work(i)).expect("pool open"))
                    .collect();
                let sum = futures.into_iter().fold(0u64, |acc, f| {
                    acc.wrapping_add(f.result().expect("no panics"))
                });
                assert_eq!(sum, (0..n).fold(0u64, |acc, i| acc.wrapping_add(work(i))));
                n
            }),
            Contender::peer("rayon + oneshot", || {
                let receivers: Vec<_> = (0..n)
                    .map(|i| {
                        let (tx, rx) = mpsc::sync_channel(1);
                        rayon_pool.spawn(move || tx.send(work(i)).expect("receiver alive"));
                        rx
                    })
                    .collect();
                let sum = receivers
                    .into_iter()
                    .fold(0u64, |acc, rx| acc.wrapping_add(rx.recv().expect("sent")));
                assert_eq!(sum, (0..n).fold(0u64, |acc, i| acc.wrapping_add(work(i))));
                n
            }),
            Contender::peer("threadpool + oneshot", || {
                let receivers: Vec<_> = (0..n)
                    .map(|i| {
                        let (tx, rx) = mpsc::sync_channel(1);
                        tp.execute(move || tx.send(work(i)).expect("receiver alive"));
                        rx
                    })
                    .collect();
                let sum = receivers
                    .into_iter()
                    .fold(0u64, |acc, rx| acc.wrapping_add(rx.recv().expect("sent")));
                assert_eq!(sum, (0..n).fold(0u64, |acc, i| acc.wrapping_add(work(i))));
                n
            }),
        ],
    ));
    out
}
