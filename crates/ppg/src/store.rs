//! Durable push state in SQLite, written by one task with group commit.
//!
//! Every accepted push is one row per recipient address in `pushes`; the
//! SMSC message ids of its segments are rows of `segments` until a final
//! receipt arrives. All writes go through [`Writer`], a task that takes
//! whatever operations are queued (up to `batch_max`), applies them in one
//! transaction, and only after the commit answers the callers: an HTTP
//! handler's push is acknowledged (`1001`) once its rows are on disk.
//! Reads (status queries, recovery, sweeps) use the reader pool.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, QueryBuilder, Row, Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};

/// The state of a push to one address (WAP-247-PAP §9.6 message states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Accepted, not yet final (queued, scheduled, submitted).
    Pending = 0,
    /// A delivery receipt (or, without receipts, the SMSC) confirmed it.
    Delivered = 1,
    /// Refused by the SMSC or the handset, or out of attempts.
    Undeliverable = 2,
    /// deliver-before-timestamp passed first.
    Expired = 3,
    /// Cancelled by the initiator before submission.
    Cancelled = 4,
    /// Submitted, but no final receipt within the receipt timeout.
    Timeout = 5,
}

impl State {
    /// From the stored integer.
    pub fn from_i64(v: i64) -> Option<Self> {
        Some(match v {
            0 => State::Pending,
            1 => State::Delivered,
            2 => State::Undeliverable,
            3 => State::Expired,
            4 => State::Cancelled,
            5 => State::Timeout,
            _ => return None,
        })
    }

    /// The PAP `message-state`.
    pub fn message_state(self) -> ferry_pap::MessageState {
        use ferry_pap::MessageState as M;
        match self {
            State::Pending => M::Pending,
            State::Delivered => M::Delivered,
            State::Undeliverable => M::Undeliverable,
            State::Expired => M::Expired,
            State::Cancelled => M::Cancelled,
            State::Timeout => M::Timeout,
        }
    }

    /// Lower-case name (metrics labels, logs).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Undeliverable => "undeliverable",
            State::Expired => "expired",
            State::Cancelled => "cancelled",
            State::Timeout => "timeout",
        }
    }
}

/// One recipient row of a new push.
#[derive(Debug, Clone)]
pub struct NewRecipient {
    /// The `address-value` as the initiator wrote it.
    pub address: String,
    /// `+digits`.
    pub dest: Arc<str>,
}

/// A push to commit.
#[derive(Debug, Clone)]
pub struct NewPush {
    /// Initiator name (push ids are unique per initiator).
    pub initiator: Arc<str>,
    /// The initiator's push-id.
    pub push_id: String,
    /// Recipients.
    pub recipients: Vec<NewRecipient>,
    /// The WSP push datagram.
    pub datagram: Bytes,
    /// When it was received (unix seconds).
    pub received: i64,
    /// deliver-after (unix seconds).
    pub deliver_after: Option<i64>,
    /// deliver-before (unix seconds).
    pub deliver_before: Option<i64>,
    /// ppg-notify-requested-to.
    pub notify_to: Option<String>,
}

/// Why an insert failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InsertError {
    /// The initiator already used this push-id.
    #[error("push-id already used by this initiator")]
    Duplicate,
    /// The database failed.
    #[error("database: {0}")]
    Db(String),
}

/// A final-state change to apply.
#[derive(Debug, Clone)]
pub struct Final {
    /// Row id.
    pub id: i64,
    /// New state (not Pending).
    pub state: State,
    /// PAP code reported for it.
    pub code: u16,
    /// Description.
    pub desc: String,
    /// When (unix seconds).
    pub at: i64,
}

/// What the writer hands to the notifier after committing a final state of
/// a push whose initiator asked for a result notification.
#[derive(Debug, Clone)]
pub struct NotifyJob {
    /// Row id.
    pub id: i64,
    /// The URL to POST to.
    pub url: String,
    /// push-id.
    pub push_id: String,
    /// Address value.
    pub address: String,
    /// Final state.
    pub state: State,
    /// Code.
    pub code: u16,
    /// Description.
    pub desc: Option<String>,
    /// Received time.
    pub received: i64,
    /// Event time.
    pub event_time: i64,
}

/// The outcome of a cancel for one recipient.
#[derive(Debug, Clone)]
pub struct CancelOutcome {
    /// The address.
    pub address: String,
    /// Whether it was cancelled.
    pub cancelled: bool,
    /// Its state after the cancel.
    pub state: State,
}

