//! Character sets by IANA MIBenum (the numbers WSP and MMS put on the wire),
//! and decoding of text in any of the charsets that phones use.
//!
//! Decoding goes through `encoding_rs` (the WHATWG decoders) except where the
//! WHATWG mapping is not what the label means on a handset: ISO-8859-1 and
//! US-ASCII decode octet for code point (so a stray Latin-1 octet in
//! "us-ascii" text, as NowMMS sends, still reads right), and UCS-2/UTF-16
//! honour a BOM in either order and default to big-endian without one.

use std::borrow::Cow;
use std::fmt;

/// An IANA character set MIBenum. Unknown numbers are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Charset(pub u16);

macro_rules! charsets {
    ($( $konst:ident = $num:expr, $name:expr; )*) => {
        impl Charset {
            $( #[doc = concat!("`", $name, "` (MIBenum ", stringify!($num), ")")]
               pub const $konst: Charset = Charset($num); )*
        }
        const TABLE: &[(u16, &str)] = &[ $( ($num, $name), )* ];
    };
}

charsets! {
    ANY = 0, "*";
    US_ASCII = 3, "us-ascii";
    ISO_8859_1 = 4, "iso-8859-1";
    ISO_8859_2 = 5, "iso-8859-2";
    ISO_8859_3 = 6, "iso-8859-3";
    ISO_8859_4 = 7, "iso-8859-4";
    ISO_8859_5 = 8, "iso-8859-5";
    ISO_8859_6 = 9, "iso-8859-6";
    ISO_8859_7 = 10, "iso-8859-7";
    ISO_8859_8 = 11, "iso-8859-8";
    ISO_8859_9 = 12, "iso-8859-9";
    ISO_8859_10 = 13, "iso-8859-10";
    SHIFT_JIS = 17, "shift_jis";
    EUC_JP = 18, "euc-jp";
    KS_C_5601_1987 = 36, "ks_c_5601-1987";
    ISO_2022_KR = 37, "iso-2022-kr";
    EUC_KR = 38, "euc-kr";
    ISO_2022_JP = 39, "iso-2022-jp";
    UTF_8 = 106, "utf-8";
    ISO_8859_13 = 109, "iso-8859-13";
    ISO_8859_14 = 110, "iso-8859-14";
    ISO_8859_15 = 111, "iso-8859-15";
    ISO_8859_16 = 112, "iso-8859-16";
    GBK = 113, "gbk";
    GB18030 = 114, "gb18030";
    UCS_2 = 1000, "iso-10646-ucs-2";
    UTF_16BE = 1013, "utf-16be";
    UTF_16LE = 1014, "utf-16le";
    UTF_16 = 1015, "utf-16";
    WINDOWS_31J = 2024, "windows-31j";
    GB2312 = 2025, "gb2312";
    BIG5 = 2026, "big5";
    KOI8_R = 2084, "koi8-r";
    KOI8_U = 2088, "koi8-u";
    ISO_8859_11 = 2259, "tis-620";
    WINDOWS_1250 = 2250, "windows-1250";
    WINDOWS_1251 = 2251, "windows-1251";
    WINDOWS_1252 = 2252, "windows-1252";
    WINDOWS_1253 = 2253, "windows-1253";
    WINDOWS_1254 = 2254, "windows-1254";
    WINDOWS_1255 = 2255, "windows-1255";
    WINDOWS_1256 = 2256, "windows-1256";
    WINDOWS_1257 = 2257, "windows-1257";
    WINDOWS_1258 = 2258, "windows-1258";
}

