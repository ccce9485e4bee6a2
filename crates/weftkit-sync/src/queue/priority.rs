//! [`PriorityQueue`]: Python's `queue.PriorityQueue`, lowest item first.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Store, queue_flavour};

/// `BinaryHeap` is a max-heap; `Reverse` makes it the min-heap Python's `heapq` is.
impl<T: Ord> Store for BinaryHeap<Reverse<T>> {
    type Item = T;

    fn push(&mut self, item: T) {
        BinaryHeap::push(self, Reverse(item));
    }

    fn pop(&mut self) -> Option<T> {
        BinaryHeap::pop(self).map(|Reverse(item)| item)
    }

    fn len(&self) -> usize {
        BinaryHeap::len(self)
    }
}

queue_flavour! {
    /// A queue shared between threads that hands out its smallest item first (by
    /// `Ord`), bounded or unbounded, with `task_done`/`join`.
    ///
    /// Like Python's, it is a binary min-heap: `put` and `get` cost O(log n). Items that
    /// compare equal come out in an unspecified order, not necessarily the order they
    /// were put; for first-in, first-out among equal priorities, put
    /// `(priority, sequence_number, item)` tuples with a counter that increases. For
    /// the largest item first, wrap items in [`std::cmp::Reverse`]. Apart from the
    /// order it is a [`Queue`](crate::Queue): the same blocking, `try_`, timed and
    /// stop-aware forms, the same shutdown and join. `Send` and `Sync` when `T` is
    /// `Send`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::PriorityQueue;
    ///
    /// let jobs = PriorityQueue::unbounded();
    /// jobs.put((2, "write the report"))?;
    /// jobs.put((1, "fix the build"))?;
    /// jobs.put((3, "water the plants"))?;
    /// assert_eq!(jobs.get()?, (1, "fix the build"));
    /// assert_eq!(jobs.get()?, (2, "write the report"));
    /// assert_eq!(jobs.get()?, (3, "water the plants"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Differences from Python's `queue.PriorityQueue`
    ///
    /// - Items are ordered by their `Ord` implementation, checked at compile time
    ///   (`T: Ord` on every method); Python compares entries at run time and raises
    ///   `TypeError` mid-`put` when two cannot be compared. The usual Python
    ///   `(priority, data)` tuple works the same way, as long as `data` is `Ord`; if it
    ///   is not, give the item an `Ord` impl that looks at the priority only (Python's
    ///   `field(compare=False)` recipe).
    pub struct PriorityQueue<T: Ord>(super::shared::QueueCore<BinaryHeap<Reverse<T>>>);
}
