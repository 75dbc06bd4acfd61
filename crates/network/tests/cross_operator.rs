//! Sender-hosted retrieval across the example network's two operators
//! (alpha and beta are each other's peers in examples/network.toml), on
//! free loopback ports, checked through the phones' own inboxes: the
//! picture crosses, the delivery report comes back, the home MMSC keeps a
//! copy; and a notification pointing at a server that is no peer is
//! refused without that server being contacted.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferry_handset::retrieval::Report;
use ferry_handset::store::Direction;
use ferry_handset::{Alert, Attachment, Draft, Event};
use ferry_mms::{Pdu, Status, TimeValue};
use ferry_mmsc::Notifier;
use ferry_mmsc::store::RecipientState;
use ferry_network::demo::wait_event;
use ferry_network::{Network, NetworkConfig, Step, Tracer};

struct Net {
    net: Network,
    _dir: tempfile::TempDir,
}

async fn start() -> Net {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NetworkConfig::example_on_free_ports();
    config.data_dir = dir.path().to_owned();
    let net = Network::start(config, Tracer::new())
        .await
        .expect("network starts");
    Net { net, _dir: dir }
}

fn picture_draft(to: &str, subject: &str) -> (Draft, Vec<u8>) {
    let picture = ferry_network::png::picture();
    let d = Draft {
        to: vec![to.to_owned()],
        subject: Some(subject.to_owned()),
        text: Some("across the strait".to_owned()),
        attachments: vec![Attachment::new("ferry.png", picture.clone())],
        delivery_report: true,
        ..Draft::default()
    };
    (d, picture)
}

async fn picture_in_inbox(net: &Network, phone: &str, id: i64) -> Vec<u8> {
    let info = net
        .handle(phone)
        .unwrap()
        .show(id)
        .await
        .unwrap()
        .expect("message in the inbox");
    assert_eq!(info.summary.state, "received");
    let part = info
        .parts
        .iter()
        .find(|p| p.content_type.starts_with("image/png"))
        .expect("image part");
    std::fs::read(&part.path).unwrap()
}

