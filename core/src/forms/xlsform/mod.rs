//! XLSForm import: an `.xlsx` workbook (sheets `survey`, `choices`, `settings`) into a typed
//! [`FormDefinition`], or the full list of [`Problem`]s, each with sheet, row, column and a
//! plain message.
//!
//! ```no_run
//! use sangam_core::forms::xlsform;
//! match xlsform::import_file("household.xlsx") {
//!     Ok(def) => println!("{} version {}", def.form_id, def.version),
//!     Err(problems) => problems.iter().for_each(|p| eprintln!("{p}")),
//! }
//! ```
//!
//! Nothing is dropped silently. A type, column, setting, sheet or function whose meaning
//! Sangam does not carry out is a problem of kind [`ProblemKind::Unsupported`] that names it,
//! so the author removes it knowingly instead of discovering in the field that it did nothing.
//! What changes nothing Sangam stores or checks (display or transport settings, analysis
//! columns, other tools' columns, media shown beside labels, media answered without file
//! storage) is a warning of kind [`ProblemKind::Ignored`]: the form imports, and
//! [`import_file_with_warnings`] says what was left aside. Supported: the question types of
//! [`crate::forms::definition::QuestionType`] (metadata included), groups, repeats with
//! `repeat_count`, the columns listed in the definition, `or_other`, languages written
//! `label::Hindi (hi)`, `${name}` and XPath paths (`/data/g/q`, `../q`, `./q`). Names are
//! unique among the items of one group or repeat (XLSForm's rule); repeats cannot nest. Cells
//! are cleaned as pyxform cleans them (typographic quotes straightened, runs of spaces on the
//! survey sheet collapsed) unless `clean_text_values` is `no`. docs/FORMS.md has the list.

mod cfb;
mod check;
mod choices;
mod entities;
mod sheet;
mod slim;
mod xls_dates;
mod survey;

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::forms::definition::FormDefinition;

/// What kind of problem a form has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file is not a readable spreadsheet.
    UnreadableFile,
    MissingSheet,
    MissingColumn,
    UnknownType,
    /// A feature (type, column, setting, sheet, function) that Sangam does not support; the
    /// problem's `feature` names it.
    Unsupported,
    MissingChoiceList,
    /// A `${name}` (or a choice-filter column) that does not exist.
    UnknownReference,
    ExpressionSyntax,
    DuplicateName,
    InvalidName,
    MissingName,
    /// A begin group/repeat without its end.
    NotClosed,
    /// An end group/repeat without a matching begin.
    UnmatchedEnd,
    /// A value that does not fit its column (a default that is not a number, …).
    InvalidValue,
    /// Questions whose calculations depend on each other in a circle.
    Cycle,
    /// Not a refusal: a column, setting or sheet that changes nothing Sangam stores or
    /// checks (analysis columns, display or transport settings, another tool's columns), or
    /// a feature accepted with a limit. The form
    /// imports; the warning says what is left aside.
    Ignored,
}

