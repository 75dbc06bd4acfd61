//! Text messages: choosing the alphabet and splitting long text into
//! concatenated segments (TS 23.040 §9.2.3.24.1, TS 23.038 §6).
//!
//! GSM 7-bit is used when every character is in the default alphabet or its
//! extension table (extension characters take two septets), UCS2 otherwise.
//! A single message holds 160 septets / 70 UCS2 code units; with an 8-bit
//! concatenation header each segment holds 153 septets / 67 code units
//! (152 / 66 with a 16-bit reference). An escape sequence or a surrogate
//! pair is never split between segments.

use std::borrow::Cow;

use crate::dcs::DataCodingScheme;
use crate::error::EncodeError;
use crate::gsm7;
use crate::udh::{InformationElement, UserDataHeader};
use crate::user_data::{Body, MAX_USER_DATA_OCTETS, MAX_USER_DATA_SEPTETS, UserData};

/// Text as UTF-16BE octets (the UCS2 user data of SMS).
pub fn utf16be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// UTF-16BE octets to text; unpaired surrogates and a lone final octet
/// become U+FFFD.
pub fn from_utf16be_lossy(octets: &[u8]) -> String {
    let units = octets.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
    let mut s: String = char::decode_utf16(units).map(|r| r.unwrap_or('\u{FFFD}')).collect();
    if octets.len() % 2 == 1 {
        s.push('\u{FFFD}');
    }
    s
}

/// Which concatenation IE to use for multi-segment messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConcatKind {
    /// IEI `0x00`, 8-bit reference (the reference is truncated to 8 bits).
    #[default]
    Eight,
    /// IEI `0x08`, 16-bit reference.
    Sixteen,
}

impl ConcatKind {
    pub(crate) fn element(self, reference: u16, total: u8, seq: u8) -> InformationElement<'static> {
        match self {
            Self::Eight => InformationElement::Concat8 { reference: reference as u8, total, seq },
            Self::Sixteen => InformationElement::Concat16 { reference, total, seq },
        }
    }

    /// Octets the concatenation header takes, UDHL included (6 or 7).
    pub fn header_len(self) -> usize {
        match self {
            Self::Eight => 6,
            Self::Sixteen => 7,
        }
    }
}

/// One segment of a text message, ready to go into an SMS-SUBMIT or
/// SMS-DELIVER (set TP-DCS to `dcs` and TP-UD to `user_data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSegment {
    /// `0x00` (GSM 7-bit) or `0x08` (UCS2).
    pub dcs: DataCodingScheme,
    /// Header (concatenation IE when there is more than one segment) and body.
    pub user_data: UserData<'static>,
}

/// Splits `text` into as few segments as the rules above allow.
///
/// `reference` goes into the concatenation IE of every segment (truncated
/// to 8 bits with [`ConcatKind::Eight`]). Fails if more than 255 segments
/// would be needed. Empty text gives one empty segment.
pub fn split_text(text: &str, reference: u16, concat: ConcatKind) -> Result<Vec<TextSegment>, EncodeError> {
    let gsm = gsm7::is_encodable(text);
    // Per character: its units (septets or UTF-16 code units).
    let units = |c: char| -> usize {
        if gsm { gsm7::char_to_septets(c).map_or(1, gsm7::Septets::len) } else { c.len_utf16() }
    };
    let (single, per_segment) = if gsm {
        (MAX_USER_DATA_SEPTETS, MAX_USER_DATA_SEPTETS - gsm7::header_septets(concat.header_len()))
    } else {
        (MAX_USER_DATA_OCTETS / 2, (MAX_USER_DATA_OCTETS - concat.header_len()) / 2)
    };
    let total_units: usize = text.chars().map(units).sum();
    let mut pieces: Vec<&str> = Vec::new();
    if total_units <= single {
        pieces.push(text);
    } else {
        let (mut start, mut used) = (0usize, 0usize);
        for (i, c) in text.char_indices() {
            let u = units(c);
            if used + u > per_segment {
                pieces.push(&text[start..i]);
                start = i;
                used = 0;
            }
            used += u;
        }
        pieces.push(&text[start..]);
    }
    if pieces.len() > 255 {
        return Err(EncodeError::TooLong { field: "concatenated segments", len: pieces.len(), max: 255 });
    }
    let total = pieces.len() as u8;
    let dcs = if gsm { DataCodingScheme::GSM7 } else { DataCodingScheme::UCS2 };
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let body = if gsm {
                Body::Septets(gsm7::encode(piece).map_err(|ch| EncodeError::InvalidCharacter { field: "TP-UD", ch })?)
            } else {
                Body::Octets(Cow::Owned(utf16be(piece)))
            };
            let header =
                (total > 1).then(|| UserDataHeader::new(vec![concat.element(reference, total, i as u8 + 1)]));
            Ok(TextSegment { dcs, user_data: UserData { header, body } })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(segs: &[TextSegment]) -> Vec<String> {
        segs.iter().map(|s| s.user_data.text(s.dcs).unwrap()).collect()
    }

    #[test]
    fn single_segment_limits() {
        let t = "a".repeat(160);
        let s = split_text(&t, 1, ConcatKind::Eight).unwrap();
        assert_eq!(s.len(), 1);
        assert!(s[0].user_data.header.is_none());
        let t = "中".repeat(70);
        assert_eq!(split_text(&t, 1, ConcatKind::Eight).unwrap().len(), 1);
        assert_eq!(split_text(&"中".repeat(71), 1, ConcatKind::Eight).unwrap().len(), 2);
    }

    #[test]
    fn gsm7_multi_segment_153() {
        let t = "a".repeat(161);
        let s = split_text(&t, 7, ConcatKind::Eight).unwrap();
        assert_eq!(s.iter().map(|s| s.user_data.body.len()).collect::<Vec<_>>(), [153, 8]);
        assert_eq!(
            s[1].user_data.header.as_ref().unwrap().elements,
            [InformationElement::Concat8 { reference: 7, total: 2, seq: 2 }]
        );
        let s = split_text(&t, 7, ConcatKind::Sixteen).unwrap();
        assert_eq!(s.iter().map(|s| s.user_data.body.len()).collect::<Vec<_>>(), [152, 9]);
    }

    #[test]
    fn escape_sequence_is_not_split() {
        // 152 'a' then '€' (2 septets): '€' does not fit in 153 and moves on whole.
        let t = format!("{}€{}", "a".repeat(152), "b".repeat(10));
        let s = split_text(&t, 1, ConcatKind::Eight).unwrap();
        assert_eq!(s[0].user_data.body.len(), 152);
        assert_eq!(texts(&s).concat(), t);
    }

    #[test]
    fn surrogate_pair_is_not_split() {
        // 66 'я' then an emoji (2 code units): the 67-unit segment cannot take it.
        let t = format!("{}😀{}", "я".repeat(66), "я".repeat(10));
        let s = split_text(&t, 1, ConcatKind::Eight).unwrap();
        assert_eq!(s[0].user_data.body.len(), 132);
        assert_eq!(s[0].dcs, DataCodingScheme::UCS2);
        assert_eq!(texts(&s).concat(), t);
    }

    #[test]
    fn too_many_segments() {
        assert!(split_text(&"a".repeat(153 * 256), 1, ConcatKind::Eight).is_err());
        assert_eq!(split_text(&"a".repeat(153 * 255), 1, ConcatKind::Eight).unwrap().len(), 255);
    }
}
