//! Abuse of MM1 over real sockets on 127.0.0.1: token guessing, oversized
//! and slow requests, floods, and HTTPS.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use ferry_mms::{MessageType, Pdu, ResponseStatus, RetrieveStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A TCP connection to `to` from the local address `from`.
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(format!("{from}:0").parse().unwrap()).unwrap();
    s.connect(to).await.unwrap()
}

/// Reads until the peer closes or `limit` passes; the octets read and
/// whether the peer closed.
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

/// The status code and body of a raw HTTP/1.1 response.
fn parse_response(raw: &[u8]) -> (u16, Vec<u8>) {
    let text = String::from_utf8_lossy(raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP response: {text:?}"));
    let i = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of head")
        + 4;
    (status, raw[i..].to_vec())
}

async fn message_for_bob(h: &Harness) -> String {
    let a = h
        .handset(ALICE)
        .post(send_req("T-real", &[BOB], 100).to_bytes())
        .await;
    assert_eq!(a.pdu().response_status(), Some(ResponseStatus::OK));
    let n = h
        .wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true)
        .await;
    Pdu::decode(&n.content)
        .unwrap()
        .content_location()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_guesses_are_slowed_down_per_source() {
    let h = Harness::start(|c| {
        c.guard.failures_before_delay = 3;
        c.guard.max_delay_secs = 4;
    })
    .await;
    let url = message_for_bob(&h).await;
    let guess = |i: usize| format!("{}/m/guess{i:019}", h.base);
    // Carol (behind the trusted proxy, so counted by her MSISDN) guesses.
    let carol = h.handset(CAROL);
    for i in 0..3 {
        let a = carol.get(&guess(i)).await;
        assert_eq!(a.status, 404, "free failure {i}");
    }
    // The fourth failure blocks her for 1 s.
    assert_eq!(carol.get(&guess(3)).await.status, 404);
    let a = carol.get(&guess(4)).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.headers["retry-after"], "1");
    assert_eq!(
        a.pdu().retrieve_status(),
        Some(RetrieveStatus::TRANSIENT_FAILURE)
    );
    // Even her right URL waits (a blocked source is blocked).
    // Bob, behind the same proxy address, is not slowed down.
    let t = Instant::now();
    let a = h.handset(BOB).get(&url).await;
    assert_eq!(a.status, 200);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // After the wait, the next failure blocks for 2 s, then 4 s (the cap).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(carol.get(&guess(5)).await.status, 404);
    let a = carol.get(&guess(6)).await;
    assert_eq!(
        (a.status, a.headers["retry-after"].to_str().unwrap()),
        (429, "2")
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Another subscriber's URL counts as a failure too (403).
    assert_eq!(carol.get(&url).await.status, 403);
    let a = carol.get(&guess(7)).await;
    assert_eq!(
        (a.status, a.headers["retry-after"].to_str().unwrap()),
        (429, "4")
    );

    // Wrong passwords from an address that is not a proxy: the address is
    // the source, and it is blocked after the same number of failures.
    let mut guesser = Handset::new(&h.base, None, Some("127.0.0.2".parse().unwrap()));
    guesser.basic = Some(("carol".into(), "wrong".into()));
    for _ in 0..4 {
        assert_eq!(
            guesser
                .post(send_req("T-pw", &[BOB], 10).to_bytes())
                .await
                .status,
            401
        );
    }
    let a = guesser.post(send_req("T-pw", &[BOB], 10).to_bytes()).await;
    assert_eq!(a.status, 429);
    assert_eq!(
        a.pdu().response_status(),
        Some(ResponseStatus::TRANSIENT_FAILURE)
    );
    assert_eq!(a.pdu().transaction_id(), Some("T-pw"));
    // Even the right password waits out the block from that address...
    guesser.basic = Some(("carol".into(), "secret".into()));
    assert_eq!(
        guesser
            .post(send_req("T-pw2", &[BOB], 10).to_bytes())
            .await
            .status,
        429
    );
    // ...while Carol's right password from another address is served.
    let mut other = Handset::new(&h.base, None, Some("127.0.0.3".parse().unwrap()));
    other.basic = Some(("carol".into(), "secret".into()));
    let a = other.post(send_req("T-pw3", &[BOB], 10).to_bytes()).await;
    assert_eq!(
        (a.status, a.pdu().response_status()),
        (200, Some(ResponseStatus::OK))
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_carry_at_least_128_random_bits() {
    // Ferry's store draws 18 random octets (144 bits) per token, written
    // as 24 URL-safe base64 characters; the store's own battery
    // (`ferry_store::battery::tokens`) checks 200 of them for uniqueness.
    const { assert!(ferry_mmsc::store::sqlite::TOKEN_BYTES * 8 >= 128) };
    let h = Harness::start(|_| {}).await;
    let url = message_for_bob(&h).await;
    let token = url.rsplit('/').next().unwrap();
    assert_eq!(token.len(), 24, "{token}");
    assert!(ferry_mmsc::request::is_token(token));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_is_refused_before_it_is_sent() {
    let h = Harness::start(|_| {}).await;
    // Content-Length of 100 MB (limit 100 000, drain 1 000 000): the
    // M-Send.conf comes back after a few octets of body, and the
    // connection closes.
    let mut s = TcpStream::connect(h.running.local_addr).await.unwrap();
    let head = format!(
        "POST /mms HTTP/1.1\r\nHost: mmsc\r\nX-MSISDN: {ALICE}\r\n\
         Content-Type: application/vnd.wap.mms-message\r\nContent-Length: 100000000\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&send_req("T-100M", &[BOB], 100).to_bytes()[..200])
        .await
        .unwrap();
    let t = Instant::now();
    let (raw, closed) = read_until_close(&mut s, Duration::from_secs(5)).await;
    assert!(closed, "connection left open");
    assert!(t.elapsed() < Duration::from_secs(3));
    let (status, body) = parse_response(&raw);
    assert_eq!(status, 200);
    let p = Pdu::decode(&body).unwrap();
    assert_eq!(p.message_type(), Some(MessageType::SEND_CONF));
    assert_eq!(
        p.response_status(),
        Some(ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED)
    );
    assert!(p.response_text().unwrap().text().contains("too large"));

    // Chunked without end, sent as fast as possible: the server answers
    // and closes once the limit and the drain allowance (1.1 MB) are
    // passed; it never buffers more than the limit.
    let mut s = TcpStream::connect(h.running.local_addr).await.unwrap();
    let head = format!(
        "POST /mms HTTP/1.1\r\nHost: mmsc\r\nX-MSISDN: {ALICE}\r\n\
         Content-Type: application/vnd.wap.mms-message\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let reader = tokio::spawn(async move {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(20), rd.read_to_end(&mut out)).await;
        out
    });
    let chunk = vec![0x41u8; 64 * 1024];
    let mut sent = 0usize;
    let writer = async {
        while sent < 50_000_000 {
            let frame = format!("{:x}\r\n", chunk.len());
            if wr.write_all(frame.as_bytes()).await.is_err()
                || wr.write_all(&chunk).await.is_err()
                || wr.write_all(b"\r\n").await.is_err()
            {
                break;
            }
            sent += chunk.len();
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(20), writer).await;
    let raw = reader.await.unwrap();
    eprintln!("endless chunked body: {sent} octets sent before the server closed");
    assert!(
        sent < 10_000_000,
        "the server read {sent} octets of an endless body"
    );
    let (status, body) = parse_response(&raw);
    assert_eq!(status, 200);
    assert_eq!(
        Pdu::decode(&body).unwrap().response_status(),
        Some(ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED)
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_slow_bodies_time_out() {
    let h = Harness::start(|c| {
        c.http.header_timeout_ms = 500;
        c.http.body_timeout_ms = 500;
    })
    .await;
    // Half a request head, then nothing: disconnected.
    let mut s = TcpStream::connect(h.running.local_addr).await.unwrap();
    s.write_all(b"POST /mms HTTP/1.1\r\nHost: mmsc\r\nX-MSI")
        .await
        .unwrap();
    let t = Instant::now();
    let (_, closed) = read_until_close(&mut s, Duration::from_secs(5)).await;
    assert!(closed, "a stalled request head kept its connection");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // Headers, then half the body, then nothing: an M-Send.conf
    // (transient: send again) and the connection closes.
    let body = send_req("T-slow", &[BOB], 100).to_bytes();
    let mut s = TcpStream::connect(h.running.local_addr).await.unwrap();
    let head = format!(
        "POST /mms HTTP/1.1\r\nHost: mmsc\r\nX-MSISDN: {ALICE}\r\n\
         Content-Type: application/vnd.wap.mms-message\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..body.len() / 2]).await.unwrap();
    let t = Instant::now();
    let (raw, closed) = read_until_close(&mut s, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let (status, body) = parse_response(&raw);
    assert_eq!(status, 400);
    let p = Pdu::decode(&body).unwrap();
    assert_eq!(p.response_status(), Some(ResponseStatus::TRANSIENT_FAILURE));
    assert_eq!(p.transaction_id(), Some("T-slow"));
    // Nothing was stored for it.
    assert_eq!(h.store.counts(0).await.unwrap().messages, 0);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_throttled_without_starving_others() {
    let h = Harness::start(|c| {
        c.guard.requests_per_sec = 5;
        c.guard.burst = 5;
        c.http.max_connections_per_ip = Some(4);
    })
    .await;
    let url = message_for_bob(&h).await;
    // The flood: 127.0.0.2 asks as fast as it can for two seconds.
    let base = h.base.clone();
    let flood = tokio::spawn(async move {
        let f = Handset::new(&base, None, Some("127.0.0.2".parse().unwrap()));
        let (mut ok, mut throttled) = (0, 0);
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            let a = f.get(&format!("{base}/m/flood")).await;
            match a.status {
                429 => {
                    assert!(a.headers.contains_key("retry-after"));
                    throttled += 1
                }
                _ => ok += 1,
            }
        }
        (ok, throttled)
    });
    // Meanwhile Bob (another source) is answered at once, every time.
    let bob = h.handset(BOB);
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        let t = Instant::now();
        let a = bob.get(&url).await;
        assert_eq!(a.status, 200);
        worst = worst.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (ok, throttled) = flood.await.unwrap();
    eprintln!("flood: {ok} served, {throttled} throttled; Bob's slowest answer {worst:?}");
    // Burst 5 + 5/s over 2 s: at most ~15 got through.
    assert!(ok <= 16, "{ok} flood requests served");
    assert!(throttled > 10, "only {throttled} throttled");
    assert!(worst < Duration::from_millis(500), "Bob waited {worst:?}");

    // Connections: 127.0.0.3 may hold 4 at once; the fifth is closed at
    // once, and 127.0.0.1 is still served.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from("127.0.0.3", h.running.local_addr).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fifth = connect_from("127.0.0.3", h.running.local_addr).await;
    let _ = fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let (raw, closed) = read_until_close(&mut fifth, Duration::from_secs(2)).await;
    assert!(closed && raw.is_empty(), "fifth connection served: {raw:?}");
    let a = bob.get(&url).await;
    assert_eq!(a.status, 200);
    // A held connection is still served.
    let s = &mut held[0];
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (raw, _) = read_until_close(s, Duration::from_secs(2)).await;
    assert_eq!(parse_response(&raw).0, 200);
    drop(held);
    h.stop().await;
}

/// A self-signed certificate for 127.0.0.1 and localhost: (cert PEM, key PEM).
fn certificate() -> (String, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mm1_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate();
    std::fs::write(dir.path().join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), &key).unwrap();
    let tls = ferry_service::http::TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    let h = Harness::start(move |c| c.tls = Some(tls)).await;
    let https = h.base.replace("http://", "https://");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = client
        .post(format!("{https}/mms"))
        .header("X-MSISDN", ALICE)
        .header("Content-Type", "application/vnd.wap.mms-message")
        .body(send_req("T-tls", &[BOB], 100).to_bytes())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.bytes().await.unwrap();
    assert_eq!(
        Pdu::decode(&body).unwrap().response_status(),
        Some(ResponseStatus::OK)
    );
    // A client that does not trust the certificate is refused by TLS.
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(format!("{https}/healthz"))
            .send()
            .await
            .is_err()
    );
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = reqwest::Client::new();
    assert!(
        plain
            .get(format!("{}/healthz", h.base))
            .send()
            .await
            .is_err()
    );
    // A stalled handshake is dropped after the header timeout.
    h.stop().await;
}
