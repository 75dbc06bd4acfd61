//! The single writer task and its group commit.
//!
//! Every write is a *job* sent over a channel to one task that owns the
//! SQLite writer connection. The task takes the first job, then whatever else
//! is already queued (up to `max_batch`), and runs them all in ONE
//! transaction, each inside its own savepoint so a job that fails for a
//! logical reason (unknown token, refused transition) is rolled back alone.
//! Message submissions and notification records are the exception: all the
//! records of a batch are applied in one statement, and all submissions
//! together, in two statements (messages, then recipients), a duplicate
//! Message-ID being skipped by `ON CONFLICT DO NOTHING` and refused alone. If any job in the batch carries a new body file, the body
//! directory is fsynced once before the transaction starts (a body under the
//! inline limit travels with its message instead, in the same transaction). Then one COMMIT
//! (one WAL fsync, `synchronous=FULL`) and only then is each waiter answered.
//!
//! While one batch commits, new jobs pile up in the channel and form the
//! next batch: the batch size grows with the load on its own, with no timer
//! and no added latency when idle.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::SqliteConnection;
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteExecutor};
use tokio::sync::{mpsc, oneshot};

use super::bodies::BodyDir;
use super::ops;
use crate::error::{Result, StoreError};
use crate::model::{
    NewMessage, NotifyAttempt, Recipient, RecipientId, RecipientKey, RecipientUpdate, Submitted,
    Transition,
};

/// A boxed future borrowing the connection.
pub(crate) type ConnFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// One unit of work for the writer, type-erased.
pub(crate) trait Job: Send {
    /// Whether this job renamed a body file into place (the directory needs
    /// an fsync before the commit).
    fn needs_dir_sync(&self) -> bool;
    /// Whether the job runs inside its own savepoint. A job whose every
    /// refusal comes before its first write (or which is one statement,
    /// which SQLite undoes by itself when it fails) needs none, and saves
    /// two round trips to the connection.
    fn needs_savepoint(&self) -> bool {
        true
    }
    /// Runs the job's statements and keeps its result.
    fn run<'c>(
        &'c mut self,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'c>>;
    /// The job's error, replicated for the rest of its batch.
    fn error(&self) -> Option<StoreError>;
    /// A message submission, which the writer inserts together with the
    /// other submissions of the batch instead of running it alone.
    fn as_submission(&mut self) -> Option<&mut Submission> {
        None
    }
    /// A notification record, which the writer applies together with the
    /// batch's other records in one statement.
    fn as_record(&mut self) -> Option<&mut Record> {
        None
    }
    /// A recipient state change, which the writer applies together with the
    /// batch's other state changes.
    fn as_update(&mut self) -> Option<&mut Update> {
        None
    }
    /// Answers the waiter once the batch's fate is known.
    fn finish(self: Box<Self>, batch: std::result::Result<(), &StoreError>);
}

/// How a job went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    /// Failed for a logical reason: roll back this job's savepoint.
    Refused,
    /// Failed for a reason that may have disturbed the transaction (I/O,
    /// disk full, ...): abort the whole batch.
    Fatal,
}

type Work<T> = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> ConnFuture<'c, T> + Send>;

