//! What happens to a panic in a weft thread: Python's `threading.excepthook`.
//!
//! Each thread body (and each timer callback) runs under `catch_unwind`. A panic is
//! turned into [`Panicked`] for whoever joins the thread, and reported, in the
//! panicking thread, to the excepthook: [`default_excepthook`] unless
//! [`set_excepthook`] installed another.
//!
//! # The panic hook
//!
//! std's panic hook prints `thread '<name>' panicked at ...` for every panic, before
//! anybody can catch it; with the excepthook's report that would say everything
//! twice. So when the first weft thread or timer starts, weft wraps the panic hook
//! that is installed at that moment, once: while a weft thread body or timer callback
//! is running, the wrapper records where the panic happened (and a backtrace, when
//! `RUST_BACKTRACE` asks for one) for the excepthook and prints nothing; for every
//! other panic it calls the hook it wrapped. Consequences, chosen deliberately:
//!
//! - A panic in a weft thread goes to the excepthook only, as an exception in a
//!   Python thread goes to `threading.excepthook` and not to `sys.excepthook`.
//!   A panic hook installed *before* the first weft thread starts is therefore not
//!   called for panics inside weft threads; use [`set_excepthook`] for those.
//! - A panic hook installed *after* replaces the wrapper (weft does not install it
//!   again): it then sees every panic, and the excepthook still reports those of
//!   weft threads.
//! - A panic that code inside a weft thread catches itself (`catch_unwind`) is not
//!   printed either, since the wrapper cannot know it will be caught.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use weftkit_shim::sync::Arc;

use crate::error::Panicked;
use crate::info::Info;
use crate::runtime::runtime;

/// An installed excepthook. Boxed inside its `Arc` because loom's `Arc` (which the
/// shim gives under `weft_loom`) cannot hold an unsized value.
pub(crate) type Hook = Box<dyn Fn(&ExceptHookArgs) + Send + Sync>;

/// What a panicking weft thread reports to the excepthook (Python's
/// `threading.ExceptHookArgs`).
///
/// # Examples
///
/// ```
/// use weftkit::thread::{ExceptHookArgs, Thread, set_excepthook};
/// use weftkit::sync::Lock;
/// use std::sync::Arc;
///
/// let reports = Arc::new(Lock::new(Vec::new()));
/// let sink = Arc::clone(&reports);
/// set_excepthook(move |args: &ExceptHookArgs| {
///     sink.lock().push(format!("{}: {}", args.thread_name(), args.message()));
/// });
/// let _ = Thread::new(|| panic!("disk full")).name("writer").start()?.join();
/// assert_eq!(*reports.lock(), ["writer: disk full"]);
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
#[derive(Debug)]
pub struct ExceptHookArgs {
    thread_name: String,
    ident: u64,
    message: String,
    location: Option<String>,
    backtrace: Option<Backtrace>,
}

impl ExceptHookArgs {
    /// The name of the thread that panicked (for a timer callback: the timer's name).
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::thread::set_excepthook(|args| assert_eq!(args.thread_name(), "t"));
    /// let _ = weftkit::thread::Thread::new(|| panic!()).name("t").start()?.join();
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn thread_name(&self) -> &str {
        &self.thread_name
    }

    /// The ident of the thread that panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::thread::set_excepthook(|args| assert!(args.ident() > 1));
    /// let _ = weftkit::thread::Thread::new(|| panic!()).start()?.join();
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn ident(&self) -> u64 {
        self.ident
    }

