//! One submitted task on the client: its named function, its encoded argument, and the
//! typed end that completes its future.

use weftkit_executor::{Promise, TaskError};
use weftkit_process::remote::RemoteCall;

/// The receiving end of one task: decodes the result bytes and completes its future.
pub(crate) trait Sink: Send {
    /// Claims the task to run; `false` if its future was cancelled first (S2).
    fn start(&mut self) -> bool;
    /// Decodes the result and completes the future.
    fn deliver(self: Box<Self>, bytes: &[u8]);
    /// Completes the future with `error`.
    fn fail(self: Box<Self>, error: TaskError);
}

/// A [`Sink`] for a future of `T`.
pub(crate) struct TypedSink<T: Send> {
    pub(crate) promise: Promise<T>,
    pub(crate) decode: fn(&[u8]) -> Result<T, TaskError>,
}

impl<T: Send> Sink for TypedSink<T> {
    fn start(&mut self) -> bool {
        self.promise.start()
    }

    fn deliver(self: Box<Self>, bytes: &[u8]) {
        let Self { promise, decode } = *self;
        // User code (a `Deserialize`, a done callback) runs here on the engine thread:
        // a panic in it fails this future only.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode(bytes)))
            .unwrap_or_else(|_| {
                Err(TaskError::Codec {
                    message: "the result's Deserialize panicked on rank 0".to_owned(),
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

/// One submitted task.
pub(crate) struct Job {
    pub(crate) call: RemoteCall,
    pub(crate) args: Vec<u8>,
    pub(crate) sink: Box<dyn Sink>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("args", &self.args.len())
            .finish_non_exhaustive()
    }
}
