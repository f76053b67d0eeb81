//! Fields holding concurrent values, with who wrote each.

use automerge::{Automerge, ObjId, ObjType, ReadDoc, Value, ROOT};
use serde::{Deserialize, Serialize};

use super::authors::{author_of_change, ChangeAuthor};
use super::json::value_json;

/// One of several values written concurrently to one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// The value, as JSON (a multi-select is a list of choices).
    pub value: serde_json::Value,
    pub author: ChangeAuthor,
    /// Whether this is the value shown today (Automerge's deterministic pick).
    pub shown: bool,
}

/// A field with concurrent values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// `/`-separated path of the field, e.g. `answers/age` or `repeats/members/<row>/name`.
    pub path: String,
    pub values: Vec<ConflictValue>,
}

/// Lists every field that holds concurrent values, walking maps below the root.
pub(crate) fn conflicts(doc: &Automerge) -> Vec<FieldConflict> {
    let mut out = Vec::new();
    walk_conflicts(doc, &ROOT, &mut Vec::new(), &mut out);
    out
}

/// Counts conflicting fields without describing them.
pub(crate) fn conflict_count(doc: &Automerge) -> usize {
    conflicts(doc).len()
}

/// Root fields that are derived, not typed by anyone: concurrent writes there (a phone and the
/// hub both validating a response) are not a conflict for a person to resolve.
const DERIVED_FIELDS: &[&str] = &["validation"];

fn walk_conflicts(doc: &Automerge, obj: &ObjId, path: &mut Vec<String>, out: &mut Vec<FieldConflict>) {
    let keys: Vec<String> = doc.keys(obj).collect();
    for key in keys {
        if path.is_empty() && DERIVED_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let Ok(all) = doc.get_all(obj, key.as_str()) else { continue };
        path.push(key.clone());
        if all.len() > 1 {
            let values = all
                .iter()
                .enumerate()
                .map(|(i, (v, id))| {
                    let author = doc
                        .hash_for_opid(id)
                        .and_then(|h| author_of_change(doc, &h))
                        .unwrap_or(ChangeAuthor {
                            user_id: String::new(),
                            user_name: String::new(),
                            device: String::new(),
                            time_ms: 0,
                        });
                    ConflictValue { value: value_json(doc, v, id), author, shown: i + 1 == all.len() }
                })
                .collect::<Vec<_>>();
            // Two people who wrote the same value at once agree: nothing for anyone to resolve.
            if values.windows(2).any(|w| w[0].value != w[1].value) {
                out.push(FieldConflict { path: path.join("/"), values });
            }
        } else if let Some((Value::Object(ObjType::Map), id)) = all.first() {
            // Containers are walked; any other map (a multi-select answer) is one field.
            if is_container(path) {
                walk_conflicts(doc, id, path, out);
            }
        }
        path.pop();
    }
}

/// The maps of a record that hold fields (as opposed to maps that are a field's value).
fn is_container(path: &[String]) -> bool {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    matches!(
        p.as_slice(),
        ["answers" | "attrs" | "repeats" | "attendees" | "decisions" | "review"]
            | ["repeats", _]
            | ["repeats", _, _]
            | ["attendees", _]
            | ["decisions", _]
    )
}
