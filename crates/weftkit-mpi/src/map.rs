//! `map` and `map_unordered` over an MPI pool: lazy, chunked, with a bounded window.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use weftkit_executor::{Future, Promise, TaskError};
use weftkit_process::remote::{RemoteCall, WireError};
use weftkit_shim::sync::{Arc, Condvar, Mutex};

use crate::MpiPool;
use crate::job::{Job, TypedSink};
use crate::state::Refused;
use crate::wire::MAX_ARGS;

/// Chunks in flight per worker unless told otherwise: enough to keep every worker's
/// pipeline full (64 tasks, invariant B1) while the caller consumes results.
const WINDOW_PER_WORKER: usize = 128;

type Chunk<R> = Vec<Result<R, TaskError>>;

/// Checks an encoded argument against the size one message may carry.
pub(crate) fn check_args(bytes: Vec<u8>, hint: &str) -> Result<Vec<u8>, String> {
    if bytes.len() > MAX_ARGS {
        Err(format!(
            "the argument is {} bytes encoded, more than the {MAX_ARGS} a task may carry; split the work into smaller values{hint}",
            bytes.len()
        ))
    } else {
        Ok(bytes)
    }
}

/// One submitted chunk: its future, or the error every item of it gets.
enum Slot<R> {
    Running(Future<Chunk<R>>),
    Refused(TaskError),
}

impl<R> Slot<R> {
    fn into_results(self, size: usize) -> std::vec::IntoIter<Result<R, TaskError>> {
        let outcome = match self {
            Self::Running(future) => future.result(),
            Self::Refused(error) => Err(error),
        };
        let outcome = outcome.and_then(|results| {
            if results.len() == size {
                Ok(results)
            } else {
                Err(TaskError::Codec {
                    message: format!(
                        "a chunk of {size} items came back with {} results",
                        results.len()
                    ),
                })
            }
        });
        match outcome {
            Ok(results) => results.into_iter(),
            Err(error) => (0..size)
                .map(|_| Err(error.clone()))
                .collect::<Vec<_>>()
                .into_iter(),
        }
    }

    /// Cancels the chunk if no worker has taken it yet.
    fn cancel(&self) {
        if let Self::Running(future) = self {
            let _ = future.cancel();
        }
    }
}

/// Decodes a chunk's results: one outcome per item.
fn decode_chunk<R: DeserializeOwned>(bytes: &[u8]) -> Result<Chunk<R>, TaskError> {
    let decoded: Vec<Result<R, WireError>> =
        postcard::from_bytes(bytes).map_err(|e| TaskError::Codec {
            message: format!(
                "a chunk's results did not decode on rank 0: {e}; {}",
                crate::wire::DECODE_HINT
            ),
        })?;
    Ok(decoded
        .into_iter()
        .map(|r| r.map_err(TaskError::from))
        .collect())
}

/// Submits one chunk of items (blocking for room, whatever the pool's policy).
fn submit_chunk<A, R>(pool: &MpiPool, call: &Result<RemoteCall, TaskError>, chunk: &[A]) -> Slot<R>
where
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
{
    let call = match call {
        Ok(call) => *call,
        Err(error) => return Slot::Refused(error.clone()),
    };
    let (promise, future) = Promise::new();
    let bytes = postcard::to_allocvec(chunk)
        .map_err(|e| format!("an argument did not encode: {e}"))
        .and_then(|bytes| check_args(bytes, " (use a smaller chunksize)"));
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(message) => {
            promise.complete(Err(TaskError::Codec { message }));
            return Slot::Running(future);
        }
    };
    let job = Job {
        call,
        args: bytes,
        sink: Box::new(TypedSink::new(promise, decode_chunk::<R>, "on rank 0")),
    };
    match pool.enqueue(job, true) {
        Ok(()) => Slot::Running(future),
        Err((refused, job)) => {
            job.sink.fail(TaskError::Cancelled);
            drop(future);
            Slot::Refused(match refused {
                Refused::Full => TaskError::QueueFull,
                Refused::ShutDown => TaskError::ShutDown,
                Refused::Broken(reason) => TaskError::PoolBroken { reason },
            })
        }
    }
}

