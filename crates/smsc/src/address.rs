//! Telephone numbers as the SMSC compares them.

/// A number as the SMSC keys it: ASCII digits, without a leading `+` or
/// surrounding blanks. `None` when it is empty, too long for SMPP (20
/// digits) or holds anything but digits.
pub fn normalize(addr: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(addr).ok()?.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn numbers() {
        assert_eq!(normalize(b"+4712345678").as_deref(), Some("4712345678"));
        assert_eq!(normalize(b" 4712 ").as_deref(), Some("4712"));
        assert_eq!(normalize(b""), None);
        assert_eq!(normalize(b"+"), None);
        assert_eq!(normalize(b"47a"), None);
        assert_eq!(normalize(b"123456789012345678901"), None);
    }
}
