//! SMS-SUBMIT (TS 23.040 §9.2.2.2).
//!
//! ```text
//! first octet: RP UDHI SRR VPF(2) RD MTI=01
//! TP-MR | TP-DA | TP-PID | TP-DCS | TP-VP (0, 1 or 7) | TP-UDL | TP-UD
//! ```

use crate::address::Address;
use crate::codes::ProtocolId;
use crate::dcs::DataCodingScheme;
use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;
use crate::time::{EnhancedValidity, Timestamp, ValidityPeriod};
use crate::user_data::UserData;

use super::UDHI;

/// An SMS-SUBMIT: a short message from the MS to the SC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit<'a> {
    /// TP-RD: reject duplicates.
    pub reject_duplicates: bool,
    /// TP-SRR: status report requested.
    pub status_report_request: bool,
    /// TP-RP: reply path requested.
    pub reply_path: bool,
    /// TP-MR: message reference.
    pub message_reference: u8,
    /// TP-DA: destination address.
    pub destination: Address,
    /// TP-PID.
    pub protocol_id: ProtocolId,
    /// TP-DCS.
    pub dcs: DataCodingScheme,
    /// TP-VP, in the format TP-VPF names (`None`: not present).
    pub validity: Option<ValidityPeriod>,
    /// TP-UDL/TP-UD (TP-UDHI follows `user_data.header`).
    pub user_data: UserData<'a>,
}

impl<'a> Submit<'a> {
    /// A submit with default flags, TP-MR 0, TP-PID 0, no validity period.
    pub fn new(destination: Address, dcs: DataCodingScheme, user_data: UserData<'a>) -> Self {
        Self {
            reject_duplicates: false,
            status_report_request: false,
            reply_path: false,
            message_reference: 0,
            destination,
            protocol_id: ProtocolId::DEFAULT,
            dcs,
            validity: None,
            user_data,
        }
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let first = r.u8("first octet")?;
        let message_reference = r.u8("TP-MR")?;
        let destination = Address::decode_tp(r, "TP-DA")?;
        let protocol_id = ProtocolId(r.u8("TP-PID")?);
        let dcs = DataCodingScheme(r.u8("TP-DCS")?);
        let at = r.offset();
        let validity = match (first >> 3) & 0x03 {
            0b00 => None,
            0b10 => Some(ValidityPeriod::Relative(r.u8("TP-VP")?)),
            0b01 => Some(ValidityPeriod::Enhanced(EnhancedValidity(r.array7("TP-VP")?))),
            _ => Some(ValidityPeriod::Absolute(Timestamp::from_octets(r.array7("TP-VP")?, at, "TP-VP")?)),
        };
        let user_data = UserData::decode(r, dcs, first & UDHI != 0)?;
        Ok(Self {
            reject_duplicates: first & 0x04 != 0,
            status_report_request: first & 0x20 != 0,
            reply_path: first & 0x80 != 0,
            message_reference,
            destination,
            protocol_id,
            dcs,
            validity,
            user_data,
        })
    }

    /// Decodes an SMS-SUBMIT TPDU (the whole input).
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        match super::Tpdu::decode(bytes)? {
            super::Tpdu::Submit(s) => Ok(s),
            _ => Err(DecodeError::UnsupportedMessageType { offset: 0, mti: bytes[0] & 0x03 }),
        }
    }

    /// Appends the encoded TPDU.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let first = 0x01
            | u8::from(self.reject_duplicates) << 2
            | ValidityPeriod::vpf(self.validity.as_ref()) << 3
            | u8::from(self.status_report_request) << 5
            | if self.user_data.header.is_some() { UDHI } else { 0 }
            | u8::from(self.reply_path) << 7;
        out.push(first);
        out.push(self.message_reference);
        self.destination.encode_tp(out, "TP-DA")?;
        out.push(self.protocol_id.0);
        out.push(self.dcs.0);
        match &self.validity {
            None => {}
            Some(ValidityPeriod::Relative(v)) => out.push(*v),
            Some(ValidityPeriod::Enhanced(e)) => out.extend_from_slice(&e.0),
            Some(ValidityPeriod::Absolute(t)) => out.extend_from_slice(&t.to_octets("TP-VP")?),
        }
        self.user_data.encode(self.dcs, out)
    }

    /// The text of the message, if TP-DCS names a text alphabet.
    pub fn text(&self) -> Option<String> {
        self.user_data.text(self.dcs)
    }

    /// Copies any borrowed data.
    pub fn into_owned(self) -> Submit<'static> {
        Submit { user_data: self.user_data.into_owned(), ..self }
    }
}
