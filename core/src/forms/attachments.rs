//! A form's attachments: the CSV, XML and GeoJSON files that `select_one_from_file`,
//! `instance('x')/root/item[…]` lookups and `pulldata('x', …)` read, as ODK Collect reads
//! them. Each file becomes [`InstanceItems`]: one map of field → text per row, `<item>` or
//! feature. The app hands the bytes to [`crate::forms::LiveForm::set_attachment`]; keeping
//! the files with the form version and shipping them to phones is the store's part.
//!
//! - CSV: the first row names the fields (a BOM is dropped); quoted cells as RFC 4180.
//! - XML: `<root><item><name>a</name><label>A</label>…</item>…</root>`, ODK's layout; each
//!   child element of an item is a field, attributes are not read.
//! - GeoJSON: a FeatureCollection; each feature gives its `properties` (as text), `id`
//!   (the feature's id, or `properties.id`) and `geometry` in ODK's notation
//!   (`lat lon 0 0`, points of lines and polygons separated by `;`).
//!
//! Nothing here recurses on the input: the XML reader keeps an explicit element stack and
//! refuses depth beyond [`MAX_XML_DEPTH`]; serde_json bounds GeoJSON nesting.

use std::collections::BTreeMap;

use crate::forms::expr::InstanceItems;

/// Largest attachment read.
pub const MAX_ATTACHMENT_BYTES: usize = 64 * 1024 * 1024;
/// Most items in one attachment.
pub const MAX_ITEMS: usize = 1_000_000;
/// Deepest XML element nesting read.
pub const MAX_XML_DEPTH: usize = 16;

/// What kind of file an attachment is, by its name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Csv,
    Xml,
    GeoJson,
}

impl AttachmentKind {
    /// The kind of `file_name` (`features.csv`), or `None` for other files.
    pub fn of(file_name: &str) -> Option<AttachmentKind> {
        let lower = file_name.to_lowercase();
        if lower.ends_with(".csv") {
            Some(AttachmentKind::Csv)
        } else if lower.ends_with(".xml") {
            Some(AttachmentKind::Xml)
        } else if lower.ends_with(".geojson") {
            Some(AttachmentKind::GeoJson)
        } else {
            None
        }
    }

    /// The fields that give a choice's value and label when the question's `parameters`
    /// name none (pyxform's defaults: `name`/`label`, and `id`/`title` for GeoJSON).
    pub fn choice_fields(&self) -> (&'static str, &'static str) {
        match self {
            AttachmentKind::GeoJson => ("id", "title"),
            _ => ("name", "label"),
        }
    }
}

/// The instance name a file is read under: its name without the extension
/// (`features.csv` → `features`), as in `instance('features')`.
pub fn instance_name(file_name: &str) -> &str {
    match file_name.rfind('.') {
        Some(i) if i > 0 => &file_name[..i],
        _ => file_name,
    }
}

/// Reads attachment `file_name` from its bytes.
pub fn parse(file_name: &str, bytes: &[u8]) -> Result<InstanceItems, String> {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(format!("{file_name} is larger than {} MB", MAX_ATTACHMENT_BYTES / (1024 * 1024)));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{file_name} is not UTF-8 text (at byte {})", e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let kind = AttachmentKind::of(file_name).ok_or_else(|| format!("{file_name}: an attachment is a .csv, .xml or .geojson file"))?;
    let r = match kind {
        AttachmentKind::Csv => parse_csv(text),
        AttachmentKind::Xml => parse_xml(text),
        AttachmentKind::GeoJson => parse_geojson(text),
    };
    r.map_err(|m| format!("{file_name}: {m}"))
}

/// Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes, line breaks
/// inside quotes; `\n` or `\r\n` ends a record).
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                out.push((start_line, std::mem::take(&mut record)));
                line += 1;
                start_line = line;
                if out.len() > MAX_ITEMS {
                    return Err(format!("more than {MAX_ITEMS} rows"));
                }
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err(format!("a quoted cell begun on line {start_line} is never closed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        out.push((start_line, record));
    }
    Ok(out)
}

