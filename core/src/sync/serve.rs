//! The serving side of sync (a hub), without I/O: [`Store::serve_sync`] takes a decoded
//! request from an enrolled peer and returns the response. The hub's HTTP layer only
//! authenticates, enforces body limits and moves bytes.
//!
//! Pushed records are checked (kind, scope, role) and applied as one transaction; a refused
//! record is reported with its reason and the rest of the batch lands. Pulled records are those
//! changed after the peer's cursor, in the peer's scopes, each sent as the changes since the
//! version the peer is known to have.

use std::borrow::Cow;
use std::collections::HashMap;

use automerge::ChangeHash;
use sha2::{Digest, Sha256};

use super::{edit, transpose};
use crate::policy::PeerInfo;
use super::wire::{id_from_wire, id_to_wire, Ack, PullDoc, Rejection, SyncRequest, SyncResponse, WireHash, WireId};
use crate::record::validate::{check_landed, submitted_form, FormKits};
use crate::sign::Signatures;
use crate::store::Inner;
use crate::{Error, Result, Store};

/// Records at most per request (pushed or pulled).
pub const MAX_DOCS_PER_REQUEST: usize = 5_000;
/// Signatures (and makers' keys) at most per request: relayed changes are few, and each costs
/// a verification.
pub const MAX_SIGNATURES_PER_REQUEST: usize = 20_000;
/// Pushed records applied per transaction, the store unlocked between slices.
pub const PUSH_SLICE: usize = 128;

/// Counters for one served request (the hub's metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeStats {
    pub docs_in: u64,
    pub docs_out: u64,
    pub rejected: u64,
    /// Pushed records whose changes made the document library fail, with those bytes (an
    /// increment, or a whole record): a hub keeps them for inspection. They were refused like
    /// any other.
    pub library_failed: Vec<(WireId, Vec<u8>)>,
}

