//! The phone driven over real sockets against a fake MMSC (axum on
//! loopback), with the SMS link replaced by a channel; and the storage
//! guarantees of the phone directory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use ferry_handset::config::{PhoneConfig, RetrievalMode};
use ferry_handset::phone::{Event, Offline, Phone};
use ferry_handset::retrieval::{Alert, Notice, Recorded};
use ferry_handset::sms::InboundSms;
use ferry_handset::store::{Direction, Mailbox};
use ferry_handset::{Attachment, Draft};
use ferry_mms::{
    Address, ContentType, FromValue, Header, MessageType, Pdu, ResponseStatus, Status, TimeValue,
    YesNo,
};
use ferry_service::Shutdown;
use ferry_sms::{WapPushOptions, wap_push_segments};
use ferry_wsp::content_type::Parameter;
use ferry_wsp::{Part, Push};
use tokio::sync::{broadcast, mpsc};

#[derive(Default)]
struct Mmsc {
    /// Content by transaction id.
    messages: HashMap<String, Vec<u8>>,
    /// GETs per transaction id.
    gets: HashMap<String, u32>,
    /// Answer 503 to this many GETs first.
    fail_first: u32,
    /// Every POSTed PDU.
    posts: Vec<Vec<u8>>,
    /// The X-MSISDN of every request.
    identities: Vec<Option<String>>,
}

type Shared = Arc<Mutex<Mmsc>>;

async fn serve_get(
    State(s): State<Shared>,
    Path(tid): Path<String>,
    h: HeaderMap,
) -> (StatusCode, Vec<u8>) {
    let mut m = s.lock().unwrap();
    m.identities
        .push(h.get("x-msisdn").map(|v| v.to_str().unwrap().to_owned()));
    *m.gets.entry(tid.clone()).or_default() += 1;
    if m.fail_first > 0 {
        m.fail_first -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, Vec::new());
    }
    match m.messages.get(&tid) {
        Some(b) => (StatusCode::OK, b.clone()),
        None => (StatusCode::NOT_FOUND, Vec::new()),
    }
}

async fn serve_post(State(s): State<Shared>, h: HeaderMap, body: Bytes) -> Vec<u8> {
    let mut m = s.lock().unwrap();
    m.identities
        .push(h.get("x-msisdn").map(|v| v.to_str().unwrap().to_owned()));
    m.posts.push(body.to_vec());
    let p = Pdu::decode(&body).unwrap();
    if p.message_type() == Some(MessageType::SEND_REQ) {
        assert!(p.to().count() > 0);
        if p.subject().is_some_and(|s| s.text() == "deny") {
            return Pdu::send_conf(
                p.transaction_id().unwrap().to_owned(),
                ResponseStatus::PERMANENT_SERVICE_DENIED,
                None,
            )
            .with(Header::ResponseText {
                index: None,
                text: ferry_wsp::EncodedString::new("Unable to send"),
            })
            .to_bytes();
        }
        return Pdu::send_conf(
            p.transaction_id().unwrap().to_owned(),
            ResponseStatus::OK,
            Some("MID-SENT-1".into()),
        )
        .to_bytes();
    }
    Vec::new()
}

async fn fake_mmsc() -> (Shared, String) {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/m/{tid}", get(serve_get))
        .route("/mms", post(serve_post))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, format!("http://{addr}"))
}

fn notification(base: &str, tid: &str, size: u64) -> Vec<u8> {
    Pdu::notification_ind(
        tid.to_owned(),
        format!("{base}/m/{tid}?pad={}", "x".repeat(120)),
        size,
        TimeValue::Relative(3600),
    )
    .with(Header::From(FromValue::Address(Address::plmn("+15550002"))))
    .with(Header::Subject(ferry_wsp::EncodedString::new("Picture")))
    .to_bytes()
}

