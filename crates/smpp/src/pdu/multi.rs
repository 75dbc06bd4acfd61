//! submit_multi (SMPP 3.4 §4.5.1) and submit_multi_resp (§4.5.2).

use super::{SOURCE, read_address, write_address};
use crate::codec::{Reader, put_cstr, put_short_message, put_time};
use crate::error::{EncodeError, Error, Field};
use crate::header::CommandStatus;
use crate::time::SmppTime;
use crate::tlv::TlvList;
use crate::types::{Address, DataCoding, EsmClass, Npi, RegisteredDelivery, Ton};

/// One `dest_address` of submit_multi (§5.2.25): `dest_flag` 1 is an SME
/// address, 2 a distribution list name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestAddress<'a> {
    /// dest_flag 1: TON, NPI, address (max 21 with NUL).
    Sme(Address<'a>),
    /// dest_flag 2: distribution list name (max 21 with NUL).
    DistributionList(&'a [u8]),
}

/// submit_multi body: like submit_sm, with up to 255 destinations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitMulti<'a> {
    /// Service type (max 6 with NUL).
    pub service_type: &'a [u8],
    /// Originator (max 21 with NUL).
    pub source: Address<'a>,
    /// Destinations; `number_of_dests` is implied.
    pub dest_addresses: Vec<DestAddress<'a>>,
    /// Messaging mode, message type, UDHI.
    pub esm_class: EsmClass,
    /// GSM TP-PID.
    pub protocol_id: u8,
    /// 0–3.
    pub priority_flag: u8,
    /// Empty = immediate.
    pub schedule_delivery_time: Option<SmppTime>,
    /// Empty = default.
    pub validity_period: Option<SmppTime>,
    /// Receipt request.
    pub registered_delivery: RegisteredDelivery,
    /// Replace flag.
    pub replace_if_present_flag: u8,
    /// Encoding.
    pub data_coding: DataCoding,
    /// Canned message index.
    pub sm_default_msg_id: u8,
    /// Up to 254 octets.
    pub short_message: &'a [u8],
    /// Optional parameters.
    pub tlvs: TlvList<'a>,
}

impl<'a> SubmitMulti<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        let service_type = r.cstr(Field::ServiceType, 6)?;
        let source = read_address(r, SOURCE, 21)?;
        let n = r.u8(Field::NumberOfDests)?;
        // Each destination takes at least 2 octets (flag and NUL).
        let mut dest_addresses = Vec::with_capacity(usize::from(n).min(r.remaining() / 2));
        for _ in 0..n {
            let offset = r.offset();
            match r.u8(Field::DestFlag)? {
                1 => dest_addresses.push(DestAddress::Sme(Address {
                    ton: Ton(r.u8(Field::DestAddrTon)?),
                    npi: Npi(r.u8(Field::DestAddrNpi)?),
                    addr: r.cstr(Field::DestinationAddr, 21)?,
                })),
                2 => dest_addresses.push(DestAddress::DistributionList(r.cstr(Field::DlName, 21)?)),
                v => {
                    return Err(Error::InvalidValue {
                        offset,
                        field: Field::DestFlag,
                        value: v.into(),
                    });
                }
            }
        }
        Ok(SubmitMulti {
            service_type,
            source,
            dest_addresses,
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
        let n = u8::try_from(self.dest_addresses.len()).map_err(|_| EncodeError::TooMany {
            field: Field::NumberOfDests,
            count: self.dest_addresses.len(),
            max: 255,
        })?;
        out.push(n);
        for d in &self.dest_addresses {
            match d {
                DestAddress::Sme(a) => {
                    out.push(1);
                    write_address(out, a, Field::DestinationAddr, 21)?;
                }
                DestAddress::DistributionList(name) => {
                    out.push(2);
                    put_cstr(out, name, Field::DlName, 21)?;
                }
            }
        }
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

/// One `unsuccess_sme` of submit_multi_resp (§4.5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsuccessSme<'a> {
    /// The destination that failed (max 21 with NUL).
    pub address: Address<'a>,
    /// Why: a command_status value.
    pub error_status_code: CommandStatus,
}

/// submit_multi_resp body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitMultiResp<'a> {
    /// Message id (max 65 with NUL).
    pub message_id: &'a [u8],
    /// Destinations the SMSC could not accept; `no_unsuccess` is implied.
    pub unsuccess_smes: Vec<UnsuccessSme<'a>>,
    /// Optional parameters (none in 3.4; kept for 5.0 peers).
    pub tlvs: TlvList<'a>,
}

impl<'a> SubmitMultiResp<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        if r.is_empty() {
            return Ok(Self::default());
        }
        let message_id = r.cstr(Field::MessageId, 65)?;
        let n = r.u8(Field::NoUnsuccess)?;
        // Each entry takes at least 7 octets.
        let mut unsuccess_smes = Vec::with_capacity(usize::from(n).min(r.remaining() / 7));
        for _ in 0..n {
            let address = Address {
                ton: Ton(r.u8(Field::DestAddrTon)?),
                npi: Npi(r.u8(Field::DestAddrNpi)?),
                addr: r.cstr(Field::DestinationAddr, 21)?,
            };
            let error_status_code = CommandStatus(r.u32(Field::ErrorStatusCode)?);
            unsuccess_smes.push(UnsuccessSme {
                address,
                error_status_code,
            });
        }
        Ok(SubmitMultiResp {
            message_id,
            unsuccess_smes,
            tlvs: r.tlvs()?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.message_id, Field::MessageId, 65)?;
        let n = u8::try_from(self.unsuccess_smes.len()).map_err(|_| EncodeError::TooMany {
            field: Field::NoUnsuccess,
            count: self.unsuccess_smes.len(),
            max: 255,
        })?;
        out.push(n);
        for u in &self.unsuccess_smes {
            write_address(out, &u.address, Field::DestinationAddr, 21)?;
            out.extend_from_slice(&u.error_status_code.0.to_be_bytes());
        }
        self.tlvs.encode(out)
    }

    pub(crate) fn is_default(&self) -> bool {
        self.message_id.is_empty() && self.unsuccess_smes.is_empty() && self.tlvs.is_empty()
    }
}
