//! Inputs the fuzzers found (`scripts/fuzz`), kept as regression tests, and
//! the fuzz targets' invariants as plain `cargo test` properties: arbitrary
//! bytes never panic, and whatever decodes re-encodes to bytes that decode to
//! the same value (and the re-encoding is a fixed point).

use ferry_wsp::headers::{decode_headers, encode_headers};
use ferry_wsp::{
    ContentType, EncodedString, MediaType, ParamValue, Parameter, Push, Reader, decode_multipart,
    encode_multipart,
};
use proptest::prelude::*;

/// The `wsp_values` fuzz target's checks.
fn check_values(data: &[u8]) {
    let _ = Reader::new(data).uintvar("u");
    let _ = Reader::new(data).integer_value("i");
    let _ = Reader::new(data).value_length("v");
    let _ = Reader::new(data).skip_value("s");
    if let Ok(e) = EncodedString::decode(&mut Reader::new(data), "e") {
        let _ = e.text();
        let mut b = Vec::new();
        e.encode(&mut b);
        let e2 =
            EncodedString::decode(&mut Reader::new(&b), "e").expect("re-encoded string decodes");
        assert_eq!(e2, e);
    }
    if let Ok(ct) = ContentType::decode(&mut Reader::new(data), "c") {
        let b = ct.to_bytes();
        let ct2 = ContentType::decode(&mut Reader::new(&b), "c")
            .expect("re-encoded content type decodes");
        assert_eq!(ct2, ct);
        assert_eq!(ct2.to_bytes(), b, "content type encoding is a fixed point");
    }
    if let Ok(hs) = decode_headers(&mut Reader::new(data), "h") {
        let mut b = Vec::new();
        encode_headers(&mut b, &hs);
        let hs2 = decode_headers(&mut Reader::new(&b), "h").expect("re-encoded headers decode");
        assert_eq!(hs2, hs);
        let mut b2 = Vec::new();
        encode_headers(&mut b2, &hs2);
        assert_eq!(b2, b, "header encoding is a fixed point");
    }
}

/// The `wsp_multipart` fuzz target's checks.
fn check_multipart(data: &[u8]) {
    if let Ok(parts) = decode_multipart(data) {
        for p in &parts {
            let _ = p.decoded_body();
            let _ = p.file_name();
        }
        let mut b = Vec::new();
        encode_multipart(&mut b, &parts);
        let again = decode_multipart(&b).expect("re-encoded multipart decodes");
        assert_eq!(again, parts);
        let mut b2 = Vec::new();
        encode_multipart(&mut b2, &again);
        assert_eq!(b2, b, "multipart encoding is a fixed point");
    }
}

/// The `wsp_push` fuzz target's checks.
fn check_push(data: &[u8]) {
    if let Ok(p) = Push::decode(data) {
        let _ = p.is_mms();
        let _ = p.encoding_version();
        let b = p.to_bytes();
        let q = Push::decode(&b).expect("re-encoded push decodes");
        assert_eq!(q, p);
        assert_eq!(q.to_bytes(), b, "push encoding is a fixed point");
    }
}

fn check_all(data: &[u8]) {
    check_values(data);
    check_multipart(data);
    check_push(data);
}

/// An unknown typed parameter (0x50) whose value is No-value (0x00): it was
/// re-encoded untyped with a lone NUL, which read back as an empty text.
#[test]
fn untyped_no_value_parameter() {
    // Value-length 3, text/plain, parameter 0x50, No-value.
    check_all(&[0x03, 0x83, 0xD0, 0x00]);
    // From the mms_pdu target: q, 0x50 = No-value, modification-date, start-info.
    check_all(&[
        0x10, 0x83, 0x00, 0x84, 0xC6, 0x22, 0xD0, 0x00, 0x94, 0x95, 0x9A, 0x94, 0x00, 0x20, 0xBA,
        0xBA,
    ]);
    let ct = ContentType::decode(&mut Reader::new(&[0x03, 0x83, 0xD0, 0x00]), "c").unwrap();
    assert_eq!(ct.params[0].value, ParamValue::NoValue);
    // An untyped parameter with an empty text value stays text.
    let ct = ContentType::new("text/plain").with(Parameter::text("x-a", ""));
    let b = ct.to_bytes();
    assert_eq!(ContentType::decode(&mut Reader::new(&b), "c").unwrap(), ct);
}

/// Untyped parameter names that start with a Quote (0x7F) and a non-ASCII
/// octet, or are empty: written back without the Quote they read as a typed
/// parameter's number (UTF-8 0xC3.. is Short-integer 0x43).
#[test]
fn untyped_name_needs_quote() {
    // text/plain; "\u{ff}" (Latin-1) with No-value; then an empty name.
    check_all(&[0x05, 0x83, 0x7F, 0xFF, 0x00, 0x00]);
    check_all(&[0x04, 0x83, 0x7F, 0x00, 0x00]);
    let ct =
        ContentType::decode(&mut Reader::new(&[0x05, 0x83, 0x7F, 0xFF, 0x00, 0x00]), "c").unwrap();
    assert_eq!(ct.params, [Parameter::new("\u{ff}", ParamValue::NoValue)]);
}

