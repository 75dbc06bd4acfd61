//! submit_sm (SMPP 3.4 §4.4.1) and deliver_sm (§4.6.1), which share one
//! layout, and their responses (§4.4.2, §4.6.2).

use super::{DEST, SOURCE, read_address, write_address};
use crate::codec::{Reader, put_cstr, put_short_message, put_time};
use crate::error::{EncodeError, Error, Field};
use crate::time::SmppTime;
use crate::tlv::TlvList;
use crate::types::{Address, DataCoding, EsmClass, RegisteredDelivery};

/// submit_sm / deliver_sm body. In deliver_sm the two time fields, the
/// priority and `replace_if_present_flag` are NULL/0 (§4.6.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitSm<'a> {
    /// "The service_type parameter can be used to indicate the SMS
    /// Application service" (max 6 with NUL; empty = default).
    pub service_type: &'a [u8],
    /// Originator (address max 21 with NUL).
    pub source: Address<'a>,
    /// Recipient (address max 21 with NUL).
    pub destination: Address<'a>,
    /// Messaging mode, message type, UDHI.
    pub esm_class: EsmClass,
    /// GSM TP-PID.
    pub protocol_id: u8,
    /// 0–3.
    pub priority_flag: u8,
    /// Empty = immediate delivery.
    pub schedule_delivery_time: Option<SmppTime>,
    /// Empty = SMSC default validity.
    pub validity_period: Option<SmppTime>,
    /// Receipt / acknowledgement request.
    pub registered_delivery: RegisteredDelivery,
    /// 0 = don't replace, 1 = replace.
    pub replace_if_present_flag: u8,
    /// Encoding of `short_message`.
    pub data_coding: DataCoding,
    /// Index of a canned message (0 = none).
    pub sm_default_msg_id: u8,
    /// "Up to 254 octets of short message user data" (UDH included when
    /// UDHI is set); `sm_length` is implied.
    pub short_message: &'a [u8],
    /// Optional parameters, in wire order.
    pub tlvs: TlvList<'a>,
}

/// deliver_sm has the submit_sm layout.
pub type DeliverSm<'a> = SubmitSm<'a>;

impl<'a> SubmitSm<'a> {
    /// The user data: `message_payload` if present (§5.3.2.32: used instead
    /// of short_message, which is then empty), else `short_message`.
    pub fn payload(&self) -> &[u8] {
        self.tlvs.message_payload().unwrap_or(self.short_message)
    }

    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        Ok(SubmitSm {
            service_type: r.cstr(Field::ServiceType, 6)?,
            source: read_address(r, SOURCE, 21)?,
            destination: read_address(r, DEST, 21)?,
            esm_class: EsmClass(r.u8(Field::EsmClass)?),
            protocol_id: r.u8(Field::ProtocolId)?,
            priority_flag: r.u8(Field::PriorityFlag)?,
            schedule_delivery_time: r.time(Field::ScheduleDeliveryTime)?,
            validity_period: r.time(Field::ValidityPeriod)?,
            registered_delivery: RegisteredDelivery(r.u8(Field::RegisteredDelivery)?),
            replace_if_present_flag: r.u8(Field::ReplaceIfPresentFlag)?,
            data_coding: DataCoding(r.u8(Field::DataCoding)?),
            sm_default_msg_id: r.u8(Field::SmDefaultMsgId)?,
            short_message: r.short_message()?,
            tlvs: r.tlvs()?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.service_type, Field::ServiceType, 6)?;
        write_address(out, &self.source, Field::SourceAddr, 21)?;
        write_address(out, &self.destination, Field::DestinationAddr, 21)?;
        out.extend_from_slice(&[self.esm_class.0, self.protocol_id, self.priority_flag]);
        put_time(out, &self.schedule_delivery_time);
        put_time(out, &self.validity_period);
        out.extend_from_slice(&[
            self.registered_delivery.0,
            self.replace_if_present_flag,
            self.data_coding.0,
            self.sm_default_msg_id,
        ]);
        put_short_message(out, self.short_message)?;
        self.tlvs.encode(out)
    }
}

/// submit_sm_resp / deliver_sm_resp body: the SMSC's message_id (unused,
/// NULL, in deliver_sm_resp). SMPP 3.4 defines no TLVs here; SMPP 5.0 peers
/// send some, so they are kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitSmResp<'a> {
    /// "This field contains the SMSC message ID of the submitted message"
    /// (max 65 with NUL). Empty when the body is absent.
    pub message_id: &'a [u8],
    /// Optional parameters (none in 3.4).
    pub tlvs: TlvList<'a>,
}

/// deliver_sm_resp has the submit_sm_resp layout.
pub type DeliverSmResp<'a> = SubmitSmResp<'a>;

impl<'a> SubmitSmResp<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        if r.is_empty() {
            return Ok(Self::default());
        }
        Ok(SubmitSmResp {
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
