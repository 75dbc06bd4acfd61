//! A recipient's answer that overtakes the recording of its notification:
//! the M-Notification.ind reaches the phone (SMS is fast) while the push
//! gateway's answer to the MMSC is still on its way, and the phone's
//! M-NotifyResp.ind / M-Acknowledge.ind arrive before the MMSC has written
//! down that it notified. The MMSC must accept them (it issued the
//! transaction id), not answer 404 (regression: `ferry bench` saw 404s under
//! load and had to retry).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use ferry_mms::{MessageType, Pdu, Status};
use ferry_mmsc::notify::{Notifier, PushFuture};
use ferry_mmsc::store::sqlite::SqliteConfig;
use ferry_mmsc::store::{NewSubscriber, PasswordCost, RecipientState, Store};
use ferry_mmsc::{Config, Mmsc};
use ferry_service::Shutdown;
use tokio::sync::{Notify, mpsc};

/// Hands every push to the test, then holds the gateway's answer until
/// released.
#[derive(Debug)]
struct Holding {
    seen: mpsc::UnboundedSender<(String, Bytes)>,
    release: Arc<Notify>,
    released: Mutex<bool>,
}

impl Notifier for Holding {
    fn push<'a>(&'a self, msisdn: &'a str, content: Bytes) -> PushFuture<'a> {
        Box::pin(async move {
            let _ = self.seen.send((msisdn.to_owned(), content));
            loop {
                let n = self.release.notified();
                if *self.released.lock().unwrap() {
                    return Ok(());
                }
                n.await;
            }
        })
    }
}

#[tokio::test]
async fn answers_before_the_notification_is_recorded_are_accepted() {
    ferry_service::tls::install_ring_provider();
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Config::from_toml(&config_text(
        port,
        dir.path(),
        "[gateway]\nkind = \"memory\"",
    ))
    .unwrap();
    let mut sc = SqliteConfig::new(dir.path().join("store"));
    sc.password_cost = PasswordCost::Insecure;
    let store = Arc::new(Store::open_sqlite(sc).await.unwrap());
    for m in [ALICE, BOB] {
        store
            .add_subscriber(NewSubscriber::new(m), 0)
            .await
            .unwrap();
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let holding = Arc::new(Holding {
        seen: tx,
        release: release.clone(),
        released: Mutex::new(false),
    });
    let (shutdown, _finished) = Shutdown::new();
    let running = Mmsc::new(config)
        .store(store.clone())
        .notifier(holding.clone())
        .listener(listener)
        .start(shutdown.clone())
        .await
        .unwrap();
    let base = format!("http://{}", running.local_addr);
    let alice = Handset::new(&base, Some(ALICE), None);
    let bob = Handset::new(&base, Some(BOB), None);

    let conf = alice.post(bytes_of(&send_req("race-1", &[BOB], 100))).await;
    assert_eq!(conf.status, 200);
    assert!(conf.pdu().response_status().unwrap().is_ok());
    let (to, content) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a push within 10 s")
        .unwrap();
    assert_eq!(to, BOB);
    let ind = Pdu::decode(&content).unwrap().into_owned();
    assert_eq!(ind.message_type(), Some(MessageType::NOTIFICATION_IND));
    let tid = ind.transaction_id().unwrap().to_owned();
    let url = ind.content_location().unwrap().to_owned();
    // The push is still "in flight": nothing recorded about it yet.
    let d = store
        .delivery(&ferry_mmsc::store::RecipientKey::Token(
            url.rsplit('/').next().unwrap().into(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.recipient.notify_attempts, 0,
        "the notification is not recorded yet"
    );

    // Deferred, fetch, acknowledge — all before the gateway has answered.
    let r = bob.post(notify_resp(&tid, Status::DEFERRED, None)).await;
    assert_eq!(
        r.status, 200,
        "NotifyResp for a transaction id the MMSC issued"
    );
    let got = bob.get(&url).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.pdu().message_type(), Some(MessageType::RETRIEVE_CONF));
    let ack = Pdu::acknowledge_ind(tid.clone(), Some(true)).to_bytes();
    let r = bob.post(ack).await;
    assert_eq!(
        r.status, 200,
        "Acknowledge for a transaction id the MMSC issued"
    );

    // Now the gateway answers; the recipient stays retrieved and acknowledged.
    *holding.released.lock().unwrap() = true;
    release.notify_waiters();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let d = store
            .delivery(&ferry_mmsc::store::RecipientKey::TransactionId(tid.clone()))
            .await
            .unwrap()
            .unwrap();
        if d.recipient.notify_attempts == 1 {
            assert_eq!(d.recipient.state, RecipientState::Retrieved);
            assert!(d.recipient.acknowledged);
            assert_eq!(d.recipient.transaction_id.as_deref(), Some(tid.as_str()));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "notification never recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // An unknown transaction id is still refused.
    let r = bob
        .post(notify_resp("Tnot-issued", Status::RETRIEVED, None))
        .await;
    assert_eq!(r.status, 404);
    shutdown.trigger();
    running.join().await;
}
