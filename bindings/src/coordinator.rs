//! A coordinator's tablet: review, the conflict worklist, duplicate subjects and merges.
//! One-line bodies over `sangam-core`.

use sangam_core as core;
use sangam_core::record::duplicates::DuplicateOptions;
use sangam_core::ReviewState;

use crate::error::guard;
use crate::views::{FieldConflictView, RecordRow};
use crate::{ApiError, SangamStore};

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
            comments: r
                .comments
                .into_iter()
                .map(|c| ReviewCommentView { id: c.id, by: c.by, by_name: c.by_name, at_ms: c.at_ms, text: c.text })
                .collect(),
        }
    }
}

/// A record on the conflict worklist.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictedRecord {
    pub record: RecordRow,
    pub conflicts: Vec<FieldConflictView>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicatePair {
    pub keep: String,
    pub duplicate: String,
    pub keep_title: Option<String>,
    pub duplicate_title: Option<String>,
    pub score: u32,
    /// Why, in plain words (no names or numbers).
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MergeResult {
    pub gained: Vec<String>,
    pub conflicts: Vec<String>,
    pub responses_moved: Vec<String>,
}

#[uniffi::export]
impl SangamStore {
    /// Sets a response's review state, with an optional comment (coordinators only).
    pub fn set_review(&self, id: String, state: ReviewStatus, comment: Option<String>) -> Result<(), ApiError> {
        guard(|| Ok(self.core().set_review(&id, state.into(), comment.as_deref())?))
    }

    pub fn add_review_comment(&self, id: String, text: String) -> Result<String, ApiError> {
        guard(|| Ok(self.core().add_review_comment(&id, &text)?))
    }

    pub fn review(&self, id: String) -> Result<ReviewView, ApiError> {
        guard(|| Ok(self.core().review(&id)?.into()))
    }

    /// Every record with unresolved conflicts in a scope, with its conflicting fields.
    pub fn conflicted_records(&self, scope: Option<String>, limit: u32, offset: u32) -> Result<Vec<ConflictedRecord>, ApiError> {
        guard(|| {
            let ids = self.core().conflicted_records(scope.as_deref(), limit, offset)?;
            ids.into_iter()
                .map(|r| {
                    let conflicts = self.core().conflicts(&r.summary.id)?.into_iter().map(Into::into).collect();
                    Ok(ConflictedRecord { record: r.summary.into(), conflicts })
                })
                .collect()
        })
    }

    /// Candidate duplicate subjects in a scope, best first.
    pub fn duplicate_candidates(&self, scope: Option<String>, min_score: u32) -> Result<Vec<DuplicatePair>, ApiError> {
        guard(|| {
            let opts = DuplicateOptions { scope, min_score, ..Default::default() };
            Ok(self
                .core()
                .duplicate_candidates(&opts)?
                .into_iter()
                .map(|c| DuplicatePair {
                    keep: c.keep,
                    duplicate: c.duplicate,
                    keep_title: c.keep_title,
                    duplicate_title: c.duplicate_title,
                    score: c.score,
                    reasons: c.reasons.into_iter().map(|r| r.detail).collect(),
                })
                .collect())
        })
    }

    /// Merges `duplicate` into `keep` (reversible with `unmerge_subject`).
    pub fn merge_subjects(&self, keep: String, duplicate: String) -> Result<MergeResult, ApiError> {
        guard(|| {
            let r = self.core().merge_subjects(&keep, &duplicate)?;
            Ok(MergeResult { gained: r.gained, conflicts: r.conflicts, responses_moved: r.responses_moved })
        })
    }

    pub fn unmerge_subject(&self, duplicate: String) -> Result<(), ApiError> {
        guard(|| Ok(self.core().unmerge_subject(&duplicate).map(|_| ())?))
    }

    /// The scopes this device is enrolled for, as the hub said at the last sync.
    pub fn enrolled_scopes(&self) -> Result<Option<Vec<String>>, ApiError> {
        guard(|| Ok(self.core().enrolled_scopes()))
    }
}
