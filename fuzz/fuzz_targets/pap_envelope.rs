#![no_main]
//! Parse any bytes as a PAP request body. The first byte picks the request's
//! Content-Type (a push submission with boundary `b`, quoted or not, or a bare
//! document); whatever parses as a push submission must re-encode strictly
//! and parse back to the same control message and entities.
use ferry_pap::{PapVersion, PushRequest, Request};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [&str; 4] = [
    "multipart/related; boundary=b; type=\"application/xml\"",
    "multipart/related; boundary=\"asdlfkjiurwghasf\"; type=\"application/xml\"",
    "Multipart/Related;boundary=b",
    "application/xml",
];

fuzz_target!(|data: &[u8]| {
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
});
