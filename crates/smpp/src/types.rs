//! One-octet field types (SMPP 3.4 §5.2): TON, NPI, esm_class,
//! registered_delivery, data_coding, message_state, and addresses.
//!
//! All are newtypes over the octet so unknown values survive a round trip.

use std::fmt;

/// Type of Number (`*_addr_ton`, §5.2.5).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ton(pub u8);

codes!(Ton: u8, 4 {
    UNKNOWN = 0, "Unknown";
    INTERNATIONAL = 1, "International";
    NATIONAL = 2, "National";
    NETWORK_SPECIFIC = 3, "Network Specific";
    SUBSCRIBER_NUMBER = 4, "Subscriber Number";
    ALPHANUMERIC = 5, "Alphanumeric";
    ABBREVIATED = 6, "Abbreviated";
});

/// Numbering Plan Indicator (`*_addr_npi`, §5.2.6).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Npi(pub u8);

codes!(Npi: u8, 4 {
    UNKNOWN = 0, "Unknown";
    ISDN = 1, "ISDN (E163/E164)";
    DATA = 3, "Data (X.121)";
    TELEX = 4, "Telex (F.69)";
    LAND_MOBILE = 6, "Land Mobile (E.212)";
    NATIONAL = 8, "National";
    PRIVATE = 9, "Private";
    ERMES = 10, "ERMES";
    INTERNET = 14, "Internet (IP)";
    WAP_CLIENT_ID = 18, "WAP Client Id";
});

/// `data_coding` (§5.2.19).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DataCoding(pub u8);

codes!(DataCoding: u8, 4 {
    SMSC_DEFAULT = 0x00, "SMSC Default Alphabet";
    IA5 = 0x01, "IA5 (CCITT T.50)/ASCII (ANSI X3.4)";
    OCTET_UNSPECIFIED_2 = 0x02, "Octet unspecified (8-bit binary)";
    LATIN1 = 0x03, "Latin 1 (ISO-8859-1)";
    OCTET_UNSPECIFIED = 0x04, "Octet unspecified (8-bit binary)";
    JIS = 0x05, "JIS (X 0208-1990)";
    CYRILLIC = 0x06, "Cyrillic (ISO-8859-5)";
    LATIN_HEBREW = 0x07, "Latin/Hebrew (ISO-8859-8)";
    UCS2 = 0x08, "UCS2 (ISO/IEC-10646)";
    PICTOGRAM = 0x09, "Pictogram Encoding";
    ISO_2022_JP = 0x0A, "ISO-2022-JP (Music Codes)";
    EXTENDED_KANJI_JIS = 0x0D, "Extended Kanji JIS (X 0212-1990)";
    KS_C_5601 = 0x0E, "KS C 5601";
});

impl DataCoding {
    /// Whether the short message is 8-bit binary (0x02 or 0x04).
    pub fn is_binary(self) -> bool {
        matches!(self.0, 0x02 | 0x04)
    }
}

/// `esm_class` (§5.2.12): messaging mode (bits 1–0), message type
/// (bits 5–2) and GSM features (bits 7–6: UDHI 0x40, reply path 0x80).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EsmClass(pub u8);

codes!(EsmClass: u8, 4 {
    DEFAULT = 0x00, "Default mode and type, no features";
});

/// Messaging mode, bits 1–0 of `esm_class` (submit_sm, submit_multi, data_sm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessagingMode {
    /// 00: default SMSC mode (e.g. store and forward).
    Default,
    /// 01: datagram mode.
    Datagram,
    /// 10: forward (transaction) mode.
    Forward,
    /// 11: store and forward mode.
    StoreAndForward,
}

/// Message type, bits 5–2 of `esm_class`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 0000: default message type (normal message).
    Default,
    /// 0001 (0x04): SMSC delivery receipt (deliver_sm).
    DeliveryReceipt,
    /// 0010 (0x08): SME delivery acknowledgement.
    DeliveryAck,
    /// 0100 (0x10): SME manual/user acknowledgement.
    UserAck,
    /// 0110 (0x18): conversation abort (Korean CDMA).
    ConversationAbort,
    /// 1000 (0x20): intermediate delivery notification.
    IntermediateNotification,
    /// Any other bit pattern (the 4 bits, shifted down).
    Other(u8),
}

