//! MM3 through real SMTP on 127.0.0.1: an MMS to an e-mail recipient
//! leaves through the configured relay (aiosmtpd from PyPI, installed by
//! scripts/peers/install.sh; this test fails when it is missing) with its
//! media as attachments byte for byte; an e-mail to `+number@` our mail
//! domain arriving at the SMTP listener becomes an MMS the subscriber
//! retrieves.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ferry_interconnect::{ClientConfig, SmtpClient};
use ferry_mms::{Header, MessageType, Pdu, ResponseStatus, Status, YesNo};
use ferry_mmsc::Config;
use ferry_mmsc::store::{OutboundKind, RecipientState, ReportState};
use mail_parser::{MessageParser, MimeHeaders};

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("FERRY_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/peers-venv")));
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
    let port = free_port();
    let child = Command::new(venv_python())
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
        .env(
            "PYTHONPATH",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../interconnect/tests"),
        )
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

fn mm3_sections(relay_port: u16, smtp_port: u16) -> String {
    format!(
        r#"
[routing]
country_code = "1"
own_ranges = ["+1555"]
local_domains = ["mail.a.test"]
[mm3]
domain = "mail.a.test"
relay = {{ host = "127.0.0.1", port = {relay_port}, tls = "none", timeout_secs = 5 }}
retry_secs = [1]
[smtp]
listen = "127.0.0.1:{smtp_port}"
hostname = "mail.a.test"
local_domains = ["mail.a.test"]
[[smtp.peers]]
name = "mail-relay"
addresses = ["127.0.0.1"]
"#
    )
}

