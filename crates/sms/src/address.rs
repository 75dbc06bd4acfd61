//! Addresses: TP-OA / TP-DA / TP-RA (TS 23.040 §9.1.2.5) and the SMSC
//! address that precedes a TPDU in PDU mode (TS 24.011 §8.2.5.1 RP address,
//! TS 27.005 §3).
//!
//! ```text
//! TP address:   len (useful semi-octets) | type-of-address | digits (TBCD) or packed GSM 7-bit
//! SMSC address: len (octets after itself) | type-of-address | digits (TBCD)
//! type-of-address: 1 TTT NNNN   (TON, NPI)
//! ```
//! TBCD digits are swapped nibbles, `0xF` fills an odd last octet;
//! `0xA`–`0xE` are `* # a b c`.

use core::fmt;

use crate::codes::{NumberingPlan, TypeOfNumber};
use crate::error::{DecodeError, EncodeError};
use crate::gsm7;
use crate::reader::Reader;

/// An address with its type of number and numbering plan.
///
/// `value` holds the digits (`0-9 * # a b c`, no `+`) for numeric types and
/// the decoded text for [`TypeOfNumber::ALPHANUMERIC`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    /// Type of number (3 bits).
    pub ton: TypeOfNumber,
    /// Numbering plan identification (4 bits).
    pub npi: NumberingPlan,
    /// Digits, or text for an alphanumeric address.
    pub value: String,
}

const TBCD: &[u8; 15] = b"0123456789*#abc";

impl Address {
    /// An international E.164 number (TON 1, NPI 1); `digits` without `+`.
    pub fn international(digits: impl Into<String>) -> Self {
        Self { ton: TypeOfNumber::INTERNATIONAL, npi: NumberingPlan::ISDN, value: digits.into() }
    }

    /// A national number (TON 2, NPI 1).
    pub fn national(digits: impl Into<String>) -> Self {
        Self { ton: TypeOfNumber::NATIONAL, npi: NumberingPlan::ISDN, value: digits.into() }
    }

    /// A number of unknown type (TON 0, NPI 1).
    pub fn unknown(digits: impl Into<String>) -> Self {
        Self { ton: TypeOfNumber::UNKNOWN, npi: NumberingPlan::ISDN, value: digits.into() }
    }

    /// An alphanumeric address (TON 5, NPI 0), e.g. a sender name.
    pub fn alphanumeric(text: impl Into<String>) -> Self {
        Self { ton: TypeOfNumber::ALPHANUMERIC, npi: NumberingPlan::UNKNOWN, value: text.into() }
    }

    /// Parses the usual written form: `+4712345678` is international,
    /// a string of `0-9*#abc` is of unknown type, anything else is
    /// alphanumeric.
    pub fn parse(s: &str) -> Self {
        match s.strip_prefix('+') {
            Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => Self::international(d),
            _ if !s.is_empty() && s.bytes().all(|b| TBCD.contains(&b)) => Self::unknown(s),
            _ => Self::alphanumeric(s),
        }
    }

    /// Whether the value is GSM 7-bit text rather than digits.
    pub fn is_alphanumeric(&self) -> bool {
        self.ton == TypeOfNumber::ALPHANUMERIC
    }

    /// The type-of-address octet (bit 7 always set).
    pub fn type_octet(&self) -> u8 {
        0x80 | (self.ton.0 & 0x07) << 4 | (self.npi.0 & 0x0F)
    }

    fn check_type(&self) -> Result<(), EncodeError> {
        if self.ton.0 > 7 {
            return Err(EncodeError::OutOfRange { field: "type of number" });
        }
        if self.npi.0 > 15 {
            return Err(EncodeError::OutOfRange { field: "numbering plan" });
        }
        Ok(())
    }

    /// Decodes a TP address (length in useful semi-octets).
    pub(crate) fn decode_tp(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        let len = usize::from(r.u8(field)?);
        let toa = r.u8(field)?;
        let (ton, npi) = (TypeOfNumber((toa >> 4) & 0x07), NumberingPlan(toa & 0x0F));
        let start = r.offset();
        let octets = r.take(len.div_ceil(2), field)?;
        let value = if ton == TypeOfNumber::ALPHANUMERIC {
            let septets = gsm7::unpack(octets, 0, len * 4 / 7)
                .ok_or(DecodeError::Truncated { offset: start, field })?;
            gsm7::decode(&septets)
        } else {
            decode_tbcd(octets, len, start, field)?
        };
        Ok(Self { ton, npi, value })
    }

    /// Encodes as a TP address (length in useful semi-octets).
    pub(crate) fn encode_tp(&self, out: &mut Vec<u8>, field: &'static str) -> Result<(), EncodeError> {
        self.check_type()?;
        if self.is_alphanumeric() {
            let septets = gsm7::encode(&self.value).map_err(|ch| EncodeError::InvalidCharacter { field, ch })?;
            let semi = (septets.len() * 7).div_ceil(4);
            if semi > 255 {
                return Err(EncodeError::TooLong { field, len: semi, max: 255 });
            }
            out.push(semi as u8);
            out.push(self.type_octet());
            out.extend_from_slice(&gsm7::pack(&septets, 0));
        } else {
            let digits = self.value.len();
            if digits > 255 {
                return Err(EncodeError::TooLong { field, len: digits, max: 255 });
            }
            out.push(digits as u8);
            out.push(self.type_octet());
            encode_tbcd(&self.value, out, field)?;
        }
        Ok(())
    }

