//! TP-User-Data with its optional header (TS 23.040 §9.2.3.16, §9.2.3.24).
//!
//! ```text
//! 8-bit / UCS2 / compressed:  TP-UDL counts octets, header included
//!     UDL | UDHL IEs... | data...
//! GSM 7-bit:                  TP-UDL counts septets, header and fill bits included
//!     UDL | UDHL IEs... | fill bits | packed septets...
//! ```

use std::borrow::Cow;

use crate::dcs::DataCodingScheme;
use crate::error::{DecodeError, EncodeError};
use crate::gsm7;
use crate::reader::Reader;
use crate::udh::UserDataHeader;

/// Largest TP-User-Data, in octets (§9.2.3.16).
pub const MAX_USER_DATA_OCTETS: usize = 140;
/// Largest TP-User-Data in GSM 7-bit coding, in septets.
pub const MAX_USER_DATA_SEPTETS: usize = 160;

/// The user data after the header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Body<'a> {
    /// GSM 7-bit text as unpacked septets (`0..=0x7F`, escapes included),
    /// used when TP-DCS says uncompressed GSM 7-bit. See [`crate::gsm7`].
    Septets(Vec<u8>),
    /// Octets: 8-bit data, UCS2 code units (big-endian) or compressed data,
    /// borrowed from the input when decoded.
    Octets(Cow<'a, [u8]>),
}

impl Body<'_> {
    /// Length in the unit TP-UDL counts (septets or octets).
    pub fn len(&self) -> usize {
        match self {
            Self::Septets(s) => s.len(),
            Self::Octets(o) => o.len(),
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw unit values: septets, or octets.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Self::Septets(s) => s,
            Self::Octets(o) => o,
        }
    }

    /// Copies any borrowed data.
    pub fn into_owned(self) -> Body<'static> {
        match self {
            Self::Septets(s) => Body::Septets(s),
            Self::Octets(o) => Body::Octets(Cow::Owned(o.into_owned())),
        }
    }
}

/// TP-User-Data: an optional header (present iff TP-UDHI is set) and a body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserData<'a> {
    /// The user data header.
    pub header: Option<UserDataHeader<'a>>,
    /// The data after the header.
    pub body: Body<'a>,
}

impl Default for UserData<'_> {
    fn default() -> Self {
        Self { header: None, body: Body::Septets(Vec::new()) }
    }
}

impl<'a> UserData<'a> {
    /// GSM 7-bit text (no header). Fails on the first character that is not
    /// in the default alphabet or its extension table.
    pub fn gsm7(text: &str) -> Result<Self, EncodeError> {
        let septets = gsm7::encode(text).map_err(|ch| EncodeError::InvalidCharacter { field: "TP-UD", ch })?;
        Ok(Self { header: None, body: Body::Septets(septets) })
    }

    /// UCS2 (UTF-16BE) text (no header).
    pub fn ucs2(text: &str) -> Self {
        Self { header: None, body: Body::Octets(Cow::Owned(crate::text::utf16be(text))) }
    }

    /// 8-bit data (no header), borrowed.
    pub fn octets(data: &'a [u8]) -> Self {
        Self { header: None, body: Body::Octets(Cow::Borrowed(data)) }
    }

    /// Decodes TP-UDL and TP-UD from `r` according to `dcs` and `udhi`.
    pub(crate) fn decode(r: &mut Reader<'a>, dcs: DataCodingScheme, udhi: bool) -> Result<Self, DecodeError> {
        let udl_offset = r.offset();
        let udl = usize::from(r.u8("TP-UDL")?);
        let start = r.offset();
        if dcs.uses_septets() {
            if udl > MAX_USER_DATA_SEPTETS {
                return Err(DecodeError::Invalid { offset: udl_offset, field: "TP-UDL", reason: "more than 160 septets" });
            }
            let octets = r.take((udl * 7).div_ceil(8), "TP-UD")?;
            let (header, skip) = if udhi {
                let (h, n) = UserDataHeader::decode(octets, start)?;
                (Some(h), gsm7::header_septets(n))
            } else {
                (None, 0)
            };
            if skip > udl {
                return Err(DecodeError::Invalid { offset: start, field: "UDHL", reason: "header longer than TP-UDL" });
            }
            let septets = gsm7::unpack(octets, skip * 7, udl - skip)
                .ok_or(DecodeError::Truncated { offset: start, field: "TP-UD" })?;
            Ok(Self { header, body: Body::Septets(septets) })
        } else {
            if udl > MAX_USER_DATA_OCTETS {
                return Err(DecodeError::Invalid { offset: udl_offset, field: "TP-UDL", reason: "more than 140 octets" });
            }
            let octets = r.take(udl, "TP-UD")?;
            Self::from_octets(octets, udhi, start)
        }
    }

