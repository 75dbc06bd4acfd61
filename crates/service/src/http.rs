//! Serving an axum [`Router`] over HTTP/1.1, optionally with TLS (rustls,
//! ring), with the protections every public listener needs:
//!
//! - **Slow headers.** A client that has not sent a whole request head
//!   within `header_timeout_ms` is disconnected (this also bounds an idle
//!   keep-alive connection and, with TLS, the handshake).
//! - **Slow requests.** A request whose handling (body included) takes longer
//!   than `request_timeout_ms` is answered `408 Request Timeout` and the
//!   connection closed. Handlers that read their own body apply their own,
//!   tighter idle timeout and answer in their protocol.
//! - **Slow bodies.** A request body that brings no data for
//!   `body_timeout_ms` while the handler reads it ends in an error
//!   ([`BodyStalled`]), which the handler answers in its protocol.
//! - **Connection floods.** At most `max_connections_per_ip` connections
//!   from one IP address at once; more are closed as soon as they are
//!   accepted (counted in `http_connections_refused_total`), without
//!   touching anyone else's connections.
//!
//! The three timeouts are kept by one watchdog timer per connection, not by
//! timers per request (see `Watch`). Handlers see the TCP peer through
//! axum's `ConnectInfo<SocketAddr>`, as with
//! `into_make_service_with_connect_info`; a [`Direct`] handler can take a hot
//! route ahead of the router, on hyper directly.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::Shutdown;

/// The certificate chain and private key of a TLS listener, PEM files
/// (`[tls] cert = "…", key = "…"`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (PEM).
    pub cert: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1). Keep it readable by
    /// the server's user only.
    pub key: PathBuf,
}

/// Loads a rustls server configuration (ring provider) from PEM files.
pub fn server_tls(files: &TlsFiles) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    crate::tls::install_ring_provider();
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("reading tls.cert {}", files.cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading tls.cert {}", files.cert.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "tls.cert {} holds no certificate",
        files.cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("reading tls.key {}", files.key.display()))?;
    let mut cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("tls.cert and tls.key do not make a usable certificate")?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The `[http]` table of a server: timeouts and per-address limits.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HttpLimits {
    /// A connection that has not sent a whole request head (request line
    /// and headers) this long after it opened or after its previous answer
    /// is closed, milliseconds. Also bounds the TLS handshake.
    #[serde(default = "default_header_timeout")]
    pub header_timeout_ms: u64,
    /// The longest a request may take, body included, before it is answered
    /// 408 and its connection closed, milliseconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// A request body that sends nothing this long while it is read is
    /// abandoned, milliseconds.
    #[serde(default = "default_body_timeout")]
    pub body_timeout_ms: u64,
    /// Connections open at once from one IP address; more are closed at
    /// once. 0: no limit. Absent: the server's default (the MMSC: 256, its
    /// trusted proxies exempt; the PPG: no limit, since its clients are a
    /// few authenticated push initiators).
    #[serde(default)]
    pub max_connections_per_ip: Option<usize>,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout_ms: default_header_timeout(),
            request_timeout_ms: default_request_timeout(),
            body_timeout_ms: default_body_timeout(),
            max_connections_per_ip: None,
        }
    }
}

fn default_header_timeout() -> u64 {
    10_000
}
fn default_request_timeout() -> u64 {
    120_000
}
fn default_body_timeout() -> u64 {
    20_000
}

/// How [`serve`] serves.
#[derive(Clone)]
pub struct ServeOptions {
    /// TLS on every connection, or plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// See [`HttpLimits::header_timeout_ms`].
    pub header_timeout: Duration,
    /// See [`HttpLimits::request_timeout_ms`].
    pub request_timeout: Duration,
    /// See [`HttpLimits::body_timeout_ms`].
    pub body_timeout: Duration,
    /// See [`HttpLimits::max_connections_per_ip`] (0: no limit).
    pub max_connections_per_ip: usize,
    /// Addresses the connection limit does not apply to (e.g. the MMSC's
    /// trusted proxies, through which every handset comes).
    pub exempt: Option<Arc<dyn Fn(IpAddr) -> bool + Send + Sync>>,
    /// After shutdown, requests in flight may run this long.
    pub grace: Duration,
    /// Names the server in logs and metrics (`mmsc`, `ppg`).
    pub name: &'static str,
}