/// One problem in a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub sheet: String,
    /// Spreadsheet row number (1 is the header row), when the problem is on one row.
    pub row: Option<u32>,
    /// The column header, when the problem is in one column.
    pub column: Option<String>,
    /// The column letter (A, B, …), when known.
    pub cell_column: Option<String>,
    pub kind: ProblemKind,
    /// For [`ProblemKind::Unsupported`]: the feature, e.g. `type geotrace` or `function pulldata()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sheet)?;
        match (&self.cell_column, self.row) {
            (Some(c), Some(r)) => write!(f, "!{c}{r}")?,
            (None, Some(r)) => write!(f, " row {r}")?,
            (Some(c), None) => write!(f, " column {c}")?,
            (None, None) => {}
        }
        if let Some(col) = &self.column {
            write!(f, " ({col})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Where a problem is: used by the builders.
#[derive(Debug, Clone, Default)]
pub(crate) struct At {
    pub sheet: String,
    pub row: Option<u32>,
    pub column: Option<String>,
    pub letter: Option<String>,
}

impl At {
    pub fn problem(&self, kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem {
            sheet: self.sheet.clone(),
            row: self.row,
            column: self.column.clone(),
            cell_column: self.letter.clone(),
            kind,
            feature: None,
            message: message.into(),
        }
    }

    pub fn unsupported(&self, feature: impl Into<String>, message: impl Into<String>) -> Problem {
        let feature = feature.into();
        Problem { feature: Some(feature), ..self.problem(ProblemKind::Unsupported, message) }
    }

    /// A warning (kind [`ProblemKind::Ignored`]) about `feature`.
    pub fn ignored(&self, feature: impl Into<String>, message: impl Into<String>) -> Problem {
        let feature = feature.into();
        Problem { feature: Some(feature), ..self.problem(ProblemKind::Ignored, message) }
    }
}

impl Problem {
    /// Whether this is a warning rather than a reason to refuse the form.
    pub fn is_warning(&self) -> bool {
        self.kind == ProblemKind::Ignored
    }
}

/// A form that imports, with the warnings about what it left aside.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub definition: FormDefinition,
    pub warnings: Vec<Problem>,
}

/// Largest workbook accepted.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// Imports the XLSForm at `path`. The form id defaults to the file name when the settings
/// sheet has none.
pub fn import_file(path: impl AsRef<Path>) -> Result<FormDefinition, Vec<Problem>> {
    import_file_with_warnings(path).map(|i| i.definition)
}

/// As [`import_file`], keeping the warnings of a form that imports.
pub fn import_file_with_warnings(path: impl AsRef<Path>) -> Result<Imported, Vec<Problem>> {
    let path = path.as_ref();
    let unreadable = |m: String| vec![At { sheet: String::new(), ..At::default() }.problem(ProblemKind::UnreadableFile, m)];
    let meta = std::fs::metadata(path).map_err(|e| unreadable(format!("the file could not be opened ({})", e.kind())))?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(unreadable(format!("the file is larger than {} MB", MAX_FILE_BYTES / (1024 * 1024))));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(format!("the file could not be read ({})", e.kind())))?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    import_bytes_with_warnings(&bytes, &stem)
}

/// Imports an XLSForm from the bytes of a workbook; `fallback_id` is the form id used when
/// the settings sheet has none (pyxform uses the file name).
pub fn import_bytes(bytes: &[u8], fallback_id: &str) -> Result<FormDefinition, Vec<Problem>> {
    import_bytes_with_warnings(bytes, fallback_id).map(|i| i.definition)
}

/// As [`import_bytes`], keeping the warnings of a form that imports. A form that is refused
/// gets its warnings in the list too, after the problems.
pub fn import_bytes_with_warnings(bytes: &[u8], fallback_id: &str) -> Result<Imported, Vec<Problem>> {
    let unreadable = |m: String| vec![At::default().problem(ProblemKind::UnreadableFile, m)];
    if bytes.len() > MAX_FILE_BYTES {
        return Err(unreadable("the file is too large".into()));
    }
    // A spreadsheet library meeting hostile bytes must not take the app down.
    let read = crate::doc::guard(|| sheet::read_workbook(bytes))
        .map_err(|_| unreadable("the file is not a readable spreadsheet (the reader failed on it)".into()))?;
    let (sheets, bad_cells) = read.map_err(unreadable)?;
    from_sheets(sheets, bad_cells, fallback_id)
}

