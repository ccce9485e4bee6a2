//! A completion inbox: futures post their index when done; one consumer takes them
//! in completion order (`as_completed`, `wait`, `map_unordered`).

use std::collections::VecDeque;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::Instant;
use weftkit_sync::Condition;

use crate::future::Future;
use crate::future::WakerKey;
use crate::registry::{Limit, Registry, current_worker};

type Waker = Box<dyn FnOnce() + Send>;

struct Inbox {
    ready: VecDeque<usize>,
    /// Set by a pool worker that helps while it waits: called on the next post.
    worker_waker: Option<Waker>,
}

/// Indices of done futures, in the order they finished.
pub(crate) struct Completions {
    inbox: Condition<Inbox>,
}

impl Completions {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            inbox: Condition::new(Inbox {
                ready: VecDeque::new(),
                worker_waker: None,
            }),
        })
    }

    /// Makes `future` post `index` here when it is done (at once if it already is,
    /// and then returns `None`). Whoever stops watching before it is done hands the
    /// key to [`unwatch`](Self::unwatch).
    pub(crate) fn watch<T>(this: &Arc<Self>, index: usize, future: &Future<T>) -> Option<WakerKey> {
        let me = Arc::clone(this);
        future.inner().add_waker(Box::new(move || me.post(index)))
    }

    /// Stops watching `future`: its waker (and the `Arc` of this inbox it holds) goes
    /// now, not when the future completes, which may be much later or never.
    pub(crate) fn unwatch<T>(future: &Future<T>, key: Option<WakerKey>) {
        if let Some(key) = key {
            future.inner().remove_waker(key);
        }
    }

    fn post(&self, index: usize) {
        let mut inbox = self.inbox.lock();
        inbox.ready.push_back(index);
        inbox.notify_one();
        let waker = inbox.worker_waker.take();
        drop(inbox);
        if let Some(waker) = waker {
            waker();
        }
    }

    fn try_next(&self) -> Option<usize> {
        self.inbox.lock().ready.pop_front()
    }

    /// The next index to finish, waiting until `deadline` (`None`: forever); `None` if
    /// the deadline passed first. A pool worker of `registry` helps while it waits.
    pub(crate) fn next(
        &self,
        deadline: Option<Instant>,
        registry: Option<&Arc<Registry>>,
    ) -> Option<usize> {
        if let Some(index) = self.try_next() {
            return Some(index);
        }
        if let Some(worker) = current_worker().filter(|w| registry.is_some_and(|r| w.belongs_to(r)))
        {
            let limit = deadline.map_or(Limit::Never, Limit::Deadline);
            worker.help_within(
                || !self.inbox.lock().ready.is_empty(),
                |waker| {
                    let mut inbox = self.inbox.lock();
                    if inbox.ready.is_empty() {
                        inbox.worker_waker = Some(waker);
                    } else {
                        drop(inbox);
                        waker();
                    }
                },
                limit,
            );
            let mut inbox = self.inbox.lock();
            // Not needed any more (a post may have taken it already).
            let waker = inbox.worker_waker.take();
            let next = inbox.ready.pop_front();
            drop(inbox);
            drop(waker);
            return next;
        }
        let mut inbox = self.inbox.lock();
        loop {
            if let Some(index) = inbox.ready.pop_front() {
                return Some(index);
            }
            match deadline {
                None => inbox.wait(),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() || !inbox.wait_timeout(left) {
                        return inbox.ready.pop_front();
                    }
                }
            }
        }
    }
}
