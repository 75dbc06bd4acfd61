//! MM4 round trips (build -> parse -> encode -> parse) for the six message
//! types, exact header text, errors, and arbitrary input.

use ferry_mm4::{
    DeliveryReportReq, Error, ForwardMeta, MessageKind, Mm4Message, Mm4Response, MmStatus,
    ReadReplyReportReq, ReadStatus, RequestStatus, forward_req, parse,
};
use ferry_mms::{Address, Body, ClassToken, Header, MessageClass, Pdu, Priority, TimeValue, YesNo};
use ferry_wsp::multipart::{content_id, content_location};
use ferry_wsp::{Charset, ContentType, ParamValue, Parameter, Part};
use proptest::prelude::*;

fn image() -> Vec<u8> {
    (0..=255u8).cycle().take(3000).collect()
}

fn sample_pdu(img: &[u8]) -> Pdu<'_> {
    let smil =
        b"<smil><body><par><img src=\"cid:img\"/><text src=\"cid:txt\"/></par></body></smil>"
            .to_vec();
    let parts = vec![
        {
            let mut p = Part::new(ContentType::new("application/smil"), smil);
            p.headers.push(content_id("<smil>"));
            p.headers.push(content_location("smil.xml"));
            p
        },
        {
            let ct = ContentType::new("text/plain").with(Parameter::new(
                "charset",
                ParamValue::Charset(Charset::ISO_8859_1),
            ));
            let mut p = Part::new(ct, b"Gr\xfc\xdfe aus K\xf6ln".to_vec());
            p.headers.push(content_id("<txt>"));
            p.headers.push(content_location("text.txt"));
            p
        },
        {
            let ct = ContentType::new("image/jpeg").with(Parameter::text("name", "photo.jpg"));
            let mut p = Part::new(ct, img);
            p.headers.push(content_id("<img>"));
            p.headers.push(content_location("photo.jpg"));
            p
        },
    ];
    let ct = ContentType::new("application/vnd.wap.multipart.related")
        .with(Parameter::text("type", "application/smil"))
        .with(Parameter::text("start", "<smil>"));
    Pdu::send_req(
        "tx-1",
        Some(Address::plmn("+15550001")),
        vec![
            Address::plmn("+4915550002"),
            Address::email("carol@example.org"),
        ],
        ct,
        parts,
    )
    .with(Header::Cc(Address::plmn("+4915550003")))
    .with(Header::Subject(ferry_wsp::EncodedString::new("Grüße 🎉")))
    .with(Header::Date(1_700_000_000))
    .with(Header::Expiry(TimeValue::Relative(86_400)))
    .with(Header::MessageClass(MessageClass::Token(
        ClassToken::PERSONAL,
    )))
    .with(Header::Priority(Priority::HIGH))
    .with(Header::DeliveryReport(YesNo::YES))
    .with(Header::ReadReport(YesNo::NO))
}

fn meta() -> ForwardMeta {
    ForwardMeta {
        transaction_id: "T0001".into(),
        message_id: "M-abc-123".into(),
        originator_system: "system-user@mms.a.example".into(),
        originator_domain: "mms.a.example".into(),
        recipient_domain: "mms.b.example".into(),
        ack_request: true,
        ..Default::default()
    }
}

