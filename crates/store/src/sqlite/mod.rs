//! The SQLite + body-directory backend.
//!
//! Layout under the configured directory: `store.db` (with its `-wal` and
//! `-shm`; bodies up to [`SqliteConfig::inline_body_max`] in its `bodies`
//! table), and `bodies/` holding one file per larger body, named by a random
//! 128-bit hex key. The database is opened through
//! [`ferry_service::db::Db::open`] (WAL, `synchronous=FULL`, foreign keys,
//! one writer connection and a reader pool). The writer connection is owned
//! by the group-commit task (module `writer`); reads go to the reader pool.
//!
//! Only one process may open a store directory at a time (the sweep at open
//! assumes no other writer).

mod bodies;
mod ops;
mod outbox;
mod writer;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferry_service::db::Db;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use tokio::sync::Mutex;

use crate::backend::{Backend, BoxFuture};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::outbox::{NewOutbound, Outbound, OutboundId, OutboundOutcome, RecipientRoute};
use crate::password::{self, PasswordCost};
use bodies::BodyDir;
use writer::Writer;
pub use writer::WriterStats;

/// Bytes of randomness in a retrieval token (144 bits, 24 URL-safe base64
/// characters).
pub const TOKEN_BYTES: usize = 18;

/// Where and how to open a SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteConfig {
    /// The directory holding `store.db` and `bodies/` (created if missing).
    pub dir: PathBuf,
    /// The most jobs one transaction takes (group commit).
    pub max_batch: usize,
    /// Cost of new password hashes.
    pub password_cost: PasswordCost,
    /// Octets of free space to keep on the store's file system: a
    /// submission that would leave less fails with [`StoreError::Full`]
    /// before anything is written (0: no check; a real ENOSPC or
    /// SQLITE_FULL is [`StoreError::Full`] either way).
    pub min_free_bytes: u64,
    /// Bodies of at most this many octets are stored inside the database,
    /// in the group commit that stores their message (no file to create,
    /// fsync, rename and later unlink); larger ones are files in `bodies/`.
    /// 0: every body is a file.
    pub inline_body_max: usize,
}

/// The default [`SqliteConfig::inline_body_max`]: 100 KiB. SQLite's own
/// measurements (<https://www.sqlite.org/intern-v-extern-blob.html>) find
/// blobs below about 100 KB faster to read from the database than from
/// separate files at the default page size, and writing them is far
/// cheaper (one sequential WAL append, one fsync per batch, instead of a new
/// inode and an fsync per message).
pub const DEFAULT_INLINE_BODY_MAX: usize = 100 * 1024;

impl SqliteConfig {
    /// Defaults: batches of up to 256 jobs, standard password cost, bodies
    /// up to [`DEFAULT_INLINE_BODY_MAX`] inside the database.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            max_batch: 256,
            password_cost: PasswordCost::Standard,
            min_free_bytes: 0,
            inline_body_max: DEFAULT_INLINE_BODY_MAX,
        }
    }
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "init".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "interconnect".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0002_interconnect.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "inline_bodies".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0003_inline_bodies.sql").into_sql_str(),
            false,
        ),
    ])
}

/// The SQLite backend. Wrap it in [`crate::Store`] (or use
/// [`crate::Store::open_sqlite`]).
#[derive(Debug)]
pub struct SqliteBackend {
    db: Db,
    bodies: Arc<BodyDir>,
    writer: std::sync::Mutex<Option<Writer>>,
    writer_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    stats: Arc<WriterStats>,
    password_cost: PasswordCost,
    min_free_bytes: u64,
    inline_body_max: usize,
}

fn open_err(path: &Path, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Open {
        path: path.to_owned(),
        detail: detail.to_string(),
    }
}

