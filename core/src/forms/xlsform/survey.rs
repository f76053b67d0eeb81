//! The `survey` sheet: types, names, the group/repeat tree, columns and languages; then the
//! whole definition is compiled once to find bad expressions, unknown references and cycles,
//! which are mapped back to their rows.

use std::collections::HashMap;

use super::choices::{Choices, Settings};
use super::sheet::Sheet;
use super::{At, Problem, ProblemKind};
use crate::forms::definition::{Choice, FormDefinition, FormSettings, Group, Item, Question, QuestionType, Repeat, Translated};

const TRANSLATABLE: [&str; 4] = ["label", "hint", "required_message", "constraint_message"];
const PLAIN: [&str; 14] = [
    "type", "name", "required", "relevant", "constraint", "calculation", "default", "choice_filter", "appearance",
    "read_only", "repeat_count", "parameters", "trigger", "save_to",
];

/// Columns whose meaning Sangam does not carry out: refused by name rather than ignored.
const MEANINGFUL: [(&str, &str); 0] = [];

/// What a `type` cell says.
enum TypeSpec {
    Begin(bool),
    End(bool),
    Question(QuestionType, Option<String>, bool),
    /// `select_one_from_file x.csv`: the choices are the items of an attachment.
    FromFile(QuestionType, String),
    Unsupported(String),
    /// A `select_one_from_file` without one `.csv`, `.xml` or `.geojson` file name.
    BadFile(String),
    Unknown,
}

/// The attachments a `select_one_from_file` reads: CSV, XML or GeoJSON, by extension.
fn is_choice_file(f: &str) -> bool {
    let lower = f.to_lowercase();
    let stem_ok = |ext: &str| lower.strip_suffix(ext).map(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))).unwrap_or(false);
    stem_ok(".csv") || stem_ok(".xml") || stem_ok(".geojson")
}

const UNSUPPORTED_TYPES: [&str; 7] = [
    "start-geopoint-disabled", "background-audio", "osm", "uri:deviceid", "uri:username", "uri:email", "signature",
];

/// SurveyCTO's own types: refused by name.
const SURVEYCTO_TYPES: [&str; 9] = [
    "caseid", "calculate_here", "comments", "text audit", "audio audit", "sensor_stream", "sensor_statistic", "speed violations list",
    "speed violations count",
];

/// Further types pyxform knows (legacy spellings and metadata), reported as unsupported by
/// name rather than as unknown.
const PYXFORM_TYPES: [&str; 52] = [
    "add acknowledge prompt", "add audio prompt", "add barcode prompt", "add calculate prompt", "add date prompt",
    "add date time prompt", "add datetime prompt", "add decimal prompt", "add file prompt", "add image prompt",
    "add integer prompt", "add location prompt", "add note prompt", "add text prompt", "add video prompt", "date time",
    "device id", "end time", "get device id", "get end time", "get phone number", "get sim id", "get start time",
    "get subscriber id", "get today", "number of days in last month", "number of days in last six months",
    "number of days in last year", "percentage", "phone number", "q acknowledge", "q audio", "q barcode", "q calculate",
    "q date", "q date time", "q datetime", "q decimal", "q geopoint", "q geoshape", "q geotrace", "q image", "q int",
    "q location", "q note", "q picture", "q string", "q video", "sim id", "start time", "subscriber id",
    "uri:subscriberid",
];

/// Deepest nesting of groups and repeats accepted (real forms use a handful; the form's
/// definition is walked recursively, so its depth is bounded here where it is read).
pub(crate) const MAX_GROUP_NESTING: usize = 32;

