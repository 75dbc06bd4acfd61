//! The PDU header (SMPP 3.4 §3.2), `command_id` and `command_status` codes,
//! and the streaming frame splitter.
//!
//! §3.2: "command_length … defines the total octet length of the SMPP PDU
//! packet including the length field"; every PDU starts with the 16-octet
//! header `command_length, command_id, command_status, sequence_number`.

use std::fmt;

use crate::error::{Error, Field};

/// Length of the PDU header.
pub const HEADER_LEN: usize = 16;

/// The largest `command_length` accepted unless configured otherwise (64 KiB).
pub const DEFAULT_MAX_COMMAND_LENGTH: u32 = 64 * 1024;

/// Implements named constants, `name`, `description`, `Debug` and `Display`
/// for a wire-code newtype.
macro_rules! codes {
    ($ty:ident : $inner:ty, $width:literal { $( $name:ident = $val:literal, $desc:literal; )* }) => {
        impl $ty {
            $(
                #[doc = $desc]
                pub const $name: Self = Self($val);
            )*

            /// The spec's name for this value, if it has one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some(stringify!($name)), )*
                    _ => None,
                }
            }

            /// The spec's description for this value, if it has one.
            pub fn description(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some($desc), )*
                    _ => None,
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({})", stringify!($ty), n),
                    None => write!(f, "{}({:#0w$x})", stringify!($ty), self.0, w = $width),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{:#0w$x}", self.0, w = $width),
                }
            }
        }

        impl From<$inner> for $ty {
            fn from(v: $inner) -> Self {
                Self(v)
            }
        }

        impl From<$ty> for $inner {
            fn from(v: $ty) -> Self {
                v.0
            }
        }
    };
}

/// `command_id` (SMPP 3.4 §5.1.2.1, table 5-1). Bit 31 set marks a response.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub u32);

codes!(CommandId: u32, 10 {
    GENERIC_NACK = 0x8000_0000, "generic_nack";
    BIND_RECEIVER = 0x0000_0001, "bind_receiver";
    BIND_RECEIVER_RESP = 0x8000_0001, "bind_receiver_resp";
    BIND_TRANSMITTER = 0x0000_0002, "bind_transmitter";
    BIND_TRANSMITTER_RESP = 0x8000_0002, "bind_transmitter_resp";
    QUERY_SM = 0x0000_0003, "query_sm";
    QUERY_SM_RESP = 0x8000_0003, "query_sm_resp";
    SUBMIT_SM = 0x0000_0004, "submit_sm";
    SUBMIT_SM_RESP = 0x8000_0004, "submit_sm_resp";
    DELIVER_SM = 0x0000_0005, "deliver_sm";
    DELIVER_SM_RESP = 0x8000_0005, "deliver_sm_resp";
    UNBIND = 0x0000_0006, "unbind";
    UNBIND_RESP = 0x8000_0006, "unbind_resp";
    REPLACE_SM = 0x0000_0007, "replace_sm";
    REPLACE_SM_RESP = 0x8000_0007, "replace_sm_resp";
    CANCEL_SM = 0x0000_0008, "cancel_sm";
    CANCEL_SM_RESP = 0x8000_0008, "cancel_sm_resp";
    BIND_TRANSCEIVER = 0x0000_0009, "bind_transceiver";
    BIND_TRANSCEIVER_RESP = 0x8000_0009, "bind_transceiver_resp";
    OUTBIND = 0x0000_000B, "outbind";
    ENQUIRE_LINK = 0x0000_0015, "enquire_link";
    ENQUIRE_LINK_RESP = 0x8000_0015, "enquire_link_resp";
    SUBMIT_MULTI = 0x0000_0021, "submit_multi";
    SUBMIT_MULTI_RESP = 0x8000_0021, "submit_multi_resp";
    ALERT_NOTIFICATION = 0x0000_0102, "alert_notification";
    DATA_SM = 0x0000_0103, "data_sm";
    DATA_SM_RESP = 0x8000_0103, "data_sm_resp";
});

impl CommandId {
    /// Bit 31: set on every response (§5.1.2.1).
    pub const RESPONSE_BIT: u32 = 0x8000_0000;

    /// Whether this is a response id (bit 31 set; `generic_nack` included).
    pub fn is_response(self) -> bool {
        self.0 & Self::RESPONSE_BIT != 0
    }

    /// Whether this id is one of SMPP 3.4.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }

    /// The response id for a known request that has a response; `None` for
    /// responses, `outbind`, `alert_notification` and unknown ids.
    pub fn response_id(self) -> Option<CommandId> {
        if self.is_response() || !self.is_known() {
            return None;
        }
        match self {
            CommandId::OUTBIND | CommandId::ALERT_NOTIFICATION => None,
            _ => Some(CommandId(self.0 | Self::RESPONSE_BIT)),
        }
    }

