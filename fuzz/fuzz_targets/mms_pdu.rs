#![no_main]
//! Decodes arbitrary bytes as an MMS PDU (as they are, and after a forced
//! X-Mms-Message-Type of each type); whatever decodes must re-encode and
//! decode to the same value (headers in the encoder's canonical order).
use ferry_mms::{Header, Pdu, field};
use libfuzzer_sys::fuzz_target;

fn check(data: &[u8]) {
    if let Ok(p) = Pdu::decode(data) {
        let _ = p.validate();
        for h in &p.headers {
            let _ = h.value_text();
        }
        let b = p.to_bytes();
        // A known field whose value did not parse is kept as its raw octets;
        // written back, the octets that followed it may read as part of it,
        // so such a PDU is only required to decode again, not to round-trip.
        let broken = p.headers.iter().any(|h| matches!(h, Header::Unknown { code, .. } if field::name(*code).is_some()));
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