fn parse_type(raw: &str) -> TypeSpec {
    let t: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = t.to_lowercase();
    let norm = lower.replace('_', " ");
    match norm.as_str() {
        "begin group" => return TypeSpec::Begin(false),
        "begin repeat" => return TypeSpec::Begin(true),
        "end group" => return TypeSpec::End(false),
        "end repeat" => return TypeSpec::End(true),
        _ => {}
    }
    if norm.starts_with("begin ") || norm.starts_with("end ") {
        return TypeSpec::Unsupported(lower);
    }
    const SELECTS: [(&str, QuestionType); 19] = [
        ("select_one_from_file", QuestionType::SelectOne),
        ("select_multiple_from_file", QuestionType::SelectMultiple),
        ("select one from file", QuestionType::SelectOne),
        ("select multiple from file", QuestionType::SelectMultiple),
        ("select_one_external", QuestionType::SelectOne),
        ("select one external", QuestionType::SelectOne),
        ("add select one prompt using", QuestionType::SelectOne),
        ("add select multiple prompt using", QuestionType::SelectMultiple),
        ("select all that apply from", QuestionType::SelectMultiple),
        ("select multiple from", QuestionType::SelectMultiple),
        ("select multiple using", QuestionType::SelectMultiple),
        ("select one from", QuestionType::SelectOne),
        ("select one using", QuestionType::SelectOne),
        ("select all that apply", QuestionType::SelectMultiple),
        ("select_multiple", QuestionType::SelectMultiple),
        ("select multiple", QuestionType::SelectMultiple),
        ("select_one", QuestionType::SelectOne),
        ("select one", QuestionType::SelectOne),
        ("rank", QuestionType::Rank),
    ];
    for (prefix, kind) in SELECTS {
        if let Some(rest) = lower.strip_prefix(prefix) {
            if !rest.is_empty() && !rest.starts_with(' ') {
                continue;
            }
            if prefix.contains("file") {
                // The file name keeps its case, as pyxform keeps it (the attachment's name).
                let words: Vec<&str> = t[prefix.len()..].split_whitespace().collect();
                return match words.as_slice() {
                    [f] if is_choice_file(f) => TypeSpec::FromFile(kind, f.to_string()),
                    _ => TypeSpec::BadFile(prefix.to_string()),
                };
            }
            // `select_one_external L`: a select whose list is on the external_choices sheet
            // (kept with the form; ODK's apps search it, Sangam's show it like any list).
            if prefix.contains("external") && t[prefix.len()..].split_whitespace().count() != 1 {
                return TypeSpec::Unknown;
            }
            // List names keep their case.
            let words: Vec<&str> = t[prefix.len()..].split_whitespace().collect();
            let (list, other) = match words.as_slice() {
                [] => (None, false),
                [l] => (Some(l.to_string()), false),
                [l, o] if o.eq_ignore_ascii_case("or_other") => (Some(l.to_string()), true),
                [l, a, b] if a.eq_ignore_ascii_case("or") && b.eq_ignore_ascii_case("other") => (Some(l.to_string()), true),
                [l, a, b, c]
                    if a.eq_ignore_ascii_case("or") && b.eq_ignore_ascii_case("specify") && c.eq_ignore_ascii_case("other") =>
                {
                    (Some(l.to_string()), true)
                }
                _ => return TypeSpec::Unknown,
            };
            // An external list lives apart from the choices sheet's (a list may be on both).
            let list = if prefix.contains("external") { list.map(|l| super::choices::external_key(&l)) } else { list };
            return TypeSpec::Question(kind, list, other);
        }
    }
    let kind = match lower.as_str() {
        // `tel` is Enketo's phone-number input (CHT forms): the answer is text.
        "text" | "string" | "tel" => QuestionType::Text,
        "integer" | "int" => QuestionType::Integer,
        "decimal" => QuestionType::Decimal,
        "date" => QuestionType::Date,
        "time" => QuestionType::Time,
        "datetime" => QuestionType::Datetime,
        "geopoint" | "location" | "gps" => QuestionType::Geopoint,
        "note" => QuestionType::Note,
        "calculate" | "calculation" => QuestionType::Calculate,
        "acknowledge" | "trigger" => QuestionType::Acknowledge,
        "image" | "photo" | "add image prompt" | "add photo prompt" => QuestionType::Image,
        "audio" | "add audio prompt" => QuestionType::Audio,
        "video" | "add video prompt" => QuestionType::Video,
        "file" | "add file prompt" => QuestionType::File,
        "hidden" => QuestionType::Hidden,
        "range" => QuestionType::Range,
        "geotrace" => QuestionType::Geotrace,
        "geoshape" => QuestionType::Geoshape,
        "barcode" => QuestionType::Barcode,
        "start" => QuestionType::Start,
        "end" => QuestionType::End,
        "today" => QuestionType::Today,
        // pyxform reads `imei` as `deviceid`.
        "deviceid" | "imei" => QuestionType::DeviceId,
        "phonenumber" => QuestionType::PhoneNumber,
        "username" => QuestionType::Username,
        "email" => QuestionType::Email,
        "subscriberid" => QuestionType::SubscriberId,
        "simserial" => QuestionType::SimSerial,
        "audit" => QuestionType::Audit,
        "start-geopoint" => QuestionType::StartGeopoint,
        "background-geopoint" => QuestionType::BackgroundGeopoint,
        "xml-external" => QuestionType::XmlExternal,
        "csv-external" => QuestionType::CsvExternal,
        other if SURVEYCTO_TYPES.iter().any(|t| other == *t || other.starts_with(&format!("{t} "))) => {
            return TypeSpec::Unsupported(format!("{other} (SurveyCTO only)"))
        }
        other if UNSUPPORTED_TYPES.contains(&other) || PYXFORM_TYPES.contains(&other) || other.starts_with("select") => {
            return TypeSpec::Unsupported(other.to_string())
        }
        other if other.starts_with("osm ") || other.starts_with("rank ") || other == "include" || other.starts_with("include ") => {
            return TypeSpec::Unsupported(other.split_whitespace().next().unwrap_or(other).to_string())
        }
        _ => return TypeSpec::Unknown,
    };
    TypeSpec::Question(kind, None, false)
}

