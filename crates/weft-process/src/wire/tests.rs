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
        outcome: Ok(Bytes(&args)),
    };
    push_frame(&mut out, &reply).unwrap();
    let message: ToParent<'_> = postcard::from_bytes(&out[HEADER..]).unwrap();
    match message {
        ToParent::Reply {
            id: 3,
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
