//! Text tables: realistic PAP documents (modelled on WAP-247's examples and on
//! what Kannel answers) ↔ typed values, and canonical output byte for byte.

use ferry_pap::*;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn parse(xml: &str) -> Parsed {
    Document::parse_versioned(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

/// Kannel 1.4.5's answer to a push: PAP 1.0 DTD, `code ="1001"`, one line.
#[test]
fn kannel_push_response() {
    let xml = "<?xml version=\"1.0\"?><!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 1.0//EN\" \"http://www.wapforum.org/DTDs/pap_1.0.dtd\"><pap><push-response push-id=\"mmsc-4f2a@mms.example.com\" sender-name=\"WAP/1.3 Kannel/1.4.5\" reply-time=\"2024-03-01T10:20:30Z\"><response-result code =\"1001\" desc=\"The request has been accepted for processing\"></response-result></push-response></pap>";
    let p = parse(xml);
    assert_eq!(p.version, Some(PapVersion::V1_0));
    let Message::PushResponse(r) = p.document.message else {
        panic!()
    };
    assert_eq!(r.push_id, "mmsc-4f2a@mms.example.com");
    assert_eq!(r.sender_name.as_deref(), Some("WAP/1.3 Kannel/1.4.5"));
    assert_eq!(r.sender_address, None);
    assert_eq!(r.reply_time, Some(ts("2024-03-01T10:20:30Z")));
    assert_eq!(r.result.code, StatusCode::ACCEPTED_FOR_PROCESSING);
    assert!(r.result.code.is_success());
    assert_eq!(
        r.result.desc.as_deref(),
        Some("The request has been accepted for processing")
    );
}

/// Kannel's answer to a non-international address: badmessage-response 2000.
#[test]
fn kannel_badmessage_response() {
    let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 1.0//EN\"\n \"http://www.wapforum.org/DTDs/pap_1.0.dtd\">\n<pap>\n<badmessage-response code =\"2000\" desc=\"Not understood due to malformed syntax\" bad-message-fragment=\"&lt;address address-value=&quot;WAPPUSH=0401234567/TYPE=PLMN@ppg.example.com&quot;/&gt;\"></badmessage-response>\n</pap>\n";
    let Message::BadMessageResponse(b) = parse(xml).document.message else {
        panic!()
    };
    assert_eq!(b.code, StatusCode::BAD_REQUEST);
    assert_eq!(
        b.bad_message_fragment.as_deref(),
        Some("<address address-value=\"WAPPUSH=0401234567/TYPE=PLMN@ppg.example.com\"/>")
    );
    assert_eq!(
        b.to_xml(PapVersion::V2_0),
        "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<badmessage-response code=\"2000\" desc=\"Not understood due to malformed syntax\" bad-message-fragment=\"&lt;address address-value=&quot;WAPPUSH=0401234567/TYPE=PLMN@ppg.example.com&quot;/&gt;\"/>\n</pap>\n"
    );
}

const PUSH_MESSAGE_20: &str = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap product-name=\"Ferry MMSC\">\n<push-message push-id=\"9fdfa4b6@mms.example.com\" replace-push-id=\"9fdfa4b5@mms.example.com\" replace-method=\"pending-only\" deliver-before-timestamp=\"2024-03-02T10:00:00Z\" deliver-after-timestamp=\"2024-03-01T10:00:00Z\" source-reference=\"mms.example.com\" ppg-notify-requested-to=\"http://mmsc.example.com:8002/pap-notify\" progress-notes-requested=\"false\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n<address address-value=\"WAPPUSH=+15557654321/TYPE=PLMN@ppg.example.com\"/>\n<quality-of-service priority=\"high\" delivery-method=\"unconfirmed\" network=\"GSM\" network-required=\"true\" bearer=\"SMS\" bearer-required=\"true\"/>\n</push-message>\n</pap>\n";

fn full_push_message() -> PushMessage {
    PushMessage {
        push_id: "9fdfa4b6@mms.example.com".into(),
        replace_push_id: Some("9fdfa4b5@mms.example.com".into()),
        replace_method: Some(ReplaceMethod::PendingOnly),
        deliver_before_timestamp: Some(ts("2024-03-02T10:00:00Z")),
        deliver_after_timestamp: Some(ts("2024-03-01T10:00:00Z")),
        source_reference: Some("mms.example.com".into()),
        ppg_notify_requested_to: Some("http://mmsc.example.com:8002/pap-notify".into()),
        progress_notes_requested: Some(false),
        addresses: vec![
            Address::new("WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com"),
            Address::new("WAPPUSH=+15557654321/TYPE=PLMN@ppg.example.com"),
        ],
        quality_of_service: Some(QualityOfService {
            priority: Some(Priority::High),
            delivery_method: Some(DeliveryMethod::Unconfirmed),
            network: Some("GSM".into()),
            network_required: Some(true),
            bearer: Some("SMS".into()),
            bearer_required: Some(true),
        }),
    }
}

#[test]
fn push_message_canonical_text() {
    let doc = Document {
        product_name: Some("Ferry MMSC".into()),
        message: full_push_message().into(),
    };
    assert_eq!(doc.to_xml(PapVersion::V2_0), PUSH_MESSAGE_20);
    let p = parse(PUSH_MESSAGE_20);
    assert_eq!(p.version, Some(PapVersion::V2_0));
    assert_eq!(p.document, doc);
    // 1.0 output: other DOCTYPE, no 2.0-only replace attributes.
    let v1 = doc.to_xml(PapVersion::V1_0);
    assert!(
        v1.contains(
            "\"-//WAPFORUM//DTD PAP 1.0//EN\" \"http://www.wapforum.org/DTDs/pap_1.0.dtd\""
        )
    );
    assert!(!v1.contains("replace-"));
    let back = parse(&v1);
    assert_eq!(back.version, Some(PapVersion::V1_0));
    let Message::PushMessage(m) = back.document.message else {
        panic!()
    };
    assert_eq!(m.replace_push_id, None);
    assert_eq!(m.addresses, full_push_message().addresses);
    assert_eq!(doc.to_bytes(), PUSH_MESSAGE_20.as_bytes());
}

/// What an initiator such as Kannel's test_ppg sends: PAP 2.0 DOCTYPE, LF
/// line ends, indentation, lower-case `wappush=`.
#[test]
fn push_message_as_initiators_write_it() {
    let xml = "\n  <?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\"\n                     \"http://www.wapforum.org/DTDs/pap_2.0.dtd\"\n                     [<?wap-pap-ver supported-versions=\"2.0\"?>]>\n<pap>\n  <push-message push-id=\"9fdfa4b6@mms.example.com\"\n      deliver-before-timestamp=\"2024-03-02T10:00:00Z\" unknown-attr=\"ignored\">\n    <!-- one recipient -->\n    <address address-value=\"wappush=+15551234567/type=plmn@ppg.example.com\"></address>\n    <quality-of-service delivery-method=\"notspecified\"/>\n  </push-message>\n</pap>\n";
    // The leading whitespace before the declaration is tolerated too.
    let p = Document::parse_versioned(xml.trim_start().as_bytes()).unwrap();
    assert_eq!(p.version, Some(PapVersion::V2_0));
    let Message::PushMessage(m) = p.document.message else {
        panic!()
    };
    assert_eq!(m.push_id, "9fdfa4b6@mms.example.com");
    assert_eq!(m.deliver_before_timestamp, Some(ts("2024-03-02T10:00:00Z")));
    let a = m.addresses[0].client_address().unwrap();
    assert_eq!(a.value, "+15551234567");
    assert_eq!(a.kind, AddressType::Plmn);
    assert!(a.is_international());
    assert_eq!(
        m.quality_of_service.unwrap().delivery_method,
        Some(DeliveryMethod::NotSpecified)
    );

    // CRLF and no DOCTYPE, no XML declaration.
    let crlf = "<pap>\r\n<push-message push-id=\"x\">\r\n<address address-value=\"WAPPUSH=192.0.2.1/TYPE=IPv4\"/>\r\n</push-message>\r\n</pap>";
    let p = parse(crlf);
    assert_eq!(p.version, None);
    let Message::PushMessage(m) = p.document.message else {
        panic!()
    };
    assert_eq!(
        m.addresses[0].client_address().unwrap().kind,
        AddressType::Ipv4
    );

    // A bare message root without <pap>.
    let bare = "<push-message push-id=\"x\"><address address-value=\"WAPPUSH=+1/TYPE=PLMN\"/></push-message>";
    assert!(matches!(
        parse(bare).document.message,
        Message::PushMessage(_)
    ));
    let leading_ws = "   \r\n\t<pap><push-message push-id=\"x\"><address address-value=\"a\"/></push-message></pap>";
    assert!(matches!(
        parse(leading_ws).document.message,
        Message::PushMessage(_)
    ));
}

#[test]
fn push_response_with_progress_notes() {
    let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<push-response push-id=\"9fdfa4b6@mms.example.com\" sender-address=\"http://ppg.example.com:8080/wappush\" sender-name=\"Ferry PPG\" reply-time=\"2024-03-01T10:00:01Z\">\n<progress-note stage=\"accepted\" note=\"queued for SMS\" time=\"2024-03-01T10:00:01Z\"/>\n<response-result code=\"1001\" desc=\"Accepted for processing\"/>\n</push-response>\n</pap>\n";
    let expected = PushResponse {
        push_id: "9fdfa4b6@mms.example.com".into(),
        sender_address: Some("http://ppg.example.com:8080/wappush".into()),
        sender_name: Some("Ferry PPG".into()),
        reply_time: Some(ts("2024-03-01T10:00:01Z")),
        progress_notes: vec![ProgressNote {
            stage: "accepted".into(),
            note: Some("queued for SMS".into()),
            time: Some(ts("2024-03-01T10:00:01Z")),
        }],
        result: ResponseResult::new(StatusCode::ACCEPTED_FOR_PROCESSING),
    };
    assert_eq!(
        parse(xml).document.message,
        Message::PushResponse(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), xml);
}

#[test]
fn cancel_message_and_response() {
    let msg = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<cancel-message push-id=\"9fdfa4b6@mms.example.com\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n</cancel-message>\n</pap>\n";
    let expected = CancelMessage {
        push_id: "9fdfa4b6@mms.example.com".into(),
        addresses: vec![Address::new(
            "WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com",
        )],
    };
    assert_eq!(
        parse(msg).document.message,
        Message::CancelMessage(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), msg);

    // No addresses: cancel for all, written as an empty element.
    let all = CancelMessage {
        push_id: "p".into(),
        addresses: vec![],
    };
    assert!(
        all.to_xml(PapVersion::V2_0)
            .contains("<cancel-message push-id=\"p\"/>\n")
    );

    let resp = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<cancel-response push-id=\"9fdfa4b6@mms.example.com\">\n<cancel-result code=\"1000\" desc=\"OK\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n</cancel-result>\n<cancel-result code=\"2008\" desc=\"Cancellation not possible\">\n<address address-value=\"WAPPUSH=+15557654321/TYPE=PLMN@ppg.example.com\"/>\n</cancel-result>\n</cancel-response>\n</pap>\n";
    let expected = CancelResponse {
        push_id: "9fdfa4b6@mms.example.com".into(),
        results: vec![
            CancelResult {
                code: StatusCode::OK,
                desc: Some("OK".into()),
                addresses: vec![Address::new(
                    "WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com",
                )],
            },
            CancelResult {
                code: StatusCode::CANCELLATION_NOT_POSSIBLE,
                desc: Some("Cancellation not possible".into()),
                addresses: vec![Address::new(
                    "WAPPUSH=+15557654321/TYPE=PLMN@ppg.example.com",
                )],
            },
        ],
    };
    assert_eq!(
        parse(resp).document.message,
        Message::CancelResponse(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), resp);
}

#[test]
fn statusquery_message_and_response() {
    let msg = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<statusquery-message push-id=\"9fdfa4b6@mms.example.com\"/>\n</pap>\n";
    let expected = StatusQueryMessage {
        push_id: "9fdfa4b6@mms.example.com".into(),
        addresses: vec![],
    };
    assert_eq!(
        parse(msg).document.message,
        Message::StatusQueryMessage(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), msg);

    let resp = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<statusquery-response push-id=\"9fdfa4b6@mms.example.com\">\n<statusquery-result event-time=\"2024-03-01T10:00:05Z\" message-state=\"delivered\" code=\"1000\" desc=\"OK\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n<quality-of-service priority=\"medium\" delivery-method=\"confirmed\" bearer=\"SMS\"/>\n</statusquery-result>\n<statusquery-result message-state=\"pending\" code=\"1001\"/>\n<statusquery-result message-state=\"undeliverable\" code=\"3010\" desc=\"Required bearer not available\"/>\n</statusquery-response>\n</pap>\n";
    let expected = StatusQueryResponse {
        push_id: "9fdfa4b6@mms.example.com".into(),
        results: vec![
            StatusQueryResult {
                event_time: Some(ts("2024-03-01T10:00:05Z")),
                message_state: MessageState::Delivered,
                code: StatusCode::OK,
                desc: Some("OK".into()),
                addresses: vec![Address::new(
                    "WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com",
                )],
                quality_of_service: Some(QualityOfService {
                    priority: Some(Priority::Medium),
                    delivery_method: Some(DeliveryMethod::Confirmed),
                    bearer: Some("SMS".into()),
                    ..Default::default()
                }),
            },
            StatusQueryResult {
                event_time: None,
                message_state: MessageState::Pending,
                code: StatusCode::ACCEPTED_FOR_PROCESSING,
                desc: None,
                addresses: vec![],
                quality_of_service: None,
            },
            StatusQueryResult {
                event_time: None,
                message_state: MessageState::Undeliverable,
                code: StatusCode::REQUIRED_BEARER_NOT_AVAILABLE,
                desc: Some("Required bearer not available".into()),
                addresses: vec![],
                quality_of_service: None,
            },
        ],
    };
    assert_eq!(
        parse(resp).document.message,
        Message::StatusQueryResponse(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), resp);

    // Every state keyword, and an unknown one kept as written.
    for (text, state) in [
        ("rejected", MessageState::Rejected),
        ("pending", MessageState::Pending),
        ("undeliverable", MessageState::Undeliverable),
        ("expired", MessageState::Expired),
        ("delivered", MessageState::Delivered),
        ("aborted", MessageState::Aborted),
        ("timeout", MessageState::Timeout),
        ("cancelled", MessageState::Cancelled),
        ("unknown", MessageState::Unknown),
        ("Delivered", MessageState::Delivered),
        ("in-transit", MessageState::Other("in-transit".into())),
    ] {
        assert_eq!(MessageState::parse(text), state);
    }
}

#[test]
fn resultnotification_message_and_response() {
    let msg = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<resultnotification-message push-id=\"9fdfa4b6@mms.example.com\" sender-address=\"http://ppg.example.com:8080/wappush\" sender-name=\"Ferry PPG\" received-time=\"2024-03-01T10:00:01Z\" event-time=\"2024-03-01T10:00:09Z\" message-state=\"delivered\" code=\"1000\" desc=\"OK\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n<quality-of-service priority=\"medium\" delivery-method=\"unconfirmed\" network=\"GSM\" bearer=\"SMS\"/>\n</resultnotification-message>\n</pap>\n";
    let expected = ResultNotificationMessage {
        push_id: "9fdfa4b6@mms.example.com".into(),
        sender_address: Some("http://ppg.example.com:8080/wappush".into()),
        sender_name: Some("Ferry PPG".into()),
        received_time: Some(ts("2024-03-01T10:00:01Z")),
        event_time: Some(ts("2024-03-01T10:00:09Z")),
        message_state: MessageState::Delivered,
        code: StatusCode::OK,
        desc: Some("OK".into()),
        address: Address::new("WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com"),
        quality_of_service: Some(QualityOfService {
            priority: Some(Priority::Medium),
            delivery_method: Some(DeliveryMethod::Unconfirmed),
            network: Some("GSM".into()),
            bearer: Some("SMS".into()),
            ..Default::default()
        }),
    };
    assert_eq!(
        parse(msg).document.message,
        Message::ResultNotificationMessage(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), msg);

    let resp = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<resultnotification-response push-id=\"9fdfa4b6@mms.example.com\" code=\"1000\" desc=\"OK\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n</resultnotification-response>\n</pap>\n";
    let expected = ResultNotificationResponse {
        push_id: "9fdfa4b6@mms.example.com".into(),
        code: StatusCode::OK,
        desc: Some("OK".into()),
        address: Address::new("WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com"),
    };
    assert_eq!(
        parse(resp).document.message,
        Message::ResultNotificationResponse(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), resp);
}

#[test]
fn ccq_message_and_response() {
    let msg = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<ccq-message query-id=\"q-17@mms.example.com\" app-id=\"x-wap-application:mms.ua\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n</ccq-message>\n</pap>\n";
    let expected = CcqMessage {
        query_id: "q-17@mms.example.com".into(),
        app_id: Some("x-wap-application:mms.ua".into()),
        address: Address::new("WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com"),
    };
    assert_eq!(
        parse(msg).document.message,
        Message::CcqMessage(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), msg);

    let resp = "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<ccq-response query-id=\"q-17@mms.example.com\" code=\"3008\" desc=\"Capabilities not available\">\n<address address-value=\"WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com\"/>\n</ccq-response>\n</pap>\n";
    let expected = CcqResponse {
        query_id: "q-17@mms.example.com".into(),
        code: StatusCode::CAPABILITIES_NOT_AVAILABLE,
        desc: Some("Capabilities not available".into()),
        address: Address::new("WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com"),
    };
    assert_eq!(
        parse(resp).document.message,
        Message::CcqResponse(expected.clone())
    );
    assert_eq!(expected.to_xml(PapVersion::V2_0), resp);
}

#[test]
fn unknown_codes_survive() {
    let xml = "<pap><badmessage-response code=\"21000\"/></pap>";
    let Message::BadMessageResponse(b) = parse(xml).document.message else {
        panic!()
    };
    assert_eq!(b.code, StatusCode(21000));
    assert!(b.to_xml(PapVersion::V1_0).contains("code=\"21000\""));
}

#[test]
fn errors_name_field_and_offset() {
    let cases: &[(&str, &str, ErrorKind, usize)] = &[
        (
            "<pap><push-message><address address-value=\"a\"/></push-message></pap>",
            "push-id",
            ErrorKind::MissingAttribute,
            5,
        ),
        (
            "<pap><push-message push-id=\"x\"/></pap>",
            "address",
            ErrorKind::MissingElement,
            5,
        ),
        (
            "<pap><push-message push-id=\"x\" deliver-before-timestamp=\"tomorrow\"><address address-value=\"a\"/></push-message></pap>",
            "deliver-before-timestamp",
            ErrorKind::InvalidValue("a date-time YYYY-MM-DDThh:mm:ssZ"),
            5,
        ),
        (
            "<pap><push-message push-id=\"x\"><address address-value=\"a\"/><quality-of-service priority=\"urgent\"/></push-message></pap>",
            "priority",
            ErrorKind::InvalidValue("high, medium or low"),
            59,
        ),
        (
            "<pap><push-response push-id=\"x\"/></pap>",
            "response-result",
            ErrorKind::MissingElement,
            5,
        ),
        (
            "<pap><push-response push-id=\"x\"><response-result code=\"OK\"/></push-response></pap>",
            "code",
            ErrorKind::InvalidValue("a numeric status code"),
            32,
        ),
        (
            "<pap><cancel-response push-id=\"x\"/></pap>",
            "cancel-result",
            ErrorKind::MissingElement,
            5,
        ),
        ("<pap/>", "pap", ErrorKind::MissingElement, 0),
        (
            "<pap><hello/></pap>",
            "pap",
            ErrorKind::UnknownMessage("hello".into()),
            5,
        ),
        (
            "<html/>",
            "pap",
            ErrorKind::UnknownMessage("html".into()),
            0,
        ),
        ("", "xml", ErrorKind::NoRoot, 0),
        (
            "<pap><push-message push-id=\"x\">",
            "xml",
            ErrorKind::Truncated,
            0,
        ),
    ];
    for (xml, field, kind, offset) in cases {
        let e = Document::parse(xml.as_bytes()).unwrap_err();
        assert_eq!(
            (e.field, &e.kind, e.offset),
            (*field, kind, *offset),
            "{xml}: {e}"
        );
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
    }
}

#[test]
fn byte_order_mark_and_single_quotes() {
    let xml = "\u{feff}<?xml version='1.0' encoding='UTF-8'?><pap><push-response push-id='a&amp;b'><response-result code='1000'/></push-response></pap>";
    let Message::PushResponse(r) = parse(xml).document.message else {
        panic!()
    };
    assert_eq!(r.push_id, "a&b");
    assert_eq!(r.result.code, StatusCode::OK);
    assert_eq!(r.result.desc, None);
}
