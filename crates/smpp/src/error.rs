//! Decoding and encoding errors, and how a decoding error maps onto the wire.
//!
//! SMPP 3.4 §5.1.3 gives a `command_status` for most ways a PDU can be wrong;
//! [`Error::command_status`] picks it, and [`Error::rejection`] says which
//! PDU (a `*_resp` of the offending request, or `generic_nack`) carries it.

use std::fmt;

use crate::header::{CommandId, CommandStatus, Header};
use crate::tlv::TlvTag;

/// The PDU field being read or written when something went wrong.
///
/// Names are the SMPP 3.4 field names (`Display` prints them as in the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Field {
    CommandLength,
    CommandId,
    CommandStatus,
    SequenceNumber,
    SystemId,
    Password,
    SystemType,
    InterfaceVersion,
    AddrTon,
    AddrNpi,
    AddressRange,
    ServiceType,
    SourceAddrTon,
    SourceAddrNpi,
    SourceAddr,
    DestAddrTon,
    DestAddrNpi,
    DestinationAddr,
    EsmClass,
    ProtocolId,
    PriorityFlag,
    ScheduleDeliveryTime,
    ValidityPeriod,
    RegisteredDelivery,
    ReplaceIfPresentFlag,
    DataCoding,
    SmDefaultMsgId,
    SmLength,
    ShortMessage,
    MessageId,
    NumberOfDests,
    DestFlag,
    DlName,
    NoUnsuccess,
    ErrorStatusCode,
    FinalDate,
    MessageState,
    ErrorCode,
    EsmeAddrTon,
    EsmeAddrNpi,
    EsmeAddr,
    TlvTag,
    TlvLength,
    TlvValue,
}