impl SqliteBackend {
    /// Opens (creating and migrating if needed) the store in `config.dir`,
    /// removes body files a crash left behind, and starts the writer task.
    pub async fn open(config: SqliteConfig) -> Result<Self> {
        let db_path = config.dir.join("store.db");
        let bodies = Arc::new(BodyDir::open(config.dir.join("bodies"))?);
        let db = Db::open(&db_path)
            .await
            .map_err(|e| open_err(&db_path, format!("{e:#}")))?;
        migrator()
            .run(&db.writer)
            .await
            .map_err(|e| open_err(&db_path, format!("migrating: {e}")))?;
        let mut conn = db
            .writer
            .acquire()
            .await
            .map_err(|e| open_err(&db_path, e))?;
        let present: HashSet<String> = ops::present_body_keys(&mut conn)
            .await?
            .into_iter()
            .collect();
        let sweeper = bodies.clone();
        let removed = tokio::task::spawn_blocking(move || sweeper.sweep(&present))
            .await
            .map_err(|e| open_err(&db_path, e))??;
        if removed > 0 {
            tracing::info!(removed, dir = %bodies.dir().display(), "removed body files left by a crash");
        }
        let stats = Arc::new(WriterStats::default());
        let (writer, task) = Writer::start(conn, bodies.clone(), config.max_batch, stats.clone());
        Ok(Self {
            db,
            bodies,
            writer: std::sync::Mutex::new(Some(writer)),
            writer_task: Mutex::new(Some(task)),
            stats,
            password_cost: config.password_cost,
            min_free_bytes: config.min_free_bytes,
            inline_body_max: config.inline_body_max,
        })
    }

    /// Refuses (with [`StoreError::Full`]) a write of `len` octets that
    /// would leave less than `min_free_bytes` free.
    fn check_free_space(&self, len: u64) -> Result<()> {
        let dir = self.bodies.dir();
        let free = free_bytes(dir).map_err(|e| StoreError::io("reading the free space", e))?;
        if free < len.saturating_add(self.min_free_bytes) {
            return Err(StoreError::Full {
                context: "storing a message".into(),
                detail: format!(
                    "{free} octets free on {}, {} to keep free (min_free_bytes)",
                    dir.display(),
                    self.min_free_bytes
                ),
            });
        }
        Ok(())
    }

    /// Counters of the group-commit writer.
    pub fn writer_stats(&self) -> Arc<WriterStats> {
        self.stats.clone()
    }

