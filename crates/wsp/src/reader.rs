//! A cursor over borrowed input and the WAP-230 §8.4.2 primitive decoders.
//!
//! Every method takes the name of the field being decoded, so that an error
//! says where it happened and what was being read.

use crate::error::{DecodeError, ErrorKind, Result};

/// A cursor over a borrowed buffer. Offsets in errors are counted from the
/// start of the buffer the reader was created on (plus an optional base), so a
/// reader bounded to a sub-range still reports absolute positions.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the whole of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            end: buf.len(),
            base: 0,
        }
    }

    /// A reader over `buf` whose error offsets are shifted by `base` (for a
    /// buffer that is itself part of a larger one).
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Self {
            buf,
            pos: 0,
            end: buf.len(),
            base,
        }
    }

    /// Absolute offset of the next octet.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Octets left.
    pub fn remaining(&self) -> usize {
        self.end - self.pos
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.end
    }

    /// Everything left, without consuming it.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..self.end]
    }

    /// Consumes and returns everything left.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let r = self.rest();
        self.pos = self.end;
        r
    }

    /// The next octet, without consuming it.
    pub fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            Some(self.buf[self.pos])
        } else {
            None
        }
    }

    /// The octet `n` places ahead, without consuming anything.
    pub fn peek_at(&self, n: usize) -> Option<u8> {
        let i = self.pos.checked_add(n)?;
        if i < self.end {
            Some(self.buf[i])
        } else {
            None
        }
    }

    /// An error at the current offset.
    pub fn error(&self, field: &'static str, kind: ErrorKind) -> DecodeError {
        DecodeError::new(self.offset(), field, kind)
    }

    /// One octet.
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        match self.peek() {
            Some(b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.error(field, ErrorKind::Truncated { needed: 1 })),
        }
    }

    /// `n` octets, borrowed.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(
                field,
                ErrorKind::LengthExceedsInput {
                    len: n,
                    remaining: self.remaining(),
                },
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A reader bounded to the next `n` octets; `self` moves past them.
    pub fn sub(&mut self, n: usize, field: &'static str) -> Result<Reader<'a>> {
        let start = self.pos;
        self.take(n, field)?;
        Ok(Reader {
            buf: self.buf,
            pos: start,
            end: start + n,
            base: self.base,
        })
    }

    /// Skips `n` octets.
    pub fn skip(&mut self, n: usize, field: &'static str) -> Result<()> {
        self.take(n, field).map(|_| ())
    }

    /// `Uintvar-integer` (§8.1.2): 1 to 5 octets, 7 bits each, high bit = more.
    pub fn uintvar(&mut self, field: &'static str) -> Result<u32> {
        let start = self.offset();
        let mut v: u64 = 0;
        for i in 0..5 {
            let b = self.u8(field)?;
            v = (v << 7) | u64::from(b & 0x7F);
            if b & 0x80 == 0 {
                return u32::try_from(v)
                    .map_err(|_| DecodeError::new(start, field, ErrorKind::UintvarOverflow));
            }
            if i == 4 {
                break;
            }
        }
        Err(DecodeError::new(start, field, ErrorKind::UintvarOverflow))
    }

    /// `Short-integer`: one octet with the high bit set, value 0..=127.
    pub fn short_integer(&mut self, field: &'static str) -> Result<u8> {
        let at = self.offset();
        let b = self.u8(field)?;
        if b & 0x80 == 0 {
            return Err(DecodeError::new(
                at,
                field,
                ErrorKind::Unexpected {
                    found: b,
                    expected: "a Short-integer (0x80..=0xFF)",
                },
            ));
        }
        Ok(b & 0x7F)
    }

    /// `Long-integer`: Short-length (0..=30) then that many big-endian octets.
    pub fn long_integer(&mut self, field: &'static str) -> Result<u64> {
        let at = self.offset();
        let len = self.u8(field)?;
        if len > 30 {
            return Err(DecodeError::new(
                at,
                field,
                ErrorKind::Unexpected {
                    found: len,
                    expected: "a Long-integer length (0..=30)",
                },
            ));
        }
        let bytes = self.take(usize::from(len), field)?;
        // Leading zero octets are harmless; more than 8 significant octets are not.
        let sig = bytes
            .iter()
            .position(|&b| b != 0)
            .map_or(&[][..], |i| &bytes[i..]);
        if sig.len() > 8 {
            return Err(DecodeError::new(
                at,
                field,
                ErrorKind::IntegerTooLong { len: len.into() },
            ));
        }
        Ok(sig.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
    }

    /// `Integer-value` = Short-integer | Long-integer.
    pub fn integer_value(&mut self, field: &'static str) -> Result<u64> {
        match self.peek() {
            Some(b) if b & 0x80 != 0 => self.short_integer(field).map(u64::from),
            Some(_) => self.long_integer(field),
            None => Err(self.error(field, ErrorKind::Truncated { needed: 1 })),
        }
    }

    /// `Value-length` = Short-length (0..=30) | Length-quote (31) Length (uintvar).
    /// The length is checked against what is left.
    pub fn value_length(&mut self, field: &'static str) -> Result<usize> {
        let at = self.offset();
        let b = self.u8(field)?;
        let len = match b {
            0..=30 => usize::from(b),
            31 => self.uintvar(field)? as usize,
            _ => {
                return Err(DecodeError::new(
                    at,
                    field,
                    ErrorKind::Unexpected {
                        found: b,
                        expected: "a Value-length (0x00..=0x1F)",
                    },
                ));
            }
        };
        if len > self.remaining() {
            return Err(DecodeError::new(
                at,
                field,
                ErrorKind::LengthExceedsInput {
                    len,
                    remaining: self.remaining(),
                },
            ));
        }
        Ok(len)
    }

    /// A Value-length and a reader bounded to the value it announces.
    pub fn value_length_sub(&mut self, field: &'static str) -> Result<Reader<'a>> {
        let len = self.value_length(field)?;
        self.sub(len, field)
    }

    /// Octets up to (not including) the next NUL; the NUL is consumed.
    pub fn cstring(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let rest = self.rest();
        match memchr::memchr(0, rest) {
            Some(n) => {
                self.pos += n + 1;
                Ok(&rest[..n])
            }
            None => Err(self.error(field, ErrorKind::Unterminated)),
        }
    }

    /// `Text-string` = [Quote 0x7F] *TEXT End-of-string. Returns the text
    /// without the quote and the NUL.
    pub fn text_string(&mut self, field: &'static str) -> Result<&'a [u8]> {
        if self.peek() == Some(0x7F) {
            self.pos += 1;
        }
        self.cstring(field)
    }

    /// `Quoted-string` = `"` *TEXT End-of-string; the leading quote is optional
    /// here (a Text-string is accepted where senders forget it).
    pub fn quoted_string(&mut self, field: &'static str) -> Result<&'a [u8]> {
        if self.peek() == Some(b'"') {
            self.pos += 1;
            return self.cstring(field);
        }
        self.text_string(field)
    }

    /// `Text-value` = No-value (0x00) | Token-text | Quoted-string. A
    /// Quoted-string keeps no quote in the result.
    pub fn text_value(&mut self, field: &'static str) -> Result<&'a [u8]> {
        self.quoted_string(field)
    }

    /// Skips one generic header or parameter value whose type is not known:
    /// Short-integer | Value-length + data | Text-string (§8.4.1.2).
    pub fn skip_value(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let start = self.pos;
        match self.peek() {
            None => return Err(self.error(field, ErrorKind::Truncated { needed: 1 })),
            Some(0x80..=0xFF) => self.pos += 1,
            Some(0..=31) => {
                let n = self.value_length(field)?;
                self.skip(n, field)?;
            }
            Some(_) => {
                self.text_string(field)?;
            }
        }
        Ok(&self.buf[start..self.pos])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uintvar_table() {
        for (bytes, v) in [
            (&[0x00][..], 0u32),
            (&[0x7F], 127),
            (&[0x81, 0x00], 128),
            (&[0x87, 0xA5, 0x20], 119_456),
            (&[0x8F, 0xFF, 0xFF, 0xFF, 0x7F], u32::MAX),
        ] {
            assert_eq!(Reader::new(bytes).uintvar("t").unwrap(), v, "{bytes:02X?}");
        }
        assert_eq!(
            Reader::new(&[0x90, 0x80, 0x80, 0x80, 0x00])
                .uintvar("t")
                .unwrap_err()
                .kind,
            ErrorKind::UintvarOverflow
        );
        assert_eq!(
            Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
                .uintvar("t")
                .unwrap_err()
                .kind,
            ErrorKind::UintvarOverflow
        );
        assert!(matches!(
            Reader::new(&[0x81]).uintvar("t").unwrap_err().kind,
            ErrorKind::Truncated { .. }
        ));
    }

    #[test]
    fn value_length_forms() {
        let mut r = Reader::new(&[0x03, 1, 2, 3]);
        assert_eq!(r.value_length("v").unwrap(), 3);
        let mut data = vec![0x1F, 0x1F];
        data.extend([0u8; 31]);
        assert_eq!(Reader::new(&data).value_length("v").unwrap(), 31);
        let e = Reader::new(&[0x05, 1]).value_length("v").unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::LengthExceedsInput {
                len: 5,
                remaining: 1
            }
        );
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn integers() {
        assert_eq!(Reader::new(&[0x83]).integer_value("i").unwrap(), 3);
        assert_eq!(
            Reader::new(&[0x02, 0x01, 0x00]).integer_value("i").unwrap(),
            256
        );
        assert_eq!(Reader::new(&[0x01, 0xDB]).long_integer("i").unwrap(), 0xDB);
        let nine = [9u8, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(
            Reader::new(&nine).long_integer("i").unwrap_err().kind,
            ErrorKind::IntegerTooLong { len: 9 }
        );
    }

    #[test]
    fn strings() {
        let mut r = Reader::new(b"\x7F\xC3\xA4\0\"quoted\0plain\0");
        assert_eq!(r.text_string("a").unwrap(), "ä".as_bytes());
        assert_eq!(r.quoted_string("b").unwrap(), b"quoted");
        assert_eq!(r.text_string("c").unwrap(), b"plain");
        assert!(r.is_empty());
        let e = Reader::new(b"abc").text_string("Subject").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unterminated);
        assert_eq!(
            e.to_string(),
            "at byte 0 (Subject): string has no terminating NUL octet"
        );
    }

    #[test]
    fn sub_reader_offsets_are_absolute() {
        let data = [0xAA, 0x01, 0x81, 0x00];
        let mut r = Reader::new(&data);
        r.u8("x").unwrap();
        let mut s = r.value_length_sub("v").unwrap();
        assert_eq!(s.offset(), 2);
        assert_eq!(s.u8("y").unwrap(), 0x81);
        let e = s.u8("z").unwrap_err();
        assert_eq!(e.offset, 3);
        assert_eq!(r.offset(), 3);
        assert_eq!(
            Reader::new(&[0xAA, 0x02, 0x81]).skip_value("w").unwrap(),
            &[0xAA][..]
        );
    }
}
