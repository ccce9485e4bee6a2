//! Type-erased jobs: what the queues hold.

use std::any::Any;
use std::fmt;
use std::mem::MaybeUninit;

use weftkit_shim::cell::UnsafeCell;

use super::Registry;

/// A pointer to a job and the function that runs it: two words, cheap to push and pop.
///
/// The workers' own deques hold `JobRef`s: `join` points one at a job on its own
/// stack, and a task that submits more work boxes it (`HeapJob`). A `JobRef` is
/// executed exactly once; one dropped unexecuted would only leak its job.
pub(crate) struct JobRef {
    data: *const (),
    execute_fn: unsafe fn(*const (), &Registry),
}

impl fmt::Debug for JobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobRef")
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

// SAFETY: a `JobRef` is only made from jobs that are `Send` (the bounds of `boxed` and
// of `StackJob`'s `Job` impl), so running it on another thread is sound.
unsafe impl Send for JobRef {}

/// Something a `JobRef` can point to.
pub(crate) trait Job {
    /// Runs the job.
    ///
    /// # Safety
    ///
    /// `this` points to a live job that has not been executed yet; it is executed once.
    /// `registry` is the pool whose thread runs it.
    unsafe fn execute(this: *const Self, registry: &Registry);
}

impl JobRef {
    /// A `JobRef` pointing at `data`.
    ///
    /// # Safety
    ///
    /// `data` must stay valid until the returned `JobRef` is executed, which must happen
    /// exactly once.
    pub(crate) unsafe fn new<J: Job>(data: *const J) -> Self {
        Self {
            data: data.cast(),
            execute_fn: execute_pointer::<J>,
        }
    }

    /// Boxes `func` into a self-owning job.
    ///
    /// `func` must not unwind: every caller wraps user code in `catch_unwind`.
    pub(crate) fn boxed<F: FnOnce(&Registry) + Send>(func: F) -> Self {
        let job = Box::into_raw(Box::new(HeapJob { func }));
        // SAFETY: the box is leaked, so it lives until `execute` reclaims it, once.
        unsafe { Self::new(job) }
    }

    /// Whether this `JobRef` points at `job` (made by [`new`](Self::new) from it).
    pub(crate) fn points_to<J: Job>(&self, job: *const J) -> bool {
        self.data == job.cast()
    }

    /// Runs the job on a thread serving `registry` (the pool it was pushed to).
    pub(crate) fn execute(self, registry: &Registry) {
        // SAFETY: `new`'s contract makes `data` live until this one execution, and
        // taking `self` by value makes it the only one.
        unsafe { (self.execute_fn)(self.data, registry) }
    }
}

/// Runs the job a `JobRef` points at.
unsafe fn execute_pointer<J: Job>(data: *const (), registry: &Registry) {
    // SAFETY: `JobRef::new`'s caller promised `data` (a `*const J`) is live and
    // executed once.
    unsafe { J::execute(data.cast::<J>(), registry) }
}

/// A job that owns itself on the heap.
struct HeapJob<F> {
    func: F,
}

impl<F: FnOnce(&Registry) + Send> Job for HeapJob<F> {
    unsafe fn execute(this: *const Self, registry: &Registry) {
        // SAFETY: `this` came from `Box::into_raw` in `JobRef::boxed`, and
        // `Job::execute` runs once, so the box is reclaimed exactly once.
        let job = unsafe { Box::from_raw(this.cast_mut()) };
        (job.func)(registry);
    }
}

/// Words of closure an `InlineJob` carries with no allocation.
const INLINE_WORDS: usize = 4;
type Storage = MaybeUninit<[usize; INLINE_WORDS]>;

/// A job as the global injector holds it: a small closure stored inline (so that a
/// submit from outside the pool allocates nothing for its job), or a [`JobRef`].
///
/// Executed exactly once; one dropped unexecuted would only leak its closure.
pub(crate) struct InlineJob {
    storage: Storage,
    execute_fn: unsafe fn(*mut Storage, &Registry),
}

impl fmt::Debug for InlineJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InlineJob").finish_non_exhaustive()
    }
}

// SAFETY: an `InlineJob` holds a `Send` closure or a `JobRef` (itself `Send`).
unsafe impl Send for InlineJob {}

impl InlineJob {
    /// A job that owns `func`: inline when it fits, boxed otherwise.
    ///
    /// `func` must not unwind: every caller wraps user code in `catch_unwind`.
    pub(crate) fn from_closure<F: FnOnce(&Registry) + Send>(func: F) -> Self {
        let fits =
            size_of::<F>() <= size_of::<Storage>() && align_of::<F>() <= align_of::<Storage>();
        if !fits {
            return Self::from_job_ref(JobRef::boxed(func));
        }
        unsafe fn call<F: FnOnce(&Registry)>(storage: *mut Storage, registry: &Registry) {
            // SAFETY: `from_closure` moved an `F` into the storage, and `execute` runs
            // once (it takes the job by value), so the closure is read out once.
            let func = unsafe { storage.cast::<F>().read() };
            func(registry);
        }
        let mut storage = Storage::uninit();
        // SAFETY: `fits` checked that an `F` fits in the storage and is no more aligned.
        unsafe { storage.as_mut_ptr().cast::<F>().write(func) };
        Self {
            storage,
            execute_fn: call::<F>,
        }
    }

