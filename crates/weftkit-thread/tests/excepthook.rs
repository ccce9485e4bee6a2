//! The excepthook, after CPython's test_threading ExceptHookTests. The hook is
//! process-wide, so everything that sets it is one test, run in steps; the default
//! hook's output is checked in a child process by `exit.rs`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use common::watchdog;
use weftkit_sync::Lock;
use weftkit_testkit::GENEROUS;
use weftkit_thread::{Thread, Timer, reset_excepthook, set_excepthook};

#[derive(Debug, Clone, PartialEq)]
struct Report {
    thread: String,
    ident: u64,
    message: String,
    location: Option<String>,
}

#[test]
fn the_excepthook_receives_every_panic_of_threads_and_timer_callbacks() {
    watchdog(|| {
        let reports = Arc::new(Lock::new(Vec::<Report>::new()));
        let sink = Arc::clone(&reports);
        set_excepthook(move |args| {
            sink.lock().push(Report {
                thread: args.thread_name().to_owned(),
                ident: args.ident(),
                message: args.message().to_owned(),
                location: args.location().map(str::to_owned),
            });
        });

        // A thread: reported before join returns, with its name, ident and message.
        let handle = Thread::new(|| panic!("disk {} full", 3))
            .name("writer")
            .start()
            .unwrap();
        let ident = handle.ident();
        let err = handle.join().unwrap_err();
        let report = reports.lock().pop().expect("reported before join returned");
        assert_eq!((report.thread.as_str(), report.ident), ("writer", ident));
        assert_eq!(report.message, "disk 3 full");
        assert!(
            report
                .location
                .is_some_and(|at| at.contains("excepthook.rs"))
        );
        assert_eq!(err.panicked().unwrap().message(), "disk 3 full");

        // A non-string payload is reported as std prints it.
        let _ = Thread::new(|| std::panic::panic_any(42u8))
            .start()
            .unwrap()
            .join();
        assert_eq!(reports.lock().pop().unwrap().message, "Box<dyn Any>");

        // A periodic timer whose callback panics every other run keeps its schedule.
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let timer = Timer::every(Duration::from_millis(1), move || {
            if counter.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                panic!("flaky tick");
            }
        })
        .name("flaky")
        .start()
        .unwrap();
        let deadline = std::time::Instant::now() + GENEROUS;
        while runs.load(Ordering::SeqCst) < 5 {
            assert!(
                std::time::Instant::now() < deadline,
                "the timer stopped running"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(timer.cancel());
        let flaky: Vec<_> = reports.lock().drain(..).collect();
        assert!(flaky.len() >= 3, "{flaky:?}");
        assert!(
            flaky
                .iter()
                .all(|r| r.thread == "flaky" && r.message == "flaky tick")
        );

        // A hook that panics does not take the thread down; the report falls back.
        set_excepthook(|_| panic!("the hook itself fails"));
        let (tx, rx) = mpsc::channel();
        let handle = Thread::new(move || {
            let _ = Thread::new(|| panic!("inner")).start().unwrap().join();
            tx.send("the thread went on").unwrap();
        })
        .start()
        .unwrap();
        assert_eq!(rx.recv_timeout(GENEROUS).unwrap(), "the thread went on");
        handle.join().unwrap();

        // Not even when the hook's panic payload panics again as it is dropped: the
        // thread still finishes, so neither `wait_timeout` nor the exit waits for ever.
        struct PanicsOnDrop;
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                panic!("the payload's drop fails too");
            }
        }
        set_excepthook(|_| std::panic::panic_any(PanicsOnDrop));
        let handle = Thread::new(|| panic!("inner")).start().unwrap();
        assert!(handle.wait_timeout(GENEROUS), "the thread never finished");
        assert!(!handle.is_alive());
        assert!(handle.join().is_err());

        reset_excepthook();
        assert!(
            Thread::new(|| panic!("to stderr"))
                .start()
                .unwrap()
                .join()
                .is_err()
        );
    });
}
