//! Naming a function across processes: anchor-relative offsets, trampolines, and the
//! handshake probe that makes the offsets valid (`wire/README.md`, invariants 1 and 2).

use std::cell::RefCell;
use std::ops::Range;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::wire::WireError;

/// The fixed point offsets are taken from. Never inlined, so it has an address in the
/// executable's code like any function that is called through a pointer.
#[inline(never)]
fn anchor() {
    std::hint::black_box(());
}

/// A second known function, whose offset the handshake compares.
#[inline(never)]
fn probe_target() -> u32 {
    std::hint::black_box(0x5eed)
}

fn offset_of(addr: usize) -> u64 {
    addr.wrapping_sub(anchor as fn() as usize) as u64
}

/// The loaded object that holds [`anchor`], where its range can be listed (Linux).
fn anchor_object() -> Option<&'static Range<usize>> {
    static OBJECT: OnceLock<Option<Range<usize>>> = OnceLock::new();
    OBJECT
        .get_or_init(|| crate::os::loaded_object_holding(anchor as fn() as usize))
        .as_ref()
}

/// `addr`'s offset from [`anchor`], if `addr` is in the same loaded object: only
/// then does the offset name the same code in a worker, where each object is loaded
/// at its own random base.
///
/// # Errors
///
/// `addr` is in another object (a shared library), or which object holds it cannot
/// be told: either way a worker could not be trusted to find it.
fn portable_offset(addr: usize) -> Result<u64, String> {
    let anchor = anchor as fn() as usize;
    static ANCHOR_BASE: OnceLock<Option<usize>> = OnceLock::new();
    let same = match anchor_object() {
        Some(object) => Some(object.contains(&addr)),
        None => ANCHOR_BASE
            .get_or_init(|| crate::os::object_base(anchor))
            .zip(crate::os::object_base(addr))
            .map(|(a, b)| a == b),
    };
    match same {
        Some(true) => Ok(offset_of(addr)),
        Some(false) => Err(
            "the task's function is not in the same executable file as weftkit-process (it is in a shared library, such as a dynamically linked crate), so a worker process could not find it; define it in a statically linked crate of this program".to_owned(),
        ),
        None => Err(
            "this system cannot tell which loaded file holds the task's function, so a worker process could not be trusted to find it".to_owned(),
        ),
    }
}

fn address_of(offset: u64) -> usize {
    (anchor as fn() as usize).wrapping_add(offset as usize)
}

/// What a trampoline does: decode the argument bytes, call the function at the given
/// address, and append the encoded result to the output.
///
/// # Safety
///
/// The address must be that of a function of the type the trampoline was made for,
/// in this process.
type Trampoline = unsafe fn(usize, &[u8], &mut Vec<u8>) -> Result<(), WireError>;

/// A function to run in a worker, named as anchor-relative offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Call {
    func: u64,
    trampoline: u64,
}

impl Call {
    /// A call of `f` on one argument: the worker replies with the encoded `R`.
    ///
    /// # Errors
    ///
    /// `f` (or its trampoline) is outside the object that holds the anchor.
    pub(crate) fn new<A, R>(f: fn(A) -> R) -> Result<Self, String>
    where
        A: DeserializeOwned,
        R: Serialize,
    {
        Self::pair(f as usize, trampoline::<A, R>)
    }

    /// A call of `f` on each item of a `Vec<A>`: the worker replies with an encoded
    /// `Vec<Result<R, WireError>>`, one outcome per item.
    ///
    /// # Errors
    ///
    /// As [`Call::new`].
    pub(crate) fn chunk<A, R>(f: fn(A) -> R) -> Result<Self, String>
    where
        A: DeserializeOwned,
        R: Serialize,
    {
        Self::pair(f as usize, chunk_trampoline::<A, R>)
    }

    /// A call of an initializer: no argument, no result.
    ///
    /// # Errors
    ///
    /// As [`Call::new`].
    pub(crate) fn initializer(f: fn()) -> Result<Self, String> {
        Self::pair(f as usize, init_trampoline)
    }

    /// The function at `func` with the trampoline made for its type (invariant 2:
    /// only the constructors above pair them).
    fn pair(func: usize, trampoline: Trampoline) -> Result<Self, String> {
        Ok(Self {
            func: portable_offset(func)?,
            trampoline: portable_offset(trampoline as usize)?,
        })
    }

    /// Runs the call in this (worker) process.
    ///
    /// # Safety
    ///
    /// `self` must have been made by one of the constructors above in a process running
    /// this same executable, checked by the handshake (`wire/README.md`, invariant 1).
    pub(crate) unsafe fn invoke(self, args: &[u8], out: &mut Vec<u8>) -> Result<(), WireError> {
        let trampoline_addr = address_of(self.trampoline);
        // SAFETY: by this function's contract the offset was taken from a function of
        // type `Trampoline` in the same executable, and the executable is mapped as one
        // block, so anchor + offset is that function's address in this process too.
        let trampoline: Trampoline =
            unsafe { std::mem::transmute::<usize, Trampoline>(trampoline_addr) };
        // SAFETY: by this function's contract `self.func` was taken, by the same
        // constructor as `self.trampoline`, from a function of the type this
        // trampoline is for (invariant 2), and is translated to this process as above.
        unsafe { trampoline(address_of(self.func), args, out) }
    }
}

/// What the handshake compares: offsets of known functions, and which file is running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Probe {
    probe_offset: u64,
    trampoline_offset: u64,
    /// (device, inode, size, modification time) of the running executable, where
    /// known; a worker that cannot tell runs nothing (see [`Probe::matches`]).
    executable: Option<(u64, u64, u64, i64, i64)>,
}