#[test]
fn forward_req_round_trip() {
    let img = image();
    let pdu = sample_pdu(&img);
    let bytes = forward_req(&pdu, &meta()).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    // Exact header lines as TS 23.140 spells them.
    for line in [
        "X-Mms-3GPP-MMS-Version: 6.16.0\r\n",
        "X-Mms-Message-Type: MM4_forward.REQ\r\n",
        "X-Mms-Transaction-ID: T0001\r\n",
        "X-Mms-Message-ID: M-abc-123\r\n",
        "Sender: system-user@mms.a.example\r\n",
        "From: +15550001/TYPE=PLMN@mms.a.example\r\n",
        "To: +4915550002/TYPE=PLMN@mms.b.example, carol@example.org\r\n",
        "Cc: +4915550003/TYPE=PLMN@mms.b.example\r\n",
        "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n",
        "X-Mms-Expiry: 86400\r\n",
        "X-Mms-Message-Class: Personal\r\n",
        "X-Mms-Priority: High\r\n",
        "X-Mms-Delivery-Report: Yes\r\n",
        "X-Mms-Read-Reply: No\r\n",
        "X-Mms-Ack-Request: Yes\r\n",
        "X-Mms-Originator-System: system-user@mms.a.example\r\n",
        "Message-ID: <T0001.M-abc-123@mms.a.example>\r\n",
        "MIME-Version: 1.0\r\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("Content-Type: multipart/related"), "{text}");
    assert!(
        !text.contains("Subject: Grüße"),
        "subject must be RFC 2047 encoded"
    );

    let Mm4Message::ForwardReq(f) = parse(&bytes).unwrap() else {
        panic!("not a forward")
    };
    assert_eq!(f.transaction_id, "T0001");
    assert_eq!(f.message_id, "M-abc-123");
    assert_eq!(f.from, "+15550001/TYPE=PLMN@mms.a.example");
    assert_eq!(
        f.to,
        ["+4915550002/TYPE=PLMN@mms.b.example", "carol@example.org"]
    );
    assert_eq!(f.cc, ["+4915550003/TYPE=PLMN@mms.b.example"]);
    assert_eq!(f.subject.as_deref(), Some("Grüße 🎉"));
    assert_eq!(f.date, Some(1_700_000_000));
    assert_eq!(f.expiry, Some(TimeValue::Relative(86_400)));
    assert_eq!(f.priority, Some(Priority::HIGH));
    assert_eq!(
        f.message_class,
        Some(MessageClass::Token(ClassToken::PERSONAL))
    );
    assert_eq!(f.delivery_report, Some(true));
    assert_eq!(f.read_reply, Some(false));
    assert!(f.ack_request);
    assert_eq!(
        f.originator_system.as_deref(),
        Some("system-user@mms.a.example")
    );
    assert!(
        f.content_type
            .media
            .is("application/vnd.wap.multipart.related")
    );
    assert_eq!(
        f.content_type.param_text("type").as_deref(),
        Some("application/smil")
    );
    assert_eq!(
        f.content_type.param_text("start").as_deref(),
        Some("<smil>")
    );
    assert_eq!(f.parts.len(), 3);
    assert!(f.parts[0].content_type.media.is("application/smil"));
    assert_eq!(f.parts[0].content_id(), Some("<smil>"));
    assert_eq!(f.parts[1].content_type.charset(), Some(Charset::UTF_8));
    assert_eq!(
        std::str::from_utf8(&f.parts[1].body).unwrap(),
        "Grüße aus Köln"
    );
    assert_eq!(f.parts[1].content_location(), Some("text.txt"));
    assert_eq!(&*f.parts[2].body, &img[..], "image byte for byte");
    assert_eq!(f.parts[2].content_type.name().as_deref(), Some("photo.jpg"));

    // Parse -> encode -> parse is stable.
    let enc = f.encode();
    let again = parse(&enc).unwrap();
    assert_eq!(again, Mm4Message::ForwardReq(f.clone()));

    // And back to a PDU for the recipient.
    let conf = f.to_retrieve_conf(Some("r-1"));
    let bytes = conf.to_bytes();
    let back = Pdu::decode(&bytes).unwrap();
    assert_eq!(back.parts().len(), 3);
    assert_eq!(
        back.from()
            .and_then(|f| f.address())
            .map(|a| a.text().into_owned())
            .as_deref(),
        Some("+15550001/TYPE=PLMN")
    );
    assert_eq!(back.to().count(), 2);
    assert_eq!(
        back.subject().map(|s| s.text().into_owned()).as_deref(),
        Some("Grüße 🎉")
    );
    assert!(matches!(&back.body, Some(Body::Multipart(p)) if p[2].body == img.as_slice()));

    // The answer.
    let res = f.response(RequestStatus::OK, Some("system@mms.b.example"));
    assert_eq!(res.to.as_deref(), Some("system-user@mms.a.example"));
    assert_eq!(res.transaction_id, "T0001");
}

#[test]
fn forward_needs_a_sender() {
    let mut pdu = sample_pdu(b"x");
    pdu.headers.retain(|h| !matches!(h, Header::From(_)));
    assert!(matches!(
        forward_req(&pdu, &meta()),
        Err(Error::Build { field: "From", .. })
    ));
    let pdu = pdu.with(Header::From(ferry_mms::FromValue::Insert));
    assert!(matches!(
        forward_req(&pdu, &meta()),
        Err(Error::Build { field: "From", .. })
    ));
}

fn round_trip(m: Mm4Message<'static>) {
    let bytes = m.encode();
    let back = parse(&bytes).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&bytes)));
    assert_eq!(back, m, "\n{}", String::from_utf8_lossy(&bytes));
}

