//! Action items: created from a meeting or alone, then updated for weeks (owner, due date,
//! status, notes).

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};

use crate::doc;
use crate::model::action::{read_action, Action, ActionStatus, ActionUpdate, NewAction};
use crate::model::checks::check_date;
use crate::model::{expect_kind, Kind};
use crate::{Error, Result, Store};

impl Store {
    /// Creates an action item.
    pub fn create_action(&self, new: NewAction) -> Result<String> {
        if new.title.trim().is_empty() {
            return Err(Error::invalid("an action needs a title"));
        }
        if let Some(d) = &new.due {
            check_date(d)?;
        }
        if let Some(m) = &new.meeting_id {
            if self.kind_of(m)? != Kind::Meeting {
                return Err(Error::invalid("an action can only come from a meeting"));
            }
        }
        self.create(Kind::Action, &new.scope, |tx, _| {
            if let Some(m) = &new.meeting_id {
                tx.put(ROOT, "meeting_id", m.as_str())?;
            }
            tx.put(ROOT, "title", new.title.as_str())?;
            tx.put(ROOT, "owner", new.owner.as_str())?;
            if let Some(d) = &new.due {
                tx.put(ROOT, "due", d.as_str())?;
            }
            tx.put(ROOT, "status", ActionStatus::Open.as_str())?;
            let notes = tx.put_object(ROOT, "notes", ObjType::Text)?;
            tx.splice_text(&notes, 0, 0, &new.notes)?;
            Ok(())
        })
    }

    /// Updates an action item as one change.
    pub fn update_action(&self, id: &str, u: ActionUpdate) -> Result<()> {
        if let Some(Some(d)) = &u.due {
            check_date(d)?;
        }
        if matches!(&u.title, Some(t) if t.trim().is_empty()) {
            return Err(Error::invalid("an action needs a title"));
        }
        self.edit(id, Some(Kind::Action), "update", |tx| {
            if let Some(t) = &u.title {
                tx.put(ROOT, "title", t.as_str())?;
            }
            if let Some(o) = &u.owner {
                tx.put(ROOT, "owner", o.as_str())?;
            }
            match &u.due {
                Some(Some(d)) => tx.put(ROOT, "due", d.as_str())?,
                Some(None) => {
                    if tx.get(ROOT, "due")?.is_some() {
                        tx.delete(ROOT, "due")?
                    }
                }
                None => {}
            }
            if let Some(s) = u.status {
                tx.put(ROOT, "status", s.as_str())?;
            }
            if let Some(n) = &u.notes {
                let notes = match doc::get_obj(tx, &ROOT, "notes") {
                    Some(o) => o,
                    None => tx.put_object(ROOT, "notes", ObjType::Text)?,
                };
                doc::replace_text(tx, &notes, n)?;
            }
            Ok(())
        })
    }

    /// Reads an action item.
    pub fn action(&self, id: &str) -> Result<Action> {
        self.view(id, |d| {
            expect_kind(d, id, Kind::Action)?;
            Ok(read_action(d, id))
        })
    }

}
