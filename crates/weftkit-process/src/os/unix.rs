//! Unix: socket pairs, `poll`, `fork`+`exec` with a pre-exec hook, and `kill`.
#![allow(
    unsafe_code,
    reason = "FFI calls into libc; each is documented at its call site"
)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use weftkit_shim::time::Duration;

/// Starts `program` with `args` and `env` as a worker; returns the child and the
/// parent's end of its socket (non-blocking). The child gets its end as stdin (the
/// worker moves it off fd 0 in [`worker_stream`]); no pre-exec hook, so the standard
/// library can start it with `posix_spawn`, several times faster than fork + exec.
///
/// # Errors
///
/// The socket pair could not be made, or the program could not be started.
pub(crate) fn spawn_worker(
    program: &Path,
    args: &[std::ffi::OsString],
    env: (&str, &str),
) -> io::Result<(Child, UnixStream)> {
    let (parent_end, child_end) = UnixStream::pair()?; // both close-on-exec
    parent_end.set_nonblocking(true)?;
    let child = Command::new(program)
        // Its own process group (pgid = its pid), so that a kill reaches what its
        // tasks started too; `posix_spawn` can still do this.
        .process_group(0)
        .args(args)
        .env(env.0, format!("{}:{}", env.1, std::process::id()))
        .stdin(Stdio::from(OwnedFd::from(child_end)))
        .spawn()?;
    Ok((child, parent_end))
}

/// In a worker, first thing: die with the parent (Linux's parent-death signal, then a
/// re-check that the parent is still the one that started us, for the race), and
/// ignore `SIGINT` (`wire/README.md`, invariants 8 and 9).
pub(crate) fn worker_setup(parent_pid: u32) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: PR_SET_PDEATHSIG takes a signal number; no memory is passed.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    }
    // SAFETY: `getppid` takes no arguments and cannot fail.
    let ppid = unsafe { libc::getppid() };
    if u32::try_from(ppid).ok() != Some(parent_pid) {
        // The parent died before the signal was armed: do not run as an orphan.
        std::process::exit(0);
    }
    // SAFETY: setting a signal's disposition to SIG_IGN touches no memory.
    unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
}

/// This worker's end of its socket, if stdin is a socket: moved to a new descriptor
/// (the lowest free one from 3 up, close-on-exec, blocking), with stdin reopened on
/// `/dev/null`.
pub(crate) fn worker_stream() -> Option<UnixStream> {
    let mut kind: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `kind` and `len` are valid for writes of the sizes given.
    let is_socket = unsafe {
        libc::getsockopt(
            0,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&raw mut kind).cast(),
            &raw mut len,
        )
    } == 0;
    if !is_socket {
        return None;
    }
    // SAFETY: fd 0 is open (getsockopt just succeeded on it); F_DUPFD_CLOEXEC makes a
    // new descriptor and closes none, so nothing this process opened is disturbed,
    // and close-on-exec keeps it out of programs that a task may start.
    let fd: RawFd = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3) };
    if fd == -1 {
        return None;
    }
    if let Ok(null) = std::fs::File::open("/dev/null") {
        // SAFETY: both descriptors are open; fd 0 becomes /dev/null.
        unsafe { libc::dup2(null.as_raw_fd(), 0) };
    } else {
        // SAFETY: fd 0 is the socket's other copy, owned by nothing in this process;
        // closed, programs a task starts cannot keep the socket open.
        unsafe { libc::close(0) };
    }
    // SAFETY: `fd` was made just above as a copy of the socket the parent made for
    // this process alone, and nothing else in this process owns it.
    let stream = unsafe { UnixStream::from_raw_fd(fd) };
    stream.set_nonblocking(false).ok()?;
    Some(stream)
}

