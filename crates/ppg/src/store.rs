//! Durable push state in SQLite, written by one task with group commit.
//!
//! Every accepted push is one row per recipient address in `pushes`; the
//! SMSC message ids of its segments are rows of `segments` until a final
//! receipt arrives. All writes go through [`Writer`], a task that takes
//! whatever operations are queued (up to `batch_max`), applies them in one
//! transaction, and only after the commit answers the callers: an HTTP
//! handler's push is acknowledged (`1001`) once its rows are on disk.
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
use sqlx::sqlite::SqliteConnection;
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
    pub(crate) notify: mpsc::UnboundedSender<NotifyJob>,
}

enum Reply {
    Insert(oneshot::Sender<Result<Vec<i64>, InsertError>>, Result<Vec<i64>, InsertError>),
    Cancel(oneshot::Sender<Result<Vec<CancelOutcome>, String>>, Vec<CancelOutcome>),
}

/// One batch, as one SQL script on the writer connection: one round trip
/// to sqlx's SQLite thread and one fsync (at COMMIT) for the whole batch,
/// whatever it holds. Each kind of change is one statement over a JSON
/// array bound as a parameter (`json_each`), so the script text never
/// changes and stays prepared in the statement cache. Each statement has
/// exactly one `?`, bound in order.
///
/// Order matters: inserts; submissions and their segments; then final
/// states (a receipt may overtake the `Submitted` of its own push within
/// one batch); final states of pushes that asked for a result
/// notification return the rows the notifier needs; then acknowledged
/// notifications.
///
/// `OR FAIL`: a failing statement keeps what it changed before the
/// failure, which spares SQLite the statement journal (a copy of every page
/// a multi-row statement touches); any failure rolls the whole transaction
/// back anyway.
macro_rules! batch_body {
    () => {
        "INSERT OR FAIL INTO pushes (id, initiator, push_id, address, dest, state, datagram, received, deliver_after, deliver_before, notify_to)
 SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, 0, unhex(j.value->>5), j.value->>6, j.value->>7, j.value->>8, j.value->>9
 FROM json_each(?) AS j;
UPDATE OR FAIL pushes SET submitted_at = j.value->>1 FROM json_each(?) AS j WHERE pushes.id = j.value->>0 AND +pushes.state = 0;
INSERT OR REPLACE INTO segments (link, message_id, push) SELECT j.value->>0, j.value->>1, j.value->>2 FROM json_each(?) AS j;
UPDATE OR FAIL pushes SET state = j.value->>1, code = j.value->>2, desc = j.value->>3, event_time = j.value->>4,
 submitted_at = coalesce(pushes.submitted_at, j.value->>5), notify_pending = 0
 FROM json_each(?) AS j WHERE pushes.id = j.value->>0 AND +pushes.state = 0 AND pushes.notify_to IS NULL;
UPDATE OR FAIL pushes SET state = j.value->>1, code = j.value->>2, desc = j.value->>3, event_time = j.value->>4,
 submitted_at = coalesce(pushes.submitted_at, j.value->>5), notify_pending = 1
 FROM json_each(?) AS j WHERE pushes.id = j.value->>0 AND +pushes.state = 0 AND pushes.notify_to IS NOT NULL
 RETURNING pushes.id, pushes.notify_to, pushes.push_id, pushes.address, pushes.received, pushes.state, pushes.code, pushes.desc, pushes.event_time;
DELETE FROM segments WHERE push IN (SELECT j.value FROM json_each(?) AS j);
UPDATE OR FAIL pushes SET notify_pending = 0 WHERE id IN (SELECT j.value FROM json_each(?) AS j);
"
    };
}

/// A batch without cancels: begin, apply, commit.
const BATCH_COMMIT: &str = concat!("BEGIN IMMEDIATE;\n", batch_body!(), "COMMIT;");
/// A batch with cancels: begin and apply; the cancels and the COMMIT follow.
const BATCH_OPEN: &str = concat!("BEGIN IMMEDIATE;\n", batch_body!());

/// The JSON arrays a batch binds.
#[derive(Default)]
struct BatchJson {
    inserts: JsonArray,
    submitted: JsonArray,
    segments: JsonArray,
    finals: JsonArray,
    drop_segments: JsonArray,
    notify_done: JsonArray,
}

/// A JSON array written element by element.
struct JsonArray(String);

impl Default for JsonArray {
    fn default() -> Self {
        JsonArray(String::from("["))
    }
}

