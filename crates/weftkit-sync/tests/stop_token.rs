//! Behaviour of `StopToken::wait_timeout`, the stop-aware sleep `weftkit::thread::sleep`
//! is built on (Python writes it `stop_event.wait(interval)`).

use std::time::Duration;

use weftkit_sync::StopToken;
use weftkit_testkit::watchdog;

#[test]
fn wait_timeout_returns_false_when_nobody_stops() {
    let token = StopToken::new();
    assert!(!token.wait_timeout(Duration::from_millis(5)));
    assert!(!token.wait_timeout(Duration::ZERO));
    assert!(!token.is_stopped());
}

#[test]
fn wait_timeout_on_a_stopped_token_returns_true_at_once() {
    let token = StopToken::new();
    token.clone().stop();
    assert!(token.wait_timeout(Duration::ZERO));
    assert!(token.wait_timeout(Duration::MAX));
}

#[test]
fn stop_wakes_a_wait_that_would_never_time_out() {
    watchdog(|| {
        let token = StopToken::new();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| token.wait_timeout(Duration::MAX));
            std::thread::sleep(Duration::from_millis(10));
            token.stop();
            assert!(waiter.join().unwrap());
        });
    });
}

#[test]
fn one_stop_wakes_every_waiter() {
    watchdog(|| {
        let token = StopToken::new();
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..4)
                .map(|_| s.spawn(|| token.wait_timeout(Duration::from_secs(3600))))
                .collect();
            std::thread::sleep(Duration::from_millis(10));
            token.stop();
            for waiter in waiters {
                assert!(waiter.join().unwrap());
            }
        });
    });
}