struct TypedJob<T> {
    work: Option<Work<T>>,
    savepoint: bool,
    result: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Job for TypedJob<T> {
    fn needs_dir_sync(&self) -> bool {
        false
    }

    fn needs_savepoint(&self) -> bool {
        self.savepoint
    }

    fn run<'c>(
        &'c mut self,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'c>> {
        let work = self.work.take();
        Box::pin(async move {
            let Some(work) = work else {
                return Outcome::Fatal;
            };
            let r = work(conn).await;
            let outcome = match &r {
                Ok(_) => Outcome::Ok,
                Err(e) if is_logical(e) => Outcome::Refused,
                Err(_) => Outcome::Fatal,
            };
            self.result = Some(r);
            outcome
        })
    }

    fn error(&self) -> Option<StoreError> {
        match &self.result {
            Some(Err(e)) => Some(replicate(e)),
            _ => None,
        }
    }

    fn finish(mut self: Box<Self>, batch: std::result::Result<(), &StoreError>) {
        let answer = match (batch, self.result.take()) {
            (Ok(()), Some(r)) => r,
            (Ok(()), None) => Err(StoreError::Transient {
                context: "writing".into(),
                detail: "job did not run".into(),
            }),
            // The job's own error explains the batch failure best.
            (Err(_), Some(Err(e))) => Err(e),
            (Err(e), _) => Err(replicate(e)),
        };
        let _ = self.reply.send(answer);
    }
}

/// An item the writer applies together with the batch's other items of its
/// kind, in a few statements (see `run_all`), and answers with its own
/// result.
pub(crate) trait Grouped: Send + 'static {
    /// What the waiter gets.
    type Out: Send + 'static;
    /// Names the work when it was not applied.
    const CONTEXT: &'static str;
    /// Whether the item's own refusal stays its answer when the batch failed
    /// (as for a [`TypedJob`]); otherwise the batch's error is.
    const KEEP_REFUSAL: bool = false;
    /// The result set when the batch applied it.
    fn take_result(&mut self) -> Option<Result<Self::Out>>;
    /// Whether a body file was renamed into place for it.
    fn needs_dir_sync(&self) -> bool {
        false
    }
    /// Called when the answer is an error (the item is not stored).
    fn failed(&self) {}
    fn as_submission(&mut self) -> Option<&mut Submission> {
        None
    }
    fn as_record(&mut self) -> Option<&mut Record> {
        None
    }
    fn as_update(&mut self) -> Option<&mut Update> {
        None
    }
}

struct GroupedJob<G: Grouped> {
    item: G,
    reply: oneshot::Sender<Result<G::Out>>,
}

impl<G: Grouped> Job for GroupedJob<G> {
    fn needs_dir_sync(&self) -> bool {
        self.item.needs_dir_sync()
    }

    fn run<'c>(
        &'c mut self,
        _conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'c>> {
        // Applied with the batch's other items of its kind (see run_all).
        Box::pin(async { Outcome::Ok })
    }

    fn error(&self) -> Option<StoreError> {
        None
    }

    fn as_submission(&mut self) -> Option<&mut Submission> {
        self.item.as_submission()
    }

    fn as_record(&mut self) -> Option<&mut Record> {
        self.item.as_record()
    }

    fn as_update(&mut self) -> Option<&mut Update> {
        self.item.as_update()
    }

    fn finish(mut self: Box<Self>, batch: std::result::Result<(), &StoreError>) {
        let answer = match (batch, self.item.take_result()) {
            (Ok(()), Some(r)) => r,
            (Ok(()), None) => Err(StoreError::Transient {
                context: G::CONTEXT.into(),
                detail: "not applied".into(),
            }),
            (Err(_), Some(Err(e))) if G::KEEP_REFUSAL && is_logical(&e) => Err(e),
            (Err(e), _) => Err(replicate(e)),
        };
        if answer.is_err() {
            self.item.failed();
        }
        let _ = self.reply.send(answer);
    }
}

/// A message to insert: the body file is already in place under `body_key`,
/// or, when `inline`, the body goes into the `bodies` table with the message.
#[derive(Debug)]
pub(crate) struct Submission {
    pub(crate) message: Arc<NewMessage>,
    pub(crate) body_key: String,
    pub(crate) inline: bool,
    /// Where the body file is, to remove it when the insert fails.
    pub(crate) bodies: Arc<BodyDir>,
    pub(crate) tokens: Vec<String>,
    pub(crate) now: u64,
    /// Set by [`ops::insert_submissions`].
    pub(crate) result: Option<Result<Submitted>>,
}

impl Grouped for Submission {
    type Out = Submitted;
    const CONTEXT: &'static str = "submitting";

    fn take_result(&mut self) -> Option<Result<Submitted>> {
        self.result.take()
    }

    fn needs_dir_sync(&self) -> bool {
        !self.inline
    }

    fn failed(&self) {
        if !self.inline {
            // Not committed: the body file must not outlive the failure.
            let _ = self.bodies.remove(&self.body_key);
        }
    }

    fn as_submission(&mut self) -> Option<&mut Submission> {
        Some(self)
    }
}

/// A notification attempt to record (see [`ops::record_notifications`]).
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) id: RecipientId,
    pub(crate) attempt: NotifyAttempt,
    pub(crate) now: u64,
    /// Set when applied.
    pub(crate) result: Option<Result<Recipient>>,
}

impl Grouped for Record {
    type Out = Recipient;
    const CONTEXT: &'static str = "recording a notification";

