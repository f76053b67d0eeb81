//! A coordinator's review of a response: its state and comments.

use sangam_core as core;
use sangam_core::ReviewState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReviewStatus {
    Received,
    HasIssues,
    Approved,
    Rejected,
}

impl From<ReviewState> for ReviewStatus {
    fn from(s: ReviewState) -> Self {
        match s {
            ReviewState::Received => ReviewStatus::Received,
            ReviewState::HasIssues => ReviewStatus::HasIssues,
            ReviewState::Approved => ReviewStatus::Approved,
            ReviewState::Rejected => ReviewStatus::Rejected,
        }
    }
}

impl From<ReviewStatus> for ReviewState {
    fn from(s: ReviewStatus) -> Self {
        match s {
            ReviewStatus::Received => ReviewState::Received,
            ReviewStatus::HasIssues => ReviewState::HasIssues,
            ReviewStatus::Approved => ReviewState::Approved,
            ReviewStatus::Rejected => ReviewState::Rejected,
        }
    }
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
    pub state: ReviewStatus,
    pub state_by: Option<String>,
    pub state_at_ms: Option<i64>,
    pub comments: Vec<ReviewCommentView>,
}

impl From<core::Review> for ReviewView {
    fn from(r: core::Review) -> Self {
        ReviewView {
            state: r.state.into(),
            state_by: r.state_by,
            state_at_ms: r.state_at_ms,
            comments: r.comments.into_iter().map(Into::into).collect(),
        }
    }
}
