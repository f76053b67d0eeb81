//! Applying changes from elsewhere (a peer, a bundle, another store) to a record: untrusted
//! bytes are validated and applied to a copy inside a panic guard, bounded and checked from the
//! changes themselves (`crate::incoming`), and only then persisted and swapped in.
//!
//! Changes whose dependencies have not arrived are *parked* in `pending`, with the peer that
//! sent them. Parking is only a convenience (the sender keeps its changes and is asked to send
//! the record whole), so it is bounded: a parked change must be for a record the sender may
//! see, each sender has a quota, and parked changes expire. A parked change that later becomes
//! applicable is checked against the peer that *sent* it, never against whoever completed it.

use automerge::{Automerge, ReadDoc, ROOT};
use rusqlite::params;
use sha2::{Digest, Sha256};

use super::write::{encode, write_encoded, Encoded};
use super::{ApplyOutcome, Inner, RowInfo, MAX_CHANGE_BYTES};
use crate::model::checks::now_ms;
use crate::model::{index_row, IndexRow, Kind};
use crate::doc;
use crate::incoming::{inspect, Incoming, LIMITS};
use crate::model::Role;
use crate::policy::{authority, check_write, device_of, PeerInfo, IDENTITY_FIELDS};
use crate::sign::Signatures;
use crate::{Error, Result};

/// Parked changes kept per record.
pub const PENDING_PER_RECORD: i64 = 16;
/// Parked changes kept per sending peer.
pub const PENDING_PER_PEER: i64 = 256;
/// Bytes of parked changes kept per sending peer.
pub const PENDING_BYTES_PER_PEER: i64 = 8 * 1024 * 1024;
/// Parked changes older than this are dropped (their sender still holds them).
pub const PENDING_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// What applying the untrusted bytes to a copy gave.
enum Attempt {
    /// Nothing new.
    Unchanged { copy: Automerge },
    /// The bytes need changes this store lacks.
    Waiting,
    /// New changes, bounded and described.
    Changed { copy: Automerge, incoming: Incoming },
}

impl Inner {
    /// Applies untrusted bytes to record `id` (see [`Store::apply_changes`]). With `peer` (a
    /// hub serving a device, or a bundle from a known sender), the result must pass the write
    /// policy for that peer.
    pub(crate) fn apply(&mut self, id: &str, bytes: &[u8], peer: Option<&PeerInfo>) -> Result<ApplyOutcome> {
        self.apply_signed(id, bytes, peer, &Signatures::new())
    }

    /// [`Inner::apply`] with the signatures that came with relayed changes: a change signed by
    /// its maker's key is checked with its maker's authority, whoever delivers it.
    pub(crate) fn apply_signed(&mut self, id: &str, bytes: &[u8], peer: Option<&PeerInfo>, sigs: &Signatures) -> Result<ApplyOutcome> {
        let own = self.begin()?;
        let out = self.apply_in(id, bytes, None, peer, sigs);
        self.finish(own, out.is_ok())?;
        out
    }

    /// [`Inner::apply_signed`] for one document chunk whose strict load (`doc::validate_chunks`)
    /// the caller already made, as `doc`: a hub loads pushed whole records before it takes the
    /// store's lock, on several threads.
    pub(crate) fn apply_whole(&mut self, id: &str, chunk: &[u8], doc: Automerge, peer: Option<&PeerInfo>, sigs: &Signatures) -> Result<ApplyOutcome> {
        let own = self.begin()?;
        let out = self.apply_in(id, chunk, Some(doc), peer, sigs);
        self.finish(own, out.is_ok())?;
        out
    }

