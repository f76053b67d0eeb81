//! A coordinator's review of a response: its state and comments.

use sangam_core as core;
pub use sangam_core::ReviewState;

use super::records::{ChangeBy, RecordRow};
use super::responses::ResponseStatus;

/// Where a response is in the coordinator's review (core's own enum, mirrored for the FFI).
#[uniffi::remote(Enum)]
pub enum ReviewState {
    /// Arrived and not yet looked at (every response starts here).
    Received,
    /// Looked at; something needs fixing (see the comments).
    HasIssues,
    Approved,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReviewCommentView {
    pub id: String,
    pub by: String,
    pub by_name: String,
    pub at_ms: i64,
    pub text: String,
}

impl From<core::ReviewComment> for ReviewCommentView {
    fn from(c: core::ReviewComment) -> Self {
        ReviewCommentView { id: c.id, by: c.by, by_name: c.by_name, at_ms: c.at_ms, text: c.text }
    }
}

/// A response's review: what a field worker sees of their own responses after sync.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReviewView {
    pub state: ReviewState,
    pub state_by: Option<String>,
    pub state_at_ms: Option<i64>,
    /// Oldest first.
    pub comments: Vec<ReviewCommentView>,
    /// Coordinators set different states concurrently; the one shown is the same on every
    /// device, and the next review written settles it.
    pub conflicted: bool,
}

impl From<core::Review> for ReviewView {
    fn from(r: core::Review) -> Self {
        ReviewView {
            state: r.state,
            state_by: r.state_by,
            state_at_ms: r.state_at_ms,
            comments: r.comments.into_iter().map(Into::into).collect(),
            conflicted: r.conflicted,
        }
    }
}

/// Which responses to list by review state; every given part must match.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ReviewQuery {
    pub scope: Option<String>,
    pub form_id: Option<String>,
    /// The response's own status.
    pub status: Option<ResponseStatus>,
    pub state: Option<ReviewState>,
    /// At most this many (default 50).
    pub limit: Option<u32>,
}

impl From<ReviewQuery> for core::ReviewFilter {
    fn from(q: ReviewQuery) -> Self {
        core::ReviewFilter {
            scope: q.scope,
            form_id: q.form_id,
            status: q.status,
            state: q.state,
            limit: q.limit,
        }
    }
}

/// A response in a review list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReviewItem {
    pub record: RecordRow,
    pub state: ReviewState,
    pub comments: u32,
}

impl From<core::ReviewItem> for ReviewItem {
    fn from(i: core::ReviewItem) -> Self {
        ReviewItem { record: i.summary.into(), state: i.state, comments: u32::try_from(i.comments).unwrap_or(u32::MAX) }
    }
}

/// One change of a response's review state.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReviewEvent {
    pub state: ReviewState,
    pub by: ChangeBy,
    /// The change that set it (as in the record's history).
    pub change: String,
}

impl From<core::ReviewEvent> for ReviewEvent {
    fn from(e: core::ReviewEvent) -> Self {
        ReviewEvent { state: e.state, by: e.author.into(), change: e.change }
    }
}
