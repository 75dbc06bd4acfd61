//! Optional parameters (TLVs, SMPP 3.4 §5.3).
//!
//! §5.3.1: "Optional Parameters … must always appear at the end of a PDU",
//! each a 2-octet tag, a 2-octet length of the value, then the value. A
//! [`TlvList`] keeps them in wire order, unknown tags included, so a PDU
//! re-encodes byte for byte. Known tags have their lengths checked on decode
//! (§5.3.2 sizes), and typed getters and constructors.

use std::borrow::Cow;
use std::fmt;

use crate::codec::Reader;
use crate::error::{EncodeError, Error, Field};
use crate::types::MessageState;

/// A TLV tag (§5.3.2). Unknown tags survive a round trip.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TlvTag(pub u16);

codes!(TlvTag: u16, 6 {
    DEST_ADDR_SUBUNIT = 0x0005, "dest_addr_subunit";
    DEST_NETWORK_TYPE = 0x0006, "dest_network_type";
    DEST_BEARER_TYPE = 0x0007, "dest_bearer_type";
    DEST_TELEMATICS_ID = 0x0008, "dest_telematics_id";
    SOURCE_ADDR_SUBUNIT = 0x000D, "source_addr_subunit";
    SOURCE_NETWORK_TYPE = 0x000E, "source_network_type";
    SOURCE_BEARER_TYPE = 0x000F, "source_bearer_type";
    SOURCE_TELEMATICS_ID = 0x0010, "source_telematics_id";
    QOS_TIME_TO_LIVE = 0x0017, "qos_time_to_live";
    PAYLOAD_TYPE = 0x0019, "payload_type";
    ADDITIONAL_STATUS_INFO_TEXT = 0x001D, "additional_status_info_text";
    RECEIPTED_MESSAGE_ID = 0x001E, "receipted_message_id";
    MS_MSG_WAIT_FACILITIES = 0x0030, "ms_msg_wait_facilities";
    PRIVACY_INDICATOR = 0x0201, "privacy_indicator";
    SOURCE_SUBADDRESS = 0x0202, "source_subaddress";
    DEST_SUBADDRESS = 0x0203, "dest_subaddress";
    USER_MESSAGE_REFERENCE = 0x0204, "user_message_reference";
    USER_RESPONSE_CODE = 0x0205, "user_response_code";
    SOURCE_PORT = 0x020A, "source_port";
    DESTINATION_PORT = 0x020B, "destination_port";
    SAR_MSG_REF_NUM = 0x020C, "sar_msg_ref_num";
    LANGUAGE_INDICATOR = 0x020D, "language_indicator";
    SAR_TOTAL_SEGMENTS = 0x020E, "sar_total_segments";
    SAR_SEGMENT_SEQNUM = 0x020F, "sar_segment_seqnum";
    SC_INTERFACE_VERSION = 0x0210, "sc_interface_version";
    CALLBACK_NUM_PRES_IND = 0x0302, "callback_num_pres_ind";
    CALLBACK_NUM_ATAG = 0x0303, "callback_num_atag";
    NUMBER_OF_MESSAGES = 0x0304, "number_of_messages";
    CALLBACK_NUM = 0x0381, "callback_num";
    DPF_RESULT = 0x0420, "dpf_result";
    SET_DPF = 0x0421, "set_dpf";
    MS_AVAILABILITY_STATUS = 0x0422, "ms_availability_status";
    NETWORK_ERROR_CODE = 0x0423, "network_error_code";
    MESSAGE_PAYLOAD = 0x0424, "message_payload";
    DELIVERY_FAILURE_REASON = 0x0425, "delivery_failure_reason";
    MORE_MESSAGES_TO_SEND = 0x0426, "more_messages_to_send";
    MESSAGE_STATE = 0x0427, "message_state";
    USSD_SERVICE_OP = 0x0501, "ussd_service_op";
    DISPLAY_TIME = 0x1201, "display_time";
    SMS_SIGNAL = 0x1203, "sms_signal";
    MS_VALIDITY = 0x1204, "ms_validity";
    ALERT_ON_MESSAGE_DELIVERY = 0x130C, "alert_on_message_delivery";
    ITS_REPLY_TYPE = 0x1380, "its_reply_type";
    ITS_SESSION_INFO = 0x1383, "its_session_info";
});