/// The import proper, from the sheets read (and the cells that could not be read).
fn from_sheets(mut sheets: Vec<sheet::Sheet>, bad_cells: Vec<sheet::BadCell>, fallback_id: &str) -> Result<Imported, Vec<Problem>> {
    let clean = !sheets.iter().filter(|s| s.name.trim().eq_ignore_ascii_case("settings")).any(|s| {
        let v = s.rows.first().and_then(|(_, r)| s.get(r, "clean_text_values")).map(str::to_lowercase);
        matches!(v.as_deref(), Some("no" | "false" | "false()"))
    });
    for s in sheets.iter_mut() {
        let survey = s.name.trim().eq_ignore_ascii_case("survey");
        sheet::clean_text(s, clean, survey);
    }
    let mut problems: Vec<Problem> = bad_cells
        .into_iter()
        .map(|(sheet, row, letter, msg)| {
            At { sheet, row: Some(row), column: None, letter: Some(letter) }.problem(ProblemKind::InvalidValue, msg)
        })
        .collect();
    let find = |n: &str| sheets.iter().find(|s| s.name.trim().eq_ignore_ascii_case(n));
    for s in &sheets {
        let lower = s.name.trim().to_lowercase();
        if lower == "osm" {
            problems.push(
                At { sheet: s.name.clone(), ..At::default() }
                    .unsupported(format!("sheet {lower}"), format!("the '{lower}' sheet is not supported")),
            );
        }
    }
    let Some(survey) = find("survey") else {
        problems.push(At { sheet: "survey".into(), ..At::default() }.problem(ProblemKind::MissingSheet, "the workbook has no 'survey' sheet"));
        return Err(problems);
    };
    let settings = choices::read_settings(find("settings"), fallback_id, &mut problems);
    // An empty choices sheet is as good as none.
    let choice_sheet = find("choices").filter(|s| !s.headers.is_empty() || !s.rows.is_empty());
    let mut choices = choices::read_choices(choice_sheet, &settings.default_language, settings.allow_choice_duplicates, &mut problems);
    if let Some(ext) = find("external_choices").filter(|s| !s.headers.is_empty() || !s.rows.is_empty()) {
        let external = choices::read_choices(Some(ext), &settings.default_language, settings.allow_choice_duplicates, &mut problems);
        choices::merge_external(&mut choices, external);
    }
    let entities = entities::read(find("entities"), &mut problems);
    let def = survey::build(survey, settings, choices, entities, &mut problems);
    let sheet_order = |s: &str| match s.to_lowercase().as_str() {
        "survey" => 0,
        "choices" => 1,
        "settings" => 2,
        "entities" => 3,
        "external_choices" => 4,
        _ => 5,
    };
    problems.sort_by_key(|p| (p.is_warning(), sheet_order(&p.sheet), p.row));
    if problems.iter().all(Problem::is_warning) {
        Ok(Imported { definition: def, warnings: problems })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A sheet from a table: the first row is the header, the others rows 2, 3, …
    pub(crate) fn sheet(name: &str, table: &[&[&str]]) -> sheet::Sheet {
        let headers = table[0].iter().enumerate().map(|(i, h)| sheet::parse_header(h, sheet::column_letter(i as u32))).collect();
        let rows = table[1..].iter().enumerate().map(|(i, r)| (i as u32 + 2, r.iter().map(|c| c.to_string()).collect())).collect();
        sheet::Sheet { name: name.into(), headers, rows }
    }

    /// Imports a workbook of tables: (sheet name, rows).
    pub(crate) fn import(sheets: &[(&str, &[&[&str]])]) -> Result<Imported, Vec<Problem>> {
        from_sheets(sheets.iter().map(|(n, t)| sheet(n, t)).collect(), Vec::new(), "test")
    }

    pub(crate) fn problems(sheets: &[(&str, &[&[&str]])]) -> Vec<String> {
        match import(sheets) {
            Ok(i) => i.warnings.iter().map(|p| p.to_string()).collect(),
            Err(p) => p.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// An app asks for a language by its own name (`Hindi (hi)`); a form whose columns say
    /// `label::Hindi`, `label::हिन्दी` or `label::hi` answers in that column.
    #[test]
    fn a_language_asked_by_name_or_code_finds_the_form_column_for_it() {
        for column in ["Hindi", "हिन्दी", "hi", "Hindi (hi)"] {
            let survey: Vec<Vec<String>> = vec![
                vec!["type".into(), "name".into(), "label::English".into(), format!("label::{column}")],
                vec!["text".into(), "village".into(), "Village".into(), "गाँव".into()],
            ];
            let rows: Vec<Vec<&str>> = survey.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
            let table: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
            let def = import(&[("survey", &table)]).expect("imports").definition;
            for asked in ["Hindi (hi)", "hi", "Hindi", "हिन्दी"] {
                assert_eq!(def.language_named(asked), Some(column), "{asked} in a form with label::{column}");
            }
            assert_eq!(def.language_named("English (en)"), Some("English"));
            assert_eq!(def.language_named("Tamil (ta)"), None);
            let form = std::sync::Arc::new(crate::forms::state::CompiledForm::new(def).unwrap());
            let live = crate::forms::state::LiveForm::new(form, &Default::default(), &Default::default(), crate::forms::expr::Clock::fixed(0, 0));
            assert_eq!(live.state(Some("Hindi (hi)")).question("village").unwrap().label.as_deref(), Some("गाँव"));
        }
    }

    /// `if()` with two arguments (pyxform lets it through, ODK Collect refuses it when it
    /// evaluates it): the form imports with a warning on its cell, and the missing branch reads
    /// as ''.
    #[test]
    fn an_if_with_two_arguments_imports_with_a_warning_and_reads_empty_otherwise() {
        let survey: &[&[&str]] = &[
            &["type", "name", "label", "calculation"],
            &["text", "name", "Name", ""],
            &["calculate", "greeting", "", "if(${name} != '', concat('Hello ', ${name}))"],
        ];
        let imported = import(&[("survey", survey)]).expect("imports");
        let w: Vec<String> = imported.warnings.iter().map(|p| p.to_string()).collect();
        assert!(w.iter().any(|w| w.contains("survey!D3") && w.contains("if() is given two arguments")), "{w:?}");
        let form = std::sync::Arc::new(crate::forms::state::CompiledForm::new(imported.definition).unwrap());
        let mut live = crate::forms::state::LiveForm::new(form, &Default::default(), &Default::default(), crate::forms::expr::Clock::fixed(0, 0));
        let value = |live: &crate::forms::state::LiveForm| live.state(None).question("greeting").and_then(|q| q.value.clone());
        assert_eq!(value(&live), None, "empty when the condition fails");
        live.set_answer("name", None, Some(&crate::FieldValue::Text("Asha".into()))).unwrap();
        assert_eq!(value(&live), Some(crate::FieldValue::Text("Hello Asha".into())));
    }

    #[test]
    fn select_one_external_takes_its_list_from_the_external_choices_sheet() {
        let survey: &[&[&str]] = &[
            &["type", "name", "label", "choice_filter"],
            &["select_one district", "district", "District", ""],
            &["select_one_external village", "village", "Village", "district=${district}"],
        ];
        let choices: &[&[&str]] = &[&["list_name", "name", "label"], &["district", "sit", "Sitapur"], &["district", "lko", "Lucknow"]];
        let external: &[&[&str]] = &[
            &["list_name", "name", "label", "district"],
            &["village", "rampur", "Rampur", "sit"],
            &["village", "bakshi", "Bakshi", "lko"],
        ];
        let def = import(&[("survey", survey), ("choices", choices), ("external_choices", external)]).expect("imports").definition;
        let (q, _) = def.question("village").unwrap();
        assert_eq!((q.kind, q.list_name.as_deref()), (crate::forms::definition::QuestionType::SelectOne, Some("external_choices:village")));
        assert_eq!(def.choice_lists["external_choices:village"].choices[0].extra["district"], "sit");
        // The live form filters the external list like any other.
        let form = std::sync::Arc::new(crate::forms::state::CompiledForm::new(def).unwrap());
        let mut live = crate::forms::state::LiveForm::new(form, &Default::default(), &Default::default(), crate::forms::expr::Clock::fixed(0, 0));
        live.set_answer("district", None, Some(&crate::FieldValue::Text("lko".into()))).unwrap();
        let offered: Vec<String> = live.state(None).question("village").unwrap().choices.clone().unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(offered, ["bakshi"]);
        // One list name on both sheets: two lists, each question reading its own.
        let survey2: &[&[&str]] = &[&["type", "name", "label"], &["select_one district", "a", "A"], &["select_one_external district", "b", "B"]];
        let twice: &[&[&str]] = &[&["list_name", "name", "label"], &["district", "x", "X"]];
        let def = import(&[("survey", survey2), ("choices", choices), ("external_choices", twice)]).expect("imports").definition;
        assert_eq!(def.choice_lists["district"].choices.len(), 2);
        assert_eq!(def.choice_lists["external_choices:district"].choices[0].name, "x");
    }
}
