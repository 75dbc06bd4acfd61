//! SMPP time strings (SMPP 3.4 §7.1.1): `YYMMDDhhmmsstnnp`.
//!
//! "tnn" are tenths of a second and the offset from UTC in quarter hours;
//! `p` is `+` or `-` (absolute: local time ahead of / behind UTC) or `R`
//! (relative to the SMSC's current time, §7.1.1.2).

use std::fmt;
use std::time::Duration;

/// Why a time string was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not 16 characters long.
    #[error("SMPP time must be 16 characters, got {0}")]
    Length(usize),
    /// A character that should be a digit is not one.
    #[error("non-digit at position {0}")]
    NotDigit(usize),
    /// The last character is not `+`, `-` or `R`.
    #[error("bad time direction character at position 15")]
    Direction,
    /// A component is outside its range (month 13, offset 49, ...).
    #[error("component out of range at position {0}")]
    Range(usize),
}

/// An absolute time: `YYMMDDhhmmsstnn[+-]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AbsoluteTime {
    /// Two-digit year, 00–99 (§7.1.1 does not say the century; 2000+ is usual).
    pub year: u8,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59.
    pub second: u8,
    /// Tenths of a second, 0–9.
    pub tenths: u8,
    /// Local time's offset from UTC in quarter hours, −48..=48.
    pub utc_offset_quarters: i8,
}

impl AbsoluteTime {
    /// Seconds since 1970-01-01T00:00:00Z, taking the year as 20YY.
    pub fn unix_timestamp(&self) -> i64 {
        let days = days_from_civil(
            2000 + i64::from(self.year),
            self.month.into(),
            self.day.into(),
        );
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.utc_offset_quarters) * 900
    }

    /// The UTC time for `unix` seconds (year taken modulo 100; tenths 0).
    pub fn from_unix_timestamp(unix: i64) -> AbsoluteTime {
        let days = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        AbsoluteTime {
            year: y.rem_euclid(100) as u8,
            month: m as u8,
            day: d as u8,
            hour: (secs / 3600) as u8,
            minute: (secs / 60 % 60) as u8,
            second: (secs % 60) as u8,
            tenths: 0,
            utc_offset_quarters: 0,
        }
    }
}

/// A relative time: `YYMMDDhhmmss000R` (an interval, not a date).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct RelativeTime {
    /// 0–99.
    pub years: u8,
    /// 0–99 (the spec does not cap it at 11).
    pub months: u8,
    /// 0–99.
    pub days: u8,
    /// 0–99.
    pub hours: u8,
    /// 0–99.
    pub minutes: u8,
    /// 0–99.
    pub seconds: u8,
}

impl RelativeTime {
    /// The interval, counting a year as 365 days and a month as 30 days.
    pub fn to_duration(&self) -> Duration {
        let days = u64::from(self.years) * 365 + u64::from(self.months) * 30 + u64::from(self.days);
        Duration::from_secs(
            days * 86_400
                + u64::from(self.hours) * 3600
                + u64::from(self.minutes) * 60
                + u64::from(self.seconds),
        )
    }
}

/// A `schedule_delivery_time`, `validity_period` or `final_date` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SmppTime {
    /// `…[+-]`.
    Absolute(AbsoluteTime),
    /// `…R`.
    Relative(RelativeTime),
}

impl SmppTime {
    /// Parses the 16 characters (no NUL).
    ///
    /// For relative times the `tnn` digits are read but not kept (§7.1.1.2
    /// says they are `000`).
    pub fn parse(s: &[u8]) -> Result<SmppTime, TimeError> {
        if s.len() != 16 {
            return Err(TimeError::Length(s.len()));
        }
        let d2 = |i: usize| -> Result<u8, TimeError> {
            let (a, b) = (s[i], s[i + 1]);
            if !a.is_ascii_digit() {
                return Err(TimeError::NotDigit(i));
            }
            if !b.is_ascii_digit() {
                return Err(TimeError::NotDigit(i + 1));
            }
            Ok((a - b'0') * 10 + (b - b'0'))
        };
        let f = [d2(0)?, d2(2)?, d2(4)?, d2(6)?, d2(8)?, d2(10)?];
        if !s[12].is_ascii_digit() {
            return Err(TimeError::NotDigit(12));
        }
        let tenths = s[12] - b'0';
        let nn = d2(13)?;
        match s[15] {
            b'R' | b'r' => Ok(SmppTime::Relative(RelativeTime {
                years: f[0],
                months: f[1],
                days: f[2],
                hours: f[3],
                minutes: f[4],
                seconds: f[5],
            })),
            p @ (b'+' | b'-') => {
                let checks = [(1, 1, 12), (2, 1, 31), (3, 0, 23), (4, 0, 59), (5, 0, 59)];
                for (i, lo, hi) in checks {
                    if f[i] < lo || f[i] > hi {
                        return Err(TimeError::Range(i * 2));
                    }
                }
                if nn > 48 {
                    return Err(TimeError::Range(13));
                }
                let q = nn as i8;
                Ok(SmppTime::Absolute(AbsoluteTime {
                    year: f[0],
                    month: f[1],
                    day: f[2],
                    hour: f[3],
                    minute: f[4],
                    second: f[5],
                    tenths,
                    utc_offset_quarters: if p == b'-' { -q } else { q },
                }))
            }
            _ => Err(TimeError::Direction),
        }
    }

