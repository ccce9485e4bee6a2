//! The client's engine thread: the one thread that calls MPI while a pool runs
//! (invariant T1). It hands queued jobs to the workers that have room (B1), receives
//! their replies and completes the futures, and ends when the pool is shut down and
//! the work is done (S3).

use std::collections::HashMap;

use weftkit_executor::TaskError;
use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::backoff::Backoff;
use crate::comm::{Comm, MpiError, Sending};
use crate::job::{Job, Sink};
use crate::state::Shared;
use crate::wire::{MAX_MESSAGE, Replies, TAG_REPLIES, TAG_WORK, TASK_OVERHEAD, Task, ToWorker};

/// Tasks in flight on a worker whose tasks are short (under [`SHORT_MICROS`]).
pub(crate) const DEPTH_SHORT: usize = 64;
/// Tasks in flight on a worker whose tasks are long, or whose speed is not known yet.
pub(crate) const DEPTH_LONG: usize = 2;
/// A task shorter than this (in the recent average) counts as short.
const SHORT_MICROS: f64 = 1000.0;

weftkit_shim::const_thread_local! {
    /// Set on an engine thread: a done callback runs there.
    static ON_ENGINE: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// Whether the calling thread is an engine thread (inside a done callback): it must
/// not wait for room, nor join itself.
pub(crate) fn on_engine() -> bool {
    ON_ENGINE.with(std::cell::Cell::get)
}

/// The longest the engine sleeps between two looks for replies when it has nothing
/// else to do (submits wake it at once): shorter than a worker's, since every worker
/// waits for it.
const IDLE_SLEEP: weftkit_shim::time::Duration = weftkit_shim::time::Duration::from_micros(100);

/// Counters the pool's `stats` reads.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) running: AtomicUsize,
    pub(crate) completed: AtomicU64,
}

/// One worker rank, as the engine sees it.
#[derive(Debug)]
struct Worker {
    rank: i32,
    in_flight: usize,
    /// Recent task length, microseconds; `None` until the first reply.
    average: Option<f64>,
}

impl Worker {
    /// How many tasks this worker may hold (B1).
    fn depth(&self) -> usize {
        match self.average {
            Some(micros) if micros < SHORT_MICROS => DEPTH_SHORT,
            _ => DEPTH_LONG,
        }
    }
}

/// The engine's own state (touched by its thread alone).
struct Engine<'a> {
    comm: &'a Comm,
    shared: &'a Shared<Job>,
    counters: &'a Counters,
    /// The job-wide task id counter (invariant I1), in rank 0's context.
    next_id: &'a AtomicU64,
    workers: Vec<Worker>,
    in_flight: HashMap<u64, (usize, Box<dyn Sink>)>,
    sending: Vec<Sending>,
    taken: Vec<Job>,
}

/// Runs the engine until the pool is over; then marks the pool gone (`alive`), the
/// last thing it does, after its last MPI call.
pub(crate) fn run(
    comm: &Comm,
    shared: &Arc<Shared<Job>>,
    counters: &Arc<Counters>,
    next_id: &AtomicU64,
    alive: &weftkit_shim::sync::atomic::AtomicBool,
) {
    ON_ENGINE.with(|on| on.set(true));
    let mut engine = Engine {
        comm,
        shared,
        counters,
        next_id,
        workers: (1..comm.size())
            .map(|rank| Worker {
                rank,
                in_flight: 0,
                average: None,
            })
            .collect(),
        in_flight: HashMap::new(),
        sending: Vec::new(),
        taken: Vec::new(),
    };
    // A panic in the engine's own code must not leave futures unresolved, submitters
    // blocked, or the pool counted as alive: it breaks the pool instead.
    let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.serve()));
    if let Err(payload) = served {
        let reason = format!(
            "the MPI pool's engine panicked: {}; this is a bug in weftkit-mpi. The pool is broken; build another one",
            panic_message(&*payload)
        );
        abandon(
            shared,
            counters,
            &mut engine.in_flight,
            &mut engine.sending,
            &reason,
        );
        // The payload may panic when dropped: it is leaked instead.
        std::mem::forget(payload);
    }
    alive.store(false, Ordering::Release);
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a payload that is not a string)".to_owned())
}

/// Breaks the pool for `reason`: no more submits (blocked submitters wake and are
/// refused), every queued and in-flight job fails with `PoolBroken`, pending sends are
/// leaked (MPI may still read their buffers, so they must not be freed), and the engine
/// is marked ended (S3: nothing is left without an outcome).
fn abandon(
    shared: &Shared<Job>,
    counters: &Counters,
    in_flight: &mut HashMap<u64, (usize, Box<dyn Sink>)>,
    sending: &mut Vec<Sending>,
    reason: &str,
) {
    for job in shared.break_with(reason.to_owned()) {
        job.sink.fail(TaskError::PoolBroken {
            reason: reason.to_owned(),
        });
    }
    for (_, (_, sink)) in in_flight.drain() {
        counters.running.fetch_sub(1, Ordering::Relaxed);
        sink.fail(TaskError::PoolBroken {
            reason: reason.to_owned(),
        });
    }
    for send in sending.drain(..) {
        std::mem::forget(send);
    }
    // Broken, queue drained, nothing in flight: this marks the end under the lock.
    let ended = shared.try_end(true);
    debug_assert!(ended);
}

