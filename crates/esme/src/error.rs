//! What a request can end in, and the client's state.

use std::fmt;
use std::time::Duration;

use ferry_smpp::{BindMode, CommandId, CommandStatus, EncodeError, SessionError};

/// Why a request failed. Variants say whether the SMSC may have the message
/// ([`Error::outcome_unknown`]): only [`Error::Timeout`] and
/// [`Error::ConnectionLost`] leave it unknown; every other error means the
/// SMSC did not accept it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SMSC answered with an error status (a `*_resp` or `generic_nack`).
    /// Not accepted: e.g. `ESME_RTHROTTLED` or `ESME_RMSGQFUL` may be
    /// retried later, `ESME_RINVDSTADR` not.
    #[error("the SMSC rejected {command_id} with {status}")]
    Rejected {
        /// The request.
        command_id: CommandId,
        /// The status it gave.
        status: CommandStatus,
    },
    /// Sent, but no response came within `response_timeout`. The outcome is
    /// UNKNOWN: the SMSC may have accepted the message (resending may
    /// duplicate it). The window slot is free again.
    #[error(
        "no response to {command_id} within {timeout:?}: the SMSC may or may not have accepted it"
    )]
    Timeout {
        /// The request.
        command_id: CommandId,
        /// The response timeout.
        timeout: Duration,
    },
    /// Sent, but the connection closed before the response. The outcome is
    /// UNKNOWN, as for [`Error::Timeout`].
    #[error(
        "the connection closed with {command_id} awaiting its response: the SMSC may or may not have accepted it"
    )]
    ConnectionLost {
        /// The request.
        command_id: CommandId,
    },
    /// Not sent: no bound session came within `queue_timeout`.
    #[error("not sent: not bound within {waited:?} ({state}{})", last_error.as_deref().map(|e| format!("; last error: {e}")).unwrap_or_default())]
    NotBound {
        /// How long the request waited.
        waited: Duration,
        /// The client's state then.
        state: EsmeState,
        /// What went wrong last (connection refused, bind timeout, …).
        last_error: Option<String>,
    },
    /// Not sent: bound, but no window slot (or rate-limit token) came within
    /// `queue_timeout`.
    #[error("not sent: no window slot within {waited:?}")]
    QueueTimeout {
        /// How long the request waited.
        waited: Duration,
    },
    /// Not sent: the SMSC rejected the bind (e.g. `ESME_RINVPASWD`). The
    /// client keeps retrying with back-off; requests fail at once until a
    /// bind succeeds.
    #[error("not sent: the SMSC rejected the bind with {status}")]
    BindRejected {
        /// The bind_resp status.
        status: CommandStatus,
    },
    /// Not sent: the bind mode does not allow this request (a receiver
    /// cannot submit).
    #[error("not sent: a {mode:?} bind cannot send {command_id}")]
    WrongBindMode {
        /// The configured mode.
        mode: BindMode,
        /// The request.
        command_id: CommandId,
    },
    /// Not sent: the request could not be encoded (a field too long, …).
    #[error("not sent: {0}")]
    Encode(#[from] EncodeError),
    /// Not sent: the session refused the request (not a request PDU, …).
    #[error("not sent: {0}")]
    Session(#[from] SessionError),
    /// Not sent: the WAP push could not be segmented.
    #[error("not sent: {0}")]
    Segmentation(#[from] ferry_sms::EncodeError),
    /// Not sent: the client has stopped (shutdown, or every handle dropped).
    #[error("not sent: the ESME client has stopped")]
    Stopped,
    /// The configuration is unusable.
    #[error("invalid ESME configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether the SMSC may have accepted the request despite the error
    /// (timeout or connection lost after sending).
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::ConnectionLost { .. })
    }

    /// Whether the request never reached the SMSC or the SMSC refused it:
    /// it is safe to send again (not a duplicate).
    pub fn not_accepted(&self) -> bool {
        !self.outcome_unknown()
    }
}

/// Where the client is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EsmeState {
    /// Opening the TCP (and TLS) connection.
    Connecting,
    /// Outbind: waiting for the SMSC to connect and send outbind.
    AwaitingOutbind,
    /// Connected, bind sent.
    Binding,
    /// Bound: requests flow.
    Bound(BindMode),
    /// Waiting before the next connection attempt.
    Disconnected {
        /// Why the last connection ended or failed.
        reason: String,
    },
    /// The SMSC rejected the bind; waiting before trying again.
    BindRejected(CommandStatus),
    /// Stopped for good.
    Stopped,
}

impl fmt::Display for EsmeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EsmeState::Connecting => f.write_str("connecting"),
            EsmeState::AwaitingOutbind => f.write_str("awaiting outbind"),
            EsmeState::Binding => f.write_str("binding"),
            EsmeState::Bound(m) => write!(f, "bound ({m:?})"),
            EsmeState::Disconnected { reason } => write!(f, "disconnected: {reason}"),
            EsmeState::BindRejected(s) => write!(f, "bind rejected with {s}"),
            EsmeState::Stopped => f.write_str("stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_happened() {
        let e = Error::Timeout {
            command_id: CommandId::SUBMIT_SM,
            timeout: Duration::from_secs(2),
        };
        assert!(e.outcome_unknown());
        assert!(e.to_string().contains("may or may not"), "{e}");
        let e = Error::Rejected {
            command_id: CommandId::SUBMIT_SM,
            status: CommandStatus::ESME_RTHROTTLED,
        };
        assert!(e.not_accepted());
        assert!(e.to_string().contains("ESME_RTHROTTLED"), "{e}");
        let e = Error::NotBound {
            waited: Duration::from_secs(1),
            state: EsmeState::Connecting,
            last_error: Some("connection refused".into()),
        };
        assert_eq!(
            e.to_string(),
            "not sent: not bound within 1s (connecting; last error: connection refused)"
        );
    }
}