/// Whether `name` can name a question: an XML name without `:` (a letter or `_`, then
/// letters, digits, `_`, `-`, `.`), at most 128 characters.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().map(|c| c.is_alphabetic() || c == '_').unwrap_or(false);
    first_ok && name.chars().count() <= 128 && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn yes_no(v: &str) -> Option<Option<String>> {
    match v {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "true()" => Some(Some("true()".into())),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "false()" => Some(None),
        _ => None,
    }
}

enum FrameKind {
    Root,
    Group(Group),
    Repeat(Repeat),
}

struct Frame {
    kind: FrameKind,
    row: u32,
    items: Vec<Item>,
}

impl Frame {
    fn close(self) -> Option<Item> {
        match self.kind {
            FrameKind::Root => None,
            FrameKind::Group(mut g) => {
                g.items = self.items;
                Some(Item::Group(g))
            }
            FrameKind::Repeat(mut r) => {
                r.items = self.items;
                Some(Item::Repeat(r))
            }
        }
    }
    fn name(&self) -> &str {
        match &self.kind {
            FrameKind::Root => "",
            FrameKind::Group(g) => &g.name,
            FrameKind::Repeat(r) => &r.name,
        }
    }
}

struct Ctx<'a> {
    sheet: &'a Sheet,
    default_lang: String,
    problems: &'a mut Vec<Problem>,
}

impl Ctx<'_> {
    fn at(&self, row: u32, column: &str) -> At {
        At { sheet: self.sheet.name.clone(), row: Some(row), column: Some(column.into()), letter: self.sheet.letter(column) }
    }
    fn translated(&self, row: &[String], base: &str) -> Translated {
        let mut t = Translated::new();
        for (i, h) in self.sheet.headers.iter().enumerate() {
            if h.base != base {
                continue;
            }
            if let Some(v) = row.get(i).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                t.insert(h.lang.clone().unwrap_or_else(|| self.default_lang.clone()), v.to_string());
            }
        }
        t
    }
    fn plain(&self, row: &[String], base: &str) -> Option<String> {
        self.sheet.get(row, base).map(str::to_string)
    }
    /// `required`/`read_only`: yes/no words, or an expression.
    fn flag(&self, row: &[String], base: &str) -> Option<String> {
        let v = self.plain(row, base)?;
        yes_no(&v).unwrap_or(Some(v))
    }
}

fn is_media_column(base: &str) -> bool {
    matches!(base, "image" | "audio" | "video" | "big-image" | "media") || base.starts_with("media::") || base.starts_with("media:")
}