/// Writes as much of `buf` as the socket takes now; a dead peer is `EPIPE` or
/// `ECONNRESET`, never `SIGPIPE`.
///
/// # Errors
///
/// As `send(2)`; `WouldBlock` when a non-blocking socket is full.
pub(crate) fn send(stream: &UnixStream, buf: &[u8]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid for reads of `buf.len()` bytes.
        let n = unsafe {
            libc::send(
                stream.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Sends `signal` to a worker and to its process group: the processes its tasks
/// started (unless they left the group) go with it. Nothing is sent to a worker
/// already reaped (now or before): its pid may name another process by now.
pub(crate) fn signal(child: &mut Child, signal: i32) {
    if !matches!(child.try_wait(), Ok(None)) {
        return;
    }
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: `kill` takes a pid and a signal number and touches no memory. The
        // worker is unreaped, so neither its pid nor its process group id (the same
        // number, `spawn_worker`) can have been reused for another process.
        unsafe { libc::kill(-pid, signal) };
        // SAFETY: as above. The worker itself too, in case it left its group.
        unsafe { libc::kill(pid, signal) };
    }
}

/// `SIGTERM` and `SIGKILL`.
pub(crate) const SIGTERM: i32 = libc::SIGTERM;
/// See [`SIGTERM`].
pub(crate) const SIGKILL: i32 = libc::SIGKILL;

/// `poll(2)` over a set of sockets.
#[derive(Debug, Default)]
pub(crate) struct Poller {
    fds: Vec<libc::pollfd>,
}

impl Poller {
    /// Forgets every socket.
    pub(crate) fn clear(&mut self) {
        self.fds.clear();
    }

    /// Watches `stream` for input (and for room to write, if `write`); returns its slot.
    pub(crate) fn add(&mut self, stream: &UnixStream, write: bool) -> usize {
        let mut events = libc::POLLIN;
        if write {
            events |= libc::POLLOUT;
        }
        self.fds.push(libc::pollfd {
            fd: stream.as_raw_fd(),
            events,
            revents: 0,
        });
        self.fds.len() - 1
    }

    /// Waits until a socket is ready or `timeout` passes (`None`: no limit).
    ///
    /// # Errors
    ///
    /// As `poll(2)`, except `EINTR`, which returns early with nothing ready.
    pub(crate) fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let count = libc::nfds_t::try_from(self.fds.len()).unwrap_or(libc::nfds_t::MAX);
        let n = self.poll(count, timeout);
        if n < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                for fd in &mut self.fds {
                    fd.revents = 0;
                }
                return Ok(());
            }
            return Err(error);
        }
        Ok(())
    }

    /// `ppoll(2)`: the timeout to the nanosecond, so that a short pause is short.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[allow(
        clippy::unnecessary_fallible_conversions,
        reason = "c_long is 32 bits on 32-bit targets, where the conversion can fail"
    )]
    fn poll(&mut self, count: libc::nfds_t, timeout: Option<Duration>) -> libc::c_int {
        let spec = timeout.map(|t| libc::timespec {
            tv_sec: libc::time_t::try_from(t.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: libc::c_long::try_from(t.subsec_nanos()).unwrap_or(0),
        });
        let spec_ptr = spec.as_ref().map_or(std::ptr::null(), std::ptr::from_ref);
        // SAFETY: `fds` is valid for reads and writes of `count` pollfd entries;
        // `spec_ptr` is null (no limit) or points at `spec`, alive for the call; a
        // null signal mask leaves the mask as it is.
        unsafe { libc::ppoll(self.fds.as_mut_ptr(), count, spec_ptr, std::ptr::null()) }
    }

    /// `poll(2)`: the timeout in milliseconds, rounded up so that a deadline is not
    /// polled for in a busy loop.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn poll(&mut self, count: libc::nfds_t, timeout: Option<Duration>) -> libc::c_int {
        let ms = timeout.map_or(-1, |t| {
            libc::c_int::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(libc::c_int::MAX)
        });
        // SAFETY: `fds` is valid for reads and writes of `count` pollfd entries.
        unsafe { libc::poll(self.fds.as_mut_ptr(), count, ms) }
    }

    /// Whether slot `i` has input, end of stream or an error to read.
    pub(crate) fn readable(&self, i: usize) -> bool {
        self.fds[i].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
    }

    /// Whether slot `i` has room to write (or an error to find by writing).
    pub(crate) fn writable(&self, i: usize) -> bool {
        self.fds[i].revents & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP) != 0
    }
}

/// (device, inode, size, modification time in seconds and nanoseconds) of the
/// executable this process runs.
pub(crate) fn executable_identity() -> Option<(u64, u64, u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let path = if cfg!(any(target_os = "linux", target_os = "android")) {
        std::path::PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().ok()?
    };
    let meta = std::fs::metadata(path).ok()?;
    Some((
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
    ))
}

/// The program a worker is started from: on Linux `/proc/self/exe`, the very file
/// this process runs even if its path was replaced or removed since.
pub(crate) fn this_program() -> io::Result<std::path::PathBuf> {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        Ok(std::path::PathBuf::from("/proc/self/exe"))
    } else {
        std::env::current_exe()
    }
}

