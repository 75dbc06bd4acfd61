//! Request envelopes: the layouts real initiators send (Kannel's `test_ppg`
//! in particular), and the strict layout the builder writes, byte for byte.

use std::borrow::Cow;

use ferry_pap::*;

/// A 91-byte M-Notification.ind stand-in (binary, with CR/LF bytes inside).
fn notification() -> Vec<u8> {
    let mut v = vec![0x8C, 0x82, 0x98];
    v.extend_from_slice(b"T0123\0");
    v.extend_from_slice(&[0x8D, 0x92, 0x89, 0x0D, 0x0A, 0x2D, 0x2D]);
    while v.len() < 91 {
        v.push(v.len() as u8);
    }
    v
}

const PAP_FILE: &str = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\"\n  \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n  <push-message push-id=\"ferry-1@mms.example.com\">\n    <address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n    <quality-of-service delivery-method=\"unconfirmed\"/>\n  </push-message>\n</pap>\n";

/// `test_ppg -c mms -S 'X-WAP-Application-Id: x-wap-application:mms.ua' -B
/// URL content.hex pap.xml`: CRLF before the first delimiter, the PAP file
/// with its own LF line ends, and nothing after the closing delimiter.
fn test_ppg_body(content: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"\r\n--asdlfkjiurwghasf\r\n");
    b.extend_from_slice(b"Content-Type: application/xml\r\n\r\n");
    b.extend_from_slice(PAP_FILE.as_bytes());
    b.extend_from_slice(b"\r\n--asdlfkjiurwghasf\r\n");
    b.extend_from_slice(b"Content-Type: application/vnd.wap.mms-message\r\n");
    b.extend_from_slice(b"X-WAP-Application-Id: x-wap-application:mms.ua\r\n\r\n");
    b.extend_from_slice(content);
    b.extend_from_slice(b"\r\n--asdlfkjiurwghasf--");
    b
}

#[test]
fn kannel_test_ppg_layout() {
    let content = notification();
    let body = test_ppg_body(&content);
    let ct = "multipart/related; boundary=asdlfkjiurwghasf; type=\"application/xml\"";
    let Request::Push(req) = Request::parse(ct, &body).unwrap() else {
        panic!("not a push")
    };
    assert_eq!(req.boundary, "asdlfkjiurwghasf");
    assert_eq!(req.version, Some(PapVersion::V2_0));
    assert_eq!(req.message.push_id, "ferry-1@mms.example.com");
    let to = req.message.addresses[0].client_address().unwrap();
    assert!(to.is_international());
    assert_eq!(req.control.content_type(), Some("application/xml"));
    assert_eq!(req.control.body, PAP_FILE.as_bytes());
    assert_eq!(
        req.content.content_type(),
        Some("application/vnd.wap.mms-message")
    );
    assert_eq!(
        req.content.application_id(),
        Some("x-wap-application:mms.ua")
    );
    assert_eq!(req.content.body, &content[..]);
    // The body is borrowed from the request, not copied.
    let decoded = req.content_body().unwrap();
    assert!(matches!(decoded, Cow::Borrowed(_)));
    let start = body.len() - content.len() - "\r\n--asdlfkjiurwghasf--".len();
    assert_eq!(req.content.offset, start);
    assert!(std::ptr::eq(
        req.content.body.as_ptr(),
        body[start..].as_ptr()
    ));
    assert_eq!(req.capabilities, None);

    // Strict re-encoding: same boundary, CRLF after the closing delimiter,
    // canonical control document; it parses back to the same values.
    let enc = req.encode(PapVersion::V2_0).unwrap();
    assert_eq!(
        enc.content_type,
        "multipart/related; boundary=asdlfkjiurwghasf; type=\"application/xml\""
    );
    assert!(
        enc.body
            .starts_with(b"--asdlfkjiurwghasf\r\nContent-Type: application/xml\r\n\r\n<?xml")
    );
    assert!(enc.body.ends_with(b"\r\n--asdlfkjiurwghasf--\r\n"));
    let PushRequest {
        message,
        content: c,
        ..
    } = PushRequest::parse(&enc.content_type, &enc.body).unwrap();
    assert_eq!(message, req.message);
    assert_eq!(c.headers, req.content.headers);
    assert_eq!(c.body, req.content.body);
}

