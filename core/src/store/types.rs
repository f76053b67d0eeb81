//! The public vocabulary of the store: roles, identities, record kinds and list rows.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a user may do (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    FieldWorker,
    Coordinator,
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::FieldWorker => "field-worker",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "field-worker" => Ok(Role::FieldWorker),
            "coordinator" => Ok(Role::Coordinator),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::invalid("role must be field-worker, coordinator or admin")),
        }
    }
    /// Coordinators and admins may review, resolve conflicts and merge.
    pub fn can_coordinate(&self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }
}

/// The person using this store; recorded on every change they make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: String,
    pub display_name: String,
    pub role: Role,
}

impl Identity {
    pub fn new(user_id: &str, display_name: &str, role: Role) -> Self {
        Identity { user_id: user_id.into(), display_name: display_name.into(), role }
    }
    pub fn field_worker(user_id: &str, display_name: &str) -> Self {
        Self::new(user_id, display_name, Role::FieldWorker)
    }
    pub fn coordinator(user_id: &str, display_name: &str) -> Self {
        Self::new(user_id, display_name, Role::Coordinator)
    }
}

/// The kinds of record (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Form,
    Response,
    Subject,
    Meeting,
    Action,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Form => "form",
            Kind::Response => "response",
            Kind::Subject => "subject",
            Kind::Meeting => "meeting",
            Kind::Action => "action",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "form" => Kind::Form,
            "response" => Kind::Response,
            "subject" => Kind::Subject,
            "meeting" => Kind::Meeting,
            "action" => Kind::Action,
            _ => return None,
        })
    }
}

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
    pub k_name: Option<String>,
    pub k_village: Option<String>,
    pub k_phone: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub meeting_id: Option<String>,
    /// A response's review state (`ReviewState::code`).
    pub review: Option<i64>,
}