    fn take_result(&mut self) -> Option<Result<Recipient>> {
        self.result.take()
    }

    fn as_record(&mut self) -> Option<&mut Record> {
        Some(self)
    }
}

/// A recipient state change (see [`ops::update_recipients`]).
#[derive(Debug)]
pub(crate) struct Update {
    pub(crate) key: RecipientKey,
    pub(crate) update: RecipientUpdate,
    pub(crate) now: u64,
    /// Set when applied (or refused).
    pub(crate) result: Option<Result<Transition>>,
}

impl Grouped for Update {
    type Out = Transition;
    const CONTEXT: &'static str = "updating a recipient";
    const KEEP_REFUSAL: bool = true;

    fn take_result(&mut self) -> Option<Result<Transition>> {
        self.result.take()
    }

    fn as_update(&mut self) -> Option<&mut Update> {
        Some(self)
    }
}

/// Errors that a job's own checks produce, after which the transaction is
/// intact (SQLite rolls back only the failing statement on a constraint
/// violation).
pub(crate) fn is_logical(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Duplicate { .. }
            | StoreError::NotFound { .. }
            | StoreError::InvalidTransition { .. }
            | StoreError::Invalid(_)
            | StoreError::Corrupt(_)
    )
}

/// A batch failure, told to each of its jobs.
fn replicate(e: &StoreError) -> StoreError {
    match e {
        StoreError::Full { context, detail } => StoreError::Full {
            context: context.clone(),
            detail: detail.clone(),
        },
        StoreError::Closed => StoreError::Closed,
        other => StoreError::Transient {
            context: "committing a batch".into(),
            detail: other.to_string(),
        },
    }
}

/// Counters of the writer's work (for benchmarks and metrics).
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Transactions committed.
    pub commits: AtomicU64,
    /// Jobs run in them.
    pub jobs: AtomicU64,
    /// Batches that failed as a whole.
    pub failed_batches: AtomicU64,
    /// Nanoseconds spent syncing the body directory.
    pub dir_sync_ns: AtomicU64,
    /// Nanoseconds spent running jobs' statements.
    pub run_ns: AtomicU64,
    /// Nanoseconds spent in COMMIT (the WAL fsync).
    pub commit_ns: AtomicU64,
}

fn add_elapsed(counter: &AtomicU64, since: std::time::Instant) {
    counter.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
}

/// The sending side: hands jobs to the writer task.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer task on `conn`.
    pub(crate) fn start(
        conn: PoolConnection<Sqlite>,
        bodies: Arc<BodyDir>,
        max_batch: usize,
        stats: Arc<WriterStats>,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        // On its own thread: see ferry_service::thread.
        let handle = ferry_service::thread::spawn_dedicated(
            "ferry-store-writer",
            run(conn, rx, bodies, max_batch.max(1), stats),
        );
        (Self { tx }, handle)
    }

    /// Inserts a message (its body file, if any, in place), applies a
    /// notification record or a recipient state change in the next batch,
    /// together with the batch's other items of its kind; answers after the
    /// commit.
    pub(crate) async fn grouped<G: Grouped>(&self, item: G) -> Result<G::Out> {
        let (reply, answer) = oneshot::channel();
        self.dispatch(Box::new(GroupedJob { item, reply }), answer)
            .await
    }

    /// Runs `work` in the next batch, inside its own savepoint, and answers
    /// after its commit.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> ConnFuture<'c, T> + Send + 'static,
    {
        self.send(work, true).await
    }

    /// Like [`Writer::write`] without the savepoint: only for work whose
    /// every refusal (a logical error, see `is_logical`) comes before its
    /// first write, or that is a single statement.
    pub(crate) async fn write_unguarded<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> ConnFuture<'c, T> + Send + 'static,
    {
        self.send(work, false).await
    }

    async fn send<T, F>(&self, work: F, savepoint: bool) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> ConnFuture<'c, T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            work: Some(Box::new(work)),
            savepoint,
            result: None,
            reply,
        };
        self.dispatch(Box::new(job), answer).await
    }

    /// Queues `job` and waits for the answer it sends on `answer`.
    async fn dispatch<T>(
        &self,
        job: Box<dyn Job>,
        answer: oneshot::Receiver<Result<T>>,
    ) -> Result<T> {
        if let Err(mpsc::error::SendError(job)) = self.tx.send(job).await {
            job.finish(Err(&StoreError::Closed));
            return Err(StoreError::Closed);
        }
        answer.await.unwrap_or(Err(StoreError::Closed))
    }
}

