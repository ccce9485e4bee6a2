//! Which public types may cross or be shared between threads: checked at compile time.
//! Guards must never be `Send` (unlocking belongs to the locking thread); the
//! `compile_fail` doctests on each guard type prove that side.

use std::cell::Cell;

use weftkit_sync::{
    Condition, ConditionGuard, Lock, LockGuard, RLock, RLockGuard, StopToken, Stopped,
};

fn send<T: Send>() {}
fn sync<T: Sync>() {}

#[test]
fn primitives_are_send_and_sync_when_their_data_is_send() {
    send::<Lock<Cell<u8>>>();
    sync::<Lock<Cell<u8>>>();
    send::<RLock<Cell<u8>>>();
    sync::<RLock<Cell<u8>>>();
    send::<Condition<Cell<u8>>>();
    sync::<Condition<Cell<u8>>>();
    send::<StopToken>();
    sync::<StopToken>();
    send::<Stopped>();
    sync::<Stopped>();
}

#[test]
fn guards_are_sync_when_their_data_is_sync() {
    sync::<LockGuard<'static, u8>>();
    sync::<RLockGuard<'static, u8>>();
    sync::<ConditionGuard<'static, u8>>();
}