/// Lazily maps an iterator through an MPI pool, yielding one `Result` per item in
/// input order; made by [`MpiPool::map`]. Dropping it cancels the chunks no worker has
/// taken yet. Once the pool refuses a chunk (it was shut down, or broke), that chunk's
/// items get the error and the map ends.
///
/// # Examples
///
/// ```no_run
/// weftkit::mpi::init()?;
/// let pool = weftkit::mpi::MpiPool::builder().build()?;
/// let map: weftkit::mpi::Map<'_, _, u64, u64> = pool.map(|n: u64| n + 1, 0..3);
/// assert_eq!(map.collect::<Result<Vec<_>, _>>()?, [1, 2, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a map does nothing until it is iterated"]
pub struct Map<'pool, I, A, R> {
    pool: &'pool MpiPool,
    items: I,
    call: Result<RemoteCall, TaskError>,
    in_flight: VecDeque<(Slot<R>, usize)>,
    ready: std::vec::IntoIter<Result<R, TaskError>>,
    window: usize,
    chunksize: usize,
    refused: bool,
    _f: PhantomData<fn(A) -> R>,
}

/// Lazily maps an iterator through an MPI pool, yielding `(index, Result)` pairs as
/// chunks finish; made by [`MpiPool::map_unordered`]. Dropping it cancels the chunks
/// no worker has taken yet.
///
/// # Examples
///
/// ```no_run
/// weftkit::mpi::init()?;
/// let pool = weftkit::mpi::MpiPool::builder().build()?;
/// let mut indices: Vec<usize> = pool.map_unordered(|n: u64| n, 0..3).map(|(i, _)| i).collect();
/// indices.sort();
/// assert_eq!(indices, [0, 1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a map does nothing until it is iterated"]
pub struct MapUnordered<'pool, I, A, R> {
    pool: &'pool MpiPool,
    items: I,
    call: Result<RemoteCall, TaskError>,
    next_index: usize,
    next_chunk: u64,
    in_flight: HashMap<u64, (Slot<R>, usize, usize)>,
    finished: Arc<Finished>,
    ready: VecDeque<(usize, Result<R, TaskError>)>,
    window: usize,
    chunksize: usize,
    refused: bool,
    _f: PhantomData<fn(A) -> R>,
}

/// Chunks of a `map_unordered` whose futures are done, in completion order.
#[derive(Default)]
struct Finished {
    keys: Mutex<VecDeque<u64>>,
    changed: Condvar,
}

impl Finished {
    fn push(&self, key: u64) {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(key);
        self.changed.notify_one();
    }

    fn pop(&self) -> u64 {
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(key) = keys.pop_front() {
                return key;
            }
            keys = self
                .changed
                .wait(keys)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl MpiPool {
    /// Maps `items` through `f` on the worker ranks, yielding one `Result` per item in
    /// input order. Lazy: at most [`window`](Map::window) chunks are in flight, so an
    /// endless iterator runs in constant memory. Items travel
    /// [`chunksize`](Map::chunksize) at a time (default 1); a failed item yields its
    /// `Err` and the map goes on.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
    /// let squares: Vec<u64> = pool.map(|n: u64| n * n, 1..=5).collect::<Result<_, _>>()?;
    /// assert_eq!(squares, [1, 4, 9, 16, 25]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map<A, R, I>(&self, f: fn(A) -> R, items: I) -> Map<'_, I::IntoIter, A, R>
    where
        I: IntoIterator<Item = A>,
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + 'static,
    {
        Map {
            pool: self,
            items: items.into_iter(),
            call: RemoteCall::chunk(f).map_err(|message| TaskError::Codec { message }),
            in_flight: VecDeque::new(),
            ready: Vec::new().into_iter(),
            window: self.max_workers().saturating_mul(WINDOW_PER_WORKER),
            chunksize: 1,
            refused: false,
            _f: PhantomData,
        }
    }

    /// Like [`map`](Self::map), but yields `(index, result)` as each chunk finishes,
    /// whatever its place in the input.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
    /// let mut got: Vec<(usize, u32)> =
    ///     pool.map_unordered(|n: u32| n * 2, vec![3, 1, 2]).map(|(i, r)| (i, r.unwrap())).collect();
    /// got.sort();
    /// assert_eq!(got, [(0, 6), (1, 2), (2, 4)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_unordered<A, R, I>(
        &self,
        f: fn(A) -> R,
        items: I,
    ) -> MapUnordered<'_, I::IntoIter, A, R>
    where
        I: IntoIterator<Item = A>,
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + 'static,
    {
        MapUnordered {
            pool: self,
            items: items.into_iter(),
            call: RemoteCall::chunk(f).map_err(|message| TaskError::Codec { message }),
            next_index: 0,
            next_chunk: 0,
            in_flight: HashMap::new(),
            finished: Arc::new(Finished::default()),
            ready: VecDeque::new(),
            window: self.max_workers().saturating_mul(WINDOW_PER_WORKER),
            chunksize: 1,
            refused: false,
            _f: PhantomData,
        }
    }
}

impl<I, A, R> Map<'_, I, A, R> {
    /// Sends items to the workers `n` at a time (at least 1; default 1): one task per
    /// chunk. Each item still gets its own `Result`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
    /// let total: u64 = pool.map(|n: u64| n % 3, 0..100_000).chunksize(1_000).map(Result::unwrap).sum();
    /// assert_eq!(total, (0..100_000u64).map(|n| n % 3).sum());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn chunksize(mut self, n: usize) -> Self {
        self.chunksize = n.max(1);
        self
    }

    /// Sets how many chunks may be in flight at once (at least 1).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
    /// assert_eq!(pool.map(|n: u8| n, 0..100).window(4).count(), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn window(mut self, chunks: usize) -> Self {
        self.window = chunks.max(1);
        self
    }
}

