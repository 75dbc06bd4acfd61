//! # ferry-smsc: Ferry's SMSC
//!
//! An SMPP 3.4 server (tokio) on top of the sans-I/O codec and session core
//! of `ferry-smpp`. It is how messages reach phones in a Ferry network:
//!
//! - **Binds.** ESMEs bind with a `system_id` and password from the
//!   configuration; wrong credentials get `ESME_RINVPASWD`, and nothing but
//!   a bind (and enquire_link) works before one (`ESME_RINVBNDSTS`, enforced
//!   by the session core). Gateways bind as transmitters to send (as
//!   receivers or transceivers they also get their delivery receipts); a
//!   handset binds as receiver or transceiver with its MSISDN as
//!   `address_range`. Repeated failed binds from one address get their
//!   bind responses delayed.
//! - **Routing.** A message for an MSISDN bound here, or served here (the
//!   handset accounts' numbers and prefixes), is queued for that handset; a
//!   number under a configured route prefix belongs to another SMSC and is
//!   forwarded there over SMPP (a `ferry-esme` client per route; the
//!   submitter gets that SMSC's answer, and its receipt relayed); anything
//!   else gets `ESME_RINVDSTADR`.
//! - **Store and forward.** With `store = "<path>"` every accepted message
//!   is committed to SQLite before its `submit_sm_resp` (`ESME_ROK` only
//!   after the commit; one writer task commits submissions in groups), kept
//!   until its recipient acknowledges the `deliver_sm`, retried with
//!   back-off while a session is bound and failing, handed over at once when
//!   the handset binds, and dropped when its validity ends. A restart loads
//!   the queue back. `store = "memory"` keeps the queue in memory only (for
//!   benchmarks; it says so in the log).
//! - **Receipts.** When `registered_delivery` asks, the final state is
//!   reported to the submitter as a `deliver_sm` with esm_class 0x04, the
//!   text `id:… sub:001 dlvrd:001 submit date:… done date:… stat:DELIVRD
//!   err:000 text:…` and the `receipted_message_id` and `message_state`
//!   TLVs, queued durably like any message.
//! - **Bad input** is answered by the session core (a `*_resp` with the
//!   field's status, or `generic_nack`), and the session goes on, or closes
//!   when the stream cannot be split any more (a length outside 16..=max);
//!   each connection is its own task, so one peer's trouble stays its own.
//!
//! ```text
//!  ESME ──submit_sm──► conn task ──route──► Core ──Op::Insert──► writer (group commit)
//!                          ▲                 ▲                       │ commit
//!                 submit_sm_resp ◄──Committed─┼───────────────────────┘
//!  handset ◄──deliver_sm── conn task ◄──Deliver── Core (queue by MSISDN / system_id)
//!           ──deliver_sm_resp──► delivered ──► Op::Delete (+ receipt)
//! ```
//!
//! Why hand-written: no maintained Rust crate offers an SMPP server with
//! durable store-and-forward; the protocol work lives in `ferry-smpp`, and
//! this crate is the I/O, the queue and the policy around it.

#![forbid(unsafe_code)]

mod address;
mod admin;
pub mod config;
mod conn;
mod core;
mod forward;
mod message;
pub mod metrics;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ferry_service::Shutdown;
use ferry_service::shutdown::Finished;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

pub use address::normalize as normalize_msisdn;
pub use config::{Account, AccountRole, BindType, Config, Delivery, Limits, Route, Store};

use crate::core::Core;
use crate::store::{Op, StoreHandle};

/// A running SMSC.
#[derive(Debug)]
pub struct Smsc {
    local_addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    shutdown: Shutdown,
    finished: Finished,
    core: Arc<Core>,
    writer: Option<(mpsc::UnboundedSender<Op>, ferry_service::db::Db)>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("queued", &self.queued())
            .finish_non_exhaustive()
    }
}

