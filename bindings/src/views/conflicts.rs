//! Fields with concurrent values, and the coordinator's worklist of them.

use sangam_core as core;

use super::records::{ChangeBy, RecordRow};

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictValueView {
    /// The value as JSON text.
    pub value_json: String,
    pub by: ChangeBy,
    pub shown: bool,
}

impl From<core::ConflictValue> for ConflictValueView {
    fn from(v: core::ConflictValue) -> Self {
        ConflictValueView { value_json: v.value.to_string(), by: v.author.into(), shown: v.shown }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldConflictView {
    pub path: String,
    pub values: Vec<ConflictValueView>,
}

impl From<core::FieldConflict> for FieldConflictView {
    fn from(c: core::FieldConflict) -> Self {
        FieldConflictView { path: c.path, values: c.values.into_iter().map(Into::into).collect() }
    }
}

/// A record on the conflict worklist.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictedRecord {
    pub record: RecordRow,
    pub conflicts: Vec<FieldConflictView>,
}
