//! `Event`: set racing wait and wait_timeout (no lost wake-up, a notified waiter
//! returns true), clear racing a parked waiter, and a late set after a clear (E5).

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;
use weftkit_shim::time::Duration;
use weftkit_sync::{Event, StopToken};
use weftkit_testkit::model;

/// The classic race: `set` against the waiter's check, spin and park. The waiter
/// must always finish (loom reports a deadlock otherwise).
#[test]
fn set_racing_wait() {
    model(|| {
        let event = Arc::new(Event::new());
        let waiter = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.wait())
        };
        event.set();
        waiter.join().unwrap();
        assert!(event.is_set());
    });
}

/// A timed waiter gives up while `set` runs, and an untimed waiter queued behind it
/// must still be woken: the timed waiter's exit (which may clear `WAITERS`) never
/// swallows the set, whichever of them registered first.
#[test]
fn set_racing_wait_timeout_and_wait() {
    model(|| {
        let event = Arc::new(Event::new());
        let timed = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.wait_timeout(Duration::from_millis(1)))
        };
        let untimed = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.wait())
        };
        event.set();
        let _ = timed.join().unwrap();
        untimed.join().unwrap();
    });
}

/// No set at all: a timed wait must report `false`.
#[test]
fn wait_timeout_without_set_is_false() {
    model(|| {
        let event = Arc::new(Event::new());
        let timed = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.wait_timeout(Duration::from_millis(1)))
        };
        event.clear();
        assert!(!timed.join().unwrap());
    });
}

/// `set` then `clear` at once, racing a waiter (gh-57711): a waiter the first `set`
/// woke reports success although the flag may be clear again by the time it runs
/// (the token never fires, so `Err` would mean it re-read the flag; hanging would mean
/// it went back to sleep). A waiter that arrives only after the `clear` is not woken
/// by that `set`; the second `set` lets it through.
#[test]
fn clear_racing_a_woken_waiter() {
    model(|| {
        let event = Arc::new(Event::new());
        let waiter = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.wait_stoppable(&StopToken::new()))
        };
        // A yield lets the waiter park first without spending the preemption budget.
        thread::yield_now();
        event.set();
        event.clear();
        event.set();
        assert_eq!(waiter.join().unwrap(), Ok(()));
    });
}

/// E5: a `set` that saw a queued waiter but reaches the lock late must not wake a
/// waiter that registered after a `clear` that followed it. One thread waits (and is
/// queued when the set comes); the main thread waits for the flag, clears it and then
/// waits: with nobody setting again, its wait must time out.
#[test]
fn late_set_does_not_wake_a_waiter_after_clear() {
    model(|| {
        let event = Arc::new(Event::new());
        let early = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.wait_timeout(Duration::from_secs(1)))
        };
        let setter = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.set())
        };
        while !event.is_set() {
            thread::yield_now();
        }
        event.clear();
        assert!(
            !event.wait_timeout(Duration::from_millis(1)),
            "a set from before the clear woke a waiter that came after it"
        );
        setter.join().unwrap();
        let _ = early.join().unwrap();
    });
}

/// E8: a `set` then `clear` that both run after a wait began, while the waiter may
/// still be spinning (not yet queued), must end that wait. Before E8 the waiter
/// registered in the generation the `clear` started and slept until a next `set`
/// (loom reports the deadlock). `entered` is stored once the wait has read its
/// entry state; the setter starts only after seeing it.
#[test]
fn set_and_clear_while_the_waiter_spins() {
    model(|| {
        let event = Arc::new(Event::new());
        let entered = Arc::new(AtomicBool::new(false));
        let waiter = {
            let event = Arc::clone(&event);
            let entered = Arc::clone(&entered);
            thread::spawn(move || event.wait_entered(|| entered.store(true, Ordering::Release)))
        };
        while !entered.load(Ordering::Acquire) {
            thread::yield_now();
        }
        event.set();
        event.clear();
        waiter.join().unwrap();
        assert!(!event.is_set());
    });
}
