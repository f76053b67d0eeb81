//! Responses as CSV, ODK style: per form version, one file for the main rows
//! (`FORM-vVERSION.csv`) and one per repeat (`FORM-vVERSION-REPEAT.csv`) whose rows carry
//! `PARENT_KEY` (the response's `KEY`, or for a repeat inside a repeat the enclosing row's) and
//! their own `KEY`.
//!
//! Columns follow the published form definition when this store has it: questions in form
//! order, named by their group path joined with `-` (`household-head_name`), each multi-select
//! as one column of space-separated choices and one `question/choice` column of 1/0 per choice
//! of its list; answers the definition does not know go to `_other_answers` as JSON, so nothing
//! is dropped. Without a definition, a first pass over the data finds the columns (sorted by
//! name). Meta columns: `SubmissionDate` (when the response was started on the phone; the
//! store keeps no separate receipt time), `meta-instanceID`, `SubjectID`, `SubmitterID`,
//! `Status`, `ReviewState`, `FormVersion`, `KEY`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use super::{file_safe, iso_utc, with_files, ExportOptions, ExportProgress, ExportReport, OutFile, Progress, Selection};
use crate::forms::definition::{FormDefinition, QuestionType};
use crate::model::response::read_response;
use crate::model::response::Response;
use crate::model::review::read_review;
use crate::{Error, FieldValue, Result, Store};

/// One column of a table.
enum Col {
    /// An answer; `list` is the choice list of a select question (for labels).
    Answer { name: String, header: String, list: Option<String> },
    /// 1 when `choice` is among the answer's choices, 0 when not, empty when unanswered.
    Flag { name: String, choice: String, header: String },
}

impl Col {
    fn header(&self) -> &str {
        match self {
            Col::Answer { header, .. } | Col::Flag { header, .. } => header,
        }
    }
    fn name(&self) -> &str {
        match self {
            Col::Answer { name, .. } | Col::Flag { name, .. } => name,
        }
    }
}

/// The columns of the main table and of each repeat.
struct Plan {
    main: Vec<Col>,
    repeats: Vec<(String, Vec<Col>)>,
    /// Answers are checked against the definition (unknown ones go to `_other_answers`).
    defined: bool,
    def: Option<FormDefinition>,
}

const MAIN_META_BEFORE: &[&str] = &["SubmissionDate"];
const MAIN_META_AFTER: &[&str] = &["meta-instanceID", "SubjectID", "SubmitterID", "Status", "ReviewState", "FormVersion", "KEY"];
const OTHER: &str = "_other_answers";

impl Store {
    /// Exports the responses of `form_id` as CSV into `out_dir`: one set of files per form
    /// version (or only `opts.version`). See the module docs for the layout.
    pub fn export_csv(&self, form_id: &str, opts: &ExportOptions, out_dir: &Path, progress: &mut Progress<'_>) -> Result<ExportReport> {
        let versions = match &opts.version {
            Some(v) => vec![v.clone()],
            None => self.export_versions(&Selection { form_id, version: None, opts }.set())?,
        };
        let mut total = 0;
        for v in &versions {
            total += self.export_count(&Selection { form_id, version: Some(v), opts }.set())?;
        }
        let mut report = ExportReport::default();
        let mut media = BTreeSet::new();
        for v in &versions {
            let base = report.records;
            let mut inner = |p: &ExportProgress| progress(&ExportProgress { done: base + p.done, total: total.max(base + p.total) });
            let (n, files) = self.export_csv_version(form_id, v, opts, out_dir, &mut inner, &mut media)?;
            report.records += n;
            report.files.extend(files);
        }
        // The files the answers name, ODK-style: `media/<name>` beside the CSV, the answer
        // column holding the name.
        self.export_media(&media, out_dir, &mut report)?;
        Ok(report)
    }

