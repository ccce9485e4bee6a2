//! Every re-export of the facade is reachable under its documented path.

#[test]
fn sync_is_weft_sync() {
    let lock = weftkit::sync::Lock::new(1);
    let cond = weftkit::sync::Condition::new(());
    let token = weftkit::sync::StopToken::new();
    let rlock = weftkit::sync::RLock::new(2);
    assert_eq!(*rlock.lock(), 2);
    assert_eq!(*lock.lock(), 1);
    assert!(!cond.lock().notify_one());
    assert!(!token.is_stopped());
    let _: Option<weftkit::sync::Stopped> = None;
    assert_eq!(weftkit::sync::Barrier::new(1).map(|b| b.wait()), Ok(Ok(0)));
    let _: Option<weftkit::sync::BarrierError> = None;
    let _: Option<weftkit::sync::ConfigError> = None;
    assert_eq!(weftkit::sync::Queue::<u8>::unbounded().try_put(1), Ok(()));
    assert_eq!(
        weftkit::sync::LifoQueue::<u8>::unbounded().try_put(1),
        Ok(())
    );
    assert_eq!(
        weftkit::sync::PriorityQueue::<u8>::unbounded().try_put(1),
        Ok(())
    );
    let _: Option<(
        weftkit::sync::ConfigError,
        weftkit::sync::PutError<u8>,
        weftkit::sync::GetError,
    )> = None;
    let _: Option<(weftkit::sync::QueueJoinError, weftkit::sync::TaskDoneError)> = None;
    assert!(!weftkit::sync::Event::new().is_set());
    assert_eq!(weftkit::sync::Semaphore::new(1).available_permits(), 1);
    assert_eq!(weftkit::sync::BoundedSemaphore::new(1).bound(), 1);
    let _: Option<weftkit::sync::SemaphorePermit<'static>> = None;
    let _: Option<weftkit::sync::ReleaseError> = None;
}

#[test]
fn thread_is_weft_thread() {
    let seven = weftkit::thread::Thread::new(|| 7).start().map(|h| h.join());
    assert_eq!(seven.unwrap().unwrap(), 7);
    assert_eq!(weftkit::thread::main_thread().ident(), 1);
    let timer = weftkit::thread::Timer::after(std::time::Duration::from_secs(60), || ());
    assert!(timer.start().unwrap().cancel());
    let _: Option<weftkit::thread::JoinError> = None;
    let _: Option<(weftkit::thread::Panicked, weftkit::thread::SpawnError)> = None;
    let _: Option<(weftkit::thread::TimerError, weftkit::thread::TimerHandle)> = None;
    let _: Option<(weftkit::thread::JoinHandle<u8>, weftkit::thread::ThreadInfo)> = None;
    struct Nine;
    impl weftkit::thread::Runnable for Nine {
        type Output = u8;
        fn run(&mut self, _stop: &weftkit::sync::StopToken) -> u8 {
            9
        }
    }
    let nine = weftkit::thread::Thread::from_runnable(Nine)
        .start()
        .map(|h| h.join());
    assert_eq!(nine.unwrap().unwrap(), 9);
    assert!(weftkit::thread::current().is_alive());
    assert!(weftkit::thread::enumerate()[0].is_main() && weftkit::thread::active_count() >= 1);
    assert!(!weftkit::thread::is_stopped() && !weftkit::thread::stop_token().is_stopped());
    assert!(weftkit::thread::sleep(std::time::Duration::ZERO));
    let _: fn(&weftkit::thread::ExceptHookArgs) = weftkit::thread::default_excepthook;
    weftkit::thread::set_excepthook(weftkit::thread::default_excepthook);
    weftkit::thread::reset_excepthook();
    let _: fn(Option<std::time::Duration>) = weftkit::thread::set_exit_deadline;
    weftkit::thread::shutdown();
    assert!(weftkit::thread::shutdown_timeout(std::time::Duration::ZERO));
}

