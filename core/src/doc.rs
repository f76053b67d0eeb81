//! Helpers over Automerge documents: guarded application of untrusted bytes, typed reads and
//! writes of fields by path, conflict listing, history and point-in-time views.
//!
//! Automerge 0.12 panics on some malformed input whose checksums are valid (DESIGN §9). Every
//! call that touches bytes from outside this store runs inside [`guard`], on a copy of the live
//! document, so a panic becomes an error and the live document stays as it was.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use automerge::{
    transaction::Transactable, ActorId, Automerge, ChangeHash, ObjId, ObjType, PatchAction, Prop,
    ReadDoc, ScalarValue, Value, ROOT,
};
use serde::{Deserialize, Serialize};

use crate::value::FieldValue;
use crate::{Error, Result};

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}
static HOOK: Once = Once::new();

/// Runs `f`, turning a panic inside it into `Err(reason)`. Panics caught here are not printed:
/// they are expected for hostile input and are reported through the returned error instead.
pub(crate) fn guard<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let out = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    out.map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        format!("the document library failed on these bytes ({})", truncate(&msg, 120))
    })
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

pub(crate) const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Checks that `bytes` is a sequence of well-formed Automerge chunks, each with a valid
/// checksum, without applying anything. Automerge's own incremental load skips chunks it
/// cannot parse (and reports success), so untrusted bytes pass through here first.
/// Must run inside [`guard`].
/// When `bytes` is exactly one document chunk, the loaded document is returned (so a caller
/// with nothing to merge it into need not load it twice).
pub(crate) fn validate_chunks(bytes: &[u8]) -> std::result::Result<Option<Automerge>, String> {
    // Bounded before Automerge decodes anything (its decoders trust run lengths).
    crate::chunks::check(bytes)?;
    let mut rest = bytes;
    let mut n = 0;
    let mut only_doc = None;
    while !rest.is_empty() {
        if rest.len() < 9 || rest[..4] != MAGIC {
            return Err("not Automerge data (bad chunk header)".into());
        }
        let ty = rest[8];
        let (len, used) = uleb(&rest[9..]).ok_or("bad chunk length")?;
        let end = 9usize
            .checked_add(used)
            .and_then(|h| h.checked_add(usize::try_from(len).ok()?))
            .filter(|e| *e <= rest.len())
            .ok_or("truncated chunk")?;
        let chunk = &rest[..end];
        match ty {
            0 | 3 => {
                let d = Automerge::load_with_options(
                    chunk,
                    automerge::LoadOptions::new()
                        .on_partial_load(automerge::OnPartialLoad::Error)
                        .verification_mode(automerge::VerificationMode::Check),
                )
                .map_err(|e| format!("bad document chunk: {e}"))?;
                if n == 0 && ty == 0 && end == rest.len() {
                    only_doc = Some(d);
                }
            }
            1 | 2 => {
                automerge::Change::from_bytes(chunk.to_vec()).map_err(|e| format!("bad change chunk: {e}"))?;
            }
            other => return Err(format!("unknown chunk type {other}")),
        }
        rest = &rest[end..];
        n += 1;
    }
    Ok(only_doc)
}

/// For bytes made only of change chunks: each change's hash and dependencies (`None` if any
/// chunk is a whole document, or the bytes do not parse). Must run inside [`guard`].
pub(crate) fn change_graph(bytes: &[u8]) -> Option<Vec<(ChangeHash, Vec<ChangeHash>)>> {
    let mut rest = bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 9 || rest[..4] != MAGIC {
            return None;
        }
        let (len, used) = uleb(&rest[9..])?;
        let end = 9usize.checked_add(used)?.checked_add(usize::try_from(len).ok()?)?;
        if end > rest.len() || !matches!(rest[8], 1 | 2) {
            return None;
        }
        let change = automerge::Change::from_bytes(rest[..end].to_vec()).ok()?;
        out.push((change.hash(), change.deps().to_vec()));
        rest = &rest[end..];
    }
    Some(out)
}

/// Appends `v` as unsigned LEB128 (the integer encoding of Automerge's chunks).
pub(crate) fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

