//! Serving an axum [`Router`] over HTTP/1.1, optionally with TLS (rustls,
//! ring), with the protections every public listener needs:
//!
//! - **Slow headers.** A client that has not sent a whole request head
//!   within `header_timeout_ms` is disconnected (hyper's
//!   `header_read_timeout`; it also bounds an idle keep-alive connection and,
//!   with TLS, the handshake).
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
//! Handlers see the TCP peer through axum's `ConnectInfo<SocketAddr>`, as
//! with `into_make_service_with_connect_info`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
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
    app: Router,
    opts: ServeOptions,
    shutdown: Shutdown,
) -> std::io::Result<()> {
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
    app: Router,
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

async fn http1<S>(io: S, peer: SocketAddr, app: Router, opts: &ServeOptions, shutdown: Shutdown)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let request_timeout = opts.request_timeout;
    let body_timeout = opts.body_timeout;
    let name = opts.name;
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(|b| IdleBody::new(b, body_timeout));
        req.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            match tokio::time::timeout(request_timeout, app.oneshot(req)).await {
                Ok(r) => r,
                Err(_) => {
                    metrics::counter!("http_request_timeouts_total", "server" => name).increment(1);
                    tracing::info!(server = name, %peer, "request timed out");
                    let mut r = axum::response::Response::new(axum::body::Body::from(
                        "request timed out\n",
                    ));
                    *r.status_mut() = axum::http::StatusCode::REQUEST_TIMEOUT;
                    r.headers_mut().insert(
                        axum::http::header::CONNECTION,
                        axum::http::HeaderValue::from_static("close"),
                    );
                    Ok(r)
                }
            }
        }
    });
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout)
        .keep_alive(true);
    let conn = b.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(server = name, %peer, error = %e, "connection ended");
            }
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

/// A request body that fails with [`BodyStalled`] when no data comes for
/// `idle` while it is being read (the clock starts at the first read).
struct IdleBody {
    inner: Incoming,
    idle: Duration,
    sleep: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl IdleBody {
    fn new(inner: Incoming, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            sleep: None,
        }
    }
}

impl hyper::body::Body for IdleBody {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        use std::future::Future;
        use std::task::Poll;
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(f) => {
                let at = tokio::time::Instant::now() + this.idle;
                match &mut this.sleep {
                    Some(s) => s.as_mut().reset(at),
                    None => this.sleep = Some(Box::pin(tokio::time::sleep_until(at))),
                }
                Poll::Ready(f.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => {
                let idle = this.idle;
                let s = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                if s.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Some(Err(Box::new(BodyStalled(idle)))));
                }
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