    /// The path of a message's body file, `None` when the body is stored
    /// inside the database (see [`SqliteConfig::inline_body_max`]).
    pub async fn body_path(&self, id: &str) -> Result<Option<PathBuf>> {
        let mut c = self.reader().await?;
        let row =
            ops::message_body(&mut c, id, false)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "message",
                    key: id.to_owned(),
                })?;
        if !row.present {
            return Err(StoreError::BodyGone(id.to_owned()));
        }
        Ok((!row.inline).then(|| self.bodies.path(&row.body_key)))
    }

    async fn writer(&self) -> Result<Writer> {
        self.writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(StoreError::Closed)
    }

    async fn reader(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>> {
        self.db
            .readers
            .acquire()
            .await
            .map_err(|e| StoreError::db("getting a reader", e))
    }

    async fn do_submit(&self, msg: NewMessage, now: u64) -> Result<Submitted> {
        validate(&msg)?;
        if self.min_free_bytes > 0 {
            self.check_free_space(msg.body.len() as u64)?;
        }
        let writer = self.writer().await?;
        let key = bodies::new_key();
        let tokens: Vec<String> = msg
            .recipients
            .iter()
            .map(|_| URL_SAFE_NO_PAD.encode(rand::random::<[u8; TOKEN_BYTES]>()))
            .collect();
        let msg = Arc::new(msg);
        let inline = msg.body.len() <= self.inline_body_max;
        if !inline {
            // 1. A large body: temp file, fsync, rename (in this caller's
            //    task, so several submissions write their bodies in
            //    parallel). A small one goes into the database with its
            //    message, in the same transaction.
            let (b, k, m) = (self.bodies.clone(), key.clone(), msg.clone());
            tokio::task::spawn_blocking(move || b.write(&k, &m.body))
                .await
                .map_err(|e| StoreError::Transient {
                    context: "writing a body".into(),
                    detail: e.to_string(),
                })??;
        }
        // 2. The metadata (and an inline body), in the next group commit
        //    (which fsyncs the body directory first when a file was renamed
        //    into it). If it does not commit, a body file goes.
        let submission = writer::Submission {
            message: msg,
            body_key: key,
            inline,
            bodies: self.bodies.clone(),
            tokens,
            now,
            result: None,
        };
        writer.grouped(submission).await
    }

    async fn do_add_subscriber(&self, s: NewSubscriber, now: u64) -> Result<Subscriber> {
        if s.msisdn.is_empty() {
            return Err(StoreError::Invalid("empty MSISDN".into()));
        }
        if s.password.is_some() && s.username.is_none() {
            return Err(StoreError::Invalid(format!(
                "subscriber {}: a password needs a user name",
                s.msisdn
            )));
        }
        let hash = match s.password.clone() {
            Some(p) => {
                let cost = self.password_cost;
                Some(
                    tokio::task::spawn_blocking(move || password::hash(&p, cost))
                        .await
                        .map_err(|e| StoreError::Transient {
                            context: "hashing".into(),
                            detail: e.to_string(),
                        })??,
                )
            }
            None => None,
        };
        self.writer()
            .await?
            .write(move |c| Box::pin(async move { ops::insert_subscriber(c, &s, hash, now).await }))
            .await
    }

    async fn do_verify(&self, username: &str, pw: &str) -> Result<Option<Subscriber>> {
        let found = {
            let mut c = self.reader().await?;
            ops::credentials(&mut c, username).await?
        };
        let Some((sub, phc)) = found else {
            return Ok(None);
        };
        let pw = pw.to_owned();
        let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &phc))
            .await
            .map_err(|e| StoreError::Transient {
                context: "verifying".into(),
                detail: e.to_string(),
            })??;
        Ok(ok.then_some(sub))
    }

    async fn do_gc(&self, now: u64, purge_before: Option<u64>) -> Result<GcStats> {
        let (removed, purged) = self
            .writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    let removed = ops::collect_bodies(c, now).await?;
                    let purged = match purge_before {
                        Some(t) => ops::purge(c, t).await?,
                        None => (0, 0),
                    };
                    Ok((removed, purged))
                })
            })
            .await?;
        // Committed: no row references these bodies as present any more. A
        // crash before the files go leaves them to the sweep at next open.
        let mut stats = GcStats {
            messages_purged: purged.0,
            reports_purged: purged.1,
            ..GcStats::default()
        };
        let bodies = self.bodies.clone();
        let freed = tokio::task::spawn_blocking(move || -> Result<(u64, u64)> {
            let (mut n, mut bytes, mut files) = (0, 0, 0);
            for (key, size, inline) in &removed {
                // An inline body went with the committed DELETE.
                if !inline {
                    bodies.remove(key)?;
                    files += 1;
                }
                n += 1;
                bytes += size;
            }
            if files > 0 {
                bodies.sync_dir()?;
            }
            Ok((n, bytes))
        })
        .await
        .map_err(|e| StoreError::Transient {
            context: "removing bodies".into(),
            detail: e.to_string(),
        })??;
        stats.bodies_removed = freed.0;
        stats.bytes_freed = freed.1;
        Ok(stats)
    }

    async fn do_close(&self) -> Result<()> {
        // Dropping the last sender ends the writer task once it drained.
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = self.writer_task.lock().await.take() {
            let _ = task.await;
        }
        self.db.close().await;
        Ok(())
    }
}

fn validate(msg: &NewMessage) -> Result<()> {
    if msg.id.is_empty() {
        return Err(StoreError::Invalid("empty message id".into()));
    }
    if msg.recipients.is_empty() {
        return Err(StoreError::Invalid(format!(
            "message {}: no recipients",
            msg.id
        )));
    }
    let mut seen = HashSet::new();
    for r in &msg.recipients {
        if r.address.is_empty() {
            return Err(StoreError::Invalid(format!(
                "message {}: empty recipient address",
                msg.id
            )));
        }
        if !seen.insert(r.address.as_str()) {
            return Err(StoreError::Invalid(format!(
                "message {}: recipient {} given twice",
                msg.id, r.address
            )));
        }
    }
    Ok(())
}

