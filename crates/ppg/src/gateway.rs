//! The gateway engine: accepting pushes, the delivery queue, the scheduler,
//! receipts, sweeps and result notifications. HTTP is in [`crate::http`].
//!
//! ```text
//!  submit() ─ checks ─ WSP push ─► Writer (group commit) ─► 1001
//!                                        │ after commit
//!                 deliver-after? ── timer ┤
//!                                        ▼
//!  (dispatch queue if every slot is taken) ─► hand_over(): unsent? expired? route ─► Bearer::start_push
//!        ▲                                       (no task per push: the link calls submitted())
//!        │                     submitted(): transient error: back-off, requeue
//!        └─────────────────────┘ ok: Submitted (message ids) / Final, to the writer without waiting
//!  receipts ─► segment map ─► Final(delivered | undeliverable | expired)
//!  Final with ppg-notify-requested-to ─► notifier (POST, retry until 1000)
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use ferry_pap::{AddressType, ClientAddress, PushMessage, StatusCode};
use ferry_service::Shutdown;
use ferry_service::db::Db;
use sqlx::SqlitePool;
use tokio::sync::{Semaphore, mpsc};

use crate::bearer::{Receipt, ReceiptState, Routes, SendOptions};
use crate::config::DeliveryConfig;
use crate::store::{self, CancelOutcome, Final, InsertError, NewPush, NewRecipient, NotifyJob, Op, State, WriterHandle};

/// Unix time now, in seconds.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A refusal: the PAP code and a description a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The PAP status code.
    pub code: StatusCode,
    /// What was wrong.
    pub desc: String,
}

impl Refusal {
    /// A refusal with `code` and `desc`.
    pub fn new(code: StatusCode, desc: impl Into<String>) -> Self {
        Self { code, desc: desc.into() }
    }
}

/// The content of a push, as taken from the request's content entity.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    /// Its media type (`application/vnd.wap.mms-message`).
    pub content_type: &'a str,
    /// X-Wap-Application-Id, if given.
    pub application_id: Option<&'a str>,
    /// The body, transfer encoding undone.
    pub body: &'a [u8],
}

/// A delivery job.
#[derive(Debug, Clone)]
struct Job {
    id: i64,
    dest: Arc<str>,
    datagram: Bytes,
    deliver_before: Option<i64>,
    attempts: u32,
}

#[derive(Default)]
struct SegmentMap {
    by_message: HashMap<(Arc<str>, String), i64>,
    outstanding: HashMap<i64, u32>,
    orphans: HashMap<(Arc<str>, String), ReceiptState>,
}

/// Handles of the metrics every push touches (a lookup by name and labels
/// per update costs more than the update).
struct HotMetrics {
    accepted: metrics::Counter,
    pending: metrics::Gauge,
    sms_submitted: metrics::Counter,
    delivered_final: metrics::Counter,
    delivered: metrics::Gauge,
}

impl HotMetrics {
    fn new() -> Self {
        Self {
            accepted: metrics::counter!("ppg_pushes_accepted_total"),
            pending: metrics::gauge!("ppg_pushes", "state" => "pending"),
            sms_submitted: metrics::counter!("ppg_sms_submitted_total"),
            delivered_final: metrics::counter!("ppg_pushes_final_total", "state" => "delivered"),
            delivered: metrics::gauge!("ppg_pushes", "state" => "delivered"),
        }
    }
}

struct Inner {
    metrics: HotMetrics,
    delivery: DeliveryConfig,
    sender_name: String,
    routes: Routes,
    writer: WriterHandle,
    readers: SqlitePool,
    /// Row ids by (initiator, push-id).
    ids: Arc<store::PushIds>,
    /// Rows accepted and not handed to a link: the cancellable ones.
    unsent: Mutex<HashSet<i64>>,
    /// The database file (for the free-space check).
    db_path: std::path::PathBuf,
    /// Pushes being handed to the SMSC (a submission waits for the link).
    submitting: AtomicUsize,
    dispatch: mpsc::UnboundedSender<Job>,
    /// Submissions in flight (`delivery.max_in_flight`).
    permits: Arc<Semaphore>,
    segments: Mutex<SegmentMap>,
    tid: AtomicU8,
    shutdown: Shutdown,
}

