//! MM3: MMS to e-mail and e-mail to MMS, with charsets converted.

use ferry_mm4::mm3::{email_from_mms, mms_from_email};
use ferry_mms::{Address, Header, Pdu};
use ferry_wsp::multipart::{content_id, content_location};
use ferry_wsp::{Charset, ContentType, EncodedString, ParamValue, Parameter, Part};
use mail_parser::{MessageParser, MimeHeaders};

#[test]
fn mms_becomes_an_email_with_attachments() {
    let img: Vec<u8> = (0..=255u8).rev().cycle().take(5000).collect();
    let smil =
        b"<smil><body><par><img src=\"photo.jpg\"/><text src=\"t.txt\"/></par></body></smil>"
            .to_vec();
    let mut s = Part::new(ContentType::new("application/smil"), smil.clone());
    s.headers.push(content_id("<smil>"));
    s.headers.push(content_location("pres.smil"));
    let mut t = Part::new(
        ContentType::new("text/plain").with(Parameter::new(
            "charset",
            ParamValue::Charset(Charset::ISO_8859_1),
        )),
        b"Sch\xf6ne Gr\xfc\xdfe".to_vec(),
    );
    t.headers.push(content_location("t.txt"));
    let mut i = Part::new(
        ContentType::new("image/jpeg").with(Parameter::text("name", "photo.jpg")),
        img.clone(),
    );
    i.headers.push(content_id("<photo>"));
    let ct = ContentType::new("application/vnd.wap.multipart.related")
        .with(Parameter::text("type", "application/smil"));
    let pdu = Pdu::send_req(
        "t1",
        Some(Address::plmn("+15550001")),
        vec![Address::email("bob@example.org")],
        ct,
        vec![s, t, i],
    )
    .with(Header::Subject(EncodedString::new("Ferien in Köln")))
    .with(Header::Date(1_700_000_000))
    .with(Header::MessageId("msg-1".into()));
    let mail = email_from_mms(&pdu, "+15550001@mms.a.example", &["bob@example.org"]).unwrap();
    let m = MessageParser::default().parse(&mail).unwrap();
    assert_eq!(m.subject(), Some("Ferien in Köln"));
    assert_eq!(
        m.from().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("+15550001@mms.a.example")
    );
    assert_eq!(
        m.body_text(0).as_deref().map(str::trim_end),
        Some("Schöne Grüße")
    );
    let atts: Vec<_> = m.attachments().collect();
    assert_eq!(atts.len(), 2, "SMIL and image");
    assert_eq!(atts[0].attachment_name(), Some("pres.smil"));
    assert_eq!(atts[0].contents(), &smil[..]);
    assert_eq!(atts[1].attachment_name(), Some("photo.jpg"));
    assert_eq!(atts[1].content_id(), Some("photo"));
    assert_eq!(atts[1].contents(), &img[..]);
    assert!(email_from_mms(&pdu, "a@b", &[]).is_err());
}

#[test]
fn text_only_mms_is_a_plain_email() {
    let t = Part::new(
        ContentType::new("text/plain").with(Parameter::new(
            "charset",
            ParamValue::Charset(Charset::UTF_8),
        )),
        "héllo".as_bytes(),
    );
    let pdu = Pdu::send_req(
        "t1",
        Some(Address::plmn("+15550001")),
        vec![],
        ContentType::new("application/vnd.wap.multipart.mixed"),
        vec![t],
    );
    let mail = email_from_mms(&pdu, "+15550001@mms.a.example", &["x@y.example"]).unwrap();
    let m = MessageParser::default().parse(&mail).unwrap();
    assert_eq!(m.attachment_count(), 0);
    assert_eq!(m.body_text(0).as_deref().map(str::trim_end), Some("héllo"));
}

const LATIN1_MAIL: &[u8] = b"From: =?ISO-8859-1?Q?J=FCrgen?= <juergen@example.de>\r\n\
To: +15550001@mms.a.example\r\n\
Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <abc@example.de>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"alt\"\r\n\
\r\n\
--alt\r\n\
Content-Type: text/plain; charset=ISO-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Sch=F6ne Gr=FC=DFe\r\n\
--alt\r\n\
Content-Type: text/html; charset=ISO-8859-1\r\n\
\r\n\
<p>Sch\xf6ne Gr\xfc\xdfe</p>\r\n\
--alt--\r\n\
--outer\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
0J/RgNC40LLQtdGCIOKCrA==\r\n\
--outer\r\n\
Content-Type: image/png\r\n\
Content-Disposition: attachment; filename=\"dot.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgo=\r\n\
--outer\r\n\
Content-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"x.pdf\"\r\n\
\r\n\
%PDF\r\n\
--outer--\r\n";

#[test]
fn email_becomes_an_mms_in_utf8() {
    let e = mms_from_email(LATIN1_MAIL).unwrap();
    assert_eq!(e.from.as_deref(), Some("juergen@example.de"));
    assert_eq!(e.to, ["+15550001@mms.a.example"]);
    assert_eq!(e.subject.as_deref(), Some("Grüße aus München"));
    assert_eq!(e.date, Some(1_700_000_000));
    assert_eq!(e.message_id.as_deref(), Some("abc@example.de"));
    assert_eq!(e.parts.len(), 3, "{:?}", e.parts);
    assert!(e.parts[0].content_type.media.is("text/plain"));
    assert_eq!(e.parts[0].content_type.charset(), Some(Charset::UTF_8));
    assert_eq!(
        std::str::from_utf8(&e.parts[0].body).unwrap().trim_end(),
        "Schöne Grüße"
    );
    assert_eq!(std::str::from_utf8(&e.parts[1].body).unwrap(), "Привет €");
    assert!(e.parts[2].content_type.media.is("image/png"));
    assert_eq!(&*e.parts[2].body, b"\x89PNG\r\n\x1a\n");
    assert_eq!(e.parts[2].content_location(), Some("dot.png"));
    assert_eq!(e.parts[0].content_location(), Some("text_1.txt"));
    assert!(e.parts.iter().all(|p| p.content_id().is_some()));
    assert_eq!(e.dropped, ["application/pdf"]);
    assert!(
        e.content_type
            .media
            .is("application/vnd.wap.multipart.mixed")
    );

    // Into an M-Retrieve.conf that decodes.
    let pdu = e.to_retrieve_conf(Some("tx"), Some("mid"), &[Address::plmn("+15550001")]);
    let bytes = pdu.to_bytes();
    let back = Pdu::decode(&bytes).unwrap();
    assert_eq!(back.parts().len(), 3);
    assert_eq!(
        back.subject().map(|s| s.text().into_owned()).as_deref(),
        Some("Grüße aus München")
    );
}

#[test]
fn plain_latin1_email() {
    let mail = b"From: a@b.example\r\nTo: +15550001@mms.a.example\r\nSubject: caf\xe9\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nd\xe9j\xe0 vu\r\n";
    let e = mms_from_email(mail).unwrap();
    assert_eq!(e.parts.len(), 1);
    assert_eq!(
        std::str::from_utf8(&e.parts[0].body).unwrap().trim_end(),
        "déjà vu"
    );
}