impl Backend for SqliteBackend {
    fn submit(&self, message: NewMessage, now: u64) -> BoxFuture<'_, Submitted> {
        Box::pin(self.do_submit(message, now))
    }

    fn message<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<MessageMeta>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            Ok(ops::message(&mut c, id).await?.map(|r| r.meta))
        })
    }

    fn recipients<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Vec<Recipient>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            ops::recipients(&mut c, id).await
        })
    }

    fn delivery<'a>(&'a self, key: &'a RecipientKey) -> BoxFuture<'a, Option<Delivery>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            Ok(ops::delivery(&mut c, key).await?.map(|r| r.delivery))
        })
    }

    fn read_body<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Vec<u8>> {
        Box::pin(async move {
            // One query: the body itself when it is inline.
            let row = {
                let mut c = self.reader().await?;
                ops::message_body(&mut c, id, true).await?
            };
            let row = row.ok_or_else(|| StoreError::NotFound {
                what: "message",
                key: id.to_owned(),
            })?;
            if !row.present {
                return Err(StoreError::BodyGone(id.to_owned()));
            }
            if let Some(data) = row.data {
                return Ok(data);
            }
            if row.inline {
                return Err(StoreError::Corrupt(format!(
                    "message {id}: inline body row without data"
                )));
            }
            let bodies = self.bodies.clone();
            let key = row.body_key;
            let id = id.to_owned();
            tokio::task::spawn_blocking(move || match bodies.read(&key) {
                Ok(b) => Ok(b),
                // Collected between our read of the row and of the file.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::BodyGone(id)),
                Err(e) => Err(StoreError::io(format!("reading body of {id}"), e)),
            })
            .await
            .map_err(|e| StoreError::Transient {
                context: "reading a body".into(),
                detail: e.to_string(),
            })?
        })
    }

    fn update_recipient(
        &self,
        key: RecipientKey,
        update: RecipientUpdate,
        now: u64,
    ) -> BoxFuture<'_, Transition> {
        Box::pin(async move {
            self.writer()
                .await?
                .grouped(writer::Update {
                    key,
                    update,
                    now,
                    result: None,
                })
                .await
        })
    }

    fn acknowledge(
        &self,
        key: RecipientKey,
        report_allowed: Option<bool>,
        now: u64,
    ) -> BoxFuture<'_, Recipient> {
        Box::pin(async move {
            self.writer()
                .await?
                .write_unguarded(move |c| {
                    Box::pin(async move { ops::acknowledge(c, &key, report_allowed, now).await })
                })
                .await
        })
    }

    fn claim_notifications(
        &self,
        now: u64,
        limit: u32,
        lease_secs: u64,
    ) -> BoxFuture<'_, Vec<Delivery>> {
        Box::pin(async move {
            self.writer()
                .await?
                .write_unguarded(move |c| {
                    Box::pin(
                        async move { ops::claim_notifications(c, now, limit, lease_secs).await },
                    )
                })
                .await
        })
    }

    fn record_notification(
        &self,
        id: RecipientId,
        attempt: NotifyAttempt,
        now: u64,
    ) -> BoxFuture<'_, Recipient> {
        Box::pin(async move {
            self.writer()
                .await?
                .grouped(writer::Record {
                    id,
                    attempt,
                    now,
                    result: None,
                })
                .await
        })
    }

    fn expire(&self, now: u64) -> BoxFuture<'_, Vec<Transition>> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| Box::pin(async move { ops::expire(c, now).await }))
                .await
        })
    }

    fn enqueue_report(&self, report: NewReport, now: u64) -> BoxFuture<'_, ReportId> {
        Box::pin(async move {
            self.writer()
                .await?
                .write_unguarded(move |c| {
                    Box::pin(async move { ops::insert_report(c, &report, now).await })
                })
                .await
        })
    }

    fn claim_reports(&self, now: u64, limit: u32, lease_secs: u64) -> BoxFuture<'_, Vec<Report>> {
        Box::pin(async move {
            self.writer()
                .await?
                .write_unguarded(move |c| {
                    Box::pin(async move { ops::claim_reports(c, now, limit, lease_secs).await })
                })
                .await
        })
    }

    fn report_done(&self, id: ReportId, now: u64) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| {
                    Box::pin(async move {
                        ops::finish_report(c, id, ReportState::Done, None, None, now).await
                    })
                })
                .await
        })
    }

    fn report_retry(
        &self,
        id: ReportId,
        next_attempt_at: u64,
        error: String,
        now: u64,
    ) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| {
                    Box::pin(async move {
                        ops::finish_report(
                            c,
                            id,
                            ReportState::Pending,
                            Some(next_attempt_at),
                            Some(error),
                            now,
                        )
                        .await
                    })
                })
                .await
        })
    }

    fn report_failed(&self, id: ReportId, error: String, now: u64) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| {
                    Box::pin(async move {
                        ops::finish_report(c, id, ReportState::Failed, None, Some(error), now).await
                    })
                })
                .await
        })
    }

    fn report(&self, id: ReportId) -> BoxFuture<'_, Option<Report>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            ops::report(&mut c, id).await
        })
    }

    fn collect_garbage(&self, now: u64, purge_before: Option<u64>) -> BoxFuture<'_, GcStats> {
        Box::pin(self.do_gc(now, purge_before))
    }

    fn counts(&self, now: u64) -> BoxFuture<'_, Counts> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            ops::counts(&mut c, now).await
        })
    }

    fn add_subscriber(&self, subscriber: NewSubscriber, now: u64) -> BoxFuture<'_, Subscriber> {
        Box::pin(self.do_add_subscriber(subscriber, now))
    }

    fn subscriber<'a>(&'a self, msisdn: &'a str) -> BoxFuture<'a, Option<Subscriber>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            ops::subscriber(&mut c, msisdn).await
        })
    }

    fn subscribers(&self) -> BoxFuture<'_, Vec<Subscriber>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            ops::subscribers(&mut c).await
        })
    }

    fn remove_subscriber<'a>(&'a self, msisdn: &'a str) -> BoxFuture<'a, bool> {
        let msisdn = msisdn.to_owned();
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| Box::pin(async move { ops::delete_subscriber(c, &msisdn).await }))
                .await
        })
    }

    fn verify_password<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Option<Subscriber>> {
        Box::pin(self.do_verify(username, password))
    }

    fn route_recipient(
        &self,
        id: RecipientId,
        route: RecipientRoute,
        outbound: Option<NewOutbound>,
        now: u64,
    ) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| {
                    Box::pin(async move {
                        outbox::route_recipient(c, id, &route, outbound.as_ref(), now).await
                    })
                })
                .await
        })
    }

    fn recipient_route(&self, id: RecipientId) -> BoxFuture<'_, Option<RecipientRoute>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            outbox::recipient_route(&mut c, id).await
        })
    }

    fn enqueue_outbound(&self, job: NewOutbound, now: u64) -> BoxFuture<'_, OutboundId> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| Box::pin(async move { outbox::enqueue(c, &job, now).await }))
                .await
        })
    }

    fn claim_outbound(
        &self,
        now: u64,
        limit: u32,
        lease_secs: u64,
    ) -> BoxFuture<'_, Vec<Outbound>> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| {
                    Box::pin(async move { outbox::claim(c, now, limit, lease_secs).await })
                })
                .await
        })
    }

    fn finish_outbound(
        &self,
        id: OutboundId,
        outcome: OutboundOutcome,
        now: u64,
    ) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| Box::pin(async move { outbox::finish(c, id, &outcome, now).await }))
                .await
        })
    }

    fn outbound_by_transaction<'a>(
        &'a self,
        transaction_id: &'a str,
    ) -> BoxFuture<'a, Option<Outbound>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            outbox::by_transaction(&mut c, transaction_id).await
        })
    }

    fn outbound_for_message<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Vec<Outbound>> {
        Box::pin(async move {
            let mut c = self.reader().await?;
            outbox::for_message(&mut c, message_id).await
        })
    }

    fn purge_outbound(&self, before: u64) -> BoxFuture<'_, u64> {
        Box::pin(async move {
            self.writer()
                .await?
                .write(move |c| Box::pin(async move { outbox::purge(c, before).await }))
                .await
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.do_close())
    }
}

#[cfg(test)]
mod tests;

/// Octets available to an unprivileged writer on the file system of `dir`.
pub use ferry_service::db::free_bytes;
