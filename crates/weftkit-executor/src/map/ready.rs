//! The finished batch a `map` is yielding from: the consumer reads its `Vec` with no
//! synchronisation (the task is done and the batch is ours).

use std::collections::VecDeque;

use super::batch::Batch;
use crate::TaskError;

/// The unread rest of a finished batch.
#[derive(Debug)]
pub(super) struct Ready<R> {
    /// Results of the items that returned: in input order, or reversed once `next`
    /// has been called (so it pops them from the back). A plain `Vec`, so that its
    /// buffer, once emptied, is handed back for a later batch.
    values: Vec<R>,
    /// Whether `values` is reversed.
    reversed: bool,
    /// Items that failed: position in the batch and error, ascending.
    errors: VecDeque<(usize, TaskError)>,
    /// Position in the batch of the next item to yield.
    next: usize,
    /// Items in the batch.
    len: usize,
}

impl<R> Default for Ready<R> {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            reversed: false,
            errors: VecDeque::new(),
            next: 0,
            len: 0,
        }
    }
}

impl<R> Ready<R> {
    /// A batch of `len` items that ran.
    pub(super) fn ran<T>(batch: Batch<T, R>, len: usize) -> Self {
        Self {
            values: batch.values,
            reversed: false,
            errors: batch.errors.into(),
            next: 0,
            len,
        }
    }

    /// A batch of `len` items whose task did not run (cancelled, pool broken, shut
    /// down): every item fails with `error`.
    pub(super) fn failed(error: &TaskError, len: usize) -> Self {
        Self {
            values: Vec::new(),
            reversed: false,
            errors: (0..len).map(|i| (i, error.clone())).collect(),
            next: 0,
            len,
        }
    }

    /// Takes the results' buffer once every result was read (`None` before), for a
    /// later batch to fill.
    pub(super) fn take_buffer(&mut self) -> Option<Vec<R>> {
        (self.len() == 0 && self.values.capacity() > 0).then(|| std::mem::take(&mut self.values))
    }

    /// Items not yielded yet.
    pub(super) fn len(&self) -> usize {
        self.len - self.next
    }

    /// The next item's result.
    pub(super) fn next(&mut self) -> Option<Result<R, TaskError>> {
        if self.next == self.len {
            return None;
        }
        let at = self.next;
        self.next += 1;
        if self.errors.front().is_some_and(|&(p, _)| p == at) {
            return self.errors.pop_front().map(|(_, error)| Err(error));
        }
        // A batch stopped early left its last items out; only a dropped map stops
        // its batches, so this is never read, but an item is never lost silently.
        if !self.reversed {
            // One pass over a buffer the reader is about to read anyway, so that each
            // `next` is a `pop`.
            self.values.reverse();
            self.reversed = true;
        }
        Some(self.values.pop().ok_or(TaskError::Cancelled))
    }

    /// Folds every unread result into `acc`. With no failed item (the usual case)
    /// this is one pass over the batch's `Vec`, which the compiler can vectorise.
    pub(super) fn fold<B>(
        &mut self,
        acc: B,
        g: &mut impl FnMut(B, Result<R, TaskError>) -> B,
    ) -> B {
        let mut acc = acc;
        if self.errors.is_empty() && self.values.len() == self.len() {
            self.next = self.len;
            let g = |acc, value| g(acc, Ok(value));
            return if self.reversed {
                self.values.drain(..).rev().fold(acc, g)
            } else {
                self.values.drain(..).fold(acc, g)
            };
        }
        while let Some(result) = self.next() {
            acc = g(acc, result);
        }
        acc
    }
}
