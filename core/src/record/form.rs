//! Forms in the store: publishing a definition as a `form` record (one record per version),
//! finding forms, the live state of a response, validation on submit (flagged on the
//! response, never dropping data) and moving a draft to the newest version of its form.
//!
//! ```
//! use sangam_core::{Store, Identity, Role, NewResponse, FieldValue, ResponseStatus};
//! use sangam_core::forms::{definition::*, expr::Clock};
//! let store = Store::open_in_memory(Identity::new("admin1", "Admin", Role::Admin)).unwrap();
//! let mut q = Question::new("age", QuestionType::Integer);
//! q.label.insert("default".into(), "Age".into());
//! q.required = Some("true()".into());
//! let def = FormDefinition {
//!     form_id: "hh".into(), version: "1".into(), title: "Household".into(),
//!     default_language: "default".into(), languages: vec!["default".into()],
//!     items: vec![Item::Question(q)], choice_lists: Default::default(), settings: Default::default(),
//! };
//! store.publish_form(&def, "UP-SIT").unwrap();
//! let r = store.create_response(NewResponse {
//!     form_id: "hh".into(), form_version: "1".into(), scope: "UP-SIT".into(), subject_id: None,
//! }).unwrap();
//! let report = store.submit_response(&r, None, Clock::system()).unwrap();
//! assert!(!report.ok); // flagged: age is required …
//! assert_eq!(store.response(&r).unwrap().status, ResponseStatus::Submitted); // … and kept.
//! ```

use std::cmp::Ordering;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};
use serde::{Deserialize, Serialize};

use crate::doc;
use crate::forms::definition::FormDefinition;
use crate::forms::expr::Clock;
use crate::forms::migrate::{self, Decision};
use crate::forms::state::{CompiledForm, FormState, LiveForm, Violation};
use crate::model::checks::now_ms;
pub use crate::model::form::compare_versions;
use crate::model::{Kind, Role};
use crate::{Error, Result, Store};

pub use crate::forms::migrate::{LeftOut, MigrationReport};

/// The outcome of validating a response, as stored on it under `validation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    pub response_id: String,
    pub form_version: String,
    /// True when nothing is flagged.
    pub ok: bool,
    pub violations: Vec<Violation>,
    pub checked_at_ms: i64,
    pub checked_by: String,
    /// Subjects this submission created or updated from the form's entities sheet.
    #[serde(default)]
    pub subjects: Vec<String>,
}

impl Store {
    /// Publishes `def` as a new `form` record in `scope` (admins only). Each (form id,
    /// version) is published once: a changed form needs a new version.
    pub fn publish_form(&self, def: &FormDefinition, scope: &str) -> Result<String> {
        self.publish_form_with_files(def, scope, &[])
    }

    /// Publishes a form with its attachments: the CSV, XML and GeoJSON files its
    /// `select_one_from_file` questions, `instance('x')` lookups and `pulldata()` read, and any
    /// media its labels show, as (file name, bytes). Each file goes into the media area and
    /// the form record names it (`media` map: the file's media name → `{size, type, file}`),
    /// so devices fetch it after the records, as they fetch photos.
    pub fn publish_form_with_files(&self, def: &FormDefinition, scope: &str, files: &[(String, Vec<u8>)]) -> Result<String> {
        let mut named = Vec::new();
        for (file, bytes) in files {
            let ok = !file.is_empty()
                && file.len() <= 100
                && !file.starts_with('.')
                && file.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !ok {
                return Err(Error::invalid(format!("'{}' is not a form attachment's file name (letters, digits, '.', '-', '_')", file.chars().take(60).collect::<String>())));
            }
            if crate::forms::attachments::AttachmentKind::of(file).is_some() {
                crate::forms::attachments::parse(file, bytes).map_err(|e| Error::invalid(format!("attachment {file}: {e}")))?;
            }
            let ext = file.rsplit_once('.').map(|(_, e)| e).unwrap_or("bin");
            let mime = form_file_type(file);
            named.push((file.clone(), self.put_media(bytes, ext, Some(mime))?, bytes.len()));
        }
        self.publish_form_inner(def, scope, &named)
    }

