//! Rules every record obeys, checked before anything is written: names, scopes, dates; ids
//! and clock readings; and the normal forms names, places and phone numbers are indexed in.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// Milliseconds since the Unix epoch by the system clock (0 for a clock set before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn check_scope(scope: &str) -> Result<()> {
    if scope.is_empty()
        || scope.len() > 64
        || !scope
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Error::invalid(
            "a scope is 1-64 letters, digits, '-', '_' or '.'",
        ));
    }
    Ok(())
}

/// Checks a field or attribute name: non-empty, no `/` (paths use it), not reserved.
/// Keys a repeat row keeps for itself (its order, removal, enclosing row); no answer has them.
pub(crate) const RESERVED_ROW_KEYS: &[&str] = &["_pos", "_removed", "_parent"];

/// An answer's key: a question's name, or for a name used more than once in its form the
/// question's path (`visit/name`, as the live form keys it): `/`-separated names of 1-128
/// characters each, at most 512 in all. XLSForm names may start with `_` (CHT's `_id`); the
/// keys a repeat row keeps for itself are refused.
pub(crate) fn check_answer_key(key: &str) -> Result<()> {
    let bad = key.is_empty()
        || key.len() > 512
        || key.split('/').any(|s| s.is_empty() || s.len() > 128)
        || RESERVED_ROW_KEYS.contains(&key);
    if bad {
        return Err(Error::invalid(
            "an answer's key is a question name of 1-128 characters, or a path of such names joined by '/' (not _pos, _removed or _parent)",
        ));
    }
    Ok(())
}

pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 128 || name.contains('/') || name.starts_with('_') {
        return Err(Error::invalid(
            "a field name is 1-128 characters, without '/', not starting with '_'",
        ));
    }
    Ok(())
}

/// Normalises a name or place for search: lower case, single spaces, no punctuation.
pub(crate) fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_alphanumeric() || is_combining(c) {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

fn is_combining(c: char) -> bool {
    // Devanagari vowel signs and other marks are part of a word.
    matches!(c as u32, 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963 | 0x0300..=0x036F)
}

/// Normalises a phone number: digits only, without an Indian country code or trunk zero.
pub(crate) fn normalise_phone(s: &str) -> String {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let d = digits.as_str();
    let d = if d.len() == 12 && d.starts_with("91") { &d[2..] } else { d };
    let d = if d.len() == 11 && d.starts_with('0') { &d[1..] } else { d };
    d.to_string()
}

/// Normalises the start of a phone number typed into a search box: a `+91` country code or
/// leading zeros are dropped, as [`normalise_phone`] drops them from stored numbers.
pub(crate) fn normalise_phone_prefix(s: &str) -> String {
    let t = s.trim_start();
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    if t.starts_with('+') && digits.starts_with("91") {
        digits[2..].to_string()
    } else {
        digits.trim_start_matches('0').to_string()
    }
}

/// Checks a calendar date written as `YYYY-MM-DD`.
pub(crate) fn check_date(s: &str) -> crate::Result<()> {
    let ok = s.len() == 10
        && s.as_bytes()[4] == b'-'
        && s.as_bytes()[7] == b'-'
        && s[..4].parse::<u32>().is_ok()
        && s[5..7].parse::<u32>().map(|m| (1..=12).contains(&m)).unwrap_or(false)
        && s[8..].parse::<u32>().map(|d| (1..=31).contains(&d)).unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(crate::Error::invalid("dates are written YYYY-MM-DD"))
    }
}

/// Unix milliseconds as UTC calendar parts: (year, month, day, hour, minute, second, ms).
pub(crate) fn civil_from_ms(ms: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000) as u32;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
        milli,
    )
}

/// Unix milliseconds as ISO 8601 UTC, e.g. `2026-11-29T10:30:00.000Z`.
pub fn iso_utc(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = civil_from_ms(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_folds_case_and_punctuation() {
        assert_eq!(normalise("  Sunita   DEVI. "), "sunita devi");
        assert_eq!(normalise("सुनीता देवी"), "सुनीता देवी");
    }

    #[test]
    fn phones_lose_country_code_and_trunk_zero() {
        assert_eq!(normalise_phone("+91 98765-43210"), "9876543210");
        assert_eq!(normalise_phone("098765 43210"), "9876543210");
    }

    #[test]
    fn dates_are_checked() {
        assert!(check_date("2026-11-29").is_ok());
        assert!(check_date("2026-13-01").is_err());
        assert!(check_date("29/11/2026").is_err());
    }
}
