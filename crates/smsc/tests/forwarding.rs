//! Forwarding by prefix between two Ferry SMSCs over SMPP.

mod common;

use std::time::{Duration, Instant};

use common::{Client, sm};
use ferry_smpp::{BindMode, Body, CommandStatus, DeliveryReceipt, RegisteredDelivery};
use ferry_smsc::{Config, Smsc};

fn b_config() -> Config {
    Config::from_toml(
        r#"
listen = "127.0.0.1:0"
store = "memory"
[[accounts]]
system_id = "smsc-a"
password = "apass"
role = "peer"
[[accounts]]
system_id = "handset"
password = "phone"
role = "handset"
prefixes = ["4791"]
"#,
    )
    .unwrap()
}

fn a_config(b_port: u16, store: &str) -> Config {
    Config::from_toml(&format!(
        r#"
listen = "127.0.0.1:0"
store = "{store}"
[[accounts]]
system_id = "gw"
password = "gwpass"
role = "gateway"
[[accounts]]
system_id = "handset"
password = "phone"
role = "handset"
prefixes = ["4790"]
[[routes]]
prefix = "4791"
host = "127.0.0.1"
port = {b_port}
system_id = "smsc-a"
password = "apass"
timeout_seconds = 5
"#
    ))
    .unwrap()
}

/// A gateway on SMSC A submits to a number of SMSC B: B's handset gets it,
/// and the gateway gets B's receipt relayed by A under A's id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_by_prefix_and_relays_receipts() {
    let b = Smsc::start(b_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let a = Smsc::start(a_config(
        b.local_addr().port(),
        dir.path().join("a.db").to_str().unwrap(),
    ))
    .await
    .unwrap();
    // A's link to B binds (as a transceiver: B counts it as bound).
    let t = Instant::now();
    while b.bound_sessions() < 1 {
        assert!(t.elapsed() < Duration::from_secs(10), "A did not bind to B");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut hb = Client::connect(b.local_addr()).await;
    assert_eq!(
        hb.bind(BindMode::Transceiver, "handset", "phone", "4791000001")
            .await,
        CommandStatus::ESME_ROK
    );
    let mut g = Client::connect(a.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Transceiver, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );

    let mut s = sm("9200", "4791000001", b"across");
    s.registered_delivery = RegisteredDelivery(1);
    let (status, id) = g.submit(s).await;
    assert_eq!(status, CommandStatus::ESME_ROK);
    let p = hb.deliver().await;
    let Body::DeliverSm(d) = p.pdu().body else {
        panic!()
    };
    assert_eq!(d.short_message, b"across");
    let p = g.deliver().await;
    let Body::DeliverSm(d) = p.pdu().body else {
        panic!()
    };
    let r = DeliveryReceipt::from_deliver_sm(&d).unwrap();
    assert_eq!(r.id, Some(id.as_str()), "A's id in the relayed receipt");
    assert_eq!(r.stat, Some("DELIVRD"));

    // B has no route to A's numbers: refused at B.
    assert_eq!(
        hb.submit(sm("", "4790000001", b"x")).await.0,
        CommandStatus::ESME_RINVDSTADR
    );

    // B stores for its absent handsets too: its ESME_ROK comes back.
    let (status, _) = g.submit(sm("9200", "4791999", b"nobody")).await;
    assert_eq!(status, CommandStatus::ESME_ROK);
    assert_eq!(b.queued(), 1);
    drop(hb);
    a.shutdown().await;
    b.shutdown().await;
}

/// With the other SMSC down, the submitter gets ESME_RSYSERR (not ROK).
#[tokio::test]
async fn route_down_is_an_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = a_config(port, "memory");
    cfg.routes[0].timeout_seconds = 1;
    let a = Smsc::start(cfg).await.unwrap();
    let mut g = Client::connect(a.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    assert_eq!(
        g.submit(sm("9200", "4791000001", b"x")).await.0,
        CommandStatus::ESME_RSYSERR
    );
    assert_eq!(a.queued(), 0);
    a.shutdown().await;
}
