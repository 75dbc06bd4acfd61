//! User Data Header (TS 23.040 §9.2.3.24).
//!
//! ```text
//! UDHL | IEI | IEDL | IED... | IEI | IEDL | IED... ...
//! ```
//! Known information elements are typed; any other IE (or a known IEI with a
//! length the specification does not give it) is kept as
//! [`InformationElement::Other`] byte for byte, in order.

use std::borrow::Cow;

use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;

/// IEI of the 8-bit-reference concatenated short message IE (§9.2.3.24.1).
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI of the 8-bit application port addressing IE (§9.2.3.24.3).
pub const IEI_PORTS_8: u8 = 0x04;
/// IEI of the 16-bit application port addressing IE (§9.2.3.24.4).
pub const IEI_PORTS_16: u8 = 0x05;
/// IEI of the 16-bit-reference concatenated short message IE (§9.2.3.24.8).
pub const IEI_CONCAT_16: u8 = 0x08;

/// One information element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InformationElement<'a> {
    /// Concatenated short messages, 8-bit reference (IEI `0x00`, 3 octets).
    Concat8 {
        /// Concatenated short message reference number.
        reference: u8,
        /// Maximum number of short messages in the concatenated message.
        total: u8,
        /// Sequence number of this short message (1-based).
        seq: u8,
    },
    /// Concatenated short messages, 16-bit reference (IEI `0x08`, 4 octets).
    Concat16 {
        /// Concatenated short message reference number.
        reference: u16,
        /// Maximum number of short messages.
        total: u8,
        /// Sequence number (1-based).
        seq: u8,
    },
    /// Application port addressing, 8-bit (IEI `0x04`, 2 octets).
    Ports8 {
        /// Destination port.
        dest: u8,
        /// Originator port.
        src: u8,
    },
    /// Application port addressing, 16-bit (IEI `0x05`, 4 octets).
    Ports16 {
        /// Destination port.
        dest: u16,
        /// Originator port.
        src: u16,
    },
    /// Any other element, kept as is.
    Other {
        /// Information element identifier.
        iei: u8,
        /// Information element data (without IEI and length).
        data: Cow<'a, [u8]>,
    },
}

impl InformationElement<'_> {
    /// The IEI octet.
    pub fn iei(&self) -> u8 {
        match self {
            Self::Concat8 { .. } => IEI_CONCAT_8,
            Self::Concat16 { .. } => IEI_CONCAT_16,
            Self::Ports8 { .. } => IEI_PORTS_8,
            Self::Ports16 { .. } => IEI_PORTS_16,
            Self::Other { iei, .. } => *iei,
        }
    }

    /// Copies any borrowed data so the element no longer borrows the input.
    pub fn into_owned(self) -> InformationElement<'static> {
        match self {
            Self::Concat8 { reference, total, seq } => InformationElement::Concat8 { reference, total, seq },
            Self::Concat16 { reference, total, seq } => InformationElement::Concat16 { reference, total, seq },
            Self::Ports8 { dest, src } => InformationElement::Ports8 { dest, src },
            Self::Ports16 { dest, src } => InformationElement::Ports16 { dest, src },
            Self::Other { iei, data } => InformationElement::Other { iei, data: Cow::Owned(data.into_owned()) },
        }
    }

    fn encoded_len(&self) -> usize {
        2 + match self {
            Self::Concat8 { .. } => 3,
            Self::Concat16 { .. } => 4,
            Self::Ports8 { .. } => 2,
            Self::Ports16 { .. } => 4,
            Self::Other { data, .. } => data.len(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Self::Concat8 { reference, total, seq } => out.extend_from_slice(&[IEI_CONCAT_8, 3, *reference, *total, *seq]),
            Self::Concat16 { reference, total, seq } => {
                let r = reference.to_be_bytes();
                out.extend_from_slice(&[IEI_CONCAT_16, 4, r[0], r[1], *total, *seq]);
            }
            Self::Ports8 { dest, src } => out.extend_from_slice(&[IEI_PORTS_8, 2, *dest, *src]),
            Self::Ports16 { dest, src } => {
                out.extend_from_slice(&[IEI_PORTS_16, 4]);
                out.extend_from_slice(&dest.to_be_bytes());
                out.extend_from_slice(&src.to_be_bytes());
            }
            Self::Other { iei, data } => {
                if data.len() > 255 {
                    return Err(EncodeError::TooLong { field: "IEDL", len: data.len(), max: 255 });
                }
                out.push(*iei);
                out.push(data.len() as u8);
                out.extend_from_slice(data);
            }
        }
        Ok(())
    }
}

/// Concatenation information, whichever IE carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    /// Reference number (an 8-bit reference is widened).
    pub reference: u16,
    /// Whether the reference came in the 16-bit IE (`0x08`).
    pub wide: bool,
    /// Total number of segments.
    pub total: u8,
    /// This segment's sequence number (1-based).
    pub seq: u8,
}

/// Application ports, whichever IE carried them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    /// Destination port.
    pub dest: u16,
    /// Originator (source) port.
    pub src: u16,
}

impl Ports {
    /// The WAP Push ports: destination 2948 (`wap-push`, the WAP Push
    /// connectionless session service) and source 9200 (`wap-wsp`, the WAP
    /// connectionless session service), as WAP-259 WDP lists them.
    pub const WAP_PUSH: Self = Self { dest: 2948, src: 9200 };
}

/// A decoded user data header: its elements in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct UserDataHeader<'a> {
    /// Information elements in the order they appear.
    pub elements: Vec<InformationElement<'a>>,
}