async fn start(relay_port: u16) -> Harness {
    let extra = mm3_sections(relay_port, free_port());
    Harness::start(move |c| {
        let text = format!(
            "{}{extra}",
            config_text(
                c.listen.port(),
                c.store_dir.parent().unwrap(),
                "[gateway]\nkind = \"memory\""
            )
        );
        let parsed = Config::from_toml(&text).unwrap_or_else(|e| panic!("{e:#}"));
        c.routing = parsed.routing;
        c.mm3 = parsed.mm3;
        c.smtp = parsed.smtp;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_recipient_gets_a_mime_mail_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = start_aiosmtpd(dir.path());
    let h = start(port).await;

    let mut req = send_req("T-mail", &[], 30_000);
    req.headers
        .push(Header::To(ferry_mms::Address::email("friend@example.org")));
    req.headers.push(Header::DeliveryReport(YesNo::YES));
    let a = h.handset(ALICE).post(req.to_bytes()).await;
    let conf = a.pdu();
    assert_eq!(
        conf.response_status(),
        Some(ResponseStatus::OK),
        "{:?}",
        conf.response_text()
    );
    let id = conf.message_id().unwrap().to_owned();

    let eml = dir.path().join("msg1.eml");
    let t0 = Instant::now();
    while !eml.exists() {
        assert!(t0.elapsed() < Duration::from_secs(15), "aiosmtpd received nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let env = std::fs::read_to_string(dir.path().join("msg1.env")).unwrap();
    assert_eq!(env, format!("{ALICE}@mail.a.test\nfriend@example.org\n"));
    let received = std::fs::read(&eml).unwrap();
    let m = MessageParser::default().parse(&received).expect("a MIME message");
    assert_eq!(m.subject(), Some("Holiday"));
    assert_eq!(
        m.from().unwrap().first().unwrap().address(),
        Some(format!("{ALICE}@mail.a.test").as_str())
    );
    assert_eq!(m.body_text(0).as_deref().map(str::trim_end), Some("Hello Bob ✓"));
    let sent = parts(30_000);
    let atts: Vec<_> = m.attachments().collect();
    assert_eq!(atts.len(), 2, "SMIL and image");
    assert_eq!(atts[0].content_type().unwrap().ctype(), "application");
    assert_eq!(atts[0].contents(), &*sent[0].body, "SMIL kept byte for byte");
    assert_eq!(atts[1].attachment_name(), Some("pic.jpg"));
    assert_eq!(atts[1].contents(), &*sent[2].body, "image byte for byte");

    // The recipient is handed over; Alice's delivery report says Forwarded.
    let d = h.wait_push(ALICE, MessageType::DELIVERY_IND, |_| true).await;
    let d = Pdu::decode(&d.content).unwrap();
    assert_eq!(d.status(), Some(Status::FORWARDED));
    assert_eq!(d.message_id(), Some(id.as_str()));
    let rs = h.store.recipients(&id).await.unwrap();
    assert_eq!(rs[0].state, RecipientState::Forwarded);
    let jobs = h.store.outbound_for_message(&id).await.unwrap();
    assert_eq!((jobs[0].kind, jobs[0].state), (OutboundKind::Mm3, ReportState::Done));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_relay_down_is_retried_and_without_mm3_email_recipients_fail() {
    // Relay down: the job stays queued with the error, the recipient live.
    let h = start(free_port()).await;
    let mut req = send_req("T-mail", &[BOB], 100);
    req.headers
        .push(Header::To(ferry_mms::Address::email("friend@example.org")));
    let id = h
        .handset(ALICE)
        .post(req.to_bytes())
        .await
        .pdu()
        .message_id()
        .unwrap()
        .to_owned();
    let t0 = Instant::now();
    loop {
        let jobs = h.store.outbound_for_message(&id).await.unwrap();
        if jobs
            .first()
            .is_some_and(|j| j.attempts >= 2 && j.state == ReportState::Pending)
        {
            assert!(jobs[0].last_error.as_deref().unwrap().contains("transient"));
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "no retry: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.store.recipients(&id).await.unwrap()[1].state, RecipientState::Pending);
    h.stop().await;

    // No [mm3]: an e-mail recipient fails with the reason.
    let h = Harness::start(|_| {}).await;
    let mut req = send_req("T-mail", &[BOB], 100);
    req.headers
        .push(Header::To(ferry_mms::Address::email("friend@example.org")));
    req.headers.push(Header::DeliveryReport(YesNo::YES));
    let id = h
        .handset(ALICE)
        .post(req.to_bytes())
        .await
        .pdu()
        .message_id()
        .unwrap()
        .to_owned();
    let d = h.wait_push(ALICE, MessageType::DELIVERY_IND, |_| true).await;
    let d = Pdu::decode(&d.content).unwrap();
    assert_eq!(d.status(), Some(Status::UNREACHABLE));
    let rs = h.store.recipients(&id).await.unwrap();
    assert_eq!(rs[1].state, RecipientState::Failed);
    assert!(
        rs[1].reason.as_deref().unwrap().contains("no [mm3] relay"),
        "{:?}",
        rs[1].reason
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_to_number_at_our_domain_becomes_an_mms() {
    let h = start(free_port()).await;
    let smtp = h.running.smtp_addr.unwrap();
    let img: Vec<u8> = (0..5000u32).map(|i| (i * 13 % 256) as u8).collect();
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&img)
    };
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    let mail = format!(
        "From: Friend <friend@example.org>\r\nTo: {BOB}@mail.a.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSch=F6ne Gr=FC=DFe\r\n\
--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"dot.png\"\r\n\r\n\
{wrapped}--b1--\r\n"
    );
    let client = SmtpClient::new(&ClientConfig::plain("127.0.0.1", smtp.port())).unwrap();
    client
        .send("friend@example.org", &[format!("{BOB}@mail.a.test")], mail.as_bytes())
        .await
        .expect("the listener accepts mail for a subscriber");
    // Not for a subscriber's address form: refused with the reason.
    let e = client
        .send("friend@example.org", &["bob@mail.a.test".to_owned()], mail.as_bytes())
        .await
        .unwrap_err();
    assert!(!e.is_transient(), "{e}");

    let n = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let n = Pdu::decode(&n.content).unwrap().into_owned();
    assert_eq!(n.from().unwrap().to_string(), "friend@example.org");
    let r = h.handset(BOB).get(n.content_location().unwrap()).await;
    assert_eq!(r.status, 200);
    let r = r.pdu();
    assert_eq!(r.subject().unwrap().text(), "Grüße");
    let ps = body_parts(&r);
    assert_eq!(ps.len(), 2);
    assert_eq!(std::str::from_utf8(&ps[0].body).unwrap().trim_end(), "Schöne Grüße");
    assert_eq!(ps[1].content_type.media.as_str(), "image/png");
    assert_eq!(&*ps[1].body, &img[..], "attachment byte for byte");
    assert_eq!(ps[1].content_location(), Some("dot.png"));
    h.stop().await;
}