fn retrieve_conf(tid: &str, read_report: bool) -> Vec<u8> {
    let mut text = Part::new(
        ContentType::new("text/plain").with(Parameter::text("name", "note.txt")),
        b"hello there".to_vec(),
    );
    text.headers
        .push(ferry_wsp::Header::text("Content-ID", "<note>"));
    let jpeg = Part::new(
        ContentType::new("image/jpeg").with(Parameter::text("name", "../evil.jpg")),
        vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
    );
    let same = Part::new(
        ContentType::new("image/jpeg").with(Parameter::text("name", "../evil.jpg")),
        vec![0xFF, 0xD8, 0xFF, 0xE0, 4],
    );
    let noname = Part::new(ContentType::new("audio/amr"), b"#!AMR\n".to_vec());
    Pdu::retrieve_conf(
        Some(tid.to_owned().into()),
        Some(format!("MID-{tid}").into()),
        Some(Address::plmn("+15550002")),
        1_700_000_000,
        ContentType::new("application/vnd.wap.multipart.mixed"),
        vec![text, jpeg, same, noname],
    )
    .with(Header::Subject(ferry_wsp::EncodedString::new("Picture")))
    .with(Header::ReadReport(YesNo::from(read_report)))
    .to_bytes()
}

/// The short messages an SMSC would deliver for this MMS notification.
fn segments(notification: &[u8], reference: u16) -> Vec<InboundSms> {
    let push = Push::mms(7, notification).with_content_length().to_bytes();
    wap_push_segments(&push, reference, &WapPushOptions::default())
        .unwrap()
        .iter()
        .map(|s| InboundSms {
            source: "+15559999".into(),
            esm_class: 0x40,
            data_coding: 4,
            payload: s.short_message(),
        })
        .collect()
}

async fn next_mms(events: &mut broadcast::Receiver<Event>) -> (Option<i64>, Alert) {
    loop {
        match tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .expect("an event in time")
            .unwrap()
        {
            Event::Mms { id, alert } => return (id, alert),
            _ => continue,
        }
    }
}

