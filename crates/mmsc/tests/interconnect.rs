//! The MMSC beyond its own subscribers, over real sockets on 127.0.0.1:
//! two MMSCs (A serving +1555…, B serving +1666…) exchanging MM4 over
//! their SMTP listeners; routing failures; the portability table.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ferry_mms::{Address, FromValue, Header, MessageType, Pdu, ReadStatus, ResponseStatus, Status, YesNo};
use ferry_mmsc::Config;
use ferry_mmsc::store::{NewSubscriber, OutboundKind, RecipientState, ReportState};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const DAVE: &str = "+16660000004";

fn free_port() -> u16 {
    ferry_service::ports::free_port().unwrap()
}

/// The interconnect sections of operator `me` (`a` or `b`) whose SMTP
/// listener is on `mine`, with the other operator's on `theirs`.
fn sections(me: &str, mine: u16, theirs: u16) -> String {
    let (own, other, other_range) = match me {
        "a" => ("+1555", "b", "+1666"),
        _ => ("+1666", "a", "+1555"),
    };
    format!(
        r#"
[routing]
country_code = "1"
own_ranges = ["{own}"]
local_domains = ["mms.{me}.test", "mail.{me}.test"]
[[routing.operators]]
name = "{other}"
ranges = ["{other_range}"]
mmsc_url = "smtp://127.0.0.1:{theirs}"
method = "mm4"
mm4_domain = "mms.{other}.test"
[mm4]
domain = "mms.{me}.test"
tls = "none"
retry_secs = [1]
poll_ms = 50
timeout_secs = 5
[smtp]
listen = "127.0.0.1:{mine}"
hostname = "mms.{me}.test"
local_domains = ["mms.{me}.test", "mail.{me}.test"]
[[smtp.peers]]
name = "{other}"
addresses = ["127.0.0.1"]
sender_domains = ["mms.{other}.test"]
"#
    )
}

/// Applies extra TOML sections to a test configuration.
fn with_sections(c: &mut Config, extra: &str) {
    let text = format!(
        "{}{extra}",
        config_text(
            c.listen.port(),
            c.store_dir.parent().unwrap(),
            "[gateway]\nkind = \"memory\""
        )
    );
    let parsed = Config::from_toml(&text).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
    c.routing = parsed.routing;
    c.mm4 = parsed.mm4;
    c.mm3 = parsed.mm3;
    c.smtp = parsed.smtp;
}

async fn operator(me: &str, mine: u16, theirs: u16) -> Harness {
    let extra = sections(me, mine, theirs);
    let h = Harness::start(move |c| with_sections(c, &extra)).await;
    h.store.add_subscriber(NewSubscriber::new(DAVE), 0).await.unwrap();
    h
}

async fn send_from(h: &Harness, from: &str, to: &[&str], reports: bool) -> Pdu<'static> {
    let mut req = send_req("T-send", to, 30_000);
    if reports {
        req.headers.push(Header::DeliveryReport(YesNo::YES));
        req.headers.push(Header::ReadReport(YesNo::YES));
    }
    let a = h.handset(from).post(req.to_bytes()).await;
    assert_eq!(a.status, 200);
    a.pdu().into_owned()
}

fn ok_id(conf: &Pdu<'_>) -> String {
    assert_eq!(
        conf.response_status(),
        Some(ResponseStatus::OK),
        "{:?}",
        conf.response_text()
    );
    conf.message_id().unwrap().to_owned()
}

/// The parts as the recipient sees them: same order, type, Content-Location
/// and octets.
fn assert_same_parts(got: &[ferry_wsp::Part<'_>], sent: &[ferry_wsp::Part<'_>]) {
    assert_eq!(got.len(), sent.len());
    for (g, s) in got.iter().zip(sent) {
        assert_eq!(g.content_type.media, s.content_type.media);
        assert_eq!(g.content_location(), s.content_location());
        assert_eq!(&*g.body, &*s.body, "part {} byte for byte", s.content_type.media);
    }
}