impl TlvTag {
    /// Whether §5.3.2 reserves this tag for SMSC vendors (0x1400–0x3FFF).
    pub fn is_vendor_specific(self) -> bool {
        (0x1400..=0x3FFF).contains(&self.0)
    }

    /// The value lengths §5.3.2 allows for a known tag (inclusive range),
    /// slightly widened where peers are known to differ (telematics ids are
    /// 1 or 2 octets, C-Octet strings may lack their NUL or be empty).
    pub fn allowed_lengths(self) -> Option<(u16, u16)> {
        let r = match self {
            TlvTag::DEST_TELEMATICS_ID | TlvTag::SOURCE_TELEMATICS_ID => (1, 2),
            TlvTag::QOS_TIME_TO_LIVE => (4, 4),
            TlvTag::ADDITIONAL_STATUS_INFO_TEXT => (0, 256),
            TlvTag::RECEIPTED_MESSAGE_ID => (0, 65),
            TlvTag::SOURCE_SUBADDRESS | TlvTag::DEST_SUBADDRESS => (2, 23),
            TlvTag::USER_MESSAGE_REFERENCE
            | TlvTag::SOURCE_PORT
            | TlvTag::DESTINATION_PORT
            | TlvTag::SAR_MSG_REF_NUM
            | TlvTag::SMS_SIGNAL
            | TlvTag::ITS_SESSION_INFO => (2, 2),
            TlvTag::CALLBACK_NUM_ATAG => (0, 65),
            TlvTag::CALLBACK_NUM => (4, 19),
            TlvTag::NETWORK_ERROR_CODE => (3, 3),
            TlvTag::MESSAGE_PAYLOAD => (0, u16::MAX),
            TlvTag::ALERT_ON_MESSAGE_DELIVERY => (0, 1),
            t if t.name().is_some() => (1, 1),
            _ => return None,
        };
        Some(r)
    }
}

/// One optional parameter; the value borrows from the PDU when decoded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: TlvTag,
    /// The value octets (length implied).
    pub value: Cow<'a, [u8]>,
}

impl<'a> Tlv<'a> {
    /// A TLV from any tag and value.
    pub fn new(tag: TlvTag, value: impl Into<Cow<'a, [u8]>>) -> Self {
        Tlv {
            tag,
            value: value.into(),
        }
    }

    /// A copy that owns its value.
    pub fn into_owned(self) -> Tlv<'static> {
        Tlv {
            tag: self.tag,
            value: Cow::Owned(self.value.into_owned()),
        }
    }

    /// The value as a big-endian integer of 1, 2 or 4 octets.
    pub fn as_uint(&self) -> Option<u32> {
        match *self.value {
            [a] => Some(a.into()),
            [a, b] => Some(u16::from_be_bytes([a, b]).into()),
            [a, b, c, d] => Some(u32::from_be_bytes([a, b, c, d])),
            _ => None,
        }
    }

    /// The value as a C-Octet string: without its NUL (and anything after
    /// it); a value lacking the NUL is taken whole.
    pub fn as_cstr(&self) -> &[u8] {
        let v: &[u8] = &self.value;
        match v.iter().position(|&b| b == 0) {
            Some(i) => &v[..i],
            None => v,
        }
    }

    fn uint(tag: TlvTag, v: u32, width: usize) -> Tlv<'static> {
        Tlv {
            tag,
            value: Cow::Owned(v.to_be_bytes()[4 - width..].to_vec()),
        }
    }

    fn cstr(tag: TlvTag, v: &[u8]) -> Tlv<'static> {
        let mut value = Vec::with_capacity(v.len() + 1);
        value.extend_from_slice(v);
        value.push(0);
        Tlv {
            tag,
            value: Cow::Owned(value),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let len = u16::try_from(self.value.len()).map_err(|_| EncodeError::TlvLength {
            tag: self.tag,
            len: self.value.len(),
        })?;
        if let Some((lo, hi)) = self.tag.allowed_lengths()
            && (len < lo || len > hi)
        {
            return Err(EncodeError::TlvLength {
                tag: self.tag,
                len: self.value.len(),
            });
        }
        out.extend_from_slice(&self.tag.0.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.value);
        Ok(())
    }
}

