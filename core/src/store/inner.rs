//! What the store's mutex guards: the SQLite connection, the cache of loaded documents and
//! this device's identity, with the transaction discipline every write follows (`begin` /
//! `finish`, `batch`) and the loading of documents from their snapshot and chunks.


use automerge::{ActorId, Author, Automerge, ChangeHash};
use rusqlite::{Connection, OptionalExtension};

use super::cache::DocCache;
use super::write;
use crate::doc::{self};
use crate::model::{Identity, Kind};
use crate::sign::{DeviceKey, Sig, Signatures};
use crate::{Error, Result};

/// What the store knows about a record's row.
pub(crate) struct RowInfo {
    pub(crate) rid: i64,
    pub(crate) kind: Kind,
    pub(crate) scope: String,
    pub(crate) chunks: i64,
    pub(crate) snapshot_len: i64,
    /// Bytes of the increments appended since the snapshot.
    pub(crate) chunk_bytes: i64,
    pub(crate) conflicts: i64,
}

pub(crate) struct Inner {
    pub(super) conn: Connection,
    pub(super) cache: DocCache,
    pub(super) actor: ActorId,
    pub(super) device: String,
    pub(super) device_bytes: Vec<u8>,
    /// This device's key: its device id is derived from it, and it signs the changes made here.
    pub(super) key: DeviceKey,
    /// The store's id, as the devices it serves and its hub know it.
    pub(super) store_id: String,
    pub(super) session: Vec<u8>,
    pub(super) identity: Identity,
    /// This store serves other peers (a hub): it keeps record versions for their cursors.
    pub(super) serving: bool,
    /// The scopes the hub enrolled this device for (learnt at sync); `None` before the first.
    pub(super) enrolled: Option<Vec<String>>,
    /// SQLite's `data_version` when the cache was last known fresh.
    pub(super) data_version: i64,
}

impl Inner {
    /// Drops the cached documents if another connection committed since we last looked: a
    /// coordinator's command beside a running hub, say. Without this, our next write would be
    /// based on a stale document and could overwrite theirs.
    pub(crate) fn refresh(&mut self) -> Result<()> {
        let v: i64 = self.conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?;
        if v != self.data_version {
            self.cache.clear();
            self.data_version = v;
        }
        Ok(())
    }

    /// Starts a write: `BEGIN IMMEDIATE` (taking SQLite's write lock before anything is read,
    /// so another process cannot write in between) and a cache refresh; inside a batch, a
    /// savepoint. Returns whether this call owns the transaction.
    pub(crate) fn begin(&mut self) -> Result<bool> {
        if self.conn.is_autocommit() {
            self.control("BEGIN IMMEDIATE")?;
            if let Err(e) = self.refresh() {
                let _ = self.control("ROLLBACK");
                return Err(e);
            }
            Ok(true)
        } else {
            self.control("SAVEPOINT sangam_write")?;
            Ok(false)
        }
    }

    /// Ends what [`Inner::begin`] started: commit (or release) on success, roll back otherwise.
    /// A failed commit drops the cache, which may hold what was never stored.
    pub(crate) fn finish(&mut self, own: bool, ok: bool) -> Result<()> {
        let done = match (own, ok) {
            (true, true) => self.control("COMMIT"),
            (true, false) => self.control("ROLLBACK"),
            (false, true) => self.control("RELEASE sangam_write"),
            (false, false) => self.control("ROLLBACK TO sangam_write").and_then(|()| self.control("RELEASE sangam_write")),
        };
        if let Err(e) = done {
            if own {
                let _ = self.control("ROLLBACK");
            }
            self.cache.clear();
            return Err(e.into());
        }
        if !ok {
            // What failed may have left a half-edited document in the cache.
            self.cache.clear();
        }
        Ok(())
    }