#[test]
fn responses_and_reports_round_trip() {
    let mut res = Mm4Response::new("T0001", "M-abc-123", RequestStatus::ERROR_SERVICE_DENIED);
    res.status_text = Some("Zugriff verweigert – Dienst gesperrt".into());
    res.sender = Some("system@mms.b.example".into());
    res.to = Some("system-user@mms.a.example".into());
    res.date = Some(1_700_000_100);
    res.mime_message_id = Some("<r1@mms.b.example>".into());
    let bytes = res.encode(&MessageKind::FORWARD_RES);
    let text = String::from_utf8_lossy(&bytes);
    for line in [
        "X-Mms-Message-Type: MM4_forward.RES\r\n",
        "X-Mms-Request-Status-Code: Error-service-denied\r\n",
        "X-Mms-Transaction-ID: T0001\r\n",
        "X-Mms-Message-ID: M-abc-123\r\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    round_trip(Mm4Message::ForwardRes(res.clone()));
    round_trip(Mm4Message::DeliveryReportRes(res.clone()));
    round_trip(Mm4Message::ReadReplyReportRes(Mm4Response::new(
        "T9",
        "M9",
        RequestStatus::OK,
    )));

    let mut dr = DeliveryReportReq::new(
        "T0002",
        "M-abc-123",
        "+4915550002/TYPE=PLMN@mms.b.example",
        "+15550001/TYPE=PLMN@mms.a.example",
        MmStatus::RETRIEVED,
        1_700_000_200,
    );
    dr.sender = Some("system@mms.b.example".into());
    dr.originator_system = Some("system@mms.b.example".into());
    dr.forward_to_originator_ua = Some(true);
    dr.status_text = Some("abgeholt".into());
    let text = String::from_utf8(dr.encode()).unwrap();
    for line in [
        "X-Mms-Message-Type: MM4_delivery_report.REQ\r\n",
        "X-Mms-MM-Status-Code: Retrieved\r\n",
        "From: +4915550002/TYPE=PLMN@mms.b.example\r\n",
        "To: +15550001/TYPE=PLMN@mms.a.example\r\n",
        "X-Mms-Ack-Request: Yes\r\n",
        "X-Mms-Forward-To-Originator-UA: Yes\r\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    round_trip(Mm4Message::DeliveryReportReq(dr.clone()));
    assert_eq!(
        dr.response(RequestStatus::OK, None).to.as_deref(),
        Some("system@mms.b.example")
    );

    let rr = ReadReplyReportReq::new(
        "T0003",
        "M-abc-123",
        "+4915550002/TYPE=PLMN@mms.b.example",
        "+15550001/TYPE=PLMN@mms.a.example",
        ReadStatus::DELETED_WITHOUT_BEING_READ,
        1_700_000_300,
    );
    let text = String::from_utf8(rr.encode()).unwrap();
    assert!(
        text.contains("X-Mms-Message-Type: MM4_read_reply_report.REQ\r\n"),
        "{text}"
    );
    assert!(
        text.contains("X-Mms-Read-Status: Deleted without being read\r\n"),
        "{text}"
    );
    round_trip(Mm4Message::ReadReplyReportReq(rr));

    // An unknown status text survives.
    let mut odd = Mm4Response::new("T", "M", RequestStatus::new("Error-something-new"));
    odd.status_text = Some("x".into());
    round_trip(Mm4Message::DeliveryReportRes(odd));
}

#[test]
fn errors_name_the_field() {
    let no_type = b"X-Mms-Transaction-ID: 1\r\nX-Mms-Message-ID: 2\r\n\r\n";
    assert!(matches!(
        parse(no_type),
        Err(Error::Missing {
            field: "X-Mms-Message-Type",
            ..
        })
    ));
    let bad_type = b"X-Mms-Transaction-ID: 1\r\nX-Mms-Message-Type: MM7_submit.REQ\r\n\r\n";
    match parse(bad_type) {
        Err(Error::UnknownMessageType { offset, value }) => {
            assert_eq!(value, "MM7_submit.REQ");
            assert_eq!(offset, 25);
        }
        other => panic!("{other:?}"),
    }
    let no_tid = b"X-Mms-Message-Type: MM4_forward.RES\r\nX-Mms-Message-ID: 2\r\nX-Mms-Request-Status-Code: Ok\r\n\r\n";
    assert!(matches!(
        parse(no_tid),
        Err(Error::Missing {
            field: "X-Mms-Transaction-ID",
            ..
        })
    ));
    let bad_ack = b"X-Mms-Message-Type: MM4_delivery_report.REQ\r\nX-Mms-Transaction-ID: 1\r\nX-Mms-Message-ID: 2\r\nFrom: a@b\r\nTo: c@d\r\nX-Mms-MM-Status-Code: Retrieved\r\nX-Mms-Ack-Request: perhaps\r\n\r\n";
    assert!(matches!(
        parse(bad_ack),
        Err(Error::Invalid {
            field: "X-Mms-Ack-Request",
            ..
        })
    ));
    assert!(ferry_mm4::is_mm4(
        b"X-Mms-Message-Type: MM4_forward.REQ\r\n\r\n"
    ));
    assert!(!ferry_mm4::is_mm4(b"From: a@b\r\nSubject: hi\r\n\r\nhello"));
}

#[test]
fn foreign_forward_is_read() {
    // A forward as another vendor writes it: lower-case names, folded To,
    // quoted-printable Latin-1 text, unknown X-Mms headers.
    let raw = concat!(
        "X-Mms-3GPP-Mms-Version: 6.10.0\r\n",
        "X-Mms-Message-Type: MM4_forward.REQ\r\n",
        "X-Mms-Transaction-Id: 42\r\n",
        "X-Mms-Message-Id: <abc@other>\r\n",
        "From: <+4917000001/TYPE=PLMN@mms.other.example>\r\n",
        "To: +15550001/TYPE=PLMN@mms.a.example,\r\n +15550002/TYPE=PLMN@mms.a.example\r\n",
        "X-Mms-Ack-Request: yes\r\n",
        "X-Mms-VASP-ID: 77\r\n",
        "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\n",
        "Content-Type: text/plain; charset=ISO-8859-1\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "\r\n",
        "K=F6ln\r\n",
    );
    let Mm4Message::ForwardReq(f) = parse(raw.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(f.version, "6.10.0");
    assert_eq!(f.transaction_id, "42");
    assert_eq!(f.from, "+4917000001/TYPE=PLMN@mms.other.example");
    assert_eq!(f.to.len(), 2);
    assert!(f.ack_request);
    assert_eq!(f.subject.as_deref(), Some("Grüße"));
    assert_eq!(f.extra, [("X-Mms-VASP-ID".to_owned(), "77".to_owned())]);
    assert_eq!(f.parts.len(), 1);
    assert_eq!(
        std::str::from_utf8(&f.parts[0].body).unwrap().trim_end(),
        "Köln"
    );
    let enc = f.encode();
    let again = parse(&enc).unwrap();
    assert_eq!(again, Mm4Message::ForwardReq(f));
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.-]{0,20}"
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&data);
        let _ = ferry_mm4::mm3::mms_from_email(&data);
        let _ = ferry_mm4::is_mm4(&data);
    }

    #[test]
    fn mime_like_never_panics(lines in proptest::collection::vec("[ -~]{0,40}", 0..30), body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut data = b"X-Mms-Message-Type: MM4_forward.REQ\r\nContent-Type: multipart/mixed; boundary=b\r\n".to_vec();
        for l in lines { data.extend_from_slice(l.as_bytes()); data.extend_from_slice(b"\r\n"); }
        data.extend_from_slice(b"\r\n--b\r\n");
        data.extend_from_slice(&body);
        let _ = parse(&data);
        let _ = ferry_mm4::mm3::mms_from_email(&data);
    }

    #[test]
    fn reports_round_trip(tid in token(), mid in token(), from in token(), to in token(), status in 0usize..8, date in 0u64..4_000_000_000, ack in any::<bool>(), text in proptest::option::of("[ -~]{1,30}")) {
        let mut dr = DeliveryReportReq::new(tid.clone(), mid.clone(), format!("+{from}/TYPE=PLMN@b.example"), format!("{to}@a.example"), MmStatus::ALL[status].clone(), date);
        dr.ack_request = ack;
        dr.status_text = text.clone().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let enc = dr.encode();
        let back = parse(&enc).unwrap();
        prop_assert_eq!(back, Mm4Message::DeliveryReportReq(dr));
        let mut res = Mm4Response::new(tid, mid, RequestStatus::ALL[status].clone());
        res.date = Some(date);
        let enc = res.encode(&MessageKind::READ_REPLY_REPORT_RES);
        let back = parse(&enc).unwrap();
        prop_assert_eq!(back, Mm4Message::ReadReplyReportRes(res));
    }
}

