//! `Encoded-string-value` (WAP-230 §8.4.2.1 / OMA-MMS-ENC §7.2.9): text with an
//! optional MIBenum charset, kept as the octets sent so nothing is lost.

use std::borrow::Cow;
use std::fmt;

use crate::charset::{Charset, decode_unlabelled};
use crate::encode::{put_integer_value, put_text_string, put_with_value_length};
use crate::error::Result;
use crate::reader::Reader;

/// Text as it travelled: the raw octets (no quote, no NUL) and the charset
/// they were labelled with, if any. `text()` gives Unicode; an unknown charset
/// keeps its octets and number, so nothing is dropped.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EncodedString<'a> {
    /// The charset label (`None`: a plain Text-string, read as UTF-8 or Latin-1).
    pub charset: Option<Charset>,
    /// The octets of the text, without Quote and End-of-string.
    pub bytes: Cow<'a, [u8]>,
}

impl<'a> EncodedString<'a> {
    /// Text from a Rust string: a plain Text-string when it is ASCII, else
    /// labelled UTF-8 (MIBenum 106).
    pub fn new(text: impl Into<Cow<'a, str>>) -> Self {
        let text = text.into();
        // A leading control octet would read as a Value-length: label those too.
        let plain = text.is_ascii() && text.bytes().next().is_none_or(|b| b >= 0x20);
        let charset = if plain { None } else { Some(Charset::UTF_8) };
        let bytes = match text {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
        Self { charset, bytes }
    }

    /// Decodes `Encoded-string-value = Text-string | Value-length Char-set Text-string`.
    pub fn decode(r: &mut Reader<'a>, field: &'static str) -> Result<Self> {
        match r.peek() {
            // 0x00 is an empty Text-string, not a zero Value-length.
            Some(1..=31) => {
                let mut v = r.value_length_sub(field)?;
                let charset = if v.peek() == Some(0x80) {
                    // Any-charset: "*" (treat as unlabelled).
                    v.u8(field)?;
                    None
                } else {
                    // 0 (as a Long-integer) is Any-charset too.
                    match v.integer_value(field)? {
                        0 => None,
                        n => Some(Charset(u16::try_from(n).unwrap_or(u16::MAX))),
                    }
                };
                // The text may lack its NUL when the value length ends it.
                let bytes = if v.rest().contains(&0) {
                    v.text_string(field)?
                } else {
                    let rest = v.take_rest();
                    rest.strip_prefix(&[0x7F][..]).unwrap_or(rest)
                };
                Ok(Self {
                    charset,
                    bytes: Cow::Borrowed(bytes),
                })
            }
            _ => Ok(Self {
                charset: None,
                bytes: Cow::Borrowed(r.text_string(field)?),
            }),
        }
    }

    /// Appends the canonical encoding: a bare Text-string when unlabelled,
    /// else Value-length, charset and Text-string.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self.charset {
            None => put_text_string(out, &self.bytes),
            Some(cs) => put_with_value_length(out, |o| {
                put_integer_value(o, u64::from(cs.0));
                put_text_string(o, &self.bytes);
            }),
        }
    }

    /// The text in Unicode. A label this crate cannot decode falls back to
    /// the unlabelled reading (UTF-8, else Latin-1); `decoded()` tells apart.
    pub fn text(&self) -> Cow<'_, str> {
        self.decoded()
            .unwrap_or_else(|| decode_unlabelled(&self.bytes))
    }

    /// The text in Unicode, or `None` when the charset is unknown.
    pub fn decoded(&self) -> Option<Cow<'_, str>> {
        match self.charset {
            None => Some(decode_unlabelled(&self.bytes)),
            Some(cs) => cs.decode(&self.bytes),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> EncodedString<'static> {
        EncodedString {
            charset: self.charset,
            bytes: Cow::Owned(self.bytes.into_owned()),
        }
    }
}

impl fmt::Debug for EncodedString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.charset {
            Some(cs) => write!(f, "{:?}@{}", self.text(), cs),
            None => write!(f, "{:?}", self.text()),
        }
    }
}

impl fmt::Display for EncodedString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl<'a> From<&'a str> for EncodedString<'a> {
    fn from(s: &'a str) -> Self {
        Self::new(s)
    }
}

impl From<String> for EncodedString<'static> {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        let mut r = Reader::new(b"plain\0");
        let e = EncodedString::decode(&mut r, "Subject").unwrap();
        assert_eq!(e.text(), "plain");
        assert_eq!(e.charset, None);

        // Value-length, charset UTF-8 (0xEA), Quote, "ä", NUL.
        let bytes = [0x05, 0xEA, 0x7F, 0xC3, 0xA4, 0x00];
        let e = EncodedString::decode(&mut Reader::new(&bytes), "Subject").unwrap();
        assert_eq!(e.charset, Some(Charset::UTF_8));
        assert_eq!(e.text(), "ä");
        let mut out = Vec::new();
        e.encode(&mut out);
        assert_eq!(out, bytes);

        // KS_C_5601-1987 is MIBenum 36 (0xA4).
        let bytes = [0x04, 0xA4, 0xC7, 0xD1, 0x00];
        let e = EncodedString::decode(&mut Reader::new(&bytes), "From").unwrap();
        assert_eq!(e.text(), "한");
        // Without the Quote too (as many servers send it).
        let e =
            EncodedString::decode(&mut Reader::new(&[0x04, 0xEA, 0xC3, 0xA4, 0x00]), "S").unwrap();
        assert_eq!(e.text(), "ä");
        // An empty Text-string.
        let e = EncodedString::decode(&mut Reader::new(&[0x00]), "S").unwrap();
        assert_eq!(e.text(), "");

        // An unknown charset keeps its number and octets.
        let bytes = [0x05, 0x02, 0x27, 0x0F, b'x', 0x00];
        let e = EncodedString::decode(&mut Reader::new(&bytes), "Subject").unwrap();
        assert_eq!(e.charset, Some(Charset(9999)));
        assert_eq!(e.decoded(), None);
        assert_eq!(&*e.bytes, b"x");
        let mut out = Vec::new();
        e.encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn utf8_bom_in_subject_is_dropped() {
        let bytes = [0x07, 0xEA, 0xEF, 0xBB, 0xBF, b'H', b'i', 0x00];
        let e = EncodedString::decode(&mut Reader::new(&bytes), "Subject").unwrap();
        assert_eq!(e.text(), "Hi");
    }

    proptest! {
        #[test]
        fn round_trip(s in "[^\u{0}\u{feff}]{0,60}") {
            let e = EncodedString::new(s.as_str());
            let mut out = Vec::new();
            e.encode(&mut out);
            let mut r = Reader::new(&out);
            let d = EncodedString::decode(&mut r, "t").unwrap();
            prop_assert!(r.is_empty());
            prop_assert_eq!(d.text(), s.as_str());
            prop_assert_eq!(d, e);
        }
    }
}
