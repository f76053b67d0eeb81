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
    pub values: Vec<ConflictValueView>,
    /// All values are equal (the same value written concurrently): nothing to decide, but it
    /// stays listed until someone writes the field again.
    pub agreeing: bool,
}

impl From<core::ConflictField> for FieldConflictView {
    fn from(c: core::ConflictField) -> Self {
        FieldConflictView { path: c.path, values: c.values.into_iter().map(Into::into).collect(), agreeing: c.agreeing }
    }
}

impl From<core::FieldConflict> for FieldConflictView {
    fn from(c: core::FieldConflict) -> Self {
        // The rule of core's `conflicted_records`, which `conflicts` does not report.
        let agreeing = c.values.windows(2).all(|w| w[0].value == w[1].value);
        core::ConflictField { path: c.path, values: c.values, agreeing }.into()
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