#[test]
fn executor_is_weft_executor() {
    let pool = weftkit::executor::ThreadPool::builder()
        .max_workers(1)
        .build()
        .unwrap();
    let _: weftkit::executor::ThreadPoolBuilder = weftkit::executor::ThreadPool::builder();
    let _: weftkit::executor::WhenFull = weftkit::executor::WhenFull::Block;
    let _: usize = weftkit::executor::DEFAULT_QUEUE_CAPACITY;
    let future: weftkit::executor::Future<u8> = pool.submit(|| 1).unwrap();
    let _: Option<(weftkit::executor::TaskError, weftkit::executor::BuildError)> = None;
    let _: Option<(
        weftkit::executor::SubmitError<()>,
        weftkit::executor::SpawnError,
    )> = None;
    let _: Option<(
        weftkit::executor::UnobservedFailure,
        weftkit::executor::UnobservedFailureHook,
    )> = None;
    let _: fn(Option<weftkit::executor::UnobservedFailureHook>) =
        weftkit::executor::set_unobserved_failure_hook;
    let _: weftkit::executor::FutureId = future.id();
    let _: weftkit::executor::Waited<&weftkit::executor::Future<u8>> =
        weftkit::executor::wait([&future], weftkit::executor::ReturnWhen::AllCompleted, None);
    let _: &dyn weftkit::executor::AsFuture<Output = u8> = &future;
    let _: weftkit::executor::AsCompleted<weftkit::executor::Future<u8>> =
        weftkit::executor::as_completed(Vec::new());
    let _: weftkit::executor::AsCompleted<weftkit::executor::Future<u8>> =
        weftkit::executor::as_completed_timeout(Vec::new(), std::time::Duration::ZERO);
    let _: weftkit::executor::SharedFuture<u8> = future.shared();
    let _: weftkit::executor::Map<'_, std::ops::Range<u8>, fn(u8) -> u8, u8> =
        pool.map((|x| x) as fn(u8) -> u8, 0..1);
    let _: weftkit::executor::MapUnordered<'_, std::ops::Range<u8>, fn(u8) -> u8, u8> =
        pool.map_unordered((|x| x) as fn(u8) -> u8, 0..1);
    pool.scope(|s: &weftkit::executor::Scope<'_>| s.spawn(|_| ()));
    assert!(!weftkit::executor::stop_token().is_stopped());
    let (promise, promised): (
        weftkit::executor::Promise<u8>,
        weftkit::executor::Future<u8>,
    ) = weftkit::executor::Promise::new();
    promise.complete(Ok(4));
    assert_eq!(promised.result(), Ok(4));
}

#[test]
fn process_is_weft_process() {
    // Without init() in this test binary, building a pool is refused with the fix.
    let refused = weftkit::process::ProcessPool::builder().build();
    assert!(matches!(
        refused,
        Err(weftkit::process::BuildError::NotInitialized)
    ));
    let _: fn() = weftkit::process::init;
    let _: weftkit::process::ProcessPoolBuilder = weftkit::process::ProcessPool::builder()
        .when_full(weftkit::process::WhenFull::Reject)
        .queue_capacity(weftkit::process::DEFAULT_QUEUE_CAPACITY)
        .startup_timeout(weftkit::process::DEFAULT_STARTUP_TIMEOUT);
    let _: Option<(weftkit::process::SubmitError<u8>, weftkit::process::Stats)> = None;
    let _: Option<weftkit::process::Map<'_, std::ops::Range<u8>, u8, u8>> = None;
    let _: Option<weftkit::process::MapUnordered<'_, std::ops::Range<u8>, u8, u8>> = None;
}

#[cfg(feature = "mpi")]
#[test]
fn mpi_is_weft_mpi() {
    // Without init() (and outside mpirun), building a pool is refused with the fix.
    assert!(matches!(
        weftkit::mpi::MpiPool::builder().build(),
        Err(weftkit::mpi::BuildError::NotInitialized)
    ));
    assert_eq!(weftkit::mpi::rank(), None);
    assert_eq!(weftkit::mpi::hosts(), None);
    let _: fn() -> Result<(), weftkit::mpi::InitError> = weftkit::mpi::init;
    let _: weftkit::mpi::MpiPoolBuilder = weftkit::mpi::MpiPool::builder()
        .when_full(weftkit::mpi::WhenFull::Reject)
        .queue_capacity(weftkit::mpi::DEFAULT_QUEUE_CAPACITY);
    let _: Option<(weftkit::mpi::SubmitError<u8>, weftkit::mpi::Stats)> = None;
    let _: Option<weftkit::mpi::Map<'_, std::ops::Range<u8>, u8, u8>> = None;
    let _: Option<weftkit::mpi::MapUnordered<'_, std::ops::Range<u8>, u8, u8>> = None;
}
