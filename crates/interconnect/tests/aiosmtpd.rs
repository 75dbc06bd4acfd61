//! MM3 through a real SMTP server: an MMS turned into an e-mail, sent with
//! `SmtpClient` to aiosmtpd (from PyPI, installed by scripts/peers/install.sh),
//! received with its attachments byte for byte; and that e-mail turned back
//! into an MMS.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferry_interconnect::{ClientConfig, SmtpClient};
use ferry_mm4::mm3::{email_from_mms, mms_from_email};
use ferry_mms::{Address, Header, Pdu};
use ferry_wsp::multipart::{content_id, content_location};
use ferry_wsp::{ContentType, EncodedString, Parameter, Part};
use mail_parser::{MessageParser, MimeHeaders};

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("FERRY_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/peers-venv"
            ))
        });
    let py = venv.join("bin/python");
    assert!(
        py.exists() && venv.join("bin/aiosmtpd").exists(),
        "aiosmtpd is not installed in {}: run scripts/peers/install.sh (or set FERRY_PEERS_VENV)",
        venv.display()
    );
    py
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    ferry_service::ports::free_port().unwrap()
}

fn start_aiosmtpd(folder: &std::path::Path) -> (Server, u16) {
    let py = venv_python();
    let port = free_port();
    let child = Command::new(py)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd_save.Save",
        ])
        .arg(folder)
        .env("PYTHONPATH", concat!(env!("CARGO_MANIFEST_DIR"), "/tests"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting aiosmtpd");
    let server = Server(child);
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start listening on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, port)
}

fn sample_mms(img: &[u8], audio: &[u8]) -> Pdu<'static> {
    let smil = b"<smil><body><par><img src=\"cid:photo\"/><text src=\"cid:txt\"/><audio src=\"cid:snd\"/></par></body></smil>";
    let mut s = Part::new(ContentType::new("application/smil"), smil.to_vec());
    s.headers.push(content_id("<smil>"));
    s.headers.push(content_location("pres.smil"));
    let mut t = Part::new(
        ContentType::new("text/plain").with(Parameter::text("charset", "utf-8")),
        "Grüße vom Strand ☀".as_bytes().to_vec(),
    );
    t.headers.push(content_id("<txt>"));
    let mut i = Part::new(
        ContentType::new("image/jpeg").with(Parameter::text("name", "beach.jpg")),
        img.to_vec(),
    );
    i.headers.push(content_id("<photo>"));
    let mut a = Part::new(
        ContentType::new("audio/amr").with(Parameter::text("name", "wave.amr")),
        audio.to_vec(),
    );
    a.headers.push(content_id("<snd>"));
    let ct = ContentType::new("application/vnd.wap.multipart.related")
        .with(Parameter::text("type", "application/smil"))
        .with(Parameter::text("start", "<smil>"));
    Pdu::send_req(
        "t1",
        Some(Address::plmn("+4915112345678")),
        vec![Address::email("friend@example.org")],
        ct,
        vec![s, t, i, a],
    )
    .with(Header::Subject(EncodedString::new("Urlaub in Köln")))
    .with(Header::Date(1_700_000_000))
    .with(Header::MessageId("mid-42".into()))
    .into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mm3_email_through_aiosmtpd() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = start_aiosmtpd(dir.path());

    let img: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let audio: Vec<u8> = (0..=255u8)
        .chain([b'.', b'\r', b'\n', b'.', b'\r', b'\n'])
        .cycle()
        .take(7000)
        .collect();
    let pdu = sample_mms(&img, &audio);
    let mail = email_from_mms(
        &pdu,
        "+4915112345678@mms.a.example",
        &["friend@example.org"],
    )
    .unwrap();

    let client = SmtpClient::new(&ClientConfig::plain("127.0.0.1", port)).unwrap();
    client
        .send(
            "+4915112345678@mms.a.example",
            &["friend@example.org".to_owned()],
            &mail,
        )
        .await
        .expect("aiosmtpd accepts the e-mail");

    let eml = dir.path().join("msg1.eml");
    let t0 = Instant::now();
    while !eml.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "aiosmtpd wrote no message"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let env = std::fs::read_to_string(dir.path().join("msg1.env")).unwrap();
    assert_eq!(env, "+4915112345678@mms.a.example\nfriend@example.org\n");
    let received = std::fs::read(&eml).unwrap();

    let m = MessageParser::default()
        .parse(&received)
        .expect("a MIME message");
    assert_eq!(m.subject(), Some("Urlaub in Köln"));
    assert_eq!(
        m.body_text(0).as_deref().map(str::trim_end),
        Some("Grüße vom Strand ☀")
    );
    let atts: Vec<_> = m.attachments().collect();
    assert_eq!(atts.len(), 3, "SMIL, image, audio");
    assert_eq!(atts[0].attachment_name(), Some("pres.smil"));
    assert!(atts[0].contents().starts_with(b"<smil>"));
    assert_eq!(atts[1].attachment_name(), Some("beach.jpg"));
    assert_eq!(atts[1].contents(), &img[..], "image byte for byte");
    assert_eq!(atts[2].attachment_name(), Some("wave.amr"));
    assert_eq!(atts[2].contents(), &audio[..], "audio byte for byte");

    // And the received e-mail back into an MMS.
    let e = mms_from_email(&received).unwrap();
    assert_eq!(e.subject.as_deref(), Some("Urlaub in Köln"));
    assert_eq!(e.from.as_deref(), Some("+4915112345678@mms.a.example"));
    let media: Vec<String> = e
        .parts
        .iter()
        .map(|p| p.content_type.media.as_str().into_owned())
        .collect();
    assert_eq!(
        media,
        ["text/plain", "application/smil", "image/jpeg", "audio/amr"]
    );
    assert_eq!(
        std::str::from_utf8(&e.parts[0].body).unwrap().trim_end(),
        "Grüße vom Strand ☀"
    );
    assert_eq!(&*e.parts[2].body, &img[..]);
    assert_eq!(&*e.parts[3].body, &audio[..]);
    let conf = e.to_retrieve_conf(Some("x"), Some("m"), &[Address::plmn("+4915199999999")]);
    let bytes = conf.to_bytes();
    assert_eq!(Pdu::decode(&bytes).unwrap().parts().len(), 4);
}
