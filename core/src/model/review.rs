//! A response's review by coordinators: its state, comments and their history.

use automerge::{Automerge, ObjId, ObjType, ReadDoc, Value, ROOT};
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::doc::{self, ChangeAuthor};
use crate::model::RecordSummary;

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

    /// The state an index code stands for.
    pub(crate) fn from_code(code: i64) -> Option<ReviewState> {
        Some(match code {
            0 => ReviewState::Received,
            1 => ReviewState::HasIssues,
            2 => ReviewState::Approved,
            3 => ReviewState::Rejected,
            _ => return None,
        })
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
    pub status: Option<crate::model::response::ResponseStatus>,
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

pub(crate) fn read_review_from(d: &impl ReadDoc, maps: &[ObjId]) -> Review {
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
