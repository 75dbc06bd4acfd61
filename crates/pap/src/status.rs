//! PAP status codes (WAP-247-PAP §9.13, §9.14).
//!
//! "The first digit of the status code indicates the class of the code": 1xxx
//! success, 2xxx push initiator (client) error, 3xxx PPG (server) error, 4xxx
//! service failure, 5xxx mobile client aborted. A receiver that does not know
//! a code treats it as the x000 code of its class ([`StatusCode::class`]).
//! Codes are a newtype so that unknown values survive a round trip.

use std::fmt;

/// A PAP status code, as carried in `code` attributes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub u16);

/// The named codes with their spec phrases, in table order.
const TABLE: &[(StatusCode, &str, &str)] = &[
    (StatusCode::OK, "OK", "OK"),
    (
        StatusCode::ACCEPTED_FOR_PROCESSING,
        "ACCEPTED_FOR_PROCESSING",
        "Accepted for processing",
    ),
    (StatusCode::BAD_REQUEST, "BAD_REQUEST", "Bad request"),
    (StatusCode::FORBIDDEN, "FORBIDDEN", "Forbidden"),
    (StatusCode::ADDRESS_ERROR, "ADDRESS_ERROR", "Address error"),
    (
        StatusCode::ADDRESS_NOT_FOUND,
        "ADDRESS_NOT_FOUND",
        "Address not found",
    ),
    (
        StatusCode::PUSH_ID_NOT_FOUND,
        "PUSH_ID_NOT_FOUND",
        "Push ID not found",
    ),
    (
        StatusCode::CAPABILITIES_MISMATCH,
        "CAPABILITIES_MISMATCH",
        "Capabilities mismatch",
    ),
    (
        StatusCode::REQUIRED_CAPABILITIES_NOT_SUPPORTED,
        "REQUIRED_CAPABILITIES_NOT_SUPPORTED",
        "Required capabilities not supported",
    ),
    (
        StatusCode::DUPLICATE_PUSH_ID,
        "DUPLICATE_PUSH_ID",
        "Duplicate push ID",
    ),
    (
        StatusCode::CANCELLATION_NOT_POSSIBLE,
        "CANCELLATION_NOT_POSSIBLE",
        "Cancellation not possible",
    ),
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "Internal server error",
    ),
    (
        StatusCode::NOT_IMPLEMENTED,
        "NOT_IMPLEMENTED",
        "Not implemented",
    ),
    (
        StatusCode::VERSION_NOT_SUPPORTED,
        "VERSION_NOT_SUPPORTED",
        "Version not supported",
    ),
    (StatusCode::NOT_POSSIBLE, "NOT_POSSIBLE", "Not possible"),
    (
        StatusCode::CAPABILITY_MATCHING_NOT_POSSIBLE,
        "CAPABILITY_MATCHING_NOT_POSSIBLE",
        "Capability matching not possible",
    ),
    (
        StatusCode::MULTIPLE_ADDRESSES_NOT_SUPPORTED,
        "MULTIPLE_ADDRESSES_NOT_SUPPORTED",
        "Multiple addresses not supported",
    ),
    (
        StatusCode::TRANSFORMATION_FAILURE,
        "TRANSFORMATION_FAILURE",
        "Transformation failure",
    ),
    (
        StatusCode::DELIVERY_METHOD_NOT_POSSIBLE,
        "DELIVERY_METHOD_NOT_POSSIBLE",
        "Specified delivery method not possible",
    ),
    (
        StatusCode::CAPABILITIES_NOT_AVAILABLE,
        "CAPABILITIES_NOT_AVAILABLE",
        "Capabilities not available",
    ),
    (
        StatusCode::REQUIRED_NETWORK_NOT_AVAILABLE,
        "REQUIRED_NETWORK_NOT_AVAILABLE",
        "Required network not available",
    ),
    (
        StatusCode::REQUIRED_BEARER_NOT_AVAILABLE,
        "REQUIRED_BEARER_NOT_AVAILABLE",
        "Required bearer not available",
    ),
    (
        StatusCode::REPLACEMENT_NOT_SUPPORTED,
        "REPLACEMENT_NOT_SUPPORTED",
        "Replacement not supported",
    ),
    (
        StatusCode::SERVICE_FAILURE,
        "SERVICE_FAILURE",
        "Service failure",
    ),
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
        "Service unavailable",
    ),
    (
        StatusCode::MOBILE_CLIENT_ABORTED,
        "MOBILE_CLIENT_ABORTED",
        "Mobile client aborted",
    ),
];

