//! Inputs the fuzzers found (`scripts/fuzz`), kept as regression tests, and
//! the `pap_document` / `pap_envelope` fuzz targets' invariants as plain
//! `cargo test` properties: arbitrary bytes never panic, and whatever parses
//! re-encodes and parses back to the same value.

use ferry_pap::{ClientAddress, Document, Message, PapVersion, PushRequest, Request};
use proptest::prelude::*;

/// The `pap_document` fuzz target's checks.
fn check_document(data: &[u8]) {
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
        m.replace_push_id = None;
        m.replace_method = None;
    }
    assert_eq!(v1, expected);
    if let Message::PushMessage(m) = &expected.message {
        for a in &m.addresses {
            if let Ok(c) = a.client_address() {
                let text = c.to_string();
                assert_eq!(
                    ClientAddress::parse(&text).expect("canonical address parses"),
                    c
                );
            }
        }
    }
}

const CONTENT_TYPES: [&str; 4] = [
    "multipart/related; boundary=b; type=\"application/xml\"",
    "multipart/related; boundary=\"asdlfkjiurwghasf\"; type=\"application/xml\"",
    "Multipart/Related;boundary=b",
    "application/xml",
];

/// The `pap_envelope` fuzz target's checks (the first byte picks the
/// request's Content-Type).
fn check_envelope(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ct = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let Ok(Request::Push(req)) = Request::parse(ct, body) else {
        return;
    };
    let _ = req.content_body();
    let Ok(enc) = req.encode(PapVersion::V2_0) else {
        return;
    };
    let again =
        PushRequest::parse(&enc.content_type, &enc.body).expect("re-encoded request parses");
    assert_eq!(again.message, req.message);
    assert_eq!(again.product_name, req.product_name);
    assert_eq!(again.content.headers, req.content.headers);
    assert_eq!(again.content.body, req.content.body);
    assert_eq!(
        again.capabilities.map(|c| (c.headers, c.body)),
        req.capabilities.map(|c| (c.headers, c.body))
    );
}

const DOC: &str = "<?xml version=\"1.0\"?><!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\"><pap><push-message push-id=\"a@b\"><address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/></push-message></pap>";

/// A raw NUL in an attribute value was accepted; written back as `&#0;` it
/// was refused (U+0000 is no XML character): now refused when read.
#[test]
fn nul_in_attribute_value() {
    let doc = DOC.replace("ppg.example.com", "ppg.exa\0mple.com");
    check_document(doc.as_bytes());
    assert!(Document::parse(doc.as_bytes()).is_err());
    check_document(DOC.as_bytes());
    assert!(Document::parse(DOC.as_bytes()).is_ok());
}

/// A folded header whose value and continuation line are only white space
/// unfolded to " ", which written back reads as "".
#[test]
fn blank_folded_header() {
    let body = b"--b\r\nContent-Type: application/xml\r\n\r\n<pap><push-message push-id=\"a\"><address address-value=\"WAPPUSH=+1/TYPE=PLMN@p\"/></push-message></pap>\r\n--b\r\nX-A:\r\n\t\r\nX-B: b\r\n \r\n\r\nbody\r\n--b--\r\n";
    let mut data = vec![0u8];
    data.extend_from_slice(body);
    check_envelope(&data);
    let req = PushRequest::parse(CONTENT_TYPES[0], body).unwrap();
    let values: Vec<&str> = req
        .content
        .headers
        .iter()
        .map(|h| h.value.as_ref())
        .collect();
    assert_eq!(values, ["", "b"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Arbitrary bytes never panic, and whatever parses round-trips.
    #[test]
    fn arbitrary_bytes_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_document(&data);
        check_envelope(&data);
    }

    /// A valid document with arbitrary bytes spliced in.
    #[test]
    fn spliced_documents_round_trip(at in 0usize..DOC.len(), cut in 0usize..8, junk in "[ -~\u{80}-\u{ff}]{0,12}") {
        let mut b = DOC.as_bytes()[..at].to_vec();
        b.extend_from_slice(junk.as_bytes());
        b.extend_from_slice(&DOC.as_bytes()[(at + cut).min(DOC.len())..]);
        check_document(&b);
    }
}