impl ServeOptions {
    /// From the `[http]` table and an optional TLS configuration;
    /// `default_max_connections` applies when the table sets none.
    pub fn new(
        name: &'static str,
        limits: &HttpLimits,
        default_max_connections: usize,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Self {
        Self {
            tls,
            header_timeout: Duration::from_millis(limits.header_timeout_ms.max(1)),
            request_timeout: Duration::from_millis(limits.request_timeout_ms.max(1)),
            body_timeout: Duration::from_millis(limits.body_timeout_ms.max(1)),
            max_connections_per_ip: limits
                .max_connections_per_ip
                .unwrap_or(default_max_connections),
            exempt: None,
            grace: Duration::from_secs(2),
            name,
        }
    }
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("tls", &self.tls.is_some())
            .field("header_timeout", &self.header_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("max_connections_per_ip", &self.max_connections_per_ip)
            .field("exempt", &self.exempt.is_some())
            .field("name", &self.name)
            .finish()
    }
}

/// Open connections per address.
type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// One connection's place in [`Counts`]; given back when dropped.
struct Slot {
    counts: Counts,
    ip: IpAddr,
}

impl Slot {
    fn take(counts: &Counts, ip: IpAddr, max: usize) -> Option<Self> {
        let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = c.entry(ip).or_insert(0);
        if max > 0 && *n >= max {
            return None;
        }
        *n += 1;
        Some(Self {
            counts: counts.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = c.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` fires; requests in flight
/// then get `opts.grace` to finish.
pub async fn serve(
    listener: TcpListener,
    app: impl Into<Service>,
    opts: ServeOptions,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let app: Service = app.into();
    let counts: Counts = Arc::default();
    let opts = Arc::new(opts);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            r = listener.accept() => {
                let (stream, peer) = match r {
                    Ok(x) => x,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little.
                        tracing::warn!(server = opts.name, error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let max = match &opts.exempt {
                    Some(f) if f(peer.ip()) => 0,
                    _ => opts.max_connections_per_ip,
                };
                let Some(slot) = Slot::take(&counts, peer.ip(), max) else {
                    metrics::counter!("http_connections_refused_total", "server" => opts.name).increment(1);
                    tracing::debug!(server = opts.name, %peer, "connection refused: too many from this address");
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                conns.spawn(connection(stream, peer, app.clone(), opts.clone(), shutdown.clone(), slot));
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = shutdown.wait() => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(opts.grace, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            server = opts.name,
            "closing connections still open after the grace period"
        );
    }
    conns.abort_all();
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Service,
    opts: Arc<ServeOptions>,
    shutdown: Shutdown,
    _slot: Slot,
) {
    match &opts.tls {
        Some(cfg) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg.clone());
            match tokio::time::timeout(opts.header_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => http1(tls, peer, app, &opts, shutdown).await,
                Ok(Err(e)) => {
                    metrics::counter!("http_tls_failures_total", "server" => opts.name)
                        .increment(1);
                    tracing::info!(server = opts.name, %peer, error = %e, "TLS handshake failed");
                }
                Err(_) => {
                    metrics::counter!("http_tls_failures_total", "server" => opts.name)
                        .increment(1);
                    tracing::info!(server = opts.name, %peer, "TLS handshake timed out");
                }
            }
        }
        None => http1(stream, peer, app, &opts, shutdown).await,
    }
}

/// Milliseconds since the first call (a clock for [`Watch`]).
fn clock_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_millis() as u64
}

/// What one connection is doing and since when, read by its watchdog.
///
/// The three timeouts are kept with one timer per connection instead of
/// one or more timers per request (hyper's head timer, a request timer and
/// a body timer each cost an allocation and a timer-wheel insertion and
/// removal per request, about 5 % of the push gateway's CPU per push,
/// measured in docs/PERFORMANCE.md). Requests only store timestamps; the
/// watchdog wakes at the earliest time any deadline could have passed,
/// checks the timestamps, and acts or sleeps again.
#[derive(Default)]
struct Watch {
    /// A request is being handled (else the connection waits for a head).
    busy: std::sync::atomic::AtomicBool,
    /// When the connection opened, the last answer was produced, or the
    /// current request arrived ([`clock_ms`]).
    since: std::sync::atomic::AtomicU64,
    /// The handler waits for body data that has not come.
    body_waiting: std::sync::atomic::AtomicBool,
    /// When body data last came (or the handler first asked for it).
    body_at: std::sync::atomic::AtomicU64,
    /// The current request ran out of time: answer 408.
    timed_out: std::sync::atomic::AtomicBool,
    /// The current request's body stalled.
    stalled: std::sync::atomic::AtomicBool,
    request_waker: futures_util::task::AtomicWaker,
    body_waker: futures_util::task::AtomicWaker,
}

impl Watch {
    fn begin(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        self.timed_out.store(false, Relaxed);
        self.stalled.store(false, Relaxed);
        self.body_waiting.store(false, Relaxed);
        self.since.store(clock_ms(), Relaxed);
        self.busy.store(true, std::sync::atomic::Ordering::Release);
    }

    fn end(&self) {
        self.since.store(clock_ms(), std::sync::atomic::Ordering::Relaxed);
        self.busy.store(false, std::sync::atomic::Ordering::Release);
    }
}

/// Why the watchdog ended a connection.
enum Expired {
    /// No whole request head within the header timeout.
    Head,
}

/// Enforces `opts`' timeouts on one connection; returns when the
/// connection is to be closed.
async fn watchdog(w: &Watch, opts: &ServeOptions) -> Expired {
    use std::sync::atomic::Ordering::{Acquire, Relaxed};
    let ms = |d: Duration| d.as_millis().max(1) as u64;
    let (head, request, body) = (
        ms(opts.header_timeout),
        ms(opts.request_timeout),
        ms(opts.body_timeout),
    );
    // A state change at time t never has a deadline before t + shortest,
    // so sleeping at most `shortest` never oversleeps one.
    let shortest = head.min(request).min(body);
    let sleep = tokio::time::sleep(Duration::from_millis(head));
    tokio::pin!(sleep);
    loop {
        sleep.as_mut().await;
        let now = clock_ms();
        // The flag first: `since` is stored before it (Release), so the
        // `since` read after it is at least as new as the flag.
        let busy = w.busy.load(Acquire);
        let since = w.since.load(Relaxed);
        let next = if !busy {
            if now.saturating_sub(since) >= head {
                return Expired::Head;
            }
            since + head
        } else {
            let mut next = since + request;
            if !w.timed_out.load(Relaxed) && now.saturating_sub(since) >= request {
                w.timed_out.store(true, Relaxed);
                w.request_waker.wake();
            }
            if w.timed_out.load(Relaxed) {
                // The 408 is on its way; look again later.
                next = now + shortest;
            }
            if w.body_waiting.load(Relaxed) {
                let at = w.body_at.load(Relaxed);
                if now.saturating_sub(at) >= body {
                    w.stalled.store(true, Relaxed);
                    w.body_waker.wake();
                } else {
                    next = next.min(at + body);
                }
            }
            next
        };
        let next = next.min(now + shortest).max(now + 1);
        sleep
            .as_mut()
            .reset(tokio::time::Instant::now() + Duration::from_millis(next - now));
    }
}

/// A request future that gives up with `408` when the watchdog says so.
struct Timed<F> {
    inner: F,
    watch: Arc<Watch>,
    /// The server's name and the peer, for the timeout's metric and log.
    name: &'static str,
    peer: SocketAddr,
}

impl<F: std::future::Future<Output = axum::response::Response> + Unpin> std::future::Future
    for Timed<F>
{
    type Output = axum::response::Response;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::sync::atomic::Ordering::Relaxed;
        use std::task::Poll;
        if let Poll::Ready(r) = std::pin::Pin::new(&mut self.inner).poll(cx) {
            self.watch.end();
            return Poll::Ready(r);
        }
        self.watch.request_waker.register(cx.waker());
        if self.watch.timed_out.load(Relaxed) {
            self.watch.end();
            metrics::counter!("http_request_timeouts_total", "server" => self.name).increment(1);
            tracing::info!(server = self.name, peer = %self.peer, "request timed out");
            let mut r = axum::response::Response::new(axum::body::Body::from("request timed out\n"));
            *r.status_mut() = axum::http::StatusCode::REQUEST_TIMEOUT;
            r.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            return Poll::Ready(r);
        }
        Poll::Pending
    }
}

async fn http1<S>(io: S, peer: SocketAddr, app: Service, opts: &ServeOptions, shutdown: Shutdown)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let name = opts.name;
    let watch = Arc::new(Watch::default());
    watch.end();
    let w = watch.clone();
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        w.begin();
        let req = req.map(|b| RequestBody::new(b, w.clone()));
        let inner: std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>> =
            match &app.direct {
                Some(d) if d.takes(req.method(), req.uri().path()) => d.call(req, peer),
                _ => {
                    let mut req = req.map(axum::body::Body::new);
                    req.extensions_mut().insert(ConnectInfo(peer));
                    let router = app.router.clone();
                    Box::pin(async move {
                        match router.oneshot(req).await {
                            Ok(r) => r,
                            Err(e) => match e {},
                        }
                    })
                }
            };
        let timed = Timed { inner, watch: w.clone(), name, peer };
        async move { Ok::<_, std::convert::Infallible>(timed.await) }
    });
    // No hyper timer: the watchdog keeps the head timeout.
    let mut b = hyper::server::conn::http1::Builder::new();
    b.keep_alive(true);
    let conn = b.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(server = name, %peer, error = %e, "connection ended");
            }
            return;
        }
        Expired::Head = watchdog(&watch, opts) => {
            tracing::debug!(server = name, %peer, "no request head within the header timeout: closed");
            return;
        }
        _ = shutdown.wait() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The error of a request body that stalled (see [`HttpLimits::body_timeout_ms`]).
#[derive(Debug, thiserror::Error)]
#[error("the request body sent nothing for {0:?}")]
pub struct BodyStalled(pub Duration);

/// True when `e` (an axum body error) is a [`BodyStalled`].
pub fn is_stalled(e: &axum::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if s.is::<BodyStalled>() {
            return true;
        }
        src = s.source();
    }
    false
}

/// A request body as a [`Direct`] handler gets it: hyper's body, which
/// fails with [`BodyStalled`] when no data comes for the server's
/// `body_timeout` while the handler waits for it (the clock starts at the
/// handler's first read).
pub struct RequestBody {
    inner: Incoming,
    watch: Arc<Watch>,
    /// The handler has asked for data before.
    started: bool,
}

impl RequestBody {
    fn new(inner: Incoming, watch: Arc<Watch>) -> Self {
        Self {
            inner,
            watch,
            started: false,
        }
    }
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBody").finish_non_exhaustive()
    }
}

impl hyper::body::Body for RequestBody {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        use std::sync::atomic::Ordering::Relaxed;
        use std::task::Poll;
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(f) => {
                this.started = true;
                // Data came: whatever the watchdog decided while the
                // handler was not looking no longer holds.
                this.watch.stalled.store(false, Relaxed);
                this.watch.body_waiting.store(false, Relaxed);
                this.watch.body_at.store(clock_ms(), Relaxed);
                Poll::Ready(f.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => {
                let w = &this.watch;
                w.body_waker.register(cx.waker());
                if w.stalled.load(Relaxed) {
                    w.body_waiting.store(false, Relaxed);
                    let idle = Duration::from_millis(
                        clock_ms().saturating_sub(w.body_at.load(Relaxed)),
                    );
                    return Poll::Ready(Some(Err(Box::new(BodyStalled(idle)))));
                }
                if !this.started {
                    this.started = true;
                    w.body_at.store(clock_ms(), Relaxed);
                }
                w.body_waiting.store(true, Relaxed);
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// A handler that answers some requests itself, on hyper directly, ahead
/// of the [`Router`]: for a hot route, this skips the router's per-request
/// boxing, extractors and header-map copy.
pub trait Direct: Send + Sync + 'static {
    /// Whether this handler answers requests with this method and path.
    fn takes(&self, method: &axum::http::Method, path: &str) -> bool;
    /// Answers one request from `peer`.
    fn call(
        &self,
        req: hyper::Request<RequestBody>,
        peer: SocketAddr,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>;
}

/// What [`serve`] serves: a [`Router`], and optionally a [`Direct`]
/// handler that takes some requests before it.
#[derive(Clone)]
pub struct Service {
    /// Every request the direct handler does not take.
    pub router: Router,
    /// The hot routes.
    pub direct: Option<Arc<dyn Direct>>,
}

impl From<Router> for Service {
    fn from(router: Router) -> Self {
        Self {
            router,
            direct: None,
        }
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("direct", &self.direct.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn start(router: Router) -> (SocketAddr, Shutdown) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = HttpLimits {
            header_timeout_ms: 300,
            request_timeout_ms: 600,
            body_timeout_ms: 300,
            max_connections_per_ip: None,
        };
        let (shutdown, _finished) = Shutdown::new();
        let opts = ServeOptions::new("test", &limits, 0, None);
        tokio::spawn(serve(listener, router, opts, shutdown.clone()));
        (addr, shutdown)
    }

    /// Sends `request` on a new connection; everything the server sends
    /// until it closes (or 5 s pass), and how long that took.
    async fn until_close(addr: SocketAddr, request: &[u8]) -> (String, Duration) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request).await.unwrap();
        let t = std::time::Instant::now();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        (String::from_utf8_lossy(&out).into_owned(), t.elapsed())
    }

    fn app() -> Router {
        Router::new()
            .route("/slow", post(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }))
            .route("/echo", post(|body: axum::body::Body| async move {
                match axum::body::to_bytes(body, 1 << 20).await {
                    Ok(b) => format!("got {}", b.len()),
                    Err(e) if is_stalled(&e) => "stalled".to_owned(),
                    Err(e) => format!("error {e}"),
                }
            }))
    }

    #[tokio::test]
    async fn a_stalled_head_is_closed_after_the_header_timeout() {
        let (addr, _sd) = start(app()).await;
        let (out, took) = until_close(addr, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-").await;
        assert!(out.is_empty(), "{out}");
        assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(2), "{took:?}");
        // An idle keep-alive connection after an answer too.
        let (out, took) = until_close(addr, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi").await;
        assert!(out.starts_with("HTTP/1.1 200") && out.ends_with("got 2"), "{out}");
        assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(2), "{took:?}");
    }

    #[tokio::test]
    async fn a_slow_handler_is_answered_408_and_closed() {
        let (addr, _sd) = start(app()).await;
        let (out, took) = until_close(addr, b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").await;
        assert!(out.starts_with("HTTP/1.1 408"), "{out}");
        assert!(out.contains("connection: close"), "{out}");
        assert!(took >= Duration::from_millis(550) && took < Duration::from_secs(2), "{took:?}");
    }

    #[tokio::test]
    async fn a_stalled_body_fails_the_read_and_a_steady_one_does_not() {
        let (addr, _sd) = start(app()).await;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc").await.unwrap();
        let mut buf = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await.unwrap().unwrap();
        let out = String::from_utf8_lossy(&buf[..n]);
        assert!(out.ends_with("stalled"), "{out}");
        // A body that trickles in faster than the body timeout, though it
        // takes longer than that in all, is read whole.
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n").await.unwrap();
        for b in [b"a", b"b", b"c", b"d"] {
            tokio::time::sleep(Duration::from_millis(120)).await;
            s.write_all(b).await.unwrap();
        }
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await.unwrap().unwrap();
        let out = String::from_utf8_lossy(&buf[..n]);
        assert!(out.ends_with("got 4"), "{out}");
    }

    #[tokio::test]
    async fn keep_alive_requests_in_a_row_are_not_timed_out() {
        let (addr, _sd) = start(app()).await;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 512];
        // 10 requests over about a second: longer than every timeout.
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx").await.unwrap();
            let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await.unwrap().unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).ends_with("got 1"));
        }
    }
}
