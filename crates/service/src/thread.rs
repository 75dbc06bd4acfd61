//! A task on a thread of its own.
//!
//! A store's single writer spends its life in round trips to sqlx's SQLite
//! thread: after each one it must be polled again. In the shared runtime it
//! then waits behind whatever HTTP or SMPP work is queued, and every commit
//! gets that much longer. On its own thread, with its own single-threaded
//! runtime, it runs as soon as the operating system wakes it.

use std::future::Future;

/// Runs `fut` to completion on a new thread named `name` with its own
/// current-thread runtime; the returned handle (on the caller's runtime)
/// completes when it has. If the thread or its runtime cannot be created,
/// `fut` runs on the caller's runtime instead.
pub fn spawn_dedicated<F>(name: &str, fut: F) -> tokio::task::JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::warn!(thread = name, error = %e, "no runtime of its own; running in the shared one");
            return tokio::spawn(fut);
        }
    };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        rt.block_on(fut);
        let _ = done_tx.send(());
    });
    if let Err(e) = spawned {
        // The closure (and the future in it) is gone with the error.
        tracing::error!(thread = name, error = %e, "cannot start a thread");
    }
    tokio::spawn(async move {
        let _ = done_rx.await;
    })
}
