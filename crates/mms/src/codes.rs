//! Wire codes of OMA-TS-MMS_ENC-V1_3 §7.3 as newtypes with named constants:
//! unknown values survive a round trip, and `Display` prints the
//! specification's lower-case token name (or `0xNN` for a value it does not
//! name).

use std::fmt;

macro_rules! code_type {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$cmeta:meta])* $konst:ident = $val:expr, $text:expr; )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u8);

        impl $name {
            $( $(#[$cmeta])* #[doc = concat!("`", $text, "` (", stringify!($val), ")")]
               pub const $konst: Self = Self($val); )*

            /// Every value this crate names, in code order.
            pub const ALL: &'static [Self] = &[ $( Self($val), )* ];

            /// The specification's lower-case token name, if the value is one
            /// it assigns.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some($text), )*
                    _ => None,
                }
            }

            /// Looks a value up by its token name (ASCII case-insensitive).
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({})", stringify!($name), n),
                    None => write!(f, "{}(0x{:02X})", stringify!($name), self.0),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "0x{:02X}", self.0),
                }
            }
        }
    };
}

code_type! {
    /// `X-Mms-Message-Type` (§7.3): which PDU this is.
    MessageType {
        SEND_REQ = 0x80, "m-send-req";
        SEND_CONF = 0x81, "m-send-conf";
        NOTIFICATION_IND = 0x82, "m-notification-ind";
        NOTIFYRESP_IND = 0x83, "m-notifyresp-ind";
        RETRIEVE_CONF = 0x84, "m-retrieve-conf";
        ACKNOWLEDGE_IND = 0x85, "m-acknowledge-ind";
        DELIVERY_IND = 0x86, "m-delivery-ind";
        READ_REC_IND = 0x87, "m-read-rec-ind";
        READ_ORIG_IND = 0x88, "m-read-orig-ind";
        FORWARD_REQ = 0x89, "m-forward-req";
        FORWARD_CONF = 0x8A, "m-forward-conf";
        MBOX_STORE_REQ = 0x8B, "m-mbox-store-req";
        MBOX_STORE_CONF = 0x8C, "m-mbox-store-conf";
        MBOX_VIEW_REQ = 0x8D, "m-mbox-view-req";
        MBOX_VIEW_CONF = 0x8E, "m-mbox-view-conf";
        MBOX_UPLOAD_REQ = 0x8F, "m-mbox-upload-req";
        MBOX_UPLOAD_CONF = 0x90, "m-mbox-upload-conf";
        MBOX_DELETE_REQ = 0x91, "m-mbox-delete-req";
        MBOX_DELETE_CONF = 0x92, "m-mbox-delete-conf";
        MBOX_DESCR = 0x93, "m-mbox-descr";
        DELETE_REQ = 0x94, "m-delete-req";
        DELETE_CONF = 0x95, "m-delete-conf";
        CANCEL_REQ = 0x96, "m-cancel-req";
        CANCEL_CONF = 0x97, "m-cancel-conf";
    }
}

code_type! {
    /// `Yes | No` fields (§7.3): Delivery-Report, Read-Report,
    /// Report-Allowed, Store, Stored, Totals, Quotas, Distribution-Indicator,
    /// DRM-Content, Adaptation-Allowed.
    YesNo {
        YES = 0x80, "yes";
        NO = 0x81, "no";
    }
}

impl YesNo {
    /// `true` for Yes.
    pub fn is_yes(self) -> bool {
        self == Self::YES
    }
}

impl From<bool> for YesNo {
    fn from(b: bool) -> Self {
        if b { Self::YES } else { Self::NO }
    }
}

code_type! {
    /// `X-Mms-Priority` (§7.3).
    Priority {
        LOW = 0x80, "low";
        NORMAL = 0x81, "normal";
        HIGH = 0x82, "high";
    }
}

code_type! {
    /// Class-identifier of `X-Mms-Message-Class` (§7.3).
    ClassToken {
        PERSONAL = 0x80, "personal";
        ADVERTISEMENT = 0x81, "advertisement";
        INFORMATIONAL = 0x82, "informational";
        AUTO = 0x83, "auto";
    }
}

code_type! {
    /// `X-Mms-Sender-Visibility` (§7.3).
    SenderVisibility {
        HIDE = 0x80, "hide";
        SHOW = 0x81, "show";
    }
}

