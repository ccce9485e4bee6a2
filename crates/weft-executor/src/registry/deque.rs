//! The job queues: crossbeam-deque normally, a mutex-backed model under loom (which
//! cannot see inside crossbeam's atomics). Same names, same methods.

#[cfg(not(weft_loom))]
pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};

#[cfg(weft_loom)]
pub(crate) use model::{Injector, Steal, Stealer, Worker};

#[cfg(weft_loom)]
mod model {
    use std::collections::VecDeque;

    use weft_shim::sync::{Arc, Mutex};

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

    /// A worker's own LIFO deque.
    #[derive(Debug)]
    pub(crate) struct Worker<T>(Arc<Mutex<VecDeque<T>>>, bool);

    impl<T> Worker<T> {
        pub(crate) fn new_lifo() -> Self {
            Self(Arc::new(Mutex::new(VecDeque::new())), true)
        }
        pub(crate) fn new_fifo() -> Self {
            Self(Arc::new(Mutex::new(VecDeque::new())), false)
        }
        pub(crate) fn push(&self, item: T) {
            self.0.lock().unwrap().push_back(item);
        }
        pub(crate) fn pop(&self) -> Option<T> {
            let mut queue = self.0.lock().unwrap();
            if self.1 {
                queue.pop_back()
            } else {
                queue.pop_front()
            }
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(Arc::clone(&self.0))
        }
    }

    /// Another worker's view of a deque: steals from the FIFO end.
    #[derive(Debug)]
    pub(crate) struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);

    impl<T> Stealer<T> {
        pub(crate) fn steal(&self) -> Steal<T> {
            self.0
                .lock()
                .unwrap()
                .pop_front()
                .map_or(Steal::Empty, Steal::Success)
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().unwrap().is_empty()
        }
    }
}
