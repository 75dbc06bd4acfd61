//! SMS-DELIVER-REPORT (TS 23.040 §9.2.2.1a) and SMS-SUBMIT-REPORT
//! (§9.2.2.2a).
//!
//! ```text
//! DELIVER-REPORT (MS → SC): first octet (- UDHI ---- MTI=00) | [TP-FCS] | TP-PI | [TP-PID] [TP-DCS] [TP-UDL TP-UD]
//! SUBMIT-REPORT  (SC → MS): first octet (- UDHI ---- MTI=01) | [TP-FCS] | TP-PI | TP-SCTS | [TP-PID] [TP-DCS] [TP-UDL TP-UD]
//! ```
//! TP-FCS is present for RP-ERROR and absent for RP-ACK; the TPDU itself
//! does not say which, so the decoders take it as an argument.

use crate::codes::{FailureCause, ProtocolId};
use crate::dcs::DataCodingScheme;
use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;
use crate::time::Timestamp;
use crate::user_data::UserData;

use super::{Tail, UDHI, pi_octet, read_pi, read_pi_fields, udhi_bit, write_pi_fields};

/// An SMS-DELIVER-REPORT (MS → SC, in RP-ACK or RP-ERROR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverReport<'a> {
    /// TP-FCS: present in RP-ERROR, absent in RP-ACK.
    pub failure_cause: Option<FailureCause>,
    /// TP-PID, if present.
    pub protocol_id: Option<ProtocolId>,
    /// TP-DCS, if present.
    pub dcs: Option<DataCodingScheme>,
    /// TP-UDL/TP-UD, if present.
    pub user_data: Option<UserData<'a>>,
}

/// An SMS-SUBMIT-REPORT (SC → MS, in RP-ACK or RP-ERROR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitReport<'a> {
    /// TP-FCS: present in RP-ERROR, absent in RP-ACK.
    pub failure_cause: Option<FailureCause>,
    /// TP-SCTS.
    pub timestamp: Timestamp,
    /// TP-PID, if present.
    pub protocol_id: Option<ProtocolId>,
    /// TP-DCS, if present.
    pub dcs: Option<DataCodingScheme>,
    /// TP-UDL/TP-UD, if present.
    pub user_data: Option<UserData<'a>>,
}

fn read_head(r: &mut Reader<'_>, mti: u8, is_error: bool) -> Result<(u8, Option<FailureCause>, u8), DecodeError> {
    let at = r.offset();
    let first = r.u8("first octet")?;
    if first & 0x03 != mti {
        return Err(DecodeError::UnsupportedMessageType { offset: at, mti: first & 0x03 });
    }
    let fcs = if is_error { Some(FailureCause(r.u8("TP-FCS")?)) } else { None };
    Ok((first, fcs, read_pi(r)?))
}

fn read_fields<'a>(r: &mut Reader<'a>, pi: u8, udhi: bool) -> Result<Tail<'a>, DecodeError> {
    let tail = read_pi_fields(r, pi, udhi)?;
    r.finish()?;
    Ok(tail)
}

impl<'a> DeliverReport<'a> {
    /// Decodes a whole SMS-DELIVER-REPORT; `is_error` tells whether it came
    /// in an RP-ERROR (then TP-FCS is present).
    pub fn decode(bytes: &'a [u8], is_error: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let (first, failure_cause, pi) = read_head(&mut r, 0b00, is_error)?;
        let (protocol_id, dcs, user_data) = read_fields(&mut r, pi, first & UDHI != 0)?;
        Ok(Self { failure_cause, protocol_id, dcs, user_data })
    }

    /// Appends the encoded TPDU.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(udhi_bit(self.user_data.as_ref()));
        if let Some(f) = self.failure_cause {
            out.push(f.0);
        }
        out.push(pi_octet(self.protocol_id, self.dcs, self.user_data.as_ref()));
        write_pi_fields(out, self.protocol_id, self.dcs, self.user_data.as_ref())
    }

    /// Copies any borrowed data.
    pub fn into_owned(self) -> DeliverReport<'static> {
        DeliverReport { user_data: self.user_data.map(UserData::into_owned), ..self }
    }
}

impl<'a> SubmitReport<'a> {
    /// Decodes a whole SMS-SUBMIT-REPORT; `is_error` tells whether it came
    /// in an RP-ERROR (then TP-FCS is present).
    pub fn decode(bytes: &'a [u8], is_error: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let (first, failure_cause, pi) = read_head(&mut r, 0b01, is_error)?;
        let at = r.offset();
        let timestamp = Timestamp::from_octets(r.array7("TP-SCTS")?, at, "TP-SCTS")?;
        let (protocol_id, dcs, user_data) = read_fields(&mut r, pi, first & UDHI != 0)?;
        Ok(Self { failure_cause, timestamp, protocol_id, dcs, user_data })
    }

    /// Appends the encoded TPDU.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(0x01 | udhi_bit(self.user_data.as_ref()));
        if let Some(f) = self.failure_cause {
            out.push(f.0);
        }
        out.push(pi_octet(self.protocol_id, self.dcs, self.user_data.as_ref()));
        out.extend_from_slice(&self.timestamp.to_octets("TP-SCTS")?);
        write_pi_fields(out, self.protocol_id, self.dcs, self.user_data.as_ref())
    }

    /// Copies any borrowed data.
    pub fn into_owned(self) -> SubmitReport<'static> {
        SubmitReport { user_data: self.user_data.map(UserData::into_owned), ..self }
    }
}
