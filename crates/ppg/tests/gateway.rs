//! The gateway over real sockets on 127.0.0.1 with in-memory SMSC links:
//! every PAP outcome, delivery, receipts, scheduling, expiry, cancel,
//! restart, result notifications, and the PAP client against it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferry_pap::{Document, Message, MessageState, PushMessage, PushRequestBuilder, StatusCode};
use ferry_ppg::client::{Credentials, PapClient, PushOptions, PushResponseExt};
use ferry_ppg::{Bearer, Config, Gateway, MemoryBearer, Parts, ReceiptState, Route, Routes};
use ferry_service::Shutdown;

const MMS: &str = "application/vnd.wap.mms-message";
const MMS_UA: &str = "x-wap-application:mms.ua";

/// A 100-byte M-Notification.ind-shaped body.
fn notification(len: usize) -> Vec<u8> {
    let mut b = vec![0x8C, 0x82, 0x98];
    b.extend(std::iter::repeat_n(b'a', len - 4));
    b.push(0);
    b
}

struct Harness {
    url: String,
    gw: Gateway,
    link: Arc<MemoryBearer>,
    shutdown: Shutdown,
    _dir: Arc<tempfile::TempDir>,
    db: std::path::PathBuf,
}

const CONFIG: &str = r#"
listen = "127.0.0.1:0"
database = "unused"
[[initiators]]
name = "mmsc"
username = "mmsc"
password = "secret"
allowed_addresses = ["127.0.0.1"]
[[initiators]]
name = "faraway"
username = "far"
password = "away"
allowed_addresses = ["10.0.0.0/8"]
[[links]]
name = "mem"
address = "127.0.0.1:1"
system_id = "x"
password = "y"
prefixes = ["+1", "+44"]
"#;

async fn start_with(dir: Arc<tempfile::TempDir>, link_available: bool, require_link: bool) -> Harness {
    start_tweaked(dir, link_available, |d| d.require_link = require_link).await
}

async fn start_tweaked(
    dir: Arc<tempfile::TempDir>,
    link_available: bool,
    tweak: impl FnOnce(&mut ferry_ppg::config::DeliveryConfig),
) -> Harness {
    let _ = ferry_service::telemetry::metrics();
    ferry_service::tls::install_ring_provider();
    let db_path = dir.path().join("ppg.db");
    let db = ferry_service::db::Db::open(&db_path).await.unwrap();
    let (rtx, rrx) = tokio::sync::mpsc::unbounded_channel();
    let link = Arc::new(MemoryBearer::new("mem", rtx));
    link.set_available(link_available);
    let mut config: Config = ferry_service::config::from_str_with_env(CONFIG, "X", vec![]).unwrap();
    config.delivery.retry_initial_ms = 100;
    config.delivery.retry_max_ms = 300;
    config.delivery.max_attempts = 1000;
    tweak(&mut config.delivery);
    let (shutdown, _finished) = Shutdown::new();
    let routes = Routes(vec![Route { prefixes: config.links[0].prefixes.clone(), bearer: link.clone() as Arc<dyn Bearer> }]);
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
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = ferry_ppg::http::router(gw.clone(), ferry_ppg::http::Auth::from_config(&config), 1 << 20);
    tokio::spawn(ferry_ppg::http::serve(listener, app, shutdown.clone()));
    Harness { url: format!("http://{addr}/pap"), gw, link, shutdown, _dir: dir, db: db_path }
}

async fn start() -> Harness {
    start_with(Arc::new(tempfile::tempdir().unwrap()), true, true).await
}

fn client(h: &Harness) -> PapClient {
    PapClient::new(&h.url, Some(Credentials::basic("mmsc", "secret"))).unwrap()
}

/// POSTs raw bytes with Basic auth and returns (HTTP status, PAP document).
async fn post(url: &str, auth: Option<(&str, &str)>, content_type: &str, body: Vec<u8>) -> (u16, Document) {
    let c = reqwest::Client::new();
    let mut rb = c.post(url).header("Content-Type", content_type).body(body);
    if let Some((u, p)) = auth {
        rb = rb.basic_auth(u, Some(p));
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    (status, Document::parse(&bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes))))
}

fn push_code(doc: &Document) -> (StatusCode, String) {
    match &doc.message {
        Message::PushResponse(r) => (r.result.code, r.result.desc.clone().unwrap_or_default()),
        Message::BadMessageResponse(b) => (b.code, b.desc.clone().unwrap_or_default()),
        other => panic!("unexpected {other:?}"),
    }
}

