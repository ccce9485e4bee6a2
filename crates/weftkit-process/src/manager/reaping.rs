//! Workers leaving the pool: taken out, reaped without blocking the manager, and
//! their tasks settled as `decide::settle` says (invariants 4, 9 and 10 of
//! `src/wire/README.md`); and the whole pool ending, broken or terminated.

use weftkit_executor::TaskError;
use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::Ordering;
use weftkit_shim::time::Instant;

use super::decide::Exit;
use super::decide::settle::{self as settling, InFlight, Reaped, Standing, Verdict};
use super::link::{EXIT_GRACE, Worker, reap, status_parts, wait_until};
use super::{Manager, REAP_FIRST, TERM_GRACE};
use crate::os;
use crate::state::Job;

/// A worker that left the pool and has not been reaped yet: its tasks are settled
/// once its exit status is known (`wire/README.md`, invariant 10).
pub(super) struct Dying {
    worker: Worker,
    exit: Exit,
    /// Past this it is killed, so its status comes at once.
    deadline: Instant,
}

impl Manager {
    /// Worker `i` leaves the pool: killed now unless it is already on its way out,
    /// then reaped by [`Manager::reap_dying`] without blocking the manager.
    pub(super) fn remove(&mut self, i: usize, exit: Exit) {
        if i >= self.workers.len() {
            return; // the pool broke meanwhile and took every worker
        }
        let mut worker = self.workers.swap_remove(i);
        if exit.kills() {
            os::signal(&mut worker.child, os::SIGKILL);
        }
        self.reap_pause = REAP_FIRST;
        self.dying.push(Dying {
            worker,
            exit,
            deadline: Instant::now() + EXIT_GRACE,
        });
    }

    /// Reaps the workers out of the pool that have exited (killing those past their
    /// grace), and settles their tasks.
    pub(super) fn reap_dying(&mut self) {
        let mut k = 0;
        while k < self.dying.len() {
            let dying = &mut self.dying[k];
            let status = match dying.worker.child.try_wait() {
                Ok(Some(status)) => Some(status),
                Ok(None) if Instant::now() < dying.deadline => {
                    k += 1;
                    continue;
                }
                Ok(None) => {
                    // Past its grace: killed, its status comes at once.
                    os::signal(&mut dying.worker.child, os::SIGKILL);
                    dying.worker.child.wait().ok()
                }
                Err(_) => None,
            };
            let Dying {
                mut worker, exit, ..
            } = self.dying.swap_remove(k);
            if !matches!(exit, Exit::Damaged(_)) {
                self.drain_replies(&mut worker);
            }
            self.settle(worker, &exit, status_parts(status));
        }
    }

    /// Settles the tasks of a reaped worker as [`settling::settle`] decides: puts back
    /// or fails each, and owes a replacement, or breaks the pool.
    fn settle(
        &mut self,
        mut worker: Worker,
        exit: &Exit,
        (signal, exit_code): (Option<i32>, Option<i32>),
    ) {
        let shared = Arc::clone(&self.shared);
        let counters = &shared.counters;
        counters.alive.fetch_sub(1, Ordering::Relaxed);
        counters
            .running
            .fetch_sub(worker.in_flight.len(), Ordering::Relaxed);
        let jobs = std::mem::take(&mut worker.in_flight);
        let tasks: Vec<InFlight> = jobs
            .iter()
            .map(|job| InFlight {
                id: job.id,
                attempts: job.attempts,
            })
            .collect();
        // The check for an ending pool and the re-queue are made under one lock, so a
        // `terminate_workers` in between cannot miss the re-queued jobs.
        let mut state = shared.lock();
        let standing = match (&state.broken, state.ending) {
            (Some(reason), _) => Standing::Broken(reason),
            (None, Some(_)) => Standing::Ending,
            (None, None) => Standing::Open {
                shutdown: state.shutdown,
            },
        };
        let reaped = Reaped {
            pid: worker.pid(),
            phase: worker.phase,
            retiring: worker.retiring,
            exit,
            signal,
            exit_code,
            tasks: &tasks,
        };
        let pool = settling::Pool {
            standing,
            retries: shared.config.retries,
            timeout: shared.config.timeout,
            start_failures: self.start_failures,
        };
        let settlement = settling::settle(&reaped, &pool);
        let sorted = settling::sort_out(jobs.into_iter(), settlement.fates, |job| {
            job.attempts += 1;
        });
        let verdict = settlement.verdict;
        let requeued = !sorted.back.is_empty();
        // Back to the front, in order.
        for job in sorted.back.into_iter().rev() {
            state.queue.push_front(job);
        }
        if requeued || matches!(verdict, Verdict::Restart { .. } | Verdict::Settled { .. }) {
            counters.queued.store(state.queue.len(), Ordering::Relaxed);
        }
        drop(state);
        if verdict.failed_start() {
            counters.failed_starts.fetch_add(1, Ordering::Relaxed);
        }
        match verdict {
            Verdict::PoolOver => {}
            Verdict::Restart { counts } => {
                if counts {
                    self.start_failures += 1;
                }
                self.owed += 1;
            }
            Verdict::BreakPool(reason) => self.break_pool(reason),
            Verdict::Settled { replace } => {
                counters
                    .completed
                    .fetch_add(sorted.failed.len() as u64, Ordering::Relaxed);
                if replace {
                    self.owed += 1;
                }
            }
        }
        for (job, error) in sorted.failed {
            job.sink.fail(error);
        }
    }

    /// Breaks the pool: no more submits; every queued and in-flight task fails with
    /// the reason; every worker is killed and reaped.
    pub(super) fn break_pool(&mut self, reason: String) {
        let queued: Vec<Job> = {
            let mut state = self.shared.lock();
            if state.broken.is_none() {
                state.broken = Some(reason.clone());
            }
            self.shared.room.notify_all();
            state.queue.drain(..).collect()
        };
        let error = TaskError::PoolBroken { reason };
        for job in queued {
            job.sink.fail(error.clone());
        }
        let dying = self.dying.drain(..).map(|d| d.worker);
        for mut worker in self.workers.drain(..).chain(dying) {
            reap(&mut worker.child, true);
            for job in worker.in_flight.drain(..) {
                job.sink.fail(error.clone());
            }
        }
        let counters = &self.shared.counters;
        counters.alive.store(0, Ordering::Relaxed);
        counters.queued.store(0, Ordering::Relaxed);
        counters.running.store(0, Ordering::Relaxed);
    }

    /// `terminate_workers` / `kill_workers`: signal every worker, reap it, cancel its tasks.
    pub(super) fn end_workers(&mut self, signal: i32) {
        for worker in &mut self.workers {
            os::signal(&mut worker.child, signal);
        }
        let deadline = Instant::now() + TERM_GRACE;
        let dying = self.dying.drain(..).map(|d| d.worker);
        for mut worker in self.workers.drain(..).chain(dying) {
            if wait_until(&mut worker.child, deadline).is_none() {
                reap(&mut worker.child, true); // not gone within the grace: SIGKILL
            }
            for job in worker.in_flight.drain(..) {
                job.sink.fail(TaskError::Cancelled);
            }
        }
        let counters = &self.shared.counters;
        counters.alive.store(0, Ordering::Relaxed);
        counters.running.store(0, Ordering::Relaxed);
    }
}
