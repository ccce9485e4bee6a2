//! [`MapUnordered`]: the lazy map that yields results as tasks finish.

use std::collections::VecDeque;
use std::fmt;

use weftkit_shim::sync::Arc;

use super::{plus_input, stop_unread};
use crate::completions::Completions;
use crate::future::Future;
use crate::{TaskError, ThreadPool};

/// One submitted item: its future, or why it could not be submitted.
enum Slot<R> {
    Running(Future<R>),
    Refused(TaskError),
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

impl<'pool, I, F, R> MapUnordered<'pool, I, F, R> {
    pub(super) fn new(pool: &'pool ThreadPool, items: I, f: F, window: usize) -> Self {
        Self {
            pool,
            items,
            f: Arc::new(f),
            next_index: 0,
            slots: Vec::new(),
            free: Vec::new(),
            refused: VecDeque::new(),
            completions: Completions::new(),
            window,
        }
    }
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
impl<I, F, R> Drop for MapUnordered<'_, I, F, R> {
    fn drop(&mut self) {
        for (_, future) in self.slots.iter().flatten() {
            stop_unread(future);
        }
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
