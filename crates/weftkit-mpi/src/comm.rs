//! The MPI calls weftkit-mpi makes, in one place: point-to-point messages of bytes on a
//! communicator of its own (a duplicate of `MPI_COMM_WORLD`, so that a program's own
//! MPI traffic cannot match ours), with `MPI_ERRORS_RETURN` so that a failure is an
//! error value here instead of an abort. Every call is made by one thread at a time
//! (`README.md`, invariant T1).

use std::ffi::c_int;
use std::os::raw::c_void;

use mpi::ffi;

/// An MPI call that failed: which call, and MPI's own description of the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MpiError(pub(crate) String);

impl std::fmt::Display for MpiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `Ok` if `code` is `MPI_SUCCESS`, else the error named after `call`.
fn check(call: &str, code: c_int) -> Result<(), MpiError> {
    if code == ffi::MPI_SUCCESS as c_int {
        return Ok(());
    }
    let mut text = vec![0u8; ffi::MPI_MAX_ERROR_STRING as usize + 1];
    let mut len: c_int = 0;
    // SAFETY: `text` has room for MPI_MAX_ERROR_STRING characters, as the call needs,
    // and `len` is valid for writes; MPI_Error_string may be called in any state.
    let described = unsafe { ffi::MPI_Error_string(code, text.as_mut_ptr().cast(), &raw mut len) };
    let what = if described == ffi::MPI_SUCCESS as c_int {
        text.truncate(usize::try_from(len).unwrap_or(0));
        String::from_utf8_lossy(&text).into_owned()
    } else {
        format!("error code {code}")
    };
    Err(MpiError(format!("{call} failed: {what}")))
}

/// The byte count of a message as MPI's `int`.
fn count(len: usize) -> Result<c_int, MpiError> {
    c_int::try_from(len).map_err(|_| {
        MpiError(format!(
            "a message of {len} bytes is larger than one MPI message can carry (2 GiB)"
        ))
    })
}

/// weftkit-mpi's communicator: the world's ranks, its own context.
#[derive(Debug)]
pub(crate) struct Comm {
    raw: ffi::MPI_Comm,
    rank: i32,
    size: i32,
}

// SAFETY: an `MPI_Comm` is a handle that any thread may pass to MPI (the library was
// initialized with at least MPI_THREAD_SERIALIZED); that calls are never concurrent is
// the crate's invariant T1, kept by its callers, not by where the handle lives.
unsafe impl Send for Comm {}
// SAFETY: as for `Send`: sharing the handle shares no memory that MPI does not guard.
unsafe impl Sync for Comm {}

impl Comm {
    /// Duplicates `MPI_COMM_WORLD` and sets `MPI_ERRORS_RETURN` on the duplicate. The
    /// duplication is collective: every rank calls it, after the handshake.
    ///
    /// # Errors
    ///
    /// An MPI call failed.
    /// `MPI_COMM_WORLD` itself, for the start-up handshake (`init.rs`), which runs
    /// before the collective `MPI_Comm_dup` so that a rank running another program is
    /// found without a collective call it would never join. Its error handler is left
    /// as the program's (MPI's default aborts the job on an error: no hang either).
    ///
    /// # Errors
    ///
    /// An MPI call failed.
    pub(crate) fn world() -> Result<Self, MpiError> {
        // SAFETY: a handle MPI provides, valid once MPI is initialized.
        Self::with_raw(unsafe { ffi::RSMPI_COMM_WORLD })
    }

    /// A `Comm` over `raw`, with its rank and size.
    fn with_raw(raw: ffi::MPI_Comm) -> Result<Self, MpiError> {
        let (mut rank, mut size) = (0, 0);
        // SAFETY: `raw` is valid; the outputs are valid for writes.
        check("MPI_Comm_rank", unsafe {
            ffi::MPI_Comm_rank(raw, &raw mut rank)
        })?;
        // SAFETY: as above.
        check("MPI_Comm_size", unsafe {
            ffi::MPI_Comm_size(raw, &raw mut size)
        })?;
        Ok(Self { raw, rank, size })
    }

