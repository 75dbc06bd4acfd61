//! The store's data model: what goes in, what comes out.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::StoreError;

/// A message to store: its metadata, its recipients and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// The Message-ID the MMSC assigned (unique; see [`new_message_id`]).
    pub id: String,
    /// The sender's address as the MMSC will show it (`+4670…/TYPE=PLMN`).
    pub sender: String,
    /// The sender asked to hide its identity (X-Mms-Sender-Visibility: Hide).
    pub sender_hidden: bool,
    /// The message's content type (e.g. `application/vnd.wap.multipart.related`).
    pub content_type: String,
    /// Subject, if any (decoded text).
    pub subject: Option<String>,
    /// X-Mms-Message-Class as text (`personal`, `advertisement`, ...).
    pub message_class: Option<String>,
    /// X-Mms-Priority as text (`low`, `normal`, `high`).
    pub priority: Option<String>,
    /// Date of the message, unix seconds.
    pub date: u64,
    /// Absolute expiry, unix seconds: recipients not final by then expire.
    pub expiry: u64,
    /// The sender asked for delivery reports.
    pub delivery_report: bool,
    /// The sender asked for read reports.
    pub read_report: bool,
    /// The recipients (at least one; addresses distinct).
    pub recipients: Vec<NewRecipient>,
    /// The stored PDU: the encoded M-Retrieve.conf-ready body. Its length is
    /// the message's size.
    pub body: Vec<u8>,
}

/// A recipient of a [`NewMessage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecipient {
    /// The address (`+4670…/TYPE=PLMN`, `user@example.org`, ...).
    pub address: String,
    /// What kind of address it is.
    pub kind: AddressKind,
}

impl NewRecipient {
    /// A recipient with this address and kind.
    pub fn new(address: impl Into<String>, kind: AddressKind) -> Self {
        Self {
            address: address.into(),
            kind,
        }
    }
}

/// Generates a fresh, unique Message-ID (32 hex characters, 128 random bits).
pub fn new_message_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The transaction id of a recipient's notifications, derived from its
/// retrieval token (unguessable like the token). The store records it with
/// the recipient when the message is submitted, so an M-NotifyResp.ind or
/// M-Acknowledge.ind that overtakes the recording of its notification (the
/// SMS can reach the phone before the push gateway's answer reaches the
/// MMSC) still finds its recipient.
pub fn transaction_id_for(token: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::new()
        .chain_update(b"ferry-mmsc transaction id\0")
        .chain_update(token.as_bytes())
        .finalize();
    format!("T{}", hex::encode(&h[..10]))
}

/// What [`crate::Store::submit`] answers once the message is durable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// The Message-ID.
    pub id: String,
    /// One entry per recipient, in submission order.
    pub recipients: Vec<SubmittedRecipient>,
}

/// A recipient as stored by [`crate::Store::submit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedRecipient {
    /// Its row id.
    pub id: RecipientId,
    /// Its address.
    pub address: String,
    /// The retrieval token for its Content-Location URL.
    pub token: String,
}

/// A recipient's row id (stable for the life of the message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecipientId(pub i64);

/// A report's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportId(pub i64);

/// How to find a recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecipientKey {
    /// By row id.
    Id(RecipientId),
    /// By retrieval token (from the Content-Location URL of M-Retrieve).
    Token(String),
    /// By the transaction id of its notification (from M-NotifyResp.ind).
    TransactionId(String),
}

