//! TP-Service-Centre-Time-Stamp (TS 23.040 §9.2.3.11), TP-Discharge-Time
//! (§9.2.3.13) and TP-Validity-Period (§9.2.3.12).
//!
//! A timestamp is seven semi-octet (swapped BCD) octets: year, month, day,
//! hour, minute, second, time zone. The time zone is in quarters of an hour
//! from GMT; bit 3 of its octet (the high bit of the tens digit, which sits
//! in the low nibble) is the sign.

use core::time::Duration;

use crate::error::{DecodeError, EncodeError};

/// A service-centre timestamp (also used for TP-DT and absolute TP-VP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Year within the century, `0..=99`.
    pub year: u8,
    /// Month, `0..=99` on the wire (meaningful `1..=12`; not validated).
    pub month: u8,
    /// Day, `0..=99` (meaningful `1..=31`).
    pub day: u8,
    /// Hour, `0..=99` (meaningful `0..=23`).
    pub hour: u8,
    /// Minute, `0..=99`.
    pub minute: u8,
    /// Second, `0..=99`.
    pub second: u8,
    /// Offset from GMT in quarters of an hour, `-79..=79`.
    pub tz_quarter_hours: i8,
}

fn bcd(b: u8, offset: usize, field: &'static str) -> Result<u8, DecodeError> {
    let (lo, hi) = (b & 0x0F, b >> 4);
    if lo > 9 || hi > 9 {
        return Err(DecodeError::Invalid { offset, field, reason: "semi-octet is not a decimal digit" });
    }
    Ok(lo * 10 + hi)
}

fn to_bcd(v: u8, field: &'static str) -> Result<u8, EncodeError> {
    if v > 99 {
        return Err(EncodeError::OutOfRange { field });
    }
    Ok(((v % 10) << 4) | (v / 10))
}

impl Timestamp {
    /// Decodes the seven octets; `offset` is where they start (for errors).
    pub fn from_octets(b: [u8; 7], offset: usize, field: &'static str) -> Result<Self, DecodeError> {
        let tz = b[6];
        let (tens, units) = (tz & 0x07, tz >> 4);
        if units > 9 {
            return Err(DecodeError::Invalid { offset: offset + 6, field, reason: "time zone is not decimal" });
        }
        let q = (tens * 10 + units) as i8;
        Ok(Self {
            year: bcd(b[0], offset, field)?,
            month: bcd(b[1], offset + 1, field)?,
            day: bcd(b[2], offset + 2, field)?,
            hour: bcd(b[3], offset + 3, field)?,
            minute: bcd(b[4], offset + 4, field)?,
            second: bcd(b[5], offset + 5, field)?,
            tz_quarter_hours: if tz & 0x08 != 0 { -q } else { q },
        })
    }

    /// Encodes the seven octets.
    pub fn to_octets(&self, field: &'static str) -> Result<[u8; 7], EncodeError> {
        let q = self.tz_quarter_hours.unsigned_abs();
        if q > 79 {
            return Err(EncodeError::OutOfRange { field });
        }
        let tz = ((q % 10) << 4) | (q / 10) | if self.tz_quarter_hours < 0 { 0x08 } else { 0 };
        Ok([
            to_bcd(self.year, field)?,
            to_bcd(self.month, field)?,
            to_bcd(self.day, field)?,
            to_bcd(self.hour, field)?,
            to_bcd(self.minute, field)?,
            to_bcd(self.second, field)?,
            tz,
        ])
    }

    /// The time zone offset in seconds east of GMT.
    pub fn tz_offset_seconds(&self) -> i32 {
        i32::from(self.tz_quarter_hours) * 15 * 60
    }
}

/// TP-Validity-Period, in the format TP-VPF selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidityPeriod {
    /// Relative format (TP-VPF `10`): one octet, see [`relative_duration`].
    Relative(u8),
    /// Absolute format (TP-VPF `11`): a timestamp.
    Absolute(Timestamp),
    /// Enhanced format (TP-VPF `01`, §9.2.3.12.3): seven octets kept raw;
    /// [`EnhancedValidity::decode`] reads them.
    Enhanced(EnhancedValidity),
}

impl ValidityPeriod {
    /// The TP-VPF bits (3..4 of the first octet, already shifted down).
    pub(crate) fn vpf(this: Option<&Self>) -> u8 {
        match this {
            None => 0b00,
            Some(Self::Enhanced(_)) => 0b01,
            Some(Self::Relative(_)) => 0b10,
            Some(Self::Absolute(_)) => 0b11,
        }
    }