fn config(url: &str) -> PhoneConfig {
    let mut c = PhoneConfig::new("+15550001", format!("{url}/mms"));
    c.retrieval.retry_backoff_ms = 50;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immediate_retrieval_stores_then_acknowledges() {
    let (mmsc, url) = fake_mmsc().await;
    mmsc.lock()
        .unwrap()
        .messages
        .insert("T1".into(), retrieve_conf("T1", false));
    mmsc.lock().unwrap().fail_first = 1;
    let dir = tempfile::tempdir().unwrap();
    let (shutdown, finished) = Shutdown::new();
    let (tx, rx) = mpsc::channel(16);
    let phone = Phone::start(config(&url), dir.path(), rx, shutdown.clone())
        .await
        .unwrap();
    let mut events = phone.events();
    let segs = segments(&notification(&url, "T1", 2000), 42);
    assert!(segs.len() >= 2, "the notification is concatenated");
    for s in segs.iter().rev() {
        tx.send(s.clone()).await.unwrap();
    }
    let (id, alert) = next_mms(&mut events).await;
    assert!(
        matches!(alert, Alert::Received { ref transaction_id, .. } if transaction_id == "T1"),
        "{alert:?}"
    );
    let id = id.unwrap();

    // Stored: the index line, the PDU, every part under a safe unique name.
    let info = phone.show(id).await.unwrap().unwrap();
    assert_eq!(info.summary.state, "received");
    assert_eq!(info.summary.from.as_deref(), Some("+15550002"));
    assert_eq!(info.summary.message_id.as_deref(), Some("MID-T1"));
    let names: Vec<&str> = info.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["note.txt", "_evil.jpg", "_evil-2.jpg", "part-3.amr"]
    );
    for p in &info.parts {
        assert_eq!(std::fs::metadata(&p.path).unwrap().len(), p.size);
        assert!(
            p.path
                .starts_with(dir.path().join("messages").join(id.to_string()))
        );
    }
    assert_eq!(
        std::fs::read(info.folder.as_ref().unwrap().join("message.mms")).unwrap(),
        retrieve_conf("T1", false)
    );
    assert!(
        info.headers
            .iter()
            .any(|(n, v)| n == "Subject" && v == "Picture")
    );

    // The fetch was retried after a 503; NotifyResp Retrieved went out with the identity header.
    tokio::time::sleep(Duration::from_millis(200)).await;
    {
        let m = mmsc.lock().unwrap();
        assert_eq!(m.gets["T1"], 2);
        let p = Pdu::decode(m.posts.last().unwrap()).unwrap();
        assert_eq!(p.message_type(), Some(MessageType::NOTIFYRESP_IND));
        assert_eq!(p.status(), Some(Status::RETRIEVED));
        assert!(
            m.identities
                .iter()
                .all(|i| i.as_deref() == Some("+15550001"))
        );
    }

    // The same notification pushed again (a new SMS concatenation
    // reference, as a push gateway's retry has): not fetched twice.
    for s in segments(&notification(&url, "T1", 2000), 43) {
        tx.send(s).await.unwrap();
    }
    let (_, alert) = next_mms(&mut events).await;
    assert!(matches!(alert, Alert::Duplicate { .. }), "{alert:?}");
    assert_eq!(mmsc.lock().unwrap().gets["T1"], 2);

    // A text SMS is an event too.
    tx.send(InboundSms {
        source: "+1".into(),
        esm_class: 0,
        data_coding: 0,
        payload: b"hi".to_vec(),
    })
    .await
    .unwrap();
    loop {
        if let Event::Text { text, .. } = events.recv().await.unwrap() {
            assert_eq!(text, "hi");
            break;
        }
    }
    shutdown.trigger();
    drop(shutdown);
    drop(phone);
    tokio::time::timeout(Duration::from_secs(10), finished.wait())
        .await
        .expect("the phone stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_then_fetch_and_read_from_another_process() {
    let (mmsc, url) = fake_mmsc().await;
    mmsc.lock()
        .unwrap()
        .messages
        .insert("T2".into(), retrieve_conf("T2", true));
    let dir = tempfile::tempdir().unwrap();
    let (shutdown, _finished) = Shutdown::new();
    let (tx, rx) = mpsc::channel(16);
    let mut cfg = config(&url);
    cfg.retrieval.mode = RetrievalMode::Deferred;
    let phone = Phone::start(cfg, dir.path(), rx, shutdown.clone())
        .await
        .unwrap();
    let mut events = phone.events();
    for s in segments(&notification(&url, "T2", 2000), 1) {
        tx.send(s).await.unwrap();
    }
    let (id, alert) = next_mms(&mut events).await;
    let Alert::Pending(n) = &alert else {
        panic!("{alert:?}")
    };
    assert_eq!(
        (n.from.as_deref(), n.subject.as_deref(), n.size),
        (Some("+15550002"), Some("Picture"), Some(2000))
    );
    let id = id.unwrap();
    assert_eq!(phone.inbox().await.unwrap()[0].state, "deferred");
    assert!(
        mmsc.lock().unwrap().gets.is_empty(),
        "deferred: nothing fetched yet"
    );

    // Another process (here: another Offline on the same directory) fetches it.
    let other = Offline::open(dir.path()).await.unwrap();
    let s = other.fetch(id).await.unwrap();
    assert_eq!(s.state, "received");
    {
        let m = mmsc.lock().unwrap();
        let types: Vec<_> = m
            .posts
            .iter()
            .map(|p| Pdu::decode(p).unwrap().message_type().unwrap())
            .collect();
        assert_eq!(
            types,
            [MessageType::NOTIFYRESP_IND, MessageType::ACKNOWLEDGE_IND]
        );
        assert_eq!(
            Pdu::decode(&m.posts[0]).unwrap().status(),
            Some(Status::DEFERRED)
        );
    }
    assert!(other.fetch(id).await.is_err(), "already here");

    // Opening it sends a read report, once.
    let r = other.read(id).await.unwrap();
    assert!(r.first_time);
    assert_eq!(r.report, Some(Ok(())));
    let r = other.read(id).await.unwrap();
    assert!(!r.first_time);
    assert_eq!(r.report, None);
    {
        let m = mmsc.lock().unwrap();
        let rr: Vec<_> = m
            .posts
            .iter()
            .filter_map(|p| Pdu::decode(p).ok())
            .filter(|p| p.message_type() == Some(MessageType::READ_REC_IND))
            .collect();
        assert_eq!(rr.len(), 1);
        assert_eq!(rr[0].message_id(), Some("MID-T2"));
        assert_eq!(rr[0].to().next().unwrap().text(), "+15550002/TYPE=PLMN");
    }
    other.close().await;
    shutdown.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_prints_the_answer_and_records_the_message() {
    let (mmsc, url) = fake_mmsc().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("phone.toml"), config(&url).to_toml()).unwrap();
    let phone = Offline::open(dir.path()).await.unwrap();
    let draft = Draft {
        to: vec!["+15550002".into(), "friend@example.com".into()],
        subject: Some("S".into()),
        text: Some("T".into()),
        attachments: vec![Attachment::new(
            "photo.jpg",
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0],
        )],
        delivery_report: true,
        read_report: true,
        ..Draft::default()
    };
    let out = phone.send(&draft).await.unwrap();
    assert!(out.accepted(), "{out}");
    assert!(
        out.to_string()
            .contains("accepted by the MMSC: message id MID-SENT-1"),
        "{out}"
    );
    let s = phone.mailbox().summary(out.id).await.unwrap().unwrap();
    assert_eq!((s.direction, s.state.as_str()), (Direction::Out, "sent"));
    let info = phone.mailbox().get(out.id).await.unwrap().unwrap();
    assert_eq!(info.parts.len(), 3);
    let sent = Pdu::decode(&mmsc.lock().unwrap().posts[0])
        .unwrap()
        .into_owned();
    assert_eq!(sent.delivery_report(), Some(YesNo::YES));
    assert_eq!(sent.read_report(), Some(YesNo::YES));

    let denied = Draft {
        subject: Some("deny".into()),
        ..draft
    };
    let out = phone.send(&denied).await.unwrap();
    assert!(!out.accepted());
    assert_eq!(
        out.to_string(),
        format!(
            "[{}] refused by the MMSC: error-permanent-service-denied (Unable to send)",
            out.id
        )
    );
    assert_eq!(
        phone
            .mailbox()
            .summary(out.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        "refused"
    );
    phone.close().await;
}

#[tokio::test]
async fn nothing_half_fetched_is_visible() {
    let dir = tempfile::tempdir().unwrap();
    let mb = Mailbox::open(dir.path()).await.unwrap();
    let notice = Notice {
        transaction_id: "T9".into(),
        from: Some("+1".into()),
        subject: None,
        size: Some(10),
        content_location: "http://x/m/T9".into(),
        class: None,
        expiry: None,
    };
    let id = mb
        .record_notification(&notice, b"raw", Recorded::Fetching)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        mb.record_notification(&notice, b"raw", Recorded::Fetching)
            .await
            .unwrap(),
        None,
        "a transaction id is recorded once"
    );
    // A crash mid-write leaves a temporary folder and, at worst, a folder
    // renamed into place without its index commit.
    let tmp = dir.path().join("messages").join(format!(".tmp-{id}-1-0"));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("message.mms"), b"half").unwrap();
    std::fs::create_dir_all(mb.dir().folder(id)).unwrap();
    std::fs::write(mb.dir().folder(id).join("stale"), b"x").unwrap();
    // A PDU that cannot be stored changes nothing.
    assert!(mb.store_retrieved("T9", b"not a pdu").await.is_err());
    mb.close().await;
    let mb = Mailbox::open(dir.path()).await.unwrap();
    assert!(!tmp.exists(), "temporary folders are removed at open");
    let s = mb.summary(id).await.unwrap().unwrap();
    assert_eq!(s.state, "fetching");
    assert!(mb.get(id).await.unwrap().unwrap().parts.is_empty());
    assert!(
        mb.list()
            .await
            .unwrap()
            .iter()
            .all(|s| s.state != "received")
    );
    // The next successful store replaces the stray folder.
    let id2 = mb
        .store_retrieved("T9", &retrieve_conf("T9", false))
        .await
        .unwrap();
    assert_eq!(id2, id);
    assert!(!mb.dir().folder(id).join("stale").exists());
    assert_eq!(mb.summary(id).await.unwrap().unwrap().state, "received");
    assert_eq!(mb.get(id).await.unwrap().unwrap().parts.len(), 4);
    let leftovers: Vec<_> = std::fs::read_dir(mb.dir().messages())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    mb.close().await;
}

