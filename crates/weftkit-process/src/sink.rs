//! The receiving end of a task whose result comes back as bytes: the process pool's
//! manager thread and the MPI pool's engine thread both complete futures through it.

use weftkit_executor::{Promise, TaskError};

/// The receiving end of one task: decodes the result bytes and completes its future.
pub trait Sink: Send {
    /// Claims the task to run; `false` if its future was cancelled first.
    fn start(&mut self) -> bool;
    /// Decodes the result and completes the future.
    fn deliver(self: Box<Self>, bytes: &[u8]);
    /// Completes the future with `error`.
    fn fail(self: Box<Self>, error: TaskError);
}

/// A [`Sink`] for a future of `T`.
pub struct TypedSink<T: Send> {
    promise: Promise<T>,
    decode: fn(&[u8]) -> Result<T, TaskError>,
    /// Where the result is decoded, for the error a panicking `Deserialize` becomes
    /// ("in the parent", "on rank 0").
    decoded: &'static str,
}

impl<T: Send> TypedSink<T> {
    /// A sink that completes `promise` with `decode` of the result bytes; `decoded`
    /// names the process that decodes them, for the error message.
    pub fn new(
        promise: Promise<T>,
        decode: fn(&[u8]) -> Result<T, TaskError>,
        decoded: &'static str,
    ) -> Self {
        Self {
            promise,
            decode,
            decoded,
        }
    }
}

impl<T: Send> std::fmt::Debug for TypedSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedSink")
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

impl<T: Send> Sink for TypedSink<T> {
    fn start(&mut self) -> bool {
        self.promise.start()
    }

    fn deliver(self: Box<Self>, bytes: &[u8]) {
        let Self {
            promise,
            decode,
            decoded,
        } = *self;
        // User code (a `Deserialize`, a done callback, a `Drop` of a result nobody
        // waits for) runs here on the pool's own thread: a panic in it fails this
        // future only.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode(bytes)))
            .unwrap_or_else(|_| {
                Err(TaskError::Codec {
                    message: format!("the result's Deserialize panicked {decoded}"),
                })
            });
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            promise.complete(result);
        }));
    }

    fn fail(self: Box<Self>, error: TaskError) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            self.promise.complete(Err(error));
        }));
    }
}