impl Smsc {
    /// Opens the store (loading what it holds), binds the SMPP listener
    /// and the admin endpoint, and starts serving.
    pub async fn start(config: Config) -> anyhow::Result<Smsc> {
        config.check()?;
        let config = Arc::new(config);
        let (shutdown, finished) = Shutdown::new();
        let first_id = |max: u64| {
            // Ids stay unique across restarts that emptied the store.
            let micros = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_micros() as u64);
            max.saturating_add(1).max(micros)
        };
        let (core, writer) = match &config.store {
            Store::Memory => {
                tracing::warn!(
                    "store = \"memory\": accepted messages are NOT durable and are lost on restart"
                );
                (
                    Arc::new(Core::new(config.clone(), StoreHandle::Memory, first_id(0))),
                    None,
                )
            }
            Store::Sqlite(path) => {
                let db = store::open(path)
                    .await
                    .with_context(|| format!("opening the store {}", path.display()))?;
                let loaded = store::load(&db).await?;
                let max = store::max_id(&db).await?;
                let (tx, rx) = mpsc::unbounded_channel();
                let core = Arc::new(Core::new(
                    config.clone(),
                    StoreHandle::Sqlite(tx.clone()),
                    first_id(max),
                ));
                tracing::info!(path = %path.display(), queued = loaded.len(), "store opened");
                for l in loaded {
                    core.count_loaded();
                    core.accept(Arc::new(l.msg), l.attempts, Some(l.due_ms));
                }
                ferry_service::thread::spawn_dedicated("ferry-smsc-writer", store::run_writer(db.clone(), rx, Arc::downgrade(&core)));
                (core, Some((tx, db)))
            }
        };
        core.set_forwarders(forward::Forwarders::start(&core, &shutdown)?);
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding the SMPP address {}", config.listen))?;
        let local_addr = listener.local_addr()?;
        let admin_addr = match config.admin {
            Some(a) => Some(admin::start(a, core.clone(), shutdown.clone()).await?),
            None => None,
        };
        tokio::spawn(accept_loop(listener, core.clone(), shutdown.clone()));
        tokio::spawn(tick_loop(core.clone(), shutdown.clone()));
        tracing::info!(%local_addr, ?admin_addr, "SMSC listening");
        Ok(Smsc {
            local_addr,
            admin_addr,
            shutdown,
            finished,
            core,
            writer,
        })
    }

    /// The SMPP listener's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The admin endpoint's address, if configured.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    /// Messages queued (accepted, not yet delivered or expired).
    pub fn queued(&self) -> usize {
        self.core.queued()
    }

    /// Sessions bound to take deliveries.
    pub fn bound_sessions(&self) -> usize {
        self.core.bound_sessions()
    }

    /// A handle that stops the SMSC when triggered (e.g. on signals).
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Stops: no more connections, every session closed, the store's
    /// pending writes committed and the database closed.
    pub async fn shutdown(self) {
        let Smsc {
            shutdown,
            finished,
            writer,
            core,
            ..
        } = self;
        shutdown.trigger();
        drop(shutdown);
        finished.wait().await;
        if let Some((tx, db)) = writer {
            let (done, wait) = oneshot::channel();
            if tx.send(Op::Stop(done)).is_ok() {
                let _ = wait.await;
            }
            db.close().await;
        }
        drop(core);
        tracing::info!("SMSC stopped");
    }

    /// Runs until `shutdown_handle()` is triggered (e.g. by a signal), then
    /// stops as [`Smsc::shutdown`] does.
    pub async fn run(self) {
        let sd = self.shutdown.clone();
        sd.wait().await;
        drop(sd);
        self.shutdown().await;
    }
}

/// `ferry smsc`: logging to stderr, the configuration from `path` (with
/// `FERRY_SMSC__…` overrides), a tokio runtime, and the SMSC until SIGINT or
/// SIGTERM.
pub fn run_blocking(path: &std::path::Path) -> anyhow::Result<()> {
    ferry_service::telemetry::init_logging();
    let config = Config::load(path)?;
    let rt = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    rt.block_on(async move {
        // The recorder must exist before the first metric is touched.
        let _ = ferry_service::telemetry::metrics();
        let smsc = Smsc::start(config).await?;
        smsc.shutdown_handle().on_signals();
        smsc.run().await;
        Ok(())
    })
}

async fn accept_loop(listener: TcpListener, core: Arc<Core>, shutdown: Shutdown) {
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    tokio::spawn(conn::serve(core.clone(), stream, peer, shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn tick_loop(core: Arc<Core>, shutdown: Shutdown) {
    let mut every = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = every.tick() => core.tick(),
        }
    }
}
