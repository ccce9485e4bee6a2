//! A walk through weft, one section per capability: `cargo run --release --example tour`.
//!
//! Each section solves a small real task with the primitive it shows, and checks its
//! own answer, so the tour doubles as a smoke test.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use weftkit::sync::{
    Barrier, BoundedSemaphore, Condition, Event, GetError, LifoQueue, Lock, PriorityQueue, Queue,
    RLock, ReleaseError, Semaphore, StopToken,
};

fn main() {
    // First: the process pool's workers are this program started again, and divert here.
    weftkit::process::init();
    println!("weft tour\n");
    lock_section();
    rlock_section();
    condition_section();
    event_section();
    semaphore_section();
    barrier_section();
    queue_section();
    priority_section();
    stop_token_section();
    thread_section();
    executor_section();
    process_section();
    println!("\ntour complete");
    exit_section();
}

/// `threading.Lock`: the lock owns the data; the guard unlocks, even on panic.
fn lock_section() {
    println!("== Lock: eight threads count to 80,000 without losing an update");
    let hits = Lock::new(0u64);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..10_000 {
                    *hits.lock() += 1;
                }
            });
        }
    });
    let total = hits.into_inner();
    assert_eq!(total, 80_000);
    println!("   counted {total}");

    let ledger = Lock::new(vec!["opening balance"]);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // this panic is expected: keep the tour quiet
    let crashed = std::thread::scope(|s| {
        s.spawn(|| {
            let mut entries = ledger.lock();
            entries.push("half-written entry");
            panic!("the writer crashed while holding the lock");
        })
        .join()
        .is_err()
    });
    std::panic::set_hook(default_hook);
    assert!(crashed && !ledger.is_locked());
    println!(
        "   a writer panicked mid-update; the lock was released: {:?}",
        *ledger.lock()
    );
}

/// `threading.RLock`: a recursive walk takes the same lock at every level.
fn rlock_section() {
    println!("== RLock: a recursive tree walk re-enters the lock it already holds");
    struct Node {
        name: &'static str,
        children: Vec<Node>,
    }
    fn visit(node: &Node, seen: &RLock<RefCell<Vec<&'static str>>>) {
        let log = seen.lock(); // taken again at every level by the same thread
        log.borrow_mut().push(node.name);
        for child in &node.children {
            visit(child, seen);
        }
        drop(log);
    }
    let tree = Node {
        name: "root",
        children: vec![
            Node {
                name: "a",
                children: vec![Node {
                    name: "a1",
                    children: vec![],
                }],
            },
            Node {
                name: "b",
                children: vec![],
            },
        ],
    };
    let seen = RLock::new(RefCell::new(Vec::new()));
    visit(&tree, &seen);
    assert!(!seen.is_locked(), "every level was released");
    println!("   visited {:?}", seen.lock().borrow());
}

/// `threading.Condition`: a producer/consumer hand-off; wait/notify live on the guard.
fn condition_section() {
    println!("== Condition: a consumer sums what a producer hands over");
    let inbox = Condition::new(VecDeque::new());
    let sum = std::thread::scope(|s| {
        let consumer = s.spawn(|| {
            let mut sum = 0;
            loop {
                let mut items = inbox.lock();
                items.wait_for(|q| !q.is_empty());
                match items.pop_front() {
                    Some(Some(n)) => sum += n,
                    _ => return sum, // `None` is the end-of-stream marker
                }
            }
        });
        for n in 1..=100 {
            let mut items = inbox.lock();
            items.push_back(Some(n));
            items.notify_one();
        }
        let mut items = inbox.lock();
        items.push_back(None);
        items.notify_one();
        drop(items);
        consumer.join().expect("the consumer does not panic")
    });
    assert_eq!(sum, 5050);
    println!("   consumer received 1..=100, sum {sum}");
}

/// `threading.Event`: one `set` releases every waiting worker at once.
fn event_section() {
    println!("== Event: four workers wait for a starting signal");
    let start = Event::new();
    let started = Lock::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                start.wait();
                *started.lock() += 1;
            });
        }
        assert_eq!(*started.lock(), 0, "nobody runs before the signal");
        start.set();
    });
    assert_eq!(started.into_inner(), 4);
    println!("   set() released all 4 workers");
}

