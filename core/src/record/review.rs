//! What coordinators check at the district office: the review state of each response, with
//! comments. (The worklist of records whose fields hold concurrent values is `conflicts`.)
//!
//! A response's review lives in its own document under `review` — `state`, `state_by`,
//! `state_at` and a `comments` map keyed by comment id — so it syncs with the response and a
//! field worker sees it on their phone after the next sync. Only coordinators and admins may
//! write it: the core refuses with [`Error::Forbidden`] and a hub refuses the same from a field
//! worker's device (`policy`). Every change of state stays in the record's Automerge
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

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, Value, ROOT};

use crate::doc;
use crate::model::checks::{new_id, now_ms};
use crate::model::review::{maps_at, read_review, read_review_from, Review, ReviewEvent, ReviewFilter, ReviewItem, ReviewState};
use crate::model::{expect_kind, Kind};
use crate::store::lists::PAGE;
use crate::{Error, Result, Store};
impl Store {
    pub(crate) fn require_coordinator(&self, what: &str) -> Result<crate::Identity> {
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
        let mut out = Vec::new();
        let mut unindexed = Vec::new();
        let mut offset: i64 = 0;
        loop {
            let rows = self.review_page(f, offset)?;
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
            self.index_review_states(&unindexed)?;
        }
        Ok(out)
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


/// The `review` map to write into: the existing one, a fresh one, or — when coordinators
/// created it concurrently — a fresh one holding the union of their comments and the shown
/// state, which supersedes them all.
pub(crate) fn review_map_for_write(tx: &mut automerge::transaction::Transaction<'_>) -> Result<ObjId> {
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

}
