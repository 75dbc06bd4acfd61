//! The delivery side: what the gateway needs from an SMSC link.
//!
//! A [`Bearer`] takes a WDP datagram (the WSP push) for one international
//! number and submits it as one or more short messages, returning the SMSC's
//! message id of each segment. Delivery receipts come back through the
//! [`ReceiptSender`] the bearer was built with. [`MemoryBearer`] is the
//! in-memory implementation the tests use; [`crate::esme_bearer`] is the
//! SMPP one.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use tokio::sync::mpsc;

/// A boxed future (the trait is used as `dyn Bearer`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An SMSC's message id for one submitted segment.
pub type MessageId = String;

/// Why a submission failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BearerError {
    /// The link is not bound (or is throttled): try again later.
    #[error("link {link} unavailable: {reason}")]
    Unavailable {
        /// The link's name.
        link: String,
        /// What is wrong.
        reason: String,
    },
    /// The SMSC refused the message for good (e.g. invalid destination).
    #[error("link {link} rejected the message: {reason}")]
    Rejected {
        /// The link's name.
        link: String,
        /// The SMSC's reason (e.g. the command_status name).
        reason: String,
    },
}

impl BearerError {
    /// True if a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, BearerError::Unavailable { .. })
    }
}

/// Per-submission options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Unix time after which the SMSC should give up (SMPP validity_period).
    pub deliver_before: Option<i64>,
}

/// The final outcome a delivery receipt reports for one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptState {
    /// Delivered to the handset.
    Delivered,
    /// The SMSC gave up or the handset refused it.
    Undeliverable,
    /// Its validity period ran out.
    Expired,
}

/// A delivery receipt, matched by link name and message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The link it came in on.
    pub link: String,
    /// The SMSC's message id of the segment.
    pub message_id: MessageId,
    /// The outcome.
    pub state: ReceiptState,
}

/// What [`Bearer::start_push`] calls with the outcome of a submission.
pub type SendDone = Box<dyn FnOnce(Result<Vec<MessageId>, BearerError>) + Send>;

/// Where bearers post delivery receipts.
pub type ReceiptSender = mpsc::UnboundedSender<Receipt>;

/// An SMSC link as the gateway sees it.
pub trait Bearer: Send + Sync + 'static {
    /// The link's name.
    fn name(&self) -> &str;

    /// Whether the link can submit now (bound, not shut down).
    fn is_available(&self) -> bool;

    /// Submits `datagram` to `dest` (`+` and digits) as WAP Push short
    /// messages, concatenated if needed; returns the message id of each
    /// segment in order.
    fn send_push<'a>(
        &'a self,
        dest: &'a str,
        datagram: &'a [u8],
        opts: SendOptions,
    ) -> BoxFuture<'a, Result<Vec<MessageId>, BearerError>>;

    /// Starts what [`Bearer::send_push`] does without a task waiting for
    /// it: `done` is called exactly once with the outcome, on whatever task
    /// the bearer answers on (it must be quick and must not block). The
    /// default runs `send_push` on a task of its own; the SMPP link calls
    /// `done` from its connection's task instead.
    fn start_push(self: std::sync::Arc<Self>, dest: std::sync::Arc<str>, datagram: bytes::Bytes, opts: SendOptions, done: SendDone) {
        tokio::spawn(async move {
            let r = self.send_push(&dest, &datagram, opts).await;
            done(r);
        });
    }

    /// Whether submissions ask for delivery receipts. Without them a push is
    /// final (`delivered`) once submitted.
    fn wants_receipts(&self) -> bool {
        true
    }
}

/// A link chosen by destination prefix.
pub struct Route {
    /// International prefixes (`+1`, `+`).
    pub prefixes: Vec<String>,
    /// The link.
    pub bearer: std::sync::Arc<dyn Bearer>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route").field("prefixes", &self.prefixes).field("link", &self.bearer.name()).finish()
    }
}

/// The routing table: the longest matching prefix wins.
#[derive(Debug, Default)]
pub struct Routes(pub Vec<Route>);

impl Routes {
    /// The link for `dest` (`+digits`), if any prefix matches.
    pub fn route(&self, dest: &str) -> Option<&std::sync::Arc<dyn Bearer>> {
        let mut best: Option<(usize, &std::sync::Arc<dyn Bearer>)> = None;
        for r in &self.0 {
            for p in &r.prefixes {
                if dest.starts_with(p.as_str()) && best.is_none_or(|(l, _)| p.len() > l) {
                    best = Some((p.len(), &r.bearer));
                }
            }
        }
        best.map(|(_, b)| b)
    }

