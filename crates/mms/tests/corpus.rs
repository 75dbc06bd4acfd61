//! The real-phone and carrier corpus in `../shared/vectors` (see its
//! SOURCES.md): every bare MMS PDU and WSP push decodes, the values that
//! SOURCES.md documents come out, part bodies equal the extracted files byte
//! for byte, re-encoding round-trips, and the negative cases fail with an
//! error that names the offset and what was expected.
//!
//! The folder comes from `FERRY_VECTORS` (default `../shared/vectors` next to
//! the repository); a missing folder FAILS these tests.

use std::path::{Path, PathBuf};

use ferry_mms::{
    AddressKind, Body, ClassToken, FromValue, Header, MessageClass, MessageType, Pdu, ReadStatus,
    ResponseStatus, RetrieveStatus, Status, TimeValue, Version, YesNo,
};
use ferry_wsp::{ParamValue, Push};

fn vectors() -> PathBuf {
    let dir = std::env::var_os("FERRY_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        });
    assert!(
        dir.join("SOURCES.md").is_file(),
        "test vectors not found at {} (set FERRY_VECTORS to the shared vectors folder)",
        dir.display()
    );
    dir
}

/// The file's bytes, leaked so decoded PDUs can borrow them for the test.
fn load(rel: &str) -> &'static [u8] {
    let p = vectors().join(rel);
    let v = std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    Box::leak(v.into_boxed_slice())
}