    /// The request id this response answers (`None` for requests and
    /// `generic_nack`).
    pub fn request_id(self) -> Option<CommandId> {
        if !self.is_response() || self == CommandId::GENERIC_NACK {
            return None;
        }
        Some(CommandId(self.0 & !Self::RESPONSE_BIT))
    }
}

/// `command_status` (SMPP 3.4 §5.1.3, table 5-2). Unknown values survive.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CommandStatus(pub u32);

codes!(CommandStatus: u32, 10 {
    ESME_ROK = 0x0000_0000, "No Error";
    ESME_RINVMSGLEN = 0x0000_0001, "Message Length is invalid";
    ESME_RINVCMDLEN = 0x0000_0002, "Command Length is invalid";
    ESME_RINVCMDID = 0x0000_0003, "Invalid Command ID";
    ESME_RINVBNDSTS = 0x0000_0004, "Incorrect BIND Status for given command";
    ESME_RALYBND = 0x0000_0005, "ESME Already in Bound State";
    ESME_RINVPRTFLG = 0x0000_0006, "Invalid Priority Flag";
    ESME_RINVREGDLVFLG = 0x0000_0007, "Invalid Registered Delivery Flag";
    ESME_RSYSERR = 0x0000_0008, "System Error";
    ESME_RINVSRCADR = 0x0000_000A, "Invalid Source Address";
    ESME_RINVDSTADR = 0x0000_000B, "Invalid Dest Addr";
    ESME_RINVMSGID = 0x0000_000C, "Message ID is invalid";
    ESME_RBINDFAIL = 0x0000_000D, "Bind Failed";
    ESME_RINVPASWD = 0x0000_000E, "Invalid Password";
    ESME_RINVSYSID = 0x0000_000F, "Invalid System ID";
    ESME_RCANCELFAIL = 0x0000_0011, "Cancel SM Failed";
    ESME_RREPLACEFAIL = 0x0000_0013, "Replace SM Failed";
    ESME_RMSGQFUL = 0x0000_0014, "Message Queue Full";
    ESME_RINVSERTYP = 0x0000_0015, "Invalid Service Type";
    ESME_RINVNUMDESTS = 0x0000_0033, "Invalid number of destinations";
    ESME_RINVDLNAME = 0x0000_0034, "Invalid Distribution List name";
    ESME_RINVDESTFLAG = 0x0000_0040, "Destination flag is invalid (submit_multi)";
    ESME_RINVSUBREP = 0x0000_0042, "Invalid 'submit with replace' request";
    ESME_RINVESMCLASS = 0x0000_0043, "Invalid esm_class field data";
    ESME_RCNTSUBDL = 0x0000_0044, "Cannot Submit to Distribution List";
    ESME_RSUBMITFAIL = 0x0000_0045, "submit_sm or submit_multi failed";
    ESME_RINVSRCTON = 0x0000_0048, "Invalid Source address TON";
    ESME_RINVSRCNPI = 0x0000_0049, "Invalid Source address NPI";
    ESME_RINVDSTTON = 0x0000_0050, "Invalid Destination address TON";
    ESME_RINVDSTNPI = 0x0000_0051, "Invalid Destination address NPI";
    ESME_RINVSYSTYP = 0x0000_0053, "Invalid system_type field";
    ESME_RINVREPFLAG = 0x0000_0054, "Invalid replace_if_present flag";
    ESME_RINVNUMMSGS = 0x0000_0055, "Invalid number of messages";
    ESME_RTHROTTLED = 0x0000_0058, "Throttling error (ESME has exceeded allowed message limits)";
    ESME_RINVSCHED = 0x0000_0061, "Invalid Scheduled Delivery Time";
    ESME_RINVEXPIRY = 0x0000_0062, "Invalid message validity period (Expiry time)";
    ESME_RINVDFTMSGID = 0x0000_0063, "Predefined Message Invalid or Not Found";
    ESME_RX_T_APPN = 0x0000_0064, "ESME Receiver Temporary App Error Code";
    ESME_RX_P_APPN = 0x0000_0065, "ESME Receiver Permanent App Error Code";
    ESME_RX_R_APPN = 0x0000_0066, "ESME Receiver Reject Message Error Code";
    ESME_RQUERYFAIL = 0x0000_0067, "query_sm request failed";
    ESME_RINVOPTPARSTREAM = 0x0000_00C0, "Error in the optional part of the PDU Body";
    ESME_ROPTPARNOTALLWD = 0x0000_00C1, "Optional Parameter not allowed";
    ESME_RINVPARLEN = 0x0000_00C2, "Invalid Parameter Length";
    ESME_RMISSINGOPTPARAM = 0x0000_00C3, "Expected Optional Parameter missing";
    ESME_RINVOPTPARAMVAL = 0x0000_00C4, "Invalid Optional Parameter Value";
    ESME_RDELIVERYFAILURE = 0x0000_00FE, "Delivery Failure (used for data_sm_resp)";
    ESME_RUNKNOWNERR = 0x0000_00FF, "Unknown Error";
});

