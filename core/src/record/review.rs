//! What coordinators check at the district office (DESIGN §7): the review state of each
//! response with comments, and the worklist of records whose fields hold concurrent values.
//!
//! A response's review lives in its own document under `review` — `state`, `state_by`,
//! `state_at` and a `comments` map keyed by comment id — so it syncs with the response and a
//! field worker sees it on their phone after the next sync. Only coordinators and admins may
//! write it: the core refuses with [`Error::Forbidden`] and a hub refuses the same from a field
//! worker's device (`sync::policy`). Every change of state stays in the record's Automerge
//! history ([`Store::review_history`]).
//!
//! Two coordinators who review the same response for the first time on two offline devices
//! each create a `review` map; Automerge keeps both. Reads take the union of their comments and
//! report the disagreement ([`Review::conflicted`]); the next review written consolidates them
//! into one map, which is the resolution.
//!
//! ```
//! use sangam_core::{Store, Identity, NewResponse, ReviewState};
//! let store = Store::open_in_memory(Identity::coordinator("c1", "Meena")).unwrap();
//! let r = store.create_response(NewResponse {
//!     form_id: "hh".into(), form_version: "1".into(), scope: "UP-SIT".into(), subject_id: None,
//! }).unwrap();
//! store.set_review(&r, ReviewState::HasIssues, Some("Age is missing")).unwrap();
//! let review = store.review(&r).unwrap();
//! assert_eq!(review.state, ReviewState::HasIssues);
//! assert_eq!(review.comments.len(), 1);
//! ```

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjId, ObjType, ReadDoc, Value, ROOT};
use rusqlite::types::Value as SqlValue;
use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};

use super::subject::expect_kind;
use crate::doc::{self, ChangeAuthor, ConflictValue};
use crate::store::{new_id, now_ms, summary_from_row, Kind, RecordSummary, SUMMARY_COLS};
use crate::{Error, FieldValue, Result, Store};

/// Where a response is in the coordinator's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewState {
    /// Arrived and not yet looked at (every response starts here).
    Received,
    /// Looked at; something needs fixing (see the comments).
    HasIssues,
    Approved,
    Rejected,
}

impl ReviewState {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReviewState::Received => "received",
            ReviewState::HasIssues => "has-issues",
            ReviewState::Approved => "approved",
            ReviewState::Rejected => "rejected",
        }
    }

    /// The state's code in the index column `docs.review` (a small integer costs SQLite no
    /// bytes beyond its type tag).
    pub(crate) fn code(&self) -> i64 {
        match self {
            ReviewState::Received => 0,
            ReviewState::HasIssues => 1,
            ReviewState::Approved => 2,
            ReviewState::Rejected => 3,
        }
    }

    pub fn parse(s: &str) -> Option<ReviewState> {
        Some(match s {
            "received" => ReviewState::Received,
            "has-issues" => ReviewState::HasIssues,
            "approved" => ReviewState::Approved,
            "rejected" => ReviewState::Rejected,
            _ => return None,
        })
    }
}

/// One comment on a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewComment {
    pub id: String,
    pub by: String,
    pub by_name: String,
    pub at_ms: i64,
    pub text: String,
}

/// A response's review as read from its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub state: ReviewState,
    /// Who set the state, and when (`None` while the response is only received).
    pub state_by: Option<String>,
    pub state_at_ms: Option<i64>,
    /// Oldest first.
    pub comments: Vec<ReviewComment>,
    /// Coordinators set different states concurrently; the one shown is Automerge's pick and
    /// the next review written settles it.
    pub conflicted: bool,
}

/// One change of review state in a response's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewEvent {
    pub state: ReviewState,
    pub author: ChangeAuthor,
    /// Hex hash of the change that set it.
    pub change: String,
}

/// Which responses to list by review state. Every given part must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFilter {
    pub scope: Option<String>,
    pub form_id: Option<String>,
    /// The response's own status (`draft`, `submitted`).
    pub status: Option<String>,
    pub state: Option<ReviewState>,
    /// At most this many (default 50).
    pub limit: Option<u32>,
}

/// A response in a review list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub summary: RecordSummary,
    pub state: ReviewState,
    pub comments: usize,
}

