#![no_main]
//! Decodes arbitrary bytes as a WSP Push PDU; whatever decodes must
//! re-encode to the same push (TID, type, content type, headers, body), and
//! the re-encoding must be a fixed point.
use ferry_wsp::Push;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Push::decode(data) {
        let _ = p.is_mms();
        let _ = p.encoding_version();
        let b = p.to_bytes();
        let q = Push::decode(&b).expect("re-encoded push decodes");
        assert_eq!(q, p);
        assert_eq!(q.to_bytes(), b, "push encoding is a fixed point");
    }
});