async fn push_raw(h: &Harness, address: &str, push_id: &str, edit: impl FnOnce(&mut PushMessage)) -> (u16, StatusCode, String) {
    let mut m = PushMessage::new(push_id, ferry_pap::Address::new(address));
    edit(&mut m);
    let body = notification(100);
    let req = PushRequestBuilder::new(&m, MMS, &body).application_id(MMS_UA).build().unwrap();
    let (status, doc) = post(&h.url, Some(("mmsc", "secret")), &req.content_type, req.body).await;
    let (code, desc) = push_code(&doc);
    (status, code, desc)
}

async fn wait_state(h: &Harness, push_id: &str, want: MessageState) -> ferry_pap::StatusQueryResponse {
    let c = client(h);
    for _ in 0..100 {
        let r = c.status(push_id).await.unwrap();
        if r.results.iter().all(|x| x.message_state == want) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("push {push_id} never reached {want}: {:?}", c.status(push_id).await.unwrap());
}

#[tokio::test]
async fn accepted_push_is_compact_wsp_in_one_sms_and_delivered_by_receipt() {
    let h = start().await;
    let body = notification(100);
    let r = client(&h).push("+15551230001", MMS, Some(MMS_UA), &body, "p1@test", &PushOptions::default()).await.unwrap();
    assert_eq!(r.result.code, StatusCode::ACCEPTED_FOR_PROCESSING, "{r:?}");
    assert!(r.is_accepted());
    assert_eq!(r.push_id, "p1@test");
    assert_eq!(r.sender_name.as_deref(), Some("test-ppg"));
    let sent = h.link.wait_sent(1, Duration::from_secs(5)).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].dest, "+15551230001");
    let d = &sent[0].datagram;
    // TID, Push, HeadersLen 3, 0xBE (application/vnd.wap.mms-message), 0xAF 0x84 (mms.ua).
    assert_eq!(&d[1..6], &[0x06, 0x03, 0xBE, 0xAF, 0x84]);
    assert_eq!(d.len(), 106);
    let push = ferry_wsp::Push::decode(d).unwrap();
    assert!(push.is_mms());
    assert_eq!(push.body, &body[..]);
    assert_eq!(push.content_length(), None);
    // One SMS: 106 octets + 7 octets of UDH fit in 140.
    assert_eq!(sent[0].message_ids.len(), 1);
    let st = wait_state(&h, "p1@test", MessageState::Pending).await;
    assert_eq!(st.results[0].code, StatusCode::ACCEPTED_FOR_PROCESSING);
    h.link.receipt(&sent[0].message_ids[0], ReceiptState::Delivered);
    let st = wait_state(&h, "p1@test", MessageState::Delivered).await;
    assert_eq!(st.results[0].code, StatusCode::OK);
    assert_eq!(st.results[0].addresses[0].address_value, "WAPPUSH=+15551230001/TYPE=PLMN");
    h.shutdown.trigger();
}

#[tokio::test]
async fn tids_count_per_push_and_long_pushes_are_concatenated() {
    let h = start().await;
    let c = client(&h);
    let body = notification(300);
    c.push("+15551230002", MMS, Some(MMS_UA), &body, "long", &PushOptions::default()).await.unwrap();
    c.push("+15551230002", MMS, Some(MMS_UA), &notification(50), "short", &PushOptions::default()).await.unwrap();
    let sent = h.link.wait_sent(2, Duration::from_secs(5)).await;
    let long = sent.iter().find(|s| s.datagram.len() > 300).unwrap();
    let short = sent.iter().find(|s| s.datagram.len() < 100).unwrap();
    assert_eq!(long.message_ids.len(), 3, "306 octets in 128-octet segments");
    assert_eq!(short.datagram[0], long.datagram[0].wrapping_add(1), "one TID per push, counting up");
    // Delivered only when every segment is.
    h.link.receipt(&long.message_ids[0], ReceiptState::Delivered);
    h.link.receipt(&long.message_ids[1], ReceiptState::Delivered);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(c.status("long").await.unwrap().results[0].message_state, MessageState::Pending);
    h.link.receipt(&long.message_ids[2], ReceiptState::Delivered);
    wait_state(&h, "long", MessageState::Delivered).await;
    h.link.receipt(&short.message_ids[0], ReceiptState::Undeliverable);
    let st = wait_state(&h, "short", MessageState::Undeliverable).await;
    assert_eq!(st.results[0].code, StatusCode::SERVICE_FAILURE);
    h.shutdown.trigger();
}

