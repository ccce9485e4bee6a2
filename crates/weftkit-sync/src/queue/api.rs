//! `queue_flavour!`: a public queue type and its whole method set, generated once for
//! each flavour around the shared `QueueCore`.

/// Defines `pub struct $Name<T>` over a core (`QueueCore<Store>` or `FifoCore<T>`:
/// the same inherent methods) with the documented API.
///
/// The caller writes the type's own docs (summary, examples, the heading
/// "# Differences from Python's ..." and its flavour-specific bullets); the macro
/// appends the bullets every flavour shares, then generates the methods, whose
/// doctests name `$Name`.
macro_rules! queue_flavour {
    (
        $(#[$attr:meta])*
        pub struct $Name:ident<T $(: $bound:path)?>($Core:ty);
    ) => {
        $(#[$attr])*
        /// - Errors are values, and a refused item comes back inside the error:
        ///   `put_nowait` raising `queue.Full` is [`try_put`](Self::try_put) returning
        ///   [`PutError::Full(item)`](crate::PutError::Full); `get_nowait` raising
        ///   `queue.Empty` is [`try_get`](Self::try_get) returning
        ///   [`GetError::Empty`](crate::GetError::Empty); `put(item, timeout=t)` and
        ///   `get(timeout=t)` are [`put_timeout`](Self::put_timeout) and
        ///   [`get_timeout`](Self::get_timeout), returning a `TimedOut` error.
        /// - The bound is said at construction: [`bounded(n)`](Self::bounded) or
        ///   [`unbounded()`](Self::unbounded). Python reads `maxsize=0` (or a negative
        ///   one) as "infinite"; here `bounded(0)` is
        ///   [`ConfigError::ZeroCapacity`](crate::ConfigError::ZeroCapacity).
        /// - `qsize()`, `empty()`, `full()` and `maxsize` are [`len`](Self::len),
        ///   [`is_empty`](Self::is_empty), [`is_full`](Self::is_full) and
        ///   [`capacity`](Self::capacity) (`None` when unbounded); all are snapshots.
        /// - Every blocking call has a stop-aware form
        ///   ([`put_stoppable`](Self::put_stoppable),
        ///   [`get_stoppable`](Self::get_stoppable),
        ///   [`join_stoppable`](Self::join_stoppable)) that returns a `Stopped` error when
        ///   a [`StopToken`](crate::StopToken) fires, and `join` has a timed form,
        ///   [`join_timeout`](Self::join_timeout), which Python lacks.
        /// - [`shutdown`](Self::shutdown) is Python 3.13's `shutdown`, with one
        ///   deliberate change: after `shutdown(immediate=True)` Python counts each
        ///   dropped item as done, so `join()` returns as if the work had been finished;
        ///   here [`join`](Self::join) returns
        ///   [`QueueJoinError::ShutDown`](crate::QueueJoinError::ShutDown) if any item
        ///   was unfinished at the shutdown, so dropped work is never mistaken for done
        ///   work.
        /// - [`task_done`](Self::task_done) called more often than items were put
        ///   raises `ValueError` in Python; here it returns
        ///   [`TaskDoneError`](crate::TaskDoneError) and leaves the count unchanged.
        ///
        /// # Fairness
        ///
        /// Callers that must wait are served in the order they started waiting, one
        /// per event: each item put wakes the getter that has waited longest, each
        /// item taken wakes the putter that has waited longest, and the last
        /// [`task_done`](Self::task_done) wakes every joiner at once;
        /// [`shutdown`](Self::shutdown) wakes every waiting getter and putter. A woken
        /// caller is not handed the item or the slot: it tries again like any other
        /// caller, and a thread that was not waiting (one that just arrived, or is
        /// still spinning briefly before it parks) may take the item or slot first;
        /// the woken caller then waits again, at the back of the line. So no caller
        /// is guaranteed to go before a newcomer, and under steady contention one
        /// caller may lose repeatedly. Python's queues behave the same way: their
        /// `threading.Condition` wakes waiters in order and the woken thread must
        /// re-take the queue's mutex, which a newcomer may get first. The items
        /// themselves always leave in the flavour's order, whoever takes them.
        pub struct $Name<T> {
            core: $Core,
        }

        impl<T $(: $bound)?> $Name<T> {
            /// A queue that holds at most `capacity` items; [`put`](Self::put) blocks
            /// while it is full.
            ///
            /// # Errors
            ///
            /// [`ConfigError::ZeroCapacity`](crate::ConfigError::ZeroCapacity) if
            /// `capacity` is 0 (Python's `maxsize=0` means unbounded: say
            /// [`unbounded`](Self::unbounded) for that).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use weftkit::sync::{ConfigError, ", stringify!($Name), "};")]
            ///
            #[doc = concat!("let q = ", stringify!($Name), "::<u8>::bounded(10)?;")]
            /// assert_eq!(q.capacity(), Some(10));
            #[doc = concat!("assert_eq!(", stringify!($Name), "::<u8>::bounded(0).err(), Some(ConfigError::ZeroCapacity));")]
            /// # Ok::<(), ConfigError>(())
            /// ```
            pub fn bounded(capacity: usize) -> Result<Self, $crate::ConfigError> {
                <$Core>::bounded(capacity).map(|core| Self { core })
            }

            /// A queue with no bound: [`put`](Self::put) never waits for room.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::<u8>::unbounded();")]
            /// assert_eq!(q.capacity(), None);
            /// assert!(!q.is_full());
            /// ```
            #[must_use]
            pub fn unbounded() -> Self {
                Self {
                    core: <$Core>::unbounded(),
                }
            }

            /// Adds `item`, parking while the queue is full.
            ///
            /// # Errors
            ///
            /// [`PutError::ShutDown(item)`](crate::PutError::ShutDown) if the queue is
            /// shut down, before or while the call waits.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::bounded(1)?;")]
            /// std::thread::scope(|s| {
            ///     s.spawn(|| q.put(1).and_then(|()| q.put(2))); // the second put waits
            ///     assert_eq!(q.get(), Ok(1));
            ///     assert_eq!(q.get(), Ok(2));
            /// });
            /// # Ok::<(), weftkit::sync::ConfigError>(())
            /// ```
            pub fn put(&self, item: T) -> Result<(), $crate::PutError<T>> {
                self.core.put(item, $crate::queue::shared::Block::forever())
            }

            /// Adds `item` if there is room right now; never blocks.
            ///
            /// # Errors
            ///
            /// [`PutError::Full(item)`](crate::PutError::Full) if the queue is full,
            /// [`PutError::ShutDown(item)`](crate::PutError::ShutDown) if it is shut
            /// down.
            ///
            /// # Examples
            ///
            /// ```
            /// use weftkit::sync::PutError;
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::bounded(1)?;")]
            /// assert_eq!(q.try_put(1), Ok(()));
            /// assert_eq!(q.try_put(2), Err(PutError::Full(2)));
            /// # Ok::<(), weftkit::sync::ConfigError>(())
            /// ```
            pub fn try_put(&self, item: T) -> Result<(), $crate::PutError<T>> {
                self.core.put(item, $crate::queue::shared::Block::Never)
            }

            /// Adds `item`, waiting at most `timeout` for room.
            ///
            /// The deadline is fixed when the call starts; a zero timeout is
            /// [`try_put`](Self::try_put) except for the error it returns.
            ///
            /// # Errors
            ///
            /// [`PutError::TimedOut(item)`](crate::PutError::TimedOut) if the queue
            /// stayed full, [`PutError::ShutDown(item)`](crate::PutError::ShutDown) if
            /// it is shut down.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// use weftkit::sync::PutError;
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::bounded(1)?;")]
            /// q.put_timeout(1, Duration::from_millis(10))?;
            /// let refused = q.put_timeout(2, Duration::from_millis(10));
            /// assert_eq!(refused, Err(PutError::TimedOut(2)));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn put_timeout(
                &self,
                item: T,
                timeout: ::std::time::Duration,
            ) -> Result<(), $crate::PutError<T>> {
                self.core
                    .put(item, $crate::queue::shared::Block::timeout(timeout))
            }

            /// Adds `item`, waiting for room until `stop` fires.
            ///
            /// If there is room, the item is queued even when the token has already
            /// fired: only the wait is stoppable.
            ///
            /// # Errors
            ///
            /// [`PutError::Stopped(item)`](crate::PutError::Stopped) if the token fired
            /// while the queue was full,
            /// [`PutError::ShutDown(item)`](crate::PutError::ShutDown) if it is shut
            /// down.
            ///
            /// # Examples
            ///
            /// ```
            /// use weftkit::sync::{PutError, StopToken};
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::bounded(1)?;")]
            /// let token = StopToken::new();
            /// std::thread::scope(|s| {
            ///     let putter = s.spawn(|| {
            ///         q.put_stoppable(1, &token)?; // room: queued at once
            ///         q.put_stoppable(2, &token) // full: waits until the stop
            ///     });
            ///     while !q.is_full() {
            ///         std::thread::yield_now();
            ///     }
            ///     token.stop();
            ///     assert_eq!(putter.join().unwrap(), Err(PutError::Stopped(2)));
            /// });
            /// # Ok::<(), weftkit::sync::ConfigError>(())
            /// ```
            pub fn put_stoppable(
                &self,
                item: T,
                stop: &$crate::StopToken,
            ) -> Result<(), $crate::PutError<T>> {
                self.core
                    .put(item, $crate::queue::shared::Block::stoppable(stop))
            }

            /// Removes and returns the next item, parking while the queue is empty.
            ///
            /// After a [`shutdown(false)`](Self::shutdown) it still returns the items
            /// left in the queue, then fails.
            ///
            /// # Errors
            ///
            /// [`GetError::ShutDown`](crate::GetError::ShutDown) once the queue is shut
            /// down and empty, also if that happens while the call waits.
            ///
            /// # Examples
            ///
            /// ```
            /// use weftkit::sync::GetError;
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// std::thread::scope(|s| {
            ///     s.spawn(|| {
            ///         q.put(7).unwrap();
            ///         q.shutdown(false);
            ///     });
            ///     assert_eq!(q.get(), Ok(7)); // items put before the shutdown still come out
            ///     assert_eq!(q.get(), Err(GetError::ShutDown));
            /// });
            /// ```
            pub fn get(&self) -> Result<T, $crate::GetError> {
                self.core.get($crate::queue::shared::Block::forever())
            }

            /// Removes and returns the next item if there is one; never blocks.
            ///
            /// # Errors
            ///
            /// [`GetError::Empty`](crate::GetError::Empty) if the queue is empty,
            /// [`GetError::ShutDown`](crate::GetError::ShutDown) if it is also shut
            /// down.
            ///
            /// # Examples
            ///
            /// ```
            /// use weftkit::sync::GetError;
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// assert_eq!(q.try_get(), Err(GetError::Empty));
            /// q.put('x')?;
            /// assert_eq!(q.try_get(), Ok('x'));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn try_get(&self) -> Result<T, $crate::GetError> {
                self.core.get($crate::queue::shared::Block::Never)
            }

            /// Removes and returns the next item, waiting at most `timeout` for one.
            ///
            /// The deadline is fixed when the call starts; a zero timeout is
            /// [`try_get`](Self::try_get) except for the error it returns.
            ///
            /// # Errors
            ///
            /// [`GetError::TimedOut`](crate::GetError::TimedOut) if the queue stayed
            /// empty, [`GetError::ShutDown`](crate::GetError::ShutDown) if it is shut
            /// down and empty.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// use weftkit::sync::GetError;
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::<i32>::unbounded();")]
            /// assert_eq!(q.get_timeout(Duration::from_millis(10)), Err(GetError::TimedOut));
            /// ```
            pub fn get_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> Result<T, $crate::GetError> {
                self.core.get($crate::queue::shared::Block::timeout(timeout))
            }

            /// Removes and returns the next item, waiting for one until `stop` fires.
            ///
            /// If an item is there, it is returned even when the token has already
            /// fired: only the wait is stoppable.
            ///
            /// # Errors
            ///
            /// [`GetError::Stopped`](crate::GetError::Stopped) if the token fired while
            /// the queue was empty, [`GetError::ShutDown`](crate::GetError::ShutDown) if
            /// it is shut down and empty.
            ///
            /// # Examples
            ///
            /// A consumer that can be told to quit without a sentinel item:
            ///
            /// ```
            /// use weftkit::sync::{GetError, StopToken};
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::<i32>::unbounded();")]
            /// let token = StopToken::new();
            /// std::thread::scope(|s| {
            ///     let consumer = s.spawn(|| q.get_stoppable(&token));
            ///     token.stop();
            ///     assert_eq!(consumer.join().unwrap(), Err(GetError::Stopped));
            /// });
            /// ```
            pub fn get_stoppable(&self, stop: &$crate::StopToken) -> Result<T, $crate::GetError> {
                self.core.get($crate::queue::shared::Block::stoppable(stop))
            }

            /// Marks one item taken with [`get`](Self::get) as finished, for
            /// [`join`](Self::join); when every item put has been marked, the joiners
            /// wake.
            ///
            /// # Errors
            ///
            /// [`TaskDoneError`](crate::TaskDoneError) if it was called more times than
            /// items were put; the count stays at zero.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// q.put("job")?;
            /// let _job = q.get()?;
            /// assert!(q.task_done().is_ok());
            /// assert!(q.task_done().is_err()); // one item, one task_done
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn task_done(&self) -> Result<(), $crate::TaskDoneError> {
                self.core.task_done()
            }

            /// Parks until every item ever put has been marked with
            /// [`task_done`](Self::task_done); returns at once if none is pending.
            ///
            /// # Errors
            ///
            /// [`QueueJoinError::ShutDown`](crate::QueueJoinError::ShutDown) if the queue
            /// was shut down with `immediate` while items were unfinished (before or
            /// while the call waits): the dropped items were never done, and `join`
            /// says so (Python's `join` returns as if they were). That is the only
            /// error: on a queue never shut down with `immediate`, `join` returns
            /// `Ok(())` once every item is done.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// for job in 0..10 {
            ///     q.put(job)?;
            /// }
            /// std::thread::scope(|s| {
            ///     for _ in 0..2 {
            ///         s.spawn(|| {
            ///             while let Ok(_job) = q.try_get() {
            ///                 q.task_done().unwrap();
            ///             }
            ///         });
            ///     }
            ///     q.join().unwrap(); // returns once all 10 jobs are done
            /// });
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn join(&self) -> Result<(), $crate::QueueJoinError> {
                self.core.join(None, None)
            }

            /// Like [`join`](Self::join), giving up after `timeout`.
            ///
            /// # Errors
            ///
            /// [`QueueJoinError::TimedOut`](crate::QueueJoinError::TimedOut) if items
            /// were still unfinished when the timeout passed, and the errors of
            /// [`join`](Self::join).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// use weftkit::sync::QueueJoinError;
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// q.put(1)?;
            /// let timeout = Duration::from_millis(10);
            /// assert_eq!(q.join_timeout(timeout), Err(QueueJoinError::TimedOut));
            /// q.get()?;
            /// q.task_done()?;
            /// assert_eq!(q.join_timeout(timeout), Ok(()));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn join_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> Result<(), $crate::QueueJoinError> {
                self.core
                    .join($crate::raw::deadline_after(timeout), None)
            }

            /// Like [`join`](Self::join), ending early when `stop` fires.
            ///
            /// # Errors
            ///
            /// [`QueueJoinError::Stopped`](crate::QueueJoinError::Stopped) if the token
            /// fired while items were unfinished, and the errors of
            /// [`join`](Self::join).
            ///
            /// # Examples
            ///
            /// ```
            /// use weftkit::sync::{QueueJoinError, StopToken};
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// let token = StopToken::new();
            /// q.put(1)?;
            /// token.stop();
            /// assert_eq!(q.join_stoppable(&token), Err(QueueJoinError::Stopped));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn join_stoppable(
                &self,
                stop: &$crate::StopToken,
            ) -> Result<(), $crate::QueueJoinError> {
                self.core.join(None, Some(stop))
            }

            /// How many items are queued (a snapshot: it may change at once).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// q.put(1)?;
            /// q.put(2)?;
            /// assert_eq!(q.len(), 2);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn len(&self) -> usize {
                self.core.len()
            }

            /// Whether no item is queued (a snapshot).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// assert!(q.is_empty());
            /// q.put(1)?;
            /// assert!(!q.is_empty());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// Whether a bounded queue holds `capacity` items (a snapshot); always
            /// `false` for an unbounded queue.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::bounded(1)?;")]
            /// assert!(!q.is_full());
            /// q.put(1)?;
            /// assert!(q.is_full());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn is_full(&self) -> bool {
                self.core.is_full()
            }

            /// The bound given to [`bounded`](Self::bounded), or `None` if the queue
            /// is unbounded (Python's `maxsize`).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use weftkit::sync::", stringify!($Name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($Name), "::<u8>::bounded(3)?.capacity(), Some(3));")]
            #[doc = concat!("assert_eq!(", stringify!($Name), "::<u8>::unbounded().capacity(), None);")]
            /// # Ok::<(), weftkit::sync::ConfigError>(())
            /// ```
            pub fn capacity(&self) -> Option<usize> {
                self.core.capacity()
            }

            /// Shuts the queue down (Python 3.13's `Queue.shutdown`) and wakes every
            /// parked caller.
            ///
            /// From now on every put fails with
            /// [`PutError::ShutDown(item)`](crate::PutError::ShutDown). With
            /// `immediate = false`, gets go on returning the queued items and fail with
            /// [`GetError::ShutDown`](crate::GetError::ShutDown) once it is empty;
            /// joiners go on waiting for `task_done`. With `immediate = true`, the
            /// queued items are dropped (outside the queue's lock) and no longer count
            /// as unfinished, gets fail at once, and if any item was unfinished every
            /// [`join`](Self::join), parked or later, fails with
            /// [`QueueJoinError::ShutDown`](crate::QueueJoinError::ShutDown). Calling
            /// it again is allowed; `shutdown(true)` after `shutdown(false)` drops the
            /// rest.
            ///
            /// # Examples
            ///
            /// ```
            /// use weftkit::sync::{GetError, PutError};
            ///
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::unbounded();")]
            /// q.put(1)?;
            /// q.put(2)?;
            /// q.shutdown(true);
            /// assert!(q.is_shut_down());
            /// assert_eq!(q.put(3), Err(PutError::ShutDown(3)));
            /// assert_eq!(q.get(), Err(GetError::ShutDown)); // 1 and 2 were dropped
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn shutdown(&self, immediate: bool) {
                self.core.shutdown(immediate);
            }

            /// Whether [`shutdown`](Self::shutdown) has been called.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = weftkit::sync::", stringify!($Name), "::<u8>::unbounded();")]
            /// assert!(!q.is_shut_down());
            /// q.shutdown(false);
            /// assert!(q.is_shut_down());
            /// ```
            pub fn is_shut_down(&self) -> bool {
                self.core.is_shut_down()
            }
        }

        impl<T $(: $bound)?> ::std::fmt::Debug for $Name<T> {
            /// Shows a snapshot of the counts (`T` need not be `Debug`).
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.core.debug(stringify!($Name), f)
            }
        }
    };
}

pub(crate) use queue_flavour;
