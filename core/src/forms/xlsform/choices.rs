//! The `settings` and `choices` sheets.

use std::collections::{BTreeMap, HashMap};

use super::sheet::Sheet;
use super::{At, Problem, ProblemKind};
use crate::forms::definition::{Choice, ChoiceList, DEFAULT_LANGUAGE};

/// What the settings sheet says (with defaults).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub form_id: String,
    pub version: String,
    pub title: Option<String>,
    pub default_language: String,
    /// The expression that names a response in lists (`instance_name`).
    pub instance_name: Option<String>,
    /// The display style (`style`: `pages`, `theme-grid`, …), kept for the renderer.
    pub style: Option<String>,
    /// `allow_choice_duplicates`: a choice name may appear twice in one list.
    pub allow_choice_duplicates: bool,
}

/// Settings that change nothing Sangam stores or checks: how ODK submits or encrypts
/// (Sangam syncs its own way), where a tool keeps the form, XML names. Read as warnings.
const TRANSPORT_SETTINGS: [&str; 12] = [
    "public_key", "submission_url", "path", "namespaces", "auto_send", "auto_delete", "xml_root", "clean_text_values",
    "omit_instanceID", "environment", "logging", "prefix",
];

/// Reads the first data row of the settings sheet. Unknown settings are reported by name.
pub(crate) fn read_settings(sheet: Option<&Sheet>, fallback_id: &str, problems: &mut Vec<Problem>) -> Settings {
    let mut s = Settings {
        form_id: fallback_id.to_string(),
        version: "1".into(),
        title: None,
        default_language: DEFAULT_LANGUAGE.into(),
        instance_name: None,
        style: None,
        allow_choice_duplicates: false,
    };
    let Some(sheet) = sheet else { return s };
    let Some((row_no, row)) = sheet.rows.first() else { return s };
    for (i, h) in sheet.headers.iter().enumerate() {
        let v = row.get(i).map(|v| v.trim()).unwrap_or("");
        if v.is_empty() || h.raw.is_empty() {
            continue;
        }
        let at = At { sheet: sheet.name.clone(), row: Some(*row_no), column: Some(h.raw.clone()), letter: Some(h.letter.clone()) };
        match h.base.as_str() {
            "form_id" | "set_form_id" | "id_string" => s.form_id = v.to_string(),
            "version" => s.version = v.to_string(),
            "form_title" | "set_form_title" | "title" => s.title = Some(v.to_string()),
            "default_language" => s.default_language = v.to_string(),
            "instance_name" => s.instance_name = Some(v.to_string()),
            "style" => s.style = Some(v.to_string()),
            "allow_choice_duplicates" => match v.to_lowercase().as_str() {
                "yes" | "true" | "true()" => s.allow_choice_duplicates = true,
                "no" | "false" | "false()" => {}
                _ => problems.push(at.problem(ProblemKind::InvalidValue, "allow_choice_duplicates is yes or no")),
            },
            other if TRANSPORT_SETTINGS.iter().any(|t| t.eq_ignore_ascii_case(other)) => problems.push(at.ignored(
                format!("setting {other}"),
                format!("the setting '{other}' is about ODK's submission or files and changes nothing in Sangam"),
            )),
            other => problems.push(at.ignored(format!("setting {other}"), format!("the setting '{other}' is not known and is ignored"))),
        }
    }
    if sheet.rows.len() > 1 {
        let (r, _) = &sheet.rows[1];
        problems.push(
            At { sheet: sheet.name.clone(), row: Some(*r), ..At::default() }
                .problem(ProblemKind::InvalidValue, "the settings sheet has one row of values; further rows would be ignored"),
        );
    }
    s
}

/// The choices sheet, read.
#[derive(Debug, Default)]
pub(crate) struct Choices {
    pub lists: BTreeMap<String, ChoiceList>,
    /// (list, choice) → row, for problems found later.
    pub rows: HashMap<(String, String), u32>,
    pub sheet: String,
    pub name_letter: Option<String>,
    pub languages: Vec<String>,
}

const MEDIA: [&str; 4] = ["image", "audio", "video", "big-image"];

/// The key a list of the `external_choices` sheet is kept under: apart from the choices
/// sheet's lists (pyxform lets one name be on both; `select_one_external` reads the external
/// one, `select_one` the other).
pub(crate) fn external_key(list: &str) -> String {
    format!("external_choices:{list}")
}

