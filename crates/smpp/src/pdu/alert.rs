//! alert_notification (SMPP 3.4 §4.12.1): no response PDU.

use super::{SOURCE, read_address, write_address};
use crate::codec::Reader;
use crate::error::{EncodeError, Error, Field};
use crate::tlv::TlvList;
use crate::types::Address;

/// alert_notification body: the MS `source` became available; `esme` is the
/// ESME that asked (via set_dpf) to be told.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertNotification<'a> {
    /// The mobile station (max 65 with NUL).
    pub source: Address<'a>,
    /// The ESME address (max 65 with NUL).
    pub esme: Address<'a>,
    /// Optional parameters (`ms_availability_status`).
    pub tlvs: TlvList<'a>,
}

const ESME: [Field; 3] = [Field::EsmeAddrTon, Field::EsmeAddrNpi, Field::EsmeAddr];

impl<'a> AlertNotification<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        Ok(AlertNotification {
            source: read_address(r, SOURCE, 65)?,
            esme: read_address(r, ESME, 65)?,
            tlvs: r.tlvs()?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_address(out, &self.source, Field::SourceAddr, 65)?;
        write_address(out, &self.esme, Field::EsmeAddr, 65)?;
        self.tlvs.encode(out)
    }
}
