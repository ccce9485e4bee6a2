//! [`Progress`]: a progress bar over a pool's results (tqdm's `thread_map` /
//! `process_map`), behind the `progress` feature.
//!
//! The bar is `indicatif`'s, drawn on stderr with count, rate and ETA, and hidden when
//! stderr is not a terminal. Updating it must not slow the pool: the adapter counts
//! items itself and hands the bar a batch at a time. The batch starts at one item and
//! doubles while batches come faster than [`FAST`] (so a million tiny items cost a
//! few thousand bar updates, not a million), and halves when they come slower than
//! [`SLOW`]. Whatever the batch, pending items are handed over as soon as [`SLOW`]
//! has passed since the last hand-over, so a run that turns slow after a fast start
//! still moves the bar (one clock read per item, about 20 ns).

use std::fmt;
use weftkit_shim::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Batches that come faster than this grow.
const FAST: Duration = Duration::from_millis(5);
/// Batches that come slower than this shrink.
const SLOW: Duration = Duration::from_millis(100);
/// The largest batch: the bar lags at most this many items behind.
const MAX_BATCH: u64 = 1 << 16;

/// An iterator of a pool's results that shows a progress bar as they are taken: made
/// by `.progress()` on [`Map`](crate::Map), [`MapUnordered`](crate::MapUnordered) and
/// [`AsCompleted`](crate::AsCompleted) (and the process pool's maps). It yields what
/// the inner iterator yields; the bar's length is the inner iterator's size hint when
/// it knows one, else the bar counts up with a rate and no ETA.
///
/// # Examples
///
/// ```
/// let pool = weftkit::executor::ThreadPool::builder().build()?;
/// let total: u64 = pool
///     .map(|n| n % 7, 0..10_000u64)
///     .progress() // count, rate and ETA on stderr (when it is a terminal)
///     .map(Result::unwrap)
///     .sum();
/// assert_eq!(total, (0..10_000u64).map(|n| n % 7).sum());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "progress")))]
#[must_use = "iterate it: the bar moves as results are taken"]
pub struct Progress<I> {
    inner: I,
    bar: ProgressBar,
    /// Items taken and not yet handed to the bar.
    pending: u64,
    /// How many items make a batch now.
    batch: u64,
    /// When the last batch was handed over.
    last: Instant,
}

impl<I: Iterator> Progress<I> {
    /// Wraps `inner` in a progress bar on stderr whose length is `inner`'s size hint.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::Progress;
    ///
    /// let seen: Vec<u32> = Progress::new(vec![1, 2, 3].into_iter()).collect();
    /// assert_eq!(seen, [1, 2, 3]);
    /// ```
    pub fn new(inner: I) -> Self {
        let (bar, template) = match inner.size_hint() {
            (_, Some(len)) => (
                ProgressBar::new(u64::try_from(len).unwrap_or(u64::MAX)),
                "{wide_bar} {pos}/{len} [{elapsed_precise} < {eta_precise}, {per_sec}]",
            ),
            (_, None) => (
                ProgressBar::no_length(),
                "{spinner} {pos} [{elapsed_precise}, {per_sec}]",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        Self::with_bar(inner, bar)
    }

    /// Wraps `inner` with a bar of your own (its style, length, message or draw target
    /// are left as you set them).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::Progress;
    ///
    /// let bar = indicatif::ProgressBar::hidden();
    /// let count = Progress::with_bar(0..100, bar.clone()).count();
    /// assert_eq!((count, bar.position()), (100, 100));
    /// ```
    pub fn with_bar(inner: I, bar: ProgressBar) -> Self {
        Self {
            inner,
            bar,
            pending: 0,
            batch: 1,
            last: Instant::now(),
        }
    }

    /// The bar, to set a message or a prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::Progress;
    ///
    /// let progress = Progress::new(0..3);
    /// progress.bar().set_message("warming up");
    /// assert_eq!(progress.count(), 3);
    /// ```
    pub fn bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// Hands the pending items to the bar and adapts the batch to the pace.
    fn flush(&mut self, now: Instant) {
        self.bar.inc(self.pending);
        self.pending = 0;
        let took = now.duration_since(self.last);
        self.last = now;
        if took < FAST {
            self.batch = (self.batch * 2).min(MAX_BATCH);
        } else if took > SLOW {
            self.batch = (self.batch / 2).max(1);
        }
    }
}

impl<I: Iterator> Iterator for Progress<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        match self.inner.next() {
            Some(item) => {
                self.pending += 1;
                let now = Instant::now();
                if self.pending >= self.batch || now.duration_since(self.last) > SLOW {
                    self.flush(now);
                }
                Some(item)
            }
            None => {
                self.bar.inc(self.pending);
                self.pending = 0;
                // Left on screen, or cleared if the bar was made `with_finish(AndClear)`.
                self.bar.finish_using_style();
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<I> Drop for Progress<I> {
    /// A map abandoned early leaves its bar where it got to.
    fn drop(&mut self) {
        self.bar.inc(self.pending);
        if !self.bar.is_finished() {
            self.bar.abandon();
        }
    }
}

impl<I> fmt::Debug for Progress<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("position", &(self.bar.position() + self.pending))
            .field("length", &self.bar.length())
            .finish_non_exhaustive()
    }
}
