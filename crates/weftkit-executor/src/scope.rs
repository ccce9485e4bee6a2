//! [`Scope`]: tasks that borrow from the caller's stack (`ThreadPool::scope`).

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use weftkit_shim::sync::Arc;
use weftkit_shim::sync::atomic::{AtomicUsize, Ordering};
use weftkit_sync::{Event, Lock};

use crate::ThreadPool;
use crate::registry::{Registry, current_worker};

type Waker = Box<dyn FnOnce() + Send>;

/// What a scope's tasks share: how many are still pending, the first panic, and how
/// to wake the thread waiting for the scope to end.
struct ScopeState {
    /// Spawned tasks not finished yet, plus one for the scope's body.
    pending: AtomicUsize,
    done: Event,
    /// `(closed, wakers)`: wakers added after the scope ended run at once.
    wakers: Lock<(bool, Vec<Waker>)>,
    panic: Lock<Option<Box<dyn Any + Send>>>,
}

impl ScopeState {
    /// One task (or the body) finished; the last one releases the waiter.
    fn finish_one(&self) {
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.set();
            let wakers = {
                let mut wakers = self.wakers.lock();
                wakers.0 = true;
                std::mem::take(&mut wakers.1)
            };
            for waker in wakers {
                waker();
            }
        }
    }

    fn is_done(&self) -> bool {
        self.pending.load(Ordering::Acquire) == 0
    }

    fn add_waker(&self, waker: Waker) {
        let mut wakers = self.wakers.lock();
        if wakers.0 {
            drop(wakers);
            waker();
        } else {
            wakers.1.push(waker);
        }
    }

    fn record_panic(&self, panic: Box<dyn Any + Send>) {
        let mut slot = self.panic.lock();
        if slot.is_none() {
            *slot = Some(panic);
        }
    }
}

/// Spawns tasks that may borrow anything that outlives the [`ThreadPool::scope`] call.
///
/// # Examples
///
/// ```
/// let pool = weftkit::executor::ThreadPool::builder().build()?;
/// let data = vec![1, 2, 3, 4];
/// let mut halves = (0, 0);
/// pool.scope(|s| {
///     let (left, right) = data.split_at(2);
///     let (a, b) = (&mut halves.0, &mut halves.1);
///     s.spawn(move |_| *a = left.iter().sum());
///     s.spawn(move |_| *b = right.iter().sum());
/// });
/// assert_eq!(halves, (3, 7));
/// # Ok::<(), weftkit::executor::BuildError>(())
/// ```
pub struct Scope<'scope> {
    registry: Arc<Registry>,
    state: Arc<ScopeState>,
    /// Invariant in `'scope`, like `std::thread::Scope`.
    _scope: PhantomData<&'scope mut &'scope ()>,
}

impl<'scope> Scope<'scope> {
    /// Runs `f` in the pool; it may borrow anything that outlives the scope, and may
    /// spawn more tasks into the same scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let count = AtomicU32::new(0);
    /// pool.scope(|s| {
    ///     for _ in 0..10 {
    ///         s.spawn(|_| {
    ///             count.fetch_add(1, Ordering::Relaxed);
    ///         });
    ///     }
    /// });
    /// assert_eq!(count.into_inner(), 10);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn spawn<F>(&self, f: F)
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        self.state.pending.fetch_add(1, Ordering::Relaxed);
        let scope = Scope {
            registry: Arc::clone(&self.registry),
            state: Arc::clone(&self.state),
            _scope: PhantomData,
        };
        let task: Box<dyn FnOnce() + Send + 'scope> = Box::new(move || {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(&scope))) {
                scope.state.record_panic(panic);
            }
            scope.state.finish_one();
        });
        // SAFETY: `ThreadPool::scope` does not return (not even by unwinding) until
        // `pending` drops to zero, i.e. until this task has run and finished touching
        // anything it borrows for `'scope`; so erasing the lifetime never lets the task
        // outlive its borrows.
        let task: Box<dyn FnOnce() + Send + 'static> = unsafe {
            std::mem::transmute::<
                Box<dyn FnOnce() + Send + 'scope>,
                Box<dyn FnOnce() + Send + 'static>,
            >(task)
        };
        if self.registry.is_shutting_down() || Registry::ensure_worker(&self.registry).is_err() {
            // No worker will take it: run it here so the scope still completes.
            task();
        } else {
            Registry::push_closure(&self.registry, move |_: &Registry| task());
        }
    }
}

impl fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("pending", &self.state.pending.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl ThreadPool {
    /// Runs `body` with a [`Scope`] whose tasks may borrow from the caller's stack, and
    /// returns once every task spawned in it has finished. A worker that waits here
    /// runs queued tasks meanwhile.
    ///
    /// # Panics
    ///
    /// If `body` or a spawned task panics, the first panic is resumed here after every
    /// task has finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let mut words = vec!["a".to_string(), "b".to_string()];
    /// pool.scope(|s| {
    ///     for word in words.iter_mut() {
    ///         s.spawn(move |_| word.push('!'));
    ///     }
    /// });
    /// assert_eq!(words, ["a!", "b!"]);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn scope<'scope, F, R>(&self, body: F) -> R
    where
        F: FnOnce(&Scope<'scope>) -> R,
    {
        let state = Arc::new(ScopeState {
            pending: AtomicUsize::new(1),
            done: Event::new(),
            wakers: Lock::new((false, Vec::new())),
            panic: Lock::new(None),
        });
        let scope = Scope {
            registry: Arc::clone(self.registry()),
            state: Arc::clone(&state),
            _scope: PhantomData,
        };
        let result = catch_unwind(AssertUnwindSafe(|| body(&scope)));
        state.finish_one();
        match current_worker() {
            Some(worker) if worker.belongs_to(self.registry()) => {
                worker.help_until(|| state.is_done(), |waker| state.add_waker(waker));
            }
            _ => state.done.wait(),
        }
        if let Some(panic) = state.panic.lock().take() {
            resume_unwind(panic);
        }
        match result {
            Ok(value) => value,
            Err(panic) => resume_unwind(panic),
        }
    }
}
