//! Sender-hosted retrieval between operators (`[peering]`, `[[peers]]`).
//!
//! The sender's MMSC keeps a message for a recipient of another operator
//! and notifies that recipient directly (its push gateway routes the SMS to
//! the other operator's SMSC); the notification's Content-Location is a URL
//! on the sender's MMSC. The recipient's handset sends its GET to its own
//! home MMSC (its MMS proxy), with that absolute URL in the request line.
//! This module is both sides of what follows:
//!
//! - **Home side** ([`fetch_for`]): a proxy-form GET whose URL is not this
//!   server's is fetched from the peer whose `url` it is under, signed as
//!   this server and naming the subscriber it acts for; the answer must be an
//!   M-Retrieve.conf; a copy is kept durably (a repeated GET is served from
//!   it) and returned. A URL on no configured peer is refused (HTTP 403,
//!   Error-permanent-service-denied "not a peer operator"): this server is
//!   no open proxy. A peer that cannot be reached gives HTTP 502/504 with
//!   Error-transient-network-problem.
//! - **Outcome relay** ([`relay_outcome`], [`relay_loop`]): the handset's
//!   M-NotifyResp.ind / M-Acknowledge.ind (by transaction id) and
//!   M-Read-Rec.ind (by Message-ID) for a message fetched from a peer are
//!   queued durably and POSTed, signed, to that peer, with retries. One
//!   whose transaction id names no fetched copy and no local recipient (a
//!   NotifyResp Deferred or Rejected sent before any fetch) is offered to
//!   every peer in turn until one takes it.
//! - **Sender side** ([`authenticate`]): a request signed by a configured
//!   peer is taken as the peer acting for one of its subscribers; only
//!   subscribers in the peer's `ranges`. The MM1 handlers then apply their
//!   usual check that the message is addressed to that subscriber.
//!
//! The signature (HMAC-SHA256 with the peering's shared secret) covers the
//! method, the path and query, the peer's name, the subscriber, the time and
//! the SHA-256 of the body:
//!
//! ```text
//! X-Ferry-Peer: beta
//! X-Ferry-Acting-For: +15550200001
//! X-Ferry-Peer-Time: 1796212800
//! X-Ferry-Peer-Signature: hex(HMAC-SHA256(secret,
//!     "ferry-peer-v1\n" METHOD "\n" PATH "\n" PEER "\n" SUBSCRIBER "\n" TIME "\n" hex(SHA-256(body))))
//! ```
//!
//! Durable state lives in `{store_dir}/peer/`: `copies/{key}.mms` (the
//! M-Retrieve.conf as fetched) and `copies/{key}.json` (its metadata,
//! written last: its presence commits the copy), `outbox/{id}.json` (an
//! outcome to relay) and `failed/{id}.json` (one given up on). Every file is
//! written to a temporary name, synced and renamed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use ferry_mms::{MessageType, Pdu, RetrieveStatus};
use ferry_service::Shutdown;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::config::{Config, PeerConfig};
use crate::identity::{Identity, normalize_msisdn};
use crate::pdu::{self, MMS_CONTENT_TYPE};
use crate::{Inner, unix_now};

/// The header naming the calling peer.
pub const PEER_HEADER: &str = "x-ferry-peer";
/// The header naming the subscriber the peer acts for.
pub const ACTING_FOR_HEADER: &str = "x-ferry-acting-for";
/// The header with the signing time (unix seconds).
pub const TIME_HEADER: &str = "x-ferry-peer-time";
/// The header with the signature.
pub const SIGNATURE_HEADER: &str = "x-ferry-peer-signature";

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new().chain_update(ipad).chain_update(msg).finalize();
    Sha256::new().chain_update(opad).chain_update(inner).finalize().into()
}

/// The signature of one request (hex).
pub fn signature(
    secret: &[u8],
    method: &str,
    path: &str,
    peer: &str,
    acting_for: &str,
    time: u64,
    body: &[u8],
) -> String {
    let text = format!(
        "ferry-peer-v1\n{method}\n{path}\n{peer}\n{acting_for}\n{time}\n{}",
        hex::encode(Sha256::digest(body))
    );
    hex::encode(hmac_sha256(secret, text.as_bytes()))
}

fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Scheme, host (lowercase) and port of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    fn of(uri: &Uri) -> Option<Self> {
        let https = match uri.scheme_str()? {
            s if s.eq_ignore_ascii_case("http") => false,
            s if s.eq_ignore_ascii_case("https") => true,
            _ => return None,
        };
        let a = uri.authority()?;
        Some(Self {
            https,
            host: a.host().to_ascii_lowercase(),
            port: a.port_u16().unwrap_or(if https { 443 } else { 80 }),
        })
    }
}

