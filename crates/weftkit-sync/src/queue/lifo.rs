//! [`LifoQueue`]: Python's `queue.LifoQueue`, last in, first out.

use super::{Store, queue_flavour};

impl<T> Store for Vec<T> {
    type Item = T;

    fn push(&mut self, item: T) {
        Vec::push(self, item);
    }

    fn pop(&mut self) -> Option<T> {
        Vec::pop(self)
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }
}

queue_flavour! {
    /// A last-in, first-out queue (a stack) shared between threads, bounded or
    /// unbounded, with `task_done`/`join`.
    ///
    /// [`get`](Self::get) returns the item put most recently. Apart from the order it
    /// is a [`Queue`](crate::Queue): the same blocking, `try_`, timed and stop-aware
    /// forms, the same shutdown and join. `Send` and `Sync` when `T` is `Send`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::LifoQueue;
    ///
    /// let stack = LifoQueue::unbounded();
    /// for i in 1..=3 {
    ///     stack.put(i)?;
    /// }
    /// assert_eq!(stack.get()?, 3);
    /// assert_eq!(stack.get()?, 2);
    /// assert_eq!(stack.get()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Differences from Python's `queue.LifoQueue`
    ///
    /// - `LifoQueue` is `LifoQueue<T>`: one item type, checked at compile time.
    pub struct LifoQueue<T>(super::shared::QueueCore<Vec<T>>);
}