/// `threading.Semaphore` / `BoundedSemaphore`: at most two downloads at a time.
fn semaphore_section() {
    println!("== Semaphore: eight downloads, at most two at a time");
    let slots = Semaphore::new(2);
    let now = Lock::new((0u32, 0u32)); // (running, peak)
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let _permit = slots.acquire(); // released when dropped
                {
                    let mut n = now.lock();
                    n.0 += 1;
                    n.1 = n.1.max(n.0);
                }
                std::thread::sleep(Duration::from_millis(2));
                now.lock().0 -= 1;
            });
        }
    });
    let peak = now.into_inner().1;
    assert!(peak <= 2);
    println!("   peak concurrency {peak}");
    let bounded = BoundedSemaphore::new(1);
    let err = bounded.release(1).expect_err("nothing was acquired");
    assert!(matches!(err, ReleaseError::PastBound { .. }));
    println!("   BoundedSemaphore over-release is an error value: {err}");
}

/// `threading.Barrier`: workers compute in phases; the action merges each phase.
fn barrier_section() {
    println!("== Barrier: four workers sum a table in two phases, in step");
    // The action runs once per cycle, in the last thread to arrive, before anyone is
    // released; it may only hold 'static data, hence the `Arc`s.
    let partials = Arc::new(Lock::new([0u64; 4]));
    let totals = Arc::new(Lock::new(Vec::new()));
    let barrier = {
        let (partials, totals) = (Arc::clone(&partials), Arc::clone(&totals));
        Barrier::new(4)
            .expect("four parties is a valid barrier")
            .with_action(move || totals.lock().push(partials.lock().iter().sum::<u64>()))
    };
    let table: Vec<u64> = (1..=1_000).collect();
    std::thread::scope(|s| {
        for worker in 0..4 {
            let (table, partials, barrier) = (&table, &partials, &barrier);
            s.spawn(move || {
                for phase in 1..=2u64 {
                    let chunk = &table[worker * 250..(worker + 1) * 250];
                    partials.lock()[worker] = chunk.iter().map(|x| x * phase).sum();
                    barrier.wait().expect("nobody aborts this barrier");
                }
            });
        }
    });
    let totals = totals.lock().clone();
    assert_eq!(totals, [500_500, 1_001_000]);
    println!("   phase totals {totals:?}, merged by the barrier action once per phase");
}

/// `queue.Queue`: a bounded work queue with `task_done`/`join`, then `shutdown`.
fn queue_section() {
    println!(
        "== Queue: three workers drain a bounded queue; join() waits for the last task_done()"
    );
    let jobs = Queue::bounded(8).expect("a capacity of 8 is valid");
    let done = Lock::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                loop {
                    match jobs.get() {
                        Ok(n) => {
                            done.lock().push(n * n);
                            jobs.task_done().expect("one task_done per get");
                        }
                        Err(GetError::ShutDown) => return,
                        Err(other) => panic!("unexpected {other}"),
                    }
                }
            });
        }
        for n in 1..=50u64 {
            jobs.put(n).expect("the queue is open"); // blocks while 8 are waiting
        }
        jobs.join().expect("the queue is not shut down immediately");
        println!("   join() returned: all 50 jobs were taken and marked done");
        jobs.shutdown(false); // wakes the idle workers with ShutDown
    });
    let sum: u64 = done.into_inner().iter().sum();
    assert_eq!(sum, (1..=50u64).map(|n| n * n).sum());
    println!("   sum of squares {sum}");
}

