//! Action items, often agreed at a meeting.

use sangam_core as core;
pub use sangam_core::ActionStatus;

/// Where an action item is (core's own enum, mirrored for the FFI).
#[uniffi::remote(Enum)]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    Dropped,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ActionInput {
    pub scope: String,
    pub meeting_id: Option<String>,
    pub title: String,
    pub owner: String,
    pub due: Option<String>,
    pub notes: String,
}

impl From<ActionInput> for core::NewAction {
    fn from(a: ActionInput) -> Self {
        core::NewAction { scope: a.scope, meeting_id: a.meeting_id, title: a.title, owner: a.owner, due: a.due, notes: a.notes }
    }
}

/// Changes to an action; `None` leaves a part as it is. `clear_due` removes the due date.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ActionChanges {
    pub title: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub clear_due: bool,
    pub status: Option<ActionStatus>,
    pub notes: Option<String>,
}

impl From<ActionChanges> for core::ActionUpdate {
    fn from(c: ActionChanges) -> Self {
        core::ActionUpdate {
            title: c.title,
            owner: c.owner,
            due: if c.clear_due { Some(None) } else { c.due.map(Some) },
            status: c.status,
            notes: c.notes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ActionView {
    pub id: String,
    pub scope: String,
    pub meeting_id: Option<String>,
    pub title: String,
    pub owner: String,
    pub due: Option<String>,
    pub status: ActionStatus,
    pub notes: String,
}

impl From<core::Action> for ActionView {
    fn from(a: core::Action) -> Self {
        ActionView {
            id: a.id,
            scope: a.scope,
            meeting_id: a.meeting_id,
            title: a.title,
            owner: a.owner,
            due: a.due,
            status: a.status,
            notes: a.notes,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ActionQuery {
    pub scope: Option<String>,
    pub owner: Option<String>,
    pub meeting_id: Option<String>,
    pub open_only: bool,
    pub overdue_on: Option<String>,
    pub limit: Option<u32>,
}

impl From<ActionQuery> for core::ActionFilter {
    fn from(q: ActionQuery) -> Self {
        core::ActionFilter {
            scope: q.scope,
            owner: q.owner,
            meeting_id: q.meeting_id,
            open_only: q.open_only,
            overdue_on: q.overdue_on,
            limit: q.limit,
        }
    }
}