impl Engine<'_> {
    /// The engine's loop, until the pool is over (S3).
    fn serve(&mut self) {
        let mut idle = Backoff::new(IDLE_SLEEP);
        loop {
            let progress = match self.round() {
                Ok(progress) => progress,
                Err(error) => {
                    self.break_pool(&error);
                    true
                }
            };
            if self
                .shared
                .try_end(self.in_flight.is_empty() && self.sending.is_empty())
            {
                break;
            }
            if progress {
                idle.reset();
            } else if idle.sleeping() && self.workers.iter().any(|w| w.in_flight < w.depth()) {
                // Room for work, none queued: a submit wakes the engine at once (S4); a
                // reply is seen at the latest after the sleep.
                self.shared.wait_for_work(idle.next_sleep());
            } else {
                idle.snooze();
            }
        }
    }
}

impl Engine<'_> {
    /// One round: replies in, finished sends out, new jobs to workers with room.
    fn round(&mut self) -> Result<bool, MpiError> {
        let mut progress = false;
        while let Some((rank, bytes)) = self.comm.try_recv(None, TAG_REPLIES)? {
            self.replies(rank, &bytes);
            progress = true;
        }
        let mut failed = None;
        self.sending.retain_mut(|send| match send.done() {
            Ok(done) => !done,
            Err(error) => {
                failed = Some(error);
                false
            }
        });
        if let Some(error) = failed {
            return Err(error);
        }
        for index in 0..self.workers.len() {
            progress |= self.dispatch(index)?;
        }
        Ok(progress)
    }

    /// Hands worker `index` as many queued jobs as it has room for (B1), claiming each
    /// first (S2).
    fn dispatch(&mut self, index: usize) -> Result<bool, MpiError> {
        let worker = &self.workers[index];
        let room = worker.depth().saturating_sub(worker.in_flight);
        self.taken.clear();
        if self.shared.take(room, &mut self.taken) == 0 {
            return Ok(false);
        }
        let mut claimed = Vec::with_capacity(self.taken.len());
        for mut job in self.taken.drain(..) {
            if !job.sink.start() {
                continue; // cancelled before it was sent: it never runs
            }
            // I1: ids never repeat within the job, so a late reply to a task of an
            // earlier (broken) pool matches nothing here.
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            claimed.push((id, job));
        }
        // One message carries at most MAX_MESSAGE bytes (MPI counts in `int`): the
        // claimed jobs go out in as many batches as they need, in order.
        let mut claimed = claimed.into_iter().peekable();
        let mut failed = None;
        while claimed.peek().is_some() {
            let mut batch = Vec::new();
            let mut bytes = 0usize;
            while let Some((_, job)) = claimed.peek() {
                let size = job.args.len().saturating_add(TASK_OVERHEAD);
                if !batch.is_empty() && bytes.saturating_add(size) > MAX_MESSAGE {
                    break;
                }
                let Some((id, job)) = claimed.next() else {
                    break;
                };
                if size > MAX_MESSAGE {
                    // Cannot pass `check_args`; should it, it fails alone.
                    job.sink.fail(TaskError::Codec {
                        message: format!(
                            "the task's argument is {} bytes encoded, more than one MPI message carries",
                            job.args.len()
                        ),
                    });
                    continue;
                }
                bytes += size;
                batch.push((id, job));
            }
            if batch.is_empty() {
                continue;
            }
            if failed.is_some() {
                // A send failed: the pool breaks, failing what is in flight, these too.
                self.hold(index, batch);
            } else if let Err(error) = self.send_batch(index, batch) {
                failed = Some(error);
            }
        }
        failed.map_or(Ok(true), Err)
    }

    /// Sends one batch of claimed jobs to worker `index` as one `Tasks` message.
    fn send_batch(&mut self, index: usize, claimed: Vec<(u64, Job)>) -> Result<(), MpiError> {
        let tasks: Vec<Task<'_>> = claimed
            .iter()
            .map(|(id, job)| Task {
                id: *id,
                call: job.call,
                args: &job.args,
            })
            .collect();
        let message = postcard::to_allocvec(&ToWorker::Tasks(tasks));
        let rank = self.workers[index].rank;
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                for (_, job) in claimed {
                    job.sink.fail(TaskError::Codec {
                        message: format!("the task did not encode: {error}"),
                    });
                }
                return Ok(());
            }
        };
        let send = self.comm.isend(rank, TAG_WORK, message);
        self.hold(index, claimed);
        self.sending.push(send?);
        Ok(())
    }

    /// Counts `claimed` as in flight on worker `index`.
    fn hold(&mut self, index: usize, claimed: Vec<(u64, Job)>) {
        let n = claimed.len();
        for (id, job) in claimed {
            self.in_flight.insert(id, (index, job.sink));
        }
        self.workers[index].in_flight += n;
        self.counters.running.fetch_add(n, Ordering::Relaxed);
    }

    /// Completes the futures of one `Replies` message from `rank`.
    fn replies(&mut self, rank: i32, bytes: &[u8]) {
        let replies = match postcard::from_bytes::<Replies<'_>>(bytes) {
            Ok(replies) => replies.replies,
            Err(error) => {
                // Cannot happen between two ranks of the same build (P1); if it does,
                // that worker's tasks can no longer be told apart: fail them.
                let reason = format!("a reply from rank {rank} did not decode: {error}");
                let ids: Vec<u64> = self
                    .in_flight
                    .iter()
                    .filter(|(_, (w, _))| self.workers[*w].rank == rank)
                    .map(|(id, _)| *id)
                    .collect();
                for id in ids {
                    if let Some((index, sink)) = self.in_flight.remove(&id) {
                        self.workers[index].in_flight -= 1;
                        self.finished();
                        sink.fail(TaskError::Codec {
                            message: reason.clone(),
                        });
                    }
                }
                return;
            }
        };
        for reply in replies {
            let Some((index, sink)) = self.in_flight.remove(&reply.id) else {
                continue;
            };
            let worker = &mut self.workers[index];
            worker.in_flight -= 1;
            let micros = f64::from(reply.micros);
            worker.average = Some(match worker.average {
                Some(average) => average * 0.75 + micros * 0.25,
                None => micros,
            });
            self.finished();
            match reply.outcome {
                Ok(bytes) => sink.deliver(bytes),
                Err(error) => sink.fail(error.into()),
            }
        }
    }

    fn finished(&self) {
        self.counters.running.fetch_sub(1, Ordering::Relaxed);
        self.counters.completed.fetch_add(1, Ordering::Relaxed);
    }

    /// An MPI call failed: the pool is broken; every job in flight or queued fails.
    fn break_pool(&mut self, error: &MpiError) {
        let reason = format!(
            "an MPI call failed ({error}); a rank probably died. The MPI job cannot be trusted any more"
        );
        abandon(
            self.shared,
            self.counters,
            &mut self.in_flight,
            &mut self.sending,
            &reason,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use weftkit_executor::{Future, Promise, TaskError};
    use weftkit_process::remote::RemoteCall;

    use super::{Counters, abandon, panic_message};
    use crate::job::{Job, Sink, TypedSink};
    use crate::state::{Refused, Shared};

    fn double(n: u32) -> u32 {
        n * 2
    }

    fn job() -> (Job, Future<u32>) {
        let (promise, future) = Promise::new();
        let job = Job {
            call: RemoteCall::new(double).expect("a function of this executable"),
            args: vec![1],
            sink: Box::new(TypedSink::new(promise, |_| Ok(0), "on rank 0")),
        };
        (job, future)
    }

    fn broken(future: Future<u32>) -> String {
        match future.result() {
            Err(TaskError::PoolBroken { reason }) => reason,
            other => panic!("expected PoolBroken, got {other:?}"),
        }
    }

    /// What the engine does when it panics (or an MPI call fails): every queued and
    /// in-flight future fails, a blocked submitter is refused, the engine has ended.
    #[test]
    fn abandon_resolves_everything_and_ends() {
        let shared = weftkit_shim::sync::Arc::new(Shared::new(1));
        let counters = Counters::default();
        let (queued, queued_future) = job();
        shared.push(queued, true).expect("room for one");
        // A submitter blocked for room (or about to be): it must wake and be refused.
        let blocked = {
            let shared = weftkit_shim::sync::Arc::clone(&shared);
            weftkit_shim::thread::spawn(move || {
                let (late, late_future) = job();
                let refused = shared.push(late, true).map_err(|(refused, _)| refused);
                drop(late_future);
                refused
            })
        };
        let (mut sent, sent_future) = job();
        assert!(sent.sink.start());
        counters.running.fetch_add(1, super::Ordering::Relaxed);
        let mut in_flight: HashMap<u64, (usize, Box<dyn Sink>)> = HashMap::new();
        in_flight.insert(7, (0, sent.sink));
        let reason = format!("the MPI pool's engine panicked: {}", panic_message(&"boom"));
        abandon(&shared, &counters, &mut in_flight, &mut Vec::new(), &reason);

        assert!(broken(queued_future).contains("engine panicked: boom"));
        assert!(broken(sent_future).contains("engine panicked: boom"));
        assert!(in_flight.is_empty());
        assert_eq!(counters.running.load(super::Ordering::Relaxed), 0);
        assert!(shared.lock().ended);
        assert!(matches!(
            blocked.join().expect("the submitter"),
            Err(Refused::Broken(_))
        ));
        let (after, _future) = job();
        assert!(matches!(
            shared.push(after, false),
            Err((Refused::Broken(_), _))
        ));
    }
}
