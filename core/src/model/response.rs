//! Responses: one filled-in form, its answers and repeat rows.

use std::collections::BTreeMap;

use automerge::{Automerge, ROOT};
use serde::{Deserialize, Serialize};

use super::IndexRow;
use crate::doc;
use crate::FieldValue;

/// Where a response is in its life on the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseStatus {
    Draft,
    Submitted,
}

impl ResponseStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ResponseStatus::Draft => "draft",
            ResponseStatus::Submitted => "submitted",
        }
    }
    pub fn parse(s: &str) -> Option<ResponseStatus> {
        match s {
            "draft" => Some(ResponseStatus::Draft),
            "submitted" => Some(ResponseStatus::Submitted),
            _ => None,
        }
    }
}

/// A response to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewResponse {
    pub form_id: String,
    pub form_version: String,
    pub scope: String,
    pub subject_id: Option<String>,
}

/// One row of a repeat group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatRow {
    pub row_id: String,
    pub answers: BTreeMap<String, FieldValue>,
    /// The row of the enclosing repeat this row belongs to (a repeat inside a repeat: the
    /// children of one household member); `None` for a repeat at the top of the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_row: Option<String>,
}

/// A response as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: String,
    pub form_id: String,
    pub form_version: String,
    pub scope: String,
    pub subject_id: Option<String>,
    pub status: ResponseStatus,
    pub answers: BTreeMap<String, FieldValue>,
    /// Repeat name → rows in their order (removed rows left out).
    pub repeats: BTreeMap<String, Vec<RepeatRow>>,
    pub deleted: bool,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// Filters for listing responses; every given part must match. Newest updates first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFilter {
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<ResponseStatus>,
    pub subject_id: Option<String>,
    pub scope: Option<String>,
    /// Only responses updated at or after this time (Unix ms).
    pub updated_since_ms: Option<i64>,
    pub has_conflicts: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

pub(crate) fn index(d: &Automerge, ix: &mut IndexRow) {
    ix.form_id = doc::get_str(d, &ROOT, "form_id");
    ix.form_version = doc::get_str(d, &ROOT, "form_version");
    ix.status = doc::get_str(d, &ROOT, "status");
    ix.subject_id = doc::get_str(d, &ROOT, "subject_id");
    ix.title = ix.form_id.clone();
    // Who started it: the coordinator's "field worker" column and filter.
    ix.owner = doc::get_str(d, &ROOT, "created_by");
    ix.review = Some(super::review::read_review(d).state.code());
    ix.media = read_media(d);
}

/// The files a response refers to: its root `media` map, name → `{size, type}`. Entries whose
/// name is not a media name, or whose size is not a positive number, are left out; at most
/// `media::MAX_MEDIA_PER_RECORD`.
pub(crate) fn read_media(d: &Automerge) -> Vec<crate::media::MediaRef> {
    let mut out: Vec<crate::media::MediaRef> = Vec::new();
    for map in media_maps(d) {
    for (name, entry) in doc::child_maps(d, &map) {
        if out.len() >= crate::media::MAX_MEDIA_PER_RECORD {
            break;
        }
        if crate::media::MediaName::parse(&name).is_none() || out.iter().any(|m| m.name == name) {
            continue;
        }
        let Some(size) = doc::get_i64(d, &entry, "size").filter(|s| *s > 0) else { continue };
        let mime = doc::get_str(d, &entry, "type").filter(|t| crate::media::check_type(t).is_ok());
        out.push(crate::media::MediaRef { name, size: size as u64, mime });
    }
    }
    out
}

/// Every `media` map of a response: two devices that attached the first file of a record at
/// the same time each made one, and both are kept (the losing one as a concurrent value).
pub(crate) fn media_maps(d: &impl automerge::ReadDoc) -> Vec<automerge::ObjId> {
    d.get_all(ROOT, "media")
        .unwrap_or_default()
        .into_iter()
        .filter(|(v, _)| matches!(v, automerge::Value::Object(automerge::ObjType::Map)))
        .map(|(_, id)| id)
        .collect()
}

/// Leaves out the rows of nested repeats whose enclosing row is removed (or was never there),
/// level by level (each pass drops one more level; nesting is bounded by the form's).
fn drop_orphan_rows(repeats: &mut BTreeMap<String, Vec<RepeatRow>>) {
    loop {
        let visible: std::collections::HashSet<String> = repeats.values().flatten().map(|r| r.row_id.clone()).collect();
        let mut dropped = false;
        for rows in repeats.values_mut() {
            let before = rows.len();
            rows.retain(|r| r.parent_row.as_ref().map_or(true, |p| visible.contains(p)));
            dropped |= rows.len() != before;
        }
        if !dropped {
            break;
        }
    }
}

/// Reads a response from its document: answers, and repeat rows in their order (removed rows
/// left out). The one decoder of responses, used by reads, the index and exports.
pub(crate) fn read_response(d: &Automerge, id: &str) -> Response {
    let mut repeats = BTreeMap::new();
    if let Some(reps) = doc::get_obj(d, &ROOT, "repeats") {
        for (name, rows_obj) in doc::child_maps(d, &reps) {
            let mut rows: Vec<(i64, RepeatRow)> = Vec::new();
            for (row_id, row) in doc::child_maps(d, &rows_obj) {
                let mut answers = doc::read_fields(d, &row);
                if matches!(answers.get("_removed"), Some(FieldValue::Bool(true))) {
                    continue;
                }
                let pos = match answers.get("_pos") {
                    Some(FieldValue::Int(p)) => *p,
                    _ => i64::MAX,
                };
                let parent_row = match answers.get("_parent") {
                    Some(FieldValue::Text(p)) => Some(p.clone()),
                    _ => None,
                };
                answers.retain(|k, _| !super::checks::RESERVED_ROW_KEYS.contains(&k.as_str()));
                rows.push((pos, RepeatRow { row_id, answers, parent_row }));
            }
            rows.sort_by(|a, b| (a.0, &a.1.row_id).cmp(&(b.0, &b.1.row_id)));
            repeats.insert(name, rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>());
        }
    }
    drop_orphan_rows(&mut repeats);
    Response {
        id: id.to_string(),
        form_id: doc::get_str(d, &ROOT, "form_id").unwrap_or_default(),
        form_version: doc::get_str(d, &ROOT, "form_version").unwrap_or_default(),
        scope: doc::get_str(d, &ROOT, "scope").unwrap_or_default(),
        subject_id: doc::get_str(d, &ROOT, "subject_id"),
        status: doc::get_str(d, &ROOT, "status").and_then(|s| ResponseStatus::parse(&s)).unwrap_or(ResponseStatus::Draft),
        answers: doc::get_obj(d, &ROOT, "answers")
            .map(|a| doc::read_fields(d, &a))
            .unwrap_or_default(),
        repeats,
        deleted: doc::get_bool(d, &ROOT, "deleted").unwrap_or(false),
        created_by: doc::get_str(d, &ROOT, "created_by").unwrap_or_default(),
        created_at_ms: doc::get_i64(d, &ROOT, "created_at").unwrap_or(0),
    }
}
