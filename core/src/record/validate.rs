//! Validating responses against their form version: the live form of a response, the result
//! flagged on the response under `validation` (answers are never changed or removed), and the
//! hub's check of each submitted response it takes in.
//!
//! A hub checks a pushed submitted response inside the transaction that stored it, with the
//! document it has just applied and a [`FormKit`] (the compiled form and its files) prepared
//! once per form version per sync request. So a check costs one evaluation of the form, not a
//! reload of the record, several lookups of its form and a transaction of its own.

use std::collections::HashMap;
use std::sync::Arc;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ReadDoc, ROOT};

use super::form::ValidationReport;
use crate::doc;
use crate::forms::expr::{Clock, InstanceItems};
use crate::forms::state::{CompiledForm, FormState, LiveForm};
use crate::model::checks::now_ms;
use crate::model::response::read_response;
use crate::model::Kind;
use crate::ResponseStatus;
use crate::store::Inner;
use crate::{Error, Result, Store};

/// A form record, by id, at the heads it is stored at.
pub(super) struct FormRecord {
    pub(super) id: String,
    pub(super) heads: Vec<u8>,
}

/// What evaluating responses of one form version needs: the compiled form and the parsed
/// files it reads (`select_one_from_file`, `instance('x')`, `pulldata()`).
pub(crate) struct FormKit {
    compiled: Arc<CompiledForm>,
    items: Arc<Vec<(String, InstanceItems)>>,
}

impl FormKit {
    /// The live form of `answers` and `repeats` under this form version.
    pub(crate) fn live(&self, r: &crate::Response, clock: Clock) -> LiveForm {
        let mut live = LiveForm::new(self.compiled.clone(), &r.answers, &r.repeats, clock);
        for (file, items) in self.items.iter() {
            live.set_items(file, items.clone());
        }
        live
    }
}

/// Form kits by (form id, version), `None` for a version not published here; kept for one
/// sync request.
pub(crate) type FormKits = HashMap<(String, String), Option<FormKit>>;

impl Store {
    /// The record of form `form_id` at `version` and its stored heads, looked up once for
    /// everything derived from it (its compiled form, its files).
    pub(super) fn form_record(&self, form_id: &str, version: &str) -> Result<FormRecord> {
        let id = self.form_record_id(form_id, version)?.ok_or_else(|| Error::NotFound(format!("form {form_id} version {version}")))?;
        let heads = self.stored_heads(&id)?;
        Ok(FormRecord { id, heads })
    }

    /// The compiled form of `form`, compiled once per version of its record.
    pub(super) fn compiled_form(&self, form: &FormRecord) -> Result<Arc<CompiledForm>> {
        self.derived_at(&form.id, form.heads.clone(), || {
            let def = self.form_definition_by_record(&form.id)?;
            CompiledForm::new(def).map_err(|i| Error::invalid(format!("the stored form has {} problem(s)", i.len())))
        })
    }

    /// The attachments of `form` that this store has whole, parsed. A file that cannot be
    /// read is left out (its questions offer no choices) rather than stopping the form; it was
    /// checked when published.
    fn form_items(&self, form: &FormRecord) -> Result<Arc<Vec<(String, InstanceItems)>>> {
        let id = &form.id;
        // The list, kept while the form record is unchanged (read for every validation).
        let files = self.derived_at(&format!("{id}#file-list"), form.heads.clone(), || self.form_files(id))?;
        if files.is_empty() {
            return Ok(Arc::new(Vec::new()));
        }
        let mut here = Vec::new();
        for (file, name) in files.iter() {
            if self.media_info(name)?.is_some_and(|i| i.complete) {
                here.push((file.clone(), name.clone()));
            }
        }
        let read = |here: &[(String, String)]| -> Result<Vec<(String, InstanceItems)>> {
            let mut out = Vec::new();
            for (file, name) in here {
                if let Ok(items) = crate::forms::attachments::parse(file, &self.media_bytes(name)?) {
                    out.push((file.clone(), items));
                }
            }
            Ok(out)
        };
        // Read once and kept while the form record is unchanged, once every file is here.
        if here.len() == files.len() {
            self.derived_at(&format!("{id}#files"), form.heads.clone(), || read(&here))
        } else {
            Ok(Arc::new(read(&here)?))
        }
    }

