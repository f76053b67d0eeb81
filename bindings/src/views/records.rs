//! Who uses the app, the kinds of record, list rows and history.

use sangam_core as core;

use super::actions::ActionStatus;
use super::responses::ResponseStatus;

pub type UserRole = core::Role;

/// What a user may do (core's `Role`, mirrored for the FFI).
#[uniffi::remote(Enum)]
pub enum UserRole {
    FieldWorker,
    Coordinator,
    Admin,
}

/// The person using the app.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct UserInfo {
    pub user_id: String,
    pub display_name: String,
    pub role: UserRole,
}

impl From<UserInfo> for core::Identity {
    fn from(u: UserInfo) -> Self {
        core::Identity::new(&u.user_id, &u.display_name, u.role)
    }
}

pub type RecordKind = core::Kind;

/// The kinds of record (core's `Kind`, mirrored for the FFI).
#[uniffi::remote(Enum)]
pub enum RecordKind {
    Form,
    Response,
    Subject,
    Meeting,
    Action,
}

/// A row's status, by kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordStatus {
    Response { status: ResponseStatus },
    Action { status: ActionStatus },
    /// A subject merged into another (it leaves lists).
    Merged,
}

impl RecordStatus {
    /// From the index's status text, read as core reads it in the record itself (an action
    /// whose status core does not know is open).
    fn of(kind: core::Kind, status: Option<&str>) -> Option<RecordStatus> {
        match (kind, status) {
            (core::Kind::Response, Some(s)) => Some(RecordStatus::Response { status: ResponseStatus::parse(s).unwrap_or(ResponseStatus::Draft) }),
            (core::Kind::Action, s) => {
                Some(RecordStatus::Action { status: s.and_then(ActionStatus::parse).unwrap_or(ActionStatus::Open) })
            }
            (core::Kind::Subject, Some("merged")) => Some(RecordStatus::Merged),
            _ => None,
        }
    }
}

/// A row of a list screen (read from the index, never from the document).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecordRow {
    pub id: String,
    pub kind: RecordKind,
    pub scope: String,
    pub title: Option<String>,
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<RecordStatus>,
    pub subject_id: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub updated_at_ms: i64,
    pub conflicts: i64,
    /// Changes not yet sent to the hub.
    pub unsynced: bool,
}

impl From<core::RecordSummary> for RecordRow {
    fn from(r: core::RecordSummary) -> Self {
        RecordRow {
            id: r.id,
            kind: r.kind,
            scope: r.scope,
            title: r.title,
            form_id: r.form_id,
            form_version: r.form_version,
            status: RecordStatus::of(r.kind, r.status.as_deref()),
            subject_id: r.subject_id,
            owner: r.owner,
            due: r.due,
            updated_at_ms: r.updated_at_ms,
            conflicts: r.conflicts,
            unsynced: r.unsynced,
        }
    }
}

pub(crate) fn rows(v: Vec<core::RecordSummary>) -> Vec<RecordRow> {
    v.into_iter().map(Into::into).collect()
}

/// Who changed something, on which device, when.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChangeBy {
    pub user_id: String,
    pub user_name: String,
    pub device: String,
    pub time_ms: i64,
}

impl From<core::ChangeAuthor> for ChangeBy {
    fn from(a: core::ChangeAuthor) -> Self {
        ChangeBy { user_id: a.user_id, user_name: a.user_name, device: a.device, time_ms: a.time_ms }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HistoryEntryView {
    pub change: String,
    pub by: ChangeBy,
    pub fields: Vec<String>,
}

impl From<core::HistoryEntry> for HistoryEntryView {
    fn from(h: core::HistoryEntry) -> Self {
        HistoryEntryView { change: h.change, by: h.author.into(), fields: h.fields }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sangam_core::Kind;

    #[test]
    fn row_statuses_are_typed_by_kind() {
        let draft = Some(RecordStatus::Response { status: ResponseStatus::Draft });
        assert_eq!(RecordStatus::of(Kind::Response, Some("draft")), draft);
        let done = Some(RecordStatus::Action { status: ActionStatus::Done });
        assert_eq!(RecordStatus::of(Kind::Action, Some("done")), done);
        let open = Some(RecordStatus::Action { status: ActionStatus::Open });
        assert_eq!(RecordStatus::of(Kind::Action, Some("later")), open);
        assert_eq!(RecordStatus::of(Kind::Action, None), open);
        assert_eq!(RecordStatus::of(Kind::Subject, Some("merged")), Some(RecordStatus::Merged));
        assert_eq!(RecordStatus::of(Kind::Subject, None), None);
        assert_eq!(RecordStatus::of(Kind::Response, None), None);
        assert_eq!(RecordStatus::of(Kind::Meeting, Some("x")), None);
    }
}