/// A field with concurrent values, as the conflicts worklist shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictField {
    /// `/`-separated path, e.g. `answers/age`, `attrs/phone`, `subject_id`.
    pub path: String,
    /// Every concurrent value with who wrote it, which device and when. Pick one by index.
    pub values: Vec<ConflictValue>,
    /// All values are equal (the same value written concurrently): nothing to decide, but it
    /// stays listed until someone writes the field again.
    pub agreeing: bool,
}

/// A record with unresolved conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordConflicts {
    pub summary: RecordSummary,
    pub fields: Vec<ConflictField>,
}

/// Rows read per index page when a list has to look inside documents.
const PAGE: u32 = 200;

impl Store {
    fn require_coordinator(&self, what: &str) -> Result<crate::Identity> {
        let identity = self.identity();
        if !identity.role.can_coordinate() {
            return Err(Error::Forbidden(format!("only a coordinator can {what}")));
        }
        Ok(identity)
    }

    /// Sets a response's review state, with an optional comment, as one change. Coordinators
    /// and admins only.
    pub fn set_review(&self, id: &str, state: ReviewState, comment: Option<&str>) -> Result<()> {
        let who = self.require_coordinator("review responses")?;
        if matches!(comment, Some(c) if c.trim().is_empty()) {
            return Err(Error::invalid("a comment needs text"));
        }
        let cid = new_id();
        self.edit(id, Some(Kind::Response), "review", |tx| {
            let review = review_map_for_write(tx)?;
            tx.put(&review, "state", state.as_str())?;
            tx.put(&review, "state_by", who.user_id.as_str())?;
            tx.put(&review, "state_at", now_ms())?;
            if let Some(text) = comment {
                add_comment(tx, &review, &cid, &who, text)?;
            }
            Ok(())
        })
    }

    /// Adds a comment to a response's review without changing its state. Coordinators and
    /// admins only. Returns the comment's id.
    pub fn add_review_comment(&self, id: &str, text: &str) -> Result<String> {
        let who = self.require_coordinator("comment on reviews")?;
        if text.trim().is_empty() {
            return Err(Error::invalid("a comment needs text"));
        }
        let cid = new_id();
        self.edit(id, Some(Kind::Response), "review comment", |tx| {
            let review = review_map_for_write(tx)?;
            add_comment(tx, &review, &cid, &who, text)
        })?;
        Ok(cid)
    }

    /// A response's review: state (`received` until a coordinator sets one) and comments.
    pub fn review(&self, id: &str) -> Result<Review> {
        self.view(id, |d| {
            expect_kind(d, id, Kind::Response)?;
            Ok(read_review(d))
        })
    }

