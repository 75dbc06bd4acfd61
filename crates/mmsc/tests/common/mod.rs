//! Helpers shared by the MMSC's socket tests: a running MMSC on port 0 with
//! an in-memory push client, and a handset that speaks MM1 with reqwest.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferry_mms::{Address, Body, ContentType, Header, MessageType, Part, Pdu, Version};
use ferry_mmsc::notify::{MemoryNotifier, Pushed};
use ferry_mmsc::store::sqlite::SqliteConfig;
use ferry_mmsc::store::{NewSubscriber, PasswordCost, Store};
use ferry_mmsc::{Config, Mmsc, Running};
use ferry_service::Shutdown;
use ferry_wsp::Parameter;

pub const ALICE: &str = "+15550000001";
pub const BOB: &str = "+15550000002";
pub const CAROL: &str = "+15550000003";

/// Configuration text for tests: `{port}`, `{dir}` and `{extra}` filled in.
pub fn config_text(port: u16, dir: &std::path::Path, gateway: &str) -> String {
    format!(
        r#"
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
store_dir = "{dir}/store"
cdr_path = "{dir}/cdr.jsonl"
[identity]
msisdn_header = "X-MSISDN"
trusted_proxies = ["127.0.0.1"]
[limits]
max_message_size = 100000
max_recipients = 3
drain_limit = 1000000
[expiry]
default_secs = 3600
max_secs = 7200
sweep_secs = 3600
[notify]
retry_secs = [1]
poll_ms = 50
[reports]
retry_secs = [1]
ack_grace_secs = 0
poll_ms = 50
{gateway}
"#,
        dir = dir.display()
    )
}

pub struct Harness {
    pub running: Running,
    pub shutdown: Shutdown,
    pub pushes: Arc<MemoryNotifier>,
    pub store: Arc<Store>,
    pub base: String,
    pub dir: tempfile::TempDir,
}

impl Harness {
    /// An MMSC with Alice, Bob and Carol as subscribers (Carol has
    /// credentials `carol`/`secret`), the in-memory push client, and
    /// `tweak` applied to the configuration.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> Self {
        ferry_service::telemetry::init_logging();
        ferry_service::tls::install_ring_provider();
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut config = Config::from_toml(&config_text(port, dir.path(), "[gateway]\nkind = \"memory\"")).unwrap();
        tweak(&mut config);
        let mut sc = SqliteConfig::new(dir.path().join("store"));
        sc.password_cost = PasswordCost::Insecure;
        let store = Arc::new(Store::open_sqlite(sc).await.unwrap());
        for m in [ALICE, BOB] {
            store.add_subscriber(NewSubscriber::new(m), 0).await.unwrap();
        }
        let mut carol = NewSubscriber::new(CAROL);
        carol.username = Some("carol".into());
        carol.password = Some("secret".into());
        store.add_subscriber(carol, 0).await.unwrap();
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
        Self {
            running,
            shutdown,
            pushes,
            store,
            base,
            dir,
        }
    }

    pub fn handset(&self, msisdn: &str) -> Handset {
        Handset::new(&self.base, Some(msisdn), None)
    }

    pub fn cdr_path(&self) -> PathBuf {
        self.dir.path().join("cdr.jsonl")
    }

    /// Waits for a push to `msisdn` of this message type that `pred` likes.
    pub async fn wait_push(&self, msisdn: &str, mt: MessageType, pred: impl Fn(&Pdu<'_>) -> bool) -> Pushed {
        let msisdn = msisdn.to_owned();
        self.pushes
            .wait_for(Duration::from_secs(10), |p| {
                p.msisdn == msisdn && Pdu::decode(&p.content).is_ok_and(|d| d.message_type() == Some(mt) && pred(&d))
            })
            .await
            .unwrap_or_else(|| panic!("no {mt} pushed to {msisdn}; pushes: {:?}", self.pushes.pushed()))
    }

    pub fn pushes_to(&self, msisdn: &str, mt: MessageType) -> Vec<Pdu<'static>> {
        self.pushes
            .pushed()
            .into_iter()
            .filter(|p| p.msisdn == msisdn)
            .filter_map(|p| Pdu::decode(&p.content).ok().map(Pdu::into_owned))
            .filter(|d| d.message_type() == Some(mt))
            .collect()
    }

    /// Stops the server and closes the store; the directory lives on in
    /// the returned guard.
    pub async fn stop(self) -> tempfile::TempDir {
        self.shutdown.trigger();
        self.running.join().await;
        self.store.close().await.unwrap();
        self.dir
    }
}

