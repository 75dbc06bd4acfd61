//! The admin HTTP endpoint: `/metrics` (Prometheus text) and `/healthz`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use ferry_service::Shutdown;

use crate::core::Core;

/// Binds `addr` and serves until shutdown; returns the bound address.
pub(crate) async fn start(
    addr: SocketAddr,
    core: Arc<Core>,
    shutdown: Shutdown,
) -> anyhow::Result<SocketAddr> {
    let handle = ferry_service::telemetry::metrics();
    let health_core = core.clone();
    let app = Router::new()
        .route(
            "/metrics",
            get(move || {
                let text = handle.render();
                async move { text }
            }),
        )
        .route(
            "/healthz",
            get(move || {
                let text = format!(
                    "ok\nqueued {}\nbound_sessions {}\n",
                    health_core.queued(),
                    health_core.bound_sessions()
                );
                async move { text }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("binding the admin address {addr}: {e}"))?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        let sd = shutdown.clone();
        let r = axum::serve(listener, app)
            .with_graceful_shutdown(async move { sd.wait().await })
            .await;
        if let Err(e) = r {
            tracing::error!("admin endpoint: {e}");
        }
        drop(shutdown);
    });
    Ok(local)
}
