//! cancel_sm (SMPP 3.4 §4.9.1) and replace_sm (§4.10.1). Their responses
//! have no body.

use super::{DEST, SOURCE, read_address, write_address};
use crate::codec::{Reader, put_cstr, put_short_message, put_time};
use crate::error::{EncodeError, Error, Field};
use crate::time::SmppTime;
use crate::types::{Address, RegisteredDelivery};

/// cancel_sm body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CancelSm<'a> {
    /// With an empty message_id, cancel all messages of this service type
    /// from `source` to `destination` (max 6 with NUL).
    pub service_type: &'a [u8],
    /// Message to cancel, or empty (max 65 with NUL).
    pub message_id: &'a [u8],
    /// Source of the message(s) (max 21 with NUL).
    pub source: Address<'a>,
    /// Destination of the message(s) (max 21 with NUL).
    pub destination: Address<'a>,
}

impl<'a> CancelSm<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        let c = CancelSm {
            service_type: r.cstr(Field::ServiceType, 6)?,
            message_id: r.cstr(Field::MessageId, 65)?,
            source: read_address(r, SOURCE, 21)?,
            destination: read_address(r, DEST, 21)?,
        };
        r.finish()?;
        Ok(c)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.service_type, Field::ServiceType, 6)?;
        put_cstr(out, self.message_id, Field::MessageId, 65)?;
        write_address(out, &self.source, Field::SourceAddr, 21)?;
        write_address(out, &self.destination, Field::DestinationAddr, 21)
    }
}

/// replace_sm body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplaceSm<'a> {
    /// Message to replace (max 65 with NUL).
    pub message_id: &'a [u8],
    /// Its original source address (max 21 with NUL).
    pub source: Address<'a>,
    /// New scheduled delivery time.
    pub schedule_delivery_time: Option<SmppTime>,
    /// New validity period.
    pub validity_period: Option<SmppTime>,
    /// New registered_delivery.
    pub registered_delivery: RegisteredDelivery,
    /// New canned message index.
    pub sm_default_msg_id: u8,
    /// New short message (up to 254 octets).
    pub short_message: &'a [u8],
}

impl<'a> ReplaceSm<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        let s = ReplaceSm {
            message_id: r.cstr(Field::MessageId, 65)?,
            source: read_address(r, SOURCE, 21)?,
            schedule_delivery_time: r.time(Field::ScheduleDeliveryTime)?,
            validity_period: r.time(Field::ValidityPeriod)?,
            registered_delivery: RegisteredDelivery(r.u8(Field::RegisteredDelivery)?),
            sm_default_msg_id: r.u8(Field::SmDefaultMsgId)?,
            short_message: r.short_message()?,
        };
        r.finish()?;
        Ok(s)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.message_id, Field::MessageId, 65)?;
        write_address(out, &self.source, Field::SourceAddr, 21)?;
        put_time(out, &self.schedule_delivery_time);
        put_time(out, &self.validity_period);
        out.extend_from_slice(&[self.registered_delivery.0, self.sm_default_msg_id]);
        put_short_message(out, self.short_message)
    }
}
