//! SMPP 3.4 codec and sans-I/O session core.
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
    AlertNotification, Bind, BindResp, Body, CancelSm, DataSm, DataSmResp, DeliverSm, DeliverSmResp,
    DestAddress, OwnedPdu, Outbind, Pdu, QuerySm, QuerySmResp, ReplaceSm, SubmitMulti,
    SubmitMultiResp, SubmitSm, SubmitSmResp, UnsuccessSme,
};
pub use receipt::{DeliveryReceipt, ReceiptDate};
pub use time::{AbsoluteTime, RelativeTime, SmppTime, TimeError};
pub use tlv::{NetworkErrorCode, Tlv, TlvList, TlvTag};
pub use types::{
    Address, DataCoding, EsmClass, INTERFACE_VERSION_34, MessageState, MessageType, MessagingMode,
    Npi, ReceiptRequest, RegisteredDelivery, Ton,
};
pub use session::{BindMode, Config, Event, Role, Session, SessionError, State};
