//! Wire codes as newtypes with named constants: unknown values survive a
//! round trip and print in hex.

macro_rules! code_u8 {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$cmeta:meta])* $konst:ident = $val:expr ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub u8);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: Self = Self($val); )*

            /// The constant's name, if this value has one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some(stringify!($konst)), )*
                    _ => None,
                }
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}::{}", stringify!($name), n),
                    None => write!(f, "{}({:#04x})", stringify!($name), self.0),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{:#04x}", self.0),
                }
            }
        }

        impl From<u8> for $name {
            fn from(v: u8) -> Self {
                Self(v)
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                v.0
            }
        }
    };
}

code_u8! {
    /// TP-Protocol-Identifier (TS 23.040 §9.2.3.9).
    ProtocolId {
        /// Plain short message, no interworking (`0x00`).
        DEFAULT = 0x00,
        /// Telematic interworking: implicit device type (`0x20`).
        TELEMATIC_IMPLICIT = 0x20,
        /// Telematic interworking: Internet electronic mail (`0x32`).
        INTERNET_EMAIL = 0x32,
        /// Short Message Type 0: acknowledged and discarded (`0x40`).
        SHORT_MESSAGE_TYPE_0 = 0x40,
        /// Replace Short Message Type 1 (`0x41`).
        REPLACE_TYPE_1 = 0x41,
        /// Replace Short Message Type 2 (`0x42`).
        REPLACE_TYPE_2 = 0x42,
        /// Replace Short Message Type 3 (`0x43`).
        REPLACE_TYPE_3 = 0x43,
        /// Replace Short Message Type 4 (`0x44`).
        REPLACE_TYPE_4 = 0x44,
        /// Replace Short Message Type 5 (`0x45`).
        REPLACE_TYPE_5 = 0x45,
        /// Replace Short Message Type 6 (`0x46`).
        REPLACE_TYPE_6 = 0x46,
        /// Replace Short Message Type 7 (`0x47`).
        REPLACE_TYPE_7 = 0x47,
        /// Return Call Message (`0x5F`).
        RETURN_CALL = 0x5F,
        /// ME Data download (`0x7D`).
        ME_DATA_DOWNLOAD = 0x7D,
        /// ME De-personalization Short Message (`0x7E`).
        ME_DEPERSONALIZATION = 0x7E,
        /// (U)SIM Data download (`0x7F`).
        SIM_DATA_DOWNLOAD = 0x7F,
    }
}

code_u8! {
    /// TP-Status of an SMS-STATUS-REPORT (TS 23.040 §9.2.3.15).
    ///
    /// `0x00..=0x1F`: transaction completed; `0x20..=0x3F`: temporary error,
    /// SC still trying; `0x40..=0x5F`: permanent error; `0x60..=0x7F`:
    /// temporary error, SC no longer trying.
    Status {
        /// Short message received by the SME.
        RECEIVED = 0x00,
        /// Forwarded by the SC to the SME but delivery could not be confirmed.
        FORWARDED_UNCONFIRMED = 0x01,
        /// Replaced by the SC.
        REPLACED = 0x02,
        /// Temporary, still trying: congestion.
        CONGESTION = 0x20,
        /// Temporary, still trying: SME busy.
        SME_BUSY = 0x21,
        /// Temporary, still trying: no response from SME.
        NO_RESPONSE = 0x22,
        /// Temporary, still trying: service rejected.
        SERVICE_REJECTED = 0x23,
        /// Temporary, still trying: quality of service not available.
        QOS_NOT_AVAILABLE = 0x24,
        /// Temporary, still trying: error in SME.
        SME_ERROR = 0x25,
        /// Permanent: remote procedure error.
        REMOTE_PROCEDURE_ERROR = 0x40,
        /// Permanent: incompatible destination.
        INCOMPATIBLE_DESTINATION = 0x41,
        /// Permanent: connection rejected by SME.
        CONNECTION_REJECTED = 0x42,
        /// Permanent: not obtainable.
        NOT_OBTAINABLE = 0x43,
        /// Permanent: quality of service not available.
        QOS_NOT_AVAILABLE_PERMANENT = 0x44,
        /// Permanent: no interworking available.
        NO_INTERWORKING = 0x45,
        /// Permanent: SM validity period expired.
        VALIDITY_PERIOD_EXPIRED = 0x46,
        /// Permanent: SM deleted by originating SME.
        DELETED_BY_ORIGINATOR = 0x47,
        /// Permanent: SM deleted by SC administration.
        DELETED_BY_SC = 0x48,
        /// Permanent: SM does not exist.
        DOES_NOT_EXIST = 0x49,
        /// Temporary, no longer trying: congestion.
        CONGESTION_FINAL = 0x60,
        /// Temporary, no longer trying: SME busy.
        SME_BUSY_FINAL = 0x61,
        /// Temporary, no longer trying: no response from SME.
        NO_RESPONSE_FINAL = 0x62,
        /// Temporary, no longer trying: service rejected.
        SERVICE_REJECTED_FINAL = 0x63,
        /// Temporary, no longer trying: quality of service not available.
        QOS_NOT_AVAILABLE_FINAL = 0x64,
        /// Temporary, no longer trying: error in SME.
        SME_ERROR_FINAL = 0x65,
    }
}

