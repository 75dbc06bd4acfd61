//! Whole-network tests: the example configuration (examples/network.toml)
//! on free loopback ports in a temporary directory, every flow checked
//! through the handset's own inbox.

use std::time::Duration;

use ferry_handset::retrieval::Report;
use ferry_handset::store::Direction;
use ferry_handset::{Alert, Attachment, Draft, Event};
use ferry_mms::{Pdu, Status, TimeValue};
use ferry_mmsc::Notifier;
use ferry_network::demo::wait_event;
use ferry_network::{Network, NetworkConfig, Step, Tracer};

struct Net {
    net: Network,
    _dir: tempfile::TempDir,
}

async fn start(tweak: impl FnOnce(&mut NetworkConfig)) -> Net {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NetworkConfig::example_on_free_ports();
    config.data_dir = dir.path().to_owned();
    tweak(&mut config);
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
        text: Some("a line of text".to_owned()),
        attachments: vec![Attachment::new("ferry.png", picture.clone())],
        delivery_report: true,
        ..Draft::default()
    };
    (d, picture)
}

fn received(subject: &str) -> impl FnMut(&Event) -> Option<i64> + '_ {
    move |e| match e {
        Event::Mms {
            id,
            alert: Alert::Received { subject: s, .. },
        } if s.as_deref() == Some(subject) => *id,
        _ => None,
    }
}

/// The image part of message `id` in `phone`'s inbox, read from disk.
async fn picture_in_inbox(net: &Network, phone: &str, id: i64) -> Vec<u8> {
    let info = net
        .handle(phone)
        .unwrap()
        .show(id)
        .await
        .unwrap()
        .expect("message in the inbox");
    assert_eq!(info.summary.state, "received");
    assert!(
        info.parts
            .iter()
            .any(|p| p.content_type.starts_with("application/smil")),
        "SMIL part"
    );
    assert!(
        info.parts
            .iter()
            .any(|p| p.content_type.starts_with("text/plain")),
        "text part"
    );
    let part = info
        .parts
        .iter()
        .find(|p| p.content_type.starts_with("image/png"))
        .expect("image part");
    std::fs::read(&part.path).unwrap()
}

