//! Conflicts: fields of a record that hold concurrent values, each with who wrote it, which
//! device and when; the coordinators' worklist of records with conflicts; and resolving one,
//! by writing a value or picking one of those listed. Every resolution is recorded in the
//! record (`resolutions`) and in its history.

use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use super::review::review_map_for_write;
use crate::doc::{self, FieldConflict};
use crate::model::checks::now_ms;
use crate::model::review::ReviewState;
use crate::model::{Kind, RecordSummary};
use crate::{Error, FieldValue, Result, Store};
use automerge::{ReadDoc, ROOT};

/// A record with unresolved conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordConflicts {
    pub summary: RecordSummary,
    pub fields: Vec<FieldConflict>,
}

impl Store {
    /// Every field of record `id` that holds concurrent values, with who wrote each and when.
    pub fn conflicts(&self, id: &str) -> Result<Vec<FieldConflict>> {
        self.view(id, |d| Ok(doc::conflicts(d)))
    }

    /// Resolves the conflict at `path` by writing `value`, which supersedes every concurrent
    /// value; the resolution is recorded in the record. Coordinators only.
    pub fn resolve_conflict(&self, id: &str, path: &str, value: &crate::FieldValue) -> Result<()> {
        value.check()?;
        let identity = self.identity();
        if !identity.role.can_coordinate() {
            return Err(Error::Forbidden(
                "only a coordinator can resolve conflicts".into(),
            ));
        }
        let before = self.conflicts(id)?;
        let Some(conflict) = before.into_iter().find(|c| c.path == path) else {
            return Err(Error::invalid("that field has no conflict to resolve"));
        };
        let replaced =
            serde_json::to_string(&conflict.values.iter().map(|v| &v.value).collect::<Vec<_>>())?;
        self.edit(id, None, "resolve", |tx| {
            doc::write_path(tx, path, value)?;
            let list = match doc::get_obj(tx, &ROOT, "resolutions") {
                Some(l) => l,
                None => tx.put_object(ROOT, "resolutions", automerge::ObjType::List)?,
            };
            let at = tx.length(&list);
            let entry = tx.insert_object(&list, at, automerge::ObjType::Map)?;
            tx.put(&entry, "path", path)?;
            tx.put(&entry, "value", serde_json::to_string(&value.to_json())?)?;
            tx.put(&entry, "replaced", replaced)?;
            tx.put(&entry, "by", identity.user_id.as_str())?;
            tx.put(&entry, "at", now_ms())?;
            Ok(())
        })
    }

    /// Records with unresolved conflicts (optionally of one scope), most recently updated
    /// first, each with every conflicting field and its values. Found through the index;
    /// only the listed records' documents are read.
    pub fn conflicted_records(&self, scope: Option<&str>, limit: u32, offset: u32) -> Result<Vec<RecordConflicts>> {
        let ids = self.conflicted_page(scope, limit, offset)?;
        let mut out = Vec::with_capacity(ids.len());
        for summary in ids {
            let fields = match self.conflicts(&summary.id) {
                Ok(c) => c,
                Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            if !fields.is_empty() {
                out.push(RecordConflicts { summary, fields });
            }
        }
        Ok(out)
    }

    /// Resolves the conflict at `path` by picking the value at `index` of those listed (by
    /// [`Store::conflicts`] or [`Store::conflicted_records`]). The pick supersedes every
    /// concurrent value and is recorded like any resolution. Coordinators only.
    pub fn resolve_conflict_pick(&self, id: &str, path: &str, index: usize) -> Result<()> {
        self.require_coordinator("resolve conflicts")?;
        let conflict = self
            .conflicts(id)?
            .into_iter()
            .find(|c| c.path == path)
            .ok_or_else(|| Error::invalid("that field has no conflict to resolve"))?;
        let picked = conflict
            .values
            .get(index)
            .ok_or_else(|| Error::invalid(format!("pick a value from 0 to {}", conflict.values.len().saturating_sub(1))))?;
        match path {
            "review" => {
                let state = picked
                    .value
                    .get("state")
                    .and_then(|s| s.as_str())
                    .and_then(ReviewState::parse)
                    .unwrap_or(ReviewState::Received);
                self.edit(id, Some(Kind::Response), "resolve", |tx| {
                    let review = review_map_for_write(tx)?;
                    tx.put(&review, "state", state.as_str())?;
                    Ok(())
                })
            }
            "merged_from" => self.settle_merge_records(id),
            _ => self.resolve_conflict(id, path, &field_value_from_json(&picked.value)?),
        }
    }
}

/// Reads a field value written as JSON: a boolean, number, text, a list of choices, or a
/// multi-select as listed in a conflict (choice → true).
pub fn field_value_from_json(v: &serde_json::Value) -> Result<FieldValue> {
    use serde_json::Value as J;
    let value = match v {
        J::Bool(b) => FieldValue::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::Int(i),
            None => FieldValue::Decimal(n.as_f64().ok_or_else(|| Error::invalid("a number is out of range"))?),
        },
        J::String(s) => FieldValue::Text(s.clone()),
        J::Array(items) => FieldValue::Choices(
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| Error::invalid("a list of choices holds only text")))
                .collect::<Result<_>>()?,
        ),
        J::Object(m) => {
            if m.values().any(|x| !x.is_boolean()) {
                return Err(Error::invalid("this value is a structure, not a field value; write a new value instead"));
            }
            FieldValue::Choices(m.iter().filter(|(_, x)| x.as_bool() == Some(true)).map(|(k, _)| k.clone()).collect())
        }
        J::Null => return Err(Error::invalid("an empty value cannot be written; write a value")),
    };
    value.check()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_become_field_values() {
        use serde_json::json;
        assert_eq!(field_value_from_json(&json!(3)).unwrap(), FieldValue::Int(3));
        assert_eq!(field_value_from_json(&json!(2.5)).unwrap(), FieldValue::Decimal(2.5));
        assert_eq!(field_value_from_json(&json!("x")).unwrap(), FieldValue::Text("x".into()));
        let c = field_value_from_json(&json!({"loan": true, "market": false})).unwrap();
        assert_eq!(c, FieldValue::Choices(["loan".to_string()].into_iter().collect()));
        assert_eq!(field_value_from_json(&json!(["a", "b"])).unwrap().display(), "a b");
        assert!(field_value_from_json(&json!(null)).is_err());
        assert!(field_value_from_json(&json!({"state": "approved"})).is_err());
        assert!(field_value_from_json(&json!([1])).is_err());
    }
}