impl Charset {
    /// The preferred IANA name, if the number is one this crate knows.
    pub fn name(self) -> Option<&'static str> {
        TABLE.iter().find(|(n, _)| *n == self.0).map(|(_, s)| *s)
    }

    /// Looks a charset up by name (case-insensitive, common aliases included).
    pub fn from_name(name: &str) -> Option<Charset> {
        let lower = name.trim().to_ascii_lowercase();
        let alias = match lower.as_str() {
            "utf8" => "utf-8",
            "ascii" | "ansi_x3.4-1968" => "us-ascii",
            "latin1" | "latin-1" | "iso8859-1" | "iso_8859-1" => "iso-8859-1",
            "ucs-2" | "ucs2" => "iso-10646-ucs-2",
            "sjis" | "shift-jis" | "x-sjis" => "shift_jis",
            "cp949" | "ks_c_5601" | "ksc5601" => "ks_c_5601-1987",
            "big-5" => "big5",
            "tis620" | "iso-8859-11" => "tis-620",
            other => other,
        };
        TABLE
            .iter()
            .find(|(_, s)| *s == alias)
            .map(|(n, _)| Charset(*n))
    }

    /// True if this crate can decode text labelled with this charset.
    pub fn is_supported(self) -> bool {
        self.decoder().is_some()
    }

    fn decoder(self) -> Option<Decoder> {
        use encoding_rs as e;
        Some(match self {
            Charset::US_ASCII | Charset::ISO_8859_1 => Decoder::Latin1,
            Charset::UTF_8 => Decoder::Encoding(e::UTF_8),
            Charset::UCS_2 | Charset::UTF_16 | Charset::UTF_16BE => Decoder::Utf16 { le: false },
            Charset::UTF_16LE => Decoder::Utf16 { le: true },
            Charset::ISO_8859_2 => Decoder::Encoding(e::ISO_8859_2),
            Charset::ISO_8859_3 => Decoder::Encoding(e::ISO_8859_3),
            Charset::ISO_8859_4 => Decoder::Encoding(e::ISO_8859_4),
            Charset::ISO_8859_5 => Decoder::Encoding(e::ISO_8859_5),
            Charset::ISO_8859_6 => Decoder::Encoding(e::ISO_8859_6),
            Charset::ISO_8859_7 => Decoder::Encoding(e::ISO_8859_7),
            Charset::ISO_8859_8 => Decoder::Encoding(e::ISO_8859_8),
            // WHATWG maps ISO-8859-9 to windows-1254 and ISO-8859-11 to
            // windows-874: supersets that agree on every ISO code point.
            Charset::ISO_8859_9 => Decoder::Encoding(e::WINDOWS_1254),
            Charset::ISO_8859_10 => Decoder::Encoding(e::ISO_8859_10),
            Charset::ISO_8859_11 => Decoder::Encoding(e::WINDOWS_874),
            Charset::ISO_8859_13 => Decoder::Encoding(e::ISO_8859_13),
            Charset::ISO_8859_14 => Decoder::Encoding(e::ISO_8859_14),
            Charset::ISO_8859_15 => Decoder::Encoding(e::ISO_8859_15),
            Charset::ISO_8859_16 => Decoder::Encoding(e::ISO_8859_16),
            Charset::SHIFT_JIS | Charset::WINDOWS_31J => Decoder::Encoding(e::SHIFT_JIS),
            Charset::EUC_JP => Decoder::Encoding(e::EUC_JP),
            Charset::ISO_2022_JP => Decoder::Encoding(e::ISO_2022_JP),
            // KS_C_5601-1987 as phones send it is CP949, which is what
            // encoding_rs's EUC-KR decoder implements.
            Charset::KS_C_5601_1987 | Charset::EUC_KR => Decoder::Encoding(e::EUC_KR),
            Charset::GB2312 | Charset::GBK => Decoder::Encoding(e::GBK),
            Charset::GB18030 => Decoder::Encoding(e::GB18030),
            Charset::BIG5 => Decoder::Encoding(e::BIG5),
            Charset::KOI8_R => Decoder::Encoding(e::KOI8_R),
            Charset::KOI8_U => Decoder::Encoding(e::KOI8_U),
            Charset::WINDOWS_1250 => Decoder::Encoding(e::WINDOWS_1250),
            Charset::WINDOWS_1251 => Decoder::Encoding(e::WINDOWS_1251),
            Charset::WINDOWS_1252 => Decoder::Encoding(e::WINDOWS_1252),
            Charset::WINDOWS_1253 => Decoder::Encoding(e::WINDOWS_1253),
            Charset::WINDOWS_1254 => Decoder::Encoding(e::WINDOWS_1254),
            Charset::WINDOWS_1255 => Decoder::Encoding(e::WINDOWS_1255),
            Charset::WINDOWS_1256 => Decoder::Encoding(e::WINDOWS_1256),
            Charset::WINDOWS_1257 => Decoder::Encoding(e::WINDOWS_1257),
            Charset::WINDOWS_1258 => Decoder::Encoding(e::WINDOWS_1258),
            _ => return None,
        })
    }

    /// Decodes `bytes` labelled with this charset to Unicode. Malformed
    /// sequences become U+FFFD; a leading BOM is removed. `None` when the
    /// charset is not one this crate can decode (the caller keeps the bytes).
    pub fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        Some(match self.decoder()? {
            Decoder::Latin1 => match std::str::from_utf8(bytes) {
                // Pure ASCII (the common case) borrows.
                Ok(s) if bytes.is_ascii() => Cow::Borrowed(s),
                _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
            },
            Decoder::Utf16 { le } => decode_utf16(bytes, le),
            Decoder::Encoding(enc) => {
                // `decode` sniffs a BOM (UTF-8 or UTF-16) and strips it.
                let (text, _, _) = enc.decode(bytes);
                text
            }
        })
    }
}

