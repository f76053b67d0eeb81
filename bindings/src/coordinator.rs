//! A coordinator's tablet: review, the conflict worklist, duplicate subjects and merges.
//! One-line bodies over `sangam-core`.

use sangam_core::DuplicateOptions;

use crate::error::guard;
use crate::views::{ConflictedRecord, DuplicatePair, MergeResult, ReviewState, ReviewView};
use crate::{ApiError, SangamStore};

#[uniffi::export]
impl SangamStore {
    /// Sets a response's review state, with an optional comment (coordinators only).
    pub fn set_review(&self, id: String, state: ReviewState, comment: Option<String>) -> Result<(), ApiError> {
        guard(|| Ok(self.core().set_review(&id, state, comment.as_deref())?))
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
            Ok(self.core().duplicate_candidates(&opts)?.into_iter().map(Into::into).collect())
        })
    }

    /// Merges `duplicate` into `keep` (reversible with `unmerge_subject`).
    pub fn merge_subjects(&self, keep: String, duplicate: String) -> Result<MergeResult, ApiError> {
        guard(|| Ok(self.core().merge_subjects(&keep, &duplicate)?.into()))
    }

    pub fn unmerge_subject(&self, duplicate: String) -> Result<(), ApiError> {
        guard(|| Ok(self.core().unmerge_subject(&duplicate).map(|_| ())?))
    }

    /// The scopes this device is enrolled for, as the hub said at the last sync.
    pub fn enrolled_scopes(&self) -> Result<Option<Vec<String>>, ApiError> {
        guard(|| Ok(self.core().enrolled_scopes()))
    }
}
