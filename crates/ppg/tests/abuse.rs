//! Abuse of the PAP listener over real sockets on 127.0.0.1: oversized and
//! slow requests, and PAP over HTTPS with the MMSC's PAP client. (Unknown
//! initiators, wrong passwords and disallowed addresses: `gateway.rs`,
//! `every_refusal_has_its_code`.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_mmsc::Notifier;
use ferry_pap::{Document, Message, StatusCode};
use ferry_ppg::{Bearer, Config, Gateway, MemoryBearer, Parts, Route, Routes};
use ferry_service::Shutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONFIG: &str = r#"
listen = "127.0.0.1:0"
database = "unused"
[[initiators]]
name = "mmsc"
username = "mmsc"
password = "secret"
allowed_addresses = ["127.0.0.1"]
[[links]]
name = "mem"
address = "127.0.0.1:1"
system_id = "x"
password = "y"
prefixes = ["+1"]
[http]
header_timeout_ms = 500
body_timeout_ms = 500
"#;

struct Harness {
    addr: SocketAddr,
    link: Arc<MemoryBearer>,
    shutdown: Shutdown,
    _dir: tempfile::TempDir,
}

async fn start(tls: Option<ferry_service::http::TlsFiles>) -> Harness {
    let _ = ferry_service::telemetry::metrics();
    ferry_service::tls::install_ring_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = ferry_service::db::Db::open(&dir.path().join("ppg.sqlite"))
        .await
        .unwrap();
    let (rtx, rrx) = tokio::sync::mpsc::unbounded_channel();
    let link = Arc::new(MemoryBearer::new("mem", rtx));
    link.set_available(true);
    let config: Config = ferry_service::config::from_str_with_env(CONFIG, "X", vec![]).unwrap();
    let (shutdown, _finished) = Shutdown::new();
    let routes = Routes(vec![Route {
        prefixes: config.links[0].prefixes.clone(),
        bearer: link.clone() as Arc<dyn Bearer>,
    }]);
    let gw = Gateway::start(Parts {
        db,
        routes,
        receipts: rrx,
        delivery: config.delivery.clone(),
        sender_name: "test-ppg".into(),
        shutdown: shutdown.clone(),
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = ferry_ppg::http::router(gw, ferry_ppg::http::Auth::from_config(&config), 64 * 1024);
    let tls = tls.map(|f| ferry_service::http::server_tls(&f).unwrap());
    let opts = ferry_service::http::ServeOptions::new("ppg", &config.http, 0, tls);
    tokio::spawn(ferry_ppg::http::serve_with(
        listener,
        app,
        opts,
        shutdown.clone(),
    ));
    Harness {
        addr,
        link,
        shutdown,
        _dir: dir,
    }
}

async fn read_until_close(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, false),
        }
    }
}

