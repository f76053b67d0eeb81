//! Reads the sheets of a workbook into rows of text with parsed headers (`label::Hindi (hi)`
//! → base `label`, language `Hindi (hi)`), keeping spreadsheet row numbers and column letters
//! for problem reports.

use std::io::Cursor;

use calamine::{Data, Reader};

/// A column header: the canonical base name, the language if any, and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header {
    /// As written in the sheet.
    pub raw: String,
    /// Canonical column name (`label`, `constraint_message`, …) after aliases.
    pub base: String,
    pub lang: Option<String>,
    /// Column letter (A, B, …, AA).
    pub letter: String,
}

/// One sheet: headers and non-empty rows (1-based spreadsheet row numbers).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sheet {
    pub name: String,
    pub headers: Vec<Header>,
    pub rows: Vec<(u32, Vec<String>)>,
}

impl Sheet {
    /// The cell of `row` under the header with `base` and no language.
    pub fn get<'a>(&self, row: &'a [String], base: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .position(|h| h.base == base && h.lang.is_none())
            .and_then(|i| row.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// The column letter of the header with `base` (first one, any language).
    pub fn letter(&self, base: &str) -> Option<String> {
        self.headers.iter().find(|h| h.base == base).map(|h| h.letter.clone())
    }
}

/// Column letters: 0 → A, 25 → Z, 26 → AA.
pub(crate) fn column_letter(mut i: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The text of a cell, as a form author sees it (whole numbers without `.0`).
fn cell_text(d: &Data) -> Result<String, String> {
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE".into() } else { "FALSE".into() },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        // Excel's serial days count from 1899-12-30; 25569 is 1970-01-01.
        Data::DateTime(dt) if dt.as_f64().is_finite() && dt.as_f64().abs() < 3_000_000.0 => {
            let serial = dt.as_f64();
            let date = crate::forms::expr::format_iso_date(serial.floor() as i64 - 25_569);
            let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
            if secs == 0 {
                date
            } else {
                format!("{date}T{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
            }
        }
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::Error(e) => return Err(format!("the cell holds a spreadsheet error ({e})")),
    })
}

/// Canonical survey/choices column names for the aliases pyxform accepts.
fn canonical(base: &str) -> String {
    let lower = base.trim().to_lowercase();
    let s = match lower.as_str() {
        "jr:constraintmsg" | "constraining_message" | "constraint message" => "constraint_message",
        "jr:requiredmsg" | "requiredmsg" | "required message" => "required_message",
        "relevance" => "relevant",
        "readonly" | "read-only" | "read only" => "read_only",
        "calculate" => "calculation",
        "count" | "jr:count" => "repeat_count",
        "caption" => "label",
        "value" | "tag" => "name",
        "command" => "type",
        "list name" => "list_name",
        "choice filter" => "choice_filter",
        "media::image" | "big-image" | "media::big-image" => "image",
        "media::audio" => "audio",
        "media::video" => "video",
        other => other,
    };
    s.to_string()
}

const SINGLE_COLON: [&str; 8] = ["label", "hint", "constraint_message", "required_message", "image", "audio", "video", "guidance_hint"];

/// Splits `label::Hindi (hi)` into (`label`, `Hindi (hi)`). `media::image::Hindi (hi)` keeps
/// `media::image` as the base.
pub(crate) fn parse_header(raw: &str, letter: String) -> Header {
    let raw = raw.trim();
    // pyxform reads `bind:relevant`, `bind::jr:constraintMsg` as the plain columns.
    let lower = raw.to_lowercase();
    let t = if lower.starts_with("bind::") {
        &raw[6..]
    } else if lower.starts_with("bind:") {
        &raw[5..]
    } else {
        raw
    };
    let (base, lang) = if let Some(rest) = t.strip_prefix("media::") {
        match rest.split_once("::") {
            Some((m, l)) => (format!("media::{}", m.trim()), Some(l.trim().to_string())),
            None => (t.to_string(), None),
        }
    } else {
        match t.split_once("::") {
            Some((b, l)) => (b.trim().to_string(), Some(l.trim().to_string())),
            // The older single-colon spelling, `label:English (en)`.
            None => match t.split_once(':') {
                Some((b, l)) if SINGLE_COLON.contains(&b.trim().to_lowercase().as_str()) => {
                    (b.trim().to_string(), Some(l.trim().to_string()))
                }
                _ => (t.to_string(), None),
            },
        }
    };
    let lang = lang.filter(|l| !l.is_empty());
    Header { raw: raw.to_string(), base: canonical(&base), lang, letter }
}

/// A cell holding a spreadsheet error: sheet, row, column letter, message.
pub(crate) type BadCell = (String, u32, String, String);

/// Opens a workbook from bytes (xlsx, and also xls/ods which calamine reads) and returns its
/// sheets. Cells holding spreadsheet errors are reported as (sheet, row, letter, message).
pub(crate) fn read_workbook(bytes: &[u8]) -> Result<(Vec<Sheet>, Vec<BadCell>), String> {
    read_workbook_as(bytes, true)
}

/// [`read_workbook`], slimming the workbook first or not (the tests compare both).
pub(crate) fn read_workbook_as(bytes: &[u8], slim: bool) -> Result<(Vec<Sheet>, Vec<BadCell>), String> {
    // Legacy .xls: bounded before calamine trusts its sector numbers and declared sheet sizes;
    // .xlsx: without its value-less formatted cells, when it has any (see cfb.rs, slim.rs).
    let xls = if super::cfb::is_compound(bytes) { Some(super::cfb::check(bytes)?) } else { None };
    let (patched, date_formulas, date1904) = match xls {
        Some(c) => (c.patched, c.date_formulas, c.date1904),
        None if slim => (super::slim::without_empty_cells(bytes)?, Default::default(), false),
        None => (None, Default::default(), false),
    };
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(patched.as_deref().unwrap_or(bytes)))
        .map_err(|e| format!("the file is not a readable spreadsheet ({e})"))?;
    let mut sheets = Vec::new();
    let mut bad_cells = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(|e| format!("the sheet '{name}' could not be read ({e})"))?;
        let Some((r0, c0)) = range.start() else {
            sheets.push(Sheet { name, headers: Vec::new(), rows: Vec::new() });
            continue;
        };
        let mut headers = Vec::new();
        let mut rows = Vec::new();
        let mut header_seen = false;
        for (ri, row) in range.rows().enumerate() {
            let row_no = r0.saturating_add(ri as u32).saturating_add(1);
            let mut cells = Vec::with_capacity(row.len());
            for (ci, d) in row.iter().enumerate() {
                // A formula's date result comes as a bare number (see xls_dates.rs).
                if let (Data::Float(serial), false) = (d, date_formulas.is_empty()) {
                    let at = (name.clone(), r0.saturating_add(ri as u32), c0 + ci as u32);
                    if date_formulas.contains(&at) {
                        if let Some(t) = super::xls_dates::pyxform_text(*serial, date1904) {
                            cells.push(t);
                            continue;
                        }
                    }
                }
                match cell_text(d) {
                    Ok(t) => cells.push(t),
                    Err(m) => {
                        bad_cells.push((name.clone(), row_no, column_letter(c0 + ci as u32), m));
                        cells.push(String::new());
                    }
                }
            }
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if !header_seen {
                header_seen = true;
                headers = cells
                    .iter()
                    .enumerate()
                    .map(|(ci, raw)| parse_header(raw, column_letter(c0 + ci as u32)))
                    .collect();
                continue;
            }
            rows.push((row_no, cells));
        }
        sheets.push(Sheet { name, headers, rows });
    }
    Ok((sheets, bad_cells))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_count_like_spreadsheets() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn headers_split_language_and_resolve_aliases() {
        let h = parse_header("label::Hindi (hi)", "C".into());
        assert_eq!((h.base.as_str(), h.lang.as_deref()), ("label", Some("Hindi (hi)")));
        let h = parse_header("jr:constraintMsg::English (en)", "D".into());
        assert_eq!((h.base.as_str(), h.lang.as_deref()), ("constraint_message", Some("English (en)")));
        let h = parse_header("media::image::English", "E".into());
        assert_eq!((h.base.as_str(), h.lang.as_deref()), ("image", Some("English")));
        assert_eq!(parse_header("Relevance", "F".into()).base, "relevant");
    }

    #[test]
    fn garbage_bytes_are_an_error_not_a_panic() {
        assert!(read_workbook(b"not a spreadsheet").is_err());
        assert!(read_workbook(&[0x50, 0x4b, 3, 4, 0, 0]).is_err());
    }
}

