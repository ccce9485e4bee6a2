//! `as_completed` and `wait`: waiting on many futures at once.

use std::fmt;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::{Duration, Instant};

use crate::completions::Completions;
use crate::future::{Future, WakerKey};
use crate::registry::current_worker;
use crate::shared_future::SharedFuture;

/// Something that stands for one future, so that [`as_completed`] and [`wait`] can
/// watch it and hand it back: a [`Future`], a borrowed `&Future`, a [`SharedFuture`],
/// or a `(key, future)` pair, whose key comes back with it.
///
/// The pair is how Python's `future_to_url[future]` reads in Rust: pass the pairs (a
/// `HashMap<K, Future<T>>` works as it is), and each future comes back with its key.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use weftkit::executor::{as_completed, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let mut by_name = HashMap::new();
/// for name in ["a", "bb", "ccc"] {
///     by_name.insert(name, pool.submit(move || name.len())?);
/// }
/// for (name, future) in as_completed(by_name) {
///     assert_eq!(future.result()?, name.len());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not stand for a future",
    label = "expected a Future, a &Future, a SharedFuture or a (key, future) pair",
    note = "a map keyed by future iterates as (future, key): pass `map.keys()`, or key the map by input (`HashMap<K, Future<T>>`) to get (key, future) pairs back"
)]
pub trait AsFuture {
    /// The value the task returns.
    type Output;

    /// The future this item stands for.
    fn as_future(&self) -> &Future<Self::Output>;
}

impl<T> AsFuture for Future<T> {
    type Output = T;

    fn as_future(&self) -> &Future<T> {
        self
    }
}

impl<T> AsFuture for SharedFuture<T> {
    type Output = T;

    fn as_future(&self) -> &Future<T> {
        self.future()
    }
}

/// A borrowed item (`&Future`, `&SharedFuture`, `&(key, future)`) stands for what it
/// borrows, and comes back borrowed.
impl<F: AsFuture + ?Sized> AsFuture for &F {
    type Output = F::Output;

    fn as_future(&self) -> &Future<F::Output> {
        (**self).as_future()
    }
}

impl<K, F: AsFuture> AsFuture for (K, F) {
    type Output = F::Output;

    fn as_future(&self) -> &Future<F::Output> {
        self.1.as_future()
    }
}

/// When [`wait`] returns (Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`).
///
/// # Examples
///
/// ```
/// use weftkit::executor::{wait, ReturnWhen, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = vec![pool.submit(|| 1)?, pool.submit(|| -> i32 { panic!("bad row") })?];
/// let waited = wait(&futures, ReturnWhen::FirstException, None);
/// assert!(waited.done.iter().any(|f| f.failed()));
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

/// What [`wait`] found: the items it was given, split into those done and those not
/// (Python's `done, not_done` pair of sets).
///
/// # Examples
///
/// ```
/// use weftkit::executor::{wait, ReturnWhen, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = vec![pool.submit(|| 1)?, pool.submit(|| 2)?];
/// let waited = wait(&futures, ReturnWhen::AllCompleted, None);
/// assert_eq!((waited.done.len(), waited.not_done.len()), (2, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waited<F> {
    /// Items whose future was done when `wait` returned, in the order given.
    pub done: Vec<F>,
    /// Items whose future was still pending or running, in the order given.
    pub not_done: Vec<F>,
}

impl<F> Default for Waited<F> {
    /// Nothing done, nothing pending: what waiting on no futures finds.
    fn default() -> Self {
        Self {
            done: Vec::new(),
            not_done: Vec::new(),
        }
    }
}