/// HTTP status and the PAP document of a raw response.
fn pap_answer(raw: &[u8]) -> (u16, Document) {
    let text = String::from_utf8_lossy(raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let i = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    (
        status,
        Document::parse(&raw[i..]).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

fn bad_code(doc: &Document) -> StatusCode {
    match &doc.message {
        Message::BadMessageResponse(b) => b.code,
        other => panic!("not a badmessage-response: {other:?}"),
    }
}

const HEAD: &str = "POST /pap HTTP/1.1\r\nHost: ppg\r\nAuthorization: Basic bW1zYzpzZWNyZXQ=\r\n\
                    Content-Type: multipart/related; boundary=b; type=\"application/xml\"\r\n";

#[tokio::test]
async fn oversized_push_is_refused_while_it_streams() {
    let h = start(None).await;
    // Declared 100 MB (limit 64 KiB): refused at once.
    let mut s = TcpStream::connect(h.addr).await.unwrap();
    s.write_all(format!("{HEAD}Content-Length: 100000000\r\n\r\n--b\r\n").as_bytes())
        .await
        .unwrap();
    let t = Instant::now();
    let (raw, _) = read_until_close(&mut s, Duration::from_secs(5)).await;
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let (status, doc) = pap_answer(&raw);
    assert_eq!(
        (status, bad_code(&doc)),
        (413, StatusCode::BAD_REQUEST),
        "{doc:?}"
    );
    // Chunked without end: refused once 64 KiB have arrived.
    let s = TcpStream::connect(h.addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    wr.write_all(format!("{HEAD}Transfer-Encoding: chunked\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let reader = tokio::spawn(async move {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(20), rd.read_to_end(&mut out)).await;
        out
    });
    let chunk = vec![b'x'; 16 * 1024];
    let mut sent = 0usize;
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        while sent < 50_000_000 {
            if wr
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await
                .is_err()
                || wr.write_all(&chunk).await.is_err()
                || wr.write_all(b"\r\n").await.is_err()
            {
                break;
            }
            sent += chunk.len();
        }
    })
    .await;
    let raw = reader.await.unwrap();
    assert!(
        sent < 10_000_000,
        "{sent} octets of an endless body were read"
    );
    let (status, doc) = pap_answer(&raw);
    assert_eq!((status, bad_code(&doc)), (413, StatusCode::BAD_REQUEST));
    assert!(h.link.sent().is_empty());
    h.shutdown.trigger();
}

#[tokio::test]
async fn slow_push_requests_time_out() {
    let h = start(None).await;
    // Half a head, then nothing: disconnected after the header timeout.
    let mut s = TcpStream::connect(h.addr).await.unwrap();
    s.write_all(b"POST /pap HTTP/1.1\r\nHost: ppg\r\nContent-")
        .await
        .unwrap();
    let t = Instant::now();
    let (_, closed) = read_until_close(&mut s, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(
        t.elapsed() >= Duration::from_millis(400) && t.elapsed() < Duration::from_secs(3),
        "{:?}",
        t.elapsed()
    );
    // The head, part of the body, then nothing: a badmessage-response.
    let mut s = TcpStream::connect(h.addr).await.unwrap();
    s.write_all(format!("{HEAD}Content-Length: 1000\r\n\r\n--b\r\nContent-Type: appl").as_bytes())
        .await
        .unwrap();
    let t = Instant::now();
    let (raw, closed) = read_until_close(&mut s, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let (status, doc) = pap_answer(&raw);
    assert_eq!((status, bad_code(&doc)), (400, StatusCode::BAD_REQUEST));
    h.shutdown.trigger();
}

#[tokio::test]
async fn pap_over_https_from_the_mmsc_client() {
    let dir = tempfile::tempdir().unwrap();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let h = start(Some(ferry_service::http::TlsFiles {
        cert: cert.clone(),
        key,
    }))
    .await;
    let url = format!("https://127.0.0.1:{}/pap", h.addr.port());
    // The MMSC's PAP client with the private CA file: accepted and sent.
    let n = ferry_mmsc::PapNotifier::with_ca(
        url.clone(),
        Some(("mmsc".into(), "secret".into())),
        ferry_pap::PapVersion::V2_0,
        "ppg",
        Duration::from_secs(5),
        Some(&cert),
    )
    .unwrap();
    let body = bytes::Bytes::from_static(&[0x8C, 0x82, 0x98, b'a', 0]);
    n.push("+15550000002", body).await.unwrap();
    assert_eq!(h.link.wait_sent(1, Duration::from_secs(5)).await.len(), 1);
    // Without the CA file the certificate is not trusted.
    let untrusting = ferry_mmsc::PapNotifier::new(
        url.clone(),
        Some(("mmsc".into(), "secret".into())),
        ferry_pap::PapVersion::V2_0,
        "ppg",
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(
        untrusting
            .push(
                "+15550000002",
                bytes::Bytes::from_static(&[0x8C, 0x82, 0x98, b'b', 0])
            )
            .await
            .is_err()
    );
    // A CA file that holds no certificate is refused when the client is built.
    std::fs::write(dir.path().join("empty.pem"), "").unwrap();
    assert!(
        ferry_mmsc::PapNotifier::with_ca(
            url,
            None,
            ferry_pap::PapVersion::V2_0,
            "ppg",
            Duration::from_secs(5),
            Some(&dir.path().join("empty.pem"))
        )
        .is_err()
    );
    h.shutdown.trigger();
}
