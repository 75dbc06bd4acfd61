//! MMS header fields (OMA-TS-MMS_ENC-V1_3 §7.3, assigned numbers §7.4): one
//! typed variant per field of versions 1.0 to 1.3, plus binary fields this
//! crate does not know and textual (application) headers, both kept as sent.

use std::borrow::Cow;
use std::fmt;

use ferry_wsp::charset::decode_unlabelled;
use ferry_wsp::encode::{
    put_integer_value, put_long_integer, put_short_integer, put_text_string, put_token_text,
    put_with_value_length,
};
use ferry_wsp::time::format_rfc3339;
use ferry_wsp::{ContentType, DecodeError, EncodedString, ErrorKind, Reader};

use crate::address::Address;
use crate::codes::{
    BoxCountKind, CancelStatus, ClassToken, ContentClass, FlagsToken, MessageType, MmState,
    Priority, ReadStatus, ReplyCharging, ResponseStatus, RetrievalMode, RetrieveStatus,
    SenderVisibility, Status, StoreStatus, Version, YesNo,
};

/// Assigned field numbers (§7.4, Table 25 of 1.3), without the high bit.
pub mod field {
    macro_rules! fields {
        ($( $konst:ident = $val:expr, $name:expr; )*) => {
            $( #[doc = concat!("`", $name, "`")] pub const $konst: u8 = $val; )*
            /// The specification's field name for an assigned number.
            pub fn name(code: u8) -> Option<&'static str> {
                match code { $( $val => Some($name), )* _ => None }
            }
            /// The assigned number of a field name (ASCII case-insensitive).
            pub fn code_of(name: &str) -> Option<u8> {
                [$( ($val, $name), )*].iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(c, _)| *c)
            }
        };
    }
    fields! {
        BCC = 0x01, "Bcc";
        CC = 0x02, "Cc";
        CONTENT_LOCATION = 0x03, "X-Mms-Content-Location";
        CONTENT_TYPE = 0x04, "Content-Type";
        DATE = 0x05, "Date";
        DELIVERY_REPORT = 0x06, "X-Mms-Delivery-Report";
        DELIVERY_TIME = 0x07, "X-Mms-Delivery-Time";
        EXPIRY = 0x08, "X-Mms-Expiry";
        FROM = 0x09, "From";
        MESSAGE_CLASS = 0x0A, "X-Mms-Message-Class";
        MESSAGE_ID = 0x0B, "Message-ID";
        MESSAGE_TYPE = 0x0C, "X-Mms-Message-Type";
        MMS_VERSION = 0x0D, "X-Mms-MMS-Version";
        MESSAGE_SIZE = 0x0E, "X-Mms-Message-Size";
        PRIORITY = 0x0F, "X-Mms-Priority";
        READ_REPORT = 0x10, "X-Mms-Read-Report";
        REPORT_ALLOWED = 0x11, "X-Mms-Report-Allowed";
        RESPONSE_STATUS = 0x12, "X-Mms-Response-Status";
        RESPONSE_TEXT = 0x13, "X-Mms-Response-Text";
        SENDER_VISIBILITY = 0x14, "X-Mms-Sender-Visibility";
        STATUS = 0x15, "X-Mms-Status";
        SUBJECT = 0x16, "Subject";
        TO = 0x17, "To";
        TRANSACTION_ID = 0x18, "X-Mms-Transaction-ID";
        RETRIEVE_STATUS = 0x19, "X-Mms-Retrieve-Status";
        RETRIEVE_TEXT = 0x1A, "X-Mms-Retrieve-Text";
        READ_STATUS = 0x1B, "X-Mms-Read-Status";
        REPLY_CHARGING = 0x1C, "X-Mms-Reply-Charging";
        REPLY_CHARGING_DEADLINE = 0x1D, "X-Mms-Reply-Charging-Deadline";
        REPLY_CHARGING_ID = 0x1E, "X-Mms-Reply-Charging-ID";
        REPLY_CHARGING_SIZE = 0x1F, "X-Mms-Reply-Charging-Size";
        PREVIOUSLY_SENT_BY = 0x20, "X-Mms-Previously-Sent-By";
        PREVIOUSLY_SENT_DATE = 0x21, "X-Mms-Previously-Sent-Date";
        STORE = 0x22, "X-Mms-Store";
        MM_STATE = 0x23, "X-Mms-MM-State";
        MM_FLAGS = 0x24, "X-Mms-MM-Flags";
        STORE_STATUS = 0x25, "X-Mms-Store-Status";
        STORE_STATUS_TEXT = 0x26, "X-Mms-Store-Status-Text";
        STORED = 0x27, "X-Mms-Stored";
        ATTRIBUTES = 0x28, "X-Mms-Attributes";
        TOTALS = 0x29, "X-Mms-Totals";
        MBOX_TOTALS = 0x2A, "X-Mms-Mbox-Totals";
        QUOTAS = 0x2B, "X-Mms-Quotas";
        MBOX_QUOTAS = 0x2C, "X-Mms-Mbox-Quotas";
        MESSAGE_COUNT = 0x2D, "X-Mms-Message-Count";
        CONTENT = 0x2E, "Content";
        START = 0x2F, "X-Mms-Start";
        ADDITIONAL_HEADERS = 0x30, "Additional-headers";
        DISTRIBUTION_INDICATOR = 0x31, "X-Mms-Distribution-Indicator";
        ELEMENT_DESCRIPTOR = 0x32, "X-Mms-Element-Descriptor";
        LIMIT = 0x33, "X-Mms-Limit";
        RECOMMENDED_RETRIEVAL_MODE = 0x34, "X-Mms-Recommended-Retrieval-Mode";
        RECOMMENDED_RETRIEVAL_MODE_TEXT = 0x35, "X-Mms-Recommended-Retrieval-Mode-Text";
        STATUS_TEXT = 0x36, "X-Mms-Status-Text";
        APPLIC_ID = 0x37, "X-Mms-Applic-ID";
        REPLY_APPLIC_ID = 0x38, "X-Mms-Reply-Applic-ID";
        AUX_APPLIC_INFO = 0x39, "X-Mms-Aux-Applic-Info";
        CONTENT_CLASS = 0x3A, "X-Mms-Content-Class";
        DRM_CONTENT = 0x3B, "X-Mms-DRM-Content";
        ADAPTATION_ALLOWED = 0x3C, "X-Mms-Adaptation-Allowed";
        REPLACE_ID = 0x3D, "X-Mms-Replace-ID";
        CANCEL_ID = 0x3E, "X-Mms-Cancel-ID";
        CANCEL_STATUS = 0x3F, "X-Mms-Cancel-Status";
    }
}

