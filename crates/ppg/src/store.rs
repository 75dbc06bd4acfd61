//! Durable push state in SQLite, written by one thread with group commit.
//!
//! Every accepted push is one row per recipient address in `pushes`; the
//! SMSC message ids of its segments are rows of `segments` until a final
//! receipt arrives. All writes go through [`Writer`], a thread that takes
//! whatever operations are queued (up to `batch_max`), applies them in one
//! transaction, and only after the commit answers the callers: an
//! HTTP handler's push is acknowledged (`1001`) once its rows are on disk.
//! Reads (status queries, recovery, sweeps) use the reader pool.
//!
//! A push's rows are found by push-id through [`PushIds`], a map in memory
//! from (initiator, push-id) to the push's row ids, rebuilt from the table
//! at start-up, rather than through an index on `(initiator, push_id)`:
//! push-ids arrive in no order, so such an index dirties about one more
//! page per push in every commit (measured: most of the WAL written).
//! The map also decides duplicates (2007) before anything is written. It
//! holds every push-id in the database (about 100 octets each).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use bytes::Bytes;
use sqlx::{Row, SqlitePool};
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
    /// Handed to an SMSC that will send receipts: the segments' message
    /// ids, so that receipts still find the push after a restart.
    Submitted { id: i64, link: Arc<str>, message_ids: Vec<String>, at: i64 },
    /// A final state. `submitted_at`: the push was handed to the SMSC at
    /// that time and reached its final state at once (no receipts asked),
    /// so there was no separate `Submitted`. `segments`: rows of
    /// `segments` may exist for it (receipts were asked).
    Final { f: Final, submitted_at: Option<i64>, segments: bool },
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

impl Op {
    /// Somebody waits for this operation's commit (an HTTP answer).
    fn is_awaited(&self) -> bool {
        matches!(self, Op::Insert(..) | Op::Cancel { .. })
    }
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
    // Databases of earlier versions: push-ids are looked up in memory now.
    sqlx::raw_sql("DROP INDEX IF EXISTS pushes_by_push_id").execute(pool).await.context("dropping the push-id index")?;
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

/// Where each push's rows are: initiator → push-id → (first, last) row id
/// (a push's recipients get consecutive ids). Shared by the writer, which
/// adds a push before its commit and takes it out again if the commit
/// fails, and by status queries, which read the rows by id (a push not yet
/// committed has no rows yet and reads as unknown).
#[derive(Debug, Default)]
pub struct PushIds {
    map: Mutex<IdMap>,
}

/// initiator → push-id → (first, last) row id.
type IdMap = HashMap<Arc<str>, HashMap<String, (i64, i64)>>;

impl PushIds {
    fn lock(&self) -> std::sync::MutexGuard<'_, IdMap> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The (first, last) row ids of a push.
    pub fn get(&self, initiator: &str, push_id: &str) -> Option<(i64, i64)> {
        self.lock().get(initiator)?.get(push_id).copied()
    }

    /// Records a push's rows; false if the push-id is already in use.
    fn insert(&self, initiator: &Arc<str>, push_id: &str, ids: (i64, i64)) -> bool {
        let mut map = self.lock();
        let per = map.entry(initiator.clone()).or_default();
        if per.contains_key(push_id) {
            return false;
        }
        per.insert(push_id.to_owned(), ids);
        true
    }

    fn remove(&self, initiator: &str, push_id: &str) {
        if let Some(per) = self.lock().get_mut(initiator) {
            per.remove(push_id);
        }
    }

    /// Pushes known.
    pub fn len(&self) -> usize {
        self.lock().values().map(HashMap::len).sum()
    }

