//! Transfer-layer PDUs (TS 23.040 §9.2.2) and the PDU-mode form with a
//! leading SMSC address (TS 27.005 §3.1, "PDU mode").
//!
//! The two TP-MTI bits of the first octet name the type, but the meaning
//! depends on the direction:
//!
//! | TP-MTI | SC → MS              | MS → SC              |
//! |--------|----------------------|----------------------|
//! | `00`   | SMS-DELIVER          | SMS-DELIVER-REPORT   |
//! | `01`   | SMS-SUBMIT-REPORT    | SMS-SUBMIT           |
//! | `10`   | SMS-STATUS-REPORT    | SMS-COMMAND          |
//!
//! [`Tpdu::decode`] follows the convention of PDU mode and of stored
//! messages: `00` is SMS-DELIVER, `01` SMS-SUBMIT, `10` SMS-STATUS-REPORT.
//! The reports are decoded with [`DeliverReport::decode`] and
//! [`SubmitReport::decode`], which must be told whether they answer an
//! RP-ACK or an RP-ERROR (only the latter carries TP-FCS).

mod deliver;
mod report;
mod status_report;
mod submit;

pub use deliver::Deliver;
pub use report::{DeliverReport, SubmitReport};
pub use status_report::StatusReport;
pub use submit::Submit;

use crate::address::Address;
use crate::dcs::DataCodingScheme;
use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;
use crate::user_data::UserData;

/// TP-UDHI: bit 6 of the first octet.
pub(crate) const UDHI: u8 = 0x40;

/// An SMS-DELIVER, SMS-SUBMIT or SMS-STATUS-REPORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tpdu<'a> {
    /// SMS-DELIVER (SC → MS).
    Deliver(Deliver<'a>),
    /// SMS-SUBMIT (MS → SC).
    Submit(Submit<'a>),
    /// SMS-STATUS-REPORT (SC → MS).
    StatusReport(StatusReport<'a>),
}

impl<'a> Tpdu<'a> {
    /// Decodes a TPDU (no SMSC address in front). The whole input must be
    /// consumed.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_at(bytes, 0)
    }

    fn decode_at(bytes: &'a [u8], base: usize) -> Result<Self, DecodeError> {
        let mut r = Reader::with_base(bytes, base);
        let first = *bytes.first().ok_or(DecodeError::Truncated { offset: base, field: "first octet" })?;
        let t = match first & 0x03 {
            0b00 => Self::Deliver(Deliver::read(&mut r)?),
            0b01 => Self::Submit(Submit::read(&mut r)?),
            0b10 => Self::StatusReport(StatusReport::read(&mut r)?),
            mti => return Err(DecodeError::UnsupportedMessageType { offset: base, mti }),
        };
        r.finish()?;
        Ok(t)
    }

    /// Decodes the PDU-mode form: SMSC address (length in octets, `00` for
    /// none), then the TPDU. Error offsets count from the SMSC length octet.
    pub fn decode_with_smsc(bytes: &'a [u8]) -> Result<(Option<Address>, Self), DecodeError> {
        let mut r = Reader::new(bytes);
        let smsc = Address::decode_sc(&mut r)?;
        let at = r.offset();
        let tpdu = Self::decode_at(r.rest(), at)?;
        Ok((smsc, tpdu))
    }

    /// Decodes a hex string in PDU-mode form (see [`Tpdu::decode_with_smsc`]).
    /// The result owns its data.
    pub fn from_hex_with_smsc(hex: &str) -> Result<(Option<Address>, Tpdu<'static>), crate::Error> {
        let bytes = crate::hex::decode_hex(hex)?;
        let (smsc, t) = Tpdu::decode_with_smsc(&bytes)?;
        Ok((smsc, t.into_owned()))
    }

    /// Appends the encoded TPDU.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Self::Deliver(d) => d.encode(out),
            Self::Submit(s) => s.encode(out),
            Self::StatusReport(s) => s.encode(out),
        }
    }

    /// The encoded TPDU as a new vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::with_capacity(176);
        self.encode(&mut v)?;
        Ok(v)
    }

    /// Encodes the PDU-mode form: the SMSC address (or `00`), then the TPDU.
    pub fn to_bytes_with_smsc(&self, smsc: Option<&Address>) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::with_capacity(188);
        Address::encode_sc(smsc, &mut v)?;
        self.encode(&mut v)?;
        Ok(v)
    }

    /// The user data, if this TPDU has any.
    pub fn user_data(&self) -> Option<&UserData<'a>> {
        match self {
            Self::Deliver(d) => Some(&d.user_data),
            Self::Submit(s) => Some(&s.user_data),
            Self::StatusReport(s) => s.user_data.as_ref(),
        }
    }

    /// TP-DCS (the default `0x00` for a status report without one).
    pub fn dcs(&self) -> DataCodingScheme {
        match self {
            Self::Deliver(d) => d.dcs,
            Self::Submit(s) => s.dcs,
            Self::StatusReport(s) => s.dcs.unwrap_or_default(),
        }
    }

    /// Copies any borrowed data.
    pub fn into_owned(self) -> Tpdu<'static> {
        match self {
            Self::Deliver(d) => Tpdu::Deliver(d.into_owned()),
            Self::Submit(s) => Tpdu::Submit(s.into_owned()),
            Self::StatusReport(s) => Tpdu::StatusReport(s.into_owned()),
        }
    }
}