/// Reports columns that this import does not use, once each, where first used: as a warning,
/// or refused when the column changes what the form means.
fn check_columns(sheet: &Sheet, problems: &mut Vec<Problem>) {
    for (i, h) in sheet.headers.iter().enumerate() {
        if !h.raw.is_empty() {
            if let Some(first) = sheet.headers[..i].iter().find(|o| o.base == h.base && o.lang == h.lang) {
                let at = At { sheet: sheet.name.clone(), row: Some(1), column: Some(h.raw.clone()), letter: Some(h.letter.clone()) };
                problems.push(at.problem(
                    ProblemKind::InvalidValue,
                    format!("the column '{}' says the same as column {} ('{}'): keep one", h.raw, first.letter, first.raw),
                ));
                continue;
            }
        }
        let known = if h.lang.is_some() { TRANSLATABLE.contains(&h.base.as_str()) } else { TRANSLATABLE.contains(&h.base.as_str()) || PLAIN.contains(&h.base.as_str()) };
        if known {
            continue;
        }
        let Some((row_no, _)) = sheet.rows.iter().find(|(_, r)| r.get(i).map(|v| !v.trim().is_empty()).unwrap_or(false)) else {
            continue;
        };
        let at = At { sheet: sheet.name.clone(), row: Some(*row_no), column: Some(h.raw.clone()), letter: Some(h.letter.clone()) };
        // A column without a header holds the author's notes, as in pyxform.
        if h.raw.is_empty() {
            continue;
        }
        if let Some((_, why)) = MEANINGFUL.iter().find(|(c, _)| h.lang.is_none() && *c == h.base) {
            problems.push(at.unsupported(format!("column {}", h.raw), *why));
        } else if is_media_column(&h.base) {
            problems.push(at.ignored(format!("column {}", h.raw), format!("media in labels ('{}') is not shown: the text label is", h.raw)));
        } else {
            // Analysis columns, notes and other tools' columns (`instance::…`, `bind::…`,
            // `body::…`, `cht::…`) change nothing about the data Sangam keeps.
            problems.push(at.ignored(format!("column {}", h.raw), format!("the column '{}' is not used by Sangam and is ignored", h.raw)));
        }
    }
}