#[derive(Debug)]
struct Peer {
    config: PeerConfig,
    secret: Vec<u8>,
    origin: Origin,
    /// Path prefix of its URL, without a trailing slash.
    path: String,
}

impl Peer {
    fn serves(&self, uri: &Uri) -> bool {
        Origin::of(uri).is_some_and(|o| o == self.origin)
            && uri
                .path()
                .strip_prefix(self.path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    fn owns(&self, msisdn: &str) -> bool {
        self.config.ranges.iter().any(|r| msisdn.starts_with(r.as_str()))
    }
}

/// What is known of a copy fetched from a peer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CopyMeta {
    /// The retrieval URL on the peer.
    pub url: String,
    /// The peer's name.
    pub peer: String,
    /// The subscriber it was fetched for.
    pub subscriber: String,
    /// The M-Retrieve.conf's X-Mms-Transaction-ID (that of the
    /// notification).
    pub transaction_id: Option<String>,
    /// Its Message-ID.
    pub message_id: Option<String>,
    /// When it was fetched, unix seconds.
    pub fetched_at: u64,
    /// Its size, octets.
    pub size: u64,
}

/// An outcome waiting to be relayed to a peer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Outcome {
    id: String,
    /// The peer it goes to; None: not known yet (offered to every peer).
    peer: Option<String>,
    subscriber: String,
    what: String,
    pdu_b64: String,
    created_at: u64,
    attempts: u32,
    next_at: u64,
    last_error: Option<String>,
}

#[derive(Debug, Default)]
struct Index {
    by_key: HashMap<String, CopyMeta>,
    by_tid: HashMap<String, String>,
    by_message_id: HashMap<String, Vec<String>>,
}

impl Index {
    fn insert(&mut self, key: String, m: CopyMeta) {
        if let Some(t) = &m.transaction_id {
            self.by_tid.insert(t.clone(), key.clone());
        }
        if let Some(id) = &m.message_id {
            let v = self.by_message_id.entry(id.clone()).or_default();
            if !v.contains(&key) {
                v.push(key.clone());
            }
        }
        self.by_key.insert(key, m);
    }

    fn remove(&mut self, key: &str) {
        if let Some(m) = self.by_key.remove(key) {
            if let Some(t) = &m.transaction_id {
                self.by_tid.remove(t);
            }
            if let Some(id) = &m.message_id
                && let Some(v) = self.by_message_id.get_mut(id)
            {
                v.retain(|k| k != key);
                if v.is_empty() {
                    self.by_message_id.remove(id);
                }
            }
        }
    }
}

/// What kind of peering step an observer is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerStep {
    /// Home side: a GET to a peer MMSC for a subscriber (or the copy kept
    /// served instead).
    Fetch,
    /// Home side: a proxy-form GET refused (no peer's URL).
    Refused,
    /// Home side: an outcome POSTed to a peer.
    Relay,
}

/// One peering step, as an observer sees it.
#[derive(Debug, Clone)]
pub struct PeerEvent {
    /// What.
    pub step: PeerStep,
    /// The peer's name, when there is one.
    pub peer: Option<String>,
    /// The subscriber acted for.
    pub acting_for: String,
    /// It went through (fetched, relayed); false for a failure or refusal.
    pub ok: bool,
    /// Octets received (a fetch) or sent (a relay).
    pub size: Option<usize>,
    /// How long the exchange with the peer took.
    pub took: Option<Duration>,
    /// A few words: the URL, the HTTP status, the reason.
    pub detail: String,
}

/// Told about each peering step (the network launcher's timeline); called
/// inline, so it must be quick.
pub trait PeerObserver: Send + Sync + std::fmt::Debug + 'static {
    /// One step.
    fn observe(&self, event: &PeerEvent);
}

/// The peering state of one MMSC.
#[derive(Debug)]
pub(crate) struct Peers {
    me: String,
    peers: Vec<Peer>,
    own: Vec<Origin>,
    http: reqwest::Client,
    dir: PathBuf,
    index: Mutex<Index>,
    pub(crate) wake: Notify,
    pub(crate) observer: Option<Arc<dyn PeerObserver>>,
}

fn key_of(url: &str, subscriber: &str) -> String {
    let h = Sha256::new()
        .chain_update(b"ferry-mmsc peer copy\0")
        .chain_update(url.as_bytes())
        .chain_update([0])
        .chain_update(subscriber.as_bytes())
        .finalize();
    hex::encode(&h[..16])
}

/// Writes `data` to `path` durably: a temporary file, synced, renamed, and
/// the directory synced.
async fn write_durably(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let path = path.to_owned();
    let data = data.to_vec();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("f"),
            hex::encode(rand::random::<[u8; 6]>())
        ));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&data)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()
    })
    .await
    .map_err(std::io::Error::other)?
}