/// Waits until `return_when` holds for `futures`, or `timeout` passes, and splits
/// them into those done and those not. Each item is a [`Future`], a `&Future` (pass
/// `&futures` to keep them where they are), a [`SharedFuture`], or a `(key, future)`
/// pair (see [`AsFuture`]); they come back as given.
///
/// Called from inside a pool task, the worker helps its pool while it waits (within
/// the timeout, if there is one: it starts no task after the deadline).
///
/// # Examples
///
/// ```
/// use weftkit::executor::{ReturnWhen, ThreadPool, wait};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = vec![pool.submit(|| 1)?, pool.submit(|| 2)?];
/// let waited = wait(&futures, ReturnWhen::AllCompleted, None);
/// assert_eq!(waited.done.len(), 2);
/// assert!(waited.not_done.is_empty());
///
/// // With keys: the done ones come back with their inputs.
/// let jobs = vec![("small", pool.submit(|| 1)?), ("large", pool.submit(|| 1_000)?)];
/// let waited = wait(jobs, ReturnWhen::AllCompleted, None);
/// for (name, future) in waited.done {
///     println!("{name}: {}", future.result()?);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Differences from Python's `concurrent.futures.wait`
///
/// Python returns two sets; this returns two lists in the order given. Pass `&futures`
/// to get references back and keep the futures where they are, or the futures (or
/// `(key, future)` pairs) by value to get them back owned. Python's sets drop a future
/// given twice; here each item comes back as often as it was given (items are not
/// always comparable: a pair's key need not be).
pub fn wait<F: AsFuture>(
    futures: impl IntoIterator<Item = F>,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> Waited<F> {
    let items: Vec<F> = futures.into_iter().collect();
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let satisfied = || {
        let mut all = items.iter().map(AsFuture::as_future);
        match return_when {
            ReturnWhen::FirstCompleted => items.is_empty() || all.any(Future::done),
            ReturnWhen::FirstException => {
                items.iter().any(|f| f.as_future().failed()) || all.all(Future::done)
            }
            ReturnWhen::AllCompleted => all.all(Future::done),
        }
    };
    if !satisfied() {
        let completions = Completions::new();
        let keys: Vec<_> = items
            .iter()
            .enumerate()
            .map(|(index, item)| Completions::watch(&completions, index, item.as_future()))
            .collect();
        let registry = current_worker().map(|w| Arc::clone(w.registry()));
        // Each item posts its index once, when it is done (at once if it already
        // was): count the posts instead of scanning every item after each one, which
        // made waiting for all of n futures cost n² checks.
        let mut posted = 0;
        // `None`: the deadline passed first.
        while let Some(index) = completions.next(deadline, registry.as_ref()) {
            posted += 1;
            let failed = items.get(index).is_some_and(|f| f.as_future().failed());
            let enough = match return_when {
                ReturnWhen::FirstCompleted => true,
                ReturnWhen::FirstException => failed || posted == items.len(),
                ReturnWhen::AllCompleted => posted == items.len(),
            };
            if enough {
                break;
            }
        }
        // Futures still pending would keep these wakers until they complete: a loop
        // of timed waits on a long task would pile them up.
        for (item, key) in items.iter().zip(keys) {
            Completions::unwatch(item.as_future(), key);
        }
    }
    let (done, not_done) = items.into_iter().partition(|f| f.as_future().done());
    Waited { done, not_done }
}

/// Yields the futures as they complete (finished, failed or cancelled), first done
/// first; made by [`as_completed`] and [`as_completed_timeout`]. Each item comes back
/// as it was given: a [`Future`], a `&Future`, a [`SharedFuture`], or a
/// `(key, future)` pair (see [`AsFuture`]).
///
/// # Differences from Python's `concurrent.futures.as_completed`
///
/// - When the timeout passes, Python raises `TimeoutError` out of the loop; here the
///   iterator ends, [`timed_out`](Self::timed_out) says whether it ended that way, and
///   [`into_remaining`](Self::into_remaining) hands back the items not yet done.
/// - Python's `future_to_url[future]` lookup is a `(url, future)` pair here: the key
///   comes back with its future.
/// - Python yields a future given twice once (it makes a set of them); here each item
///   is yielded as often as it was given. Futures can also be map keys themselves
///   ([`Future::id`], `Eq` and `Hash` by identity).
#[must_use = "as_completed is lazy: iterate it to receive the futures"]
pub struct AsCompleted<F: AsFuture> {
    /// Items not yielded yet, with the key of the waker each holds for us.
    futures: Vec<Option<(F, Option<WakerKey>)>>,
    remaining: usize,
    completions: Arc<Completions>,
    deadline: Option<Instant>,
    timed_out: bool,
}

/// Yields each future when it is done, in completion order (Python's `as_completed`).
///
/// Give it futures, `&futures`, shared futures, or `(key, future)` pairs — a
/// `HashMap<K, Future<T>>` as it is — and each comes back as given, so the input a
/// future was made from is at hand when it completes.
///
/// # Examples
///
/// ```
/// use weftkit::executor::{as_completed, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = (0..4).map(|i| pool.submit(move || i * 10)).collect::<Result<Vec<_>, _>>()?;
/// let mut results: Vec<i32> = as_completed(futures).map(|f| f.result().unwrap()).collect();
/// results.sort();
/// assert_eq!(results, [0, 10, 20, 30]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Python's documented `ThreadPoolExecutor` example, where each future is looked up
/// to find the URL it loads, keeps the URL with its future:
///
/// ```
/// use std::collections::HashMap;
/// use weftkit::executor::{as_completed, ThreadPool};
///
/// const URLS: [&str; 3] = ["http://www.foxnews.com/", "http://www.cnn.com/", "http://some-made-up-domain.com/"];
///
/// // Retrieve a single page and report the length of its body (no network here).
/// fn load_url(url: &str, _timeout_secs: u64) -> Result<Vec<u8>, String> {
///     if url.contains("made-up") {
///         return Err(format!("cannot resolve {url}"));
///     }
///     Ok(url.repeat(100).into_bytes())
/// }
///
/// // `with ThreadPoolExecutor(max_workers=5) as executor:`
/// let executor = ThreadPool::builder().max_workers(5).build()?;
/// // `future_to_url = {executor.submit(load_url, url, 60): url for url in URLS}`
/// let mut future_to_url = HashMap::new();
/// for url in URLS {
///     future_to_url.insert(url, executor.submit(move || load_url(url, 60))?);
/// }
/// // `for future in as_completed(future_to_url): url = future_to_url[future]`
/// for (url, future) in as_completed(future_to_url) {
///     match future.result() {
///         Ok(Ok(data)) => println!("{url:?} page is {} bytes", data.len()),
///         Ok(Err(exc)) => println!("{url:?} generated an exception: {exc}"),
///         Err(exc) => println!("{url:?} generated an exception: {exc}"),
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn as_completed<F: AsFuture>(futures: impl IntoIterator<Item = F>) -> AsCompleted<F> {
    AsCompleted::new(futures, None)
}

/// Like [`as_completed`], but gives up when `timeout` has passed: the iterator then
/// ends, [`timed_out`](AsCompleted::timed_out) says so, and
/// [`into_remaining`](AsCompleted::into_remaining) hands back the items not yet done.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::executor::{as_completed_timeout, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let futures = vec![pool.submit(|| 1)?];
/// let mut it = as_completed_timeout(futures, Duration::from_secs(30));
/// assert_eq!(it.next().map(|f| f.result().unwrap()), Some(1));
/// assert!(it.next().is_none() && !it.timed_out());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn as_completed_timeout<F: AsFuture>(
    futures: impl IntoIterator<Item = F>,
    timeout: Duration,
) -> AsCompleted<F> {
    AsCompleted::new(futures, Instant::now().checked_add(timeout))
}

