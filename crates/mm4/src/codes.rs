//! The textual codes of MM4 (3GPP TS 23.140 §8.4): message types, request
//! status codes, MM status codes and read statuses, and the header tokens
//! (priority, class, yes/no, visibility) that MM1 carries as binary codes.
//!
//! Each code is a newtype over its text with named constants: an unknown
//! value survives a round trip, comparison ignores ASCII case, and each maps
//! to and from the binary code of `ferry-mms` where one exists.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};

use ferry_mms::{
    ClassToken, Priority, ReadStatus as MmsReadStatus, ResponseStatus, SenderVisibility, Status,
};

macro_rules! text_code {
    (
        $(#[$meta:meta])*
        $name:ident { $( $konst:ident = $text:expr, $code:expr; )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Eq)]
        pub struct $name(pub Cow<'static, str>);

        impl $name {
            $( #[doc = concat!("`", $text, "`")]
               pub const $konst: Self = Self(Cow::Borrowed($text)); )*

            /// Every value this crate names, in specification order.
            pub const ALL: &'static [Self] = &[ $( Self::$konst, )* ];

            const TABLE: &'static [(&'static str, u8)] = &[ $( ($text, $code), )* ];

            /// A value from its text: the specification's spelling when it
            /// names one (ASCII case-insensitive), the text as it is otherwise.
            pub fn new(text: &str) -> Self {
                let t = text.trim();
                match Self::TABLE.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
                    Some((n, _)) => Self(Cow::Borrowed(n)),
                    None => Self(Cow::Owned(t.to_owned())),
                }
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// True when the specification names this value.
            pub fn is_known(&self) -> bool {
                self.code().is_some()
            }

            fn code(&self) -> Option<u8> {
                Self::TABLE.iter().find(|(n, _)| n.eq_ignore_ascii_case(&self.0)).map(|(_, c)| *c)
            }

            #[allow(dead_code)]
            fn from_code(code: u8) -> Option<Self> {
                Self::TABLE.iter().find(|(_, c)| *c == code).map(|(n, _)| Self(Cow::Borrowed(n)))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.eq_ignore_ascii_case(&other.0)
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                for b in self.0.bytes() {
                    state.write_u8(b.to_ascii_lowercase());
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }
    };
}

text_code! {
    /// `X-Mms-Message-Type` (TS 23.140 §8.4.1 to §8.4.3): which MM4 message this is.
    MessageKind {
        FORWARD_REQ = "MM4_forward.REQ", 0;
        FORWARD_RES = "MM4_forward.RES", 1;
        DELIVERY_REPORT_REQ = "MM4_delivery_report.REQ", 2;
        DELIVERY_REPORT_RES = "MM4_delivery_report.RES", 3;
        READ_REPLY_REPORT_REQ = "MM4_read_reply_report.REQ", 4;
        READ_REPLY_REPORT_RES = "MM4_read_reply_report.RES", 5;
    }
}

text_code! {
    /// `X-Mms-Request-Status-Code` of the MM4 `.RES` messages (TS 23.140
    /// §8.4.1.2): the receiving MMS Relay/Server's answer. The values are
    /// those of MM1's obsolete 1.0 Response-Status codes, spelled as text.
    RequestStatus {
        OK = "Ok", 0x80;
        ERROR_UNSPECIFIED = "Error-unspecified", 0x81;
        ERROR_SERVICE_DENIED = "Error-service-denied", 0x82;
        ERROR_MESSAGE_FORMAT_CORRUPT = "Error-message-format-corrupt", 0x83;
        ERROR_SENDING_ADDRESS_UNRESOLVED = "Error-sending-address-unresolved", 0x84;
        ERROR_MESSAGE_NOT_FOUND = "Error-message-not-found", 0x85;
        ERROR_NETWORK_PROBLEM = "Error-network-problem", 0x86;
        ERROR_CONTENT_NOT_ACCEPTED = "Error-content-not-accepted", 0x87;
        ERROR_UNSUPPORTED_MESSAGE = "Error-unsupported-message", 0x88;
    }
}

impl RequestStatus {
    /// True for `Ok`.
    pub fn is_ok(&self) -> bool {
        *self == Self::OK
    }

    /// The MM1 Response-Status with the same meaning (an unknown text reads
    /// as Error-unspecified).
    pub fn to_mms(&self) -> ResponseStatus {
        self.code()
            .map_or(ResponseStatus::ERROR_UNSPECIFIED, ResponseStatus)
    }

    /// The MM4 code closest to an MM1 Response-Status: the 1.0 codes map one
    /// to one, the 1.3 transient and permanent codes to the 1.0 code of the
    /// same cause.
    pub fn from_mms(s: ResponseStatus) -> Self {
        if let Some(v) = Self::from_code(s.0) {
            return v;
        }
        match s {
            ResponseStatus::TRANSIENT_SENDING_ADDRESS_UNRESOLVED
            | ResponseStatus::PERMANENT_SENDING_ADDRESS_UNRESOLVED => {
                Self::ERROR_SENDING_ADDRESS_UNRESOLVED
            }
            ResponseStatus::TRANSIENT_MESSAGE_NOT_FOUND
            | ResponseStatus::PERMANENT_MESSAGE_NOT_FOUND => Self::ERROR_MESSAGE_NOT_FOUND,
            ResponseStatus::TRANSIENT_NETWORK_PROBLEM => Self::ERROR_NETWORK_PROBLEM,
            ResponseStatus::PERMANENT_SERVICE_DENIED
            | ResponseStatus::PERMANENT_LACK_OF_PREPAID => Self::ERROR_SERVICE_DENIED,
            ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT => Self::ERROR_MESSAGE_FORMAT_CORRUPT,
            ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED => Self::ERROR_CONTENT_NOT_ACCEPTED,
            _ => Self::ERROR_UNSPECIFIED,
        }
    }
}

text_code! {
    /// `X-Mms-MM-Status-Code` of `MM4_delivery_report.REQ` (TS 23.140
    /// §8.4.2.1): what became of the MM at the recipient.
    MmStatus {
        EXPIRED = "Expired", 0x80;
        RETRIEVED = "Retrieved", 0x81;
        REJECTED = "Rejected", 0x82;
        DEFERRED = "Deferred", 0x83;
        UNRECOGNISED = "Unrecognised", 0x84;
        INDETERMINATE = "Indeterminate", 0x85;
        FORWARDED = "Forwarded", 0x86;
        UNREACHABLE = "Unreachable", 0x87;
    }
}

impl MmStatus {
    /// The MM1 `X-Mms-Status` with the same meaning (unknown: Indeterminate).
    pub fn to_mms(&self) -> Status {
        self.code().map_or(Status::INDETERMINATE, Status)
    }

    /// The MM4 code of an MM1 `X-Mms-Status` (unknown: Indeterminate).
    pub fn from_mms(s: Status) -> Self {
        Self::from_code(s.0).unwrap_or(Self::INDETERMINATE)
    }
}

text_code! {
    /// `X-Mms-Read-Status` of `MM4_read_reply_report.REQ` (TS 23.140 §8.4.3.1).
    ReadStatus {
        READ = "Read", 0x80;
        DELETED_WITHOUT_BEING_READ = "Deleted without being read", 0x81;
    }
}

impl ReadStatus {
    /// The MM1 `X-Mms-Read-Status` (unknown: Read).
    pub fn to_mms(&self) -> MmsReadStatus {
        self.code().map_or(MmsReadStatus::READ, MmsReadStatus)
    }

    /// The MM4 text of an MM1 `X-Mms-Read-Status`.
    pub fn from_mms(s: MmsReadStatus) -> Self {
        Self::from_code(s.0).unwrap_or(Self::READ)
    }
}

/// `X-Mms-Priority` tokens.
const PRIORITY: &[(&str, u8)] = &[("Low", 0x80), ("Normal", 0x81), ("High", 0x82)];
/// `X-Mms-Message-Class` tokens.
const CLASS: &[(&str, u8)] = &[
    ("Personal", 0x80),
    ("Advertisement", 0x81),
    ("Informational", 0x82),
    ("Auto", 0x83),
];
/// `X-Mms-Sender-Visibility` tokens.
const VISIBILITY: &[(&str, u8)] = &[("Hide", 0x80), ("Show", 0x81)];

fn name_of(table: &[(&'static str, u8)], code: u8) -> Option<&'static str> {
    table.iter().find(|(_, c)| *c == code).map(|(n, _)| *n)
}

fn code_of(table: &[(&'static str, u8)], text: &str) -> Option<u8> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(text.trim()))
        .map(|(_, c)| *c)
}

/// The MM4 spelling of a priority (`Low`, `Normal`, `High`).
pub fn priority_text(p: Priority) -> Option<&'static str> {
    name_of(PRIORITY, p.0)
}

/// A priority from its MM4 spelling.
pub fn priority_from_text(t: &str) -> Option<Priority> {
    code_of(PRIORITY, t).map(Priority)
}

/// The MM4 spelling of a message class token (`Personal`, ...).
pub fn class_text(c: ClassToken) -> Option<&'static str> {
    name_of(CLASS, c.0)
}

/// A class token from its MM4 spelling.
pub fn class_from_text(t: &str) -> Option<ClassToken> {
    code_of(CLASS, t).map(ClassToken)
}

/// The MM4 spelling of a sender visibility (`Hide`, `Show`).
pub fn visibility_text(v: SenderVisibility) -> Option<&'static str> {
    name_of(VISIBILITY, v.0)
}

/// A sender visibility from its MM4 spelling.
pub fn visibility_from_text(t: &str) -> Option<SenderVisibility> {
    code_of(VISIBILITY, t).map(SenderVisibility)
}

/// `Yes` or `No`.
pub fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// `Yes` / `No` (ASCII case-insensitive) as a boolean.
pub fn parse_yes_no(t: &str) -> Option<bool> {
    let t = t.trim();
    if t.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if t.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_tables() {
        // value <-> exact text, as TS 23.140 spells them.
        let rs: &[(RequestStatus, &str, u8)] = &[
            (RequestStatus::OK, "Ok", 0x80),
            (RequestStatus::ERROR_UNSPECIFIED, "Error-unspecified", 0x81),
            (
                RequestStatus::ERROR_SERVICE_DENIED,
                "Error-service-denied",
                0x82,
            ),
            (
                RequestStatus::ERROR_MESSAGE_FORMAT_CORRUPT,
                "Error-message-format-corrupt",
                0x83,
            ),
            (
                RequestStatus::ERROR_SENDING_ADDRESS_UNRESOLVED,
                "Error-sending-address-unresolved",
                0x84,
            ),
            (
                RequestStatus::ERROR_MESSAGE_NOT_FOUND,
                "Error-message-not-found",
                0x85,
            ),
            (
                RequestStatus::ERROR_NETWORK_PROBLEM,
                "Error-network-problem",
                0x86,
            ),
            (
                RequestStatus::ERROR_CONTENT_NOT_ACCEPTED,
                "Error-content-not-accepted",
                0x87,
            ),
            (
                RequestStatus::ERROR_UNSUPPORTED_MESSAGE,
                "Error-unsupported-message",
                0x88,
            ),
        ];
        for (v, text, code) in rs {
            assert_eq!(v.as_str(), *text);
            assert_eq!(&RequestStatus::new(&text.to_ascii_uppercase()), v);
            assert_eq!(
                RequestStatus::new(&text.to_ascii_uppercase()).as_str(),
                *text
            );
            assert_eq!(v.to_mms(), ResponseStatus(*code));
            assert_eq!(&RequestStatus::from_mms(ResponseStatus(*code)), v);
        }
        assert_eq!(
            RequestStatus::from_mms(ResponseStatus::PERMANENT_SERVICE_DENIED),
            RequestStatus::ERROR_SERVICE_DENIED
        );
        let odd = RequestStatus::new("Error-new-thing");
        assert!(!odd.is_known());
        assert_eq!(odd.as_str(), "Error-new-thing");
        assert_eq!(odd.to_mms(), ResponseStatus::ERROR_UNSPECIFIED);

        let ms: &[(MmStatus, &str, Status)] = &[
            (MmStatus::EXPIRED, "Expired", Status::EXPIRED),
            (MmStatus::RETRIEVED, "Retrieved", Status::RETRIEVED),
            (MmStatus::REJECTED, "Rejected", Status::REJECTED),
            (MmStatus::DEFERRED, "Deferred", Status::DEFERRED),
            (MmStatus::UNRECOGNISED, "Unrecognised", Status::UNRECOGNISED),
            (
                MmStatus::INDETERMINATE,
                "Indeterminate",
                Status::INDETERMINATE,
            ),
            (MmStatus::FORWARDED, "Forwarded", Status::FORWARDED),
            (MmStatus::UNREACHABLE, "Unreachable", Status::UNREACHABLE),
        ];
        for (v, text, st) in ms {
            assert_eq!(v.as_str(), *text);
            assert_eq!(v.to_mms(), *st);
            assert_eq!(&MmStatus::from_mms(*st), v);
        }
        assert_eq!(
            ReadStatus::DELETED_WITHOUT_BEING_READ.as_str(),
            "Deleted without being read"
        );
        assert_eq!(ReadStatus::new("read").to_mms(), MmsReadStatus::READ);
        assert_eq!(
            ReadStatus::from_mms(MmsReadStatus::DELETED_WITHOUT_BEING_READ),
            ReadStatus::DELETED_WITHOUT_BEING_READ
        );
        let kinds = [
            "MM4_forward.REQ",
            "MM4_forward.RES",
            "MM4_delivery_report.REQ",
            "MM4_delivery_report.RES",
            "MM4_read_reply_report.REQ",
            "MM4_read_reply_report.RES",
        ];
        for (k, t) in MessageKind::ALL.iter().zip(kinds) {
            assert_eq!(k.as_str(), t);
        }
        assert_eq!(priority_text(Priority::HIGH), Some("High"));
        assert_eq!(priority_from_text("normal"), Some(Priority::NORMAL));
        assert_eq!(class_text(ClassToken::ADVERTISEMENT), Some("Advertisement"));
        assert_eq!(class_from_text("Auto"), Some(ClassToken::AUTO));
        assert_eq!(visibility_text(SenderVisibility::HIDE), Some("Hide"));
        assert_eq!(parse_yes_no(" YES "), Some(true));
        assert_eq!(parse_yes_no("maybe"), None);
    }
}