impl Peers {
    /// From the configuration (checked); creates the directories and reads
    /// the copies kept.
    pub(crate) fn open(c: &Config) -> anyhow::Result<Self> {
        use anyhow::Context;
        let mut peers = Vec::new();
        for p in &c.peers {
            let uri: Uri = p
                .url
                .parse()
                .with_context(|| format!("peer {:?}: url {:?}", p.name, p.url))?;
            let origin = Origin::of(&uri).with_context(|| format!("peer {:?}: url {:?} has no host", p.name, p.url))?;
            peers.push(Peer {
                secret: p.secret_value()?.into_bytes(),
                origin,
                path: uri.path().trim_end_matches('/').to_owned(),
                config: p.clone(),
            });
        }
        let mut own = Vec::new();
        for u in std::iter::once(&c.public_url).chain(&c.peering.aliases) {
            let o = u
                .parse::<Uri>()
                .ok()
                .as_ref()
                .and_then(Origin::of)
                .with_context(|| format!("{u:?} (public_url or peering.aliases) is not an http(s) URL"))?;
            own.push(o);
        }
        own.push(Origin {
            https: false,
            host: c.listen.ip().to_string(),
            port: c.listen.port(),
        });
        ferry_service::tls::install_ring_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_millis(c.peering.timeout_ms.max(1)))
            .build()
            .context("building the peer HTTP client")?;
        let dir = c.store_dir.join("peer");
        let mut index = Index::default();
        if !peers.is_empty() {
            for d in ["copies", "outbox", "failed"] {
                std::fs::create_dir_all(dir.join(d)).with_context(|| format!("creating {}", dir.join(d).display()))?;
            }
            for e in std::fs::read_dir(dir.join("copies")).context("reading the peer copies")? {
                let p = e?.path();
                if p.extension().and_then(|x| x.to_str()) != Some("json") {
                    continue;
                }
                let Some(key) = p.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                    continue;
                };
                match std::fs::read(&p)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<CopyMeta>(&b).ok())
                {
                    Some(m) => index.insert(key, m),
                    None => {
                        tracing::warn!(path = %p.display(), "unreadable peer copy metadata ignored")
                    }
                }
            }
        }
        Ok(Self {
            me: c.peering.name.clone().unwrap_or_default(),
            peers,
            own,
            http,
            dir,
            index: Mutex::new(index),
            wake: Notify::new(),
            observer: None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn observe(
        &self,
        step: PeerStep,
        peer: Option<&str>,
        acting_for: &str,
        ok: bool,
        size: Option<usize>,
        took: Option<Duration>,
        detail: String,
    ) {
        if let Some(o) = &self.observer {
            o.observe(&PeerEvent {
                step,
                peer: peer.map(str::to_owned),
                acting_for: acting_for.to_owned(),
                ok,
                size,
                took,
                detail,
            });
        }
    }

    /// True when peers are configured.
    pub(crate) fn enabled(&self) -> bool {
        !self.peers.is_empty()
    }

    /// The copies kept of messages fetched from peers.
    pub(crate) fn copies(&self) -> Vec<CopyMeta> {
        let i = self.index.lock().unwrap_or_else(|e| e.into_inner());
        i.by_key.values().cloned().collect()
    }

    /// True when `uri` is in absolute form and names another server than
    /// this one.
    pub(crate) fn is_foreign(&self, uri: &Uri) -> bool {
        match Origin::of(uri) {
            None => false,
            Some(o) => !self.own.contains(&o),
        }
    }

    fn peer(&self, name: &str) -> Option<&Peer> {
        self.peers.iter().find(|p| p.config.name == name)
    }

    fn sign(
        &self,
        r: reqwest::RequestBuilder,
        p: &Peer,
        method: &str,
        uri: &Uri,
        acting_for: &str,
        body: &[u8],
    ) -> reqwest::RequestBuilder {
        let now = unix_now();
        let path = uri.path_and_query().map_or("/", |x| x.as_str());
        r.header(PEER_HEADER, &self.me)
            .header(ACTING_FOR_HEADER, acting_for)
            .header(TIME_HEADER, now.to_string())
            .header(
                SIGNATURE_HEADER,
                signature(&p.secret, method, path, &self.me, acting_for, now, body),
            )
    }

    fn copy_paths(&self, key: &str) -> (PathBuf, PathBuf) {
        let d = self.dir.join("copies");
        (d.join(format!("{key}.mms")), d.join(format!("{key}.json")))
    }

    async fn enqueue(&self, o: &Outcome) -> std::io::Result<()> {
        let path = self.dir.join("outbox").join(format!("{}.json", o.id));
        write_durably(&path, &serde_json::to_vec(o).map_err(std::io::Error::other)?).await?;
        self.wake.notify_one();
        Ok(())
    }
}

/// A peer's request, authenticated.
#[derive(Debug, Clone)]
pub(crate) struct PeerCaller {
    /// The peer's name.
    pub(crate) peer: String,
    /// The subscriber (normalised) it acts for.
    pub(crate) acting_for: String,
}

/// Why a peer's request is refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PeerAuthError {
    #[error("{0:?} is not a peer operator of this server")]
    Unknown(String),
    #[error("peer request without {0}")]
    Missing(&'static str),
    #[error("the peer signature does not verify")]
    BadSignature,
    #[error("the peer request's time is {0} s off this server's clock")]
    Stale(u64),
    #[error("{subscriber} is not in peer {peer:?}'s number ranges")]
    OutOfRange { peer: String, subscriber: String },
}

impl PeerAuthError {
    pub(crate) fn http(&self) -> StatusCode {
        match self {
            Self::Missing(_) | Self::BadSignature | Self::Stale(_) => StatusCode::UNAUTHORIZED,
            Self::Unknown(_) | Self::OutOfRange { .. } => StatusCode::FORBIDDEN,
        }
    }
}

/// True when the request says it comes from a peer MMSC.
pub(crate) fn is_peer_request(headers: &HeaderMap) -> bool {
    headers.contains_key(PEER_HEADER)
}

/// Checks a peer's signed request (sender side).
pub(crate) fn authenticate(
    m: &Inner,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<PeerCaller, PeerAuthError> {
    let get = |n: &'static str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(PeerAuthError::Missing(n))
    };
    let name = get(PEER_HEADER)?;
    let Some(p) = m.peers.peer(name) else {
        metrics::counter!("mmsc_peer_refused_total", "why" => "unknown-peer").increment(1);
        tracing::warn!(peer = name, "request from an unknown peer refused");
        return Err(PeerAuthError::Unknown(name.to_owned()));
    };
    let acting_for = get(ACTING_FOR_HEADER)?;
    let time: u64 = get(TIME_HEADER)?
        .parse()
        .map_err(|_| PeerAuthError::Missing(TIME_HEADER))?;
    let sig = get(SIGNATURE_HEADER)?;
    let path = uri.path_and_query().map_or("/", |x| x.as_str());
    let want = signature(&p.secret, method, path, name, acting_for, time, body);
    if !same_secret(&want, &sig.to_ascii_lowercase()) {
        metrics::counter!("mmsc_peer_refused_total", "why" => "signature").increment(1);
        tracing::warn!(peer = name, "peer request with a bad signature refused");
        return Err(PeerAuthError::BadSignature);
    }
    let skew = unix_now().abs_diff(time);
    if skew > m.config.peering.max_clock_skew_secs {
        metrics::counter!("mmsc_peer_refused_total", "why" => "stale").increment(1);
        return Err(PeerAuthError::Stale(skew));
    }
    let subscriber = normalize_msisdn(acting_for);
    if !p.owns(&subscriber) {
        metrics::counter!("mmsc_peer_refused_total", "why" => "out-of-range").increment(1);
        tracing::warn!(peer = name, %subscriber, "peer acting for a number outside its ranges refused");
        return Err(PeerAuthError::OutOfRange {
            peer: name.to_owned(),
            subscriber,
        });
    }
    Ok(PeerCaller {
        peer: name.to_owned(),
        acting_for: subscriber,
    })
}

fn retrieve_answer(http: StatusCode, status: RetrieveStatus, text: &str) -> Response {
    metrics::counter!("mmsc_retrieve_total", "status" => status.to_string()).increment(1);
    let mut r = (http, pdu::retrieve_error(status, text, unix_now())).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(MMS_CONTENT_TYPE));
    r
}

