//! SMS-STATUS-REPORT (TS 23.040 §9.2.2.3).
//!
//! ```text
//! first octet: - UDHI SRQ - LP MMS MTI=10
//! TP-MR | TP-RA | TP-SCTS (7) | TP-DT (7) | TP-ST | [TP-PI [TP-PID] [TP-DCS] [TP-UDL TP-UD]]
//! ```

use crate::address::Address;
use crate::codes::{ProtocolId, Status};
use crate::dcs::DataCodingScheme;
use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;
use crate::time::Timestamp;
use crate::user_data::UserData;

use super::{UDHI, read_optional_tail, udhi_bit, write_optional_tail};

/// An SMS-STATUS-REPORT: the outcome of an earlier SMS-SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport<'a> {
    /// TP-MMS inverted: `true` when more messages are waiting.
    pub more_messages_to_send: bool,
    /// TP-LP: loop prevention.
    pub loop_prevention: bool,
    /// TP-SRQ: `false` reports on an SMS-SUBMIT, `true` on an SMS-COMMAND.
    pub qualifier_command: bool,
    /// TP-MR of the message reported on.
    pub message_reference: u8,
    /// TP-RA: recipient address.
    pub recipient: Address,
    /// TP-SCTS of the message reported on.
    pub sc_timestamp: Timestamp,
    /// TP-DT: discharge time.
    pub discharge_time: Timestamp,
    /// TP-ST.
    pub status: Status,
    /// TP-PID, if TP-PI says it is present.
    pub protocol_id: Option<ProtocolId>,
    /// TP-DCS, if present (absent means `0x00`).
    pub dcs: Option<DataCodingScheme>,
    /// TP-UDL/TP-UD, if present.
    pub user_data: Option<UserData<'a>>,
}

impl<'a> StatusReport<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let first = r.u8("first octet")?;
        let message_reference = r.u8("TP-MR")?;
        let recipient = Address::decode_tp(r, "TP-RA")?;
        let at = r.offset();
        let sc_timestamp = Timestamp::from_octets(r.array7("TP-SCTS")?, at, "TP-SCTS")?;
        let at = r.offset();
        let discharge_time = Timestamp::from_octets(r.array7("TP-DT")?, at, "TP-DT")?;
        let status = Status(r.u8("TP-ST")?);
        let (protocol_id, dcs, user_data) = read_optional_tail(r, first & UDHI != 0)?;
        Ok(Self {
            more_messages_to_send: first & 0x04 == 0,
            loop_prevention: first & 0x08 != 0,
            qualifier_command: first & 0x20 != 0,
            message_reference,
            recipient,
            sc_timestamp,
            discharge_time,
            status,
            protocol_id,
            dcs,
            user_data,
        })
    }

    /// Appends the encoded TPDU. TP-PI is written only when a field it
    /// governs is present.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let first = 0x02
            | u8::from(!self.more_messages_to_send) << 2
            | u8::from(self.loop_prevention) << 3
            | u8::from(self.qualifier_command) << 5
            | udhi_bit(self.user_data.as_ref());
        out.push(first);
        out.push(self.message_reference);
        self.recipient.encode_tp(out, "TP-RA")?;
        out.extend_from_slice(&self.sc_timestamp.to_octets("TP-SCTS")?);
        out.extend_from_slice(&self.discharge_time.to_octets("TP-DT")?);
        out.push(self.status.0);
        write_optional_tail(out, self.protocol_id, self.dcs, self.user_data.as_ref())
    }

    /// Copies any borrowed data.
    pub fn into_owned(self) -> StatusReport<'static> {
        StatusReport { user_data: self.user_data.map(UserData::into_owned), ..self }
    }
}
