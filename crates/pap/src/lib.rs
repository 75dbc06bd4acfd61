//! # ferry-pap: WAP Push Access Protocol documents and envelopes, without I/O
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
