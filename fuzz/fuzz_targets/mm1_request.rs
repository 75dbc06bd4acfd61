#![no_main]
//! Feeds arbitrary bytes to the MMSC's request handling as a raw HTTP
//! request: the head is parsed with httparse (the parser hyper uses), then
//! the MMSC's own decisions run on it without a socket or a store: the
//! route and retrieval-token check (origin and proxy absolute form), the
//! guard's source key (MSISDN header from a trusted and from an untrusted
//! peer), Basic credentials, and the dispatch of a POSTed body (and of the
//! whole input as a body). Nothing may panic, and:
//! - a retrieval route carries a well-formed token;
//! - an untrusted peer's source is its address, never the header's MSISDN;
//!   a trusted peer's MSISDN source is a phone number;
//! - credentials that parse, written again, parse to the same;
//! - an M-Send.req that is accepted has recipients; a refusal is an error
//!   status.
use ferry_mmsc::config::IdentityConfig;
use ferry_mmsc::identity::{Identifier, basic_credentials, basic_credentials_of, is_msisdn};
use ferry_mmsc::request::{Dispatch, Route, dispatch, is_token, route};
use libfuzzer_sys::fuzz_target;

fn check_dispatch(body: &[u8]) {
    match dispatch(body) {
        Dispatch::Send { recipients, .. } => assert!(!recipients.is_empty()),
        Dispatch::Refused { status, text, .. } => {
            assert_ne!(status, ferry_mms::ResponseStatus::OK);
            assert!(!text.is_empty());
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let ident = Identifier::new(&IdentityConfig {
        trusted_proxies: vec!["10.0.0.0/8".into()],
        ..IdentityConfig::default()
    });
    check_dispatch(data);
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let Ok(httparse::Status::Complete(head_len)) = req.parse(data) else {
        return;
    };
    let (Some(method), Some(target)) = (req.method, req.path) else {
        return;
    };
    let r = route(method, target);
    if let Route::Retrieve(t) = r {
        assert!(is_token(t));
    }
    let mut map = http::HeaderMap::new();
    for h in req.headers.iter() {
        // hyper answers 400 to a header it cannot represent; skip those.
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(h.name.as_bytes()),
            http::HeaderValue::from_bytes(h.value),
        ) {
            map.append(n, v);
        }
        let _ = basic_credentials_of(h.value);
    }
    let untrusted = ident.source("192.0.2.1".parse().unwrap(), &map);
    assert_eq!(untrusted, "ip:192.0.2.1");
    let trusted = ident.source("10.1.2.3".parse().unwrap(), &map);
    match trusted.strip_prefix("msisdn:") {
        Some(m) => assert!(is_msisdn(m), "{m:?}"),
        None => assert_eq!(trusted, "ip:10.1.2.3"),
    }
    if let Some((u, p)) = basic_credentials(&map) {
        use base64::Engine;
        let again = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        );
        assert_eq!(basic_credentials_of(again.as_bytes()), Some((u, p)));
    }
    if r == Route::Post {
        check_dispatch(&data[head_len..]);
    }
});