impl<F: AsFuture> AsCompleted<F> {
    fn new(futures: impl IntoIterator<Item = F>, deadline: Option<Instant>) -> Self {
        let completions = Completions::new();
        let futures: Vec<_> = futures
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                let key = Completions::watch(&completions, index, item.as_future());
                Some((item, key))
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
    /// use weftkit::executor::{as_completed_timeout, ThreadPool};
    /// use weftkit::sync::Event;
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// let gate = std::sync::Arc::new(Event::new());
    /// let held = std::sync::Arc::clone(&gate);
    /// let slow = pool.submit(move || held.wait())?;
    /// let mut it = as_completed_timeout(vec![("slow", slow)], Duration::ZERO);
    /// assert!(it.next().is_none() && it.timed_out());
    /// let remaining = it.into_remaining(); // still pending: wait for them again later
    /// assert_eq!(remaining[0].0, "slow");
    /// gate.set();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// Shows a progress bar on stderr as futures complete, its length the number of
    /// futures given. See [`Progress`](crate::Progress).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::{as_completed, ThreadPool};
    ///
    /// let pool = ThreadPool::builder().build()?;
    /// let futures = (0..100).map(|i| pool.submit(move || i)).collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(as_completed(futures).progress().count(), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "progress")]
    #[cfg_attr(docsrs, doc(cfg(feature = "progress")))]
    pub fn progress(self) -> crate::Progress<Self> {
        let bar = indicatif::ProgressBar::new(u64::try_from(self.remaining).unwrap_or(u64::MAX));
        crate::Progress::with_bar(self, bar)
    }

    /// The items not yielded yet, in the order given (see
    /// [`timed_out`](Self::timed_out) for an example).
    pub fn into_remaining(mut self) -> Vec<F> {
        std::mem::take(&mut self.futures)
            .into_iter()
            .flatten()
            .map(|(item, key)| {
                Completions::unwatch(item.as_future(), key);
                item
            })
            .collect()
    }
}

impl<F: AsFuture> Iterator for AsCompleted<F> {
    type Item = F;

    fn next(&mut self) -> Option<F> {
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
                    .map(|(item, _)| item)
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

impl<F: AsFuture> Drop for AsCompleted<F> {
    /// Takes this iterator's wakers off the futures not yielded (they may live on,
    /// in their jobs, long after the iterator is gone).
    fn drop(&mut self) {
        for (item, key) in self.futures.iter().flatten() {
            Completions::unwatch(item.as_future(), *key);
        }
    }
}

impl<F: AsFuture> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .field("timed_out", &self.timed_out)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
