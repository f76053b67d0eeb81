//! Records and enums the apps see, with conversions from core types.

use std::collections::{BTreeMap, HashMap};

use sangam_core as core;
use sangam_core::FieldValue;


/// An answer or attribute value.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnswerValue {
    Bool { value: bool },
    Int { value: i64 },
    Decimal { value: f64 },
    Text { value: String },
    /// A multi-select answer: the chosen choice names.
    Choices { values: Vec<String> },
}

impl From<FieldValue> for AnswerValue {
    fn from(v: FieldValue) -> Self {
        match v {
            FieldValue::Bool(value) => AnswerValue::Bool { value },
            FieldValue::Int(value) => AnswerValue::Int { value },
            FieldValue::Decimal(value) => AnswerValue::Decimal { value },
            FieldValue::Text(value) => AnswerValue::Text { value },
            FieldValue::Choices(c) => AnswerValue::Choices { values: c.into_iter().collect() },
        }
    }
}

impl From<AnswerValue> for FieldValue {
    fn from(v: AnswerValue) -> Self {
        match v {
            AnswerValue::Bool { value } => FieldValue::Bool(value),
            AnswerValue::Int { value } => FieldValue::Int(value),
            AnswerValue::Decimal { value } => FieldValue::Decimal(value),
            AnswerValue::Text { value } => FieldValue::Text(value),
            AnswerValue::Choices { values } => FieldValue::Choices(values.into_iter().collect()),
        }
    }
}

pub(crate) fn to_map(m: BTreeMap<String, FieldValue>) -> HashMap<String, AnswerValue> {
    m.into_iter().map(|(k, v)| (k, v.into())).collect()
}

