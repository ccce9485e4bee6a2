//! `map` and `map_unordered`: lazy, with a bounded number of tasks in flight.
//!
//! `map` sends items to the workers in batches whose size adapts to the items (see
//! `README.md` beside this file for the design, what the profile showed and why it
//! helps); `map_unordered` sends one task per item and yields them as they finish.

mod batch;
mod kept;
mod ordered;
mod ready;
mod unordered;

pub use ordered::Map;
pub use unordered::MapUnordered;

use crate::ThreadPool;
use crate::future::Future;

/// How many tasks a `map` keeps in flight per worker unless told otherwise.
const WINDOW_PER_WORKER: usize = 4;

impl ThreadPool {
    /// Maps `items` through `f` in the pool, yielding one `Result` per item, in input
    /// order. The arguments come in Python's order, `map(fn, iterable)`, as for every
    /// weft pool. Lazy: at most [`window`](Map::window) tasks are in flight (default 4 per
    /// worker), so an endless iterator runs in constant memory. A failed item yields
    /// its `Err` when it is reached and the map goes on; collect into
    /// `Result<Vec<_>, _>` to stop at the first error instead, as Python's `map` does.
    ///
    /// Items go to the workers in batches, one task per batch. By default the batch
    /// size adapts: the first batches hold one item each (so slow items spread over
    /// every worker, and the first result comes as soon as it is ready), and the size
    /// doubles while batches run for less than about 50 µs, up to 256 KiB of items
    /// (or of results, whichever are larger); a batch that runs long halves it. Tiny
    /// items thus cost one task per few thousand, not one each. The window is counted
    /// in batches: at most `window` batches, so `window * 256 KiB` of items, are taken
    /// ahead of the reader. [`chunksize(n)`](Map::chunksize) fixes the size instead.
    /// A map read to the end leaves its emptied buffers (at most 4 MiB) to the next map
    /// of the same types on the calling thread, which then does not start from fresh
    /// memory.
    ///
    /// Dropping the map cancels the batches that have not started and asks running
    /// ones to stop (they skip their remaining items).
    ///
    /// # Differences from Python's `Executor.map`
    ///
    /// - Python's `ThreadPoolExecutor.map` submits every item at once (an endless
    ///   iterable never returns) and ignores `chunksize`; `ProcessPoolExecutor.map`
    ///   uses it. Here the input is read lazily, and items are batched adaptively
    ///   unless `chunksize(n)` says otherwise.
    /// - A failed item yields `Err` and the map goes on, where Python raises and ends
    ///   the iteration; `collect::<Result<Vec<_>, _>>()` gives Python's behaviour.
    /// - There is no `timeout` argument: the map waits for each item in turn.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let squares: Vec<u64> = pool.map(|n| n * n, 1..=5u64).collect::<Result<_, _>>()?;
    /// assert_eq!(squares, [1, 4, 9, 16, 25]);
    ///
    /// // An endless input is fine: only a few batches are in flight at a time.
    /// let first = pool.map(|n| n + 1, 0u64..).take(3).collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(first, [1, 2, 3]);
    ///
    /// // Tiny items are batched: a million cost a few hundred tasks.
    /// let total: u64 = pool.map(|n| n % 7, 0..1_000_000u64).map(Result::unwrap).sum();
    /// assert_eq!(total, (0..1_000_000u64).map(|n| n % 7).sum());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map<F, I, R>(&self, f: F, items: I) -> Map<'_, I::IntoIter, F, R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        Map::new(self, items.into_iter(), f, self.default_window())
    }

    /// Like [`map`](Self::map), but yields `(index, result)` as soon as each task
    /// finishes, whatever its position in the input.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let mut got: Vec<(usize, u32)> = pool
    ///     .map_unordered(|n| n * 2, vec![3u32, 1, 2])
    ///     .map(|(i, r)| (i, r.unwrap()))
    ///     .collect();
    /// got.sort();
    /// assert_eq!(got, [(0, 6), (1, 2), (2, 4)]);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn map_unordered<F, I, R>(&self, f: F, items: I) -> MapUnordered<'_, I::IntoIter, F, R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        MapUnordered::new(self, items.into_iter(), f, self.default_window())
    }

    /// Tasks a map keeps in flight unless told otherwise.
    fn default_window(&self) -> usize {
        self.max_workers().saturating_mul(WINDOW_PER_WORKER).max(1)
    }
}

#[cfg(feature = "progress")]
impl<I: Iterator, F, R> Map<'_, I, F, R> {
    /// Shows a progress bar (count, rate, ETA) on stderr as results are taken: tqdm's
    /// `thread_map`. See [`Progress`](crate::Progress).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let n = pool.map(|x: u32| x + 1, 0..1_000).progress().count();
    /// assert_eq!(n, 1_000);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "progress")))]
    pub fn progress(self) -> crate::Progress<Self>
    where
        Self: Iterator,
    {
        crate::Progress::new(self)
    }
}

#[cfg(feature = "progress")]
impl<I, F, R> MapUnordered<'_, I, F, R> {
    /// Shows a progress bar on stderr as results are taken. See
    /// [`Progress`](crate::Progress).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let n = pool.map_unordered(|x: u32| x + 1, 0..1_000).progress().count();
    /// assert_eq!(n, 1_000);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "progress")))]
    pub fn progress(self) -> crate::Progress<Self>
    where
        Self: Iterator,
    {
        crate::Progress::new(self)
    }
}

/// A size hint of `held` items plus what the input's `hint` says is left.
fn plus_input(held: usize, (low, high): (usize, Option<usize>)) -> (usize, Option<usize>) {
    (
        held.saturating_add(low),
        high.and_then(|h| h.checked_add(held)),
    )
}

/// A map dropped before its results were read: cancels a task not yet started, and
/// asks a running one to stop (nobody will read what it returns).
fn stop_unread<R>(future: &Future<R>) {
    if !future.cancel() {
        future.request_stop();
    }
}