/// The gateway (cheap to clone).
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("routes", &self.inner.routes).finish_non_exhaustive()
    }
}

/// What [`Gateway::start`] needs.
pub struct Parts {
    /// The database (from [`Db::open`]).
    pub db: Db,
    /// Links by prefix.
    pub routes: Routes,
    /// Where the links post receipts.
    pub receipts: mpsc::UnboundedReceiver<Receipt>,
    /// Delivery settings.
    pub delivery: DeliveryConfig,
    /// sender-name for responses and notifications.
    pub sender_name: String,
    /// Shutdown signal; the gateway's tasks hold clones.
    pub shutdown: Shutdown,
}

impl Gateway {
    /// Creates the tables, recovers pending work, and starts the writer,
    /// dispatcher, receipt, sweep and notifier tasks.
    pub async fn start(parts: Parts) -> Result<Self> {
        let Parts { db, routes, receipts, delivery, sender_name, shutdown } = parts;
        store::migrate(&db.writer).await?;
        let rec = store::recover(&db.writer).await.context("recovering pushes")?;
        for (s, n) in store::counts(&db.writer).await? {
            metrics::gauge!("ppg_pushes", "state" => s.as_str()).set(n as f64);
        }
        let (wtx, wrx) = mpsc::channel(65_536);
        let (ntx, nrx) = mpsc::unbounded_channel();
        let ids = Arc::new(rec.ids);
        let writer = store::Writer { rx: wrx, ids: ids.clone(), next_id: rec.max_id, batch_max: delivery.batch_max, hold: Duration::from_millis(delivery.state_commit_delay_ms), notify: ntx };
        let conn = store::open_writer(&db.path)?;
        std::thread::Builder::new().name("ferry-ppg-writer".into()).spawn(move || writer.run(conn)).context("starting the push writer thread")?;
        let (dtx, drx) = mpsc::unbounded_channel();
        let delivery_max_in_flight = delivery.max_in_flight.max(1);
        let inner = Arc::new(Inner {
            metrics: HotMetrics::new(),
            delivery,
            sender_name,
            routes,
            writer: WriterHandle { tx: wtx },
            readers: db.readers.clone(),
            ids,
            unsent: Mutex::new(HashSet::new()),
            db_path: db.path.clone(),
            submitting: AtomicUsize::new(0),
            dispatch: dtx,
            permits: Arc::new(Semaphore::new(delivery_max_in_flight)),
            segments: Mutex::new(SegmentMap::default()),
            tid: AtomicU8::new(0),
            shutdown,
        });
        let gw = Gateway { inner };
        {
            let mut map = gw.segments();
            for (link, msg, id) in rec.segments {
                map.by_message.insert((link.into(), msg), id);
                *map.outstanding.entry(id).or_default() += 1;
            }
        }
        let n_unsent = rec.unsent.len();
        for u in rec.unsent {
            gw.unsent().insert(u.id);
            gw.enqueue(Job { id: u.id, dest: u.dest, datagram: u.datagram, deliver_before: u.deliver_before, attempts: 0 }, u.deliver_after);
        }
        if n_unsent > 0 || !rec.notify.is_empty() {
            tracing::info!(queued = n_unsent, notifications = rec.notify.len(), "resuming pushes from the database");
        }
        tokio::spawn(gw.clone().dispatcher(drx));
        tokio::spawn(gw.clone().receipt_loop(receipts));
        tokio::spawn(gw.clone().sweeper());
        tokio::spawn(crate::notify::run(gw.inner.writer.clone(), nrx, rec.notify, gw.inner.sender_name.clone(), gw.inner.shutdown.clone()));
        Ok(gw)
    }

