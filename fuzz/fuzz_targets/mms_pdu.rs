#![no_main]
//! Decodes arbitrary bytes as an MMS PDU (as they are, and after a forced
//! X-Mms-Message-Type of each type); whatever decodes must re-encode and
//! decode to the same value (headers in the encoder's canonical order).
use ferry_mms::Pdu;
use libfuzzer_sys::fuzz_target;

fn check(data: &[u8]) {
    if let Ok(p) = Pdu::decode(data) {
        let _ = p.validate();
        for h in &p.headers {
            let _ = h.value_text();
        }
        let b = p.to_bytes();
        let q = Pdu::decode(&b).expect("re-encoded PDU decodes");
        let mut expected = p.clone();
        expected.canonical_order();
        assert_eq!(q, expected);
        assert_eq!(q.to_bytes(), b, "PDU encoding is a fixed point");
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some((&first, rest)) = data.split_first() {
        let mut b = Vec::with_capacity(data.len() + 1);
        b.push(0x8C);
        b.push(0x80 | (first % 0x18));
        b.extend_from_slice(rest);
        check(&b);
    }
});
