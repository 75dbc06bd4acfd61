//! Byte tables (header value ↔ exact octets), encode→decode round trips for
//! generated PDUs of every message type, and "never panics" on arbitrary
//! input.

use std::borrow::Cow;

use ferry_mms::*;
use ferry_wsp::{Charset, Parameter};
use proptest::prelude::*;

fn enc(h: &Header<'_>) -> Vec<u8> {
    let mut v = Vec::new();
    h.encode(&mut v);
    v
}

/// Decodes one header through a PDU (type m-send-req first).
fn dec(bytes: &[u8]) -> Header<'static> {
    let mut b = vec![0x8C, 0x80];
    b.extend_from_slice(bytes);
    let p = Pdu::decode(&b).unwrap_or_else(|e| panic!("{bytes:02X?}: {e}"));
    assert_eq!(p.headers.len(), 2, "{:?}", p.headers);
    p.headers[1].clone().into_owned()
}

#[test]
fn header_byte_table() {
    let table: Vec<(Header<'static>, &[u8])> = vec![
        (
            Header::MessageType(MessageType::NOTIFICATION_IND),
            &[0x8C, 0x82],
        ),
        (Header::TransactionId("abc".into()), b"\x98abc\0"),
        (Header::MmsVersion(Version::V1_3), &[0x8D, 0x93]),
        (Header::From(FromValue::Insert), &[0x89, 0x01, 0x81]),
        (
            Header::From(FromValue::Address(Address::new("+33611111111/TYPE=PLMN"))),
            b"\x89\x18\x80+33611111111/TYPE=PLMN\0",
        ),
        (Header::To(Address::new("a@b.c")), b"\x97a@b.c\0"),
        (
            Header::Subject(EncodedString::new("\u{e9}")),
            &[0x96, 0x05, 0xEA, 0x7F, 0xC3, 0xA9, 0x00],
        ),
        (Header::MessageClass(MessageClass::PERSONAL), &[0x8A, 0x80]),
        (
            Header::MessageClass(MessageClass::Text("x-promo".into())),
            b"\x8Ax-promo\0",
        ),
        (Header::MessageSize(29696), &[0x8E, 0x02, 0x74, 0x00]),
        (
            Header::Expiry(TimeValue::Relative(72000)),
            &[0x88, 0x05, 0x81, 0x03, 0x01, 0x19, 0x40],
        ),
        (
            Header::Expiry(TimeValue::Absolute(0)),
            &[0x88, 0x03, 0x80, 0x01, 0x00],
        ),
        (
            Header::DeliveryTime(TimeValue::Relative(1)),
            &[0x87, 0x03, 0x81, 0x01, 0x01],
        ),
        (
            Header::Date(0x52CB_F0FD),
            &[0x85, 0x04, 0x52, 0xCB, 0xF0, 0xFD],
        ),
        (
            Header::ContentLocation {
                index: None,
                uri: "http://x/y".into(),
            },
            b"\x83http://x/y\0",
        ),
        (Header::Status(Status::RETRIEVED), &[0x95, 0x81]),
        (
            Header::ResponseStatus {
                index: None,
                status: ResponseStatus::PERMANENT_SERVICE_DENIED,
            },
            &[0x92, 0xE1],
        ),
        (
            Header::RetrieveStatus(RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND),
            &[0x99, 0xE2],
        ),
        (Header::ReadStatus(ReadStatus::READ), &[0x9B, 0x80]),
        (Header::DeliveryReport(YesNo::NO), &[0x86, 0x81]),
        (Header::Priority(Priority::HIGH), &[0x8F, 0x82]),
        (
            Header::ReplyCharging(ReplyCharging::ACCEPTED),
            &[0x9C, 0x82],
        ),
        (
            Header::PreviouslySentBy {
                count: 1,
                address: Address::new("+1/TYPE=PLMN"),
            },
            b"\xA0\x0E\x81+1/TYPE=PLMN\0",
        ),
        (
            Header::PreviouslySentDate { count: 0, date: 1 },
            &[0xA1, 0x03, 0x80, 0x01, 0x01],
        ),
        (Header::MmState(MmState::NEW), &[0xA3, 0x82]),
        (
            Header::MmFlags {
                token: FlagsToken::ADD,
                flag: EncodedString::new("Seen"),
            },
            b"\xA4\x06\x80Seen\0",
        ),
        (
            Header::StoreStatus(StoreStatus::PERMANENT_MMBOX_FULL),
            &[0xA5, 0xE4],
        ),
        (Header::Attributes(field::SUBJECT), &[0xA8, 0x96]),
        (
            Header::MboxTotals {
                kind: BoxCountKind::MESSAGES,
                value: 3,
            },
            &[0xAA, 0x02, 0x80, 0x83],
        ),
        (Header::MessageCount(200), &[0xAD, 0x01, 0xC8]),
        (Header::Start(5), &[0xAF, 0x85]),
        (Header::Limit(10), &[0xB3, 0x8A]),
        (
            Header::RecommendedRetrievalMode(RetrievalMode::MANUAL),
            &[0xB4, 0x80],
        ),
        (Header::ApplicId("app".into()), b"\xB7app\0"),
        (
            Header::ContentClass(ContentClass::IMAGE_RICH),
            &[0xBA, 0x82],
        ),
        (Header::DrmContent(YesNo::YES), &[0xBB, 0x80]),
        (Header::AdaptationAllowed(YesNo::NO), &[0xBC, 0x81]),
        (Header::ReplaceId("r1".into()), b"\xBDr1\0"),
        (Header::CancelId("c1".into()), b"\xBEc1\0"),
        (
            Header::CancelStatus(CancelStatus::REQUEST_CORRUPTED),
            &[0xBF, 0x81],
        ),
        (
            Header::Unknown {
                code: 0x4A,
                raw: Cow::Borrowed(&[0x02, 0xAA, 0xBB]),
            },
            &[0xCA, 0x02, 0xAA, 0xBB],
        ),
        (
            Header::Extension {
                name: "X-Foo".into(),
                value: "bar".into(),
            },
            b"X-Foo\0bar\0",
        ),
    ];
    for (h, bytes) in &table {
        assert_eq!(enc(h), *bytes, "{h:?}");
        assert_eq!(&dec(bytes), h, "{bytes:02X?}");
    }
}

