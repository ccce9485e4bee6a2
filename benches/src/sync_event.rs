//! Event ping-pong between two threads, against a std `Mutex<bool>` + `Condvar` flag.
//!
//! One round trip: thread A sets `ping` and waits for `pong`; thread B waits for
//! `ping`, clears it and sets `pong`; A clears `pong`. Run it pinned to one core with
//! `taskset -c 0 target/release/weft-benches event` to see the shared-core case.

use std::sync::{Condvar, Mutex};

use crate::harness::{Config, Contender, Measurement, compare};

/// A settable, clearable, waitable flag.
trait Flag: Sync + Default {
    fn set(&self);
    fn clear(&self);
    fn wait(&self);
}

#[derive(Default)]
struct WeftEvent(weft::sync::Event);
impl Flag for WeftEvent {
    fn set(&self) {
        self.0.set();
    }
    fn clear(&self) {
        self.0.clear();
    }
    fn wait(&self) {
        self.0.wait();
    }
}

#[derive(Default)]
struct StdFlag {
    flag: Mutex<bool>,
    changed: Condvar,
}
impl Flag for StdFlag {
    fn set(&self) {
        *self.flag.lock().expect("no panics while locked") = true;
        self.changed.notify_all();
    }
    fn clear(&self) {
        *self.flag.lock().expect("no panics while locked") = false;
    }
    fn wait(&self) {
        let guard = self.flag.lock().expect("no panics while locked");
        drop(
            self.changed
                .wait_while(guard, |set| !*set)
                .expect("no panics while locked"),
        );
    }
}

/// `rounds` ping-pong round trips; returns the count after checking both sides ran them all.
fn ping_pong<F: Flag>(rounds: u64) -> u64 {
    let (ping, pong) = (F::default(), F::default());
    let answered = std::thread::scope(|s| {
        let echo = s.spawn(|| {
            let mut answered = 0u64;
            for _ in 0..rounds {
                ping.wait();
                ping.clear();
                pong.set();
                answered += 1;
            }
            answered
        });
        for _ in 0..rounds {
            ping.set();
            pong.wait();
            pong.clear();
        }
        echo.join().expect("the echo thread does not panic")
    });
    assert_eq!(answered, rounds, "a round trip was lost");
    rounds
}

/// Runs the event group.
pub(crate) fn run(config: &Config) -> Vec<Measurement> {
    eprintln!("event");
    let rounds = config.ops(100_000);
    compare(
        config,
        "event/ping-pong",
        "round trip",
        vec![
            Contender::weft(move || ping_pong::<WeftEvent>(rounds)),
            Contender::peer("std Mutex+Condvar", move || ping_pong::<StdFlag>(rounds)),
        ],
    )
}
