//! # ferry-smpp: SMPP 3.4 PDUs, TLVs and a sans-I/O session core
//!
//! What it covers:
//!
//! - every SMPP 3.4 PDU (§4): bind_transmitter/receiver/transceiver and
//!   their responses, outbind, unbind, submit_sm, submit_multi (SME
//!   addresses, distribution lists, unsuccess_smes), deliver_sm, data_sm,
//!   query_sm, cancel_sm, replace_sm, enquire_link, alert_notification,
//!   generic_nack ([`Pdu`], [`Body`]);
//! - the header with [`CommandId`] and [`CommandStatus`] newtypes carrying
//!   every §5.1 named constant (unknown values survive and print in hex);
//! - every §5.3 optional parameter: a [`TlvList`] of [`Tlv`]s kept in wire
//!   order (unknown and vendor tags preserved), known lengths checked, typed
//!   getters (`tlvs.sar_msg_ref_num()`) and constructors
//!   (`Tlv::new_sar_msg_ref_num(7)`);
//! - field types as newtypes with helpers: [`EsmClass`] (UDHI, messaging
//!   mode, message type), [`RegisteredDelivery`], [`DataCoding`], [`Ton`],
//!   [`Npi`], [`MessageState`]; [`SmppTime`] for `YYMMDDhhmmsstnnp`;
//! - a streaming frame splitter ([`FrameDecoder`], [`peek_length`]) with a
//!   configurable maximum `command_length` (default 64 KiB);
//! - decoding errors ([`Error`], with field and offset) that map to the
//!   `command_status` and the PDU (`*_resp` or generic_nack) the peer gets
//!   ([`Error::rejection`]);
//! - delivery receipt text ([`DeliveryReceipt`]);
//! - a sans-I/O [`Session`] for either end (ESME or SMSC).
//!
//! ## Data flow
//!
//! ```text
//!             bytes from the socket
//!                     │
//!       FrameDecoder::next_frame(&buf) ──► Frame { header, bytes }  (or "need more")
//!                     │                         │
//!                     │                   Frame::decode()
//!                     │                         │
//!                     │          Ok(Pdu<'buf>) ─┴─ Err(Error) ─► error.rejection(&header)
//!                     │               │                               │
//!                     │      pdu.to_owned_pdu() (queues)     Rejection::encode(&mut out)
//!                     ▼
//!   Session::handle_input(now, bytes) ─► Vec<Event<T>> (Request, Response{token}, Timeout, ...)
//!   Session::send_request(now, body, token) / respond(seq, status, body)
//!   Session::poll_transmit(&mut Vec<u8>) ─► bytes to the socket
//!   Session::poll_timeout() / handle_timeout(now) ─► timers, keepalive
//! ```
//!
//! Decoding borrows: strings and octets in a [`Pdu`] are `&[u8]` slices of
//! the input (TLV values are `Cow`, borrowed when decoded). [`OwnedPdu`]
//! holds the encoded bytes and hands out a `Pdu` on demand, for queues and
//! channels. Encoding appends to a `Vec<u8>` and is canonical: a decoded PDU
//! re-encodes to the same bytes, except that a `*_resp` with an error status
//! and an empty body is written without a body (§4.4.2).
//!
//! Decoders never panic, never loop beyond the input, and never allocate
//! more than the input justifies (list capacities are capped by the bytes
//! left). No I/O and no async runtime here: an async driver only moves bytes
//! and timers between a socket and a [`Session`].
//!
//! ## Why hand-written
//!
//! The Rust SMPP crates seen either tie the codec to a runtime, drop unknown
//! TLVs, or do not map decoding failures to the `command_status` a peer must
//! receive; the session rules (bind states, windows, keepalive) also belong
//! in a testable core. SMPP 3.4's wire format is small enough to own.
//!
//! ## Decisions
//!
//! - C-Octet string maximum sizes include the NUL, as in the spec tables;
//!   a string with no NUL within its maximum is [`Error::FieldTooLong`].
//! - Known TLVs whose length the spec fixes are checked on decode and on
//!   encode (`ESME_RINVPARLEN`); telematics ids take 1 or 2 octets, and
//!   C-string TLVs may lack their NUL, because peers differ.
//! - Relative times keep no `tnn` digits (§7.1.1.2: they are `000`).
#![forbid(unsafe_code)]

#[macro_use]
mod header;
mod codec;
pub mod error;
pub mod pdu;
pub mod receipt;
pub mod session;
pub mod time;
pub mod tlv;
pub mod types;

pub use error::{EncodeError, Error, Field, Rejection};
pub use header::{
    CommandId, CommandStatus, DEFAULT_MAX_COMMAND_LENGTH, Frame, FrameDecoder, HEADER_LEN, Header,
    bytes_needed, peek_length,
};
pub use pdu::{
    AlertNotification, Bind, BindResp, Body, CancelSm, DataSm, DataSmResp, DeliverSm,
    DeliverSmResp, DestAddress, Outbind, OwnedPdu, Pdu, QuerySm, QuerySmResp, ReplaceSm,
    SubmitMulti, SubmitMultiResp, SubmitSm, SubmitSmResp, UnsuccessSme,
};
pub use receipt::{DeliveryReceipt, ReceiptDate};
pub use session::{BindMode, Config, Event, Role, Session, SessionError, State};
pub use time::{AbsoluteTime, RelativeTime, SmppTime, TimeError};
pub use tlv::{NetworkErrorCode, Tlv, TlvList, TlvTag};
pub use types::{
    Address, DataCoding, EsmClass, INTERFACE_VERSION_34, MessageState, MessageType, MessagingMode,
    Npi, ReceiptRequest, RegisteredDelivery, Ton,
};
