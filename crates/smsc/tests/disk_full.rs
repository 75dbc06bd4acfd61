//! The disk filling up: with `[limits] min_free_bytes` above the free space
//! a submit_sm is answered ESME_RMSGQFUL (transient: the ESME tries again
//! later), what is queued stays queued, and submissions are accepted again
//! once the threshold is met.

mod common;

use common::{Client, config, sm, start};
use ferry_smpp::{BindMode, Body, CommandStatus};

const PHONE: &str = "4790000001";

fn with_min_free(store: &str, min_free: u64) -> ferry_smsc::Config {
    let mut c = config(store);
    c.limits.min_free_bytes = min_free;
    c
}

#[tokio::test]
async fn min_free_bytes_refuses_with_msgqful_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("smsc.db").to_str().unwrap().to_owned();

    let smsc = start(with_min_free(&store, 1)).await;
    let mut g = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    assert_eq!(
        g.submit(sm("4790000002", PHONE, b"first")).await.0,
        CommandStatus::ESME_ROK
    );
    drop(g);
    smsc.shutdown().await;

    let free = ferry_service::db::free_bytes(std::path::Path::new(&store)).unwrap();
    let smsc = start(with_min_free(&store, free + (1 << 30))).await;
    assert_eq!(smsc.queued(), 1, "the stored message is still queued");
    let mut g = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    assert_eq!(
        g.submit(sm("4790000002", PHONE, b"refused")).await.0,
        CommandStatus::ESME_RMSGQFUL
    );
    assert_eq!(smsc.queued(), 1);
    drop(g);
    smsc.shutdown().await;

    let smsc = start(with_min_free(&store, 1)).await;
    let mut g = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    assert_eq!(
        g.submit(sm("4790000002", PHONE, b"second")).await.0,
        CommandStatus::ESME_ROK
    );
    let mut h = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        h.bind(BindMode::Receiver, "handset", "phone", PHONE).await,
        CommandStatus::ESME_ROK
    );
    let mut got = Vec::new();
    for _ in 0..2 {
        let p = h.deliver().await;
        let Body::DeliverSm(d) = p.pdu().body else {
            panic!("{p:?}")
        };
        got.push(d.short_message.to_vec());
    }
    got.sort();
    assert_eq!(
        got,
        vec![b"first".to_vec(), b"second".to_vec()],
        "the first intact, the refused one absent"
    );
    smsc.shutdown().await;
}