impl<'a> UserDataHeader<'a> {
    /// A header with the given elements.
    pub fn new(elements: Vec<InformationElement<'a>>) -> Self {
        Self { elements }
    }

    /// Decodes a header from `bytes`, which starts with the UDHL octet.
    /// Returns the header and the number of octets it took (UDHL + 1).
    /// `base` is the absolute offset of `bytes[0]` (for errors).
    pub fn decode(bytes: &'a [u8], base: usize) -> Result<(Self, usize), DecodeError> {
        let mut r = Reader::with_base(bytes, base);
        let udhl = usize::from(r.u8("UDHL")?);
        let body = r.take(udhl, "UDH")?;
        let mut r = Reader::with_base(body, base + 1);
        let mut elements = Vec::with_capacity(udhl / 2);
        while !r.is_empty() {
            let iei = r.u8("IEI")?;
            let len = usize::from(r.u8("IEDL")?);
            let d = r.take(len, "IED")?;
            elements.push(match (iei, len) {
                (IEI_CONCAT_8, 3) => InformationElement::Concat8 { reference: d[0], total: d[1], seq: d[2] },
                (IEI_CONCAT_16, 4) => InformationElement::Concat16 {
                    reference: u16::from_be_bytes([d[0], d[1]]),
                    total: d[2],
                    seq: d[3],
                },
                (IEI_PORTS_8, 2) => InformationElement::Ports8 { dest: d[0], src: d[1] },
                (IEI_PORTS_16, 4) => InformationElement::Ports16 {
                    dest: u16::from_be_bytes([d[0], d[1]]),
                    src: u16::from_be_bytes([d[2], d[3]]),
                },
                _ => InformationElement::Other { iei, data: Cow::Borrowed(d) },
            });
        }
        Ok((Self { elements }, udhl + 1))
    }

    /// Number of octets the encoded header takes, UDHL octet included.
    pub fn encoded_len(&self) -> usize {
        1 + self.elements.iter().map(InformationElement::encoded_len).sum::<usize>()
    }

    /// Appends the encoded header (UDHL first).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let udhl = self.encoded_len() - 1;
        if udhl > 255 {
            return Err(EncodeError::TooLong { field: "UDHL", len: udhl, max: 255 });
        }
        out.push(udhl as u8);
        for e in &self.elements {
            e.encode(out)?;
        }
        Ok(())
    }

    /// The encoded header as a new vector (UDHL first).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v)?;
        Ok(v)
    }

    /// The first concatenation element (8- or 16-bit), if any.
    pub fn concat(&self) -> Option<Concat> {
        self.elements.iter().find_map(|e| match *e {
            InformationElement::Concat8 { reference, total, seq } => {
                Some(Concat { reference: u16::from(reference), wide: false, total, seq })
            }
            InformationElement::Concat16 { reference, total, seq } => Some(Concat { reference, wide: true, total, seq }),
            _ => None,
        })
    }

    /// The first port addressing element (8- or 16-bit), if any.
    pub fn ports(&self) -> Option<Ports> {
        self.elements.iter().find_map(|e| match *e {
            InformationElement::Ports8 { dest, src } => Some(Ports { dest: u16::from(dest), src: u16::from(src) }),
            InformationElement::Ports16 { dest, src } => Some(Ports { dest, src }),
            _ => None,
        })
    }

    /// Copies any borrowed data so the header no longer borrows the input.
    pub fn into_owned(self) -> UserDataHeader<'static> {
        UserDataHeader { elements: self.elements.into_iter().map(InformationElement::into_owned).collect() }
    }
}

/// Splits the body of a message whose UDHI is set (e.g. an SMPP
/// `short_message` with esm_class `0x40`, or 8-bit TP-User-Data) into its
/// header and the data after it.
pub fn split_udh(body: &[u8]) -> Result<(UserDataHeader<'_>, &[u8]), DecodeError> {
    let (h, n) = UserDataHeader::decode(body, 0)?;
    Ok((h, &body[n..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kannel_wap_push_udh() {
        let bytes = [0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x2A, 0x02, 0x01, 0xAA];
        let (h, rest) = split_udh(&bytes).unwrap();
        assert_eq!(rest, [0xAA]);
        assert_eq!(
            h.elements,
            [
                InformationElement::Ports16 { dest: 2948, src: 9200 },
                InformationElement::Concat8 { reference: 0x2A, total: 2, seq: 1 },
            ]
        );
        assert_eq!(h.ports(), Some(Ports::WAP_PUSH));
        assert_eq!(h.concat(), Some(Concat { reference: 0x2A, wide: false, total: 2, seq: 1 }));
        assert_eq!(h.to_bytes().unwrap(), bytes[..12]);
    }

    #[test]
    fn unknown_and_odd_length_elements_are_kept() {
        // IEI 0x24 (national single shift) and a concat IE with a wrong length.
        let bytes = [0x07, 0x24, 0x01, 0x02, 0x00, 0x02, 0x01, 0x02];
        let (h, rest) = split_udh(&bytes).unwrap();
        assert!(rest.is_empty());
        assert_eq!(h.elements.len(), 2);
        assert!(matches!(h.elements[1], InformationElement::Other { iei: 0, .. }));
        assert_eq!(h.concat(), None);
        assert_eq!(h.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn truncated_elements_are_errors() {
        assert_eq!(
            split_udh(&[0x03, 0x00, 0x03, 0x01]).unwrap_err(),
            DecodeError::Truncated { offset: 3, field: "IED" }
        );
        assert_eq!(split_udh(&[0x05, 0x00]).unwrap_err(), DecodeError::Truncated { offset: 1, field: "UDH" });
    }
}