/// TP-PID, TP-DCS and TP-UD as governed by TP-PI.
pub(crate) type Tail<'a> = (Option<crate::ProtocolId>, Option<DataCodingScheme>, Option<UserData<'a>>);

/// Reads TP-PI (§9.2.3.27), skipping its extension octets.
pub(crate) fn read_pi(r: &mut Reader<'_>) -> Result<u8, DecodeError> {
    let pi = r.u8("TP-PI")?;
    let mut ext = pi;
    while ext & 0x80 != 0 {
        ext = r.u8("TP-PI")?;
    }
    Ok(pi)
}

/// Reads TP-PID, TP-DCS, TP-UDL/TP-UD as the TP-PI bits say.
pub(crate) fn read_pi_fields<'a>(r: &mut Reader<'a>, pi: u8, udhi: bool) -> Result<Tail<'a>, DecodeError> {
    let pid = if pi & 0x01 != 0 { Some(crate::ProtocolId(r.u8("TP-PID")?)) } else { None };
    let dcs = if pi & 0x02 != 0 { Some(DataCodingScheme(r.u8("TP-DCS")?)) } else { None };
    let ud = if pi & 0x04 != 0 { Some(UserData::decode(r, dcs.unwrap_or_default(), udhi)?) } else { None };
    Ok((pid, dcs, ud))
}

/// Reads the optional tail of a status report: nothing at all, or TP-PI
/// and the fields it names.
pub(crate) fn read_optional_tail<'a>(r: &mut Reader<'a>, udhi: bool) -> Result<Tail<'a>, DecodeError> {
    if r.is_empty() {
        return Ok((None, None, None));
    }
    let pi = read_pi(r)?;
    read_pi_fields(r, pi, udhi)
}

/// Encodes TP-PI for the fields present.
pub(crate) fn pi_octet(pid: Option<crate::ProtocolId>, dcs: Option<DataCodingScheme>, ud: Option<&UserData<'_>>) -> u8 {
    u8::from(pid.is_some()) | (u8::from(dcs.is_some()) << 1) | (u8::from(ud.is_some()) << 2)
}

/// Writes TP-PID, TP-DCS, TP-UDL/TP-UD that are present (not TP-PI).
pub(crate) fn write_pi_fields(
    out: &mut Vec<u8>,
    pid: Option<crate::ProtocolId>,
    dcs: Option<DataCodingScheme>,
    ud: Option<&UserData<'_>>,
) -> Result<(), EncodeError> {
    if let Some(p) = pid {
        out.push(p.0);
    }
    if let Some(d) = dcs {
        out.push(d.0);
    }
    if let Some(ud) = ud {
        ud.encode(dcs.unwrap_or_default(), out)?;
    }
    Ok(())
}

/// Writes the tail read by [`read_optional_tail`]; nothing at all (not even
/// TP-PI) when every part is absent.
pub(crate) fn write_optional_tail(
    out: &mut Vec<u8>,
    pid: Option<crate::ProtocolId>,
    dcs: Option<DataCodingScheme>,
    ud: Option<&UserData<'_>>,
) -> Result<(), EncodeError> {
    let pi = pi_octet(pid, dcs, ud);
    if pi == 0 {
        return Ok(());
    }
    out.push(pi);
    write_pi_fields(out, pid, dcs, ud)
}

/// First-octet UDHI bit for optional user data.
pub(crate) fn udhi_bit(ud: Option<&UserData<'_>>) -> u8 {
    if ud.is_some_and(|u| u.header.is_some()) { UDHI } else { 0 }
}
