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
/// the bytes are not an `.xlsx` this can slim (the caller reads the original then).
pub(crate) fn without_empty_cells(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    let mut slimmed_any = false;
    for i in 0..zip.len() {
        let name = zip.by_index_raw(i).ok()?.name().to_string();
        let is_sheet = name.starts_with("xl/worksheets/") && name.ends_with(".xml") && !name[14..].contains('/');
        if !is_sheet {
            out.raw_copy_file(zip.by_index_raw(i).ok()?).ok()?;
            continue;
        }
        let mut file = zip.by_index(i).ok()?;
        if file.size() > MAX_SHEET_XML {
            return None;
        }
        let mut xml = Vec::with_capacity(file.size() as usize);
        (&mut file).take(MAX_SHEET_XML + 1).read_to_end(&mut xml).ok()?;
        if xml.len() as u64 > MAX_SHEET_XML {
            return None;
        }
        drop(file);
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
        out.start_file(name, options).ok()?;
        out.write_all(&slim).ok()?;
    }
    if !slimmed_any {
        return None;
    }
    Some(out.finish().ok()?.into_inner())
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
        assert!(without_empty_cells(b"not a zip").is_none());
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
            if without_empty_cells(&bytes).is_some() {
                slimmed += 1;
            }
            let plain = crate::forms::xlsform::sheet::read_workbook_as(&bytes, false);
            let slim = crate::forms::xlsform::sheet::read_workbook_as(&bytes, true);
            assert_eq!(plain, slim, "{} reads differently slimmed", path.display());
        }
        println!("{} workbooks compared, {slimmed} of them slimmed", files.len());
    }
}
