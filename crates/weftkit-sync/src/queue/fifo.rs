//! [`Queue`]: Python's `queue.Queue`, first in, first out.

use std::collections::VecDeque;

use super::{Store, queue_flavour};

impl<T> Store for VecDeque<T> {
    type Item = T;

    fn push(&mut self, item: T) {
        self.push_back(item);
    }

    fn pop(&mut self) -> Option<T> {
        self.pop_front()
    }

    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

queue_flavour! {
    /// A first-in, first-out queue for handing items between threads, bounded or
    /// unbounded, with `task_done`/`join` to wait until every item is processed.
    ///
    /// Items come out in the order they were put. [`put`](Self::put) parks while a
    /// bounded queue is full, [`get`](Self::get) while the queue is empty; both have
    /// non-blocking (`try_`), timed (`_timeout`) and stop-aware (`_stoppable`) forms.
    /// [`shutdown`](Self::shutdown) ends the stream: every parked caller wakes with an
    /// error. `Queue<T>` is `Send` and `Sync` when `T` is `Send`; share it by reference
    /// (scoped threads) or in an `Arc`.
    ///
    /// A bounded queue keeps its items in a ring of `capacity` slots allocated when it
    /// is made, and `put` and `get` claim a slot with one atomic operation, taking no
    /// lock unless they must wait (when the slots would take more than 4 MiB, the
    /// queue grows as items arrive instead, behind a lock, as an unbounded one does).
    ///
    /// See also [`LifoQueue`](crate::LifoQueue) (last in, first out) and
    /// [`PriorityQueue`](crate::PriorityQueue) (lowest first), which have the same
    /// methods.
    ///
    /// # Examples
    ///
    /// A producer and a consumer; the shutdown tells the consumer the stream ended, with
    /// no sentinel item:
    ///
    /// ```
    /// use weftkit::sync::Queue;
    ///
    /// let q = Queue::bounded(2)?;
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         for i in 0..5 {
    ///             q.put(i).unwrap(); // waits while 2 items are queued
    ///         }
    ///         q.shutdown(false); // the items already queued still come out
    ///     });
    ///     let mut got = Vec::new();
    ///     while let Ok(item) = q.get() {
    ///         got.push(item);
    ///     }
    ///     assert_eq!(got, [0, 1, 2, 3, 4]);
    /// });
    /// # Ok::<(), weftkit::sync::ConfigError>(())
    /// ```
    ///
    /// # Differences from Python's `queue.Queue`
    ///
    /// - `Queue` is `Queue<T>`: one item type, checked at compile time.
    pub struct Queue<T>(super::fifo_core::FifoCore<T>);
}