/// Adds the lists of the `external_choices` sheet (ODK's choices for `select_one_external`,
/// which pyxform writes to `itemsets.csv` for the app to search): Sangam keeps them with the
/// form like any other list, under [`external_key`].
pub(crate) fn merge_external(into: &mut Choices, external: Choices) {
    for (list, l) in external.lists {
        into.lists.insert(external_key(&list), l);
    }
    for ((list, name), r) in external.rows {
        into.rows.entry((external_key(&list), name)).or_insert(r);
    }
    for l in external.languages {
        if !into.languages.contains(&l) {
            into.languages.push(l);
        }
    }
}

/// Reads the choices sheet into lists. Columns other than list_name, name and label are kept
/// as extra columns (for choice filters); media columns are warned about (labels are shown).
pub(crate) fn read_choices(sheet: Option<&Sheet>, default_lang: &str, allow_duplicates: bool, problems: &mut Vec<Problem>) -> Choices {
    let mut out = Choices::default();
    let Some(sheet) = sheet else { return out };
    out.sheet = sheet.name.clone();
    out.name_letter = sheet.letter("name");
    let at = |row: u32, base: &str| At {
        sheet: sheet.name.clone(),
        row: Some(row),
        column: Some(base.to_string()),
        letter: sheet.letter(base),
    };
    for base in ["list_name", "name"] {
        if !sheet.headers.iter().any(|h| h.base == base) {
            problems.push(
                At { sheet: sheet.name.clone(), row: Some(1), column: Some(base.into()), letter: None }
                    .problem(ProblemKind::MissingColumn, format!("the choices sheet needs a '{base}' column")),
            );
            return out;
        }
    }
    for h in &sheet.headers {
        if let (true, Some(l)) = (h.base == "label", &h.lang) {
            if !out.languages.contains(l) {
                out.languages.push(l.clone());
            }
        }
    }
    let mut media_reported = false;
    let mut spaced_reported: Vec<String> = Vec::new();
    for (row_no, row) in &sheet.rows {
        let list = sheet.get(row, "list_name");
        let name = sheet.get(row, "name");
        let (Some(list), Some(name)) = (list, name) else {
            // A row without a list name is a comment row, as in pyxform.
            if list.is_some() {
                problems.push(at(*row_no, "name").problem(ProblemKind::MissingName, "this choice has no name"));
            }
            continue;
        };
        let mut choice = Choice { name: name.to_string(), ..Choice::default() };
        for (i, h) in sheet.headers.iter().enumerate() {
            let v = row.get(i).map(|v| v.trim()).unwrap_or("");
            if v.is_empty() || h.base.is_empty() || h.base == "list_name" || h.base == "name" {
                continue;
            }
            if h.base == "label" {
                let lang = h.lang.clone().unwrap_or_else(|| default_lang.to_string());
                choice.label.insert(lang, v.to_string());
            } else if MEDIA.contains(&h.base.as_str()) || h.base.starts_with("media::") {
                if !media_reported {
                    media_reported = true;
                    problems.push(
                        At { sheet: sheet.name.clone(), row: Some(*row_no), column: Some(h.raw.clone()), letter: Some(h.letter.clone()) }
                            .ignored(format!("column {}", h.raw), format!("media in choices ('{}') is not shown: choices show their labels", h.raw)),
                    );
                }
            } else if h.raw.chars().any(char::is_whitespace) {
                // No choice filter can name it (pyxform leaves it out too).
                if !spaced_reported.contains(&h.letter) {
                    spaced_reported.push(h.letter.clone());
                    problems.push(
                        At { sheet: sheet.name.clone(), row: Some(*row_no), column: Some(h.raw.clone()), letter: Some(h.letter.clone()) }
                            .ignored(format!("column {}", h.raw), format!("the column '{}' has a space in its name, so no choice filter can use it: ignored", h.raw)),
                    );
                }
            } else {
                choice.extra.insert(h.raw.clone(), v.to_string());
            }
        }
        let key = (list.to_string(), name.to_string());
        if let (Some(_), true) = (out.rows.get(&key), allow_duplicates) {
            // allow_choice_duplicates: kept as ODK keeps them; answers name the choice.
            out.lists.entry(list.to_string()).or_default().choices.push(choice);
            continue;
        }
        if let Some(first) = out.rows.get(&key) {
            problems.push(at(*row_no, "name").problem(
                ProblemKind::DuplicateName,
                format!("the choice '{name}' appears twice in list '{list}' (first at row {first})"),
            ));
            continue;
        }
        out.rows.insert(key, *row_no);
        out.lists.entry(list.to_string()).or_default().choices.push(choice);
    }
    out
}
