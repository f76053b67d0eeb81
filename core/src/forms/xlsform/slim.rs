//! Drops the value-less cells of an `.xlsx` workbook's sheets before the spreadsheet reader
//! parses them.
//!
//! A sheet formatted down to row 1,000,000 or across to column AMG stores every formatted
//! cell as `<c r="B7" s="3"/>`, with no value. One real form (873 KB) holds 334,113 such cells
//! around its 3,774 written ones: 4.7 MB of XML whose parsing was nearly all of its import
//! time. Such a cell reads as empty, and the reader already leaves empty cells out of a
//! sheet's range, so removing them changes nothing the import sees; a test compares both
//! readings on every form we have.
//!
//! Anything this does not recognise (not a ZIP, a `CDATA` section, a prefixed `<x:c>` element)
//! is left as it was, and the reader reads the original. No recursion: one forward scan per
//! sheet.

use std::io::{Cursor, Read, Write};

/// A sheet's XML is never unpacked past this (a real form's largest is 4.7 MB); past it the
/// workbook is read as it is, by the reader's own limits.
const MAX_SHEET_XML: u64 = 64 * 1024 * 1024;

/// The workbook with its sheets' value-less cells removed, stored uncompressed; `None` when
/// the bytes are not an `.xlsx` this can slim (the caller reads the original then). An error
/// when a sheet's values span more than [`super::cfb::MAX_SHEET_SPAN`] positions: the reader
/// keeps each sheet as one dense grid from its first value to its last, so one value at
/// XFD1048576 would ask for hundreds of gigabytes.
pub(crate) fn without_empty_cells(bytes: &[u8]) -> Result<Option<Vec<u8>>, String> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Ok(None);
    }
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(None) };
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    let mut slimmed_any = false;
    for i in 0..zip.len() {
        let Ok(name) = zip.by_index_raw(i).map(|f| f.name().to_string()) else { return Ok(None) };
        let is_sheet = name.starts_with("xl/worksheets/") && name.ends_with(".xml") && !name[14..].contains('/');
        if !is_sheet {
            let copied = zip.by_index_raw(i).map_err(|_| ()).and_then(|f| out.raw_copy_file(f).map_err(|_| ()));
            if copied.is_err() {
                return Ok(None);
            }
            continue;
        }
        let Ok(mut file) = zip.by_index(i) else { return Ok(None) };
        if file.size() > MAX_SHEET_XML {
            return Ok(None);
        }
        let mut xml = Vec::with_capacity(file.size() as usize);
        if (&mut file).take(MAX_SHEET_XML + 1).read_to_end(&mut xml).is_err() || xml.len() as u64 > MAX_SHEET_XML {
            return Ok(None);
        }
        drop(file);
        let span = span_of(&xml);
        if span.positions() > super::cfb::MAX_SHEET_SPAN {
            return Err(format!(
                "a sheet's values span {} rows and {} columns, far more than a form has; delete the values far from the rest \
                 (the last is at row {}, column {})",
                span.rows(),
                span.cols(),
                u64::from(span.max.0) + 1,
                super::sheet::column_letter(span.max.1)
            ));
        }
        let slim = match strip_empty_cells(&xml) {
            Some(s) => {
                slimmed_any = true;
                s
            }
            None => xml,
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(slim.len() as u64 >= u32::MAX as u64);
        if out.start_file(name, options).is_err() || out.write_all(&slim).is_err() {
            return Ok(None);
        }
    }
    if !slimmed_any {
        return Ok(None);
    }
    Ok(out.finish().ok().map(Cursor::into_inner))
}

