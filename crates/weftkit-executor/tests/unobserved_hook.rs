//! The unobserved-failure hook misbehaving: it panics, or it replaces itself. In its
//! own test binary, because the hook is process-wide.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use weftkit::executor::{ThreadPool, set_unobserved_failure_hook};
use weftkit_testkit::{GENEROUS, watchdog};

#[test]
fn a_hook_that_panics_or_replaces_itself_harms_neither_the_worker_nor_the_caller() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(1).build().unwrap();

        // A panicking hook: the failure goes to stderr, the one worker lives on.
        set_unobserved_failure_hook(Some(Box::new(|_| panic!("hook panics (on purpose)"))));
        let lost = pool
            .submit(|| -> u8 { panic!("unread failure (on purpose)") })
            .unwrap();
        drop(lost); // reported now, or by the worker when it completes
        let mut next = pool.submit(|| 7u8).unwrap();
        assert_eq!(next.result_timeout(GENEROUS), Ok(7), "the worker died");

        // A hook that installs another hook: no deadlock on the hook's lock.
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        set_unobserved_failure_hook(Some(Box::new(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
            set_unobserved_failure_hook(None);
        })));
        let failed = pool
            .submit(|| -> u8 { panic!("another unread failure (on purpose)") })
            .unwrap();
        failed.wait();
        drop(failed);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    });
}
