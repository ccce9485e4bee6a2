use super::*;

fn double(n: u64) -> u64 {
    n * 2
}

fn halve_or_panic(n: u64) -> u64 {
    assert!(n.is_multiple_of(2), "odd: {n}");
    n / 2
}

#[test]
fn a_call_runs_here_through_its_offsets() {
    let call = Call::new(double);
    let args = postcard::to_allocvec(&21u64).unwrap();
    let mut out = Vec::new();
    // SAFETY: made in this process, from this executable.
    unsafe { call.invoke(&args, &mut out) }.unwrap();
    assert_eq!(postcard::from_bytes::<u64>(&out).unwrap(), 42);
}

#[test]
fn a_chunk_call_gives_each_item_its_outcome() {
    install_panic_hook();
    let call = Call::chunk(halve_or_panic);
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
