//! Charging records: one JSON object per line per event (submit, retrieve,
//! report, expire, forward), the call detail records operators feed to
//! billing.
//!
//! Records go over a channel to one writer task, which appends every record
//! waiting and then flushes (`write` + `flush`, no `fsync`): the delay is
//! bounded by one write, with no timer; under load, records are batched by
//! themselves. Records not yet written when the process is killed are lost
//! (they describe events that were already committed to the store).

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// One charging record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Cdr {
    /// Unix seconds.
    pub ts: u64,
    /// `submit`, `retrieve`, `forward`, `delivery-report`, `read-report`,
    /// `expire`.
    pub event: &'static str,
    /// The Message-ID.
    pub message_id: String,
    /// The originator (sender's address, or the recipient for reports).
    pub from: String,
    /// Recipients (submit, forward) or the one recipient.
    pub to: Vec<String>,
    /// Size in octets.
    pub size: u64,
    /// The outcome (`ok`, a status name).
    pub status: String,
    /// Message class, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
}

/// Sends records to the writer task. Cheap to clone; a disabled sink drops
/// records.
#[derive(Debug, Clone)]
pub struct CdrSink {
    tx: Option<mpsc::UnboundedSender<Cdr>>,
}

impl CdrSink {
    /// A sink that writes nothing.
    pub fn disabled() -> Self {
        Self { tx: None }
    }

    /// Opens (creating, appending) `path` and starts the writer task. The
    /// task ends once every sink clone is dropped, after writing everything.
    pub async fn open(path: &Path) -> std::io::Result<(Self, tokio::task::JoinHandle<()>)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await?;
        }
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let h = tokio::spawn(writer(file, rx, path.to_owned()));
        Ok((Self { tx: Some(tx) }, h))
    }

    /// Queues a record.
    pub fn record(&self, cdr: Cdr) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(cdr);
        }
    }
}

async fn writer(mut file: tokio::fs::File, mut rx: mpsc::UnboundedReceiver<Cdr>, path: PathBuf) {
    let mut buf = Vec::with_capacity(64 * 1024);
    while let Some(first) = rx.recv().await {
        buf.clear();
        let mut next = Some(first);
        while let Some(c) = next {
            if serde_json::to_writer(&mut buf, &c).is_ok() {
                buf.push(b'\n');
            }
            next = if buf.len() < 1 << 20 { rx.try_recv().ok() } else { None };
        }
        if let Err(e) = async {
            file.write_all(&buf).await?;
            file.flush().await
        }
        .await
        {
            tracing::error!(path = %path.display(), error = %e, "writing CDRs");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cdr/x.jsonl");
        let (sink, task) = CdrSink::open(&path).await.unwrap();
        for i in 0..3 {
            sink.record(Cdr {
                ts: i,
                event: "submit",
                message_id: format!("m{i}"),
                from: "+1/TYPE=PLMN".into(),
                to: vec!["+2/TYPE=PLMN".into()],
                size: 10,
                status: "ok".into(),
                class: None,
            });
        }
        drop(sink);
        task.await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["message_id"], "m2");
        assert_eq!(lines[0]["event"], "submit");
        assert!(lines[0].get("class").is_none());
    }
}