/// A point in time given absolutely or relative to now (Expiry,
/// Delivery-Time, Reply-Charging-Deadline: `Value-length (Absolute-token
/// Date-value | Relative-token Delta-seconds-value)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeValue {
    /// Seconds since 1970-01-01T00:00:00Z (token 0x80).
    Absolute(u64),
    /// Seconds from now (token 0x81).
    Relative(u64),
}

impl fmt::Display for TimeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeValue::Absolute(t) => f.write_str(&format_rfc3339(*t)),
            TimeValue::Relative(s) => write!(f, "+{s}s"),
        }
    }
}

/// The value of `From`: an address, or the Insert-address-token asking the
/// MMS Proxy-Relay to fill in the sender's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FromValue<'a> {
    /// Address-present-token (0x80) and the address.
    Address(Address<'a>),
    /// Insert-address-token (0x81).
    Insert,
}

impl FromValue<'_> {
    /// The address, if one is present.
    pub fn address(&self) -> Option<&Address<'_>> {
        match self {
            FromValue::Address(a) => Some(a),
            FromValue::Insert => None,
        }
    }
}

impl fmt::Display for FromValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FromValue::Address(a) => fmt::Display::fmt(a, f),
            FromValue::Insert => f.write_str("insert-address-token"),
        }
    }
}

/// `X-Mms-Message-Class`: a Class-identifier token or Token-text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageClass<'a> {
    /// A class token (personal, advertisement, informational, auto, or an
    /// unassigned octet).
    Token(ClassToken),
    /// A class given as text that names no token.
    Text(Cow<'a, str>),
}

impl MessageClass<'_> {
    /// Personal.
    pub const PERSONAL: MessageClass<'static> = MessageClass::Token(ClassToken::PERSONAL);
}

impl fmt::Display for MessageClass<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageClass::Token(t) => fmt::Display::fmt(t, f),
            MessageClass::Text(t) => f.write_str(t),
        }
    }
}