/// Operations for the writer task.
pub(crate) enum Op {
    Insert(NewPush, oneshot::Sender<Result<Vec<i64>, InsertError>>),
    Submitted { id: i64, link: Arc<str>, message_ids: Vec<String>, at: i64 },
    Final(Final),
    Cancel {
        initiator: Arc<str>,
        push_id: String,
        addresses: Option<Vec<String>>,
        /// Takes a row out of the delivery queue; true if it was still queued.
        take: Arc<dyn Fn(i64) -> bool + Send + Sync>,
        reply: oneshot::Sender<Result<Vec<CancelOutcome>, String>>,
    },
    NotifyDone { id: i64 },
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pushes (
    id INTEGER PRIMARY KEY,
    initiator TEXT NOT NULL,
    push_id TEXT NOT NULL,
    address TEXT NOT NULL,
    dest TEXT NOT NULL,
    state INTEGER NOT NULL,
    datagram BLOB NOT NULL,
    received INTEGER NOT NULL,
    deliver_after INTEGER,
    deliver_before INTEGER,
    notify_to TEXT,
    notify_pending INTEGER NOT NULL DEFAULT 0,
    submitted_at INTEGER,
    event_time INTEGER,
    code INTEGER,
    desc TEXT
);
CREATE INDEX IF NOT EXISTS pushes_by_push_id ON pushes (initiator, push_id);
CREATE INDEX IF NOT EXISTS pushes_pending ON pushes (state) WHERE state = 0;
CREATE INDEX IF NOT EXISTS pushes_notify ON pushes (notify_pending) WHERE notify_pending = 1;
CREATE TABLE IF NOT EXISTS segments (
    link TEXT NOT NULL,
    message_id TEXT NOT NULL,
    push INTEGER NOT NULL,
    PRIMARY KEY (link, message_id)
);
CREATE INDEX IF NOT EXISTS segments_by_push ON segments (push);
";

/// Creates the tables if needed.
pub async fn migrate(pool: &SqlitePool) -> Result<()> {
    sqlx::raw_sql(SCHEMA).execute(pool).await.context("creating the push tables")?;
    Ok(())
}

/// A pending row to (re)queue at start-up.
#[derive(Debug, Clone)]
pub struct Unsent {
    /// Row id.
    pub id: i64,
    /// Destination.
    pub dest: Arc<str>,
    /// Datagram.
    pub datagram: Bytes,
    /// deliver-after.
    pub deliver_after: Option<i64>,
    /// deliver-before.
    pub deliver_before: Option<i64>,
}

/// What start-up recovery finds.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Pending rows not yet submitted.
    pub unsent: Vec<Unsent>,
    /// Segments awaiting receipts: (link, message id, row id).
    pub segments: Vec<(String, String, i64)>,
    /// Final rows whose notification is not yet acknowledged.
    pub notify: Vec<NotifyJob>,
    /// (initiator, push-id) pairs in use.
    pub keys: HashSet<(Arc<str>, String)>,
    /// Largest row id.
    pub max_id: i64,
}

/// Reads everything the gateway needs to resume after a restart.
pub async fn recover(pool: &SqlitePool) -> Result<Recovered> {
    let mut r = Recovered::default();
    let mut interned: std::collections::HashMap<String, Arc<str>> = Default::default();
    let rows = sqlx::query("SELECT initiator, push_id FROM pushes GROUP BY initiator, push_id").fetch_all(pool).await?;
    for row in rows {
        let ini: String = row.get(0);
        let ini = interned.entry(ini.clone()).or_insert_with(|| ini.into()).clone();
        r.keys.insert((ini, row.get(1)));
    }
    r.max_id = sqlx::query_scalar::<_, Option<i64>>("SELECT max(id) FROM pushes").fetch_one(pool).await?.unwrap_or(0);
    let rows = sqlx::query(
        "SELECT id, dest, datagram, deliver_after, deliver_before FROM pushes WHERE state = 0 AND submitted_at IS NULL ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let dest: String = row.get(1);
        let d: Vec<u8> = row.get(2);
        r.unsent.push(Unsent {
            id: row.get(0),
            dest: dest.into(),
            datagram: d.into(),
            deliver_after: row.get(3),
            deliver_before: row.get(4),
        });
    }
    let rows = sqlx::query("SELECT s.link, s.message_id, s.push FROM segments s JOIN pushes p ON p.id = s.push WHERE p.state = 0")
        .fetch_all(pool)
        .await?;
    r.segments = rows.into_iter().map(|row| (row.get(0), row.get(1), row.get(2))).collect();
    let rows = sqlx::query(
        "SELECT id, notify_to, push_id, address, state, code, desc, received, event_time FROM pushes WHERE notify_pending = 1",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        r.notify.push(NotifyJob {
            id: row.get(0),
            url: row.get(1),
            push_id: row.get(2),
            address: row.get(3),
            state: State::from_i64(row.get(4)).unwrap_or(State::Undeliverable),
            code: row.get::<Option<i64>, _>(5).unwrap_or(4000) as u16,
            desc: row.get(6),
            received: row.get(7),
            event_time: row.get::<Option<i64>, _>(8).unwrap_or(0),
        });
    }
    Ok(r)
}

