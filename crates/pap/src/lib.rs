//! # ferry-pap: WAP Push Access Protocol documents and envelopes, without I/O
//!
//! A push initiator (Ferry's MMSC) asks a Push Proxy Gateway (Ferry's PPG, or
//! Kannel's) to push an `M-Notification.ind` to a handset by POSTing a PAP
//! request; the PPG answers with a PAP document. This crate turns those bytes
//! into typed values and back: PAP 2.0 (WAP-247-PAP-20010429-a) and the PAP
//! 1.0 DTD that older initiators and gateways (Kannel) use, the WAP-249 client
//! addresses inside them, and the `multipart/related` request envelope.
//!
//! ```text
//!  PPG side                                        PI (client) side
//!  ────────                                        ────────────────
//!  Content-Type + body ─► Request::parse           PushRequestBuilder ─► EncodedRequest
//!        ├─ multipart ─► PushRequest<'a>              (content_type, body bytes)
//!        │     ├─ message: PushMessage  (control entity, typed)
//!        │     ├─ content: Part<'a>     (headers + body borrowed from input;
//!        │     │                         base64 decoded on demand)
//!        │     └─ capabilities: Option<Part<'a>>
//!        └─ application/xml ─► Parsed { version, Document }
//!  PushResponse / BadMessageResponse / ... ─► .to_xml(PapVersion) ─► response body
//!  Address::client_address() ─► ClientAddress<'_> { value, kind, qualifiers, ppg }
//!  DecodeError::status_code() ─► the PAP code to answer a bad request with
//! ```
//!
//! Parsing is loose where real peers are: either DTD version or none, a
//! message without the `pap` root, Kannel's `code ="1001"`, unknown attributes
//! and elements ignored, CRLF or LF, leading whitespace, lower-case
//! `wappush=` addresses without `@ppg`, `test_ppg`'s multipart layout (CRLF
//! before the first delimiter, LF inside, nothing after the closing one),
//! quoted or bare boundaries, case-insensitive header names. Output is
//! strict and canonical: PAP 2.0 by default (1.0 selectable), attributes in
//! DTD order, one element per line, XML escaping, RFC 2046 CRLF framing.
//! Status codes are a [`StatusCode`] newtype so that unknown codes survive.
//!
//! Decoders never panic, never loop without consuming input, and allocate in
//! proportion to the input; errors carry the byte offset and the element,
//! attribute or header at fault ([`DecodeError`]).
//!
//! Why hand-written: no maintained crate implements PAP or the WAP-249 address
//! grammar. The XML tokenizing is `quick-xml`'s, base64 the `base64` crate's;
//! the small MIME multipart reader is ours because PAP needs bodies borrowed
//! from the request and the loose framing that push initiators produce.
//!
//! Not covered: quoted-printable content, the RDF/UAProf capabilities
//! document itself (handed over as bytes), XML encodings other than UTF-8,
//! and the `wap-pap-ver` version-negotiation processing instruction (a
//! DOCTYPE's internal subset is skipped).
#![forbid(unsafe_code)]

pub mod address;
pub mod badmessage;
pub mod cancel;
pub mod ccq;
pub mod document;
pub mod envelope;
pub mod error;
pub mod multipart;
pub mod push;
pub mod resultnotification;
pub mod status;
pub mod statusquery;
pub mod time;
mod xml;

pub use address::{AddressType, ClientAddress};
pub use badmessage::BadMessageResponse;
pub use cancel::{CancelMessage, CancelResponse, CancelResult};
pub use ccq::{CcqMessage, CcqResponse};
pub use document::{Document, Message, PapVersion, Parsed};
pub use envelope::{EncodedRequest, PushRequest, PushRequestBuilder, Request};
pub use error::{DecodeError, ErrorKind, Result};
pub use multipart::{Header, MediaType, Part, TransferEncoding, parse_multipart};
pub use push::{
    Address, DeliveryMethod, Priority, ProgressNote, PushMessage, PushResponse, QualityOfService,
    ReplaceMethod, ResponseResult,
};
pub use resultnotification::{ResultNotificationMessage, ResultNotificationResponse};
pub use status::StatusCode;
pub use statusquery::{MessageState, StatusQueryMessage, StatusQueryResponse, StatusQueryResult};
pub use time::Timestamp;
