//! Putting it together: configuration in, a running gateway out.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use ferry_service::Shutdown;
use ferry_service::db::Db;
use tokio::task::JoinHandle;

use crate::bearer::{Bearer, Route, Routes};
use crate::config::Config;
use crate::esme_bearer::EsmeBearer;
use crate::gateway::{Gateway, Parts};
use crate::http::{Auth, router, serve_with};

/// A started gateway.
#[derive(Debug)]
pub struct Running {
    /// The engine.
    pub gateway: Gateway,
    /// Where the HTTP server listens.
    pub addr: SocketAddr,
    /// The SMPP links, in configuration order.
    pub links: Vec<EsmeBearer>,
    /// The HTTP server task (ends after shutdown).
    pub server: JoinHandle<std::io::Result<()>>,
}

/// Opens the database, starts the SMPP links, the engine and the HTTP
/// server. Everything stops when `shutdown` fires.
pub async fn start(config: Config, shutdown: Shutdown) -> Result<Running> {
    config.validate()?;
    ferry_service::tls::install_ring_provider();
    let _ = ferry_service::telemetry::metrics();
    let db = Db::open(&config.database).await?;
    let (rtx, rrx) = tokio::sync::mpsc::unbounded_channel();
    let mut links = Vec::new();
    let mut routes = Vec::new();
    for l in &config.links {
        let b = EsmeBearer::start(l, rtx.clone(), shutdown.clone()).with_context(|| format!("starting link {:?}", l.name))?;
        routes.push(Route { prefixes: l.prefixes.clone(), bearer: Arc::new(b.clone()) as Arc<dyn Bearer> });
        links.push(b);
    }
    drop(rtx);
    let gateway = Gateway::start(Parts {
        db,
        routes: Routes(routes),
        receipts: rrx,
        delivery: config.delivery.clone(),
        sender_name: config.sender_name.clone(),
        shutdown: shutdown.clone(),
    })
    .await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let app = router(gateway.clone(), Auth::from_config(&config), config.delivery.max_request_bytes);
    let tls = match &config.tls {
        Some(files) => Some(ferry_service::http::server_tls(files)?),
        None => None,
    };
    let opts = ferry_service::http::ServeOptions::new("ppg", &config.http, 0, tls);
    let server = tokio::spawn(serve_with(listener, app, opts, shutdown));
    tracing::info!(%addr, links = links.len(), tls = config.tls.is_some(), "push proxy gateway listening");
    Ok(Running { gateway, addr, links, server })
}