/// One recipient's status, for status queries.
#[derive(Debug, Clone)]
pub struct RecipientStatus {
    /// Address value.
    pub address: String,
    /// State.
    pub state: State,
    /// Code of the final state, if final.
    pub code: Option<u16>,
    /// Description.
    pub desc: Option<String>,
    /// When the state was reached.
    pub event_time: Option<i64>,
    /// When it was submitted to the SMSC.
    pub submitted_at: Option<i64>,
}

/// The recipients of a push and their states (empty: no such push).
pub async fn status(pool: &SqlitePool, initiator: &str, push_id: &str) -> Result<Vec<RecipientStatus>> {
    let rows = sqlx::query(
        "SELECT address, state, code, desc, event_time, submitted_at FROM pushes WHERE initiator = ? AND push_id = ? ORDER BY id",
    )
    .bind(initiator)
    .bind(push_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| RecipientStatus {
            address: row.get(0),
            state: State::from_i64(row.get(1)).unwrap_or(State::Pending),
            code: row.get::<Option<i64>, _>(2).map(|c| c as u16),
            desc: row.get(3),
            event_time: row.get(4),
            submitted_at: row.get(5),
        })
        .collect())
}

/// Counts of rows by state (for metrics at start-up and tests).
pub async fn counts(pool: &SqlitePool) -> Result<Vec<(State, i64)>> {
    let rows = sqlx::query("SELECT state, count(*) FROM pushes GROUP BY state").fetch_all(pool).await?;
    Ok(rows.into_iter().filter_map(|r| Some((State::from_i64(r.get(0))?, r.get(1)))).collect())
}

/// Submitted pending rows older than `before` (receipt timeout).
pub async fn overdue(pool: &SqlitePool, before: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM pushes WHERE state = 0 AND submitted_at IS NOT NULL AND submitted_at < ?")
        .bind(before)
        .fetch_all(pool)
        .await?)
}

/// Sends operations to the writer task.
#[derive(Clone)]
pub(crate) struct WriterHandle {
    pub(crate) tx: mpsc::Sender<Op>,
}

impl WriterHandle {
    pub(crate) async fn insert(&self, push: NewPush) -> Result<Vec<i64>, InsertError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Op::Insert(push, tx)).await.map_err(|_| InsertError::Db("writer stopped".into()))?;
        rx.await.map_err(|_| InsertError::Db("writer stopped".into()))?
    }

    pub(crate) async fn send(&self, op: Op) {
        if self.tx.send(op).await.is_err() {
            tracing::warn!("push store writer stopped; a state change was not recorded");
        }
    }
}

/// The writer task's state.
pub(crate) struct Writer {
    pub(crate) rx: mpsc::Receiver<Op>,
    pub(crate) keys: HashSet<(Arc<str>, String)>,
    pub(crate) next_id: i64,
    pub(crate) batch_max: usize,
    pub(crate) notify: mpsc::UnboundedSender<NotifyJob>,
}

enum Reply {
    Insert(oneshot::Sender<Result<Vec<i64>, InsertError>>, Result<Vec<i64>, InsertError>),
    Cancel(oneshot::Sender<Result<Vec<CancelOutcome>, String>>, Vec<CancelOutcome>),
}

struct NewRow<'a> {
    id: i64,
    push: &'a NewPush,
    rcpt: &'a NewRecipient,
}

const CHUNK: usize = 128;

