//! Survey responses and their lists.

use std::collections::HashMap;

use sangam_core as core;

use super::answers::{to_map, AnswerValue};
pub use sangam_core::ResponseStatus;

/// Where a response is in its life on the phone (core's own enum, mirrored for the FFI).
#[uniffi::remote(Enum)]
pub enum ResponseStatus {
    Draft,
    Submitted,
}

/// Core keeps a response's status as text and writes only `draft` and `submitted`. Text it did
/// not write counts as submitted here, as core counts it: only a `draft` is a draft (e.g. only a
/// draft moves to a newer form version).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RepeatRowView {
    pub row_id: String,
    pub answers: HashMap<String, AnswerValue>,
    /// For a repeat inside a repeat: the enclosing repeat's row this row belongs to.
    pub parent_row: Option<String>,
}

impl From<core::RepeatRow> for RepeatRowView {
    fn from(r: core::RepeatRow) -> Self {
        RepeatRowView { row_id: r.row_id, answers: to_map(r.answers), parent_row: r.parent_row }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ResponseView {
    pub id: String,
    pub form_id: String,
    pub form_version: String,
    pub scope: String,
    pub subject_id: Option<String>,
    pub status: ResponseStatus,
    pub answers: HashMap<String, AnswerValue>,
    pub repeats: HashMap<String, Vec<RepeatRowView>>,
    pub created_by: String,
    pub created_at_ms: i64,
    /// Whether this response has changes the hub does not have yet.
    pub unsynced: bool,
}

/// A response as the apps see it; `unsynced` comes from the sync state, not the document.
pub(crate) fn response_view(r: core::Response, unsynced: bool) -> ResponseView {
    ResponseView {
        id: r.id,
        form_id: r.form_id,
        form_version: r.form_version,
        scope: r.scope,
        subject_id: r.subject_id,
        status: r.status,
        answers: to_map(r.answers),
        repeats: r.repeats.into_iter().map(|(k, rows)| (k, rows.into_iter().map(Into::into).collect())).collect(),
        created_by: r.created_by,
        created_at_ms: r.created_at_ms,
        unsynced,
    }
}

#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ResponseQuery {
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<ResponseStatus>,
    pub subject_id: Option<String>,
    pub scope: Option<String>,
    pub updated_since_ms: Option<i64>,
    pub has_conflicts: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl From<ResponseQuery> for core::ResponseFilter {
    fn from(q: ResponseQuery) -> Self {
        core::ResponseFilter {
            form_id: q.form_id,
            form_version: q.form_version,
            status: q.status,
            subject_id: q.subject_id,
            scope: q.scope,
            updated_since_ms: q.updated_since_ms,
            has_conflicts: q.has_conflicts,
            limit: q.limit,
            offset: q.offset,
        }
    }
}
