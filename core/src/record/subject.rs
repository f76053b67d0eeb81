//! Subjects: long-lived registry entries (households, people, enterprises, vehicles) that
//! responses refer to. Attributes are a map of fields; `name`, `village` and `phone` are
//! indexed for search.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ReadDoc, ROOT};
use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};

use super::{like_prefix, normalise, normalise_phone, normalise_phone_prefix};
use crate::doc;
use crate::store::{check_name, summary_from_row, IndexRow, Kind, RecordSummary, SUMMARY_COLS};
use crate::{FieldValue, Result, Store};

/// A subject to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSubject {
    pub subject_type: String,
    pub scope: String,
    pub attrs: BTreeMap<String, FieldValue>,
}

impl NewSubject {
    pub fn new(subject_type: &str, scope: &str) -> Self {
        NewSubject { subject_type: subject_type.into(), scope: scope.into(), attrs: BTreeMap::new() }
    }
    pub fn attr(mut self, name: &str, value: impl Into<FieldValue>) -> Self {
        self.attrs.insert(name.into(), value.into());
        self
    }
}

/// A subject as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub id: String,
    pub subject_type: String,
    pub scope: String,
    pub attrs: BTreeMap<String, FieldValue>,
    pub deleted: bool,
    /// Set when a coordinator merged this subject into another.
    pub merged_into: Option<String>,
    pub created_by: String,
}

/// A subject search; every given part must match. Prefixes match the start of the value or of
/// any word in it, ignoring case and punctuation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectQuery {
    pub scope: Option<String>,
    pub subject_type: Option<String>,
    pub name_prefix: Option<String>,
    pub village_prefix: Option<String>,
    pub phone_prefix: Option<String>,
    pub limit: Option<u32>,
}

fn check_attrs<'a>(attrs: impl Iterator<Item = (&'a String, Option<&'a FieldValue>)>) -> Result<()> {
    for (k, v) in attrs {
        check_name(k)?;
        if let Some(v) = v {
            v.check()?;
        }
    }
    Ok(())
}

impl Store {
    /// Creates a subject.
    pub fn create_subject(&self, new: NewSubject) -> Result<String> {
        if new.subject_type.trim().is_empty() {
            return Err(crate::Error::invalid("a subject needs a type (household, person, …)"));
        }
        check_attrs(new.attrs.iter().map(|(k, v)| (k, Some(v))))?;
        self.create(Kind::Subject, &new.scope, |tx, _| {
            tx.put(ROOT, "subject_type", new.subject_type.as_str())?;
            let attrs = tx.put_object(ROOT, "attrs", ObjType::Map)?;
            for (k, v) in &new.attrs {
                doc::write_value(tx, &attrs, k, v)?;
            }
            Ok(())
        })
    }

    /// Sets (`Some`) or removes (`None`) attributes of a subject, in one change.
    pub fn update_subject(&self, id: &str, changes: BTreeMap<String, Option<FieldValue>>) -> Result<()> {
        check_attrs(changes.iter().map(|(k, v)| (k, v.as_ref())))?;
        self.edit(id, Some(Kind::Subject), "update", |tx| {
            let attrs = doc::map_at(tx, &["attrs"], true)?.expect("created");
            for (k, v) in &changes {
                match v {
                    Some(v) => doc::write_value(tx, &attrs, k, v)?,
                    None => {
                        if tx.get(&attrs, k.as_str())?.is_some() {
                            tx.delete(&attrs, k.as_str())?
                        }
                    }
                }
            }
            Ok(())
        })
    }

    /// Reads a subject.
    pub fn subject(&self, id: &str) -> Result<Subject> {
        self.view(id, |d| {
            expect_kind(d, id, Kind::Subject)?;
            Ok(Subject {
                id: id.to_string(),
                subject_type: doc::get_str(d, &ROOT, "subject_type").unwrap_or_default(),
                scope: doc::get_str(d, &ROOT, "scope").unwrap_or_default(),
                attrs: doc::get_obj(d, &ROOT, "attrs").map(|a| doc::read_fields(d, &a)).unwrap_or_default(),
                deleted: doc::get_bool(d, &ROOT, "deleted").unwrap_or(false),
                merged_into: doc::get_str(d, &ROOT, "merged_into"),
                created_by: doc::get_str(d, &ROOT, "created_by").unwrap_or_default(),
            })
        })
    }

    /// Searches subjects from the index, most recently updated first.
    pub fn search_subjects(&self, q: &SubjectQuery) -> Result<Vec<RecordSummary>> {
        let mut sql = format!("SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'subject' AND deleted = 0");
        let mut args: Vec<String> = Vec::new();
        if let Some(s) = &q.scope {
            args.push(s.clone());
            sql += &format!(" AND scope = ?{}", args.len());
        }
        if let Some(t) = &q.subject_type {
            args.push(t.clone());
            sql += &format!(" AND form_id = ?{}", args.len());
        }
        for (col, raw) in [("k_name", &q.name_prefix), ("k_village", &q.village_prefix)] {
            if let Some(p) = raw {
                let p = normalise(p);
                if p.is_empty() {
                    continue;
                }
                args.push(like_prefix(&p));
                args.push(format!("% {}", like_prefix(&p)));
                sql += &format!(
                    " AND ({col} LIKE ?{} ESCAPE '\\' OR {col} LIKE ?{} ESCAPE '\\')",
                    args.len() - 1,
                    args.len()
                );
            }
        }
        if let Some(p) = &q.phone_prefix {
            let digits = normalise_phone_prefix(p);
            if !digits.is_empty() {
                args.push(like_prefix(&digits));
                sql += &format!(" AND k_phone LIKE ?{} ESCAPE '\\'", args.len());
            }
        }
        sql += &format!(" ORDER BY updated_at DESC LIMIT {}", q.limit.unwrap_or(50).min(10_000));
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

pub(crate) fn expect_kind(d: &Automerge, id: &str, kind: Kind) -> Result<()> {
    match doc::get_str(d, &ROOT, "kind") {
        Some(k) if k == kind.as_str() => Ok(()),
        _ => Err(crate::Error::invalid(format!("record {id} is not a {}", kind.as_str()))),
    }
}

pub(crate) fn index(d: &Automerge, ix: &mut IndexRow) {
    let attrs = doc::get_obj(d, &ROOT, "attrs");
    let text = |k: &str| attrs.as_ref().and_then(|a| doc::get_text(d, a, k));
    let name = text("name");
    ix.k_name = name.as_deref().map(normalise);
    ix.title = name;
    ix.k_village = text("village").as_deref().map(normalise);
    ix.k_phone = text("phone").as_deref().map(normalise_phone).filter(|p| !p.is_empty());
    // The subject type shares the form_id column: both say "what sort of record".
    ix.form_id = doc::get_str(d, &ROOT, "subject_type");
    if let Some(m) = doc::get_str(d, &ROOT, "merged_into") {
        ix.status = Some("merged".into());
        ix.subject_id = Some(m);
        ix.deleted = true;
    }
}