pub(crate) fn uleb(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Who made a change: the user (from the Automerge author) and the device (from the actor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeAuthor {
    pub user_id: String,
    pub user_name: String,
    /// Hex id of the device store that made the change.
    pub device: String,
    /// Unix time in milliseconds.
    pub time_ms: i64,
}

/// Encodes a user as Automerge author bytes: `user_id 0x1f display_name`.
pub(crate) fn author_bytes(user_id: &str, display_name: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(user_id.len() + display_name.len() + 1);
    v.extend_from_slice(user_id.as_bytes());
    v.push(0x1f);
    v.extend_from_slice(display_name.as_bytes());
    v
}

/// The user id in Automerge author bytes.
pub(crate) fn author_user(bytes: &[u8]) -> String {
    decode_author(Some(bytes)).0
}

fn decode_author(bytes: Option<&[u8]>) -> (String, String) {
    let Some(b) = bytes else { return (String::new(), String::new()) };
    let s = String::from_utf8_lossy(b);
    match s.split_once('\u{1f}') {
        Some((u, n)) => (u.to_string(), n.to_string()),
        None => (s.to_string(), String::new()),
    }
}

/// The device part of an actor id: the first 16 bytes, as hex.
pub(crate) fn device_of(actor: &ActorId) -> String {
    let b = actor.to_bytes();
    hex::encode(&b[..b.len().min(16)])
}

pub(crate) fn author_of_change(doc: &Automerge, hash: &ChangeHash) -> Option<ChangeAuthor> {
    let meta = doc.get_change_meta_by_hash(hash)?;
    let (user_id, user_name) = decode_author(meta.author.as_ref().map(|a| a.as_bytes()));
    Some(ChangeAuthor { user_id, user_name, device: device_of(&meta.actor), time_ms: meta.timestamp })
}

pub(crate) fn heads_to_hex(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(|h| h.to_string()).collect()
}

pub(crate) fn heads_from_hex(heads: &[String]) -> Result<Vec<ChangeHash>> {
    heads
        .iter()
        .map(|h| h.parse::<ChangeHash>().map_err(|_| Error::invalid("a version hash is malformed")))
        .collect()
}

pub(crate) fn heads_to_blob(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}


// ---- typed reads ----------------------------------------------------------------------------

pub(crate) fn get_str(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn get_i64(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<i64> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Int(i) => Some(*i),
            ScalarValue::Uint(u) => i64::try_from(*u).ok(),
            ScalarValue::Timestamp(t) => Some(*t),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn get_bool(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<bool> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Boolean(b) => Some(*b),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn get_obj(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(obj, key).ok()?? {
        (Value::Object(_), id) => Some(id),
        _ => None,
    }
}

pub(crate) fn get_text(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Object(ObjType::Text), id) => doc.text(&id).ok(),
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Reads a field value: a scalar, or a map of choice → true as a multi-select.
pub(crate) fn read_value(doc: &impl ReadDoc, value: &Value<'_>, id: &ObjId) -> Option<FieldValue> {
    match value {
        Value::Scalar(s) => FieldValue::from_scalar(s),
        Value::Object(ObjType::Map) => {
            let set: BTreeSet<String> = doc
                .map_range(id, ..)
                .filter(|item| {
                    matches!(item.value.clone().into_value(), Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
                })
                .map(|item| item.key.to_string())
                .collect();
            Some(FieldValue::Choices(set))
        }
        Value::Object(ObjType::Text) => doc.text(id).ok().map(FieldValue::Text),
        Value::Object(_) => None,
    }
}

/// Reads every field of a map of values (answers, attributes).
pub(crate) fn read_fields(
    doc: &impl ReadDoc,
    obj: &ObjId,
) -> std::collections::BTreeMap<String, FieldValue> {
    let mut out = std::collections::BTreeMap::new();
    let keys: Vec<String> = doc.keys(obj).collect();
    for key in keys {
        if let Ok(Some((v, id))) = doc.get(obj, key.as_str()) {
            if let Some(fv) = read_value(doc, &v, &id) {
                out.insert(key, fv);
            }
        }
    }
    out
}

// ---- typed writes ---------------------------------------------------------------------------

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

// ---- conflicts ------------------------------------------------------------------------------

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

fn value_json(doc: &Automerge, v: &Value<'_>, id: &ObjId) -> serde_json::Value {
    match v {
        Value::Scalar(s) => scalar_json(s),
        Value::Object(_) => object_json(doc, id, None),
    }
}

pub(crate) fn scalar_json(s: &ScalarValue) -> serde_json::Value {
    use serde_json::Value as J;
    match s {
        ScalarValue::Str(s) => J::String(s.to_string()),
        ScalarValue::Int(i) => J::from(*i),
        ScalarValue::Uint(u) => J::from(*u),
        ScalarValue::F64(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
        ScalarValue::Counter(c) => J::from(i64::from(c)),
        ScalarValue::Timestamp(t) => J::from(*t),
        ScalarValue::Boolean(b) => J::Bool(*b),
        ScalarValue::Bytes(b) => J::String(hex::encode(b)),
        ScalarValue::Null | ScalarValue::Unknown { .. } => J::Null,
    }
}

/// An object as JSON, as of `heads` (or now). Multi-select maps come out as maps of
/// choice → true, text as strings. Iterative, with an explicit stack: a document's depth comes
/// from whoever wrote it, and a recursive walk of a deep one would overflow the thread's stack
/// (which no panic guard catches).
pub(crate) fn object_json(doc: &Automerge, obj: &ObjId, heads: Option<&[ChangeHash]>) -> serde_json::Value {
    use serde_json::Value as J;
    /// An object being filled in: its id, the slots still to read, and what it holds so far.
    struct Frame {
        obj: ObjId,
        slots: std::vec::IntoIter<Prop>,
        /// The slot in the parent this object fills.
        at: Option<Prop>,
        out: J,
    }
    let open = |obj: ObjId, at: Option<Prop>| -> std::result::Result<Frame, J> {
        match doc.object_type(&obj).unwrap_or(ObjType::Map) {
            ObjType::Text => Err(J::String(match heads {
                Some(h) => doc.text_at(&obj, h).unwrap_or_default(),
                None => doc.text(&obj).unwrap_or_default(),
            })),
            ObjType::List => {
                let len = match heads {
                    Some(h) => doc.length_at(&obj, h),
                    None => doc.length(&obj),
                };
                let slots: Vec<Prop> = (0..len).map(Prop::Seq).collect();
                Ok(Frame { obj, slots: slots.into_iter(), at, out: J::Array(Vec::with_capacity(len)) })
            }
            _ => {
                let keys: Vec<Prop> = match heads {
                    Some(h) => doc.keys_at(&obj, h).map(Prop::Map).collect(),
                    None => doc.keys(&obj).map(Prop::Map).collect(),
                };
                Ok(Frame { obj, slots: keys.into_iter(), at, out: J::Object(serde_json::Map::new()) })
            }
        }
    };
    fn put(into: &mut J, at: Prop, v: J) {
        match (into, at) {
            (J::Array(a), _) => a.push(v),
            (J::Object(m), Prop::Map(k)) => {
                m.insert(k, v);
            }
            _ => {}
        }
    }
    let mut stack = match open(obj.clone(), None) {
        Ok(f) => vec![f],
        Err(leaf) => return leaf,
    };
    loop {
        let top = stack.last_mut().expect("the stack holds the object being read");
        match top.slots.next() {
            Some(prop) => {
                let got = match heads {
                    Some(h) => doc.get_at(&top.obj, prop.clone(), h),
                    None => doc.get(&top.obj, prop.clone()),
                };
                match got {
                    Ok(Some((Value::Object(_), id))) => match open(id, Some(prop.clone())) {
                        Ok(child) => stack.push(child),
                        Err(leaf) => put(&mut top.out, prop, leaf),
                    },
                    Ok(Some((Value::Scalar(s), _))) => put(&mut top.out, prop, scalar_json(&s)),
                    _ => put(&mut top.out, prop, J::Null),
                }
            }
            None => {
                let done = stack.pop().expect("not empty");
                match stack.last_mut() {
                    Some(parent) => put(&mut parent.out, done.at.expect("children know their slot"), done.out),
                    None => return done.out,
                }
            }
        }
    }
}

/// Writes `value` at a `/`-separated path of maps (used to resolve a conflict). The write
/// supersedes every concurrent value of that field.
pub(crate) fn write_path<T: Transactable + ReadDoc>(tx: &mut T, path: &str, value: &FieldValue) -> Result<()> {
    let segs: Vec<&str> = path.split('/').collect();
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

// ---- history --------------------------------------------------------------------------------

/// One change in a record's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Hex hash of the change: pass it to a point-in-time view.
    pub change: String,
    pub author: ChangeAuthor,
    /// The fields this change wrote, as `/`-separated paths.
    pub fields: Vec<String>,
    pub message: Option<String>,
}

pub(crate) fn history(doc: &Automerge) -> Vec<HistoryEntry> {
    let metas: Vec<(ChangeHash, Vec<ChangeHash>, Option<String>)> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|m| (m.hash, m.deps.clone(), m.message.map(|s| s.to_string())))
        .collect();
    metas
        .into_iter()
        .map(|(hash, deps, message)| {
            let mut fields = BTreeSet::new();
            for patch in doc.diff(&deps, &[hash]) {
                let mut p: Vec<String> = patch.path.iter().map(|(_, prop)| prop_str(prop)).collect();
                match &patch.action {
                    PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => p.push(key.clone()),
                    PatchAction::Conflict { prop } | PatchAction::Increment { prop, .. } => p.push(prop_str(prop)),
                    _ => {}
                }
                fields.insert(p.join("/"));
            }
            HistoryEntry {
                change: hash.to_string(),
                author: author_of_change(doc, &hash).unwrap_or(ChangeAuthor {
                    user_id: String::new(),
                    user_name: String::new(),
                    device: String::new(),
                    time_ms: 0,
                }),
                fields: fields.into_iter().filter(|f| !f.is_empty()).collect(),
                message,
            }
        })
        .collect()
}

fn prop_str(p: &Prop) -> String {
    match p {
        Prop::Map(k) => k.clone(),
        Prop::Seq(i) => i.to_string(),
    }
}
