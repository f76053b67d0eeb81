//! The live state of a survey form, what validation flagged, and moving a draft to a newer
//! form version.

use sangam_core as core;
use sangam_core::forms::state as live;

use super::answers::AnswerValue;
pub use sangam_core::forms::definition::QuestionType;

/// The kind of answer a question takes (core's own enum, mirrored for the FFI).
#[uniffi::remote(Enum)]
pub enum QuestionType {
    Text,
    Integer,
    Decimal,
    SelectOne,
    SelectMultiple,
    Date,
    Time,
    Datetime,
    Geopoint,
    Note,
    Calculate,
    Acknowledge,
    /// A photo: the answer is its stored file's name.
    Image,
    /// Media answered with a stored file: the answer is the file's name
    /// (`Store::attach_media`).
    Audio,
    Video,
    File,
    /// A value set by calculation or default, never shown (CHT's `hidden`).
    Hidden,
    /// A number picked on a scale (`parameters`: start, end, step).
    Range,
    /// The choices put in order: the answer is every choice name, space-separated.
    Rank,
    Geotrace,
    Geoshape,
    Barcode,
    /// ODK metadata, filled from the clock, the device and the user, never asked.
    Start,
    End,
    Today,
    DeviceId,
    PhoneNumber,
    Username,
    Email,
    SubscriberId,
    SimSerial,
    /// ODK's audit log of the session: a file, kept aside like media.
    Audit,
    /// Where the phone was when the form was opened (`start-geopoint`) or in the
    /// background (`background-geopoint`): filled from the device's location.
    StartGeopoint,
    BackgroundGeopoint,
    /// A secondary instance the form reads (`xml-external`, `csv-external`): takes no answer.
    XmlExternal,
    CsvExternal,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChoiceOption {
    pub name: String,
    pub label: String,
}

impl From<live::ChoiceView> for ChoiceOption {
    fn from(c: live::ChoiceView) -> Self {
        ChoiceOption { name: c.name, label: c.label }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QuestionView {
    pub name: String,
    pub kind: QuestionType,
    pub label: Option<String>,
    pub hint: Option<String>,
    pub relevant: bool,
    pub required: bool,
    pub read_only: bool,
    pub value: Option<AnswerValue>,
    pub choices: Option<Vec<ChoiceOption>>,
    /// A broken constraint or a missing required answer, in the chosen language.
    pub problem: Option<String>,
    /// How the form asks to show it (`signature`, `draw`, `annotate`, `multiline`, …).
    pub appearance: Option<String>,
    /// For a photo: downscale its longest side to this many pixels before attaching it.
    pub max_pixels: Option<u32>,
}

impl From<live::QuestionState> for QuestionView {
    fn from(q: live::QuestionState) -> Self {
        QuestionView {
            name: q.name,
            kind: q.kind,
            label: q.label,
            hint: q.hint,
            relevant: q.relevant,
            required: q.required,
            read_only: q.read_only,
            value: q.value.map(Into::into),
            choices: q.choices.map(|c| c.into_iter().map(Into::into).collect()),
            problem: q.violation.map(|v| v.message).or(q.error),
            appearance: q.appearance,
            max_pixels: q.max_pixels,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RepeatRowState {
    pub row_id: String,
    pub questions: Vec<QuestionView>,
    /// 1-based among the rows of the same enclosing row.
    pub position: u32,
    /// For a repeat inside a repeat: the enclosing repeat's row this row belongs to.
    pub parent_row: Option<String>,
    /// The repeats inside this repeat as they stand in this row.
    pub inner: Vec<InnerRepeatView>,
}

/// A repeat inside a repeat, in one row of the enclosing repeat.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InnerRepeatView {
    pub name: String,
    pub relevant: bool,
    pub expected_rows: Option<u32>,
}

impl From<live::RowState> for RepeatRowState {
    fn from(r: live::RowState) -> Self {
        RepeatRowState {
            row_id: r.row_id,
            questions: r.questions.into_iter().map(Into::into).collect(),
            position: u32::try_from(r.position).unwrap_or(u32::MAX),
            parent_row: r.parent_row,
            inner: r.inner.into_iter().map(|i| InnerRepeatView { name: i.name, relevant: i.relevant, expected_rows: i.expected_rows }).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RepeatView {
    pub name: String,
    /// The enclosing repeat, for a repeat inside a repeat.
    pub parent: Option<String>,
    /// The question this repeat follows, among the questions of its level (the top level, or
    /// its enclosing repeat's row); none when it comes first. Shown right after it.
    pub after: Option<String>,
    pub label: Option<String>,
    pub relevant: bool,
    pub expected_rows: Option<u32>,
    pub rows: Vec<RepeatRowState>,
}

impl From<live::RepeatState> for RepeatView {
    fn from(r: live::RepeatState) -> Self {
        RepeatView {
            name: r.name,
            parent: r.parent,
            after: r.after,
            label: r.label,
            relevant: r.relevant,
            expected_rows: r.expected_rows,
            rows: r.rows.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Violation {
    pub question: String,
    pub row_id: Option<String>,
    pub message: String,
}

impl From<live::Violation> for Violation {
    fn from(v: live::Violation) -> Self {
        Violation { question: v.question, row_id: v.row_id, message: v.message }
    }
}

/// What a phone renders a survey from; recompute after each answer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormStateView {
    pub form_id: String,
    pub form_version: String,
    /// The form's own name for the language shown (asked as "Hindi (hi)", a form with a
    /// `label::Hindi` column answers "Hindi").
    pub language: String,
    /// Every language the form has, its default first: what a language switch offers.
    pub languages: Vec<String>,
    pub questions: Vec<QuestionView>,
    pub repeats: Vec<RepeatView>,
    pub violations: Vec<Violation>,
}

impl From<live::FormState> for FormStateView {
    fn from(s: live::FormState) -> Self {
        FormStateView {
            form_id: s.form_id,
            form_version: s.form_version,
            language: s.language,
            languages: s.languages,
            questions: s.questions.into_iter().map(Into::into).collect(),
            repeats: s.repeats.into_iter().map(Into::into).collect(),
            violations: s.violations.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ValidationResult {
    pub ok: bool,
    pub violations: Vec<Violation>,
    /// Subjects the submission created or updated (a form with an entities sheet).
    pub subjects: Vec<String>,
}

impl From<core::ValidationReport> for ValidationResult {
    fn from(r: core::ValidationReport) -> Self {
        ValidationResult { ok: r.ok, violations: r.violations.into_iter().map(Into::into).collect(), subjects: r.subjects }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeftOutAnswer {
    pub question: String,
    pub reason: String,
}

impl From<core::LeftOut> for LeftOutAnswer {
    fn from(l: core::LeftOut) -> Self {
        LeftOutAnswer { question: l.question, reason: l.reason }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MigrationResult {
    pub from_version: String,
    pub to_version: String,
    pub kept: u64,
    pub converted: Vec<String>,
    pub left_out: Vec<LeftOutAnswer>,
}

impl From<core::MigrationReport> for MigrationResult {
    fn from(r: core::MigrationReport) -> Self {
        MigrationResult {
            from_version: r.from_version,
            to_version: r.to_version,
            kept: r.kept as u64,
            converted: r.converted,
            left_out: r.left_out.into_iter().map(Into::into).collect(),
        }
    }
}
