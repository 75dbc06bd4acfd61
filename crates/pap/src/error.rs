//! Decoding and encoding errors: where (byte offset), which field, and what
//! was wrong, plus the PAP status code the error should be answered with.

use std::fmt;

use crate::status::StatusCode;

/// What went wrong while decoding a PAP document, a client address or a
/// request envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not UTF-8 (PAP documents and MIME headers are text).
    NotUtf8,
    /// The XML reader rejected the document (not well-formed).
    Xml(String),
    /// The input ended inside an element, a part or a header block.
    Truncated,
    /// Elements nested deeper than any PAP document needs.
    TooDeep {
        /// The nesting limit.
        limit: usize,
    },
    /// The document has no root element.
    NoRoot,
    /// The root (or the child of `pap`) is not a PAP message element.
    UnknownMessage(String),
    /// A required child element is missing (the field names it).
    MissingElement,
    /// A required attribute is missing (the field names it).
    MissingAttribute,
    /// An attribute value does not fit its type; the text says what was
    /// expected.
    InvalidValue(&'static str),
    /// A client address does not follow the WAP-249 grammar; the text says
    /// which rule failed.
    Address(&'static str),
    /// A `Content-Type` value could not be used; the text says why.
    ContentType(&'static str),
    /// A multipart body has no delimiter line for its boundary.
    NoDelimiter,
    /// A MIME header line is not `name: value`.
    MalformedHeader,
    /// A push submission has the wrong number of body parts.
    PartCount {
        /// Parts found.
        found: usize,
    },
    /// A `Content-Transfer-Encoding` this crate does not decode.
    UnsupportedEncoding(String),
    /// A base64 body does not decode.
    Base64,
    /// A value cannot be encoded (e.g. a boundary that occurs in a body, or a
    /// header value holding a line break).
    Unencodable(&'static str),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::NotUtf8 => f.write_str("input is not valid UTF-8"),
            ErrorKind::Xml(msg) => write!(f, "malformed XML: {msg}"),
            ErrorKind::Truncated => f.write_str("input ends too early"),
            ErrorKind::TooDeep { limit } => {
                write!(f, "elements nested deeper than {limit} levels")
            }
            ErrorKind::NoRoot => f.write_str("document has no root element"),
            ErrorKind::UnknownMessage(name) => write!(f, "<{name}> is not a PAP message"),
            ErrorKind::MissingElement => f.write_str("required element missing"),
            ErrorKind::MissingAttribute => f.write_str("required attribute missing"),
            ErrorKind::InvalidValue(what) => write!(f, "invalid value, expected {what}"),
            ErrorKind::Address(what) => write!(f, "invalid client address: {what}"),
            ErrorKind::ContentType(what) => write!(f, "unusable content type: {what}"),
            ErrorKind::NoDelimiter => f.write_str("no multipart delimiter for the boundary"),
            ErrorKind::MalformedHeader => f.write_str("header line is not `name: value`"),
            ErrorKind::PartCount { found } => write!(
                f,
                "a push submission has 2 or 3 parts (control, content, capabilities), found {found}"
            ),
            ErrorKind::UnsupportedEncoding(enc) => {
                write!(f, "unsupported Content-Transfer-Encoding {enc:?}")
            }
            ErrorKind::Base64 => f.write_str("body is not valid base64"),
            ErrorKind::Unencodable(what) => write!(f, "cannot encode: {what}"),
        }
    }
}

/// A decoding error: the byte offset (from the start of the buffer given to
/// the decoder), the field being decoded, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset} ({field}): {kind}")]
pub struct DecodeError {
    /// Offset of the element, attribute, header or delimiter at fault.
    pub offset: usize,
    /// Name of the element, attribute or header being decoded (e.g.
    /// `"push-id"`).
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

    /// The same error, re-based by `base` bytes: for a decoder run on a
    /// sub-slice whose errors should point into the enclosing buffer.
    #[must_use]
    pub fn shifted(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }

    /// The PAP status code a PPG answers this error with (WAP-247 §9.13):
    /// `2002 Address error` for a bad client address, `3006 Transformation
    /// failure` for content it cannot decode, `2000 Bad request` otherwise.
    pub fn status_code(&self) -> StatusCode {
        match self.kind {
            ErrorKind::Address(_) => StatusCode::ADDRESS_ERROR,
            ErrorKind::UnsupportedEncoding(_) | ErrorKind::Base64 => {
                StatusCode::TRANSFORMATION_FAILURE
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Result of a PAP decoding step.
pub type Result<T> = std::result::Result<T, DecodeError>;
