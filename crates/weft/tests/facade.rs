//! Every re-export of the facade is reachable under its documented path.

#[test]
fn sync_is_weft_sync() {
    let lock = weft::sync::Lock::new(1);
    let cond = weft::sync::Condition::new(());
    let token = weft::sync::StopToken::new();
    let rlock = weft::sync::RLock::new(2);
    assert_eq!(*rlock.lock(), 2);
    assert_eq!(*lock.lock(), 1);
    assert!(!cond.lock().notify_one());
    assert!(!token.is_stopped());
    let _: Option<weft::sync::Stopped> = None;
    assert_eq!(weft::sync::Barrier::new(1).map(|b| b.wait()), Ok(Ok(0)));
    let _: Option<weft::sync::BarrierError> = None;
    let _: Option<weft::sync::ConfigError> = None;
    assert_eq!(weft::sync::Queue::<u8>::unbounded().try_put(1), Ok(()));
    assert_eq!(weft::sync::LifoQueue::<u8>::unbounded().try_put(1), Ok(()));
    assert_eq!(
        weft::sync::PriorityQueue::<u8>::unbounded().try_put(1),
        Ok(())
    );
    let _: Option<(
        weft::sync::ConfigError,
        weft::sync::PutError<u8>,
        weft::sync::GetError,
    )> = None;
    let _: Option<(weft::sync::QueueJoinError, weft::sync::TaskDoneError)> = None;
    assert!(!weft::sync::Event::new().is_set());
    assert_eq!(weft::sync::Semaphore::new(1).available_permits(), 1);
    assert_eq!(weft::sync::BoundedSemaphore::new(1).bound(), 1);
    let _: Option<weft::sync::SemaphorePermit<'static>> = None;
    let _: Option<weft::sync::ReleaseError> = None;
}

#[test]
fn executor_is_weft_executor() {
    let pool = weft::executor::ThreadPool::builder()
        .max_workers(1)
        .build()
        .unwrap();
    let _: weft::executor::ThreadPoolBuilder = weft::executor::ThreadPool::builder();
    let _: weft::executor::WhenFull = weft::executor::WhenFull::Block;
    let _: usize = weft::executor::DEFAULT_QUEUE_CAPACITY;
    let future: weft::executor::Future<u8> = pool.submit(|| 1).unwrap();
    let _: Option<(weft::executor::TaskError, weft::executor::BuildError)> = None;
    let _: Option<(weft::executor::SubmitError<()>, weft::executor::SpawnError)> = None;
    let _: Option<(
        weft::executor::UnobservedFailure,
        weft::executor::UnobservedFailureHook,
    )> = None;
    let _: fn(Option<weft::executor::UnobservedFailureHook>) =
        weft::executor::set_unobserved_failure_hook;
    let _: weft::executor::Waited =
        weft::executor::wait(&[future], weft::executor::ReturnWhen::AllCompleted, None);
    let _: weft::executor::AsCompleted<u8> = weft::executor::as_completed(Vec::new());
    let _: weft::executor::AsCompleted<u8> =
        weft::executor::as_completed_timeout(Vec::new(), std::time::Duration::ZERO);
    let _: weft::executor::Map<'_, std::ops::Range<u8>, fn(u8) -> u8, u8> =
        pool.map(0..1, (|x| x) as fn(u8) -> u8);
    let _: weft::executor::MapUnordered<'_, std::ops::Range<u8>, fn(u8) -> u8, u8> =
        pool.map_unordered(0..1, (|x| x) as fn(u8) -> u8);
    pool.scope(|s: &weft::executor::Scope<'_>| s.spawn(|_| ()));
    assert!(!weft::executor::stop_token().is_stopped());
}