async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, mut f: impl FnMut() -> F) {
    let t0 = Instant::now();
    while !f().await {
        assert!(t0.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mm4_between_two_mmscs_with_delivery_and_read_reports() {
    let (pa, pb) = (free_port(), free_port());
    let a = operator("a", pa, pb).await;
    let b = operator("b", pb, pa).await;
    assert_eq!(a.running.smtp_addr.unwrap().port(), pa);

    // Alice (on A) writes to Dave (on B), in national form.
    let conf = send_from(&a, ALICE, &["1 (666) 000-0004"], true).await;
    let id = ok_id(&conf);
    let rs = a.store.recipients(&id).await.unwrap();
    assert_eq!(rs[0].address, format!("{DAVE}/TYPE=PLMN"), "normalised");
    let route = a.store.recipient_route(rs[0].id).await.unwrap().unwrap();
    assert_eq!((route.route.as_str(), route.operator.as_deref()), ("mm4", Some("b")));

    // B stores it and notifies Dave over WAP Push.
    let n = b.wait_push(DAVE, MessageType::NOTIFICATION_IND, |_| true).await;
    let n = Pdu::decode(&n.content).unwrap().into_owned();
    n.validate().unwrap();
    assert_eq!(n.from().unwrap().to_string(), format!("{ALICE}/TYPE=PLMN"));
    assert_eq!(n.subject().unwrap().text(), "Holiday");
    assert!(
        a.pushes_to(DAVE, MessageType::NOTIFICATION_IND).is_empty(),
        "A does not notify Dave"
    );
    let url = n.content_location().unwrap().to_owned();
    assert!(url.starts_with(&b.base), "{url} is B's");
    let tid = n.transaction_id().unwrap().to_owned();

    // Dave fetches it from B: the parts A received, byte for byte.
    let dave = b.handset(DAVE);
    let r = dave.get(&url).await;
    assert_eq!(r.status, 200);
    // Message type, transaction id, version first, in that order.
    let raw = &r.body;
    assert_eq!((raw[0], raw[1], raw[2]), (0x8C, 0x84, 0x98), "{:02X?}", &raw[..16]);
    let end = 3 + raw[3..].iter().position(|&b| b == 0).unwrap();
    assert_eq!(raw[end + 1], 0x8D, "X-Mms-MMS-Version after the transaction id");
    let r = r.pdu();
    r.validate().unwrap();
    assert_eq!(r.message_id(), Some(id.as_str()), "the Message-ID travels");
    assert_eq!(
        r.from(),
        Some(&FromValue::Address(Address::new(format!("{ALICE}/TYPE=PLMN"))))
    );
    assert_eq!(r.subject().unwrap().text(), "Holiday");
    assert_eq!(r.content_type().unwrap().param_text("start").as_deref(), Some("<smil>"));
    assert_same_parts(body_parts(&r), &parts(30_000));

    // A recorded the forward as sent, and the peer's MM4_forward.RES.
    wait_until("A's forward job done", || async {
        a.store
            .outbound_for_message(&id)
            .await
            .unwrap()
            .iter()
            .any(|o| o.kind == OutboundKind::Mm4Forward && o.state == ReportState::Done)
    })
    .await;
    wait_until("B's MM4_forward.RES sent", || async {
        b.store
            .outbound_for_message(&id)
            .await
            .unwrap()
            .iter()
            .any(|o| o.kind == OutboundKind::Mm4 && o.state == ReportState::Done)
    })
    .await;
    // Forwarded: Notified at A, or already Retrieved, since Dave's GET
    // counts as retrieval at B, whose MM4_delivery_report.REQ can overtake
    // the two waits above (seen in CI).
    let state = a.store.recipients(&id).await.unwrap()[0].state;
    assert!(
        matches!(state, RecipientState::Notified | RecipientState::Retrieved),
        "{state:?}"
    );

    // Dave confirms; B's delivery report (sent on retrieval) makes A push
    // M-Delivery.ind to Alice.
    assert_eq!(
        dave.post(notify_resp(&tid, Status::RETRIEVED, Some(true))).await.status,
        200
    );
    let d = a.wait_push(ALICE, MessageType::DELIVERY_IND, |_| true).await;
    let d = Pdu::decode(&d.content).unwrap();
    d.validate().unwrap();
    assert_eq!(d.message_id(), Some(id.as_str()));
    assert_eq!(d.status(), Some(Status::RETRIEVED));
    assert_eq!(d.to().next().unwrap().to_string(), format!("{DAVE}/TYPE=PLMN"));
    assert_eq!(
        a.store.recipients(&id).await.unwrap()[0].state,
        RecipientState::Retrieved
    );

    // Dave reads it: MM4_read_reply_report.REQ, then M-Read-Orig.ind to Alice.
    let rr = Pdu::read_rec_ind(
        id.clone(),
        Address::plmn(ALICE),
        FromValue::Insert,
        None,
        ReadStatus::READ,
    )
    .to_bytes();
    assert_eq!(dave.post(rr).await.status, 200);
    let ro = a.wait_push(ALICE, MessageType::READ_ORIG_IND, |_| true).await;
    let ro = Pdu::decode(&ro.content).unwrap();
    ro.validate().unwrap();
    assert_eq!(ro.message_id(), Some(id.as_str()));
    assert_eq!(ro.read_status(), Some(ReadStatus::READ));
    assert_eq!(ro.from().unwrap().to_string(), format!("{DAVE}/TYPE=PLMN"));

    // B's reports were answered by A (.RES queued at A and sent).
    wait_until("A's report answers sent", || async {
        a.store
            .outbound_for_message(&id)
            .await
            .unwrap()
            .iter()
            .filter(|o| o.kind == OutboundKind::Mm4 && o.state == ReportState::Done)
            .count()
            == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        a.pushes_to(ALICE, MessageType::DELIVERY_IND).len(),
        1,
        "one delivery report"
    );
    a.stop().await;
    b.stop().await;
}

async fn smtp_line(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    let mut l = String::new();
    loop {
        l.clear();
        r.read_line(&mut l).await.unwrap();
        // Skip continuation lines of multi-line replies.
        if l.len() < 4 || l.as_bytes()[3] != b'-' {
            return l;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mm4_from_a_non_peer_is_refused() {
    let (pa, pb) = (free_port(), free_port());
    let b = operator("b", pb, pa).await;
    // From an address that is no peer: refused at the greeting.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let s = sock.connect(format!("127.0.0.1:{pb}").parse().unwrap()).await.unwrap();
    let (rd, _wr) = s.into_split();
    let mut rd = BufReader::new(rd);
    let greeting = smtp_line(&mut rd).await;
    assert!(greeting.starts_with("554"), "{greeting}");
    assert!(greeting.contains("not a configured peer"), "{greeting}");

    // From the peer's address but another operator's domain: refused at MAIL FROM.
    let s = tokio::net::TcpStream::connect(("127.0.0.1", pb)).await.unwrap();
    let (rd, mut wr) = s.into_split();
    let mut rd = BufReader::new(rd);
    assert!(smtp_line(&mut rd).await.starts_with("220"));
    wr.write_all(b"EHLO mms.c.test\r\n").await.unwrap();
    assert!(smtp_line(&mut rd).await.starts_with("250"));
    wr.write_all(b"MAIL FROM:<system-user@mms.c.test>\r\n").await.unwrap();
    let l = smtp_line(&mut rd).await;
    assert!(l.starts_with("550"), "{l}");
    // And relaying through B: refused at RCPT TO.
    wr.write_all(b"RSET\r\nMAIL FROM:<system-user@mms.a.test>\r\n")
        .await
        .unwrap();
    assert!(smtp_line(&mut rd).await.starts_with("250"));
    assert!(smtp_line(&mut rd).await.starts_with("250"));
    wr.write_all(b"RCPT TO:<+15550000001/TYPE=PLMN@mms.elsewhere.test>\r\n")
        .await
        .unwrap();
    let l = smtp_line(&mut rd).await;
    assert!(l.starts_with("550"), "{l}");

    // A forward for a number that is not B's: 554 naming why.
    let fwd = b"X-Mms-3GPP-MMS-Version: 6.16.0\r\nX-Mms-Message-Type: MM4_forward.REQ\r\n\
X-Mms-Transaction-ID: t1\r\nX-Mms-Message-ID: m1\r\nFrom: +15550000001/TYPE=PLMN@mms.a.test\r\n\
To: +15550000002/TYPE=PLMN@mms.b.test\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
    let client =
        ferry_interconnect::SmtpClient::new(&ferry_interconnect::ClientConfig::plain("127.0.0.1", pb)).unwrap();
    let e = client
        .send(
            "system-user@mms.a.test",
            &["+15550000002/TYPE=PLMN@mms.b.test".to_owned()],
            fwd,
        )
        .await
        .unwrap_err();
    assert!(!e.is_transient(), "{e}");
    assert!(e.to_string().contains("none of the recipients"), "{e}");
    // Garbage that claims to be MM4: 554.
    let bad = b"X-Mms-Message-Type: MM4_forward.REQ\r\nFrom: x@mms.a.test\r\n\r\nhi\r\n";
    let e = client
        .send("system-user@mms.a.test", &[format!("{DAVE}/TYPE=PLMN@mms.b.test")], bad)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("malformed MM4"), "{e}");
    assert!(b.pushes.pushed().is_empty(), "nothing stored, nobody notified");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unroutable_recipient_fails_with_a_delivery_report_saying_why() {
    let (pa, pb) = (free_port(), free_port());
    let a = operator("a", pa, pb).await;
    // One local recipient, one nobody serves.
    let conf = send_from(&a, ALICE, &[BOB, "+17770000001"], true).await;
    let id = ok_id(&conf);
    a.wait_push(BOB, MessageType::NOTIFICATION_IND, |_| true).await;
    let d = a.wait_push(ALICE, MessageType::DELIVERY_IND, |_| true).await;
    let d = Pdu::decode(&d.content).unwrap();
    assert_eq!(d.message_id(), Some(id.as_str()));
    assert_eq!(d.status(), Some(Status::UNREACHABLE));
    assert_eq!(d.to().next().unwrap().to_string(), "+17770000001/TYPE=PLMN");
    let text = d
        .headers
        .iter()
        .find_map(|h| match h {
            Header::StatusText(t) => Some(t.text().into_owned()),
            _ => None,
        })
        .expect("X-Mms-Status-Text");
    assert!(text.contains("no operator serves +17770000001"), "{text}");
    let rs = a.store.recipients(&id).await.unwrap();
    assert_eq!(rs[1].state, RecipientState::Failed);
    assert!(a.pushes_to("+17770000001", MessageType::NOTIFICATION_IND).is_empty());

    // Nobody reachable at all: the M-Send.conf says so.
    let conf = send_from(&a, ALICE, &["+17770000001", "+1"], false).await;
    assert_eq!(
        conf.response_status(),
        Some(ResponseStatus::PERMANENT_SENDING_ADDRESS_UNRESOLVED)
    );
    let t = conf.response_text().unwrap().text().into_owned();
    assert!(t.contains("no operator serves +17770000001"), "{t}");
    assert!(t.contains("E.164"), "{t}");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portability_overrides_the_ranges() {
    let (pa, pb) = (free_port(), free_port());
    // Sweeps (and portability reloads) every second.
    let (ea, eb) = (sections("a", pa, pb), sections("b", pb, pa));
    let a = Harness::start(move |c| {
        with_sections(c, &ea);
        c.expiry.sweep_secs = 1;
    })
    .await;
    let b = Harness::start(move |c| {
        with_sections(c, &eb);
        c.expiry.sweep_secs = 1;
    })
    .await;
    // +1555…0009 is in A's range but ported to B: both operators' tables
    // say so (the CLI edits the table of a running MMSC).
    let file = a.dir.path().join("mmsc.toml");
    let text = format!(
        "{}{}",
        config_text(
            a.running.local_addr.port(),
            a.dir.path(),
            "[gateway]\nkind = \"memory\""
        ),
        sections("a", pa, pb)
    );
    std::fs::write(&file, text).unwrap();
    let file_b = b.dir.path().join("mmsc.toml");
    let text = format!(
        "{}{}",
        config_text(
            b.running.local_addr.port(),
            b.dir.path(),
            "[gateway]\nkind = \"memory\""
        ),
        sections("b", pb, pa)
    );
    std::fs::write(&file_b, text).unwrap();
    tokio::task::spawn_blocking(move || {
        assert_eq!(
            ferry_mmsc::cli::portability_add(&file_b, "+15550000009", "local").unwrap(),
            "+15550000009"
        );
        assert_eq!(
            ferry_mmsc::cli::portability_add(&file, "+1 555 000 0009", "b").unwrap(),
            "+15550000009"
        );
        ferry_mmsc::cli::portability_add(&file, "+15550000007", "b").unwrap();
        assert!(ferry_mmsc::cli::portability_remove(&file, "+15550000007").unwrap());
        assert!(!ferry_mmsc::cli::portability_remove(&file, "+15550000007").unwrap());
        let list = ferry_mmsc::cli::portability_list(&file).unwrap();
        assert_eq!(list, vec![("+15550000009".to_owned(), "b".to_owned())]);
        let e = ferry_mmsc::cli::portability_add(&file, "+15550000008", "zz").unwrap_err();
        assert!(format!("{e:#}").contains("unknown operator"), "{e:#}");
    })
    .await
    .unwrap();
    b.store
        .add_subscriber(NewSubscriber::new("+15550000009"), 0)
        .await
        .unwrap();
    // The running MMSC reloads the table.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let conf = send_from(&a, ALICE, &["+15550000009"], false).await;
    ok_id(&conf);
    b.wait_push("+15550000009", MessageType::NOTIFICATION_IND, |_| true)
        .await;
    assert!(a.pushes_to("+15550000009", MessageType::NOTIFICATION_IND).is_empty());
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mm4_forward_waits_for_the_peer_to_come_back() {
    let (pa, pb) = (free_port(), free_port());
    let a = operator("a", pa, pb).await;
    // B is down.
    let conf = send_from(&a, ALICE, &[DAVE], true).await;
    let id = ok_id(&conf);
    wait_until("a failed attempt", || async {
        a.store
            .outbound_for_message(&id)
            .await
            .unwrap()
            .iter()
            .any(|o| o.state == ReportState::Pending && o.attempts >= 2 && o.last_error.is_some())
    })
    .await;
    let o = &a.store.outbound_for_message(&id).await.unwrap()[0];
    assert!(
        o.last_error.as_deref().unwrap().contains("transient"),
        "{:?}",
        o.last_error
    );
    assert_eq!(a.store.recipients(&id).await.unwrap()[0].state, RecipientState::Pending);
    // B comes up on the port A forwards to: the forward arrives.
    let b = operator("b", pb, pa).await;
    b.wait_push(DAVE, MessageType::NOTIFICATION_IND, |_| true).await;
    wait_until("the forward recorded as sent", || async {
        a.store.recipients(&id).await.unwrap()[0].state == RecipientState::Notified
    })
    .await;
    a.stop().await;
    b.stop().await;
}

/// Operator A on the store in `dir` (kept across restarts).
async fn start_a_in(
    dir: &std::path::Path,
    pa: u16,
    pb: u16,
) -> (
    ferry_mmsc::Running,
    ferry_service::Shutdown,
    std::sync::Arc<ferry_mmsc::store::Store>,
    String,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let text = format!(
        "{}{}",
        config_text(port, dir, "[gateway]\nkind = \"memory\""),
        sections("a", pa, pb)
    );
    let config = Config::from_toml(&text).unwrap();
    let mut sc = ferry_mmsc::store::sqlite::SqliteConfig::new(dir.join("store"));
    sc.password_cost = ferry_mmsc::store::PasswordCost::Insecure;
    let store = std::sync::Arc::new(ferry_mmsc::store::Store::open_sqlite(sc).await.unwrap());
    let _ = store.add_subscriber(NewSubscriber::new(ALICE), 0).await;
    let (shutdown, _finished) = ferry_service::Shutdown::new();
    let running = ferry_mmsc::Mmsc::new(config)
        .store(store.clone())
        .notifier(ferry_mmsc::MemoryNotifier::new())
        .listener(listener)
        .start(shutdown.clone())
        .await
        .unwrap();
    let base = format!("http://{}", running.local_addr);
    (running, shutdown, store, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mm4_forward_queued_survives_a_restart_of_the_sender() {
    ferry_service::telemetry::init_logging();
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_port(), free_port());
    let (running, shutdown, store, base) = start_a_in(dir.path(), pa, pb).await;
    // B is down: the forward is queued and fails transiently.
    let req = send_req("T-send", &[DAVE], 30_000);
    let a = Handset::new(&base, Some(ALICE), None).post(req.to_bytes()).await;
    let id = ok_id(&a.pdu());
    wait_until("a failed attempt", || async {
        store
            .outbound_for_message(&id)
            .await
            .unwrap()
            .iter()
            .any(|o| o.state == ReportState::Pending && o.last_error.is_some())
    })
    .await;
    // A stops (as a restart would).
    shutdown.trigger();
    running.join().await;
    store.close().await.unwrap();
    // B comes up, A starts again on the same store: the job goes out.
    let b = operator("b", pb, pa).await;
    let (running, shutdown, store, _) = start_a_in(dir.path(), pa, pb).await;
    b.wait_push(DAVE, MessageType::NOTIFICATION_IND, |_| true).await;
    wait_until("the forward recorded as sent after the restart", || async {
        store.recipients(&id).await.unwrap()[0].state == RecipientState::Notified
    })
    .await;
    // The recipient's state and the job's are two commits: wait for both.
    wait_until("the forward job done after the restart", || async {
        store.outbound_for_message(&id).await.unwrap()[0].state == ReportState::Done
    })
    .await;
    let jobs = store.outbound_for_message(&id).await.unwrap();
    assert_eq!(jobs[0].state, ReportState::Done);
    assert!(jobs[0].attempts >= 2, "{jobs:?}");
    shutdown.trigger();
    running.join().await;
    store.close().await.unwrap();
    b.stop().await;
}
