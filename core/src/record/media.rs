//! Answering a media question: the file goes into the media area first (durably), then one
//! change writes the answer (the file's name) and the record's `media` entry for it
//! (`{size, type}`), so every peer that has the record knows which file to ask for.
//!
//! Any answer written through the response API whose text is a media name gets its entry the
//! same way, and an entry no answer names any more (a photo taken again, an answer cleared)
//! is removed in the same change; concurrent values of an answer (a conflict) keep theirs,
//! so resolving the conflict either way still finds its file.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjType, ReadDoc, ScalarValue, Value, ROOT};

use crate::doc;
use crate::media::{MediaName, MediaRef};
use crate::model::Kind;
use crate::{Error, FieldValue, Result, Store};

/// Where in a response an answer is: at the top, or in a repeat row.
#[derive(Debug, Clone, Copy)]
pub enum AnswerAt<'a> {
    Top,
    Row { repeat: &'a str, row_id: &'a str },
}

impl Store {
    /// Attaches a file to the answer `field` of response `id` (a photo, a signature, an audio
    /// clip): stores the bytes, then saves the answer. Returns the file's name, which is the
    /// answer's value. `ext` is the file's extension (`jpg`); `mime` its type.
    pub fn attach_media(&self, id: &str, at: AnswerAt<'_>, field: &str, bytes: &[u8], ext: &str, mime: Option<&str>) -> Result<String> {
        let name = self.put_media(bytes, ext, mime)?;
        let value = FieldValue::Text(name.to_string());
        match at {
            AnswerAt::Top => self.set_answer(id, field, &value)?,
            AnswerAt::Row { repeat, row_id } => self.set_row_answer(id, repeat, row_id, field, Some(&value))?,
        }
        Ok(name.to_string())
    }

    /// The entries to add for media names among `values`: each must be a file this store has.
    pub(crate) fn media_entries<'a>(&self, values: impl Iterator<Item = &'a FieldValue>) -> Result<Vec<MediaRef>> {
        let mut out = Vec::new();
        for v in values {
            let FieldValue::Text(t) = v else { continue };
            let Some(name) = MediaName::parse(t) else { continue };
            match self.media_info(name.as_str())? {
                Some(info) => out.push(MediaRef { name: info.name, size: info.size, mime: info.mime }),
                // Not here: the record may already list it (an answer set back to a file
                // another device attached); `reconcile_media` checks.
                None => out.push(MediaRef { name: name.to_string(), size: 0, mime: None }),
            }
        }
        Ok(out)
    }

    /// Files the response `id` refers to (its `media` map).
    pub fn response_media(&self, id: &str) -> Result<Vec<MediaRef>> {
        self.view(id, |d| {
            crate::model::expect_kind(d, id, Kind::Response)?;
            Ok(crate::model::response::read_media(d))
        })
    }
}

/// Adds the `media` entries of `added` (unless present) and removes entries no answer value
/// (winning or concurrent, top level or in a row) names. An added name with no size is one
/// this store does not have: it must already be listed.
pub(crate) fn reconcile_media(tx: &mut Transaction<'_>, added: &[MediaRef]) -> Result<()> {
    let maps = crate::model::response::media_maps(tx);
    if added.is_empty() && maps.is_empty() {
        return Ok(());
    }
    let map = match doc::get_obj(tx, &ROOT, "media") {
        Some(m) => m,
        None => tx.put_object(ROOT, "media", ObjType::Map)?,
    };
    let listed: BTreeSet<String> = maps.iter().flat_map(|m| tx.keys(m).collect::<Vec<_>>()).collect();
    for m in added {
        if listed.contains(&m.name) {
            continue;
        }
        if m.size == 0 {
            return Err(Error::invalid(format!("the file {} is not on this device; attach it first", m.name)));
        }
        if listed.len() >= crate::media::MAX_MEDIA_PER_RECORD {
            return Err(Error::invalid(format!("a record may refer to at most {} files", crate::media::MAX_MEDIA_PER_RECORD)));
        }
        let entry = tx.put_object(&map, m.name.as_str(), ObjType::Map)?;
        tx.put(&entry, "size", m.size.min(i64::MAX as u64) as i64)?;
        if let Some(t) = &m.mime {
            tx.put(&entry, "type", t.as_str())?;
        }
    }
    let named = named_files(tx);
    for map in crate::model::response::media_maps(tx) {
        let listed: Vec<String> = tx.keys(&map).collect();
        for k in listed {
            if !named.contains(&k) {
                tx.delete(&map, k.as_str())?;
            }
        }
    }
    Ok(())
}

/// Every media name an answer holds, concurrent values included.
fn named_files(tx: &Transaction<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut objs = Vec::new();
    if let Some(a) = doc::get_obj(tx, &ROOT, "answers") {
        objs.push(a);
    }
    if let Some(reps) = doc::get_obj(tx, &ROOT, "repeats") {
        for (_, rows) in doc::child_maps(tx, &reps) {
            objs.extend(doc::child_maps(tx, &rows).into_iter().map(|(_, row)| row));
        }
    }
    for obj in objs {
        let keys: Vec<String> = tx.keys(&obj).collect();
        for k in keys {
            for (v, _) in tx.get_all(&obj, k.as_str()).unwrap_or_default() {
                if let Value::Scalar(sv) = &v {
                    if let ScalarValue::Str(s) = sv.as_ref() {
                        if MediaName::parse(s).is_some() {
                            out.insert(s.to_string());
                        }
                    }
                }
            }
        }
    }
    out
}

/// Answers being written, by name, for [`Store::media_entries`].
pub(crate) fn written<'a>(answers: &'a BTreeMap<String, Option<FieldValue>>) -> impl Iterator<Item = &'a FieldValue> {
    answers.values().flatten()
}
