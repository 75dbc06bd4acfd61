//! Inputs the fuzzers found (`scripts/fuzz`), kept as regression tests: each
//! goes through the same checks as the `mms_pdu` fuzz target.

use ferry_mms::{Header, Pdu, field};

fn check(data: &[u8]) {
    if let Ok(p) = Pdu::decode(data) {
        let _ = p.validate();
        for h in &p.headers {
            let _ = h.value_text();
        }
        let b = p.to_bytes();
        let broken = p
            .headers
            .iter()
            .any(|h| matches!(h, Header::Unknown { code, .. } if field::name(*code).is_some()));
        if broken {
            let _ = Pdu::decode(&b);
            return;
        }
        let q = Pdu::decode(&b).expect("re-encoded PDU decodes");
        let mut expected = p.clone();
        expected.canonical_order();
        assert_eq!(q, expected);
        assert_eq!(q.to_bytes(), b, "PDU encoding is a fixed point");
    }
}

fn check_both(data: &[u8]) {
    check(data);
    if let Some((&first, rest)) = data.split_first() {
        let mut b = vec![0x8C, 0x80 | (first % 0x18)];
        b.extend_from_slice(rest);
        check(&b);
    }
}

/// From (0x89) with a value that is not an Encoded-string-value, kept raw,
/// followed by a Content-Type and an empty multipart body.
#[test]
fn broken_from_kept_raw() {
    check_both(&[0x8C, 0x89, 0x91, 0x84, 0x8D]);
    let p = Pdu::decode(&[0x8C, 0x94, 0x89, 0x91, 0x84, 0x8D]).unwrap();
    assert!(matches!(p.headers[1], Header::Unknown { code: 0x09, .. }));
}

/// Response-Text with charset number 0 (Any-charset as a Long-integer): the
/// same as no charset, so it re-encodes as a plain Text-string.
#[test]
fn any_charset_as_long_integer() {
    check_both(&[0x19, 0x93, 0x01, 0x00]);
    let p = Pdu::decode(&[0x8C, 0x81, 0x93, 0x01, 0x00]).unwrap();
    match &p.headers[1] {
        Header::ResponseText { text, .. } => assert_eq!(text.charset, None),
        other => panic!("{other:?}"),
    }
}

/// A Content-Type that is an empty Text-string (Quote, NUL) is not a media
/// type: it is kept raw, and the PDU still decodes.
#[test]
fn empty_media_type() {
    check_both(&[
        0x32, 0x84, 0x7F, 0x00, 0xB1, 0x00, 0x42, 0x55, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00,
    ]);
    let p = Pdu::decode(&[0x8C, 0x82, 0x84, 0x7F, 0x00]).unwrap();
    assert!(matches!(p.headers[1], Header::Unknown { code: 0x04, .. }));
}