fn mms_ok(body: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(MMS_CONTENT_TYPE));
    r
}

/// Home side: a proxy-form GET of `uri` (not this server's) by subscriber
/// `ident`.
pub(crate) async fn fetch_for(m: &Inner, ident: &Identity, uri: &Uri) -> Response {
    let ps = &m.peers;
    let url = uri.to_string();
    let Some(p) = ps.peers.iter().find(|p| p.serves(uri)) else {
        metrics::counter!("mmsc_peer_fetch_total", "result" => "not-a-peer").increment(1);
        tracing::warn!(%url, msisdn = %ident.msisdn, "retrieval from a server that is not a peer operator refused");
        let host = uri.authority().map_or("?", |a| a.as_str());
        ps.observe(
            PeerStep::Refused,
            None,
            &ident.msisdn,
            false,
            None,
            None,
            format!("{url}: {host} is not a peer operator, not fetched"),
        );
        return retrieve_answer(
            StatusCode::FORBIDDEN,
            RetrieveStatus::PERMANENT_SERVICE_DENIED,
            &format!("{host} is not a peer operator of this MMSC: not fetched"),
        );
    };
    if m.config.identity.require_subscriber && ident.subscriber.is_none() {
        return retrieve_answer(
            StatusCode::FORBIDDEN,
            RetrieveStatus::PERMANENT_SERVICE_DENIED,
            &format!("{} is not a subscriber of this server", ident.msisdn),
        );
    }
    let key = key_of(&url, &ident.msisdn);
    let (body_path, meta_path) = ps.copy_paths(&key);
    let known = ps
        .index
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .by_key
        .contains_key(&key);
    if known {
        match tokio::fs::read(&body_path).await {
            Ok(b) => {
                metrics::counter!("mmsc_peer_fetch_total", "result" => "copy").increment(1);
                tracing::debug!(%url, "served from the copy kept");
                ps.observe(
                    PeerStep::Fetch,
                    Some(&p.config.name),
                    &ident.msisdn,
                    true,
                    Some(b.len()),
                    None,
                    format!("{url}: served from the copy kept"),
                );
                return mms_ok(b);
            }
            Err(e) => {
                tracing::warn!(%url, error = %e, "the copy kept is unreadable: fetching again")
            }
        }
    }
    let started = std::time::Instant::now();
    let r = ps.sign(ps.http.get(&url), p, "GET", uri, &ident.msisdn, b"");
    let r = r.header(header::ACCEPT, MMS_CONTENT_TYPE).send().await;
    let resp = match r {
        Ok(r) => r,
        Err(e) => {
            metrics::counter!("mmsc_peer_fetch_total", "result" => "unreachable").increment(1);
            tracing::warn!(peer = %p.config.name, %url, error = %e, "peer MMSC unreachable");
            ps.observe(
                PeerStep::Fetch,
                Some(&p.config.name),
                &ident.msisdn,
                false,
                None,
                Some(started.elapsed()),
                format!("{url}: unreachable: {e}"),
            );
            let http = if e.is_timeout() {
                StatusCode::GATEWAY_TIMEOUT
            } else {
                StatusCode::BAD_GATEWAY
            };
            return retrieve_answer(
                http,
                RetrieveStatus::TRANSIENT_NETWORK_PROBLEM,
                &format!("the MMSC of peer {} cannot be reached; try again later", p.config.name),
            );
        }
    };
    let status = resp.status();
    let max = m.config.peering.max_message_size;
    if resp.content_length().is_some_and(|l| l > max) {
        return retrieve_answer(
            StatusCode::BAD_GATEWAY,
            RetrieveStatus::PERMANENT_FAILURE,
            &format!("the message on peer {} is larger than {max} octets", p.config.name),
        );
    }
    let bytes = match read_limited(resp, max).await {
        Ok(b) => b,
        Err(why) => {
            metrics::counter!("mmsc_peer_fetch_total", "result" => "broken").increment(1);
            tracing::warn!(peer = %p.config.name, %url, why, "reading the peer's answer");
            return retrieve_answer(
                StatusCode::BAD_GATEWAY,
                RetrieveStatus::TRANSIENT_NETWORK_PROBLEM,
                &format!("the answer of peer {} broke off: {why}", p.config.name),
            );
        }
    };
    let decoded = Pdu::decode(&bytes);
    let conf = match &decoded {
        Ok(pdu) if pdu.message_type() == Some(MessageType::RETRIEVE_CONF) => Some(pdu),
        _ => None,
    };
    let error_status = conf.and_then(|c| c.retrieve_status()).filter(|s| !s.is_ok());
    if !status.is_success() || error_status.is_some() {
        metrics::counter!("mmsc_peer_fetch_total", "result" => "refused").increment(1);
        tracing::info!(peer = %p.config.name, %url, http = status.as_u16(), ?error_status, "peer refused the retrieval");
        ps.observe(
            PeerStep::Fetch,
            Some(&p.config.name),
            &ident.msisdn,
            false,
            Some(bytes.len()),
            Some(started.elapsed()),
            format!(
                "{url}: HTTP {}{}",
                status.as_u16(),
                error_status.map(|s| format!(", {s}")).unwrap_or_default()
            ),
        );
        if conf.is_some() {
            // The peer's own answer, passed on (a 5xx as 502).
            let http = if status.is_server_error() {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY)
            };
            let mut r = (http, bytes).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(MMS_CONTENT_TYPE));
            return r;
        }
        let (http, st) = if status.is_server_error() {
            (StatusCode::BAD_GATEWAY, RetrieveStatus::TRANSIENT_NETWORK_PROBLEM)
        } else {
            (StatusCode::BAD_GATEWAY, RetrieveStatus::PERMANENT_FAILURE)
        };
        return retrieve_answer(
            http,
            st,
            &format!("peer {} answered HTTP {}", p.config.name, status.as_u16()),
        );
    }
    let Some(conf) = conf else {
        metrics::counter!("mmsc_peer_fetch_total", "result" => "not-retrieve-conf").increment(1);
        tracing::warn!(peer = %p.config.name, %url, "the peer's answer is not an M-Retrieve.conf");
        return retrieve_answer(
            StatusCode::BAD_GATEWAY,
            RetrieveStatus::PERMANENT_FAILURE,
            &format!("the answer of peer {} is not an M-Retrieve.conf", p.config.name),
        );
    };
    let meta = CopyMeta {
        url: url.clone(),
        peer: p.config.name.clone(),
        subscriber: ident.msisdn.clone(),
        transaction_id: conf.transaction_id().map(str::to_owned),
        message_id: conf.message_id().map(str::to_owned),
        fetched_at: unix_now(),
        size: bytes.len() as u64,
    };
    let meta_bytes = match serde_json::to_vec_pretty(&meta) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "encoding copy metadata");
            return retrieve_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                RetrieveStatus::TRANSIENT_FAILURE,
                "temporary failure, try again later",
            );
        }
    };
    let stored = async {
        write_durably(&body_path, &bytes).await?;
        write_durably(&meta_path, &meta_bytes).await
    }
    .await;
    if let Err(e) = stored {
        tracing::error!(error = %e, "keeping a copy of a peer's message");
        return retrieve_answer(
            StatusCode::SERVICE_UNAVAILABLE,
            RetrieveStatus::TRANSIENT_FAILURE,
            "temporary storage failure, try again later",
        );
    }
    ps.index
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, meta.clone());
    metrics::counter!("mmsc_peer_fetch_total", "result" => "fetched").increment(1);
    ps.observe(
        PeerStep::Fetch,
        Some(&p.config.name),
        &ident.msisdn,
        true,
        Some(bytes.len()),
        Some(started.elapsed()),
        format!(
            "{url}: HTTP {}, m-retrieve-conf, message id {}; copy kept",
            status.as_u16(),
            meta.message_id.as_deref().unwrap_or("?")
        ),
    );
    tracing::info!(peer = %p.config.name, %url, msisdn = %ident.msisdn, size = meta.size,
        took_ms = started.elapsed().as_millis() as u64, "message fetched from a peer and kept");
    m.cdr.record(crate::cdr::Cdr {
        ts: meta.fetched_at,
        event: "peer-retrieve",
        message_id: meta.message_id.clone().unwrap_or_default(),
        from: p.config.name.clone(),
        to: vec![format!("{}/TYPE=PLMN", ident.msisdn)],
        size: meta.size,
        status: "retrieved".into(),
        class: None,
    });
    mms_ok(bytes)
}