impl CommandStatus {
    /// Whether this is `ESME_ROK`.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// Whether §5.1.3 reserves this value for SMSC vendors (0x400–0x4FF).
    pub fn is_vendor_specific(self) -> bool {
        (0x400..=0x4FF).contains(&self.0)
    }
}

/// The 16-octet PDU header (§3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Total PDU length including the header.
    pub command_length: u32,
    /// Which PDU this is.
    pub command_id: CommandId,
    /// Result of a request (0 in requests).
    pub command_status: CommandStatus,
    /// Matches a response to its request.
    pub sequence_number: u32,
}

impl Header {
    /// Reads the header from the first 16 bytes of `buf` (no length check
    /// beyond the 16 bytes: see [`peek_length`] for that).
    pub fn decode(buf: &[u8]) -> Result<Header, Error> {
        let word = |i: usize, field| {
            buf.get(i..i + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or(Error::Truncated {
                    offset: i.min(buf.len()),
                    field,
                })
        };
        Ok(Header {
            command_length: word(0, Field::CommandLength)?,
            command_id: CommandId(word(4, Field::CommandId)?),
            command_status: CommandStatus(word(8, Field::CommandStatus)?),
            sequence_number: word(12, Field::SequenceNumber)?,
        })
    }

    /// Appends the 16 header octets to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.command_length.to_be_bytes());
        out.extend_from_slice(&self.command_id.0.to_be_bytes());
        out.extend_from_slice(&self.command_status.0.to_be_bytes());
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
    }
}

/// Says whether `buf` starts with a whole PDU: `Ok(Some(len))` when the
/// first `len` bytes are one, `Ok(None)` when more bytes are needed, and
/// [`Error::InvalidCommandLength`] when `command_length` is below 16 or above
/// `max` (answer with `generic_nack`/`ESME_RINVCMDLEN` and close).
pub fn peek_length(buf: &[u8], max: u32) -> Result<Option<usize>, Error> {
    let Some(b) = buf.get(..4) else {
        return Ok(None);
    };
    let length = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if (length as usize) < HEADER_LEN || length > max {
        return Err(Error::InvalidCommandLength { length, max });
    }
    let length = length as usize;
    Ok((buf.len() >= length).then_some(length))
}

/// How many more bytes are needed before `buf` holds a whole PDU (0 if it
/// does), or the framing error.
pub fn bytes_needed(buf: &[u8], max: u32) -> Result<usize, Error> {
    match peek_length(buf, max)? {
        Some(_) => Ok(0),
        None if buf.len() < 4 => Ok(HEADER_LEN - buf.len()),
        None => {
            let b = &buf[..4];
            Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize - buf.len())
        }
    }
}

/// One whole PDU cut from a byte stream, not yet decoded past its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The decoded header.
    pub header: Header,
    /// All `command_length` bytes of the PDU, header included.
    pub bytes: &'a [u8],
}

impl<'a> Frame<'a> {
    /// The frame's length (bytes to drop from the stream buffer).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a frame holds at least a header.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Decodes the body. On error, [`Error::rejection`] with
    /// [`Frame::header`] says what to answer; the stream stays in step.
    pub fn decode(&self) -> Result<crate::Pdu<'a>, Error> {
        crate::Pdu::decode(self.bytes)
    }
}

/// Splits a byte stream into PDUs, with a configurable length limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameDecoder {
    max_command_length: u32,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A splitter with the default limit of [`DEFAULT_MAX_COMMAND_LENGTH`].
    pub fn new() -> Self {
        FrameDecoder {
            max_command_length: DEFAULT_MAX_COMMAND_LENGTH,
        }
    }

    /// A splitter that rejects PDUs longer than `max` (at least 16).
    pub fn with_max_command_length(max: u32) -> Self {
        FrameDecoder {
            max_command_length: max.max(HEADER_LEN as u32),
        }
    }

    /// The configured limit.
    pub fn max_command_length(&self) -> u32 {
        self.max_command_length
    }

    /// See [`peek_length`].
    pub fn peek_length(&self, buf: &[u8]) -> Result<Option<usize>, Error> {
        peek_length(buf, self.max_command_length)
    }

    /// Cuts the first whole PDU off `buf`: `Ok(None)` if more bytes are
    /// needed. Errors are framing errors only (always fatal).
    pub fn next_frame<'a>(&self, buf: &'a [u8]) -> Result<Option<Frame<'a>>, Error> {
        let Some(len) = self.peek_length(buf)? else {
            return Ok(None);
        };
        let bytes = &buf[..len];
        let header = Header::decode(bytes)?;
        Ok(Some(Frame { header, bytes }))
    }
}
