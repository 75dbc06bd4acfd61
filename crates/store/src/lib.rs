//! # ferry-store: the MMSC's persistence
//!
//! Everything the MMSC must not lose: stored messages and their bodies, the
//! state of each recipient, the queue of delivery and read reports going back
//! to senders, and the subscriber table. (Call detail records are not here:
//! the MMSC writes them as JSON lines.)
//!
//! The MMSC talks to one type, [`Store`], which wraps a `Box<dyn`
//! [`Backend`]`>`. The backend shipped is [`sqlite::SqliteBackend`]: SQLite
//! (through sqlx, WAL, `synchronous=FULL`, one writer) for metadata and
//! small bodies (up to [`sqlite::SqliteConfig::inline_body_max`], 100 KiB by
//! default, in the `bodies` table), and a plain directory of files for larger
//! bodies.
//!
//! ## Data model
//!
//! - **messages**: Message-ID (unique), sender, sender-hidden flag, content
//!   type, size, subject, message class, priority, date, absolute expiry
//!   (unix seconds), delivery-report and read-report requested, created time,
//!   the key of its body file, and a count of recipients not yet final (kept
//!   in the same transactions as the states, it drives garbage collection).
//!   The body (a `bodies` row, or the file when it is larger than the inline
//!   limit) holds the encoded M-Retrieve.conf-ready PDU as the MMSC stored
//!   it.
//! - **recipients**, one per (message, address): address kind (msisdn /
//!   email / other), [`RecipientState`], reason, retrieval token (144 random
//!   bits, URL-safe base64, unique index: it goes in the Content-Location
//!   URL), transaction id of the last notification (unique, for
//!   M-NotifyResp.ind), notify attempts, next notify time and lease,
//!   report-allowed, retrieved-at, acknowledged, last error.
//! - **reports**: outbound M-Delivery.ind / M-Read-Orig.ind to the sender:
//!   kind, message id, to (sender), from (recipient), status, date, queue
//!   state (`pending` / `done` / `failed`), attempts, next attempt time, lease,
//!   last error.
//! - **subscribers**: MSISDN, optional HTTP Basic user name and Argon2id
//!   password hash (PHC string, salted; see [`PasswordCost`]), may send, may
//!   hide sender, maximum message size, handset profile, created time.
//!
//! Recipient states move `pending` → `notified` → one of `retrieved`,
//! `rejected`, `unrecognised`, `expired`, `forwarded`, `failed` (final), with
//! `deferred` as a live side state; the full table is on
//! [`RecipientState::check_transition`]. Repeating a change is not an error
//! ([`Transition::changed`] is false), going back is
//! ([`StoreError::InvalidTransition`]). A change into a state that has a
//! delivery status queues the M-Delivery.ind **in the same transaction** when
//! the sender asked for delivery reports and the recipient allows them, so a
//! report is neither lost nor doubled by a crash.
//!
//! Time is always passed in (`now`, unix seconds): tests drive the clock.
//!
//! ## Durability: what is synced when
//!
//! A message is accepted only once it is durable, and [`Store::submit`]
//! answers only then:
//!
//! 1. a body over the inline limit is written to `bodies/<key>.tmp`,
//!    `fsync`ed, and renamed to `bodies/<key>` (in the caller's task, so
//!    bodies of concurrent submissions are written in parallel);
//! 2. the writer task, before the transaction that carries the metadata,
//!    `fsync`s the `bodies/` directory, making the rename durable (only when
//!    the batch renamed a file);
//! 3. the metadata (message row, recipient rows with their tokens, and a
//!    small body's row) is inserted and COMMITted; with WAL and
//!    `synchronous=FULL` the commit returns after the WAL is `fsync`ed;
//! 4. only then is the caller answered.
//!
//! A crash before 3 leaves at most a body file that no row names: it is
//! removed when the store is next opened (so are `.tmp` files). A crash after
//! 3 loses nothing. A reader can never see metadata whose body is not on
//! disk. If anything fails (disk full, I/O error) the transaction rolls back,
//! the body file is removed, and the error is [`StoreError::Full`] or
//! [`StoreError::Transient`] so the MMSC answers a transient M-Send.conf
//! status. Every other write (state changes, claims, reports, subscribers)
//! likewise answers after its commit.
//!
//! Garbage collection ([`Store::collect_garbage`]) commits "body removed"
//! first and unlinks the files afterwards, and only for messages none of whose
//! recipients is live; states never leave a final state, so a body a live
//! recipient needs is never removed.
//!
//! ## Group commit
//!
//! One task owns the SQLite writer connection. Every write is a job sent to it
//! over a channel; it takes all jobs waiting (up to
//! [`sqlite::SqliteConfig::max_batch`]) and runs them in one transaction:
//! all message submissions of the batch together in three statements
//! (messages, inline bodies, recipients; rows passed as JSON through
//! `json_each`; a duplicate Message-ID is skipped with `ON CONFLICT DO
//! NOTHING` and refused alone), all notification records in one statement,
//! all recipient state changes in one read and one or two writes (decided in
//! memory, each refusal answered alone), then every other job, in its own
//! SAVEPOINT when it could be refused after writing (a job refused for a
//! logical reason rolls back alone). The writer runs on a thread of its own. The whole batch costs one directory fsync before
//! and one WAL fsync at COMMIT; then each waiter is answered. Under load,
//! batches grow by themselves (jobs queue while the previous commit's fsync
//! runs); when idle a job commits alone with no added delay. A failure that
//! may have disturbed the transaction (disk full, I/O) fails the whole batch,
//! and every job in it gets the error (and its body file is removed).
//!
//! Measured with `cargo test -p ferry-store --release -- --ignored
//! --nocapture submit_throughput` (each transaction: durable submit of 30 KB
//! to two recipients, lookup by token, body read, mark retrieved), on the
//! 2-core development machine while other builds kept its load average at
//! 10–14: 72/s one at a time (submit p50 11 ms: three fsyncs), about 500/s at
//! 16 concurrent (submit p50 16 ms, p99 64 ms), about 630/s at 64 concurrent
//! (mean batch 30). On an idle machine expect more; the statements of
//! retrieval-side jobs (six round trips to sqlx's SQLite thread each) are
//! then the main writer cost.
//!
//! ## Adding a PostgreSQL backend
//!
//! Write a type implementing [`Backend`] (say `postgres::PgBackend`, with
//! sqlx's `postgres` feature and bodies in `object_store` or a `bytea`
//! column), keeping the contract in the [`backend`] module docs: answer after
//! commit; body durable before the metadata commit that names it; states per
//! the transition table with the delivery report queued in the same
//! transaction (`SELECT … FOR UPDATE` on the recipient, or the
//! live-recipient counter updated in the same statement); claims with leases
//! via `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`.
//! Group commit is optional there (PostgreSQL does its own with
//! `commit_delay`). Then call `battery::run_all` (feature `battery`) from its test with a
//! factory that makes a fresh, empty store, and construct it with
//! [`Store::new`]. The MMSC does not change.