    /// A link by name.
    pub fn by_name(&self, name: &str) -> Option<&std::sync::Arc<dyn Bearer>> {
        self.0.iter().map(|r| &r.bearer).find(|b| b.name() == name)
    }
}

/// One submission seen by a [`MemoryBearer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Destination (`+digits`).
    pub dest: String,
    /// The WSP push datagram.
    pub datagram: Vec<u8>,
    /// The message ids handed back (one per segment).
    pub message_ids: Vec<MessageId>,
}

/// An in-memory link for tests: records submissions, can be switched off,
/// can fail the next submissions, and emits receipts on demand.
#[derive(Debug)]
pub struct MemoryBearer {
    name: String,
    available: AtomicBool,
    fail_next: AtomicU32,
    receipts_wanted: bool,
    next_id: AtomicU64,
    sent: Mutex<VecDeque<Sent>>,
    notify: tokio::sync::Notify,
    receipts: ReceiptSender,
}

impl MemoryBearer {
    /// A link named `name`, posting receipts to `receipts`.
    pub fn new(name: &str, receipts: ReceiptSender) -> Self {
        Self {
            name: name.to_owned(),
            available: AtomicBool::new(true),
            fail_next: AtomicU32::new(0),
            receipts_wanted: true,
            next_id: AtomicU64::new(1),
            sent: Mutex::new(VecDeque::new()),
            notify: tokio::sync::Notify::new(),
            receipts,
        }
    }

    /// The same, with receipts not requested.
    #[must_use]
    pub fn without_receipts(mut self) -> Self {
        self.receipts_wanted = false;
        self
    }

    /// Switches the link on or off.
    pub fn set_available(&self, on: bool) {
        self.available.store(on, Ordering::SeqCst);
    }

    /// Makes the next `n` submissions fail as unavailable.
    pub fn fail_next(&self, n: u32) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// Every submission so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// Waits until at least `n` submissions were made, or `timeout` passes.
    pub async fn wait_sent(&self, n: usize, timeout: std::time::Duration) -> Vec<Sent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            let s = self.sent();
            if s.len() >= n {
                return s;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.sent();
            }
        }
    }

    /// Emits a receipt for `message_id`.
    pub fn receipt(&self, message_id: &str, state: ReceiptState) {
        let _ = self.receipts.send(Receipt { link: self.name.clone(), message_id: message_id.to_owned(), state });
    }
}

impl Bearer for MemoryBearer {
    fn name(&self) -> &str {
        &self.name
    }

    fn is_available(&self) -> bool {
        self.available.load(Ordering::SeqCst)
    }

    fn wants_receipts(&self) -> bool {
        self.receipts_wanted
    }

    fn send_push<'a>(
        &'a self,
        dest: &'a str,
        datagram: &'a [u8],
        _opts: SendOptions,
    ) -> BoxFuture<'a, Result<Vec<MessageId>, BearerError>> {
        Box::pin(async move {
            if !self.is_available() {
                return Err(BearerError::Unavailable { link: self.name.clone(), reason: "switched off".into() });
            }
            if self.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                return Err(BearerError::Unavailable { link: self.name.clone(), reason: "failing on request".into() });
            }
            let segments = ferry_sms::wap_push_segments(datagram, 0, &ferry_sms::WapPushOptions::default())
                .map_err(|e| BearerError::Rejected { link: self.name.clone(), reason: e.to_string() })?;
            let ids: Vec<MessageId> = segments
                .iter()
                .map(|_| format!("{}-{}", self.name, self.next_id.fetch_add(1, Ordering::SeqCst)))
                .collect();
            self.sent.lock().unwrap_or_else(|e| e.into_inner()).push_back(Sent {
                dest: dest.to_owned(),
                datagram: datagram.to_vec(),
                message_ids: ids.clone(),
            });
            self.notify.notify_waiters();
            Ok(ids)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn longest_prefix_wins() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let all: Arc<dyn Bearer> = Arc::new(MemoryBearer::new("all", tx.clone()));
        let uk: Arc<dyn Bearer> = Arc::new(MemoryBearer::new("uk", tx));
        let routes = Routes(vec![
            Route { prefixes: vec!["+".into()], bearer: all },
            Route { prefixes: vec!["+44".into(), "+4470".into()], bearer: uk },
        ]);
        assert_eq!(routes.route("+447000").unwrap().name(), "uk");
        assert_eq!(routes.route("+15551234").unwrap().name(), "all");
        assert!(Routes::default().route("+1").is_none());
        assert_eq!(routes.by_name("uk").unwrap().name(), "uk");
    }
}