#[tokio::test]
async fn every_refusal_has_its_code() {
    let h = start().await;
    let ok = "WAPPUSH=+15551230003/TYPE=PLMN@ppg.example.com";
    assert_eq!(push_raw(&h, ok, "dup", |_| {}).await.1, StatusCode::ACCEPTED_FOR_PROCESSING);
    let (status, code, desc) = push_raw(&h, ok, "dup", |_| {}).await;
    assert_eq!((status, code), (200, StatusCode::DUPLICATE_PUSH_ID), "{desc}");
    let (_, code, desc) = push_raw(&h, "WAPPUSH=0401234567/TYPE=PLMN", "national", |_| {}).await;
    assert_eq!(code, StatusCode::ADDRESS_ERROR);
    assert!(desc.contains("international"), "{desc}");
    let (_, code, _) = push_raw(&h, "WAPPUSH=192.0.2.7/TYPE=IPv4", "ip", |_| {}).await;
    assert_eq!(code, StatusCode::REQUIRED_BEARER_NOT_AVAILABLE);
    let (_, code, _) = push_raw(&h, "WAPPUSH=john%40example.com/TYPE=USER", "user", |_| {}).await;
    assert_eq!(code, StatusCode::ADDRESS_ERROR);
    let (_, code, _) = push_raw(&h, "nonsense", "garbage-address", |_| {}).await;
    assert_eq!(code, StatusCode::ADDRESS_ERROR);
    let (_, code, desc) = push_raw(&h, "WAPPUSH=+3361234567/TYPE=PLMN", "no-route", |_| {}).await;
    assert_eq!(code, StatusCode::REQUIRED_BEARER_NOT_AVAILABLE);
    assert!(desc.contains("+3361234567"), "{desc}");
    let (_, code, _) = push_raw(&h, ok, "past", |m| m.deliver_before_timestamp = ferry_pap::Timestamp::from_unix(1000)).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let (_, code, _) = push_raw(&h, ok, "replace", |m| m.replace_push_id = Some("dup".into())).await;
    assert_eq!(code, StatusCode::REPLACEMENT_NOT_SUPPORTED);
    // The link goes down: 3010 at acceptance (require_link).
    h.link.set_available(false);
    let (_, code, desc) = push_raw(&h, ok, "down", |_| {}).await;
    assert_eq!(code, StatusCode::REQUIRED_BEARER_NOT_AVAILABLE);
    assert!(desc.contains("not bound"), "{desc}");
    h.link.set_available(true);

    // Unparsable XML: badmessage-response 2000 with the place at fault.
    let bad = b"--b\r\nContent-Type: application/xml\r\n\r\n<pap><push-message push-id=\"x\"></pap>\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n";
    let (status, doc) = post(&h.url, Some(("mmsc", "secret")), "multipart/related; boundary=b; type=\"application/xml\"", bad.to_vec()).await;
    let Message::BadMessageResponse(b) = doc.message else { panic!("{doc:?}") };
    assert_eq!((status, b.code), (200, StatusCode::BAD_REQUEST));
    assert!(b.desc.unwrap().contains("at byte"));
    assert!(b.bad_message_fragment.is_some());
    // A push-message without content.
    let doc = PushMessage::new("bare", ferry_pap::Address::new(ok));
    let (_, d) = post(&h.url, Some(("mmsc", "secret")), "application/xml", Document::from(doc).to_bytes()).await;
    assert_eq!(push_code(&d).0, StatusCode::BAD_REQUEST);
    // Credentials.
    let m = PushMessage::new("auth", ferry_pap::Address::new(ok));
    let body = notification(100);
    let req = PushRequestBuilder::new(&m, MMS, &body).build().unwrap();
    let (status, d) = post(&h.url, None, &req.content_type, req.body.clone()).await;
    assert_eq!((status, push_code(&d).0), (401, StatusCode::FORBIDDEN));
    let (status, d) = post(&h.url, Some(("mmsc", "wrong")), &req.content_type, req.body.clone()).await;
    assert_eq!((status, push_code(&d).0), (401, StatusCode::FORBIDDEN));
    let (status, d) = post(&h.url, Some(("far", "away")), &req.content_type, req.body.clone()).await;
    assert_eq!((status, push_code(&d).0), (403, StatusCode::FORBIDDEN));
    // Kannel-style credentials on the URL, on Kannel's path.
    let kurl = h.url.replace("/pap", "/cgi-bin/wap-push.cgi?username=mmsc&password=secret");
    let (status, d) = post(&kurl, None, &req.content_type, req.body.clone()).await;
    assert_eq!((status, push_code(&d).0), (202, StatusCode::ACCEPTED_FOR_PROCESSING));
    // Only one push went out per accepted push-id.
    let sent = h.link.wait_sent(2, Duration::from_secs(5)).await;
    assert_eq!(sent.len(), 2);
    // Metrics and health.
    let m = reqwest::get(h.url.replace("/pap", "/metrics")).await.unwrap().text().await.unwrap();
    assert!(m.contains("ppg_pushes_accepted_total") || m.is_empty(), "{m}");
    let hz = reqwest::get(h.url.replace("/pap", "/healthz")).await.unwrap();
    assert_eq!(hz.status().as_u16(), 200);
    // The PAP paths take POST only.
    let get = reqwest::get(&h.url).await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    assert_eq!(get.headers().get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
    h.shutdown.trigger();
}

#[tokio::test]
async fn deliver_after_waits_and_scheduled_pushes_cancel() {
    let h = start().await;
    let c = client(&h);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let later = PushOptions { deliver_after: Some(now + 2), ..Default::default() };
    c.push("+15551230004", MMS, Some(MMS_UA), &notification(80), "later", &later).await.unwrap();
    c.push("+15551230004", MMS, Some(MMS_UA), &notification(80), "cancel-me", &PushOptions { deliver_after: Some(now + 60), ..Default::default() })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(h.link.sent().is_empty(), "sent before deliver-after");
    let r = c.cancel("cancel-me").await.unwrap();
    assert_eq!(r.results[0].code, StatusCode::OK, "{r:?}");
    wait_state(&h, "cancel-me", MessageState::Cancelled).await;
    let r = c.cancel("cancel-me").await.unwrap();
    assert_eq!(r.results[0].code, StatusCode::CANCELLATION_NOT_POSSIBLE);
    let r = c.cancel("nope").await.unwrap();
    assert_eq!(r.results[0].code, StatusCode::PUSH_ID_NOT_FOUND);
    let st = c.status("nope").await.unwrap();
    assert_eq!(st.results[0].code, StatusCode::PUSH_ID_NOT_FOUND);
    let sent = h.link.wait_sent(1, Duration::from_secs(5)).await;
    assert_eq!(sent.len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.link.sent().len(), 1, "the cancelled push went out");
    h.shutdown.trigger();
}

#[tokio::test]
async fn deliver_before_expires_a_push_the_link_cannot_take() {
    let h = start_with(Arc::new(tempfile::tempdir().unwrap()), false, false).await;
    let c = client(&h);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let r = c
        .push("+15551230005", MMS, Some(MMS_UA), &notification(80), "soon", &PushOptions { deliver_before: Some(now + 2), ..Default::default() })
        .await
        .unwrap();
    assert!(r.is_accepted(), "{r:?}");
    let st = wait_state(&h, "soon", MessageState::Expired).await;
    assert_eq!(st.results[0].code, StatusCode::SERVICE_FAILURE);
    assert!(h.link.sent().is_empty());
    h.shutdown.trigger();
}

#[tokio::test]
async fn pending_pushes_survive_a_restart() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let h = start_with(dir.clone(), false, false).await;
    let c = client(&h);
    for i in 0..20 {
        let r = c.push("+4470000000", MMS, Some(MMS_UA), &notification(90), &format!("r{i}"), &PushOptions::default()).await.unwrap();
        assert!(r.is_accepted());
    }
    h.link.fail_next(0);
    h.shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let db = h.db.clone();
    drop(h);
    // The rows are on disk, pending.
    let pool = ferry_service::db::Db::open(&db).await.unwrap();
    let counts = ferry_ppg::store::counts(&pool.readers).await.unwrap();
    assert_eq!(counts, vec![(ferry_ppg::store::State::Pending, 20)]);
    pool.close().await;
    let h2 = start_with(dir, true, true).await;
    let sent = h2.link.wait_sent(20, Duration::from_secs(10)).await;
    assert_eq!(sent.len(), 20);
    // Push ids are still taken after the restart.
    let (_, code, _) = push_raw(&h2, "WAPPUSH=+4470000000/TYPE=PLMN", "r3", |_| {}).await;
    assert_eq!(code, StatusCode::DUPLICATE_PUSH_ID);
    h2.shutdown.trigger();
}

