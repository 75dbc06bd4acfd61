//! SMS-DELIVER (TS 23.040 §9.2.2.1).
//!
//! ```text
//! first octet: RP UDHI SRI - LP MMS MTI=00
//! TP-OA | TP-PID | TP-DCS | TP-SCTS (7) | TP-UDL | TP-UD
//! ```

use crate::address::Address;
use crate::codes::ProtocolId;
use crate::dcs::DataCodingScheme;
use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;
use crate::time::Timestamp;
use crate::user_data::UserData;

use super::UDHI;

/// An SMS-DELIVER: a short message from the SC to the MS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver<'a> {
    /// TP-MMS inverted: `true` when more messages are waiting in the SC
    /// (the wire bit is `0` then).
    pub more_messages_to_send: bool,
    /// TP-LP: loop prevention.
    pub loop_prevention: bool,
    /// TP-SRI: a status report will be returned to the originator.
    pub status_report_indication: bool,
    /// TP-RP: reply path set.
    pub reply_path: bool,
    /// TP-OA: originating address.
    pub originator: Address,
    /// TP-PID.
    pub protocol_id: ProtocolId,
    /// TP-DCS.
    pub dcs: DataCodingScheme,
    /// TP-SCTS: when the SC received the message.
    pub timestamp: Timestamp,
    /// TP-UDL/TP-UD (TP-UDHI follows `user_data.header`).
    pub user_data: UserData<'a>,
}

impl<'a> Deliver<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let first = r.u8("first octet")?;
        let originator = Address::decode_tp(r, "TP-OA")?;
        let protocol_id = ProtocolId(r.u8("TP-PID")?);
        let dcs = DataCodingScheme(r.u8("TP-DCS")?);
        let at = r.offset();
        let timestamp = Timestamp::from_octets(r.array7("TP-SCTS")?, at, "TP-SCTS")?;
        let user_data = UserData::decode(r, dcs, first & UDHI != 0)?;
        Ok(Self {
            more_messages_to_send: first & 0x04 == 0,
            loop_prevention: first & 0x08 != 0,
            status_report_indication: first & 0x20 != 0,
            reply_path: first & 0x80 != 0,
            originator,
            protocol_id,
            dcs,
            timestamp,
            user_data,
        })
    }

    /// Decodes an SMS-DELIVER TPDU (the whole input).
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        match super::Tpdu::decode(bytes)? {
            super::Tpdu::Deliver(d) => Ok(d),
            _ => Err(DecodeError::UnsupportedMessageType { offset: 0, mti: bytes[0] & 0x03 }),
        }
    }

    /// Appends the encoded TPDU.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let first = u8::from(!self.more_messages_to_send) << 2
            | u8::from(self.loop_prevention) << 3
            | u8::from(self.status_report_indication) << 5
            | if self.user_data.header.is_some() { UDHI } else { 0 }
            | u8::from(self.reply_path) << 7;
        out.push(first);
        self.originator.encode_tp(out, "TP-OA")?;
        out.push(self.protocol_id.0);
        out.push(self.dcs.0);
        out.extend_from_slice(&self.timestamp.to_octets("TP-SCTS")?);
        self.user_data.encode(self.dcs, out)
    }

    /// The text of the message, if TP-DCS names a text alphabet.
    pub fn text(&self) -> Option<String> {
        self.user_data.text(self.dcs)
    }

    /// Copies any borrowed data.
    pub fn into_owned(self) -> Deliver<'static> {
        Deliver { user_data: self.user_data.into_owned(), ..self }
    }
}
