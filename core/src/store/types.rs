//! What the store reports about applied changes, and how an index row becomes a list row.

use serde::{Deserialize, Serialize};

use crate::model::{Kind, RecordSummary};

/// What happened when changes from elsewhere were applied to a record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyOutcome {
    /// New changes became part of the record.
    pub changed: bool,
    /// Some changes wait for others they depend on; they are stored and applied on arrival.
    pub pending: bool,
    /// Conflicting fields in the record after applying.
    pub conflicts: usize,
    /// When the bytes were one whole document: its heads (what the sender has).
    #[serde(skip)]
    pub(crate) incoming_heads: Option<Vec<automerge::ChangeHash>>,
}

pub(crate) const SUMMARY_COLS: &str =
    "id, kind, scope, title, form_id, form_version, status, subject_id, owner, due, updated_at, conflicts, seq, \
     up_heads IS NOT heads";

pub(crate) fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordSummary> {
    let kind: String = r.get(1)?;
    Ok(RecordSummary {
        id: r.get(0)?,
        kind: Kind::parse(&kind).unwrap_or(Kind::Response),
        scope: r.get(2)?,
        title: r.get(3)?,
        form_id: r.get(4)?,
        form_version: r.get(5)?,
        status: r.get(6)?,
        subject_id: r.get(7)?,
        owner: r.get(8)?,
        due: r.get(9)?,
        updated_at_ms: r.get(10)?,
        conflicts: r.get(11)?,
        seq: r.get(12)?,
        unsynced: r.get(13)?,
    })
}

