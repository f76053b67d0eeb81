//! What a set of incoming changes does, read from the changes themselves, before anything walks
//! the document they produce.
//!
//! A hostile or broken peer can send a record that is harmless to store but ruinous to read: a
//! map nested thousands deep (a recursive walk overflows the stack, which no panic guard
//! catches), millions of ops, a megabyte string in every field. And what a change *does* is not
//! what the merged document *shows*: a write that loses a conflict, or lands inside a deleted
//! object, is invisible in the result yet is kept, synced and may surface later. So both the
//! bounds and the write policy are decided here, from every op of every new change, visible or
//! not, with one iterative pass and no recursion:
//!
//! - [`Limits`] bound depth, op count, new objects, string size and actors per record;
//! - [`Incoming::root_keys`] names every top-level field any op writes under, which the write
//!   policy (`policy`) checks against the sender's role.

use sha2::Digest;
use std::collections::{BTreeSet, HashMap};

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc, ScalarValue};

/// Bounds on what one record may hold or one apply may add. Generous for any real survey,
/// meeting or action item (the deepest real path is `repeats/<name>/<row>/<field>/<choice>`,
/// depth 5; a day's co-edited minutes are tens of thousands of ops), small enough that a store
/// and a hub stay up and responsive on hostile input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting of objects below the root.
    pub max_depth: usize,
    /// Ops added by one apply (all new changes together).
    pub max_new_ops: usize,
    /// Objects (maps, lists, texts) created by one apply.
    pub max_new_objects: usize,
    /// Bytes of one string or byte value.
    pub max_scalar_bytes: usize,
    /// Bytes of one map key.
    pub max_key_bytes: usize,
    /// Ops in the whole record after the apply.
    pub max_record_ops: u64,
    /// Changes one apply may add.
    pub max_new_changes: usize,
}

/// The limits every store applies to bytes from elsewhere.
pub const LIMITS: Limits = Limits {
    max_depth: 16,
    max_new_ops: 250_000,
    max_new_objects: 20_000,
    max_scalar_bytes: 256 * 1024,
    max_key_bytes: 1024,
    max_record_ops: 1_000_000,
    max_new_changes: 50_000,
};

/// One new change: who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingChange {
    pub hash: ChangeHash,
    pub actor: ActorId,
    /// The Automerge author bytes (`user_id 0x1f display_name`), if any.
    pub author: Option<Vec<u8>>,
    /// The top-level fields this change writes into (directly or below).
    pub root_keys: BTreeSet<String>,
}

/// What the new changes of one apply do.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// Every top-level field written by any op, directly or anywhere below it, whether the
    /// result shows the write or not.
    pub root_keys: BTreeSet<String>,
    pub changes: Vec<IncomingChange>,
    pub ops: usize,
    pub new_objects: usize,
    /// The deepest object any op wrote into or created (1 = a map at the root).
    pub depth: usize,
}

/// Reads `changes` (new changes, in causal order, as `Automerge::get_changes` returns them)
/// that were applied to produce `after`, checking them against `limits`. Objects the changes
/// did not create are looked up in `after` (iteratively, never deeper than the limit).
/// Must run inside `doc::guard`: automerge's decoders assert on malformed input.
pub fn inspect(after: &Automerge, changes: &[Change], limits: &Limits) -> Result<Incoming, String> {
    if changes.len() > limits.max_new_changes {
        return Err(format!("too many changes at once ({}; at most {})", changes.len(), limits.max_new_changes));
    }
    let total_ops = after.stats().num_ops;
    if total_ops > limits.max_record_ops {
        return Err(format!("record too large ({total_ops} operations; at most {})", limits.max_record_ops));
    }
    let mut out = Incoming::default();
    // Objects seen so far: (counter, actor) → (depth, top-level field).
    let mut known: HashMap<(u64, ActorId), (usize, String)> = HashMap::new();
    for change in changes {
        let expanded = change.decode();
        out.ops += expanded.operations.len();
        if out.ops > limits.max_new_ops {
            return Err(format!("too many operations at once (more than {})", limits.max_new_ops));
        }
        out.changes.push(IncomingChange {
            hash: change.hash(),
            actor: change.actor_id().clone(),
            author: change.author().map(|a| a.as_bytes().to_vec()),
            root_keys: BTreeSet::new(),
        });
        // An author must match the actor: ours end in 4 bytes of SHA-256 of the user id.
        if let Some(author) = change.author() {
            let actor = change.actor_id().to_bytes();
            let user = crate::doc::author_user(author.as_bytes());
            let tag = sha2::Sha256::digest(user.as_bytes());
            if actor.len() != 24 || actor[20..] != tag[..4] {
                return Err("a change's author does not match its actor id".into());
            }
        }
        let start = expanded.start_op.get();
        for (i, op) in expanded.operations.iter().enumerate() {
            let (parent_depth, root_key) = match &op.obj {
                ObjectId::Root => match &op.key {
                    Key::Map(k) => (0, k.to_string()),
                    Key::Seq(_) => return Err("a list operation on the record's root map".into()),
                },
                ObjectId::Id(oid) => {
                    let key = (oid.counter(), oid.actor().clone());
                    match known.get(&key) {
                        Some(v) => v.clone(),
                        None => {
                            let v = locate(after, oid.counter(), oid.actor(), limits)?;
                            known.insert(key, v.clone());
                            v
                        }
                    }
                }
            };
            if let Key::Map(k) = &op.key {
                if k.len() > limits.max_key_bytes {
                    return Err(format!("a field name is too long (at most {} bytes)", limits.max_key_bytes));
                }
            }
            out.depth = out.depth.max(parent_depth);
            match &op.action {
                OpType::Make(_) => {
                    let depth = parent_depth + 1;
                    if depth > limits.max_depth {
                        return Err(format!("objects nested too deep (more than {} levels)", limits.max_depth));
                    }
                    out.new_objects += 1;
                    if out.new_objects > limits.max_new_objects {
                        return Err(format!("too many new objects at once (more than {})", limits.max_new_objects));
                    }
                    out.depth = out.depth.max(depth);
                    known.insert((start + i as u64, expanded.actor_id.clone()), (depth, root_key.clone()));
                }
                OpType::Put(ScalarValue::Str(s)) if s.len() > limits.max_scalar_bytes => {
                    return Err(format!("a value is too long (at most {} bytes)", limits.max_scalar_bytes));
                }
                OpType::Put(ScalarValue::Bytes(b)) if b.len() > limits.max_scalar_bytes => {
                    return Err(format!("a value is too long (at most {} bytes)", limits.max_scalar_bytes));
                }
                _ => {}
            }
            if let Some(c) = out.changes.last_mut() {
                if !c.root_keys.contains(&root_key) {
                    c.root_keys.insert(root_key.clone());
                }
            }
            out.root_keys.insert(root_key);
        }
    }
    Ok(out)
}