    fn publish_form_inner(&self, def: &FormDefinition, scope: &str, files: &[(String, crate::media::MediaName, usize)]) -> Result<String> {
        if self.identity().role != Role::Admin {
            return Err(Error::Forbidden("only an admin can publish forms".into()));
        }
        if def.form_id.trim().is_empty() || def.version.trim().is_empty() {
            return Err(Error::invalid("a form needs a form id and a version"));
        }
        if let Err(issues) = CompiledForm::new(def.clone()) {
            let first: Vec<String> = issues.iter().take(3).map(|i| format!("{} ({}): {}", i.item, i.column, i.message)).collect();
            return Err(Error::invalid(format!("the form has {} problem(s): {}", issues.len(), first.join("; "))));
        }
        if self.form_record_id(&def.form_id, &def.version)?.is_some() {
            return Err(Error::invalid(format!(
                "form {} version {} is already published; give the changed form a higher version",
                def.form_id, def.version
            )));
        }
        let json = def.to_json()?;
        self.create(Kind::Form, scope, |tx, _| {
            tx.put(ROOT, "form_id", def.form_id.as_str())?;
            tx.put(ROOT, "form_version", def.version.as_str())?;
            tx.put(ROOT, "title", def.title.as_str())?;
            tx.put(ROOT, "definition", json.as_str())?;
            if !files.is_empty() {
                let map = tx.put_object(ROOT, "media", ObjType::Map)?;
                for (file, name, size) in files {
                    let entry = tx.put_object(&map, name.as_str(), ObjType::Map)?;
                    tx.put(&entry, "size", *size as i64)?;
                    tx.put(&entry, "type", form_file_type(file))?;
                    tx.put(&entry, "file", file.as_str())?;
                }
            }
            Ok(())
        })
    }

    /// The attachments of form record `id`: (file name in the form, media name), whether or
    /// not this store has each file yet.
    pub fn form_files(&self, id: &str) -> Result<Vec<(String, String)>> {
        self.view(id, |d| {
            let mut out = Vec::new();
            for map in crate::model::response::media_maps(d) {
                for (name, entry) in doc::child_maps(d, &map) {
                    if let Some(file) = doc::get_str(d, &entry, "file") {
                        if crate::media::MediaName::parse(&name).is_some() && !out.iter().any(|(f, _)| f == &file) {
                            out.push((file, name));
                        }
                    }
                }
            }
            Ok(out)
        })
    }


    /// The definition of `form_id` at `version`, or its newest version when `None`.
    pub fn form_definition(&self, form_id: &str, version: Option<&str>) -> Result<FormDefinition> {
        let version = match version {
            Some(v) => v.to_string(),
            None => self.newest_form_version(form_id)?.ok_or_else(|| Error::NotFound(format!("form {form_id}")))?,
        };
        let id = self.form_record_id(form_id, &version)?.ok_or_else(|| Error::NotFound(format!("form {form_id} version {version}")))?;
        self.form_definition_by_record(&id)
    }

    /// The definition stored in form record `id`.
    pub fn form_definition_by_record(&self, id: &str) -> Result<FormDefinition> {
        let json = self.view(id, |d| {
            if doc::get_str(d, &ROOT, "kind").as_deref() != Some(Kind::Form.as_str()) {
                return Err(Error::invalid(format!("record {id} is not a form")));
            }
            doc::get_str(d, &ROOT, "definition").ok_or_else(|| Error::invalid(format!("form record {id} has no definition")))
        })?;
        FormDefinition::from_json(&json)
    }