    /// Runs `f` as one SQLite transaction (many record writes, one sync to disk). On failure
    /// everything rolls back and the document cache is dropped, since it may hold documents
    /// that were never committed.
    pub(crate) fn transaction<R>(&mut self, f: impl FnOnce(&mut Inner) -> Result<R>) -> Result<R> {
        self.control("BEGIN IMMEDIATE")?;
        if let Err(e) = self.refresh() {
            let _ = self.control("ROLLBACK");
            return Err(e);
        }
        match f(self) {
            Ok(r) => match self.control("COMMIT") {
                Ok(()) => Ok(r),
                Err(e) => {
                    let _ = self.control("ROLLBACK");
                    self.cache.clear();
                    Err(e)
                }
            },
            Err(e) => {
                let _ = self.control("ROLLBACK");
                self.cache.clear();
                Err(e)
            }
        }
    }

    /// Runs a transaction-control statement, prepared once and kept (a hub runs several per
    /// pushed record; parsing each anew showed in its profile).
    fn control(&self, sql: &str) -> Result<()> {
        self.conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    }

    /// Sets this device's actor and the current user as author on a document.
    pub(crate) fn set_actor_and_author(&self, doc: &mut Automerge) {
        let author = Author::from(doc::author_bytes(
            &self.identity.user_id,
            &self.identity.display_name,
        ));
        doc.set_author(Some(author));
        doc.set_actor(self.actor.clone());
    }

    /// The person using the store.
    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Whether this store serves other peers (a hub).
    pub(crate) fn is_serving(&self) -> bool {
        self.serving
    }

    /// The scopes the hub enrolled this device for (`None` before the first sync).
    pub(crate) fn enrolled(&self) -> Option<&[String]> {
        self.enrolled.as_deref()
    }

    pub(crate) fn device_hex(&self) -> String {
        self.device.clone()
    }

    pub(crate) fn device_key(&self) -> &DeviceKey {
        &self.key
    }

    /// Keeps signatures of other devices' changes to record `id` that arrived with them (those
    /// whose key does not derive the change's device are dropped: they could never verify).
    pub(crate) fn keep_relayed_sigs(&mut self, id: &str, sigs: &Signatures) -> Result<()> {
        if sigs.is_empty() {
            return Ok(());
        }
        let own = self.device_bytes.clone();
        let signed: Vec<([u8; 32], [u8; 16])> = self.with_doc(id, |d| {
            Ok(d.get_changes_meta(&[])
                .into_iter()
                .filter_map(|m| {
                    let dev = crate::policy::device_of(m.actor.to_bytes())?;
                    (dev[..] != own[..]).then_some((m.hash.0, dev))
                })
                .collect())
        })?;
        let mut st = self.conn.prepare_cached("INSERT OR IGNORE INTO change_sigs(hash, doc_id, sig, key) VALUES (?1, ?2, ?3, ?4)")?;
        for (hash, dev) in signed {
            let Some(key) = sigs.key_of(&dev) else { continue };
            if sigs.signed_by(&hash, &key) {
                let sig = sigs.sig_of(&hash).expect("verified");
                st.execute(rusqlite::params![&hash[..], id, &sig.0[..], &key[..]])?;
            }
        }
        Ok(())
    }