/// What the fuzz target checks, on mutations of real messages.
fn fixed_point(data: &[u8]) {
    if let Ok(m) = parse(data) {
        let b1 = m.encode();
        let m2 = parse(&b1).expect("an encoded MM4 message reads again");
        let b2 = m2.encode();
        let m3 = parse(&b2).expect("an encoded MM4 message reads again");
        assert_eq!(m3, m2);
    }
}

proptest! {
    #[test]
    fn mutated_messages_reach_a_fixed_point(seed in 0usize..4, edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6)) {
        let img = image();
        let mut data = match seed {
            0 => forward_req(&sample_pdu(&img[..64]), &meta()).unwrap(),
            1 => DeliveryReportReq::new("T", "M", "+1/TYPE=PLMN@b", "+2/TYPE=PLMN@a", MmStatus::EXPIRED, 5).encode(),
            2 => ReadReplyReportReq::new("T", "M", "+1/TYPE=PLMN@b", "+2/TYPE=PLMN@a", ReadStatus::READ, 5).encode(),
            _ => Mm4Response::new("T", "M", RequestStatus::OK).encode(&MessageKind::FORWARD_RES),
        };
        for (at, b) in edits {
            let n = data.len();
            data[at % n] = b;
        }
        fixed_point(&data);
    }
}
