//! Which public types may cross or be shared between threads: checked at compile time.

use weftkit::executor::{
    AsCompleted, BuildError, Future, FutureId, ReturnWhen, SharedFuture, SpawnError, SubmitError,
    TaskError, ThreadPool, ThreadPoolBuilder, UnobservedFailure, Waited, WhenFull,
};

fn send<T: Send>() {}
fn sync<T: Sync>() {}

#[test]
fn pools_futures_and_errors_are_send_and_sync() {
    send::<ThreadPool>();
    sync::<ThreadPool>();
    send::<ThreadPoolBuilder>();
    send::<Future<u8>>();
    sync::<Future<u8>>();
    send::<SharedFuture<u8>>();
    sync::<SharedFuture<u8>>();
    send::<AsCompleted<Future<u8>>>();
    send::<AsCompleted<(String, Future<u8>)>>();
    send::<FutureId>();
    sync::<FutureId>();
    send::<Waited<Future<u8>>>();
    sync::<Waited<Future<u8>>>();
    send::<(ReturnWhen, WhenFull)>();
    sync::<(ReturnWhen, WhenFull)>();
    send::<TaskError>();
    sync::<TaskError>();
    send::<BuildError>();
    sync::<BuildError>();
    send::<SpawnError>();
    sync::<SpawnError>();
    send::<SubmitError<fn()>>();
    sync::<SubmitError<fn()>>();
    send::<UnobservedFailure>();
    sync::<UnobservedFailure>();
}