/// Removes `key` from this process's environment if this process has one thread
/// (the only case in which that is sound); otherwise leaves it.
pub(crate) fn remove_env_if_alone(key: &str) {
    if !single_threaded() {
        return;
    }
    // SAFETY: this process has one thread, the caller's, so no other thread can read
    // or write the environment meanwhile; and a thread can only be started by this
    // one, which is here.
    unsafe { std::env::remove_var(key) };
}

/// Whether this process has exactly one thread (`false` where that cannot be told).
fn single_threaded() -> bool {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() == 1)
    } else {
        false
    }
}

/// The address range of the loaded object (the executable, or a shared library) that
/// holds `addr`: from the start of its first loaded segment to the end of its last.
/// `None` where that cannot be told.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn loaded_object_holding(addr: usize) -> Option<std::ops::Range<usize>> {
    struct Search {
        addr: usize,
        found: Option<std::ops::Range<usize>>,
    }

    /// Called by `dl_iterate_phdr` once per loaded object; returning non-zero stops it.
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: `dl_iterate_phdr` passes a valid `info` for the duration of this
        // call, and `data` is the `Search` that `loaded_object_holding` lent it,
        // borrowed by nobody else meanwhile.
        let (info, search) = unsafe { (&*info, &mut *data.cast::<Search>()) };
        if info.dlpi_phdr.is_null() {
            return 0;
        }
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers of this object.
        let headers =
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
        let base = info.dlpi_addr as usize;
        let (mut low, mut high) = (usize::MAX, 0usize);
        for header in headers.iter().filter(|h| h.p_type == libc::PT_LOAD) {
            let start = base.wrapping_add(header.p_vaddr as usize);
            low = low.min(start);
            high = high.max(start.saturating_add(header.p_memsz as usize));
        }
        if (low..high).contains(&search.addr) {
            search.found = Some(low..high);
            return 1;
        }
        0
    }

    let mut search = Search { addr, found: None };
    // SAFETY: `visit` has the callback signature `dl_iterate_phdr` expects and only
    // reads what it is given; `search` outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&raw mut search).cast()) };
    search.found
}

/// See the Linux version: elsewhere the range is not listed ([`object_base`] tells
/// the object instead).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn loaded_object_holding(_addr: usize) -> Option<std::ops::Range<usize>> {
    None
}

/// The base address of the loaded object (the executable, or a shared library) that
/// holds `addr`, from `dladdr`; `None` if no loaded object holds it.
pub(crate) fn object_base(addr: usize) -> Option<usize> {
    // SAFETY: `Dl_info` is plain data (pointers and integers), valid when zeroed.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: `dladdr` only reads the loader's tables for `addr` (which it does not
    // dereference) and writes `info`, valid for writes.
    let found = unsafe { libc::dladdr(addr as *const libc::c_void, &raw mut info) };
    (found != 0 && !info.dli_fbase.is_null()).then_some(info.dli_fbase as usize)
}

