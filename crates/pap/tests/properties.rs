//! Property tests: every document type and the envelope round-trip through
//! their encoders and decoders; the decoders never panic on arbitrary or
//! mutated input.

use ferry_pap::*;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "[\\PC\t\r\n]{0,12}"
}

fn ts() -> impl Strategy<Value = Timestamp> {
    (Timestamp::MIN.unix()..=Timestamp::MAX.unix()).prop_map(|s| Timestamp::from_unix(s).unwrap())
}

fn code() -> impl Strategy<Value = StatusCode> {
    prop_oneof![
        Just(StatusCode::OK),
        Just(StatusCode::ACCEPTED_FOR_PROCESSING),
        Just(StatusCode::ADDRESS_ERROR),
        any::<u16>().prop_map(StatusCode),
    ]
}

fn address() -> impl Strategy<Value = Address> {
    prop_oneof![
        text().prop_map(Address::new),
        (any::<u64>(), of("[a-z][a-z0-9.-]{0,10}")).prop_map(|(n, ppg)| {
            let a = ClientAddress::plmn(&format!("+{n}")).unwrap().to_string();
            Address::new(match ppg {
                Some(p) => format!("{a}@{p}"),
                None => a,
            })
        }),
    ]
}

fn qos() -> impl Strategy<Value = QualityOfService> {
    (
        of(prop::sample::select(Priority::ALL)),
        of(prop::sample::select(DeliveryMethod::ALL)),
        of(text()),
        of(any::<bool>()),
        of(text()),
        of(any::<bool>()),
    )
        .prop_map(
            |(priority, delivery_method, network, network_required, bearer, bearer_required)| {
                QualityOfService {
                    priority,
                    delivery_method,
                    network,
                    network_required,
                    bearer,
                    bearer_required,
                }
            },
        )
}

fn state() -> impl Strategy<Value = MessageState> {
    prop_oneof![
        Just(MessageState::Rejected),
        Just(MessageState::Pending),
        Just(MessageState::Undeliverable),
        Just(MessageState::Expired),
        Just(MessageState::Delivered),
        Just(MessageState::Aborted),
        Just(MessageState::Timeout),
        Just(MessageState::Cancelled),
        Just(MessageState::Unknown),
        text()
            .prop_filter("not a known keyword", |s| matches!(
                MessageState::parse(s),
                MessageState::Other(_)
            ))
            .prop_map(MessageState::Other),
    ]
}

fn push_message() -> impl Strategy<Value = PushMessage> {
    (
        text(),
        of(text()),
        of(prop::sample::select(ReplaceMethod::ALL)),
        of(ts()),
        of(ts()),
        of(text()),
        of(text()),
        of(any::<bool>()),
        vec(address(), 1..4),
        of(qos()),
    )
        .prop_map(
            |(
                push_id,
                replace_push_id,
                replace_method,
                before,
                after,
                source,
                notify,
                notes,
                addresses,
                q,
            )| {
                PushMessage {
                    push_id,
                    replace_push_id,
                    replace_method,
                    deliver_before_timestamp: before,
                    deliver_after_timestamp: after,
                    source_reference: source,
                    ppg_notify_requested_to: notify,
                    progress_notes_requested: notes,
                    addresses,
                    quality_of_service: q,
                }
            },
        )
}