/// What pyxform does to every cell before reading it (its `clean_text_values`, on unless the
/// settings say `clean_text_values: no`): typographic quotes become straight quotes (so
/// `${a} = ’x’` is an expression, and choice names are stored as ODK stores them), and on
/// the survey sheet runs of spaces become one space.
/// With `clean` off only line breaks are made `\n`.
pub(crate) fn clean_text(sheet: &mut Sheet, clean: bool, collapse_spaces: bool) {
    for (_, row) in sheet.rows.iter_mut() {
        for cell in row.iter_mut() {
            if !clean {
                if cell.contains("\r\n") {
                    *cell = cell.replace("\r\n", "\n");
                }
                continue;
            }
            if let Some(clean) = cleaned(cell, collapse_spaces) {
                *cell = clean;
            }
        }
    }
}

fn cleaned(cell: &str, collapse_spaces: bool) -> Option<String> {
    let quotes = cell.contains(['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}']);
    let spaces = collapse_spaces && cell.contains("  ");
    let crlf = cell.contains("\r\n");
    if !quotes && !spaces && !crlf {
        return None;
    }
    let mut out = String::with_capacity(cell.len());
    // Line breaks are read as pyxform's reader gives them: `\n`.
    for c in cell.replace("\r\n", "\n").chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        };
        if collapse_spaces && c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
mod clean_tests {
    use super::cleaned;

    #[test]
    fn typographic_quotes_are_straightened_and_spaces_collapsed() {
        assert_eq!(cleaned("${a}=\u{2019}x\u{2019} and ${b} = \u{201c}y\u{201d}", false).as_deref(), Some("${a}='x' and ${b} = \"y\""));
        assert_eq!(cleaned("(. >= 30)  or  . = 1", true).as_deref(), Some("(. >= 30) or . = 1"));
        assert_eq!(cleaned("(. >= 30)  or", false), None);
        assert_eq!(cleaned("plain", true), None);
        assert_eq!(cleaned("a,\r\nb", true).as_deref(), Some("a,\nb"));
    }
}
