//! Dates that formulas compute in a legacy `.xls`. The spreadsheet reader (calamine) gives a
//! formula's cached result as a bare number, without the cell's number format, so a `version`
//! cell holding `=NOW()` formatted as a date read as `45496.89017395833` where pyxform (and
//! ODK) read `2024-07-23 21:21:51`. This finds, from the workbook's own records, which
//! formula cells have a date format, and writes their values as pyxform does.
//!
//! Records read (BIFF8, [MS-XLS]): BOF (the version), DATEMODE (1900 or 1904 dates), FORMAT
//! (custom number formats), XF (each cell style's number format), BoundSheet (sheet names)
//! and, in each sheet, Formula (position, style and cached result).

use std::collections::{HashMap, HashSet};

/// The formula cells of each sheet whose style formats a date or time: (sheet, row, column).
pub(crate) type DateFormulas = HashSet<(String, u32, u32)>;

/// What the workbook globals say about formats.
#[derive(Default)]
pub(crate) struct Formats {
    biff8: bool,
    /// Each XF record's number format, in order (a cell names its XF by index).
    xf: Vec<u16>,
    /// Custom number formats by their number.
    custom: HashMap<u16, String>,
}

impl Formats {
    /// Reads one record of the globals (type, data).
    pub(crate) fn read(&mut self, typ: u16, data: &[u8]) {
        let u16_at = |i: usize| data.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        match typ {
            // BOF: BIFF8 is version 0x0600.
            0x0809 => self.biff8 = u16_at(0) == Some(0x0600),
            0x00E0 => {
                if let Some(f) = u16_at(2) {
                    self.xf.push(f);
                }
            }
            0x041E if self.biff8 => {
                if let (Some(n), Some(text)) = (u16_at(0), unicode_string(data.get(2..).unwrap_or(&[]))) {
                    self.custom.insert(n, text);
                }
            }
            _ => {}
        }
    }

    /// Whether the cell style `xf` formats a date or a time.
    pub(crate) fn is_date(&self, xf: u16) -> bool {
        if !self.biff8 {
            return false;
        }
        let Some(&f) = self.xf.get(xf as usize) else { return false };
        match self.custom.get(&f) {
            Some(code) => is_date_code(code),
            None => matches!(f, 14..=22 | 27..=36 | 45..=47 | 50..=58),
        }
    }
}

/// A BoundSheet record's sheet name (BIFF8: a one-byte length, a flags byte, then the text).
pub(crate) fn sheet_name(data: &[u8]) -> Option<String> {
    let n = *data.get(6)? as usize;
    let high = data.get(7)? & 1 == 1;
    let text = data.get(8..)?;
    Some(if high {
        let units: Vec<u16> = text.chunks_exact(2).take(n).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        text.iter().take(n).map(|b| char::from(*b)).collect()
    })
}

/// An XLUnicodeString: a two-byte length, a flags byte, then the text.
fn unicode_string(data: &[u8]) -> Option<String> {
    let n = u16::from_le_bytes([*data.first()?, *data.get(1)?]) as usize;
    let high = data.get(2)? & 1 == 1;
    let text = data.get(3..)?;
    Some(if high {
        let units: Vec<u16> = text.chunks_exact(2).take(n).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        text.iter().take(n).map(|b| char::from(*b)).collect()
    })
}

/// Whether a number format code shows a date or time: a `y`, `m`, `d`, `h` or `s` outside
/// quoted text, escapes and bracketed colours or locales (`[h]` and `[mm]` durations count).
fn is_date_code(code: &str) -> bool {
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            '[' => {
                let inner: String = chars.by_ref().take_while(|c| *c != ']').collect();
                if !inner.is_empty() && inner.chars().all(|c| matches!(c.to_ascii_lowercase(), 'h' | 'm' | 's')) {
                    return true;
                }
            }
            c if matches!(c.to_ascii_lowercase(), 'y' | 'm' | 'd' | 'h' | 's') => return true,
            _ => {}
        }
    }
    false
}

/// Whether a Formula record's cached result is a number (not text, a boolean, an error or
/// empty, which mark their last two bytes 0xFFFF).
pub(crate) fn numeric_result(data: &[u8]) -> bool {
    data.len() >= 20 && data[12..14] != [0xFF, 0xFF]
}

/// A date serial as pyxform writes a date cell (Python's `str(datetime)`): `2024-07-23
/// 21:21:51`, or `21:21:51` for a time alone. `None` for a serial no calendar holds.
pub(crate) fn pyxform_text(serial: f64, date1904: bool) -> Option<String> {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return None;
    }
    let serial = if date1904 { serial + 1462.0 } else { serial };
    let days = serial.floor();
    let secs = ((serial - days) * 86_400.0).round() as i64;
    let (days, secs) = if secs >= 86_400 { (days as i64 + 1, secs - 86_400) } else { (days as i64, secs) };
    let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if days == 0 {
        return Some(time);
    }
    // Excel's serial days count from 1899-12-30; 25569 is 1970-01-01.
    Some(format!("{} {time}", crate::forms::expr::format_iso_date(days - 25_569)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_are_told_from_number_formats() {
        for code in ["yyyy-mm-dd", "d/m/yy h:mm", "[h]:mm:ss", "[$-409]mmmm d, yyyy", "dd\\-mmm"] {
            assert!(is_date_code(code), "{code}");
        }
        for code in ["General", "0.00", "#,##0", "\"days\" 0", "[Red]0.0", "0_);(0)"] {
            assert!(!is_date_code(code), "{code}");
        }
    }

    #[test]
    fn serials_read_as_pyxform_writes_them() {
        assert_eq!(pyxform_text(45496.89017395833, false).as_deref(), Some("2024-07-23 21:21:51"));
        assert_eq!(pyxform_text(45496.0, false).as_deref(), Some("2024-07-23 00:00:00"));
        assert_eq!(pyxform_text(0.5, false).as_deref(), Some("12:00:00"));
        assert_eq!(pyxform_text(f64::NAN, false), None);
    }
}