/// Builds the definition from the survey sheet and reports every problem found.
pub(crate) fn build(sheet: &Sheet, settings: Settings, mut choices: Choices, entities: super::entities::Entities, problems: &mut Vec<Problem>) -> FormDefinition {
    for base in ["type", "name"] {
        if !sheet.headers.iter().any(|h| h.base == base) {
            problems.push(
                At { sheet: sheet.name.clone(), row: Some(1), column: Some(base.into()), letter: None }
                    .problem(ProblemKind::MissingColumn, format!("the survey sheet needs a '{base}' column")),
            );
        }
    }
    check_columns(sheet, problems);
    let mut languages: Vec<String> = Vec::new();
    let mut unlabelled = false;
    for h in sheet.headers.iter().filter(|h| TRANSLATABLE.contains(&h.base.as_str())) {
        match &h.lang {
            Some(l) if !languages.contains(l) => languages.push(l.clone()),
            Some(_) => {}
            None => unlabelled = true,
        }
    }
    for l in &choices.languages {
        if !languages.contains(l) {
            languages.push(l.clone());
        }
    }
    let mut default_lang = settings.default_language.clone();
    if !unlabelled && !languages.contains(&default_lang) {
        if let Some(first) = languages.first() {
            default_lang = first.clone();
        }
    }
    languages.retain(|l| *l != default_lang);
    languages.insert(0, default_lang.clone());

    let mut cx = Ctx { sheet, default_lang: default_lang.clone(), problems };
    let mut stack = vec![Frame { kind: FrameKind::Root, row: 0, items: Vec::new() }];
    // Name (first use) and path (`group/name`) → row, to place problems; path → row, to find
    // names used twice among siblings.
    let mut rows_of: HashMap<String, u32> = HashMap::new();
    let mut rows_of_path: HashMap<String, u32> = HashMap::new();
    let mut other_lists: Vec<(String, u32)> = Vec::new();
    // Names of rows left out as unsupported: references to them are not reported twice.
    let mut skipped: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (row_no, row) in &sheet.rows {
        let row_no = *row_no;
        // A row without a type is a comment row, as in pyxform.
        let Some(type_raw) = cx.plain(row, "type") else { continue };
        let spec = parse_type(&type_raw);
        if let TypeSpec::End(repeat) = spec {
            let top = stack.len() - 1;
            let what = if repeat { "repeat" } else { "group" };
            let matches = match &stack[top].kind {
                FrameKind::Group(_) => !repeat,
                FrameKind::Repeat(_) => repeat,
                FrameKind::Root => false,
            };
            if top == 0 {
                cx.problems.push(cx.at(row_no, "type").problem(ProblemKind::UnmatchedEnd, format!("end {what} without a begin {what}")));
            } else if !matches {
                let open = stack[top].name().to_string();
                let open_row = stack[top].row;
                cx.problems.push(cx.at(row_no, "type").problem(
                    ProblemKind::UnmatchedEnd,
                    format!("end {what} here, but '{open}' opened at row {open_row} is not a {what}"),
                ));
            } else if let Some(frame) = stack.pop() {
                if let (Some(item), Some(parent)) = (frame.close(), stack.last_mut()) {
                    parent.items.push(item);
                }
            }
            continue;
        }
        if let TypeSpec::Unsupported(t) = &spec {
            if t.starts_with("end ") {
                cx.problems.push(cx.at(row_no, "type").unsupported(format!("type {t}"), format!("'{t}' is not supported")));
                continue;
            }
        }
        let name = cx.plain(row, "name");
        let Some(name) = name else {
            cx.problems.push(cx.at(row_no, "name").problem(ProblemKind::MissingName, format!("the '{type_raw}' on this row has no name")));
            continue;
        };
        if !valid_name(&name) {
            cx.problems.push(cx.at(row_no, "name").problem(
                ProblemKind::InvalidName,
                format!("'{name}' is not a valid name: start with a letter or '_', then letters, digits, '_', '-' or '.'"),
            ));
        }
        // Names are unique among the items of one group or repeat (XLSForm's rule).
        let path: Vec<&str> = stack.iter().skip(1).map(Frame::name).chain(std::iter::once(name.as_str())).collect();
        let path = path.join("/");
        if let Some(first) = rows_of_path.get(&path) {
            cx.problems.push(cx.at(row_no, "name").problem(
                ProblemKind::DuplicateName,
                format!("the name '{name}' is already used at row {first} in the same group; names must be unique within their group or repeat"),
            ));
        } else {
            rows_of_path.insert(path.clone(), row_no);
            rows_of.insert(path, row_no);
            rows_of.entry(name.clone()).or_insert(row_no);
        }
        let (spec, from_file) = match spec {
            TypeSpec::FromFile(kind, file) => (TypeSpec::Question(kind, Some(file), false), true),
            other => (other, false),
        };
        let label = cx.translated(row, "label");
        let relevant = cx.plain(row, "relevant");
        let appearance = cx.plain(row, "appearance");
        match spec {
            TypeSpec::Begin(repeat) => {
                for col in ["required", "constraint", "calculation", "default", "choice_filter", "read_only", "trigger", "save_to"] {
                    if cx.plain(row, col).is_some() {
                        let what = if repeat { "repeat" } else { "group" };
                        // pyxform writes these on the group's bind, where ODK does nothing with them.
                        cx.problems.push(cx.at(row_no, col).ignored(
                            format!("{col} on a {what}"),
                            format!("'{col}' on a {what} has no effect (as in ODK) and is ignored"),
                        ));
                    }
                }
                let kind = if repeat {
                    FrameKind::Repeat(Repeat { name, label, relevant, repeat_count: cx.plain(row, "repeat_count"), appearance, items: Vec::new() })
                } else {
                    if cx.plain(row, "repeat_count").is_some() {
                        cx.problems.push(cx.at(row_no, "repeat_count").problem(ProblemKind::InvalidValue, "repeat_count belongs on a begin repeat row"));
                    }
                    FrameKind::Group(Group { name, label, relevant, appearance, items: Vec::new() })
                };
                if stack.len() > MAX_GROUP_NESTING {
                    cx.problems.push(cx.at(row_no, "type").problem(
                        ProblemKind::InvalidValue,
                        format!("groups and repeats are nested more than {MAX_GROUP_NESTING} deep"),
                    ));
                    break;
                }
                stack.push(Frame { kind, row: row_no, items: Vec::new() });
            }
            TypeSpec::Unsupported(t) => {
                skipped.insert(name.clone());
                cx.problems.push(cx.at(row_no, "type").unsupported(format!("type {t}"), format!("the question type '{t}' is not supported")));
            }
            TypeSpec::Unknown => {
                cx.problems.push(cx.at(row_no, "type").problem(ProblemKind::UnknownType, format!("'{type_raw}' is not a question type")));
            }
            TypeSpec::BadFile(t) => {
                cx.problems.push(cx.at(row_no, "type").problem(
                    ProblemKind::InvalidValue,
                    format!("'{type_raw}': {t} names one attachment ending in .csv, .xml or .geojson (e.g. {t} places.csv)"),
                ));
            }
            TypeSpec::End(_) => {}
            TypeSpec::FromFile(..) => {}
            TypeSpec::Question(kind, list, or_other) => {
                let mut q = Question::new(&name, kind);
                q.list_name = list;
                q.or_other = or_other;
                q.choices_from_file = from_file;
                q.trigger = cx.plain(row, "trigger");
                q.save_to = cx.plain(row, "save_to");
                q.label = label;
                q.hint = cx.translated(row, "hint");
                q.required = cx.flag(row, "required");
                q.required_message = cx.translated(row, "required_message");
                q.relevant = relevant;
                q.constraint = cx.plain(row, "constraint");
                q.constraint_message = cx.translated(row, "constraint_message");
                q.calculation = cx.plain(row, "calculation");
                q.default = cx.plain(row, "default");
                q.choice_filter = cx.plain(row, "choice_filter");
                q.appearance = appearance;
                q.read_only = cx.flag(row, "read_only");
                q.parameters = cx.plain(row, "parameters");
                check_question(&mut cx, row_no, &q, &choices);
                if cx.plain(row, "repeat_count").is_some() {
                    cx.problems.push(cx.at(row_no, "repeat_count").problem(ProblemKind::InvalidValue, "repeat_count belongs on a begin repeat row"));
                }
                if let Some(items) = stack.last_mut().map(|f| &mut f.items) {
                    let other = or_other.then(|| specify_other(&q, &default_lang));
                    if let (true, Some(l)) = (or_other, &q.list_name) {
                        other_lists.push((l.clone(), row_no));
                    }
                    items.push(Item::Question(q));
                    if let Some(o) = other {
                        rows_of.entry(o.name.clone()).or_insert(row_no);
                        items.push(Item::Question(o));
                    }
                }
            }
        }
    }
    while stack.len() > 1 {
        if let Some(frame) = stack.pop() {
            let what = if matches!(frame.kind, FrameKind::Repeat(_)) { "repeat" } else { "group" };
            cx.problems.push(cx.at(frame.row, "type").problem(
                ProblemKind::NotClosed,
                format!("the {what} '{}' begun here is never closed with end {what}", frame.name()),
            ));
            if let (Some(item), Some(parent)) = (frame.close(), stack.last_mut()) {
                parent.items.push(item);
            }
        }
    }
    for (list, _) in &other_lists {
        add_other_choice(&mut choices, list, &default_lang);
    }
    let items = stack.pop().map(|f| f.items).unwrap_or_default();
    let def = FormDefinition {
        title: settings.title.clone().unwrap_or_else(|| settings.form_id.clone()),
        form_id: settings.form_id,
        version: settings.version,
        default_language: default_lang,
        languages,
        items,
        choice_lists: choices.lists.clone(),
        settings: FormSettings { instance_name: settings.instance_name.clone(), style: settings.style.clone(), entities: entities.decls.clone() },
    };
    check_choice_names(&def, &choices, cx.problems);
    super::check::labels(&def, sheet, &rows_of, &skipped, cx.problems);
    check_save_to(&def, sheet, &rows_of, &entities, cx.problems);
    super::check::compiled(&def, sheet, &rows_of, &skipped, &entities, cx.problems);
    def
}