    /// Decodes the SMSC address of PDU mode (length in octets, `0` = none).
    /// An alphanumeric type of number is rejected.
    pub(crate) fn decode_sc(r: &mut Reader<'_>) -> Result<Option<Self>, DecodeError> {
        const FIELD: &str = "SMSC address";
        let len = usize::from(r.u8(FIELD)?);
        if len == 0 {
            return Ok(None);
        }
        let toa = r.u8(FIELD)?;
        let (ton, npi) = (TypeOfNumber((toa >> 4) & 0x07), NumberingPlan(toa & 0x0F));
        let start = r.offset();
        let octets = r.take(len - 1, FIELD)?;
        if ton == TypeOfNumber::ALPHANUMERIC {
            // An RP address is a BCD number (TS 24.011 §8.2.5.1); with an
            // octet-counted length a packed alphanumeric value would also be
            // ambiguous (7 spare bits read as a trailing '@').
            return Err(DecodeError::Invalid {
                offset: start - 1,
                field: FIELD,
                reason: "alphanumeric SMSC address",
            });
        }
        let mut digits = octets.len() * 2;
        if octets.last().is_some_and(|&b| b >> 4 == 0x0F) {
            digits -= 1;
        }
        let value = decode_tbcd(octets, digits, start, FIELD)?;
        Ok(Some(Self { ton, npi, value }))
    }

    /// Encodes as the SMSC address of PDU mode; `None` is the single octet `00`.
    /// An alphanumeric address cannot be an SMSC address.
    pub(crate) fn encode_sc(this: Option<&Self>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        const FIELD: &str = "SMSC address";
        let Some(a) = this else {
            out.push(0);
            return Ok(());
        };
        a.check_type()?;
        if a.is_alphanumeric() {
            return Err(EncodeError::InvalidCharacter { field: "SMSC address type of number", ch: '5' });
        }
        let mut body = Vec::new();
        encode_tbcd(&a.value, &mut body, FIELD)?;
        if body.len() > 254 {
            return Err(EncodeError::TooLong { field: FIELD, len: body.len(), max: 254 });
        }
        out.push(body.len() as u8 + 1);
        out.push(a.type_octet());
        out.extend_from_slice(&body);
        Ok(())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ton == TypeOfNumber::INTERNATIONAL {
            f.write_str("+")?;
        }
        f.write_str(&self.value)
    }
}

fn decode_tbcd(octets: &[u8], digits: usize, start: usize, field: &'static str) -> Result<String, DecodeError> {
    let mut s = String::with_capacity(digits);
    for i in 0..digits {
        let b = octets[i / 2];
        let nibble = if i % 2 == 0 { b & 0x0F } else { b >> 4 };
        match TBCD.get(usize::from(nibble)) {
            Some(&c) => s.push(c as char),
            None => {
                return Err(DecodeError::Invalid {
                    offset: start + i / 2,
                    field,
                    reason: "filler digit 0xF inside the address",
                });
            }
        }
    }
    Ok(s)
}

fn encode_tbcd(digits: &str, out: &mut Vec<u8>, field: &'static str) -> Result<(), EncodeError> {
    let mut pending: Option<u8> = None;
    for ch in digits.chars() {
        let v = u8::try_from(ch)
            .ok()
            .and_then(|b| TBCD.iter().position(|&t| t == b))
            .ok_or(EncodeError::InvalidCharacter { field, ch })? as u8;
        match pending.take() {
            None => pending = Some(v),
            Some(lo) => out.push(v << 4 | lo),
        }
    }
    if let Some(lo) = pending {
        out.push(0xF0 | lo);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(a: &Address) -> Vec<u8> {
        let mut v = Vec::new();
        a.encode_tp(&mut v, "TP-DA").unwrap();
        v
    }

    #[test]
    fn international_odd_digits() {
        let a = Address::international("46708251358");
        assert_eq!(tp(&a), [0x0B, 0x91, 0x64, 0x07, 0x28, 0x15, 0x53, 0xF8]);
        let bytes = tp(&a);
        let mut r = Reader::new(&bytes);
        assert_eq!(Address::decode_tp(&mut r, "TP-DA").unwrap(), a);
        assert_eq!(a.to_string(), "+46708251358");
    }

    #[test]
    fn alphanumeric_address() {
        // "Design@Home" from TS 23.040 examples as commonly published:
        // 11 septets → 77 bits → 20 semi-octets.
        let a = Address::alphanumeric("Design@Home");
        let bytes = tp(&a);
        assert_eq!(bytes[..2], [0x14, 0xD0]);
        assert_eq!(bytes[2..], [0xC4, 0xF2, 0x3C, 0x7D, 0x76, 0x03, 0x90, 0xEF, 0x76, 0x19]);
        let mut r = Reader::new(&bytes);
        assert_eq!(Address::decode_tp(&mut r, "TP-OA").unwrap(), a);
    }

    #[test]
    fn smsc_address() {
        let a = Address::international("447785016005");
        let mut v = Vec::new();
        Address::encode_sc(Some(&a), &mut v).unwrap();
        assert_eq!(v, [0x07, 0x91, 0x44, 0x77, 0x58, 0x10, 0x06, 0x50]);
        let mut r = Reader::new(&v);
        assert_eq!(Address::decode_sc(&mut r).unwrap(), Some(a));
        let mut v = Vec::new();
        Address::encode_sc(None, &mut v).unwrap();
        assert_eq!(v, [0]);
    }

    #[test]
    fn parse_written_forms() {
        assert_eq!(Address::parse("+4712"), Address::international("4712"));
        assert_eq!(Address::parse("2948"), Address::unknown("2948"));
        assert_eq!(Address::parse("Ferry"), Address::alphanumeric("Ferry"));
    }
}