fn pdu(rel: &str) -> Pdu<'static> {
    Pdu::decode(load(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const SF: &str = "sailfishos-mms-engine";
const PM: &str = "python-messaging/mms-data";

/// Files that are not MMS PDUs at all (negative cases).
fn is_negative(rel: &str) -> bool {
    rel.ends_with("/garbage")
        || rel.ends_with(".html")
        || rel.ends_with("UnparsableResp/m-send.conf")
}

/// Every bare MMS PDU of the corpus (relative paths).
fn bare_pdus() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "parts") {
                    walk(&p, base, out);
                }
            } else {
                out.push(
                    p.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let base = vectors();
    let mut out = Vec::new();
    walk(&base.join(SF), &base, &mut out);
    walk(&base.join(PM), &base, &mut out);
    out.retain(|r| !is_negative(r));
    out
}

#[test]
fn every_bare_pdu_decodes_reencodes_and_decodes_again_equal() {
    let files = bare_pdus();
    // 26 codec files, 13 python-messaging messages, the retrieve/send/report cases.
    assert!(files.len() >= 80, "only {} bare PDUs found", files.len());
    for rel in &files {
        let first = pdu(rel);
        assert!(first.message_type().is_some(), "{rel}: no message type");
        let bytes = first.to_bytes();
        let second = Pdu::decode(&bytes)
            .unwrap_or_else(|e| panic!("{rel}: re-encoded PDU does not decode: {e}"));
        // Encoding puts Type, Transaction-ID and Version first and
        // Content-Type last; compare with the first decoding in that order.
        let mut expected = first.clone();
        expected.canonical_order();
        assert_eq!(second, expected, "{rel}: decode(encode(pdu)) differs");
        // And the encoding is a fixed point.
        assert_eq!(second.to_bytes(), bytes, "{rel}: encoding is not canonical");
    }
}

#[test]
fn negative_cases_fail_with_offset_and_expectation() {
    for rel in [
        "sailfishos-mms-engine/test_retrieve/GarbagePush/garbage",
        "sailfishos-mms-engine/test_retrieve/GarbageRetrieve/garbage",
        "sailfishos-mms-engine/test_retrieve/NotFound/not-found.html",
        "sailfishos-mms-engine/test_retrieve/NotAllowed/not-allowed.html",
        "sailfishos-mms-engine/test_send/UnparsableResp/m-send.conf",
    ] {
        let e = Pdu::decode(load(rel)).unwrap_err();
        assert_eq!((e.offset, e.field), (0, "X-Mms-Message-Type"), "{rel}");
        let msg = e.to_string();
        assert!(
            msg.starts_with("at byte 0 (X-Mms-Message-Type): found octet 0x"),
            "{rel}: {msg}"
        );
        assert!(
            msg.contains("expected X-Mms-Message-Type (0x8C)"),
            "{rel}: {msg}"
        );
        // Neither is it a WSP push.
        assert!(Push::decode(load(rel)).is_err(), "{rel}");
    }
    // The garbage push is the literal text the origin test pushes.
    assert_eq!(
        load("sailfishos-mms-engine/test_retrieve/GarbagePush/garbage").trim_ascii_end(),
        b"This is not a valid WAP push PDU"
    );
}

fn to_texts(p: &Pdu<'_>) -> Vec<String> {
    p.to().map(|a| a.text().into_owned()).collect()
}

fn from_text(p: &Pdu<'_>) -> Option<String> {
    p.from()
        .and_then(FromValue::address)
        .map(|a| a.text().into_owned())
}

fn subject(p: &Pdu<'_>) -> Option<String> {
    p.subject().map(|s| s.text().into_owned())
}

/// SOURCES.md §1a, the `test_mms_codec` table, row by row.
#[test]
fn sailfish_codec_files() {
    let d = |f: &str| pdu(&format!("{SF}/test_mms_codec/{f}"));

    let p = d("m-acknowledge.ind");
    assert_eq!(p.message_type(), Some(MessageType::ACKNOWLEDGE_IND));
    assert_eq!(p.version(), Some(Version::V1_1));
    assert_eq!(p.transaction_id(), Some("BH6WJE2N9CSG1@xma.724.com"));
    assert!(p.header(ferry_mms::field::REPORT_ALLOWED).is_some());
    p.validate().unwrap();

    let p = d("m-delivery_1.ind");
    assert_eq!(p.message_type(), Some(MessageType::DELIVERY_IND));
    assert_eq!(p.version(), Some(Version::V1_1));
    assert_eq!(p.transaction_id(), None);
    assert_eq!(p.message_id(), Some("BH24CBJJA40W1"));
    let to: Vec<_> = p.to().collect();
    assert_eq!(to.len(), 1);
    // The misspelt type is kept as sent.
    assert_eq!(to[0].text(), "+358500000000/TYPE=PLNM");
    assert_eq!(to[0].kind(), AddressKind::Other("PLNM".into()));
    assert_eq!(p.status(), Some(Status::RETRIEVED));

    let p = d("m-delivery_2.ind");
    assert_eq!(p.version(), Some(Version::V1_0));
    assert!(p.message_id().unwrap().ends_with("@mmsc4.dna.fi"));
    assert!(p.transaction_id().is_some());
    assert_eq!(
        p.extension("Return-Path"),
        Some("<mmscadm@mms.mnc091.mcc244.gprs>")
    );
    assert!(
        p.extension("X-Scanned-By")
            .unwrap()
            .starts_with("MIMEDefang 2.78 ")
    );
    // The textual headers sit between binary ones, in wire order.
    let names: Vec<_> = p.headers.iter().map(|h| h.name().into_owned()).collect();
    let rp = names.iter().position(|n| n == "Return-Path").unwrap();
    assert!(rp > 0 && rp + 2 < names.len(), "{names:?}");
    assert_eq!(names[rp + 1], "X-Scanned-By");

    let p = d("m-notification_1.ind");
    assert_eq!(p.message_type(), Some(MessageType::NOTIFICATION_IND));
    assert_eq!(p.version(), Some(Version::V1_0));
    assert_eq!(
        p.transaction_id(),
        Some("m10l9m7u03mct2jbc12@mms.beeline.ru")
    );
    assert_eq!(from_text(&p).as_deref(), Some("+79050000000/TYPE=PLMN"));
    assert_eq!(
        p.from().unwrap().address().unwrap().kind(),
        AddressKind::Plmn
    );
    assert_eq!(
        p.message_class(),
        Some(&MessageClass::Token(ClassToken::PERSONAL))
    );
    assert_eq!(p.message_size(), Some(25031));
    assert_eq!(p.expiry(), Some(TimeValue::Relative(259_199)));
    assert_eq!(
        p.content_location(),
        Some("http://mmsr5/?message-id=m10l9m7u03mct2jbc12")
    );
    p.validate().unwrap();

    let p = d("m-notification_2.ind");
    assert_eq!(p.version(), Some(Version::V1_1));
    assert!(p.transaction_id().unwrap().ends_with("@xma.724.com"));
    assert_eq!(p.message_size(), Some(89844));
    assert!(p.delivery_report().is_some());
    assert_eq!(
        p.content_location(),
        Some("http://172.19.24.3:8000/MMSBH1CFPLK7PMO1")
    );

    let p = d("m-notification_3.ind");
    assert_eq!(p.version(), Some(Version::V1_2));
    assert_eq!(p.transaction_id(), Some("Ad0b9pXNC_Be1I_VQ"));
    assert_eq!(p.message_size(), Some(137_105));
    assert_eq!(
        p.content_location(),
        Some("http://mmsc42:10021/mmsc/4_2?Ad0b9pXNC_Be1I_VQ")
    );

    let p = d("m-notification_4.ind");
    assert_eq!(p.version(), Some(Version::V1_0));
    // 2016-11-14T22:02:18Z.
    assert_eq!(p.expiry(), Some(TimeValue::Absolute(1_479_160_938)));
    assert_eq!(p.expiry().unwrap().to_string(), "2016-11-14T22:02:18Z");
    assert_eq!(from_text(&p).as_deref(), Some("0000000000"));
    assert_eq!(
        p.from().unwrap().address().unwrap().kind(),
        AddressKind::Unqualified
    );
    assert_eq!(p.message_size(), Some(839_556));
    assert!(
        p.content_location()
            .unwrap()
            .starts_with("http://tnz-retrieve.sun2.lightsurf.net:80/")
    );

    let p = d("m-notifyresp.ind");
    assert_eq!(p.message_type(), Some(MessageType::NOTIFYRESP_IND));
    assert_eq!(p.version(), Some(Version::V1_1));
    assert_eq!(
        p.transaction_id(),
        Some("m10l9m7u03mct2jbc12@mms.beeline.ru")
    );
    assert_eq!(p.status(), Some(Status::UNRECOGNISED));
    assert_eq!(p.status().unwrap().0, 0x84);

    let p = d("m-read-orig.ind");
    assert_eq!(p.message_type(), Some(MessageType::READ_ORIG_IND));
    assert_eq!(p.transaction_id(), None);
    assert!(p.date().is_some());
    assert_eq!(from_text(&p).as_deref(), Some("+358500000000/TYPE=PLMN"));
    assert_eq!(p.message_id(), Some("BH24CBJJA40W1"));
    assert_eq!(to_texts(&p), ["+358440000001/TYPE=PLMN"]);
    assert_eq!(p.read_status(), Some(ReadStatus::READ));
    p.validate().unwrap();

    let p = d("m-read-rec.ind");
    assert_eq!(p.message_type(), Some(MessageType::READ_REC_IND));
    assert_eq!(p.message_id(), Some("ED4FEEF0-7795-71E3-B973-D485645D138C"));
    assert_eq!(p.to().count(), 1);
    assert_eq!(p.from(), Some(&FromValue::Insert));
    assert!(p.date().is_some());
    assert_eq!(p.read_status(), Some(ReadStatus::READ));
    p.validate().unwrap();

    let p = d("m-retrieve_1.conf");
    assert_eq!(p.message_type(), Some(MessageType::RETRIEVE_CONF));
    assert_eq!(p.version(), Some(Version::V1_0));
    assert_eq!(
        p.message_class(),
        Some(&MessageClass::Token(ClassToken::ADVERTISEMENT))
    );
    let ct = p.content_type().unwrap();
    assert!(ct.media.is("application/vnd.wap.multipart.related"));
    assert_eq!(ct.param_text("start").as_deref(), Some("<0.smil>"));
    let types: Vec<_> = p
        .parts()
        .iter()
        .map(|x| x.content_type.media.to_string())
        .collect();
    assert_eq!(types, ["application/smil", "text/plain", "image/jpeg"]);
    assert_eq!(p.parts()[2].body.len(), 13641);

    let p = d("m-retrieve_2.conf");
    assert_eq!(p.version(), Some(Version::V1_1));
    assert!(p.transaction_id().unwrap().ends_with("@xma.724.com"));
    assert_eq!(
        subject(&p).as_deref(),
        Some("Входит Пушкин в летном шлеме...")
    );
    assert_eq!(
        p.message_class(),
        Some(&MessageClass::Token(ClassToken::INFORMATIONAL))
    );

    let p = d("m-retrieve_3.conf");
    assert_eq!(p.version(), Some(Version::V1_2));
    assert!(from_text(&p).unwrap().starts_with("+43664"));
    assert!(to_texts(&p)[0].starts_with("+43664"));
    assert_eq!(
        p.content_type().unwrap().param_text("start").as_deref(),
        Some("<smil>")
    );
    let types: Vec<_> = p
        .parts()
        .iter()
        .map(|x| x.content_type.media.to_string())
        .collect();
    assert_eq!(types, ["application/smil", "text/plain", "image/jpeg"]);
    assert_eq!(p.parts()[2].body.len(), 136_696);

    let p = d("m-retrieve_4.conf");
    assert_eq!(p.version(), Some(Version::V1_2));
    // From's text is an Encoded-string-value (charset-labelled).
    let from = p.from().unwrap().address().unwrap();
    assert_eq!(from.text(), "01234567890");
    assert!(from.charset().is_some());
    // An empty UTF-8 Subject.
    let s = p.subject().unwrap();
    assert_eq!(s.charset, Some(ferry_wsp::Charset::UTF_8));
    assert_eq!(s.text(), "");
    assert!(
        p.content_type()
            .unwrap()
            .media
            .is("application/vnd.wap.multipart.mixed")
    );
    assert_eq!(p.parts().len(), 1);
    assert!(p.parts()[0].content_type.media.is("text/plain"));

    // A NON-multipart body.
    let p = d("m-retrieve_5.conf");
    assert_eq!(p.version(), Some(Version::V1_2));
    assert_eq!(p.transaction_id(), None);
    assert_eq!(
        p.retrieve_status(),
        Some(RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND)
    );
    assert_eq!(p.retrieve_status().unwrap().0, 0xE2);
    assert!(p.retrieve_status().unwrap().is_permanent());
    assert_eq!(p.retrieve_text().unwrap().text(), "4504:Message not found");
    assert!(p.content_type().unwrap().media.is("text/plain"));
    let Some(Body::Single(body)) = &p.body else {
        panic!("not a single body: {:?}", p.body)
    };
    assert!(
        !body.is_empty() && body.iter().all(|b| b.is_ascii()),
        "{body:?}"
    );
    assert!(p.parts().is_empty());

    let p = d("m-retrieve_6.conf");
    assert_eq!(p.version(), Some(Version::V1_0));
    assert!(to_texts(&p).iter().all(|t| t.starts_with("+47")));
    assert!(from_text(&p).unwrap().starts_with("+47"));
    let types: Vec<_> = p
        .parts()
        .iter()
        .map(|x| x.content_type.media.to_string())
        .collect();
    assert_eq!(types, ["application/smil", "image/jpeg", "text/plain"]);

    let p = d("m-retrieve_7.conf");
    assert_eq!(p.transaction_id(), None);
    assert_eq!(p.from(), None);
    assert_eq!(p.parts().len(), 1);
    assert_eq!(
        p.parts()[0].content_type.charset(),
        Some(ferry_wsp::Charset::UTF_8)
    );
    assert_eq!(&*p.parts()[0].body, "Melding ikke funnet.".as_bytes());

    // Fields the origin decoder did not know sit among known ones; this
    // crate types them (Previously-Sent-By/Date) and keeps going.
    let p = d("m-retrieve_8.conf");
    assert_eq!(p.version(), Some(Version::V1_1));
    assert!(p.message_id().unwrap().ends_with("@mms.telenor.se"));
    assert!(
        p.headers
            .iter()
            .any(|h| matches!(h, Header::PreviouslySentBy { .. }))
    );
    assert!(
        p.headers
            .iter()
            .any(|h| matches!(h, Header::PreviouslySentDate { .. }))
    );
    assert!(
        !p.headers
            .iter()
            .any(|h| matches!(h, Header::Unknown { .. }))
    );
    let types: Vec<_> = p
        .parts()
        .iter()
        .map(|x| x.content_type.media.to_string())
        .collect();
    assert_eq!(types, ["application/smil", "text/x-vCard", "text/plain"]);

    // A Korean Subject whose Value-length uses the Length-quote form.
    let p = d("m-retrieve_9.conf");
    assert_eq!(subject(&p).as_deref(), Some("의료보조금 지급 안내"));
    let raw = load(&format!("{SF}/test_mms_codec/m-retrieve_9.conf"));
    assert!(raw.windows(3).any(|w| w == [0x96, 0x1F, 0x1F]));
    assert_eq!(p.parts().len(), 1);

    // From in KS_C_5601-1987 (MIBenum 36), Korean UTF-8 Subject.
    let p = d("m-retrieve_10.conf");
    let from = p.from().unwrap().address().unwrap();
    assert_eq!(from.charset(), Some(ferry_wsp::Charset::KS_C_5601_1987));
    assert_eq!(from.text(), "01000000000/TYPE=PLMN");
    assert!(subject(&p).unwrap().starts_with("MMS 수신"));
    assert_eq!(p.retrieve_status(), Some(RetrieveStatus::OK));
    assert_eq!(p.retrieve_text().unwrap().text(), "Ok");

    let p = d("m-send_1.req");
    assert_eq!(p.message_type(), Some(MessageType::SEND_REQ));
    assert_eq!(p.version(), Some(Version::V1_2));
    assert_eq!(subject(&p).as_deref(), Some("Fw: another test"));
    let types: Vec<_> = p
        .parts()
        .iter()
        .map(|x| x.content_type.media.to_string())
        .collect();
    assert_eq!(types, ["application/smil", "image/jpeg"]);
    assert_eq!(p.parts()[1].body.len(), 114_857);
    p.validate().unwrap();

    let p = d("m-send_2.req");
    assert_eq!(p.parts().len(), 2);
    assert_eq!(p.parts()[1].body.len(), 263_998);

    let p = d("m-send_3.req");
    assert_eq!(subject(&p).as_deref(), Some("Fwd: "));
    assert_eq!(p.expiry(), Some(TimeValue::Relative(604_800)));
    let types: Vec<_> = p
        .parts()
        .iter()
        .map(|x| x.content_type.media.to_string())
        .collect();
    assert_eq!(types, ["application/smil", "image/jpeg", "text/plain"]);

    let p = d("m-send_1.conf");
    assert_eq!(p.message_type(), Some(MessageType::SEND_CONF));
    assert_eq!(p.response_status(), Some(ResponseStatus::OK));
    assert_eq!(p.message_id(), Some("BIR5LJHVQTGK1"));
    p.validate().unwrap();

    let p = d("m-send_2.conf");
    assert_eq!(p.response_status(), Some(ResponseStatus(0x83)));
    assert!(p.response_status().unwrap().is_permanent());
    let t = p.response_text().unwrap();
    assert_eq!(t.charset, Some(ferry_wsp::Charset::UTF_8));
    assert!(
        t.text().starts_with("Адреса всех получателей"),
        "{}",
        t.text()
    );

    let p = d("m-send_3.conf");
    assert_eq!(p.response_status(), Some(ResponseStatus::OK));
    assert!(
        p.response_text()
            .unwrap()
            .text()
            .chars()
            .any(|c| ('А'..='я').contains(&c))
    );
    assert!(p.message_id().unwrap().ends_with("@mms.beeline.ru"));
}

/// SOURCES.md §1c.
#[test]
fn sailfish_reports_and_send_confirmations() {
    for (case, status) in [
        ("DeliveryOK", Status::RETRIEVED),
        ("DeliveryRejected", Status::REJECTED),
    ] {
        let p = pdu(&format!("{SF}/test_delivery_ind/{case}/m-delivery.ind"));
        assert_eq!(p.message_type(), Some(MessageType::DELIVERY_IND));
        assert_eq!(p.message_id(), Some("BH24CBJJA40W1"), "{case}");
        assert_eq!(p.status(), Some(status), "{case}");
    }
    // "Unexpected": the id is unknown to the origin client's store; the PDU
    // itself is an ordinary report.
    let p = pdu(&format!(
        "{SF}/test_delivery_ind/DeliveryUnexpected/m-delivery.ind"
    ));
    assert_eq!(p.message_type(), Some(MessageType::DELIVERY_IND));
    p.validate().unwrap();

    for (case, status) in [
        ("ReadOK", ReadStatus::READ),
        ("ReadDeleted", ReadStatus::DELETED_WITHOUT_BEING_READ),
    ] {
        let p = pdu(&format!("{SF}/test_read_ind/{case}/m-read-orig.ind"));
        assert_eq!(p.message_type(), Some(MessageType::READ_ORIG_IND));
        assert_eq!(p.message_id(), Some("BH24CBJJA40W1"), "{case}");
        assert_eq!(p.read_status(), Some(status), "{case}");
    }
    assert_eq!(ReadStatus::DELETED_WITHOUT_BEING_READ.0, 0x81);
    let p = pdu(&format!(
        "{SF}/test_read_ind/ReadUnexpected/m-read-orig.ind"
    ));
    assert_eq!(p.message_type(), Some(MessageType::READ_ORIG_IND));
    p.validate().unwrap();

    let send = |case: &str| pdu(&format!("{SF}/test_send/{case}/m-send.conf"));
    for case in ["Accept", "AcceptNoExt"] {
        let p = send(case);
        assert_eq!(p.message_type(), Some(MessageType::SEND_CONF), "{case}");
        assert_eq!(p.response_status(), Some(ResponseStatus::OK), "{case}");
        assert_eq!(p.message_id(), Some("TestMessageId"), "{case}");
    }
    let p = send("ServiceDenied");
    assert_eq!(
        p.response_status(),
        Some(ResponseStatus::PERMANENT_SERVICE_DENIED)
    );
    assert_eq!(p.response_status().unwrap().0, 0xE1);
    assert_eq!(p.response_text().unwrap().text(), "Unable to send");
    let p = send("Failure");
    assert_eq!(p.response_status(), Some(ResponseStatus::PERMANENT_FAILURE));
    assert!(p.response_status().unwrap().is_permanent());
    let p = send("UnexpectedResp");
    assert_eq!(p.message_type(), Some(MessageType::RETRIEVE_CONF));
    let p = send("EmptyMessageID");
    assert_eq!(p.response_status(), Some(ResponseStatus::OK));
    assert_eq!(p.message_id(), Some(""));
}

/// SOURCES.md §1b: the retrieve cases, parts byte for byte against `parts/`.
#[test]
fn sailfish_retrieve_cases() {
    let base = format!("{SF}/test_retrieve");
    // (case, [(content type as the origin test prints it, Content-ID, parts/ file)])
    type Expected<'a> = &'a [(&'a str, Option<&'a str>, &'a str)];
    let cases: &[(&str, Expected<'_>)] = &[
        (
            "Success1",
            &[
                ("application/smil;charset=utf-8", Some("<0>"), "0.smil"),
                (
                    "text/plain;charset=utf-8",
                    Some("<text_0011.txt>"),
                    "text_0011.txt",
                ),
                ("image/jpeg", Some("<131200181.jpg>"), "131200181.jpg"),
                (
                    "text/plain;charset=utf-8",
                    Some("<text_0021.txt>"),
                    "text_0021.txt",
                ),
                ("image/jpeg", Some("<140100041.jpg>"), "140100041.jpg"),
            ],
        ),
        // The JPEG and text parts carry no Content-ID (the origin client
        // derives one); their Content-Location names the file.
        (
            "Success2",
            &[
                ("image/jpeg", None, "2014_03_.jpg"),
                ("text/plain;charset=utf-8", None, "Test_mms.txt"),
                (
                    "application/smil;charset=utf-8",
                    Some("<332047400>"),
                    "332047400",
                ),
            ],
        ),
        (
            "Success3",
            &[
                ("application/smil;charset=utf-8", Some("<0>"), "0"),
                ("image/jpeg", Some("<1>"), "1.jpg"),
                ("text/plain;charset=utf-8", Some("<2>"), "text_001.txt"),
            ],
        ),
        (
            "QuotedPrintable",
            &[
                ("application/smil;charset=utf-8", Some("<smil>"), "smil"),
                ("image/jpeg", Some("<1.jpg>"), "1.jpg"),
                ("text/plain;charset=utf-8", Some("<2.txt>"), "2.txt"),
            ],
        ),
        (
            "Base64",
            &[
                ("application/smil;charset=utf-8", Some("<smil>"), "smil"),
                ("image/jpeg", Some("<1.jpg>"), "1.jpg"),
                ("text/plain;charset=utf-8", Some("<2.txt>"), "2.txt"),
            ],
        ),
        (
            "InvalidSubject",
            &[
                (
                    "application/smil;charset=us-ascii",
                    Some("<start>"),
                    "smil.smi",
                ),
                ("image/jpeg", Some("<1>"), "1"),
            ],
        ),
    ];
    for (case, expected) in cases {
        let p = pdu(&format!("{base}/{case}/m-retrieve.conf"));
        assert_eq!(p.message_type(), Some(MessageType::RETRIEVE_CONF), "{case}");
        assert_eq!(p.parts().len(), expected.len(), "{case}");
        for (i, (part, (ct, id, file))) in p.parts().iter().zip(expected.iter()).enumerate() {
            let mut got = part.content_type.media.to_string();
            if let Some(cs) = part.content_type.charset() {
                got = format!("{got};charset={cs}");
            }
            assert_eq!(&got, ct, "{case} part {i}");
            assert_eq!(part.content_id(), *id, "{case} part {i}");
            let want = load(&format!("{base}/{case}/parts/{file}"));
            let body = part.decoded_body();
            assert!(
                &*body == want,
                "{case} part {i} ({file}): {} octets, expected {}",
                body.len(),
                want.len()
            );
            if id.is_none() {
                assert_eq!(part.content_location(), Some(*file), "{case} part {i}");
            }
        }
        // The client answers with an M-Acknowledge.ind for the same transaction.
        let ntf = pdu(&format!("{base}/{case}/m-notification.ind"));
        assert_eq!(
            ntf.message_type(),
            Some(MessageType::NOTIFICATION_IND),
            "{case}"
        );
        if *case != "InvalidSubject" {
            let ack = pdu(&format!("{base}/{case}/m-acknowledge.ind"));
            assert_eq!(
                ack.message_type(),
                Some(MessageType::ACKNOWLEDGE_IND),
                "{case}"
            );
            assert_eq!(ack.transaction_id(), ntf.transaction_id(), "{case}");
        }
    }

    // The transfer-encoded text parts travel encoded (`2.txt.orig`).
    for case in ["QuotedPrintable", "Base64"] {
        let p = pdu(&format!("{base}/{case}/m-retrieve.conf"));
        let part = &p.parts()[2];
        assert_eq!(
            &*part.body,
            load(&format!("{base}/{case}/parts/2.txt.orig")),
            "{case}"
        );
        assert_eq!(
            part.transfer_encoding()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some(
                &case
                    .to_ascii_lowercase()
                    .replace("quotedprintable", "quoted-printable")[..]
            )
        );
    }

    // Success1: Cyrillic UTF-8 Subject, size, TID.
    let n = pdu(&format!("{base}/Success1/m-notification.ind"));
    assert_eq!(n.version(), Some(Version::V1_1));
    assert_eq!(subject(&n).as_deref(), Some("Питер"));
    assert_eq!(n.message_size(), Some(113_018));
    assert_eq!(n.transaction_id(), Some("BI3R4V2ISLR41@xma.724.com"));

    // Success2: ends with an empty Bcc and a stray NUL: the Bcc is kept
    // (empty) and the NUL is padding, not an error.
    let raw = load(&format!("{base}/Success2/m-notification.ind"));
    assert_eq!(&raw[raw.len() - 3..], [0x81, 0x00, 0x00]);
    let n = Pdu::decode(raw).unwrap();
    let last = n.headers.last().unwrap();
    assert!(
        matches!(last, Header::Bcc(a) if a.text().is_empty()),
        "{last:?}"
    );
    let r = pdu(&format!("{base}/Success2/m-retrieve.conf"));
    assert_eq!(r.retrieve_status(), Some(RetrieveStatus::OK));
    assert_eq!(r.retrieve_text().unwrap().text(), "1000:OK");

    // Success3: version 1.2 and the Content-Location with query.
    let n = pdu(&format!("{base}/Success3/m-notification.ind"));
    assert_eq!(n.version(), Some(Version::V1_2));
    assert!(
        n.content_location()
            .unwrap()
            .starts_with("http://213.161.44.115/mts/?id=")
    );

    // QuotedPrintable comes from Elisa.
    let r = pdu(&format!("{base}/QuotedPrintable/m-retrieve.conf"));
    assert!(
        r.message_id().is_some_and(|m| m.contains("@mms.elisa.fi")) || r.transaction_id().is_some()
    );

    // InvalidSubject: the subject is kept as the literal text; the message decodes.
    let r = pdu(&format!("{base}/InvalidSubject/m-retrieve.conf"));
    assert_eq!(subject(&r).as_deref(), Some("=?utf-8?B??="));

    // Expired1: absolute expiry 0 (1970-01-01).
    let n = pdu(&format!("{base}/Expired1/m-notification.ind"));
    assert_eq!(n.expiry(), Some(TimeValue::Absolute(0)));
    // SoonExpired: relative expiry of one second.
    let n = pdu(&format!("{base}/SoonExpired/m-notification.ind"));
    assert_eq!(n.expiry(), Some(TimeValue::Relative(1)));

    // MessageNotFound: the same bytes as m-retrieve_5.conf.
    assert_eq!(
        load(&format!("{base}/MessageNotFound/m-retrieve.conf")),
        load(&format!("{SF}/test_mms_codec/m-retrieve_5.conf"))
    );

    // UnsupportedPush: an M-NotifyResp.ind (decodes; it is just not a notification).
    let p = pdu(&format!("{base}/UnsupportedPush/unsupported"));
    assert_eq!(p.message_type(), Some(MessageType::NOTIFYRESP_IND));

    // The copies are byte-identical.
    assert_eq!(
        load(&format!("{SF}/test_retrieve_no_proxy/m-retrieve.conf")),
        load(&format!("{base}/Success1/m-retrieve.conf"))
    );
}

fn param_text(p: &ferry_wsp::Part<'_>, name: &str) -> Option<String> {
    p.content_type.param_text(name).map(|c| c.into_owned())
}

/// SOURCES.md §3: what python-messaging's tests assert.
#[test]
fn python_messaging_files() {
    let d = |f: &str| pdu(&format!("{PM}/{f}"));
    let types = |p: &Pdu<'_>| {
        p.parts()
            .iter()
            .map(|x| x.content_type.media.to_string())
            .collect::<Vec<_>>()
    };

    let p = d("iPhone.mms");
    assert_eq!(p.message_type(), Some(MessageType::SEND_REQ));
    assert_eq!(p.version(), Some(Version::V1_2));
    assert_eq!(p.from(), Some(&FromValue::Insert));
    assert_eq!(p.transaction_id(), Some("1262957356-3"));
    assert_eq!(to_texts(&p), ["1337/TYPE=PLMN"]);
    let ct = p.content_type().unwrap();
    assert!(ct.media.is("application/vnd.wap.multipart.related"));
    assert_eq!(ct.param_text("start").as_deref(), Some("0.smil"));
    assert_eq!(ct.param_text("type").as_deref(), Some("application/smil"));
    assert_eq!(types(&p), ["application/smil", "image/jpeg"]);
    assert_eq!(p.parts()[0].body.len(), 300);
    assert!(p.parts()[0].body.starts_with(b"<smil"));
    assert_eq!(
        param_text(&p.parts()[1], "name").as_deref(),
        Some("IMG_6807.jpg")
    );

    let p = d("SIMPLE.MMS");
    assert_eq!(p.message_type(), Some(MessageType::RETRIEVE_CONF));
    assert_eq!(p.version(), Some(Version::V1_0));
    // python-messaging reports TID `1234`: its default for a missing field
    // (SOURCES.md, "Cross-check"); the file has none.
    assert_eq!(p.transaction_id(), None);
    assert_eq!(
        p.date().map(ferry_wsp::time::format_rfc3339).as_deref(),
        Some("2002-12-20T21:26:56Z")
    );
    assert_eq!(subject(&p).as_deref(), Some("Simple message"));
    assert!(p.content_type().unwrap().params.is_empty());
    assert_eq!(types(&p), ["text/plain"]);
    assert_eq!(
        &*p.parts()[0].body,
        b"This is a simple MMS message with a single text body part."
    );

    let p = d("BTMMS.MMS");
    assert_eq!(
        p.transaction_id(),
        None,
        "python-messaging's 1234 is its default"
    );
    assert_eq!(
        p.date().map(ferry_wsp::time::format_rfc3339).as_deref(),
        Some("2003-01-21T01:57:04Z")
    );
    assert_eq!(subject(&p).as_deref(), Some("BT Ignite MMS"));
    assert_eq!(
        p.content_type().unwrap().param_text("start").as_deref(),
        Some("<btmms.smil>")
    );
    assert_eq!(
        types(&p),
        ["application/smil", "image/gif", "audio/amr", "text/plain"]
    );
    assert_eq!(&*p.parts()[3].body, b"BT Ignite\r\n\r\nMMS Services");

    let p = d("TOMSLOT.MMS");
    assert_eq!(from_text(&p).as_deref(), Some("allan@tomslot.com"));
    assert_eq!(
        p.from().unwrap().address().unwrap().kind(),
        AddressKind::Email
    );
    assert_eq!(
        p.transaction_id(),
        None,
        "python-messaging's 1234 is its default"
    );
    assert_eq!(
        p.date().map(ferry_wsp::time::format_rfc3339).as_deref(),
        Some("2003-02-16T03:48:33Z")
    );
    assert_eq!(subject(&p).as_deref(), Some("Tom Slot Band"));
    assert_eq!(
        p.content_type().unwrap().param_text("start").as_deref(),
        Some("<tomslot.smil>")
    );
    assert_eq!(
        types(&p),
        [
            "application/smil",
            "image/jpeg",
            "image/jpeg",
            "image/jpeg",
            "image/jpeg",
            "image/jpeg",
            "text/plain",
            "audio/amr"
        ]
    );
    assert_eq!(&*p.parts()[6].body, b"Presented by NowMMS\r\n");

    let p = d("images_are_cut_off_debug.mms");
    assert_eq!(p.message_type(), Some(MessageType::SEND_REQ));
    assert_eq!(p.from(), Some(&FromValue::Insert));
    assert_eq!(p.transaction_id(), Some("2112410527"));
    assert_eq!(to_texts(&p), ["tdpt@ajajg.cdm"]);
    assert_eq!(p.to().next().unwrap().kind(), AddressKind::Email);
    assert_eq!(p.read_report(), Some(YesNo::NO));
    assert_eq!(p.delivery_report(), Some(YesNo::NO));
    assert_eq!(subject(&p).as_deref(), Some("Picture3"));
    assert_eq!(
        p.content_type().unwrap().param_text("start").as_deref(),
        Some("<SMIL.TXT>")
    );
    assert_eq!(types(&p), ["image/jpeg", "application/smil"]);
    assert_eq!(
        param_text(&p.parts()[0], "name").as_deref(),
        Some("Picture3.jpg")
    );

    let p = d("openwave.mms");
    assert_eq!(from_text(&p).as_deref(), Some("+16505550000/TYPE=PLMN"));
    assert_eq!(p.message_class(), Some(&MessageClass::PERSONAL));
    assert_eq!(p.transaction_id(), Some("1067263672"));
    assert_eq!(p.priority(), Some(ferry_mms::Priority::NORMAL));
    assert_eq!(to_texts(&p), ["112/TYPE=PLMN"]);
    assert_eq!(p.delivery_report(), Some(YesNo::NO));
    assert_eq!(subject(&p).as_deref(), Some("rubrik"));
    assert_eq!(
        p.content_type().unwrap().param_text("start").as_deref(),
        Some("<smil_0>")
    );
    assert_eq!(types(&p), ["application/smil", "text/plain"]);
    assert_eq!(&*p.parts()[1].body, b"rubrik");

    let p = d("SonyEricssonT310-R201.mms");
    assert_eq!(
        p.headers.iter().find_map(|h| match h {
            Header::SenderVisibility(v) => Some(*v),
            _ => None,
        }),
        Some(ferry_mms::SenderVisibility::SHOW)
    );
    assert_eq!(p.from(), Some(&FromValue::Insert));
    assert_eq!(p.read_report(), Some(YesNo::NO));
    assert_eq!(p.message_class(), Some(&MessageClass::PERSONAL));
    assert_eq!(p.transaction_id(), Some("1-8db"));
    assert_eq!(p.priority(), Some(ferry_mms::Priority::NORMAL));
    assert_eq!(to_texts(&p), ["55225/TYPE=PLMN"]);
    assert_eq!(
        p.date().map(ferry_wsp::time::format_rfc3339).as_deref(),
        Some("2004-03-18T07:30:34Z")
    );
    assert_eq!(
        p.content_type().unwrap().param_text("start").as_deref(),
        Some("<AAAA>")
    );
    assert_eq!(
        types(&p),
        ["image/gif", "text/plain", "audio/midi", "application/smil"]
    );
    assert_eq!(
        param_text(&p.parts()[0], "name").as_deref(),
        Some("Tony.gif")
    );
    assert_eq!(&*p.parts()[1].body, b"Hej hopp");
    assert_eq!(
        param_text(&p.parts()[2], "name").as_deref(),
        Some("OldhPhone.mid")
    );

    let p = d("gallery2test.mms");
    assert_eq!(from_text(&p).as_deref(), Some("+16505550000/TYPE=PLMN"));
    assert_eq!(p.transaction_id(), Some("1118775337"));
    assert_eq!(to_texts(&p), ["Jg"]);
    assert_eq!(subject(&p).as_deref(), Some("Jgj"));
    assert_eq!(types(&p), ["application/smil", "text/plain", "image/jpeg"]);
    assert_eq!(&*p.parts()[1].body, b"Jgj");
    // The untyped, lower-case "name" parameter.
    assert_eq!(
        param_text(&p.parts()[2], "name").as_deref(),
        Some("gnu-head.jpg")
    );

    let p = d("projekt_exempel.mms");
    assert_eq!(p.transaction_id(), Some("4-fc60"));
    assert_eq!(to_texts(&p), ["12345/TYPE=PLMN"]);
    assert_eq!(
        p.date().map(ferry_wsp::time::format_rfc3339).as_deref(),
        Some("2004-05-23T15:13:40Z")
    );
    assert_eq!(subject(&p).as_deref(), Some("Hej"));
    assert_eq!(types(&p), ["text/plain", "image/gif", "application/smil"]);
    assert_eq!(&*p.parts()[0].body, "Jonatan är en GNU".as_bytes());
    assert_eq!(
        p.parts()[2].content_type.charset(),
        Some(ferry_wsp::Charset::UTF_8)
    );
    assert_eq!(
        param_text(&p.parts()[2], "name").as_deref(),
        Some("mms.smil")
    );

    let p = d("m.mms");
    assert_eq!(from_text(&p).as_deref(), Some("goldpost@hotmail.com"));
    assert_eq!(p.transaction_id(), Some("0000000001"));
    assert_eq!(
        p.date().map(ferry_wsp::time::format_rfc3339).as_deref(),
        Some("2002-08-09T13:08:02Z")
    );
    assert_eq!(subject(&p).as_deref(), Some("GOLD"));
    assert_eq!(
        p.content_type().unwrap().param_text("start").as_deref(),
        Some("<A0>")
    );
    assert_eq!(p.parts().len(), 9);
    for part in p.parts() {
        if part.content_type.media.is("text/plain") {
            assert_eq!(
                part.content_type.charset(),
                Some(ferry_wsp::Charset::US_ASCII)
            );
        }
    }
    let bodies: Vec<&[u8]> = p.parts().iter().map(|x| &*x.body).collect();
    assert_eq!(bodies[0], b"Audio");
    assert_eq!(bodies[2], b"Text +");
    assert_eq!(bodies[3], b"tagtag.com/gold\r\n");
    assert!(p.parts()[4].content_type.media.is("audio/amr"));
    assert_eq!(bodies[5].len(), 105);
    assert_eq!(bodies[6], b"KLONE\r\nKLONE\r\n");
    assert!(bodies[7].starts_with(b"pr\xe4sentiert"));
    // Labelled us-ascii, read as a user would: the Latin-1 octet is "ä".
    assert!(
        ferry_wsp::Charset::US_ASCII
            .decode(bodies[7])
            .unwrap()
            .starts_with("präsentiert")
    );
    assert_eq!(bodies[8], b"GOLD");

    let p = d("27d0a048cd79555de05283a22372b0eb.mms");
    assert_eq!(p.transaction_id(), Some("3-31cb"));
    assert_eq!(to_texts(&p), ["123/TYPE=PLMN"]);
    assert_eq!(
        p.date().map(ferry_wsp::time::format_rfc3339).as_deref(),
        Some("2004-05-23T14:14:58Z")
    );
    assert_eq!(subject(&p).as_deref(), Some("Angående art-tillhörighet"));
    assert_eq!(
        types(&p),
        ["image/vnd.wap.wbmp", "text/plain", "application/smil"]
    );
    assert_eq!(
        param_text(&p.parts()[0], "name").as_deref(),
        Some("Rain.wbmp")
    );
    assert_eq!(&*p.parts()[1].body, "Jonatan är en gnu.".as_bytes());
    assert_eq!(
        p.parts()[1].content_type.charset(),
        Some(ferry_wsp::Charset::UTF_8)
    );
    assert_eq!(
        param_text(&p.parts()[1], "name").as_deref(),
        Some("mms.txt")
    );
    assert_eq!(
        param_text(&p.parts()[2], "name").as_deref(),
        Some("mms.smil")
    );

    let p = d("SEC-SGHS300M.mms");
    assert_eq!(p.transaction_id(), Some("31887"));
    assert_eq!(to_texts(&p), ["0738345664/TYPE=PLMN"]);
    assert_eq!(subject(&p).as_deref(), Some("IL"));
    assert!(
        p.content_type()
            .unwrap()
            .media
            .is("application/vnd.wap.multipart.mixed")
    );
    assert_eq!(types(&p), ["text/plain"]);
    assert_eq!(
        p.parts()[0].content_type.charset(),
        Some(ferry_wsp::Charset::UTF_8)
    );
    assert_eq!(&*p.parts()[0].body, b"HV");

    // Not asserted by the origin; observed values.
    let p = d("NOWMMS.MMS");
    assert_eq!(from_text(&p).as_deref(), Some("NowMMS <nowsms@now.co.uk>"));
    assert_eq!(subject(&p).as_deref(), Some("NowMMS Test Message"));
    assert_eq!(p.parts().len(), 5);
}

/// The WSP push transcribed from python-messaging's test: an MMS
/// notification inside a Push PDU.
#[test]
fn wsp_push_file() {
    let raw = load("python-messaging/extracted/test_wap.TestSmsWapPush.data.wsp-push.bin");
    assert_eq!(raw.len(), 182);
    assert_eq!(raw[1], 0x06);
    let push = Push::decode(raw).unwrap();
    assert_eq!(push.pdu_type, 0x06);
    assert!(push.is_mms());
    assert!(
        push.content_type
            .media
            .is("application/vnd.wap.mms-message")
    );
    assert!(push.application_id().unwrap().is_mms());
    let p = Pdu::decode(push.body).unwrap();
    assert_eq!(p.message_type(), Some(MessageType::NOTIFICATION_IND));
    assert_eq!(
        p.transaction_id(),
        Some("NOK5CiKcoTMYSG4MBSwAAsKv14FUHAAAAAAAA")
    );
    assert_eq!(p.version(), Some(Version::V1_0));
    assert_eq!(from_text(&p).as_deref(), Some("+447785342749/TYPE=PLMN"));
    assert_eq!(p.message_class(), Some(&MessageClass::PERSONAL));
    assert_eq!(p.message_size(), Some(29696));
    assert_eq!(p.expiry(), Some(TimeValue::Relative(72000)));
    assert_eq!(
        p.content_location(),
        Some("http://promms/servlets/NOK5CiKcoTMYSG4MBSwAAsKv14FUHAAAAAAAA")
    );
    p.validate().unwrap();
    // Our encoder writes the same notification bytes.
    assert_eq!(p.to_bytes(), push.body);
}

/// python-messaging's `test_encoding_m_sendnotifyresp_ind` expects its
/// encoding of {type m-notifyresp-ind, TID, MMS version 1.0, Status
/// Retrieved} to start with these 50 bytes. Its encoder then appends a
/// Content-Type and a default body (SOURCES.md, "python-messaging notes"),
/// which an M-NotifyResp.ind does not have, so our encoding is shorter: this
/// asserts that ALL of our output equals the first `our_len` bytes of the
/// expected prefix, and that what follows in the prefix is exactly that
/// Content-Type header (0x84) python-messaging adds.
#[test]
fn notifyresp_encoding_matches_python_messaging_prefix() {
    let expected = load(
        "python-messaging/extracted/test_mms.test_encoding_m_sendnotifyresp_ind.expected-first50.bin",
    );
    assert_eq!(expected.len(), 50);
    let ours = Pdu::notifyresp_ind("NOK5AIdhfTMYSG4JeIgAAsHtp72AGAAAAAAAA", Status::RETRIEVED)
        .with_version(Version::V1_0)
        .to_bytes();
    assert!(
        ours.len() <= expected.len(),
        "our encoding is {} bytes",
        ours.len()
    );
    assert_eq!(&ours[..], &expected[..ours.len()]);
    assert_eq!(ours.len(), 45);
    assert_eq!(
        expected[ours.len()],
        0x84,
        "python-messaging's extra Content-Type header"
    );
    // The file as a whole is a truncated PDU: decoding it fails clearly.
    let e = Pdu::decode(expected).unwrap_err();
    assert!(e.offset >= ours.len(), "{e}");
}

#[test]
fn multipart_errors_point_into_the_whole_buffer() {
    // Cut Success1's retrieve.conf inside the second part's data: the error
    // names a part field and an offset inside the original buffer.
    let raw = load("sailfishos-mms-engine/test_retrieve/Success1/m-retrieve.conf");
    let cut = &raw[..raw.len() / 2];
    let e = Pdu::decode(cut).unwrap_err();
    assert!(e.field.starts_with("part"), "{e}");
    assert!(e.offset > 100 && e.offset < cut.len(), "{e}");
}

#[test]
fn parameter_forms_survive() {
    // iPhone sends `start` without angle brackets; projekt_exempel labels a
    // SMIL part utf-8 via the typed charset parameter.
    let p = pdu(&format!("{PM}/projekt_exempel.mms"));
    assert!(matches!(
        p.parts()[2].content_type.param("charset"),
        Some(ParamValue::Charset(_))
    ));
}
