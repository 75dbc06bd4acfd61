//! Sender-hosted retrieval between two MMSCs over real sockets: "alpha"
//! keeps a message for a subscriber of "beta"; the subscriber's GET goes
//! to beta in proxy form, beta fetches it from alpha as a peer, keeps a
//! copy and relays the outcome; and every refusal (not a peer, unknown
//! peer, a number outside the peer's ranges, a bad signature).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use ferry_mms::{MessageType, Pdu, RetrieveStatus, Status};
use ferry_mmsc::notify::MemoryNotifier;
use ferry_mmsc::store::sqlite::SqliteConfig;
use ferry_mmsc::store::{NewSubscriber, PasswordCost, RecipientState, Store};
use ferry_mmsc::{Config, Mmsc, Running};
use ferry_service::Shutdown;
use tokio::net::TcpListener;

const DAVE: &str = "+15550200001";
const ERIN: &str = "+15550200002";
const SECRET: &str = "alpha-beta shared secret";

struct Side {
    name: String,
    peers: String,
    subscribers: Vec<String>,
    running: Option<Running>,
    shutdown: Shutdown,
    pushes: Arc<MemoryNotifier>,
    store: Arc<Store>,
    base: String,
    _dir: tempfile::TempDir,
}

impl Side {
    fn running(&self) -> &Running {
        self.running.as_ref().unwrap()
    }
    async fn stop(&mut self) {
        self.shutdown.trigger();
        if let Some(r) = self.running.take() {
            r.join().await;
        }
        self.store.close().await.unwrap();
    }

    /// Stops it (if running) and starts it again on the same port with the
    /// same data.
    async fn restart(self) -> Side {
        let mut me = self;
        if me.running.is_some() {
            me.stop().await;
        }
        let addr = me.base.trim_start_matches("http://").to_owned();
        let l = TcpListener::bind(&addr).await.unwrap();
        let subs: Vec<&str> = me.subscribers.iter().map(String::as_str).collect();
        side_in(&me.name, l, &subs, &me.peers, me._dir).await
    }
}

/// One MMSC named `name`, with `subscribers`, whose peers are `peers`
/// (`[[peers]]` text), on `listener`.
async fn side(name: &str, listener: TcpListener, subscribers: &[&str], peers: &str) -> Side {
    side_in(name, listener, subscribers, peers, tempfile::tempdir().unwrap()).await
}