impl<I, A, R> Iterator for Map<'_, I, A, R>
where
    I: Iterator<Item = A>,
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
{
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(result) = self.ready.next() {
                return Some(result);
            }
            // Refill in batches, so the engine finds many tasks per round.
            if self.in_flight.len() <= self.window / 2 {
                while self.in_flight.len() < self.window && !self.refused {
                    let chunk: Vec<A> = self.items.by_ref().take(self.chunksize).collect();
                    if chunk.is_empty() {
                        break;
                    }
                    let slot = submit_chunk(self.pool, &self.call, &chunk);
                    self.refused = matches!(slot, Slot::Refused(_));
                    self.in_flight.push_back((slot, chunk.len()));
                }
            }
            let (slot, size) = self.in_flight.pop_front()?;
            self.ready = slot.into_results(size);
        }
    }
}

impl<I, A, R> MapUnordered<'_, I, A, R> {
    /// As [`Map::chunksize`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
    /// assert_eq!(pool.map_unordered(|n: u8| n, 0..100).chunksize(10).count(), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn chunksize(mut self, n: usize) -> Self {
        self.chunksize = n.max(1);
        self
    }

    /// As [`Map::window`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// weftkit::mpi::init()?;
    /// let pool = weftkit::mpi::MpiPool::builder().build()?;
    /// assert_eq!(pool.map_unordered(|n: u8| n, 0..50).window(3).count(), 50);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn window(mut self, chunks: usize) -> Self {
        self.window = chunks.max(1);
        self
    }
}

impl<I, A, R> Iterator for MapUnordered<'_, I, A, R>
where
    I: Iterator<Item = A>,
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
{
    type Item = (usize, Result<R, TaskError>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            while self.in_flight.len() < self.window && !self.refused {
                let chunk: Vec<A> = self.items.by_ref().take(self.chunksize).collect();
                if chunk.is_empty() {
                    break;
                }
                let key = self.next_chunk;
                self.next_chunk += 1;
                let slot = submit_chunk(self.pool, &self.call, &chunk);
                self.refused = matches!(slot, Slot::Refused(_));
                match &slot {
                    Slot::Running(future) => {
                        let finished = Arc::clone(&self.finished);
                        future.add_done_callback(move |_| finished.push(key));
                    }
                    Slot::Refused(_) => self.finished.push(key),
                }
                self.in_flight
                    .insert(key, (slot, self.next_index, chunk.len()));
                self.next_index += chunk.len();
            }
            if self.in_flight.is_empty() {
                return None;
            }
            let key = self.finished.pop();
            let (slot, first, size) = self.in_flight.remove(&key)?;
            self.ready.extend((first..).zip(slot.into_results(size)));
        }
    }
}

impl<I, A, R> Drop for Map<'_, I, A, R> {
    /// Cancels the chunks no worker has taken yet: nobody will read their results.
    fn drop(&mut self) {
        for (slot, _) in &self.in_flight {
            slot.cancel();
        }
    }
}

impl<I, A, R> Drop for MapUnordered<'_, I, A, R> {
    /// As for [`Map`].
    fn drop(&mut self) {
        for (slot, _, _) in self.in_flight.values() {
            slot.cancel();
        }
    }
}

impl<I, A, R> fmt::Debug for Map<'_, I, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.in_flight.len())
            .field("window", &self.window)
            .field("chunksize", &self.chunksize)
            .finish_non_exhaustive()
    }
}

impl<I, A, R> fmt::Debug for MapUnordered<'_, I, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapUnordered")
            .field("in_flight", &self.in_flight.len())
            .field("window", &self.window)
            .field("chunksize", &self.chunksize)
            .finish_non_exhaustive()
    }
}
