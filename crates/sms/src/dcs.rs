//! TP-Data-Coding-Scheme (TS 23.038 §4 "SMS Data Coding Scheme").
//!
//! The octet is kept raw in [`DataCodingScheme`] (so every value survives a
//! round trip); [`DataCodingScheme::kind`] decodes it into a typed
//! [`DcsKind`] and `DataCodingScheme::from(kind)` encodes it back. Every
//! octet maps to exactly one `DcsKind` and back; octets with bits the
//! specification reserves become [`DcsKind::Reserved`].
//!
//! ```text
//! 00zc aacc  general data coding (z compressed, c class present, aa alphabet, cc class)
//! 01zc aacc  same, message marked for automatic deletion
//! 1000..1011 reserved coding groups
//! 1100 s0tt  message waiting indication, discard message, GSM 7-bit
//! 1101 s0tt  message waiting indication, store message, GSM 7-bit
//! 1110 s0tt  message waiting indication, store message, UCS2
//! 1111 0acc  data coding / message class (a: 0 GSM 7-bit, 1 8-bit)
//! ```

use core::fmt;

/// The raw TP-DCS octet.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DataCodingScheme(pub u8);

impl DataCodingScheme {
    /// GSM 7-bit default alphabet, no class (`0x00`).
    pub const GSM7: Self = Self(0x00);
    /// 8-bit data, no class (`0x04`) — what Kannel uses for WAP Push.
    pub const OCTETS: Self = Self(0x04);
    /// UCS2, no class (`0x08`).
    pub const UCS2: Self = Self(0x08);
    /// 8-bit data, class 1 (`0xF5`) — the other common WAP Push coding.
    pub const OCTETS_CLASS1: Self = Self(0xF5);

    /// The typed meaning of the octet. Octets with reserved bits set (class
    /// bits without the class flag, bit 2 of a message waiting group, bit 3
    /// of group `1111`) and the reserved groups give [`DcsKind::Reserved`].
    pub fn kind(self) -> DcsKind {
        let b = self.0;
        match b >> 4 {
            0x0..=0x7 if b & 0x10 != 0 || b & 0x03 == 0 => DcsKind::General {
                auto_delete: b & 0x40 != 0,
                compressed: b & 0x20 != 0,
                class: (b & 0x10 != 0).then(|| MessageClass::from_bits(b)),
                alphabet: self.alphabet_bits(),
            },
            0xC..=0xE if b & 0x04 == 0 => DcsKind::MessageWaiting {
                store: b >> 4 != 0xC,
                alphabet: self.alphabet_bits(),
                active: b & 0x08 != 0,
                indication: IndicationType::from_bits(b),
            },
            0xF if b & 0x08 == 0 => DcsKind::DataClass { alphabet: self.alphabet_bits(), class: MessageClass::from_bits(b) },
            _ => DcsKind::Reserved(b),
        }
    }

    /// The alphabet the octet's group names, reserved bits ignored.
    fn alphabet_bits(self) -> Alphabet {
        let b = self.0;
        match b >> 4 {
            0x0..=0x7 => match (b >> 2) & 0x03 {
                0 => Alphabet::Gsm7,
                1 => Alphabet::Octets,
                2 => Alphabet::Ucs2,
                _ => Alphabet::Reserved,
            },
            0xE => Alphabet::Ucs2,
            0xF if b & 0x04 != 0 => Alphabet::Octets,
            _ => Alphabet::Gsm7,
        }
    }

    /// The alphabet of the user data, read from the group and alphabet bits
    /// even when reserved bits are set. The reserved alphabet and the
    /// reserved groups are read as the GSM 7-bit default alphabet, as
    /// TS 23.038 §4 asks of a receiving entity.
    pub fn alphabet(self) -> Alphabet {
        match self.alphabet_bits() {
            Alphabet::Reserved => Alphabet::Gsm7,
            a => a,
        }
    }

    /// Whether the user data is compressed (TS 23.042): bit 5 of the
    /// general data coding groups.
    pub fn is_compressed(self) -> bool {
        self.0 < 0x80 && self.0 & 0x20 != 0
    }

    /// The message class, if one is indicated.
    pub fn class(self) -> Option<MessageClass> {
        match self.kind() {
            DcsKind::General { class, .. } => class,
            DcsKind::DataClass { class, .. } => Some(class),
            _ => None,
        }
    }

    /// Whether TP-User-Data is a string of packed septets with TP-UDL
    /// counting septets (uncompressed GSM 7-bit), as opposed to octets.
    pub fn uses_septets(self) -> bool {
        self.alphabet() == Alphabet::Gsm7 && !self.is_compressed()
    }
}

impl fmt::Debug for DataCodingScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataCodingScheme({:#04x}: {:?})", self.0, self.kind())
    }
}

impl From<u8> for DataCodingScheme {
    fn from(v: u8) -> Self {
        Self(v)
    }
}

