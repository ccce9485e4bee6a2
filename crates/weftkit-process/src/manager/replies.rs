//! The manager's reading side: the frames a worker sends, handled as they come, and
//! the whole replies a reaped worker left behind (invariants 3 and 4 of
//! `src/wire/README.md`).

use weftkit_shim::sync::atomic::Ordering;
use weftkit_shim::time::Instant;

use super::Manager;
use super::decide::dispatch::SHORT_TASK;
use super::decide::settle::check_reply;
use super::decide::timing::SPAWN_BACKOFF;
use super::decide::{Exit, Phase};
use super::link::Worker;
use crate::state::Shared;
use crate::wire::{self, Bytes, HEADER, Parsed, ToParent};

impl Manager {
    /// Reads every worker that has input and handles its frames; returns the workers
    /// that must leave.
    pub(super) fn read_all(&mut self) -> Vec<(usize, Exit)> {
        let mut exits = Vec::new();
        for i in 0..self.workers.len() {
            if i >= self.workers.len() {
                break; // the pool broke while handling a frame, and took every worker
            }
            let (readable, writable) = (self.poller.readable(i + 1), self.poller.writable(i + 1));
            if writable && !self.workers[i].flush() {
                self.workers[i].gone = true;
            }
            if readable || self.workers[i].gone {
                if !self.read_worker(i) {
                    self.workers[i].gone = true;
                }
                let handled = self.handle_frames(i);
                if i >= self.workers.len() {
                    break; // the pool broke while handling a frame
                }
                if let Err(reason) = handled {
                    exits.push((i, Exit::Damaged(reason)));
                    continue;
                }
            }
            if self.workers[i].gone {
                exits.push((i, Exit::Gone));
            }
        }
        exits
    }

    /// Reads what the worker's socket has; `false` at end of stream or error.
    fn read_worker(&mut self, i: usize) -> bool {
        self.workers[i].read_available(&mut self.scratch)
    }

    /// Handles every whole frame in worker `i`'s input.
    ///
    /// # Errors
    ///
    /// The stream is damaged or out of protocol: the worker must go.
    fn handle_frames(&mut self, i: usize) -> Result<(), String> {
        let mut inbuf = std::mem::take(&mut self.workers[i].inbuf);
        let mut consumed = 0;
        let outcome = loop {
            match wire::next_frame(&inbuf[consumed..]) {
                Parsed::Partial => break Ok(()),
                Parsed::Damaged(reason) => break Err(reason),
                Parsed::Frame { len } => {
                    let payload = &inbuf[consumed + HEADER..consumed + HEADER + len];
                    consumed += HEADER + len;
                    let message = match postcard::from_bytes::<ToParent<'_>>(payload) {
                        Ok(message) => message,
                        Err(e) => break Err(format!("a frame did not decode: {e}")),
                    };
                    if let Err(reason) = self.handle(i, message) {
                        break Err(reason);
                    }
                    if i >= self.workers.len() {
                        break Ok(()); // the pool broke and took every worker
                    }
                }
            }
        };
        inbuf.drain(..consumed);
        if let Some(worker) = self.workers.get_mut(i) {
            worker.inbuf = inbuf; // (unless the pool broke and took every worker)
        }
        outcome
    }

    /// Handles one message from worker `i`.
    fn handle(&mut self, i: usize, message: ToParent<'_>) -> Result<(), String> {
        let phase = self.workers[i].phase;
        let pid = self.workers[i].pid();
        match message {
            ToParent::Hello { probe, .. } if phase == Phase::Hello => {
                // The worker checks the parent's probe itself before it runs anything;
                // this check only names the problem sooner.
                if !self.probe.matches(&probe) {
                    self.break_pool(different_build(pid));
                    return Ok(());
                }
                self.workers[i].phase = Phase::Setup;
            }
            ToParent::Mismatch => {
                self.break_pool(different_build(pid));
                return Ok(());
            }
            ToParent::Ready if phase == Phase::Setup => {
                let worker = &mut self.workers[i];
                worker.phase = Phase::Ready;
                worker.head_since = Instant::now(); // the deadline starts now
                self.start_failures = 0;
                self.spawn_backoff = SPAWN_BACKOFF;
            }
            ToParent::InitFailed { message } if phase == Phase::Setup => {
                self.break_pool(format!(
                    "the initializer failed in worker process {pid}: {message}"
                ));
            }
            ToParent::Reply {
                id,
                micros,
                outcome,
            } if phase == Phase::Ready => {
                return settle_reply(&self.shared, &mut self.workers[i], (id, micros), outcome);
            }
            other => return Err(format!("a message out of protocol order: {other:?}")),
        }
        Ok(())
    }

    /// Delivers the whole replies left in the socket of a reaped worker: all it wrote
    /// is there now, and a reply that crossed the kill for a deadline (or a death
    /// right after it) must win over that kill, so that a task that finished is
    /// never reported lost, nor run again.
    ///
    /// The start-up frames count too: a worker killed as a late starter may have
    /// become ready (and started a task) just before the kill.
    pub(super) fn drain_replies(&mut self, worker: &mut Worker) {
        worker.read_available(&mut self.scratch);
        let inbuf = std::mem::take(&mut worker.inbuf);
        let mut consumed = 0;
        while let Parsed::Frame { len } = wire::next_frame(&inbuf[consumed..]) {
            let payload = &inbuf[consumed + HEADER..consumed + HEADER + len];
            consumed += HEADER + len;
            match (worker.phase, postcard::from_bytes(payload)) {
                (Phase::Hello, Ok(ToParent::Hello { .. })) => worker.phase = Phase::Setup,
                (Phase::Setup, Ok(ToParent::Ready)) => worker.phase = Phase::Ready,
                (
                    Phase::Ready,
                    Ok(ToParent::Reply {
                        id,
                        micros,
                        outcome,
                    }),
                ) => {
                    if settle_reply(&self.shared, worker, (id, micros), outcome).is_err() {
                        break;
                    }
                }
                _ => break,
            }
        }
    }
}

fn different_build(pid: u32) -> String {
    format!(
        "worker process {pid} runs a different build of this program (the handshake did not match); do not replace the executable while it runs, and give program() only this program"
    )
}

/// Completes the head task of `worker` with its reply; `Err` if the reply is not for
/// the head (the stream is out of protocol).
fn settle_reply(
    shared: &Shared,
    worker: &mut Worker,
    (id, micros): (u64, u32),
    outcome: Result<Bytes<'_>, wire::WireError>,
) -> Result<(), String> {
    check_reply(worker.in_flight.front().map(|job| job.id), id)?;
    let Some(job) = worker.in_flight.pop_front() else {
        return Ok(()); // checked just above: there is a head
    };
    // How long the task ran in the worker: a round trip measured here would count the
    // machine's load and the pipeline's queue too.
    worker.fast = u128::from(micros) < SHORT_TASK.as_micros();
    worker.head_since = Instant::now();
    let counters = &shared.counters;
    counters.running.fetch_sub(1, Ordering::Relaxed);
    counters.completed.fetch_add(1, Ordering::Relaxed);
    match outcome {
        Ok(bytes) => job.sink.deliver(bytes.0),
        Err(error) => job.sink.fail(error.into()),
    }
    Ok(())
}
