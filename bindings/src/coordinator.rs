//! A coordinator's tablet: review, the conflict worklist, duplicate subjects and merges.
//! One-line bodies over `sangam-core`.

use sangam_core::DuplicateOptions;

use crate::error::guard;
use crate::views::{
    ConflictedRecord, DuplicatePair, MergeFollowUp, MergeResult, ReviewEvent, ReviewItem, ReviewQuery, ReviewState, ReviewView,
    UnmergeResult,
};
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

    /// Every change of a response's review state, oldest first.
    pub fn review_history(&self, id: String) -> Result<Vec<ReviewEvent>, ApiError> {
        guard(|| Ok(self.core().review_history(&id)?.into_iter().map(Into::into).collect()))
    }

    /// Responses by review state (the review worklist), most recently updated first.
    pub fn list_by_review(&self, query: ReviewQuery) -> Result<Vec<ReviewItem>, ApiError> {
        guard(|| Ok(self.core().list_by_review(&query.into())?.into_iter().map(Into::into).collect()))
    }

    /// Every record with unresolved conflicts in a scope, with its conflicting fields.
    pub fn conflicted_records(&self, scope: Option<String>, limit: u32, offset: u32) -> Result<Vec<ConflictedRecord>, ApiError> {
        guard(|| Ok(self.core().conflicted_records(scope.as_deref(), limit, offset)?.into_iter().map(Into::into).collect()))
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

    /// Undoes the merge of `duplicate`; what someone edited since is left as it is now.
    pub fn unmerge_subject(&self, duplicate: String) -> Result<UnmergeResult, ApiError> {
        guard(|| Ok(self.core().unmerge_subject(&duplicate)?.into()))
    }

    /// Merged pairs (optionally of one scope) with something left to fold in.
    pub fn merge_follow_ups(&self, scope: Option<String>) -> Result<Vec<MergeFollowUp>, ApiError> {
        guard(|| Ok(self.core().merge_follow_ups(scope.as_deref())?.into_iter().map(Into::into).collect()))
    }

    /// The scopes this device is enrolled for, as the hub said at the last sync.
    pub fn enrolled_scopes(&self) -> Result<Option<Vec<String>>, ApiError> {
        guard(|| Ok(self.core().enrolled_scopes()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::{AnswerValue, ApiError, ResponseStatus, ReviewQuery, ReviewState, SangamStore, StoredValue, UserInfo, UserRole};

    fn store(user: &str, role: UserRole) -> std::sync::Arc<SangamStore> {
        SangamStore::open_in_memory(UserInfo { user_id: user.into(), display_name: user.into(), role }).unwrap()
    }

    fn text(s: &str) -> AnswerValue {
        AnswerValue::Text { value: s.into() }
    }

    #[test]
    fn conflicts_cross_typed_and_a_coordinator_picks_one() {
        let (a, b, c) = (store("asha", UserRole::FieldWorker), store("bina", UserRole::FieldWorker), store("chitra", UserRole::Coordinator));
        let hh = a.create_subject("household".into(), "UP-SIT".into(), HashMap::from([("name".into(), text("Sunita"))])).unwrap();
        b.import_bundle(a.export_bundle(false, vec![]).unwrap()).unwrap();
        a.update_subject(hh.clone(), HashMap::from([("phone".into(), text("9000000001"))]), vec![]).unwrap();
        b.update_subject(hh.clone(), HashMap::from([("phone".into(), text("9000000002"))]), vec![]).unwrap();
        for from in [&a, &b] {
            c.import_bundle(from.export_bundle(false, vec![]).unwrap()).unwrap();
        }

        let conflicts = c.conflicts(hh.clone()).unwrap();
        assert_eq!(conflicts.len(), 1);
        let phone = &conflicts[0];
        assert_eq!(phone.path.as_str(), "attrs/phone");
        let bina = phone.values.iter().position(|v| v.by.user_id == "bina").expect("bina's value is listed");
        assert_eq!(phone.values[bina].value, StoredValue::Field { value: text("9000000002") });

        let worklist = c.conflicted_records(None, 50, 0).unwrap();
        assert_eq!(worklist.len(), 1);
        assert_eq!(worklist[0].record.id, hh);
        assert_eq!(worklist[0].fields, conflicts, "the worklist lists the same fields as `conflicts`");

        let picked = |s: &SangamStore| s.resolve_conflict_pick(hh.clone(), "attrs/phone".into(), bina as u32);
        assert!(matches!(picked(&a), Err(ApiError::Forbidden { .. })), "a field worker may not pick");
        assert!(matches!(
            c.resolve_conflict_pick(hh.clone(), "attrs/phone".into(), 9),
            Err(ApiError::Validation { .. } | ApiError::InvalidInput { .. })
        ));
        picked(&c).unwrap();
        assert!(c.conflicts(hh.clone()).unwrap().is_empty());
        assert_eq!(c.subject(hh.clone()).unwrap().attrs["phone"], text("9000000002"));
        assert!(c.conflicted_records(None, 50, 0).unwrap().is_empty());
    }

    #[test]
    fn the_review_worklist_and_history() {
        let c = store("chitra", UserRole::Coordinator);
        let r = c.create_response("hh".into(), "1".into(), "UP-SIT".into(), None).unwrap();
        let other = c.create_response("hh".into(), "1".into(), "UP-SIT".into(), None).unwrap();
        c.set_review(r.clone(), ReviewState::HasIssues, Some("Age is missing".into())).unwrap();
        let query = |state| ReviewQuery { state: Some(state), ..Default::default() };
        let listed = c.list_by_review(query(ReviewState::HasIssues)).unwrap();
        assert_eq!(listed.iter().map(|i| (i.record.id.as_str(), i.state, i.comments)).collect::<Vec<_>>(), [(r.as_str(), ReviewState::HasIssues, 1)]);
        let received = c.list_by_review(query(ReviewState::Received)).unwrap();
        assert_eq!(received.iter().map(|i| i.record.id.as_str()).collect::<Vec<_>>(), [other.as_str()]);
        let drafts = ReviewQuery { status: Some(ResponseStatus::Draft), ..Default::default() };
        assert_eq!(c.list_by_review(drafts).unwrap().len(), 2, "the response status filters too");
        let history = c.review_history(r.clone()).unwrap();
        assert_eq!(history.iter().map(|e| (e.state, e.by.user_id.as_str())).collect::<Vec<_>>(), [(ReviewState::HasIssues, "chitra")]);
        assert!(!c.review(r).unwrap().conflicted);
    }
}
