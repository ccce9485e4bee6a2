//! Frames and messages between the parent and a worker; the format and its invariants
//! are in `README.md` beside this file.

use serde::{Deserialize, Serialize};

use crate::call::{Call, Probe};

/// The largest payload a frame may carry: a length above it means a damaged stream.
pub(crate) const MAX_FRAME: usize = 1 << 30;

/// The largest encoded argument a task may have: a frame's limit, less room for the
/// rest of the `Task` message around it.
pub(crate) const MAX_ARGS: usize = MAX_FRAME - 64;

/// Checks an encoded argument against [`MAX_ARGS`] before it is queued, so that the
/// caller learns at once.
///
/// # Errors
///
/// The argument is too large, with what to do about it.
pub(crate) fn check_args(args: &[u8]) -> Result<(), String> {
    check_args_len(args.len(), MAX_ARGS)
}

fn check_args_len(len: usize, max: usize) -> Result<(), String> {
    if len > max {
        Err(format!(
            "the argument is {len} bytes encoded, more than the {max} a task may carry; split the work into smaller values"
        ))
    } else {
        Ok(())
    }
}

/// What to check when a value did not decode: postcard is not self-describing.
pub(crate) const DECODE_HINT: &str = "check its serde implementation; postcard, the format used, cannot carry self-describing types such as serde_json::Value, #[serde(untagged)] or #[serde(flatten)]";

/// Bytes before the payload: length and CRC-32, little-endian.
pub(crate) const HEADER: usize = 8;

/// A failure inside the worker that belongs to one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireError {
    /// The task panicked; the message ends with the panic's location.
    Panicked(String),
    /// The argument did not decode, or the result did not encode.
    Codec(String),
}

impl From<WireError> for weftkit_executor::TaskError {
    fn from(error: WireError) -> Self {
        match error {
            WireError::Panicked(message) => Self::Panicked { message },
            WireError::Codec(message) => Self::Codec { message },
        }
    }
}

/// Bytes that serde writes as one byte string (postcard: a length, then the bytes).
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Bytes<'a>(#[serde(borrow, with = "bytes_borrowed")] pub(crate) &'a [u8]);

mod bytes_borrowed {
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &&[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'de [u8], D::Error> {
        <&[u8] as serde::Deserialize>::deserialize(d)
    }
}

/// What the parent sends.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToWorker<'a> {
    /// First: the parent's probe, which the worker checks before it runs anything,
    /// and the initializer to run (if any).
    Setup {
        probe: Probe,
        initializer: Option<Call>,
    },
    /// Run `call` on `args`.
    Task {
        id: u64,
        call: Call,
        #[serde(borrow)]
        args: Bytes<'a>,
    },
}

/// What a worker sends.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToParent<'a> {
    /// The worker's first frame: who it is and what it was built from.
    Hello { pid: u32, probe: Probe },
    /// Set up; ready for tasks.
    Ready,
    /// The initializer panicked; the worker exits.
    InitFailed { message: String },
    /// The parent's probe differs from the worker's: a different build; it exits.
    Mismatch,
    /// The outcome of task `id`: its result's bytes, or why there are none; and how
    /// long the task ran in the worker, in microseconds (the parent feeds a worker
    /// whose tasks are short several at a time).
    Reply {
        id: u64,
        micros: u32,
        #[serde(borrow)]
        outcome: Result<Bytes<'a>, WireError>,
    },
}

/// Appends one frame carrying `message` to `out`.
///
/// # Errors
///
/// The message could not be encoded (only a custom serde implementation inside it
/// fails), or it is larger than [`MAX_FRAME`].
pub(crate) fn push_frame<M: Serialize>(out: &mut Vec<u8>, message: &M) -> Result<(), String> {
    push_frame_within(out, message, MAX_FRAME)
}

/// [`push_frame`] with the payload limit `max` (a test passes a small one).
fn push_frame_within<M: Serialize>(
    out: &mut Vec<u8>,
    message: &M,
    max: usize,
) -> Result<(), String> {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    let encoded = postcard::to_io(message, &mut *out).map(drop);
    let len = out.len() - start - HEADER;
    if let Err(error) = encoded {
        out.truncate(start);
        return Err(error.to_string());
    }
    if len > max {
        out.truncate(start);
        return Err(format!(
            "a frame of {len} bytes is larger than the limit of {max} bytes; split the work into smaller values"
        ));
    }
    let crc = crc32fast::hash(&out[start + HEADER..]);
    out[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    out[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// Appends the reply to task `id` to `out`. A result too large for one frame (or a
/// reply that does not encode) becomes that task's [`WireError::Codec`]: the error
/// belongs to the task, and the stream stays whole.
///
/// # Errors
///
/// Not even the error reply could be encoded (it cannot: it is small and plain).
pub(crate) fn push_reply(
    out: &mut Vec<u8>,
    id: u64,
    micros: u32,
    outcome: Result<&[u8], WireError>,
) -> Result<(), String> {
    push_reply_within(out, id, micros, outcome, MAX_FRAME)
}

fn push_reply_within(
    out: &mut Vec<u8>,
    id: u64,
    micros: u32,
    outcome: Result<&[u8], WireError>,
    max: usize,
) -> Result<(), String> {
    let reply = ToParent::Reply {
        id,
        micros,
        outcome: outcome.map(Bytes),
    };
    push_frame_within(out, &reply, max).or_else(|reason| {
        let failed = ToParent::Reply {
            id,
            micros,
            outcome: Err(WireError::Codec(format!(
                "the result could not be sent to the parent: {reason}"
            ))),
        };
        push_frame_within(out, &failed, max)
    })
}

/// What [`next_frame`] found at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A whole, checked frame: its payload is `buf[HEADER..HEADER + len]`.
    Frame { len: usize },
    /// Not a whole frame yet.
    Partial,
    /// The stream is damaged (invariant 3).
    Damaged(String),
}

/// Looks for one whole, checked frame at the start of `buf`.
pub(crate) fn next_frame(buf: &[u8]) -> Parsed {
    let Some(header) = buf.get(..HEADER) else {
        return Parsed::Partial;
    };
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if len > MAX_FRAME {
        return Parsed::Damaged(format!(
            "a frame announced {len} bytes, more than the 1 GiB limit"
        ));
    }
    let Some(payload) = buf.get(HEADER..HEADER + len) else {
        return Parsed::Partial;
    };
    if crc32fast::hash(payload) != crc {
        return Parsed::Damaged("a frame failed its CRC-32 check".to_owned());
    }
    Parsed::Frame { len }
}

#[cfg(test)]
mod tests;