/// `SIGINT` for pools built with `cancel_on_interrupt` (`src/interrupt.rs`, whose
/// invariants 1-3 this code keeps): a one-shot handler that sends one byte down a
/// socket, and nothing else.
///
/// Not built under the model checkers: a signal handler needs a real atomic in a
/// static, and signals are outside any model.
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub(crate) mod sigint {
    use std::io;
    use std::os::fd::RawFd;

    use weftkit_shim::sync::atomic::{AtomicU32, Ordering};

    /// [`PIPE`] before [`set_pipe`].
    const NO_PIPE: u32 = u32::MAX;

    /// The descriptor the handler writes to. An atomic load is lock-free, so the
    /// handler may read it (a `Mutex` or a `OnceLock` it may not).
    static PIPE: AtomicU32 = AtomicU32::new(NO_PIPE);

    /// The one byte the handler sends.
    static BYTE: u8 = 1;

    /// What `SIGINT` does now, as far as [`arm`] is concerned.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Disposition {
        /// The handler is armed.
        Armed,
        /// Ignored (`SIG_IGN`): a program started with `nohup`, or in the background
        /// by a non-interactive shell.
        Ignored,
        /// The default action, or a handler other than this one.
        Other,
    }

    /// Tells the handler where to send its byte: `fd`, a non-blocking socket that
    /// stays open for the rest of the process. Call it before the first [`arm`].
    pub(crate) fn set_pipe(fd: RawFd) {
        if let Ok(fd) = u32::try_from(fd) {
            PIPE.store(fd, Ordering::Release);
        }
    }

    /// What `SIGINT` does now.
    ///
    /// # Errors
    ///
    /// As `sigaction(2)` (in practice, never).
    pub(crate) fn disposition() -> io::Result<Disposition> {
        // SAFETY: `sigaction` is a plain C struct (integers, a signal mask, a handler
        // address as an integer), for which all zeroes is a valid value.
        let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a null new action makes `sigaction` only write the current one into
        // `current`, which is valid for writes.
        if unsafe { libc::sigaction(libc::SIGINT, std::ptr::null(), &raw mut current) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(match current.sa_sigaction {
            h if h == handler() => Disposition::Armed,
            libc::SIG_IGN => Disposition::Ignored,
            _ => Disposition::Other,
        })
    }

    /// Installs the handler for the next `SIGINT` only: the kernel restores the
    /// default action as it delivers it (`SA_RESETHAND`). Interrupted system calls
    /// elsewhere in the program restart (`SA_RESTART`).
    ///
    /// # Errors
    ///
    /// As `sigaction(2)` (in practice, never).
    pub(crate) fn arm() -> io::Result<()> {
        // SAFETY: as in `disposition`, all zeroes is a valid `sigaction`.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = handler();
        action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
        // SAFETY: `sa_mask` is a valid, writable signal set; emptying it blocks no
        // other signal while the handler runs.
        unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
        // SAFETY: `action` is a fully initialised action whose handler is an
        // `extern "C" fn(c_int)` that only does async-signal-safe work; a null old
        // action is allowed.
        if unsafe { libc::sigaction(libc::SIGINT, &raw const action, std::ptr::null_mut()) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends `SIGINT` to this process, as a Ctrl-C would: whatever `SIGINT` does now
    /// happens (with the handler disarmed, by default, the process ends).
    pub(crate) fn raise() {
        // SAFETY: `getpid` cannot fail; `kill` takes a pid and a signal number and
        // touches no memory.
        unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
    }

    fn handler() -> libc::sighandler_t {
        on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t
    }

    /// The handler: one atomic load and one `send`, both async-signal-safe; errno
    /// is left as the interrupted code had it. A full socket already holds a byte
    /// the watcher has yet to read, so a failed send loses nothing; `MSG_NOSIGNAL`
    /// and `MSG_DONTWAIT` mean it can neither raise `SIGPIPE` nor block.
    extern "C" fn on_sigint(_signal: libc::c_int) {
        let Ok(fd) = RawFd::try_from(PIPE.load(Ordering::Acquire)) else {
            return; // NO_PIPE: not armed through `arm` (cannot happen)
        };
        let errno = errno_location();
        // SAFETY: `errno_location` is null or this thread's errno, valid for reads.
        let saved = (!errno.is_null()).then(|| unsafe { *errno });
        // SAFETY: `BYTE` is a static valid for reads of one byte; `send` is
        // async-signal-safe and touches no other memory.
        unsafe {
            libc::send(
                fd,
                (&raw const BYTE).cast(),
                1,
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if let Some(saved) = saved {
            // SAFETY: as above, and valid for writes.
            unsafe { *errno = saved };
        }
    }

    /// This thread's `errno`.
    #[cfg(any(target_os = "linux", target_os = "dragonfly"))]
    fn errno_location() -> *mut libc::c_int {
        // SAFETY: takes nothing and cannot fail; async-signal-safe.
        unsafe { libc::__errno_location() }
    }

    /// This thread's `errno`.
    #[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
    fn errno_location() -> *mut libc::c_int {
        // SAFETY: takes nothing and cannot fail; async-signal-safe.
        unsafe { libc::__errno() }
    }

    /// This thread's `errno`.
    #[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
    fn errno_location() -> *mut libc::c_int {
        // SAFETY: takes nothing and cannot fail; async-signal-safe.
        unsafe { libc::__error() }
    }

    /// Elsewhere its location is not known here: null, and errno is not restored.
    #[cfg(not(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "android",
        target_os = "netbsd",
        target_os = "openbsd",
        target_vendor = "apple",
        target_os = "freebsd"
    )))]
    fn errno_location() -> *mut libc::c_int {
        std::ptr::null_mut()
    }
}