    /// Applies `bytes` to record `id`. `loaded` is the strict load of `bytes` when the caller
    /// already has it (they are then one document chunk).
    fn apply_in(&mut self, id: &str, bytes: &[u8], loaded: Option<Automerge>, peer: Option<&PeerInfo>, sigs: &Signatures) -> Result<ApplyOutcome> {
        if bytes.len() > MAX_CHANGE_BYTES {
            return Err(Error::rejected(id, "changes too large"));
        }
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(Error::invalid("record ids are UUIDs"));
        }
        let row = self.row(id)?;
        let live = match &row {
            Some(_) => self.take_doc(id)?,
            None => Automerge::new(),
        };
        let old_heads = live.get_heads();
        let mut incoming_heads = None;
        // Everything that touches the untrusted bytes happens on a copy, inside the guard.
        let attempt = doc::guard(|| -> Result<Attempt> {
            // Automerge skips chunks it cannot parse; a strict load first refuses them instead.
            let preloaded = loaded.is_some();
            let whole = match loaded {
                Some(d) => Some(d),
                None => doc::validate_chunks(bytes).map_err(|e| Error::rejected(id, e))?,
            };
            incoming_heads = whole.as_ref().map(|d| d.get_heads());
            let copy = match whole {
                // A whole new record: the validated load is the record.
                Some(d) if row.is_none() => d,
                // A whole record this store has: what it lacks of it is merged in.
                Some(mut d) if preloaded => {
                    let mut copy = live.clone();
                    copy.merge(&mut d).map_err(|e| Error::rejected(id, e.to_string()))?;
                    copy
                }
                _ => {
                    let mut copy = live.clone();
                    copy.load_incremental(bytes).map_err(|e| Error::rejected(id, e.to_string()))?;
                    copy
                }
            };
            if !copy.get_missing_deps(&[]).is_empty() {
                return Ok(Attempt::Waiting);
            }
            if copy.get_heads() == old_heads {
                return Ok(Attempt::Unchanged { copy });
            }
            // The bounds hold before anything walks the result.
            let incoming = inspect(&copy, &copy.get_changes(&old_heads), &LIMITS).map_err(|e| Error::rejected(id, e))?;
            Ok(Attempt::Changed { copy, incoming })
        });
        let restore = |inner: &mut Inner, live: Automerge| {
            if row.is_some() {
                inner.cache.put(id, live);
            }
        };
        let attempt = match attempt {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => {
                restore(self, live);
                return Err(e);
            }
            // The library panicked: the live document was never touched; refuse the payload.
            Err(reason) => return Err(Error::library_failed(id, reason)),
        };
        let (copy, incoming) = match attempt {
            Attempt::Waiting => {
                let parked = self.park(id, row.as_ref(), bytes, peer);
                restore(self, live);
                parked?;
                return Ok(ApplyOutcome { changed: false, pending: true, conflicts: 0, incoming_heads });
            }
            Attempt::Unchanged { copy } => {
                let conflicts = row.as_ref().map(|r| r.conflicts as usize).unwrap_or(0);
                drop(copy);
                restore(self, live);
                return Ok(ApplyOutcome { changed: false, pending: false, conflicts, incoming_heads });
            }
            Attempt::Changed { copy, incoming } => (copy, incoming),
        };
        let bound = |d: &[u8; 16]| self.bound_device(d);
        let mut checked = check_result(id, row.as_ref(), peer, &live, &copy, &incoming, &bound, sigs);
        if checked.is_ok() && row.is_none() && self.serving {
            if let Some(p) = peer {
                checked = check_creator(id, p, &incoming, &bound, sigs);
            }
        }
        if let Err(e) = checked {
            restore(self, live);
            return Err(e);
        }
        // Parked changes this made applicable, each checked against the peer that sent it.
        let (mut copy, completed) = self.complete_parked(id, row.as_ref(), &live, copy)?;
        let fresh_whole = row.is_none() && !completed && incoming_heads.is_some();
        let prepared = doc::guard(|| -> Result<(IndexRow, Encoded)> {
            // Deriving the index walks the whole result (bounded above), and encoding it for
            // storage proves it is usable, both before we keep anything.
            // A record without conflicts whose new changes only extend its history (each on
            // the one before, one head after) cannot have gained any: no walk to count them.
            let known = (row.as_ref().map_or(true, |r| r.conflicts == 0) && extends_linearly(&copy, &old_heads)).then_some(0);
            let index = index_row(&copy, known).map_err(|e| Error::rejected(id, e.to_string()))?;
            let encoded = if fresh_whole && whole_is(bytes, &copy) {
                Encoded::Snapshot(bytes.to_vec())
            } else {
                encode(row.as_ref(), &copy, &old_heads)
            };
            Ok((index, encoded))
        });
        let (index, encoded) = match prepared {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                restore(self, live);
                return Err(e);
            }
            Err(reason) => return Err(Error::library_failed(id, reason)),
        };
        let now = now_ms();
        // Inside the transaction (or savepoint) `apply` began.
        write_encoded(&self.conn, id, row.as_ref(), &copy.get_heads(), encoded, &index, now, self.serving)?;
        let conflicts = index.conflicts as usize;
        self.set_actor_and_author(&mut copy);
        self.cache.put(id, copy);
        Ok(ApplyOutcome { changed: true, pending: false, conflicts, incoming_heads })
    }

    /// Parks `bytes` (changes waiting for their dependencies) for record `id`, within the
    /// sender's quota. Over quota, nothing is kept: the sender is told to send the record whole.
    fn park(&mut self, id: &str, row: Option<&RowInfo>, bytes: &[u8], peer: Option<&PeerInfo>) -> Result<()> {
        if let (Some(p), Some(r)) = (peer, row) {
            if !p.may_see(&r.scope) {
                return Err(Error::Forbidden("record is outside the scopes this device is enrolled for".into()));
            }
        }
        let now = now_ms();
        let tx = &self.conn;
        tx.prepare_cached("DELETE FROM pending WHERE received_at < ?1")?.execute([now - PENDING_TTL_MS])?;
        let name = peer.map(|p| p.name.as_str());
        let on_record: i64 = tx
            .prepare_cached("SELECT count(*) FROM pending WHERE doc_id = ?1")?
            .query_row([id], |r| r.get(0))?;
        let (by_peer, peer_bytes): (i64, i64) = tx
            .prepare_cached("SELECT count(*), COALESCE(sum(length(data)), 0) FROM pending WHERE peer IS ?1")?
            .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if on_record >= PENDING_PER_RECORD
            || (peer.is_some() && (by_peer >= PENDING_PER_PEER || peer_bytes + bytes.len() as i64 > PENDING_BYTES_PER_PEER))
        {
            tracing::debug!(doc = %id, "parking quota reached; the sender will send the record whole");
            return Ok(());
        }
        let info = peer.map(serde_json::to_string).transpose()?;
        tx.prepare_cached(
            "INSERT OR IGNORE INTO pending(doc_id, hash, data, received_at, peer, peer_info) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![id, Sha256::digest(bytes).to_vec(), bytes, now, name, info])?;
        Ok(())
    }

    /// Applies the parked changes of record `id` that `copy` now makes applicable, each checked
    /// against the peer that sent it; drops those that are refused, already present or expired.
    /// Returns the result and whether any parked change was added.
    fn complete_parked(
        &mut self,
        id: &str,
        row: Option<&RowInfo>,
        live: &Automerge,
        mut copy: Automerge,
    ) -> Result<(Automerge, bool)> {
        type Parked = (Vec<u8>, Vec<u8>, i64, Option<String>);
        let parked: Vec<Parked> = {
            let mut st = self
                .conn
                .prepare_cached("SELECT hash, data, received_at, peer_info FROM pending WHERE doc_id = ?1 ORDER BY received_at")?;
            let rows = st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut added = false;
        let now = now_ms();
        for (hash, data, received_at, info) in parked {
            let sender: Option<PeerInfo> = info.as_deref().map(serde_json::from_str).transpose().unwrap_or_default();
            // A serving store parks only with a known sender; rows from before that was
            // recorded are dropped (their senders resend whole).
            let unknown_sender = self.serving && sender.is_none();
            let trial = if unknown_sender || received_at < now - PENDING_TTL_MS {
                None
            } else {
                let base = copy.get_heads();
                let t = doc::guard(|| -> Option<std::result::Result<(Automerge, Incoming), String>> {
                    let mut t = copy.clone();
                    t.load_incremental(&data).ok()?;
                    if !t.get_missing_deps(&[]).is_empty() {
                        return None; // still waiting
                    }
                    Some(inspect(&t, &t.get_changes(&base), &LIMITS).map(|inc| (t, inc)))
                });
                match t {
                    Ok(None) => continue,
                    Ok(Some(r)) => Some(r),
                    Err(reason) => Some(Err(reason)),
                }
            };
            let keep = match trial {
                Some(Ok((t, incoming))) if incoming.changes.is_empty() => {
                    drop(t);
                    None
                }
                Some(Ok((t, incoming))) => match check_result(id, row, sender.as_ref(), live, &t, &incoming, &|d| self.bound_device(d), &Signatures::new()) {
                    Ok(()) => Some(t),
                    Err(e) => {
                        tracing::warn!(doc = %id, reason = %e, "a parked change was refused for its sender");
                        None
                    }
                },
                Some(Err(reason)) => {
                    tracing::warn!(doc = %id, %reason, "a parked change was refused");
                    None
                }
                None => None,
            };
            if let Some(t) = keep {
                copy = t;
                added = true;
            }
            self.conn.prepare_cached("DELETE FROM pending WHERE doc_id = ?1 AND hash = ?2")?.execute(params![id, hash])?;
        }
        Ok((copy, added))
    }
}

/// The checks every applied result passes: it is the record it claims to be, of a known kind,
/// with the scope and kind it had, and (with a peer) within that peer's write policy.
#[allow(clippy::too_many_arguments)]
fn check_result(
    id: &str,
    row: Option<&RowInfo>,
    peer: Option<&PeerInfo>,
    before: &Automerge,
    after: &Automerge,
    incoming: &Incoming,
    bound: &dyn Fn(&[u8; 16]) -> Option<PeerInfo>,
    sigs: &Signatures,
) -> Result<()> {
    if doc::get_str(after, &ROOT, "id").as_deref() != Some(id) {
        return Err(Error::rejected(id, "the changes belong to another record"));
    }
    let kind = doc::get_str(after, &ROOT, "kind").and_then(|k| Kind::parse(&k));
    let Some(kind) = kind else { return Err(Error::rejected(id, "unknown record kind")) };
    let scope = doc::get_str(after, &ROOT, "scope");
    if let Some(r) = row {
        if Some(&r.scope) != scope.as_ref() || r.kind != kind {
            return Err(Error::rejected(id, "a record's scope and kind cannot change"));
        }
    }
    match peer {
        Some(p) => check_by_maker(p, before, after, incoming, bound, sigs),
        None => Ok(()),
    }
}

/// A record new to a serving store, whose id names the device that created it
/// ([`crate::sign::new_record_id`]), must have been created on that device: every change
/// writing its identity fields is that device's, proven (sent by it, signed with its key, or
/// relayed by a hub, which proved it). So a device that learns a record's id before its owner
/// syncs cannot take the id with a record of its own. Records with ids from before say nothing
/// of their creator and are not checked, and a sender that did not say which device it is (an
/// in-process peer) answers for everything it sends, as in [`crate::policy::authority`].
fn check_creator(
    id: &str,
    sender: &PeerInfo,
    incoming: &Incoming,
    bound: &dyn Fn(&[u8; 16]) -> Option<PeerInfo>,
    sigs: &Signatures,
) -> Result<()> {
    let Ok(wid) = uuid::Uuid::parse_str(id).map(|u| *u.as_bytes()) else {
        return Err(Error::invalid("record ids are UUIDs"));
    };
    if !crate::sign::names_its_creator(&wid) || sender.device.is_none() {
        return Ok(());
    }
    let mut created = false;
    for c in incoming.changes.iter().filter(|c| c.root_keys.iter().any(|k| IDENTITY_FIELDS.contains(&k.as_str()))) {
        let device = device_of(c.actor.to_bytes());
        let proven = device.is_some_and(|d| {
            crate::sign::created_on(&wid, &d)
                && (sender.device == Some(d)
                    || sender.role == Role::Admin
                    || bound(&d).and_then(|m| m.key).or_else(|| sigs.key_of(&d)).is_some_and(|k| sigs.signed_by(&c.hash.0, &k)))
        });
        if !proven {
            return Err(Error::rejected(id, "this record id belongs to a record created on another device; the change that claims it is not that device's"));
        }
        created = true;
    }
    if !created {
        return Err(Error::rejected(id, "the record's creation is missing"));
    }
    Ok(())
}

/// The write policy, each change checked with the authority of the device that made it as
/// `sender` delivers it (see [`authority`]): changes are grouped by that authority and each
/// group must pass on its own.
fn check_by_maker(
    sender: &PeerInfo,
    before: &Automerge,
    after: &Automerge,
    incoming: &Incoming,
    bound: &dyn Fn(&[u8; 16]) -> Option<PeerInfo>,
    sigs: &Signatures,
) -> Result<()> {
    let mut groups: Vec<(PeerInfo, Incoming)> = Vec::new();
    for c in &incoming.changes {
        let a = authority(sender, c, bound, sigs);
        let at = match groups.iter().position(|(g, _)| *g == a) {
            Some(i) => i,
            None => {
                groups.push((a, Incoming::default()));
                groups.len() - 1
            }
        };
        let g = &mut groups[at].1;
        g.root_keys.extend(c.root_keys.iter().cloned());
        g.changes.push(c.clone());
    }
    if groups.is_empty() {
        return check_write(sender, before, after, incoming);
    }
    for (a, g) in &groups {
        check_write(a, before, after, g).map_err(|e| match e {
            Error::Forbidden(reason) if a.name != sender.name => {
                Error::Forbidden(format!("{reason} (a change made on device '{}', delivered by '{}')", a.name, sender.name))
            }
            e => e,
        })?;
    }
    Ok(())
}

/// Whether the changes of `doc` after `old_heads` form one line on top of them: at most one old
/// head, one head after, and every new change on exactly one other (a document whose history
/// is one line has no concurrent writes, so no conflicts; one line on top of a conflict-free
/// document adds none). A tree in which every change has one parent and there is one leaf is a
/// path.
fn extends_linearly(doc: &Automerge, old_heads: &[automerge::ChangeHash]) -> bool {
    if old_heads.len() > 1 || doc.get_heads().len() != 1 {
        return false;
    }
    let mut roots = 0;
    for m in doc.get_changes_meta(old_heads) {
        match m.deps.len() {
            0 => roots += 1,
            1 => {}
            _ => return false,
        }
    }
    // A new document starts from one root; an old one has its history below the new changes.
    roots == usize::from(old_heads.is_empty())
}

/// Whether `bytes` (a validated single document chunk) already is `doc`'s snapshot.
fn whole_is(bytes: &[u8], doc: &Automerge) -> bool {
    bytes.len() > 8 && bytes[8] == 0 && doc.get_missing_deps(&[]).is_empty()
}