/// `network_error_code` (§5.3.2.31): network type and its error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NetworkErrorCode {
    /// 1 ANSI-136, 2 IS-95, 3 GSM, 4 reserved.
    pub network_type: u8,
    /// The network's error code.
    pub error_code: u16,
}

/// The optional parameters of a PDU, in wire order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TlvList<'a> {
    items: Vec<Tlv<'a>>,
}

impl<'a> From<Vec<Tlv<'a>>> for TlvList<'a> {
    fn from(items: Vec<Tlv<'a>>) -> Self {
        TlvList { items }
    }
}

impl<'a> FromIterator<Tlv<'a>> for TlvList<'a> {
    fn from_iter<I: IntoIterator<Item = Tlv<'a>>>(iter: I) -> Self {
        TlvList {
            items: iter.into_iter().collect(),
        }
    }
}

impl<'a> IntoIterator for TlvList<'a> {
    type Item = Tlv<'a>;
    type IntoIter = std::vec::IntoIter<Tlv<'a>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

macro_rules! int_tlvs {
    ($( $get:ident, $ctor:ident, $tag:ident, $ty:ty, $width:literal; )*) => {
        impl TlvList<'_> {
            $(
                #[doc = concat!("The `", stringify!($get), "` TLV (", stringify!($tag), "), if present and an integer.")]
                pub fn $get(&self) -> Option<$ty> {
                    self.get(TlvTag::$tag).and_then(Tlv::as_uint).and_then(|v| <$ty>::try_from(v).ok())
                }
            )*
        }
        impl Tlv<'static> {
            $(
                #[doc = concat!("A `", stringify!($get), "` TLV (", stringify!($width), " octets).")]
                pub fn $ctor(v: $ty) -> Tlv<'static> {
                    Tlv::uint(TlvTag::$tag, v.into(), $width)
                }
            )*
        }
    };
}

int_tlvs! {
    dest_addr_subunit, new_dest_addr_subunit, DEST_ADDR_SUBUNIT, u8, 1;
    dest_network_type, new_dest_network_type, DEST_NETWORK_TYPE, u8, 1;
    dest_bearer_type, new_dest_bearer_type, DEST_BEARER_TYPE, u8, 1;
    dest_telematics_id, new_dest_telematics_id, DEST_TELEMATICS_ID, u16, 2;
    source_addr_subunit, new_source_addr_subunit, SOURCE_ADDR_SUBUNIT, u8, 1;
    source_network_type, new_source_network_type, SOURCE_NETWORK_TYPE, u8, 1;
    source_bearer_type, new_source_bearer_type, SOURCE_BEARER_TYPE, u8, 1;
    source_telematics_id, new_source_telematics_id, SOURCE_TELEMATICS_ID, u8, 1;
    qos_time_to_live, new_qos_time_to_live, QOS_TIME_TO_LIVE, u32, 4;
    payload_type, new_payload_type, PAYLOAD_TYPE, u8, 1;
    ms_msg_wait_facilities, new_ms_msg_wait_facilities, MS_MSG_WAIT_FACILITIES, u8, 1;
    privacy_indicator, new_privacy_indicator, PRIVACY_INDICATOR, u8, 1;
    user_message_reference, new_user_message_reference, USER_MESSAGE_REFERENCE, u16, 2;
    user_response_code, new_user_response_code, USER_RESPONSE_CODE, u8, 1;
    source_port, new_source_port, SOURCE_PORT, u16, 2;
    destination_port, new_destination_port, DESTINATION_PORT, u16, 2;
    sar_msg_ref_num, new_sar_msg_ref_num, SAR_MSG_REF_NUM, u16, 2;
    language_indicator, new_language_indicator, LANGUAGE_INDICATOR, u8, 1;
    sar_total_segments, new_sar_total_segments, SAR_TOTAL_SEGMENTS, u8, 1;
    sar_segment_seqnum, new_sar_segment_seqnum, SAR_SEGMENT_SEQNUM, u8, 1;
    sc_interface_version, new_sc_interface_version, SC_INTERFACE_VERSION, u8, 1;
    callback_num_pres_ind, new_callback_num_pres_ind, CALLBACK_NUM_PRES_IND, u8, 1;
    number_of_messages, new_number_of_messages, NUMBER_OF_MESSAGES, u8, 1;
    dpf_result, new_dpf_result, DPF_RESULT, u8, 1;
    set_dpf, new_set_dpf, SET_DPF, u8, 1;
    ms_availability_status, new_ms_availability_status, MS_AVAILABILITY_STATUS, u8, 1;
    delivery_failure_reason, new_delivery_failure_reason, DELIVERY_FAILURE_REASON, u8, 1;
    more_messages_to_send, new_more_messages_to_send, MORE_MESSAGES_TO_SEND, u8, 1;
    ussd_service_op, new_ussd_service_op, USSD_SERVICE_OP, u8, 1;
    display_time, new_display_time, DISPLAY_TIME, u8, 1;
    sms_signal, new_sms_signal, SMS_SIGNAL, u16, 2;
    ms_validity, new_ms_validity, MS_VALIDITY, u8, 1;
    its_reply_type, new_its_reply_type, ITS_REPLY_TYPE, u8, 1;
    its_session_info, new_its_session_info, ITS_SESSION_INFO, u16, 2;
}

