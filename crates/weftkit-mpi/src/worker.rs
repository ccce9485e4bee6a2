//! A worker rank's side (`README.md`): hello, verdict, then tasks in order until `Exit`.

use weftkit_process::remote::{WireError, install_panic_hook};
use weftkit_shim::time::{Duration, Instant};

use crate::backoff::Backoff;
use crate::comm::{self, Comm, MpiError};
use crate::wire::{
    Hello, MAX_ARGS, MAX_MESSAGE, Probe, Replies, Reply, TAG_HELLO, TAG_REPLIES, TAG_VERDICT,
    TAG_WORK, TASK_OVERHEAD, ToWorker, Verdict,
};

/// Replies are sent at the latest after this long, so a client waiting for a finished
/// task is not held up by the slow tasks behind it in the same batch.
const FLUSH_AFTER: Duration = Duration::from_micros(500);

/// The longest an idle worker sleeps between two looks for tasks: its extra latency at
/// worst, and what keeps an idle rank's CPU use near zero.
const IDLE_SLEEP: Duration = Duration::from_micros(500);

/// Runs this worker rank until the client says `Exit`, then finalizes MPI and exits
/// the process; never returns. A failure ends the process with an error, which ends
/// the job (`mpirun` reports it).
pub(crate) fn run(world: &Comm, probe: Probe) -> ! {
    install_panic_hook();
    match serve(world, probe) {
        Ok(()) => {
            comm::finalize();
            std::process::exit(0)
        }
        Err(message) => {
            eprintln!("weft: worker rank {}: {message}", world.rank());
            std::process::exit(1)
        }
    }
}

/// Waits for the next message with `tag` from rank 0 (invariant W2: polls, so that an
/// idle rank sleeps instead of spinning).
fn recv(comm: &Comm, tag: i32) -> Result<Vec<u8>, MpiError> {
    let mut idle = Backoff::new(IDLE_SLEEP);
    loop {
        if let Some((_, bytes)) = comm.try_recv(Some(0), tag)? {
            return Ok(bytes);
        }
        idle.snooze();
    }
}

/// Hello and verdict on `world` (before any collective call: P1), then tasks on the
/// crate's own communicator.
fn serve(world: &Comm, probe: Probe) -> Result<(), String> {
    let hello = Hello {
        probe,
        host: crate::init::hostname(),
    };
    let bytes = postcard::to_allocvec(&hello).map_err(|e| e.to_string())?;
    world.send(0, TAG_HELLO, &bytes).map_err(|e| e.0)?;
    let verdict: Verdict = postcard::from_bytes(&recv(world, TAG_VERDICT).map_err(|e| e.0)?)
        .map_err(|e| format!("rank 0's verdict did not decode: {e}"))?;
    if !verdict.ok {
        // Rank 0 reports the failure first: it sends a farewell when its program ends.
        recv(world, TAG_VERDICT).map_err(|e| e.0)?;
        return Err(format!(
            "rank 0 refused this rank: {}; start every rank with the same executable (mpirun -n N ./prog)",
            verdict.message
        ));
    }
    let comm = &Comm::world_duplicate().map_err(|e| e.0)?;
    let mut out = Outbox::default();
    let mut result = Vec::new();
    loop {
        let message = recv(comm, TAG_WORK).map_err(|e| e.0)?;
        let tasks = match postcard::from_bytes::<ToWorker<'_>>(&message) {
            Ok(ToWorker::Tasks(tasks)) => tasks,
            Ok(ToWorker::Exit) => return Ok(()),
            Err(error) => return Err(format!("a message from rank 0 did not decode: {error}")),
        };
        for task in tasks {
            result.clear();
            let started = Instant::now();
            // SAFETY: tasks come only after the verdict said this rank's probe equals
            // rank 0's (invariant P1), and rank 0 made every call with
            // `RemoteCall::new` or `RemoteCall::chunk`.
            let outcome = unsafe { task.call.invoke(task.args, &mut result) };
            let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
            // Flush before a push that could take the batch past what one message
            // carries (a reply alone always fits: `push` caps it at MAX_ARGS).
            let size = result.len().min(MAX_ARGS) + TASK_OVERHEAD;
            if out.items.len() + size > MAX_MESSAGE {
                out.flush(comm)?;
            }
            out.push(task.id, micros, outcome.map(|()| &result[..]));
            if out.due() || out.items.len() > MAX_ARGS {
                out.flush(comm)?;
            }
        }
        out.flush(comm)?;
    }
}

/// Encoded replies waiting to be sent, as one `Replies` message.
#[derive(Default)]
struct Outbox {
    /// The replies encoded so far, each a whole `Reply` (the message's items).
    items: Vec<u8>,
    count: usize,
    since: Option<Instant>,
}

impl Outbox {
    fn push(&mut self, id: u64, micros: u32, outcome: Result<&[u8], WireError>) {
        let mark = self.items.len();
        let reply = Reply {
            id,
            micros,
            outcome,
        };
        let encoded = match postcard::to_io(&reply, &mut self.items).map(drop) {
            Err(error) => Err(error.to_string()),
            Ok(()) if self.items.len() - mark > MAX_ARGS => Err(format!(
                "it is {} bytes encoded, more than the {MAX_ARGS} one message may carry",
                self.items.len() - mark
            )),
            Ok(()) => Ok(()),
        };
        if let Err(error) = encoded {
            self.items.truncate(mark);
            let failed = Reply {
                id,
                micros,
                outcome: Err(WireError::Codec(format!(
                    "the result could not be sent to rank 0: {error}"
                ))),
            };
            // A reply of a short message and plain fields always encodes.
            let _ = postcard::to_io(&failed, &mut self.items);
        }
        self.count += 1;
        self.since.get_or_insert_with(Instant::now);
    }

    fn due(&self) -> bool {
        self.since.is_some_and(|t| t.elapsed() >= FLUSH_AFTER)
    }

    /// Sends what is waiting as one `Replies` message: the count, then the items, as
    /// postcard encodes a `Vec<Reply>`.
    fn flush(&mut self, comm: &Comm) -> Result<(), String> {
        if self.count == 0 {
            return Ok(());
        }
        let mut message = Vec::with_capacity(self.items.len() + 10);
        let mut n = self.count as u64;
        while n >= 0x80 {
            message.push((n as u8) | 0x80);
            n >>= 7;
        }
        message.push(n as u8);
        message.extend_from_slice(&self.items);
        debug_assert!(postcard::from_bytes::<Replies<'_>>(&message).is_ok());
        if message.len() > MAX_MESSAGE + 64 {
            return Err("a batch of replies is larger than one MPI message".to_owned());
        }
        comm.send(0, TAG_REPLIES, &message).map_err(|e| e.0)?;
        self.items.clear();
        self.count = 0;
        self.since = None;
        Ok(())
    }
}
