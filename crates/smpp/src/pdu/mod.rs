//! Whole PDUs: [`Pdu`] (borrowing), [`Body`] (one variant per SMPP 3.4
//! command) and [`OwnedPdu`] (for queues).

mod alert;
mod bind;
mod cancel_replace;
mod data;
mod multi;
mod query;
mod sm;

pub use alert::AlertNotification;
pub use bind::{Bind, BindResp, Outbind};
pub use cancel_replace::{CancelSm, ReplaceSm};
pub use data::{DataSm, DataSmResp};
pub use multi::{DestAddress, SubmitMulti, SubmitMultiResp, UnsuccessSme};
pub use query::{QuerySm, QuerySmResp};
pub use sm::{DeliverSm, DeliverSmResp, SubmitSm, SubmitSmResp};

use crate::codec::Reader;
use crate::error::{EncodeError, Error, Field};
use crate::header::{CommandId, CommandStatus, HEADER_LEN, Header};
use crate::types::{Address, Npi, Ton};

/// The body of a PDU: one variant per SMPP 3.4 command (§4).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Body<'a> {
    BindReceiver(Bind<'a>),
    BindReceiverResp(BindResp<'a>),
    BindTransmitter(Bind<'a>),
    BindTransmitterResp(BindResp<'a>),
    BindTransceiver(Bind<'a>),
    BindTransceiverResp(BindResp<'a>),
    Outbind(Outbind<'a>),
    Unbind,
    UnbindResp,
    GenericNack,
    SubmitSm(SubmitSm<'a>),
    SubmitSmResp(SubmitSmResp<'a>),
    SubmitMulti(SubmitMulti<'a>),
    SubmitMultiResp(SubmitMultiResp<'a>),
    DeliverSm(DeliverSm<'a>),
    DeliverSmResp(DeliverSmResp<'a>),
    DataSm(DataSm<'a>),
    DataSmResp(DataSmResp<'a>),
    QuerySm(QuerySm<'a>),
    QuerySmResp(QuerySmResp<'a>),
    CancelSm(CancelSm<'a>),
    CancelSmResp,
    ReplaceSm(ReplaceSm<'a>),
    ReplaceSmResp,
    EnquireLink,
    EnquireLinkResp,
    AlertNotification(AlertNotification<'a>),
}

impl<'a> Body<'a> {
    /// The command_id of this body.
    pub fn command_id(&self) -> CommandId {
        use Body::*;
        match self {
            BindReceiver(_) => CommandId::BIND_RECEIVER,
            BindReceiverResp(_) => CommandId::BIND_RECEIVER_RESP,
            BindTransmitter(_) => CommandId::BIND_TRANSMITTER,
            BindTransmitterResp(_) => CommandId::BIND_TRANSMITTER_RESP,
            BindTransceiver(_) => CommandId::BIND_TRANSCEIVER,
            BindTransceiverResp(_) => CommandId::BIND_TRANSCEIVER_RESP,
            Outbind(_) => CommandId::OUTBIND,
            Unbind => CommandId::UNBIND,
            UnbindResp => CommandId::UNBIND_RESP,
            GenericNack => CommandId::GENERIC_NACK,
            SubmitSm(_) => CommandId::SUBMIT_SM,
            SubmitSmResp(_) => CommandId::SUBMIT_SM_RESP,
            SubmitMulti(_) => CommandId::SUBMIT_MULTI,
            SubmitMultiResp(_) => CommandId::SUBMIT_MULTI_RESP,
            DeliverSm(_) => CommandId::DELIVER_SM,
            DeliverSmResp(_) => CommandId::DELIVER_SM_RESP,
            DataSm(_) => CommandId::DATA_SM,
            DataSmResp(_) => CommandId::DATA_SM_RESP,
            QuerySm(_) => CommandId::QUERY_SM,
            QuerySmResp(_) => CommandId::QUERY_SM_RESP,
            CancelSm(_) => CommandId::CANCEL_SM,
            CancelSmResp => CommandId::CANCEL_SM_RESP,
            ReplaceSm(_) => CommandId::REPLACE_SM,
            ReplaceSmResp => CommandId::REPLACE_SM_RESP,
            EnquireLink => CommandId::ENQUIRE_LINK,
            EnquireLinkResp => CommandId::ENQUIRE_LINK_RESP,
            AlertNotification(_) => CommandId::ALERT_NOTIFICATION,
        }
    }

    /// Decodes the body of `command_id` from `buf[16..]` (`buf` is the whole
    /// PDU, for offsets).
    fn decode(command_id: CommandId, buf: &'a [u8]) -> Result<Self, Error> {
        use Body::*;
        let mut r = Reader::new(buf, HEADER_LEN);
        let r = &mut r;
        let body = match command_id {
            CommandId::BIND_RECEIVER => BindReceiver(Bind::decode(r)?),
            CommandId::BIND_TRANSMITTER => BindTransmitter(Bind::decode(r)?),
            CommandId::BIND_TRANSCEIVER => BindTransceiver(Bind::decode(r)?),
            CommandId::BIND_RECEIVER_RESP => BindReceiverResp(BindResp::decode(r)?),
            CommandId::BIND_TRANSMITTER_RESP => BindTransmitterResp(BindResp::decode(r)?),
            CommandId::BIND_TRANSCEIVER_RESP => BindTransceiverResp(BindResp::decode(r)?),
            CommandId::OUTBIND => Outbind(self::Outbind::decode(r)?),
            CommandId::SUBMIT_SM => SubmitSm(self::SubmitSm::decode(r)?),
            CommandId::SUBMIT_SM_RESP => SubmitSmResp(self::SubmitSmResp::decode(r)?),
            CommandId::DELIVER_SM => DeliverSm(self::SubmitSm::decode(r)?),
            CommandId::DELIVER_SM_RESP => DeliverSmResp(self::SubmitSmResp::decode(r)?),
            CommandId::SUBMIT_MULTI => SubmitMulti(self::SubmitMulti::decode(r)?),
            CommandId::SUBMIT_MULTI_RESP => SubmitMultiResp(self::SubmitMultiResp::decode(r)?),
            CommandId::DATA_SM => DataSm(self::DataSm::decode(r)?),
            CommandId::DATA_SM_RESP => DataSmResp(self::DataSmResp::decode(r)?),
            CommandId::QUERY_SM => QuerySm(self::QuerySm::decode(r)?),
            CommandId::QUERY_SM_RESP => QuerySmResp(self::QuerySmResp::decode(r)?),
            CommandId::CANCEL_SM => CancelSm(self::CancelSm::decode(r)?),
            CommandId::REPLACE_SM => ReplaceSm(self::ReplaceSm::decode(r)?),
            CommandId::ALERT_NOTIFICATION => AlertNotification(self::AlertNotification::decode(r)?),
            CommandId::UNBIND => empty(r, Unbind)?,
            CommandId::UNBIND_RESP => empty(r, UnbindResp)?,
            CommandId::GENERIC_NACK => empty(r, GenericNack)?,
            CommandId::CANCEL_SM_RESP => empty(r, CancelSmResp)?,
            CommandId::REPLACE_SM_RESP => empty(r, ReplaceSmResp)?,
            CommandId::ENQUIRE_LINK => empty(r, EnquireLink)?,
            CommandId::ENQUIRE_LINK_RESP => empty(r, EnquireLinkResp)?,
            command_id => return Err(Error::UnknownCommandId { command_id }),
        };
        Ok(body)
    }

    /// Appends the body octets. A response with an error status and a
    /// default body is written without a body (e.g. §4.4.2).
    fn encode(&self, status: CommandStatus, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use Body::*;
        let bodiless_error = !status.is_ok();
        match self {
            BindReceiver(b) | BindTransmitter(b) | BindTransceiver(b) => b.encode(out),
            BindReceiverResp(b) | BindTransmitterResp(b) | BindTransceiverResp(b) => {
                if bodiless_error && b.is_default() {
                    Ok(())
                } else {
                    b.encode(out)
                }
            }
            Outbind(b) => b.encode(out),
            SubmitSm(b) | DeliverSm(b) => b.encode(out),
            SubmitSmResp(b) | DeliverSmResp(b) => {
                if bodiless_error && b.is_default() {
                    Ok(())
                } else {
                    b.encode(out)
                }
            }
            SubmitMulti(b) => b.encode(out),
            SubmitMultiResp(b) => {
                if bodiless_error && b.is_default() {
                    Ok(())
                } else {
                    b.encode(out)
                }
            }
            DataSm(b) => b.encode(out),
            DataSmResp(b) => {
                if bodiless_error && b.is_default() {
                    Ok(())
                } else {
                    b.encode(out)
                }
            }
            QuerySm(b) => b.encode(out),
            QuerySmResp(b) => {
                if bodiless_error && b.is_default() {
                    Ok(())
                } else {
                    b.encode(out)
                }
            }
            CancelSm(b) => b.encode(out),
            ReplaceSm(b) => b.encode(out),
            AlertNotification(b) => b.encode(out),
            Unbind | UnbindResp | GenericNack | CancelSmResp | ReplaceSmResp | EnquireLink
            | EnquireLinkResp => Ok(()),
        }
    }

    /// Whether this is a response (command_id bit 31 set).
    pub fn is_response(&self) -> bool {
        self.command_id().is_response()
    }
}

fn empty<'a>(r: &mut Reader<'a>, body: Body<'a>) -> Result<Body<'a>, Error> {
    r.finish()?;
    Ok(body)
}

/// Reads a TON, NPI and C-Octet string address of at most `max` octets.
pub(crate) fn read_address<'a>(
    r: &mut Reader<'a>,
    fields: [Field; 3],
    max: usize,
) -> Result<Address<'a>, Error> {
    Ok(Address {
        ton: Ton(r.u8(fields[0])?),
        npi: Npi(r.u8(fields[1])?),
        addr: r.cstr(fields[2], max)?,
    })
}

/// Writes a TON, NPI and C-Octet string address.
pub(crate) fn write_address(
    out: &mut Vec<u8>,
    a: &Address<'_>,
    field: Field,
    max: usize,
) -> Result<(), EncodeError> {
    out.push(a.ton.0);
    out.push(a.npi.0);
    crate::codec::put_cstr(out, a.addr, field, max)
}

pub(crate) const SOURCE: [Field; 3] = [
    Field::SourceAddrTon,
    Field::SourceAddrNpi,
    Field::SourceAddr,
];
pub(crate) const DEST: [Field; 3] = [
    Field::DestAddrTon,
    Field::DestAddrNpi,
    Field::DestinationAddr,
];

/// A decoded PDU, borrowing strings and octets from the input buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// `command_status` (0 in requests).
    pub command_status: CommandStatus,
    /// `sequence_number`.
    pub sequence_number: u32,
    /// The command and its fields.
    pub body: Body<'a>,
}

impl<'a> Pdu<'a> {
    /// A PDU with status `ESME_ROK`.
    pub fn new(sequence_number: u32, body: Body<'a>) -> Self {
        Pdu {
            command_status: CommandStatus::ESME_ROK,
            sequence_number,
            body,
        }
    }

    /// The body's command_id.
    pub fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    /// Decodes one whole PDU: `buf` must be exactly `command_length` long
    /// (use [`crate::FrameDecoder`] to cut it from a stream).
    pub fn decode(buf: &'a [u8]) -> Result<Self, Error> {
        let header = Header::decode(buf)?;
        if (header.command_length as usize) < HEADER_LEN {
            return Err(Error::InvalidCommandLength {
                length: header.command_length,
                max: u32::MAX,
            });
        }
        if header.command_length as usize != buf.len() {
            return Err(Error::LengthMismatch {
                command_length: header.command_length,
                available: buf.len(),
            });
        }
        let body = Body::decode(header.command_id, buf)?;
        Ok(Pdu {
            command_status: header.command_status,
            sequence_number: header.sequence_number,
            body,
        })
    }

    /// Appends the encoded PDU to `out` and returns its length. On error
    /// `out` is left as it was.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let start = out.len();
        let r = self.encode_inner(start, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_inner(&self, start: usize, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        Header {
            command_length: 0,
            command_id: self.command_id(),
            command_status: self.command_status,
            sequence_number: self.sequence_number,
        }
        .encode(out);
        self.body.encode(self.command_status, out)?;
        let len = out.len() - start;
        let len32 = u32::try_from(len).map_err(|_| EncodeError::FieldTooLong {
            field: Field::CommandLength,
            len,
            max: u32::MAX as usize,
        })?;
        out[start..start + 4].copy_from_slice(&len32.to_be_bytes());
        Ok(len)
    }

    /// The encoded PDU.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }

    /// An owned copy for queues (encoded once, decoded on access).
    pub fn to_owned_pdu(&self) -> Result<OwnedPdu, EncodeError> {
        OwnedPdu::from_pdu(self)
    }
}

/// An owned PDU: the encoded bytes, checked to decode, that hand out a
/// borrowing [`Pdu`] on demand. `Send + 'static`, for queues and channels.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OwnedPdu {
    bytes: Vec<u8>,
}

impl OwnedPdu {
    /// Takes ownership of a whole encoded PDU after checking it decodes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<OwnedPdu, Error> {
        Pdu::decode(&bytes)?;
        Ok(OwnedPdu { bytes })
    }

    /// Wraps bytes that were just decoded successfully.
    pub(crate) fn from_validated(bytes: Vec<u8>) -> OwnedPdu {
        OwnedPdu { bytes }
    }

    /// Encodes `pdu` into an owned buffer.
    pub fn from_pdu(pdu: &Pdu<'_>) -> Result<OwnedPdu, EncodeError> {
        let bytes = pdu.to_bytes()?;
        // Every encoder output decodes (the encoders check what the decoders
        // check); verify rather than trust, so `pdu()` cannot fail.
        match Pdu::decode(&bytes) {
            Ok(_) => Ok(OwnedPdu { bytes }),
            Err(_) => Err(EncodeError::FieldTooLong {
                field: Field::CommandLength,
                len: bytes.len(),
                max: 0,
            }),
        }
    }

    /// The decoded PDU, borrowing from `self`.
    pub fn pdu(&self) -> Pdu<'_> {
        // Checked at construction; decoding is deterministic.
        Pdu::decode(&self.bytes).expect("OwnedPdu holds a PDU that decoded at construction")
    }

    /// The header.
    pub fn header(&self) -> Header {
        Header::decode(&self.bytes).expect("OwnedPdu holds at least a header")
    }

    /// The command_id.
    pub fn command_id(&self) -> CommandId {
        self.header().command_id
    }

    /// The sequence_number.
    pub fn sequence_number(&self) -> u32 {
        self.header().sequence_number
    }

    /// The command_status.
    pub fn command_status(&self) -> CommandStatus {
        self.header().command_status
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The encoded bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl std::fmt::Debug for OwnedPdu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.pdu().fmt(f)
    }
}