async fn exec<'e, E: SqliteExecutor<'e>>(e: E, sql: &'static str) -> Result<()> {
    sqlx::query(sql)
        .execute(e)
        .await
        .map(|_| ())
        .map_err(|e| StoreError::db(sql, e))
}

async fn run(
    mut conn: PoolConnection<Sqlite>,
    mut rx: mpsc::Receiver<Box<dyn Job>>,
    bodies: Arc<BodyDir>,
    max_batch: usize,
    stats: Arc<WriterStats>,
) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        let result = commit_batch(&mut conn, &mut batch, &bodies, &stats).await;
        match &result {
            Ok(()) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(jobs = batch.len(), error = %e, "store batch failed");
            }
        }
        for job in batch.drain(..) {
            job.finish(result.as_ref().map(|_| ()));
        }
    }
    // All senders are gone: the store was dropped or closed.
    drop(conn);
}

async fn commit_batch(
    conn: &mut SqliteConnection,
    batch: &mut [Box<dyn Job>],
    bodies: &Arc<BodyDir>,
    stats: &WriterStats,
) -> Result<()> {
    let t = std::time::Instant::now();
    if batch.iter().any(|j| j.needs_dir_sync()) {
        let bodies = bodies.clone();
        tokio::task::spawn_blocking(move || bodies.sync_dir())
            .await
            .map_err(|e| StoreError::Transient {
                context: "syncing body directory".into(),
                detail: e.to_string(),
            })??;
    }
    add_elapsed(&stats.dir_sync_ns, t);
    let t = std::time::Instant::now();
    exec(&mut *conn, "BEGIN IMMEDIATE").await?;
    let r = run_all(conn, batch).await;
    add_elapsed(&stats.run_ns, t);
    let t = std::time::Instant::now();
    let r = match r {
        Ok(()) => exec(&mut *conn, "COMMIT").await,
        Err(e) => Err(e),
    };
    add_elapsed(&stats.commit_ns, t);
    if r.is_err() {
        // After some errors (SQLITE_FULL, I/O) SQLite has already rolled the
        // transaction back; then this fails harmlessly.
        let _ = exec(&mut *conn, "ROLLBACK").await;
    }
    r
}

async fn run_all(conn: &mut SqliteConnection, batch: &mut [Box<dyn Job>]) -> Result<()> {
    // All submissions of the batch in two statements, whatever their number.
    let mut subs: Vec<&mut Submission> =
        batch.iter_mut().filter_map(|j| j.as_submission()).collect();
    if !subs.is_empty() {
        ops::insert_submissions(conn, &mut subs).await?;
    }
    // Then all notification records in one statement (or one by one when
    // that statement is refused, see ops::record_notifications).
    let mut records: Vec<&mut Record> = batch.iter_mut().filter_map(|j| j.as_record()).collect();
    if !records.is_empty() {
        ops::record_notifications(conn, &mut records).await?;
    }
    // Then all recipient state changes (retrievals, NotifyResps) together.
    let mut updates: Vec<&mut Update> = batch.iter_mut().filter_map(|j| j.as_update()).collect();
    if !updates.is_empty() {
        ops::update_recipients(conn, &mut updates).await?;
    }
    for job in batch.iter_mut() {
        if job.as_submission().is_some() || job.as_record().is_some() || job.as_update().is_some() {
            continue;
        }
        let savepoint = job.needs_savepoint();
        if savepoint {
            exec(&mut *conn, "SAVEPOINT job").await?;
        }
        match job.run(conn).await {
            Outcome::Ok if savepoint => exec(&mut *conn, "RELEASE job").await?,
            Outcome::Refused if savepoint => {
                exec(&mut *conn, "ROLLBACK TO job").await?;
                exec(&mut *conn, "RELEASE job").await?;
            }
            // Nothing was written before the refusal (see write_unguarded).
            Outcome::Ok | Outcome::Refused => {}
            Outcome::Fatal => {
                return Err(job.error().unwrap_or(StoreError::Transient {
                    context: "running a batch".into(),
                    detail: "a job failed".into(),
                }));
            }
        }
    }
    Ok(())
}
