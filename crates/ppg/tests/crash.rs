//! A gateway process killed (SIGKILL) in the middle of a stream of pushes
//! loses none it answered 1001: after a restart on the same database every
//! such push-id is known (status, and 2007 when used again) and every one
//! reaches the SMSC, those delivered before the kill as well as those still
//! queued, which the restarted gateway sends.
//!
//! The process to kill is this test binary again, running the ignored test
//! `crash_child` with `FERRY_PPG_CRASH_DIR` set.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_pap::MessageState;
use ferry_ppg::client::{Credentials, PapClient, PushOptions, PushResponseExt};
use ferry_ppg::{Bearer, Config, Gateway, MemoryBearer, Parts, Route, Routes};
use ferry_service::Shutdown;

const CONFIG: &str = r#"
listen = "127.0.0.1:0"
database = "unused"
[[initiators]]
name = "mmsc"
username = "mmsc"
password = "secret"
[[links]]
name = "mem"
address = "127.0.0.1:1"
system_id = "x"
password = "y"
prefixes = ["+"]
receipts = false
"#;

const MMS: &str = "application/vnd.wap.mms-message";

async fn start(db: &Path) -> (Gateway, Arc<MemoryBearer>, SocketAddr, Shutdown) {
    let _ = ferry_service::telemetry::metrics();
    ferry_service::tls::install_ring_provider();
    let config: Config = ferry_service::config::from_str_with_env(CONFIG, "X", vec![]).unwrap();
    let db = ferry_service::db::Db::open(db).await.unwrap();
    let (rtx, rrx) = tokio::sync::mpsc::unbounded_channel();
    let link = Arc::new(MemoryBearer::new("mem", rtx).without_receipts());
    let (shutdown, _finished) = Shutdown::new();
    let routes = Routes(vec![Route { prefixes: config.links[0].prefixes.clone(), bearer: link.clone() as Arc<dyn Bearer> }]);
    let gw = Gateway::start(Parts {
        db,
        routes,
        receipts: rrx,
        delivery: config.delivery.clone(),
        sender_name: "crash".into(),
        shutdown: shutdown.clone(),
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = ferry_ppg::http::router(gw.clone(), ferry_ppg::http::Auth::from_config(&config), 1 << 20);
    tokio::spawn(ferry_ppg::http::serve(listener, app, shutdown.clone()));
    (gw, link, addr, shutdown)
}

/// The process the parent kills: a gateway that runs until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by killed_gateway_keeps_every_accepted_push as a child process"]
async fn crash_child() {
    let Some(dir) = std::env::var_os("FERRY_PPG_CRASH_DIR") else { return };
    let dir = std::path::PathBuf::from(dir);
    let (_gw, _link, addr, _shutdown) = start(&dir.join("ppg.db")).await;
    std::fs::write(dir.join("addr.tmp"), addr.to_string()).unwrap();
    std::fs::rename(dir.join("addr.tmp"), dir.join("addr")).unwrap();
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_gateway_keeps_every_accepted_push() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--ignored", "--nocapture"])
        .env("FERRY_PPG_CRASH_DIR", dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr_file = dir.path().join("addr");
    let t0 = Instant::now();
    while !addr_file.exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "the child gateway did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let url = format!("http://{}/pap", std::fs::read_to_string(&addr_file).unwrap());
    let client = PapClient::new(&url, Some(Credentials::basic("mmsc", "secret"))).unwrap();
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut pushers = Vec::new();
    for conn in 0..16 {
        let client = client.clone();
        let accepted = accepted.clone();
        pushers.push(tokio::spawn(async move {
            let body = [0x8C, 0x82, 0x98, b'x', 0];
            for n in 0.. {
                let id = format!("c{conn}-{n}");
                match client.push("+15551234567", MMS, None, &body, &id, &PushOptions::default()).await {
                    Ok(r) if r.is_accepted() => accepted.lock().unwrap().push(id),
                    Ok(r) => panic!("refused: {r:?}"),
                    Err(_) => return, // the gateway is gone
                }
            }
        }));
    }
    // Kill it while pushes are streaming in (and batches committing).
    while accepted.lock().unwrap().len() < 300 {
        assert!(t0.elapsed() < Duration::from_secs(60), "too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for p in pushers {
        p.await.unwrap();
    }
    let accepted: Vec<String> = accepted.lock().unwrap().clone();
    assert!(accepted.len() >= 300);

    let (gw, link, addr, shutdown) = start(&dir.path().join("ppg.db")).await;
    let counts = ferry_ppg::store::counts(gw.readers()).await.unwrap();
    let rows: i64 = counts.iter().map(|(_, n)| n).sum();
    assert!(rows >= accepted.len() as i64, "{rows} rows for {} accepted pushes", accepted.len());
    let ini: Arc<str> = "mmsc".into();
    for id in &accepted {
        let st = gw.status(&ini, id).await.unwrap();
        assert_eq!(st.len(), 1, "accepted push {id} is not in the database after the crash");
    }
    // The queued ones are sent after the restart; then every accepted push
    // has reached the SMSC, before or after the kill.
    let pending = counts.iter().find(|(s, _)| *s == ferry_ppg::store::State::Pending).map_or(0, |c| c.1);
    let sent = link.wait_sent(pending as usize, Duration::from_secs(10)).await;
    assert_eq!(sent.len() as i64, pending);
    let t1 = Instant::now();
    for id in &accepted {
        loop {
            let st = gw.status(&ini, id).await.unwrap();
            if st[0].state.message_state() == MessageState::Delivered {
                break;
            }
            assert!(t1.elapsed() < Duration::from_secs(10), "{id} never delivered: {st:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // And their push-ids stay taken.
    let client = PapClient::new(&format!("http://{addr}/pap"), Some(Credentials::basic("mmsc", "secret"))).unwrap();
    let again: HashSet<&String> = accepted.iter().take(5).chain(accepted.iter().rev().take(5)).collect();
    for id in again {
        let r = client.push("+15551234567", MMS, None, &[0x8C, 0], id, &PushOptions::default()).await.unwrap();
        assert_eq!(r.result.code, ferry_pap::StatusCode::DUPLICATE_PUSH_ID, "{id}");
    }
    shutdown.trigger();
}
