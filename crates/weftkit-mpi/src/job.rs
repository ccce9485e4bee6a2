//! One submitted task on the client: its named function, its encoded argument, and the
//! typed end that completes its future.

pub(crate) use weftkit_process::remote::{RemoteCall, Sink, TypedSink};

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