macro_rules! bytes_tlvs {
    ($( $get:ident, $ctor:ident, $tag:ident; )*) => {
        impl TlvList<'_> {
            $(
                #[doc = concat!("The `", stringify!($get), "` TLV's octets, if present.")]
                pub fn $get(&self) -> Option<&[u8]> {
                    self.get(TlvTag::$tag).map(|t| &*t.value)
                }
            )*
        }
        impl<'a> Tlv<'a> {
            $(
                #[doc = concat!("A `", stringify!($get), "` TLV (octet string).")]
                pub fn $ctor(v: &'a [u8]) -> Tlv<'a> {
                    Tlv::new(TlvTag::$tag, v)
                }
            )*
        }
    };
}

bytes_tlvs! {
    message_payload, new_message_payload, MESSAGE_PAYLOAD;
    source_subaddress, new_source_subaddress, SOURCE_SUBADDRESS;
    dest_subaddress, new_dest_subaddress, DEST_SUBADDRESS;
    callback_num, new_callback_num, CALLBACK_NUM;
    callback_num_atag, new_callback_num_atag, CALLBACK_NUM_ATAG;
}

macro_rules! cstr_tlvs {
    ($( $get:ident, $ctor:ident, $tag:ident; )*) => {
        impl TlvList<'_> {
            $(
                #[doc = concat!("The `", stringify!($get), "` TLV (C-Octet string, NUL removed), if present.")]
                pub fn $get(&self) -> Option<&[u8]> {
                    self.get(TlvTag::$tag).map(Tlv::as_cstr)
                }
            )*
        }
        impl Tlv<'static> {
            $(
                #[doc = concat!("A `", stringify!($get), "` TLV; the NUL is appended.")]
                pub fn $ctor(v: &[u8]) -> Tlv<'static> {
                    Tlv::cstr(TlvTag::$tag, v)
                }
            )*
        }
    };
}

cstr_tlvs! {
    receipted_message_id, new_receipted_message_id, RECEIPTED_MESSAGE_ID;
    additional_status_info_text, new_additional_status_info_text, ADDITIONAL_STATUS_INFO_TEXT;
}

impl Tlv<'static> {
    /// A `message_state` TLV.
    pub fn new_message_state(v: MessageState) -> Tlv<'static> {
        Tlv::uint(TlvTag::MESSAGE_STATE, v.0.into(), 1)
    }

    /// A `network_error_code` TLV (3 octets).
    pub fn new_network_error_code(v: NetworkErrorCode) -> Tlv<'static> {
        let e = v.error_code.to_be_bytes();
        Tlv {
            tag: TlvTag::NETWORK_ERROR_CODE,
            value: Cow::Owned(vec![v.network_type, e[0], e[1]]),
        }
    }

    /// An `alert_on_message_delivery` TLV (no value).
    pub fn new_alert_on_message_delivery() -> Tlv<'static> {
        Tlv {
            tag: TlvTag::ALERT_ON_MESSAGE_DELIVERY,
            value: Cow::Borrowed(&[]),
        }
    }
}