/// `test_ppg -d lf -e base64`: LF line ends everywhere, a lower-case
/// `Content-transfer-encoding`, base64 in 76-character lines, a quoted
/// boundary parameter and odd spacing in the Content-Type value.
#[test]
fn lf_only_base64_quoted_boundary() {
    let content = notification();
    let b64 = "jIKYVDAxMjMAjZKJDQotLRAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWg==\n";
    let mut body = Vec::new();
    body.extend_from_slice(b"\n--asdlfkjiurwghasf\nContent-Type: application/xml\n\n");
    body.extend_from_slice(PAP_FILE.as_bytes());
    body.extend_from_slice(b"\n--asdlfkjiurwghasf\ncontent-type: application/vnd.wap.mms-message\nContent-transfer-encoding: base64\n\n");
    body.extend_from_slice(b64.as_bytes());
    body.extend_from_slice(b"\n--asdlfkjiurwghasf--\nthe parser should discard this");
    let ct = "Multipart/Related;boundary=\"asdlfkjiurwghasf\" ; type=\"application/xml\"";
    let req = PushRequest::parse(ct, &body).unwrap();
    assert_eq!(req.content.transfer_encoding(), TransferEncoding::Base64);
    let decoded = req.content_body().unwrap();
    assert!(matches!(decoded, Cow::Owned(_)));
    assert_eq!(decoded.as_ref(), &content[..]);
}

/// Kannel's built-in (`test_ppg -H`) document: blank lines before the first
/// delimiter, a DOCTYPE naming no version, an SI content entity, and a CRLF
/// pair after the closing delimiter.
#[test]
fn kannel_hardcoded_layout() {
    let body = b"\r\n\r\n--asdlfkjiurwgasf\r\nContent-Type: application/xml\r\n\r\n<?xml version=\"1.0\"?><!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP//EN\" \"http://www.wapforum.org/DTD/pap_1.0.dtd\"><pap><push-message push-id=\"9fjeo39jf084@pi.com\" deliver-before-timestamp=\"2002-11-01T06:45:00Z\" deliver-after-timestamp=\"2000-02-27T06:45:00Z\" progress-notes-requested=\"false\"><address address-value=\"WAPPUSH=+358408676001/TYPE=PLMN@ppg.carrier.com\"></address><quality-of-service priority=\"low\" delivery-method=\"unconfirmed\" network-required=\"true\" network=\"GSM\" bearer-required=\"true\" bearer=\"SMS\"></quality-of-service></push-message></pap>\r\n\r\n--asdlfkjiurwgasf\r\nContent-Type: text/vnd.wap.si\r\n\r\n<?xml version=\"1.0\"?><si><indication href=\"http://wap.example.com\" si-id=\"1@example.com\">Want to test a fetch?</indication></si>\r\n\r\n--asdlfkjiurwgasf--\r\n\r\n";
    let req = PushRequest::parse(
        "multipart/related; boundary=asdlfkjiurwgasf; type=\"application/xml\"",
        body,
    )
    .unwrap();
    // "PAP//EN" names no version; the DTD file name says 1.0.
    assert_eq!(req.version, Some(PapVersion::V1_0));
    assert_eq!(req.message.progress_notes_requested, Some(false));
    let q = req.message.quality_of_service.as_ref().unwrap();
    assert_eq!(
        (q.priority, q.network_required, q.bearer.as_deref()),
        (Some(Priority::Low), Some(true), Some("SMS"))
    );
    assert_eq!(req.content.content_type(), Some("text/vnd.wap.si"));
    // The blank line before the delimiter: one CRLF belongs to the delimiter,
    // the other to the body.
    assert!(req.content.body.ends_with(b"</si>\r\n"));
}

