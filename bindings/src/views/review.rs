//! A coordinator's review of a response: its state and comments.

use sangam_core as core;
pub use sangam_core::ReviewState;

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
    pub comments: Vec<ReviewCommentView>,
}

impl From<core::Review> for ReviewView {
    fn from(r: core::Review) -> Self {
        ReviewView {
            state: r.state,
            state_by: r.state_by,
            state_at_ms: r.state_at_ms,
            comments: r.comments.into_iter().map(Into::into).collect(),
        }
    }
}