impl Store {
    /// Answers one sync request from `peer`. Only storage failures are errors; everything wrong
    /// with an individual record is a rejection inside the response.
    pub fn serve_sync(&self, peer: &PeerInfo, req: &SyncRequest) -> Result<(SyncResponse, ServeStats)> {
        if req.push.len() + req.push_edits.len() + req.push_whole.count as usize > MAX_DOCS_PER_REQUEST
            || req.want_full.len() > MAX_DOCS_PER_REQUEST
        {
            return Err(Error::invalid(format!("at most {MAX_DOCS_PER_REQUEST} records per request")));
        }
        if req.signatures.len() > MAX_SIGNATURES_PER_REQUEST || req.keys.len() > MAX_SIGNATURES_PER_REQUEST {
            return Err(Error::invalid(format!("at most {MAX_SIGNATURES_PER_REQUEST} signatures and keys per request")));
        }
        let hub_store = self.store_id();
        let mut sigs = Signatures::new();
        for (h, s) in &req.signatures {
            sigs.insert(*h, *s);
        }
        for k in &req.keys {
            sigs.insert_key(*k);
        }
        let mut g = self.lock();
        let inner = &mut *g;
        let mut stats = ServeStats::default();
        // The hub's key goes to a device that lacks it, or that knew another hub.
        let hub_key = (!req.has_hub_key || req.hub_store.as_deref() != Some(hub_store.as_str())).then(|| inner.device_key().public());
        // A device that asks gets the hub's word on its role and scopes, to show other phones.
        let credential = (req.wants_credential && inner.is_serving())
            .then(|| crate::credential::SignedCredential::issue(inner.device_key(), peer, crate::model::checks::now_ms()))
            .flatten();
        let mut resp = SyncResponse { hub_store: hub_store.clone(), scopes: peer.scopes.clone(), hub_key, credential, ..Default::default() };
        // The device says which it is; its id belongs to this enrolment from now on.
        if inner.is_serving() {
            inner.bind_device(peer)?;
        }
        let key = inner.cursor_key()?;
        let mut cursor = unseal(req.cursor, &key);
        if req.hub_store.as_deref() != Some(hub_store.as_str())
            || (cursor != 0 && (req.cursor_token.is_none() || inner.cursor_token(&hub_store, cursor)? != req.cursor_token))
        {
            resp.cursor_reset = cursor != 0 || req.hub_store.is_some();
            cursor = 0;
        }

        drop(g);

        // 1. Pushed records, each refused alone, applied a slice at a time: one transaction per
        // slice, with the store unlocked between slices so that other devices' syncs are served
        // meanwhile instead of waiting for the whole batch.
        // Whole records stay compact until their slice is due, and are loaded outside the lock.
        let (compacts, stopped) = transpose::unpack_compact(&req.push_whole);
        if let Some(reason) = stopped {
            tracing::warn!(%reason, "a pushed whole record could not be read");
            stats.rejected += 1;
        }
        let items: Vec<Pushed<'_>> = req
            .push
            .iter()
            .map(|p| Pushed::Changes(p.id, &p.changes[..], p.heads.iter().map(|h| ChangeHash(*h)).collect()))
            .chain(req.push_edits.iter().map(|e| Pushed::Edit(e.id, e.head, &e.change[..])))
            .chain(compacts.iter().map(|c| Pushed::Whole(&c[..])))
            .collect();
        let mut pushed: HashMap<[u8; 16], Vec<ChangeHash>> = HashMap::new();
        // Submitted responses stored by a slice, with their form version: the hub checks each.
        let mut landed: Vec<(String, (String, String))> = Vec::new();
        let land = |inner: &mut Inner,
                    resp: &mut SyncResponse,
                    stats: &mut ServeStats,
                    pushed: &mut HashMap<[u8; 16], Vec<ChangeHash>>,
                    landed: &mut Vec<(String, (String, String))>,
                    item: Ready<'_>|
         -> Result<()> {
            let (wid, mut theirs) = (item.wid, item.heads);
            let id = id_from_wire(&wid);
            let mut bytes = item.bytes;
            // A compact edit is rebuilt on the heads the hub holds for the record, or else on
            // those it last sent this peer; on neither, the peer sends the record whole.
            if let Some(prefix) = item.edit {
                match rebuild_edit(inner, &id, &bytes, &prefix, cursor)? {
                    Some((chunk, hash)) => {
                        bytes = Cow::Owned(chunk);
                        theirs = vec![hash];
                    }
                    None => {
                        resp.resend_full.push(wid);
                        return Ok(());
                    }
                }
            }
            let changes: &[u8] = &bytes;
            let applied = match item.doc {
                Some(doc) => inner.apply_whole(&id, changes, doc, Some(peer), &sigs),
                None => inner.apply_signed(&id, changes, Some(peer), &sigs),
            };
            match applied {
                Ok(out) if out.pending => resp.resend_full.push(wid),
                Ok(out) => {
                    stats.docs_in += u64::from(out.changed);
                    let (hub_heads, check) = inner.with_doc(&id, |d| Ok((d.get_heads(), out.changed.then(|| submitted_form(d)).flatten())))?;
                    if let Some(form) = check {
                        landed.push((id.clone(), form));
                    }
                    let same = sorted(&hub_heads) == sorted(&theirs);
                    resp.acks.push(Ack { id: wid, heads: (!same).then(|| wire_heads(&hub_heads)) });
                    pushed.insert(wid, theirs);
                }
                Err(Error::Rejected { reason, library_failed, .. }) => {
                    stats.rejected += 1;
                    if library_failed {
                        stats.library_failed.push((wid, changes.to_vec()));
                    }
                    resp.rejected.push(Rejection { id: wid, reason });
                }
                Err(Error::Forbidden(reason)) | Err(Error::InvalidInput(reason)) => {
                    stats.rejected += 1;
                    resp.rejected.push(Rejection { id: wid, reason });
                }
                Err(e) => return Err(e),
            }
            Ok(())
        };
        // Submitted responses are validated in the transaction that stores them, with the
        // documents just applied: violations are flagged on the record, never dropped, and
        // travel back in this very answer. A form version first met in a slice is prepared
        // outside the lock and its responses checked in a second transaction.
        let mut kits = FormKits::new();
        let clock = crate::forms::expr::Clock::system();
        for slice in items.chunks(PUSH_SLICE) {
            let (ready, unreadable) = ready(slice, transpose::cores());
            stats.rejected += unreadable;
            let mut g = self.lock();
            let later = g.transaction(|inner| {
                for item in ready {
                    land(inner, &mut resp, &mut stats, &mut pushed, &mut landed, item)?;
                }
                Ok(check_all(inner, landed.drain(..), &kits, clock))
            })?;
            drop(g);
            if later.is_empty() {
                continue;
            }
            for (_, form) in &later {
                if !kits.contains_key(form) {
                    let kit = self.form_kit(&form.0, &form.1).unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "the form of a submitted response could not be prepared");
                        None
                    });
                    kits.insert(form.clone(), kit);
                }
            }
            let mut g = self.lock();
            let rest = g.transaction(|inner| Ok(check_all(inner, later.into_iter(), &kits, clock)))?;
            debug_assert!(rest.is_empty());
        }
        drop(items);
        drop(compacts);
        let mut g = self.lock();
        let inner = &mut *g;
        // What another connection committed (a coordinator's console or command line beside
        // this hub) must be served from the database, not from a document cached before it.
        inner.refresh()?;

        // 2. Records the peer asked for whole.
        let mut wholes: Vec<(WireId, Vec<u8>)> = Vec::new();
        let mut budget = req.max_pull_bytes.clamp(64 * 1024, 32 * 1024 * 1024);
        for id in &req.want_full {
            let sid = id_from_wire(id);
            let Some(row) = inner.row(&sid)? else { continue };
            if !peer.may_see(&row.scope) {
                continue;
            }
            let whole = match inner.stored_whole(&sid)? {
                Some((w, _)) => w,
                None => inner.with_doc(&sid, |d| Ok(d.save_nocompress()))?,
            };
            budget = budget.saturating_sub(whole.len() as u64);
            wholes.push((*id, whole));
        }

        // 3. Records changed after the cursor, in the peer's scopes, until the budget is spent.
        // The cursor stops at the last record of those scopes (never the hub-wide position),
        // and travels sealed, so a device learns nothing of other scopes' activity.
        let mut next_cursor = cursor;
        let page = 256usize;
        'pages: loop {
            let rows = inner.changed_in_scopes(next_cursor, &peer.scopes, page)?;
            if rows.is_empty() {
                break;
            }
            for crate::store::Changed { id, seq, rid, heads } in &rows {
                if resp.pull.len() + wholes.len() >= MAX_DOCS_PER_REQUEST || budget == 0 {
                    resp.more = true;
                    break 'pages;
                }
                let wid = id_to_wire(id)?;
                if req.want_full.contains(&wid) {
                    next_cursor = *seq;
                    continue;
                }
                // What the peer has: the version it was sent at its cursor, plus what it pushed now.
                // A record the peer just pushed at exactly the hub's version needs nothing sent, and
                // no load to find that out.
                if let Some(p) = pushed.get(&wid) {
                    if sorted(heads) == sorted(p) {
                        next_cursor = *seq;
                        continue;
                    }
                }
                let mut base: Vec<ChangeHash> = inner.version_at(*rid, cursor)?;
                if let Some(p) = pushed.get(&wid) {
                    base.extend(p.iter().copied());
                }
                // A peer that has nothing of it gets it whole, straight from storage if it is
                // stored as one chunk (no load).
                if base.is_empty() {
                    if let Some((w, _)) = inner.stored_whole(id)? {
                        next_cursor = *seq;
                        budget = budget.saturating_sub(w.len() as u64);
                        stats.docs_out += 1;
                        wholes.push((wid, w));
                        continue;
                    }
                }
                let (changes, whole) = inner.with_doc(id, |d| {
                    let known = !base.is_empty() && base.iter().all(|h| d.get_change_meta_by_hash(h).is_some());
                    if known && d.get_changes_meta(&base).is_empty() {
                        return Ok((Vec::new(), false));
                    }
                    // The device works out the hub's heads itself (see `engine::hub_heads`).
                    // Whole records go uncompressed inside: the frame's zstd does better across
                    // a batch of similar records than Automerge's per-column deflate.
                    Ok(if known { (d.save_after(&base), false) } else { (d.save_nocompress(), true) })
                })?;
                next_cursor = *seq;
                if changes.is_empty() {
                    continue;
                }
                budget = budget.saturating_sub(changes.len() as u64);
                stats.docs_out += 1;
                if whole {
                    wholes.push((wid, changes));
                } else {
                    resp.pull.push(PullDoc { id: wid, changes });
                }
            }
            if rows.len() < page {
                break;
            }
        }
        let (batch, plain) = transpose::pack_whole(wholes);
        resp.whole = batch;
        resp.pull.extend(plain.into_iter().map(|(id, changes)| PullDoc { id, changes }));
        resp.cursor = seal(next_cursor, &key);
        resp.cursor_token = inner.cursor_token(&hub_store, next_cursor)?;
        Ok((resp, stats))
    }
}

