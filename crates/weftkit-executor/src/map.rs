//! `map` and `map_unordered`: lazy, with a bounded number of tasks in flight.

use std::collections::VecDeque;
use std::fmt;

use weftkit_shim::sync::Arc;

use crate::completions::Completions;
use crate::future::Future;
use crate::{TaskError, ThreadPool};

/// How many tasks a `map` keeps in flight per worker unless told otherwise.
const WINDOW_PER_WORKER: usize = 4;

/// One submitted item: its future, or why it could not be submitted.
enum Slot<R> {
    Running(Future<R>),
    Refused(TaskError),
}

impl<R> Slot<R> {
    fn into_result(self) -> Result<R, TaskError> {
        match self {
            Self::Running(future) => future.result(),
            Self::Refused(error) => Err(error),
        }
    }
}

/// A submitted chunk of a `map`: one `Result` per item once it ran.
type ChunkSlot<R> = Slot<Vec<Result<R, TaskError>>>;

/// Lazily maps an iterator through a pool, yielding one `Result` per item in input
/// order; made by [`ThreadPool::map`].
///
/// Dropping it before the end cancels the tasks it submitted that have not started
/// (as Python's `map` iterator does when it is closed); running ones are asked to stop
/// ([`Future::request_stop`](crate::Future::request_stop)) and finish.
#[must_use = "a map is lazy: nothing is submitted until it is iterated"]
pub struct Map<'pool, I, F, R> {
    pool: &'pool ThreadPool,
    items: I,
    f: Arc<F>,
    /// Submitted chunks, oldest first, with their sizes.
    in_flight: VecDeque<(ChunkSlot<R>, usize)>,
    /// Results of the oldest chunk not yet yielded.
    ready: std::vec::IntoIter<Result<R, TaskError>>,
    window: usize,
    chunksize: usize,
}

/// Lazily maps an iterator through a pool, yielding `(index, Result)` pairs as tasks
/// finish; made by [`ThreadPool::map_unordered`].
///
/// Dropping it before the end cancels the tasks it submitted that have not started;
/// running ones are asked to stop and finish.
#[must_use = "a map is lazy: nothing is submitted until it is iterated"]
pub struct MapUnordered<'pool, I, F, R> {
    pool: &'pool ThreadPool,
    items: I,
    f: Arc<F>,
    next_index: usize,
    slots: Vec<Option<(usize, Future<R>)>>,
    free: Vec<usize>,
    refused: VecDeque<(usize, TaskError)>,
    completions: Arc<Completions>,
    window: usize,
}

fn submit_item<T, F, R>(pool: &ThreadPool, f: &Arc<F>, item: T) -> Slot<R>
where
    T: Send + 'static,
    F: Fn(T) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    let f = Arc::clone(f);
    match pool.submit_blocking(move || f(item)) {
        Ok(future) => Slot::Running(future),
        Err(refused) => Slot::Refused(refused.into_task_error()),
    }
}

impl ThreadPool {
    /// Maps `items` through `f` in the pool, yielding one `Result` per item, in input
    /// order. The arguments come in Python's order, `map(fn, iterable)`, as for every
    /// weft pool. Lazy: at most [`window`](Map::window) tasks are in flight (default 4 per
    /// worker), so an endless iterator runs in constant memory. A failed item yields
    /// its `Err` and the map goes on; collect into `Result<Vec<_>, _>` to stop at the
    /// first error instead, as Python's `map` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let squares: Vec<u64> = pool.map(|n| n * n, 1..=5u64).collect::<Result<_, _>>()?;
    /// assert_eq!(squares, [1, 4, 9, 16, 25]);
    ///
    /// // An endless input is fine: only a few items are in flight at a time.
    /// let first = pool.map(|n| n + 1, 0u64..).take(3).collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(first, [1, 2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map<F, I, R>(&self, f: F, items: I) -> Map<'_, I::IntoIter, F, R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        Map {
            pool: self,
            items: items.into_iter(),
            f: Arc::new(f),
            in_flight: VecDeque::new(),
            ready: Vec::new().into_iter(),
            window: self.max_workers().saturating_mul(WINDOW_PER_WORKER).max(1),
            chunksize: 1,
        }
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
        MapUnordered {
            pool: self,
            items: items.into_iter(),
            f: Arc::new(f),
            next_index: 0,
            slots: Vec::new(),
            free: Vec::new(),
            refused: VecDeque::new(),
            completions: Completions::new(),
            window: self.max_workers().saturating_mul(WINDOW_PER_WORKER).max(1),
        }
    }
}