    fn export_csv_version(
        &self,
        form_id: &str,
        version: &str,
        opts: &ExportOptions,
        out_dir: &Path,
        progress: &mut Progress<'_>,
        media: &mut BTreeSet<String>,
    ) -> Result<(u64, Vec<super::ExportedFile>)> {
        let filter = Selection { form_id, version: Some(version), opts }.set();
        let plan = match self.form_definition(form_id, Some(version)) {
            Ok(def) => plan_from_definition(def),
            Err(Error::NotFound(_)) => self.plan_from_data(&filter, opts.page_size)?,
            Err(e) => return Err(e),
        };
        let label_lang = opts.language.as_deref().filter(|_| plan.def.is_some());
        let stem = format!("{}-v{}", file_safe(form_id), file_safe(version));
        let mut files = vec![OutFile::create(out_dir, &format!("{stem}.csv"))?];
        for (name, _) in &plan.repeats {
            files.push(OutFile::create(out_dir, &format!("{stem}-{}.csv", file_safe(name)))?);
        }
        let (n, files) = with_files(files, |files| {
            // Headers.
            let mut head: Vec<&str> = MAIN_META_BEFORE.to_vec();
            head.extend(plan.main.iter().map(Col::header));
            if plan.defined {
                head.push(OTHER);
            }
            head.extend(MAIN_META_AFTER);
            write_row(&mut files[0], head.iter().copied())?;
            for (i, (_, cols)) in plan.repeats.iter().enumerate() {
                let mut head: Vec<&str> = cols.iter().map(Col::header).collect();
                if plan.defined {
                    head.push(OTHER);
                }
                head.extend(["PARENT_KEY", "KEY", "ROW_ID"]);
                write_row(&mut files[i + 1], head.iter().copied())?;
            }
            // Rows count data, not headers.
            for f in files.iter_mut() {
                f.rows = 0;
            }
            let mut cells: Vec<String> = Vec::new();
            self.export_each(&filter, opts.page_size, progress, |id| {
                let (r, review, named) = self.view(id, |d| Ok((read_response(d, id), read_review(d), crate::model::response::read_media(d))))?;
                media.extend(named.into_iter().map(|m| m.name));
                let key = format!("uuid:{id}");
                cells.clear();
                cells.push(iso_utc(r.created_at_ms));
                for c in &plan.main {
                    cells.push(cell(c, &r.answers, plan.def.as_ref(), label_lang));
                }
                if plan.defined {
                    cells.push(other_answers(&plan, &r));
                }
                cells.extend([
                    key.clone(),
                    r.subject_id.clone().unwrap_or_default(),
                    r.created_by.clone(),
                    r.status.as_str().to_string(),
                    review.state.as_str().to_string(),
                    r.form_version.clone(),
                    key.clone(),
                ]);
                write_row(&mut files[0], cells.iter().map(String::as_str))?;
                // Row keys, ODK style: `KEY/members[2]`, and for a repeat inside a repeat
                // `KEY/members[2]/children[1]` with its enclosing row's key as PARENT_KEY
                // (enclosing repeats come first in the plan, in form order).
                let mut row_keys: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
                for (i, (name, cols)) in plan.repeats.iter().enumerate() {
                    let Some(rows) = r.repeats.get(name) else { continue };
                    let mut siblings: std::collections::HashMap<Option<&str>, usize> = std::collections::HashMap::new();
                    for row in rows.iter() {
                        let parent_key = match row.parent_row.as_deref() {
                            Some(p) => row_keys.get(p).cloned().unwrap_or_else(|| key.clone()),
                            None => key.clone(),
                        };
                        let n = siblings.entry(row.parent_row.as_deref()).or_default();
                        *n += 1;
                        let row_key = format!("{parent_key}/{name}[{n}]");
                        row_keys.insert(row.row_id.as_str(), row_key.clone());
                        cells.clear();
                        for c in cols {
                            cells.push(cell(c, &row.answers, plan.def.as_ref(), label_lang));
                        }
                        if plan.defined {
                            let known: BTreeSet<&str> = cols.iter().map(Col::name).collect();
                            let other: BTreeMap<&String, serde_json::Value> =
                                row.answers.iter().filter(|(k, _)| !known.contains(k.as_str())).map(|(k, v)| (k, v.to_json())).collect();
                            cells.push(if other.is_empty() { String::new() } else { serde_json::to_string(&other)? });
                        }
                        cells.extend([parent_key, row_key, row.row_id.clone()]);
                        write_row(&mut files[i + 1], cells.iter().map(String::as_str))?;
                    }
                }
                Ok(())
            })
        })?;
        Ok((n, files))
    }

    /// Finds the columns of a form version that is not published here, from its responses.
    fn plan_from_data(&self, filter: &crate::store::ExportSet, page: u32) -> Result<Plan> {
        #[derive(Default)]
        struct Seen {
            answers: BTreeSet<String>,
            choices: BTreeMap<String, BTreeSet<String>>,
        }
        impl Seen {
            fn add(&mut self, answers: &BTreeMap<String, FieldValue>) {
                for (k, v) in answers {
                    self.answers.insert(k.clone());
                    if let FieldValue::Choices(c) = v {
                        self.choices.entry(k.clone()).or_default().extend(c.iter().cloned());
                    }
                }
            }
            fn columns(self) -> Vec<Col> {
                let mut cols = Vec::new();
                for name in self.answers {
                    cols.push(Col::Answer { header: name.clone(), name: name.clone(), list: None });
                    for choice in self.choices.get(&name).into_iter().flatten() {
                        cols.push(Col::Flag { header: format!("{name}/{choice}"), name: name.clone(), choice: choice.clone() });
                    }
                }
                cols
            }
        }
        let mut main = Seen::default();
        let mut repeats: BTreeMap<String, Seen> = BTreeMap::new();
        self.export_each(filter, page, &mut |_: &ExportProgress| true, |id| {
            self.view(id, |d| {
                let r = read_response(d, id);
                main.add(&r.answers);
                for (name, rows) in &r.repeats {
                    let seen = repeats.entry(name.clone()).or_default();
                    for row in rows {
                        seen.add(&row.answers);
                    }
                }
                Ok(())
            })
        })?;
        Ok(Plan {
            main: main.columns(),
            repeats: repeats.into_iter().map(|(k, v)| (k, v.columns())).collect(),
            defined: false,
            def: None,
        })
    }
}