/// Where a sheet's values lie: the smallest grid holding every cell that has content, its
/// positions read as the reader reads them (`<row r="…">` and `<c r="…">`, or one past the
/// previous row or cell where they are left out). A reference too large to be real counts as
/// the largest position.
fn span_of(xml: &[u8]) -> super::cfb::Span {
    let mut span = super::cfb::Span::default();
    let (mut row, mut col): (Option<u32>, Option<u32>) = (None, None);
    let finder = memchr::memmem::Finder::new(b"<");
    let mut at = 0;
    while let Some(found) = finder.find(&xml[at..]) {
        let start = at + found;
        at = start + 1;
        let is = |tag: &[u8]| {
            xml[start + 1..].starts_with(tag) && matches!(xml.get(start + 1 + tag.len()), Some(b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
        };
        let (is_row, is_cell) = (is(b"row"), is(b"c"));
        if !is_row && !is_cell {
            continue;
        }
        let Some(close) = tag_end(xml, start + 1) else { break };
        let tag = &xml[start..close];
        at = close + 1;
        if is_row {
            row = Some(match attr(tag, b"r").and_then(|r| number(r)) {
                Some(n) => n.saturating_sub(1),
                None => row.map_or(0, |r| r.saturating_add(1)),
            });
            col = None;
            continue;
        }
        let (r, c) = match attr(tag, b"r").map(cell_ref) {
            Some((r, c)) => (r, c),
            None => (row.unwrap_or(0), col.map_or(0, |c| c.saturating_add(1))),
        };
        col = Some(c);
        let empty = xml[close - 1] == b'/' || xml[close + 1..].starts_with(b"</c>");
        if !empty {
            span.add(r, c);
        }
    }
    span
}

/// The value of attribute `name` in a tag's bytes (quoted either way), if present.
fn attr<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut i = 0;
    while i + name.len() + 2 <= tag.len() {
        let here = &tag[i..];
        if here.starts_with(name)
            && i > 0
            && tag[i - 1].is_ascii_whitespace()
            && matches!(here.get(name.len()), Some(b'='))
            && matches!(here.get(name.len() + 1), Some(b'"' | b'\''))
        {
            let q = here[name.len() + 1];
            let value = &here[name.len() + 2..];
            let end = value.iter().position(|b| *b == q)?;
            return Some(&value[..end]);
        }
        i += 1;
    }
    None
}

fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u32, |n, d| n.saturating_mul(10).saturating_add(u32::from(d - b'0'))))
}

/// A cell reference (`AB12`) as 0-based (row, column), saturating.
fn cell_ref(r: &[u8]) -> (u32, u32) {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let col = r[..letters]
        .iter()
        .fold(0u32, |n, b| n.saturating_mul(26).saturating_add(u32::from(b.to_ascii_uppercase() - b'A') + 1))
        .saturating_sub(1);
    let row = number(&r[letters..]).map_or(u32::MAX, |n| n.saturating_sub(1));
    (row, col)
}