#[tokio::test]
async fn result_notification_is_retried_until_acknowledged() {
    use axum::routing::post as axum_post;
    let h = start().await;
    let hits = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let hits2 = hits.clone();
    let app = axum::Router::new().route(
        "/notify",
        axum_post(move |body: axum::body::Bytes| {
            let hits = hits2.clone();
            let tx = tx.clone();
            async move {
                let n = hits.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send(body.to_vec());
                if n == 0 {
                    return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new());
                }
                let doc = Document::parse(&body).unwrap();
                let Message::ResultNotificationMessage(m) = doc.message else { panic!() };
                let resp = ferry_pap::ResultNotificationResponse {
                    push_id: m.push_id,
                    code: StatusCode::OK,
                    desc: None,
                    address: m.address,
                };
                (axum::http::StatusCode::OK, resp.to_xml(ferry_pap::PapVersion::V2_0))
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notify_url = format!("http://{}/notify", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    let c = client(&h);
    let opts = PushOptions { notify_to: Some(notify_url), ..Default::default() };
    c.push("+15551230006", MMS, Some(MMS_UA), &notification(100), "notify-me", &opts).await.unwrap();
    let sent = h.link.wait_sent(1, Duration::from_secs(5)).await;
    h.link.receipt(&sent[0].message_ids[0], ReceiptState::Delivered);
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    let second = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!(first, second, "the same notification is sent again");
    let Message::ResultNotificationMessage(m) = Document::parse(&second).unwrap().message else { panic!() };
    assert_eq!(m.push_id, "notify-me");
    assert_eq!(m.message_state, MessageState::Delivered);
    assert_eq!(m.code, StatusCode::OK);
    assert_eq!(m.address.address_value, "WAPPUSH=+15551230006/TYPE=PLMN");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 2, "no more attempts after the acknowledgement");
    h.shutdown.trigger();
}

#[tokio::test]
async fn transient_link_failures_are_retried() {
    let h = start().await;
    h.link.fail_next(3);
    let c = client(&h);
    c.push("+15551230007", MMS, Some(MMS_UA), &notification(100), "retry", &PushOptions::default()).await.unwrap();
    let sent = h.link.wait_sent(1, Duration::from_secs(5)).await;
    assert_eq!(sent.len(), 1);
    h.shutdown.trigger();
}

#[tokio::test]
async fn many_concurrent_pushes_are_all_committed_and_sent() {
    let h = start().await;
    let c = client(&h);
    let mut tasks = Vec::new();
    for i in 0..500 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.push("+15551239999", MMS, Some(MMS_UA), &notification(100), &format!("bulk-{i}"), &PushOptions::default()).await.unwrap()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().is_accepted());
    }
    let sent = h.link.wait_sent(500, Duration::from_secs(10)).await;
    assert_eq!(sent.len(), 500);
    assert_eq!(h.gw.queue_depth(), 0);
    h.shutdown.trigger();
}

/// The disk filling up: with `delivery.min_free_bytes` above the free space
/// a push is refused with PAP 4000 "storage full, try again later" (nothing
/// stored, nothing sent); pushes already accepted are still delivered, and
/// with the threshold met again pushes are accepted.
#[tokio::test]
async fn min_free_bytes_refuses_with_service_failure_and_resumes() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let h = start_tweaked(dir.clone(), false, |d| {
        d.require_link = false;
        d.min_free_bytes = 1;
    })
    .await;
    let (_, code, _) = push_raw(&h, "WAPPUSH=+15551230100/TYPE=PLMN@ppg", "kept", |_| {}).await;
    assert_eq!(code, StatusCode::ACCEPTED_FOR_PROCESSING);
    h.shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(h);

    let free = ferry_service::db::free_bytes(dir.path()).unwrap();
    let h = start_tweaked(dir.clone(), true, |d| d.min_free_bytes = free + (1 << 30)).await;
    let (_, code, desc) = push_raw(&h, "WAPPUSH=+15551230101/TYPE=PLMN@ppg", "refused", |_| {}).await;
    assert_eq!(code, StatusCode::SERVICE_FAILURE, "{desc}");
    assert_eq!(desc, "storage full, try again later");
    // The push stored before is delivered all the same; the refused one never.
    let sent = h.link.wait_sent(1, Duration::from_secs(5)).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].dest, "+15551230100");
    h.shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(h);

    let h = start_tweaked(dir, true, |d| d.min_free_bytes = 1).await;
    let (_, code, _) = push_raw(&h, "WAPPUSH=+15551230102/TYPE=PLMN@ppg", "again", |_| {}).await;
    assert_eq!(code, StatusCode::ACCEPTED_FOR_PROCESSING);
    h.shutdown.trigger();
}