/// `queue.PriorityQueue` / `LifoQueue`: lowest first; last in, first out.
fn priority_section() {
    println!("== PriorityQueue and LifoQueue");
    let jobs = PriorityQueue::bounded(4).expect("a capacity of 4 is valid");
    for (seq, (priority, job)) in [
        (2, "reply"),
        (0, "page oncall"),
        (1, "triage"),
        (2, "archive"),
    ]
    .into_iter()
    .enumerate()
    {
        jobs.put((priority, seq, job)).expect("room for four");
    }
    let order: Vec<_> = std::iter::from_fn(|| jobs.try_get().ok())
        .map(|(_, _, job)| job)
        .collect();
    assert_eq!(order, ["page oncall", "triage", "reply", "archive"]);
    println!("   priority order: {order:?}");
    let stack = LifoQueue::unbounded();
    for n in 1..=3 {
        stack.put(n).expect("an open queue");
    }
    let popped: Vec<_> = std::iter::from_fn(|| stack.try_get().ok()).collect();
    assert_eq!(popped, [3, 2, 1]);
    println!("   LIFO order: {popped:?}");
}

/// `StopToken`: a worker blocked in `get` on an empty queue is woken and told to stop.
fn stop_token_section() {
    println!("== StopToken: stopping a thread blocked in queue.get()");
    let inbox: Queue<String> = Queue::unbounded();
    let token = StopToken::new();
    let outcome = std::thread::scope(|s| {
        let worker = s.spawn(|| inbox.get_stoppable(&token));
        std::thread::sleep(Duration::from_millis(20)); // the worker is parked in get
        token.stop();
        worker.join().expect("the worker does not panic")
    });
    assert_eq!(outcome, Err(GetError::Stopped));
    println!("   the blocked get returned {outcome:?} instead of waiting for a sentinel");
}

/// `threading.Thread` and `Timer`: a closure or a `Runnable`, a stop flag, a periodic
/// timer (daemon versus non-daemon threads at exit closes the tour).
fn thread_section() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use weftkit::thread::{Runnable, Thread, Timer, is_stopped, sleep};

    println!("== Thread: a closure, a Runnable, a stop flag, a periodic Timer");
    /// The "subclass Thread and override run()" pattern.
    struct SumOfSquares(u64);
    impl Runnable for SumOfSquares {
        type Output = u64;
        fn run(&mut self, _stop: &StopToken) -> u64 {
            (1..=self.0).map(|n| n * n).sum()
        }
    }
    let sum = Thread::new(|| (1..=100u64).sum::<u64>())
        .name("adder")
        .start()
        .expect("the OS gave us a thread");
    let squares = Thread::from_runnable(SumOfSquares(10))
        .start()
        .expect("the OS gave us a thread");
    let (sum, squares) = (
        sum.join().expect("no panic"),
        squares.join().expect("no panic"),
    );
    assert_eq!((sum, squares), (5050, 385));
    println!("   closure thread: {sum}; Runnable thread: {squares}");

    // A worker loop with a stop flag; `sleep` wakes at once when stop is asked.
    let worker = Thread::new(|| {
        let mut rounds = 0u32;
        while !is_stopped() {
            rounds += 1;
            sleep(Duration::from_millis(1));
        }
        rounds
    })
    .start()
    .expect("the OS gave us a thread");
    let ticks = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&ticks);
    let heartbeat = Timer::every(Duration::from_millis(5), move || {
        counter.fetch_add(1, Ordering::SeqCst);
    })
    .start()
    .expect("the timer thread started");
    sleep(Duration::from_millis(30));
    worker.stop();
    assert!(
        heartbeat.cancel(),
        "the first cancel of a periodic timer prevents its later runs"
    );
    println!(
        "   worker stopped after {} rounds; the heartbeat timer ticked {} times",
        worker.join().expect("no panic"),
        ticks.load(Ordering::SeqCst)
    );
}

