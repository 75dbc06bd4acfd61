//! The durable queue: one SQLite table of messages not yet final, written
//! by one task that commits in groups.
//!
//! Every change goes to the writer as an [`Op`]. The writer takes the first
//! op, then every op already waiting (up to [`MAX_BATCH`]), and applies them
//! in one transaction: one fsync for many submissions, so throughput
//! survives `synchronous=FULL`. Only after the commit does it put new
//! messages in the queue and answer their submitters (`ESME_ROK`): a
//! message is accepted only once it is durable. Deletions (a message
//! delivered or expired) and retry bookkeeping need no answer; if one is
//! lost in a crash, the message is delivered again after the restart (at
//! least once, never lost).

use std::sync::{Arc, Weak};

use anyhow::{Context, Result};
use ferry_service::db::Db;
use ferry_smpp::CommandStatus;
use sqlx::{AssertSqlSafe, Row};
use tokio::sync::{mpsc, oneshot};

use crate::core::{Core, ToSession};
use crate::message::{Msg, Target};

/// Most ops applied in one transaction.
pub(crate) const MAX_BATCH: usize = 4096;

/// Rows per multi-row INSERT (10 parameters each).
const INSERT_CHUNK: usize = 256;

/// A change to the store.
#[derive(Debug)]
pub(crate) enum Op {
    /// A new message; after the commit, queue it and answer the submitter
    /// (its session and the submit_sm's sequence number), if any.
    Insert(Arc<Msg>, Option<(mpsc::UnboundedSender<ToSession>, u32)>),
    /// A message reached its final state.
    Delete(u64),
    /// A delivery attempt failed; the next is due at `due_ms`.
    Retry {
        /// Message id.
        id: u64,
        /// Attempts so far.
        attempts: u32,
        /// Next attempt (Unix ms).
        due_ms: i64,
    },
    /// Commit what is pending, then stop.
    Stop(oneshot::Sender<()>),
}

/// Where changes go.
#[derive(Debug)]
pub(crate) enum StoreHandle {
    /// Nothing is written.
    Memory,
    /// The writer task's queue.
    Sqlite(mpsc::UnboundedSender<Op>),
}

impl StoreHandle {
    /// Sends an op that needs no answer (dropped in memory mode).
    pub(crate) fn send(&self, op: Op) {
        if let StoreHandle::Sqlite(tx) = self {
            let _ = tx.send(op);
        }
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS smsc_messages (
    id INTEGER PRIMARY KEY,
    target_kind INTEGER NOT NULL,
    target TEXT NOT NULL,
    receipt_kind INTEGER,
    receipt_target TEXT,
    registered_delivery INTEGER NOT NULL,
    submit_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    due_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    pdu BLOB NOT NULL
)";

/// Opens the database and creates the table.
pub(crate) async fn open(path: &std::path::Path) -> Result<Db> {
    let db = Db::open(path).await?;
    sqlx::query(SCHEMA)
        .execute(&db.writer)
        .await
        .context("creating the smsc_messages table")?;
    Ok(db)
}

/// A message read back at start-up, with its attempts and next due time.
pub(crate) struct Loaded {
    pub(crate) msg: Msg,
    pub(crate) attempts: u32,
    pub(crate) due_ms: i64,
}

/// Every message in the store, oldest first.
pub(crate) async fn load(db: &Db) -> Result<Vec<Loaded>> {
    let rows = sqlx::query(
        "SELECT id, target_kind, target, receipt_kind, receipt_target, registered_delivery, \
         submit_ms, expires_ms, due_ms, attempts, pdu FROM smsc_messages ORDER BY id",
    )
    .fetch_all(&db.writer)
    .await
    .context("reading queued messages")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let receipt_kind: Option<i64> = r.try_get("receipt_kind")?;
        let receipt_target: Option<String> = r.try_get("receipt_target")?;
        let msg = Msg {
            id: r.try_get::<i64, _>("id")? as u64,
            target: Target::from_parts(r.try_get("target_kind")?, r.try_get("target")?),
            receipt_to: receipt_kind
                .zip(receipt_target)
                .map(|(k, t)| Target::from_parts(k, t)),
            registered_delivery: r.try_get::<i64, _>("registered_delivery")? as u8,
            submit_ms: r.try_get("submit_ms")?,
            expires_ms: r.try_get("expires_ms")?,
            not_before_ms: r.try_get("due_ms")?,
            pdu: r.try_get("pdu")?,
        };
        if msg.deliver_sm().is_none() {
            tracing::warn!(id = msg.id, "stored message does not decode; skipped");
            continue;
        }
        out.push(Loaded {
            attempts: r.try_get::<i64, _>("attempts")? as u32,
            due_ms: msg.not_before_ms,
            msg,
        });
    }
    Ok(out)
}

/// The largest message id in the store.
pub(crate) async fn max_id(db: &Db) -> Result<u64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM smsc_messages")
        .fetch_one(&db.writer)
        .await?;
    Ok(v.unwrap_or(0).max(0) as u64)
}

