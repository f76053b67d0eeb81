//! Coalition meetings: attendees and attendance, agenda, minutes written by several people at
//! once, decisions.

use automerge::{Automerge, ReadDoc, ROOT};
use serde::{Deserialize, Serialize};

use super::IndexRow;
use crate::doc;

/// A meeting to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMeeting {
    pub coalition: String,
    pub scope: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`, local time.
    pub time: String,
    pub venue: String,
    pub agenda: Vec<String>,
}

/// A person expected or present at a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAttendee {
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub contact: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub id: String,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub contact: String,
    /// `None` until attendance is taken.
    pub present: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: String,
    pub text: String,
    pub by: String,
    pub at_ms: i64,
}

/// A meeting as read from its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub coalition: String,
    pub scope: String,
    pub date: String,
    pub time: String,
    pub venue: String,
    pub agenda: Vec<String>,
    pub attendees: Vec<Attendee>,
    pub minutes: String,
    pub decisions: Vec<Decision>,
    pub deleted: bool,
}

pub(crate) fn read_meeting(d: &Automerge, id: &str) -> Meeting {
    let s = |k: &str| doc::get_str(d, &ROOT, k).unwrap_or_default();
    let agenda = doc::get_obj(d, &ROOT, "agenda")
        .map(|a| {
            (0..d.length(&a))
                .filter_map(|i| match d.get(&a, i).ok()?? {
                    (automerge::Value::Scalar(v), _) => v.as_str().map(str::to_string),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut attendees = Vec::new();
    if let Some(all) = doc::get_obj(d, &ROOT, "attendees") {
        for aid in d.keys(&all).collect::<Vec<_>>() {
            if let Some(m) = doc::get_obj(d, &all, &aid) {
                let f = |k: &str| doc::get_str(d, &m, k).unwrap_or_default();
                attendees.push(Attendee {
                    name: f("name"),
                    role: f("role"),
                    organisation: f("organisation"),
                    contact: f("contact"),
                    present: doc::get_bool(d, &m, "present"),
                    id: aid,
                });
            }
        }
    }
    attendees.sort_by(|a, b| a.id.cmp(&b.id));
    let mut decisions = Vec::new();
    if let Some(all) = doc::get_obj(d, &ROOT, "decisions") {
        for did in d.keys(&all).collect::<Vec<_>>() {
            if let Some(m) = doc::get_obj(d, &all, &did) {
                decisions.push(Decision {
                    text: doc::get_str(d, &m, "text").unwrap_or_default(),
                    by: doc::get_str(d, &m, "by").unwrap_or_default(),
                    at_ms: doc::get_i64(d, &m, "at").unwrap_or(0),
                    id: did,
                });
            }
        }
    }
    decisions.sort_by(|a, b| (a.at_ms, &a.id).cmp(&(b.at_ms, &b.id)));
    Meeting {
        id: id.to_string(),
        coalition: s("coalition"),
        scope: s("scope"),
        date: s("date"),
        time: s("time"),
        venue: s("venue"),
        agenda,
        attendees,
        minutes: doc::get_text(d, &ROOT, "minutes").unwrap_or_default(),
        decisions,
        deleted: doc::get_bool(d, &ROOT, "deleted").unwrap_or(false),
    }
}

/// Minutes longer than this many characters make a meeting slow to load (every keystroke is an
/// operation of the document: 30,000 characters typed on three phones took 25-40 ms to load),
/// so its reading is kept beside it (see [`IndexRow::view`]).
pub(crate) const VIEW_MINUTES_CHARS: usize = 4096;

pub(crate) fn index(d: &Automerge, ix: &mut IndexRow) {
    ix.title = doc::get_str(d, &ROOT, "coalition");
    ix.due = doc::get_str(d, &ROOT, "date");
    let long = doc::get_obj(d, &ROOT, "minutes").is_some_and(|m| d.length(&m) > VIEW_MINUTES_CHARS);
    if long {
        ix.view = serde_json::to_vec(&read_meeting(d, "")).ok();
    }
}
