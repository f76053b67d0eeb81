//! What a list shows of a record, and the index columns a record's document yields.

use serde::{Deserialize, Serialize};

use super::Kind;

/// A summary row for list screens, read from the index (never from the document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSummary {
    pub id: String,
    pub kind: Kind,
    pub scope: String,
    pub title: Option<String>,
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<String>,
    pub subject_id: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub updated_at_ms: i64,
    pub conflicts: i64,
    /// Changelog sequence of the record's last change in this store.
    pub seq: i64,
    /// The record has changes this store's hub does not have yet ("not sent").
    pub unsynced: bool,
}

/// The index columns of one record, derived from its document.
#[derive(Debug, Default)]
pub(crate) struct IndexRow {
    pub kind: String,
    pub scope: String,
    pub deleted: bool,
    pub conflicts: i64,
    pub title: Option<String>,
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<String>,
    pub subject_id: Option<String>,
    /// A subject's name, village and phone in their searchable normal forms (the index
    /// columns `k_name`, `k_village`, `k_phone`).
    pub name_key: Option<String>,
    pub village_key: Option<String>,
    pub phone_key: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub meeting_id: Option<String>,
    /// A response's review state (`ReviewState::code`).
    pub review: Option<i64>,
    /// The media files the record refers to (its `media` map), kept in `doc_media`.
    pub media: Vec<crate::media::MediaRef>,
    /// For a record slow to load (a meeting with long minutes), its reading as JSON, kept in
    /// `views` with the heads it was read at, so opening it needs no document load.
    pub view: Option<Vec<u8>>,
}
