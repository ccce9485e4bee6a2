//! The worker's side of the protocol (`wire/README.md`): handshake, initializer, then
//! tasks in order until end of stream.

use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::net::UnixStream;

use weftkit_shim::time::Instant;

use crate::call::{Probe, install_panic_hook};
use crate::wire::{self, HEADER, Parsed, ToParent, ToWorker, WireError};

/// Exit code of a worker whose stream broke (a damaged frame), or that was started by
/// a pool speaking another protocol.
pub(crate) const EXIT_BROKEN_STREAM: i32 = 71;

/// Runs the worker loop on `stream` and exits the process; never returns.
pub(crate) fn run(stream: &UnixStream) -> ! {
    install_panic_hook();
    let code = match serve(stream) {
        Ok(()) => 0,
        Err(_) => EXIT_BROKEN_STREAM,
    };
    std::process::exit(code);
}

/// Buffered frames to send, written out before each task and when the worker runs out
/// of input.
struct Outbox<'a> {
    stream: &'a UnixStream,
    buf: Vec<u8>,
}

impl Outbox<'_> {
    fn push(&mut self, message: &ToParent<'_>) -> io::Result<()> {
        wire::push_frame(&mut self.buf, message).map_err(io::Error::other)
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut sent = 0;
        while sent < self.buf.len() {
            match crate::os::send(self.stream, &self.buf[sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) => return Err(e),
            }
        }
        self.buf.clear();
        Ok(())
    }
}

fn serve(stream: &UnixStream) -> io::Result<()> {
    let mut input = BufReader::with_capacity(1 << 18, stream);
    let mut out = Outbox {
        stream,
        buf: Vec::with_capacity(1 << 16),
    };
    let here = Probe::here();
    out.push(&ToParent::Hello {
        pid: std::process::id(),
        probe: here.clone(),
    })?;
    out.flush()?;
    let mut frame = Vec::new();
    let mut result = Vec::new();
    let mut set_up = false;
    while read_frame(&mut input, &mut frame)? {
        let message: ToWorker<'_> = postcard::from_bytes(&frame[HEADER..])
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        match message {
            ToWorker::Setup { probe, initializer } if !set_up => {
                if !here.matches(&probe) {
                    out.push(&ToParent::Mismatch)?;
                    out.flush()?;
                    return Ok(());
                }
                set_up = true;
                let outcome = match initializer {
                    // SAFETY: the probes matched just above (invariant 1), and the
                    // parent made the call with `Call::initializer`.
                    Some(call) => unsafe { call.invoke(&[], &mut result) },
                    None => Ok(()),
                };
                match outcome {
                    Ok(()) => {
                        // Out at once, even with tasks already waiting: a task that
                        // kills the worker must not take the news of its start-up
                        // with it (the parent tells a start-up failure from a task's).
                        out.push(&ToParent::Ready)?;
                        out.flush()?;
                    }
                    Err(WireError::Panicked(message) | WireError::Codec(message)) => {
                        out.push(&ToParent::InitFailed { message })?;
                        out.flush()?;
                        return Ok(());
                    }
                }
            }
            ToWorker::Task { id, call, args } if set_up => {
                // Replies of finished tasks go out before the next one starts: a task
                // that kills the worker must not take them with it (invariant 4).
                out.flush()?;
                result.clear();
                let started = Instant::now();
                // SAFETY: tasks are run only after `Setup`'s probe matched (`set_up`,
                // invariant 1); `call` was made by `Call::new` or `Call::chunk`
                // (invariant 2).
                let outcome = unsafe { call.invoke(args.0, &mut result) };
                let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                wire::push_reply(&mut out.buf, id, micros, outcome.map(|()| &result[..]))
                    .map_err(io::Error::other)?;
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a message out of protocol order",
                ));
            }
        }
        if input.buffer().is_empty() {
            out.flush()?;
        }
    }
    out.flush()
}

/// Reads one checked frame (header included) into `frame`; `false` at a clean end of
/// stream.
fn read_frame(input: &mut BufReader<&UnixStream>, frame: &mut Vec<u8>) -> io::Result<bool> {
    let mut header = [0u8; HEADER];
    if input.fill_buf()?.is_empty() {
        return Ok(false);
    }
    input.read_exact(&mut header)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if len > wire::MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    frame.clear();
    frame.extend_from_slice(&header);
    frame.resize(HEADER + len, 0);
    input.read_exact(&mut frame[HEADER..])?;
    match wire::next_frame(frame) {
        Parsed::Frame { .. } => Ok(true),
        _ => Err(io::Error::new(io::ErrorKind::InvalidData, "damaged frame")),
    }
}
