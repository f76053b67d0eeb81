//! Typed writes of fields, by key and by `/`-separated path.

use automerge::{transaction::Transactable, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};

use super::read::get_obj;
use crate::value::FieldValue;
use crate::{Error, Result};

/// Writes a field value, keeping multi-select answers as maps so that concurrent choice
/// additions and removals merge. Writing over concurrent values supersedes all of them.
pub(crate) fn write_value<T: Transactable + ReadDoc>(
    tx: &mut T,
    obj: &ObjId,
    key: &str,
    value: &FieldValue,
) -> Result<()> {
    match value {
        FieldValue::Choices(set) => {
            let all = tx.get_all(obj, key)?;
            let existing = match (all.len(), doc_first(&all)) {
                (1, Some((Value::Object(ObjType::Map), id))) => Some(id),
                _ => None,
            };
            let map = match existing {
                Some(id) => id,
                None => tx.put_object(obj, key, ObjType::Map)?,
            };
            let keys: Vec<String> = tx.keys(&map).collect();
            for k in keys {
                if !set.contains(&k) {
                    tx.delete(&map, k.as_str())?;
                }
            }
            for k in set {
                let cur = tx.get_all(&map, k.as_str())?;
                let is_true = cur.len() == 1
                    && matches!(&cur[0].0, Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Boolean(true)));
                if !is_true {
                    tx.put(&map, k.as_str(), true)?;
                }
            }
        }
        other => {
            let scalar = other.to_scalar().expect("non-choice values are scalars");
            tx.put(obj, key, scalar)?;
        }
    }
    Ok(())
}

fn doc_first(all: &[(Value<'_>, ObjId)]) -> Option<(Value<'static>, ObjId)> {
    all.first().map(|(v, id)| (v.clone().to_owned(), id.clone()))
}

/// Finds (and with `create`, makes) the map at `path` below the root.
pub(crate) fn map_at<T: Transactable + ReadDoc>(tx: &mut T, path: &[&str], create: bool) -> Result<Option<ObjId>> {
    let mut cur = ROOT;
    for seg in path {
        cur = match get_obj(tx, &cur, seg) {
            Some(id) => id,
            None if create => tx.put_object(&cur, *seg, ObjType::Map)?,
            None => return Ok(None),
        };
    }
    Ok(Some(cur))
}

/// Replaces the whole of a text object with `new`, as a minimal diff so concurrent edits to the
/// untouched parts survive.
pub(crate) fn replace_text<T: Transactable>(tx: &mut T, text: &ObjId, new: &str) -> Result<()> {
    tx.update_text(text, new)?;
    Ok(())
}

/// Writes `value` at a `/`-separated path of maps (used to resolve a conflict). The write
/// supersedes every concurrent value of that field.
pub(crate) fn write_path<T: Transactable + ReadDoc>(tx: &mut T, path: &str, value: &FieldValue) -> Result<()> {
    let mut segs: Vec<&str> = path.split('/').collect();
    // An answer's key may itself be a path (`answers/visit/name`, a name used twice in its
    // form): under `answers` the rest is one key, under `repeats/<repeat>/<row>` too.
    let keep = match segs.first() {
        Some(&"answers") => 1,
        Some(&"repeats") => 3,
        _ => segs.len(),
    };
    if segs.len() > keep + 1 {
        let key = path.splitn(keep + 1, '/').last().unwrap_or_default();
        segs.truncate(keep);
        segs.push(key);
    }
    let (last, parents) = segs.split_last().ok_or_else(|| Error::invalid("empty field path"))?;
    if last.is_empty() || parents.iter().any(|s| s.is_empty()) {
        return Err(Error::invalid("malformed field path"));
    }
    let obj = map_at(tx, parents, false)?.ok_or_else(|| Error::invalid("no such field"))?;
    if let FieldValue::Choices(_) = value {
        // A fresh map supersedes the concurrent ones instead of merging into one of them.
        tx.put_object(&obj, *last, ObjType::Map)?;
    }
    write_value(tx, &obj, last, value)
}
