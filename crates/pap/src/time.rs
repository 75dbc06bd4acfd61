//! PAP date-times (WAP-247-PAP §9.2: `%Datetime;`): UTC in the form
//! `YYYY-MM-DDThh:mm:ssZ`, e.g. `2001-04-29T12:00:00Z`.
//!
//! Parsed into seconds since the Unix epoch with a hand-written civil-date
//! conversion (days from civil and back), so no date crate is needed.

use std::fmt;

/// A PAP timestamp: whole seconds since 1970-01-01T00:00:00Z, between year
/// 0000 and year 9999 (what the four-digit year can say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

/// Why a timestamp did not parse or build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampError;

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a PAP date-time YYYY-MM-DDThh:mm:ssZ")
    }
}

impl std::error::Error for TimestampError {}

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (i64::from(m) + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

impl Timestamp {
    /// 0000-01-01T00:00:00Z.
    pub const MIN: Self = Self(-62_167_219_200);
    /// 9999-12-31T23:59:59Z.
    pub const MAX: Self = Self(253_402_300_799);

    /// A timestamp from Unix seconds, if it is within year 0000–9999.
    pub fn from_unix(secs: i64) -> Option<Self> {
        (Self::MIN.0..=Self::MAX.0)
            .contains(&secs)
            .then_some(Self(secs))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// A timestamp from its calendar fields (UTC), checked.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Result<Self, TimestampError> {
        if !(0..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(TimestampError);
        }
        let days = days_from_civil(year, month, day);
        Ok(Self(
            days * 86_400 + i64::from(hour * 3600 + minute * 60 + second),
        ))
    }

    /// The calendar fields (year, month, day, hour, minute, second), UTC.
    pub fn to_civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// Parses `YYYY-MM-DDThh:mm:ssZ`. Loose in two ways seen in the field:
    /// surrounding whitespace is ignored and `t`/`z` may be lower case.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let b = text.trim().as_bytes();
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !b[10].eq_ignore_ascii_case(&b'T')
            || b[13] != b':'
            || b[16] != b':'
            || !b[19].eq_ignore_ascii_case(&b'Z')
        {
            return Err(TimestampError);
        }
        let num = |range: std::ops::Range<usize>| -> Result<u32, TimestampError> {
            b[range].iter().try_fold(0u32, |acc, &c| {
                if c.is_ascii_digit() {
                    Ok(acc * 10 + u32::from(c - b'0'))
                } else {
                    Err(TimestampError)
                }
            })
        };
        Self::from_civil(
            i64::from(num(0..4)?),
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.to_civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases: &[(&str, i64)] = &[
            ("1970-01-01T00:00:00Z", 0),
            ("2001-04-29T12:00:00Z", 988_545_600),
            ("2000-02-29T23:59:59Z", 951_868_799),
            ("1969-12-31T23:59:59Z", -1),
            ("0000-01-01T00:00:00Z", Timestamp::MIN.0),
            ("9999-12-31T23:59:59Z", Timestamp::MAX.0),
            ("2038-01-19T03:14:08Z", 2_147_483_648),
        ];
        for (text, secs) in cases {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(t.unix(), *secs, "{text}");
            assert_eq!(t.to_string(), *text);
        }
    }

    #[test]
    fn loose_and_invalid() {
        assert_eq!(
            Timestamp::parse(" 2001-04-29t12:00:00z\r\n")
                .unwrap()
                .unix(),
            988_545_600
        );
        for bad in [
            "",
            "2001-04-29T12:00:00",
            "2001-04-29 12:00:00Z",
            "2001-02-29T12:00:00Z",
            "1900-02-29T00:00:00Z",
            "2001-13-01T00:00:00Z",
            "2001-00-01T00:00:00Z",
            "2001-04-31T00:00:00Z",
            "2001-04-29T24:00:00Z",
            "2001-04-29T12:60:00Z",
            "2001-04-29T12:00:60Z",
            "+001-04-29T12:00:00Z",
            "2001-04-29T12:00:00+01:00",
            "２001-04-29T12:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Timestamp::from_unix(Timestamp::MAX.0 + 1), None);
        assert_eq!(Timestamp::from_unix(Timestamp::MIN.0 - 1), None);
    }

    proptest! {
        #[test]
        fn round_trip(secs in Timestamp::MIN.0..=Timestamp::MAX.0) {
            let t = Timestamp::from_unix(secs).unwrap();
            let text = t.to_string();
            prop_assert_eq!(Timestamp::parse(&text), Ok(t));
            let (y, mo, d, h, mi, s) = t.to_civil();
            prop_assert_eq!(Timestamp::from_civil(y, mo, d, h, mi, s), Ok(t));
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = Timestamp::parse(&s);
        }
    }
}