code_type! {
    /// `X-Mms-Status` (§7.3), the status of a message in M-NotifyResp.ind
    /// and M-Delivery.ind.
    Status {
        EXPIRED = 0x80, "expired";
        RETRIEVED = 0x81, "retrieved";
        REJECTED = 0x82, "rejected";
        DEFERRED = 0x83, "deferred";
        UNRECOGNISED = 0x84, "unrecognised";
        INDETERMINATE = 0x85, "indeterminate";
        FORWARDED = 0x86, "forwarded";
        UNREACHABLE = 0x87, "unreachable";
    }
}

code_type! {
    /// `X-Mms-Read-Status` (§7.3).
    ReadStatus {
        READ = 0x80, "read";
        DELETED_WITHOUT_BEING_READ = 0x81, "deleted-without-being-read";
    }
}

code_type! {
    /// `X-Mms-Reply-Charging` (§7.3).
    ReplyCharging {
        REQUESTED = 0x80, "requested";
        REQUESTED_TEXT_ONLY = 0x81, "requested-text-only";
        ACCEPTED = 0x82, "accepted";
        ACCEPTED_TEXT_ONLY = 0x83, "accepted-text-only";
    }
}

code_type! {
    /// `X-Mms-MM-State` (§7.3).
    MmState {
        DRAFT = 0x80, "draft";
        SENT = 0x81, "sent";
        NEW = 0x82, "new";
        RETRIEVED = 0x83, "retrieved";
        FORWARDED = 0x84, "forwarded";
    }
}

code_type! {
    /// The operation of an `X-Mms-MM-Flags` value (§7.3).
    FlagsToken {
        ADD = 0x80, "add";
        REMOVE = 0x81, "remove";
        FILTER = 0x82, "filter";
    }
}

code_type! {
    /// `X-Mms-Content-Class` (§7.3).
    ContentClass {
        TEXT = 0x80, "text";
        IMAGE_BASIC = 0x81, "image-basic";
        IMAGE_RICH = 0x82, "image-rich";
        VIDEO_BASIC = 0x83, "video-basic";
        VIDEO_RICH = 0x84, "video-rich";
        MEGAPIXEL = 0x85, "megapixel";
        CONTENT_BASIC = 0x86, "content-basic";
        CONTENT_RICH = 0x87, "content-rich";
    }
}

code_type! {
    /// `X-Mms-Cancel-Status` (§7.3).
    CancelStatus {
        REQUEST_RECEIVED = 0x80, "cancel-request-successfully-received";
        REQUEST_CORRUPTED = 0x81, "cancel-request-corrupted";
    }
}

code_type! {
    /// `X-Mms-Recommended-Retrieval-Mode` (§7.3).
    RetrievalMode {
        MANUAL = 0x80, "manual";
    }
}

code_type! {
    /// The kind of an `X-Mms-Mbox-Totals` / `X-Mms-Mbox-Quotas` value
    /// (§7.3, §7.3): a number of messages or a size in octets.
    BoxCountKind {
        MESSAGES = 0x80, "messages";
        SIZE = 0x81, "size";
    }
}

