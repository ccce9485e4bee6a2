//! How big the primitives are: a lock is one word, so that it can sit beside every
//! piece of data it guards (`raw/README.md`: the word lock). Run with `--nocapture`
//! to print the table.
#![cfg(target_pointer_width = "64")]

use std::mem::size_of;

use weftkit::sync::{Condition, Event, Lock, RLock, Semaphore};

#[test]
fn primitives_stay_small() {
    let sizes = [
        ("Lock<()>", size_of::<Lock<()>>(), 8),
        ("RLock<()>", size_of::<RLock<()>>(), 24),
        ("Condition<()>", size_of::<Condition<()>>(), 24),
        ("Event", size_of::<Event>(), 32),
        ("Semaphore", size_of::<Semaphore>(), 32),
        (
            "std Mutex<()>",
            size_of::<std::sync::Mutex<()>>(),
            usize::MAX,
        ),
    ];
    for (name, size, _) in sizes {
        println!("{name:<16} {size:>3} B");
    }
    for (name, size, bound) in sizes {
        assert!(size <= bound, "{name} grew to {size} B (bound {bound} B)");
    }
}