    /// The 16 characters (no NUL). Out-of-range components are clamped so
    /// the output always parses.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [b'0'; 16];
        let mut put = |i: usize, v: u8| {
            let v = v.min(99);
            out[i] = b'0' + v / 10;
            out[i + 1] = b'0' + v % 10;
        };
        match self {
            SmppTime::Absolute(a) => {
                put(0, a.year);
                put(2, a.month.clamp(1, 12));
                put(4, a.day.clamp(1, 31));
                put(6, a.hour.min(23));
                put(8, a.minute.min(59));
                put(10, a.second.min(59));
                put(13, a.utc_offset_quarters.unsigned_abs().min(48));
                out[12] = b'0' + a.tenths.min(9);
                out[15] = if a.utc_offset_quarters < 0 {
                    b'-'
                } else {
                    b'+'
                };
            }
            SmppTime::Relative(r) => {
                put(0, r.years);
                put(2, r.months);
                put(4, r.days);
                put(6, r.hours);
                put(8, r.minutes);
                put(10, r.seconds);
                out[15] = b'R';
            }
        }
        out
    }
}

impl fmt::Display for SmppTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.to_bytes();
        // to_bytes writes only ASCII digits and +, -, R.
        f.write_str(std::str::from_utf8(&b).unwrap_or(""))
    }
}

impl std::str::FromStr for SmppTime {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SmppTime::parse(s.as_bytes())
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kannel_absolute_validity() {
        let t = SmppTime::parse(b"240102030405000+").unwrap();
        let SmppTime::Absolute(a) = t else {
            panic!("not absolute")
        };
        assert_eq!(
            (a.year, a.month, a.day, a.hour, a.minute, a.second),
            (24, 1, 2, 3, 4, 5)
        );
        assert_eq!(a.utc_offset_quarters, 0);
        assert_eq!(&t.to_bytes(), b"240102030405000+");
    }

    #[test]
    fn relative_and_offsets() {
        let t = SmppTime::parse(b"000001020000000R").unwrap();
        assert_eq!(
            t,
            SmppTime::Relative(RelativeTime {
                days: 1,
                hours: 2,
                ..Default::default()
            })
        );
        assert_eq!(&t.to_bytes(), b"000001020000000R");
        let SmppTime::Relative(r) = t else { panic!() };
        assert_eq!(r.to_duration(), Duration::from_secs(86_400 + 7200));
        let t = SmppTime::parse(b"991231235959948-").unwrap();
        let SmppTime::Absolute(a) = t else { panic!() };
        assert_eq!(a.utc_offset_quarters, -48);
        assert_eq!(a.tenths, 9);
        assert_eq!(&t.to_bytes(), b"991231235959948-");
    }

    #[test]
    fn rejects() {
        assert_eq!(
            SmppTime::parse(b"2401020304050+"),
            Err(TimeError::Length(14))
        );
        assert_eq!(
            SmppTime::parse(b"241302030405000+"),
            Err(TimeError::Range(2))
        );
        assert_eq!(
            SmppTime::parse(b"240102030405049+"),
            Err(TimeError::Range(13))
        );
        assert_eq!(
            SmppTime::parse(b"24010203040500X+"),
            Err(TimeError::NotDigit(14))
        );
        assert_eq!(
            SmppTime::parse(b"240102030405000Z"),
            Err(TimeError::Direction)
        );
    }

    #[test]
    fn unix_round_trip() {
        let a = AbsoluteTime::from_unix_timestamp(1_700_000_000);
        assert_eq!(
            (a.year, a.month, a.day, a.hour, a.minute, a.second),
            (23, 11, 14, 22, 13, 20)
        );
        assert_eq!(a.unix_timestamp(), 1_700_000_000);
        let plus1h = AbsoluteTime {
            utc_offset_quarters: 4,
            hour: 23,
            ..a
        };
        assert_eq!(plus1h.unix_timestamp(), 1_700_000_000);
    }
}