    /// The kit of form `form_id` at `version`; `None` when that version is not published here.
    pub(crate) fn form_kit(&self, form_id: &str, version: &str) -> Result<Option<FormKit>> {
        let form = match self.form_record(form_id, version) {
            Ok(f) => f,
            Err(Error::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(FormKit { compiled: self.compiled_form(&form)?, items: self.form_items(&form)? }))
    }

    /// The live form of response `r`: its form version compiled, with the form's files.
    /// `NotFound` when that form version is not published here.
    pub(super) fn live_of(&self, r: &crate::Response, clock: Clock) -> Result<LiveForm> {
        let kit = self
            .form_kit(&r.form_id, &r.form_version)?
            .ok_or_else(|| Error::NotFound(format!("form {} version {}", r.form_id, r.form_version)))?;
        Ok(kit.live(r, clock))
    }

    /// Validates a response against its form version and flags the result on the response
    /// (under `validation`). Answers are never changed or removed.
    pub fn validate_response(&self, response_id: &str, language: Option<&str>, clock: Clock) -> Result<ValidationReport> {
        self.check_and_flag(response_id, language, clock, false)
    }

    /// The validation last flagged on a response, if any.
    pub fn response_validation(&self, response_id: &str) -> Result<Option<ValidationReport>> {
        self.view(response_id, |d| {
            let Some(v) = doc::get_obj(d, &ROOT, "validation") else { return Ok(None) };
            let violations = doc::get_str(d, &v, "violations")
                .map(|s| serde_json::from_str(&s))
                .transpose()?
                .unwrap_or_default();
            Ok(Some(ValidationReport {
                response_id: response_id.to_string(),
                form_version: doc::get_str(d, &v, "form_version").unwrap_or_default(),
                ok: doc::get_bool(d, &v, "ok").unwrap_or(false),
                violations,
                checked_at_ms: doc::get_i64(d, &v, "checked_at").unwrap_or(0),
                checked_by: doc::get_str(d, &v, "checked_by").unwrap_or_default(),
                subjects: Vec::new(),
            }))
        })
    }

    /// Validates and flags a response, marking it submitted too when `submit`.
    pub(super) fn check_and_flag(&self, response_id: &str, language: Option<&str>, clock: Clock, submit: bool) -> Result<ValidationReport> {
        let state = self.response_form_state(response_id, language, clock)?;
        let flag = Flag::of(response_id, state, self.identity().user_id)?;
        // An unchanged result writes nothing, and so takes no write lock.
        if self.view(response_id, |d| Ok(flag.is_on(d) && (!submit || is_submitted(d))))? {
            return Ok(flag.report);
        }
        let message = if submit { "submit" } else { "validate" };
        self.edit(response_id, Some(Kind::Response), message, |tx| flag.write(tx, submit))?;
        tracing::debug!(ok = flag.report.ok, flagged = flag.report.violations.len(), "response checked");
        Ok(flag.report)
    }
}

/// A validation result and its violations as stored (JSON text).
struct Flag {
    report: ValidationReport,
    violations: String,
}

impl Flag {
    fn of(response_id: &str, state: FormState, checked_by: String) -> Result<Flag> {
        let text = serde_json::to_string(&state.violations)?;
        let report = ValidationReport {
            response_id: response_id.to_string(),
            form_version: state.form_version,
            ok: state.violations.is_empty(),
            violations: state.violations,
            checked_at_ms: now_ms(),
            checked_by,
            subjects: Vec::new(),
        };
        Ok(Flag { report, violations: text })
    }

    /// Whether `d` is flagged with this result already (who checked and when aside).
    fn is_on(&self, d: &impl ReadDoc) -> bool {
        doc::get_obj(d, &ROOT, "validation")
            .map(|v| {
                doc::get_str(d, &v, "violations").as_deref() == Some(self.violations.as_str())
                    && doc::get_str(d, &v, "form_version").as_deref() == Some(self.report.form_version.as_str())
            })
            .unwrap_or(false)
    }

    /// Flags the result (unless it is flagged already: re-writing an unchanged result would
    /// only make concurrent checks conflict) and, with `submit`, marks the response submitted.
    fn write(&self, tx: &mut automerge::transaction::Transaction<'_>, submit: bool) -> Result<()> {
        if !self.is_on(tx) {
            let r = &self.report;
            let v = tx.put_object(ROOT, "validation", ObjType::Map)?;
            tx.put(&v, "ok", r.ok)?;
            tx.put(&v, "form_version", r.form_version.as_str())?;
            tx.put(&v, "violations", self.violations.as_str())?;
            tx.put(&v, "checked_at", r.checked_at_ms)?;
            tx.put(&v, "checked_by", r.checked_by.as_str())?;
        }
        if submit {
            tx.put(ROOT, "status", ResponseStatus::Submitted.as_str())?;
        }
        Ok(())
    }
}

fn is_submitted(d: &impl ReadDoc) -> bool {
    doc::get_str(d, &ROOT, "status").as_deref() == Some(ResponseStatus::Submitted.as_str())
}

/// The form id and version of `d` when it is a submitted response: what a hub checks.
pub(crate) fn submitted_form(d: &Automerge) -> Option<(String, String)> {
    if doc::get_str(d, &ROOT, "kind").as_deref() != Some(Kind::Response.as_str()) || !is_submitted(d) {
        return None;
    }
    Some((doc::get_str(d, &ROOT, "form_id")?, doc::get_str(d, &ROOT, "form_version")?))
}

/// Checks submitted response `id`, stored in the caller's transaction, against `kit`, and
/// flags a result that differs from the one on it (in a savepoint: a failure leaves the
/// caller's transaction as it was).
pub(crate) fn check_landed(inner: &mut Inner, id: &str, kit: &FormKit, clock: Clock) -> Result<()> {
    let checked_by = inner.identity().user_id.clone();
    let (flag, on) = inner.with_doc(id, |d| {
        let response = read_response(d, id);
        let state = kit.live(&response, clock).state(None);
        let flag = Flag::of(id, state, checked_by)?;
        let on = flag.is_on(d);
        Ok((flag, on))
    })?;
    if on {
        return Ok(());
    }
    let own = inner.begin()?;
    let out = Store::edit_in(inner, id, Some(Kind::Response), "validate", |tx| flag.write(tx, false));
    inner.finish(own, out.is_ok())?;
    tracing::debug!(ok = flag.report.ok, flagged = flag.report.violations.len(), "response checked");
    out
}
