#![no_main]
//! Decodes arbitrary bytes as a TPDU (bare and in PDU-mode form with an
//! SMSC address), as reports and as a user data header; whatever decodes
//! must re-encode and decode to the same value.
use ferry_sms::{DeliverReport, SubmitReport, Tpdu, UserDataHeader, split_udh};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = Tpdu::decode(data) {
        let again = t.to_bytes().expect("a decoded TPDU re-encodes");
        assert_eq!(Tpdu::decode(&again).expect("re-encoded TPDU decodes"), t);
    }
    if let Ok((smsc, t)) = Tpdu::decode_with_smsc(data) {
        let again = t.to_bytes_with_smsc(smsc.as_ref()).expect("re-encodes");
        assert_eq!(Tpdu::decode_with_smsc(&again).expect("decodes"), (smsc, t));
    }
    for is_error in [false, true] {
        if let Ok(r) = DeliverReport::decode(data, is_error) {
            let mut v = Vec::new();
            r.encode(&mut v).expect("re-encodes");
            assert_eq!(DeliverReport::decode(&v, is_error).expect("decodes"), r);
        }
        if let Ok(r) = SubmitReport::decode(data, is_error) {
            let mut v = Vec::new();
            r.encode(&mut v).expect("re-encodes");
            assert_eq!(SubmitReport::decode(&v, is_error).expect("decodes"), r);
        }
    }
    if let Ok((h, _)) = split_udh(data) {
        let v = h.to_bytes().expect("re-encodes");
        assert_eq!(UserDataHeader::decode(&v, 0).expect("decodes").0, h);
    }
});
