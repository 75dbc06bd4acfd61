//! bind_transmitter / bind_receiver / bind_transceiver and their responses
//! (SMPP 3.4 §4.1), and outbind (§4.1.7).

use crate::codec::{Reader, put_cstr};
use crate::error::{EncodeError, Error, Field};
use crate::tlv::TlvList;
use crate::types::{INTERFACE_VERSION_34, Npi, Ton};

/// The body of the three bind requests (§4.1.1, §4.1.3, §4.1.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind<'a> {
    /// "Identifies the ESME system requesting to bind" (max 16 with NUL).
    pub system_id: &'a [u8],
    /// Password (max 9 with NUL).
    pub password: &'a [u8],
    /// "Identifies the type of ESME system" (max 13 with NUL).
    pub system_type: &'a [u8],
    /// SMPP version supported by the ESME (0x34 for 3.4).
    pub interface_version: u8,
    /// TON of `address_range`.
    pub addr_ton: Ton,
    /// NPI of `address_range`.
    pub addr_npi: Npi,
    /// ESME address range (a regular expression per §7.2, max 41 with NUL).
    pub address_range: &'a [u8],
}

impl Default for Bind<'_> {
    fn default() -> Self {
        Bind {
            system_id: b"",
            password: b"",
            system_type: b"",
            interface_version: INTERFACE_VERSION_34,
            addr_ton: Ton::UNKNOWN,
            addr_npi: Npi::UNKNOWN,
            address_range: b"",
        }
    }
}

impl<'a> Bind<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        let b = Bind {
            system_id: r.cstr(Field::SystemId, 16)?,
            password: r.cstr(Field::Password, 9)?,
            system_type: r.cstr(Field::SystemType, 13)?,
            interface_version: r.u8(Field::InterfaceVersion)?,
            addr_ton: Ton(r.u8(Field::AddrTon)?),
            addr_npi: Npi(r.u8(Field::AddrNpi)?),
            address_range: r.cstr(Field::AddressRange, 41)?,
        };
        r.finish()?;
        Ok(b)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.system_id, Field::SystemId, 16)?;
        put_cstr(out, self.password, Field::Password, 9)?;
        put_cstr(out, self.system_type, Field::SystemType, 13)?;
        out.extend_from_slice(&[self.interface_version, self.addr_ton.0, self.addr_npi.0]);
        put_cstr(out, self.address_range, Field::AddressRange, 41)
    }
}

/// The body of the three bind responses (§4.1.2, …): the SMSC's
/// system_id and optionally `sc_interface_version`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BindResp<'a> {
    /// "SMSC identifier" (max 16 with NUL). Empty when the body is absent.
    pub system_id: &'a [u8],
    /// Optional parameters (§4.1.2: `sc_interface_version`).
    pub tlvs: TlvList<'a>,
}

impl<'a> BindResp<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        if r.is_empty() {
            return Ok(Self::default());
        }
        Ok(BindResp {
            system_id: r.cstr(Field::SystemId, 16)?,
            tlvs: r.tlvs()?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.system_id, Field::SystemId, 16)?;
        self.tlvs.encode(out)
    }

    pub(crate) fn is_default(&self) -> bool {
        self.system_id.is_empty() && self.tlvs.is_empty()
    }
}

/// outbind (§4.1.7): the SMSC asks the ESME to bind as a receiver.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outbind<'a> {
    /// SMSC identifier (max 16 with NUL).
    pub system_id: &'a [u8],
    /// Password (max 9 with NUL).
    pub password: &'a [u8],
}

impl<'a> Outbind<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        let b = Outbind {
            system_id: r.cstr(Field::SystemId, 16)?,
            password: r.cstr(Field::Password, 9)?,
        };
        r.finish()?;
        Ok(b)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.system_id, Field::SystemId, 16)?;
        put_cstr(out, self.password, Field::Password, 9)
    }
}
