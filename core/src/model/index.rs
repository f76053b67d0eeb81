//! Deriving a record's index row from its document: the common columns here, the per-kind
//! ones from each kind's module.

use automerge::{Automerge, ROOT};

use super::{IndexRow, Kind};
use crate::doc;
use crate::{Error, Result};

/// Derives a record's index columns from its document.
/// `known_conflicts` skips the conflict walk when the caller knows the count.
pub(crate) fn index_row(doc: &Automerge, known_conflicts: Option<i64>) -> Result<IndexRow> {
    let kind = doc::get_str(doc, &ROOT, "kind").ok_or_else(|| Error::invalid("record has no kind"))?;
    let scope = doc::get_str(doc, &ROOT, "scope").ok_or_else(|| Error::invalid("record has no scope"))?;
    let mut ix = IndexRow {
        deleted: doc::get_bool(doc, &ROOT, "deleted").unwrap_or(false),
        conflicts: known_conflicts.unwrap_or_else(|| doc::conflict_count(doc) as i64),
        ..IndexRow::default()
    };
    match Kind::parse(&kind) {
        Some(Kind::Subject) => super::subject::index(doc, &mut ix),
        Some(Kind::Response) => super::response::index(doc, &mut ix),
        Some(Kind::Meeting) => super::meeting::index(doc, &mut ix),
        Some(Kind::Action) => super::action::index(doc, &mut ix),
        Some(Kind::Form) => {
            ix.title = doc::get_str(doc, &ROOT, "title");
            ix.form_id = doc::get_str(doc, &ROOT, "form_id");
            ix.form_version = doc::get_str(doc, &ROOT, "form_version");
            // Its attachments (CSV, XML, GeoJSON, label media), fetched like photos.
            ix.media = super::response::read_media(doc);
        }
        None => {}
    }
    ix.kind = kind;
    ix.scope = scope;
    Ok(ix)
}

/// Checks that a document is a record of `kind`.
pub(crate) fn expect_kind(d: &Automerge, id: &str, kind: Kind) -> Result<()> {
    match doc::get_str(d, &ROOT, "kind") {
        Some(k) if k == kind.as_str() => Ok(()),
        _ => Err(crate::Error::invalid(format!("record {id} is not a {}", kind.as_str()))),
    }
}