    fn unsent(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.inner.unsent.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn segments(&self) -> std::sync::MutexGuard<'_, SegmentMap> {
        self.inner.segments.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `sender-name` of this gateway.
    pub fn sender_name(&self) -> &str {
        &self.inner.sender_name
    }

    /// Pushes accepted and not yet accepted by the SMSC: queued, waiting
    /// to be retried, or being submitted (waiting for the SMPP link to come
    /// back). The `ppg_queue_depth` gauge.
    pub fn queue_depth(&self) -> usize {
        self.unsent().len() + self.inner.submitting.load(Ordering::Relaxed)
    }

    /// The reader pool (status queries).
    pub fn readers(&self) -> &SqlitePool {
        &self.inner.readers
    }

    /// Checks and commits a push; returns after the commit (accept) or with
    /// the refusal to answer.
    pub async fn submit(&self, initiator: &Arc<str>, message: &PushMessage, content: Content<'_>) -> Result<(), Refusal> {
        let received = now();
        if message.push_id.trim().is_empty() {
            return Err(Refusal::new(StatusCode::BAD_REQUEST, "push-id is empty"));
        }
        if message.replace_push_id.is_some() {
            return Err(Refusal::new(StatusCode::REPLACEMENT_NOT_SUPPORTED, "replace-push-id is not supported: cancel the old push and send a new one"));
        }
        if let Some(q) = &message.quality_of_service {
            if q.bearer_required == Some(true) && q.bearer.as_deref().is_some_and(|b| !b.eq_ignore_ascii_case("SMS")) {
                return Err(Refusal::new(StatusCode::REQUIRED_BEARER_NOT_AVAILABLE, "this gateway delivers over SMS only"));
            }
            if q.network_required == Some(true) && q.network.as_deref().is_some_and(|n| !n.eq_ignore_ascii_case("GSM")) {
                return Err(Refusal::new(StatusCode::REQUIRED_NETWORK_NOT_AVAILABLE, "this gateway reaches GSM networks only"));
            }
        }
        let deliver_after = message.deliver_after_timestamp.map(|t| t.unix());
        let deliver_before = message.deliver_before_timestamp.map(|t| t.unix());
        if let Some(b) = deliver_before {
            if b <= received {
                return Err(Refusal::new(StatusCode::BAD_REQUEST, "deliver-before-timestamp is already past"));
            }
            if deliver_after.is_some_and(|a| a >= b) {
                return Err(Refusal::new(StatusCode::BAD_REQUEST, "deliver-after-timestamp is not before deliver-before-timestamp"));
            }
        }
        if let Some(url) = &message.ppg_notify_requested_to
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(Refusal::new(StatusCode::BAD_REQUEST, format!("ppg-notify-requested-to {url:?} is not an http(s) URL")));
        }
        let mut recipients = Vec::with_capacity(message.addresses.len());
        for a in &message.addresses {
            let ca = a.client_address().map_err(|e| Refusal::new(StatusCode::ADDRESS_ERROR, format!("address {:?}: {e}", a.address_value)))?;
            let dest = check_address(&ca, &a.address_value)?;
            match self.inner.routes.route(&dest) {
                None => {
                    return Err(Refusal::new(
                        StatusCode::REQUIRED_BEARER_NOT_AVAILABLE,
                        format!("no SMSC link serves {dest}"),
                    ));
                }
                Some(b) if self.inner.delivery.require_link && !b.is_available() => {
                    return Err(Refusal::new(
                        StatusCode::REQUIRED_BEARER_NOT_AVAILABLE,
                        format!("SMSC link {} for {dest} is not bound; try again later", b.name()),
                    ));
                }
                Some(_) => {}
            }
            recipients.push(NewRecipient { address: a.address_value.clone(), dest: dest.into() });
        }
        if recipients.is_empty() {
            return Err(Refusal::new(StatusCode::ADDRESS_ERROR, "no address"));
        }
        let datagram = self.datagram(content)?;
        let min_free = self.inner.delivery.min_free_bytes;
        if min_free > 0 {
            let free = ferry_service::db::free_bytes(&self.inner.db_path).unwrap_or(0);
            if free < min_free.saturating_add(datagram.len() as u64) {
                metrics::counter!("ppg_storage_full_total").increment(1);
                tracing::warn!(free, min_free, "push {} refused: storage full", message.push_id);
                return Err(Refusal::new(StatusCode::SERVICE_FAILURE, "storage full, try again later"));
            }
        }
        let push = NewPush {
            initiator: initiator.clone(),
            push_id: message.push_id.clone(),
            recipients,
            datagram: datagram.clone(),
            received,
            deliver_after,
            deliver_before,
            notify_to: message.ppg_notify_requested_to.clone(),
        };
        let dests: Vec<Arc<str>> = push.recipients.iter().map(|r| r.dest.clone()).collect();
        match self.inner.writer.insert(push).await {
            Ok(ids) => {
                self.inner.metrics.accepted.increment(ids.len() as u64);
                self.inner.metrics.pending.increment(ids.len() as f64);
                {
                    let mut u = self.unsent();
                    u.extend(ids.iter().copied());
                }
                for (id, dest) in ids.into_iter().zip(dests) {
                    self.enqueue(Job { id, dest, datagram: datagram.clone(), deliver_before, attempts: 0 }, deliver_after);
                }
                Ok(())
            }
            Err(InsertError::Duplicate) => Err(Refusal::new(
                StatusCode::DUPLICATE_PUSH_ID,
                format!("push-id {:?} was already used by this initiator", message.push_id),
            )),
            Err(e) => {
                tracing::error!("push {} not stored: {e}", message.push_id);
                Err(Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "the push could not be stored; retry later"))
            }
        }
    }

    /// Builds the compact WSP push for `content`.
    fn datagram(&self, content: Content<'_>) -> Result<Bytes, Refusal> {
        let essence = content.content_type.split(';').next().unwrap_or("").trim();
        if essence.is_empty() || !essence.contains('/') {
            return Err(Refusal::new(StatusCode::BAD_REQUEST, "the content entity has no Content-Type"));
        }
        let tid = self.inner.tid.fetch_add(1, Ordering::Relaxed);
        let app_id = content.application_id.map(|a| {
            let a = a.trim();
            match a.parse::<u32>() {
                Ok(n) => ferry_wsp::ApplicationId::Code(n),
                Err(_) => ferry_wsp::ApplicationId::Uri(a.into()),
            }
        });
        let mut push = ferry_wsp::Push::new(tid, ferry_wsp::ContentType::new(essence), app_id, content.body);
        if self.inner.delivery.content_length {
            push = push.with_content_length();
        }
        let mut out = Vec::with_capacity(content.body.len() + 16);
        push.encode(&mut out);
        Ok(Bytes::from(out))
    }

    fn enqueue(&self, job: Job, deliver_after: Option<i64>) {
        let wait = deliver_after.map_or(0, |a| a - now());
        if wait > 0 {
            let tx = self.inner.dispatch.clone();
            let sd = self.inner.shutdown.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(wait as u64)) => { let _ = tx.send(job); }
                    _ = sd.wait() => {}
                }
            });
        } else if let Ok(permit) = self.inner.permits.clone().try_acquire_owned() {
            // A slot is free: hand it to its link now, without the dispatcher's hop.
            self.hand_over(job, permit);
        } else {
            let _ = self.inner.dispatch.send(job);
        }
    }

    async fn dispatcher(self, mut rx: mpsc::UnboundedReceiver<Job>) {
        let permits = self.inner.permits.clone();
        loop {
            let job = tokio::select! {
                j = rx.recv() => match j { Some(j) => j, None => break },
                _ = self.inner.shutdown.wait() => break,
            };
            let Ok(permit) = permits.clone().acquire_owned().await else { break };
            self.hand_over(job, permit);
        }
    }

    /// Hands `job` to its link, holding `permit` until the link answers.
    /// Nothing waits here: the link calls [`Gateway::submitted`] with its
    /// answer (for an SMPP link, on the link's own task), so that a push
    /// costs no task of its own on the way out.
    fn hand_over(&self, mut job: Job, permit: tokio::sync::OwnedSemaphorePermit) {
        if !self.unsent().remove(&job.id) {
            return; // cancelled
        }
        let t = now();
        if job.deliver_before.is_some_and(|b| t >= b) {
            self.finish(job.id, State::Expired, StatusCode::SERVICE_FAILURE, "deliver-before-timestamp passed before the push could be submitted");
            return;
        }
        let Some(bearer) = self.inner.routes.route(&job.dest).cloned() else {
            self.finish(job.id, State::Undeliverable, StatusCode::REQUIRED_BEARER_NOT_AVAILABLE, "no SMSC link serves this number");
            return;
        };
        job.attempts += 1;
        let opts = SendOptions { deliver_before: job.deliver_before };
        self.inner.submitting.fetch_add(1, Ordering::Relaxed);
        let me = self.clone();
        let link = bearer.clone();
        let (dest, datagram) = (job.dest.clone(), job.datagram.clone());
        bearer.start_push(
            dest,
            datagram,
            opts,
            Box::new(move |sent| {
                me.inner.submitting.fetch_sub(1, Ordering::Relaxed);
                drop(permit);
                me.submitted(job, &link, sent);
            }),
        );
    }

    /// What the link answered for `job`. Runs on the link's task: records
    /// the outcome without waiting.
    fn submitted(&self, job: Job, bearer: &Arc<dyn crate::bearer::Bearer>, sent: Result<Vec<crate::bearer::MessageId>, crate::bearer::BearerError>) {
        match sent {
            Ok(ids) => {
                self.inner.metrics.sms_submitted.increment(ids.len() as u64);
                if bearer.wants_receipts() {
                    let link: Arc<str> = bearer.name().into();
                    let mut early = None;
                    {
                        let mut map = self.segments();
                        map.outstanding.insert(job.id, ids.len() as u32);
                        for m in &ids {
                            let key = (link.clone(), m.clone());
                            if let Some(st) = map.orphans.remove(&key) {
                                early.get_or_insert(Vec::new()).push((key.clone(), st));
                            }
                            map.by_message.insert(key, job.id);
                        }
                    }
                    self.record(Op::Submitted { id: job.id, link, message_ids: ids, at: now() });
                    for (key, st) in early.into_iter().flatten() {
                        self.on_receipt(key, st);
                    }
                } else {
                    // Final at once: one write records both the submission
                    // and the final state.
                    let t = now();
                    self.finish_with(job.id, State::Delivered, StatusCode::OK, "accepted by the SMSC (no delivery receipt requested)", Some(t), false);
                }
            }
            Err(e) if e.is_transient() && job.attempts < self.inner.delivery.max_attempts => {
                tracing::debug!(id = job.id, attempt = job.attempts, "submission failed, will retry: {e}");
                self.unsent().insert(job.id);
                let d = self.inner.delivery.retry_initial_ms.saturating_mul(1 << (job.attempts - 1).min(20)).min(self.inner.delivery.retry_max_ms);
                let tx = self.inner.dispatch.clone();
                let sd = self.inner.shutdown.clone();
                // (No runtime: the link was dropped while the process
                // stops; the push stays pending in the database.)
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(d)) => { let _ = tx.send(job); }
                            _ = sd.wait() => {}
                        }
                    });
                }
            }
            Err(e) => {
                tracing::info!(id = job.id, "push undeliverable: {e}");
                self.finish(job.id, State::Undeliverable, StatusCode::SERVICE_FAILURE, &e.to_string());
            }
        }
    }

    /// Hands a state change to the writer without waiting (it commits
    /// with the next batch). Should the writer's queue be full, a task
    /// waits for room, so that nothing is dropped.
    fn record(&self, op: Op) {
        match self.inner.writer.tx.try_send(op) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(op)) => {
                let w = self.inner.writer.clone();
                match tokio::runtime::Handle::try_current() {
                    Ok(rt) => drop(rt.spawn(async move { w.send(op).await })),
                    Err(_) => tracing::warn!("the process is stopping; a state change was not recorded"),
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::warn!("push store writer stopped; a state change was not recorded");
            }
        }
    }

    /// Records a final state of a push that has no segments on record.
    fn finish(&self, id: i64, state: State, code: StatusCode, desc: &str) {
        self.finish_with(id, state, code, desc, None, false);
    }

    /// Records a final state; `submitted_at` when the push was handed to
    /// the SMSC without a `Submitted` record, `segments` when it may have
    /// segments on record (receipts were asked).
    fn finish_with(&self, id: i64, state: State, code: StatusCode, desc: &str, submitted_at: Option<i64>, segments: bool) {
        let m = &self.inner.metrics;
        m.pending.decrement(1.0);
        if state == State::Delivered {
            m.delivered_final.increment(1);
            m.delivered.increment(1.0);
        } else {
            metrics::counter!("ppg_pushes_final_total", "state" => state.as_str()).increment(1);
            metrics::gauge!("ppg_pushes", "state" => state.as_str()).increment(1.0);
        }
        let f = Final { id, state, code: code.0, desc: desc.to_owned(), at: now() };
        self.record(Op::Final { f, submitted_at, segments });
    }

    async fn receipt_loop(self, mut rx: mpsc::UnboundedReceiver<Receipt>) {
        loop {
            let r = tokio::select! {
                r = rx.recv() => match r { Some(r) => r, None => break },
                _ = self.inner.shutdown.wait() => break,
            };
            self.on_receipt((r.link.into(), r.message_id), r.state);
        }
    }

    fn on_receipt(&self, key: (Arc<str>, String), st: ReceiptState) {
        let outcome = {
            let mut map = self.segments();
            match map.by_message.remove(&key) {
                None => {
                    if map.orphans.len() < 100_000 {
                        map.orphans.insert(key, st);
                    }
                    None
                }
                Some(id) => match st {
                    ReceiptState::Delivered => {
                        let left = map.outstanding.get_mut(&id).map(|n| {
                            *n = n.saturating_sub(1);
                            *n
                        });
                        if left.unwrap_or(0) == 0 {
                            map.outstanding.remove(&id);
                            Some((id, State::Delivered))
                        } else {
                            None
                        }
                    }
                    ReceiptState::Undeliverable => {
                        map.outstanding.remove(&id);
                        Some((id, State::Undeliverable))
                    }
                    ReceiptState::Expired => {
                        map.outstanding.remove(&id);
                        Some((id, State::Expired))
                    }
                },
            }
        };
        match outcome {
            Some((id, State::Delivered)) => self.finish_with(id, State::Delivered, StatusCode::OK, "delivered to the handset", None, true),
            Some((id, s @ State::Expired)) => {
                self.finish_with(id, s, StatusCode::SERVICE_FAILURE, "the SMSC's validity period ran out", None, true);
            }
            Some((id, s)) => self.finish_with(id, s, StatusCode::SERVICE_FAILURE, "the SMSC reported the message undeliverable", None, true),
            None => {}
        }
    }

    async fn sweeper(self) {
        let timeout = self.inner.delivery.receipt_timeout_secs as i64;
        let period = Duration::from_secs((timeout as u64 / 4).clamp(1, 60));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = self.inner.shutdown.wait() => break,
            }
            metrics::gauge!("ppg_queue_depth").set(self.queue_depth() as f64);
            match store::overdue(&self.inner.readers, now() - timeout).await {
                Ok(ids) => {
                    for id in ids {
                        {
                            let mut map = self.segments();
                            map.outstanding.remove(&id);
                            map.by_message.retain(|_, v| *v != id);
                        }
                        self.finish_with(id, State::Timeout, StatusCode::SERVICE_FAILURE, "no delivery receipt within the receipt timeout", None, true);
                    }
                }
                Err(e) => tracing::warn!("receipt timeout sweep failed: {e:#}"),
            }
        }
    }

    /// Cancels the pending recipients of a push (all, or those listed)
    /// that have not been handed to an SMSC yet.
    pub async fn cancel(&self, initiator: &Arc<str>, push_id: &str, addresses: Option<Vec<String>>) -> Result<Vec<CancelOutcome>, Refusal> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let me = self.clone();
        let take: Arc<dyn Fn(i64) -> bool + Send + Sync> = Arc::new(move |id| me.unsent().remove(&id));
        self.inner
            .writer
            .send(Op::Cancel { initiator: initiator.clone(), push_id: push_id.to_owned(), addresses, take, reply: tx })
            .await;
        let out = rx
            .await
            .map_err(|_| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "the push store stopped"))?
            .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, format!("the push store failed: {e}")))?;
        let cancelled = out.iter().filter(|o| o.cancelled).count();
        if cancelled > 0 {
            metrics::gauge!("ppg_pushes", "state" => "pending").decrement(cancelled as f64);
            metrics::gauge!("ppg_pushes", "state" => "cancelled").increment(cancelled as f64);
        }
        Ok(out)
    }

    /// The recipients of a push and their states.
    pub async fn status(&self, initiator: &str, push_id: &str) -> Result<Vec<store::RecipientStatus>, Refusal> {
        store::status(&self.inner.readers, &self.inner.ids, initiator, push_id)
            .await
            .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, format!("status lookup failed: {e}")))
    }
}

