//! Decoding errors: where (byte offset), which field, and what was wrong.

use std::fmt;

/// What went wrong while decoding a WSP value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended before the value did.
    Truncated {
        /// Octets the value still needed (at least).
        needed: usize,
    },
    /// A uintvar ran past five octets or past 32 bits.
    UintvarOverflow,
    /// A Long-integer longer than 8 octets (no u64 holds it).
    IntegerTooLong {
        /// The length octet that was read.
        len: usize,
    },
    /// A string was not terminated by an End-of-string (NUL) octet.
    Unterminated,
    /// A length field claims more octets than remain in the input.
    LengthExceedsInput {
        /// What the length field said.
        len: usize,
        /// What was left.
        remaining: usize,
    },
    /// An octet that the grammar does not allow here.
    Unexpected {
        /// The octet found.
        found: u8,
        /// What the grammar wanted.
        expected: &'static str,
    },
    /// A WSP PDU type other than Push (0x06) or Confirmed Push (0x07).
    NotPush {
        /// The PDU type octet found.
        pdu_type: u8,
    },
    /// A value that does not fit its type (e.g. an integer out of range).
    Invalid(&'static str),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Truncated { needed } => {
                write!(f, "input ends too early ({needed} more octet(s) needed)")
            }
            ErrorKind::UintvarOverflow => {
                f.write_str("uintvar longer than 5 octets or over 32 bits")
            }
            ErrorKind::IntegerTooLong { len } => {
                write!(f, "long integer of {len} octets does not fit in 64 bits")
            }
            ErrorKind::Unterminated => f.write_str("string has no terminating NUL octet"),
            ErrorKind::LengthExceedsInput { len, remaining } => write!(
                f,
                "length {len} exceeds the {remaining} octet(s) left in the input"
            ),
            ErrorKind::Unexpected { found, expected } => {
                write!(f, "found octet 0x{found:02X}, expected {expected}")
            }
            ErrorKind::NotPush { pdu_type } => write!(
                f,
                "WSP PDU type 0x{pdu_type:02X} is not Push (0x06) or Confirmed Push (0x07)"
            ),
            ErrorKind::Invalid(what) => f.write_str(what),
        }
    }
}

/// A decoding error: the byte offset (from the start of the buffer given to the
/// decoder), the field being decoded, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset} ({field}): {kind}")]
pub struct DecodeError {
    /// Offset of the first octet of the offending value.
    pub offset: usize,
    /// Name of the field or grammar rule being decoded (e.g. `"Content-Type"`).
    pub field: &'static str,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl DecodeError {
    /// Builds an error.
    pub fn new(offset: usize, field: &'static str, kind: ErrorKind) -> Self {
        Self {
            offset,
            field,
            kind,
        }
    }

    /// The same error, re-based by `base` octets: for a decoder run on a
    /// sub-slice whose errors should point into the enclosing buffer.
    #[must_use]
    pub fn shifted(mut self, base: usize) -> Self {
        self.offset += base;
        self
    }
}

/// Result of a WSP decoding step.
pub type Result<T> = std::result::Result<T, DecodeError>;
