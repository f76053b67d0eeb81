//! Building a merge's changes: each is made on a copy of the record's document by an actor
//! of its own and then applied through the store like changes from a peer, so that one merge
//! (several records) is one SQLite transaction, and so that fields can be given several
//! values as concurrent changes (see [`super::merge`]).

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ActorId, Author, Automerge, ObjId, ObjType, ReadDoc, ROOT};
use sha2::{Digest, Sha256};

use crate::doc;
use crate::model::checks::now_ms;
use crate::store::Inner;
use crate::{Error, FieldValue, Result, Store};

/// A field to hold several values, written as concurrent changes: value `i` by lane `i`.
pub(super) type Lanes = Vec<(String, Vec<FieldValue>)>;

/// The actors one merge writes with: `main` for everything, `side` for the further values of
/// fields put in conflict. All are this device's (its 16 bytes first, so history shows the
/// right device), with fresh random bytes so that no actor is ever reused.
pub(super) struct Actors {
    pub(super) main: ActorId,
    pub(super) side: Vec<ActorId>,
    pub(super) author: Author<'static>,
    pub(super) now: i64,
}

impl Actors {
    pub(super) fn new(store: &Store, lanes: usize) -> Result<Actors> {
        let who = store.identity();
        let device = hex::decode(store.device_id()).map_err(|_| Error::invalid("this store's device id is malformed"))?;
        let user = Sha256::digest(who.user_id.as_bytes());
        let actor = || {
            let mut a = device.clone();
            a.extend_from_slice(&uuid::Uuid::new_v4().as_bytes()[..4]);
            a.extend_from_slice(&user[..4]);
            ActorId::from(a)
        };
        Ok(Actors {
            main: actor(),
            side: (1..lanes.max(1)).map(|_| actor()).collect(),
            author: Author::from(doc::author_bytes(&who.user_id, &who.display_name)),
            now: now_ms(),
        })
    }
}

/// Makes one change on a copy of `d` as `actor`; returns its bytes (`None` if it wrote
/// nothing). The caller applies them through the store, like changes from a peer.
pub(super) fn make_change(
    d: &Automerge,
    actor: &ActorId,
    a: &Actors,
    message: &str,
    body: impl FnOnce(&mut Transaction<'_>) -> Result<()>,
) -> Result<Option<Vec<u8>>> {
    let heads = d.get_heads();
    let mut copy = d.clone();
    // The author first: setting an author draws a fresh random actor, which `set_actor` then
    // replaces with ours.
    copy.set_author(Some(a.author.clone()));
    copy.set_actor(actor.clone());
    let mut tx = copy.transaction();
    if let Err(e) = body(&mut tx) {
        tx.rollback();
        return Err(e);
    }
    let (hash, _) = tx.commit_with(CommitOptions::default().with_time(a.now).with_message(message));
    Ok(hash.map(|_| copy.save_after(&heads)))
}

pub(super) fn change_record(
    inner: &mut Inner,
    id: &str,
    a: &Actors,
    message: &str,
    body: impl FnOnce(&mut Transaction<'_>) -> Result<()>,
) -> Result<bool> {
    let bytes = inner.with_doc(id, |d| make_change(d, &a.main, a, message, body))?;
    match bytes {
        Some(b) => Ok(inner.apply(id, &b, None)?.changed),
        None => Ok(false),
    }
}

/// Every concurrent value of `key` in `obj` (one, unless it is in conflict).
pub(super) fn values_at(d: &impl ReadDoc, obj: &ObjId, key: &str) -> Vec<FieldValue> {
    d.get_all(obj, key)
        .map(|all| all.iter().filter_map(|(v, id)| doc::read_value(d, v, id)).collect())
        .unwrap_or_default()
}

pub(super) fn distinct(values: Vec<FieldValue>) -> Vec<FieldValue> {
    let mut out: Vec<FieldValue> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The changes that make each field of `lanes` hold its values concurrently: lane 0 (the
/// main actor) also runs `first`; lane `i` writes value `i` of every field that has one.
pub(super) fn lane_changes(
    d: &Automerge,
    a: &Actors,
    message: &str,
    lanes: &Lanes,
    first: impl FnOnce(&mut Transaction<'_>, &ObjId) -> Result<()>,
) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let main = make_change(d, &a.main, a, message, |tx| {
        let attrs = doc::map_at(tx, &["attrs"], true)?.ok_or_else(|| Error::invalid("subject has no attributes"))?;
        for (k, values) in lanes {
            if let Some(v) = values.first() {
                put_fresh(tx, &attrs, k, v)?;
            }
        }
        first(tx, &attrs)
    })?;
    out.extend(main);
    for (i, actor) in a.side.iter().enumerate() {
        let lane = i + 1;
        let side = make_change(d, actor, a, message, |tx| {
            let attrs = doc::map_at(tx, &["attrs"], true)?.ok_or_else(|| Error::invalid("subject has no attributes"))?;
            for (k, values) in lanes {
                if let Some(v) = values.get(lane) {
                    put_fresh(tx, &attrs, k, v)?;
                }
            }
            Ok(())
        })?;
        out.extend(side);
    }
    Ok(out)
}

/// Writes `value` so that it supersedes whatever the field holds, always as a new operation:
/// Automerge skips a put of the value a field already holds, which would leave a lane empty
/// and let a concurrent lane's value win silently. So a scalar is written as delete + put, and
/// a multi-select as a fresh map (two such writes made concurrently stay two values).
pub(super) fn put_fresh(tx: &mut Transaction<'_>, obj: &ObjId, key: &str, value: &FieldValue) -> Result<()> {
    match value {
        FieldValue::Choices(set) => {
            let m = tx.put_object(obj, key, ObjType::Map)?;
            for c in set {
                tx.put(&m, c.as_str(), true)?;
            }
            Ok(())
        }
        other => {
            if tx.get(obj, key)?.is_some() {
                tx.delete(obj, key)?;
            }
            doc::write_value(tx, obj, key, other)
        }
    }
}

/// Writes the field's value again when it holds several equal values (the same write made
/// on two devices), so that it holds one.
pub(super) fn settle(tx: &mut Transaction<'_>, obj: &ObjId, key: &str) -> Result<()> {
    let vals = values_at(tx, obj, key);
    if vals.len() > 1 && vals.windows(2).all(|w| w[0] == w[1]) {
        put_fresh(tx, obj, key, &vals[0])?;
    }
    Ok(())
}

/// Points a root text field at `target` unless it already holds exactly that.
pub(super) fn point_at(tx: &mut Transaction<'_>, key: &str, target: &str) -> Result<()> {
    let vals = values_at(tx, &ROOT, key);
    if vals.len() != 1 || vals[0] != FieldValue::Text(target.to_string()) {
        tx.put(ROOT, key, target)?;
    }
    Ok(())
}

