//! Mandatory fields per PDU (the "Mandatory" rows of the tables in
//! OMA-TS-MMS_ENC-V1_3 §6). The MMSC turns a failure into an M-Send.conf
//! error status; a client into Unrecognised.

use crate::codes::MessageType;
use crate::header::{Header, field};
use crate::pdu::Pdu;

/// Why a PDU is not a valid instance of its message type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The first header is not X-Mms-Message-Type.
    #[error("the first header must be X-Mms-Message-Type")]
    MessageTypeNotFirst,
    /// A message type this crate does not know.
    #[error("unknown message type 0x{0:02X}")]
    UnknownMessageType(u8),
    /// A mandatory field is missing.
    #[error("{pdu} lacks the mandatory field {field}")]
    MissingField {
        /// The message type.
        pdu: MessageType,
        /// The field's name, as the specification spells it.
        field: &'static str,
    },
    /// A request that must have at least one of To, Cc and Bcc has none.
    #[error("{0} has no recipient (To, Cc or Bcc)")]
    NoRecipient(MessageType),
    /// A PDU that carries a body has no Content-Type, or the reverse.
    #[error("{0}: body and Content-Type must come together")]
    BodyWithoutContentType(MessageType),
}

/// Mandatory fields (besides X-Mms-Message-Type) of each message type.
pub fn mandatory_fields(mt: MessageType) -> Option<&'static [u8]> {
    use field::*;
    const TV: [u8; 2] = [TRANSACTION_ID, MMS_VERSION];
    Some(match mt {
        MessageType::SEND_REQ => &[TRANSACTION_ID, MMS_VERSION, FROM, CONTENT_TYPE],
        MessageType::SEND_CONF => &[TRANSACTION_ID, MMS_VERSION, RESPONSE_STATUS],
        MessageType::NOTIFICATION_IND => &[
            TRANSACTION_ID,
            MMS_VERSION,
            MESSAGE_CLASS,
            MESSAGE_SIZE,
            EXPIRY,
            CONTENT_LOCATION,
        ],
        MessageType::NOTIFYRESP_IND => &[TRANSACTION_ID, MMS_VERSION, STATUS],
        MessageType::RETRIEVE_CONF => &[MMS_VERSION, DATE, CONTENT_TYPE],
        MessageType::ACKNOWLEDGE_IND => &TV,
        MessageType::DELIVERY_IND => &[MMS_VERSION, MESSAGE_ID, TO, DATE, STATUS],
        MessageType::READ_REC_IND => &[MMS_VERSION, MESSAGE_ID, TO, FROM, READ_STATUS],
        MessageType::READ_ORIG_IND => &[MMS_VERSION, MESSAGE_ID, TO, FROM, DATE, READ_STATUS],
        MessageType::FORWARD_REQ => &[TRANSACTION_ID, MMS_VERSION, FROM, CONTENT_LOCATION],
        MessageType::FORWARD_CONF => &[TRANSACTION_ID, MMS_VERSION, RESPONSE_STATUS],
        MessageType::MBOX_STORE_REQ => &[TRANSACTION_ID, MMS_VERSION, CONTENT_LOCATION],
        MessageType::MBOX_STORE_CONF => &[TRANSACTION_ID, MMS_VERSION, STORE_STATUS],
        MessageType::MBOX_VIEW_REQ => &TV,
        MessageType::MBOX_VIEW_CONF => &[TRANSACTION_ID, MMS_VERSION, RESPONSE_STATUS],
        MessageType::MBOX_UPLOAD_REQ => &[TRANSACTION_ID, MMS_VERSION, CONTENT_TYPE],
        MessageType::MBOX_UPLOAD_CONF => &[TRANSACTION_ID, MMS_VERSION, STORE_STATUS],
        MessageType::MBOX_DELETE_REQ => &[TRANSACTION_ID, MMS_VERSION, CONTENT_LOCATION],
        MessageType::MBOX_DELETE_CONF => &[TRANSACTION_ID, MMS_VERSION, RESPONSE_STATUS],
        MessageType::MBOX_DESCR => &[CONTENT_LOCATION],
        MessageType::DELETE_REQ => &[TRANSACTION_ID, MMS_VERSION, CONTENT_LOCATION],
        MessageType::DELETE_CONF => &[TRANSACTION_ID, MMS_VERSION, RESPONSE_STATUS],
        MessageType::CANCEL_REQ => &[TRANSACTION_ID, MMS_VERSION, CANCEL_ID],
        MessageType::CANCEL_CONF => &TV,
        _ => return None,
    })
}

impl Pdu<'_> {
    /// Checks that the message type comes first and that every mandatory
    /// field of the message type is present. The error names the first
    /// missing field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mt = match self.headers.first() {
            Some(Header::MessageType(mt)) => *mt,
            _ => return Err(ValidationError::MessageTypeNotFirst),
        };
        let fields = mandatory_fields(mt).ok_or(ValidationError::UnknownMessageType(mt.0))?;
        for &code in fields {
            if self.header(code).is_none() {
                return Err(ValidationError::MissingField {
                    pdu: mt,
                    field: field::name(code).unwrap_or("?"),
                });
            }
        }
        if matches!(mt, MessageType::SEND_REQ | MessageType::FORWARD_REQ)
            && self.to().next().is_none()
            && self.cc().next().is_none()
            && self.bcc().next().is_none()
        {
            return Err(ValidationError::NoRecipient(mt));
        }
        if self.body.is_some() != self.content_type().is_some() {
            return Err(ValidationError::BodyWithoutContentType(mt));
        }
        Ok(())
    }
}
