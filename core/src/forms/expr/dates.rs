//! Calendar arithmetic for `today()`, `date()` and `format-date()`, without a date library:
//! days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithms),
//! and the device's UTC offset passed in explicitly (India is +05:30) so results do not
//! depend on the machine's time zone setting.

/// Dates further than this from 1970 (about ±8,000 years) are refused instead of computed.
pub(crate) const MAX_DAYS: i64 = 3_000_000;
const DAY_MS: i64 = 86_400_000;

/// The moment `today()` and `now()` see, and the local offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Unix time in milliseconds.
    pub now_ms: i64,
    /// Local time minus UTC, in minutes (330 for India).
    pub utc_offset_min: i32,
}

impl Clock {
    /// The system clock, in UTC (pass the device's offset with [`Clock::with_offset`]).
    pub fn system() -> Clock {
        Clock { now_ms: crate::now_ms(), utc_offset_min: 0 }
    }

    /// A fixed moment, for tests and for re-checking a response as of its submission.
    pub fn fixed(now_ms: i64, utc_offset_min: i32) -> Clock {
        Clock { now_ms, utc_offset_min }
    }

    pub fn with_offset(self, utc_offset_min: i32) -> Clock {
        Clock { utc_offset_min: utc_offset_min.clamp(-18 * 60, 18 * 60), ..self }
    }

    /// Today's date in local time, as days since 1970-01-01.
    pub fn today(&self) -> i64 {
        (self.now_ms + i64::from(self.utc_offset_min) * 60_000).div_euclid(DAY_MS)
    }
}

/// Days since 1970-01-01 of a civil date (month 1-12, day 1-31).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count. Callers keep `z` within ±[`MAX_DAYS`].
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z.clamp(-MAX_DAYS, MAX_DAYS) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYY-MM-DD` (a real calendar date) into days since 1970-01-01.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let mut parts = s.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d) = (i64::from(digits(y)?), digits(m)?, digits(d)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]` into (Unix ms, offset minutes). Without an
/// offset the time is taken as local, at `local_offset`.
pub(crate) fn parse_datetime(s: &str, local_offset: i32) -> Option<(i64, i32)> {
    let s = s.trim();
    let (date, rest) = s.split_once('T')?;
    let days = parse_date(date)?;
    let (time, offset) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (t, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':').unwrap_or((&off[1..], "00"));
        let (h, m) = (digits(h)?, digits(m)?);
        if h > 18 || m > 59 {
            return None;
        }
        (t, sign * (h as i32 * 60 + m as i32))
    } else {
        (rest, local_offset)
    };
    let mut parts = time.split(':');
    let h = digits(parts.next()?)?;
    let mi = digits(parts.next()?)?;
    let (sec, ms) = match parts.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, "0"));
            let frac: String = frac.chars().chain("000".chars()).take(3).collect();
            (digits(whole)?, digits(&frac)?)
        }
    };
    if parts.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let local_ms = days * DAY_MS + i64::from(h) * 3_600_000 + i64::from(mi) * 60_000 + i64::from(sec) * 1000 + i64::from(ms);
    Some((local_ms - i64::from(offset) * 60_000, offset))
}

/// `YYYY-MM-DD`.
pub(crate) fn format_iso_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SS.fff±HH:MM`, in the given offset.
pub(crate) fn format_iso_datetime(ms: i64, offset: i32) -> String {
    let local = ms + i64::from(offset) * 60_000;
    let days = local.div_euclid(DAY_MS);
    let in_day = local.rem_euclid(DAY_MS);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}{sign}{:02}:{:02}",
        format_iso_date(days),
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
        off / 60,
        off % 60
    )
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// ODK's `format-date`: `%Y %y %m %n %b %d %e %a %H %h %M %S %3`, in local time `local_ms`.
pub(crate) fn format_date(local_ms: i64, fmt: &str) -> String {
    let days = local_ms.div_euclid(DAY_MS);
    let in_day = local_ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out += &format!("{y:04}"),
            Some('y') => out += &format!("{:02}", y.rem_euclid(100)),
            Some('m') => out += &format!("{m:02}"),
            Some('n') => out += &m.to_string(),
            Some('b') => out += MONTHS[(m as usize + 11) % 12],
            Some('d') => out += &format!("{d:02}"),
            Some('e') => out += &d.to_string(),
            Some('a') => out += WEEKDAYS[(days + 4).rem_euclid(7) as usize],
            Some('H') => out += &format!("{:02}", in_day / 3_600_000),
            Some('h') => out += &(in_day / 3_600_000).to_string(),
            Some('M') => out += &format!("{:02}", in_day / 60_000 % 60),
            Some('S') => out += &format!("{:02}", in_day / 1000 % 60),
            Some('3') => out += &format!("{:03}", in_day % 1000),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for z in [-800_000, -1, 0, 1, 19_000, 20_089, 2_900_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-02-29").map(format_iso_date).as_deref(), Some("2024-02-29"));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-1-01"), None);
    }

    #[test]
    fn datetimes_keep_their_offset() {
        let (ms, off) = parse_datetime("2024-03-01T10:30:00.250+05:30", 0).unwrap();
        assert_eq!(off, 330);
        assert_eq!(format_iso_datetime(ms, off), "2024-03-01T10:30:00.250+05:30");
        assert_eq!(parse_datetime("2024-03-01T10:30Z", 330).map(|p| p.1), Some(0));
        assert!(parse_datetime("2024-03-01T25:00", 0).is_none());
    }

    #[test]
    fn format_date_knows_odk_codes() {
        let ms = parse_date("2024-03-05").unwrap() * DAY_MS + 9 * 3_600_000 + 7 * 60_000;
        assert_eq!(format_date(ms, "%e %b %Y (%a) %H:%M %y/%n/%d %h %S.%3 %%"), "5 Mar 2024 (Tue) 09:07 24/3/05 9 00.000 %%");
    }

    #[test]
    fn today_uses_the_local_offset() {
        // 2024-01-01T20:00Z is already 2 January in India.
        let ms = parse_datetime("2024-01-01T20:00:00Z", 0).unwrap().0;
        assert_eq!(format_iso_date(Clock::fixed(ms, 0).today()), "2024-01-01");
        assert_eq!(format_iso_date(Clock::fixed(ms, 330).today()), "2024-01-02");
    }
}
