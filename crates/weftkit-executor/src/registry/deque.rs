//! The job queues: crossbeam-deque normally, a mutex-backed model under loom or
//! shuttle (which cannot see inside crossbeam's atomics). Same names, same methods.

#[cfg(not(any(weft_loom, weft_shuttle)))]
pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};

#[cfg(any(weft_loom, weft_shuttle))]
pub(crate) use model::{Injector, Steal, Stealer, Worker};

#[cfg(any(weft_loom, weft_shuttle))]
mod model {
    use std::collections::VecDeque;

    use weftkit_shim::sync::atomic::{AtomicUsize, Ordering};
    use weftkit_shim::sync::{Arc, Mutex};

    /// The outcome of a steal, as crossbeam's.
    #[derive(Debug)]
    pub(crate) enum Steal<T> {
        Empty,
        Success(T),
        #[allow(dead_code, reason = "crossbeam's API has it; the model never retries")]
        Retry,
    }

    /// The global FIFO queue.
    #[derive(Debug)]
    pub(crate) struct Injector<T>(Mutex<VecDeque<T>>);

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Self(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, item: T) {
            self.0.lock().unwrap().push_back(item);
        }
        pub(crate) fn steal(&self) -> Steal<T> {
            self.0
                .lock()
                .unwrap()
                .pop_front()
                .map_or(Steal::Empty, Steal::Success)
        }
        pub(crate) fn steal_batch_and_pop(&self, _dest: &Worker<T>) -> Steal<T> {
            self.steal()
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().unwrap().is_empty()
        }
    }

    /// A worker's deque: the items behind a mutex, and their count in an atomic that
    /// `is_empty` reads without the lock. That is how crossbeam's `Stealer::is_empty`
    /// sees a push (a `Release` store of the deque's end, no fence on the pushing
    /// side): a model whose `is_empty` took the lock would order every push with every
    /// check, and hide a lost wake-up that the real deque allows (S7 in `README.md`).
    #[derive(Debug)]
    struct Shared<T> {
        items: Mutex<VecDeque<T>>,
        len: AtomicUsize,
    }

    impl<T> Shared<T> {
        fn update<R>(&self, f: impl FnOnce(&mut VecDeque<T>) -> R) -> R {
            let mut items = self.items.lock().unwrap();
            let before = items.len();
            let out = f(&mut items);
            // Only a change is stored: a store per empty pop would only give loom
            // more values to explore for every later `is_empty`.
            if items.len() != before {
                self.len.store(items.len(), Ordering::Release);
            }
            out
        }
    }

    /// A worker's own deque (LIFO or FIFO for its owner).
    #[derive(Debug)]
    pub(crate) struct Worker<T>(Arc<Shared<T>>, bool);

    impl<T> Worker<T> {
        fn with_order(lifo: bool) -> Self {
            let shared = Shared {
                items: Mutex::new(VecDeque::new()),
                len: AtomicUsize::new(0),
            };
            Self(Arc::new(shared), lifo)
        }
        pub(crate) fn new_lifo() -> Self {
            Self::with_order(true)
        }
        pub(crate) fn new_fifo() -> Self {
            Self::with_order(false)
        }
        pub(crate) fn push(&self, item: T) {
            self.0.update(|items| items.push_back(item));
        }
        pub(crate) fn pop(&self) -> Option<T> {
            let lifo = self.1;
            self.0.update(|items| {
                if lifo {
                    items.pop_back()
                } else {
                    items.pop_front()
                }
            })
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(Arc::clone(&self.0))
        }
    }

    /// Another worker's view of a deque: steals from the FIFO end.
    #[derive(Debug)]
    pub(crate) struct Stealer<T>(Arc<Shared<T>>);

    impl<T> Stealer<T> {
        pub(crate) fn steal(&self) -> Steal<T> {
            self.0
                .update(VecDeque::pop_front)
                .map_or(Steal::Empty, Steal::Success)
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.len.load(Ordering::Acquire) == 0
        }
    }
}