    /// The panic message.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::thread::set_excepthook(|args| assert_eq!(args.message(), "bad input 3"));
    /// let _ = weftkit::thread::Thread::new(|| panic!("bad input {}", 3)).start()?.join();
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the panic happened (`file:line:column`), when known.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::thread::set_excepthook(|args| {
    ///     if let Some(at) = args.location() {
    ///         assert!(at.contains(':'));
    ///     }
    /// });
    /// let _ = weftkit::thread::Thread::new(|| panic!()).start()?.join();
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The stack at the panic, when one was captured: `RUST_BACKTRACE` (or
    /// `RUST_LIB_BACKTRACE`) decides, as for std's panic message.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::backtrace::BacktraceStatus;
    ///
    /// weftkit::thread::set_excepthook(|args| {
    ///     if let Some(bt) = args.backtrace() {
    ///         let _captured = bt.status() == BacktraceStatus::Captured;
    ///     }
    /// });
    /// let _ = weftkit::thread::Thread::new(|| panic!()).start()?.join();
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn backtrace(&self) -> Option<&Backtrace> {
        self.backtrace.as_ref()
    }
}

/// Sends every later panic of a weft thread or timer callback to `hook` instead of
/// [`default_excepthook`] (Python's `threading.excepthook = hook`).
///
/// The hook runs in the panicking thread, after its body has unwound and before the
/// thread counts as finished (so a `join` sees the hook's effects). A hook that
/// panics does not end the thread early: the panic hook prints the hook's own panic
/// (as Python reports an exception in `threading.excepthook` through
/// `sys.excepthook`), and the default report of the thread's panic follows.
///
/// # Examples
///
/// Count failures instead of printing them:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use weftkit::thread::{Thread, set_excepthook};
///
/// let failures = Arc::new(AtomicUsize::new(0));
/// let counter = Arc::clone(&failures);
/// set_excepthook(move |_| {
///     counter.fetch_add(1, Ordering::SeqCst);
/// });
/// let _ = Thread::new(|| panic!("one")).start()?.join();
/// assert_eq!(failures.load(Ordering::SeqCst), 1);
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
pub fn set_excepthook(hook: impl Fn(&ExceptHookArgs) + Send + Sync + 'static) {
    *runtime().excepthook.lock() = Some(Arc::new(Box::new(hook)));
}

/// Goes back to [`default_excepthook`].
///
/// # Examples
///
/// ```
/// weftkit::thread::set_excepthook(|_| {});
/// weftkit::thread::reset_excepthook();
/// ```
pub fn reset_excepthook() {
    *runtime().excepthook.lock() = None;
}

/// The report Python prints: `Exception in thread <name>: <message>` on stderr,
/// then where the panic happened and, when one was captured, the backtrace. Call it
/// from your own hook to keep the default output (Python's
/// `threading.__excepthook__`).
///
/// # Examples
///
/// ```
/// use weftkit::thread::{default_excepthook, set_excepthook};
///
/// set_excepthook(|args| {
///     if !args.message().contains("expected") {
///         default_excepthook(args);
///     }
/// });
/// let _ = weftkit::thread::Thread::new(|| panic!("expected in this example")).start()?.join();
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
pub fn default_excepthook(args: &ExceptHookArgs) {
    let mut report = format!(
        "Exception in thread {}: {}\n",
        args.thread_name, args.message
    );
    if let Some(location) = &args.location {
        let _ = writeln!(report, "  panicked at {location}");
    }
    if let Some(backtrace) = &args.backtrace
        && backtrace.status() == BacktraceStatus::Captured
    {
        let _ = write!(report, "stack backtrace:\n{backtrace}");
    }
    // `eprint!` (not a raw stderr handle) so that test harnesses capture it; it
    // panics only if stderr is gone, which must not take the thread down.
    let _ = catch_unwind(|| eprint!("{report}"));
}

/// Where a panic happened, recorded by the panic hook for the excepthook.
struct PanicDetails {
    location: Option<String>,
    backtrace: Backtrace,
}

weftkit_shim::thread_local! {
    /// Set while a weft thread body or timer callback runs: its panics are reported
    /// to the excepthook, and the panic hook stays silent.
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! has no const form")]
    static REPORTING: Cell<bool> = Cell::new(false);
    /// The last silenced panic's details, for the excepthook.
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! has no const form")]
    static LAST_PANIC: RefCell<Option<PanicDetails>> = RefCell::new(None);
}

/// Wraps the current panic hook once (see the module docs).
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub(crate) fn install_panic_hook(rt: &crate::runtime::Runtime) {
    // `set_hook` panics when called from a panicking thread (a `start` inside a
    // `Drop` during unwinding); try again at the next start instead.
    if weftkit_shim::thread::panicking() {
        return;
    }
    let mut installed = rt.installed.lock();
    if installed.panic_hook {
        return;
    }
    installed.panic_hook = true;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !REPORTING.try_with(Cell::get).unwrap_or(false) {
            return previous(info);
        }
        let details = PanicDetails {
            location: info.location().map(ToString::to_string),
            backtrace: Backtrace::capture(),
        };
        if LAST_PANIC
            .try_with(|slot| *slot.borrow_mut() = Some(details))
            .is_err()
        {
            previous(info);
        }
    }));
}

/// Runs `body` for the thread `info`; a panic becomes [`Panicked`] after it has
/// been reported to the excepthook.
pub(crate) fn run_reporting<T>(info: &Info, body: impl FnOnce() -> T) -> Result<T, Panicked> {
    let outer = REPORTING.try_with(|r| r.replace(true)).unwrap_or(false);
    let result = catch_unwind(AssertUnwindSafe(body));
    let _ = REPORTING.try_with(|r| r.set(outer));
    let payload = match result {
        Ok(value) => return Ok(value),
        Err(payload) => payload,
    };
    let message = panic_message(&*payload);
    drop_payload(payload);
    let details = LAST_PANIC
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten();
    let (location, backtrace) = match details {
        Some(d) => (d.location, Some(d.backtrace)),
        None => (None, None),
    };
    report(&ExceptHookArgs {
        thread_name: info.name.clone(),
        ident: info.ident,
        message: message.clone(),
        location: location.clone(),
        backtrace,
    });
    Err(Panicked::new(info.name.clone(), message, location))
}

/// The text of a panic payload, as std prints it.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Calls the installed hook (or the default) for `args`.
fn report(args: &ExceptHookArgs) {
    let hook = runtime().excepthook.lock().clone();
    let Some(hook) = hook else {
        default_excepthook(args);
        return;
    };
    // The hook's own panic is not a panic of the thread: let the panic hook print it
    // (Python reports an exception in `threading.excepthook` through
    // `sys.excepthook`). Inside a timer callback's runner the flag is still set by
    // the runner thread's own `run_reporting`, which would silence it.
    let outer = REPORTING.try_with(|r| r.replace(false)).unwrap_or(false);
    let outcome = catch_unwind(AssertUnwindSafe(|| hook(args)));
    let _ = REPORTING.try_with(|r| r.set(outer));
    if let Err(payload) = outcome {
        drop_payload(payload);
        let _ = catch_unwind(|| {
            eprintln!(
                "Exception in weftkit::thread excepthook (the hook panicked); the report it was given:"
            );
        });
        default_excepthook(args);
    }
}

/// Drops a panic payload; one whose own `drop` panics must not take the thread (and
/// the bookkeeping after the report) down with it.
fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(nested) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(nested);
    }
}

impl fmt::Display for ExceptHookArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Exception in thread {}: {}",
            self.thread_name, self.message
        )
    }
}
