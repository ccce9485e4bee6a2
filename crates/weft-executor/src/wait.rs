//! `as_completed` and `wait`: waiting on many futures at once.

use std::fmt;

use weft_shim::sync::Arc;
use weft_shim::time::{Duration, Instant};

use crate::completions::Completions;
use crate::future::{Future, WakerKey};
use crate::registry::current_worker;

/// When [`wait`] returns (Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`).
///
/// # Examples
///
/// ```
/// use weft::executor::{wait, ReturnWhen, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = vec![pool.submit(|| 1)?, pool.submit(|| -> i32 { panic!("bad row") })?];
/// let waited = wait(&futures, ReturnWhen::FirstException, None);
/// assert!(waited.done.iter().any(|&i| futures[i].failed()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any future is done (or cancelled).
    FirstCompleted,
    /// As soon as any future fails (panics, or its pool broke); else when all are done.
    FirstException,
    /// When every future is done.
    AllCompleted,
}

/// What [`wait`] found: indices into the slice it was given.
///
/// # Examples
///
/// ```
/// use weft::executor::{wait, ReturnWhen, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = vec![pool.submit(|| 1)?, pool.submit(|| 2)?];
/// let waited = wait(&futures, ReturnWhen::AllCompleted, None);
/// assert_eq!((waited.done.len(), waited.not_done.len()), (2, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Waited {
    /// Futures done when `wait` returned.
    pub done: Vec<usize>,
    /// Futures still pending or running.
    pub not_done: Vec<usize>,
}

/// Waits until `return_when` holds for `futures`, or `timeout` passes, and says which
/// are done. The futures stay where they are; take results afterwards.
///
/// Called from inside a pool task, the worker helps its pool while it waits (within
/// the timeout, if there is one: it starts no task after the deadline).
///
/// # Examples
///
/// ```
/// use weft::executor::{ReturnWhen, ThreadPool, wait};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = vec![pool.submit(|| 1)?, pool.submit(|| 2)?];
/// let waited = wait(&futures, ReturnWhen::AllCompleted, None);
/// assert_eq!(waited.done.len(), 2);
/// assert!(waited.not_done.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Differences from Python's `concurrent.futures.wait`
///
/// Python returns two sets of futures; this returns two lists of indices into the
/// slice, so the futures (which are not `Clone`) stay with the caller.
pub fn wait<T>(
    futures: &[Future<T>],
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> Waited {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let satisfied = || match return_when {
        ReturnWhen::FirstCompleted => futures.is_empty() || futures.iter().any(Future::done),
        ReturnWhen::FirstException => {
            futures.iter().any(Future::failed) || futures.iter().all(Future::done)
        }
        ReturnWhen::AllCompleted => futures.iter().all(Future::done),
    };
    if !satisfied() {
        let completions = Completions::new();
        let keys: Vec<_> = futures
            .iter()
            .enumerate()
            .map(|(index, future)| Completions::watch(&completions, index, future))
            .collect();
        let registry = current_worker().map(|w| Arc::clone(w.registry()));
        while !satisfied() {
            if completions.next(deadline, registry.as_ref()).is_none() {
                break; // timed out
            }
        }
        // Futures still pending would keep these wakers until they complete: a loop
        // of timed waits on a long task would pile them up.
        for (future, key) in futures.iter().zip(keys) {
            Completions::unwatch(future, key);
        }
    }
    let (done, not_done) = (0..futures.len()).partition(|&i| futures[i].done());
    Waited { done, not_done }
}

/// Yields the futures as they complete (finished, failed or cancelled), first done
/// first; made by [`as_completed`] and [`as_completed_timeout`].
///
/// # Differences from Python's `concurrent.futures.as_completed`
///
/// When the timeout passes, Python raises `TimeoutError` out of the loop; here the
/// iterator ends, [`timed_out`](Self::timed_out) says whether it ended that way, and
/// [`into_remaining`](Self::into_remaining) hands back the futures not yet done.
#[must_use = "as_completed is lazy: iterate it to receive the futures"]
pub struct AsCompleted<T> {
    /// Futures not yielded yet, with the key of the waker each holds for us.
    futures: Vec<Option<(Future<T>, Option<WakerKey>)>>,
    remaining: usize,
    completions: Arc<Completions>,
    deadline: Option<Instant>,
    timed_out: bool,
}

/// Yields each future when it is done, in completion order (Python's `as_completed`).
///
/// # Examples
///
/// ```
/// use weft::executor::{as_completed, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = (0..4).map(|i| pool.submit(move || i * 10)).collect::<Result<Vec<_>, _>>()?;
/// let mut results: Vec<i32> = as_completed(futures).map(|f| f.result().unwrap()).collect();
/// results.sort();
/// assert_eq!(results, [0, 10, 20, 30]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn as_completed<T>(futures: impl IntoIterator<Item = Future<T>>) -> AsCompleted<T> {
    AsCompleted::new(futures, None)
}