#[test]
fn builder_exact_bytes() {
    let msg = PushMessage::new(
        "ferry-2@mms.example.com",
        ClientAddress::plmn("+15551234567")
            .unwrap()
            .with_ppg("ppg.example.com")
            .unwrap(),
    );
    let req = PushRequestBuilder::new(&msg, "application/vnd.wap.mms-message", b"\x8c\x82BODY")
        .boundary("ferry")
        .application_id("x-wap-application:mms.ua")
        .content_length(true)
        .header("X-Extra", "1")
        .build()
        .unwrap();
    assert_eq!(
        req.content_type,
        "multipart/related; boundary=ferry; type=\"application/xml\""
    );
    let expected = [
        &b"--ferry\r\nContent-Type: application/xml\r\n\r\n"[..],
        b"<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<push-message push-id=\"ferry-2@mms.example.com\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n</push-message>\n</pap>\n",
        b"\r\n--ferry\r\nContent-Type: application/vnd.wap.mms-message\r\nX-Wap-Application-Id: x-wap-application:mms.ua\r\nContent-Length: 6\r\nX-Extra: 1\r\n\r\n\x8c\x82BODY",
        b"\r\n--ferry--\r\n",
    ]
    .concat();
    assert_eq!(
        String::from_utf8_lossy(&req.body),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(req.body, expected);

    // Base64, PAP 1.0, a capabilities entity and a boundary needing quotes.
    let req = PushRequestBuilder::new(&msg, "application/vnd.wap.mms-message", b"\x8c\x82BODY")
        .boundary("a b:c")
        .version(PapVersion::V1_0)
        .base64(true)
        .capabilities("application/xml", b"<rdf/>")
        .build()
        .unwrap();
    assert_eq!(
        req.content_type,
        "multipart/related; boundary=\"a b:c\"; type=\"application/xml\""
    );
    let text = String::from_utf8(req.body.clone()).unwrap();
    assert!(text.contains("DTD PAP 1.0"));
    assert!(text.contains("\r\n--a b:c\r\nContent-Type: application/vnd.wap.mms-message\r\nContent-Transfer-Encoding: base64\r\n\r\njIJCT0RZ\r\n"));
    assert!(
        text.ends_with(
            "\r\n--a b:c\r\nContent-Type: application/xml\r\n\r\n<rdf/>\r\n--a b:c--\r\n"
        )
    );
    let back = PushRequest::parse(&req.content_type, &req.body).unwrap();
    assert_eq!(back.version, Some(PapVersion::V1_0));
    assert_eq!(back.content_body().unwrap().as_ref(), b"\x8c\x82BODY");
    assert_eq!(back.capabilities.unwrap().body, b"<rdf/>");
}

#[test]
fn builder_refuses_bad_input() {
    let msg = PushMessage::new("p", Address::new("WAPPUSH=+1/TYPE=PLMN"));
    let body = b"x\r\n--ferry\r\ny";
    for b in ["ferry", "", "bad\"quote", &"x".repeat(71), "space "] {
        let e = PushRequestBuilder::new(&msg, "text/plain", body)
            .boundary(b)
            .build()
            .unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Unencodable(_)), "{b:?}");
    }
    let e = PushRequestBuilder::new(&msg, "text/plain\r\nX-Injected: 1", b"")
        .build()
        .unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Unencodable(_)));
    // Without a fixed boundary, one is chosen that the body does not contain.
    let tricky = b"--ferry-pap-0000000000000000\r\n--ferry-pap-0000000000000001--\r\n";
    let req = PushRequestBuilder::new(&msg, "text/plain", tricky)
        .build()
        .unwrap();
    assert!(
        req.content_type
            .contains("boundary=ferry-pap-0000000000000002;")
    );
    assert_eq!(
        PushRequest::parse(&req.content_type, &req.body)
            .unwrap()
            .content
            .body,
        tricky
    );
}

#[test]
fn bare_documents_and_errors() {
    let cancel = b"<?xml version=\"1.0\"?>\n<pap><cancel-message push-id=\"ferry-1@mms.example.com\"/></pap>";
    let Request::Control(p) = Request::parse("application/xml; charset=utf-8", cancel).unwrap()
    else {
        panic!()
    };
    assert!(matches!(p.document.message, Message::CancelMessage(_)));

    let ct = "multipart/related; boundary=b";
    let part = |ct: &str, body: &str| format!("--b\r\nContent-Type: {ct}\r\n\r\n{body}\r\n");
    let push = "<pap><push-message push-id=\"x\"><address address-value=\"WAPPUSH=+1/TYPE=PLMN\"/></push-message></pap>";

    let one = format!("{}--b--", part("application/xml", push));
    assert_eq!(
        PushRequest::parse(ct, one.as_bytes()).unwrap_err().kind,
        ErrorKind::PartCount { found: 1 }
    );
    let four = format!(
        "{}{}{}{}--b--",
        part("application/xml", push),
        part("a/b", ""),
        part("a/b", ""),
        part("a/b", "")
    );
    assert_eq!(
        PushRequest::parse(ct, four.as_bytes()).unwrap_err().kind,
        ErrorKind::PartCount { found: 4 }
    );

    let wrong = format!(
        "{}{}--b--",
        part(
            "application/xml",
            "<pap><cancel-message push-id=\"x\"/></pap>"
        ),
        part("a/b", "")
    );
    let e = PushRequest::parse(ct, wrong.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownMessage("cancel-message".into()));

    // Errors inside the control document point into the whole body.
    let bad = format!(
        "{}{}--b--",
        part("application/xml", "<pap><push-message/></pap>"),
        part("a/b", "")
    );
    let e = PushRequest::parse(ct, bad.as_bytes()).unwrap_err();
    assert_eq!(
        (e.field, e.offset),
        (
            "address",
            "--b\r\nContent-Type: application/xml\r\n\r\n<pap>".len()
        )
    );

    let e = Request::parse("multipart/related; type=\"application/xml\"", b"").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::ContentType(_)));
    let e = PushRequest::parse("application/xml", push.as_bytes()).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::ContentType(_)));

    // A bad client address is answered with 2002.
    let addr = ClientAddress::parse("WAPPUSH=0401234567/TYPE=PHONE").unwrap();
    assert_eq!(addr.kind, AddressType::Other("PHONE"));
    let e = Address::new("WAPPUSH=abc/TYPE=PLMN")
        .client_address()
        .unwrap_err();
    assert_eq!(e.status_code(), StatusCode::ADDRESS_ERROR);
}