/// One MMS header, in the order it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Header<'a> {
    /// `Bcc` (0x01), one address per header.
    Bcc(Address<'a>),
    /// `Cc` (0x02).
    Cc(Address<'a>),
    /// `X-Mms-Content-Location` (0x03). `index` is the Status-count-value of
    /// the M-Mbox-Delete.conf / M-Delete.conf form.
    ContentLocation {
        /// Which request entry this answers (delete confirmations only).
        index: Option<u64>,
        /// The URI.
        uri: Cow<'a, str>,
    },
    /// `Content-Type` (0x04): always the last header; the body follows.
    ContentType(ContentType<'a>),
    /// `Date` (0x05), seconds since the epoch.
    Date(u64),
    /// `X-Mms-Delivery-Report` (0x06).
    DeliveryReport(YesNo),
    /// `X-Mms-Delivery-Time` (0x07).
    DeliveryTime(TimeValue),
    /// `X-Mms-Expiry` (0x08).
    Expiry(TimeValue),
    /// `From` (0x09).
    From(FromValue<'a>),
    /// `X-Mms-Message-Class` (0x0A).
    MessageClass(MessageClass<'a>),
    /// `Message-ID` (0x0B).
    MessageId(Cow<'a, str>),
    /// `X-Mms-Message-Type` (0x0C).
    MessageType(MessageType),
    /// `X-Mms-MMS-Version` (0x0D).
    MmsVersion(Version),
    /// `X-Mms-Message-Size` (0x0E), octets.
    MessageSize(u64),
    /// `X-Mms-Priority` (0x0F).
    Priority(Priority),
    /// `X-Mms-Read-Report` (0x10).
    ReadReport(YesNo),
    /// `X-Mms-Report-Allowed` (0x11).
    ReportAllowed(YesNo),
    /// `X-Mms-Response-Status` (0x12); `index` as for ContentLocation.
    ResponseStatus {
        /// Which request entry this answers (delete confirmations only).
        index: Option<u64>,
        /// The status.
        status: ResponseStatus,
    },
    /// `X-Mms-Response-Text` (0x13); `index` as for ContentLocation.
    ResponseText {
        /// Which request entry this answers (delete confirmations only).
        index: Option<u64>,
        /// The text.
        text: EncodedString<'a>,
    },
    /// `X-Mms-Sender-Visibility` (0x14).
    SenderVisibility(SenderVisibility),
    /// `X-Mms-Status` (0x15).
    Status(Status),
    /// `Subject` (0x16).
    Subject(EncodedString<'a>),
    /// `To` (0x17), one address per header.
    To(Address<'a>),
    /// `X-Mms-Transaction-ID` (0x18).
    TransactionId(Cow<'a, str>),
    /// `X-Mms-Retrieve-Status` (0x19).
    RetrieveStatus(RetrieveStatus),
    /// `X-Mms-Retrieve-Text` (0x1A).
    RetrieveText(EncodedString<'a>),
    /// `X-Mms-Read-Status` (0x1B).
    ReadStatus(ReadStatus),
    /// `X-Mms-Reply-Charging` (0x1C).
    ReplyCharging(ReplyCharging),
    /// `X-Mms-Reply-Charging-Deadline` (0x1D).
    ReplyChargingDeadline(TimeValue),
    /// `X-Mms-Reply-Charging-ID` (0x1E).
    ReplyChargingId(Cow<'a, str>),
    /// `X-Mms-Reply-Charging-Size` (0x1F), octets.
    ReplyChargingSize(u64),
    /// `X-Mms-Previously-Sent-By` (0x20).
    PreviouslySentBy {
        /// Forwarded-count-value: which forwarding this was.
        count: u64,
        /// Who forwarded it.
        address: Address<'a>,
    },
    /// `X-Mms-Previously-Sent-Date` (0x21).
    PreviouslySentDate {
        /// Forwarded-count-value.
        count: u64,
        /// When, seconds since the epoch.
        date: u64,
    },
    /// `X-Mms-Store` (0x22).
    Store(YesNo),
    /// `X-Mms-MM-State` (0x23).
    MmState(MmState),
    /// `X-Mms-MM-Flags` (0x24).
    MmFlags {
        /// Add, remove or filter.
        token: FlagsToken,
        /// The keyword.
        flag: EncodedString<'a>,
    },
    /// `X-Mms-Store-Status` (0x25).
    StoreStatus(StoreStatus),
    /// `X-Mms-Store-Status-Text` (0x26).
    StoreStatusText(EncodedString<'a>),
    /// `X-Mms-Stored` (0x27).
    Stored(YesNo),
    /// `X-Mms-Attributes` (0x28): the number of a field to report.
    Attributes(u8),
    /// `X-Mms-Totals` (0x29).
    Totals(YesNo),
    /// `X-Mms-Mbox-Totals` (0x2A).
    MboxTotals {
        /// Messages or size.
        kind: BoxCountKind,
        /// The total.
        value: u64,
    },
    /// `X-Mms-Quotas` (0x2B).
    Quotas(YesNo),
    /// `X-Mms-Mbox-Quotas` (0x2C).
    MboxQuotas {
        /// Messages or size.
        kind: BoxCountKind,
        /// The quota.
        value: u64,
    },
    /// `X-Mms-Message-Count` (0x2D).
    MessageCount(u64),
    /// `X-Mms-Start` (0x2F).
    Start(u64),
    /// `X-Mms-Distribution-Indicator` (0x31).
    DistributionIndicator(YesNo),
    /// `X-Mms-Element-Descriptor` (0x32): a content reference and its
    /// parameters (kept encoded).
    ElementDescriptor {
        /// Content-Reference-value.
        reference: Cow<'a, str>,
        /// The encoded parameters that follow it.
        params: Cow<'a, [u8]>,
    },
    /// `X-Mms-Limit` (0x33).
    Limit(u64),
    /// `X-Mms-Recommended-Retrieval-Mode` (0x34).
    RecommendedRetrievalMode(RetrievalMode),
    /// `X-Mms-Recommended-Retrieval-Mode-Text` (0x35).
    RecommendedRetrievalModeText(EncodedString<'a>),
    /// `X-Mms-Status-Text` (0x36).
    StatusText(EncodedString<'a>),
    /// `X-Mms-Applic-ID` (0x37).
    ApplicId(Cow<'a, str>),
    /// `X-Mms-Reply-Applic-ID` (0x38).
    ReplyApplicId(Cow<'a, str>),
    /// `X-Mms-Aux-Applic-Info` (0x39).
    AuxApplicInfo(Cow<'a, str>),
    /// `X-Mms-Content-Class` (0x3A).
    ContentClass(ContentClass),
    /// `X-Mms-DRM-Content` (0x3B).
    DrmContent(YesNo),
    /// `X-Mms-Adaptation-Allowed` (0x3C).
    AdaptationAllowed(YesNo),
    /// `X-Mms-Replace-ID` (0x3D).
    ReplaceId(Cow<'a, str>),
    /// `X-Mms-Cancel-ID` (0x3E).
    CancelId(Cow<'a, str>),
    /// `X-Mms-Cancel-Status` (0x3F).
    CancelStatus(CancelStatus),
    /// A binary field this crate does not type (an unassigned number, the
    /// `Content` and `Additional-headers` numbers, or a known field whose
    /// value does not follow its grammar): the number and the encoded value.
    Unknown {
        /// The field number without the high bit.
        code: u8,
        /// The encoded value, as sent.
        raw: Cow<'a, [u8]>,
    },
    /// A textual header (`Application-header`: Token-text Text-string).
    Extension {
        /// Field name as sent.
        name: Cow<'a, str>,
        /// Value.
        value: Cow<'a, str>,
    },
    /// A textual header name followed by a binary value (kept encoded).
    ExtensionRaw {
        /// Field name as sent.
        name: Cow<'a, str>,
        /// The encoded value, as sent.
        raw: Cow<'a, [u8]>,
    },
}

fn text<'a>(r: &mut Reader<'a>, f: &'static str) -> Result<Cow<'a, str>, DecodeError> {
    Ok(decode_unlabelled(r.text_string(f)?))
}

fn octet(r: &mut Reader<'_>, f: &'static str) -> Result<u8, DecodeError> {
    let at = r.offset();
    let b = r.u8(f)?;
    if b < 0x80 {
        return Err(DecodeError::new(
            at,
            f,
            ErrorKind::Unexpected {
                found: b,
                expected: "a token octet (0x80..=0xFF)",
            },
        ));
    }
    Ok(b)
}

fn time_value(r: &mut Reader<'_>, f: &'static str) -> Result<TimeValue, DecodeError> {
    let mut v = r.value_length_sub(f)?;
    let at = v.offset();
    match v.u8(f)? {
        0x80 => Ok(TimeValue::Absolute(v.integer_value(f)?)),
        0x81 => Ok(TimeValue::Relative(v.integer_value(f)?)),
        b => Err(DecodeError::new(
            at,
            f,
            ErrorKind::Unexpected {
                found: b,
                expected: "Absolute-token (0x80) or Relative-token (0x81)",
            },
        )),
    }
}

fn from_value<'a>(r: &mut Reader<'a>, f: &'static str) -> Result<FromValue<'a>, DecodeError> {
    match r.peek() {
        Some(1..=31) => {
            let mut v = r.value_length_sub(f)?;
            let at = v.offset();
            match v.u8(f)? {
                0x80 => Ok(FromValue::Address(Address {
                    raw: EncodedString::decode(&mut v, f)?,
                })),
                0x81 => Ok(FromValue::Insert),
                b => Err(DecodeError::new(
                    at,
                    f,
                    ErrorKind::Unexpected {
                        found: b,
                        expected: "Address-present-token (0x80) or Insert-address-token (0x81)",
                    },
                )),
            }
        }
        // Without the Value-length, as a few senders write it.
        Some(0x81) => {
            r.u8(f)?;
            Ok(FromValue::Insert)
        }
        _ => Ok(FromValue::Address(Address {
            raw: EncodedString::decode(r, f)?,
        })),
    }
}

fn count_kind(v: &mut Reader<'_>, f: &'static str) -> Result<(BoxCountKind, u64), DecodeError> {
    let kind = BoxCountKind(octet(v, f)?);
    Ok((kind, v.integer_value(f)?))
}

impl<'a> Header<'a> {
    /// Decodes the value of field `code` (the header's name octet already
    /// read). `del_form`: the PDU is an M-Mbox-Delete.conf or M-Delete.conf,
    /// whose Content-Location, Response-Status and Response-Text carry an index.
    pub fn decode_value(code: u8, r: &mut Reader<'a>, del_form: bool) -> Result<Self, DecodeError> {
        use field::*;
        let f = field::name(code).unwrap_or("unknown header");
        Ok(match code {
            BCC => Header::Bcc(Address {
                raw: EncodedString::decode(r, f)?,
            }),
            CC => Header::Cc(Address {
                raw: EncodedString::decode(r, f)?,
            }),
            TO => Header::To(Address {
                raw: EncodedString::decode(r, f)?,
            }),
            CONTENT_LOCATION if del_form && matches!(r.peek(), Some(1..=31)) => {
                let mut v = r.value_length_sub(f)?;
                let index = v.integer_value(f)?;
                Header::ContentLocation {
                    index: Some(index),
                    uri: text(&mut v, f)?,
                }
            }
            CONTENT_LOCATION => Header::ContentLocation {
                index: None,
                uri: text(r, f)?,
            },
            CONTENT_TYPE => Header::ContentType(ContentType::decode(r, f)?),
            DATE => Header::Date(r.integer_value(f)?),
            DELIVERY_REPORT => Header::DeliveryReport(YesNo(octet(r, f)?)),
            DELIVERY_TIME => Header::DeliveryTime(time_value(r, f)?),
            EXPIRY => Header::Expiry(time_value(r, f)?),
            FROM => Header::From(from_value(r, f)?),
            MESSAGE_CLASS => match r.peek() {
                Some(0x80..=0xFF) => {
                    Header::MessageClass(MessageClass::Token(ClassToken(octet(r, f)?)))
                }
                _ => {
                    let t = text(r, f)?;
                    match ClassToken::from_name(&t) {
                        Some(tok) => Header::MessageClass(MessageClass::Token(tok)),
                        None => Header::MessageClass(MessageClass::Text(t)),
                    }
                }
            },
            MESSAGE_ID => Header::MessageId(text(r, f)?),
            MESSAGE_TYPE => Header::MessageType(MessageType(octet(r, f)?)),
            MMS_VERSION => Header::MmsVersion(Version(r.short_integer(f)?)),
            MESSAGE_SIZE => Header::MessageSize(r.integer_value(f)?),
            PRIORITY => Header::Priority(Priority(octet(r, f)?)),
            READ_REPORT => Header::ReadReport(YesNo(octet(r, f)?)),
            REPORT_ALLOWED => Header::ReportAllowed(YesNo(octet(r, f)?)),
            RESPONSE_STATUS if del_form && matches!(r.peek(), Some(1..=31)) => {
                let mut v = r.value_length_sub(f)?;
                let index = v.integer_value(f)?;
                Header::ResponseStatus {
                    index: Some(index),
                    status: ResponseStatus(octet(&mut v, f)?),
                }
            }
            RESPONSE_STATUS => Header::ResponseStatus {
                index: None,
                status: ResponseStatus(octet(r, f)?),
            },
            RESPONSE_TEXT if del_form && matches!(r.peek(), Some(1..=31)) => {
                let mut v = r.value_length_sub(f)?;
                let index = v.integer_value(f)?;
                Header::ResponseText {
                    index: Some(index),
                    text: EncodedString::decode(&mut v, f)?,
                }
            }
            RESPONSE_TEXT => Header::ResponseText {
                index: None,
                text: EncodedString::decode(r, f)?,
            },
            SENDER_VISIBILITY => Header::SenderVisibility(SenderVisibility(octet(r, f)?)),
            STATUS => Header::Status(Status(octet(r, f)?)),
            SUBJECT => Header::Subject(EncodedString::decode(r, f)?),
            TRANSACTION_ID => Header::TransactionId(text(r, f)?),
            RETRIEVE_STATUS => Header::RetrieveStatus(RetrieveStatus(octet(r, f)?)),
            RETRIEVE_TEXT => Header::RetrieveText(EncodedString::decode(r, f)?),
            READ_STATUS => Header::ReadStatus(ReadStatus(octet(r, f)?)),
            REPLY_CHARGING => Header::ReplyCharging(ReplyCharging(octet(r, f)?)),
            REPLY_CHARGING_DEADLINE => Header::ReplyChargingDeadline(time_value(r, f)?),
            REPLY_CHARGING_ID => Header::ReplyChargingId(text(r, f)?),
            REPLY_CHARGING_SIZE => Header::ReplyChargingSize(r.integer_value(f)?),
            PREVIOUSLY_SENT_BY => {
                let mut v = r.value_length_sub(f)?;
                let count = v.integer_value(f)?;
                Header::PreviouslySentBy {
                    count,
                    address: Address {
                        raw: EncodedString::decode(&mut v, f)?,
                    },
                }
            }
            PREVIOUSLY_SENT_DATE => {
                let mut v = r.value_length_sub(f)?;
                let count = v.integer_value(f)?;
                Header::PreviouslySentDate {
                    count,
                    date: v.integer_value(f)?,
                }
            }
            STORE => Header::Store(YesNo(octet(r, f)?)),
            MM_STATE => Header::MmState(MmState(octet(r, f)?)),
            MM_FLAGS => {
                let mut v = r.value_length_sub(f)?;
                let token = FlagsToken(octet(&mut v, f)?);
                Header::MmFlags {
                    token,
                    flag: EncodedString::decode(&mut v, f)?,
                }
            }
            STORE_STATUS => Header::StoreStatus(StoreStatus(octet(r, f)?)),
            STORE_STATUS_TEXT => Header::StoreStatusText(EncodedString::decode(r, f)?),
            STORED => Header::Stored(YesNo(octet(r, f)?)),
            ATTRIBUTES => Header::Attributes(r.short_integer(f)?),
            TOTALS => Header::Totals(YesNo(octet(r, f)?)),
            MBOX_TOTALS => {
                let (kind, value) = count_kind(&mut r.value_length_sub(f)?, f)?;
                Header::MboxTotals { kind, value }
            }
            QUOTAS => Header::Quotas(YesNo(octet(r, f)?)),
            MBOX_QUOTAS => {
                let (kind, value) = count_kind(&mut r.value_length_sub(f)?, f)?;
                Header::MboxQuotas { kind, value }
            }
            MESSAGE_COUNT => Header::MessageCount(r.integer_value(f)?),
            START => Header::Start(r.integer_value(f)?),
            DISTRIBUTION_INDICATOR => Header::DistributionIndicator(YesNo(octet(r, f)?)),
            ELEMENT_DESCRIPTOR => {
                let mut v = r.value_length_sub(f)?;
                let reference = text(&mut v, f)?;
                Header::ElementDescriptor {
                    reference,
                    params: Cow::Borrowed(v.take_rest()),
                }
            }
            LIMIT => Header::Limit(r.integer_value(f)?),
            RECOMMENDED_RETRIEVAL_MODE => {
                Header::RecommendedRetrievalMode(RetrievalMode(octet(r, f)?))
            }
            RECOMMENDED_RETRIEVAL_MODE_TEXT => {
                Header::RecommendedRetrievalModeText(EncodedString::decode(r, f)?)
            }
            STATUS_TEXT => Header::StatusText(EncodedString::decode(r, f)?),
            APPLIC_ID => Header::ApplicId(text(r, f)?),
            REPLY_APPLIC_ID => Header::ReplyApplicId(text(r, f)?),
            AUX_APPLIC_INFO => Header::AuxApplicInfo(text(r, f)?),
            CONTENT_CLASS => Header::ContentClass(ContentClass(octet(r, f)?)),
            DRM_CONTENT => Header::DrmContent(YesNo(octet(r, f)?)),
            ADAPTATION_ALLOWED => Header::AdaptationAllowed(YesNo(octet(r, f)?)),
            REPLACE_ID => Header::ReplaceId(text(r, f)?),
            CANCEL_ID => Header::CancelId(text(r, f)?),
            CANCEL_STATUS => Header::CancelStatus(CancelStatus(octet(r, f)?)),
            _ => Header::Unknown {
                code,
                raw: Cow::Borrowed(r.skip_value(f)?),
            },
        })
    }

    /// The field number (without the high bit); `None` for a textual header.
    pub fn code(&self) -> Option<u8> {
        use field::*;
        Some(match self {
            Header::Bcc(_) => BCC,
            Header::Cc(_) => CC,
            Header::ContentLocation { .. } => CONTENT_LOCATION,
            Header::ContentType(_) => CONTENT_TYPE,
            Header::Date(_) => DATE,
            Header::DeliveryReport(_) => DELIVERY_REPORT,
            Header::DeliveryTime(_) => DELIVERY_TIME,
            Header::Expiry(_) => EXPIRY,
            Header::From(_) => FROM,
            Header::MessageClass(_) => MESSAGE_CLASS,
            Header::MessageId(_) => MESSAGE_ID,
            Header::MessageType(_) => MESSAGE_TYPE,
            Header::MmsVersion(_) => MMS_VERSION,
            Header::MessageSize(_) => MESSAGE_SIZE,
            Header::Priority(_) => PRIORITY,
            Header::ReadReport(_) => READ_REPORT,
            Header::ReportAllowed(_) => REPORT_ALLOWED,
            Header::ResponseStatus { .. } => RESPONSE_STATUS,
            Header::ResponseText { .. } => RESPONSE_TEXT,
            Header::SenderVisibility(_) => SENDER_VISIBILITY,
            Header::Status(_) => STATUS,
            Header::Subject(_) => SUBJECT,
            Header::To(_) => TO,
            Header::TransactionId(_) => TRANSACTION_ID,
            Header::RetrieveStatus(_) => RETRIEVE_STATUS,
            Header::RetrieveText(_) => RETRIEVE_TEXT,
            Header::ReadStatus(_) => READ_STATUS,
            Header::ReplyCharging(_) => REPLY_CHARGING,
            Header::ReplyChargingDeadline(_) => REPLY_CHARGING_DEADLINE,
            Header::ReplyChargingId(_) => REPLY_CHARGING_ID,
            Header::ReplyChargingSize(_) => REPLY_CHARGING_SIZE,
            Header::PreviouslySentBy { .. } => PREVIOUSLY_SENT_BY,
            Header::PreviouslySentDate { .. } => PREVIOUSLY_SENT_DATE,
            Header::Store(_) => STORE,
            Header::MmState(_) => MM_STATE,
            Header::MmFlags { .. } => MM_FLAGS,
            Header::StoreStatus(_) => STORE_STATUS,
            Header::StoreStatusText(_) => STORE_STATUS_TEXT,
            Header::Stored(_) => STORED,
            Header::Attributes(_) => ATTRIBUTES,
            Header::Totals(_) => TOTALS,
            Header::MboxTotals { .. } => MBOX_TOTALS,
            Header::Quotas(_) => QUOTAS,
            Header::MboxQuotas { .. } => MBOX_QUOTAS,
            Header::MessageCount(_) => MESSAGE_COUNT,
            Header::Start(_) => START,
            Header::DistributionIndicator(_) => DISTRIBUTION_INDICATOR,
            Header::ElementDescriptor { .. } => ELEMENT_DESCRIPTOR,
            Header::Limit(_) => LIMIT,
            Header::RecommendedRetrievalMode(_) => RECOMMENDED_RETRIEVAL_MODE,
            Header::RecommendedRetrievalModeText(_) => RECOMMENDED_RETRIEVAL_MODE_TEXT,
            Header::StatusText(_) => STATUS_TEXT,
            Header::ApplicId(_) => APPLIC_ID,
            Header::ReplyApplicId(_) => REPLY_APPLIC_ID,
            Header::AuxApplicInfo(_) => AUX_APPLIC_INFO,
            Header::ContentClass(_) => CONTENT_CLASS,
            Header::DrmContent(_) => DRM_CONTENT,
            Header::AdaptationAllowed(_) => ADAPTATION_ALLOWED,
            Header::ReplaceId(_) => REPLACE_ID,
            Header::CancelId(_) => CANCEL_ID,
            Header::CancelStatus(_) => CANCEL_STATUS,
            Header::Unknown { code, .. } => *code,
            Header::Extension { .. } | Header::ExtensionRaw { .. } => return None,
        })
    }

    /// The field name as the specification spells it (`X-Mms-Transaction-ID`,
    /// `From`, ...); `X-Mms-Unknown-0xNN` for an unassigned number; the name
    /// as sent for a textual header.
    pub fn name(&self) -> Cow<'_, str> {
        match self {
            Header::Extension { name, .. } | Header::ExtensionRaw { name, .. } => {
                Cow::Borrowed(name)
            }
            _ => {
                let code = self.code().unwrap_or(0);
                match field::name(code) {
                    Some(n) => Cow::Borrowed(n),
                    None => Cow::Owned(format!("X-Mms-Unknown-0x{code:02X}")),
                }
            }
        }
    }

    /// Appends the canonical encoding of this header (name octet and value).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let code = match self {
            Header::Extension { name, value } => {
                put_token_text(out, name.as_bytes());
                put_text_string(out, value.as_bytes());
                return;
            }
            Header::ExtensionRaw { name, raw } => {
                put_token_text(out, name.as_bytes());
                out.extend_from_slice(raw);
                return;
            }
            _ => self.code().unwrap_or(0),
        };
        put_short_integer(out, code & 0x7F);
        match self {
            Header::Bcc(a) | Header::Cc(a) | Header::To(a) => a.raw.encode(out),
            Header::ContentLocation { index: None, uri } => put_text_string(out, uri.as_bytes()),
            Header::ContentLocation {
                index: Some(i),
                uri,
            } => put_with_value_length(out, |o| {
                put_integer_value(o, *i);
                put_text_string(o, uri.as_bytes());
            }),
            Header::ContentType(ct) => ct.encode(out),
            Header::Date(d) => put_long_integer(out, *d),
            Header::DeliveryTime(t) | Header::Expiry(t) | Header::ReplyChargingDeadline(t) => {
                put_with_value_length(out, |o| match t {
                    TimeValue::Absolute(v) => {
                        o.push(0x80);
                        put_long_integer(o, *v);
                    }
                    TimeValue::Relative(v) => {
                        o.push(0x81);
                        put_long_integer(o, *v);
                    }
                })
            }
            Header::From(FromValue::Address(a)) => put_with_value_length(out, |o| {
                o.push(0x80);
                a.raw.encode(o);
            }),
            Header::From(FromValue::Insert) => out.extend_from_slice(&[0x01, 0x81]),
            Header::MessageClass(MessageClass::Token(t)) => out.push(t.0),
            Header::MessageClass(MessageClass::Text(t)) => put_text_string(out, t.as_bytes()),
            Header::MessageId(t)
            | Header::TransactionId(t)
            | Header::ReplyChargingId(t)
            | Header::ApplicId(t)
            | Header::ReplyApplicId(t)
            | Header::AuxApplicInfo(t)
            | Header::ReplaceId(t)
            | Header::CancelId(t) => put_text_string(out, t.as_bytes()),
            Header::MessageType(v) => out.push(v.0),
            Header::MmsVersion(v) => put_short_integer(out, v.0 & 0x7F),
            Header::MessageSize(n) | Header::ReplyChargingSize(n) => put_long_integer(out, *n),
            Header::Priority(v) => out.push(v.0),
            Header::DeliveryReport(v)
            | Header::ReadReport(v)
            | Header::ReportAllowed(v)
            | Header::Store(v)
            | Header::Stored(v)
            | Header::Totals(v)
            | Header::Quotas(v)
            | Header::DistributionIndicator(v)
            | Header::DrmContent(v)
            | Header::AdaptationAllowed(v) => out.push(v.0),
            Header::ResponseStatus {
                index: None,
                status,
            } => out.push(status.0),
            Header::ResponseStatus {
                index: Some(i),
                status,
            } => put_with_value_length(out, |o| {
                put_integer_value(o, *i);
                o.push(status.0);
            }),
            Header::ResponseText { index: None, text } => text.encode(out),
            Header::ResponseText {
                index: Some(i),
                text,
            } => put_with_value_length(out, |o| {
                put_integer_value(o, *i);
                text.encode(o);
            }),
            Header::SenderVisibility(v) => out.push(v.0),
            Header::Status(v) => out.push(v.0),
            Header::Subject(t)
            | Header::RetrieveText(t)
            | Header::StoreStatusText(t)
            | Header::RecommendedRetrievalModeText(t)
            | Header::StatusText(t) => t.encode(out),
            Header::RetrieveStatus(v) => out.push(v.0),
            Header::ReadStatus(v) => out.push(v.0),
            Header::ReplyCharging(v) => out.push(v.0),
            Header::PreviouslySentBy { count, address } => put_with_value_length(out, |o| {
                put_integer_value(o, *count);
                address.raw.encode(o);
            }),
            Header::PreviouslySentDate { count, date } => put_with_value_length(out, |o| {
                put_integer_value(o, *count);
                put_long_integer(o, *date);
            }),
            Header::MmState(v) => out.push(v.0),
            Header::MmFlags { token, flag } => put_with_value_length(out, |o| {
                o.push(token.0);
                flag.encode(o);
            }),
            Header::StoreStatus(v) => out.push(v.0),
            Header::Attributes(c) => put_short_integer(out, c & 0x7F),
            Header::MboxTotals { kind, value } | Header::MboxQuotas { kind, value } => {
                put_with_value_length(out, |o| {
                    o.push(kind.0);
                    put_integer_value(o, *value);
                })
            }
            Header::MessageCount(n) | Header::Start(n) | Header::Limit(n) => {
                put_integer_value(out, *n)
            }
            Header::ElementDescriptor { reference, params } => put_with_value_length(out, |o| {
                put_text_string(o, reference.as_bytes());
                o.extend_from_slice(params);
            }),
            Header::RecommendedRetrievalMode(v) => out.push(v.0),
            Header::ContentClass(v) => out.push(v.0),
            Header::CancelStatus(v) => out.push(v.0),
            Header::Unknown { raw, .. } => out.extend_from_slice(raw),
            Header::Extension { .. } | Header::ExtensionRaw { .. } => {}
        }
    }

    /// The value in readable form (addresses and text in Unicode, tokens by
    /// name, dates in RFC 3339, raw values in hex).
    pub fn value_text(&self) -> String {
        match self {
            Header::Bcc(a) | Header::Cc(a) | Header::To(a) => a.to_string(),
            Header::ContentLocation { index, uri } => with_index(*index, uri),
            Header::ContentType(ct) => ct.to_string(),
            Header::Date(d) => format_rfc3339(*d),
            Header::DeliveryTime(t) | Header::Expiry(t) | Header::ReplyChargingDeadline(t) => {
                t.to_string()
            }
            Header::From(v) => v.to_string(),
            Header::MessageClass(c) => c.to_string(),
            Header::MessageId(t)
            | Header::TransactionId(t)
            | Header::ReplyChargingId(t)
            | Header::ApplicId(t)
            | Header::ReplyApplicId(t)
            | Header::AuxApplicInfo(t)
            | Header::ReplaceId(t)
            | Header::CancelId(t) => t.to_string(),
            Header::MessageType(v) => v.to_string(),
            Header::MmsVersion(v) => v.to_string(),
            Header::MessageSize(n)
            | Header::ReplyChargingSize(n)
            | Header::MessageCount(n)
            | Header::Start(n)
            | Header::Limit(n) => n.to_string(),
            Header::Priority(v) => v.to_string(),
            Header::DeliveryReport(v)
            | Header::ReadReport(v)
            | Header::ReportAllowed(v)
            | Header::Store(v)
            | Header::Stored(v)
            | Header::Totals(v)
            | Header::Quotas(v)
            | Header::DistributionIndicator(v)
            | Header::DrmContent(v)
            | Header::AdaptationAllowed(v) => v.to_string(),
            Header::ResponseStatus { index, status } => with_index(*index, &status.to_string()),
            Header::ResponseText { index, text } => with_index(*index, &text.text()),
            Header::SenderVisibility(v) => v.to_string(),
            Header::Status(v) => v.to_string(),
            Header::Subject(t)
            | Header::RetrieveText(t)
            | Header::StoreStatusText(t)
            | Header::RecommendedRetrievalModeText(t)
            | Header::StatusText(t) => t.text().into_owned(),
            Header::RetrieveStatus(v) => v.to_string(),
            Header::ReadStatus(v) => v.to_string(),
            Header::ReplyCharging(v) => v.to_string(),
            Header::PreviouslySentBy { count, address } => format!("{count}: {address}"),
            Header::PreviouslySentDate { count, date } => {
                format!("{count}: {}", format_rfc3339(*date))
            }
            Header::MmState(v) => v.to_string(),
            Header::MmFlags { token, flag } => format!("{token} {}", flag.text()),
            Header::StoreStatus(v) => v.to_string(),
            Header::Attributes(c) => {
                field::name(*c).map_or_else(|| format!("0x{c:02X}"), str::to_owned)
            }
            Header::MboxTotals { kind, value } | Header::MboxQuotas { kind, value } => {
                format!("{value} {kind}")
            }
            Header::ElementDescriptor { reference, params } => {
                if params.is_empty() {
                    reference.to_string()
                } else {
                    format!("{reference}; {}", hex(params))
                }
            }
            Header::RecommendedRetrievalMode(v) => v.to_string(),
            Header::ContentClass(v) => v.to_string(),
            Header::CancelStatus(v) => v.to_string(),
            Header::Unknown { raw, .. } => hex(raw),
            Header::Extension { value, .. } => value.to_string(),
            Header::ExtensionRaw { raw, .. } => hex(raw),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Header<'static> {
        fn s(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        match self {
            Header::Bcc(a) => Header::Bcc(a.into_owned()),
            Header::Cc(a) => Header::Cc(a.into_owned()),
            Header::To(a) => Header::To(a.into_owned()),
            Header::ContentLocation { index, uri } => {
                Header::ContentLocation { index, uri: s(uri) }
            }
            Header::ContentType(ct) => Header::ContentType(ct.into_owned()),
            Header::Date(d) => Header::Date(d),
            Header::DeliveryReport(v) => Header::DeliveryReport(v),
            Header::DeliveryTime(t) => Header::DeliveryTime(t),
            Header::Expiry(t) => Header::Expiry(t),
            Header::From(FromValue::Address(a)) => Header::From(FromValue::Address(a.into_owned())),
            Header::From(FromValue::Insert) => Header::From(FromValue::Insert),
            Header::MessageClass(MessageClass::Token(t)) => {
                Header::MessageClass(MessageClass::Token(t))
            }
            Header::MessageClass(MessageClass::Text(t)) => {
                Header::MessageClass(MessageClass::Text(s(t)))
            }
            Header::MessageId(t) => Header::MessageId(s(t)),
            Header::MessageType(v) => Header::MessageType(v),
            Header::MmsVersion(v) => Header::MmsVersion(v),
            Header::MessageSize(n) => Header::MessageSize(n),
            Header::Priority(v) => Header::Priority(v),
            Header::ReadReport(v) => Header::ReadReport(v),
            Header::ReportAllowed(v) => Header::ReportAllowed(v),
            Header::ResponseStatus { index, status } => Header::ResponseStatus { index, status },
            Header::ResponseText { index, text } => Header::ResponseText {
                index,
                text: text.into_owned(),
            },
            Header::SenderVisibility(v) => Header::SenderVisibility(v),
            Header::Status(v) => Header::Status(v),
            Header::Subject(t) => Header::Subject(t.into_owned()),
            Header::TransactionId(t) => Header::TransactionId(s(t)),
            Header::RetrieveStatus(v) => Header::RetrieveStatus(v),
            Header::RetrieveText(t) => Header::RetrieveText(t.into_owned()),
            Header::ReadStatus(v) => Header::ReadStatus(v),
            Header::ReplyCharging(v) => Header::ReplyCharging(v),
            Header::ReplyChargingDeadline(t) => Header::ReplyChargingDeadline(t),
            Header::ReplyChargingId(t) => Header::ReplyChargingId(s(t)),
            Header::ReplyChargingSize(n) => Header::ReplyChargingSize(n),
            Header::PreviouslySentBy { count, address } => Header::PreviouslySentBy {
                count,
                address: address.into_owned(),
            },
            Header::PreviouslySentDate { count, date } => {
                Header::PreviouslySentDate { count, date }
            }
            Header::Store(v) => Header::Store(v),
            Header::MmState(v) => Header::MmState(v),
            Header::MmFlags { token, flag } => Header::MmFlags {
                token,
                flag: flag.into_owned(),
            },
            Header::StoreStatus(v) => Header::StoreStatus(v),
            Header::StoreStatusText(t) => Header::StoreStatusText(t.into_owned()),
            Header::Stored(v) => Header::Stored(v),
            Header::Attributes(c) => Header::Attributes(c),
            Header::Totals(v) => Header::Totals(v),
            Header::MboxTotals { kind, value } => Header::MboxTotals { kind, value },
            Header::Quotas(v) => Header::Quotas(v),
            Header::MboxQuotas { kind, value } => Header::MboxQuotas { kind, value },
            Header::MessageCount(n) => Header::MessageCount(n),
            Header::Start(n) => Header::Start(n),
            Header::DistributionIndicator(v) => Header::DistributionIndicator(v),
            Header::ElementDescriptor { reference, params } => Header::ElementDescriptor {
                reference: s(reference),
                params: Cow::Owned(params.into_owned()),
            },
            Header::Limit(n) => Header::Limit(n),
            Header::RecommendedRetrievalMode(v) => Header::RecommendedRetrievalMode(v),
            Header::RecommendedRetrievalModeText(t) => {
                Header::RecommendedRetrievalModeText(t.into_owned())
            }
            Header::StatusText(t) => Header::StatusText(t.into_owned()),
            Header::ApplicId(t) => Header::ApplicId(s(t)),
            Header::ReplyApplicId(t) => Header::ReplyApplicId(s(t)),
            Header::AuxApplicInfo(t) => Header::AuxApplicInfo(s(t)),
            Header::ContentClass(v) => Header::ContentClass(v),
            Header::DrmContent(v) => Header::DrmContent(v),
            Header::AdaptationAllowed(v) => Header::AdaptationAllowed(v),
            Header::ReplaceId(t) => Header::ReplaceId(s(t)),
            Header::CancelId(t) => Header::CancelId(s(t)),
            Header::CancelStatus(v) => Header::CancelStatus(v),
            Header::Unknown { code, raw } => Header::Unknown {
                code,
                raw: Cow::Owned(raw.into_owned()),
            },
            Header::Extension { name, value } => Header::Extension {
                name: s(name),
                value: s(value),
            },
            Header::ExtensionRaw { name, raw } => Header::ExtensionRaw {
                name: s(name),
                raw: Cow::Owned(raw.into_owned()),
            },
        }
    }
}

fn with_index(index: Option<u64>, v: &str) -> String {
    match index {
        Some(i) => format!("[{i}] {v}"),
        None => v.to_owned(),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Display for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.value_text())
    }
}