async fn read_limited(mut resp: reqwest::Response, max: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if (out.len() + chunk.len()) as u64 > max {
            return Err(format!("larger than {max} octets"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Home side: an outcome PDU from subscriber `ident`. `Some(answer)` when
/// it is about a message fetched from a peer (then it is queued for relay),
/// or when its transaction is unknown here and peers are configured (then
/// it is offered to the peers); `None` when it is this server's own.
pub(crate) async fn relay_outcome(m: &Inner, ident: &Identity, pdu: &Pdu<'_>, raw: &[u8]) -> Option<Response> {
    let ps = &m.peers;
    if !ps.enabled() {
        return None;
    }
    let mt = pdu.message_type()?;
    let copy = {
        let i = ps.index.lock().unwrap_or_else(|e| e.into_inner());
        if mt == MessageType::READ_REC_IND {
            pdu.message_id()
                .and_then(|id| i.by_message_id.get(id))
                .and_then(|keys| {
                    keys.iter()
                        .filter_map(|k| i.by_key.get(k))
                        .find(|c| c.subscriber == ident.msisdn)
                })
                .cloned()
        } else {
            pdu.transaction_id()
                .and_then(|t| i.by_tid.get(t))
                .and_then(|k| i.by_key.get(k))
                .cloned()
        }
    };
    let peer = match copy {
        Some(c) if c.subscriber != ident.msisdn => {
            tracing::warn!(msisdn = %ident.msisdn, "outcome for a peer message fetched for another subscriber refused");
            return Some(StatusCode::FORBIDDEN.into_response());
        }
        Some(c) => Some(c.peer),
        None if mt == MessageType::READ_REC_IND => return None,
        None => {
            let tid = pdu.transaction_id().filter(|t| !t.is_empty())?;
            let key = ferry_store::RecipientKey::TransactionId(tid.to_owned());
            // Ours? (The answer may have overtaken the recording of our
            // own notification: look twice.)
            for i in 0..2 {
                match m.store.delivery(&key).await {
                    Ok(Some(_)) => return None,
                    Ok(None) => {}
                    Err(_) => return None, // the local path reports the failure
                }
                if i == 0 {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
            None
        }
    };
    let now = unix_now();
    let o = Outcome {
        id: format!("{now:012}-{}", hex::encode(rand::random::<[u8; 8]>())),
        peer: peer.clone(),
        subscriber: ident.msisdn.clone(),
        what: mt.to_string(),
        pdu_b64: base64::engine::general_purpose::STANDARD.encode(raw),
        created_at: now,
        attempts: 0,
        next_at: now,
        last_error: None,
    };
    match ps.enqueue(&o).await {
        Ok(()) => {
            metrics::counter!("mmsc_peer_relays_queued_total").increment(1);
            tracing::info!(peer = ?peer, what = %o.what, msisdn = %ident.msisdn, "outcome queued for the peer");
            Some(StatusCode::OK.into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "queuing an outcome for a peer");
            Some(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}

/// How one relay attempt went.
enum Sent {
    Done,
    Permanent(String),
    Retry(String),
}

async fn post_to(ps: &Peers, p: &Peer, o: &Outcome, body: &[u8]) -> Sent {
    let url = if p.config.url.ends_with('/') {
        p.config.url.clone()
    } else {
        format!("{}/", p.config.url)
    };
    let Ok(uri) = url.parse::<Uri>() else {
        return Sent::Permanent(format!("bad peer url {url:?}"));
    };
    let r = ps
        .sign(ps.http.post(&url), p, "POST", &uri, &o.subscriber, body)
        .header(header::CONTENT_TYPE, MMS_CONTENT_TYPE)
        .body(body.to_vec())
        .send()
        .await;
    match r {
        Ok(r) if r.status().is_success() => Sent::Done,
        Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 || r.status().as_u16() == 408 => {
            Sent::Retry(format!("peer {} answered HTTP {}", p.config.name, r.status().as_u16()))
        }
        Ok(r) => Sent::Permanent(format!("peer {} answered HTTP {}", p.config.name, r.status().as_u16())),
        Err(e) => Sent::Retry(format!("peer {} unreachable: {e}", p.config.name)),
    }
}

async fn relay_one(m: &Inner, path: &Path, mut o: Outcome) {
    let ps = &m.peers;
    let c = &m.config.peering;
    let now = unix_now();
    let Ok(body) = base64::engine::general_purpose::STANDARD.decode(&o.pdu_b64) else {
        give_up(ps, path, &mut o, "the queued PDU is unreadable".into()).await;
        return;
    };
    o.attempts += 1;
    let started = std::time::Instant::now();
    let result = match &o.peer {
        Some(name) => match ps.peer(name) {
            Some(p) => post_to(ps, p, &o, &body).await,
            None => Sent::Permanent(format!("peer {name:?} is no longer configured")),
        },
        None => {
            // Offered to every peer: the one whose transaction it is takes it.
            let mut last = Sent::Retry("no peer knows the transaction yet".into());
            for p in &ps.peers {
                match post_to(ps, p, &o, &body).await {
                    Sent::Done => {
                        o.peer = Some(p.config.name.clone());
                        last = Sent::Done;
                        break;
                    }
                    Sent::Permanent(e) | Sent::Retry(e) => {
                        last = Sent::Retry(format!("no peer took it yet (last: {e})"));
                    }
                }
            }
            if !matches!(last, Sent::Done) && now.saturating_sub(o.created_at) > c.keep_secs {
                Sent::Permanent("no peer took it".into())
            } else {
                last
            }
        }
    };
    let (ok, detail) = match &result {
        Sent::Done => (true, format!("{}, HTTP 2xx", o.what)),
        Sent::Permanent(e) => (false, format!("{}: {e}", o.what)),
        Sent::Retry(e) => (false, format!("{}: {e} (attempt {}, will retry)", o.what, o.attempts)),
    };
    ps.observe(
        PeerStep::Relay,
        o.peer.as_deref(),
        &o.subscriber,
        ok,
        Some(body.len()),
        Some(started.elapsed()),
        detail,
    );
    match result {
        Sent::Done => {
            metrics::counter!("mmsc_peer_relays_total", "result" => "sent").increment(1);
            tracing::info!(peer = ?o.peer, what = %o.what, msisdn = %o.subscriber, "outcome relayed to the peer");
            if let Err(e) = tokio::fs::remove_file(path).await {
                tracing::error!(path = %path.display(), error = %e, "removing a relayed outcome");
            }
        }
        Sent::Permanent(e) => give_up(ps, path, &mut o, e).await,
        Sent::Retry(e) if o.attempts >= c.relay_max_attempts => give_up(ps, path, &mut o, e).await,
        Sent::Retry(e) => {
            metrics::counter!("mmsc_peer_relays_total", "result" => "retry").increment(1);
            let i = (o.attempts.max(1) as usize - 1).min(c.relay_retry_secs.len().saturating_sub(1));
            o.next_at = now + c.relay_retry_secs.get(i).copied().unwrap_or(60);
            tracing::warn!(peer = ?o.peer, attempt = o.attempts, error = %e, "relaying an outcome failed; will retry");
            o.last_error = Some(e);
            if let Ok(b) = serde_json::to_vec(&o)
                && let Err(e) = write_durably(path, &b).await
            {
                tracing::error!(error = %e, "recording a relay attempt");
            }
        }
    }
}

async fn give_up(ps: &Peers, path: &Path, o: &mut Outcome, why: String) {
    metrics::counter!("mmsc_peer_relays_total", "result" => "failed").increment(1);
    tracing::warn!(peer = ?o.peer, what = %o.what, msisdn = %o.subscriber, error = %why, "outcome not relayed: given up");
    o.last_error = Some(why);
    let dest = ps.dir.join("failed").join(path.file_name().unwrap_or_default());
    let written = match serde_json::to_vec_pretty(&*o) {
        Ok(b) => write_durably(&dest, &b).await,
        Err(e) => Err(std::io::Error::other(e)),
    };
    match written {
        Ok(()) => {
            let _ = tokio::fs::remove_file(path).await;
        }
        Err(e) => tracing::error!(error = %e, "moving a failed outcome aside"),
    }
}

/// One pass over the outbox: every due outcome relayed (tests and the loop).
pub(crate) async fn relay_once(m: &Inner) {
    let ps = &m.peers;
    let dir = ps.dir.join("outbox");
    let Ok(mut rd) = tokio::fs::read_dir(&dir).await else {
        return;
    };
    let now = unix_now();
    let mut due = Vec::new();
    while let Ok(Some(e)) = rd.next_entry().await {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        match tokio::fs::read(&p)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Outcome>(&b).ok())
        {
            Some(o) if o.next_at <= now => due.push((p, o)),
            Some(_) => {}
            None => tracing::warn!(path = %p.display(), "unreadable queued outcome skipped"),
        }
    }
    due.sort_by(|a, b| a.0.cmp(&b.0));
    for (p, o) in due {
        relay_one(m, &p, o).await;
    }
}

/// Removes copies older than `peering.keep_secs`.
async fn sweep_copies(m: &Inner) {
    let ps = &m.peers;
    let cutoff = unix_now().saturating_sub(m.config.peering.keep_secs);
    let old: Vec<String> = {
        let i = ps.index.lock().unwrap_or_else(|e| e.into_inner());
        i.by_key
            .iter()
            .filter(|(_, c)| c.fetched_at < cutoff)
            .map(|(k, _)| k.clone())
            .collect()
    };
    for k in old {
        let (b, j) = ps.copy_paths(&k);
        // Metadata first: without it the copy is not there.
        if tokio::fs::remove_file(&j).await.is_ok() {
            let _ = tokio::fs::remove_file(&b).await;
            ps.index.lock().unwrap_or_else(|e| e.into_inner()).remove(&k);
        }
    }
}

/// Relays outcomes and sweeps old copies until shutdown.
pub(crate) async fn relay_loop(m: Arc<Inner>, shutdown: Shutdown) {
    if !m.peers.enabled() {
        return;
    }
    let poll = Duration::from_millis(m.config.notify.poll_ms.max(10)).max(Duration::from_millis(100));
    let mut last_sweep = 0;
    loop {
        relay_once(&m).await;
        let now = unix_now();
        if now.saturating_sub(last_sweep) >= 60 {
            sweep_copies(&m).await;
            last_sweep = now;
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = m.peers.wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_rfc4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_rfc4231_case_6_long_key() {
        let key = [0xaau8; 131];
        assert_eq!(
            hex::encode(hmac_sha256(
                &key,
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn origins() {
        let a = Origin::of(&"http://MMSC.example:80/m/x".parse().unwrap()).unwrap();
        let b = Origin::of(&"http://mmsc.example/other".parse().unwrap()).unwrap();
        assert_eq!(a, b);
        assert!(Origin::of(&"/m/x".parse().unwrap()).is_none());
        let s = Origin::of(&"https://mmsc.example/".parse().unwrap()).unwrap();
        assert_eq!(s.port, 443);
        assert_ne!(s, b);
    }
}