    /// Parses user data whose length is given by the slice (8-bit, UCS2 or
    /// compressed coding): the form of an SMPP `short_message` (with
    /// esm_class UDHI `0x40` when `udhi`). No length limit is applied.
    pub fn from_octets(octets: &'a [u8], udhi: bool, base: usize) -> Result<Self, DecodeError> {
        if udhi {
            let (h, n) = UserDataHeader::decode(octets, base)?;
            Ok(Self { header: Some(h), body: Body::Octets(Cow::Borrowed(&octets[n..])) })
        } else {
            Ok(Self { header: None, body: Body::Octets(Cow::Borrowed(octets)) })
        }
    }

    /// Appends TP-UDL and TP-UD, coded as `dcs` requires.
    pub(crate) fn encode(&self, dcs: DataCodingScheme, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let header = match &self.header {
            Some(h) => h.to_bytes()?,
            None => Vec::new(),
        };
        match (&self.body, dcs.uses_septets()) {
            (Body::Septets(septets), true) => {
                let skip = if self.header.is_some() { gsm7::header_septets(header.len()) } else { 0 };
                let udl = skip + septets.len();
                if udl > MAX_USER_DATA_SEPTETS {
                    return Err(EncodeError::TooLong { field: "TP-UD", len: udl, max: MAX_USER_DATA_SEPTETS });
                }
                if let Some(&s) = septets.iter().find(|&&s| s > 0x7F) {
                    return Err(EncodeError::InvalidCharacter { field: "TP-UD", ch: char::from(s) });
                }
                out.push(udl as u8);
                let mut ud = vec![0u8; (udl * 7).div_ceil(8)];
                ud[..header.len()].copy_from_slice(&header);
                gsm7::pack_into(&mut ud, septets, skip * 7);
                out.extend_from_slice(&ud);
            }
            (Body::Octets(octets), false) => {
                let udl = header.len() + octets.len();
                if udl > MAX_USER_DATA_OCTETS {
                    return Err(EncodeError::TooLong { field: "TP-UD", len: udl, max: MAX_USER_DATA_OCTETS });
                }
                out.push(udl as u8);
                out.extend_from_slice(&header);
                out.extend_from_slice(octets);
            }
            (_, septets_expected) => return Err(EncodeError::BodyMismatch { dcs: dcs.0, septets_expected }),
        }
        Ok(())
    }

    /// The body decoded as text according to `dcs`: GSM 7-bit septets, or
    /// UCS2 (UTF-16BE; unpaired surrogates and an odd final octet become
    /// U+FFFD). `None` for 8-bit data and compressed text.
    pub fn text(&self, dcs: DataCodingScheme) -> Option<String> {
        use crate::dcs::Alphabet;
        match (&self.body, dcs.alphabet(), dcs.is_compressed()) {
            (Body::Septets(s), _, _) => Some(gsm7::decode(s)),
            (Body::Octets(o), Alphabet::Ucs2, false) => Some(crate::text::from_utf16be_lossy(o)),
            _ => None,
        }
    }

    /// Copies any borrowed data.
    pub fn into_owned(self) -> UserData<'static> {
        UserData { header: self.header.map(UserDataHeader::into_owned), body: self.body.into_owned() }
    }
}
