//! # ferry-mms: OMA MMS Encapsulation 1.0–1.3, without I/O
//!
//! Every PDU of OMA-TS-MMS_ENC-V1_3 (M-Send.req/conf, M-Notification.ind,
//! M-NotifyResp.ind, M-Retrieve.conf, M-Acknowledge.ind, M-Delivery.ind,
//! M-Read-Rec.ind, M-Read-Orig.ind, M-Forward.req/conf, the M-Mbox-* PDUs,
//! M-Delete.req/conf and M-Cancel.req/conf) decodes into a [`Pdu`]: its
//! headers in wire order, one typed [`Header`] variant per field of versions
//! 1.0 to 1.3, and its body, whose parts borrow from the input.
//!
//! ```text
//!   bytes ──► Pdu::decode ──► X-Mms-Message-Type first (0x8C)
//!                        ├─► headers: typed fields (0x01..=0x3F), Unknown{code, raw},
//!                        │            Extension{name, value} (textual), in order
//!                        └─► Content-Type (last header) ──► Body::Multipart(parts) via
//!                                                           ferry_wsp::decode_multipart_at
//!                                                       └─► Body::Single(octets)
//!   Pdu ──► Pdu::encode ──► Type, Transaction-ID, Version, the rest, Content-Type, body
//! ```
//!
//! Values use newtypes with named constants ([`MessageType`],
//! [`ResponseStatus`] with the 1.3 transient/permanent ranges, [`Status`],
//! ...) so values this crate has no name for survive a round trip. Text
//! (Subject, Response-Text...) is a [`ferry_wsp::EncodedString`]: octets and
//! charset as sent, Unicode on demand. Addresses keep their text as sent
//! ([`Address::kind`] parses `/TYPE=PLMN`, `IPv4`, `IPv6`, e-mail).
//!
//! Tolerances for what real phones and carriers send: an unknown binary
//! field or a known one whose value breaks its grammar is kept as
//! [`Header::Unknown`]; textual headers between binary ones are kept; NUL
//! padding between headers is skipped (an empty Bcc followed by a stray NUL);
//! a non-multipart body is [`Body::Single`]; the multipart decoder of
//! `ferry-wsp` cuts a last part whose length runs a few octets past the end,
//! and [`ferry_wsp::Part::decoded_body`] undoes base64 and quoted-printable.
//!
//! Why it is written by hand: no maintained Rust crate implements the MMS
//! binary encapsulation; the few that exist decode notifications only, and
//! none encodes canonically or borrows bodies.
//!
//! Decoders never panic, never loop without consuming input, and allocate at
//! most a small multiple of the input; errors are
//! [`ferry_wsp::DecodeError`]s carrying the byte offset and the field name.
//! [`Pdu::validate`] checks the mandatory fields of each message type.

#![forbid(unsafe_code)]

pub mod address;
pub mod codes;
pub mod header;
pub mod pdu;
pub mod validate;

pub use address::{Address, AddressKind};
pub use codes::{
    BoxCountKind, CancelStatus, ClassToken, ContentClass, FlagsToken, MessageType, MmState,
    Priority, ReadStatus, ReplyCharging, ResponseStatus, RetrievalMode, RetrieveStatus,
    SenderVisibility, Status, StoreStatus, Version, YesNo,
};
pub use ferry_wsp::{ContentType, DecodeError, EncodedString, Part};
pub use header::{FromValue, Header, MessageClass, TimeValue, field};
pub use pdu::{Body, Pdu};
pub use validate::ValidationError;

/// Decodes a bare MMS PDU; see [`Pdu::decode`].
pub fn decode(buf: &[u8]) -> Result<Pdu<'_>, DecodeError> {
    Pdu::decode(buf)
}
