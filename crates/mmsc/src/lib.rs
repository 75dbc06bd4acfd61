//! # ferry-mmsc: Ferry's MMS Relay/Server
//!
//! MM1 over HTTP (OMA-TS-MMS_ENC-V1_3, OMA-TS-MMS_CTR): handsets POST an
//! `M-Send.req`, the MMSC stores it durably ([`ferry_store`]) and answers
//! `M-Send.conf` only after the commit; each recipient is notified with an
//! `M-Notification.ind` pushed through a push gateway (PAP to Ferry's PPG or
//! Kannel's), whose X-Mms-Content-Location is an unguessable per-recipient
//! URL on this server; the recipient GETs it (`M-Retrieve.conf`) and answers
//! with `M-NotifyResp.ind` / `M-Acknowledge.ind`; delivery and read reports
//! go back to the sender as WAP Push; messages expire.
//!
//! ```text
//!  handset ── POST M-Send.req ──► mm1::post ─► identity ─► checks ─► Store::submit (commit)
//!          ◄─ M-Send.conf ───────┘                                       │ wake
//!                                    workers::notify_loop ◄──────────────┘
//!                                      claim (lease) ─► M-Notification.ind ─► Notifier::push ─► PPG
//!                                      record attempt, next = now + back-off
//!  handset ── GET /m/{token} ────► mm1::retrieve ─► identity = recipient? ─► mark retrieved ─► M-Retrieve.conf
//!          ── POST NotifyResp/Ack/Read-Rec/Forward ─► state changes (reports queued by the store)
//!                                    workers::report_loop ─► M-Delivery.ind / M-Read-Orig.ind ─► Notifier::push
//!                                    workers::sweep_loop  ─► expire, collect bodies, gauges
//! ```
//!
//! Every answer to an MM1 request is an MMS PDU (never an HTML page); see
//! `docs/MMSC.md` for the statuses produced and when, the identity model,
//! the recipient state machine and the CDR format.
//!
//! The stored body of a message is its `M-Retrieve.conf`, encoded once at
//! submission (From set to the authenticated sender, Bcc left out) without
//! X-Mms-Transaction-ID, which is spliced in per recipient at retrieval
//! ([`pdu::with_transaction_id`]): a retrieval costs one file read and no
//! re-encoding.
//!
//! Beyond its own subscribers ([`interconnect`], with `[routing]`, `[mm4]`,
//! `[mm3]`, `[smtp]`): recipients are routed at submission (other
//! operators' numbers over MM4 or sender-hosted, e-mail over MM3,
//! unroutable ones failed with the reason), a durable outbox sends
//! `MM4_forward.REQ` and e-mail with retries, and an SMTP listener accepts
//! MM4 from configured peers and e-mail for `+number@` our domains. See
//! `docs/INTERCONNECT.md`.
//!
//! MM1 is served by [`ferry_service::http::serve`]: HTTP/1.1, or HTTPS
//! with `[tls]` (rustls, ring), with header, body and request timeouts and
//! a per-address connection limit (`[http]`). In front of every handler,
//! [`guard`] rate-limits each source and blocks one that keeps failing
//! (wrong tokens, other subscribers' URLs, wrong passwords) for a doubling
//! time; the pure request logic (routing, token shape, POST dispatch) is in
//! [`request`], which the `mm1_request` fuzz target exercises. See
//! `docs/SECURITY.md`.
//!
//! Pushes go through the [`notify::Notifier`] trait: [`notify::PapNotifier`]
//! (a PAP client written on `ferry-pap`) or [`notify::MemoryNotifier`].
//!
//! Between operators, [`peer`] does sender-hosted retrieval: as the home
//! MMSC it fetches a peer's message for its subscriber (a proxy-form GET of
//! the peer's URL), keeps a copy and relays the subscriber's answers; as the
//! sender MMSC it serves a peer's signed request for that peer's
//! subscribers. Anything else in proxy form is refused: no open proxy.

#![forbid(unsafe_code)]

pub mod cdr;
pub mod cli;
pub mod config;
pub mod guard;
pub mod identity;
pub mod interconnect;
mod mm1;
pub mod notify;
pub mod pdu;
pub mod request;
pub mod peer;
mod workers;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use ferry_service::Shutdown;
use ferry_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use config::Config;
pub use ferry_store as store;
pub use notify::{MemoryNotifier, Notifier, NotifyError, PapNotifier};

/// How long requests in flight may run on after shutdown is triggered.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What every handler and task shares.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) store: Arc<Store>,
    pub(crate) notifier: Arc<dyn Notifier>,
    pub(crate) ident: identity::Identifier,
    pub(crate) guard: guard::Guard,
    pub(crate) cdr: cdr::CdrSink,
    pub(crate) wake: Notify,
    pub(crate) wake_reports: Notify,
    pub(crate) metrics: Option<PrometheusHandle>,
    pub(crate) peers: peer::Peers,
    /// Routing, MM4 peers, the mail relay.
    pub(crate) ic: interconnect::Interconnect,
    pub(crate) wake_outbox: Notify,
}

