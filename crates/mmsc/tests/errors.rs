//! Every error status the MMSC produces, over real sockets: M-Send.conf
//! Response-Status for submissions, M-Retrieve.conf Retrieve-Status (and the
//! HTTP status) for retrievals, and the identity refusals.

mod common;

use common::*;
use ferry_mms::{Header, MessageType, Pdu, ResponseStatus, RetrieveStatus, SenderVisibility, Version};
use ferry_mmsc::store::NewSubscriber;

async fn send_status(h: &Handset, body: Vec<u8>) -> (u16, ResponseStatus, String, String) {
    let a = h.post(body).await;
    assert_eq!(
        a.headers["content-type"], "application/vnd.wap.mms-message",
        "an MMS PDU, never an HTML page"
    );
    let p = a.pdu();
    assert_eq!(p.message_type(), Some(MessageType::SEND_CONF));
    p.validate().unwrap();
    assert!(p.message_id().is_none() || p.response_status() == Some(ResponseStatus::OK));
    (
        a.status,
        p.response_status().unwrap(),
        p.response_text().map(|t| t.text().into_owned()).unwrap_or_default(),
        p.transaction_id().unwrap_or("").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_conf_errors() {
    let h = Harness::start(|_| {}).await;
    h.store
        .add_subscriber(
            {
                let mut s = NewSubscriber::new("+15550000009");
                s.may_send = false;
                s
            },
            0,
        )
        .await
        .unwrap();
    h.store
        .add_subscriber(
            {
                let mut s = NewSubscriber::new("+15550000008");
                s.max_message_size = Some(5_000);
                s
            },
            0,
        )
        .await
        .unwrap();
    h.store
        .add_subscriber(
            {
                let mut s = NewSubscriber::new("+15550000007");
                s.may_hide_sender = true;
                s
            },
            0,
        )
        .await
        .unwrap();
    let alice = h.handset(ALICE);

    // Malformed PDU (not an MMS PDU at all; and one cut short).
    let (http, s, t, _) = send_status(&alice, b"<html>hello</html>".to_vec()).await;
    assert_eq!(
        (http, s),
        (200, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT),
        "{t}"
    );
    let full = send_req("T-cut", &[BOB], 2000).to_bytes();
    let (_, s, t, tid) = send_status(&alice, full[..full.len() - 900].to_vec()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT, "{t}");
    assert_eq!(tid, "T-cut", "the transaction id is echoed even from a broken PDU");

    // A mandatory field missing (no recipient).
    let mut p = send_req("T-norcpt", &[BOB], 10);
    p.headers.retain(|h| !matches!(h, Header::To(_)));
    let (_, s, t, tid) = send_status(&alice, p.to_bytes()).await;
    assert_eq!(
        (s, tid.as_str()),
        (ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT, "T-norcpt")
    );
    assert!(t.contains("recipient"), "{t}");

    // Unsupported major version: Error-unsupported-message, answered as 1.3.
    let p = send_req("T-v2", &[BOB], 10).with_version(Version::new(2, 0));
    let a = alice.post(p.to_bytes()).await;
    let conf = a.pdu();
    assert_eq!(conf.response_status(), Some(ResponseStatus::ERROR_UNSUPPORTED_MESSAGE));
    assert_eq!(conf.version(), Some(Version::V1_3));
    assert!(conf.response_text().unwrap().text().contains("2.0"));

    // Too large: over the server's limit (streamed, refused before buffering), and over the subscriber's.
    let (http, s, t, tid) = send_status(&alice, send_req("T-big", &[BOB], 150_000).to_bytes()).await;
    assert_eq!(
        (http, s, tid.as_str()),
        (200, ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED, "T-big")
    );
    assert!(t.contains("too large"), "{t}");
    let small = h.handset("+15550000008");
    let (_, s, _, _) = send_status(&small, send_req("T-sub", &[BOB], 6_000).to_bytes()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED);
    let (_, s, _, _) = send_status(&small, send_req("T-sub2", &[BOB], 3_000).to_bytes()).await;
    assert_eq!(s, ResponseStatus::OK);
    // Far over the drain limit: still an M-Send.conf, then the connection closes.
    let (_, s, _, _) = send_status(&alice, send_req("T-huge", &[BOB], 1_500_000).to_bytes()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED);

    // Unknown sender (identified, not in the subscriber table).
    let (_, s, t, _) = send_status(&h.handset("+15559999999"), send_req("T-unknown", &[BOB], 10).to_bytes()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_SENDING_ADDRESS_UNRESOLVED, "{t}");

    // Barred sender.
    let (_, s, t, _) = send_status(&h.handset("+15550000009"), send_req("T-barred", &[BOB], 10).to_bytes()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_SERVICE_DENIED, "{t}");
    assert!(t.contains("barred"));

    // Too many recipients (limit 3 in the test configuration).
    let (_, s, t, _) = send_status(
        &alice,
        send_req("T-many", &[BOB, CAROL, "+15550000004", "+15550000005"], 10).to_bytes(),
    )
    .await;
    assert_eq!(s, ResponseStatus::PERMANENT_SERVICE_DENIED, "{t}");
    assert!(t.contains("too many recipients"), "{t}");

    // A recipient that is no address at all.
    let p = Pdu::send_req(
        "T-badaddr".to_owned(),
        None,
        vec![ferry_mms::Address::new("12ab/TYPE=PLMN")],
        related(),
        parts(10),
    );
    let (_, s, _, _) = send_status(&alice, p.to_bytes()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT);

    // Hiding the sender without the right; allowed with it.
    let p = send_req("T-hide", &[BOB], 10).with(Header::SenderVisibility(SenderVisibility::HIDE));
    let (_, s, _, _) = send_status(&alice, p.to_bytes()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_ADDRESS_HIDING_NOT_SUPPORTED);
    let (_, s, _, _) = send_status(&h.handset("+15550000007"), p.to_bytes()).await;
    assert_eq!(s, ResponseStatus::OK);

    // Reply charging.
    let p = send_req("T-rc", &[BOB], 10).with(Header::ReplyCharging(ferry_mms::ReplyCharging::REQUESTED));
    let (_, s, _, _) = send_status(&alice, p.to_bytes()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_REPLY_CHARGING_NOT_SUPPORTED);

    // A PDU type a client does not send.
    let p = Pdu::send_conf("T-odd", ResponseStatus::OK, None);
    let (_, s, _, _) = send_status(&alice, p.to_bytes()).await;
    assert_eq!(s, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT);

    // The sender's claimed From is replaced by the authenticated MSISDN.
    let p = Pdu::send_req(
        "T-spoof".to_owned(),
        Some(ferry_mms::Address::plmn("+19999999999")),
        vec![ferry_mms::Address::plmn(BOB)],
        related(),
        parts(10),
    );
    let (_, s, _, _) = send_status(&alice, p.to_bytes()).await;
    assert_eq!(s, ResponseStatus::OK);
    h.wait_push(BOB, MessageType::NOTIFICATION_IND, |p| {
        p.from().is_some_and(|f| f.to_string() == format!("{ALICE}/TYPE=PLMN"))
    })
    .await;
    let froms: Vec<Option<String>> = h
        .pushes_to(BOB, MessageType::NOTIFICATION_IND)
        .iter()
        .map(|p| p.from().map(|f| f.to_string()))
        .collect();
    assert!(!froms.contains(&Some("+19999999999/TYPE=PLMN".into())), "{froms:?}");
    assert!(
        froms.contains(&None),
        "the hidden sender's notification has no From: {froms:?}"
    );

    // Storage failing: transient failure.
    h.store.close().await.unwrap();
    let (_, s, _, _) = send_status(&alice, send_req("T-store", &[BOB], 10).to_bytes()).await;
    assert_eq!(s, ResponseStatus::TRANSIENT_FAILURE);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_refusals() {
    let h = Harness::start(|_| {}).await;
    let body = send_req("T-anon", &[BOB], 10).to_bytes();
    // No header, no credentials: 401 with a challenge and an M-Send.conf.
    let anon = Handset::new(&h.base, None, None);
    let a = anon.post(body.clone()).await;
    assert_eq!(a.status, 401);
    assert!(a.headers["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(
        a.pdu().response_status(),
        Some(ResponseStatus::PERMANENT_SERVICE_DENIED)
    );
    assert_eq!(a.pdu().transaction_id(), Some("T-anon"));
    // The MSISDN header from an untrusted peer (127.0.0.2) is ignored.
    let untrusted = Handset::new(&h.base, Some(ALICE), Some("127.0.0.2".parse().unwrap()));
    let a = untrusted.post(body.clone()).await;
    assert_eq!(a.status, 401);
    // Wrong password.
    let mut carol = Handset::new(&h.base, None, None);
    carol.basic = Some(("carol".into(), "wrong".into()));
    let a = carol.post(body.clone()).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.pdu().response_status(),
        Some(ResponseStatus::PERMANENT_SERVICE_DENIED)
    );
    // The right one: accepted, and the sender is Carol's MSISDN.
    carol.basic = Some(("carol".into(), "secret".into()));
    let a = carol.post(body.clone()).await;
    assert_eq!((a.status, a.pdu().response_status()), (200, Some(ResponseStatus::OK)));
    let n = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    assert_eq!(
        Pdu::decode(&n.content).unwrap().from().unwrap().to_string(),
        format!("{CAROL}/TYPE=PLMN")
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrieve_errors() {
    let h = Harness::start(|_| {}).await;
    let a = h.handset(ALICE).post(send_req("T", &[BOB], 100).to_bytes()).await;
    assert_eq!(a.pdu().response_status(), Some(ResponseStatus::OK));
    let n = h.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let url = Pdu::decode(&n.content).unwrap().content_location().unwrap().to_owned();

    let check = |a: &Answer, http: u16, status: RetrieveStatus| {
        assert_eq!(a.status, http);
        assert_eq!(a.headers["content-type"], "application/vnd.wap.mms-message");
        let p = a.pdu();
        p.validate().unwrap();
        assert_eq!(p.message_type(), Some(MessageType::RETRIEVE_CONF));
        assert_eq!(p.retrieve_status(), Some(status), "{:?}", p.retrieve_text());
    };
    // Unknown URL.
    let a = h
        .handset(BOB)
        .get(&format!("{}/m/AAAAAAAAAAAAAAAAAAAAAAAAAAAA", h.base))
        .await;
    check(&a, 404, RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND);
    // Presented by a subscriber it was not issued to.
    let a = h.handset(CAROL).get(&url).await;
    check(&a, 403, RetrieveStatus::PERMANENT_SERVICE_DENIED);
    // Nobody identified.
    let a = Handset::new(&h.base, None, None).get(&url).await;
    check(&a, 401, RetrieveStatus::PERMANENT_SERVICE_DENIED);
    assert!(a.headers.contains_key("www-authenticate"));
    // Store unavailable: transient.
    let ok = h.handset(BOB).get(&url).await;
    assert_eq!(ok.status, 200);
    h.store.close().await.unwrap();
    let a = h.handset(BOB).get(&url).await;
    check(&a, 503, RetrieveStatus::TRANSIENT_FAILURE);
    // (Expired: 410 + Error-permanent-message-not-found, in mm1.rs expiry_reports_and_collects.)
    h.stop().await;
}
