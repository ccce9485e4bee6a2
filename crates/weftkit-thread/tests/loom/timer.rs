//! `Timer`: `cancel` racing the shared timer thread's claim and the runner thread
//! (T1 and T2 of `src/timer/README.md`). Three modelled threads: the caller, the
//! timer thread, and the runner it starts for the callback.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;
use weftkit_shim::time::Duration;
use weftkit_testkit::model;
use weftkit_thread::{Timer, sleep};

/// Fails the whole test run from inside a callback, where a panic would only be
/// reported to the excepthook.
fn violated(what: &str) -> ! {
    eprintln!("timer model violated: {what}");
    std::process::abort();
}

/// T1: the callback runs if and only if `cancel` returned `false`; never both, never
/// neither. `cancel` waits for a run in progress (T2), so `false` means the run is
/// over when it returns. A run that began after a `true` would be caught by whichever
/// of the two sides looks last (both use SeqCst, Dekker style).
///
/// The timer is due at once, so the timer thread claims it without a timed wait:
/// loom then reaches both orders (claim first, cancel first) with one preemption.
#[test]
fn the_callback_runs_iff_cancel_returned_false() {
    model(|| {
        let ran = Arc::new(AtomicBool::new(false));
        let cancelled = Arc::new(AtomicBool::new(false));
        let (ran_in_callback, cancelled_in_callback) = (Arc::clone(&ran), Arc::clone(&cancelled));
        let timer = Timer::after(Duration::ZERO, move || {
            ran_in_callback.store(true, Ordering::SeqCst);
            if cancelled_in_callback.load(Ordering::SeqCst) {
                violated("the callback ran after cancel returned true");
            }
        })
        .start()
        .unwrap();
        if timer.cancel() {
            cancelled.store(true, Ordering::SeqCst);
            assert!(
                !ran.load(Ordering::SeqCst),
                "cancel returned true but the callback ran"
            );
        } else {
            assert!(
                ran.load(Ordering::SeqCst),
                "cancel returned false but the callback had not run"
            );
        }
        timer.join().unwrap();
        assert!(!timer.is_alive());
    });
}

/// T2 for a periodic timer: once `cancel` has returned, no run is in progress and
/// none starts (an `inside` count says whether one is in progress). The first run blocks in a stop-aware sleep until `cancel` fires the
/// timer's stop token, so `cancel` finds it either not yet claimed or running, and
/// must wait for it in the second case; ticks that come up meanwhile are skipped
/// (T4), which also keeps the model to one runner thread. The count is read right
/// after `cancel` and again at the end; a late run either changes it in between or
/// sees `done` (Dekker style again).
#[test]
fn no_run_of_a_periodic_timer_after_cancel_returned() {
    model(|| {
        let runs = Arc::new(AtomicUsize::new(0));
        let inside = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (runs_in_callback, inside_callback, done_in_callback) =
            (Arc::clone(&runs), Arc::clone(&inside), Arc::clone(&done));
        let timer = Timer::every(Duration::from_millis(1), move || {
            inside_callback.fetch_add(1, Ordering::SeqCst);
            runs_in_callback.fetch_add(1, Ordering::SeqCst);
            if done_in_callback.load(Ordering::SeqCst) {
                violated("a periodic run started after cancel returned");
            }
            sleep(Duration::MAX); // until cancel stops the timer
            inside_callback.fetch_sub(1, Ordering::SeqCst);
        })
        .start()
        .unwrap();
        // Let the timer thread reach its first claim in some interleavings.
        thread::yield_now();
        thread::yield_now();
        assert!(
            timer.cancel(),
            "the first cancel of a periodic timer prevents its runs"
        );
        assert_eq!(
            inside.load(Ordering::SeqCst),
            0,
            "a run was in progress after cancel"
        );
        let at_cancel = runs.load(Ordering::SeqCst);
        done.store(true, Ordering::SeqCst);
        timer.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), at_cancel);
    });
}