impl Probe {
    /// This process's probe.
    pub(crate) fn here() -> Self {
        Self {
            probe_offset: offset_of(probe_target as fn() -> u32 as usize),
            trampoline_offset: offset_of(trampoline::<u64, u64> as Trampoline as usize),
            executable: crate::os::executable_identity(),
        }
    }
}

impl Probe {
    /// Whether `theirs` (the parent's) proves that this process runs the same file
    /// with the same layout: equal, and the file known on both sides.
    pub(crate) fn matches(&self, theirs: &Self) -> bool {
        self.executable.is_some() && self == theirs
    }
}

/// Decodes `A`, calls `f` under `catch_unwind`, and encodes `R`.
///
/// # Safety
///
/// `func` is the address of an `fn(A) -> R` in this process.
unsafe fn trampoline<A, R>(func: usize, args: &[u8], out: &mut Vec<u8>) -> Result<(), WireError>
where
    A: DeserializeOwned,
    R: Serialize,
{
    // SAFETY: by this function's contract `func` is an `fn(A) -> R` here.
    let f = unsafe { std::mem::transmute::<usize, fn(A) -> R>(func) };
    // Decoding and encoding run user code too (serde impls): under `caught`, so a
    // panicking impl fails this task's future and the worker lives on.
    let arg: A = caught(|| postcard::from_bytes(args))?.map_err(|e| {
        WireError::Codec(format!(
            "the argument did not decode in the worker: {e}; {}",
            crate::wire::DECODE_HINT
        ))
    })?;
    let result = caught(|| f(arg))?;
    let mark = out.len();
    caught(|| encode_result(&result, out)).unwrap_or_else(|panicked| {
        out.truncate(mark);
        Err(panicked)
    })
}

/// Maps `f` over a decoded `Vec<A>`; each item gets its own outcome.
///
/// # Safety
///
/// As [`trampoline`]: `func` is the address of an `fn(A) -> R` in this process.
unsafe fn chunk_trampoline<A, R>(
    func: usize,
    args: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), WireError>
where
    A: DeserializeOwned,
    R: Serialize,
{
    // SAFETY: by this function's contract `func` is an `fn(A) -> R` here.
    let f = unsafe { std::mem::transmute::<usize, fn(A) -> R>(func) };
    let items: Vec<A> = caught(|| postcard::from_bytes(args))?.map_err(|e| {
        WireError::Codec(format!(
            "the arguments did not decode in the worker: {e}; {}",
            crate::wire::DECODE_HINT
        ))
    })?;
    // The encoding of a `Vec<Result<R, WireError>>`, written item by item so that one
    // result that fails to encode fails only its item.
    push_varint(out, items.len() as u64);
    for item in items {
        let outcome = caught(|| f(item));
        let mark = out.len();
        let written = caught(|| match &outcome {
            Ok(value) => postcard::to_io(&Ok::<&R, WireError>(value), &mut *out).map(drop),
            Err(error) => postcard::to_io(&Err::<&R, &WireError>(error), &mut *out).map(drop),
        });
        let failure = match written {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(codec_error(&error)),
            Err(panicked) => Some(panicked),
        };
        if let Some(failure) = failure {
            out.truncate(mark);
            let failed: Result<(), WireError> = Err(failure);
            postcard::to_io(&failed, &mut *out).map_err(|e| WireError::Codec(e.to_string()))?;
        }
    }
    Ok(())
}

/// Runs an initializer (`fn()`).
///
/// # Safety
///
/// `func` is the address of an `fn()` in this process.
unsafe fn init_trampoline(func: usize, _args: &[u8], _out: &mut Vec<u8>) -> Result<(), WireError> {
    // SAFETY: by this function's contract `func` is an `fn()` here.
    let f = unsafe { std::mem::transmute::<usize, fn()>(func) };
    caught(f)
}

fn encode_result<R: Serialize>(result: &R, out: &mut Vec<u8>) -> Result<(), WireError> {
    let mark = out.len();
    postcard::to_io(result, &mut *out).map(drop).map_err(|e| {
        out.truncate(mark);
        codec_error(&e)
    })
}

fn codec_error(error: &postcard::Error) -> WireError {
    WireError::Codec(format!("the result did not encode in the worker: {error}"))
}

fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

thread_local! {
    /// The message and location of the last panic on this thread (set by the worker's
    /// panic hook).
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The worker's panic hook: remember "message, at file:line:col" for [`caught`] and
/// print nothing (the message travels to the task's future instead).
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "<a panic payload that is not a string>".to_owned()
        };
        let full = match info.location() {
            Some(at) => format!("{message}, at {}:{}:{}", at.file(), at.line(), at.column()),
            None => message,
        };
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(full));
    }));
}

/// Calls `f`, turning a panic into [`WireError::Panicked`] with its message and location.
pub(crate) fn caught<T>(f: impl FnOnce() -> T) -> Result<T, WireError> {
    // A panic that `f` caught itself leaves its record behind: not this one's.
    LAST_PANIC.with(|last| last.borrow_mut().take());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let recorded = LAST_PANIC.with(|last| last.borrow_mut().take());
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        WireError::Panicked(match (recorded, message) {
            // The hook saw this very panic: its record has the location too. (A
            // payload re-raised with `resume_unwind` skips the hook, so a record
            // with another message is an earlier panic's.)
            (Some(recorded), Some(message)) if recorded.starts_with(&message) => recorded,
            (_, Some(message)) => message,
            (Some(recorded), None) => recorded,
            (None, None) => "<a panic payload that is not a string>".to_owned(),
        })
    })
}

#[cfg(test)]
mod tests;