/// A running MMSC.
#[derive(Debug)]
pub struct Running {
    /// The address MM1 listens on.
    pub local_addr: SocketAddr,
    /// The address the SMTP listener (MM4, MM3 in) listens on, if configured.
    pub smtp_addr: Option<SocketAddr>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    cdr_task: Option<tokio::task::JoinHandle<()>>,
    inner: Arc<Inner>,
}

impl Running {
    /// Waits for every task to finish (after shutdown was triggered).
    pub async fn join(self) {
        for t in self.tasks {
            let _ = t.await;
        }
        // The CDR writer ends once the last sink (held by `inner`) is gone.
        drop(self.inner);
        if let Some(t) = self.cdr_task {
            let _ = t.await;
        }
    }

    /// The store (tests look inside).
    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    /// Runs one expiry/collection sweep now (tests).
    pub async fn sweep(&self) {
        workers::sweep_once(&self.inner).await;
    }

    /// The copies kept of messages fetched from peer MMSCs for this
    /// server's subscribers (sender-hosted retrieval).
    pub fn peer_copies(&self) -> Vec<peer::CopyMeta> {
        self.inner.peers.copies()
    }

    /// Relays every due outcome to the peers now (tests).
    pub async fn relay_outcomes(&self) {
        peer::relay_once(&self.inner).await;
    }
}

/// Builds and starts an MMSC.
#[derive(Debug)]
pub struct Mmsc {
    config: Config,
    store: Option<Arc<Store>>,
    notifier: Option<Arc<dyn Notifier>>,
    listener: Option<TcpListener>,
    metrics: Option<PrometheusHandle>,
    peer_observer: Option<Arc<dyn peer::PeerObserver>>,
}

impl Mmsc {
    /// From a configuration; the store, push client and listener come from
    /// it unless given.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            store: None,
            notifier: None,
            listener: None,
            metrics: None,
            peer_observer: None,
        }
    }

    /// Uses this store.
    #[must_use]
    pub fn store(mut self, store: Arc<Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Uses this push client.
    #[must_use]
    pub fn notifier(mut self, n: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(n);
        self
    }

    /// Serves on an already bound listener (tests bind port 0 first).
    #[must_use]
    pub fn listener(mut self, l: TcpListener) -> Self {
        self.listener = Some(l);
        self
    }

    /// Exposes this Prometheus handle on `/metrics`.
    #[must_use]
    pub fn metrics(mut self, h: PrometheusHandle) -> Self {
        self.metrics = Some(h);
        self
    }

    /// Tells `o` about every peering step (sender-hosted retrieval).
    #[must_use]
    pub fn peer_observer(mut self, o: Arc<dyn peer::PeerObserver>) -> Self {
        self.peer_observer = Some(o);
        self
    }

    /// Opens what was not given, binds, and spawns the server and its tasks.
    /// They stop when `shutdown` is triggered.
    pub async fn start(self, shutdown: Shutdown) -> anyhow::Result<Running> {
        let c = self.config;
        c.check()?;
        let store = match self.store {
            Some(s) => s,
            None => Arc::new(
                Store::open_sqlite({
                    let mut sc = ferry_store::sqlite::SqliteConfig::new(&c.store_dir);
                    sc.min_free_bytes = c.store.min_free_bytes;
                    sc.inline_body_max = c.store.inline_body_max;
                    sc
                })
                .await
                    .with_context(|| format!("opening the store in {}", c.store_dir.display()))?,
            ),
        };
        let notifier: Arc<dyn Notifier> = match self.notifier {
            Some(n) => n,
            None => notifier_from_config(&c)?,
        };
        let mut tasks = Vec::new();
        let mut cdr_task = None;
        let cdr = match &c.cdr_path {
            Some(p) => {
                let (sink, task) = cdr::CdrSink::open(p)
                    .await
                    .with_context(|| format!("opening CDR file {}", p.display()))?;
                cdr_task = Some(task);
                sink
            }
            None => cdr::CdrSink::disabled(),
        };
        let listener = match self.listener {
            Some(l) => l,
            None => TcpListener::bind(c.listen)
                .await
                .with_context(|| format!("binding MM1 on {}", c.listen))?,
        };
        let local_addr = listener.local_addr()?;
        let tls = match &c.tls {
            Some(files) => Some(ferry_service::http::server_tls(files)?),
            None => None,
        };
        let mut peers = peer::Peers::open(&c).context("setting up the peers")?;
        peers.observer = self.peer_observer;
        let ic = interconnect::Interconnect::open(&c).await?;
        let inner = Arc::new(Inner {
            peers,
            ident: identity::Identifier::new(&c.identity),
            guard: guard::Guard::new(&c.guard),
            config: c,
            store,
            notifier,
            cdr,
            wake: Notify::new(),
            wake_reports: Notify::new(),
            metrics: self.metrics,
            ic,
            wake_outbox: Notify::new(),
        });
        let app = Router::new()
            .route("/m/{token}", get(mm1::retrieve))
            .route("/healthz", get(mm1::healthz))
            .route("/metrics", get(mm1::metrics_text))
            .fallback(fallback)
            .layer(axum::middleware::from_fn_with_state(inner.clone(), mm1::guard))
            .layer(DefaultBodyLimit::disable())
            .with_state(inner.clone());
        let mut opts = ferry_service::http::ServeOptions::new("mmsc", &inner.config.http, 256, tls);
        // Every handset comes through the trusted proxies: no connection
        // limit for them (their requests are still rate-limited per MSISDN).
        let proxies: Vec<config::Net> =
            inner.config.identity.trusted_proxies.iter().filter_map(|p| config::parse_net(p).ok()).collect();
        opts.exempt = Some(Arc::new(move |ip| proxies.iter().any(|n| n.contains(ip))));
        opts.grace = SHUTDOWN_GRACE;
        let sd = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = ferry_service::http::serve(listener, app, opts, sd).await {
                tracing::error!(error = %e, "MM1 server failed");
            }
        }));
        tasks.push(tokio::spawn(workers::notify_loop(inner.clone(), shutdown.clone())));
        tasks.push(tokio::spawn(workers::report_loop(inner.clone(), shutdown.clone())));
        tasks.push(tokio::spawn(workers::sweep_loop(inner.clone(), shutdown.clone())));
        tasks.push(tokio::spawn(peer::relay_loop(inner.clone(), shutdown.clone())));
        tasks.push(tokio::spawn(interconnect::outbox::outbox_loop(
            inner.clone(),
            shutdown.clone(),
        )));
        tasks.push(tokio::spawn(interconnect::portability_loop(
            inner.clone(),
            shutdown.clone(),
        )));
        let mut smtp_addr = None;
        if let Some(lc) = inner.config.smtp.clone() {
            let handler = interconnect::inbound::Inbound { m: inner.clone() };
            let l = ferry_interconnect::SmtpListener::start(lc, handler, shutdown.clone())
                .await
                .context("starting the SMTP listener ([smtp])")?;
            smtp_addr = Some(l.local_addr());
            tasks.push(tokio::spawn(l.join()));
        }
        tracing::info!(%local_addr, public_url = %inner.config.public_url, tls = inner.config.tls.is_some(), "MMSC listening");

        Ok(Running {
            local_addr,
            smtp_addr,
            tasks,
            cdr_task,
            inner,
        })
    }
}