impl StatusCode {
    /// 1000: "OK" — the request succeeded.
    pub const OK: Self = Self(1000);
    /// 1001: "Accepted for processing" — the usual answer to a push submission.
    pub const ACCEPTED_FOR_PROCESSING: Self = Self(1001);
    /// 2000: "Bad request" — not understood due to malformed syntax.
    pub const BAD_REQUEST: Self = Self(2000);
    /// 2001: "Forbidden" — the request was refused (e.g. not authorised).
    pub const FORBIDDEN: Self = Self(2001);
    /// 2002: "Address error" — the client address is not in a recognised format.
    pub const ADDRESS_ERROR: Self = Self(2002);
    /// 2003: "Address not found" — no such client address.
    pub const ADDRESS_NOT_FOUND: Self = Self(2003);
    /// 2004: "Push ID not found" — no push with that push-id.
    pub const PUSH_ID_NOT_FOUND: Self = Self(2004);
    /// 2005: "Capabilities mismatch" — the content does not fit the client.
    pub const CAPABILITIES_MISMATCH: Self = Self(2005);
    /// 2006: "Required capabilities not supported".
    pub const REQUIRED_CAPABILITIES_NOT_SUPPORTED: Self = Self(2006);
    /// 2007: "Duplicate push ID" — the push-id was not unique.
    pub const DUPLICATE_PUSH_ID: Self = Self(2007);
    /// 2008: "Cancellation not possible".
    pub const CANCELLATION_NOT_POSSIBLE: Self = Self(2008);
    /// 3000: "Internal server error".
    pub const INTERNAL_SERVER_ERROR: Self = Self(3000);
    /// 3001: "Not implemented" — the PPG does not support the operation.
    pub const NOT_IMPLEMENTED: Self = Self(3001);
    /// 3002: "Version not supported" — the PAP version is not supported.
    pub const VERSION_NOT_SUPPORTED: Self = Self(3002);
    /// 3003: "Not possible" — e.g. the message is no longer available.
    pub const NOT_POSSIBLE: Self = Self(3003);
    /// 3004: "Capability matching not possible".
    pub const CAPABILITY_MATCHING_NOT_POSSIBLE: Self = Self(3004);
    /// 3005: "Multiple addresses not supported".
    pub const MULTIPLE_ADDRESSES_NOT_SUPPORTED: Self = Self(3005);
    /// 3006: "Transformation failure" — the PPG could not transform the content.
    pub const TRANSFORMATION_FAILURE: Self = Self(3006);
    /// 3007: "Specified delivery method not possible".
    pub const DELIVERY_METHOD_NOT_POSSIBLE: Self = Self(3007);
    /// 3008: "Capabilities not available".
    pub const CAPABILITIES_NOT_AVAILABLE: Self = Self(3008);
    /// 3009: "Required network not available".
    pub const REQUIRED_NETWORK_NOT_AVAILABLE: Self = Self(3009);
    /// 3010: "Required bearer not available".
    pub const REQUIRED_BEARER_NOT_AVAILABLE: Self = Self(3010);
    /// 3011: "Replacement not supported".
    pub const REPLACEMENT_NOT_SUPPORTED: Self = Self(3011);
    /// 4000: "Service failure" — the service failed; the client may retry.
    pub const SERVICE_FAILURE: Self = Self(4000);
    /// 4001: "Service unavailable" — the server is busy.
    pub const SERVICE_UNAVAILABLE: Self = Self(4001);
    /// 5000: "Mobile client aborted" with no reason given. 5001–5999 are the
    /// same class with a reason in the low digits (§9.14.5 refers to the
    /// abort reasons of the push over-the-air protocol; Kannel, for one,
    /// sends 5028 when the client refuses a push as "user pending").
    pub const MOBILE_CLIENT_ABORTED: Self = Self(5000);