/// The same, with its data in `dir` (a restart keeps it).
async fn side_in(name: &str, listener: TcpListener, subscribers: &[&str], peers: &str, dir: tempfile::TempDir) -> Side {
    ferry_service::telemetry::init_logging();
    ferry_service::tls::install_ring_provider();
    let port = listener.local_addr().unwrap().port();
    let text = format!(
        "{}\n[peering]\nname = \"{name}\"\ntimeout_ms = 2000\nrelay_retry_secs = [1]\n{peers}",
        config_text(port, dir.path(), "[gateway]\nkind = \"memory\"")
    );
    let config = Config::from_toml(&text).unwrap();
    let mut sc = SqliteConfig::new(dir.path().join("store"));
    sc.password_cost = PasswordCost::Insecure;
    let store = Arc::new(Store::open_sqlite(sc).await.unwrap());
    for m in subscribers {
        match store.add_subscriber(NewSubscriber::new(*m), 0).await {
            Ok(_) | Err(ferry_mmsc::store::StoreError::Duplicate { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    let pushes = MemoryNotifier::new();
    let (shutdown, _finished) = Shutdown::new();
    let running = Mmsc::new(config)
        .store(store.clone())
        .notifier(pushes.clone())
        .listener(listener)
        .start(shutdown.clone())
        .await
        .unwrap();
    let base = format!("http://{}", running.local_addr);
    Side {
        name: name.to_owned(),
        peers: peers.to_owned(),
        subscribers: subscribers.iter().map(|s| s.to_string()).collect(),
        running: Some(running),
        shutdown,
        pushes,
        store,
        base,
        _dir: dir,
    }
}

fn peer_text(name: &str, url: &str, ranges: &str) -> String {
    format!("[[peers]]\nname = \"{name}\"\nurl = \"{url}\"\nranges = [{ranges}]\nsecret = \"{SECRET}\"\n")
}

/// Alpha (subscribers ALICE, BOB) and beta (DAVE, ERIN), peers of each
/// other; beta has `extra` peers too.
async fn pair(extra: &str) -> (Side, Side) {
    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lb = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (ua, ub) = (
        format!("http://{}", la.local_addr().unwrap()),
        format!("http://{}", lb.local_addr().unwrap()),
    );
    let alpha = side("alpha", la, &[ALICE, BOB], &peer_text("beta", &ub, "\"+155502\"")).await;
    let beta = side(
        "beta",
        lb,
        &[DAVE, ERIN],
        &format!("{}{extra}", peer_text("alpha", &ua, "\"+1555000\"")),
    )
    .await;
    (alpha, beta)
}

/// A handset of beta whose every request goes through beta in proxy form
/// (as through its MMS proxy), with the MSISDN header.
fn beta_phone(beta: &Side, msisdn: &str) -> Handset {
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(&beta.base).unwrap())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    Handset {
        client,
        base: beta.base.clone(),
        msisdn: Some(msisdn.to_owned()),
        basic: None,
    }
}

/// Alice sends to `to` at alpha; the notification alpha pushed: (URL, tid).
async fn send_from_alpha(alpha: &Side, to: &str) -> (String, String, String) {
    let h = Handset::new(&alpha.base, Some(ALICE), None);
    let mut req = send_req("s1", &[to], 3000);
    req.headers
        .push(ferry_mms::Header::DeliveryReport(ferry_mms::YesNo::YES));
    let a = h.post(bytes_of(&req)).await;
    let conf = a.pdu();
    assert_eq!(conf.response_status(), Some(ferry_mms::ResponseStatus::OK));
    let mid = conf.message_id().unwrap().to_owned();
    let pushed = alpha
        .pushes
        .wait_for(Duration::from_secs(10), |p| p.msisdn == to)
        .await
        .expect("alpha notified the other operator's subscriber directly");
    let n = Pdu::decode(&pushed.content).unwrap();
    assert_eq!(n.message_type(), Some(MessageType::NOTIFICATION_IND));
    let url = n.content_location().unwrap().to_owned();
    assert!(url.starts_with(&alpha.base), "{url} is on alpha");
    (url, n.transaction_id().unwrap().to_owned(), mid)
}

async fn recipient_state(store: &Store, mid: &str) -> RecipientState {
    store.recipients(mid).await.unwrap()[0].state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_through_the_home_mmsc_kept_and_the_outcome_relayed() {
    let (mut alpha, mut beta) = pair("").await;
    let (url, tid, mid) = send_from_alpha(&alpha, DAVE).await;
    let dave = beta_phone(&beta, DAVE);

    let a = dave.get(&url).await;
    assert_eq!(a.status, 200, "{:?}", String::from_utf8_lossy(&a.body));
    let conf = a.pdu();
    assert_eq!(conf.message_type(), Some(MessageType::RETRIEVE_CONF));
    assert_eq!(conf.retrieve_status(), None);
    assert_eq!(conf.transaction_id(), Some(tid.as_str()));
    assert_eq!(conf.message_id(), Some(mid.as_str()));
    let img = body_parts(&conf)
        .iter()
        .find(|p| p.content_type.media.as_str() == "image/jpeg")
        .unwrap()
        .body
        .to_vec();
    assert_eq!(img, parts(3000)[2].body.to_vec(), "the image byte for byte");
    // Alpha served it (to the peer acting for Dave).
    assert_eq!(recipient_state(&alpha.store, &mid).await, RecipientState::Retrieved);
    // Beta kept a copy, for Dave, with alpha's transaction id.
    let copies = beta.running().peer_copies();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(copies[0].peer, "alpha");
    assert_eq!(copies[0].subscriber, DAVE);
    assert_eq!(copies[0].url, url);
    assert_eq!(copies[0].transaction_id.as_deref(), Some(tid.as_str()));

    // Dave's NotifyResp goes to beta, which relays it to alpha; alpha then
    // sends Alice the delivery report.
    let r = dave.post(notify_resp(&tid, Status::RETRIEVED, Some(true))).await;
    assert_eq!(r.status, 200);
    let ack = Pdu::acknowledge_ind(tid.clone(), Some(true)).to_bytes();
    assert_eq!(dave.post(ack).await.status, 200);
    let report = alpha
        .pushes
        .wait_for(Duration::from_secs(10), |p| {
            p.msisdn == ALICE
                && Pdu::decode(&p.content).is_ok_and(|d| {
                    d.message_type() == Some(MessageType::DELIVERY_IND)
                        && d.message_id() == Some(mid.as_str())
                        && d.status() == Some(Status::RETRIEVED)
                })
        })
        .await;
    assert!(
        report.is_some(),
        "Alice got the delivery report: {:?}",
        alpha.pushes.pushed()
    );
    // The acknowledgement reached alpha (relayed, not lost).
    let mut acked = false;
    for _ in 0..50 {
        if alpha.store.recipients(&mid).await.unwrap()[0].acknowledged {
            acked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(acked, "alpha recorded Dave's acknowledgement");

    // Erin (also beta's) cannot have Dave's copy; and alpha refuses beta
    // acting for Erin too.
    let erin = beta_phone(&beta, ERIN);
    let e = erin.get(&url).await;
    assert_eq!(e.status, 403);
    assert_eq!(
        e.pdu().retrieve_status(),
        Some(RetrieveStatus::PERMANENT_SERVICE_DENIED)
    );

    // With alpha gone, a repeated GET is served from beta's copy.
    alpha.stop().await;
    let again = dave.get(&url).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, a.body, "the copy is what was fetched");
    beta.stop().await;
}

/// A tiny HTTP server that counts its connections and answers 200 with a
/// body that would decode as nothing useful.
async fn tattletale() -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
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
    (format!("http://{addr}"), hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_mmsc_is_no_open_proxy() {
    let (mut alpha, mut beta) = pair("").await;
    let (stranger, hits) = tattletale().await;
    let dave = beta_phone(&beta, DAVE);
    for url in [format!("{stranger}/m/abcdef"), format!("{stranger}/anything?x=1")] {
        let a = dave.get(&url).await;
        assert_eq!(a.status, 403, "{url}");
        let p = a.pdu();
        assert_eq!(p.message_type(), Some(MessageType::RETRIEVE_CONF));
        assert_eq!(p.retrieve_status(), Some(RetrieveStatus::PERMANENT_SERVICE_DENIED));
        let text = p.retrieve_text().unwrap().text().into_owned();
        assert!(text.contains("not a peer operator"), "{text}");
    }
    // A POST through it to another server is refused too.
    let r = dave
        .client
        .post(format!("{stranger}/mms"))
        .header("X-MSISDN", DAVE)
        .body(notify_resp("T1", Status::RETRIEVED, None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the stranger was never contacted");
    assert!(beta.running().peer_copies().is_empty());
    alpha.stop().await;
    beta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_peer_is_a_transient_error() {
    // A peer "gamma" whose MMSC is not listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let gamma = peer_text("gamma", &format!("http://{closed}"), "\"+1555030\"");
    let (mut alpha, mut beta) = pair(&gamma).await;
    let dave = beta_phone(&beta, DAVE);
    let a = dave.get(&format!("http://{closed}/m/sometoken")).await;
    assert!(a.status == 502 || a.status == 504, "HTTP {}", a.status);
    assert_eq!(
        a.pdu().retrieve_status(),
        Some(RetrieveStatus::TRANSIENT_NETWORK_PROBLEM)
    );
    alpha.stop().await;
    beta.stop().await;
}

/// A GET signed as peer `peer` with `secret`, acting for `acting_for`.
async fn signed_get(url: &str, peer: &str, secret: &str, acting_for: &str) -> Answer {
    let uri: axum::http::Uri = url.parse().unwrap();
    let now = ferry_mmsc::unix_now();
    let path = uri.path_and_query().unwrap().as_str();
    let sig = ferry_mmsc::peer::signature(secret.as_bytes(), "GET", path, peer, acting_for, now, b"");
    let r = reqwest::Client::new()
        .get(url)
        .header(ferry_mmsc::peer::PEER_HEADER, peer)
        .header(ferry_mmsc::peer::ACTING_FOR_HEADER, acting_for)
        .header(ferry_mmsc::peer::TIME_HEADER, now.to_string())
        .header(ferry_mmsc::peer::SIGNATURE_HEADER, sig)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Answer {
        status,
        headers,
        body: r.bytes().await.unwrap().to_vec(),
    }
}

fn refusal(a: &Answer) -> String {
    let p = a.pdu();
    assert_eq!(p.retrieve_status(), Some(RetrieveStatus::PERMANENT_SERVICE_DENIED));
    p.retrieve_text().unwrap().text().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_mmsc_serves_only_the_recipients_home_mmsc() {
    let (mut alpha, mut beta) = pair("").await;
    let (url, _tid, mid) = send_from_alpha(&alpha, DAVE).await;

    // A peer that is not configured.
    let a = signed_get(&url, "gamma", SECRET, DAVE).await;
    assert_eq!(a.status, 403);
    assert!(refusal(&a).contains("not a peer operator"), "{}", refusal(&a));
    // Beta with the wrong secret.
    let a = signed_get(&url, "beta", "not the shared secret at all", DAVE).await;
    assert_eq!(a.status, 401);
    assert!(refusal(&a).contains("signature"));
    // Beta acting for a number outside its ranges (one of alpha's own).
    let a = signed_get(&url, "beta", SECRET, BOB).await;
    assert_eq!(a.status, 403);
    assert!(
        refusal(&a).contains("not in peer \"beta\"'s number ranges"),
        "{}",
        refusal(&a)
    );
    // Beta acting for another of its subscribers than the recipient.
    let a = signed_get(&url, "beta", SECRET, ERIN).await;
    assert_eq!(a.status, 403);
    assert!(refusal(&a).contains("not addressed to you"));
    // Nobody retrieved it so far.
    assert_ne!(recipient_state(&alpha.store, &mid).await, RecipientState::Retrieved);
    // A signed outcome from an unknown peer is refused as well.
    let r = reqwest::Client::new()
        .post(format!("{}/mms", alpha.base))
        .header(ferry_mmsc::peer::PEER_HEADER, "gamma")
        .header(ferry_mmsc::peer::ACTING_FOR_HEADER, DAVE)
        .header(ferry_mmsc::peer::TIME_HEADER, "0")
        .header(ferry_mmsc::peer::SIGNATURE_HEADER, "00")
        .body(notify_resp("T", Status::RETRIEVED, None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Beta for Dave, properly signed: served.
    let a = signed_get(&url, "beta", SECRET, DAVE).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.pdu().message_id(), Some(mid.as_str()));
    assert_eq!(recipient_state(&alpha.store, &mid).await, RecipientState::Retrieved);
    alpha.stop().await;
    beta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_before_any_fetch_finds_its_peer() {
    // Dave defers: his NotifyResp (Deferred) reaches beta before any
    // fetch, so beta does not know whose transaction it is; it is offered
    // to the peers, and alpha takes it.
    let (mut alpha, mut beta) = pair("").await;
    let (_url, tid, mid) = send_from_alpha(&alpha, DAVE).await;
    let dave = beta_phone(&beta, DAVE);
    let r = dave.post(notify_resp(&tid, Status::DEFERRED, None)).await;
    assert_eq!(r.status, 200);
    let mut state = RecipientState::Pending;
    for _ in 0..100 {
        state = recipient_state(&alpha.store, &mid).await;
        if state == RecipientState::Deferred {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, RecipientState::Deferred);
    alpha.stop().await;
    beta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let base = config_text(1, dir.path(), "[gateway]\nkind = \"memory\"");
    let no_name = format!("{base}\n{}", peer_text("beta", "http://127.0.0.1:2", "\"+155502\""));
    let e = format!("{:#}", Config::from_toml(&no_name).unwrap_err());
    assert!(e.contains("peering.name"), "{e}");
    let short = format!(
        "{base}\n[peering]\nname = \"a\"\n[[peers]]\nname = \"b\"\nurl = \"http://x\"\nranges = [\"+1\"]\nsecret = \"short\"\n"
    );
    let e = format!("{:#}", Config::from_toml(&short).unwrap_err());
    assert!(e.contains("at least 16"), "{e}");
    let bad_range = format!(
        "{base}\n[peering]\nname = \"a\"\n[[peers]]\nname = \"b\"\nurl = \"http://x\"\nranges = [\"1555x\"]\nsecret = \"{SECRET}\"\n"
    );
    assert!(Config::from_toml(&bad_range).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_and_the_outcome_survive_restarts_and_a_peer_outage() {
    let (mut alpha, beta) = pair("").await;
    let (url, tid, mid) = send_from_alpha(&alpha, DAVE).await;
    let dave = beta_phone(&beta, DAVE);
    let first = dave.get(&url).await;
    assert_eq!(first.status, 200);
    // Alpha goes away; Dave acknowledges: beta queues it and cannot relay.
    alpha.stop().await;
    let ack = Pdu::acknowledge_ind(tid.clone(), Some(true)).to_bytes();
    assert_eq!(dave.post(ack).await.status, 200, "accepted: queued durably");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Beta restarts: the copy is still served (alpha is still down).
    let beta = beta.restart().await;
    let dave = beta_phone(&beta, DAVE);
    let again = dave.get(&url).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body);
    assert_eq!(beta.running().peer_copies().len(), 1);
    // Alpha comes back: the queued acknowledgement reaches it.
    let alpha = alpha.restart().await;
    let mut acked = false;
    for _ in 0..100 {
        if alpha.store.recipients(&mid).await.unwrap()[0].acknowledged {
            acked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(acked, "the acknowledgement was relayed after the outage");
    let (mut alpha, mut beta) = (alpha, beta);
    alpha.stop().await;
    beta.stop().await;
}