/// Accepts only PLMN numbers in international format; the refusal for others.
fn check_address(ca: &ClientAddress<'_>, text: &str) -> Result<String, Refusal> {
    match ca.kind {
        AddressType::Plmn if ca.is_international() => {
            let digits = ca.digits().unwrap_or_default();
            if digits.is_empty() || digits.len() > 20 {
                return Err(Refusal::new(StatusCode::ADDRESS_ERROR, format!("{text:?}: a phone number has 1 to 20 digits")));
            }
            Ok(format!("+{digits}"))
        }
        AddressType::Plmn => Err(Refusal::new(
            StatusCode::ADDRESS_ERROR,
            format!("{text:?} is not an international number: write it as +<country code><number>"),
        )),
        AddressType::Ipv4 | AddressType::Ipv6 => Err(Refusal::new(
            StatusCode::REQUIRED_BEARER_NOT_AVAILABLE,
            format!("{text:?}: this gateway has no IP bearer; address the handset by its phone number (TYPE=PLMN)"),
        )),
        _ => Err(Refusal::new(
            StatusCode::ADDRESS_ERROR,
            format!("{text:?}: this gateway cannot resolve TYPE={} addresses; use WAPPUSH=+<number>/TYPE=PLMN", ca.kind.as_str()),
        )),
    }
}

/// An in-flight push summary for status answers: the PAP code of a state.
pub fn state_code(state: State, stored: Option<u16>) -> StatusCode {
    match state {
        State::Pending => StatusCode::ACCEPTED_FOR_PROCESSING,
        _ => StatusCode(stored.unwrap_or(1000)),
    }
}

impl NotifyJob {
    /// The resultnotification-message for this job.
    pub fn message(&self, sender_name: &str) -> ferry_pap::ResultNotificationMessage {
        ferry_pap::ResultNotificationMessage {
            push_id: self.push_id.clone(),
            sender_address: None,
            sender_name: Some(sender_name.to_owned()),
            received_time: ferry_pap::Timestamp::from_unix(self.received),
            event_time: ferry_pap::Timestamp::from_unix(self.event_time),
            message_state: self.state.message_state(),
            code: StatusCode(self.code),
            desc: self.desc.clone(),
            address: ferry_pap::Address::new(self.address.clone()),
            quality_of_service: None,
        }
    }
}