    /// The kept signatures of other devices' changes to record `id`, with their makers' keys.
    pub(crate) fn relayed_sigs(&self, id: &str, into: &mut Signatures) -> Result<()> {
        let mut st = self.conn.prepare_cached("SELECT hash, sig, key FROM change_sigs WHERE doc_id = ?1")?;
        let rows = st.query_map([id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?)))?;
        for row in rows {
            let (h, s, k) = row?;
            if let (Ok(h), Ok(s), Ok(k)) = (<[u8; 32]>::try_from(h), <[u8; 64]>::try_from(s), <[u8; 32]>::try_from(k)) {
                into.insert(h, Sig(s));
                into.insert_key(k);
            }
        }
        Ok(())
    }

    /// This device's signatures of every change to record `id` it made, with its key (made when
    /// the changes leave the store in a bundle; Ed25519 signatures are deterministic, so one
    /// change always gets the same signature).
    pub(crate) fn own_sigs(&mut self, id: &str, into: &mut Signatures) -> Result<()> {
        let device = self.device_bytes.clone();
        let hashes = self.with_doc(id, |d| {
            Ok(d.get_changes_meta(&[]).into_iter().filter(|m| m.actor.to_bytes().starts_with(&device)).map(|m| m.hash.0).collect::<Vec<_>>())
        })?;
        if !hashes.is_empty() {
            into.insert_key(self.key.public());
        }
        for h in hashes {
            into.insert(h, self.key.sign_change(&h));
        }
        Ok(())
    }

    pub(crate) fn row(&mut self, id: &str) -> Result<Option<RowInfo>> {
        let mut st = self.conn.prepare_cached(
            "SELECT rid, kind, scope, chunks, COALESCE(length(snapshot), 0), conflicts, \
             CASE WHEN chunks > 0 THEN (SELECT COALESCE(sum(length(data)), 0) FROM chunks c WHERE c.rid = docs.rid) ELSE 0 END \
             FROM docs WHERE id = ?1",
        )?;
        let r = st
            .query_row([id], |r| {
                let kind: String = r.get(1)?;
                Ok(RowInfo {
                    rid: r.get(0)?,
                    kind: Kind::parse(&kind).unwrap_or(Kind::Response),
                    scope: r.get(2)?,
                    chunks: r.get(3)?,
                    snapshot_len: r.get(4)?,
                    conflicts: r.get(5)?,
                    chunk_bytes: r.get(6)?,
                })
            })
            .optional()?;
        Ok(r)
    }

    /// Loads a document from its snapshot and chunks.
    pub(super) fn load_doc(&self, id: &str) -> Result<Automerge> {
        let (rid, snapshot): (i64, Option<Vec<u8>>) = self
            .conn
            .prepare_cached("SELECT rid, snapshot FROM docs WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        let mut bytes = write::unpack(snapshot.unwrap_or_default())?;
        let mut st = self
            .conn
            .prepare_cached("SELECT data FROM chunks WHERE rid = ?1 ORDER BY n")?;
        let rows = st.query_map([rid], |r| r.get::<_, Vec<u8>>(0))?;
        for chunk in rows {
            bytes.extend_from_slice(&chunk?);
        }
        let doc = doc::guard(|| Automerge::load(&bytes))
            .map_err(|reason| Error::rejected(id, format!("stored document unreadable: {reason}")))?
            .map_err(|e| Error::rejected(id, format!("stored document unreadable: {e}")))?;
        Ok(doc)
    }

    /// Record `id`'s row id and heads as stored (no load), if it is here.
    pub(crate) fn row_heads(&self, id: &str) -> Result<Option<(i64, Vec<ChangeHash>)>> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT rid, heads FROM docs WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map(|(rid, heads)| (rid, doc::heads_from_blob(&heads))))
    }

    /// Record `id` as one document chunk straight from storage, with its heads, when it is
    /// stored as one (no increments after its snapshot): what a peer that has nothing of it is
    /// sent, without loading it. `None` when it would have to be loaded and saved.
    pub(crate) fn stored_whole(&self, id: &str) -> Result<Option<(Vec<u8>, Vec<ChangeHash>)>> {
        let row: Option<(Option<Vec<u8>>, i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT snapshot, chunks, heads FROM docs WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((Some(snapshot), 0, heads)) = row else { return Ok(None) };
        let bytes = write::unpack(snapshot)?;
        Ok(doc::is_one_document_chunk(&bytes).then(|| (bytes, doc::heads_from_blob(&heads))))
    }

    /// Runs `f` on record `id`'s document (loading it into the cache if needed).
    pub(crate) fn with_doc<R>(&mut self, id: &str, f: impl FnOnce(&Automerge) -> Result<R>) -> Result<R> {
        let doc = self.take_doc(id)?;
        let out = f(&doc);
        self.cache.put(id, doc);
        out
    }

    pub(crate) fn take_doc(&mut self, id: &str) -> Result<Automerge> {
        match self.cache.take(id) {
            Some(d) => Ok(d),
            None => self.load_doc(id),
        }
    }
}