/// An untyped parameter named `Size` (a well-known name in another case) was
/// re-encoded typed, which decodes as `size`: only the table's spelling is
/// written typed.
#[test]
fn well_known_name_in_other_case_stays_untyped() {
    // text/plain; Size=2
    check_all(&[0x07, 0x83, b'S', b'i', b'z', b'e', 0x00, 0x82]);
    let ct = ContentType::new("text/plain").with(Parameter::new("size", ParamValue::Integer(2)));
    assert_eq!(ct.to_bytes(), [0x03, 0x83, 0x96, 0x82]);
}

/// A `level` (Version-value) parameter that is an empty Text-string (a lone
/// NUL) was read as a Long-integer of no octets, i.e. 0.
#[test]
fn empty_version_text() {
    // text/plain; level=""
    check_all(&[0x03, 0x83, 0x82, 0x00]);
    let ct = ContentType::decode(&mut Reader::new(&[0x03, 0x83, 0x82, 0x00]), "c").unwrap();
    assert_eq!(ct.params, [Parameter::text("level", "")]);
}

/// A `type` parameter holding a media number that needs a Long-integer
/// (0x89, 02 CA 06): written back untyped as text, it read as a text value.
/// Found by the `arbitrary_content_types_round_trip` property.
#[test]
fn constrained_media_long_number() {
    check_all(&[0x06, 0x83, 0x89, 0x02, 0xCA, 0x06]);
    // A named type whose number needs a Long-integer goes as Extension-media.
    let ct = ContentType::new("text/plain").with(Parameter::new(
        "type",
        ParamValue::Media(MediaType::Name("application/vnd.wap.mms-message".into())),
    ));
    assert_eq!(ct.to_bytes()[2], 0x89);
    check_all(&ct.to_bytes());
}

/// Media type and Content-Disposition names in another case (`Image/JPEG`,
/// `Attachment`) were written as the well-known number, which decodes to
/// the table's spelling.
#[test]
fn well_known_media_in_other_case_stays_text() {
    check_all(b"Image/JPEG\0");
    check_all(b"\x0cImage/JPEG\0\x81\x83");
    // Content-Disposition (0xAE): "Attachment"; then Latin-1 text after a
    // Quote (it was written as UTF-8 without the Quote: 0xC3 read as a number).
    check_all(b"\xAE\x0bAttachment\0");
    check_all(&[0xAE, 0x06, 0x7F, 0xFE, 0xFE, 0x8E, 0xAA, 0x00]);
}

/// A well-known header whose value is an empty Text-string after a Quote
/// (0x7F, NUL) was written back as a lone NUL, which read as a raw value.
#[test]
fn empty_text_header_value() {
    check_all(&[0xFF, 0x7F, 0x00, 0x93, 0xFF]);
    check_all(&[0xFF, 0x00]);
    // The same in fields read as integers (0x1E) and dates (0x92 Date): the
    // lone NUL read as a Long-integer of no octets.
    check_all(&[0x9E, 0x7F, 0x00, 0x04]);
    check_all(&[0x92, 0x7F, 0x00]);
    // And in Content-Disposition (0xC5), where it read as a zero Value-length.
    check_all(&[0xC5, 0x7F, 0x00]);
}

/// A media type that is only a UTF-8 byte order mark decoded to an empty
/// name, which re-encodes as an empty (invalid) content type.
#[test]
fn media_type_only_bom() {
    check_all(&[0x7F, 0xEF, 0xBB, 0xBF, 0x00, 0xFF]);
    assert!(ContentType::decode(&mut Reader::new(&[0x7F, 0xEF, 0xBB, 0xBF, 0x00]), "c").is_err());
}

/// Texts that start with U+FEFF after decoding (a doubled UTF-8 BOM, or a
/// labelled `mac` parameter whose charset decoding yields one) were written
/// back as UTF-8, whose one BOM a decoder strips.
#[test]
fn leading_byte_order_marks() {
    check_all(&[
        0x16, 0x87, 0xFE, 0xFF, 0x92, 0x08, 0x87, 0xFE, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xFF, 0xFF, 0x08, 0x28, 0x32, 0x3E, 0x32, 0xBF,
    ]);
    check_all(b"\x07\x83x\0\xEF\xBB\xBF\xEF\xBB\xBFa\0");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes never panic, and whatever decodes round-trips.
    #[test]
    fn arbitrary_bytes_round_trip(data in proptest::collection::vec(any::<u8>(), 0..96)) {
        check_all(&data);
    }

    /// The same on inputs that start like a content type in general form.
    #[test]
    fn arbitrary_content_types_round_trip(len in 0u8..31, media in any::<u8>(), rest in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut data = vec![len, media];
        data.extend_from_slice(&rest);
        check_values(&data);
    }
}