/// Like [`as_completed`], but gives up when `timeout` has passed: the iterator then
/// ends, [`timed_out`](AsCompleted::timed_out) says so, and
/// [`into_remaining`](AsCompleted::into_remaining) hands back the futures not yet done.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weft::executor::{as_completed_timeout, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = vec![pool.submit(|| 1)?];
/// let mut it = as_completed_timeout(futures, Duration::from_secs(30));
/// assert_eq!(it.next().map(|f| f.result().unwrap()), Some(1));
/// assert!(it.next().is_none() && !it.timed_out());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn as_completed_timeout<T>(
    futures: impl IntoIterator<Item = Future<T>>,
    timeout: Duration,
) -> AsCompleted<T> {
    AsCompleted::new(futures, Instant::now().checked_add(timeout))
}

impl<T> AsCompleted<T> {
    fn new(futures: impl IntoIterator<Item = Future<T>>, deadline: Option<Instant>) -> Self {
        let completions = Completions::new();
        let futures: Vec<_> = futures
            .into_iter()
            .enumerate()
            .map(|(index, future)| {
                let key = Completions::watch(&completions, index, &future);
                Some((future, key))
            })
            .collect();
        Self {
            remaining: futures.len(),
            futures,
            completions,
            deadline,
            timed_out: false,
        }
    }

    /// Whether the timeout passed before every future was yielded.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft::executor::{as_completed_timeout, ThreadPool};
    /// use weft::sync::Event;
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// let gate = std::sync::Arc::new(Event::new());
    /// let held = std::sync::Arc::clone(&gate);
    /// let slow = pool.submit(move || held.wait())?;
    /// let mut it = as_completed_timeout(vec![slow], Duration::ZERO);
    /// assert!(it.next().is_none() && it.timed_out());
    /// assert_eq!(it.into_remaining().len(), 1); // still pending: wait for it again later
    /// gate.set();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// The futures not yielded yet (see [`timed_out`](Self::timed_out) for an example).
    pub fn into_remaining(mut self) -> Vec<Future<T>> {
        std::mem::take(&mut self.futures)
            .into_iter()
            .flatten()
            .map(|(future, key)| {
                Completions::unwatch(&future, key);
                future
            })
            .collect()
    }
}

impl<T> Iterator for AsCompleted<T> {
    type Item = Future<T>;

    fn next(&mut self) -> Option<Future<T>> {
        if self.remaining == 0 || self.timed_out {
            return None;
        }
        let registry = current_worker().map(|w| Arc::clone(w.registry()));
        match self.completions.next(self.deadline, registry.as_ref()) {
            Some(index) => {
                self.remaining -= 1;
                // Its waker ran (that is how the index got here): nothing to remove.
                self.futures
                    .get_mut(index)
                    .and_then(Option::take)
                    .map(|(future, _)| future)
            }
            None => {
                self.timed_out = true;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining))
    }
}

impl<T> Drop for AsCompleted<T> {
    /// Takes this iterator's wakers off the futures not yielded (they may live on,
    /// in their jobs, long after the iterator is gone).
    fn drop(&mut self) {
        for (future, key) in self.futures.iter().flatten() {
            Completions::unwatch(future, *key);
        }
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .field("timed_out", &self.timed_out)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