    /// Carries a `JobRef` (a stack job injected from outside the pool).
    pub(crate) fn from_job_ref(job: JobRef) -> Self {
        unsafe fn call(storage: *mut Storage, registry: &Registry) {
            // SAFETY: `from_job_ref` wrote a `JobRef` at the start of the storage, read
            // out once because `execute` takes the job by value.
            let job = unsafe { storage.cast::<JobRef>().read() };
            job.execute(registry);
        }
        let mut storage = Storage::uninit();
        // SAFETY: a `JobRef` (two words) fits in the storage and is no more aligned.
        unsafe { storage.as_mut_ptr().cast::<JobRef>().write(job) };
        Self {
            storage,
            execute_fn: call,
        }
    }

    /// Runs the job on a thread serving `registry`.
    pub(crate) fn execute(mut self, registry: &Registry) {
        // SAFETY: the storage holds what `from_closure` or `from_job_ref` put there for
        // this `execute_fn`, and taking `self` by value makes this the only execution.
        unsafe { (self.execute_fn)(&mut self.storage, registry) }
    }
}

/// What a stack job produced.
pub(crate) enum JobResult<R> {
    /// Not run yet.
    Pending,
    /// Returned a value.
    Ok(R),
    /// Panicked with this payload.
    Panic(Box<dyn Any + Send>),
}

/// A job that lives on the stack of the thread that waits for it (`join`).
pub(crate) struct StackJob<F, R, L> {
    pub(crate) latch: L,
    func: UnsafeCell<Option<F>>,
    result: UnsafeCell<JobResult<R>>,
}

/// Something a stack job sets when it is done.
pub(crate) trait Latch {
    /// Marks the job done and wakes whoever waits for it.
    ///
    /// # Safety
    ///
    /// After `set` begins, the latch (and the job holding it) may be freed by the waiting
    /// thread as soon as it observes the latch: `set` must not touch `this` after the
    /// store that makes the latch observable.
    unsafe fn set(this: *const Self);
}

impl<F, R, L> StackJob<F, R, L>
where
    F: FnOnce() -> R + Send,
    R: Send,
    L: Latch,
{
    /// A job that will run `func` and then set `latch`.
    pub(crate) fn new(func: F, latch: L) -> Self {
        Self {
            latch,
            func: UnsafeCell::new(Some(func)),
            result: UnsafeCell::new(JobResult::Pending),
        }
    }

    /// A `JobRef` to this job.
    ///
    /// # Safety
    ///
    /// The job must stay where it is until it has been executed and its latch observed
    /// set, or until the caller took it back with [`take_func`](Self::take_func) after
    /// popping the `JobRef` itself.
    pub(crate) unsafe fn as_job_ref(&self) -> JobRef {
        // SAFETY: forwarded to the caller.
        unsafe { JobRef::new(self) }
    }

    /// Takes the closure back to run it inline (the `JobRef` was popped, not stolen).
    pub(crate) fn take_func(&self) -> Option<F> {
        // SAFETY: the owner pops its own `JobRef` back, so no thief can execute it: the
        // owner is the only one touching `func`.
        self.func.with_mut(|func| unsafe { (*func).take() })
    }

    /// Takes the result after the latch was observed set.
    pub(crate) fn into_result(self) -> JobResult<R> {
        self.result.into_inner()
    }
}

impl<F, R, L> Job for StackJob<F, R, L>
where
    F: FnOnce() -> R + Send,
    R: Send,
    L: Latch,
{
    unsafe fn execute(this: *const Self, _registry: &Registry) {
        // SAFETY: the owner keeps the job alive until its latch is set (as_job_ref's
        // contract); only the thread executing it touches `func` and `result` until then.
        let job = unsafe { &*this };
        // SAFETY: as above: only the executing thread touches `func` now.
        let func = job.func.with_mut(|func| unsafe { (*func).take() });
        let result = match func {
            Some(func) => match std::panic::catch_unwind(std::panic::AssertUnwindSafe(func)) {
                Ok(value) => JobResult::Ok(value),
                Err(payload) => JobResult::Panic(payload),
            },
            None => JobResult::Pending,
        };
        // SAFETY: as above: nobody else reads `result` before the latch is set.
        job.result.with_mut(|slot| unsafe { *slot = result });
        // SAFETY: the latch is live; `set` does not touch it after publishing.
        unsafe { L::set(&job.latch) };
    }
}