    /// Starts a response as ODK does on its first load: every question of its form with a
    /// `default` (a literal, or an expression evaluated now, `today()` say) and no answer gets
    /// it, saved with the response as one change. Call once, right after
    /// [`Store::create_response`]. A response whose form is not published on this device is
    /// left as it is. Returns the names of the questions that got a default.
    pub fn start_response(&self, response_id: &str, clock: Clock) -> Result<Vec<String>> {
        let r = self.response(response_id)?;
        let mut live = match self.live_of(&r, clock) {
            Ok(l) => l,
            Err(Error::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if let Some(last) = self.last_saved_answers(live.form(), response_id)? {
            live.set_last_saved(&last);
        }
        live.start_response();
        let (answers, _) = live.answers();
        let fresh: std::collections::BTreeMap<String, Option<crate::FieldValue>> =
            answers.into_iter().filter(|(k, v)| r.answers.get(k) != Some(v)).map(|(k, v)| (k, Some(v))).collect();
        if !fresh.is_empty() {
            self.set_answers(response_id, &fresh)?;
        }
        Ok(fresh.into_keys().collect())
    }

    /// Adds a row to a repeat (inside the row `parent` = (enclosing repeat, its row) for a
    /// repeat in a repeat) and saves what the form gives a new row, as ODK does on
    /// `odk-new-repeat`: its questions' defaults and its `once()` values. Returns the row id.
    /// A response whose form is not published here gets an empty row.
    pub fn start_repeat_row(&self, response_id: &str, repeat: &str, parent: Option<(&str, &str)>, clock: Clock) -> Result<String> {
        let r = self.response(response_id)?;
        let live = match self.live_of(&r, clock) {
            Ok(live) => Some(live),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let row_id = match parent {
            Some((parent_repeat, parent_row)) => self.add_nested_repeat_row(response_id, repeat, parent_repeat, parent_row)?,
            None => self.add_repeat_row(response_id, repeat)?,
        };
        let Some(mut live) = live else { return Ok(row_id) };
        if live.add_row_in(repeat, &row_id, parent.map(|(_, p)| p)).is_err() {
            // Not a repeat of this form: the row stays as the store made it.
            return Ok(row_id);
        }
        let (_, repeats) = live.answers();
        let given = repeats.get(repeat).and_then(|rows| rows.iter().find(|x| x.row_id == row_id)).map(|x| x.answers.clone()).unwrap_or_default();
        for (name, value) in given {
            self.set_row_answer(response_id, repeat, &row_id, &name, Some(&value))?;
        }
        Ok(row_id)
    }

    /// A [`LiveForm`] over a response's answers, for a screen to keep and update as the
    /// person answers (see [`LiveForm::set_answer`]).
    pub fn live_form(&self, response_id: &str, clock: Clock) -> Result<LiveForm> {
        let mut live = self.live_form_only(response_id, clock)?;
        if let Some(last) = self.last_saved_answers(live.form(), response_id)? {
            live.set_last_saved(&last);
        }
        Ok(live)
    }

    /// The live form of a response without the last saved response (which only gives
    /// defaults to new rows): what checking a response needs.
    fn live_form_only(&self, response_id: &str, clock: Clock) -> Result<LiveForm> {
        let r = self.response(response_id)?;
        self.live_of(&r, clock)
    }

    /// The answers of the response of `form`'s form this store's user saved last, other than
    /// `except` (ODK's last-saved instance, read by `${last-saved#q}`); `None` when there is
    /// none, or the form reads no last-saved value.
    fn last_saved_answers(&self, form: &CompiledForm, except: &str) -> Result<Option<std::collections::BTreeMap<String, crate::FieldValue>>> {
        if !form.reads_last_saved() {
            return Ok(None);
        }
        let form_id = form.definition().form_id.as_str();
        let me = self.identity().user_id;
        let recent = self.list_responses(&crate::ResponseFilter { form_id: Some(form_id.to_string()), limit: Some(50), ..Default::default() })?;
        for s in recent.into_iter().filter(|s| s.id != except) {
            let other = self.response(&s.id)?;
            if other.created_by == me {
                return Ok(Some(other.answers));
            }
        }
        Ok(None)
    }




    /// The live state of a response in `language` (the form's default when `None`).
    pub fn response_form_state(&self, response_id: &str, language: Option<&str>, clock: Clock) -> Result<FormState> {
        let mut live = self.live_form_only(response_id, clock)?;
        live.set_language(language);
        Ok(live.state(language))
    }


    /// Validates, flags and marks a response submitted, in one change. A response that
    /// breaks constraints is still submitted: offline data is never lost, it is flagged.
    ///
    /// A form with an entities sheet then creates or updates subjects, as ODK creates and
    /// updates entities: the entity list is the subject type, the label the subject's `name`
    /// and each `save_to` property an attribute. A created subject becomes the response's
    /// subject, so submitting the response again updates it instead of making another; an
    /// update names its subject by `entity_id` (a follow-up form's choice of subject). An
    /// update of a subject this device does not hold is skipped.
    pub fn submit_response(&self, response_id: &str, language: Option<&str>, clock: Clock) -> Result<ValidationReport> {
        let mut report = self.check_and_flag(response_id, language, clock, true)?;
        report.subjects = self.carry_out_entities(response_id, clock)?;
        Ok(report)
    }

    fn carry_out_entities(&self, response_id: &str, clock: Clock) -> Result<Vec<String>> {
        use crate::forms::state::EntityOp;
        let live = self.live_form(response_id, clock)?;
        let actions = live.entity_actions();
        if actions.is_empty() {
            return Ok(Vec::new());
        }
        let response = self.response(response_id)?;
        let mut touched = Vec::new();
        for a in actions {
            let mut attrs: std::collections::BTreeMap<String, crate::FieldValue> = a.properties.clone();
            if let Some(label) = &a.label {
                attrs.entry("name".into()).or_insert_with(|| crate::FieldValue::Text(label.clone()));
            }
            let is_subject = |id: &str| matches!(self.kind_of(id), Ok(Kind::Subject));
            // This response's own subject of that list, made by an earlier submission.
            let own = response
                .subject_id
                .clone()
                .filter(|s| is_subject(s) && self.subject(s).map(|x| x.subject_type == a.dataset).unwrap_or(false));
            let target = match a.op {
                EntityOp::Nothing => continue,
                EntityOp::Create => own.clone(),
                EntityOp::Update | EntityOp::CreateOrUpdate => a.entity_id.clone().filter(|id| is_subject(id)).or(own.clone()),
            };
            match (target, a.op) {
                (Some(id), _) => {
                    self.update_subject(&id, attrs.into_iter().map(|(k, v)| (k, Some(v))).collect())?;
                    touched.push(id);
                }
                (None, EntityOp::Create | EntityOp::CreateOrUpdate) => {
                    let mut new = crate::NewSubject::new(&a.dataset, &response.scope);
                    new.attrs = attrs;
                    let id = self.create_subject(new)?;
                    if response.subject_id.is_none() {
                        self.edit(response_id, Some(Kind::Response), "entity", |tx| {
                            tx.put(ROOT, "subject_id", id.as_str())?;
                            Ok(())
                        })?;
                    }
                    touched.push(id);
                }
                (None, _) => tracing::info!(dataset = %a.dataset, "an entity update names no subject held here; skipped"),
            }
        }
        Ok(touched)
    }

}

impl Store {
    /// Moves a draft to the newest published version of its form: every answer whose
    /// question still exists, in the same place, with a compatible type and a fitting value is
    /// kept (converted where needed); the rest is removed from the answers but kept in the
    /// response's `migrations` record, and reported.
    pub fn move_draft_to_newest(&self, response_id: &str) -> Result<MigrationReport> {
        let r = self.response(response_id)?;
        if r.status != crate::ResponseStatus::Draft {
            return Err(Error::invalid("only a draft can be moved to a new form version"));
        }
        let newest = self.newest_form_version(&r.form_id)?.ok_or_else(|| Error::NotFound(format!("form {}", r.form_id)))?;
        let mut report = MigrationReport {
            from_version: r.form_version.clone(),
            to_version: newest.clone(),
            kept: 0,
            converted: Vec::new(),
            left_out: Vec::new(),
        };
        if compare_versions(&newest, &r.form_version) != Ordering::Greater {
            return Ok(report);
        }
        let new = self.form_definition(&r.form_id, Some(&newest))?;
        let old = match self.form_definition(&r.form_id, Some(&r.form_version)) {
            Ok(d) => Some(d),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let plan = migrate::plan(old.as_ref(), &new, &r.answers, &r.repeats);
        let mut writes: Vec<(Vec<String>, String, Option<crate::FieldValue>)> = Vec::new();
        let mut tally = |path: Vec<String>, name: &str, repeat: Option<&str>, row: Option<&str>, value: &crate::FieldValue, d: Decision| {
            match d {
                Decision::Keep => report.kept += 1,
                Decision::Convert(v, partial) => {
                    report.converted.push(name.to_string());
                    if let Some(mut p) = partial {
                        p.repeat = repeat.map(str::to_string);
                        p.row_id = row.map(str::to_string);
                        report.left_out.push(p);
                    }
                    writes.push((path, name.to_string(), Some(v)));
                }
                Decision::Leave(reason) => {
                    report.left_out.push(LeftOut {
                        question: name.to_string(),
                        repeat: repeat.map(str::to_string),
                        row_id: row.map(str::to_string),
                        value: value.clone(),
                        reason,
                    });
                    writes.push((path, name.to_string(), None));
                }
            }
        };
        for (name, value, d) in plan.answers {
            tally(vec!["answers".into()], &name, None, None, &value, d);
        }
        for (rep, row, name, value, d) in plan.rows {
            tally(vec!["repeats".into(), rep.clone(), row.clone()], &name, Some(&rep), Some(&row), &value, d);
        }
        let left_json = serde_json::to_string(&report.left_out)?;
        let by = self.identity().user_id;
        self.edit(response_id, Some(Kind::Response), "move to new form version", |tx| {
            for (path, name, value) in &writes {
                let segs: Vec<&str> = path.iter().map(String::as_str).collect();
                let Some(obj) = doc::map_at(tx, &segs, false)? else { continue };
                match value {
                    Some(v) => doc::write_value(tx, &obj, name, v)?,
                    None => {
                        if tx.get(&obj, name.as_str())?.is_some() {
                            tx.delete(&obj, name.as_str())?;
                        }
                    }
                }
            }
            tx.put(ROOT, "form_version", newest.as_str())?;
            let list = match doc::get_obj(tx, &ROOT, "migrations") {
                Some(l) => l,
                None => tx.put_object(ROOT, "migrations", ObjType::List)?,
            };
            let at = tx.length(&list);
            let entry = tx.insert_object(&list, at, ObjType::Map)?;
            tx.put(&entry, "from_version", report.from_version.as_str())?;
            tx.put(&entry, "to_version", report.to_version.as_str())?;
            tx.put(&entry, "left_out", left_json.as_str())?;
            tx.put(&entry, "at", now_ms())?;
            tx.put(&entry, "by", by.as_str())?;
            Ok(())
        })?;
        tracing::debug!(kept = report.kept, left_out = report.left_out.len(), "draft moved to a new form version");
        Ok(report)
    }

    /// What earlier moves to new form versions left out of a response, oldest first.
    pub fn migration_history(&self, response_id: &str) -> Result<Vec<MigrationReport>> {
        self.view(response_id, |d| {
            let Some(list) = doc::get_obj(d, &ROOT, "migrations") else { return Ok(Vec::new()) };
            let mut out = Vec::new();
            for i in 0..d.length(&list) {
                let Ok(Some((automerge::Value::Object(_), entry))) = d.get(&list, i) else { continue };
                let left_out: Vec<LeftOut> = doc::get_str(d, &entry, "left_out")
                    .map(|s| serde_json::from_str(&s))
                    .transpose()?
                    .unwrap_or_default();
                out.push(MigrationReport {
                    from_version: doc::get_str(d, &entry, "from_version").unwrap_or_default(),
                    to_version: doc::get_str(d, &entry, "to_version").unwrap_or_default(),
                    kept: 0,
                    converted: Vec::new(),
                    left_out,
                });
            }
            Ok(out)
        })
    }
}

/// The media type of a form attachment, by its extension.
fn form_file_type(file: &str) -> &'static str {
    let lower = file.to_ascii_lowercase();
    match lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("") {
        "csv" => "text/csv",
        "xml" => "application/xml",
        "geojson" => "application/geo+json",
        "json" => "application/json",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}
