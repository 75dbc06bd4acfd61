//! # ferry-mm4: MM4 and MM3 messages, without I/O
//!
//! Two interfaces of 3GPP TS 23.140 that carry multimedia messages as
//! Internet mail:
//!
//! - **MM4** (§8.4): between the MMS Relay/Servers of two operators, over
//!   SMTP. Six messages: `MM4_forward.REQ/.RES`,
//!   `MM4_delivery_report.REQ/.RES`, `MM4_read_reply_report.REQ/.RES`, each
//!   an RFC 5322 message whose `X-Mms-*` headers carry the information
//!   elements (`X-Mms-3GPP-MMS-Version`, `X-Mms-Message-Type`,
//!   `X-Mms-Transaction-ID`, `X-Mms-Message-ID`, `X-Mms-Originator-System`,
//!   `X-Mms-Ack-Request`, `X-Mms-Request-Status-Code`, `X-Mms-MM-Status-Code`,
//!   `X-Mms-Read-Status`...), and, for a forward, a MIME body holding the
//!   MM's parts. Addresses take the form `+15550001/TYPE=PLMN@mms.b.example`
//!   ([`address`]).
//! - **MM3** (§8.3, RFC 4356): to and from ordinary e-mail ([`mm3`]).
//!
//! ```text
//!   Pdu + ForwardMeta ──► forward_req ──► RFC 5322 bytes ──► (SMTP, ferry-interconnect)
//!   RFC 5322 bytes ──► parse ──► Mm4Message::{ForwardReq{.., content_type, parts}, ForwardRes, ...}
//!                                   └─► ForwardReq::to_retrieve_conf ──► Pdu for the handset
//!   Mm4Message ──► encode ──► RFC 5322 bytes
//!   Pdu ──► mm3::email_from_mms ──► e-mail            e-mail ──► mm3::mms_from_email ──► parts
//! ```
//!
//! The MIME work is done by well-kept crates: `mail-parser` reads messages
//! (RFC 2047 words, transfer encodings, charsets to UTF-8) and
//! `mail-builder`'s encoders write headers and parts. This crate maps the
//! MM4 information elements and the MMS binary types (`ferry-mms`,
//! `ferry-wsp`) onto them. Values are newtypes over their text with named
//! constants ([`RequestStatus`], [`MmStatus`], [`ReadStatus`],
//! [`MessageKind`]) so values this crate does not know survive a round
//! trip, and each maps to its MM1 binary code.
//!
//! Decoding never panics (it is fuzzed, and a property test feeds it
//! arbitrary bytes); errors ([`Error`]) carry the byte offset of the header
//! concerned and its name. Parts borrow from the input where the MIME part
//! had no transfer encoding. Text parts are converted to UTF-8 and labelled
//! `charset=utf-8`.

#![forbid(unsafe_code)]

pub mod address;
pub mod codes;
pub mod error;
pub mod forward;
pub mod message;
mod mime;
pub mod mm3;
pub mod report;

pub use codes::{MessageKind, MmStatus, ReadStatus, RequestStatus};
pub use error::Error;
pub use forward::{ForwardMeta, ForwardReq, forward_req};
pub use message::{DEFAULT_3GPP_VERSION, Mm4Message, is_mm4, parse};
pub use report::{DeliveryReportReq, Mm4Response, ReadReplyReportReq};