enum Decoder {
    Latin1,
    Utf16 { le: bool },
    Encoding(&'static encoding_rs::Encoding),
}

fn decode_utf16(bytes: &[u8], default_le: bool) -> Cow<'static, str> {
    let (le, body) = match bytes {
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        _ => (default_le, bytes),
    };
    let enc = if le {
        encoding_rs::UTF_16LE
    } else {
        encoding_rs::UTF_16BE
    };
    let (text, _) = enc.decode_without_bom_handling(body);
    Cow::Owned(text.into_owned())
}

/// Decodes text that carries no charset label (a Text-string): UTF-8 when it
/// is valid UTF-8 (leading BOMs removed), otherwise ISO-8859-1, which is what
/// handsets that predate UTF-8 send. The result never starts with U+FEFF, so
/// written back as UTF-8 it reads the same.
pub fn decode_unlabelled(bytes: &[u8]) -> Cow<'_, str> {
    let mut bytes = bytes;
    while let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]) {
        bytes = rest;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

impl fmt::Debug for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "Charset({n})"),
            None => write!(f, "Charset({})", self.0),
        }
    }
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "mibenum-{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(cs: Charset, b: &[u8]) -> String {
        cs.decode(b).unwrap().into_owned()
    }

    #[test]
    fn phone_charsets() {
        assert_eq!(dec(Charset::UTF_8, "Питер".as_bytes()), "Питер");
        assert_eq!(dec(Charset::UTF_8, b"\xEF\xBB\xBFhi"), "hi");
        assert_eq!(dec(Charset::US_ASCII, b"pr\xe4sentiert"), "präsentiert");
        assert_eq!(dec(Charset::ISO_8859_1, b"\xe9t\xe9"), "été");
        assert_eq!(dec(Charset::ISO_8859_15, b"\xa4"), "€");
        assert_eq!(dec(Charset::ISO_8859_5, b"\xbf"), "П");
        assert_eq!(dec(Charset::ISO_8859_7, b"\xe1"), "α");
        assert_eq!(dec(Charset::UCS_2, &[0x00, 0x41, 0x04, 0x1F]), "AП");
        assert_eq!(dec(Charset::UTF_16, &[0xFF, 0xFE, 0x41, 0x00]), "A");
        assert_eq!(dec(Charset::UTF_16, &[0xFE, 0xFF, 0x00, 0x41]), "A");
        assert_eq!(dec(Charset::UTF_16LE, &[0x41, 0x00]), "A");
        assert_eq!(dec(Charset::SHIFT_JIS, &[0x82, 0xA0]), "あ");
        assert_eq!(dec(Charset::EUC_JP, &[0xA4, 0xA2]), "あ");
        assert_eq!(dec(Charset::BIG5, &[0xA4, 0xA4]), "中");
        assert_eq!(dec(Charset::GB2312, &[0xD6, 0xD0]), "中");
        assert_eq!(dec(Charset::GBK, &[0xD6, 0xD0]), "中");
        assert_eq!(dec(Charset::EUC_KR, &[0xC7, 0xD1]), "한");
        assert_eq!(dec(Charset::KS_C_5601_1987, &[0xC7, 0xD1]), "한");
        // A CP949 extension syllable (not in plain EUC-KR): 0x8141 = 갂.
        assert_eq!(dec(Charset::KS_C_5601_1987, &[0x81, 0x41]), "갂");
        assert_eq!(dec(Charset::WINDOWS_1251, &[0xCF]), "П");
        assert_eq!(dec(Charset::WINDOWS_1252, &[0x80]), "€");
        assert!(Charset(9999).decode(b"x").is_none());
    }

    #[test]
    fn iso_8859_all_decode() {
        for n in 4..=13u16 {
            assert!(Charset(n).is_supported(), "{n}");
        }
        for cs in [
            Charset::ISO_8859_11,
            Charset::ISO_8859_13,
            Charset::ISO_8859_14,
            Charset::ISO_8859_15,
        ] {
            assert!(cs.is_supported(), "{cs}");
        }
        for n in 2250..=2258u16 {
            assert!(Charset(n).is_supported(), "{n}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(Charset::from_name("UTF-8"), Some(Charset::UTF_8));
        assert_eq!(Charset::from_name("Shift_JIS"), Some(Charset::SHIFT_JIS));
        assert_eq!(Charset::KS_C_5601_1987.to_string(), "ks_c_5601-1987");
        assert_eq!(Charset(4242).to_string(), "mibenum-4242");
        assert_eq!(decode_unlabelled(b"\xe4"), "ä");
        assert_eq!(decode_unlabelled("ä".as_bytes()), "ä");
    }
}