    pub(crate) fn world_duplicate() -> Result<Self, MpiError> {
        // SAFETY: an MPI handle is plain data (a pointer or an integer, by MPI
        // library), valid as an output placeholder when zeroed.
        let mut raw: ffi::MPI_Comm = unsafe { std::mem::zeroed() };
        // SAFETY: MPI is initialized (`init` calls this right after), and `raw` is
        // valid for writes.
        check("MPI_Comm_dup", unsafe {
            ffi::MPI_Comm_dup(ffi::RSMPI_COMM_WORLD, &raw mut raw)
        })?;
        // SAFETY: `raw` is the communicator just made; the handler is MPI's own.
        check("MPI_Comm_set_errhandler", unsafe {
            ffi::MPI_Comm_set_errhandler(raw, ffi::RSMPI_ERRORS_RETURN)
        })?;
        Self::with_raw(raw)
    }

    /// This process's rank.
    pub(crate) fn rank(&self) -> i32 {
        self.rank
    }

    /// How many ranks the job has.
    pub(crate) fn size(&self) -> i32 {
        self.size
    }

    /// Sends `bytes` to `dest` and waits until the buffer may be reused.
    ///
    /// # Errors
    ///
    /// The send failed (the message was too large, or the peer is gone).
    pub(crate) fn send(&self, dest: i32, tag: i32, bytes: &[u8]) -> Result<(), MpiError> {
        let n = count(bytes.len())?;
        // SAFETY: `bytes` is valid for reads of `n` bytes for the whole call, which
        // returns only once MPI no longer reads it; the communicator is valid.
        check("MPI_Send", unsafe {
            ffi::MPI_Send(
                bytes.as_ptr().cast(),
                n,
                ffi::RSMPI_UINT8_T,
                dest,
                tag,
                self.raw,
            )
        })
    }

    /// Starts sending `bytes` to `dest`; the returned [`Sending`] owns the buffer until
    /// MPI is done with it.
    ///
    /// # Errors
    ///
    /// The send could not be started.
    pub(crate) fn isend(&self, dest: i32, tag: i32, bytes: Vec<u8>) -> Result<Sending, MpiError> {
        let n = count(bytes.len())?;
        // SAFETY: an MPI handle is plain data (a pointer or an integer, by MPI
        // library), valid as an output placeholder when zeroed.
        let mut request: ffi::MPI_Request = unsafe { std::mem::zeroed() };
        // SAFETY: the buffer is moved into the returned `Sending`, whose heap storage
        // does not move and is not freed before the request completes: `Sending::done`
        // and its `Drop` wait for completion, `done` leaks the buffer when MPI_Test
        // fails (the request's state is then unknown), and a pool that breaks leaks
        // its pending `Sending`s whole. The request handle is valid for writes.
        check("MPI_Isend", unsafe {
            ffi::MPI_Isend(
                bytes.as_ptr().cast(),
                n,
                ffi::RSMPI_UINT8_T,
                dest,
                tag,
                self.raw,
                &raw mut request,
            )
        })?;
        Ok(Sending {
            request,
            bytes,
            dest,
        })
    }

    /// Receives the next message with `tag` from `source` (any rank if `None`), if one
    /// has arrived: its sender and bytes. Never blocks.
    ///
    /// # Errors
    ///
    /// The probe or the receive failed.
    pub(crate) fn try_recv(
        &self,
        source: Option<i32>,
        tag: i32,
    ) -> Result<Option<(i32, Vec<u8>)>, MpiError> {
        // SAFETY: a constant MPI provides.
        let source = source.unwrap_or(unsafe { ffi::RSMPI_ANY_SOURCE });
        let mut found: c_int = 0;
        // SAFETY: an MPI handle is plain data (a pointer or an integer, by MPI
        // library), valid as an output placeholder when zeroed.
        let mut message: ffi::MPI_Message = unsafe { std::mem::zeroed() };
        // SAFETY: `MPI_Status` is plain data, valid when zeroed.
        let mut status: ffi::MPI_Status = unsafe { std::mem::zeroed() };
        // SAFETY: the communicator is valid; the outputs are valid for writes. A
        // matched probe takes the message out of the queue for this thread alone.
        check("MPI_Improbe", unsafe {
            ffi::MPI_Improbe(
                source,
                tag,
                self.raw,
                &raw mut found,
                &raw mut message,
                &raw mut status,
            )
        })?;
        if found == 0 {
            return Ok(None);
        }
        let mut len: c_int = 0;
        // SAFETY: `status` was filled by the probe above.
        check("MPI_Get_count", unsafe {
            ffi::MPI_Get_count(&raw const status, ffi::RSMPI_UINT8_T, &raw mut len)
        })?;
        let mut bytes = vec![0u8; usize::try_from(len).unwrap_or(0)];
        // SAFETY: `bytes` has room for the `len` bytes of the matched message; the
        // message handle came from the probe and is received exactly once.
        check("MPI_Mrecv", unsafe {
            ffi::MPI_Mrecv(
                bytes.as_mut_ptr().cast::<c_void>(),
                len,
                ffi::RSMPI_UINT8_T,
                &raw mut message,
                ffi::RSMPI_STATUS_IGNORE,
            )
        })?;
        Ok(Some((status.MPI_SOURCE, bytes)))
    }
}

