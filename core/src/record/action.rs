//! Action items: created from a meeting or alone, then updated for weeks (owner, due date,
//! status, notes).

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ReadDoc, ROOT};
use rusqlite::types::Value as SqlValue;
use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};

use super::check_date;
use super::subject::expect_kind;
use crate::doc;
use crate::store::{summary_from_row, IndexRow, Kind, RecordSummary, SUMMARY_COLS};
use crate::{Error, Result, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    Dropped,
}

impl ActionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in-progress",
            ActionStatus::Done => "done",
            ActionStatus::Dropped => "dropped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => ActionStatus::Open,
            "in-progress" => ActionStatus::InProgress,
            "done" => ActionStatus::Done,
            "dropped" => ActionStatus::Dropped,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAction {
    pub scope: String,
    pub meeting_id: Option<String>,
    pub title: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
    pub notes: String,
}

/// Changes to an action; `None` leaves a part as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionUpdate {
    pub title: Option<String>,
    pub owner: Option<String>,
    /// `Some(None)` removes the due date.
    pub due: Option<Option<String>>,
    pub status: Option<ActionStatus>,
    /// Replaces the notes (as a minimal text edit).
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    pub scope: String,
    pub meeting_id: Option<String>,
    pub title: String,
    pub owner: String,
    pub due: Option<String>,
    pub status: ActionStatus,
    pub notes: String,
    pub deleted: bool,
}

/// Filters for listing actions; every given part must match. Earliest due first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFilter {
    pub scope: Option<String>,
    pub owner: Option<String>,
    pub meeting_id: Option<String>,
    /// Only open and in-progress actions.
    pub open_only: bool,
    /// Only open or in-progress actions due before this date (`YYYY-MM-DD`, usually today).
    pub overdue_on: Option<String>,
    pub limit: Option<u32>,
}

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

    /// Lists action items from the index.
    pub fn list_actions(&self, f: &ActionFilter) -> Result<Vec<RecordSummary>> {
        if let Some(d) = &f.overdue_on {
            check_date(d)?;
        }
        let mut sql = format!("SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'action' AND deleted = 0");
        let mut args: Vec<SqlValue> = Vec::new();
        for (col, v) in [("scope", &f.scope), ("owner", &f.owner), ("meeting_id", &f.meeting_id)] {
            if let Some(v) = v {
                args.push(SqlValue::Text(v.clone()));
                sql += &format!(" AND {col} = ?{}", args.len());
            }
        }
        if f.open_only || f.overdue_on.is_some() {
            sql += " AND status IN ('open', 'in-progress')";
        }
        if let Some(d) = &f.overdue_on {
            args.push(SqlValue::Text(d.clone()));
            sql += &format!(" AND due IS NOT NULL AND due < ?{}", args.len());
        }
        sql += &format!(" ORDER BY due IS NULL, due, updated_at DESC LIMIT {}", f.limit.unwrap_or(100).min(10_000));
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

pub(crate) fn read_action(d: &Automerge, id: &str) -> Action {
    Action {
        id: id.to_string(),
        scope: doc::get_str(d, &ROOT, "scope").unwrap_or_default(),
        meeting_id: doc::get_str(d, &ROOT, "meeting_id"),
        title: doc::get_str(d, &ROOT, "title").unwrap_or_default(),
        owner: doc::get_str(d, &ROOT, "owner").unwrap_or_default(),
        due: doc::get_str(d, &ROOT, "due"),
        status: doc::get_str(d, &ROOT, "status").and_then(|s| ActionStatus::parse(&s)).unwrap_or(ActionStatus::Open),
        notes: doc::get_text(d, &ROOT, "notes").unwrap_or_default(),
        deleted: doc::get_bool(d, &ROOT, "deleted").unwrap_or(false),
    }
}

pub(crate) fn index(d: &Automerge, ix: &mut IndexRow) {
    ix.title = doc::get_str(d, &ROOT, "title");
    ix.owner = doc::get_str(d, &ROOT, "owner");
    ix.due = doc::get_str(d, &ROOT, "due");
    ix.status = doc::get_str(d, &ROOT, "status");
    ix.meeting_id = doc::get_str(d, &ROOT, "meeting_id");
}
