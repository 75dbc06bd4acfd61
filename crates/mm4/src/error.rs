//! Errors of the MM4/MM3 codecs.

/// Why a message could not be read or built.
///
/// Every variant that comes from reading carries the byte offset in the
/// input where the problem was found and the field concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not an RFC 5322 message (no header block could be read).
    #[error("at byte {offset}: not an RFC 5322 message ({field})")]
    NotMime {
        /// Where reading stopped.
        offset: usize,
        /// What was being read.
        field: &'static str,
    },
    /// A mandatory header is absent.
    #[error("at byte {offset}: mandatory header {field} is missing")]
    Missing {
        /// The end of the header block.
        offset: usize,
        /// The header's name.
        field: &'static str,
    },
    /// A header is present but its value does not follow its grammar.
    #[error("at byte {offset}: {field} has an invalid value {value:?}")]
    Invalid {
        /// Where the header starts.
        offset: usize,
        /// The header's name.
        field: &'static str,
        /// The value as sent (cut to 64 characters).
        value: String,
    },
    /// `X-Mms-Message-Type` names no MM4 message.
    #[error("at byte {offset}: X-Mms-Message-Type {value:?} is not an MM4 message type")]
    UnknownMessageType {
        /// Where the header starts.
        offset: usize,
        /// The value as sent.
        value: String,
    },
    /// A message to build lacks something it needs (e.g. an MMS without a
    /// From address, or an Insert-address-token nobody replaced).
    #[error("cannot build the message: {field} {problem}")]
    Build {
        /// The field concerned.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl Error {
    pub(crate) fn invalid(offset: usize, field: &'static str, value: &str) -> Self {
        Error::Invalid {
            offset,
            field,
            value: value.chars().take(64).collect(),
        }
    }
}