    /// The constant's name (e.g. `"ACCEPTED_FOR_PROCESSING"`), if the code is
    /// one of the named ones.
    pub fn name(self) -> Option<&'static str> {
        TABLE
            .iter()
            .find(|(c, _, _)| *c == self)
            .map(|(_, n, _)| *n)
    }

    /// The spec's phrase for the code (e.g. `"Accepted for processing"`); for
    /// an unnamed code, the phrase of its class's x000 code; `None` outside
    /// 1000–5999.
    pub fn description(self) -> Option<&'static str> {
        let code = if self.name().is_some() {
            self
        } else {
            self.class()?
        };
        TABLE
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, _, d)| *d)
    }

    /// The x000 code of this code's class (`3009` → `3000`), which a receiver
    /// uses for a code it does not know (§9.13); `None` outside 1000–5999.
    pub fn class(self) -> Option<StatusCode> {
        match self.0 {
            1000..=5999 => Some(StatusCode(self.0 / 1000 * 1000)),
            _ => None,
        }
    }

    /// 1xxx: the request succeeded or was accepted.
    pub fn is_success(self) -> bool {
        (1000..2000).contains(&self.0)
    }

    /// 2xxx: the push initiator's request was at fault.
    pub fn is_client_error(self) -> bool {
        (2000..3000).contains(&self.0)
    }

    /// 3xxx: the PPG could not carry out a valid request.
    pub fn is_server_error(self) -> bool {
        (3000..4000).contains(&self.0)
    }

    /// 4xxx: the service failed; the request may be retried.
    pub fn is_service_failure(self) -> bool {
        (4000..5000).contains(&self.0)
    }

    /// 5xxx: the mobile client aborted the operation.
    pub fn is_client_aborted(self) -> bool {
        (5000..6000).contains(&self.0)
    }

    /// Any code outside 1xxx.
    pub fn is_error(self) -> bool {
        !self.is_success()
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "StatusCode({})", self.0),
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.description() {
            Some(d) => write!(f, "{} {d}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl From<u16> for StatusCode {
    fn from(v: u16) -> Self {
        StatusCode(v)
    }
}

impl From<StatusCode> for u16 {
    fn from(v: StatusCode) -> Self {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_values() {
        let expected: &[(u16, &str)] = &[
            (1000, "OK"),
            (1001, "Accepted for processing"),
            (2000, "Bad request"),
            (2001, "Forbidden"),
            (2002, "Address error"),
            (2003, "Address not found"),
            (2004, "Push ID not found"),
            (2005, "Capabilities mismatch"),
            (2006, "Required capabilities not supported"),
            (2007, "Duplicate push ID"),
            (2008, "Cancellation not possible"),
            (3000, "Internal server error"),
            (3001, "Not implemented"),
            (3002, "Version not supported"),
            (3003, "Not possible"),
            (3004, "Capability matching not possible"),
            (3005, "Multiple addresses not supported"),
            (3006, "Transformation failure"),
            (3007, "Specified delivery method not possible"),
            (3008, "Capabilities not available"),
            (3009, "Required network not available"),
            (3010, "Required bearer not available"),
            (3011, "Replacement not supported"),
            (4000, "Service failure"),
            (4001, "Service unavailable"),
            (5000, "Mobile client aborted"),
        ];
        assert_eq!(expected.len(), TABLE.len());
        for ((code, phrase), (c, _, d)) in expected.iter().zip(TABLE) {
            assert_eq!(c.0, *code);
            assert_eq!(d, phrase);
        }
    }

    #[test]
    fn classes_and_printing() {
        assert!(StatusCode::ACCEPTED_FOR_PROCESSING.is_success());
        assert!(StatusCode::DUPLICATE_PUSH_ID.is_client_error());
        assert!(StatusCode::REPLACEMENT_NOT_SUPPORTED.is_server_error());
        assert!(StatusCode::SERVICE_UNAVAILABLE.is_service_failure());
        assert!(StatusCode(5028).is_client_aborted());
        assert_eq!(StatusCode(2042).class(), Some(StatusCode::BAD_REQUEST));
        assert_eq!(
            StatusCode(5028).description(),
            Some("Mobile client aborted")
        );
        assert_eq!(StatusCode(999).class(), None);
        assert_eq!(
            format!("{:?}", StatusCode(1001)),
            "ACCEPTED_FOR_PROCESSING(1001)"
        );
        assert_eq!(format!("{:?}", StatusCode(21000)), "StatusCode(21000)");
        assert_eq!(StatusCode(2002).to_string(), "2002 Address error");
        assert_eq!(StatusCode(7000).to_string(), "7000");
    }
}
