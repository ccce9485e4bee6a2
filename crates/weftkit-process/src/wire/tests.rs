use super::*;

#[test]
fn a_frame_round_trips_and_is_checked() {
    let mut out = Vec::new();
    push_frame(
        &mut out,
        &ToParent::InitFailed {
            message: "x".into(),
        },
    )
    .unwrap();
    let Parsed::Frame { len } = next_frame(&out) else {
        panic!("whole frame expected")
    };
    assert_eq!(len + HEADER, out.len());
    let message: ToParent<'_> = postcard::from_bytes(&out[HEADER..]).unwrap();
    assert!(matches!(message, ToParent::InitFailed { message } if message == "x"));

    for cut in 0..out.len() {
        assert_eq!(next_frame(&out[..cut]), Parsed::Partial);
    }
    let last = out.len() - 1;
    out[last] ^= 1;
    assert!(matches!(next_frame(&out), Parsed::Damaged(_)));
}

#[test]
fn borrowed_bytes_cross_as_one_byte_string() {
    let mut out = Vec::new();
    let args = vec![7u8; 1000];
    let reply = ToParent::Reply {
        id: 3,
        micros: 12,
        outcome: Ok(Bytes(&args)),
    };
    push_frame(&mut out, &reply).unwrap();
    let message: ToParent<'_> = postcard::from_bytes(&out[HEADER..]).unwrap();
    match message {
        ToParent::Reply {
            id: 3,
            micros: 12,
            outcome: Ok(Bytes(bytes)),
        } => assert_eq!(bytes, &args[..]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_absurd_length_is_refused_before_allocating() {
    let mut buf = vec![0xff; HEADER];
    buf[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(next_frame(&buf), Parsed::Damaged(_)));
}

#[test]
fn a_result_too_large_for_a_frame_is_that_tasks_codec_error() {
    let mut out = vec![9u8; 5]; // what was queued before stays
    let big = vec![1u8; 300];
    push_reply_within(&mut out, 7, 5, Ok(&big), 200).unwrap();
    assert_eq!(&out[..5], &[9u8; 5]);
    let Parsed::Frame { len } = next_frame(&out[5..]) else {
        panic!("whole frame expected")
    };
    assert_eq!(5 + HEADER + len, out.len());
    match postcard::from_bytes::<ToParent<'_>>(&out[5 + HEADER..]).unwrap() {
        ToParent::Reply {
            id: 7,
            outcome: Err(WireError::Codec(message)),
            ..
        } => assert!(message.contains("larger than the limit"), "{message}"),
        other => panic!("{other:?}"),
    }
    // Within the limit, the result itself goes out.
    let mut out = Vec::new();
    push_reply_within(&mut out, 8, 5, Ok(&big[..100]), 200).unwrap();
    let message: ToParent<'_> = postcard::from_bytes(&out[HEADER..]).unwrap();
    assert!(
        matches!(message, ToParent::Reply { id: 8, outcome: Ok(Bytes(b)), .. } if b.len() == 100)
    );
}

#[test]
fn an_argument_over_the_limit_is_refused_before_it_is_queued() {
    assert!(check_args(&[0u8; 10]).is_ok());
    assert!(check_args_len(10, 10).is_ok());
    let error = check_args_len(11, 10).unwrap_err();
    assert!(
        error.contains("11 bytes") && error.contains("split"),
        "{error}"
    );
}