/// Column checks of one question that need no other rows.
fn check_question(cx: &mut Ctx<'_>, row_no: u32, q: &Question, choices: &Choices) {
    if q.kind == QuestionType::Calculate && q.calculation.is_none() {
        cx.problems.push(cx.at(row_no, "calculation").problem(ProblemKind::MissingColumn, "a calculate question needs a calculation"));
    }
    if q.choice_filter.is_some() && !q.kind.is_select() {
        cx.problems.push(cx.at(row_no, "choice_filter").ignored("choice_filter on a question that is not a select", "a choice_filter only applies to select questions: here it does nothing"));
    }
    if q.or_other && q.choice_filter.is_some() {
        cx.problems.push(cx.at(row_no, "choice_filter").unsupported("or_other with choice_filter", "or_other cannot be combined with a choice_filter"));
    }
    if let Some(d) = &q.default {
        // A dynamic default is an expression, checked with the others when the form compiles.
        if !q.default_is_dynamic() && !default_fits(q, d, choices) {
            cx.problems.push(cx.at(row_no, "default").problem(
                ProblemKind::InvalidValue,
                format!("the default '{d}' does not fit a {} question", q.kind.as_str()),
            ));
        }
    }
}

fn default_fits(q: &Question, d: &str, choices: &Choices) -> bool {
    use crate::forms::expr::Value;
    let in_list = |c: &str| {
        q.list_name.as_ref().and_then(|l| choices.lists.get(l)).map(|l| l.choices.iter().any(|x| x.name == c)).unwrap_or(true)
    };
    match q.kind {
        QuestionType::Integer => d.parse::<i64>().is_ok(),
        QuestionType::Decimal => !Value::Str(d.into()).to_num().is_nan(),
        QuestionType::Date => Value::Str(d.into()).to_date(0).map(|x| x.is_some()).unwrap_or(false),
        QuestionType::SelectOne => in_list(d),
        QuestionType::SelectMultiple => d.split_whitespace().all(in_list),
        _ => true,
    }
}

