#![no_main]
//! Decodes arbitrary bytes as a WSP multipart body; whatever decodes must
//! re-encode to bytes that decode to the same parts (content types, headers,
//! bodies), and the re-encoding must be a fixed point.
use ferry_wsp::{decode_multipart, encode_multipart};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
