#![no_main]
//! Parse any bytes as a PAP document; whatever parses must re-encode (in both
//! DTD versions) and parse back to the same value.
use ferry_pap::{Document, Message, PapVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::parse(data) else {
        return;
    };
    let again = Document::parse(doc.to_xml(PapVersion::V2_0).as_bytes())
        .expect("a canonical PAP 2.0 document parses");
    assert_eq!(again, doc);
    let v1 = Document::parse(doc.to_xml(PapVersion::V1_0).as_bytes())
        .expect("a canonical PAP 1.0 document parses");
    let mut expected = doc;
    if let Message::PushMessage(m) = &mut expected.message {
        // PAP 1.0 has no replace-push-id / replace-method.
        m.replace_push_id = None;
        m.replace_method = None;
    }
    assert_eq!(v1, expected);
    // Client addresses: whatever parses prints back to the same value.
    if let Message::PushMessage(m) = &expected.message {
        for a in &m.addresses {
            if let Ok(c) = a.client_address() {
                let text = c.to_string();
                assert_eq!(
                    ferry_pap::ClientAddress::parse(&text).expect("canonical address parses"),
                    c
                );
            }
        }
    }
});