code_type! {
    /// `X-Mms-Response-Status` (§7.3). 1.3 groups errors by range:
    /// 0xC0..=0xDF transient, 0xE0..=0xFF permanent; 0x81..=0x88 are the
    /// obsolete 1.0 codes (see [`ResponseStatus::normalized`]).
    ResponseStatus {
        OK = 0x80, "ok";
        ERROR_UNSPECIFIED = 0x81, "error-unspecified";
        ERROR_SERVICE_DENIED = 0x82, "error-service-denied";
        ERROR_MESSAGE_FORMAT_CORRUPT = 0x83, "error-message-format-corrupt";
        ERROR_SENDING_ADDRESS_UNRESOLVED = 0x84, "error-sending-address-unresolved";
        ERROR_MESSAGE_NOT_FOUND = 0x85, "error-message-not-found";
        ERROR_NETWORK_PROBLEM = 0x86, "error-network-problem";
        ERROR_CONTENT_NOT_ACCEPTED = 0x87, "error-content-not-accepted";
        ERROR_UNSUPPORTED_MESSAGE = 0x88, "error-unsupported-message";
        TRANSIENT_FAILURE = 0xC0, "error-transient-failure";
        TRANSIENT_SENDING_ADDRESS_UNRESOLVED = 0xC1, "error-transient-sending-address-unresolved";
        TRANSIENT_MESSAGE_NOT_FOUND = 0xC2, "error-transient-message-not-found";
        TRANSIENT_NETWORK_PROBLEM = 0xC3, "error-transient-network-problem";
        TRANSIENT_PARTIAL_SUCCESS = 0xC4, "error-transient-partial-success";
        PERMANENT_FAILURE = 0xE0, "error-permanent-failure";
        PERMANENT_SERVICE_DENIED = 0xE1, "error-permanent-service-denied";
        PERMANENT_MESSAGE_FORMAT_CORRUPT = 0xE2, "error-permanent-message-format-corrupt";
        PERMANENT_SENDING_ADDRESS_UNRESOLVED = 0xE3, "error-permanent-sending-address-unresolved";
        PERMANENT_MESSAGE_NOT_FOUND = 0xE4, "error-permanent-message-not-found";
        PERMANENT_CONTENT_NOT_ACCEPTED = 0xE5, "error-permanent-content-not-accepted";
        PERMANENT_REPLY_CHARGING_LIMITATIONS_NOT_MET = 0xE6, "error-permanent-reply-charging-limitations-not-met";
        PERMANENT_REPLY_CHARGING_REQUEST_NOT_ACCEPTED = 0xE7, "error-permanent-reply-charging-request-not-accepted";
        PERMANENT_REPLY_CHARGING_FORWARDING_DENIED = 0xE8, "error-permanent-reply-charging-forwarding-denied";
        PERMANENT_REPLY_CHARGING_NOT_SUPPORTED = 0xE9, "error-permanent-reply-charging-not-supported";
        PERMANENT_ADDRESS_HIDING_NOT_SUPPORTED = 0xEA, "error-permanent-address-hiding-not-supported";
        PERMANENT_LACK_OF_PREPAID = 0xEB, "error-permanent-lack-of-prepaid";
    }
}

impl ResponseStatus {
    /// True for Ok.
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }

    /// The 1.3 code for an obsolete 1.0 code (0x81..=0x88), the value
    /// itself otherwise. Network problems are transient; every other
    /// obsolete error is permanent.
    pub fn normalized(self) -> Self {
        match self {
            Self::ERROR_UNSPECIFIED => Self::PERMANENT_FAILURE,
            Self::ERROR_SERVICE_DENIED => Self::PERMANENT_SERVICE_DENIED,
            Self::ERROR_MESSAGE_FORMAT_CORRUPT => Self::PERMANENT_MESSAGE_FORMAT_CORRUPT,
            Self::ERROR_SENDING_ADDRESS_UNRESOLVED => Self::PERMANENT_SENDING_ADDRESS_UNRESOLVED,
            Self::ERROR_MESSAGE_NOT_FOUND => Self::PERMANENT_MESSAGE_NOT_FOUND,
            Self::ERROR_NETWORK_PROBLEM => Self::TRANSIENT_NETWORK_PROBLEM,
            Self::ERROR_CONTENT_NOT_ACCEPTED => Self::PERMANENT_CONTENT_NOT_ACCEPTED,
            Self::ERROR_UNSUPPORTED_MESSAGE => Self::PERMANENT_FAILURE,
            other => other,
        }
    }

    /// A transient error (0xC0..=0xDF, or obsolete Error-network-problem):
    /// the client may try again.
    pub fn is_transient(self) -> bool {
        (0xC0..=0xDF).contains(&self.normalized().0)
    }

    /// A permanent error: 0xE0..=0xFF, the obsolete 1.0 errors other than
    /// network problems, and (as §7.3 requires) any other unassigned value.
    pub fn is_permanent(self) -> bool {
        !self.is_ok() && !self.is_transient()
    }
}