impl Field {
    /// The field's name as written in SMPP 3.4.
    pub fn name(self) -> &'static str {
        use Field::*;
        match self {
            CommandLength => "command_length",
            CommandId => "command_id",
            CommandStatus => "command_status",
            SequenceNumber => "sequence_number",
            SystemId => "system_id",
            Password => "password",
            SystemType => "system_type",
            InterfaceVersion => "interface_version",
            AddrTon => "addr_ton",
            AddrNpi => "addr_npi",
            AddressRange => "address_range",
            ServiceType => "service_type",
            SourceAddrTon => "source_addr_ton",
            SourceAddrNpi => "source_addr_npi",
            SourceAddr => "source_addr",
            DestAddrTon => "dest_addr_ton",
            DestAddrNpi => "dest_addr_npi",
            DestinationAddr => "destination_addr",
            EsmClass => "esm_class",
            ProtocolId => "protocol_id",
            PriorityFlag => "priority_flag",
            ScheduleDeliveryTime => "schedule_delivery_time",
            ValidityPeriod => "validity_period",
            RegisteredDelivery => "registered_delivery",
            ReplaceIfPresentFlag => "replace_if_present_flag",
            DataCoding => "data_coding",
            SmDefaultMsgId => "sm_default_msg_id",
            SmLength => "sm_length",
            ShortMessage => "short_message",
            MessageId => "message_id",
            NumberOfDests => "number_of_dests",
            DestFlag => "dest_flag",
            DlName => "dl_name",
            NoUnsuccess => "no_unsuccess",
            ErrorStatusCode => "error_status_code",
            FinalDate => "final_date",
            MessageState => "message_state",
            ErrorCode => "error_code",
            EsmeAddrTon => "esme_addr_ton",
            EsmeAddrNpi => "esme_addr_npi",
            EsmeAddr => "esme_addr",
            TlvTag => "parameter_tag",
            TlvLength => "length",
            TlvValue => "value",
        }
    }

    /// The field-specific `command_status` for a bad value of this field
    /// (SMPP 3.4 §5.1.3), or `None` where the spec has no specific code.
    pub fn status(self) -> Option<CommandStatus> {
        use crate::header::CommandStatus as St;
        use Field::*;
        Some(match self {
            SystemId => St::ESME_RINVSYSID,
            Password => St::ESME_RINVPASWD,
            SystemType => St::ESME_RINVSYSTYP,
            ServiceType => St::ESME_RINVSERTYP,
            SourceAddr => St::ESME_RINVSRCADR,
            SourceAddrTon => St::ESME_RINVSRCTON,
            SourceAddrNpi => St::ESME_RINVSRCNPI,
            DestinationAddr => St::ESME_RINVDSTADR,
            DestAddrTon => St::ESME_RINVDSTTON,
            DestAddrNpi => St::ESME_RINVDSTNPI,
            EsmClass => St::ESME_RINVESMCLASS,
            PriorityFlag => St::ESME_RINVPRTFLG,
            RegisteredDelivery => St::ESME_RINVREGDLVFLG,
            ReplaceIfPresentFlag => St::ESME_RINVREPFLAG,
            ScheduleDeliveryTime => St::ESME_RINVSCHED,
            ValidityPeriod => St::ESME_RINVEXPIRY,
            SmDefaultMsgId => St::ESME_RINVDFTMSGID,
            SmLength | ShortMessage => St::ESME_RINVMSGLEN,
            MessageId => St::ESME_RINVMSGID,
            NumberOfDests => St::ESME_RINVNUMDESTS,
            DestFlag => St::ESME_RINVDESTFLAG,
            DlName => St::ESME_RINVDLNAME,
            CommandLength => St::ESME_RINVCMDLEN,
            CommandId => St::ESME_RINVCMDID,
            _ => return None,
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a PDU could not be decoded. Offsets count from the first byte of the
/// PDU (the first byte of `command_length`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The PDU ended inside `field`.
    #[error("PDU truncated at offset {offset} reading {field}")]
    Truncated {
        /// Offset where the missing bytes should have been.
        offset: usize,
        /// Field being read.
        field: Field,
    },
    /// `command_length` is below 16 or above the configured maximum. The
    /// byte stream can no longer be split into PDUs: the session must end.
    #[error("command_length {length} outside 16..={max}")]
    InvalidCommandLength {
        /// The length the peer claimed.
        length: u32,
        /// The largest length accepted.
        max: u32,
    },
    /// The buffer handed to a whole-PDU decoder is not `command_length` long.
    #[error("command_length {command_length} but {available} bytes given")]
    LengthMismatch {
        /// The length in the header.
        command_length: u32,
        /// The bytes given.
        available: usize,
    },
    /// The command_id is not one of SMPP 3.4.
    #[error("unknown command_id {command_id}")]
    UnknownCommandId {
        /// The value received.
        command_id: CommandId,
    },
    /// A C-Octet string has no terminating NUL within its maximum size.
    #[error("{field} at offset {offset} longer than {max} octets (NUL included)")]
    FieldTooLong {
        /// Start of the field.
        offset: usize,
        /// Field being read.
        field: Field,
        /// Maximum size including the NUL.
        max: usize,
    },
    /// A time field is neither empty nor a valid `YYMMDDhhmmsstnnp` string.
    #[error("{field} at offset {offset} is not an SMPP time")]
    InvalidTime {
        /// Start of the field.
        offset: usize,
        /// Field being read.
        field: Field,
    },
    /// A field has a value the spec does not allow (e.g. sm_length > 254).
    #[error("{field} at offset {offset} has invalid value {value:#x}")]
    InvalidValue {
        /// Start of the field.
        offset: usize,
        /// Field being read.
        field: Field,
        /// The value read.
        value: u32,
    },
    /// Fewer than 4 bytes, or fewer than the TLV's length, remain for a TLV.
    #[error("optional parameter stream truncated at offset {offset}")]
    TlvTruncated {
        /// Start of the TLV.
        offset: usize,
    },
    /// A known TLV has a length the spec does not allow.
    #[error("optional parameter {tag} at offset {offset} has invalid length {length}")]
    TlvLength {
        /// Start of the TLV.
        offset: usize,
        /// The TLV's tag.
        tag: TlvTag,
        /// The length it claimed.
        length: u16,
    },
    /// Bytes remain after the last field of a PDU that takes no TLVs.
    #[error("{count} unexpected bytes at offset {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
        /// How many bytes are left over.
        count: usize,
    },
}

impl Error {
    /// The `command_status` the peer should get for this error
    /// (SMPP 3.4 §5.1.3): field-specific where the spec has a code.
    pub fn command_status(&self) -> CommandStatus {
        match self {
            Error::Truncated { field, .. } => match field {
                Field::SmLength | Field::ShortMessage => CommandStatus::ESME_RINVMSGLEN,
                _ => CommandStatus::ESME_RINVCMDLEN,
            },
            Error::InvalidCommandLength { .. }
            | Error::LengthMismatch { .. }
            | Error::TrailingBytes { .. } => CommandStatus::ESME_RINVCMDLEN,
            Error::UnknownCommandId { .. } => CommandStatus::ESME_RINVCMDID,
            Error::FieldTooLong { field, .. } => {
                field.status().unwrap_or(CommandStatus::ESME_RINVPARLEN)
            }
            Error::InvalidTime { field, .. } | Error::InvalidValue { field, .. } => {
                field.status().unwrap_or(CommandStatus::ESME_RINVPARLEN)
            }
            Error::TlvTruncated { .. } => CommandStatus::ESME_RINVOPTPARSTREAM,
            Error::TlvLength { .. } => CommandStatus::ESME_RINVPARLEN,
        }
    }

    /// Whether the byte stream is lost after this error (the PDU boundary is
    /// unknown), so the session must close after sending the rejection.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Error::InvalidCommandLength { .. })
    }

    /// Which PDU answers a PDU with this `header` that failed with this
    /// error: the request's `*_resp` (command_id with bit 31 set) when the
    /// request has one and the command_id is known, otherwise `generic_nack`.
    /// `None` when the offending PDU is itself a `generic_nack` (never answer
    /// a nack with a nack).
    pub fn rejection(&self, header: &Header) -> Option<Rejection> {
        if header.command_id == CommandId::GENERIC_NACK {
            return None;
        }
        let command_id = match self {
            Error::InvalidCommandLength { .. } | Error::UnknownCommandId { .. } => {
                CommandId::GENERIC_NACK
            }
            _ => header
                .command_id
                .response_id()
                .unwrap_or(CommandId::GENERIC_NACK),
        };
        Some(Rejection {
            command_id,
            command_status: self.command_status(),
            sequence_number: header.sequence_number,
        })
    }
}