fn count(net: &Network, mark: usize, step: &Step, path_contains: &str) -> usize {
    net.tracer()
        .since(mark)
        .iter()
        .filter(|e| &e.step == step && e.path.contains(path_contains))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picture_arrives_byte_for_byte_and_the_delivery_report_comes_back() {
    let n = start(|_| {}).await;
    let net = &n.net;
    let mut bob = net.handle("bob").unwrap().events();
    let mut alice_events = net.handle("alice").unwrap().events();
    let (draft, picture) = picture_draft(&net.phone("bob").unwrap().msisdn, "byte for byte");
    let sent = net.handle("alice").unwrap().send(&draft).await.unwrap();
    assert!(sent.accepted(), "{sent}");
    let id = wait_event(&mut bob, "bob's message", received("byte for byte"))
        .await
        .unwrap();
    assert_eq!(picture_in_inbox(net, "bob", id).await, picture);
    let mid = sent.message_id.clone().unwrap();
    wait_event(&mut alice_events, "the delivery report", |e| match e {
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
    // The report is in alice's own inbox, on the message she sent.
    let out = net.handle("alice").unwrap().inbox().await.unwrap();
    let mine = out
        .iter()
        .find(|s| s.direction == Direction::Out && s.message_id.as_deref() == Some(mid.as_str()))
        .unwrap();
    assert!(
        mine.detail.as_deref().unwrap_or("").contains("delivery to"),
        "{:?}",
        mine.detail
    );
    // network.json finds the phones for `ferry phone --network`.
    let dir = ferry_network::phone_dir(net.data_dir(), "bob").unwrap();
    assert_eq!(dir, net.phone("bob").unwrap().dir);
    assert_eq!(
        ferry_network::phone_dir(net.data_dir(), "+15550100002").unwrap(),
        dir
    );
    assert!(ferry_network::phone_dir(net.data_dir(), "nobody").is_err());
    n.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_phone_is_alerted_then_fetches() {
    let n = start(|_| {}).await;
    let net = &n.net;
    let carol = net.handle("carol").unwrap();
    let mut ev = carol.events();
    let mark = net.tracer().mark();
    let (draft, picture) = picture_draft(&net.phone("carol").unwrap().msisdn, "deferred");
    assert!(
        net.handle("alice")
            .unwrap()
            .send(&draft)
            .await
            .unwrap()
            .accepted()
    );
    let id = wait_event(&mut ev, "carol's alert", |e| match e {
        Event::Mms {
            id,
            alert: Alert::Pending(_),
        } => *id,
        _ => None,
    })
    .await
    .unwrap();
    let s = carol.mailbox().summary(id).await.unwrap().unwrap();
    assert_eq!(s.state, "deferred");
    assert_eq!(
        count(net, mark, &Step::Get, "carol"),
        0,
        "nothing fetched before the user asks"
    );
    // Fetched from "another terminal": the phone directory, as `ferry phone --network DIR --phone carol fetch ID` does.
    let dir = ferry_network::phone_dir(net.data_dir(), "carol").unwrap();
    let other = ferry_handset::Offline::open(&dir).await.unwrap();
    let s = other.fetch(id).await.unwrap();
    other.close().await;
    assert_eq!(s.state, "received", "{:?}", s.detail);
    assert_eq!(picture_in_inbox(net, "carol", id).await, picture);
    assert_eq!(count(net, mark, &Step::Get, "carol"), 1);
    assert_eq!(count(net, mark, &Step::Acknowledge, "carol"), 1);
    n.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_notification_is_not_fetched_twice() {
    let n = start(|_| {}).await;
    let net = &n.net;
    let bob = net.handle("bob").unwrap();
    let mut ev = bob.events();
    let mark = net.tracer().mark();
    let (draft, _) = picture_draft(&net.phone("bob").unwrap().msisdn, "once");
    assert!(
        net.handle("alice")
            .unwrap()
            .send(&draft)
            .await
            .unwrap()
            .accepted()
    );
    let id = wait_event(&mut ev, "bob's message", received("once"))
        .await
        .unwrap();
    let s = bob.mailbox().summary(id).await.unwrap().unwrap();
    // The same M-Notification.ind pushed again through the operator's gateway.
    let location = s
        .content_location
        .clone()
        .expect("content location recorded");
    let again = Pdu::notification_ind(
        s.transaction_id.clone(),
        location,
        10_000,
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
    pap.push(&bob.config().msisdn, again.into()).await.unwrap();
    let tid = s.transaction_id.clone();
    wait_event(&mut ev, "the duplicate", |e| match e {
        Event::Mms {
            alert: Alert::Duplicate { transaction_id },
            ..
        } if *transaction_id == tid => Some(()),
        _ => None,
    })
    .await
    .unwrap();
    assert_eq!(count(net, mark, &Step::Get, "bob"), 1, "fetched once");
    let inbox = bob.inbox().await.unwrap();
    assert_eq!(
        inbox
            .iter()
            .filter(|m| m.direction == Direction::In)
            .count(),
        1,
        "{inbox:?}"
    );
    n.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_attaches_later_gets_the_notification_from_the_smsc() {
    let mut n = start(|c| {
        c.operators[0]
            .phones
            .iter_mut()
            .find(|p| p.name == "bob")
            .unwrap()
            .attached = false;
    })
    .await;
    assert!(!n.net.phone("bob").unwrap().is_attached());
    let mark = n.net.tracer().mark();
    let (draft, picture) =
        picture_draft(&n.net.phone("bob").unwrap().msisdn, "stored and forwarded");
    assert!(
        n.net
            .handle("alice")
            .unwrap()
            .send(&draft)
            .await
            .unwrap()
            .accepted()
    );
    // The notification waits in the SMSC's store.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while n.net.operator("alpha").unwrap().smsc().unwrap().queued() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the SMSC never queued the notification"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(count(&n.net, mark, &Step::SmsSegment, "bob"), 0);
    n.net.attach("bob").await.unwrap();
    let mut ev = n.net.handle("bob").unwrap().events();
    // The phone may have stored it before we subscribed: look in the inbox too.
    let id = match tokio::time::timeout(
        Duration::from_secs(1),
        wait_event(&mut ev, "bob's message", received("stored and forwarded")),
    )
    .await
    {
        Ok(r) => r.unwrap(),
        Err(_) => loop {
            let list = n.net.handle("bob").unwrap().inbox().await.unwrap();
            if let Some(s) = list.iter().find(|s| {
                s.subject.as_deref() == Some("stored and forwarded") && s.state == "received"
            }) {
                break s.id;
            }
            assert!(
                tokio::time::Instant::now() < deadline + Duration::from_secs(15),
                "bob never got it: {list:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        },
    };
    assert_eq!(picture_in_inbox(&n.net, "bob", id).await, picture);
    assert!(count(&n.net, mark, &Step::SmsSegment, "bob") >= 1);
    n.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_that_fails_once_is_retried() {
    let n = start(|_| {}).await;
    let net = &n.net;
    let mut ev = net.handle("bob").unwrap().events();
    let mark = net.tracer().mark();
    net.operator("alpha").unwrap().proxy.fail_next_gets(1);
    let (draft, picture) = picture_draft(&net.phone("bob").unwrap().msisdn, "second time lucky");
    assert!(
        net.handle("alice")
            .unwrap()
            .send(&draft)
            .await
            .unwrap()
            .accepted()
    );
    let id = wait_event(&mut ev, "bob's message", received("second time lucky"))
        .await
        .unwrap();
    assert_eq!(picture_in_inbox(net, "bob", id).await, picture);
    assert_eq!(
        count(net, mark, &Step::Get, "bob"),
        2,
        "one refused GET, one that worked"
    );
    assert_eq!(count(net, mark, &Step::Failed, "bob"), 1);
    assert_eq!(count(net, mark, &Step::RetrieveConf, "bob"), 1);
    n.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    let opts = ferry_network::demo::DemoOptions {
        data_dir: Some(dir.path().to_owned()),
    };
    let outcome = ferry_network::demo::run(opts, &mut |l: &str| lines.push(l.to_owned()))
        .await
        .unwrap();
    let text = lines.join("\n");
    assert!(outcome.ok(), "{text}");
    for step in [
        "M-Send.req",
        "M-Send.conf",
        "PAP push",
        "SMS segment",
        "WAP Push",
        "GET",
        "M-Retrieve.conf",
        "M-NotifyResp.ind",
        "M-Acknowledge.ind",
        "delivery report",
    ] {
        assert!(text.contains(step), "{step} missing from\n{text}");
    }
    assert_eq!(
        std::fs::read(&outcome.received_picture).unwrap(),
        ferry_network::png::picture()
    );
    // The cross-operator message went over MM4 (not skipped).
    let cross = outcome
        .scenarios
        .iter()
        .find(|(n, _)| n.contains("MM4"))
        .expect("the cross-operator scenario");
    assert!(matches!(cross.1, Ok(None)), "{:?}\n{text}", cross.1);
    assert!(text.contains("MM4 forward.REQ"), "no MM4 hop in\n{text}");
    // And the e-mail went through the mail sink (MM3).
    let mail = outcome
        .scenarios
        .iter()
        .find(|(n, _)| n.contains("MM3"))
        .expect("the e-mail scenario");
    assert!(matches!(mail.1, Ok(None)), "{:?}\n{text}", mail.1);
    assert!(
        text.contains("the e-mail holds the picture, byte for byte"),
        "{text}"
    );
}
