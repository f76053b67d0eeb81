//! Subjects: the households, people and enterprises responses are about.

use std::collections::BTreeMap;

use automerge::{Automerge, ROOT};
use serde::{Deserialize, Serialize};

use super::checks::{normalise, normalise_phone};
use super::IndexRow;
use crate::doc;
use crate::FieldValue;

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

pub(crate) fn index(d: &Automerge, ix: &mut IndexRow) {
    let attrs = doc::get_obj(d, &ROOT, "attrs");
    let text = |k: &str| attrs.as_ref().and_then(|a| doc::get_text(d, a, k));
    let name = text("name");
    ix.name_key = name.as_deref().map(normalise);
    ix.title = name;
    ix.village_key = text("village").as_deref().map(normalise);
    ix.phone_key = text("phone").as_deref().map(normalise_phone).filter(|p| !p.is_empty());
    // The subject type shares the form_id column: both say "what sort of record".
    ix.form_id = doc::get_str(d, &ROOT, "subject_type");
    if let Some(m) = doc::get_str(d, &ROOT, "merged_into") {
        ix.status = Some("merged".into());
        ix.subject_id = Some(m);
        ix.deleted = true;
    }
}

/// Reads a subject from its document.
pub(crate) fn read_subject(d: &Automerge, id: &str) -> Subject {
    Subject {
        id: id.to_string(),
        subject_type: doc::get_str(d, &ROOT, "subject_type").unwrap_or_default(),
        scope: doc::get_str(d, &ROOT, "scope").unwrap_or_default(),
        attrs: doc::get_obj(d, &ROOT, "attrs").map(|a| doc::read_fields(d, &a)).unwrap_or_default(),
        deleted: doc::get_bool(d, &ROOT, "deleted").unwrap_or(false),
        merged_into: doc::get_str(d, &ROOT, "merged_into"),
        created_by: doc::get_str(d, &ROOT, "created_by").unwrap_or_default(),
    }
}