code_type! {
    /// `X-Mms-Retrieve-Status` (§7.3), ranges as for Response-Status.
    RetrieveStatus {
        OK = 0x80, "ok";
        TRANSIENT_FAILURE = 0xC0, "error-transient-failure";
        TRANSIENT_MESSAGE_NOT_FOUND = 0xC1, "error-transient-message-not-found";
        TRANSIENT_NETWORK_PROBLEM = 0xC2, "error-transient-network-problem";
        PERMANENT_FAILURE = 0xE0, "error-permanent-failure";
        PERMANENT_SERVICE_DENIED = 0xE1, "error-permanent-service-denied";
        PERMANENT_MESSAGE_NOT_FOUND = 0xE2, "error-permanent-message-not-found";
        PERMANENT_CONTENT_UNSUPPORTED = 0xE3, "error-permanent-content-unsupported";
    }
}

impl RetrieveStatus {
    /// True for Ok.
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }
    /// 0xC0..=0xDF.
    pub fn is_transient(self) -> bool {
        (0xC0..=0xDF).contains(&self.0)
    }
    /// Any other error value (unassigned values count as permanent failures).
    pub fn is_permanent(self) -> bool {
        !self.is_ok() && !self.is_transient()
    }
}

code_type! {
    /// `X-Mms-Store-Status` (§7.3), ranges as for Response-Status.
    StoreStatus {
        SUCCESS = 0x80, "success";
        TRANSIENT_FAILURE = 0xC0, "error-transient-failure";
        TRANSIENT_NETWORK_PROBLEM = 0xC1, "error-transient-network-problem";
        PERMANENT_FAILURE = 0xE0, "error-permanent-failure";
        PERMANENT_SERVICE_DENIED = 0xE1, "error-permanent-service-denied";
        PERMANENT_MESSAGE_FORMAT_CORRUPT = 0xE2, "error-permanent-message-format-corrupt";
        PERMANENT_MESSAGE_NOT_FOUND = 0xE3, "error-permanent-message-not-found";
        PERMANENT_MMBOX_FULL = 0xE4, "error-permanent-mmbox-full";
    }
}

/// `X-Mms-MMS-Version` (§7.3): major version in bits 4..=6, minor in 0..=3.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub u8);

impl Version {
    /// 1.0
    pub const V1_0: Self = Self(0x10);
    /// 1.1
    pub const V1_1: Self = Self(0x11);
    /// 1.2
    pub const V1_2: Self = Self(0x12);
    /// 1.3
    pub const V1_3: Self = Self(0x13);

    /// A version from its major and minor numbers (7 and 15 at most).
    pub fn new(major: u8, minor: u8) -> Self {
        Self(((major & 0x07) << 4) | (minor & 0x0F))
    }
    /// Major version.
    pub fn major(self) -> u8 {
        (self.0 >> 4) & 0x07
    }
    /// Minor version (15 means "no minor version").
    pub fn minor(self) -> u8 {
        self.0 & 0x0F
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minor() == 0x0F {
            write!(f, "{}", self.major())
        } else {
            write!(f, "{}.{}", self.major(), self.minor())
        }
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ranges() {
        assert_eq!(
            MessageType::NOTIFICATION_IND.to_string(),
            "m-notification-ind"
        );
        assert_eq!(MessageType(0x42).to_string(), "0x42");
        assert_eq!(format!("{:?}", Status::RETRIEVED), "Status(retrieved)");
        assert_eq!(
            MessageType::from_name("M-Retrieve-Conf"),
            Some(MessageType::RETRIEVE_CONF)
        );
        assert!(ResponseStatus(0xC7).is_transient());
        assert!(ResponseStatus(0xF3).is_permanent());
        assert!(ResponseStatus::ERROR_NETWORK_PROBLEM.is_transient());
        assert!(ResponseStatus::ERROR_UNSPECIFIED.is_permanent());
        assert!(ResponseStatus(0x99).is_permanent());
        assert!(!ResponseStatus::OK.is_permanent() && !ResponseStatus::OK.is_transient());
        assert!(RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND.is_permanent());
        assert_eq!(Version::V1_3.to_string(), "1.3");
        assert_eq!(Version::new(1, 2), Version::V1_2);
        // Spot checks against the 1.3 tables.
        assert_eq!(MessageType::CANCEL_CONF.0, 0x97);
        assert_eq!(ResponseStatus::PERMANENT_LACK_OF_PREPAID.0, 0xEB);
        assert_eq!(StoreStatus::PERMANENT_MMBOX_FULL.0, 0xE4);
        assert_eq!(ContentClass::CONTENT_RICH.0, 0x87);
    }
}
