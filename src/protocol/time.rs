//! Time: the one clock of the library, and [`TransDate`] (`vads_trans_date`, UTC) with
//! civil-date arithmetic in both directions. Nothing here builds a string except
//! `Display`.

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The one clock: the time since the Unix epoch, now (zero if the system clock is set
/// before 1970).
pub(crate) fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    since_epoch().as_secs()
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days after 1970).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(month <= 2), month, day)
}

/// The number of days of `month` (1–12) in `year` (Gregorian calendar); 0 for a month
/// out of range.
const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// `vads_trans_date`: `YYYYMMDDHHMMSS`, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransDate {
    /// Year, e.g. 2026.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

impl TransDate {
    /// The UTC date and time of `seconds` since the Unix epoch.
    ///
    /// ```
    /// assert_eq!(vads::TransDate::from_unix(1_485_694_825).to_string(), "20170129130025");
    /// ```
    #[must_use]
    pub fn from_unix(seconds: u64) -> TransDate {
        let (year, month, day) = civil_from_days(seconds / 86_400);
        let rem = seconds % 86_400;
        let small = |v: u64| u8::try_from(v).unwrap_or(u8::MAX);
        TransDate {
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month: small(month),
            day: small(day),
            hour: small(rem / 3600),
            minute: small(rem % 3600 / 60),
            second: small(rem % 60),
        }
    }

    /// Seconds since the Unix epoch; `None` before 1970.
    ///
    /// ```
    /// let d = vads::TransDate::parse("20170129130025").unwrap();
    /// assert_eq!(d.to_unix(), Some(1_485_694_825));
    /// ```
    #[must_use]
    pub fn to_unix(&self) -> Option<u64> {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        u64::try_from(secs).ok()
    }

    /// The current UTC date and time.
    #[must_use]
    pub fn now() -> TransDate {
        TransDate::from_unix(unix_now())
    }

    /// Parses `YYYYMMDDHHMMSS` (14 digits, a real calendar date: month lengths and leap
    /// years are checked; hours 0–23, minutes and seconds 0–59).
    ///
    /// ```
    /// let d = vads::TransDate::parse("20170129130025").unwrap();
    /// assert_eq!((d.year, d.month, d.day, d.hour), (2017, 1, 29, 13));
    /// assert!(vads::TransDate::parse("20171329130025").is_none());
    /// assert!(vads::TransDate::parse("20250229120000").is_none()); // 2025 is not a leap year
    /// assert!(vads::TransDate::parse("20240229120000").is_some());
    /// ```
    #[must_use]
    pub fn parse(s: &str) -> Option<TransDate> {
        let b = s.as_bytes();
        if b.len() != 14 {
            return None;
        }
        TransDate::from_digits(b, [0, 4, 6, 8, 10, 12])
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` (UTC), the form of times in a configuration.
    ///
    /// ```
    /// let d = vads::TransDate::parse_rfc3339_utc("2017-01-29T13:00:25Z").unwrap();
    /// assert_eq!(d.to_string(), "20170129130025");
    /// assert!(vads::TransDate::parse_rfc3339_utc("2017-01-29 13:00:25").is_none());
    /// ```
    #[must_use]
    pub fn parse_rfc3339_utc(s: &str) -> Option<TransDate> {
        let b = s.as_bytes();
        let separators = [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'Z'),
        ];
        if b.len() != 20 || separators.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
            return None;
        }
        TransDate::from_digits(b, [0, 5, 8, 11, 14, 17])
    }

    /// Parses an ISO 8601 time as the REST API writes them — `YYYY-MM-DDTHH:MM:SS`, an
    /// optional fraction of a second (dropped), then `Z` or an offset `±HH:MM` — as UTC.
    ///
    /// ```
    /// use vads::TransDate;
    /// let utc = |s| TransDate::parse_iso8601(s).map(|d| d.to_string());
    /// assert_eq!(utc("2018-10-02T16:13:57+00:00").as_deref(), Some("20181002161357"));
    /// assert_eq!(utc("2018-10-02T16:13:57.123Z").as_deref(), Some("20181002161357"));
    /// assert_eq!(utc("2018-10-02T01:00:00+02:00").as_deref(), Some("20181001230000"));
    /// assert_eq!(utc("2018-10-02T16:13:57"), None);
    /// ```
    #[must_use]
    pub fn parse_iso8601(s: &str) -> Option<TransDate> {
        let head = s.get(..19)?;
        let local = TransDate::parse_rfc3339_utc(&format!("{head}Z"))?;
        let mut rest = s.get(19..)?;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = fraction.get(digits..)?;
        }
        let offset: i64 = match rest.as_bytes() {
            b"Z" => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let num = |a: u8, b: u8| -> Option<i64> {
                    (a.is_ascii_digit() && b.is_ascii_digit())
                        .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
                };
                let (h, m) = (num(*h1, *h2)?, num(*m1, *m2)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let seconds = h * 3600 + m * 60;
                if *sign == b'+' {
                    seconds
                } else {
                    -seconds
                }
            }
            _ => return None,
        };
        let unix = i64::try_from(local.to_unix()?).ok()? - offset;
        Some(TransDate::from_unix(u64::try_from(unix).ok()?))
    }

    /// The date whose year starts at `at[0]` (4 digits) and whose other parts start at
    /// `at[1..]` (2 digits each) in `b`.
    fn from_digits(b: &[u8], at: [usize; 6]) -> Option<TransDate> {
        let num = |from: usize, len: usize| -> Option<u16> {
            let digits = b.get(from..from + len)?;
            digits.iter().try_fold(0u16, |acc, &d| {
                d.is_ascii_digit().then(|| acc * 10 + u16::from(d - b'0'))
            })
        };
        let two = |i: usize| -> Option<u8> {
            let from = *at.get(i)?;
            num(from, 2).and_then(|v| u8::try_from(v).ok())
        };
        let d = TransDate {
            year: num(at[0], 4)?,
            month: two(1)?,
            day: two(2)?,
            hour: two(3)?,
            minute: two(4)?,
            second: two(5)?,
        };
        let ok = (1..=12).contains(&d.month)
            && (1..=days_in_month(d.year, d.month)).contains(&d.day)
            && d.hour < 24
            && d.minute < 60
            && d.second < 60;
        ok.then_some(d)
    }
}

impl fmt::Display for TransDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (UTC) into Unix seconds; `None` before 1970.
pub(crate) fn parse_utc(text: &str) -> Option<u64> {
    TransDate::parse_rfc3339_utc(text)?.to_unix()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for secs in [
            0u64,
            951_782_400,
            1_485_694_825,
            4_102_444_799,
            253_402_300_799,
        ] {
            let d = TransDate::from_unix(secs);
            assert_eq!(d.to_unix(), Some(secs), "{d}");
            assert_eq!(TransDate::parse(&d.to_string()), Some(d));
        }
        assert_eq!(parse_utc("1969-12-31T23:59:59Z"), None);
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
    }
}
