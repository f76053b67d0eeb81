//! Subjects (households, people), their search, duplicates and merges.

use std::collections::HashMap;

use sangam_core as core;

use super::answers::{to_map, AnswerValue};

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SubjectView {
    pub id: String,
    pub subject_type: String,
    pub scope: String,
    pub attrs: HashMap<String, AnswerValue>,
    pub deleted: bool,
    pub merged_into: Option<String>,
}

impl From<core::Subject> for SubjectView {
    fn from(s: core::Subject) -> Self {
        SubjectView {
            id: s.id,
            subject_type: s.subject_type,
            scope: s.scope,
            attrs: to_map(s.attrs),
            deleted: s.deleted,
            merged_into: s.merged_into,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct SubjectSearch {
    pub scope: Option<String>,
    pub subject_type: Option<String>,
    pub name_prefix: Option<String>,
    pub village_prefix: Option<String>,
    pub phone_prefix: Option<String>,
    pub limit: Option<u32>,
}

impl From<SubjectSearch> for core::SubjectQuery {
    fn from(q: SubjectSearch) -> Self {
        core::SubjectQuery {
            scope: q.scope,
            subject_type: q.subject_type,
            name_prefix: q.name_prefix,
            village_prefix: q.village_prefix,
            phone_prefix: q.phone_prefix,
            limit: q.limit,
        }
    }
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

impl From<core::DuplicateCandidate> for DuplicatePair {
    fn from(c: core::DuplicateCandidate) -> Self {
        DuplicatePair {
            keep: c.keep,
            duplicate: c.duplicate,
            keep_title: c.keep_title,
            duplicate_title: c.duplicate_title,
            score: c.score,
            reasons: c.reasons.into_iter().map(|r| r.detail).collect(),
        }
    }
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MergeResult {
    /// Attributes the kept subject gained from the duplicate.
    pub gained: Vec<String>,
    /// Attributes both held with different values: now conflicts on the kept subject.
    pub conflicts: Vec<String>,
    /// Responses that now refer to the kept subject.
    pub responses_moved: Vec<String>,
    /// The pair was merged before; this folded in what changed since.
    pub refreshed: bool,
}

impl From<core::MergeReport> for MergeResult {
    fn from(r: core::MergeReport) -> Self {
        MergeResult { gained: r.gained, conflicts: r.conflicts, responses_moved: r.responses_moved, refreshed: r.refreshed }
    }
}

/// What an unmerge did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct UnmergeResult {
    /// Attributes gained in the merge, removed again from the kept subject.
    pub removed: Vec<String>,
    /// Attributes the merge had put in conflict, given back the kept subject's own value.
    pub restored: Vec<String>,
    /// Attributes someone changed since the merge: left as they are now.
    pub left_as_edited: Vec<String>,
    /// Responses that refer to the duplicate again.
    pub responses_restored: Vec<String>,
}

impl From<core::UnmergeReport> for UnmergeResult {
    fn from(r: core::UnmergeReport) -> Self {
        UnmergeResult { removed: r.removed, restored: r.restored, left_as_edited: r.left_as_edited, responses_restored: r.responses_restored }
    }
}

/// A merged pair with something left to fold in: attributes of the duplicate changed after the
/// merge, or responses that still refer to it (made offline meanwhile). Merge the pair again.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MergeFollowUp {
    pub keep: String,
    pub duplicate: String,
    pub changed_attrs: Vec<String>,
    pub responses: Vec<String>,
}

impl From<core::MergeFollowUp> for MergeFollowUp {
    fn from(f: core::MergeFollowUp) -> Self {
        MergeFollowUp { keep: f.keep, duplicate: f.duplicate, changed_attrs: f.changed_attrs, responses: f.responses }
    }
}
