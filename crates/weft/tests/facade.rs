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
