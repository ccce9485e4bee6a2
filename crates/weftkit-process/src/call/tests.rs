use super::*;

/// The panic hook is process-wide: the tests that install it take turns.
static HOOK: weftkit_shim::sync::Mutex<()> = weftkit_shim::sync::Mutex::new(());

fn double(n: u64) -> u64 {
    n * 2
}

fn halve_or_panic(n: u64) -> u64 {
    assert!(n.is_multiple_of(2), "odd: {n}");
    n / 2
}

#[test]
fn a_call_runs_here_through_its_offsets() {
    let call = Call::new(double).unwrap();
    let args = postcard::to_allocvec(&21u64).unwrap();
    let mut out = Vec::new();
    // SAFETY: made in this process, from this executable.
    unsafe { call.invoke(&args, &mut out) }.unwrap();
    assert_eq!(postcard::from_bytes::<u64>(&out).unwrap(), 42);
}

#[test]
fn a_chunk_call_gives_each_item_its_outcome() {
    let _hook = HOOK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    install_panic_hook();
    let call = Call::chunk(halve_or_panic).unwrap();
    let args = postcard::to_allocvec(&vec![2u64, 3, 4]).unwrap();
    let mut out = Vec::new();
    // SAFETY: made in this process, from this executable.
    unsafe { call.invoke(&args, &mut out) }.unwrap();
    let got: Vec<Result<u64, WireError>> = postcard::from_bytes(&out).unwrap();
    assert_eq!(got[0], Ok(1));
    assert_eq!(got[2], Ok(2));
    match &got[1] {
        Err(WireError::Panicked(message)) => {
            assert!(message.starts_with("odd: 3, at "), "{message}");
            assert!(message.contains("tests.rs:"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let _ = std::panic::take_hook();
}

#[test]
fn the_probe_is_stable_within_a_process() {
    assert_eq!(Probe::here(), Probe::here());
}

#[cfg(all(any(target_os = "linux", target_os = "android"), target_env = "gnu"))]
#[test]
fn only_code_of_the_anchors_object_is_named_by_offset() {
    let object = anchor_object().expect("the loaded objects are listed on Linux");
    assert!(object.contains(&(double as fn(u64) -> u64 as usize)));
    assert!(portable_offset(double as fn(u64) -> u64 as usize).is_ok());
    assert!(portable_offset(object.end).is_err());
    assert!(portable_offset(object.start.wrapping_sub(1)).is_err());
    // A function of the C library, a shared object loaded at its own base.
    let abs = libc::abs as unsafe extern "C" fn(libc::c_int) -> libc::c_int as usize;
    let error = portable_offset(abs).unwrap_err();
    assert!(error.contains("shared library"), "{error}");
}

#[test]
fn a_probe_without_the_executables_identity_matches_nothing() {
    let mut unknown = Probe::here();
    unknown.executable = None;
    assert!(!unknown.matches(&unknown.clone()));
    assert!(Probe::here().matches(&Probe::here()));
}

#[test]
fn a_panic_caught_inside_a_task_does_not_name_a_later_one() {
    let _hook = HOOK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    install_panic_hook();
    let outcome = caught(|| {
        let _ = std::panic::catch_unwind(|| panic!("first, caught by the task"));
        std::panic::resume_unwind(Box::new("second, re-raised"));
    });
    match outcome {
        Err(WireError::Panicked(message)) => assert_eq!(message, "second, re-raised"),
        other => panic!("{other:?}"),
    }
    let _ = std::panic::take_hook();
}

#[cfg(target_env = "gnu")] // with a static C library (musl), it is in the executable
#[test]
fn dladdr_tells_the_executable_from_a_shared_library() {
    let here = crate::os::object_base(anchor as fn() as usize).expect("the executable is loaded");
    assert_eq!(
        crate::os::object_base(double as fn(u64) -> u64 as usize),
        Some(here)
    );
    let abs = libc::abs as unsafe extern "C" fn(libc::c_int) -> libc::c_int as usize;
    assert_ne!(crate::os::object_base(abs), Some(here));
}
