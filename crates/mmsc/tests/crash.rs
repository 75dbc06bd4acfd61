//! Crash recovery: a message accepted before the MMSC is killed with
//! SIGKILL is notified and delivered after it restarts. The MMSC runs as a
//! child process (the `ferry-mmsc` binary) and pushes over PAP (HTTP) to a
//! stand-in push gateway that first swallows pushes without answering (so
//! the notification is in flight, leased, when the MMSC dies), then accepts.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use common::*;
use ferry_mms::{MessageType, Pdu, ResponseStatus};
use ferry_mmsc::store::sqlite::SqliteConfig;
use ferry_mmsc::store::{NewSubscriber, Store};
use ferry_pap::{Document, Message, PapVersion, PushResponse, Request, StatusCode};

#[derive(Default)]
struct Ppg {
    hang: AtomicBool,
    pushes: Mutex<Vec<(String, Vec<u8>)>>,
}

async fn ppg_handler(
    axum::extract::State(ppg): axum::extract::State<Arc<Ppg>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, String) {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let Ok(Request::Push(req)) = Request::parse(&ct, &body) else {
        return (axum::http::StatusCode::BAD_REQUEST, String::new());
    };
    if ppg.hang.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
    let address = req.message.addresses[0].address_value.clone();
    ppg.pushes
        .lock()
        .unwrap()
        .push((address, req.content_body().unwrap().into_owned()));
    let doc = Document {
        product_name: None,
        message: Message::PushResponse(PushResponse::new(
            req.message.push_id.clone(),
            StatusCode::ACCEPTED_FOR_PROCESSING,
        )),
    };
    (axum::http::StatusCode::ACCEPTED, doc.to_xml(PapVersion::V2_0))
}

fn spawn_mmsc(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ferry-mmsc"))
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting ferry-mmsc")
}

async fn wait_healthy(base: &str) {
    let c = reqwest::Client::new();
    for _ in 0..200 {
        if c.get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("MMSC at {base} did not come up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_message_survives_sigkill() {
    ferry_service::tls::install_ring_provider();
    let dir = tempfile::tempdir().unwrap();
    // The stand-in gateway.
    let ppg = Arc::new(Ppg::default());
    ppg.hang.store(true, Ordering::SeqCst);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ppg_url = format!("http://{}/pap", l.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/pap", axum::routing::post(ppg_handler))
        .with_state(ppg.clone());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });

    // A free port for the MMSC, its configuration and subscribers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gateway = format!("[gateway]\nkind = \"pap\"\nurl = \"{ppg_url}\"\ntimeout_ms = 60000");
    let text = config_text(port, dir.path(), &gateway).replace("[notify]\n", "[notify]\nlease_secs = 2\n");
    let config = dir.path().join("mmsc.toml");
    std::fs::write(&config, text).unwrap();
    let store = Store::open_sqlite(SqliteConfig::new(dir.path().join("store")))
        .await
        .unwrap();
    for m in [ALICE, BOB] {
        store.add_subscriber(NewSubscriber::new(m), 0).await.unwrap();
    }
    store.close().await.unwrap();
    drop(store);

    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_mmsc(&config);
    wait_healthy(&base).await;
    let a = Handset::new(&base, Some(ALICE), None)
        .post(send_req("T-crash", &[BOB], 30_000).to_bytes())
        .await;
    assert_eq!(a.pdu().response_status(), Some(ResponseStatus::OK));
    let id = a.pdu().message_id().unwrap().to_owned();
    // The notification is in flight (the gateway holds it): kill -9.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(ppg.pushes.lock().unwrap().is_empty());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // Restart with the gateway answering: once the lease runs out the
    // notification goes out again.
    ppg.hang.store(false, Ordering::SeqCst);
    let mut child = spawn_mmsc(&config);
    wait_healthy(&base).await;
    let mut notification = None;
    for _ in 0..200 {
        if let Some((addr, body)) = ppg.pushes.lock().unwrap().first().cloned() {
            notification = Some((addr, body));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (addr, body) = notification.expect("notification re-sent after the restart");
    assert_eq!(addr, format!("WAPPUSH={BOB}/TYPE=PLMN@ppg"));
    let n = Pdu::decode(&body).unwrap();
    assert_eq!(n.message_type(), Some(MessageType::NOTIFICATION_IND));
    let url = n.content_location().unwrap().to_owned();
    let r = Handset::new(&base, Some(BOB), None).get(&url).await;
    assert_eq!(r.status, 200);
    let p = r.pdu();
    assert_eq!(p.message_id(), Some(id.as_str()));
    assert_eq!(body_parts(&p), parts(30_000).as_slice());
    child.kill().unwrap();
    child.wait().unwrap();
}