impl EsmClass {
    /// UDHI: the short message starts with a User Data Header.
    pub const UDHI: u8 = 0x40;
    /// Reply path.
    pub const REPLY_PATH: u8 = 0x80;

    /// Whether the UDHI bit (0x40) is set.
    pub fn udhi(self) -> bool {
        self.0 & Self::UDHI != 0
    }

    /// Whether the reply path bit (0x80) is set.
    pub fn reply_path(self) -> bool {
        self.0 & Self::REPLY_PATH != 0
    }

    /// This value with the UDHI bit set or cleared.
    pub fn with_udhi(self, on: bool) -> Self {
        EsmClass(if on {
            self.0 | Self::UDHI
        } else {
            self.0 & !Self::UDHI
        })
    }

    /// Bits 1–0.
    pub fn messaging_mode(self) -> MessagingMode {
        match self.0 & 0x03 {
            0 => MessagingMode::Default,
            1 => MessagingMode::Datagram,
            2 => MessagingMode::Forward,
            _ => MessagingMode::StoreAndForward,
        }
    }

    /// This value with bits 1–0 replaced.
    pub fn with_messaging_mode(self, m: MessagingMode) -> Self {
        let bits = match m {
            MessagingMode::Default => 0,
            MessagingMode::Datagram => 1,
            MessagingMode::Forward => 2,
            MessagingMode::StoreAndForward => 3,
        };
        EsmClass(self.0 & !0x03 | bits)
    }

    /// Bits 5–2.
    pub fn message_type(self) -> MessageType {
        match (self.0 >> 2) & 0x0F {
            0 => MessageType::Default,
            1 => MessageType::DeliveryReceipt,
            2 => MessageType::DeliveryAck,
            4 => MessageType::UserAck,
            6 => MessageType::ConversationAbort,
            8 => MessageType::IntermediateNotification,
            n => MessageType::Other(n),
        }
    }

    /// This value with bits 5–2 replaced.
    pub fn with_message_type(self, t: MessageType) -> Self {
        let bits = match t {
            MessageType::Default => 0,
            MessageType::DeliveryReceipt => 1,
            MessageType::DeliveryAck => 2,
            MessageType::UserAck => 4,
            MessageType::ConversationAbort => 6,
            MessageType::IntermediateNotification => 8,
            MessageType::Other(n) => n & 0x0F,
        };
        EsmClass(self.0 & !0x3C | bits << 2)
    }

    /// Whether a deliver_sm with this class carries an SMSC delivery receipt.
    pub fn is_delivery_receipt(self) -> bool {
        self.message_type() == MessageType::DeliveryReceipt
    }
}

/// `registered_delivery` (§5.2.17).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RegisteredDelivery(pub u8);

codes!(RegisteredDelivery: u8, 4 {
    NONE = 0x00, "No receipt or acknowledgement";
    RECEIPT_ALWAYS = 0x01, "SMSC delivery receipt on success or failure";
    RECEIPT_ON_FAILURE = 0x02, "SMSC delivery receipt on failure";
});

/// SMSC delivery receipt request, bits 1–0 of `registered_delivery`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReceiptRequest {
    /// 00: none.
    None,
    /// 01: on final outcome, success or failure.
    Always,
    /// 10: on failure only.
    OnFailure,
    /// 11: reserved.
    Reserved,
}

impl RegisteredDelivery {
    /// Bits 1–0.
    pub fn smsc_receipt(self) -> ReceiptRequest {
        match self.0 & 0x03 {
            0 => ReceiptRequest::None,
            1 => ReceiptRequest::Always,
            2 => ReceiptRequest::OnFailure,
            _ => ReceiptRequest::Reserved,
        }
    }