    /// Whether no push is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
    /// Every push's row ids by (initiator, push-id).
    pub ids: PushIds,
    /// Largest row id.
    pub max_id: i64,
}

/// Reads everything the gateway needs to resume after a restart.
pub async fn recover(pool: &SqlitePool) -> Result<Recovered> {
    let mut r = Recovered::default();
    {
        let mut map = IdMap::new();
        let mut rows = sqlx::query("SELECT id, initiator, push_id FROM pushes").fetch(pool);
        while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
            let id: i64 = row.get(0);
            let ini: &str = row.get(1);
            let push_id: &str = row.get(2);
            if !map.contains_key(ini) {
                map.insert(ini.into(), HashMap::new());
            }
            let per = map.get_mut(ini).expect("just inserted");
            match per.get_mut(push_id) {
                Some((first, last)) => {
                    *first = (*first).min(id);
                    *last = (*last).max(id);
                }
                None => {
                    per.insert(push_id.to_owned(), (id, id));
                }
            }
        }
        r.ids = PushIds { map: Mutex::new(map) };
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
pub async fn status(pool: &SqlitePool, ids: &PushIds, initiator: &str, push_id: &str) -> Result<Vec<RecipientStatus>> {
    let Some((first, last)) = ids.get(initiator, push_id) else { return Ok(Vec::new()) };
    let rows = sqlx::query(
        "SELECT address, state, code, desc, event_time, submitted_at FROM pushes
         WHERE id BETWEEN ? AND ? AND initiator = ? AND push_id = ? ORDER BY id",
    )
    .bind(first)
    .bind(last)
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
    pub(crate) ids: Arc<PushIds>,
    pub(crate) next_id: i64,
    pub(crate) batch_max: usize,
    /// How long a batch that nobody waits for may wait for one that
    /// somebody does (`delivery.state_commit_delay_ms`).
    pub(crate) hold: std::time::Duration,
    pub(crate) notify: mpsc::UnboundedSender<NotifyJob>,
}

enum Reply {
    Insert(oneshot::Sender<Result<Vec<i64>, InsertError>>, Result<Vec<i64>, InsertError>),
    Cancel(oneshot::Sender<Result<Vec<CancelOutcome>, String>>, Vec<CancelOutcome>),
}

/// A batch's answers.
struct Committed {
    replies: Vec<Reply>,
    notify: Vec<NotifyJob>,
}

impl Committed {
    /// Answers every caller (the batch is on disk).
    fn succeed(self, notifier: &mpsc::UnboundedSender<NotifyJob>) {
        for r in self.replies {
            match r {
                Reply::Insert(tx, res) => {
                    let _ = tx.send(res);
                }
                Reply::Cancel(tx, res) => {
                    let _ = tx.send(Ok(res));
                }
            }
        }
        for j in self.notify {
            let _ = notifier.send(j);
        }
    }

    /// Answers every caller with `why` (nothing of the batch is known to
    /// be on disk).
    fn fail(self, why: &str) {
        for r in self.replies {
            match r {
                Reply::Insert(tx, res) => {
                    let _ = tx.send(res.and(Err(InsertError::Db(why.to_owned()))));
                }
                Reply::Cancel(tx, _) => {
                    let _ = tx.send(Err(why.to_owned()));
                }
            }
        }
    }
}

/// The writer's statements, prepared once and kept in the connection's
/// statement cache; each changes one row, found by its id (never through
/// the pending index, whose size is the backlog).
///
/// Why the writer uses `rusqlite` on its own thread rather than sqlx: a
/// batch is a few dozen single-row statements and a COMMIT. Through sqlx
/// each statement is a round trip to sqlx's SQLite thread, so an earlier
/// version sent the whole batch as one script over JSON arrays
/// (`json_each`); parsing and extracting that JSON cost about a third of
/// SQLite's time per push (measured with `perf`, see docs/PERFORMANCE.md).
/// Here the thread that batches is the thread that runs SQLite: prepared
/// statements bound with plain values, no JSON, no hop. Both libraries use
/// the same `libsqlite3-sys` (one SQLite in the binary); readers, recovery
/// and migrations stay on sqlx.
mod sql {
    // `OR FAIL`: each statement changes one row, so there is nothing to
    // undo inside it, and SQLite skips the statement journal (a copy of
    // every page it touches) that a plain UPDATE inside a transaction
    // keeps; any failure rolls the whole batch back anyway.
    pub(super) const INSERT: &str = "INSERT OR FAIL INTO pushes (id, initiator, push_id, address, dest, state, datagram, received, deliver_after, deliver_before, notify_to)
 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10)";
    pub(super) const SUBMITTED: &str = "UPDATE OR FAIL pushes SET submitted_at = ?2 WHERE id = ?1 AND +state = 0";
    pub(super) const SEGMENT: &str = "INSERT OR REPLACE INTO segments (link, message_id, push) VALUES (?1, ?2, ?3)";
    /// Moves a pending row that asked for no result notification to a
    /// final state (the common case: no `RETURNING`, whose buffering costs
    /// about as much as the update).
    pub(super) const FINAL: &str = "UPDATE OR FAIL pushes SET state = ?2, code = ?3, desc = ?4, event_time = ?5,
 submitted_at = coalesce(submitted_at, ?6), notify_pending = 0
 WHERE id = ?1 AND +state = 0 AND notify_to IS NULL";
    /// The same for a row that asked for one; returns what the notifier
    /// needs (only if the row was still pending).
    pub(super) const FINAL_NOTIFY: &str = "UPDATE OR FAIL pushes SET state = ?2, code = ?3, desc = ?4, event_time = ?5,
 submitted_at = coalesce(submitted_at, ?6), notify_pending = 1
 WHERE id = ?1 AND +state = 0 AND notify_to IS NOT NULL
 RETURNING id, notify_to, push_id, address, received, state, code, desc, event_time";
    pub(super) const DROP_SEGMENTS: &str = "DELETE FROM segments WHERE push = ?1";
    pub(super) const NOTIFY_DONE: &str = "UPDATE OR FAIL pushes SET notify_pending = 0 WHERE id = ?1";
    pub(super) const CANCEL_ROWS: &str = "SELECT id, address, state FROM pushes WHERE id BETWEEN ?1 AND ?2 AND initiator = ?3 AND push_id = ?4 ORDER BY id";
    /// Every statement, for the query-plan test.
    #[cfg(test)]
    pub(super) const ALL: [&str; 8] = [INSERT, SUBMITTED, SEGMENT, FINAL, FINAL_NOTIFY, DROP_SEGMENTS, NOTIFY_DONE, CANCEL_ROWS];
}

/// Opens the writer's connection to the database file `path` (created and
/// migrated already through sqlx), with the same settings as
/// [`ferry_service::db::Db`]: WAL, `synchronous = FULL` (a returned commit
/// survives a power cut), a busy timeout, temporary data in memory.
pub(crate) fn open_writer(path: &std::path::Path) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path).with_context(|| format!("opening {} for the push writer", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;")
        .context("configuring the push writer's connection")?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// A batch's changes sorted by kind, applied in this order: inserts;
/// submissions and their segments; then final states (a receipt may
/// overtake the `Submitted` of its own push within one batch, and a final
/// state only moves pending rows); then acknowledged notifications;
/// cancels last.
#[derive(Default)]
struct Sorted {
    inserts: Vec<(i64, Arc<NewPush>, usize)>,
    submitted: Vec<(i64, Arc<str>, Vec<String>, i64)>,
    finals: Vec<(Final, Option<i64>, bool)>,
    notify_done: Vec<i64>,
    cancels: Vec<Op>,
}

impl Writer {
    /// Runs on its own thread until every sender is dropped.
    pub(crate) fn run(mut self, mut conn: rusqlite::Connection) {
        // Only for waiting on the queue with a deadline (the hold below).
        let rt = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!("push store: no runtime for the writer thread: {e}");
                return;
            }
        };
        let mut batch = Vec::with_capacity(self.batch_max);
        while let Some(op) = self.rx.blocking_recv() {
            batch.push(op);
            self.take_waiting(&mut batch);
            // Nobody waits for this batch (state changes only): let it
            // wait a little for an accepted push to commit with, rather
            // than paying an fsync of its own.
            if !self.hold.is_zero() && !batch.iter().any(Op::is_awaited) {
                let deadline = tokio::time::Instant::now() + self.hold;
                while batch.len() < self.batch_max {
                    match rt.block_on(async { tokio::time::timeout_at(deadline, self.rx.recv()).await }) {
                        Ok(Some(op)) => {
                            let awaited = op.is_awaited();
                            batch.push(op);
                            self.take_waiting(&mut batch);
                            if awaited {
                                break;
                            }
                        }
                        Ok(None) | Err(_) => break,
                    }
                }
            }
            let n = batch.len();
            self.apply(&mut conn, &mut batch);
            metrics::histogram!("ppg_commit_batch_ops").record(n as f64);
        }
    }

    /// Adds what is already queued to `batch`, up to `batch_max`.
    fn take_waiting(&mut self, batch: &mut Vec<Op>) {
        while batch.len() < self.batch_max {
            match self.rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
    }

    /// Applies and commits one batch, then answers its callers.
    fn apply(&mut self, conn: &mut rusqlite::Connection, batch: &mut Vec<Op>) {
        let mut replies = Vec::new();
        let mut new_keys: Vec<(Arc<str>, String)> = Vec::new();
        let mut notify = Vec::new();
        let first_id = self.next_id;
        let sorted = self.sort(batch, &mut replies, &mut new_keys);
        match Self::transaction(conn, &self.ids, sorted, &mut replies, &mut notify) {
            Ok(()) => Committed { replies, notify }.succeed(&self.notify),
            Err(e) => {
                tracing::error!("push store: commit failed: {e:#}");
                // Whatever the batch got to, nothing of it stays.
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                self.next_id = first_id;
                for (ini, push_id) in new_keys {
                    self.ids.remove(&ini, &push_id);
                }
                Committed { replies, notify: Vec::new() }.fail(&format!("{e:#}"));
            }
        }
    }

    /// Sorts the batch by kind, deciding duplicates and row ids on the way.
    fn sort(&mut self, batch: &mut Vec<Op>, replies: &mut Vec<Reply>, new_keys: &mut Vec<(Arc<str>, String)>) -> Sorted {
        let mut s = Sorted::default();
        let mut finals_seen: HashSet<i64> = HashSet::with_capacity(batch.len());
        for op in batch.drain(..) {
            match op {
                Op::Insert(p, reply) => {
                    let n = p.recipients.len() as i64;
                    if n == 0 {
                        replies.push(Reply::Insert(reply, Ok(Vec::new())));
                        continue;
                    }
                    if !self.ids.insert(&p.initiator, &p.push_id, (self.next_id + 1, self.next_id + n)) {
                        replies.push(Reply::Insert(reply, Err(InsertError::Duplicate)));
                        continue;
                    }
                    new_keys.push((p.initiator.clone(), p.push_id.clone()));
                    let p = Arc::new(p);
                    let mut ids = Vec::with_capacity(p.recipients.len());
                    for i in 0..p.recipients.len() {
                        self.next_id += 1;
                        ids.push(self.next_id);
                        s.inserts.push((self.next_id, p.clone(), i));
                    }
                    replies.push(Reply::Insert(reply, Ok(ids)));
                }
                Op::Submitted { id, link, message_ids, at } => s.submitted.push((id, link, message_ids, at)),
                Op::Final { f, submitted_at, segments } => {
                    // The first final state of a row in a batch wins (the
                    // statements only move rows out of pending).
                    if finals_seen.insert(f.id) {
                        s.finals.push((f, submitted_at, segments));
                    }
                }
                Op::NotifyDone { id } => s.notify_done.push(id),
                c @ Op::Cancel { .. } => s.cancels.push(c),
            }
        }
        s
    }

    /// Applies a sorted batch in one transaction (one fsync, at COMMIT).
    fn transaction(
        conn: &mut rusqlite::Connection,
        ids: &PushIds,
        s: Sorted,
        replies: &mut Vec<Reply>,
        notify: &mut Vec<NotifyJob>,
    ) -> Result<()> {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if !s.inserts.is_empty() {
            let mut st = tx.prepare_cached(sql::INSERT)?;
            for (id, p, i) in &s.inserts {
                let r = &p.recipients[*i];
                st.execute(rusqlite::params![
                    id,
                    &*p.initiator,
                    p.push_id,
                    r.address,
                    &*r.dest,
                    &p.datagram[..],
                    p.received,
                    p.deliver_after,
                    p.deliver_before,
                    p.notify_to
                ])?;
            }
        }
        if !s.submitted.is_empty() {
            let mut st = tx.prepare_cached(sql::SUBMITTED)?;
            let mut seg = tx.prepare_cached(sql::SEGMENT)?;
            for (id, link, message_ids, at) in &s.submitted {
                st.execute(rusqlite::params![id, at])?;
                for m in message_ids {
                    seg.execute(rusqlite::params![&**link, m, id])?;
                }
            }
        }
        if !s.finals.is_empty() {
            let mut drop_segments = tx.prepare_cached(sql::DROP_SEGMENTS)?;
            for (f, submitted_at, segments) in &s.finals {
                notify.extend(finish_row(&tx, f, *submitted_at)?);
                if *segments {
                    drop_segments.execute([f.id])?;
                }
            }
        }
        if !s.notify_done.is_empty() {
            let mut st = tx.prepare_cached(sql::NOTIFY_DONE)?;
            for id in &s.notify_done {
                st.execute([id])?;
            }
        }
        for op in s.cancels {
            let Op::Cancel { initiator, push_id, addresses, take, reply } = op else { continue };
            let (first, last) = ids.get(&initiator, &push_id).unwrap_or((1, 0));
            let rows: Vec<(i64, String, i64)> = {
                let mut st = tx.prepare_cached(sql::CANCEL_ROWS)?;
                let rows = st.query_map(rusqlite::params![first, last, &*initiator, push_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let now = crate::now();
            let mut out = Vec::new();
            for (id, address, state) in rows {
                if let Some(list) = &addresses
                    && !list.iter().any(|a| a.eq_ignore_ascii_case(&address))
                {
                    continue;
                }
                let state = State::from_i64(state).unwrap_or(State::Pending);
                if state == State::Pending && take(id) {
                    let f = Final { id, state: State::Cancelled, code: 1000, desc: "cancelled by the push initiator".into(), at: now };
                    notify.extend(finish_row(&tx, &f, None)?);
                    tx.prepare_cached(sql::DROP_SEGMENTS)?.execute([id])?;
                    metrics::counter!("ppg_pushes_final_total", "state" => "cancelled").increment(1);
                    out.push(CancelOutcome { address, cancelled: true, state: State::Cancelled });
                } else {
                    out.push(CancelOutcome { address, cancelled: false, state });
                }
            }
            replies.push(Reply::Cancel(reply, out));
        }
        tx.commit()?;
        Ok(())
    }
}

/// Steps a `RETURNING` statement to its end (SQLite finishes the change
/// only then).
fn drop_rows(mut rows: rusqlite::Rows<'_>) -> rusqlite::Result<()> {
    while rows.next()?.is_some() {}
    Ok(())
}

/// Moves pending row `f.id` to the final state of `f`; returns the result
/// notification to send, if the push asked for one.
fn finish_row(tx: &rusqlite::Transaction<'_>, f: &Final, submitted_at: Option<i64>) -> rusqlite::Result<Option<NotifyJob>> {
    let params = rusqlite::params![f.id, f.state as i64, i64::from(f.code), f.desc, f.at, submitted_at];
    if tx.prepare_cached(sql::FINAL)?.execute(params)? > 0 {
        return Ok(None);
    }
    let mut st = tx.prepare_cached(sql::FINAL_NOTIFY)?;
    let mut rows = st.query(params)?;
    let job = match rows.next()? {
        Some(row) => notify_job(row)?,
        None => None,
    };
    drop_rows(rows)?;
    Ok(job)
}

/// The notifier's job from a row returned by [`sql::FINAL_NOTIFY`], if the push
/// asked for a result notification.
fn notify_job(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<NotifyJob>> {
    let Some(url) = row.get::<_, Option<String>>(1)? else { return Ok(None) };
    Ok(Some(NotifyJob {
        id: row.get(0)?,
        url,
        push_id: row.get(2)?,
        address: row.get(3)?,
        received: row.get(4)?,
        state: State::from_i64(row.get(5)?).unwrap_or(State::Undeliverable),
        code: row.get::<_, Option<i64>>(6)?.unwrap_or(4000) as u16,
        desc: row.get(7)?,
        event_time: row.get::<_, Option<i64>>(8)?.unwrap_or(0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open(dir: &std::path::Path) -> (ferry_service::db::Db, WriterHandle, mpsc::UnboundedReceiver<NotifyJob>, Arc<PushIds>) {
        open_with_hold(dir, std::time::Duration::from_millis(5)).await
    }

    async fn open_with_hold(
        dir: &std::path::Path,
        hold: std::time::Duration,
    ) -> (ferry_service::db::Db, WriterHandle, mpsc::UnboundedReceiver<NotifyJob>, Arc<PushIds>) {
        let db = ferry_service::db::Db::open(&dir.join("ppg.db")).await.unwrap();
        migrate(&db.writer).await.unwrap();
        let rec = recover(&db.writer).await.unwrap();
        let (tx, rx) = mpsc::channel(1024);
        let (ntx, nrx) = mpsc::unbounded_channel();
        let ids = Arc::new(rec.ids);
        let w = Writer { rx, ids: ids.clone(), next_id: rec.max_id, batch_max: 64, hold, notify: ntx };
        let conn = open_writer(&db.path).unwrap();
        std::thread::spawn(move || w.run(conn));
        (db, WriterHandle { tx }, nrx, ids)
    }

    fn push(id: &str, notify_to: Option<&str>) -> NewPush {
        NewPush {
            initiator: "mmsc".into(),
            push_id: id.into(),
            recipients: vec![NewRecipient { address: format!("WAPPUSH=+1555{id}/TYPE=PLMN\"\\\n"), dest: "+15551".into() }],
            datagram: Bytes::from_static(&[0x00, 0x06, 0xff, 0x22, 0x5c]),
            received: 1_700_000_000,
            deliver_after: None,
            deliver_before: Some(1_800_000_000),
            notify_to: notify_to.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn one_batch_inserts_finishes_and_returns_notifications() {
        let dir = tempfile::tempdir().unwrap();
        let (db, w, mut nrx, ids) = open(dir.path()).await;
        let a = w.insert(push("a", None)).await.unwrap();
        let b = w.insert(push("b", Some("http://x/\"n\""))).await.unwrap();
        assert!(matches!(w.insert(push("a", None)).await, Err(InsertError::Duplicate)));
        let f = |id, s| Final { id, state: s, code: 1000, desc: "d\"\u{1}é".into(), at: 1_700_000_005 };
        w.send(Op::Final { f: f(a[0], State::Delivered), submitted_at: Some(1_700_000_004), segments: false }).await;
        w.send(Op::Final { f: f(b[0], State::Delivered), submitted_at: None, segments: true }).await;
        let job = tokio::time::timeout(std::time::Duration::from_secs(5), nrx.recv()).await.unwrap().unwrap();
        assert_eq!(job.id, b[0]);
        assert_eq!(job.url, "http://x/\"n\"");
        assert_eq!(job.desc.as_deref(), Some("d\"\u{1}é"));
        let rows = status(&db.readers, &ids, "mmsc", "a").await.unwrap();
        assert_eq!(rows[0].state, State::Delivered);
        assert_eq!(rows[0].submitted_at, Some(1_700_000_004));
        assert_eq!(rows[0].address, "WAPPUSH=+1555a/TYPE=PLMN\"\\\n");
        let d: Vec<u8> = sqlx::query_scalar("SELECT datagram FROM pushes WHERE id = ?").bind(a[0]).fetch_one(&db.readers).await.unwrap();
        assert_eq!(d, [0x00, 0x06, 0xff, 0x22, 0x5c]);
    }

    /// A state change nobody waits for is held for the next accepted
    /// push's commit (no fsync of its own), and committed with it.
    #[tokio::test]
    async fn a_lone_state_change_waits_for_the_next_push_and_commits_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let (db, w, _nrx, ids) = open_with_hold(dir.path(), std::time::Duration::from_secs(30)).await;
        let a = w.insert(push("a", None)).await.unwrap();
        let f = Final { id: a[0], state: State::Delivered, code: 1000, desc: "ok".into(), at: 1_700_000_005 };
        w.send(Op::Final { f, submitted_at: Some(1_700_000_004), segments: false }).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let rows = status(&db.readers, &ids, "mmsc", "a").await.unwrap();
        assert_eq!(rows[0].state, State::Pending, "held, not committed on its own");
        // The insert is answered only after its commit, which carries the
        // held final state too.
        w.insert(push("b", None)).await.unwrap();
        let rows = status(&db.readers, &ids, "mmsc", "a").await.unwrap();
        assert_eq!(rows[0].state, State::Delivered);
        assert_eq!(rows[0].submitted_at, Some(1_700_000_004));
    }

    /// Without a waiting push, a held change is committed when the hold ends.
    #[tokio::test]
    async fn a_held_state_change_is_committed_when_the_hold_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (db, w, _nrx, ids) = open_with_hold(dir.path(), std::time::Duration::from_millis(200)).await;
        let a = w.insert(push("a", None)).await.unwrap();
        let f = Final { id: a[0], state: State::Undeliverable, code: 4000, desc: "no".into(), at: 1_700_000_005 };
        w.send(Op::Final { f, submitted_at: None, segments: false }).await;
        let t = std::time::Instant::now();
        loop {
            let rows = status(&db.readers, &ids, "mmsc", "a").await.unwrap();
            if rows[0].state == State::Undeliverable {
                break;
            }
            assert!(t.elapsed() < std::time::Duration::from_secs(10), "the held change was never committed");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Every statement of the writer looks rows up by id, driven by the
    /// batch: none scans `pushes` or walks the pending index, whose size is
    /// the backlog (a down link can leave millions of rows there).
    #[tokio::test]
    async fn writer_statements_seek_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let db = ferry_service::db::Db::open(&dir.path().join("ppg.db")).await.unwrap();
        migrate(&db.writer).await.unwrap();
        let conn = open_writer(&db.path).unwrap();
        for stmt in sql::ALL {
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {stmt}")).unwrap();
            let n = st.parameter_count();
            let plan: Vec<String> = st
                .query_map(rusqlite::params_from_iter(std::iter::repeat_n(rusqlite::types::Null, n)), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for step in &plan {
                assert!(!step.contains("SCAN pushes") && !step.contains("pushes_pending"), "{stmt}\n{plan:#?}");
            }
        }
    }
}
