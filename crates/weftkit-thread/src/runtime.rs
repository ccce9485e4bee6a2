//! The process-wide state of weftkit-thread, in one place: the thread registry, the
//! excepthook, the exit deadline, the timer heap and the id counters.
//!
//! Normally it is one `static`, made on first use. Under a model checker (loom or
//! shuttle) a `static` would outlive the model's executions, so each execution gets its own: the first weft call on a
//! modelled thread makes one, and every thread weft starts adopts its parent's
//! (see [`adopt`]). Both forms are reached the same way, through [`runtime`].

use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicU64, Ordering};
use weftkit_shim::time::Duration;
use weftkit_sync::{Condition, Lock};

use crate::excepthook::Hook;
use crate::info::Info;
use crate::registry::Registry;
use crate::timer::Sched;

/// Everything weftkit-thread shares between threads.
pub(crate) struct Runtime {
    next_ident: AtomicU64,
    next_thread_number: AtomicU64,
    next_timer_number: AtomicU64,
    next_dummy_number: AtomicU64,
    /// The process's main thread (ident 1).
    pub(crate) main: Arc<Info>,
    /// Live weft threads and what the exit waits for.
    pub(crate) registry: Condition<Registry>,
    /// `None`: the default hook.
    pub(crate) excepthook: Lock<Option<Arc<Hook>>>,
    /// How long the exit hook waits for non-daemon threads (`None`: for ever).
    pub(crate) exit_deadline: Lock<Option<Duration>>,
    /// The timer heap, served by one dispatcher thread.
    pub(crate) timers: Condition<Sched>,
    /// Which process-wide hooks (panic hook, `atexit`) have been installed.
    #[cfg(not(any(weft_loom, weft_shuttle)))]
    pub(crate) installed: Lock<Installed>,
}

/// The process-wide hooks installed so far (each at most once).
#[cfg(not(any(weft_loom, weft_shuttle)))]
#[derive(Debug, Default)]
pub(crate) struct Installed {
    pub(crate) panic_hook: bool,
    pub(crate) exit_hook: bool,
}

impl Runtime {
    fn new() -> Self {
        Self {
            next_ident: AtomicU64::new(2),
            next_thread_number: AtomicU64::new(1),
            next_timer_number: AtomicU64::new(1),
            next_dummy_number: AtomicU64::new(1),
            main: Arc::new(Info::main(1)),
            registry: Condition::new(Registry::default()),
            excepthook: Lock::new(None),
            exit_deadline: Lock::new(None),
            timers: Condition::new(Sched::default()),
            #[cfg(not(any(weft_loom, weft_shuttle)))]
            installed: Lock::new(Installed::default()),
        }
    }

    /// A fresh ident: unique in the process, never reused (Python's `ident` may be
    /// reused once a thread has ended; weft's is not).
    pub(crate) fn next_ident(&self) -> u64 {
        self.next_ident.fetch_add(1, Ordering::Relaxed)
    }

    /// `Thread-N`, Python's name for an unnamed thread.
    pub(crate) fn next_thread_name(&self) -> String {
        let n = self.next_thread_number.fetch_add(1, Ordering::Relaxed);
        format!("Thread-{n}")
    }

    /// `Timer-N` for an unnamed timer.
    pub(crate) fn next_timer_name(&self) -> String {
        let n = self.next_timer_number.fetch_add(1, Ordering::Relaxed);
        format!("Timer-{n}")
    }

    /// `Dummy-N`, Python's name for a thread it did not start.
    pub(crate) fn next_dummy_name(&self) -> String {
        let n = self.next_dummy_number.fetch_add(1, Ordering::Relaxed);
        format!("Dummy-{n}")
    }
}

/// How code holds the runtime: a `'static` borrow normally, a shared pointer under
/// loom. Derefs to [`Runtime`].
#[derive(Clone)]
pub(crate) struct RuntimeRef(
    #[cfg(not(any(weft_loom, weft_shuttle)))] &'static Runtime,
    #[cfg(any(weft_loom, weft_shuttle))] Arc<Runtime>,
);

impl std::ops::Deref for RuntimeRef {
    type Target = Runtime;
    #[allow(
        clippy::needless_borrow,
        reason = "a borrow of the `Arc` under loom, of the `&'static` (already a reference) otherwise"
    )]
    fn deref(&self) -> &Runtime {
        &self.0
    }
}

/// The runtime, made on first use.
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub(crate) fn runtime() -> RuntimeRef {
    static RUNTIME: std::sync::OnceLock<Runtime> = std::sync::OnceLock::new();
    RuntimeRef(RUNTIME.get_or_init(Runtime::new))
}

/// Makes `runtime` the calling thread's runtime (the one its starter used).
#[cfg(not(any(weft_loom, weft_shuttle)))]
pub(crate) fn adopt(_runtime: &RuntimeRef) {}

#[cfg(any(weft_loom, weft_shuttle))]
weftkit_shim::thread_local! {
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! has no const form")]
    static RUNTIME: std::cell::RefCell<Option<Arc<Runtime>>> = std::cell::RefCell::new(None);
}

/// This modelled thread's runtime: adopted from its starter, or made here.
#[cfg(any(weft_loom, weft_shuttle))]
pub(crate) fn runtime() -> RuntimeRef {
    RUNTIME.with(|slot| {
        RuntimeRef(
            slot.borrow_mut()
                .get_or_insert_with(|| Arc::new(Runtime::new()))
                .clone(),
        )
    })
}

/// Makes `runtime` the calling thread's runtime (the one its starter used).
#[cfg(any(weft_loom, weft_shuttle))]
pub(crate) fn adopt(runtime: &RuntimeRef) {
    RUNTIME.with(|slot| *slot.borrow_mut() = Some(Arc::clone(&runtime.0)));
}