impl fmt::Display for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "id {}", id.0),
            Self::Token(t) => write!(f, "token {t}"),
            Self::TransactionId(t) => write!(f, "transaction id {t}"),
        }
    }
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum $name { $($(#[$vm])* $var,)* }
        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$var,)*];
            /// The stored text.
            pub fn as_str(self) -> &'static str { match self { $(Self::$var => $s,)* } }
            /// Parses the stored text.
            pub fn parse(s: &str) -> Result<Self, StoreError> {
                match s {
                    $($s => Ok(Self::$var),)*
                    other => Err(StoreError::Corrupt(format!(concat!("unknown ", stringify!($name), " {:?}"), other))),
                }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

text_enum! {
    /// The kind of a recipient address (OMA-TS-MMS-ENC §7.3.22: PLMN, e-mail,
    /// other).
    AddressKind {
        /// A phone number (`/TYPE=PLMN`).
        Msisdn = "msisdn",
        /// An RFC 2822 e-mail address.
        Email = "email",
        /// Anything else (IPv4, IPv6, user-defined).
        Other = "other",
    }
}

text_enum! {
    /// Where a recipient is in its life.
    ///
    /// `pending` → `notified` → (`retrieved` | `deferred` | `rejected` |
    /// `unrecognised` | `expired` | `forwarded` | `failed`). `pending`,
    /// `notified` and `deferred` are live; the others are final.
    RecipientState {
        /// Stored, notification not yet sent.
        Pending = "pending",
        /// M-Notification.ind sent at least once.
        Notified = "notified",
        /// The recipient deferred retrieval (M-NotifyResp.ind status Deferred).
        Deferred = "deferred",
        /// Retrieved (M-Retrieve.conf answered).
        Retrieved = "retrieved",
        /// The recipient rejected it.
        Rejected = "rejected",
        /// The recipient did not recognise the notification.
        Unrecognised = "unrecognised",
        /// Not retrieved before the expiry.
        Expired = "expired",
        /// Forwarded by the recipient without retrieval (M-Forward.req).
        Forwarded = "forwarded",
        /// Given up on (e.g. notification never got through): see the reason.
        Failed = "failed",
    }
}

impl RecipientState {
    /// True for states nothing leaves: the recipient needs the body no more.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Notified | Self::Deferred)
    }

    /// The transition table. `Some(false)` means "already there: no change"
    /// (idempotent repeat), `Some(true)` a real change, `None` a refused one.
    ///
    /// | from \ to | pending | notified | deferred | any final |
    /// |---|---|---|---|---|
    /// | pending | same | yes | yes | yes |
    /// | notified | no | same | yes | yes |
    /// | deferred | no | yes | same | yes |
    /// | final | no | no | no | same only |
    pub fn check_transition(self, to: Self) -> Option<bool> {
        if self == to {
            return Some(false);
        }
        if self.is_final() || to == Self::Pending {
            return None;
        }
        Some(true)
    }

    /// The X-Mms-Status of the delivery report this state produces, if any.
    pub fn delivery_status(self) -> Option<ReportStatus> {
        Some(match self {
            Self::Pending | Self::Notified => return None,
            Self::Deferred => ReportStatus::Deferred,
            Self::Retrieved => ReportStatus::Retrieved,
            Self::Rejected => ReportStatus::Rejected,
            Self::Unrecognised => ReportStatus::Unrecognised,
            Self::Expired => ReportStatus::Expired,
            Self::Forwarded => ReportStatus::Forwarded,
            Self::Failed => ReportStatus::Unreachable,
        })
    }
}

text_enum! {
    /// The kind of an outbound report.
    ReportKind {
        /// M-Delivery.ind to the sender.
        Delivery = "delivery",
        /// M-Read-Orig.ind to the sender.
        Read = "read",
    }
}

text_enum! {
    /// The status a report carries: X-Mms-Status for delivery reports
    /// (OMA-TS-MMS-ENC §7.3.54), X-Mms-Read-Status for read reports (§7.3.40).
    ReportStatus {
        /// Delivery: expired.
        Expired = "expired",
        /// Delivery: retrieved.
        Retrieved = "retrieved",
        /// Delivery: rejected.
        Rejected = "rejected",
        /// Delivery: deferred.
        Deferred = "deferred",
        /// Delivery: unrecognised.
        Unrecognised = "unrecognised",
        /// Delivery: indeterminate.
        Indeterminate = "indeterminate",
        /// Delivery: forwarded.
        Forwarded = "forwarded",
        /// Delivery: unreachable.
        Unreachable = "unreachable",
        /// Read: read.
        Read = "read",
        /// Read: deleted without being read.
        DeletedWithoutRead = "deleted",
    }
}

text_enum! {
    /// Where a queued report is.
    ReportState {
        /// To send (or being sent, while its lease runs).
        Pending = "pending",
        /// Sent.
        Done = "done",
        /// Given up on.
        Failed = "failed",
    }
}

/// A stored message's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageMeta {
    /// The Message-ID.
    pub id: String,
    /// The sender's address.
    pub sender: String,
    /// The sender asked to hide its identity.
    pub sender_hidden: bool,
    /// Content type.
    pub content_type: String,
    /// Size of the stored body, bytes.
    pub size: u64,
    /// Subject.
    pub subject: Option<String>,
    /// Message class.
    pub message_class: Option<String>,
    /// Priority.
    pub priority: Option<String>,
    /// Date, unix seconds.
    pub date: u64,
    /// Expiry, unix seconds.
    pub expiry: u64,
    /// Delivery reports requested.
    pub delivery_report: bool,
    /// Read reports requested.
    pub read_report: bool,
    /// When the store accepted it, unix seconds.
    pub created_at: u64,
    /// False once garbage collection removed the body.
    pub body_present: bool,
}

