//! The SMTP listener over real sockets on 127.0.0.1: MM4 accepted from a
//! peer, refused from a non-peer address or sender domain, relaying
//! refused, oversize refused during DATA.

use std::time::Duration;

use ferry_interconnect::{
    ClientConfig, InboundMessage, ListenerConfig, Mm4Handler, PeerConfig, Rejection, SendError,
    SmtpClient, SmtpListener,
};
use ferry_mm4::{ForwardMeta, Mm4Message};
use ferry_mms::{Address, Pdu};
use ferry_service::Shutdown;
use ferry_wsp::{ContentType, Part};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

#[derive(Clone)]
struct Collect(mpsc::UnboundedSender<InboundMessage>);

impl Mm4Handler for Collect {
    async fn handle(&self, msg: InboundMessage) -> Result<(), Rejection> {
        if !ferry_mm4::is_mm4(&msg.data) {
            return Err(Rejection::permanent("not MM4"));
        }
        let _ = self.0.send(msg);
        Ok(())
    }
}

fn config(peers: Vec<PeerConfig>, max: usize) -> ListenerConfig {
    ListenerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        hostname: "mms.a.example".into(),
        local_domains: vec!["mms.a.example".into()],
        peers,
        max_message_size: max,
        max_recipients: 10,
        idle_timeout_secs: 10,
        handler_timeout_secs: 10,
        max_connections: 8,
        tls: None,
    }
}

fn peer_b() -> PeerConfig {
    PeerConfig {
        name: "operator-b".into(),
        addresses: vec!["127.0.0.0/8".into()],
        sender_domains: vec!["mms.b.example".into()],
    }
}

fn forward() -> Vec<u8> {
    let img: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
    let pdu = Pdu::send_req(
        "t",
        Some(Address::plmn("+4917000001")),
        vec![Address::plmn("+15550001")],
        ContentType::new("application/vnd.wap.multipart.mixed"),
        vec![Part::new(ContentType::new("image/png"), img)],
    );
    let meta = ForwardMeta {
        transaction_id: "T1".into(),
        message_id: "M1".into(),
        originator_system: "system@mms.b.example".into(),
        originator_domain: "mms.b.example".into(),
        recipient_domain: "mms.a.example".into(),
        ack_request: true,
        ..Default::default()
    };
    ferry_mm4::forward_req(&pdu, &meta).unwrap()
}

async fn start(
    cfg: ListenerConfig,
) -> (
    SmtpListener,
    mpsc::UnboundedReceiver<InboundMessage>,
    Shutdown,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (sd, _finished) = Shutdown::new();
    let l = SmtpListener::start(cfg, Collect(tx), sd.clone())
        .await
        .unwrap();
    (l, rx, sd)
}

fn client(l: &SmtpListener) -> SmtpClient {
    SmtpClient::new(&ClientConfig::plain("127.0.0.1", l.local_addr().port())).unwrap()
}

#[tokio::test]
async fn accepts_mm4_from_a_peer() {
    let (l, mut rx, sd) = start(config(vec![peer_b()], 1 << 20)).await;
    let msg = forward();
    client(&l)
        .send(
            "system@mms.b.example",
            &["+15550001/TYPE=PLMN@mms.a.example".to_owned()],
            &msg,
        )
        .await
        .expect("accepted");
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.peer, "operator-b");
    assert_eq!(got.mail_from, "system@mms.b.example");
    assert_eq!(got.rcpt_to, ["+15550001/TYPE=PLMN@mms.a.example"]);
    // lettre always ends DATA with CRLF.CRLF, so a message that already
    // ends with CRLF arrives with one empty line more; otherwise it is the
    // same, byte for byte (dot-stuffing undone).
    assert_eq!(
        got.data.strip_suffix(b"\r\n"),
        Some(&msg[..]),
        "message byte for byte"
    );
    let Mm4Message::ForwardReq(f) = ferry_mm4::parse(&got.data).unwrap() else {
        panic!()
    };
    assert_eq!(f.transaction_id, "T1");
    assert_eq!(f.parts.len(), 1);
    sd.trigger();
    l.join().await;
}

#[tokio::test]
async fn refuses_a_non_peer_address() {
    let other = PeerConfig {
        name: "far".into(),
        addresses: vec!["192.0.2.0/24".into()],
        sender_domains: vec![],
    };
    let (l, _rx, sd) = start(config(vec![other], 1 << 20)).await;
    let s = TcpStream::connect(l.local_addr()).await.unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("554 "), "{line}");
    let err = client(&l)
        .send(
            "system@mms.b.example",
            &["+1/TYPE=PLMN@mms.a.example".to_owned()],
            &forward(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Permanent(_) | SendError::Transient(_)),
        "{err}"
    );
    sd.trigger();
    l.join().await;
}