/// The writer task: applies ops in groups, one transaction each.
pub(crate) async fn run_writer(db: Db, mut rx: mpsc::UnboundedReceiver<Op>, core: Weak<Core>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut stop = None;
    while stop.is_none() {
        let Some(first) = rx.recv().await else { break };
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let result = apply(&db, &batch).await;
        if let Err(e) = &result {
            tracing::error!("store commit failed: {e:#}");
        }
        let core = core.upgrade();
        for op in batch.drain(..) {
            match op {
                Op::Insert(msg, reply) => {
                    let r = match (&result, &core) {
                        (Ok(()), Some(core)) => {
                            let id = msg.id;
                            core.accept(msg, 0, None);
                            Ok(id)
                        }
                        _ => {
                            if let Some(core) = &core {
                                core.insert_failed();
                            }
                            Err(CommandStatus::ESME_RSYSERR)
                        }
                    };
                    if let Some((tx, seq)) = reply {
                        let _ = tx.send(ToSession::Committed { seq, result: r });
                    }
                }
                Op::Stop(done) => stop = Some(done),
                Op::Delete(_) | Op::Retry { .. } => {}
            }
        }
    }
    if let Some(done) = stop {
        let _ = done.send(());
    }
}

async fn apply(db: &Db, batch: &[Op]) -> Result<()> {
    let mut tx = db.writer.begin().await?;
    let inserts: Vec<&Arc<Msg>> = batch
        .iter()
        .filter_map(|op| {
            if let Op::Insert(m, _) = op {
                Some(m)
            } else {
                None
            }
        })
        .collect();
    for chunk in inserts.chunks(INSERT_CHUNK) {
        let mut sql = String::from(
            "INSERT OR REPLACE INTO smsc_messages (id, target_kind, target, receipt_kind, receipt_target, \
             registered_delivery, submit_ms, expires_ms, due_ms, attempts, pdu) VALUES ",
        );
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 {
                "(?,?,?,?,?,?,?,?,?,0,?)"
            } else {
                ",(?,?,?,?,?,?,?,?,?,0,?)"
            });
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for m in chunk {
            q = q
                .bind(m.id as i64)
                .bind(m.target.kind())
                .bind(m.target.key().to_owned())
                .bind(m.receipt_to.as_ref().map(Target::kind))
                .bind(m.receipt_to.as_ref().map(|t| t.key().to_owned()))
                .bind(i64::from(m.registered_delivery))
                .bind(m.submit_ms)
                .bind(m.expires_ms)
                .bind(m.not_before_ms)
                .bind(m.pdu.clone());
        }
        q.execute(&mut *tx).await.context("inserting messages")?;
    }
    for op in batch {
        if let Op::Retry {
            id,
            attempts,
            due_ms,
        } = op
        {
            sqlx::query("UPDATE smsc_messages SET attempts = ?, due_ms = ? WHERE id = ?")
                .bind(i64::from(*attempts))
                .bind(*due_ms)
                .bind(*id as i64)
                .execute(&mut *tx)
                .await
                .context("recording a retry")?;
        }
    }
    let deletes: Vec<u64> = batch
        .iter()
        .filter_map(|op| {
            if let Op::Delete(id) = op {
                Some(*id)
            } else {
                None
            }
        })
        .collect();
    for chunk in deletes.chunks(500) {
        let mut sql = String::from("DELETE FROM smsc_messages WHERE id IN (");
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 { "?" } else { ",?" });
        }
        sql.push(')');
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id as i64);
        }
        q.execute(&mut *tx).await.context("deleting messages")?;
    }
    tx.commit().await.context("commit")?;
    Ok(())
}
