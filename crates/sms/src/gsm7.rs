//! GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1,
//! §6.2.1.1), and septet packing (TS 23.038 §6.1.2.1, TS 23.040 §9.2.3.24).
//!
//! Text is handled in two steps: characters ↔ *septets* (values `0..=0x7F`,
//! one per `u8`, with `0x1B` escaping into the extension table), and
//! septets ↔ *packed octets* (7 bits each, least significant bit first,
//! optionally after a number of fill bits that align the text on a septet
//! boundary after a user data header).

/// The escape septet that switches the next septet to the extension table.
pub const ESCAPE: u8 = 0x1B;

/// The default alphabet, indexed by septet value (§6.2.1). Index 0x1B is the
/// escape code and is never produced for a character.
const DEFAULT: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table (§6.2.1.1): septet after `ESC` → character.
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'), // form feed (page break)
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// How a character is written in the GSM 7-bit default alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Septets {
    /// One septet of the default table.
    One(u8),
    /// `ESC` followed by this septet of the extension table.
    Escaped(u8),
}

impl Septets {
    /// Number of septets the character takes (1 or 2).
    pub fn len(self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Escaped(_) => 2,
        }
    }

    /// Always `false`; present for symmetry with [`Septets::len`].
    pub fn is_empty(self) -> bool {
        false
    }
}

/// Looks a character up in the default table, then the extension table.
/// Returns `None` if it cannot be written in the GSM 7-bit default alphabet.
pub fn char_to_septets(ch: char) -> Option<Septets> {
    if ch == '\u{1B}' {
        return None;
    }
    if let Some(i) = DEFAULT.iter().position(|&c| c == ch) {
        return Some(Septets::One(i as u8));
    }
    EXTENSION.iter().find(|&&(_, c)| c == ch).map(|&(s, _)| Septets::Escaped(s))
}

/// Whether every character of `text` is in the default alphabet or its
/// extension table.
pub fn is_encodable(text: &str) -> bool {
    text.chars().all(|c| char_to_septets(c).is_some())
}

/// Number of septets `text` takes, or `None` if a character is not encodable.
/// Extension-table characters count as two.
pub fn septet_len(text: &str) -> Option<usize> {
    text.chars().try_fold(0usize, |n, c| Some(n + char_to_septets(c)?.len()))
}

/// Converts text to septets (`ESC` sequences included).
///
/// Returns the first character that cannot be encoded as the error.
pub fn encode(text: &str) -> Result<Vec<u8>, char> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        match char_to_septets(ch).ok_or(ch)? {
            Septets::One(s) => out.push(s),
            Septets::Escaped(s) => {
                out.push(ESCAPE);
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// Converts septets to text. Never fails:
///
/// * `ESC` followed by a septet that the extension table does not define
///   shows the default-table character of that septet (§6.2.1.1, note 1);
/// * `ESC ESC` (reserved for a further extension table) and a final lone
///   `ESC` show a space (§6.2.1.1, note 3);
/// * the high bit of each value is ignored.
pub fn decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut iter = septets.iter().map(|&s| s & 0x7F);
    while let Some(s) = iter.next() {
        if s != ESCAPE {
            out.push(DEFAULT[usize::from(s)]);
            continue;
        }
        match iter.next() {
            None | Some(ESCAPE) => out.push(' '),
            Some(e) => match EXTENSION.iter().find(|&&(x, _)| x == e) {
                Some(&(_, c)) => out.push(c),
                None => out.push(DEFAULT[usize::from(e)]),
            },
        }
    }
    out
}

/// Number of fill bits that follow a user data header of `udh_octets`
/// octets (UDHL octet included) so that the text starts on a septet boundary.
pub fn fill_bits(udh_octets: usize) -> usize {
    (7 - (udh_octets * 8) % 7) % 7
}

/// Number of septets a user data header of `udh_octets` octets occupies,
/// fill bits included (what it adds to TP-UDL in 7-bit coding).
pub fn header_septets(udh_octets: usize) -> usize {
    (udh_octets * 8).div_ceil(7)
}

/// Packs septets, least significant bit first, after `fill` zero bits.
/// The result has `ceil((fill + 7 * len) / 8)` octets.
pub fn pack(septets: &[u8], fill: usize) -> Vec<u8> {
    let total_bits = fill + septets.len() * 7;
    let mut out = vec![0u8; total_bits.div_ceil(8)];
    pack_into(&mut out, septets, fill);
    out
}

/// Packs septets into `out` starting at bit `bit_offset` (bits already set
/// in `out` are kept). `out` must be long enough.
pub(crate) fn pack_into(out: &mut [u8], septets: &[u8], bit_offset: usize) {
    let mut bit = bit_offset;
    for &s in septets {
        let v = u16::from(s & 0x7F) << (bit % 8);
        let i = bit / 8;
        out[i] |= v as u8;
        if v > 0xFF {
            out[i + 1] |= (v >> 8) as u8;
        }
        bit += 7;
    }
}

/// Unpacks `count` septets starting after `fill` bits. Returns `None` if
/// `octets` is too short.
pub fn unpack(octets: &[u8], fill: usize, count: usize) -> Option<Vec<u8>> {
    let needed = (fill + count * 7).div_ceil(8);
    if needed > octets.len() {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    let mut bit = fill;
    for _ in 0..count {
        let i = bit / 8;
        let lo = u16::from(octets[i]);
        let hi = octets.get(i + 1).copied().map_or(0, u16::from);
        out.push((((hi << 8 | lo) >> (bit % 8)) & 0x7F) as u8);
        bit += 7;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellohello_packs_like_the_classic_example() {
        let septets = encode("hellohello").unwrap();
        assert_eq!(pack(&septets, 0), [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]);
        assert_eq!(unpack(&pack(&septets, 0), 0, 10).unwrap(), septets);
    }

    #[test]
    fn extension_table() {
        assert_eq!(encode("€[").unwrap(), [0x1B, 0x65, 0x1B, 0x3C]);
        assert_eq!(decode(&[0x1B, 0x65, 0x1B, 0x3C]), "€[");
        assert_eq!(septet_len("a€"), Some(3));
        assert_eq!(septet_len("a中"), None);
        // Undefined escape: show the default character; ESC ESC and lone ESC: space.
        assert_eq!(decode(&[0x1B, 0x41]), "A");
        assert_eq!(decode(&[0x1B, 0x1B, 0x41, 0x1B]), " A ");
        assert_eq!(encode("\u{1B}"), Err('\u{1B}'));
    }

    #[test]
    fn fill_bits_after_udh() {
        // 6-octet concat UDH: 48 bits, 1 fill bit, 7 header septets.
        assert_eq!(fill_bits(6), 1);
        assert_eq!(header_septets(6), 7);
        assert_eq!(fill_bits(7), 0);
        assert_eq!(header_septets(7), 8);
        // "Hi" after one fill bit: H=0x48, i=0x69 → bits 1..15.
        assert_eq!(pack(&[0x48, 0x69], 1), [0x90, 0x69]);
        assert_eq!(unpack(&[0x90, 0x69], 1, 2).unwrap(), [0x48, 0x69]);
    }

    #[test]
    fn all_default_chars_round_trip() {
        for s in 0u8..0x80 {
            if s == ESCAPE {
                continue;
            }
            let text = decode(&[s]);
            assert_eq!(encode(&text).unwrap(), [s]);
        }
    }
}