/// Checks each landed submitted response whose form kit is prepared (see
/// [`check_landed`]); returns those whose kit is not, yet. A check that fails is logged: the
/// record stays stored, unflagged, as before it.
fn check_all(
    inner: &mut Inner,
    landed: impl Iterator<Item = (String, (String, String))>,
    kits: &FormKits,
    clock: crate::forms::expr::Clock,
) -> Vec<(String, (String, String))> {
    let mut later = Vec::new();
    for (id, form) in landed {
        match kits.get(&form) {
            Some(Some(kit)) => {
                if let Err(e) = check_landed(inner, &id, kit, clock) {
                    tracing::warn!(error = %e, "validating a submitted response failed");
                }
            }
            // That form version is not published here: nothing to check against.
            Some(None) => {}
            None => later.push((id, form)),
        }
    }
    later
}

/// One round of the cursor cipher: 32 bits from the key, the round and the other half.
fn round(key: &[u8; 32], r: u8, half: u32) -> u32 {
    let d = Sha256::new().chain_update(key).chain_update([r]).chain_update(half.to_le_bytes()).finalize();
    u32::from_le_bytes(d[..4].try_into().expect("4 bytes"))
}

/// A changelog position as the device sees it: a keyed permutation of the 64-bit position
/// (a four-round Feistel network), so consecutive cursors reveal neither the position nor how
/// far apart they are. 0 (the start) stays 0.
fn seal(seq: i64, key: &[u8; 32]) -> i64 {
    if seq <= 0 {
        return 0;
    }
    let v = seq as u64;
    let (mut l, mut r) = ((v >> 32) as u32, v as u32);
    for i in 0..4 {
        (l, r) = (r, l ^ round(key, i, r));
    }
    (((l as u64) << 32) | r as u64) as i64
}

