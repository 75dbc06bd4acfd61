//! Metric names (Prometheus, through the `metrics` crate).

/// submit_sm accepted for queuing (before the commit in durable mode).
pub const SUBMITTED: &str = "ferry_smsc_submitted_total";
/// submit_sm rejected (any status).
pub const REJECTED: &str = "ferry_smsc_rejected_total";
/// Messages put in the queue (committed, or loaded at start-up).
pub const STORED: &str = "ferry_smsc_stored_total";
/// Messages acknowledged by their recipient.
pub const DELIVERED: &str = "ferry_smsc_delivered_total";
/// Failed delivery attempts that will be retried.
pub const RETRIED: &str = "ferry_smsc_retried_total";
/// Messages whose validity ended before delivery.
pub const EXPIRED: &str = "ferry_smsc_expired_total";
/// Delivery receipts made.
pub const RECEIPTS: &str = "ferry_smsc_receipts_total";
/// Binds refused for bad credentials.
pub const BIND_FAILURES: &str = "ferry_smsc_bind_failures_total";
/// PDUs that failed to decode.
pub const PROTOCOL_ERRORS: &str = "ferry_smsc_protocol_errors_total";
/// Messages queued (not yet final).
pub const QUEUE_DEPTH: &str = "ferry_smsc_queue_depth";
/// Sessions bound to take deliveries.
pub const BOUND_SESSIONS: &str = "ferry_smsc_bound_sessions";
/// Open SMPP connections.
pub const CONNECTIONS: &str = "ferry_smsc_connections";
/// submit_sm forwarded to another SMSC and accepted there.
pub const FORWARDED: &str = "ferry_smsc_forwarded_total";