/// A handset: an HTTP client that identifies itself with the MSISDN header
/// (as the operator's proxy would) or with Basic credentials.
pub struct Handset {
    pub client: reqwest::Client,
    pub base: String,
    pub msisdn: Option<String>,
    pub basic: Option<(String, String)>,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn pdu(&self) -> Pdu<'_> {
        Pdu::decode(&self.body)
            .unwrap_or_else(|e| panic!("answer (HTTP {}) is no PDU: {e}: {:02X?}", self.status, self.body))
    }
}

impl Handset {
    pub fn new(base: &str, msisdn: Option<&str>, local: Option<IpAddr>) -> Self {
        ferry_service::tls::install_ring_provider();
        let mut b = reqwest::Client::builder().timeout(Duration::from_secs(20));
        if let Some(ip) = local {
            b = b.local_address(ip);
        }
        Self {
            client: b.build().unwrap(),
            base: base.to_owned(),
            msisdn: msisdn.map(str::to_owned),
            basic: None,
        }
    }

    fn auth(&self, mut r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(m) = &self.msisdn {
            r = r.header("X-MSISDN", m);
        }
        if let Some((u, p)) = &self.basic {
            r = r.basic_auth(u, Some(p));
        }
        r
    }

    pub async fn post(&self, body: Vec<u8>) -> Answer {
        let r = self
            .auth(self.client.post(format!("{}/mms", self.base)))
            .header("Content-Type", "application/vnd.wap.mms-message")
            .body(body)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    pub async fn get(&self, url: &str) -> Answer {
        answer(self.auth(self.client.get(url)).send().await.unwrap()).await
    }
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.bytes().await.unwrap().to_vec();
    Answer { status, headers, body }
}

/// The parts of a typical picture message: SMIL (start), text, an image of
/// `image_len` octets.
pub fn parts(image_len: usize) -> Vec<Part<'static>> {
    let smil = br#"<smil><body><par dur="5s"><img src="pic.jpg"/><text src="t.txt"/></par></body></smil>"#.to_vec();
    let mut p0 = Part::new(ContentType::new("application/smil"), smil);
    p0.headers.push(ferry_wsp::multipart::content_id("<smil>"));
    let mut p1 = Part::new(
        ContentType::new("text/plain").with(Parameter::text("charset", "utf-8")),
        "Hello Bob ✓".as_bytes().to_vec(),
    );
    p1.headers.push(ferry_wsp::multipart::content_location("t.txt"));
    let img: Vec<u8> = (0..image_len).map(|i| (i * 7 % 251) as u8).collect();
    let mut p2 = Part::new(ContentType::new("image/jpeg"), img);
    p2.headers.push(ferry_wsp::multipart::content_location("pic.jpg"));
    vec![p0, p1, p2]
}

pub fn related() -> ContentType<'static> {
    ContentType::new("application/vnd.wap.multipart.related")
        .with(Parameter::text("start", "<smil>"))
        .with(Parameter::text("type", "application/smil"))
}

/// An M-Send.req from Insert-address-token to `to`, with a subject.
pub fn send_req(tid: &str, to: &[&str], image_len: usize) -> Pdu<'static> {
    Pdu::send_req(
        tid.to_owned(),
        None,
        to.iter().map(|t| Address::plmn(t)).collect(),
        related(),
        parts(image_len),
    )
    .with(Header::Subject(ferry_mms::EncodedString::new("Holiday")))
}

pub fn notify_resp(tid: &str, status: ferry_mms::Status, report_allowed: Option<bool>) -> Vec<u8> {
    let mut p = Pdu::notifyresp_ind(tid.to_owned(), status);
    if let Some(r) = report_allowed {
        p.headers.push(Header::ReportAllowed(r.into()));
    }
    p.to_bytes()
}

pub fn bytes_of(p: &Pdu<'_>) -> Vec<u8> {
    p.to_bytes()
}

pub fn version_of(p: &Pdu<'_>) -> Version {
    p.version().unwrap()
}

pub fn body_parts<'a>(p: &'a Pdu<'a>) -> &'a [Part<'a>] {
    match &p.body {
        Some(Body::Multipart(v)) => v,
        _ => &[],
    }
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}