#[tokio::test]
async fn refuses_foreign_sender_domains_and_relaying() {
    let (l, mut rx, sd) = start(config(vec![peer_b()], 1 << 20)).await;
    let c = client(&l);
    let err = c
        .send(
            "system@evil.example",
            &["+1/TYPE=PLMN@mms.a.example".to_owned()],
            &forward(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Permanent(ref t) if t.contains("550")),
        "{err}"
    );
    let err = c
        .send(
            "system@mms.b.example",
            &["+1/TYPE=PLMN@mms.c.example".to_owned()],
            &forward(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Permanent(ref t) if t.contains("relaying")),
        "{err}"
    );
    assert!(rx.try_recv().is_err(), "nothing delivered");
    sd.trigger();
    l.join().await;
}

#[tokio::test]
async fn refuses_oversize_during_data() {
    let (l, mut rx, sd) = start(config(vec![peer_b()], 2000)).await;
    // Through the client: refused for good.
    let err = client(&l)
        .send(
            "system@mms.b.example",
            &["+1/TYPE=PLMN@mms.a.example".to_owned()],
            &forward(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Permanent(ref t) if t.contains("552")),
        "{err}"
    );
    // By hand: the refusal comes after the data, and the session goes on.
    let s = TcpStream::connect(l.local_addr()).await.unwrap();
    let (rd, mut wr) = s.into_split();
    let mut r = BufReader::new(rd);
    let mut line = String::new();
    let mut expect = async |r: &mut BufReader<_>, code: &str| loop {
        line.clear();
        r.read_line(&mut line).await.unwrap();
        assert!(line.starts_with(code), "wanted {code}, got {line:?}");
        if line.as_bytes().get(3) == Some(&b' ') {
            break;
        }
    };
    expect(&mut r, "220").await;
    wr.write_all(b"EHLO mms.b.example\r\n").await.unwrap();
    expect(&mut r, "250").await;
    wr.write_all(b"MAIL FROM:<system@mms.b.example> SIZE=999999\r\n")
        .await
        .unwrap();
    expect(&mut r, "552").await;
    wr.write_all(
        b"MAIL FROM:<system@mms.b.example>\r\nRCPT TO:<+1/TYPE=PLMN@mms.a.example>\r\nDATA\r\n",
    )
    .await
    .unwrap();
    expect(&mut r, "250").await;
    expect(&mut r, "250").await;
    expect(&mut r, "354").await;
    for _ in 0..100 {
        wr.write_all(&[b'x'; 100]).await.unwrap();
        wr.write_all(b"\r\n").await.unwrap();
    }
    wr.write_all(b".\r\n").await.unwrap();
    expect(&mut r, "552").await;
    wr.write_all(b"RSET\r\nQUIT\r\n").await.unwrap();
    expect(&mut r, "250").await;
    expect(&mut r, "221").await;
    assert!(rx.try_recv().is_err(), "nothing delivered");
    sd.trigger();
    l.join().await;
}

#[tokio::test]
async fn starttls_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert_file = dir.path().join("cert.pem");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&cert_file, key.cert.pem()).unwrap();
    std::fs::write(&key_file, key.signing_key.serialize_pem()).unwrap();
    let mut cfg = config(vec![peer_b()], 1 << 20);
    cfg.tls = Some(ferry_interconnect::TlsFiles {
        cert_file: cert_file.clone(),
        key_file,
    });
    let (l, mut rx, sd) = start(cfg).await;
    let mut cc = ClientConfig::plain("127.0.0.1", l.local_addr().port());
    cc.tls = ferry_interconnect::TlsMode::Starttls;
    cc.ca_file = Some(cert_file);
    let c = SmtpClient::new(&cc).unwrap();
    let msg = forward();
    c.send(
        "system@mms.b.example",
        &["+15550001/TYPE=PLMN@mms.a.example".to_owned()],
        &msg,
    )
    .await
    .expect("sent over TLS");
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(got.tls, "received over TLS");
    assert_eq!(got.data.strip_suffix(b"\r\n"), Some(&msg[..]));
    // Without trusting the CA, a required-TLS client fails (transiently).
    let mut bad = ClientConfig::plain("127.0.0.1", l.local_addr().port());
    bad.tls = ferry_interconnect::TlsMode::Starttls;
    let err = SmtpClient::new(&bad)
        .unwrap()
        .send(
            "system@mms.b.example",
            &["+1/TYPE=PLMN@mms.a.example".to_owned()],
            &msg,
        )
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    sd.trigger();
    l.join().await;
}
