//! Encoders for the WAP-230 §8.4.2 primitives, appending to a `Vec<u8>`.
//!
//! Encoding is canonical: the shortest form the grammar allows (a
//! Short-integer where the value fits, a Short-length where the length fits).

/// Appends a `Uintvar-integer`.
pub fn put_uintvar(out: &mut Vec<u8>, v: u32) {
    let mut tmp = [0u8; 5];
    let mut i = 5;
    let mut v = v;
    loop {
        i -= 1;
        tmp[i] = (v & 0x7F) as u8 | if i == 4 { 0 } else { 0x80 };
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Number of octets `put_uintvar` writes for `v`.
pub fn uintvar_len(v: u32) -> usize {
    match v {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        0x20_0000..=0xFFF_FFFF => 4,
        _ => 5,
    }
}

/// Appends a `Short-integer` (0..=127). Panics in debug builds on a larger value.
pub fn put_short_integer(out: &mut Vec<u8>, v: u8) {
    debug_assert!(v < 0x80);
    out.push(v | 0x80);
}

/// Appends a `Long-integer`: the shortest big-endian form (at least one octet).
pub fn put_long_integer(out: &mut Vec<u8>, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = (v.leading_zeros() / 8).min(7) as usize;
    out.push((8 - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Appends an `Integer-value`: Short-integer when it fits, else Long-integer.
pub fn put_integer_value(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        put_short_integer(out, v as u8);
    } else {
        put_long_integer(out, v);
    }
}

/// Appends a `Value-length`.
pub fn put_value_length(out: &mut Vec<u8>, len: usize) {
    if len <= 30 {
        out.push(len as u8);
    } else {
        out.push(31);
        put_uintvar(out, u32::try_from(len).unwrap_or(u32::MAX));
    }
}

/// Writes `f`'s output prefixed by its Value-length.
pub fn put_with_value_length(out: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) {
    let mut tmp = Vec::new();
    f(&mut tmp);
    put_value_length(out, tmp.len());
    out.extend_from_slice(&tmp);
}

/// Appends a `Text-string`: a Quote (0x7F) first when the text starts with an
/// octet of 0x7F or more (so that a leading DEL is not read as the Quote), or
/// with a control octet (which a decoder would read as a Value-length), then
/// the text and a NUL. A NUL inside the text would end the string early, so
/// text is cut at its first NUL.
pub fn put_text_string(out: &mut Vec<u8>, text: &[u8]) {
    let text = until_nul(text);
    if text.first().is_some_and(|&b| !(0x20..0x7F).contains(&b)) {
        out.push(0x7F);
    }
    out.extend_from_slice(text);
    out.push(0);
}

/// Appends a `Quoted-string`: `"`, the text, NUL.
pub fn put_quoted_string(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(until_nul(text));
    out.push(0);
}

/// Appends a `Token-text` (or `Extension-media`): the text then NUL.
pub fn put_token_text(out: &mut Vec<u8>, text: &[u8]) {
    out.extend_from_slice(until_nul(text));
    out.push(0);
}

fn until_nul(text: &[u8]) -> &[u8] {
    text.iter()
        .position(|&b| b == 0)
        .map_or(text, |i| &text[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reader;
    use proptest::prelude::*;

    #[test]
    fn uintvar_bytes() {
        for (v, bytes) in [
            (0u32, &[0x00][..]),
            (127, &[0x7F]),
            (128, &[0x81, 0x00]),
            (119_456, &[0x87, 0xA5, 0x20]),
            (u32::MAX, &[0x8F, 0xFF, 0xFF, 0xFF, 0x7F]),
        ] {
            let mut out = Vec::new();
            put_uintvar(&mut out, v);
            assert_eq!(out, bytes);
            assert_eq!(uintvar_len(v), bytes.len());
        }
    }

    #[test]
    fn integer_bytes() {
        let mut out = Vec::new();
        put_integer_value(&mut out, 91);
        put_integer_value(&mut out, 128);
        put_integer_value(&mut out, 0);
        put_long_integer(&mut out, 0);
        assert_eq!(out, [0xDB, 0x01, 0x80, 0x80, 0x01, 0x00]);
    }

    #[test]
    fn text_string_quote() {
        let mut out = Vec::new();
        put_text_string(&mut out, "é".as_bytes());
        put_text_string(&mut out, b"a\0b");
        assert_eq!(out, [0x7F, 0xC3, 0xA9, 0x00, b'a', 0x00]);
    }

    proptest! {
        #[test]
        fn uintvar_round_trip(v: u32) {
            let mut out = Vec::new();
            put_uintvar(&mut out, v);
            prop_assert_eq!(Reader::new(&out).uintvar("t").unwrap(), v);
        }

        #[test]
        fn integer_round_trip(v: u64) {
            let mut out = Vec::new();
            put_integer_value(&mut out, v);
            let mut r = Reader::new(&out);
            prop_assert_eq!(r.integer_value("t").unwrap(), v);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn value_length_round_trip(len in 0usize..100_000) {
            let mut out = Vec::new();
            put_value_length(&mut out, len);
            out.resize(out.len() + len, 0);
            prop_assert_eq!(Reader::new(&out).value_length("t").unwrap(), len);
        }

        #[test]
        fn text_round_trip(s in "[^\u{0}]{0,40}") {
            let mut out = Vec::new();
            put_text_string(&mut out, s.as_bytes());
            put_quoted_string(&mut out, s.as_bytes());
            let mut r = Reader::new(&out);
            prop_assert_eq!(r.text_string("a").unwrap(), s.as_bytes());
            prop_assert_eq!(r.quoted_string("b").unwrap(), s.as_bytes());
        }
    }
}
