//! Subjects: long-lived registry entries (households, people, enterprises, vehicles) that
//! responses refer to. Attributes are a map of fields; `name`, `village` and `phone` are
//! indexed for search.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};

use crate::doc;
use crate::model::checks::check_name;
use crate::model::subject::{read_subject, NewSubject, Subject};
use crate::model::{expect_kind, Kind};
use crate::{FieldValue, Result, Store};

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
            Ok(read_subject(d, id))
        })
    }

}