/// A send in progress; it owns the bytes MPI is reading.
#[derive(Debug)]
pub(crate) struct Sending {
    request: ffi::MPI_Request,
    #[allow(
        dead_code,
        reason = "owned so that MPI can read it until the send completes"
    )]
    bytes: Vec<u8>,
    dest: i32,
}

// SAFETY: the request handle is only ever used by the thread that owns the `Sending`
// (invariant T1); MPI handles carry no thread affinity.
unsafe impl Send for Sending {}

impl Sending {
    /// Whether the send completed (the buffer is MPI's no longer). Never blocks.
    ///
    /// # Errors
    ///
    /// The send failed: the peer is gone.
    pub(crate) fn done(&mut self) -> Result<bool, MpiError> {
        // SAFETY: a constant MPI provides.
        if self.request == unsafe { ffi::RSMPI_REQUEST_NULL } {
            return Ok(true);
        }
        let mut flag: c_int = 0;
        // SAFETY: `request` is this send's live request (MPI sets it to
        // MPI_REQUEST_NULL once complete); the flag is valid for writes.
        let code = unsafe {
            ffi::MPI_Test(
                &raw mut self.request,
                &raw mut flag,
                ffi::RSMPI_STATUS_IGNORE,
            )
        };
        if let Err(error) = check("MPI_Test", code) {
            // The request's state is unknown: MPI may still read the buffer, so it is
            // leaked, never freed, and the request is not tested again.
            std::mem::forget(std::mem::take(&mut self.bytes));
            // SAFETY: a constant MPI provides.
            self.request = unsafe { ffi::RSMPI_REQUEST_NULL };
            return Err(MpiError(format!("{error} (sending to rank {})", self.dest)));
        }
        Ok(flag != 0)
    }
}

impl Drop for Sending {
    /// A send still in progress at drop is waited for: its buffer must outlive it. If
    /// MPI reports an error instead, `done` has leaked the buffer already.
    fn drop(&mut self) {
        while matches!(self.done(), Ok(false)) {
            std::hint::spin_loop();
        }
    }
}

/// Ends the job at once, every rank (`MPI_Abort`). Called from an `atexit` hook, so
/// should MPI_Abort return, the process ends with `_exit` (calling `exit` again
/// inside an `atexit` hook is undefined behaviour in C).
pub(crate) fn abort(code: i32) -> ! {
    // SAFETY: MPI_Abort may be called at any time after initialization.
    unsafe {
        ffi::MPI_Abort(ffi::RSMPI_COMM_WORLD, code);
    }
    // SAFETY: `_exit` ends the process without running hooks; it has no precondition.
    unsafe { libc::_exit(code) }
}

/// `MPI_Finalize`, unless MPI is already finalized.
pub(crate) fn finalize() {
    if !mpi::environment::is_finalized() {
        // SAFETY: called once, on the thread that initialized MPI (callers check:
        // `init::at_exit` skips it on any other thread), when no other thread of this
        // process makes MPI calls any more (invariant T1).
        unsafe {
            ffi::MPI_Finalize();
        }
    }
}
