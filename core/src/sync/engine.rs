//! The device side of sync, without I/O: [`SyncEngine`] builds requests from the store and
//! applies responses to it. A transport (HTTP in `client`, or a test harness) moves the bytes.
//!
//! What moves is proportional to what changed: each record keeps the heads the hub is known to
//! have (`up_heads`), so a push sends exactly the changes since them; the hub keeps a changelog
//! and the device a cursor into it, so a pull sends only records changed since. Every response
//! is applied as one transaction before the cursor moves, so a cut connection or a crash means
//! the same batch comes again and changes nothing twice.

use std::collections::{BTreeSet, HashMap};

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use super::{edit, transpose};
use super::wire::{id_from_wire, id_to_wire, PushDoc, PushEdit, SyncRequest, SyncResponse, WholeBatch, WireHash, WireId};
use crate::sign::{PublicKey, Sig, Signatures};
use crate::store::Upstream;
use crate::{Error, Result, Store};

/// Default bound on one request's pushed change bytes (and on pulled bytes per response).
pub const BATCH_BYTES: u64 = 2 * 1024 * 1024;
/// Default bound on records per request.
pub const BATCH_DOCS: usize = 500;
/// Whole records from the hub loaded at a time (over the phone's cores) while a response is applied.
const LOAD_SLICE: usize = 128;

/// Progress of a sync, reported after every round trip.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    pub round_trips: u32,
    pub docs_sent: u64,
    pub docs_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// What a finished sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub progress: SyncProgress,
    /// Records the hub refused, with its reasons. They stay here, unchanged.
    pub rejected: Vec<(String, String)>,
    /// Records that have conflicts after this sync and had none before.
    pub new_conflicts: Vec<String>,
    /// The hub did not recognise our cursor (a new or restored hub): everything was offered again.
    pub reset: bool,
    /// Whole records from the hub that could not be read at all (not even which record they
    /// were), with the reason. Nothing here changed; a broken or hostile hub is the cause.
    pub unreadable: Vec<String>,
}

/// Builds requests and applies responses for one sync session.
pub struct SyncEngine<'a> {
    store: &'a Store,
    max_docs: usize,
    max_bytes: u64,
    /// Records refused during this session (not offered again until the next sync).
    refused: BTreeSet<String>,
    want_full: BTreeSet<WireId>,
    /// Heads we pushed in the request in flight, by record.
    in_flight: HashMap<WireId, Vec<WireHash>>,
    report: SyncReport,
    more: bool,
}

impl<'a> SyncEngine<'a> {
    pub fn new(store: &'a Store) -> Self {
        SyncEngine {
            store,
            max_docs: BATCH_DOCS,
            max_bytes: BATCH_BYTES,
            refused: BTreeSet::new(),
            want_full: BTreeSet::new(),
            in_flight: HashMap::new(),
            report: SyncReport::default(),
            more: true,
        }
    }

    /// Bounds the size of each batch.
    pub fn with_request_limits(mut self, max_docs: usize, max_bytes: u64) -> Self {
        self.max_docs = max_docs.max(1);
        self.max_bytes = max_bytes.max(1024);
        self
    }

    /// The next request to send, or `None` when the sync is complete.
    pub fn next_request(&mut self) -> Result<Option<SyncRequest>> {
        let Upstream { hub_store, cursor, token: cursor_token } = self.store.upstream()?;
        let hub_store_known = hub_store.is_some();
        let (push, push_edits, push_whole, in_flight, sigs) = self.collect_push()?;
        if in_flight.is_empty() && self.want_full.is_empty() && !self.more {
            return Ok(None);
        }
        self.report.progress.docs_sent += in_flight.len() as u64;
        self.in_flight = in_flight;
        Ok(Some(SyncRequest {
            hub_store,
            cursor,
            cursor_token,
            push,
            push_edits,
            push_whole,
            want_full: self.want_full.iter().copied().collect(),
            max_pull_bytes: self.max_bytes,
            signatures: sigs.0,
            keys: sigs.1,
            has_hub_key: self.store.hub_key()?.is_some() && hub_store_known,
            wants_credential: !hub_store_known || self.store.needs_credential()?,
        }))
    }

