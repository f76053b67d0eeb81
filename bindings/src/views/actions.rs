//! Action items, often agreed at a meeting.

use sangam_core as core;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ActionState {
    Open,
    InProgress,
    Done,
    Dropped,
}

impl From<core::ActionStatus> for ActionState {
    fn from(s: core::ActionStatus) -> Self {
        match s {
            core::ActionStatus::Open => ActionState::Open,
            core::ActionStatus::InProgress => ActionState::InProgress,
            core::ActionStatus::Done => ActionState::Done,
            core::ActionStatus::Dropped => ActionState::Dropped,
        }
    }
}

impl From<ActionState> for core::ActionStatus {
    fn from(s: ActionState) -> Self {
        match s {
            ActionState::Open => core::ActionStatus::Open,
            ActionState::InProgress => core::ActionStatus::InProgress,
            ActionState::Done => core::ActionStatus::Done,
            ActionState::Dropped => core::ActionStatus::Dropped,
        }
    }
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
    pub status: Option<ActionState>,
    pub notes: Option<String>,
}

impl From<ActionChanges> for core::ActionUpdate {
    fn from(c: ActionChanges) -> Self {
        core::ActionUpdate {
            title: c.title,
            owner: c.owner,
            due: if c.clear_due { Some(None) } else { c.due.map(Some) },
            status: c.status.map(Into::into),
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
    pub status: ActionState,
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
            status: a.status.into(),
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