    /// A relative validity period that covers at least `d` (rounded up to
    /// the next step the format can express; saturates at 63 weeks).
    pub fn relative_at_least(d: Duration) -> Self {
        let mins = d.as_secs().div_ceil(60);
        let v = if mins <= 12 * 60 {
            mins.div_ceil(5).saturating_sub(1)
        } else if mins <= 24 * 60 {
            143 + (mins - 12 * 60).div_ceil(30)
        } else if mins <= 30 * 24 * 60 {
            166 + mins.div_ceil(24 * 60)
        } else {
            192 + mins.div_ceil(7 * 24 * 60)
        };
        Self::Relative(v.min(255) as u8)
    }
}

/// The duration of a relative TP-VP octet (§9.2.3.12.1):
/// `0..=143` → (v+1)×5 min; `144..=167` → 12 h + (v−143)×30 min;
/// `168..=196` → (v−166) days; `197..=255` → (v−192) weeks.
pub fn relative_duration(v: u8) -> Duration {
    let v = u64::from(v);
    let mins = match v {
        0..=143 => (v + 1) * 5,
        144..=167 => 12 * 60 + (v - 143) * 30,
        168..=196 => (v - 166) * 24 * 60,
        _ => (v - 192) * 7 * 24 * 60,
    };
    Duration::from_secs(mins * 60)
}

/// Enhanced validity period octets (§9.2.3.12.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedValidity(pub [u8; 7]);

/// The meaning of an [`EnhancedValidity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnhancedKind {
    /// No validity period specified.
    None,
    /// A relative octet as in the relative format.
    Relative(u8),
    /// Relative, an integer number of seconds `0..=255`.
    Seconds(u8),
    /// Relative, hours/minutes/seconds (semi-octets).
    Hms(u8, u8, u8),
    /// A reserved format or the extension bit: not understood.
    Reserved,
}

impl EnhancedValidity {
    /// Whether the single-shot bit (bit 6 of the functionality indicator) is set.
    pub fn single_shot(&self) -> bool {
        self.0[0] & 0x40 != 0
    }

    /// Decodes the functionality indicator and the period.
    pub fn decode(&self) -> EnhancedKind {
        let fi = self.0[0];
        if fi & 0x80 != 0 {
            return EnhancedKind::Reserved;
        }
        let bcd = |b: u8| (b & 0x0F) * 10 + (b >> 4);
        match fi & 0x07 {
            0 => EnhancedKind::None,
            1 => EnhancedKind::Relative(self.0[1]),
            2 => EnhancedKind::Seconds(self.0[1]),
            3 => EnhancedKind::Hms(bcd(self.0[1]), bcd(self.0[2]), bcd(self.0[3])),
            _ => EnhancedKind::Reserved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_with_positive_and_negative_zone() {
        // 2010-06-28 14:45:46 +01:00 (four quarter hours), from a real SMS-DELIVER.
        let b = [0x01, 0x60, 0x82, 0x41, 0x54, 0x64, 0x40];
        let t = Timestamp::from_octets(b, 0, "TP-SCTS").unwrap();
        assert_eq!(
            t,
            Timestamp { year: 10, month: 6, day: 28, hour: 14, minute: 45, second: 46, tz_quarter_hours: 4 }
        );
        assert_eq!(t.to_octets("TP-SCTS").unwrap(), b);
        // -05:00 = -20 quarter hours: digits "20" swapped → 0x02, sign bit → 0x0A.
        let t = Timestamp { tz_quarter_hours: -20, ..t };
        assert_eq!(t.to_octets("x").unwrap()[6], 0x0A);
        assert_eq!(Timestamp::from_octets(t.to_octets("x").unwrap(), 0, "x").unwrap(), t);
        assert_eq!(t.tz_offset_seconds(), -5 * 3600);
        assert!(Timestamp::from_octets([0x1A, 0, 0, 0, 0, 0, 0], 0, "x").is_err());
    }

    #[test]
    fn relative_validity() {
        assert_eq!(relative_duration(0), Duration::from_secs(300));
        assert_eq!(relative_duration(143), Duration::from_secs(12 * 3600));
        assert_eq!(relative_duration(167), Duration::from_secs(24 * 3600));
        assert_eq!(relative_duration(168), Duration::from_secs(2 * 86400));
        assert_eq!(relative_duration(255), Duration::from_secs(63 * 7 * 86400));
        for v in 0..=255u8 {
            assert_eq!(ValidityPeriod::relative_at_least(relative_duration(v)), ValidityPeriod::Relative(v));
        }
    }
}