/// A recipient's stored state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// Row id.
    pub id: RecipientId,
    /// The Message-ID it belongs to.
    pub message_id: String,
    /// Address.
    pub address: String,
    /// Address kind.
    pub kind: AddressKind,
    /// Current state.
    pub state: RecipientState,
    /// Why it failed (state `failed`), or the reason given with the last
    /// transition.
    pub reason: Option<String>,
    /// Retrieval token (≥ 128 random bits, URL-safe).
    pub token: String,
    /// Transaction id of its M-Notification.ind (set at submission, see
    /// [`transaction_id_for`]; `None` only for rows written before that).
    pub transaction_id: Option<String>,
    /// Notification attempts made.
    pub notify_attempts: u32,
    /// When to (re-)notify next; `None` for no further notification.
    pub next_notify_at: Option<u64>,
    /// The recipient allows reports to go to the sender (X-Mms-Report-Allowed).
    pub report_allowed: bool,
    /// When it was retrieved.
    pub retrieved_at: Option<u64>,
    /// M-Acknowledge.ind received.
    pub acknowledged: bool,
    /// The last error text (failed notification, ...).
    pub last_error: Option<String>,
    /// When this row last changed, unix seconds.
    pub updated_at: u64,
}

/// A recipient together with its message, as retrieval and notification need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The message.
    pub message: MessageMeta,
    /// The recipient.
    pub recipient: Recipient,
}

/// A requested state change of one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientUpdate {
    /// The target state.
    pub to: RecipientState,
    /// Why (kept in [`Recipient::reason`]); typically set with `failed`.
    pub reason: Option<String>,
    /// A new value for the report-allowed flag, applied before the change
    /// decides whether to queue a delivery report.
    pub report_allowed: Option<bool>,
}

impl RecipientUpdate {
    /// Go to `to`, no reason, report flag unchanged.
    pub fn to(to: RecipientState) -> Self {
        Self {
            to,
            reason: None,
            report_allowed: None,
        }
    }
    /// Sets the reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    /// Sets the report-allowed flag.
    pub fn report_allowed(mut self, allowed: bool) -> Self {
        self.report_allowed = Some(allowed);
        self
    }
}

/// The outcome of a state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: RecipientState,
    /// False when the recipient already was in the target state (idempotent
    /// repeat: nothing was written, no report queued).
    pub changed: bool,
    /// The delivery report queued with the change (the sender asked for
    /// delivery reports, the recipient allows them, and the new state has a
    /// delivery status).
    pub report: Option<ReportId>,
    /// The recipient after the change.
    pub recipient: Recipient,
}

/// What happened on one notification attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyAttempt {
    /// The notification was handed to the push gateway (then a `pending`
    /// recipient becomes `notified`).
    pub sent: bool,
    /// Transaction id of the M-Notification.ind sent.
    pub transaction_id: Option<String>,
    /// When to try again (back-off), `None` for no further attempt.
    pub next_notify_at: Option<u64>,
    /// Error text of a failed attempt.
    pub error: Option<String>,
}

/// An outbound report to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReport {
    /// Delivery or read report.
    pub kind: ReportKind,
    /// The Message-ID it is about.
    pub message_id: String,
    /// Where it goes: the original sender.
    pub to: String,
    /// Whom it is about: the recipient's address.
    pub from: String,
    /// The status it carries.
    pub status: ReportStatus,
    /// When the event happened, unix seconds.
    pub date: u64,
}

/// A queued report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Row id.
    pub id: ReportId,
    /// Delivery or read report.
    pub kind: ReportKind,
    /// The Message-ID it is about.
    pub message_id: String,
    /// The original sender (destination).
    pub to: String,
    /// The recipient it is about.
    pub from: String,
    /// The status it carries.
    pub status: ReportStatus,
    /// When the event happened.
    pub date: u64,
    /// Queue state.
    pub state: ReportState,
    /// Send attempts so far.
    pub attempts: u32,
    /// When it is due next.
    pub next_attempt_at: u64,
    /// The last send error.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: u64,
}

