//! Error types: decoding errors carry the byte offset and the field name.

/// An error while decoding a TPDU, an address, a user data header or user data.
///
/// `offset` is counted from the start of the buffer handed to the decoder
/// (for [`crate::Tpdu::decode_with_smsc`], from the SMSC address length octet).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a field.
    #[error("truncated {field} at offset {offset}")]
    Truncated {
        /// Offset where the missing octets should have started.
        offset: usize,
        /// Name of the field being read (e.g. `"TP-OA"`).
        field: &'static str,
    },
    /// A field holds a value the specification does not allow.
    #[error("invalid {field} at offset {offset}: {reason}")]
    Invalid {
        /// Offset of the offending octet.
        offset: usize,
        /// Name of the field.
        field: &'static str,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// The TP-MTI names a message type this decoder does not handle here
    /// (`0b11` is reserved).
    #[error("unsupported TP-MTI {mti:#04b} at offset {offset}")]
    UnsupportedMessageType {
        /// Offset of the first octet.
        offset: usize,
        /// The two TP-MTI bits.
        mti: u8,
    },
    /// Octets are left over after the TP-User-Data.
    #[error("{count} trailing octet(s) at offset {offset}")]
    TrailingBytes {
        /// Offset of the first trailing octet.
        offset: usize,
        /// How many octets are left.
        count: usize,
    },
}

/// An error while encoding a value that cannot be represented on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field is longer than its length octet (or the specification) allows.
    #[error("{field} too long: {len} > {max}")]
    TooLong {
        /// Name of the field.
        field: &'static str,
        /// Length requested (in the field's unit: octets, septets or digits).
        len: usize,
        /// Maximum allowed.
        max: usize,
    },
    /// A character cannot be encoded in this field.
    #[error("character {ch:?} cannot be encoded in {field}")]
    InvalidCharacter {
        /// Name of the field.
        field: &'static str,
        /// The character.
        ch: char,
    },
    /// A value is out of range for its field.
    #[error("{field} out of range")]
    OutOfRange {
        /// Name of the field.
        field: &'static str,
    },
    /// The user data body kind (septets vs octets) does not match the
    /// alphabet named by TP-DCS.
    #[error("user data body does not match TP-DCS {dcs:#04x} (septets expected: {septets_expected})")]
    BodyMismatch {
        /// The TP-DCS octet.
        dcs: u8,
        /// Whether TP-DCS calls for unpacked septets.
        septets_expected: bool,
    },
}

/// Either a hex or a decoding error (for the hex convenience functions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The hex string is malformed.
    #[error(transparent)]
    Hex(#[from] crate::hex::HexError),
    /// The bytes do not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}