    /// This value with bits 1–0 replaced.
    pub fn with_smsc_receipt(self, r: ReceiptRequest) -> Self {
        let bits = match r {
            ReceiptRequest::None => 0,
            ReceiptRequest::Always => 1,
            ReceiptRequest::OnFailure => 2,
            ReceiptRequest::Reserved => 3,
        };
        RegisteredDelivery(self.0 & !0x03 | bits)
    }

    /// Bit 2: SME delivery acknowledgement requested.
    pub fn sme_delivery_ack(self) -> bool {
        self.0 & 0x04 != 0
    }

    /// Bit 3: SME manual/user acknowledgement requested.
    pub fn sme_user_ack(self) -> bool {
        self.0 & 0x08 != 0
    }

    /// Bit 4: intermediate notification requested.
    pub fn intermediate_notification(self) -> bool {
        self.0 & 0x10 != 0
    }
}

/// `message_state` (§5.2.28), in query_sm_resp and the TLV 0x0427.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MessageState(pub u8);

codes!(MessageState: u8, 4 {
    ENROUTE = 1, "The message is in enroute state";
    DELIVERED = 2, "Message is delivered to destination";
    EXPIRED = 3, "Message validity period has expired";
    DELETED = 4, "Message has been deleted";
    UNDELIVERABLE = 5, "Message is undeliverable";
    ACCEPTED = 6, "Message is in accepted state";
    UNKNOWN = 7, "Message is in invalid state";
    REJECTED = 8, "Message is in a rejected state";
});

impl MessageState {
    /// The 7-letter `stat:` word of a delivery receipt (Appendix B).
    pub fn receipt_stat(self) -> Option<&'static str> {
        Some(match self {
            MessageState::ENROUTE => "ENROUTE",
            MessageState::DELIVERED => "DELIVRD",
            MessageState::EXPIRED => "EXPIRED",
            MessageState::DELETED => "DELETED",
            MessageState::UNDELIVERABLE => "UNDELIV",
            MessageState::ACCEPTED => "ACCEPTD",
            MessageState::UNKNOWN => "UNKNOWN",
            MessageState::REJECTED => "REJECTD",
            _ => return None,
        })
    }

    /// The state for a receipt's `stat:` word (any case; the long spellings
    /// `DELIVERED`, `UNDELIVERABLE`, `ACCEPTED`, `REJECTED` too).
    pub fn from_receipt_stat(s: &str) -> Option<MessageState> {
        let s = s.trim().to_ascii_uppercase();
        Some(match s.as_str() {
            "ENROUTE" => MessageState::ENROUTE,
            "DELIVRD" | "DELIVERED" => MessageState::DELIVERED,
            "EXPIRED" => MessageState::EXPIRED,
            "DELETED" => MessageState::DELETED,
            "UNDELIV" | "UNDELIVERABLE" => MessageState::UNDELIVERABLE,
            "ACCEPTD" | "ACCEPTED" => MessageState::ACCEPTED,
            "UNKNOWN" => MessageState::UNKNOWN,
            "REJECTD" | "REJECTED" => MessageState::REJECTED,
            _ => return None,
        })
    }

    /// Whether the state is final: every state but ENROUTE (§5.2.28).
    pub fn is_final(self) -> bool {
        self != MessageState::ENROUTE
    }
}

/// `interface_version` value for SMPP 3.4 (§5.2.4).
pub const INTERFACE_VERSION_34: u8 = 0x34;

/// A TON/NPI/address triple.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Address<'a> {
    /// Type of Number.
    pub ton: Ton,
    /// Numbering Plan Indicator.
    pub npi: Npi,
    /// The address digits or text (no NUL).
    pub addr: &'a [u8],
}

impl<'a> Address<'a> {
    /// An address.
    pub fn new(ton: Ton, npi: Npi, addr: &'a [u8]) -> Self {
        Address { ton, npi, addr }
    }

    /// The address as text, if it is UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.addr).ok()
    }
}

impl fmt::Debug for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Address({}/{} {:?})",
            self.ton.0,
            self.npi.0,
            String::from_utf8_lossy(self.addr)
        )
    }
}