fn parse_csv(text: &str) -> Result<InstanceItems, String> {
    let mut records = csv_records(text)?.into_iter();
    let Some((_, header)) = records.next() else { return Ok(InstanceItems::default()) };
    let header: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
    for (i, h) in header.iter().enumerate() {
        if let Some(j) = header[..i].iter().position(|x| x == h && !h.is_empty()) {
            return Err(format!("the column '{h}' appears twice in the header (columns {} and {})", j + 1, i + 1));
        }
    }
    let mut items = Vec::new();
    for (line, rec) in records {
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() > header.len() {
            return Err(format!("line {line} has {} cells, the header {}", rec.len(), header.len()));
        }
        let item: BTreeMap<String, String> =
            header.iter().zip(rec).filter(|(h, _)| !h.is_empty()).map(|(h, v)| (h.clone(), v)).collect();
        items.push(item);
    }
    Ok(InstanceItems { items })
}

/// ODK's notation of a GeoJSON geometry: `lat lon 0 0` per point, `;` between points.
fn odk_geometry(g: &serde_json::Value) -> Result<String, String> {
    let point = |p: &serde_json::Value| -> Result<String, String> {
        let a = p.as_array().ok_or("a coordinate is not a list")?;
        let (Some(lon), Some(lat)) = (a.first().and_then(|v| v.as_f64()), a.get(1).and_then(|v| v.as_f64())) else {
            return Err("a coordinate is not two numbers".into());
        };
        let alt = a.get(2).and_then(|v| v.as_f64()).unwrap_or(0.0);
        Ok(format!("{lat} {lon} {alt} 0"))
    };
    let coords = &g["coordinates"];
    match g["type"].as_str() {
        Some("Point") => point(coords),
        Some("LineString") => {
            let pts = coords.as_array().ok_or("a LineString's coordinates are not a list")?;
            Ok(pts.iter().map(point).collect::<Result<Vec<_>, _>>()?.join(";"))
        }
        Some("Polygon") => {
            // ODK reads the outer ring.
            let ring = coords.as_array().and_then(|r| r.first()).and_then(|r| r.as_array()).ok_or("a Polygon has no ring")?;
            Ok(ring.iter().map(point).collect::<Result<Vec<_>, _>>()?.join(";"))
        }
        Some(other) => Err(format!("the geometry type {other} is not read (Point, LineString and Polygon are)")),
        None => Err("a feature's geometry has no type".into()),
    }
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn parse_geojson(text: &str) -> Result<InstanceItems, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
    if v["type"].as_str() != Some("FeatureCollection") {
        return Err("a GeoJSON attachment is a FeatureCollection".into());
    }
    let features = v["features"].as_array().ok_or("the FeatureCollection has no features list")?;
    if features.len() > MAX_ITEMS {
        return Err(format!("more than {MAX_ITEMS} features"));
    }
    let mut items = Vec::with_capacity(features.len());
    for (k, f) in features.iter().enumerate() {
        let mut item = BTreeMap::new();
        if let Some(props) = f["properties"].as_object() {
            for (key, val) in props {
                item.insert(key.clone(), json_text(val));
            }
        }
        if !f["id"].is_null() {
            item.insert("id".into(), json_text(&f["id"]));
        }
        if f["geometry"].is_object() {
            let g = odk_geometry(&f["geometry"]).map_err(|m| format!("feature {}: {m}", k + 1))?;
            item.insert("geometry".into(), g);
        }
        items.push(item);
    }
    Ok(InstanceItems { items })
}