fn specify_other(q: &Question, lang: &str) -> Question {
    let mut o = Question::new(&format!("{}_other", q.name), QuestionType::Text);
    o.label.insert(lang.to_string(), "Specify other.".into());
    o.relevant = Some(format!("selected(${{{}}}, 'other')", q.name));
    o
}

fn add_other_choice(choices: &mut Choices, list: &str, default_lang: &str) {
    let Some(l) = choices.lists.get_mut(list) else { return };
    if l.choices.iter().any(|c| c.name == "other") {
        return;
    }
    let mut langs: Vec<String> = l.choices.iter().flat_map(|c| c.label.keys().cloned()).collect();
    langs.sort();
    langs.dedup();
    if langs.is_empty() {
        langs.push(default_lang.to_string());
    }
    let label = langs.into_iter().map(|lang| (lang, "Other".to_string())).collect();
    l.choices.push(Choice { name: "other".into(), label, extra: Default::default() });
}

/// Choice names of select_multiple lists cannot hold spaces (answers are space-separated).
fn check_choice_names(def: &FormDefinition, choices: &Choices, problems: &mut Vec<Problem>) {
    let mut reported = std::collections::HashSet::new();
    for (q, _) in def.questions() {
        let (QuestionType::SelectMultiple, Some(l)) = (q.kind, &q.list_name) else { continue };
        for c in def.choice_lists.get(l).map(|l| l.choices.as_slice()).unwrap_or(&[]) {
            if c.name.chars().any(char::is_whitespace) && reported.insert((l.clone(), c.name.clone())) {
                let row = choices.rows.get(&(l.clone(), c.name.clone())).copied();
                problems.push(
                    At { sheet: choices.sheet.clone(), row, column: Some("name".into()), letter: choices.name_letter.clone() }.problem(
                        ProblemKind::InvalidName,
                        format!("the choice '{}' of list '{l}' has a space, which a select_multiple cannot hold", c.name),
                    ),
                );
            }
        }
    }
}

/// `save_to` names an entity property: a valid name, not `name` or `label` (ODK's own),
/// used once, outside repeats (entities spec 2024.1), with an entities sheet to save to.
fn check_save_to(def: &FormDefinition, sheet: &Sheet, rows: &HashMap<String, u32>, entities: &super::entities::Entities, problems: &mut Vec<Problem>) {
    let mut seen: HashMap<String, String> = HashMap::new();
    for (q, place) in def.questions() {
        let Some(prop) = q.save_to.as_deref() else { continue };
        let at = At { sheet: sheet.name.clone(), row: rows.get(&q.name).copied(), column: Some("save_to".into()), letter: sheet.letter("save_to") };
        if entities.decls.is_empty() {
            problems.push(at.problem(ProblemKind::MissingSheet, "save_to saves to an entity list: the form needs an entities sheet"));
            return;
        }
        if !super::entities::valid_entity_name(prop) || matches!(prop.to_lowercase().as_str(), "name" | "label") {
            problems.push(at.problem(
                ProblemKind::InvalidName,
                format!("'{prop}' cannot be an entity property: 'name', 'label' and names starting with '__' are ODK's own, and a property is a letter or '_' then letters, digits, '_' or '-'"),
            ));
        } else if let Some(first) = seen.get(prop) {
            problems.push(at.problem(ProblemKind::DuplicateName, format!("the property '{prop}' is already saved by '{first}'")));
        }
        if place.repeat.is_some() {
            problems.push(at.problem(ProblemKind::InvalidValue, "save_to inside a repeat is not part of ODK's entities (2024.1): save from questions outside repeats"));
        }
        seen.entry(prop.to_string()).or_insert_with(|| q.name.clone());
    }
}