impl Status {
    /// Whether the transaction is completed (`0x00..=0x1F`).
    pub fn is_completed(self) -> bool {
        self.0 & 0x60 == 0x00
    }

    /// Whether the SC is still trying to deliver (`0x20..=0x3F`).
    pub fn is_pending(self) -> bool {
        self.0 & 0x60 == 0x20
    }
}

code_u8! {
    /// TP-Failure-Cause of an SMS-DELIVER-REPORT / SMS-SUBMIT-REPORT for
    /// RP-ERROR (TS 23.040 §9.2.3.22).
    FailureCause {
        /// Telematic interworking not supported.
        TELEMATIC_NOT_SUPPORTED = 0x80,
        /// Short message Type 0 not supported.
        TYPE_0_NOT_SUPPORTED = 0x81,
        /// Cannot replace short message.
        CANNOT_REPLACE = 0x82,
        /// Unspecified TP-PID error.
        UNSPECIFIED_PID_ERROR = 0x8F,
        /// Data coding scheme (alphabet) not supported.
        DCS_NOT_SUPPORTED = 0x90,
        /// Message class not supported.
        MESSAGE_CLASS_NOT_SUPPORTED = 0x91,
        /// Unspecified TP-DCS error.
        UNSPECIFIED_DCS_ERROR = 0x9F,
        /// Command cannot be actioned.
        COMMAND_CANNOT_BE_ACTIONED = 0xA0,
        /// Command unsupported.
        COMMAND_UNSUPPORTED = 0xA1,
        /// Unspecified TP-Command error.
        UNSPECIFIED_COMMAND_ERROR = 0xAF,
        /// TPDU not supported.
        TPDU_NOT_SUPPORTED = 0xB0,
        /// SC busy.
        SC_BUSY = 0xC0,
        /// No SC subscription.
        NO_SC_SUBSCRIPTION = 0xC1,
        /// SC system failure.
        SC_SYSTEM_FAILURE = 0xC2,
        /// Invalid SME address.
        INVALID_SME_ADDRESS = 0xC3,
        /// Destination SME barred.
        DESTINATION_SME_BARRED = 0xC4,
        /// SM rejected: duplicate SM.
        DUPLICATE_REJECTED = 0xC5,
        /// TP-VPF not supported.
        VPF_NOT_SUPPORTED = 0xC6,
        /// TP-VP not supported.
        VP_NOT_SUPPORTED = 0xC7,
        /// (U)SIM SMS storage full.
        SIM_STORAGE_FULL = 0xD0,
        /// No SMS storage capability in (U)SIM.
        NO_SIM_STORAGE = 0xD1,
        /// Error in MS.
        ERROR_IN_MS = 0xD2,
        /// Memory capacity exceeded.
        MEMORY_CAPACITY_EXCEEDED = 0xD3,
        /// (U)SIM Application Toolkit busy.
        SAT_BUSY = 0xD4,
        /// (U)SIM data download error.
        SIM_DATA_DOWNLOAD_ERROR = 0xD5,
        /// Unspecified error cause.
        UNSPECIFIED = 0xFF,
    }
}

code_u8! {
    /// Type of number (TON) of an address, bits 6..4 of the type-of-address
    /// octet (TS 23.040 §9.1.2.5).
    TypeOfNumber {
        /// Unknown.
        UNKNOWN = 0,
        /// International number (shown with a leading `+`).
        INTERNATIONAL = 1,
        /// National number.
        NATIONAL = 2,
        /// Network specific number.
        NETWORK_SPECIFIC = 3,
        /// Subscriber number.
        SUBSCRIBER = 4,
        /// Alphanumeric, coded in the GSM 7-bit default alphabet.
        ALPHANUMERIC = 5,
        /// Abbreviated number.
        ABBREVIATED = 6,
        /// Reserved for extension.
        RESERVED = 7,
    }
}

code_u8! {
    /// Numbering plan identification (NPI), bits 3..0 of the
    /// type-of-address octet (TS 23.040 §9.1.2.5).
    NumberingPlan {
        /// Unknown.
        UNKNOWN = 0,
        /// ISDN/telephone numbering plan (E.164/E.163).
        ISDN = 1,
        /// Data numbering plan (X.121).
        DATA = 3,
        /// Telex numbering plan.
        TELEX = 4,
        /// Service Centre Specific plan 1.
        SC_SPECIFIC_1 = 5,
        /// Service Centre Specific plan 2.
        SC_SPECIFIC_2 = 6,
        /// National numbering plan.
        NATIONAL = 8,
        /// Private numbering plan.
        PRIVATE = 9,
        /// ERMES numbering plan.
        ERMES = 10,
        /// Reserved for extension.
        RESERVED = 15,
    }
}