/// `concurrent.futures.ThreadPoolExecutor`: futures, as_completed, a lazy map, a
/// bounded queue, Python's cancel and the cooperative stop, and a scope that borrows.
fn executor_section() {
    use weftkit::executor::{SubmitError, TaskError, ThreadPool, WhenFull, as_completed};
    use weftkit::sync::Event;

    println!("== ThreadPool: submit + as_completed");
    let pool = ThreadPool::builder()
        .max_workers(4)
        .build()
        .expect("a valid pool");
    let futures: Vec<_> = [30u64, 10, 20]
        .into_iter()
        .map(|ms| {
            pool.submit(move || {
                std::thread::sleep(Duration::from_millis(ms));
                ms
            })
            .expect("the pool is open")
        })
        .collect();
    let order: Vec<u64> = as_completed(futures)
        .map(|f| f.result().expect("no task panics"))
        .collect();
    println!("   finished in completion order: {order:?}");

    println!("== as_completed with keys: Python's future_to_url example");
    // `future_to_url = {executor.submit(load_url, url, 60): url for url in URLS}`:
    // the URL stays beside its future, and comes back with it.
    let load_url = |url: &str| -> Result<usize, String> {
        if url.contains("made-up") {
            Err(format!("cannot resolve {url}"))
        } else {
            Ok(url.len() * 1_000) // a stand-in for the page's size: no network here
        }
    };
    let urls = [
        "http://www.example.com/",
        "http://www.example.org/",
        "http://some-made-up-domain.example/",
    ];
    let mut future_to_url = std::collections::HashMap::new();
    for url in urls {
        future_to_url.insert(
            url,
            pool.submit(move || load_url(url))
                .expect("the pool is open"),
        );
    }
    let mut failures = 0;
    for (url, future) in as_completed(future_to_url) {
        match future.result().expect("no task panics") {
            Ok(bytes) => println!("   {url:?} page is {bytes} bytes"),
            Err(exc) => {
                failures += 1;
                println!("   {url:?} generated an exception: {exc}");
            }
        }
    }
    assert_eq!(failures, 1, "only the made-up domain fails");

    println!("== a result many threads read: Future::shared");
    let config = pool
        .submit(|| String::from("settings loaded once"))
        .expect("the pool is open")
        .shared();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || config.result())
        })
        .collect();
    for reader in readers {
        let seen = reader
            .join()
            .expect("a reader thread")
            .expect("no task panics");
        assert_eq!(seen, "settings loaded once");
    }
    println!(
        "   three threads each read {:?}",
        config.result().expect("no task panics")
    );

    println!("== ThreadPool::map over ten million items, lazily, in constant memory");
    let total: u64 = pool
        .map(|n| n % 7, 0..10_000_000u64)
        .chunksize(10_000)
        .map(|r| r.expect("no task panics"))
        .sum();
    assert_eq!(total, (0..10_000_000u64).map(|n| n % 7).sum());
    println!("   sum of n % 7 = {total}");

    // With `--features progress`: tqdm's `thread_map`, a bar with count, rate and ETA.
    #[cfg(feature = "progress")]
    {
        println!("== progress: a bar over a long map (drawn when stderr is a terminal)");
        let done = pool
            .map(|n: u64| n.count_ones(), 0..2_000_000u64)
            .chunksize(1_000)
            .progress()
            .count();
        assert_eq!(done, 2_000_000);
        println!("   {done} items, counted on the bar");
    }

    println!("== a bounded queue filling up: WhenFull::Reject hands the task back");
    let small = ThreadPool::builder()
        .max_workers(1)
        .queue_capacity(2)
        .when_full(WhenFull::Reject)
        .build()
        .expect("a valid pool");
    let gate = Arc::new(Event::new());
    let busy = {
        let gate = Arc::clone(&gate);
        small
            .submit(move || gate.wait())
            .expect("room for the first task")
    };
    while small.running() == 0 {
        std::thread::yield_now();
    }
    let queued: Vec<_> = (0..2)
        .map(|i| small.submit(move || i).expect("two places"))
        .collect();
    match small.submit(|| 99) {
        Err(SubmitError::Full(task)) => println!(
            "   third task refused, handed back (it would return {})",
            task()
        ),
        other => panic!("expected Full, got {other:?}"),
    }

    println!("== cancellation: a queued future is cancelled; a running one is asked to stop");
    assert!(queued[1].cancel());
    gate.set();
    busy.result().expect("the gate task finishes");
    let results: Vec<_> = queued.into_iter().map(|f| f.result()).collect();
    assert_eq!(results, [Ok(0), Err(TaskError::Cancelled)]);
    println!("   results {results:?}");
    let jobs: Arc<Queue<u32>> = Arc::new(Queue::unbounded());
    let waiting = {
        let jobs = Arc::clone(&jobs);
        pool.submit(move || jobs.get_stoppable(&weftkit::executor::stop_token()))
            .expect("the pool is open")
    };
    while !waiting.running() {
        std::thread::yield_now();
    }
    assert!(
        !waiting.cancel(),
        "cancel keeps Python's contract: a running task is not cancelled"
    );
    assert!(
        waiting.request_stop(),
        "a stop request reaches the running task"
    );
    let outcome = waiting.result();
    assert_eq!(
        outcome,
        Ok(Err(weftkit::sync::GetError::Stopped)),
        "the task decided its outcome: it returns the stopped get"
    );
    println!(
        "   cancel() left the running task alone; request_stop() ended its blocked get: {outcome:?}"
    );

    println!("== scope: tasks that borrow a slice from this stack frame");
    let readings = [3.5f64, 4.0, 2.5, 5.0, 4.5, 3.0];
    let mut means = [0.0f64; 2];
    pool.scope(|s| {
        for (half, mean) in readings.chunks(3).zip(means.iter_mut()) {
            s.spawn(move |_| *mean = half.iter().sum::<f64>() / half.len() as f64);
        }
    });
    assert_eq!(means, [10.0 / 3.0, 12.5 / 3.0]);
    println!("   means of each half: {means:.2?}");
}