#![forbid(unsafe_code)]

pub mod backend;
#[cfg(any(test, feature = "battery"))]
pub mod battery;
mod error;
mod model;
mod outbox;
mod password;
pub mod sqlite;

pub use backend::Backend;
pub use error::{Result, StoreError};
pub use model::*;
pub use outbox::{
    NewOutbound, Outbound, OutboundId, OutboundKind, OutboundOutcome, RecipientRoute,
};
pub use password::PasswordCost;

use std::collections::HashMap;

/// The MMSC's store: one interface over any [`Backend`].
///
/// Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Store {
    backend: Box<dyn Backend>,
    /// Subscribers recently read, for [`Store::subscriber_cached`]; emptied
    /// whenever this store adds or removes one.
    subscriber_cache: std::sync::Mutex<HashMap<String, (Subscriber, std::time::Instant)>>,
}

/// The most subscribers [`Store::subscriber_cached`] keeps.
const SUBSCRIBER_CACHE_MAX: usize = 100_000;

impl Store {
    /// Wraps a backend.
    pub fn new(backend: impl Backend) -> Self {
        Self {
            backend: Box::new(backend),
            subscriber_cache: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Opens the SQLite store in `config.dir` (see [`sqlite`]).
    pub async fn open_sqlite(config: sqlite::SqliteConfig) -> Result<Self> {
        Ok(Self::new(sqlite::SqliteBackend::open(config).await?))
    }

    /// The backend (e.g. to downcast for backend-specific calls).
    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }

    /// Stores a message with its recipients and body, atomically and
    /// durably, and answers only after the commit: each recipient gets a
    /// retrieval token and is `pending`, due for notification at `now`.
    ///
    /// Errors: [`StoreError::Invalid`] (no recipients, empty or repeated
    /// address), [`StoreError::Duplicate`] (Message-ID taken),
    /// [`StoreError::Full`] / [`StoreError::Transient`] (nothing stored).
    ///
    /// Dropping the returned future does not cancel a submission already
    /// handed to the writer: it may still commit, unanswered (the handset's
    /// retry then meets [`StoreError::Duplicate`] if it reuses the
    /// Message-ID). A body file written by a future dropped before that
    /// point is removed at the next open.
    pub async fn submit(&self, message: NewMessage, now: u64) -> Result<Submitted> {
        self.backend.submit(message, now).await
    }

    /// A message's metadata.
    pub async fn message(&self, id: &str) -> Result<Option<MessageMeta>> {
        self.backend.message(id).await
    }

    /// A message's recipients, in submission order.
    pub async fn recipients(&self, id: &str) -> Result<Vec<Recipient>> {
        self.backend.recipients(id).await
    }

    /// A recipient and its message, by token, transaction id or row id.
    pub async fn delivery(&self, key: &RecipientKey) -> Result<Option<Delivery>> {
        self.backend.delivery(key).await
    }

    /// A recipient and its message by retrieval token (M-Retrieve).
    pub async fn by_token(&self, token: &str) -> Result<Option<Delivery>> {
        self.backend
            .delivery(&RecipientKey::Token(token.to_owned()))
            .await
    }

    /// A message's stored body. [`StoreError::BodyGone`] once collected.
    pub async fn read_body(&self, id: &str) -> Result<Vec<u8>> {
        self.backend.read_body(id).await
    }

    /// Changes a recipient's state (validated, idempotent; queues the
    /// delivery report in the same transaction). See [`Transition`].
    pub async fn update_recipient(
        &self,
        key: RecipientKey,
        update: RecipientUpdate,
        now: u64,
    ) -> Result<Transition> {
        self.backend.update_recipient(key, update, now).await
    }

    /// Marks the recipient with this token retrieved. Calling it again is
    /// fine: `changed` is false the second time.
    pub async fn mark_retrieved(&self, token: &str, now: u64) -> Result<Transition> {
        self.update_recipient(
            RecipientKey::Token(token.to_owned()),
            RecipientUpdate::to(RecipientState::Retrieved),
            now,
        )
        .await
    }

    /// Records an M-Acknowledge.ind: sets `acknowledged` and, if given, the
    /// report-allowed flag. `Some(false)` also withdraws the recipient's
    /// delivery reports not yet sent.
    pub async fn acknowledge(
        &self,
        key: RecipientKey,
        report_allowed: Option<bool>,
        now: u64,
    ) -> Result<Recipient> {
        self.backend.acknowledge(key, report_allowed, now).await
    }

    /// Claims up to `limit` live recipients whose notification is due
    /// (`next_notify_at <= now`, message not expired, not leased), leasing
    /// them for `lease_secs`. Follow each with
    /// [`Store::record_notification`]; if the MMSC dies first, the lease
    /// runs out and they are claimed again (re-sent, never lost).
    pub async fn claim_notifications(
        &self,
        now: u64,
        limit: u32,
        lease_secs: u64,
    ) -> Result<Vec<Delivery>> {
        self.backend
            .claim_notifications(now, limit, lease_secs)
            .await
    }

    /// Records a notification attempt: attempts + 1, transaction id, error,
    /// the next notify time (back-off; `None` to stop), lease released;
    /// `pending` becomes `notified` when `sent`.
    pub async fn record_notification(
        &self,
        id: RecipientId,
        attempt: NotifyAttempt,
        now: u64,
    ) -> Result<Recipient> {
        self.backend.record_notification(id, attempt, now).await
    }

    /// Moves every live recipient of every message whose expiry is `<= now`
    /// to `expired` (queuing Expired delivery reports as for any
    /// transition), and returns those transitions.
    pub async fn expire(&self, now: u64) -> Result<Vec<Transition>> {
        self.backend.expire(now).await
    }

    /// Queues a report (typically a read report; delivery reports are queued
    /// by the state changes), due at `now`.
    pub async fn enqueue_report(&self, report: NewReport, now: u64) -> Result<ReportId> {
        self.backend.enqueue_report(report, now).await
    }

    /// Claims up to `limit` due reports, leased for `lease_secs` (attempts
    /// counted at the claim). Follow with done / retry / failed.
    pub async fn claim_reports(
        &self,
        now: u64,
        limit: u32,
        lease_secs: u64,
    ) -> Result<Vec<Report>> {
        self.backend.claim_reports(now, limit, lease_secs).await
    }

    /// The report was sent. A report already finished is left alone.
    pub async fn report_done(&self, id: ReportId, now: u64) -> Result<()> {
        self.backend.report_done(id, now).await
    }

    /// The report failed this time; try again at `next_attempt_at`.
    pub async fn report_retry(
        &self,
        id: ReportId,
        next_attempt_at: u64,
        error: impl Into<String>,
        now: u64,
    ) -> Result<()> {
        self.backend
            .report_retry(id, next_attempt_at, error.into(), now)
            .await
    }

    /// Gives up on the report.
    pub async fn report_failed(
        &self,
        id: ReportId,
        error: impl Into<String>,
        now: u64,
    ) -> Result<()> {
        self.backend.report_failed(id, error.into(), now).await
    }

    /// A report by id.
    pub async fn report(&self, id: ReportId) -> Result<Option<Report>> {
        self.backend.report(id).await
    }

    /// Removes the bodies of messages whose recipients are all final (their
    /// delivery reports are already queued, by construction). With
    /// `purge_before`, also deletes the rows of messages whose body went
    /// before that time, and finished reports older than it.
    pub async fn collect_garbage(&self, now: u64, purge_before: Option<u64>) -> Result<GcStats> {
        self.backend.collect_garbage(now, purge_before).await
    }

    /// Queue depths for metrics.
    pub async fn counts(&self, now: u64) -> Result<Counts> {
        self.backend.counts(now).await
    }

    /// Adds a subscriber (hashing its password).
    pub async fn add_subscriber(&self, subscriber: NewSubscriber, now: u64) -> Result<Subscriber> {
        let r = self.backend.add_subscriber(subscriber, now).await;
        self.forget_subscribers();
        r
    }

    /// A subscriber by MSISDN, from memory when this store read it less
    /// than `max_age` ago (only subscribers that exist are remembered, so a
    /// new one is seen at once). A change made through this store is seen
    /// at once too; one made by another process (`ferry mmsc subscriber`)
    /// within `max_age`.
    pub async fn subscriber_cached(
        &self,
        msisdn: &str,
        max_age: std::time::Duration,
    ) -> Result<Option<Subscriber>> {
        if max_age.is_zero() {
            return self.subscriber(msisdn).await;
        }
        {
            let cache = self
                .subscriber_cache
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((s, at)) = cache.get(msisdn)
                && at.elapsed() < max_age
            {
                return Ok(Some(s.clone()));
            }
        }
        let found = self.subscriber(msisdn).await?;
        let mut cache = self
            .subscriber_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match &found {
            Some(s) => {
                if cache.len() >= SUBSCRIBER_CACHE_MAX {
                    cache.clear();
                }
                cache.insert(msisdn.to_owned(), (s.clone(), std::time::Instant::now()));
            }
            None => {
                cache.remove(msisdn);
            }
        }
        Ok(found)
    }

    fn forget_subscribers(&self) {
        self.subscriber_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// A subscriber by MSISDN.
    pub async fn subscriber(&self, msisdn: &str) -> Result<Option<Subscriber>> {
        self.backend.subscriber(msisdn).await
    }

    /// All subscribers, by MSISDN.
    pub async fn subscribers(&self) -> Result<Vec<Subscriber>> {
        self.backend.subscribers().await
    }

    /// Removes a subscriber; false if there was none.
    pub async fn remove_subscriber(&self, msisdn: &str) -> Result<bool> {
        let r = self.backend.remove_subscriber(msisdn).await;
        self.forget_subscribers();
        r
    }

    /// The subscriber whose HTTP Basic credentials these are, if they match.
    pub async fn verify_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Subscriber>> {
        self.backend.verify_password(username, password).await
    }

    /// Records how a live recipient that is not a local subscriber is
    /// served and, with `outbound`, moves it from the notification queue
    /// to the outbound queue, in one transaction: its notifications stop
    /// and the job is queued (at most one job per recipient: a second call
    /// queues nothing). Returns false when the recipient is already final
    /// or already had its job (nothing changed).
    pub async fn route_recipient(
        &self,
        id: RecipientId,
        route: RecipientRoute,
        outbound: Option<NewOutbound>,
        now: u64,
    ) -> Result<bool> {
        self.backend.route_recipient(id, route, outbound, now).await
    }

    /// How a recipient is served, if it was routed elsewhere than to a
    /// local subscriber.
    pub async fn recipient_route(&self, id: RecipientId) -> Result<Option<RecipientRoute>> {
        self.backend.recipient_route(id).await
    }

    /// Queues an outbound SMTP job (a prebuilt MM4 report or `.RES`),
    /// due at `now`.
    pub async fn enqueue_outbound(&self, job: NewOutbound, now: u64) -> Result<OutboundId> {
        self.backend.enqueue_outbound(job, now).await
    }

    /// Claims up to `limit` due outbound jobs, leased for `lease_secs`
    /// (attempts counted at the claim). Follow with [`Store::finish_outbound`].
    pub async fn claim_outbound(
        &self,
        now: u64,
        limit: u32,
        lease_secs: u64,
    ) -> Result<Vec<Outbound>> {
        self.backend.claim_outbound(now, limit, lease_secs).await
    }

    /// Ends or reschedules an outbound job. A job already finished is left
    /// alone.
    pub async fn finish_outbound(
        &self,
        id: OutboundId,
        outcome: OutboundOutcome,
        now: u64,
    ) -> Result<()> {
        self.backend.finish_outbound(id, outcome, now).await
    }

    /// The outbound job with this MM4 transaction id (to match a `.RES`).
    pub async fn outbound_by_transaction(&self, transaction_id: &str) -> Result<Option<Outbound>> {
        self.backend.outbound_by_transaction(transaction_id).await
    }

    /// Every outbound job about a message, in queue order.
    pub async fn outbound_for_message(&self, message_id: &str) -> Result<Vec<Outbound>> {
        self.backend.outbound_for_message(message_id).await
    }

    /// Deletes finished outbound jobs that finished before `before`.
    pub async fn purge_outbound(&self, before: u64) -> Result<u64> {
        self.backend.purge_outbound(before).await
    }

    /// Finishes queued writes and closes the store. Dropping it without
    /// closing loses nothing that was answered.
    pub async fn close(&self) -> Result<()> {
        self.backend.close().await
    }
}
