//! Responses: one survey submission each. A response pins its form id and version, may be
//! about a subject, and holds answers (scalars; multi-select as a set) and repeat rows with
//! stable row ids, so that two phones adding household members both keep theirs.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjId, ObjType, ReadDoc, ROOT};
use rusqlite::types::Value as SqlValue;
use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};

use super::subject::expect_kind;
use crate::doc;
use crate::store::{check_name, new_id, summary_from_row, IndexRow, Kind, RecordSummary, SUMMARY_COLS};
use crate::{Error, FieldValue, Result, Store};

/// Where a response is in its life on the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseStatus {
    Draft,
    Submitted,
}

impl ResponseStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ResponseStatus::Draft => "draft",
            ResponseStatus::Submitted => "submitted",
        }
    }
}

/// A response to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewResponse {
    pub form_id: String,
    pub form_version: String,
    pub scope: String,
    pub subject_id: Option<String>,
}

/// One row of a repeat group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatRow {
    pub row_id: String,
    pub answers: BTreeMap<String, FieldValue>,
}

/// A response as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: String,
    pub form_id: String,
    pub form_version: String,
    pub scope: String,
    pub subject_id: Option<String>,
    pub status: String,
    pub answers: BTreeMap<String, FieldValue>,
    /// Repeat name → rows in their order (removed rows left out).
    pub repeats: BTreeMap<String, Vec<RepeatRow>>,
    pub deleted: bool,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// Filters for listing responses; every given part must match. Newest updates first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFilter {
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<String>,
    pub subject_id: Option<String>,
    pub scope: Option<String>,
    /// Only responses updated at or after this time (Unix ms).
    pub updated_since_ms: Option<i64>,
    pub has_conflicts: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl Store {
    /// Starts a response (a draft) for a form version, optionally about a subject.
    pub fn create_response(&self, new: NewResponse) -> Result<String> {
        if new.form_id.trim().is_empty() || new.form_version.trim().is_empty() {
            return Err(Error::invalid("a response needs a form id and version"));
        }
        if let Some(s) = &new.subject_id {
            if self.kind_of(s)? != Kind::Subject {
                return Err(Error::invalid("a response can only be about a subject"));
            }
        }
        self.create(Kind::Response, &new.scope, |tx, _| {
            tx.put(ROOT, "form_id", new.form_id.as_str())?;
            tx.put(ROOT, "form_version", new.form_version.as_str())?;
            if let Some(s) = &new.subject_id {
                tx.put(ROOT, "subject_id", s.as_str())?;
            }
            tx.put(ROOT, "status", ResponseStatus::Draft.as_str())?;
            tx.put_object(ROOT, "answers", ObjType::Map)?;
            tx.put_object(ROOT, "repeats", ObjType::Map)?;
            Ok(())
        })
    }

    /// Saves one answer durably.
    pub fn set_answer(&self, id: &str, name: &str, value: &FieldValue) -> Result<()> {
        check_name(name)?;
        value.check()?;
        self.edit(id, Some(Kind::Response), "answer", |tx| {
            let answers = doc::map_at(tx, &["answers"], true)?.expect("created");
            doc::write_value(tx, &answers, name, value)
        })
    }

    /// Saves several answers (`None` clears) as one change.
    pub fn set_answers(&self, id: &str, answers: &BTreeMap<String, Option<FieldValue>>) -> Result<()> {
        for (k, v) in answers {
            check_name(k)?;
            if let Some(v) = v {
                v.check()?;
            }
        }
        self.edit(id, Some(Kind::Response), "answers", |tx| {
            let obj = doc::map_at(tx, &["answers"], true)?.expect("created");
            for (k, v) in answers {
                match v {
                    Some(v) => doc::write_value(tx, &obj, k, v)?,
                    None => clear(tx, &obj, k)?,
                }
            }
            Ok(())
        })
    }

    /// Clears an answer.
    pub fn clear_answer(&self, id: &str, name: &str) -> Result<()> {
        check_name(name)?;
        self.edit(id, Some(Kind::Response), "clear", |tx| {
            let answers = doc::map_at(tx, &["answers"], true)?.expect("created");
            clear(tx, &answers, name)
        })
    }

    /// Adds a row to a repeat group; returns its stable row id.
    pub fn add_repeat_row(&self, id: &str, repeat: &str) -> Result<String> {
        check_name(repeat)?;
        let row_id = new_id();
        self.edit(id, Some(Kind::Response), "add row", |tx| {
            let rows = doc::map_at(tx, &["repeats", repeat], true)?.expect("created");
            let pos = tx.length(&rows) as i64;
            let row = tx.put_object(&rows, row_id.as_str(), ObjType::Map)?;
            tx.put(&row, "_pos", pos)?;
            Ok(())
        })?;
        Ok(row_id)
    }

    /// Sets (`Some`) or clears (`None`) an answer in a repeat row.
    pub fn set_row_answer(&self, id: &str, repeat: &str, row_id: &str, name: &str, value: Option<&FieldValue>) -> Result<()> {
        check_name(repeat)?;
        check_name(name)?;
        if let Some(v) = value {
            v.check()?;
        }
        self.edit(id, Some(Kind::Response), "row answer", |tx| {
            let row = doc::map_at(tx, &["repeats", repeat, row_id], false)?
                .ok_or_else(|| Error::invalid("no such repeat row"))?;
            match value {
                Some(v) => doc::write_value(tx, &row, name, v),
                None => clear(tx, &row, name),
            }
        })
    }

    /// Removes a repeat row. The row is marked removed, not erased, so an edit made to it
    /// concurrently on another phone is not lost (and the row can be restored).
    pub fn remove_repeat_row(&self, id: &str, repeat: &str, row_id: &str) -> Result<()> {
        self.edit(id, Some(Kind::Response), "remove row", |tx| {
            let row = doc::map_at(tx, &["repeats", repeat, row_id], false)?
                .ok_or_else(|| Error::invalid("no such repeat row"))?;
            tx.put(&row, "_removed", true)?;
            Ok(())
        })
    }

    /// Marks a response submitted (or back to draft). Edits stay possible either way.
    pub fn set_response_status(&self, id: &str, status: ResponseStatus) -> Result<()> {
        self.edit(id, Some(Kind::Response), "status", |tx| {
            tx.put(ROOT, "status", status.as_str())?;
            Ok(())
        })
    }

    /// Reads a response.
    pub fn response(&self, id: &str) -> Result<Response> {
        self.view(id, |d| {
            expect_kind(d, id, Kind::Response)?;
            Ok(read_response(d, id))
        })
    }

    /// Lists responses from the index.
    pub fn list_responses(&self, f: &ResponseFilter) -> Result<Vec<RecordSummary>> {
        let mut sql = format!("SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'response' AND deleted = 0");
        let mut args: Vec<SqlValue> = Vec::new();
        let mut eq = |col: &str, v: &Option<String>, sql: &mut String| {
            if let Some(v) = v {
                args.push(SqlValue::Text(v.clone()));
                *sql += &format!(" AND {col} = ?{}", args.len());
            }
        };
        eq("form_id", &f.form_id, &mut sql);
        eq("form_version", &f.form_version, &mut sql);
        eq("status", &f.status, &mut sql);
        eq("subject_id", &f.subject_id, &mut sql);
        eq("scope", &f.scope, &mut sql);
        if let Some(t) = f.updated_since_ms {
            args.push(SqlValue::Integer(t));
            sql += &format!(" AND updated_at >= ?{}", args.len());
        }
        match f.has_conflicts {
            Some(true) => sql += " AND conflicts > 0",
            Some(false) => sql += " AND conflicts = 0",
            None => {}
        }
        sql += &format!(
            " ORDER BY updated_at DESC LIMIT {} OFFSET {}",
            f.limit.unwrap_or(50).min(10_000),
            f.offset.unwrap_or(0)
        );
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

fn clear<T: automerge::transaction::Transactable + ReadDoc>(tx: &mut T, obj: &ObjId, name: &str) -> Result<()> {
    if tx.get(obj, name)?.is_some() {
        tx.delete(obj, name)?;
    }
    Ok(())
}

pub(crate) fn read_response(d: &Automerge, id: &str) -> Response {
    let mut repeats = BTreeMap::new();
    if let Some(reps) = doc::get_obj(d, &ROOT, "repeats") {
        for name in d.keys(&reps).collect::<Vec<_>>() {
            let Some(rows_obj) = doc::get_obj(d, &reps, &name) else { continue };
            let mut rows: Vec<(i64, RepeatRow)> = Vec::new();
            for row_id in d.keys(&rows_obj).collect::<Vec<_>>() {
                let Some(row) = doc::get_obj(d, &rows_obj, &row_id) else { continue };
                if doc::get_bool(d, &row, "_removed").unwrap_or(false) {
                    continue;
                }
                let pos = doc::get_i64(d, &row, "_pos").unwrap_or(i64::MAX);
                let mut answers = doc::read_fields(d, &row);
                answers.retain(|k, _| !k.starts_with('_'));
                rows.push((pos, RepeatRow { row_id, answers }));
            }
            rows.sort_by(|a, b| (a.0, &a.1.row_id).cmp(&(b.0, &b.1.row_id)));
            repeats.insert(name, rows.into_iter().map(|(_, r)| r).collect());
        }
    }
    Response {
        id: id.to_string(),
        form_id: doc::get_str(d, &ROOT, "form_id").unwrap_or_default(),
        form_version: doc::get_str(d, &ROOT, "form_version").unwrap_or_default(),
        scope: doc::get_str(d, &ROOT, "scope").unwrap_or_default(),
        subject_id: doc::get_str(d, &ROOT, "subject_id"),
        status: doc::get_str(d, &ROOT, "status").unwrap_or_else(|| "draft".into()),
        answers: doc::get_obj(d, &ROOT, "answers").map(|a| doc::read_fields(d, &a)).unwrap_or_default(),
        repeats,
        deleted: doc::get_bool(d, &ROOT, "deleted").unwrap_or(false),
        created_by: doc::get_str(d, &ROOT, "created_by").unwrap_or_default(),
        created_at_ms: doc::get_i64(d, &ROOT, "created_at").unwrap_or(0),
    }
}

pub(crate) fn index(d: &Automerge, ix: &mut IndexRow) {
    ix.form_id = doc::get_str(d, &ROOT, "form_id");
    ix.form_version = doc::get_str(d, &ROOT, "form_version");
    ix.status = doc::get_str(d, &ROOT, "status");
    ix.subject_id = doc::get_str(d, &ROOT, "subject_id");
    ix.title = ix.form_id.clone();
    ix.review = Some(super::review::read_review(d).state.code());
}