fn unescape_xml(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').ok_or("an '&' without ';'")?;
        let ent = &after[..end];
        match ent {
            "amp" => out.push('&'),
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            e if e.starts_with("#x") => out.push(u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32).ok_or("a bad character reference")?),
            e if e.starts_with('#') => out.push(e[1..].parse::<u32>().ok().and_then(char::from_u32).ok_or("a bad character reference")?),
            e => return Err(format!("the entity &{e}; is not known")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Reads ODK's XML layout: the root's child elements are the items, each item's child
/// elements its fields (their text). An explicit stack, no recursion.
fn parse_xml(text: &str) -> Result<InstanceItems, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut items = Vec::new();
    let mut item: BTreeMap<String, String> = BTreeMap::new();
    let mut textbuf = String::new();
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        textbuf.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        if let Some(body) = after.strip_prefix("!--") {
            let end = body.find("-->").ok_or("a comment is not closed")?;
            rest = &body[end + 3..];
            continue;
        }
        if let Some(body) = after.strip_prefix("![CDATA[") {
            let end = body.find("]]>").ok_or("a CDATA section is not closed")?;
            textbuf.push_str(&body[..end]);
            rest = &body[end + 3..];
            continue;
        }
        let gt = after.find('>').ok_or("a tag is not closed with '>'")?;
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            textbuf.clear();
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            let open = stack.pop().ok_or_else(|| format!("</{name}> closes nothing"))?;
            if open != name {
                return Err(format!("</{name}> closes <{open}>"));
            }
            match stack.len() {
                // A field of the item.
                2 => {
                    item.insert(name.to_string(), unescape_xml(textbuf.trim())?);
                }
                // The item itself.
                1 => {
                    items.push(std::mem::take(&mut item));
                    if items.len() > MAX_ITEMS {
                        return Err(format!("more than {MAX_ITEMS} items"));
                    }
                }
                _ => {}
            }
            textbuf.clear();
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name = tag.trim_end_matches('/').split_whitespace().next().ok_or("an empty tag")?.to_string();
        if self_closing {
            if stack.len() == 2 {
                item.insert(name, String::new());
            } else if stack.len() == 1 {
                items.push(BTreeMap::new());
            }
        } else {
            stack.push(name);
            if stack.len() > MAX_XML_DEPTH {
                return Err(format!("elements are nested more than {MAX_XML_DEPTH} deep"));
            }
        }
        textbuf.clear();
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{open}> is never closed"));
    }
    Ok(InstanceItems { items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_with_quotes_bom_and_line_breaks() {
        let d = parse("f.csv", "\u{feff}name,label,district\na,\"A, one\",north\r\nb,\"say \"\"hi\"\"\nthere\",south\n\n".as_bytes()).unwrap();
        assert_eq!(d.items.len(), 2);
        assert_eq!(d.items[0]["label"], "A, one");
        assert_eq!(d.items[1]["label"], "say \"hi\"\nthere");
        assert_eq!(d.items[1]["district"], "south");
    }

    #[test]
    fn csv_errors_name_the_line() {
        assert!(parse("f.csv", b"name,name\na,b\n").unwrap_err().contains("appears twice"));
        assert!(parse("f.csv", b"name\n\"open\n").unwrap_err().contains("line 2"));
        assert!(parse("f.csv", b"name\na,b\n").unwrap_err().contains("line 2"));
        assert!(parse("f.txt", b"x").is_err());
        assert!(parse("f.csv", &[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn reads_xml_items() {
        let x = "<?xml version='1.0'?><root><!-- c --><item><name>a</name><label>A &amp; B</label></item><item><name>b</name><label/></item></root>";
        let d = parse("f.xml", x.as_bytes()).unwrap();
        assert_eq!(d.items.len(), 2);
        assert_eq!(d.items[0]["label"], "A & B");
        assert_eq!(d.items[1]["label"], "");
        assert!(parse("f.xml", b"<root><item><name>a</item></root>").is_err());
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse("f.xml", deep.as_bytes()).unwrap_err().contains("nested"));
    }

    #[test]
    fn reads_geojson_in_odk_notation() {
        let g = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[115.2,-8.6]},"properties":{"title":"Shop","levels":2}},
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[1,2],[3,4],[1,2]]]},"properties":{"id":"w1"}}]}"#;
        let d = parse("f.geojson", g.as_bytes()).unwrap();
        assert_eq!(d.items[0]["id"], "7");
        assert_eq!(d.items[0]["geometry"], "-8.6 115.2 0 0");
        assert_eq!(d.items[0]["levels"], "2");
        assert_eq!(d.items[1]["id"], "w1");
        assert_eq!(d.items[1]["geometry"], "2 1 0 0;4 3 0 0;2 1 0 0");
        assert!(parse("f.geojson", b"{\"type\":\"Feature\"}").is_err());
        assert_eq!(instance_name("features.csv"), "features");
    }
}
