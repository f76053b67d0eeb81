//! Coalition meetings: attendees, minutes and decisions.

use sangam_core as core;

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MeetingInput {
    pub coalition: String,
    pub scope: String,
    pub date: String,
    pub time: String,
    pub venue: String,
    pub agenda: Vec<String>,
}

impl From<MeetingInput> for core::NewMeeting {
    fn from(m: MeetingInput) -> Self {
        core::NewMeeting { coalition: m.coalition, scope: m.scope, date: m.date, time: m.time, venue: m.venue, agenda: m.agenda }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AttendeeInput {
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub contact: String,
}

impl From<AttendeeInput> for core::NewAttendee {
    fn from(a: AttendeeInput) -> Self {
        core::NewAttendee { name: a.name, role: a.role, organisation: a.organisation, contact: a.contact }
    }
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

impl From<core::Attendee> for AttendeeView {
    fn from(a: core::Attendee) -> Self {
        AttendeeView { id: a.id, name: a.name, role: a.role, organisation: a.organisation, contact: a.contact, present: a.present }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DecisionView {
    pub id: String,
    pub text: String,
    pub by: String,
    pub at_ms: i64,
}

impl From<core::Decision> for DecisionView {
    fn from(d: core::Decision) -> Self {
        DecisionView { id: d.id, text: d.text, by: d.by, at_ms: d.at_ms }
    }
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
            attendees: m.attendees.into_iter().map(Into::into).collect(),
            minutes: m.minutes,
            decisions: m.decisions.into_iter().map(Into::into).collect(),
        }
    }
}