#[test]
fn field_names_follow_the_spec() {
    assert_eq!(
        Header::TransactionId("x".into()).name(),
        "X-Mms-Transaction-ID"
    );
    assert_eq!(
        Header::MmsVersion(Version::V1_0).name(),
        "X-Mms-MMS-Version"
    );
    assert_eq!(
        Header::ContentLocation {
            index: None,
            uri: "u".into()
        }
        .name(),
        "X-Mms-Content-Location"
    );
    assert_eq!(Header::MessageId("x".into()).name(), "Message-ID");
    assert_eq!(
        Header::Unknown {
            code: 0x4A,
            raw: Cow::Borrowed(&[0x80])
        }
        .name(),
        "X-Mms-Unknown-0x4A"
    );
    assert_eq!(field::code_of("x-mms-cancel-status"), Some(0x3F));
    assert_eq!(
        Header::Date(1_479_160_938).value_text(),
        "2016-11-14T22:02:18Z"
    );
}

#[test]
fn quirks() {
    // A UTF-8 BOM at the start of a Subject is not part of the text.
    let h = dec(&[0x96, 0x07, 0xEA, 0xEF, 0xBB, 0xBF, b'H', b'i', 0x00]);
    let Header::Subject(s) = h else { panic!() };
    assert_eq!(s.text(), "Hi");
    // A part Content-Location with a leading space reads without it.
    let mut part = Part::new(ContentType::new("image/jpeg"), &b"x"[..]);
    part.headers
        .push(ferry_wsp::multipart::content_location(" 1.jpg"));
    assert_eq!(part.content_location(), Some("1.jpg"));
    // An unknown field among known ones, and textual headers, are kept in order.
    let b = [
        0x8C, 0x84, 0x8D, 0x92, 0xCA, 0x81, b'X', b'-', b'A', 0, b'1', 0, 0x95, 0x81,
    ];
    let p = Pdu::decode(&b).unwrap();
    assert_eq!(p.headers.len(), 5);
    assert_eq!(
        p.headers[2],
        Header::Unknown {
            code: 0x4A,
            raw: Cow::Borrowed(&[0x81])
        }
    );
    assert_eq!(p.extension("x-a"), Some("1"));
    assert_eq!(p.status(), Some(Status::RETRIEVED));
    assert_eq!(p.to_bytes(), b);
    // A known field whose value breaks its grammar is kept as Unknown.
    let b = [0x8C, 0x84, 0x8F, 0x03, 1, 2, 3];
    let p = Pdu::decode(&b).unwrap();
    assert_eq!(
        p.headers[1],
        Header::Unknown {
            code: field::PRIORITY,
            raw: Cow::Borrowed(&[3, 1, 2, 3])
        }
    );
    assert_eq!(p.to_bytes(), b);
}