fn message() -> impl Strategy<Value = Message> {
    let push_response = (
        text(),
        of(text()),
        of(text()),
        of(ts()),
        vec((text(), of(text()), of(ts())), 0..3),
        code(),
        of(text()),
    )
        .prop_map(
            |(push_id, sender_address, sender_name, reply_time, notes, code, desc)| {
                Message::PushResponse(PushResponse {
                    push_id,
                    sender_address,
                    sender_name,
                    reply_time,
                    progress_notes: notes
                        .into_iter()
                        .map(|(stage, note, time)| ProgressNote { stage, note, time })
                        .collect(),
                    result: ResponseResult { code, desc },
                })
            },
        );
    let cancel_message = (text(), vec(address(), 0..3)).prop_map(|(push_id, addresses)| {
        Message::CancelMessage(CancelMessage { push_id, addresses })
    });
    let cancel_response = (
        text(),
        vec((code(), of(text()), vec(address(), 0..3)), 1..3),
    )
        .prop_map(|(push_id, results)| {
            Message::CancelResponse(CancelResponse {
                push_id,
                results: results
                    .into_iter()
                    .map(|(code, desc, addresses)| CancelResult {
                        code,
                        desc,
                        addresses,
                    })
                    .collect(),
            })
        });
    let sq_message = (text(), vec(address(), 0..3)).prop_map(|(push_id, addresses)| {
        Message::StatusQueryMessage(StatusQueryMessage { push_id, addresses })
    });
    let sq_response = (
        text(),
        vec(
            (
                of(ts()),
                state(),
                code(),
                of(text()),
                vec(address(), 0..3),
                of(qos()),
            ),
            1..3,
        ),
    )
        .prop_map(|(push_id, results)| {
            Message::StatusQueryResponse(StatusQueryResponse {
                push_id,
                results: results
                    .into_iter()
                    .map(
                        |(event_time, message_state, code, desc, addresses, quality_of_service)| {
                            StatusQueryResult {
                                event_time,
                                message_state,
                                code,
                                desc,
                                addresses,
                                quality_of_service,
                            }
                        },
                    )
                    .collect(),
            })
        });
    let rn_message = (
        text(),
        of(text()),
        of(text()),
        of(ts()),
        of(ts()),
        state(),
        code(),
        of(text()),
        address(),
        of(qos()),
    )
        .prop_map(
            |(
                push_id,
                sender_address,
                sender_name,
                received_time,
                event_time,
                message_state,
                code,
                desc,
                address,
                quality_of_service,
            )| {
                Message::ResultNotificationMessage(ResultNotificationMessage {
                    push_id,
                    sender_address,
                    sender_name,
                    received_time,
                    event_time,
                    message_state,
                    code,
                    desc,
                    address,
                    quality_of_service,
                })
            },
        );
    let rn_response =
        (text(), code(), of(text()), address()).prop_map(|(push_id, code, desc, address)| {
            Message::ResultNotificationResponse(ResultNotificationResponse {
                push_id,
                code,
                desc,
                address,
            })
        });
    let ccq_message = (text(), of(text()), address()).prop_map(|(query_id, app_id, address)| {
        Message::CcqMessage(CcqMessage {
            query_id,
            app_id,
            address,
        })
    });
    let ccq_response =
        (text(), code(), of(text()), address()).prop_map(|(query_id, code, desc, address)| {
            Message::CcqResponse(CcqResponse {
                query_id,
                code,
                desc,
                address,
            })
        });
    let bad = (code(), of(text()), of(text())).prop_map(|(code, desc, bad_message_fragment)| {
        Message::BadMessageResponse(BadMessageResponse {
            code,
            desc,
            bad_message_fragment,
        })
    });
    prop_oneof![
        push_message().prop_map(Message::PushMessage),
        push_response,
        cancel_message,
        cancel_response,
        sq_message,
        sq_response,
        rn_message,
        rn_response,
        ccq_message,
        ccq_response,
        bad,
    ]
}

fn document() -> impl Strategy<Value = Document> {
    (of(text()), message()).prop_map(|(product_name, message)| Document {
        product_name,
        message,
    })
}

