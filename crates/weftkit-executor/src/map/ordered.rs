//! [`Map`]: the ordered, lazy map, batching items into tasks.

use std::collections::VecDeque;
use std::fmt;

use weftkit_shim::sync::Arc;

use super::batch::{self, Batch, Chunking};
use super::kept;
use super::ready::Ready;
use super::{plus_input, stop_unread};
use crate::future::Future;
use crate::{TaskError, ThreadPool};

/// A submitted batch: its future and how many items it holds, or why it could not be
/// submitted.
enum InFlight<T, R> {
    Running(Future<Batch<T, R>>, usize),
    Refused(TaskError, usize),
}

impl<T, R> InFlight<T, R> {
    fn len(&self) -> usize {
        match self {
            Self::Running(_, len) | Self::Refused(_, len) => *len,
        }
    }
}

/// Lazily maps an iterator through a pool, yielding one `Result` per item in input
/// order; made by [`ThreadPool::map`].
///
/// Items go to the workers in batches, one task per batch: by default the batch size
/// adapts to how long items take (see [`ThreadPool::map`]); [`chunksize`](Self::chunksize)
/// fixes it.
///
/// Dropping it before the end cancels the tasks it submitted that have not started
/// (as Python's `map` iterator does when it is closed); running ones are asked to stop
/// ([`Future::request_stop`](crate::Future::request_stop)) and skip their remaining
/// items.
#[must_use = "a map is lazy: nothing is submitted until it is iterated"]
pub struct Map<'pool, I: Iterator, F, R> {
    pool: &'pool ThreadPool,
    items: I,
    f: Arc<F>,
    /// Submitted batches, oldest first.
    in_flight: VecDeque<InFlight<I::Item, R>>,
    /// Emptied buffers of finished batches, reused so that a long map does not
    /// allocate (and fault in) fresh memory for every batch; left on the thread for
    /// the next map when this one is dropped.
    spare: kept::Buffers<I::Item, R>,
    /// The oldest batch's results not yet yielded.
    ready: Ready<R>,
    /// Batches in flight at most.
    window: usize,
    chunking: Chunking,
}

impl<'pool, I: Iterator, F, R> Map<'pool, I, F, R> {
    pub(super) fn new(pool: &'pool ThreadPool, items: I, f: F, window: usize) -> Self
    where
        I::Item: 'static,
        R: 'static,
    {
        Self {
            pool,
            items,
            f: Arc::new(f),
            in_flight: VecDeque::new(),
            spare: kept::take::<I::Item, R>(),
            ready: Ready::default(),
            window,
            chunking: Chunking::adaptive::<I::Item, R>(),
        }
    }

    /// Sends items to the workers `n` at a time (at least 1): one task maps a whole
    /// chunk, and each item still gets its own `Result` (a panic fails only its item).
    /// Without it the size adapts to the items, which suits most maps; a fixed size
    /// is for when you know better (Python's `ProcessPoolExecutor.map` takes the same
    /// `chunksize`). With it, at most `window * n` items are taken ahead.
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
        self.chunking = Chunking::Fixed(n.max(1));
        self
    }

    /// Sets how many tasks (batches) may be in flight at once (at least 1; default 4
    /// per worker).
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

impl<I, F, R> Map<'_, I, F, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    /// Tops the window up with batches, then makes the oldest one ready (waiting for
    /// it); `false` when the input is done and nothing is in flight.
    fn refill(&mut self) -> bool {
        while self.in_flight.len() < self.window {
            let size = self.chunking.size();
            let (mut chunk, values) = self.spare.pop().unwrap_or_default();
            chunk.extend(self.items.by_ref().take(size));
            if chunk.is_empty() {
                self.spare.push((chunk, values));
                break;
            }
            let len = chunk.len();
            let f = Arc::clone(&self.f);
            self.in_flight.push_back(
                match self
                    .pool
                    .submit_blocking(move || batch::run(&*f, chunk, values))
                {
                    Ok(future) => InFlight::Running(future, len),
                    Err(refused) => InFlight::Refused(refused.into_task_error(), len),
                },
            );
        }
        let Some(oldest) = self.in_flight.pop_front() else {
            // The map is done: leave its buffers to the next map on this thread.
            if let Some(values) = self.ready.take_buffer() {
                self.spare.push((Vec::new(), values));
            }
            kept::keep(std::mem::take(&mut self.spare));
            return false;
        };
        let spent = self.ready.take_buffer();
        self.ready = match oldest {
            InFlight::Running(future, len) => match future.result() {
                Ok(mut batch) => {
                    self.chunking.learn(batch.took);
                    if let Some(values) = spent {
                        let items = std::mem::take(&mut batch.items);
                        self.spare.push((items, values));
                    }
                    Ready::ran(batch, len)
                }
                Err(error) => Ready::failed(&error, len),
            },
            InFlight::Refused(error, len) => Ready::failed(&error, len),
        };
        true
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
            if !self.refill() {
                return None;
            }
        }
    }

    /// Reads each finished batch in one pass (`sum`, `for_each` and `count` come here).
    fn fold<B, G>(mut self, init: B, mut g: G) -> B
    where
        G: FnMut(B, Self::Item) -> B,
    {
        let mut acc = init;
        loop {
            acc = self.ready.fold(acc, &mut g);
            if !self.refill() {
                return acc;
            }
        }
    }

    /// Items not yielded yet: those ready, those in flight, and what the input has
    /// left (so a progress bar knows its length).
    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = self
            .in_flight
            .iter()
            .fold(self.ready.len(), |n, batch| n.saturating_add(batch.len()));
        plus_input(held, self.items.size_hint())
    }
}

impl<I: Iterator, F, R> Drop for Map<'_, I, F, R> {
    fn drop(&mut self) {
        for batch in &self.in_flight {
            if let InFlight::Running(future, _) = batch {
                stop_unread(future);
            }
        }
    }
}

impl<I: Iterator, F, R> fmt::Debug for Map<'_, I, F, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.in_flight.len())
            .field("window", &self.window)
            .field("chunking", &self.chunking)
            .finish_non_exhaustive()
    }
}