#[test]
fn delete_conf_indexed_forms() {
    let p = Pdu::new(MessageType::DELETE_CONF, Some("t".into()), Version::V1_3)
        .with(Header::ContentLocation {
            index: Some(0),
            uri: "http://a/1".into(),
        })
        .with(Header::ResponseStatus {
            index: Some(0),
            status: ResponseStatus::OK,
        })
        .with(Header::ResponseText {
            index: Some(1),
            text: EncodedString::new("gone"),
        });
    let b = p.to_bytes();
    assert_eq!(Pdu::decode(&b).unwrap(), p);
    p.validate().unwrap();
}

#[test]
fn errors_name_offset_and_field() {
    let e = Pdu::decode(b"").unwrap_err();
    assert_eq!((e.offset, e.field), (0, "X-Mms-Message-Type"));
    // A Transaction-ID without its NUL.
    let e = Pdu::decode(&[0x8C, 0x80, 0x98, b'a', b'b']).unwrap_err();
    assert_eq!(e.offset, 3);
    assert_eq!(e.field, "X-Mms-Transaction-ID");
    assert_eq!(
        e.to_string(),
        "at byte 3 (X-Mms-Transaction-ID): string has no terminating NUL octet"
    );
    // A multipart body whose part claims far more than there is.
    let mut b = vec![0x8C, 0x84, 0x84, 0xA3, 0x01, 0x01, 0x7F, 0x83, b'x'];
    let e = Pdu::decode(&b).unwrap_err();
    assert_eq!((e.offset, e.field), (6, "part DataLen"));
    b.truncate(3);
    assert!(Pdu::decode(&b).is_err());
}

#[test]
fn constructors_validate() {
    let n = Pdu::notification_ind("tid1", "http://mmsc/1", 1000, TimeValue::Relative(3600)).with(
        Header::From(FromValue::Address(Address::plmn("+33611111111"))),
    );
    n.validate().unwrap();
    assert_eq!(&n.to_bytes()[..6], &[0x8C, 0x82, 0x98, b't', b'i', b'd']);
    let body = [1u8, 2, 3];
    let parts = vec![Part::new(ContentType::new("image/jpeg"), &body[..])];
    let ct = ContentType::new("application/vnd.wap.multipart.mixed");
    let all = [
        Pdu::send_req(
            "t",
            None,
            vec![Address::plmn("+1")],
            ct.clone(),
            parts.clone(),
        ),
        Pdu::send_conf("t", ResponseStatus::OK, Some("m".into())),
        Pdu::retrieve_conf(
            Some("t".into()),
            Some("m".into()),
            Some(Address::plmn("+1")),
            1,
            ct.clone(),
            parts.clone(),
        ),
        Pdu::notifyresp_ind("t", Status::RETRIEVED),
        Pdu::acknowledge_ind("t", Some(true)),
        Pdu::delivery_ind("m", Address::plmn("+1"), 1, Status::RETRIEVED),
        Pdu::read_rec_ind(
            "m",
            Address::plmn("+1"),
            FromValue::Insert,
            Some(1),
            ReadStatus::READ,
        ),
        Pdu::read_orig_ind(
            "m",
            Address::plmn("+1"),
            Address::plmn("+2"),
            1,
            ReadStatus::READ,
        ),
    ];
    for p in &all {
        p.validate().unwrap_or_else(|e| panic!("{p:?}: {e}"));
        assert_eq!(&Pdu::decode(&p.to_bytes()).unwrap(), p);
    }
    let e = Pdu::new(
        MessageType::NOTIFICATION_IND,
        Some("t".into()),
        Version::V1_3,
    )
    .validate()
    .unwrap_err();
    assert_eq!(
        e,
        ValidationError::MissingField {
            pdu: MessageType::NOTIFICATION_IND,
            field: "X-Mms-Message-Class"
        }
    );
    assert_eq!(
        e.to_string(),
        "m-notification-ind lacks the mandatory field X-Mms-Message-Class"
    );
    let e = Pdu::send_req("t", None, vec![], ct, parts)
        .validate()
        .unwrap_err();
    assert_eq!(e, ValidationError::NoRecipient(MessageType::SEND_REQ));
}

// ---- generated PDUs ----

