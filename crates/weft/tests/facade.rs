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
fn thread_is_weft_thread() {
    let seven = weft::thread::Thread::new(|| 7).start().map(|h| h.join());
    assert_eq!(seven.unwrap().unwrap(), 7);
    assert_eq!(weft::thread::main_thread().ident(), 1);
    let timer = weft::thread::Timer::after(std::time::Duration::from_secs(60), || ());
    assert!(timer.start().unwrap().cancel());
    let _: Option<weft::thread::JoinError> = None;
    let _: Option<(weft::thread::Panicked, weft::thread::SpawnError)> = None;
    let _: Option<(weft::thread::TimerError, weft::thread::TimerHandle)> = None;
    let _: Option<(weft::thread::JoinHandle<u8>, weft::thread::ThreadInfo)> = None;
    struct Nine;
    impl weft::thread::Runnable for Nine {
        type Output = u8;
        fn run(&mut self, _stop: &weft::sync::StopToken) -> u8 {
            9
        }
    }
    let nine = weft::thread::Thread::from_runnable(Nine)
        .start()
        .map(|h| h.join());
    assert_eq!(nine.unwrap().unwrap(), 9);
    assert!(weft::thread::current().is_alive());
    assert!(weft::thread::enumerate()[0].is_main() && weft::thread::active_count() >= 1);
    assert!(!weft::thread::is_stopped() && !weft::thread::stop_token().is_stopped());
    assert!(weft::thread::sleep(std::time::Duration::ZERO));
    let _: fn(&weft::thread::ExceptHookArgs) = weft::thread::default_excepthook;
    weft::thread::set_excepthook(weft::thread::default_excepthook);
    weft::thread::reset_excepthook();
    let _: fn(Option<std::time::Duration>) = weft::thread::set_exit_deadline;
    weft::thread::shutdown();
    assert!(weft::thread::shutdown_timeout(std::time::Duration::ZERO));
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
    let _: weft::executor::FutureId = future.id();
    let _: weft::executor::Waited<&weft::executor::Future<u8>> =
        weft::executor::wait([&future], weft::executor::ReturnWhen::AllCompleted, None);
    let _: &dyn weft::executor::AsFuture<Output = u8> = &future;
    let _: weft::executor::AsCompleted<weft::executor::Future<u8>> =
        weft::executor::as_completed(Vec::new());
    let _: weft::executor::AsCompleted<weft::executor::Future<u8>> =
        weft::executor::as_completed_timeout(Vec::new(), std::time::Duration::ZERO);
    let _: weft::executor::SharedFuture<u8> = future.shared();
    let _: weft::executor::Map<'_, std::ops::Range<u8>, fn(u8) -> u8, u8> =
        pool.map((|x| x) as fn(u8) -> u8, 0..1);
    let _: weft::executor::MapUnordered<'_, std::ops::Range<u8>, fn(u8) -> u8, u8> =
        pool.map_unordered((|x| x) as fn(u8) -> u8, 0..1);
    pool.scope(|s: &weft::executor::Scope<'_>| s.spawn(|_| ()));
    assert!(!weft::executor::stop_token().is_stopped());
    let (promise, promised): (weft::executor::Promise<u8>, weft::executor::Future<u8>) =
        weft::executor::Promise::new();
    promise.complete(Ok(4));
    assert_eq!(promised.result(), Ok(4));
}

#[test]
fn process_is_weft_process() {
    // Without init() in this test binary, building a pool is refused with the fix.
    let refused = weft::process::ProcessPool::builder().build();
    assert!(matches!(
        refused,
        Err(weft::process::BuildError::NotInitialized)
    ));
    let _: fn() = weft::process::init;
    let _: weft::process::ProcessPoolBuilder = weft::process::ProcessPool::builder()
        .when_full(weft::process::WhenFull::Reject)
        .queue_capacity(weft::process::DEFAULT_QUEUE_CAPACITY)
        .startup_timeout(weft::process::DEFAULT_STARTUP_TIMEOUT);
    let _: Option<(weft::process::SubmitError<u8>, weft::process::Stats)> = None;
    let _: Option<weft::process::Map<'_, std::ops::Range<u8>, u8, u8>> = None;
    let _: Option<weft::process::MapUnordered<'_, std::ops::Range<u8>, u8, u8>> = None;
}
