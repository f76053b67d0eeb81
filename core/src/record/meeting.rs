//! Meetings: one coalition meeting each — agenda, attendees and attendance, minutes that
//! several people write at once (Automerge Text: concurrent edits merge by character) and
//! decisions.

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ReadDoc, ROOT};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::check_date;
use super::subject::expect_kind;
use crate::doc;
use crate::store::{new_id, now_ms, summary_from_row, IndexRow, Kind, RecordSummary, SUMMARY_COLS};
use crate::{Error, Result, Store};

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

fn check_time(t: &str) -> Result<()> {
    let ok = t.len() == 5
        && t.as_bytes()[2] == b':'
        && t[..2].parse::<u32>().map(|h| h < 24).unwrap_or(false)
        && t[3..].parse::<u32>().map(|m| m < 60).unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("times are written HH:MM"))
    }
}

impl Store {
    /// Creates a meeting.
    pub fn create_meeting(&self, new: NewMeeting) -> Result<String> {
        check_date(&new.date)?;
        check_time(&new.time)?;
        if new.coalition.trim().is_empty() {
            return Err(Error::invalid("a meeting needs a coalition name"));
        }
        self.create(Kind::Meeting, &new.scope, |tx, _| {
            tx.put(ROOT, "coalition", new.coalition.as_str())?;
            tx.put(ROOT, "date", new.date.as_str())?;
            tx.put(ROOT, "time", new.time.as_str())?;
            tx.put(ROOT, "venue", new.venue.as_str())?;
            let agenda = tx.put_object(ROOT, "agenda", ObjType::List)?;
            for (i, item) in new.agenda.iter().enumerate() {
                tx.insert(&agenda, i, item.as_str())?;
            }
            tx.put_object(ROOT, "attendees", ObjType::Map)?;
            tx.put_object(ROOT, "decisions", ObjType::Map)?;
            tx.put_object(ROOT, "minutes", ObjType::Text)?;
            Ok(())
        })
    }

    /// Appends an agenda item.
    pub fn add_agenda_item(&self, id: &str, item: &str) -> Result<()> {
        self.edit(id, Some(Kind::Meeting), "agenda", |tx| {
            let agenda = match doc::get_obj(tx, &ROOT, "agenda") {
                Some(a) => a,
                None => tx.put_object(ROOT, "agenda", ObjType::List)?,
            };
            let n = tx.length(&agenda);
            tx.insert(&agenda, n, item)?;
            Ok(())
        })
    }

    /// Adds an attendee; returns their id within the meeting.
    pub fn add_attendee(&self, id: &str, a: NewAttendee) -> Result<String> {
        if a.name.trim().is_empty() {
            return Err(Error::invalid("an attendee needs a name"));
        }
        let aid = new_id();
        self.edit(id, Some(Kind::Meeting), "attendee", |tx| {
            let all = doc::map_at(tx, &["attendees"], true)?.expect("created");
            let m = tx.put_object(&all, aid.as_str(), ObjType::Map)?;
            tx.put(&m, "name", a.name.as_str())?;
            tx.put(&m, "role", a.role.as_str())?;
            tx.put(&m, "organisation", a.organisation.as_str())?;
            tx.put(&m, "contact", a.contact.as_str())?;
            Ok(())
        })?;
        Ok(aid)
    }

    /// Marks an attendee present or absent.
    pub fn set_attendance(&self, id: &str, attendee_id: &str, present: bool) -> Result<()> {
        self.edit(id, Some(Kind::Meeting), "attendance", |tx| {
            let m = doc::map_at(tx, &["attendees", attendee_id], false)?
                .ok_or_else(|| Error::invalid("no such attendee"))?;
            tx.put(&m, "present", present)?;
            Ok(())
        })
    }

    /// Inserts text into the minutes at `pos` (in Unicode code points).
    pub fn minutes_insert(&self, id: &str, pos: usize, text: &str) -> Result<()> {
        self.edit(id, Some(Kind::Meeting), "minutes", |tx| {
            let m = minutes_obj(tx)?;
            let len = tx.length(&m);
            if pos > len {
                return Err(Error::invalid(format!("position {pos} is past the end of the minutes ({len})")));
            }
            tx.splice_text(&m, pos, 0, text)?;
            Ok(())
        })
    }

    /// Deletes `len` code points of the minutes from `pos`.
    pub fn minutes_delete(&self, id: &str, pos: usize, len: usize) -> Result<()> {
        self.edit(id, Some(Kind::Meeting), "minutes", |tx| {
            let m = minutes_obj(tx)?;
            let total = tx.length(&m);
            if pos.checked_add(len).map(|end| end > total).unwrap_or(true) {
                return Err(Error::invalid(format!("range {pos}+{len} is past the end of the minutes ({total})")));
            }
            tx.splice_text(&m, pos, len as isize, "")?;
            Ok(())
        })
    }

    /// Replaces the minutes with `text`, as a minimal edit: what others wrote concurrently in
    /// the parts this edit did not touch survives.
    pub fn minutes_replace(&self, id: &str, text: &str) -> Result<()> {
        self.edit(id, Some(Kind::Meeting), "minutes", |tx| {
            let m = minutes_obj(tx)?;
            doc::replace_text(tx, &m, text)
        })
    }

    /// Records a decision; returns its id.
    pub fn add_decision(&self, id: &str, text: &str) -> Result<String> {
        if text.trim().is_empty() {
            return Err(Error::invalid("a decision needs text"));
        }
        let did = new_id();
        let by = self.identity().user_id;
        self.edit(id, Some(Kind::Meeting), "decision", |tx| {
            let all = doc::map_at(tx, &["decisions"], true)?.expect("created");
            let m = tx.put_object(&all, did.as_str(), ObjType::Map)?;
            tx.put(&m, "text", text)?;
            tx.put(&m, "by", by.as_str())?;
            tx.put(&m, "at", now_ms())?;
            Ok(())
        })?;
        Ok(did)
    }

    /// Reads a meeting.
    pub fn meeting(&self, id: &str) -> Result<Meeting> {
        self.view(id, |d| {
            expect_kind(d, id, Kind::Meeting)?;
            Ok(read_meeting(d, id))
        })
    }

    /// Meetings of a scope (or all), newest date first.
    pub fn list_meetings(&self, scope: Option<&str>, limit: u32) -> Result<Vec<RecordSummary>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'meeting' AND deleted = 0 AND (?1 IS NULL OR scope = ?1) \
                 ORDER BY due DESC, updated_at DESC LIMIT ?2"
            ))?;
            let rows = st.query_map(params![scope, limit], summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

fn minutes_obj(tx: &mut automerge::transaction::Transaction<'_>) -> Result<automerge::ObjId> {
    use automerge::transaction::Transactable;
    match doc::get_obj(tx, &ROOT, "minutes") {
        Some(m) => Ok(m),
        None => Ok(tx.put_object(ROOT, "minutes", ObjType::Text)?),
    }
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

pub(crate) fn index(d: &Automerge, ix: &mut IndexRow) {
    ix.title = doc::get_str(d, &ROOT, "coalition");
    ix.due = doc::get_str(d, &ROOT, "date");
}
