//! # ferry-wsp: the WAP-230 WSP encodings, without I/O
//!
//! Every part of Ferry speaks the binary encodings of the Wireless Session
//! Protocol (WAP-230-WSP-20010705-a): a handset POSTs an `M-Send.req` whose
//! headers and body use them, an MMSC pushes an `M-Notification.ind` inside a
//! WSP Push PDU, and multipart bodies carry the message's parts. This crate
//! turns those octets into values and back.
//!
//! ```text
//!   bytes ──► Reader ──► primitives (uintvar, integers, Value-length, strings)
//!                    ├─► EncodedString (MIBenum charset ─► Unicode)
//!                    ├─► ContentType (well-known table, parameters)
//!                    ├─► Header list (well-known fields, text headers, shifts)
//!                    ├─► multipart parts (bodies borrowed from the input)
//!                    └─► Push PDU (TID, 0x06, headers, body)
//!   values ──► encode::put_* ──► canonical bytes
//! ```
//!
//! Why it is written by hand: no maintained crate implements the WSP binary
//! encodings (they matter only to WAP Push and MMS); the few that exist cover
//! a fraction of the tables and copy bodies. Text decoding is delegated to
//! `encoding_rs`, base64 to `base64`.
//!
//! Properties every decoder here keeps: it never panics on any input, it
//! never loops without consuming input, its allocations are bounded by the
//! input's size whatever a length field claims, and every error carries the
//! byte offset and the field being decoded ([`DecodeError`]). Encoders are
//! canonical: the shortest form, well-known codes wherever they exist.

#![forbid(unsafe_code)]

pub mod charset;
pub mod content_type;
pub mod encode;
pub mod error;
pub mod headers;
pub mod multipart;
pub mod push;
pub mod reader;
pub mod tables;
pub mod text;
pub mod time;

pub use charset::Charset;
pub use content_type::{ContentType, MediaType, ParamValue, Parameter};
pub use error::{DecodeError, ErrorKind, Result};
pub use headers::{Header, HeaderName, HeaderValue};
pub use multipart::{Part, decode_multipart, encode_multipart};
pub use push::{ApplicationId, Push};
pub use reader::Reader;
pub use text::EncodedString;
