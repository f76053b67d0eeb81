//! Meetings: one coalition meeting each — agenda, attendees and attendance, minutes that
//! several people write at once (Automerge Text: concurrent edits merge by character) and
//! decisions.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};

use crate::doc;
use crate::model::checks::{check_date, new_id, now_ms};
use crate::model::meeting::{read_meeting, Meeting, NewAttendee, NewMeeting};
use crate::model::{expect_kind, Kind};
use crate::{Error, Result, Store};

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

    /// Reads a meeting: from its kept reading when its minutes are long and it is not loaded
    /// (see `IndexRow::view`), else from its document.
    pub fn meeting(&self, id: &str) -> Result<Meeting> {
        if let Some(bytes) = self.kept_view(id)? {
            if let Ok(mut m) = serde_json::from_slice::<Meeting>(&bytes) {
                m.id = id.to_string();
                return Ok(m);
            }
        }
        self.view(id, |d| {
            expect_kind(d, id, Kind::Meeting)?;
            Ok(read_meeting(d, id))
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
