//! Batch buffers kept on the reader's thread from one map to the next (M6 in
//! `README.md`): a map's first batches then reuse memory that is already mapped,
//! instead of faulting in fresh pages every time.

use std::any::Any;
use std::cell::RefCell;

/// The most buffer memory a thread keeps between maps: a default window of full
/// batches.
const MAX_KEPT_BYTES: usize = 4 << 20;

/// Emptied input and result buffers, one pair per batch.
pub(super) type Buffers<T, R> = Vec<(Vec<T>, Vec<R>)>;

weftkit_shim::thread_local! {
    /// The buffers the last map on this thread left, as `Buffers<T, R>` of its types.
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! has no const form")]
    static KEPT: RefCell<Option<Box<dyn Any>>> = RefCell::new(None);
}

/// Takes the buffers a previous map of the same types left on this thread (none if
/// there are none, or of other types).
pub(super) fn take<T: 'static, R: 'static>() -> Buffers<T, R> {
    KEPT.try_with(|kept| {
        let mut kept = kept.borrow_mut();
        match kept.take().map(<Box<dyn Any>>::downcast::<Buffers<T, R>>) {
            Some(Ok(buffers)) => *buffers,
            Some(Err(other)) => {
                *kept = Some(other);
                Vec::new()
            }
            None => Vec::new(),
        }
    })
    .unwrap_or_default()
}

/// Keeps `buffers` (all empty) for the next map on this thread, up to
/// [`MAX_KEPT_BYTES`] of them; they replace whatever was kept before.
pub(super) fn keep<T: 'static, R: 'static>(mut buffers: Buffers<T, R>) {
    let mut bytes = 0usize;
    buffers.retain(|(items, values)| {
        debug_assert!(
            items.is_empty() && values.is_empty(),
            "kept buffers are empty"
        );
        bytes = bytes
            .saturating_add(items.capacity().saturating_mul(size_of::<T>()))
            .saturating_add(values.capacity().saturating_mul(size_of::<R>()));
        bytes <= MAX_KEPT_BYTES
    });
    if buffers.is_empty() {
        return;
    }
    // Empty buffers drop no item, so no user code runs while the cell is borrowed.
    // A thread that is exiting has no cell left: the buffers are simply freed.
    let _ = KEPT.try_with(|kept| *kept.borrow_mut() = Some(Box::new(buffers)));
}