/// Depth and top-level field of an object the new changes did not create, by walking its
/// parents in `doc` (an iterator, bounded by the depth limit).
fn locate(doc: &Automerge, counter: u64, actor: &ActorId, limits: &Limits) -> Result<(usize, String), String> {
    let obj = doc
        .import_obj(&format!("{counter}@{actor}"))
        .map_err(|_| "an operation refers to an object that does not exist".to_string())?;
    let parents = doc.parents(&obj).map_err(|_| "an operation refers to an object that does not exist".to_string())?;
    let mut depth = 0;
    let mut top = None;
    for p in parents {
        depth += 1;
        if depth > limits.max_depth {
            return Err(format!("objects nested too deep (more than {} levels)", limits.max_depth));
        }
        top = Some(p.prop);
    }
    match top {
        Some(automerge::Prop::Map(k)) => Ok((depth, k)),
        _ => Err("an operation refers to an object outside the record's root map".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ROOT};

    fn nested(depth: usize) -> Automerge {
        let mut d = Automerge::new();
        let mut tx = d.transaction();
        let mut obj = ROOT;
        for i in 0..depth {
            obj = tx.put_object(&obj, format!("k{i}"), ObjType::Map).unwrap();
        }
        tx.put(&obj, "leaf", 1).unwrap();
        tx.commit();
        d
    }

    #[test]
    fn nesting_past_the_limit_is_refused_without_recursion() {
        let d = nested(5000);
        let e = inspect(&d, &d.get_changes(&[]), &LIMITS).unwrap_err();
        assert!(e.contains("nested too deep"), "{e}");
        let ok = nested(LIMITS.max_depth);
        let got = inspect(&ok, &ok.get_changes(&[]), &LIMITS).unwrap();
        assert_eq!(got.depth, LIMITS.max_depth);
        assert_eq!(got.root_keys, BTreeSet::from(["k0".to_string()]));
    }

    #[test]
    fn writes_into_existing_objects_name_their_top_level_field() {
        let mut d = nested(3);
        let before = d.get_heads();
        let inner = d.get(&ROOT, "k0").unwrap().unwrap().1;
        let mut tx = d.transaction();
        tx.put(&inner, "x", "y").unwrap();
        tx.commit();
        let got = inspect(&d, &d.get_changes(&before), &LIMITS).unwrap();
        assert_eq!(got.root_keys, BTreeSet::from(["k0".to_string()]));
        assert_eq!(got.depth, 1);
    }

    #[test]
    fn a_write_that_loses_a_conflict_still_counts() {
        let mut a = Automerge::new();
        let mut b = a.fork();
        let mut tx = a.transaction();
        let m = tx.put_object(&ROOT, "review", ObjType::Map).unwrap();
        tx.put(&m, "state", "approved").unwrap();
        tx.commit();
        let base = b.get_heads();
        let mut tx = b.transaction();
        tx.put_object(&ROOT, "review", ObjType::Map).unwrap();
        tx.commit();
        b.merge(&mut a).unwrap();
        let got = inspect(&b, &b.get_changes(&base), &LIMITS).unwrap();
        assert!(got.root_keys.contains("review"));
    }

    #[test]
    fn long_strings_are_refused() {
        let mut d = Automerge::new();
        let mut tx = d.transaction();
        tx.put(&ROOT, "x", "a".repeat(LIMITS.max_scalar_bytes + 1)).unwrap();
        tx.commit();
        assert!(inspect(&d, &d.get_changes(&[]), &LIMITS).unwrap_err().contains("too long"));
    }
}