/// The inverse of [`seal`]. A cursor this hub did not seal opens to some position whose
/// cursor token will not match, and the device starts over.
fn unseal(cursor: i64, key: &[u8; 32]) -> i64 {
    if cursor == 0 {
        return 0;
    }
    let v = cursor as u64;
    let (mut l, mut r) = ((v >> 32) as u32, v as u32);
    for i in (0..4).rev() {
        (l, r) = (r ^ round(key, i, l), l);
    }
    (((l as u64) << 32) | r as u64) as i64
}

fn sorted(h: &[ChangeHash]) -> Vec<ChangeHash> {
    let mut v = h.to_vec();
    v.sort();
    v
}

fn wire_heads(h: &[ChangeHash]) -> Vec<WireHash> {
    h.iter().map(|c| c.0).collect()
}

/// A pushed record as it came: changes to a record, one compact edit (`sync::edit`), or a
/// whole record still compact.
enum Pushed<'a> {
    Changes(WireId, &'a [u8], Vec<ChangeHash>),
    Edit(WireId, [u8; 8], &'a [u8]),
    Whole(&'a [u8]),
}

/// A pushed record ready to land: a whole one is rebuilt and strictly loaded (`doc`); a compact
/// edit (`edit`, its hash prefix) is rebuilt when it lands, on the heads the hub then holds.
struct Ready<'a> {
    wid: WireId,
    bytes: Cow<'a, [u8]>,
    heads: Vec<ChangeHash>,
    doc: Option<automerge::Automerge>,
    edit: Option<[u8; 8]>,
}

/// Rebuilds a compact edit of record `id` on the heads the hub holds for it, or on the version
/// the peer was last sent (its cursor): the chunk and the change's hash, or `None` if the edit
/// was made on neither (or the record is not here).
fn rebuild_edit(inner: &Inner, id: &str, rest: &[u8], prefix: &[u8; 8], cursor: i64) -> Result<Option<(Vec<u8>, ChangeHash)>> {
    let Some((rid, now)) = inner.row_heads(id)? else { return Ok(None) };
    if let Some(found) = edit::expand(rest, &sorted(&now), prefix) {
        return Ok(Some(found));
    }
    let sent = inner.version_at(rid, cursor)?;
    Ok(if sent.is_empty() || sorted(&sent) == sorted(&now) { None } else { edit::expand(rest, &sorted(&sent), prefix) })
}

/// Makes a slice of pushed records ready: whole records are rebuilt and loaded before the store
/// is locked (`transpose::load_wholes`, on up to `threads` threads). A whole record that cannot
/// say which record it is gets no answer, and the device stops offering it for the session; how
/// many there were comes back beside the slice, to be counted.
fn ready<'a>(slice: &[Pushed<'a>], threads: usize) -> (Vec<Ready<'a>>, u64) {
    let wholes: Vec<&[u8]> = slice.iter().filter_map(|p| if let Pushed::Whole(rec) = p { Some(*rec) } else { None }).collect();
    let mut expanded = transpose::load_wholes(&wholes, threads).into_iter();
    let mut out = Vec::with_capacity(slice.len());
    let mut unreadable = 0;
    for p in slice {
        match p {
            Pushed::Changes(wid, bytes, heads) => out.push(Ready { wid: *wid, bytes: Cow::Borrowed(*bytes), heads: heads.clone(), doc: None, edit: None }),
            Pushed::Edit(wid, head, rest) => out.push(Ready { wid: *wid, bytes: Cow::Borrowed(*rest), heads: Vec::new(), doc: None, edit: Some(*head) }),
            Pushed::Whole(_) => {
                let named = expanded.next().map(|r| r.and_then(|w| Ok((id_to_wire(&w.id).map_err(|e| e.to_string())?, w))));
                match named {
                    Some(Ok((wid, w))) => out.push(Ready { wid, bytes: Cow::Owned(w.chunk), heads: w.heads, doc: w.doc, edit: None }),
                    Some(Err(reason)) => {
                        tracing::warn!(%reason, "a pushed whole record could not be read");
                        unreadable += 1;
                    }
                    None => {}
                }
            }
        }
    }
    (out, unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_cursors_open_to_the_same_position_and_hide_it() {
        let key = [7u8; 32];
        for seq in [1i64, 2, 3, 1000, 1001, i64::MAX / 3] {
            let c = seal(seq, &key);
            assert_ne!(c, seq);
            assert_eq!(unseal(c, &key), seq);
        }
        assert_eq!(seal(0, &key), 0);
        assert_eq!(unseal(0, &key), 0);
        // Neighbours are far apart once sealed.
        assert!((seal(1000, &key) - seal(1001, &key)).unsigned_abs() > 1 << 20);
        assert_ne!(seal(5, &[8u8; 32]), seal(5, &key));
    }
}