fn plan_from_definition(def: FormDefinition) -> Plan {
    let mut main = Vec::new();
    let mut repeats: Vec<(String, Vec<Col>)> = def.repeats().iter().map(|r| (r.name.clone(), Vec::new())).collect();
    // A name used twice in the form is kept under its path (`visit/name`); each column reads
    // the key its answers are kept under, so two questions of one name are two columns.
    for ((q, place), key) in def.questions().into_iter().zip(def.answer_keys()) {
        if q.kind == QuestionType::Note {
            continue;
        }
        let mut path = place.groups.clone();
        path.push(q.name.clone());
        let header = path.join("-");
        let list = q.list_name.clone().filter(|_| q.kind.is_select());
        let mut cols = vec![Col::Answer { name: key.clone(), header: header.clone(), list: list.clone() }];
        if q.kind == QuestionType::SelectMultiple {
            if let Some(l) = list.as_ref().and_then(|l| def.choice_lists.get(l)) {
                for c in &l.choices {
                    cols.push(Col::Flag { name: key.clone(), choice: c.name.clone(), header: format!("{header}/{}", c.name) });
                }
            }
        }
        match place.repeat.and_then(|r| repeats.iter_mut().find(|(n, _)| *n == r)) {
            Some((_, rcols)) => rcols.extend(cols),
            None => main.extend(cols),
        }
    }
    Plan { main, repeats, defined: true, def: Some(def) }
}

/// The text of one cell.
fn cell(c: &Col, answers: &BTreeMap<String, FieldValue>, def: Option<&FormDefinition>, lang: Option<&str>) -> String {
    match c {
        Col::Answer { name, list, .. } => match answers.get(name) {
            None => String::new(),
            Some(v) => match (def, lang, list) {
                (Some(def), Some(lang), Some(list)) => labelled(v, def, list, lang),
                _ => v.display(),
            },
        },
        Col::Flag { name, choice, .. } => match answers.get(name) {
            Some(FieldValue::Choices(set)) => if set.contains(choice) { "1" } else { "0" }.to_string(),
            Some(FieldValue::Text(t)) => if t.split(' ').any(|x| x == choice) { "1" } else { "0" }.to_string(),
            _ => String::new(),
        },
    }
}

/// A select answer with choice labels in `lang` instead of choice names (names that the list
/// does not hold stay as they are).
fn labelled(v: &FieldValue, def: &FormDefinition, list: &str, lang: &str) -> String {
    let Some(l) = def.choice_lists.get(list) else { return v.display() };
    let label = |name: &str| {
        l.choices
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| def.text(&c.label, lang))
            .unwrap_or(name)
            .to_string()
    };
    match v {
        FieldValue::Choices(set) => set.iter().map(|c| label(c)).collect::<Vec<_>>().join(" "),
        FieldValue::Text(t) => label(t),
        other => other.display(),
    }
}

/// Answers (and repeats) the definition does not know, as JSON; empty when none.
fn other_answers(plan: &Plan, r: &Response) -> String {
    let known: BTreeSet<&str> = plan.main.iter().map(Col::name).collect();
    let mut other: serde_json::Map<String, serde_json::Value> = r
        .answers
        .iter()
        .filter(|(k, _)| !known.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    let unknown_repeats: BTreeMap<&String, &Vec<crate::RepeatRow>> =
        r.repeats.iter().filter(|(k, _)| !plan.repeats.iter().any(|(n, _)| n == *k)).collect();
    if !unknown_repeats.is_empty() {
        other.insert("_repeats".into(), serde_json::to_value(unknown_repeats).unwrap_or_default());
    }
    if other.is_empty() {
        String::new()
    } else {
        serde_json::Value::Object(other).to_string()
    }
}

/// Writes one CSV row (RFC 4180: fields with a comma, quote or line break are quoted).
fn write_row<'a>(f: &mut OutFile, cells: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut first = true;
    for c in cells {
        if !first {
            f.w.write_all(b",")?;
        }
        first = false;
        if c.contains([',', '"', '\n', '\r']) || c.starts_with(' ') || c.ends_with(' ') {
            f.w.write_all(b"\"")?;
            f.w.write_all(c.replace('"', "\"\"").as_bytes())?;
            f.w.write_all(b"\"")?;
        } else {
            f.w.write_all(c.as_bytes())?;
        }
    }
    f.w.write_all(b"\r\n")?;
    f.rows += 1;
    Ok(())
}