fn text() -> impl Strategy<Value = Cow<'static, str>> {
    "[^\u{0}\u{feff}]{0,12}".prop_map(Cow::Owned)
}
fn estr() -> impl Strategy<Value = EncodedString<'static>> {
    prop_oneof![
        "[^\u{0}\u{feff}]{0,12}".prop_map(EncodedString::from),
        ("[a-z ]{0,8}", 1u16..3000).prop_map(|(s, c)| EncodedString {
            charset: Some(Charset(c)),
            bytes: Cow::Owned(s.into_bytes())
        }),
    ]
}
fn addr() -> impl Strategy<Value = Address<'static>> {
    prop_oneof![
        "\\+[0-9]{1,15}/TYPE=PLMN".prop_map(Address::new),
        "[a-z]{1,8}@[a-z]{1,8}\\.com".prop_map(Address::new),
        "[^\u{0}\u{feff}]{0,12}".prop_map(Address::new),
    ]
}
fn tok() -> impl Strategy<Value = u8> {
    0x80u8..=0xFF
}
fn time() -> impl Strategy<Value = TimeValue> {
    prop_oneof![
        any::<u64>().prop_map(TimeValue::Absolute),
        any::<u64>().prop_map(TimeValue::Relative)
    ]
}
fn raw_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        tok().prop_map(|b| vec![b]),
        "[a-z]{0,8}".prop_map(|s| {
            let mut v = s.into_bytes();
            v.push(0);
            v
        }),
        proptest::collection::vec(any::<u8>(), 1..30).prop_map(|d| {
            let mut v = vec![d.len() as u8];
            v.extend(d);
            v
        }),
    ]
}

/// Any header except Message-Type, Transaction-ID, MMS-Version and
/// Content-Type (whose places are fixed). `del`: the indexed forms of the
/// delete confirmations.
fn header(del: bool) -> impl Strategy<Value = Header<'static>> {
    let idx = move |i: u64| if del { Some(i) } else { None };
    let a = prop_oneof![
        addr().prop_map(Header::Bcc),
        addr().prop_map(Header::Cc),
        addr().prop_map(Header::To),
        (any::<u64>(), text())
            .prop_map(move |(i, uri)| Header::ContentLocation { index: idx(i), uri }),
        any::<u64>().prop_map(Header::Date),
        tok().prop_map(|b| Header::DeliveryReport(YesNo(b))),
        time().prop_map(Header::DeliveryTime),
        time().prop_map(Header::Expiry),
        prop_oneof![Just(FromValue::Insert), addr().prop_map(FromValue::Address)]
            .prop_map(Header::From),
        prop_oneof![
            tok().prop_map(|b| MessageClass::Token(ClassToken(b))),
            "x-[a-z]{0,8}".prop_map(|s| MessageClass::Text(s.into()))
        ]
        .prop_map(Header::MessageClass),
        text().prop_map(Header::MessageId),
        any::<u64>().prop_map(Header::MessageSize),
        tok().prop_map(|b| Header::Priority(Priority(b))),
        tok().prop_map(|b| Header::ReadReport(YesNo(b))),
        tok().prop_map(|b| Header::ReportAllowed(YesNo(b))),
        (any::<u64>(), tok()).prop_map(move |(i, b)| Header::ResponseStatus {
            index: idx(i),
            status: ResponseStatus(b)
        }),
        (any::<u64>(), estr()).prop_map(move |(i, text)| Header::ResponseText {
            index: idx(i),
            text
        }),
        tok().prop_map(|b| Header::SenderVisibility(SenderVisibility(b))),
        tok().prop_map(|b| Header::Status(Status(b))),
        estr().prop_map(Header::Subject),
    ];
    let b = prop_oneof![
        tok().prop_map(|b| Header::RetrieveStatus(RetrieveStatus(b))),
        estr().prop_map(Header::RetrieveText),
        tok().prop_map(|b| Header::ReadStatus(ReadStatus(b))),
        tok().prop_map(|b| Header::ReplyCharging(ReplyCharging(b))),
        time().prop_map(Header::ReplyChargingDeadline),
        text().prop_map(Header::ReplyChargingId),
        any::<u64>().prop_map(Header::ReplyChargingSize),
        (any::<u64>(), addr())
            .prop_map(|(count, address)| Header::PreviouslySentBy { count, address }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(count, date)| Header::PreviouslySentDate { count, date }),
        tok().prop_map(|b| Header::Store(YesNo(b))),
        tok().prop_map(|b| Header::MmState(MmState(b))),
        (tok(), estr()).prop_map(|(b, flag)| Header::MmFlags {
            token: FlagsToken(b),
            flag
        }),
        tok().prop_map(|b| Header::StoreStatus(StoreStatus(b))),
        estr().prop_map(Header::StoreStatusText),
        tok().prop_map(|b| Header::Stored(YesNo(b))),
        (0u8..0x80).prop_map(Header::Attributes),
        tok().prop_map(|b| Header::Totals(YesNo(b))),
        (tok(), any::<u64>()).prop_map(|(k, value)| Header::MboxTotals {
            kind: BoxCountKind(k),
            value
        }),
        tok().prop_map(|b| Header::Quotas(YesNo(b))),
        (tok(), any::<u64>()).prop_map(|(k, value)| Header::MboxQuotas {
            kind: BoxCountKind(k),
            value
        }),
    ];
    let c = prop_oneof![
        any::<u64>().prop_map(Header::MessageCount),
        any::<u64>().prop_map(Header::Start),
        tok().prop_map(|b| Header::DistributionIndicator(YesNo(b))),
        (text(), proptest::collection::vec(any::<u8>(), 0..8)).prop_map(|(reference, p)| {
            Header::ElementDescriptor {
                reference,
                params: Cow::Owned(p),
            }
        }),
        any::<u64>().prop_map(Header::Limit),
        tok().prop_map(|b| Header::RecommendedRetrievalMode(RetrievalMode(b))),
        estr().prop_map(Header::RecommendedRetrievalModeText),
        estr().prop_map(Header::StatusText),
        text().prop_map(Header::ApplicId),
        text().prop_map(Header::ReplyApplicId),
        text().prop_map(Header::AuxApplicInfo),
        tok().prop_map(|b| Header::ContentClass(ContentClass(b))),
        tok().prop_map(|b| Header::DrmContent(YesNo(b))),
        tok().prop_map(|b| Header::AdaptationAllowed(YesNo(b))),
        text().prop_map(Header::ReplaceId),
        text().prop_map(Header::CancelId),
        tok().prop_map(|b| Header::CancelStatus(CancelStatus(b))),
        (
            prop_oneof![0x40u8..=0x7F, Just(0x2E), Just(0x30)],
            raw_value()
        )
            .prop_map(|(code, raw)| Header::Unknown {
                code,
                raw: Cow::Owned(raw)
            }),
        ("[A-Za-z][A-Za-z0-9-]{0,10}", text()).prop_map(|(n, value)| Header::Extension {
            name: n.into(),
            value
        }),
    ];
    prop_oneof![a, b, c]
}