    /// Every change of a response's review state, oldest first, from its Automerge history.
    pub fn review_history(&self, id: &str) -> Result<Vec<ReviewEvent>> {
        self.view(id, |d| {
            expect_kind(d, id, Kind::Response)?;
            let mut out = Vec::new();
            for entry in doc::history(d) {
                if !entry.fields.iter().any(|f| f == "review" || f == "review/state") {
                    continue;
                }
                let Ok(hash) = entry.change.parse::<automerge::ChangeHash>() else { continue };
                let at = [hash];
                let state = match d.get_at(&ROOT, "review", &at) {
                    Ok(Some((Value::Object(ObjType::Map), obj))) => match d.get_at(&obj, "state", &at) {
                        Ok(Some((Value::Scalar(s), _))) => s.as_str().and_then(ReviewState::parse),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(state) = state {
                    out.push(ReviewEvent { state, author: entry.author, change: entry.change });
                }
            }
            Ok(out)
        })
    }

    /// Responses by review state, most recently updated first.
    ///
    /// The state is in the index (schema 3), so a filter by state reads only the responses in
    /// that state. Responses stored before schema 3 have no indexed state yet: they are read
    /// from their documents as they come up, and their state is written into the index then.
    pub fn list_by_review(&self, f: &ReviewFilter) -> Result<Vec<ReviewItem>> {
        let limit = f.limit.unwrap_or(50).min(10_000) as usize;
        let mut sql = format!("SELECT {SUMMARY_COLS}, review FROM docs WHERE kind = 'response' AND deleted = 0");
        let mut args: Vec<SqlValue> = Vec::new();
        for (col, v) in [("scope", &f.scope), ("form_id", &f.form_id), ("status", &f.status)] {
            if let Some(v) = v {
                args.push(SqlValue::Text(v.clone()));
                sql += &format!(" AND {col} = ?{}", args.len());
            }
        }
        if let Some(state) = f.state {
            args.push(SqlValue::Integer(state.code()));
            sql += &format!(" AND (review = ?{} OR review IS NULL)", args.len());
        }
        sql += &format!(" ORDER BY updated_at DESC, rid DESC LIMIT {PAGE} OFFSET ?{}", args.len() + 1);
        let mut out = Vec::new();
        let mut unindexed = Vec::new();
        let mut offset: i64 = 0;
        loop {
            let mut page_args = args.clone();
            page_args.push(SqlValue::Integer(offset));
            let rows: Vec<(RecordSummary, Option<i64>)> = self.read(|c| {
                let mut st = c.prepare_cached(&sql)?;
                let rows = st.query_map(params_from_iter(page_args.iter()), |r| Ok((summary_from_row(r)?, r.get(14)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })?;
            let n = rows.len();
            for (summary, indexed) in rows {
                let review = match self.review(&summary.id) {
                    Ok(r) => r,
                    // A record removed or unreadable since the page was read is skipped.
                    Err(Error::NotFound(_)) | Err(Error::Rejected { .. }) => continue,
                    Err(e) => return Err(e),
                };
                if indexed.is_none() {
                    unindexed.push((summary.id.clone(), review.state));
                }
                if f.state.is_none() || f.state == Some(review.state) {
                    out.push(ReviewItem { summary, state: review.state, comments: review.comments.len() });
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            if out.len() >= limit || n < PAGE as usize {
                break;
            }
            offset += i64::from(PAGE);
        }
        // Filled in once the pages are read, so the pages did not shift under the offset.
        if !unindexed.is_empty() {
            self.read(|c| {
                let tx = c.unchecked_transaction()?;
                {
                    // Only fills a gap: a state indexed meanwhile by a write is left alone.
                    let mut st = tx.prepare_cached("UPDATE docs SET review = ?2 WHERE id = ?1 AND review IS NULL")?;
                    for (id, state) in &unindexed {
                        st.execute(rusqlite::params![id, state.code()])?;
                    }
                }
                Ok(tx.commit()?)
            })?;
        }
        Ok(out)
    }

    /// Records with unresolved conflicts (optionally of one scope), most recently updated
    /// first, each with every conflicting field and its values. Found through the index;
    /// only the listed records' documents are read.
    pub fn conflicted_records(&self, scope: Option<&str>, limit: u32, offset: u32) -> Result<Vec<RecordConflicts>> {
        let ids: Vec<RecordSummary> = self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM docs WHERE conflicts > 0 AND deleted = 0 AND (?1 IS NULL OR scope = ?1) \
                 ORDER BY updated_at DESC, rid DESC LIMIT ?2 OFFSET ?3"
            ))?;
            let rows = st.query_map(rusqlite::params![scope, limit.min(10_000), offset], summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for summary in ids {
            let fields = match self.conflicts(&summary.id) {
                Ok(c) => c,
                Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let fields: Vec<ConflictField> = fields
                .into_iter()
                .map(|c| {
                    let agreeing = c.values.windows(2).all(|w| w[0].value == w[1].value);
                    ConflictField { path: c.path, values: c.values, agreeing }
                })
                .collect();
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

/// The `review` map to write into: the existing one, a fresh one, or — when coordinators
/// created it concurrently — a fresh one holding the union of their comments and the shown
/// state, which supersedes them all.
fn review_map_for_write(tx: &mut automerge::transaction::Transaction<'_>) -> Result<ObjId> {
    let all: Vec<ObjId> = maps_at(tx, &ROOT, "review");
    match all.len() {
        0 => {
            let m = tx.put_object(ROOT, "review", ObjType::Map)?;
            tx.put_object(&m, "comments", ObjType::Map)?;
            Ok(m)
        }
        1 => {
            let m = all[0].clone();
            if doc::get_obj(tx, &m, "comments").is_none() {
                tx.put_object(&m, "comments", ObjType::Map)?;
            }
            Ok(m)
        }
        _ => {
            let shown = read_review_from(tx, &all);
            let m = tx.put_object(ROOT, "review", ObjType::Map)?;
            if let (Some(by), Some(at)) = (&shown.state_by, shown.state_at_ms) {
                tx.put(&m, "state", shown.state.as_str())?;
                tx.put(&m, "state_by", by.as_str())?;
                tx.put(&m, "state_at", at)?;
            }
            let comments = tx.put_object(&m, "comments", ObjType::Map)?;
            for c in &shown.comments {
                let e = tx.put_object(&comments, c.id.as_str(), ObjType::Map)?;
                tx.put(&e, "by", c.by.as_str())?;
                tx.put(&e, "by_name", c.by_name.as_str())?;
                tx.put(&e, "at", c.at_ms)?;
                tx.put(&e, "text", c.text.as_str())?;
            }
            Ok(m)
        }
    }
}

fn add_comment(
    tx: &mut automerge::transaction::Transaction<'_>,
    review: &ObjId,
    cid: &str,
    who: &crate::Identity,
    text: &str,
) -> Result<()> {
    let comments = match doc::get_obj(tx, review, "comments") {
        Some(c) => c,
        None => tx.put_object(review, "comments", ObjType::Map)?,
    };
    let e = tx.put_object(&comments, cid, ObjType::Map)?;
    tx.put(&e, "by", who.user_id.as_str())?;
    tx.put(&e, "by_name", who.display_name.as_str())?;
    tx.put(&e, "at", now_ms())?;
    tx.put(&e, "text", text)?;
    Ok(())
}

/// Every map value of `key` in `obj` (several when they were created concurrently); the one
/// Automerge shows is last.
pub(crate) fn maps_at(d: &impl ReadDoc, obj: &ObjId, key: &str) -> Vec<ObjId> {
    d.get_all(obj, key)
        .map(|all| {
            all.into_iter()
                .filter_map(|(v, id)| matches!(v, Value::Object(ObjType::Map)).then_some(id))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn read_review(d: &Automerge) -> Review {
    read_review_from(d, &maps_at(d, &ROOT, "review"))
}

fn read_review_from(d: &impl ReadDoc, maps: &[ObjId]) -> Review {
    let mut review = Review {
        state: ReviewState::Received,
        state_by: None,
        state_at_ms: None,
        comments: Vec::new(),
        conflicted: false,
    };
    let Some(shown) = maps.last() else { return review };
    let mut states = Vec::new();
    for m in maps {
        if let Ok(all) = d.get_all(m, "state") {
            for (v, _) in all {
                if let Value::Scalar(s) = v {
                    if let Some(st) = s.as_str().and_then(ReviewState::parse) {
                        states.push(st);
                    }
                }
            }
        }
    }
    if let Some(state) = doc::get_str(d, shown, "state").and_then(|s| ReviewState::parse(&s)) {
        review.state = state;
        review.state_by = doc::get_str(d, shown, "state_by");
        review.state_at_ms = doc::get_i64(d, shown, "state_at");
    }
    states.dedup();
    review.conflicted = states.iter().any(|s| *s != review.state);
    let mut comments: BTreeMap<String, ReviewComment> = BTreeMap::new();
    for m in maps {
        for list in maps_at(d, m, "comments") {
            for cid in d.keys(&list).collect::<Vec<_>>() {
                let Some(e) = doc::get_obj(d, &list, &cid) else { continue };
                comments.entry(cid.clone()).or_insert_with(|| ReviewComment {
                    by: doc::get_str(d, &e, "by").unwrap_or_default(),
                    by_name: doc::get_str(d, &e, "by_name").unwrap_or_default(),
                    at_ms: doc::get_i64(d, &e, "at").unwrap_or(0),
                    text: doc::get_str(d, &e, "text").unwrap_or_default(),
                    id: cid,
                });
            }
        }
    }
    review.comments = comments.into_values().collect();
    review.comments.sort_by(|a, b| (a.at_ms, &a.id).cmp(&(b.at_ms, &b.id)));
    review
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_states_round_trip_through_text() {
        for s in [ReviewState::Received, ReviewState::HasIssues, ReviewState::Approved, ReviewState::Rejected] {
            assert_eq!(ReviewState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ReviewState::parse("approve"), None);
    }

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
