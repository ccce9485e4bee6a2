//! `StopToken`: a stop racing a waiter's registration and park is never lost (W3).

use loom::sync::Arc;
use loom::thread;
use weftkit_sync::{Condition, StopToken, Stopped};
use weftkit_testkit::model;

/// A condition waiter with nobody to notify it: only the stop can end its wait, so a
/// stop that slipped between its check and its park would hang the model.
#[test]
fn stop_racing_a_condition_wait() {
    model(|| {
        let cond = Arc::new(Condition::new(()));
        let token = StopToken::new();
        let waiter = {
            let (cond, token) = (Arc::clone(&cond), token.clone());
            thread::spawn(move || cond.lock().wait_stoppable(&token))
        };
        token.stop();
        assert_eq!(waiter.join().unwrap(), Err(Stopped));
    });
}

/// A notification and a stop racing each other: the waiter reports one of them, and a
/// notification that reached it is not reported as a stop.
#[test]
fn stop_racing_notify() {
    model(|| {
        let cond = Arc::new(Condition::new(false));
        let token = StopToken::new();
        let waiter = {
            let (cond, token) = (Arc::clone(&cond), token.clone());
            thread::spawn(move || cond.lock().wait_for_stoppable(|set| *set, &token))
        };
        let stopper = {
            let token = token.clone();
            thread::spawn(move || token.stop())
        };
        let woke = {
            let mut set = cond.lock();
            *set = true;
            set.notify_all()
        };
        stopper.join().unwrap();
        let result = waiter.join().unwrap();
        // Either outcome may be right, but a waiter that the notify reached (L1) saw
        // the predicate true: it must not report a stop.
        if woke > 0 {
            assert_eq!(result, Ok(()), "a notified waiter reported a stop");
        }
    });
}