/// Longest Collatz chain below `n`: CPU-bound work for the process pool.
fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

/// A task that takes its worker process down with it.
fn crash_worker(_: ()) -> u32 {
    std::process::abort()
}

/// `ProcessPoolExecutor` / `multiprocessing.Pool`: CPU-bound work in worker processes,
/// and a worker that dies mid-run without taking the pool down.
fn process_section() {
    use weftkit::executor::TaskError;
    use weftkit::process::ProcessPool;

    println!("== ProcessPool: map a CPU-bound function over worker processes");
    let pool = ProcessPool::builder()
        .max_workers(2)
        .build()
        .expect("init() ran first in main");
    let (longest, steps) = pool
        .map(collatz_steps, 1..300_000u64)
        .chunksize(5_000)
        .map(|r| r.expect("no task fails"))
        .zip(1u64..)
        .map(|(steps, n)| (n, steps))
        .max_by_key(|&(_, steps)| steps)
        .expect("a non-empty range");
    assert_eq!((longest, steps), (230_631, 442));
    println!("   longest Collatz chain below 300,000 starts at {longest}: {steps} steps");

    println!("== a worker dies mid-run (abort); its task fails, the pool goes on");
    let doomed = pool.submit(crash_worker, ()).expect("the pool is open");
    let after: Vec<u32> = pool
        .map(collatz_steps, [27u64, 97, 871])
        .map(|r| r.expect("the pool survived"))
        .collect();
    let died = doomed.result();
    assert!(
        matches!(died, Err(TaskError::WorkerDied { .. })),
        "{died:?}"
    );
    assert_eq!(after, [111, 118, 178]);
    println!("   the crashed task: {}", died.unwrap_err());
    println!(
        "   later tasks still ran: {after:?}; workers restarted: {}",
        pool.stats().restarts
    );
}

/// Python's interpreter exit: non-daemon threads are waited for, daemon ones abandoned.
fn exit_section() {
    use weftkit::thread::{Thread, sleep};

    println!("\n== exit: main returns now; a daemon thread is abandoned, a non-daemon one awaited");
    Thread::new(|| sleep(Duration::from_secs(3600)))
        .daemon(true)
        .start()
        .expect("the OS gave us a thread");
    Thread::new(|| {
        sleep(Duration::from_millis(200));
        println!(
            "   (printed by a non-daemon thread still sleeping when main returned: the exit waited for it)"
        );
    })
    .start()
    .expect("the OS gave us a thread");
}