impl Writer {
    /// Runs until every sender is dropped.
    pub(crate) async fn run(mut self, pool: SqlitePool) {
        let mut conn = match pool.acquire().await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("push store: no writer connection: {e}");
                return;
            }
        };
        let mut batch = Vec::with_capacity(self.batch_max);
        while let Some(op) = self.rx.recv().await {
            batch.push(op);
            while batch.len() < self.batch_max {
                match self.rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            let n = batch.len();
            self.apply(&mut conn, &mut batch).await;
            metrics::histogram!("ppg_commit_batch_ops").record(n as f64);
        }
    }

    async fn apply(&mut self, conn: &mut SqliteConnection, batch: &mut Vec<Op>) {
        // Decide inserts (duplicates are answered without touching the disk).
        let mut replies = Vec::new();
        let mut new_keys = Vec::new();
        let mut notify = Vec::new();
        let first_id = self.next_id;
        let result = self.transaction(conn, batch, &mut replies, &mut new_keys, &mut notify).await;
        match result {
            Ok(()) => {
                for r in replies {
                    match r {
                        Reply::Insert(tx, res) => {
                            let _ = tx.send(res);
                        }
                        Reply::Cancel(tx, res) => {
                            let _ = tx.send(Ok(res));
                        }
                    }
                }
                for j in notify {
                    let _ = self.notify.send(j);
                }
            }
            Err(e) => {
                tracing::error!("push store: commit failed: {e:#}");
                self.next_id = first_id;
                for k in new_keys {
                    self.keys.remove(&k);
                }
                for r in replies {
                    match r {
                        Reply::Insert(tx, res) => {
                            let _ = tx.send(res.and(Err(InsertError::Db(format!("{e:#}")))));
                        }
                        Reply::Cancel(tx, _) => {
                            let _ = tx.send(Err(format!("{e:#}")));
                        }
                    }
                }
            }
        }
        batch.clear();
    }

    async fn transaction(
        &mut self,
        conn: &mut SqliteConnection,
        batch: &mut Vec<Op>,
        replies: &mut Vec<Reply>,
        new_keys: &mut Vec<(Arc<str>, String)>,
        notify: &mut Vec<NotifyJob>,
    ) -> Result<()> {
        let mut tx = conn.begin().await?;
        // Inserts first, all together.
        let mut inserts: Vec<(usize, Vec<i64>)> = Vec::new();
        for (i, op) in batch.iter().enumerate() {
            if let Op::Insert(p, _) = op {
                let key = (p.initiator.clone(), p.push_id.clone());
                if self.keys.contains(&key) {
                    continue;
                }
                self.keys.insert(key.clone());
                new_keys.push(key);
                let ids: Vec<i64> = p
                    .recipients
                    .iter()
                    .map(|_| {
                        self.next_id += 1;
                        self.next_id
                    })
                    .collect();
                inserts.push((i, ids));
            }
        }
        {
            let mut rows: Vec<NewRow<'_>> = Vec::new();
            for (i, ids) in &inserts {
                let Op::Insert(p, _) = &batch[*i] else { continue };
                for (id, rcpt) in ids.iter().zip(&p.recipients) {
                    rows.push(NewRow { id: *id, push: p, rcpt });
                }
            }
            for chunk in pow2_chunks(&rows) {
                let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                    "INSERT INTO pushes (id, initiator, push_id, address, dest, state, datagram, received, deliver_after, deliver_before, notify_to) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.id)
                        .push_bind(&*r.push.initiator)
                        .push_bind(r.push.push_id.as_str())
                        .push_bind(r.rcpt.address.as_str())
                        .push_bind(&*r.rcpt.dest)
                        .push_bind(0_i64)
                        .push_bind(r.push.datagram.as_ref())
                        .push_bind(r.push.received)
                        .push_bind(r.push.deliver_after)
                        .push_bind(r.push.deliver_before)
                        .push_bind(r.push.notify_to.as_deref());
                });
                qb.build().persistent(true).execute(&mut *tx).await?;
            }
        }
        let mut inserted = inserts.into_iter().peekable();
        let ops = std::mem::take(batch);
        let mut submitted: Vec<i64> = Vec::new();
        let mut submitted_at = 0;
        let mut segments: Vec<(Arc<str>, String, i64)> = Vec::new();
        let mut finals: Vec<Final> = Vec::new();
        let mut rest: Vec<Op> = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Insert(_, reply) => {
                    if inserted.peek().is_some_and(|(j, _)| *j == i) {
                        let (_, ids) = inserted.next().unwrap_or_default();
                        replies.push(Reply::Insert(reply, Ok(ids)));
                    } else {
                        replies.push(Reply::Insert(reply, Err(InsertError::Duplicate)));
                    }
                }
                Op::Submitted { id, link, message_ids, at } => {
                    submitted.push(id);
                    submitted_at = submitted_at.max(at);
                    segments.extend(message_ids.into_iter().map(|m| (link.clone(), m, id)));
                }
                Op::Final(f) => finals.push(f),
                other => rest.push(other),
            }
        }
        // Submissions, then final states (a receipt may overtake the
        // Submitted of its own push within one batch), each in a few
        // multi-row statements.
        for chunk in pow2_chunks(&submitted) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE pushes SET submitted_at = ");
            qb.push_bind(submitted_at).push(" WHERE state = 0 AND id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(&mut *tx).await?;
        }
        for chunk in pow2_chunks(&segments) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT OR REPLACE INTO segments (link, message_id, push) ");
            qb.push_values(chunk, |mut b, (link, m, id)| {
                b.push_bind(&**link).push_bind(m.as_str()).push_bind(*id);
            });
            qb.build().execute(&mut *tx).await?;
        }
        finals.sort_by(|a, b| (a.state as u8, a.code, &a.desc, a.at).cmp(&(b.state as u8, b.code, &b.desc, b.at)));
        for group in finals.chunk_by(|a, b| a.state == b.state && a.code == b.code && a.desc == b.desc && a.at == b.at) {
            let ids: Vec<i64> = group.iter().map(|f| f.id).collect();
            notify.extend(finish_many(&mut tx, &group[0], &ids).await?);
        }
        for op in rest {
            match op {
                Op::Cancel { initiator, push_id, addresses, take, reply } => {
                    let rows = sqlx::query("SELECT id, address, state FROM pushes WHERE initiator = ? AND push_id = ? ORDER BY id")
                        .bind(&*initiator)
                        .bind(&push_id)
                        .fetch_all(&mut *tx)
                        .await?;
                    let now = crate::now();
                    let mut out = Vec::new();
                    for row in rows {
                        let id: i64 = row.get(0);
                        let address: String = row.get(1);
                        if let Some(list) = &addresses
                            && !list.iter().any(|a| a.eq_ignore_ascii_case(&address))
                        {
                            continue;
                        }
                        let state = State::from_i64(row.get(2)).unwrap_or(State::Pending);
                        if state == State::Pending && take(id) {
                            let f = Final { id, state: State::Cancelled, code: 1000, desc: "cancelled by the push initiator".into(), at: now };
                            notify.extend(finish_many(&mut tx, &f, &[id]).await?);
                            metrics::counter!("ppg_pushes_final_total", "state" => "cancelled").increment(1);
                            out.push(CancelOutcome { address, cancelled: true, state: State::Cancelled });
                        } else {
                            out.push(CancelOutcome { address, cancelled: false, state });
                        }
                    }
                    replies.push(Reply::Cancel(reply, out));
                }
                Op::NotifyDone { id } => {
                    sqlx::query("UPDATE pushes SET notify_pending = 0 WHERE id = ?").bind(id).execute(&mut *tx).await?;
                }
                Op::Insert(..) | Op::Submitted { .. } | Op::Final(_) => {}
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Splits `v` into chunks of 128 and then powers of two, so that the
/// multi-row statements come in a few shapes the statement cache keeps.
fn pow2_chunks<T>(mut v: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if v.is_empty() {
            return None;
        }
        let take = if v.len() >= CHUNK { CHUNK } else { 1 << (usize::BITS - 1 - v.len().leading_zeros()) };
        let (a, b) = v.split_at(take);
        v = b;
        Some(a)
    })
}

/// Moves pending rows `ids` to the final state of `f`; returns the
/// notifications to send.
async fn finish_many(conn: &mut SqliteConnection, f: &Final, ids: &[i64]) -> Result<Vec<NotifyJob>> {
    let mut jobs = Vec::new();
    for chunk in pow2_chunks(ids) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE pushes SET state = ");
        qb.push_bind(f.state as i64)
            .push(", code = ")
            .push_bind(i64::from(f.code))
            .push(", desc = ")
            .push_bind(f.desc.as_str())
            .push(", event_time = ")
            .push_bind(f.at)
            .push(", notify_pending = (notify_to IS NOT NULL) WHERE state = 0 AND id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(") RETURNING id, notify_to, push_id, address, received");
        for row in qb.build().fetch_all(&mut *conn).await? {
            let url: Option<String> = row.get(1);
            if let Some(url) = url {
                jobs.push(NotifyJob {
                    id: row.get(0),
                    url,
                    push_id: row.get(2),
                    address: row.get(3),
                    state: f.state,
                    code: f.code,
                    desc: Some(f.desc.clone()),
                    received: row.get(4),
                    event_time: f.at,
                });
            }
        }
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("DELETE FROM segments WHERE push IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(jobs)
}
