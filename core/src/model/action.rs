//! Action items: created from a meeting or alone, then updated for weeks (owner, due date,
//! status, notes).

use automerge::{Automerge, ROOT};
use serde::{Deserialize, Serialize};

use super::IndexRow;
use crate::doc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    Dropped,
}

impl ActionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in-progress",
            ActionStatus::Done => "done",
            ActionStatus::Dropped => "dropped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => ActionStatus::Open,
            "in-progress" => ActionStatus::InProgress,
            "done" => ActionStatus::Done,
            "dropped" => ActionStatus::Dropped,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAction {
    pub scope: String,
    pub meeting_id: Option<String>,
    pub title: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
    pub notes: String,
}

/// Changes to an action; `None` leaves a part as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionUpdate {
    pub title: Option<String>,
    pub owner: Option<String>,
    /// `Some(None)` removes the due date.
    pub due: Option<Option<String>>,
    pub status: Option<ActionStatus>,
    /// Replaces the notes (as a minimal text edit).
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    pub scope: String,
    pub meeting_id: Option<String>,
    pub title: String,
    pub owner: String,
    pub due: Option<String>,
    pub status: ActionStatus,
    pub notes: String,
    pub deleted: bool,
}

/// Filters for listing actions; every given part must match. Earliest due first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFilter {
    pub scope: Option<String>,
    pub owner: Option<String>,
    pub meeting_id: Option<String>,
    /// Only open and in-progress actions.
    pub open_only: bool,
    /// Only open or in-progress actions due before this date (`YYYY-MM-DD`, usually today).
    pub overdue_on: Option<String>,
    pub limit: Option<u32>,
}

pub(crate) fn read_action(d: &Automerge, id: &str) -> Action {
    Action {
        id: id.to_string(),
        scope: doc::get_str(d, &ROOT, "scope").unwrap_or_default(),
        meeting_id: doc::get_str(d, &ROOT, "meeting_id"),
        title: doc::get_str(d, &ROOT, "title").unwrap_or_default(),
        owner: doc::get_str(d, &ROOT, "owner").unwrap_or_default(),
        due: doc::get_str(d, &ROOT, "due"),
        status: doc::get_str(d, &ROOT, "status").and_then(|s| ActionStatus::parse(&s)).unwrap_or(ActionStatus::Open),
        notes: doc::get_text(d, &ROOT, "notes").unwrap_or_default(),
        deleted: doc::get_bool(d, &ROOT, "deleted").unwrap_or(false),
    }
}

pub(crate) fn index(d: &Automerge, ix: &mut IndexRow) {
    ix.title = doc::get_str(d, &ROOT, "title");
    ix.owner = doc::get_str(d, &ROOT, "owner");
    ix.due = doc::get_str(d, &ROOT, "due");
    ix.status = doc::get_str(d, &ROOT, "status");
    ix.meeting_id = doc::get_str(d, &ROOT, "meeting_id");
}
