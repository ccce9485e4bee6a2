//! Messages between the client and the workers (`README.md`): postcard encodings, one
//! per MPI message.

use serde::{Deserialize, Serialize};
use weftkit_process::remote::{RemoteCall, WireError};

/// The worker's first message.
pub(crate) const TAG_HELLO: i32 = 0x7ef1;
/// The client's answer to `Hello`.
pub(crate) const TAG_VERDICT: i32 = 0x7ef2;
/// Tasks and the final `Exit`, client to worker.
pub(crate) const TAG_WORK: i32 = 0x7ef3;
/// Outcomes, worker to client.
pub(crate) const TAG_REPLIES: i32 = 0x7ef4;

/// The largest encoded argument a task may carry: one MPI message holds at most 2 GiB,
/// and a batch of tasks shares one.
pub(crate) const MAX_ARGS: usize = 1 << 30;

/// The most bytes one message of ours carries: MPI counts a message's bytes in an
/// `int`, less room for a batch's count. Batches of tasks (client) and of replies
/// (worker) are cut so that none passes it.
pub(crate) const MAX_MESSAGE: usize = i32::MAX as usize - 64;

/// A generous bound on what one task or reply adds to a batch besides its argument or
/// result bytes (its id, function, lengths, time and outcome's tag).
pub(crate) const TASK_OVERHEAD: usize = 256;

/// What a worker compares before it runs anything (invariant P1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Probe {
    /// A known function named as tasks are: equal only in the same layout.
    pub(crate) call: Option<RemoteCall>,
    /// The running executable's length and CRC-32, where it can be read.
    pub(crate) executable: Option<(u64, u32)>,
}

/// A worker's first message.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Hello {
    pub(crate) probe: Probe,
    pub(crate) host: String,
}

/// The client's answer to [`Hello`].
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub(crate) ok: bool,
    pub(crate) message: String,
}

/// One task to run.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Task<'a> {
    pub(crate) id: u64,
    pub(crate) call: RemoteCall,
    #[serde(borrow, with = "bytes")]
    pub(crate) args: &'a [u8],
}

/// What the client sends on [`TAG_WORK`].
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToWorker<'a> {
    /// Tasks to run, in this order.
    #[serde(borrow)]
    Tasks(Vec<Task<'a>>),
    /// The client's program ended: finalize and exit.
    Exit,
}

/// One task's outcome.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Reply<'a> {
    pub(crate) id: u64,
    /// How long the task ran, in microseconds (the client hands a worker whose tasks
    /// are short several at a time: invariant B1).
    pub(crate) micros: u32,
    #[serde(borrow, with = "outcome_bytes")]
    pub(crate) outcome: Result<&'a [u8], WireError>,
}

/// What a worker sends on [`TAG_REPLIES`].
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Replies<'a> {
    #[serde(borrow)]
    pub(crate) replies: Vec<Reply<'a>>,
}

/// What to check when a value did not decode: postcard is not self-describing.
pub(crate) const DECODE_HINT: &str = "check its serde implementation; postcard, the format used, cannot carry self-describing types such as serde_json::Value, #[serde(untagged)] or #[serde(flatten)]";

/// Bytes as one byte string (postcard: a length, then the bytes), not a sequence of
/// numbers.
mod bytes {
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &&[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'de [u8], D::Error> {
        <&[u8] as serde::Deserialize>::deserialize(d)
    }
}

/// A result's bytes as one byte string, as [`bytes`].
mod outcome_bytes {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use weftkit_process::remote::WireError;

    #[derive(Serialize, Deserialize)]
    struct Raw<'a>(#[serde(borrow, with = "super::bytes")] &'a [u8]);

    pub(crate) fn serialize<S: Serializer>(
        outcome: &Result<&[u8], WireError>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match outcome {
            Ok(bytes) => Ok::<Raw<'_>, &WireError>(Raw(bytes)).serialize(s),
            Err(error) => Err::<Raw<'_>, &WireError>(error).serialize(s),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<&'de [u8], WireError>, D::Error> {
        let raw: Result<Raw<'de>, WireError> = Deserialize::deserialize(d)?;
        Ok(raw.map(|Raw(bytes)| bytes))
    }
}
