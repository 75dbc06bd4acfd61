//! data_sm (SMPP 3.4 §4.7.1) and data_sm_resp (§4.7.2).

use super::{DEST, SOURCE, read_address, write_address};
use crate::codec::{Reader, put_cstr};
use crate::error::{EncodeError, Error, Field};
use crate::tlv::TlvList;
use crate::types::{Address, DataCoding, EsmClass, RegisteredDelivery};

/// data_sm body: addresses of up to 65 octets, the user data in the
/// `message_payload` TLV.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataSm<'a> {
    /// Service type (max 6 with NUL).
    pub service_type: &'a [u8],
    /// Originator (address max 65 with NUL).
    pub source: Address<'a>,
    /// Recipient (address max 65 with NUL).
    pub destination: Address<'a>,
    /// Messaging mode, message type, UDHI.
    pub esm_class: EsmClass,
    /// Receipt / acknowledgement request.
    pub registered_delivery: RegisteredDelivery,
    /// Encoding of the payload.
    pub data_coding: DataCoding,
    /// Optional parameters, in wire order.
    pub tlvs: TlvList<'a>,
}

impl<'a> DataSm<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        Ok(DataSm {
            service_type: r.cstr(Field::ServiceType, 6)?,
            source: read_address(r, SOURCE, 65)?,
            destination: read_address(r, DEST, 65)?,
            esm_class: EsmClass(r.u8(Field::EsmClass)?),
            registered_delivery: RegisteredDelivery(r.u8(Field::RegisteredDelivery)?),
            data_coding: DataCoding(r.u8(Field::DataCoding)?),
            tlvs: r.tlvs()?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.service_type, Field::ServiceType, 6)?;
        write_address(out, &self.source, Field::SourceAddr, 65)?;
        write_address(out, &self.destination, Field::DestinationAddr, 65)?;
        out.extend_from_slice(&[
            self.esm_class.0,
            self.registered_delivery.0,
            self.data_coding.0,
        ]);
        self.tlvs.encode(out)
    }
}

/// data_sm_resp body: message_id and TLVs (`delivery_failure_reason`,
/// `network_error_code`, `additional_status_info_text`, `dpf_result`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataSmResp<'a> {
    /// Message id (max 65 with NUL).
    pub message_id: &'a [u8],
    /// Optional parameters.
    pub tlvs: TlvList<'a>,
}

impl<'a> DataSmResp<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        if r.is_empty() {
            return Ok(Self::default());
        }
        Ok(DataSmResp {
            message_id: r.cstr(Field::MessageId, 65)?,
            tlvs: r.tlvs()?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.message_id, Field::MessageId, 65)?;
        self.tlvs.encode(out)
    }

    pub(crate) fn is_default(&self) -> bool {
        self.message_id.is_empty() && self.tlvs.is_empty()
    }
}