/// Queue depths for metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages stored (with or without body).
    pub messages: u64,
    /// Messages whose body is still stored.
    pub bodies: u64,
    /// Total bytes of stored bodies.
    pub body_bytes: u64,
    /// Recipients by state.
    pub recipients: BTreeMap<RecipientState, u64>,
    /// Reports by queue state.
    pub reports: BTreeMap<ReportState, u64>,
    /// Live recipients whose notification is due at `now` (leased or not).
    pub notifications_due: u64,
    /// Pending reports due at `now`.
    pub reports_due: u64,
    /// Outbound SMTP jobs not yet sent (MM4 forwards, MM4 answers and
    /// reports, MM3 e-mail), by kind (`mm4-forward`, `mm4`, `mm3`): the
    /// backlog while a peer MMSC or the mail relay is away.
    pub outbound_pending: BTreeMap<String, u64>,
}

/// What garbage collection did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Bodies removed.
    pub bodies_removed: u64,
    /// Bytes freed.
    pub bytes_freed: u64,
    /// Message rows (with their recipients) purged.
    pub messages_purged: u64,
    /// Finished report rows purged.
    pub reports_purged: u64,
}

/// A subscriber to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubscriber {
    /// The MSISDN (key).
    pub msisdn: String,
    /// HTTP Basic user name, if the subscriber authenticates that way.
    pub username: Option<String>,
    /// HTTP Basic password (stored only as an Argon2id PHC hash).
    pub password: Option<String>,
    /// May send messages.
    pub may_send: bool,
    /// May hide its identity from recipients.
    pub may_hide_sender: bool,
    /// Largest message it may send, bytes.
    pub max_message_size: Option<u64>,
    /// Handset profile (free text, e.g. a UAProf URL).
    pub profile: Option<String>,
}

impl NewSubscriber {
    /// A subscriber allowed to send, no credentials, no limits.
    pub fn new(msisdn: impl Into<String>) -> Self {
        Self {
            msisdn: msisdn.into(),
            username: None,
            password: None,
            may_send: true,
            may_hide_sender: false,
            max_message_size: None,
            profile: None,
        }
    }
}

/// A stored subscriber (without its password hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscriber {
    /// The MSISDN.
    pub msisdn: String,
    /// HTTP Basic user name.
    pub username: Option<String>,
    /// A password is set.
    pub has_password: bool,
    /// May send messages.
    pub may_send: bool,
    /// May hide its identity.
    pub may_hide_sender: bool,
    /// Largest message it may send, bytes.
    pub max_message_size: Option<u64>,
    /// Handset profile.
    pub profile: Option<String>,
    /// When it was added.
    pub created_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use RecipientState::*;

    #[test]
    fn transition_table() {
        // Every (from, to) pair, against the table in the docs.
        for &from in RecipientState::ALL {
            for &to in RecipientState::ALL {
                let got = from.check_transition(to);
                let want = if from == to {
                    Some(false)
                } else if from.is_final() || to == Pending {
                    None
                } else {
                    Some(true)
                };
                assert_eq!(got, want, "{from} -> {to}");
            }
        }
        assert_eq!(Pending.check_transition(Notified), Some(true));
        assert_eq!(Notified.check_transition(Retrieved), Some(true));
        assert_eq!(Deferred.check_transition(Retrieved), Some(true));
        assert_eq!(Retrieved.check_transition(Notified), None);
        assert_eq!(Retrieved.check_transition(Expired), None);
        assert_eq!(Expired.check_transition(Retrieved), None);
        assert_eq!(Notified.check_transition(Pending), None);
        assert_eq!(Retrieved.check_transition(Retrieved), Some(false));
        let finals: Vec<_> = RecipientState::ALL
            .iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals.len(), 6);
    }

    #[test]
    fn text_round_trip() {
        for &s in RecipientState::ALL {
            assert_eq!(RecipientState::parse(s.as_str()).unwrap(), s);
        }
        for &s in ReportStatus::ALL {
            assert_eq!(ReportStatus::parse(s.as_str()).unwrap(), s);
        }
        assert!(matches!(
            RecipientState::parse("bogus"),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn message_ids_are_unique() {
        let a = new_message_id();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_message_id());
    }
}