/// What a 1.0 document keeps of a value (no 2.0-only replace attributes).
fn as_v1(mut d: Document) -> Document {
    if let Message::PushMessage(m) = &mut d.message {
        m.replace_push_id = None;
        m.replace_method = None;
    }
    d
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(pos, op, byte) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let i = pos % bytes.len();
        match op % 4 {
            0 => bytes[i] = byte,
            1 => bytes.insert(i, byte),
            2 => {
                bytes.remove(i);
            }
            _ => bytes.truncate(i),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn documents_round_trip(doc in document()) {
        let xml = doc.to_xml(PapVersion::V2_0);
        let parsed = Document::parse_versioned(xml.as_bytes()).unwrap();
        prop_assert_eq!(parsed.version, Some(PapVersion::V2_0));
        prop_assert_eq!(&parsed.document, &doc);
        // Canonical: writing again gives the same text.
        prop_assert_eq!(parsed.document.to_xml(PapVersion::V2_0), xml);

        let v1 = doc.to_xml(PapVersion::V1_0);
        let parsed = Document::parse_versioned(v1.as_bytes()).unwrap();
        prop_assert_eq!(parsed.version, Some(PapVersion::V1_0));
        prop_assert_eq!(parsed.document, as_v1(doc));
    }

    #[test]
    fn envelope_round_trip(
        message in push_message(),
        content_type in "[a-z]{1,8}/[a-z0-9.+-]{1,16}",
        body in vec(any::<u8>(), 0..300),
        app_id in of("[ -~]{1,30}"),
        base64 in any::<bool>(),
        content_length in any::<bool>(),
        extra in vec(("X-[A-Za-z-]{1,10}", "[ -~]{0,20}"), 0..3),
        capabilities in of(vec(any::<u8>(), 0..100)),
        v1 in any::<bool>(),
    ) {
        let version = if v1 { PapVersion::V1_0 } else { PapVersion::V2_0 };
        let mut b = PushRequestBuilder::new(&message, &content_type, &body)
            .version(version)
            .base64(base64)
            .content_length(content_length);
        if let Some(id) = &app_id {
            b = b.application_id(id);
        }
        for (n, v) in &extra {
            b = b.header(n, v);
        }
        if let Some(c) = &capabilities {
            b = b.capabilities("application/vnd.wap.capabilities", c);
        }
        let req = b.build().unwrap();
        let Request::Push(p) = Request::parse(&req.content_type, &req.body).unwrap() else {
            panic!("not a push request");
        };
        let expected = Document::from(message.clone());
        let expected = if v1 { as_v1(expected) } else { expected };
        prop_assert_eq!(Message::PushMessage(p.message.clone()), expected.message);
        prop_assert_eq!(p.version, Some(version));
        prop_assert_eq!(p.content.content_type(), Some(content_type.as_str()));
        prop_assert_eq!(p.content.application_id(), app_id.as_deref().map(str::trim));
        let decoded = p.content_body().unwrap();
        prop_assert_eq!(decoded.as_ref(), &body[..]);
        if content_length {
            prop_assert_eq!(p.content.content_length(), Some(p.content.body.len()));
        }
        prop_assert_eq!(p.capabilities.as_ref().map(|c| c.body), capabilities.as_deref());

        // parse → encode → parse is stable.
        let again = p.encode(version).unwrap();
        let q = PushRequest::parse(&again.content_type, &again.body).unwrap();
        prop_assert_eq!(&q.message, &p.message);
        prop_assert_eq!(&q.content, &Part { offset: q.content.offset, ..p.content.clone() });
        prop_assert_eq!(q.capabilities.map(|c| c.body), p.capabilities.map(|c| c.body));
    }

    #[test]
    fn document_parser_never_panics(bytes in vec(any::<u8>(), 0..400)) {
        let _ = Document::parse(&bytes);
    }

    #[test]
    fn document_parser_survives_mutations(
        doc in document(),
        edits in vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let bytes = mutate(doc.to_bytes(), &edits);
        if let Ok(d) = Document::parse(&bytes) {
            // Whatever parsed re-encodes and parses to the same value.
            prop_assert_eq!(Document::parse(&d.to_bytes()).unwrap(), d);
        }
    }

    #[test]
    fn envelope_parser_never_panics(
        ct in prop_oneof![
            Just("multipart/related; boundary=b".to_string()),
            Just("application/xml".to_string()),
            "[ -~]{0,40}",
        ],
        bytes in vec(any::<u8>(), 0..400),
    ) {
        let _ = Request::parse(&ct, &bytes);
        let _ = PushRequest::parse(&ct, &bytes);
        let _ = parse_multipart("b", &bytes);
        let _ = MediaType::parse(&ct);
    }

    #[test]
    fn envelope_parser_survives_mutations(
        message in push_message(),
        body in vec(any::<u8>(), 0..64),
        base64 in any::<bool>(),
        edits in vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let req = PushRequestBuilder::new(&message, "application/octet-stream", &body)
            .boundary("b")
            .base64(base64)
            .build();
        let Ok(req) = req else { return Ok(()) };
        let bytes = mutate(req.body, &edits);
        if let Ok(p) = PushRequest::parse(&req.content_type, &bytes) {
            let _ = p.content_body();
            if let Ok(again) = p.encode(PapVersion::V2_0) {
                let q = PushRequest::parse(&again.content_type, &again.body).unwrap();
                prop_assert_eq!(q.message, p.message);
                prop_assert_eq!(q.content.body, p.content.body);
            }
        }
    }
}

/// Hostile shapes stay linear: many attributes, many folded header lines,
/// many parts, deep nesting.
#[test]
fn hostile_inputs_are_cheap() {
    let start = std::time::Instant::now();
    let mut xml = String::from("<pap><push-message push-id=\"x\"");
    for i in 0..50_000 {
        xml.push_str(&format!(" a{i}=\"v\""));
    }
    xml.push_str("><address address-value=\"a\"/></push-message></pap>");
    assert!(Document::parse(xml.as_bytes()).is_ok());

    let mut body = b"--b\r\nX: 1\r\n".to_vec();
    for _ in 0..50_000 {
        body.extend_from_slice(b" more\r\n");
    }
    body.extend_from_slice(b"\r\n\r\n--b--");
    assert_eq!(parse_multipart("b", &body).unwrap().len(), 1);

    let many = "--b\r\n\r\n\r\n".repeat(50_000) + "--b--";
    assert_eq!(parse_multipart("b", many.as_bytes()).unwrap().len(), 50_000);
    let e = PushRequest::parse("multipart/related; boundary=b", many.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::PartCount { found: 50_000 });

    let deep = "<pap>".repeat(100_000);
    assert!(matches!(
        Document::parse(deep.as_bytes()).unwrap_err().kind,
        ErrorKind::TooDeep { .. }
    ));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}