impl<'a> TlvList<'a> {
    /// An empty list.
    pub fn new() -> Self {
        TlvList { items: Vec::new() }
    }

    /// Number of TLVs.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The TLVs in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, Tlv<'a>> {
        self.items.iter()
    }

    /// The TLVs in wire order.
    pub fn as_slice(&self) -> &[Tlv<'a>] {
        &self.items
    }

    /// The first TLV with `tag`.
    pub fn get(&self, tag: TlvTag) -> Option<&Tlv<'a>> {
        self.items.iter().find(|t| t.tag == tag)
    }

    /// Appends a TLV (duplicates allowed, as on the wire).
    pub fn push(&mut self, tlv: Tlv<'a>) {
        self.items.push(tlv);
    }

    /// Builder form of [`TlvList::push`].
    pub fn with(mut self, tlv: Tlv<'a>) -> Self {
        self.items.push(tlv);
        self
    }

    /// Removes every TLV with `tag`; returns the first one removed.
    pub fn remove(&mut self, tag: TlvTag) -> Option<Tlv<'a>> {
        let first = self.items.iter().position(|t| t.tag == tag)?;
        let removed = self.items.remove(first);
        self.items.retain(|t| t.tag != tag);
        Some(removed)
    }

    /// A copy that owns every value.
    pub fn into_owned(self) -> TlvList<'static> {
        TlvList {
            items: self.items.into_iter().map(Tlv::into_owned).collect(),
        }
    }

    /// `message_state` (§5.3.2.35).
    pub fn message_state(&self) -> Option<MessageState> {
        self.get(TlvTag::MESSAGE_STATE)
            .and_then(Tlv::as_uint)
            .and_then(|v| u8::try_from(v).ok())
            .map(MessageState)
    }

    /// `network_error_code` (§5.3.2.31).
    pub fn network_error_code(&self) -> Option<NetworkErrorCode> {
        match *self.get(TlvTag::NETWORK_ERROR_CODE)?.value {
            [t, a, b] => Some(NetworkErrorCode {
                network_type: t,
                error_code: u16::from_be_bytes([a, b]),
            }),
            _ => None,
        }
    }

    /// Whether `alert_on_message_delivery` (§5.3.2.41) is present.
    pub fn alert_on_message_delivery(&self) -> bool {
        self.get(TlvTag::ALERT_ON_MESSAGE_DELIVERY).is_some()
    }

    /// Decodes TLVs from `buf[pos..]` to the end of `buf`.
    pub(crate) fn decode(buf: &'a [u8], pos: usize) -> Result<Self, Error> {
        let mut r = Reader::new(buf, pos);
        // Each TLV takes at least 4 bytes: cap the allocation by the input.
        let mut items = Vec::with_capacity((buf.len().saturating_sub(pos) / 4).min(16));
        while !r.is_empty() {
            let offset = r.offset();
            let tag = TlvTag(
                r.u16(Field::TlvTag)
                    .map_err(|_| Error::TlvTruncated { offset })?,
            );
            let length = r
                .u16(Field::TlvLength)
                .map_err(|_| Error::TlvTruncated { offset })?;
            let value = r
                .take(length.into(), Field::TlvValue)
                .map_err(|_| Error::TlvTruncated { offset })?;
            if let Some((lo, hi)) = tag.allowed_lengths()
                && (length < lo || length > hi)
            {
                return Err(Error::TlvLength {
                    offset,
                    tag,
                    length,
                });
            }
            items.push(Tlv {
                tag,
                value: Cow::Borrowed(value),
            });
        }
        Ok(TlvList { items })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.items.iter().try_for_each(|t| t.encode(out))
    }
}

impl fmt::Display for Tlv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.tag)?;
        for b in self.value.iter() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}
