//! The interconnect's part of the store: how a recipient that is not one of
//! our subscribers is served ([`RecipientRoute`]), and the durable queue of
//! outbound SMTP messages ([`Outbound`]): MM4 to other operators' MMSCs and
//! MM3 e-mail to the mail relay.
//!
//! The queue works like the report queue: a job is claimed with a lease
//! (attempts counted at the claim) and then finished (`done`), rescheduled
//! (`pending` with a new due time) or given up (`failed`). A worker that
//! dies mid-send loses nothing: the lease runs out and the job is claimed
//! again (the peer may then see the message twice; MM4 peers recognise a
//! repeated `X-Mms-Message-ID`).

use std::fmt;

use crate::model::{RecipientId, ReportState};

/// What an outbound job carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutboundKind {
    /// An `MM4_forward.REQ` of a stored message to one recipient at a peer
    /// MMSC (built from the stored body when sent).
    Mm4Forward,
    /// An e-mail of a stored message to one e-mail recipient (MM3; built
    /// from the stored body when sent).
    Mm3,
    /// A prebuilt MM4 message (`payload`): a report or a `.RES`.
    Mm4,
}

impl OutboundKind {
    /// Every kind.
    pub const ALL: &'static [Self] = &[Self::Mm4Forward, Self::Mm3, Self::Mm4];

    /// Its text in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mm4Forward => "mm4-forward",
            Self::Mm3 => "mm3",
            Self::Mm4 => "mm4",
        }
    }

    /// From its text.
    pub fn parse(s: &str) -> crate::Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("unknown outbound kind {s:?}")))
    }
}

impl fmt::Display for OutboundKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Row id of an outbound job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutboundId(pub i64);

/// An outbound SMTP job to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutbound {
    /// What it carries.
    pub kind: OutboundKind,
    /// The Message-ID of the stored message it is about.
    pub message_id: String,
    /// The recipient (forwards and e-mails: one job per recipient, at most
    /// one job per recipient ever).
    pub recipient: Option<RecipientId>,
    /// Where it goes: an operator's name, or `relay`.
    pub destination: String,
    /// SMTP `MAIL FROM`.
    pub envelope_from: String,
    /// SMTP `RCPT TO`.
    pub rcpt: String,
    /// The MM4 transaction id (forwards: the `.RES` is matched by it).
    pub transaction_id: Option<String>,
    /// The message itself, when prebuilt.
    pub payload: Option<Vec<u8>>,
}

/// A queued outbound job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    /// Row id.
    pub id: OutboundId,
    /// What it carries.
    pub kind: OutboundKind,
    /// The Message-ID it is about.
    pub message_id: String,
    /// The recipient it is for.
    pub recipient: Option<RecipientId>,
    /// An operator's name, or `relay`.
    pub destination: String,
    /// SMTP `MAIL FROM`.
    pub envelope_from: String,
    /// SMTP `RCPT TO`.
    pub rcpt: String,
    /// The MM4 transaction id.
    pub transaction_id: Option<String>,
    /// The prebuilt message.
    pub payload: Option<Vec<u8>>,
    /// Queue state.
    pub state: ReportState,
    /// Attempts so far (counted at each claim).
    pub attempts: u32,
    /// When it is due next.
    pub next_attempt_at: u64,
    /// The last error.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: u64,
}

/// How a recipient that is not a local subscriber is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientRoute {
    /// `sender-hosted`, `mm4`, `email` or `unroutable`.
    pub route: String,
    /// The operator's name (`sender-hosted`, `mm4`).
    pub operator: Option<String>,
}

/// How an outbound job ended this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboundOutcome {
    /// Sent (accepted by the peer or relay).
    Done,
    /// Try again at this time.
    Retry {
        /// Unix seconds.
        at: u64,
        /// What went wrong.
        error: String,
    },
    /// Given up.
    Failed {
        /// Why.
        error: String,
    },
}
