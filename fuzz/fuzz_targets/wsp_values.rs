#![no_main]
//! Decodes arbitrary bytes as WSP values (primitives, Encoded-string-value,
//! Content-type-value, a header list); whatever decodes must re-encode to
//! bytes that decode to the same value, and the re-encoding must be a fixed
//! point.
use ferry_wsp::headers::{decode_headers, encode_headers};
use ferry_wsp::{ContentType, EncodedString, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let _ = r.uintvar("u");
    let _ = Reader::new(data).integer_value("i");
    let _ = Reader::new(data).value_length("v");
    let _ = Reader::new(data).skip_value("s");

    if let Ok(e) = EncodedString::decode(&mut Reader::new(data), "e") {
        let _ = e.text();
        let mut b = Vec::new();
        e.encode(&mut b);
        let e2 = EncodedString::decode(&mut Reader::new(&b), "e").expect("re-encoded string decodes");
        assert_eq!(e2, e);
    }

    if let Ok(ct) = ContentType::decode(&mut Reader::new(data), "c") {
        let b = ct.to_bytes();
        let ct2 = ContentType::decode(&mut Reader::new(&b), "c").expect("re-encoded content type decodes");
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
});
