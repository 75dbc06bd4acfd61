//! The store's one error type.

use std::io;
use std::path::PathBuf;

use crate::model::RecipientState;

/// What went wrong in a store operation.
///
/// The MMSC maps these onto protocol answers: [`StoreError::Full`] and
/// [`StoreError::Transient`] become a *transient* M-Send.conf status
/// (`Error-transient-failure`, the handset may retry), [`StoreError::NotFound`]
/// becomes "message not found", everything else is a permanent or internal
/// failure. [`StoreError::is_transient`] tells the two families apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The disk (or quota) is full: nothing of the operation became visible.
    #[error("storage full while {context}")]
    Full {
        /// What the store was doing.
        context: String,
        /// The underlying error, as text (an I/O or SQLite error).
        detail: String,
    },
    /// A failure that may pass if the operation is tried again (I/O error,
    /// database busy, the writer task restarting). Nothing became visible.
    #[error("transient failure while {context}: {detail}")]
    Transient {
        /// What the store was doing.
        context: String,
        /// The underlying error, as text.
        detail: String,
    },
    /// The key is already taken (a Message-ID, a subscriber's MSISDN or user
    /// name).
    #[error("{what} already exists: {key}")]
    Duplicate {
        /// The kind of thing.
        what: &'static str,
        /// The key.
        key: String,
    },
    /// Nothing matches the key (message id, token, transaction id, report id,
    /// subscriber).
    #[error("{what} not found: {key}")]
    NotFound {
        /// The kind of thing looked up.
        what: &'static str,
        /// The key that matched nothing.
        key: String,
    },
    /// The message's body has been garbage collected (every recipient reached
    /// a final state).
    #[error("body of message {0:?} is gone")]
    BodyGone(String),
    /// The requested recipient state change is not allowed.
    #[error("recipient {token}: cannot go from {from} to {to}")]
    InvalidTransition {
        /// The recipient's retrieval token.
        token: String,
        /// Its current state.
        from: RecipientState,
        /// The refused target state.
        to: RecipientState,
    },
    /// The caller passed something the store refuses (no recipients, empty
    /// address, a duplicate recipient, ...).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The stored data is not what this version of the store expects (an
    /// unknown state string, a negative size, ...).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// Opening or migrating the store failed.
    #[error("opening store at {path}: {detail}")]
    Open {
        /// The database or body directory.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
    /// A database error that is neither "full" nor transient.
    #[error("database error while {context}: {source}")]
    Database {
        /// What the store was doing.
        context: String,
        /// The sqlx error.
        #[source]
        source: sqlx::Error,
    },
    /// An I/O error that is neither "full" nor transient (e.g. permission
    /// denied).
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What the store was doing.
        context: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The store has been closed (its writer task has stopped).
    #[error("store is closed")]
    Closed,
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// True when the failure may pass on retry and the client should be told
    /// "transient failure" (disk full, I/O error, busy database).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Full { .. } | Self::Transient { .. } | Self::Closed
        )
    }

    /// Classifies an I/O error met while `context`.
    pub(crate) fn io(context: impl Into<String>, e: io::Error) -> Self {
        let context = context.into();
        match e.kind() {
            io::ErrorKind::StorageFull
            | io::ErrorKind::QuotaExceeded
            | io::ErrorKind::FileTooLarge => Self::Full {
                context,
                detail: e.to_string(),
            },
            io::ErrorKind::PermissionDenied
            | io::ErrorKind::NotFound
            | io::ErrorKind::ReadOnlyFilesystem
            | io::ErrorKind::InvalidInput => Self::Io { context, source: e },
            _ => Self::Transient {
                context,
                detail: e.to_string(),
            },
        }
    }

    /// Classifies an sqlx error met while `context`: SQLITE_FULL becomes
    /// [`StoreError::Full`], busy/locked/I/O errors [`StoreError::Transient`].
    pub(crate) fn db(context: impl Into<String>, e: sqlx::Error) -> Self {
        let context = context.into();
        match &e {
            sqlx::Error::Database(d) => {
                let primary = d
                    .code()
                    .and_then(|c| c.parse::<i64>().ok())
                    .map(|c| c & 0xff);
                match primary {
                    // SQLITE_FULL
                    Some(13) => Self::Full {
                        context,
                        detail: e.to_string(),
                    },
                    // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_PROTOCOL
                    Some(5) | Some(6) | Some(10) | Some(15) => Self::Transient {
                        context,
                        detail: e.to_string(),
                    },
                    _ => Self::Database { context, source: e },
                }
            }
            sqlx::Error::Io(io) => Self::io(context, io::Error::new(io.kind(), io.to_string())),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                Self::Transient {
                    context,
                    detail: e.to_string(),
                }
            }
            _ => Self::Database { context, source: e },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_is_full_and_transient() {
        let e = StoreError::io("writing body", io::Error::from_raw_os_error(28)); // ENOSPC
        assert!(matches!(e, StoreError::Full { .. }), "{e:?}");
        assert!(e.is_transient());
        let e = StoreError::io("writing body", io::Error::from_raw_os_error(122)); // EDQUOT
        assert!(matches!(e, StoreError::Full { .. }), "{e:?}");
        let e = StoreError::io("writing body", io::Error::from_raw_os_error(5)); // EIO
        assert!(matches!(e, StoreError::Transient { .. }), "{e:?}");
        let e = StoreError::io("writing body", io::Error::from_raw_os_error(13)); // EACCES
        assert!(!e.is_transient());
        assert_eq!(
            e.to_string(),
            "I/O error while writing body: Permission denied (os error 13)"
        );
    }
}