pub(crate) fn from_map(m: HashMap<String, AnswerValue>) -> BTreeMap<String, FieldValue> {
    m.into_iter().map(|(k, v)| (k, v.into())).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UserRole {
    FieldWorker,
    Coordinator,
    Admin,
}

impl From<UserRole> for core::Role {
    fn from(r: UserRole) -> Self {
        match r {
            UserRole::FieldWorker => core::Role::FieldWorker,
            UserRole::Coordinator => core::Role::Coordinator,
            UserRole::Admin => core::Role::Admin,
        }
    }
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
        core::Identity::new(&u.user_id, &u.display_name, u.role.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordKind {
    Form,
    Response,
    Subject,
    Meeting,
    Action,
}

impl From<core::Kind> for RecordKind {
    fn from(k: core::Kind) -> Self {
        match k {
            core::Kind::Form => RecordKind::Form,
            core::Kind::Response => RecordKind::Response,
            core::Kind::Subject => RecordKind::Subject,
            core::Kind::Meeting => RecordKind::Meeting,
            core::Kind::Action => RecordKind::Action,
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
    pub status: Option<String>,
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
            kind: r.kind.into(),
            scope: r.scope,
            title: r.title,
            form_id: r.form_id,
            form_version: r.form_version,
            status: r.status,
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

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SubjectView {
    pub id: String,
    pub subject_type: String,
    pub scope: String,
    pub attrs: HashMap<String, AnswerValue>,
    pub deleted: bool,
    pub merged_into: Option<String>,
}

impl From<core::Subject> for SubjectView {
    fn from(s: core::Subject) -> Self {
        SubjectView {
            id: s.id,
            subject_type: s.subject_type,
            scope: s.scope,
            attrs: to_map(s.attrs),
            deleted: s.deleted,
            merged_into: s.merged_into,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct SubjectSearch {
    pub scope: Option<String>,
    pub subject_type: Option<String>,
    pub name_prefix: Option<String>,
    pub village_prefix: Option<String>,
    pub phone_prefix: Option<String>,
    pub limit: Option<u32>,
}

impl From<SubjectSearch> for core::SubjectQuery {
    fn from(q: SubjectSearch) -> Self {
        core::SubjectQuery {
            scope: q.scope,
            subject_type: q.subject_type,
            name_prefix: q.name_prefix,
            village_prefix: q.village_prefix,
            phone_prefix: q.phone_prefix,
            limit: q.limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RepeatRowView {
    pub row_id: String,
    pub answers: HashMap<String, AnswerValue>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ResponseView {
    pub id: String,
    pub form_id: String,
    pub form_version: String,
    pub scope: String,
    pub subject_id: Option<String>,
    pub status: String,
    pub answers: HashMap<String, AnswerValue>,
    pub repeats: HashMap<String, Vec<RepeatRowView>>,
    pub created_by: String,
    pub created_at_ms: i64,
    /// Whether this response has changes the hub does not have yet.
    pub unsynced: bool,
}

pub(crate) fn response_view(r: core::Response, unsynced: bool) -> ResponseView {
    ResponseView {
        id: r.id,
        form_id: r.form_id,
        form_version: r.form_version,
        scope: r.scope,
        subject_id: r.subject_id,
        status: r.status.as_str().to_string(),
        answers: to_map(r.answers),
        repeats: r
            .repeats
            .into_iter()
            .map(|(k, rows)| {
                (k, rows.into_iter().map(|row| RepeatRowView { row_id: row.row_id, answers: to_map(row.answers) }).collect())
            })
            .collect(),
        created_by: r.created_by,
        created_at_ms: r.created_at_ms,
        unsynced,
    }
}

#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ResponseQuery {
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<String>,
    pub subject_id: Option<String>,
    pub scope: Option<String>,
    pub updated_since_ms: Option<i64>,
    pub has_conflicts: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl From<ResponseQuery> for core::ResponseFilter {
    fn from(q: ResponseQuery) -> Self {
        core::ResponseFilter {
            form_id: q.form_id,
            form_version: q.form_version,
            status: q.status.as_deref().and_then(core::ResponseStatus::parse),
            subject_id: q.subject_id,
            scope: q.scope,
            updated_since_ms: q.updated_since_ms,
            has_conflicts: q.has_conflicts,
            limit: q.limit,
            offset: q.offset,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MeetingInput {
    pub coalition: String,
    pub scope: String,
    pub date: String,
    pub time: String,
    pub venue: String,
    pub agenda: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AttendeeInput {
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub contact: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AttendeeView {
    pub id: String,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub contact: String,
    pub present: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DecisionView {
    pub id: String,
    pub text: String,
    pub by: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MeetingView {
    pub id: String,
    pub coalition: String,
    pub scope: String,
    pub date: String,
    pub time: String,
    pub venue: String,
    pub agenda: Vec<String>,
    pub attendees: Vec<AttendeeView>,
    pub minutes: String,
    pub decisions: Vec<DecisionView>,
}

impl From<core::Meeting> for MeetingView {
    fn from(m: core::Meeting) -> Self {
        MeetingView {
            id: m.id,
            coalition: m.coalition,
            scope: m.scope,
            date: m.date,
            time: m.time,
            venue: m.venue,
            agenda: m.agenda,
            attendees: m
                .attendees
                .into_iter()
                .map(|a| AttendeeView {
                    id: a.id,
                    name: a.name,
                    role: a.role,
                    organisation: a.organisation,
                    contact: a.contact,
                    present: a.present,
                })
                .collect(),
            minutes: m.minutes,
            decisions: m.decisions.into_iter().map(|d| DecisionView { id: d.id, text: d.text, by: d.by, at_ms: d.at_ms }).collect(),
        }
    }
}

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
pub struct ConflictValueView {
    /// The value as JSON text.
    pub value_json: String,
    pub by: ChangeBy,
    pub shown: bool,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldConflictView {
    pub path: String,
    pub values: Vec<ConflictValueView>,
}

impl From<core::FieldConflict> for FieldConflictView {
    fn from(c: core::FieldConflict) -> Self {
        FieldConflictView {
            path: c.path,
            values: c
                .values
                .into_iter()
                .map(|v| ConflictValueView { value_json: v.value.to_string(), by: v.author.into(), shown: v.shown })
                .collect(),
        }
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

#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct SyncProgressInfo {
    pub round_trips: u32,
    pub docs_sent: u64,
    pub docs_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl From<&core::sync::SyncProgress> for SyncProgressInfo {
    fn from(p: &core::sync::SyncProgress) -> Self {
        SyncProgressInfo {
            round_trips: p.round_trips,
            docs_sent: p.docs_sent,
            docs_received: p.docs_received,
            bytes_sent: p.bytes_sent,
            bytes_received: p.bytes_received,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Rejected {
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncResult {
    pub progress: SyncProgressInfo,
    pub rejected: Vec<Rejected>,
    pub new_conflicts: Vec<String>,
    pub reset: bool,
    /// Whole records from the hub this phone could not read at all, with the reason.
    pub unreadable: Vec<String>,
}

impl From<core::sync::SyncReport> for SyncResult {
    fn from(r: core::sync::SyncReport) -> Self {
        SyncResult {
            progress: (&r.progress).into(),
            rejected: r.rejected.into_iter().map(|(id, reason)| Rejected { id, reason }).collect(),
            new_conflicts: r.new_conflicts,
            reset: r.reset,
            unreadable: r.unreadable,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BundleResult {
    pub changed: u64,
    pub unchanged: u64,
    pub pending: u64,
    pub rejected: Vec<Rejected>,
}

impl From<core::sync::BundleReport> for BundleResult {
    fn from(r: core::sync::BundleReport) -> Self {
        BundleResult {
            changed: r.changed,
            unchanged: r.unchanged,
            pending: r.pending,
            rejected: r.rejected.into_iter().map(|(id, reason)| Rejected { id, reason }).collect(),
        }
    }
}

// ---- forms ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChoiceOption {
    pub name: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QuestionView {
    pub name: String,
    /// XLSForm type name: text, integer, decimal, select_one, select_multiple, date, time,
    /// datetime, geopoint, note, calculate, acknowledge, image.
    pub kind: String,
    pub label: Option<String>,
    pub hint: Option<String>,
    pub relevant: bool,
    pub required: bool,
    pub read_only: bool,
    pub value: Option<AnswerValue>,
    pub choices: Option<Vec<ChoiceOption>>,
    /// A broken constraint or a missing required answer, in the chosen language.
    pub problem: Option<String>,
}

impl From<core::forms::state::QuestionState> for QuestionView {
    fn from(q: core::forms::state::QuestionState) -> Self {
        QuestionView {
            name: q.name,
            kind: q.kind.as_str().to_string(),
            label: q.label,
            hint: q.hint,
            relevant: q.relevant,
            required: q.required,
            read_only: q.read_only,
            value: q.value.map(Into::into),
            choices: q.choices.map(|c| c.into_iter().map(|c| ChoiceOption { name: c.name, label: c.label }).collect()),
            problem: q.violation.map(|v| v.message).or(q.error),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RepeatRowState {
    pub row_id: String,
    pub questions: Vec<QuestionView>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RepeatView {
    pub name: String,
    pub label: Option<String>,
    pub relevant: bool,
    pub expected_rows: Option<u32>,
    pub rows: Vec<RepeatRowState>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Violation {
    pub question: String,
    pub row_id: Option<String>,
    pub message: String,
}

/// What a phone renders a survey from; recompute after each answer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormStateView {
    pub form_id: String,
    pub form_version: String,
    pub language: String,
    pub questions: Vec<QuestionView>,
    pub repeats: Vec<RepeatView>,
    pub violations: Vec<Violation>,
}

impl From<core::forms::state::FormState> for FormStateView {
    fn from(s: core::forms::state::FormState) -> Self {
        FormStateView {
            form_id: s.form_id,
            form_version: s.form_version,
            language: s.language,
            questions: s.questions.into_iter().map(Into::into).collect(),
            repeats: s
                .repeats
                .into_iter()
                .map(|r| RepeatView {
                    name: r.name,
                    label: r.label,
                    relevant: r.relevant,
                    expected_rows: r.expected_rows,
                    rows: r
                        .rows
                        .into_iter()
                        .map(|row| RepeatRowState { row_id: row.row_id, questions: row.questions.into_iter().map(Into::into).collect() })
                        .collect(),
                })
                .collect(),
            violations: s
                .violations
                .into_iter()
                .map(|v| Violation { question: v.question, row_id: v.row_id, message: v.message })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ValidationResult {
    pub ok: bool,
    pub violations: Vec<Violation>,
}

impl From<core::record::form::ValidationReport> for ValidationResult {
    fn from(r: core::record::form::ValidationReport) -> Self {
        ValidationResult {
            ok: r.ok,
            violations: r
                .violations
                .into_iter()
                .map(|v| Violation { question: v.question, row_id: v.row_id, message: v.message })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeftOutAnswer {
    pub question: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MigrationResult {
    pub from_version: String,
    pub to_version: String,
    pub kept: u64,
    pub converted: Vec<String>,
    pub left_out: Vec<LeftOutAnswer>,
}

impl From<core::forms::migrate::MigrationReport> for MigrationResult {
    fn from(r: core::forms::migrate::MigrationReport) -> Self {
        MigrationResult {
            from_version: r.from_version,
            to_version: r.to_version,
            kept: r.kept as u64,
            converted: r.converted,
            left_out: r.left_out.into_iter().map(|l| LeftOutAnswer { question: l.question, reason: l.reason }).collect(),
        }
    }
}
