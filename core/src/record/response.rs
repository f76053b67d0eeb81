//! Responses: one survey submission each. A response pins its form id and version, may be
//! about a subject, and holds answers (scalars; multi-select as a set) and repeat rows with
//! stable row ids, so that two phones adding household members both keep theirs.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ROOT};

use crate::doc;
use crate::record::media::reconcile_media;
use crate::model::checks::{check_answer_key, new_id};
use crate::model::response::{read_response, NewResponse, Response, ResponseStatus};
use crate::model::{expect_kind, Kind};
use crate::{Error, FieldValue, Result, Store};

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
        check_answer_key(name)?;
        value.check()?;
        let media = self.media_entries(std::iter::once(value))?;
        self.edit(id, Some(Kind::Response), "answer", |tx| {
            let answers = doc::map_at(tx, &["answers"], true)?.expect("created");
            doc::write_value(tx, &answers, name, value)?;
            reconcile_media(tx, &media)
        })
    }

    /// Saves several answers (`None` clears) as one change.
    pub fn set_answers(&self, id: &str, answers: &BTreeMap<String, Option<FieldValue>>) -> Result<()> {
        for (k, v) in answers {
            check_answer_key(k)?;
            if let Some(v) = v {
                v.check()?;
            }
        }
        let media = self.media_entries(crate::record::media::written(answers))?;
        self.edit(id, Some(Kind::Response), "answers", |tx| {
            let obj = doc::map_at(tx, &["answers"], true)?.expect("created");
            for (k, v) in answers {
                match v {
                    Some(v) => doc::write_value(tx, &obj, k, v)?,
                    None => clear(tx, &obj, k)?,
                }
            }
            reconcile_media(tx, &media)
        })
    }

    /// Clears an answer.
    pub fn clear_answer(&self, id: &str, name: &str) -> Result<()> {
        check_answer_key(name)?;
        self.edit(id, Some(Kind::Response), "clear", |tx| {
            let answers = doc::map_at(tx, &["answers"], true)?.expect("created");
            clear(tx, &answers, name)?;
            reconcile_media(tx, &[])
        })
    }

    /// Adds a row to a repeat group; returns its stable row id.
    pub fn add_repeat_row(&self, id: &str, repeat: &str) -> Result<String> {
        check_answer_key(repeat)?;
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

    /// Adds a row to a repeat inside a repeat: `repeat`'s rows of the row `parent_row` of the
    /// enclosing repeat `parent_repeat` (the children of one household member). Returns the
    /// new row's id.
    pub fn add_nested_repeat_row(&self, id: &str, repeat: &str, parent_repeat: &str, parent_row: &str) -> Result<String> {
        check_answer_key(repeat)?;
        check_answer_key(parent_repeat)?;
        if repeat == parent_repeat {
            return Err(Error::invalid("a repeat row cannot belong to a row of the same repeat"));
        }
        let row_id = new_id();
        self.edit(id, Some(Kind::Response), "add row", |tx| {
            let parent = doc::map_at(tx, &["repeats", parent_repeat, parent_row], false)?;
            if parent.is_none() {
                return Err(Error::invalid("no such row in the enclosing repeat"));
            }
            let rows = doc::map_at(tx, &["repeats", repeat], true)?.expect("created");
            let pos = tx.length(&rows) as i64;
            let row = tx.put_object(&rows, row_id.as_str(), ObjType::Map)?;
            tx.put(&row, "_pos", pos)?;
            tx.put(&row, "_parent", parent_row)?;
            Ok(())
        })?;
        Ok(row_id)
    }

    /// Sets (`Some`) or clears (`None`) an answer in a repeat row.
    pub fn set_row_answer(&self, id: &str, repeat: &str, row_id: &str, name: &str, value: Option<&FieldValue>) -> Result<()> {
        check_answer_key(repeat)?;
        check_answer_key(name)?;
        if let Some(v) = value {
            v.check()?;
        }
        let media = self.media_entries(value.into_iter())?;
        self.edit(id, Some(Kind::Response), "row answer", |tx| {
            let row = doc::map_at(tx, &["repeats", repeat, row_id], false)?
                .ok_or_else(|| Error::invalid("no such repeat row"))?;
            match value {
                Some(v) => doc::write_value(tx, &row, name, v)?,
                None => clear(tx, &row, name)?,
            }
            reconcile_media(tx, &media)
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

}

fn clear<T: automerge::transaction::Transactable + ReadDoc>(tx: &mut T, obj: &ObjId, name: &str) -> Result<()> {
    if tx.get(obj, name)?.is_some() {
        tx.delete(obj, name)?;
    }
    Ok(())
}
