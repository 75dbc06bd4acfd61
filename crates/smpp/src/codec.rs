//! Byte reader and writer shared by the PDU bodies (crate-internal).
//!
//! SMPP 3.4 §3.1 data types: Integer (1, 2 or 4 octets, big-endian),
//! C-Octet String (NUL-terminated, maximum size counts the NUL),
//! Octet String (length given elsewhere).

use crate::error::{EncodeError, Error, Field};
use crate::time::SmppTime;
use crate::tlv::TlvList;

/// Cursor over one whole PDU; offsets are from the PDU's first byte.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        Reader {
            buf,
            pos: pos.min(buf.len()),
        }
    }

    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(crate) fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(Error::Truncated {
                offset: self.pos,
                field,
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn u8(&mut self, field: Field) -> Result<u8, Error> {
        Ok(self.take(1, field)?[0])
    }

    pub(crate) fn u16(&mut self, field: Field) -> Result<u16, Error> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, field: Field) -> Result<u32, Error> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A C-Octet string of at most `max` octets including the NUL; returns
    /// the content without the NUL.
    pub(crate) fn cstr(&mut self, field: Field, max: usize) -> Result<&'a [u8], Error> {
        let rest = &self.buf[self.pos..];
        let window = &rest[..rest.len().min(max)];
        match window.iter().position(|&b| b == 0) {
            Some(i) => {
                let s = &rest[..i];
                self.pos += i + 1;
                Ok(s)
            }
            None if rest.len() < max => Err(Error::Truncated {
                offset: self.pos,
                field,
            }),
            None => Err(Error::FieldTooLong {
                offset: self.pos,
                field,
                max,
            }),
        }
    }

    /// A time field: a C-Octet string that is empty or 16 characters.
    pub(crate) fn time(&mut self, field: Field) -> Result<Option<SmppTime>, Error> {
        let offset = self.pos;
        let s = self.cstr(field, 17)?;
        if s.is_empty() {
            return Ok(None);
        }
        SmppTime::parse(s)
            .map(Some)
            .map_err(|_| Error::InvalidTime { offset, field })
    }

    /// `sm_length` then `short_message` (0–254 octets, §5.2.21–22).
    pub(crate) fn short_message(&mut self) -> Result<&'a [u8], Error> {
        let offset = self.pos;
        let len = self.u8(Field::SmLength)?;
        if len > 254 {
            return Err(Error::InvalidValue {
                offset,
                field: Field::SmLength,
                value: len.into(),
            });
        }
        self.take(len.into(), Field::ShortMessage)
    }

    /// Whatever remains, as TLVs.
    pub(crate) fn tlvs(&mut self) -> Result<TlvList<'a>, Error> {
        let list = TlvList::decode(self.buf, self.pos)?;
        self.pos = self.buf.len();
        Ok(list)
    }

    /// Fails if bytes remain.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                offset: self.pos,
                count: self.buf.len() - self.pos,
            })
        }
    }
}

/// Appends a C-Octet string of at most `max` octets including the NUL.
pub(crate) fn put_cstr(
    out: &mut Vec<u8>,
    v: &[u8],
    field: Field,
    max: usize,
) -> Result<(), EncodeError> {
    if v.len() >= max {
        return Err(EncodeError::FieldTooLong {
            field,
            len: v.len(),
            max: max - 1,
        });
    }
    if v.contains(&0) {
        return Err(EncodeError::InteriorNul { field });
    }
    out.extend_from_slice(v);
    out.push(0);
    Ok(())
}

/// Appends a time field (NUL alone when absent).
pub(crate) fn put_time(out: &mut Vec<u8>, t: &Option<SmppTime>) {
    if let Some(t) = t {
        out.extend_from_slice(&t.to_bytes());
    }
    out.push(0);
}

/// Appends `sm_length` and `short_message`.
pub(crate) fn put_short_message(out: &mut Vec<u8>, sm: &[u8]) -> Result<(), EncodeError> {
    if sm.len() > 254 {
        return Err(EncodeError::FieldTooLong {
            field: Field::ShortMessage,
            len: sm.len(),
            max: 254,
        });
    }
    out.push(sm.len() as u8);
    out.extend_from_slice(sm);
    Ok(())
}