/// A body-less response PDU that rejects a request: `generic_nack` or a
/// `*_resp` with an error status (SMPP 3.4 §4.3, and e.g. §4.4.2: "the
/// submit_sm_resp PDU Body is not returned if the command_status field
/// contains a non-zero value").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// `generic_nack` or the request's response id.
    pub command_id: CommandId,
    /// The error status.
    pub command_status: CommandStatus,
    /// The offending PDU's sequence number.
    pub sequence_number: u32,
}

impl Rejection {
    /// Appends the 16-byte response PDU to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        Header {
            command_length: 16,
            command_id: self.command_id,
            command_status: self.command_status,
            sequence_number: self.sequence_number,
        }
        .encode(out);
    }

    /// Whether the answer is a `generic_nack` (rather than a `*_resp`).
    pub fn is_generic_nack(&self) -> bool {
        self.command_id == CommandId::GENERIC_NACK
    }
}

/// Why a value could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A C-Octet string or octet string is longer than the spec allows.
    #[error("{field} is {len} octets, at most {max} allowed")]
    FieldTooLong {
        /// Field being written.
        field: Field,
        /// Its length.
        len: usize,
        /// The most allowed (without the NUL for C-Octet strings).
        max: usize,
    },
    /// A C-Octet string contains a NUL octet.
    #[error("{field} contains a NUL octet")]
    InteriorNul {
        /// Field being written.
        field: Field,
    },
    /// A list (destinations, unsuccessful SMEs) has too many entries.
    #[error("{field}: {count} entries, at most {max} allowed")]
    TooMany {
        /// The count field.
        field: Field,
        /// Entries given.
        count: usize,
        /// Most allowed.
        max: usize,
    },
    /// A TLV's value is longer than 65535 octets, or has a length §5.3.2
    /// does not allow for its tag.
    #[error("optional parameter {tag} cannot have a {len}-octet value")]
    TlvLength {
        /// The TLV's tag.
        tag: TlvTag,
        /// Its length.
        len: usize,
    },
}