/// `from` sends `to` (another operator's phone) a picture; checks it in
/// `to`'s inbox, the delivery report in `from`'s, the copy at `to`'s home
/// MMSC, the sender MMSC's record, and that the GET went through `to`'s
/// home operator for the sender MMSC's URL.
async fn across(net: &Network, from: &str, to: &str) {
    let sender = net.phone(from).unwrap();
    let recipient = net.phone(to).unwrap();
    assert_ne!(sender.operator, recipient.operator);
    let sender_op = net.operator(&sender.operator).unwrap();
    let home = net.operator(&recipient.operator).unwrap();
    let mut to_ev = recipient.running().unwrap().events();
    let mut from_ev = sender.running().unwrap().events();
    let mark = net.tracer().mark();
    let subject = format!("from {from} to {to}");
    let (draft, picture) = picture_draft(&recipient.msisdn, &subject);
    let sent = sender.running().unwrap().send(&draft).await.unwrap();
    assert!(sent.accepted(), "{sent}");
    let mid = sent.message_id.clone().unwrap();
    let id = wait_event(&mut to_ev, "the message", |e| match e {
        Event::Mms {
            id,
            alert: Alert::Received { subject: s, .. },
        } if s.as_deref() == Some(subject.as_str()) => *id,
        _ => None,
    })
    .await
    .unwrap();
    assert_eq!(
        picture_in_inbox(net, to, id).await,
        picture,
        "byte for byte"
    );
    wait_event(&mut from_ev, "the delivery report", |e| match e {
        Event::Mms {
            alert:
                Alert::Report(Report::Delivery {
                    message_id, status, ..
                }),
            ..
        } if *message_id == mid && *status == Status::RETRIEVED => Some(()),
        _ => None,
    })
    .await
    .unwrap();
    // The report is on the message in the sender's own box.
    let outbox = sender.running().unwrap().inbox().await.unwrap();
    let mine = outbox
        .iter()
        .find(|m| m.direction == Direction::Out && m.message_id.as_deref() == Some(mid.as_str()))
        .expect("the sent message in the sender's box");
    assert!(
        mine.detail.as_deref().unwrap_or("").contains("delivery to"),
        "{:?}",
        mine.detail
    );
    // The sender's MMSC kept the message and served it: Retrieved.
    let rs = sender_op.mmsc_store.recipients(&mid).await.unwrap();
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].state, RecipientState::Retrieved);
    // The home MMSC kept a copy, fetched from the sender's for this phone.
    let copies = home.peer_copies();
    let copy = copies
        .iter()
        .find(|c| c.message_id.as_deref() == Some(mid.as_str()))
        .expect("the home MMSC kept a copy");
    assert_eq!(copy.peer, *sender_op.name);
    assert_eq!(copy.subscriber, recipient.msisdn);
    assert!(copy.url.contains(&sender_op.mmsc_addr.to_string()));
    // The GET went through the recipient's home operator, for the sender
    // MMSC's URL; the notification came from the sender's operator.
    let events = net.tracer().since(mark);
    assert!(
        events.iter().any(|e| e.step == Step::Get
            && *e.operator == *home.name
            && e.detail.contains(&sender_op.mmsc_addr.to_string())),
        "GET through {}: {events:#?}",
        home.name
    );
    assert!(
        events
            .iter()
            .any(|e| e.step == Step::PapPush && *e.operator == *sender_op.name),
        "push by {}",
        sender_op.name
    );
    assert!(
        events
            .iter()
            .any(|e| e.step == Step::NotifyResp && *e.operator == *home.name),
        "NotifyResp to the home MMSC"
    );
    // Between the MMSCs: the home MMSC's fetch and its relay of the outcome.
    for step in [Step::PeerFetch, Step::PeerRelay] {
        assert!(
            events.iter().any(|e| e.step == step
                && *e.operator == *home.name
                && e.path.contains(&*sender_op.name)),
            "{step} by {}: {events:#?}",
            home.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_hosted_pictures_cross_operators_both_ways() {
    let n = start().await;
    across(&n.net, "alice", "dave").await;
    across(&n.net, "erin", "bob").await;
    n.net.shutdown().await;
}

/// A tiny HTTP server that counts connections.
async fn tattletale() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = l.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi")
                .await;
        }
    });
    (addr, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_pointing_at_a_non_peer_is_refused() {
    let n = start().await;
    let net = &n.net;
    let (stranger, hits) = tattletale().await;
    let dave = net.phone("dave").unwrap();
    let mut ev = dave.running().unwrap().events();
    // Someone gets an M-Notification.ind to Dave whose Content-Location is
    // on a server that is no peer of beta (pushed here through alpha's
    // gateway, as any SMS could carry it).
    let tid = "Tstranger1";
    let notification = Pdu::notification_ind(
        tid.to_owned(),
        format!("http://{stranger}/m/not-a-peer-token"),
        5_000,
        TimeValue::Relative(3600),
    )
    .to_bytes();
    let op = net.operator("alpha").unwrap();
    let pap = ferry_mmsc::PapNotifier::new(
        format!("http://{}/pap", op.ppg_addr),
        Some(("mmsc".into(), "mmsc-pass".into())),
        ferry_pap::PapVersion::V2_0,
        "ppg",
        Duration::from_secs(5),
    )
    .unwrap();
    pap.push(&dave.msisdn, notification.into()).await.unwrap();
    let reason = wait_event(&mut ev, "the refused fetch", |e| match e {
        Event::Mms {
            alert:
                Alert::Failed {
                    transaction_id,
                    reason,
                },
            ..
        } if transaction_id == tid => Some(reason.clone()),
        _ => None,
    })
    .await
    .unwrap();
    assert!(reason.contains("403"), "{reason}");
    assert!(reason.contains("not a peer operator"), "{reason}");
    assert!(
        net.tracer().since(0).iter().any(|e| e.step == Step::Failed
            && *e.operator == *"beta"
            && e.detail.contains("not a peer operator")),
        "the refusal is in the timeline"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the non-peer server was never contacted"
    );
    assert!(
        net.operator("beta")
            .unwrap()
            .peer_copies()
            .iter()
            .all(|c| !c.url.contains(&stranger.to_string())),
        "nothing kept from the stranger"
    );
    // The phone's inbox says so.
    let h = dave.running().unwrap();
    let inbox = h.inbox().await.unwrap();
    let m = inbox
        .iter()
        .find(|m| m.transaction_id == tid)
        .expect("the notification in Dave's inbox");
    assert_eq!(m.state, "failed", "{m:?}");
    assert!(
        m.detail
            .as_deref()
            .unwrap_or("")
            .contains("not a peer operator"),
        "{m:?}"
    );
    n.net.shutdown().await;
}

/// A GET of `url` signed as peer `peer` with `secret`, acting for
/// `acting_for`: (HTTP status, Retrieve-Text).
async fn signed_get(url: &str, peer: &str, secret: &str, acting_for: &str) -> (u16, String) {
    let uri: reqwest::Url = url.parse().unwrap();
    let now = ferry_mmsc::unix_now();
    let path = match uri.query() {
        Some(q) => format!("{}?{q}", uri.path()),
        None => uri.path().to_owned(),
    };
    let sig =
        ferry_mmsc::peer::signature(secret.as_bytes(), "GET", &path, peer, acting_for, now, b"");
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .header(ferry_mmsc::peer::PEER_HEADER, peer)
        .header(ferry_mmsc::peer::ACTING_FOR_HEADER, acting_for)
        .header(ferry_mmsc::peer::TIME_HEADER, now.to_string())
        .header(ferry_mmsc::peer::SIGNATURE_HEADER, sig)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.bytes().await.unwrap();
    let text = Pdu::decode(&body)
        .ok()
        .and_then(|p| p.retrieve_text().map(|t| t.text().into_owned()))
        .unwrap_or_default();
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_mmsc_refuses_unknown_peers_and_numbers_outside_the_peers_ranges() {
    let n = start().await;
    let net = &n.net;
    // Alice sends frank (beta, deferred): the message waits on alpha.
    let frank = net.phone("frank").unwrap();
    let mut ev = frank.running().unwrap().events();
    let (draft, _) = picture_draft(&frank.msisdn, "for frank, later");
    let sent = net.handle("alice").unwrap().send(&draft).await.unwrap();
    assert!(sent.accepted(), "{sent}");
    let mid = sent.message_id.clone().unwrap();
    let url = wait_event(&mut ev, "frank's alert", |e| match e {
        Event::Mms {
            alert: Alert::Pending(n),
            ..
        } if n.subject.as_deref() == Some("for frank, later") => Some(n.content_location.clone()),
        _ => None,
    })
    .await
    .unwrap();
    let alpha = net.operator("alpha").unwrap();
    assert!(
        url.contains(&alpha.mmsc_addr.to_string()),
        "{url} is alpha's"
    );
    let secret = alpha
        .peer_secret("beta")
        .expect("alpha and beta share a secret");
    // A peer that is not configured.
    let (status, text) = signed_get(&url, "gamma", secret, &frank.msisdn).await;
    assert_eq!(status, 403);
    assert!(text.contains("not a peer operator"), "{text}");
    // Beta, properly signed, but acting for a number outside its ranges.
    let alice = &net.phone("alice").unwrap().msisdn;
    let (status, text) = signed_get(&url, "beta", secret, alice).await;
    assert_eq!(status, 403);
    assert!(text.contains("number ranges"), "{text}");
    // Beta acting for another of its subscribers than the recipient.
    let dave = &net.phone("dave").unwrap().msisdn;
    let (status, text) = signed_get(&url, "beta", secret, dave).await;
    assert_eq!(status, 403);
    assert!(text.contains("not addressed to you"), "{text}");
    // Beta with a wrong secret.
    let (status, _) = signed_get(&url, "beta", "0123456789abcdef0123", &frank.msisdn).await;
    assert_eq!(status, 401);
    // Nothing was handed out; frank's NotifyResp (Deferred), sent to beta
    // before any fetch, reached alpha (beta offered it to its peers).
    let mut state = RecipientState::Pending;
    for _ in 0..100 {
        state = alpha.mmsc_store.recipients(&mid).await.unwrap()[0].state;
        if state == RecipientState::Deferred {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, RecipientState::Deferred);
    // Frank fetches it through beta: served.
    let h = frank.running().unwrap();
    let id = h
        .inbox()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject.as_deref() == Some("for frank, later"))
        .unwrap()
        .id;
    let s = h.fetch(id).await.unwrap();
    assert_eq!(s.state, "received", "{s:?}");
    let rs = alpha.mmsc_store.recipients(&mid).await.unwrap();
    assert_eq!(rs[0].state, RecipientState::Retrieved);
    n.net.shutdown().await;
}
