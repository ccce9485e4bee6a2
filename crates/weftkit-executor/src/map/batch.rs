//! One batch of a `map`: a run of consecutive items mapped by one task into one `Vec`,
//! and the adaptive choice of how many items make a batch. See `README.md` beside this
//! file for why batches, and how their size is chosen.

use weftkit_shim::time::{Duration, Instant};

use crate::TaskError;

/// The first batches hold this many items: a slow item is alone in its task, so slow
/// items spread over every worker and the first result comes as soon as it is ready.
const START: usize = 1;

/// A batch that ran for less than this doubles the size of the next ones.
const GROW_BELOW: Duration = Duration::from_micros(50);

/// A batch that ran for more than this halves the size of the next ones.
const SHRINK_ABOVE: Duration = Duration::from_micros(400);

/// The largest adaptive batch buffer, in bytes (inputs or results, whichever are
/// larger). It keeps a batch's two buffers in a core's cache and below the size at
/// which the allocator maps fresh pages for them, and bounds the window: at most
/// `window` batches of this size are in flight.
const MAX_BATCH_BYTES: usize = 256 << 10;

/// The largest adaptive batch of items of zero size (which take no buffer room).
const MAX_BATCH_ITEMS: usize = 1 << 16;

/// How often a running batch looks at its stop token: every this many items.
const STOP_EVERY: usize = 256;

/// How many items each batch of a `map` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Chunking {
    /// Start at [`START`] items; grow while batches run quickly, shrink when they
    /// run long (the default), never past `max` items.
    Adaptive { size: usize, max: usize },
    /// Always this many (`chunksize(n)`).
    Fixed(usize),
}

impl Chunking {
    /// The default for items of type `T` mapped to `R`: adaptive, starting small,
    /// at most [`MAX_BATCH_BYTES`] of either per batch.
    pub(super) fn adaptive<T, R>() -> Self {
        let widest = size_of::<T>().max(size_of::<R>());
        let max = match widest {
            0 => MAX_BATCH_ITEMS,
            bytes => (MAX_BATCH_BYTES / bytes).clamp(1, MAX_BATCH_ITEMS),
        };
        Self::Adaptive { size: START, max }
    }

    /// Items for the next batch (at least 1).
    pub(super) fn size(self) -> usize {
        match self {
            Self::Adaptive { size, .. } | Self::Fixed(size) => size,
        }
    }

    /// Learns from a batch that ran for `took`: quick batches grow the next ones (up
    /// to the maximum), long ones shrink them (down to 1).
    pub(super) fn learn(&mut self, took: Duration) {
        if let Self::Adaptive { size, max } = self {
            if took < GROW_BELOW {
                *size = size.saturating_mul(2).min(*max);
            } else if took > SHRINK_ABOVE {
                *size = (*size / 2).max(1);
            }
        }
    }
}

/// What a batch's task hands back: one result per item, in input order, and the
/// emptied input buffer for the map to fill again.
#[derive(Debug)]
pub(super) struct Batch<T, R> {
    /// The input buffer, emptied (its allocation is reused for a later batch).
    pub(super) items: Vec<T>,
    /// The results of the items that returned, in input order.
    pub(super) values: Vec<R>,
    /// The items that panicked: their position in the batch and error, ascending.
    pub(super) errors: Vec<(usize, TaskError)>,
    /// How long the batch ran (for [`Chunking::learn`]).
    pub(super) took: Duration,
}

/// Maps `items` through `f` in one go, into `values` (an empty buffer to reuse). An
/// item that panics fails only itself: its position gets the panic's error and the
/// batch goes on with the next item. Stops early (the rest left out) when the task
/// is asked to stop, which only a dropped map does: nobody will read what is missing.
pub(super) fn run<T, R>(f: &impl Fn(T) -> R, mut items: Vec<T>, mut values: Vec<R>) -> Batch<T, R> {
    let start = Instant::now();
    let stop = crate::stop_token();
    values.clear();
    values.reserve(items.len());
    let mut errors = Vec::new();
    let mut drain = items.drain(..);
    while drain.len() > 0 && !stop.is_stopped() {
        // One `catch_unwind` per run of items, not per item. Results are written
        // straight into the spare capacity (no per-item length check), and `written`
        // counts only writes that completed: after a panic it is exactly the number
        // of items before the panicking one.
        let spare = values.spare_capacity_mut();
        let mut written = 0;
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for (slot, item) in spare.iter_mut().zip(drain.by_ref().take(STOP_EVERY)) {
                slot.write(f(item));
                written += 1;
            }
        }));
        // SAFETY: the first `written` slots after `values.len()` were initialised just
        // above (each `write` completed before `written` counted it), and they lie
        // within the capacity (they were slots of `spare_capacity_mut`).
        unsafe { values.set_len(values.len() + written) };
        if let Err(panic) = ran {
            // The panicking item was taken from `drain`: it is the one after the
            // results and errors so far (`reserve` above left room for every item, so
            // the zip never stopped on the spare slots first).
            let position = values.len() + errors.len();
            let message = crate::error::panic_message(&*panic);
            errors.push((position, TaskError::Panicked { message }));
        }
    }
    drop(drain);
    Batch {
        items,
        values,
        errors,
        took: start.elapsed(),
    }
}
