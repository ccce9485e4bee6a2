//! `Condition`: notify racing wait, and a timed wait racing notify (L1).

use loom::sync::Arc;
use loom::thread;
use weftkit_shim::time::Duration;
use weftkit_sync::Condition;
use weftkit_testkit::model;

/// The classic lost-wake-up race: the flag set and notify racing the predicate
/// check and the wait. The waiter must always finish.
#[test]
fn notify_racing_wait_for() {
    model(|| {
        let cond = Arc::new(Condition::new(false));
        let setter = {
            let cond = Arc::clone(&cond);
            thread::spawn(move || {
                let mut ready = cond.lock();
                *ready = true;
                ready.notify_one();
            })
        };
        cond.lock().wait_for(|ready| *ready);
        setter.join().unwrap();
    });
}

/// A timed wait racing a notify: when the notifier woke somebody, the notification was
/// delivered to a waiter (it reports `true`), never dropped (L1).
#[test]
fn timed_wait_racing_notify() {
    model(|| {
        let cond = Arc::new(Condition::new(0u32));
        let waiter = {
            let cond = Arc::clone(&cond);
            thread::spawn(move || cond.lock().wait_timeout(Duration::from_millis(1)))
        };
        let woke = cond.lock().notify_one();
        let notified = waiter.join().unwrap();
        if woke {
            assert!(
                notified,
                "a notification was consumed by a waiter that reported a timeout"
            );
        }
    });
}

/// notify(1) with two waiters wakes exactly one; a later notify wakes the other.
#[test]
fn notify_n_wakes_at_most_n() {
    model(|| {
        let cond = Arc::new(Condition::new(0u32));
        let spawn_waiter = |cond: &Arc<Condition<u32>>| {
            let cond = Arc::clone(cond);
            thread::spawn(move || {
                let mut g = cond.lock();
                *g += 1;
                g.wait_for(|n| *n >= 100);
            })
        };
        let a = spawn_waiter(&cond);
        let b = spawn_waiter(&cond);
        {
            let mut g = cond.lock();
            g.wait_for_timeout(|n| *n == 2, Duration::from_secs(1));
            *g = 100;
            g.notify_all();
        }
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// A timed and an untimed waiter on the intrusive list, and two tokens each handed
/// over with `notify_one`: a notification chosen for the timed waiter just as it
/// times out still counts (L1), so it consumes a token, and the untimed waiter is
/// never left parked with a token waiting for it.
#[test]
fn notify_one_racing_a_timeout_strands_nobody() {
    model(|| {
        let cond = Arc::new(Condition::new(0u32));
        let timed = {
            let cond = Arc::clone(&cond);
            thread::spawn(move || {
                let mut tokens = cond.lock();
                let got = tokens.wait_for_timeout(|t| *t > 0, Duration::from_millis(1));
                if got {
                    *tokens -= 1;
                }
                got
            })
        };
        let untimed = {
            let cond = Arc::clone(&cond);
            thread::spawn(move || {
                let mut tokens = cond.lock();
                tokens.wait_for(|t| *t > 0);
                *tokens -= 1;
            })
        };
        for _ in 0..2 {
            let mut tokens = cond.lock();
            *tokens += 1;
            tokens.notify_one();
        }
        let got = timed.join().unwrap();
        untimed.join().unwrap();
        assert_eq!(*cond.lock(), if got { 0 } else { 1 });
    });
}
