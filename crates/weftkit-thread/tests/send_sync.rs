//! Which public types may cross or be shared between threads: checked at compile time.

use weftkit_thread::{
    ExceptHookArgs, JoinError, JoinHandle, Panicked, SpawnError, Thread, ThreadInfo, Timer,
    TimerError, TimerHandle,
};

fn send<T: Send>() {}
fn sync<T: Sync>() {}

#[test]
fn handles_and_errors_are_send_and_sync() {
    send::<Thread<u8>>();
    send::<JoinHandle<u8>>();
    sync::<JoinHandle<u8>>();
    send::<ThreadInfo>();
    sync::<ThreadInfo>();
    send::<Timer>();
    send::<TimerHandle>();
    sync::<TimerHandle>();
    send::<ExceptHookArgs>();
    sync::<ExceptHookArgs>();
    send::<SpawnError>();
    sync::<SpawnError>();
    send::<Panicked>();
    sync::<Panicked>();
    send::<JoinError>();
    sync::<JoinError>();
    send::<TimerError>();
    sync::<TimerError>();
}
