//! MM1 end to end over real sockets, with the in-memory push client: a
//! message sent by one subscriber is notified, fetched and acknowledged by
//! another, immediately and deferred, with delivery and read reports back to
//! the sender; repeats are idempotent; re-notification; expiry; forward.

mod common;

use std::time::Duration;

use common::*;
use ferry_mms::{Address, FromValue, Header, MessageType, Pdu, ReadStatus, ResponseStatus, Status, YesNo};
use ferry_mmsc::store::RecipientState;

fn content_location(p: &Pdu<'_>) -> String {
    p.content_location().expect("Content-Location").to_owned()
}

async fn send(h: &Harness, from: &str, to: &[&str], reports: bool) -> String {
    let mut req = send_req("T-send", to, 30_000);
    if reports {
        req.headers.push(Header::DeliveryReport(YesNo::YES));
        req.headers.push(Header::ReadReport(YesNo::YES));
    }
    let a = h.handset(from).post(req.to_bytes()).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["content-type"], "application/vnd.wap.mms-message");
    let conf = a.pdu();
    conf.validate().unwrap();
    assert_eq!(conf.message_type(), Some(MessageType::SEND_CONF));
    assert_eq!(conf.transaction_id(), Some("T-send"));
    assert_eq!(
        conf.response_status(),
        Some(ResponseStatus::OK),
        "{:?}",
        conf.response_text()
    );
    conf.message_id().expect("Message-ID").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immediate_retrieval_with_delivery_and_read_reports() {
    let h = Harness::start(|_| {}).await;
    let id = send(&h, ALICE, &[BOB], true).await;

    // Bob is notified.
    let n = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let n = Pdu::decode(&n.content).unwrap();
    n.validate().unwrap();
    let url = content_location(&n);
    assert!(url.starts_with(&format!("{}/m/", h.base)), "{url}");
    let token = url.rsplit('/').next().unwrap();
    assert!(token.len() >= 22, "token {token} carries at least 128 bits");
    assert_eq!(n.from().unwrap().to_string(), format!("{ALICE}/TYPE=PLMN"));
    assert_eq!(n.subject().unwrap().text(), "Holiday");
    let size = n.message_size().unwrap();
    assert!(size > 30_000);
    let tid = n.transaction_id().unwrap().to_owned();

    // Bob fetches it.
    let bob = h.handset(BOB);
    let a = bob.get(&url).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body.len() as u64,
        size + tid.len() as u64 + 2,
        "size announced = stored PDU; plus the transaction id"
    );
    let r = a.pdu();
    r.validate().unwrap();
    assert_eq!(r.message_type(), Some(MessageType::RETRIEVE_CONF));
    assert_eq!(r.transaction_id(), Some(tid.as_str()));
    assert_eq!(r.message_id(), Some(id.as_str()));
    assert_eq!(
        r.from(),
        Some(&FromValue::Address(Address::new(format!("{ALICE}/TYPE=PLMN"))))
    );
    assert_eq!(
        r.to().map(|a| a.to_string()).collect::<Vec<_>>(),
        [format!("{BOB}/TYPE=PLMN")]
    );
    assert_eq!(r.subject().unwrap().text(), "Holiday");
    assert!(r.date().is_some());
    assert_eq!(r.read_report(), Some(YesNo::YES));
    let ct = r.content_type().unwrap();
    assert_eq!(ct.param_text("start").as_deref(), Some("<smil>"));
    assert_eq!(ct.param_text("type").as_deref(), Some("application/smil"));
    let sent = parts(30_000);
    assert_eq!(
        body_parts(&r),
        sent.as_slice(),
        "parts with their headers, byte for byte"
    );

    // A repeated GET gives the same answer.
    let again = bob.get(&url).await;
    assert_eq!((again.status, &again.body), (200, &a.body));

    // Bob confirms; a duplicate NotifyResp is harmless.
    for _ in 0..2 {
        let a = bob.post(notify_resp(&tid, Status::RETRIEVED, Some(true))).await;
        assert_eq!(a.status, 200);
        assert!(a.body.is_empty());
    }

    // Alice gets exactly one delivery report.
    let d = h.wait_push(ALICE, MessageType::DELIVERY_IND, |_| true).await;
    let d = Pdu::decode(&d.content).unwrap();
    d.validate().unwrap();
    assert_eq!(d.message_id(), Some(id.as_str()));
    assert_eq!(d.status(), Some(Status::RETRIEVED));
    assert_eq!(d.to().next().unwrap().to_string(), format!("{BOB}/TYPE=PLMN"));

    // Bob reads it: Alice gets M-Read-Orig.ind.
    let rr = Pdu::read_rec_ind(
        id.clone(),
        Address::plmn(ALICE),
        FromValue::Insert,
        None,
        ReadStatus::READ,
    )
    .to_bytes();
    assert_eq!(bob.post(rr).await.status, 200);
    let ro = h.wait_push(ALICE, MessageType::READ_ORIG_IND, |_| true).await;
    let ro = Pdu::decode(&ro.content).unwrap();
    ro.validate().unwrap();
    assert_eq!(ro.message_id(), Some(id.as_str()));
    assert_eq!(ro.read_status(), Some(ReadStatus::READ));
    assert_eq!(ro.from().unwrap().to_string(), format!("{BOB}/TYPE=PLMN"));
    assert_eq!(ro.to().next().unwrap().to_string(), format!("{ALICE}/TYPE=PLMN"));

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.pushes_to(ALICE, MessageType::DELIVERY_IND).len(),
        1,
        "one delivery report only"
    );
    let rs = h.store.recipients(&id).await.unwrap();
    assert_eq!(rs[0].state, RecipientState::Retrieved);
    assert!(rs[0].acknowledged);

    // CDRs: submit, retrieve, delivery report, read report.
    let cdr_path = h.cdr_path();
    let _dir = h.stop().await;
    let text = std::fs::read_to_string(cdr_path).unwrap();
    let events: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    for k in ["submit", "retrieve", "delivery-report", "read-report"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let submit = events.iter().find(|e| e["event"] == "submit").unwrap();
    assert_eq!(submit["message_id"], id.as_str());
    assert_eq!(submit["from"], format!("{ALICE}/TYPE=PLMN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_retrieval_and_acknowledge() {
    let h = Harness::start(|_| {}).await;
    let id = send(&h, ALICE, &[BOB], true).await;
    let n = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let n = Pdu::decode(&n.content).unwrap();
    let tid = n.transaction_id().unwrap().to_owned();
    let bob = h.handset(BOB);

    // Deferred: Alice hears "deferred"; notifications stop.
    assert_eq!(bob.post(notify_resp(&tid, Status::DEFERRED, None)).await.status, 200);
    assert_eq!(bob.post(notify_resp(&tid, Status::DEFERRED, None)).await.status, 200);
    let d = h
        .wait_push(ALICE, MessageType::DELIVERY_IND, |d| {
            d.status() == Some(Status::DEFERRED)
        })
        .await;
    assert_eq!(Pdu::decode(&d.content).unwrap().message_id(), Some(id.as_str()));
    let before = h.pushes_to(BOB, MessageType::NOTIFICATION_IND).len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        h.pushes_to(BOB, MessageType::NOTIFICATION_IND).len(),
        before,
        "no re-notification once deferred"
    );

    // Later: GET, then M-Acknowledge.ind.
    let a = bob.get(&content_location(&n)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.pdu().transaction_id(), Some(tid.as_str()));
    let ack = Pdu::acknowledge_ind(tid.clone(), Some(true)).to_bytes();
    assert_eq!(bob.post(ack.clone()).await.status, 200);
    assert_eq!(bob.post(ack).await.status, 200, "a repeated acknowledgement is fine");
    h.wait_push(ALICE, MessageType::DELIVERY_IND, |d| {
        d.status() == Some(Status::RETRIEVED)
    })
    .await;
    let r = &h.store.recipients(&id).await.unwrap()[0];
    assert_eq!(r.state, RecipientState::Retrieved);
    assert!(r.acknowledged);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_allowed_no_and_rejection() {
    let h = Harness::start(|_| {}).await;
    // Bob rejects the first: Alice hears "rejected"; the URL is gone.
    let id1 = send(&h, ALICE, &[BOB], true).await;
    let n = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let n1 = Pdu::decode(&n.content).unwrap().into_owned();
    let bob = h.handset(BOB);
    assert_eq!(
        bob.post(notify_resp(n1.transaction_id().unwrap(), Status::REJECTED, None))
            .await
            .status,
        200
    );
    h.wait_push(ALICE, MessageType::DELIVERY_IND, |d| {
        d.status() == Some(Status::REJECTED) && d.message_id() == Some(id1.as_str())
    })
    .await;
    let a = bob.get(n1.content_location().unwrap()).await;
    assert_eq!(a.status, 410);
    assert_eq!(
        a.pdu().retrieve_status(),
        Some(ferry_mms::RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND)
    );

    // The second: Bob defers with Report-Allowed: No, then retrieves: no report at all.
    let id2 = send(&h, ALICE, &[BOB], true).await;
    let n = h
        .wait_push(BOB, MessageType::NOTIFICATION_IND, |p| {
            p.content_location() != n1.content_location()
        })
        .await;
    let n2 = Pdu::decode(&n.content).unwrap().into_owned();
    let tid = n2.transaction_id().unwrap();
    assert_eq!(
        bob.post(notify_resp(tid, Status::DEFERRED, Some(false))).await.status,
        200
    );
    assert_eq!(bob.get(n2.content_location().unwrap()).await.status, 200);
    assert_eq!(
        bob.post(Pdu::acknowledge_ind(tid.to_owned(), Some(false)).to_bytes())
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let about_2: Vec<_> = h
        .pushes_to(ALICE, MessageType::DELIVERY_IND)
        .into_iter()
        .filter(|d| d.message_id() == Some(id2.as_str()))
        .collect();
    assert!(about_2.is_empty(), "{about_2:?}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renotification_until_answered_and_after_gateway_failure() {
    let h = Harness::start(|_| {}).await;
    h.pushes.set_failing(true);
    let id = send(&h, ALICE, &[BOB], false).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(h.pushes_to(BOB, MessageType::NOTIFICATION_IND).is_empty());
    let r = &h.store.recipients(&id).await.unwrap()[0];
    assert_eq!(r.state, RecipientState::Pending);
    assert!(r.last_error.as_deref().unwrap_or("").contains("fail"), "{r:?}");
    // The gateway comes back: the notification goes out, then again (1 s back-off) with the same transaction id.
    h.pushes.set_failing(false);
    let first = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let tid = Pdu::decode(&first.content)
        .unwrap()
        .transaction_id()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let all = h.pushes_to(BOB, MessageType::NOTIFICATION_IND);
    assert!(all.len() >= 2, "re-notified: {}", all.len());
    assert!(all.iter().all(|p| p.transaction_id() == Some(tid.as_str())));
    // Retrieval stops it.
    assert_eq!(h.handset(BOB).get(all[0].content_location().unwrap()).await.status, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let n = h.pushes_to(BOB, MessageType::NOTIFICATION_IND).len();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(h.pushes_to(BOB, MessageType::NOTIFICATION_IND).len(), n);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_reports_and_collects() {
    let h = Harness::start(|_| {}).await;
    let mut req = send_req("T-exp", &[BOB, CAROL], 1000);
    req.headers.push(Header::DeliveryReport(YesNo::YES));
    req.headers.push(Header::Expiry(ferry_mms::TimeValue::Relative(3)));
    let a = h.handset(ALICE).post(req.to_bytes()).await;
    let id = a.pdu().message_id().unwrap().to_owned();
    let n = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let url = Pdu::decode(&n.content).unwrap().content_location().unwrap().to_owned();
    let n_carol = h.wait_push(CAROL, MessageType::NOTIFICATION_IND, |_| true).await;
    let carol_url = Pdu::decode(&n_carol.content)
        .unwrap()
        .content_location()
        .unwrap()
        .to_owned();
    // Carol fetches in time; Bob does not.
    let mut carol = Handset::new(&h.base, None, None);
    carol.basic = Some(("carol".into(), "secret".into()));
    assert_eq!(carol.get(&carol_url).await.status, 200);
    tokio::time::sleep(Duration::from_millis(3600)).await;
    h.running.sweep().await;
    let d = h
        .wait_push(ALICE, MessageType::DELIVERY_IND, |d| {
            d.status() == Some(Status::EXPIRED)
        })
        .await;
    assert_eq!(
        Pdu::decode(&d.content).unwrap().to().next().unwrap().to_string(),
        format!("{BOB}/TYPE=PLMN")
    );
    let a = h.handset(BOB).get(&url).await;
    assert_eq!(a.status, 410);
    assert_eq!(
        a.pdu().retrieve_status(),
        Some(ferry_mms::RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND)
    );
    assert!(a.pdu().retrieve_text().unwrap().text().contains("expired"));
    // Every recipient is final: the body is gone.
    h.running.sweep().await;
    let meta = h.store.message(&id).await.unwrap().unwrap();
    assert!(!meta.body_present);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_without_retrieval() {
    let h = Harness::start(|_| {}).await;
    let id = send(&h, ALICE, &[BOB], true).await;
    let n = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let url = Pdu::decode(&n.content).unwrap().content_location().unwrap().to_owned();
    let fwd = Pdu::new(MessageType::FORWARD_REQ, Some("T-fwd".into()), ferry_mms::Version::V1_3)
        .with(Header::From(FromValue::Insert))
        .with(Header::To(Address::plmn(CAROL)))
        .with(Header::ContentLocation {
            index: None,
            uri: url.clone().into(),
        });
    let a = h.handset(BOB).post(fwd.to_bytes()).await;
    assert_eq!(a.status, 200);
    let conf = a.pdu();
    conf.validate().unwrap();
    assert_eq!(conf.message_type(), Some(MessageType::FORWARD_CONF));
    assert_eq!(conf.response_status(), Some(ResponseStatus::OK));
    let new_id = conf.message_id().unwrap().to_owned();
    assert_ne!(new_id, id);
    // Alice hears "forwarded"; Carol gets the message from Bob.
    h.wait_push(ALICE, MessageType::DELIVERY_IND, |d| {
        d.status() == Some(Status::FORWARDED)
    })
    .await;
    let n = h.wait_push(CAROL, MessageType::NOTIFICATION_IND, |_| true).await;
    let curl = Pdu::decode(&n.content).unwrap().content_location().unwrap().to_owned();
    let mut carol = Handset::new(&h.base, None, None);
    carol.basic = Some(("carol".into(), "secret".into()));
    let a = carol.get(&curl).await;
    assert_eq!(a.status, 200);
    let r = a.pdu();
    assert_eq!(r.from().unwrap().to_string(), format!("{BOB}/TYPE=PLMN"));
    assert!(r.headers.iter().any(
        |h| matches!(h, Header::PreviouslySentBy { address, .. } if address.to_string() == format!("{ALICE}/TYPE=PLMN"))
    ));
    assert_eq!(body_parts(&r), parts(30_000).as_slice());
    // Forwarding a URL that is not yours: message not found.
    let a = h.handset(CAROL).post(fwd.to_bytes()).await;
    assert_eq!(
        a.pdu().response_status(),
        Some(ResponseStatus::PERMANENT_MESSAGE_NOT_FOUND)
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health() {
    let h = Harness::start(|_| {}).await;
    let c = reqwest::Client::new();
    let r = c.get(format!("{}/healthz", h.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c.get(format!("{}/metrics", h.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c.get(format!("{}/nothing", h.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    h.stop().await;
}