/// Over real SMPP: a gateway ESME submits the WAP Push to Ferry's SMSC, the
/// SMSC delivers it to the phone's SMPP session (bound as receiver with its
/// MSISDN), the phone fetches from the (fake) MMSC over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_ferry_smsc_over_smpp() {
    use ferry_esme::{Esme, EsmeConfig, PushOptions};
    use ferry_handset::config::SmscConfig;
    use ferry_handset::esme_link::EsmeLink;

    const SMSC: &str = r#"
listen = "127.0.0.1:0"
store = "memory"
[[accounts]]
system_id = "gw"
password = "gwpass"
role = "gateway"
[[accounts]]
system_id = "phone1"
password = "phone"
role = "handset"
prefixes = ["1555"]
[delivery]
retry_seconds = [1]
response_timeout_seconds = 2
"#;
    let smsc = ferry_smsc::Smsc::start(ferry_smsc::Config::from_toml(SMSC).unwrap())
        .await
        .expect("SMSC starts");
    let addr = smsc.local_addr().to_string();
    let (mmsc, url) = fake_mmsc().await;
    mmsc.lock()
        .unwrap()
        .messages
        .insert("E1".into(), retrieve_conf("E1", false));

    let dir = tempfile::tempdir().unwrap();
    let (shutdown, _finished) = Shutdown::new();
    let mut cfg = config(&url);
    let smsc_cfg = SmscConfig {
        address: addr.clone(),
        system_id: "phone1".into(),
        password: "phone".into(),
        system_type: String::new(),
        transceiver: false,
    };
    cfg.smsc = Some(smsc_cfg.clone());
    let link = EsmeLink::start(&smsc_cfg, &cfg.msisdn, shutdown.clone()).unwrap();
    let esme = link.esme().clone();
    tokio::time::timeout(Duration::from_secs(10), esme.bound())
        .await
        .expect("bound in time")
        .expect("bind accepted");
    let phone = Phone::start(cfg, dir.path(), link, shutdown.clone())
        .await
        .unwrap();
    let mut events = phone.events();

    let (gateway, _receipts) =
        Esme::start(EsmeConfig::new(addr, "gw", "gwpass"), shutdown.clone()).unwrap();
    gateway.bound().await.unwrap();
    let push = Push::mms(0, &notification(&url, "E1", 1234))
        .with_content_length()
        .to_bytes();
    let opts = PushOptions {
        source_addr: "12345".into(),
        ..Default::default()
    };
    let ids = gateway
        .submit_wap_push("+15550001", &push, &opts)
        .await
        .unwrap();
    assert!(ids.len() >= 2, "a concatenated push: {ids:?}");

    let (id, alert) = next_mms(&mut events).await;
    assert!(
        matches!(alert, Alert::Received { ref transaction_id, .. } if transaction_id == "E1"),
        "{alert:?}"
    );
    let info = phone.show(id.unwrap()).await.unwrap().unwrap();
    assert_eq!(info.summary.state, "received");
    assert_eq!(info.parts.len(), 4);
    assert_eq!(mmsc.lock().unwrap().gets["E1"], 1);
    shutdown.trigger();
}