impl JsonArray {
    /// Starts an element: the buffer to write it to.
    fn next(&mut self) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        &mut self.0
    }

    fn finish(mut self) -> String {
        self.0.push(']');
        self.0
    }
}

/// Appends `s` as a JSON string.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn json_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
}

fn json_int(out: &mut String, v: i64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{v}");
}

fn json_opt_int(out: &mut String, v: Option<i64>) {
    match v {
        Some(v) => json_int(out, v),
        None => out.push_str("null"),
    }
}

fn json_hex(out: &mut String, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() * 2 + 2);
    out.push('"');
    for &x in b {
        out.push(char::from(HEX[usize::from(x >> 4)]));
        out.push(char::from(HEX[usize::from(x & 15)]));
    }
    out.push('"');
}

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
        // Temporary tables and the statement journal in memory, never in
        // a temporary file.
        if let Err(e) = sqlx::raw_sql("PRAGMA temp_store = MEMORY").execute(&mut *conn).await {
            tracing::warn!("push store: PRAGMA temp_store: {e}");
        }
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
        let mut replies = Vec::new();
        let mut new_keys: Vec<(Arc<str>, String)> = Vec::new();
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
                // Whatever the script got to, nothing of it stays.
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                self.next_id = first_id;
                for (ini, push_id) in new_keys {
                    self.ids.remove(&ini, &push_id);
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

    /// Turns the batch into the script's JSON parameters (deciding
    /// duplicates and row ids on the way) and runs it.
    async fn transaction(
        &mut self,
        conn: &mut SqliteConnection,
        batch: &mut Vec<Op>,
        replies: &mut Vec<Reply>,
        new_keys: &mut Vec<(Arc<str>, String)>,
        notify: &mut Vec<NotifyJob>,
    ) -> Result<()> {
        let mut j = BatchJson::default();
        let mut cancels: Vec<Op> = Vec::new();
        let mut finals_seen: HashSet<i64> = HashSet::new();
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
                    let mut ids = Vec::with_capacity(p.recipients.len());
                    for rcpt in &p.recipients {
                        self.next_id += 1;
                        ids.push(self.next_id);
                        let o = j.inserts.next();
                        o.push('[');
                        json_int(o, self.next_id);
                        o.push(',');
                        json_str(o, &p.initiator);
                        o.push(',');
                        json_str(o, &p.push_id);
                        o.push(',');
                        json_str(o, &rcpt.address);
                        o.push(',');
                        json_str(o, &rcpt.dest);
                        o.push(',');
                        json_hex(o, &p.datagram);
                        o.push(',');
                        json_int(o, p.received);
                        o.push(',');
                        json_opt_int(o, p.deliver_after);
                        o.push(',');
                        json_opt_int(o, p.deliver_before);
                        o.push(',');
                        json_opt_str(o, p.notify_to.as_deref());
                        o.push(']');
                    }
                    replies.push(Reply::Insert(reply, Ok(ids)));
                }
                Op::Submitted { id, link, message_ids, at } => {
                    let o = j.submitted.next();
                    o.push('[');
                    json_int(o, id);
                    o.push(',');
                    json_int(o, at);
                    o.push(']');
                    for m in &message_ids {
                        let o = j.segments.next();
                        o.push('[');
                        json_str(o, &link);
                        o.push(',');
                        json_str(o, m);
                        o.push(',');
                        json_int(o, id);
                        o.push(']');
                    }
                }
                Op::Final { f, submitted_at, segments } => {
                    // The first final state of a row in a batch wins (the
                    // statements only move rows out of pending).
                    if !finals_seen.insert(f.id) {
                        continue;
                    }
                    let o = j.finals.next();
                    o.push('[');
                    json_int(o, f.id);
                    o.push(',');
                    json_int(o, f.state as i64);
                    o.push(',');
                    json_int(o, i64::from(f.code));
                    o.push(',');
                    json_str(o, &f.desc);
                    o.push(',');
                    json_int(o, f.at);
                    o.push(',');
                    json_opt_int(o, submitted_at);
                    o.push(']');
                    if segments {
                        json_int(j.drop_segments.next(), f.id);
                    }
                }
                Op::NotifyDone { id } => json_int(j.notify_done.next(), id),
                c @ Op::Cancel { .. } => cancels.push(c),
            }
        }
        let script = if cancels.is_empty() { BATCH_COMMIT } else { BATCH_OPEN };
        // Positional parameters, one per statement in order (sqlx numbers
        // `?` across the statements of a script; `?NNN` would leave gaps it
        // does not handle). The final states feed two statements.
        let finals = j.finals.finish();
        let rows = sqlx::query(script)
            .bind(j.inserts.finish())
            .bind(j.submitted.finish())
            .bind(j.segments.finish())
            .bind(finals.clone())
            .bind(finals)
            .bind(j.drop_segments.finish())
            .bind(j.notify_done.finish())
            .persistent(true)
            .fetch_all(&mut *conn)
            .await?;
        for row in rows {
            notify.push(notify_job(&row));
        }
        if cancels.is_empty() {
            return Ok(());
        }
        for op in cancels {
            let Op::Cancel { initiator, push_id, addresses, take, reply } = op else { continue };
            let (first, last) = self.ids.get(&initiator, &push_id).unwrap_or((1, 0));
            let rows = sqlx::query("SELECT id, address, state FROM pushes WHERE id BETWEEN ? AND ? AND initiator = ? AND push_id = ? ORDER BY id")
                .bind(first)
                .bind(last)
                .bind(&*initiator)
                .bind(&push_id)
                .fetch_all(&mut *conn)
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
                    notify.extend(finish_one(&mut *conn, &f).await?);
                    metrics::counter!("ppg_pushes_final_total", "state" => "cancelled").increment(1);
                    out.push(CancelOutcome { address, cancelled: true, state: State::Cancelled });
                } else {
                    out.push(CancelOutcome { address, cancelled: false, state });
                }
            }
            replies.push(Reply::Cancel(reply, out));
        }
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        Ok(())
    }
}

