//! Graceful shutdown: a signal every task can wait on, and a way to wait
//! until every task holding a guard has finished.

use tokio::sync::{mpsc, watch};

/// Cloneable shutdown handle. Tasks call [`Shutdown::wait`] in a `select!`
/// and keep the handle (a clone) alive while they work; [`Shutdown::finish`]
/// returns once every clone has been dropped.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
    rx: watch::Receiver<bool>,
    // Held by every clone: the channel closes when the last one drops.
    _alive: mpsc::Sender<()>,
}

/// Waits for all [`Shutdown`] clones to be dropped.
#[derive(Debug)]
pub struct Finished(mpsc::Receiver<()>);

impl Shutdown {
    /// A new handle, and the waiter for its clones.
    pub fn new() -> (Self, Finished) {
        let (tx, rx) = watch::channel(false);
        let (alive, done) = mpsc::channel(1);
        (Self { tx, rx, _alive: alive }, Finished(done))
    }

    /// Tells every task to stop.
    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }

    /// True once shutdown has been triggered.
    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves when shutdown is triggered.
    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        let _ = rx.wait_for(|v| *v).await;
    }

    /// Triggers shutdown on SIGINT or SIGTERM (spawns a task).
    pub fn on_signals(&self) {
        let me = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let mut term = match signal(SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return,
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                    _ = me.wait() => return,
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
            tracing::info!("shutdown requested");
            me.trigger();
        });
    }
}

impl Finished {
    /// Resolves once every `Shutdown` clone has been dropped. Drop your own
    /// handle first.
    pub async fn wait(mut self) {
        let _ = self.0.recv().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_tasks() {
        let (sd, finished) = Shutdown::new();
        let task = sd.clone();
        let h = tokio::spawn(async move {
            task.wait().await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            drop(task);
            7
        });
        sd.trigger();
        assert!(sd.is_triggered());
        drop(sd);
        finished.wait().await;
        assert_eq!(h.await.unwrap(), 7);
    }
}
