//! The backend interface: what a storage engine implements.
//!
//! The MMSC only sees [`crate::Store`]; a backend plugs in behind it as a
//! `Box<dyn Backend>`. Methods return boxed futures so the trait stays
//! object-safe (an `async fn` in a trait is not). Every method takes `now`
//! from the caller where time matters, so tests control the clock.
//!
//! The contract each backend must keep (checked by `crate::battery`, feature `battery`):
//!
//! - A method that writes returns `Ok` only after its change is durable
//!   (committed and synced), and a method that fails left nothing visible.
//! - [`Backend::submit`] makes the body and the metadata durable together: a
//!   reader never finds metadata without its body.
//! - State changes follow [`crate::RecipientState::check_transition`]; a
//!   repeat is `Ok` with `changed == false`.
//! - A change into a state with a delivery status queues the delivery report
//!   in the same transaction when the sender asked for one and the recipient
//!   allows it.
//! - A body is removed only once every recipient of its message is final.

use std::future::Future;
use std::pin::Pin;

use crate::error::Result;
use crate::model::*;
use crate::outbox::{NewOutbound, Outbound, OutboundId, OutboundOutcome, RecipientRoute};

/// A boxed, sendable future yielding a store result.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A storage engine. See the module docs for the contract; [`crate::Store`]
/// documents each operation.
#[allow(missing_docs)]
pub trait Backend: Send + Sync + std::fmt::Debug + 'static {
    fn submit(&self, message: NewMessage, now: u64) -> BoxFuture<'_, Submitted>;
    fn message<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<MessageMeta>>;
    fn recipients<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Vec<Recipient>>;
    fn delivery<'a>(&'a self, key: &'a RecipientKey) -> BoxFuture<'a, Option<Delivery>>;
    fn read_body<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Vec<u8>>;
    fn update_recipient(
        &self,
        key: RecipientKey,
        update: RecipientUpdate,
        now: u64,
    ) -> BoxFuture<'_, Transition>;
    fn acknowledge(
        &self,
        key: RecipientKey,
        report_allowed: Option<bool>,
        now: u64,
    ) -> BoxFuture<'_, Recipient>;
    fn claim_notifications(
        &self,
        now: u64,
        limit: u32,
        lease_secs: u64,
    ) -> BoxFuture<'_, Vec<Delivery>>;
    fn record_notification(
        &self,
        id: RecipientId,
        attempt: NotifyAttempt,
        now: u64,
    ) -> BoxFuture<'_, Recipient>;
    fn expire(&self, now: u64) -> BoxFuture<'_, Vec<Transition>>;
    fn enqueue_report(&self, report: NewReport, now: u64) -> BoxFuture<'_, ReportId>;
    fn claim_reports(&self, now: u64, limit: u32, lease_secs: u64) -> BoxFuture<'_, Vec<Report>>;
    fn report_done(&self, id: ReportId, now: u64) -> BoxFuture<'_, ()>;
    fn report_retry(
        &self,
        id: ReportId,
        next_attempt_at: u64,
        error: String,
        now: u64,
    ) -> BoxFuture<'_, ()>;
    fn report_failed(&self, id: ReportId, error: String, now: u64) -> BoxFuture<'_, ()>;
    fn report(&self, id: ReportId) -> BoxFuture<'_, Option<Report>>;
    fn collect_garbage(&self, now: u64, purge_before: Option<u64>) -> BoxFuture<'_, GcStats>;
    fn counts(&self, now: u64) -> BoxFuture<'_, Counts>;
    fn add_subscriber(&self, subscriber: NewSubscriber, now: u64) -> BoxFuture<'_, Subscriber>;
    fn subscriber<'a>(&'a self, msisdn: &'a str) -> BoxFuture<'a, Option<Subscriber>>;
    fn subscribers(&self) -> BoxFuture<'_, Vec<Subscriber>>;
    fn remove_subscriber<'a>(&'a self, msisdn: &'a str) -> BoxFuture<'a, bool>;
    fn verify_password<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Option<Subscriber>>;
    fn close(&self) -> BoxFuture<'_, ()>;

    // The interconnect (schema 2). Default: refused, so a backend written
    // before it still builds; the SQLite backend implements them.
    fn route_recipient(
        &self,
        _id: RecipientId,
        _route: RecipientRoute,
        _outbound: Option<NewOutbound>,
        _now: u64,
    ) -> BoxFuture<'_, bool> {
        unsupported("route_recipient")
    }
    fn recipient_route(&self, _id: RecipientId) -> BoxFuture<'_, Option<RecipientRoute>> {
        unsupported("recipient_route")
    }
    fn enqueue_outbound(&self, _job: NewOutbound, _now: u64) -> BoxFuture<'_, OutboundId> {
        unsupported("enqueue_outbound")
    }
    fn claim_outbound(
        &self,
        _now: u64,
        _limit: u32,
        _lease_secs: u64,
    ) -> BoxFuture<'_, Vec<Outbound>> {
        unsupported("claim_outbound")
    }
    fn finish_outbound(
        &self,
        _id: OutboundId,
        _outcome: OutboundOutcome,
        _now: u64,
    ) -> BoxFuture<'_, ()> {
        unsupported("finish_outbound")
    }
    fn outbound_by_transaction<'a>(
        &'a self,
        _transaction_id: &'a str,
    ) -> BoxFuture<'a, Option<Outbound>> {
        unsupported("outbound_by_transaction")
    }
    fn outbound_for_message<'a>(&'a self, _message_id: &'a str) -> BoxFuture<'a, Vec<Outbound>> {
        unsupported("outbound_for_message")
    }
    fn purge_outbound(&self, _before: u64) -> BoxFuture<'_, u64> {
        unsupported("purge_outbound")
    }
}

fn unsupported<'a, T: Send + 'a>(what: &'static str) -> BoxFuture<'a, T> {
    Box::pin(async move {
        Err(crate::StoreError::Invalid(format!(
            "{what}: this store backend has no interconnect queue"
        )))
    })
}
