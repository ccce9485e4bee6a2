//! `Semaphore` / `BoundedSemaphore`: release racing acquirers, timed-out acquirers
//! racing a release (S4: no permit stranded), and release(n) waking n.

use loom::sync::Arc;
use loom::thread;
use weftkit_shim::time::Duration;
use weftkit_sync::{BoundedSemaphore, Semaphore};
use weftkit_testkit::model;

/// A timed acquirer racing a release, with a blocking acquirer behind it. One permit
/// is released; a second only if the timed acquirer reports that it took the first.
/// The blocking acquirer must always get a permit: a timed acquirer that was woken
/// and then timed out must take the permit (and say so) or leave it for the next
/// waiter, never strand it. At the end every released permit has been taken.
#[test]
fn release_racing_a_timed_out_acquirer() {
    model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let timed = {
            let sem = Arc::clone(&sem);
            thread::spawn(move || {
                sem.acquire_timeout(Duration::from_millis(1))
                    .map(|permit| permit.forget())
                    .is_some()
            })
        };
        let blocking = {
            let sem = Arc::clone(&sem);
            thread::spawn(move || sem.acquire().forget())
        };
        sem.release(1).unwrap();
        if timed.join().unwrap() {
            sem.release(1).unwrap();
        }
        blocking.join().unwrap();
        assert_eq!(sem.available_permits(), 0);
    });
}

/// Two blocking acquirers, one release, then another: both get through, one each.
#[test]
fn two_acquirers_one_release_then_another() {
    model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let spawn_acquirer = |sem: &Arc<Semaphore>| {
            let sem = Arc::clone(sem);
            thread::spawn(move || sem.acquire().forget())
        };
        let a = spawn_acquirer(&sem);
        let b = spawn_acquirer(&sem);
        sem.release(1).unwrap();
        sem.release(1).unwrap();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(sem.available_permits(), 0);
    });
}

/// `release(2)` with two blocked acquirers wakes both.
#[test]
fn release_n_wakes_n() {
    model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let spawn_acquirer = |sem: &Arc<Semaphore>| {
            let sem = Arc::clone(sem);
            thread::spawn(move || sem.acquire().forget())
        };
        let a = spawn_acquirer(&sem);
        let b = spawn_acquirer(&sem);
        sem.release(2).unwrap();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(sem.available_permits(), 0);
    });
}

/// A permit dropped on one thread wakes a blocked acquirer on another, and a bounded
/// semaphore ends at its bound, never past it.
#[test]
fn bounded_permit_drop_wakes_an_acquirer() {
    model(|| {
        let sem = Arc::new(BoundedSemaphore::new(1));
        let permit_holder = {
            let sem = Arc::clone(&sem);
            thread::spawn(move || drop(sem.acquire()))
        };
        let permit = sem.acquire();
        assert!(sem.release(1).is_err(), "a live permit holds its place");
        // A yield lets the other thread park first without spending the preemption budget.
        thread::yield_now();
        drop(permit);
        permit_holder.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}
