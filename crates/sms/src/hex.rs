//! Hex helpers for PDU-mode strings (as used by `AT+CMGS` / `+CMT:`).

/// A hex string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HexError {
    /// The string has an odd number of hex digits.
    #[error("odd number of hex digits")]
    OddLength,
    /// A character is not a hex digit (whitespace is skipped).
    #[error("invalid hex character {ch:?} at index {index}")]
    InvalidChar {
        /// Character index in the input string.
        index: usize,
        /// The character.
        ch: char,
    },
}

/// Decodes a hex string (either case; ASCII whitespace is ignored).
pub fn decode_hex(s: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut high: Option<u8> = None;
    for (index, ch) in s.char_indices() {
        if ch.is_ascii_whitespace() {
            continue;
        }
        let v = ch.to_digit(16).ok_or(HexError::InvalidChar { index, ch })? as u8;
        match high.take() {
            None => high = Some(v),
            Some(h) => out.push(h << 4 | v),
        }
    }
    if high.is_some() {
        return Err(HexError::OddLength);
    }
    Ok(out)
}

/// Encodes bytes as upper-case hex, the form PDU-mode AT commands use.
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(decode_hex("00 1aFf").unwrap(), vec![0x00, 0x1a, 0xff]);
        assert_eq!(encode_hex(&[0x00, 0x1a, 0xff]), "001AFF");
        assert_eq!(decode_hex("abc"), Err(HexError::OddLength));
        assert_eq!(decode_hex("zz"), Err(HexError::InvalidChar { index: 0, ch: 'z' }));
    }
}