async fn fallback(
    state: axum::extract::State<Arc<Inner>>,
    ci: axum::extract::ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> axum::response::Response {
    if req.method() == axum::http::Method::POST {
        mm1::post(state, ci, req).await
    } else if req.method() == axum::http::Method::GET && state.peers.is_foreign(req.uri()) {
        let (parts, _) = req.into_parts();
        mm1::proxy_get(&state, ci.0, &parts.uri, &parts.headers).await
    } else {
        mm1::not_found().await
    }
}

/// The push client the configuration names.
pub fn notifier_from_config(c: &Config) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(match &c.gateway {
        config::GatewayConfig::Memory => MemoryNotifier::new(),
        config::GatewayConfig::Pap {
            url,
            username,
            password,
            pap_version,
            ppg_host,
            timeout_ms,
            ca_file,
        } => {
            let creds = username.clone().map(|u| (u, password.clone().unwrap_or_default()));
            let v = if pap_version == "1.0" {
                ferry_pap::PapVersion::V1_0
            } else {
                ferry_pap::PapVersion::V2_0
            };
            Arc::new(PapNotifier::with_ca(
                url.clone(),
                creds,
                v,
                ppg_host.clone(),
                std::time::Duration::from_millis(*timeout_ms),
                ca_file.as_deref(),
            )?)
        }
    })
}

/// Runs an MMSC from its configuration until SIGINT/SIGTERM: logging,
/// metrics, store, server and tasks; closes the store on the way out.
pub async fn run(config: Config) -> anyhow::Result<()> {
    ferry_service::telemetry::init_logging();
    let metrics = ferry_service::telemetry::metrics();
    let (shutdown, finished) = Shutdown::new();
    shutdown.on_signals();
    let running = Mmsc::new(config).metrics(metrics).start(shutdown.clone()).await?;
    let store = running.store().clone();
    running.join().await;
    drop(shutdown);
    finished.wait().await;
    store.close().await?;
    tracing::info!("MMSC stopped");
    Ok(())
}
