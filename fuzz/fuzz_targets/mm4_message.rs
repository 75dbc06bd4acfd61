#![no_main]
//! Reads arbitrary bytes as an MM4 message and as an MM3 e-mail. Whatever
//! reads as MM4 must encode to a message that reads again; that second
//! reading is a fixed point (the first may normalise: addresses unwrapped,
//! text converted to UTF-8).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ferry_mm4::is_mm4(data);
    let _ = ferry_mm4::mm3::mms_from_email(data);
    if let Ok(m) = ferry_mm4::parse(data) {
        let b1 = m.encode();
        let m2 = ferry_mm4::parse(&b1).expect("an encoded MM4 message reads again");
        let b2 = m2.encode();
        let m3 = ferry_mm4::parse(&b2).expect("an encoded MM4 message reads again");
        assert_eq!(m3, m2);
    }
});