impl<I, F, R> Map<'_, I, F, R> {
    /// Sends items to the workers `n` at a time (at least 1; default 1): one task maps
    /// a whole chunk, so tiny items cost one task per chunk instead of one each. Each
    /// item still gets its own `Result` (a panic fails only its item).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let total: u64 = pool.map(|n| n % 3, 0..100_000u64).chunksize(1_000).map(Result::unwrap).sum();
    /// assert_eq!(total, (0..100_000u64).map(|n| n % 3).sum());
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn chunksize(mut self, n: usize) -> Self {
        self.chunksize = n.max(1);
        self
    }

    /// Sets how many tasks (chunks) may be in flight at once (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let n = pool.map(|x| x, 0..100).window(8).count();
    /// assert_eq!(n, 100);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn window(mut self, tasks: usize) -> Self {
        self.window = tasks.max(1);
        self
    }
}

impl<I, F, R> Iterator for Map<'_, I, F, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(result) = self.ready.next() {
                return Some(result);
            }
            while self.in_flight.len() < self.window {
                let chunk: Vec<I::Item> = self.items.by_ref().take(self.chunksize).collect();
                if chunk.is_empty() {
                    break;
                }
                let size = chunk.len();
                let f = Arc::clone(&self.f);
                let mapper = Arc::new(move |chunk: Vec<I::Item>| map_chunk(&*f, chunk));
                self.in_flight
                    .push_back((submit_item(self.pool, &mapper, chunk), size));
            }
            let (chunk, size) = self.in_flight.pop_front()?;
            self.ready = match chunk.into_result() {
                Ok(results) => results.into_iter(),
                // The chunk's task did not run (cancelled, pool broken): every item
                // of it fails the same way.
                Err(error) => (0..size)
                    .map(|_| Err(error.clone()))
                    .collect::<Vec<_>>()
                    .into_iter(),
            };
        }
    }

    /// Items not yielded yet: those ready, those in flight, and what the input has
    /// left (so a progress bar knows its length).
    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = self
            .in_flight
            .iter()
            .fold(self.ready.len(), |n, (_, size)| n.saturating_add(*size));
        plus_input(held, self.items.size_hint())
    }
}

#[cfg(feature = "progress")]
impl<I, F, R> Map<'_, I, F, R> {
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

/// Maps one chunk, catching each item's panic so it fails only that item.
fn map_chunk<T, R>(f: &impl Fn(T) -> R, chunk: Vec<T>) -> Vec<Result<R, TaskError>> {
    chunk
        .into_iter()
        .map(|item| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item))).map_err(|panic| {
                TaskError::Panicked {
                    message: crate::error::panic_message(&*panic),
                }
            })
        })
        .collect()
}

impl<I, F, R> MapUnordered<'_, I, F, R> {
    /// Sets how many tasks may be in flight at once (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// assert_eq!(pool.map_unordered(|x| x, 0..50).window(4).count(), 50);
    /// # Ok::<(), weftkit::executor::BuildError>(())
    /// ```
    pub fn window(mut self, tasks: usize) -> Self {
        self.window = tasks.max(1);
        self
    }
}

impl<I, F, R> Iterator for MapUnordered<'_, I, F, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    type Item = (usize, Result<R, TaskError>);

    fn next(&mut self) -> Option<Self::Item> {
        while self.slots.len() - self.free.len() < self.window {
            let Some(item) = self.items.next() else { break };
            let index = self.next_index;
            self.next_index += 1;
            match submit_item(self.pool, &self.f, item) {
                Slot::Running(future) => {
                    let slot = self.free.pop().unwrap_or_else(|| {
                        self.slots.push(None);
                        self.slots.len() - 1
                    });
                    // Every future of the map completes, taking its waker along.
                    let _ = Completions::watch(&self.completions, slot, &future);
                    self.slots[slot] = Some((index, future));
                }
                Slot::Refused(error) => self.refused.push_back((index, error)),
            }
        }
        if let Some(refused) = self.refused.pop_front() {
            return Some((refused.0, Err(refused.1)));
        }
        if self.slots.len() == self.free.len() {
            return None;
        }
        let slot = self.completions.next(None, Some(self.pool.registry()))?;
        let (index, future) = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        Some((index, future.result()))
    }

    /// Items not yielded yet: refused, in flight, and what the input has left.
    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = (self.slots.len() - self.free.len()).saturating_add(self.refused.len());
        plus_input(held, self.items.size_hint())
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

impl<I, F, R> Drop for Map<'_, I, F, R> {
    fn drop(&mut self) {
        for (slot, _) in &self.in_flight {
            if let Slot::Running(future) = slot {
                stop_unread(future);
            }
        }
    }
}

impl<I, F, R> Drop for MapUnordered<'_, I, F, R> {
    fn drop(&mut self) {
        for (_, future) in self.slots.iter().flatten() {
            stop_unread(future);
        }
    }
}

impl<I, F, R> fmt::Debug for Map<'_, I, F, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.in_flight.len())
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl<I, F, R> fmt::Debug for MapUnordered<'_, I, F, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapUnordered")
            .field("in_flight", &(self.slots.len() - self.free.len()))
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}
