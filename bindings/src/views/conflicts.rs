//! Fields with concurrent values, and the coordinator's worklist of them.

use sangam_core as core;

use super::answers::StoredValue;
use super::records::{ChangeBy, RecordRow};

/// One of several values written concurrently to one field.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictValueView {
    pub value: StoredValue,
    pub by: ChangeBy,
    /// Whether this is the value shown today (the same pick on every device).
    pub shown: bool,
}

impl From<core::ConflictValue> for ConflictValueView {
    fn from(v: core::ConflictValue) -> Self {
        ConflictValueView { value: StoredValue::from_conflict(&v.value), by: v.author.into(), shown: v.shown }
    }
}

/// A field with concurrent values. Resolve it by picking one by its index
/// (`resolve_conflict_pick`) or by writing a new value (`resolve_conflict`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldConflictView {
    /// `/`-separated path, e.g. `answers/age`, `attrs/phone`, `review`.
    pub path: String,
    /// Every concurrent value, with who wrote it, on which device and when; at least two of
    /// them differ (values written alike at once are no conflict and are never listed).
    pub values: Vec<ConflictValueView>,
}

impl From<core::FieldConflict> for FieldConflictView {
    fn from(c: core::FieldConflict) -> Self {
        FieldConflictView { path: c.path, values: c.values.into_iter().map(Into::into).collect() }
    }
}

/// A record on the conflict worklist, with every conflicting field.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictedRecord {
    pub record: RecordRow,
    pub fields: Vec<FieldConflictView>,
}

impl From<core::RecordConflicts> for ConflictedRecord {
    fn from(r: core::RecordConflicts) -> Self {
        ConflictedRecord { record: r.summary.into(), fields: r.fields.into_iter().map(Into::into).collect() }
    }
}