/// The notifier's job from a row returned by the final-state statements.
fn notify_job(row: &sqlx::sqlite::SqliteRow) -> NotifyJob {
    NotifyJob {
        id: row.get(0),
        url: row.get(1),
        push_id: row.get(2),
        address: row.get(3),
        received: row.get(4),
        state: State::from_i64(row.get(5)).unwrap_or(State::Undeliverable),
        code: row.get::<Option<i64>, _>(6).unwrap_or(4000) as u16,
        desc: row.get(7),
        event_time: row.get::<Option<i64>, _>(8).unwrap_or(0),
    }
}

/// Moves pending row `f.id` to the final state of `f` (cancels); returns
/// the notification to send, if one was asked for.
async fn finish_one(conn: &mut SqliteConnection, f: &Final) -> Result<Option<NotifyJob>> {
    let row = sqlx::query(
        "UPDATE pushes SET state = ?, code = ?, desc = ?, event_time = ?, notify_pending = (notify_to IS NOT NULL)
         WHERE state = 0 AND id = ?
         RETURNING id, notify_to, push_id, address, received, state, code, desc, event_time",
    )
    .bind(f.state as i64)
    .bind(i64::from(f.code))
    .bind(f.desc.as_str())
    .bind(f.at)
    .bind(f.id)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM segments WHERE push = ?").bind(f.id).execute(&mut *conn).await?;
    Ok(row.filter(|r| r.get::<Option<String>, _>(1).is_some()).map(|r| notify_job(&r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open(dir: &std::path::Path) -> (ferry_service::db::Db, WriterHandle, mpsc::UnboundedReceiver<NotifyJob>, Arc<PushIds>) {
        let db = ferry_service::db::Db::open(&dir.join("ppg.db")).await.unwrap();
        migrate(&db.writer).await.unwrap();
        let rec = recover(&db.writer).await.unwrap();
        let (tx, rx) = mpsc::channel(1024);
        let (ntx, nrx) = mpsc::unbounded_channel();
        let ids = Arc::new(rec.ids);
        let w = Writer { rx, ids: ids.clone(), next_id: rec.max_id, batch_max: 64, notify: ntx };
        tokio::spawn(w.run(db.writer.clone()));
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
    async fn one_script_inserts_finishes_and_returns_notifications() {
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

    /// Every statement of the batch script looks rows up by id, driven by
    /// the batch: none scans `pushes` or walks the pending index, whose
    /// size is the backlog (a down link can leave millions of rows there).
    #[tokio::test]
    async fn batch_statements_seek_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let db = ferry_service::db::Db::open(&dir.path().join("ppg.db")).await.unwrap();
        migrate(&db.writer).await.unwrap();
        for stmt in batch_body!().split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {stmt}"))).bind("[]").fetch_all(&db.writer).await.unwrap();
            let plan: Vec<String> = rows.iter().map(|r| r.get::<String, _>(3)).collect();
            for step in &plan {
                assert!(!step.contains("SCAN pushes") && !step.contains("pushes_pending"), "{stmt}\n{plan:#?}");
            }
        }
    }
}