    /// Records to push: increments, whole records (compact), every pushed record's heads, and
    /// the signatures of other devices' changes in them (a phone relaying a bundle's records;
    /// a hub going upstream answers for what it relays itself, so it sends none).
    #[allow(clippy::type_complexity)]
    fn collect_push(&mut self) -> Result<(Vec<PushDoc>, Vec<PushEdit>, WholeBatch, HashMap<WireId, Vec<WireHash>>, (Vec<(WireHash, Sig)>, Vec<PublicKey>))> {
        let mut g = self.store.lock();
        let candidates = g.unsent(self.max_docs + self.refused.len())?;
        let (mut push, mut edits, mut whole, mut heads_of) = (Vec::new(), Vec::new(), Vec::new(), HashMap::new());
        let mut sigs = Signatures::new();
        let relays = !g.is_serving();
        let mut bytes = 0u64;
        for (id, up) in candidates {
            if self.refused.contains(&id) || heads_of.len() >= self.max_docs {
                continue;
            }
            // A record the hub has never seen goes whole: straight from storage when it is
            // stored as one chunk (no load).
            let stored = if up.is_empty() { g.stored_whole(&id)? } else { None };
            let (changes, is_whole, heads) = match stored {
                Some((chunk, heads)) => (chunk, true, heads),
                None => g.with_doc(&id, |d| {
                    let known = !up.is_empty() && up.iter().all(|h| d.get_change_meta_by_hash(h).is_some());
                    // Whole, it goes without what the hub works out itself (ADR 0006); the
                    // frame's zstd compresses it better uncompressed.
                    Ok(match known {
                        true => (d.save_after(&up), false, d.get_heads()),
                        false => (d.save_nocompress(), true, d.get_heads()),
                    })
                })?,
            };
            bytes += changes.len() as u64;
            if relays {
                g.relayed_sigs(&id, &mut sigs)?;
            }
            let wid = id_to_wire(&id)?;
            let heads: Vec<WireHash> = heads.iter().map(|h| h.0).collect();
            heads_of.insert(wid, heads.clone());
            if is_whole {
                whole.push((wid, changes));
            } else {
                // One change on exactly the heads the hub acknowledged goes without them, and
                // without our heads (the change's hash is our one head): ADR 0010.
                let mut known = up.clone();
                known.sort();
                match edit::compact(&changes, &known) {
                    Some((hash, rest)) if heads == [hash.0] => edits.push(PushEdit { id: wid, head: edit::prefix(&hash), change: rest }),
                    _ => push.push(PushDoc { id: wid, heads, changes }),
                }
            }
            if bytes >= self.max_bytes {
                break;
            }
        }
        let (batch, plain) = transpose::pack_whole(whole);
        for (id, changes) in plain {
            let heads = heads_of.get(&id).cloned().unwrap_or_default();
            push.push(PushDoc { id, heads, changes });
        }
        Ok((push, edits, batch, heads_of, sigs.parts()))
    }