impl From<DcsKind> for DataCodingScheme {
    fn from(k: DcsKind) -> Self {
        let b = match k {
            DcsKind::General { auto_delete, compressed, class, alphabet } => {
                let a = match alphabet {
                    Alphabet::Gsm7 => 0,
                    Alphabet::Octets => 1,
                    Alphabet::Ucs2 => 2,
                    Alphabet::Reserved => 3,
                };
                u8::from(auto_delete) << 6
                    | u8::from(compressed) << 5
                    | class.map_or(0, |c| 0x10 | c as u8)
                    | a << 2
            }
            DcsKind::MessageWaiting { store, alphabet, active, indication } => {
                let group = match (store, alphabet) {
                    (false, _) => 0xC0,
                    (true, Alphabet::Ucs2) => 0xE0,
                    (true, _) => 0xD0,
                };
                group | u8::from(active) << 3 | indication as u8
            }
            DcsKind::DataClass { alphabet, class } => {
                0xF0 | u8::from(alphabet == Alphabet::Octets) << 2 | class as u8
            }
            DcsKind::Reserved(b) => b,
        };
        Self(b)
    }
}

/// The decoded TP-DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DcsKind {
    /// General data coding groups `00xx` and `01xx`.
    General {
        /// Group `01xx`: message marked for automatic deletion.
        auto_delete: bool,
        /// The text is compressed (TS 23.042).
        compressed: bool,
        /// Message class, if bit 4 says it is meaningful.
        class: Option<MessageClass>,
        /// Character set.
        alphabet: Alphabet,
    },
    /// Message waiting indication groups `1100`, `1101`, `1110`.
    MessageWaiting {
        /// `false`: discard message (1100); `true`: store message (1101/1110).
        store: bool,
        /// GSM 7-bit (1100/1101) or UCS2 (1110). With `store == false`, only
        /// GSM 7-bit exists.
        alphabet: Alphabet,
        /// Indication sense: set indication active.
        active: bool,
        /// What is waiting.
        indication: IndicationType,
    },
    /// Data coding / message class group `1111`.
    DataClass {
        /// GSM 7-bit or 8-bit data (nothing else can be expressed).
        alphabet: Alphabet,
        /// Message class.
        class: MessageClass,
    },
    /// A reserved coding group or reserved bit pattern, kept raw.
    Reserved(u8),
}

/// Character set of the user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// GSM 7-bit default alphabet.
    Gsm7,
    /// 8-bit data.
    Octets,
    /// UCS2 (UTF-16BE in practice).
    Ucs2,
    /// The reserved alphabet value `11` of the general groups.
    Reserved,
}

/// Message class (TS 23.038 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageClass {
    /// Class 0: immediate display ("flash").
    Class0 = 0,
    /// Class 1: ME-specific.
    Class1 = 1,
    /// Class 2: (U)SIM-specific.
    Class2 = 2,
    /// Class 3: TE-specific.
    Class3 = 3,
}

impl MessageClass {
    fn from_bits(b: u8) -> Self {
        match b & 0x03 {
            0 => Self::Class0,
            1 => Self::Class1,
            2 => Self::Class2,
            _ => Self::Class3,
        }
    }
}

/// Message waiting indication type (TS 23.038 §4, bits 1..0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum IndicationType {
    /// Voicemail message waiting.
    Voicemail = 0,
    /// Fax message waiting.
    Fax = 1,
    /// Electronic mail message waiting.
    Email = 2,
    /// Other message waiting.
    Other = 3,
}

impl IndicationType {
    fn from_bits(b: u8) -> Self {
        match b & 0x03 {
            0 => Self::Voicemail,
            1 => Self::Fax,
            2 => Self::Email,
            _ => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_octet_round_trips_through_kind() {
        for b in 0..=255u8 {
            let dcs = DataCodingScheme(b);
            assert_eq!(DataCodingScheme::from(dcs.kind()), dcs, "{b:#04x}");
        }
    }

    #[test]
    fn table() {
        use DcsKind::*;
        assert_eq!(
            DataCodingScheme(0x00).kind(),
            General { auto_delete: false, compressed: false, class: None, alphabet: Alphabet::Gsm7 }
        );
        assert_eq!(DataCodingScheme(0x04).alphabet(), Alphabet::Octets);
        assert_eq!(DataCodingScheme(0x08).alphabet(), Alphabet::Ucs2);
        assert_eq!(
            DataCodingScheme(0x10).kind(),
            General { auto_delete: false, compressed: false, class: Some(MessageClass::Class0), alphabet: Alphabet::Gsm7 }
        );
        assert_eq!(DataCodingScheme(0xF5).kind(), DataClass { alphabet: Alphabet::Octets, class: MessageClass::Class1 });
        assert_eq!(
            DataCodingScheme(0xC8).kind(),
            MessageWaiting { store: false, alphabet: Alphabet::Gsm7, active: true, indication: IndicationType::Voicemail }
        );
        assert_eq!(
            DataCodingScheme(0xE1).kind(),
            MessageWaiting { store: true, alphabet: Alphabet::Ucs2, active: false, indication: IndicationType::Fax }
        );
        assert_eq!(DataCodingScheme(0x85).kind(), Reserved(0x85));
        assert_eq!(DataCodingScheme(0x85).alphabet(), Alphabet::Gsm7);
        assert_eq!(DataCodingScheme(0xF8).kind(), Reserved(0xF8));
        // Class bits without the class flag: reserved, but the alphabet still reads.
        assert_eq!(DataCodingScheme(0x05).kind(), Reserved(0x05));
        assert_eq!(DataCodingScheme(0x05).alphabet(), Alphabet::Octets);
        assert_eq!(DataCodingScheme(0x0C).alphabet(), Alphabet::Gsm7);
        assert!(DataCodingScheme(0x24).is_compressed());
        assert!(!DataCodingScheme(0x20).uses_septets());
        assert!(DataCodingScheme(0x0C).uses_septets());
    }
}