/// A sheet's XML without its `<c …/>` and `<c …></c>` elements; `None` when nothing was
/// removed or the XML has a `CDATA` section (where `<c` need not be a tag).
fn strip_empty_cells(xml: &[u8]) -> Option<Vec<u8>> {
    if memchr::memmem::find(xml, b"<![CDATA[").is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(xml.len() / 4);
    let mut kept_from = 0;
    let mut at = 0;
    let finder = memchr::memmem::Finder::new(b"<c");
    while let Some(found) = finder.find(&xml[at..]) {
        let start = at + found;
        at = start + 2;
        // `<c` followed by a space, `/` or `>` is a cell; `<col`, `<cfRule` are not.
        if !matches!(xml.get(at), Some(b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>')) {
            continue;
        }
        let Some(close) = tag_end(xml, at) else { break };
        let end = if xml[close - 1] == b'/' {
            close + 1
        } else if xml[close + 1..].starts_with(b"</c>") {
            close + 5
        } else {
            at = close + 1;
            continue;
        };
        out.extend_from_slice(&xml[kept_from..start]);
        kept_from = end;
        at = end;
    }
    if kept_from == 0 {
        return None;
    }
    out.extend_from_slice(&xml[kept_from..]);
    Some(out)
}

/// The index of the `>` closing the tag whose attributes start at `from`, outside quotes.
fn tag_end(xml: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in xml.iter().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return Some(i),
            (None, b'<') => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> String {
        String::from_utf8(strip_empty_cells(s.as_bytes()).unwrap_or_else(|| s.as_bytes().to_vec())).unwrap()
    }

    #[test]
    fn value_less_cells_go_and_everything_else_stays() {
        let xml = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="3"/><c r="C1" s="2"></c><c r="D1"><f>1+1</f></c></row>"#;
        assert_eq!(strip(xml), r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="D1"><f>1+1</f></c></row>"#);
        // Other elements starting with `<c` are not cells.
        let cols = r#"<cols><col min="1" max="3"/></cols><conditionalFormatting><cfRule type="x"/></conditionalFormatting>"#;
        assert_eq!(strip(cols), cols);
        // A quoted `>` or `/>` inside an attribute does not end the tag.
        assert_eq!(strip(r#"<c r="A1" x="a/>b"><v>1</v></c><c r="B1" x='>'/>"#), r#"<c r="A1" x="a/>b"><v>1</v></c>"#);
    }

    #[test]
    fn cdata_and_broken_tags_are_left_alone() {
        let cdata = r#"<c r="A1"/><x><![CDATA[<c r="B1"/>]]></x>"#;
        assert!(strip_empty_cells(cdata.as_bytes()).is_none());
        // An unclosed tag stops the scan; what was before it is still slimmed, the rest kept.
        assert_eq!(strip(r#"<c r="A1"/><c r="B1" s="1"#), r#"<c r="B1" s="1"#);
        assert!(without_empty_cells(b"not a zip").unwrap().is_none());
    }

    /// Every workbook we have reads the same slimmed and not: the fixtures, and the real
    /// forms when their folder is beside the repository.
    #[test]
    fn slimming_changes_nothing_the_import_reads() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [root.join("tests/fixtures/forms"), root.join("../../shared/realforms")] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "xlsx")));
        }
        assert!(!files.is_empty(), "no fixture workbooks found");
        let mut slimmed = 0;
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            if without_empty_cells(&bytes).unwrap().is_some() {
                slimmed += 1;
            }
            let plain = crate::forms::xlsform::sheet::read_workbook_as(&bytes, false);
            let slim = crate::forms::xlsform::sheet::read_workbook_as(&bytes, true);
            assert_eq!(plain, slim, "{} reads differently slimmed", path.display());
        }
        println!("{} workbooks compared, {slimmed} of them slimmed", files.len());
    }

    #[test]
    fn a_sheet_spans_its_first_to_last_value_as_the_reader_places_them() {
        let xml = br#"<sheetData><row r="2"><c r="B2" t="s"><v>0</v></c><c s="1"/><c t="s"><v>1</v></c></row>
            <row><c r="A3"><v>5</v></c></row><row r="40"><c r="AB40" s="2"/></row></sheetData>"#;
        let span = span_of(xml);
        // B2, then D2 (one past the empty C2), then A3; the empty AB40 does not count.
        assert_eq!((span.min, span.max, span.rows(), span.cols()), ((1, 0), (2, 3), 2, 4));
        let far = br#"<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"><v>2</v></c></row>"#;
        assert_eq!(span_of(far).positions(), 1_048_576 * 16_384);
        assert_eq!(cell_ref(b"AMG255"), (254, 1020));
        assert!(cell_ref(b"ZZZZZZZZ1").1 >= u32::MAX - 1, "saturates");
    }

    /// A real form with one value typed at XFD1048576 is refused with where that value is,
    /// before the reader tries to make a grid of 17 billion cells.
    #[test]
    fn a_value_far_from_the_rest_is_refused_by_its_place() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms/deep_listening.xlsx");
        let bytes = std::fs::read(path).unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().to_string();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                let text = String::from_utf8(data).unwrap();
                data = text
                    .replace("</sheetData>", r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#)
                    .into_bytes();
            }
            out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(&data).unwrap();
        }
        let far = out.finish().unwrap().into_inner();
        let err = crate::forms::xlsform::sheet::read_workbook(&far).unwrap_err();
        assert!(err.contains("far more than a form has") && err.contains("row 1048576, column XFD"), "{err}");
    }
}