    /// Applies the hub's response (a slice of records per transaction, the cursor last), and
    /// records what to do next.
    pub fn handle_response(&mut self, resp: SyncResponse, bytes_sent: u64, bytes_received: u64) -> Result<()> {
        let p = &mut self.report.progress;
        p.round_trips += 1;
        p.bytes_sent += bytes_sent;
        p.bytes_received += bytes_received;
        p.docs_received += resp.pull.len() as u64 + u64::from(resp.whole.count);
        let in_flight = std::mem::take(&mut self.in_flight);
        let mut new_conflicts = Vec::new();
        let mut want_full = BTreeSet::new();
        let mut unreadable = Vec::new();
        let mut receive = |inner: &mut crate::store::Inner, wid: WireId, changes: &[u8], loaded: Option<automerge::Automerge>| -> Result<()> {
            let id = id_from_wire(&wid);
            let before = inner.row(&id)?.map(|r| r.conflicts).unwrap_or(0);
            let (was_synced, up_before) = inner.sync_marks(&id)?;
            let applied = match loaded {
                Some(doc) => inner.apply_whole(&id, changes, doc, None, &crate::sign::Signatures::new()),
                None => inner.apply(&id, changes, None),
            };
            match applied {
                Ok(out) if out.pending => {
                    want_full.insert(wid);
                }
                Ok(out) => {
                    let heads = hub_heads(inner, &id, changes, &out, was_synced, &up_before)?;
                    if !heads.is_empty() {
                        inner.set_up_heads(&id, &heads)?;
                    }
                    if before == 0 && out.conflicts > 0 {
                        new_conflicts.push(id);
                    }
                }
                // The hub checked what it serves; a record we cannot apply is asked for whole.
                Err(Error::Rejected { .. }) => {
                    want_full.insert(wid);
                }
                Err(e) => return Err(e),
            }
            Ok(())
        };
        // The answer is applied a slice at a time, one transaction each, with the store unlocked
        // between slices: the person can keep saving answers and opening lists while a
        // bootstrap of thousands of records arrives. The cursor is saved last, in the final
        // transaction: after a crash in between, the next sync brings the same records again,
        // and applying what is already here changes nothing.
        self.store.lock().transaction(|inner| {
            if let Some(k) = &resp.hub_key {
                inner.set_hub_key(k)?;
            }
            if let Some(c) = &resp.credential {
                // Kept only if this hub issued it for this device's key; a wrong one is ignored
                // (the device simply asks again next time).
                match inner.keep_own_credential(c) {
                    Ok(()) => {}
                    Err(Error::Forbidden(reason)) => tracing::warn!(%reason, "the hub's credential was not kept"),
                    Err(e) => return Err(e),
                }
            }
            if resp.cursor_reset {
                // A hub we do not know (or one restored from an old copy): offer it everything.
                inner.forget_all_up_heads()?;
            }
            for ack in &resp.acks {
                let Some(pushed) = in_flight.get(&ack.id) else { continue };
                let heads = ack.heads.as_ref().unwrap_or(pushed);
                inner.set_up_heads(&id_from_wire(&ack.id), heads)?;
            }
            for id in &resp.resend_full {
                inner.forget_up_heads(&id_from_wire(id))?;
            }
            Ok(())
        })?;
        for slice in resp.pull.chunks(LOAD_SLICE) {
            self.store.lock().transaction(|inner| {
                for pull in slice {
                    receive(inner, pull.id, &pull.changes, None)?;
                }
                Ok(())
            })?;
        }
        // Whole records are rebuilt and loaded outside the lock, a slice at a time, over the
        // phone's cores.
        let (compacts, stopped) = transpose::unpack_compact(&resp.whole);
        let compacts: Vec<&[u8]> = compacts.iter().map(|c| &c[..]).collect();
        for slice in compacts.chunks(LOAD_SLICE) {
            let loaded = transpose::load_wholes(slice, transpose::cores());
            self.store.lock().transaction(|inner| {
                for whole in loaded {
                    // A whole record names itself; one that does not even say which record it is
                    // cannot be asked for again, so it is reported (and the next full pull brings it).
                    match whole {
                        Ok(whole) => match id_to_wire(&whole.id) {
                            Ok(wid) => receive(inner, wid, &whole.chunk, whole.doc)?,
                            // The id is the sender's text: not repeated in reports or logs.
                            Err(_) => unreadable.push("a record from the hub has a malformed id".to_string()),
                        },
                        Err(reason) => unreadable.push(reason),
                    }
                }
                Ok(())
            })?;
        }
        unreadable.extend(stopped);
        self.store.lock().transaction(|inner| {
            inner.set_enrolled(&resp.scopes)?;
            inner.save_upstream(&Upstream { hub_store: Some(resp.hub_store.clone()), cursor: resp.cursor, token: resp.cursor_token })?;
            Ok(())
        })?;
        for r in &resp.rejected {
            let id = id_from_wire(&r.id);
            self.refused.insert(id.clone());
            self.report.rejected.push((id, r.reason.clone()));
        }
        // Every pushed record is acknowledged, refused or asked for whole. One the hub said
        // nothing about (it could not even read which record it was) is not offered again this
        // session, so a broken hub cannot keep a sync going forever.
        for wid in in_flight.keys() {
            let answered = resp.acks.iter().any(|a| a.id == *wid)
                || resp.rejected.iter().any(|r| r.id == *wid)
                || resp.resend_full.contains(wid);
            if !answered {
                let id = id_from_wire(wid);
                self.refused.insert(id.clone());
                self.report.rejected.push((id, "the hub did not answer for this record".into()));
            }
        }
        // A record asked for whole twice in a row is not asked again this session.
        let repeat: BTreeSet<WireId> = want_full.intersection(&self.want_full).copied().collect();
        self.want_full = want_full.difference(&repeat).copied().collect();
        self.report.new_conflicts.extend(new_conflicts);
        for reason in &unreadable {
            tracing::warn!(%reason, "skipped a record the hub sent");
        }
        self.report.unreadable.extend(unreadable);
        self.report.reset |= resp.cursor_reset;
        self.more = resp.more || resp.cursor_reset || !resp.resend_full.is_empty();
        Ok(())
    }

    pub fn progress(&self) -> &SyncProgress {
        &self.report.progress
    }

    pub fn finish(self) -> SyncReport {
        self.report
    }
}

/// The hub's heads for a pulled record, which the hub never spells out:
/// - a whole record names its own heads;
/// - a record that had nothing unpushed now holds exactly what the hub holds;
/// - otherwise, the changes received plus what the hub was known to have, less everything
///   those changes depend on. Every hash in that set is one the hub has, so the result never
///   claims more than the hub holds (claiming less only costs a few bytes next time).
fn hub_heads(
    inner: &mut crate::store::Inner,
    id: &str,
    changes: &[u8],
    out: &crate::ApplyOutcome,
    was_synced: bool,
    up_before: &[ChangeHash],
) -> Result<Vec<WireHash>> {
    if let Some(h) = &out.incoming_heads {
        return Ok(h.iter().map(|h| h.0).collect());
    }
    if was_synced {
        return inner.with_doc(id, |d| Ok(d.get_heads().iter().map(|h| h.0).collect()));
    }
    let graph = crate::doc::guard(|| crate::doc::change_graph(changes)).ok().flatten().unwrap_or_default();
    let deps: BTreeSet<ChangeHash> = graph.iter().flat_map(|(_, d)| d.iter().copied()).collect();
    Ok(up_before
        .iter()
        .copied()
        .chain(graph.iter().map(|(h, _)| *h))
        .filter(|h| !deps.contains(h))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|h| h.0)
        .collect())
}