fn body() -> impl Strategy<Value = Option<(ContentType<'static>, Body<'static>)>> {
    let part = (
        proptest::collection::vec(any::<u8>(), 0..64),
        "[a-z]{1,8}\\.jpg",
    )
        .prop_map(|(b, n)| {
            Part::new(
                ContentType::new("image/jpeg").with(Parameter::text("name", n.clone())),
                b,
            )
        });
    prop_oneof![
        Just(None),
        proptest::collection::vec(part, 0..4).prop_map(|p| Some((
            ContentType::new("application/vnd.wap.multipart.related")
                .with(Parameter::text("start", "<0>")),
            Body::Multipart(p)
        ))),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| Some((ContentType::new("text/plain"), Body::Single(Cow::Owned(b))))),
    ]
}

fn pdu() -> impl Strategy<Value = Pdu<'static>> {
    (
        0usize..MessageType::ALL.len(),
        proptest::option::of("[a-zA-Z0-9@.]{1,20}"),
        0u8..0x80,
    )
        .prop_flat_map(|(i, tid, v)| {
            let mt = MessageType::ALL[i];
            let del = matches!(mt, MessageType::DELETE_CONF | MessageType::MBOX_DELETE_CONF);
            (
                Just(mt),
                Just(tid),
                Just(v),
                proptest::collection::vec(header(del), 0..12),
                body(),
            )
        })
        .prop_map(|(mt, tid, v, headers, body)| {
            let mut p = Pdu::new(mt, tid.map(Cow::Owned), Version(v));
            p.headers.extend(headers);
            if let Some((ct, b)) = body {
                p = p.with_body(ct, b);
            }
            p
        })
}

proptest! {
    #[test]
    fn every_message_type_round_trips(p in pdu()) {
        let bytes = p.to_bytes();
        let back = Pdu::decode(&bytes).map_err(|e| TestCaseError::fail(format!("{e}: {bytes:02X?}")))?;
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(p) = Pdu::decode(&data) {
            let _ = p.validate();
            let again = p.to_bytes();
            let q = Pdu::decode(&again).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let mut expected = p.clone();
            expected.canonical_order();
            prop_assert_eq!(q, expected);
        }
    }

    #[test]
    fn never_panics_after_message_type(data in proptest::collection::vec(any::<u8>(), 0..256), mt in 0x80u8..0x98) {
        let mut b = vec![0x8C, mt];
        b.extend(data);
        if let Ok(p) = Pdu::decode(&b) {
            let again = p.to_bytes();
            let q = Pdu::decode(&again).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let mut expected = p.clone();
            expected.canonical_order();
            prop_assert_eq!(q, expected);
        }
    }
}
