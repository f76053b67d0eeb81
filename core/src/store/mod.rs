//! The record store: every record an Automerge document, persisted in SQLite.
//!
//! `Store` owns one SQLite connection (WAL, `synchronous=FULL`) behind a mutex, a bounded cache
//! of loaded documents, and this device's identity. Every user-visible operation is one SQLite
//! transaction: the document's incremental change, its index row and its changelog sequence
//! commit together or not at all, with exactly one WAL sync.
//!
//! ```
//! use sangam_core::{Store, Identity, NewSubject};
//! let store = Store::open_in_memory(Identity::field_worker("u1", "Asha")).unwrap();
//! let id = store
//!     .create_subject(NewSubject::new("household", "UP-SIT").attr("name", "Devi"))
//!     .unwrap();
//! assert_eq!(store.subject(&id).unwrap().attrs["name"].display(), "Devi");
//! ```

mod apply;
mod cache;
pub(crate) mod lists;
mod makers;
pub mod schema;
mod types;
mod write;

pub use apply::{PENDING_BYTES_PER_PEER, PENDING_PER_PEER, PENDING_PER_RECORD, PENDING_TTL_MS};
pub(crate) use types::{summary_from_row, SUMMARY_COLS};
pub use types::ApplyOutcome;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use automerge::transaction::Transactable;
use automerge::transaction::{CommitOptions, Transaction};
use automerge::{ActorId, Author, Automerge, ROOT};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::doc::{self, HistoryEntry};
use crate::model::checks::{check_scope, new_id, now_ms};
use crate::model::{index_row, Identity, Kind, RecordSummary};
use crate::{Error, Result};
use cache::DocCache;

/// Chunks appended to a document before they are compacted into its snapshot.
pub const COMPACT_AFTER: i64 = 10;
/// Documents kept loaded in memory.
pub const CACHE_DOCS: usize = 64;
/// Documents whose last snapshot is at most this big are re-saved whole on every write:
/// one compact snapshot is smaller on disk and 3-4x faster to load than a snapshot plus
/// increments, and saving a small document costs tens of microseconds.
pub const COMPACT_BELOW_BYTES: i64 = 4096;
/// Largest change payload accepted for one record.
pub const MAX_CHANGE_BYTES: usize = 16 * 1024 * 1024;

/// What the store knows about a record's row.
pub(crate) struct RowInfo {
    pub(crate) rid: i64,
    pub(crate) kind: Kind,
    pub(crate) scope: String,
    pub(crate) chunks: i64,
    pub(crate) snapshot_len: i64,
    pub(crate) conflicts: i64,
}

pub(crate) struct Inner {
    pub(crate) conn: Connection,
    pub(crate) cache: DocCache,
    actor: ActorId,
    device: String,
    device_bytes: Vec<u8>,
    session: Vec<u8>,
    pub(crate) identity: Identity,
    /// This store serves other peers (a hub): it keeps record versions for their cursors.
    pub(crate) serving: bool,
    /// The scopes the hub enrolled this device for (learnt at sync); `None` before the first.
    pub(crate) enrolled: Option<Vec<String>>,
    /// SQLite's `data_version` when the cache was last known fresh.
    data_version: i64,
}

/// The actor id for changes made by `identity` on this device in this session: the 16-byte
/// device id, 4 random bytes drawn at open (so a store restored from an old copy never reuses
/// an actor id, and with it sequence numbers) and 4 bytes of the user (Automerge ties one
/// author to each actor). ADR 0002.
fn actor_for(device: &[u8], session: &[u8], identity: &Identity) -> ActorId {
    let mut actor = device.to_vec();
    actor.extend_from_slice(session);
    actor.extend_from_slice(&Sha256::digest(identity.user_id.as_bytes())[..4]);
    ActorId::from(actor)
}

/// Compiled forms by form record id, with the heads of the record they were compiled from.
pub(crate) type CompiledForms = std::collections::HashMap<String, (Vec<u8>, std::sync::Arc<crate::forms::state::CompiledForm>)>;

/// The record store of one device (or of a hub).
pub struct Store {
    inner: Mutex<Inner>,
    path: Option<PathBuf>,
    /// Compiled forms by form record id, with the heads they were compiled at: validating a
    /// submitted response (a hub does it for every one it takes in) reuses them.
    pub(crate) compiled_forms: Mutex<CompiledForms>,
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt)
    )
}

impl Store {
    /// Opens (or creates) the store at `path` for `identity`.
    ///
    /// A file that is not a readable Sangam store is moved aside (never deleted) and
    /// [`Error::Corrupt`] is returned; opening again then starts a fresh store. A file from a
    /// newer schema is refused with [`Error::SchemaTooNew`] and left untouched.
    pub fn open(path: impl AsRef<Path>, identity: Identity) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        identity.check()?;
        match Self::open_conn(&path) {
            Ok(conn) => Self::from_conn(conn, identity, Some(path)),
            Err(Error::Sqlite(e)) if is_corruption(&e) => Err(move_aside(&path, &e.to_string())),
            Err(Error::Corrupt { reason, .. }) => Err(move_aside(&path, &reason)),
            Err(e) => Err(e),
        }
    }

    /// A store in memory, for tests and throw-away work.
    pub fn open_in_memory(identity: Identity) -> Result<Store> {
        identity.check()?;
        let mut conn = Connection::open_in_memory()?;
        schema::migrate(&mut conn)?;
        Self::from_conn(conn, identity, None)
    }

    fn open_conn(path: &Path) -> Result<Connection> {
        // A new store file is made private first (0600; SQLite gives its journal and WAL the
        // same mode), in a private directory if the directory is new.
        if !path.exists() {
            if let Some(dir) = path.parent() {
                crate::files::private_dir(dir)?;
            }
            match crate::files::create_new_private(path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Touching the schema is what reveals a file that is not a database.
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if tables > 0 && version == 0 {
            return Err(Error::Corrupt {
                path: path.into(),
                moved_to: PathBuf::new(),
                reason: "the file is a database of another application".into(),
            });
        }
        if tables == 0 {
            // 8 KB pages fit a typical record row (~0.9 KB) with a tenth of the slack 4 KB
            // pages leave; it must be set before the first table exists.
            conn.pragma_update(None, "page_size", 8192)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        schema::migrate(&mut conn)?;
        Ok(conn)
    }

    fn from_conn(conn: Connection, identity: Identity, path: Option<PathBuf>) -> Result<Store> {
        let device_bytes: Vec<u8> = match conn
            .query_row("SELECT value FROM meta WHERE key = 'device'", [], |r| {
                r.get(0)
            })
            .optional()?
        {
            Some(b) => b,
            None => {
                let b = uuid::Uuid::new_v4().as_bytes().to_vec();
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('device', ?1)",
                    params![b],
                )?;
                b
            }
        };
        let serving = conn
            .query_row("SELECT value FROM meta WHERE key = 'serving'", [], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .optional()?
            .is_some();
        let enrolled: Option<Vec<String>> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'enrolled_scopes'",
                [],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?
            .and_then(|b| serde_json::from_slice(&b).ok());
        let session = uuid::Uuid::new_v4().as_bytes()[..4].to_vec();
        let actor = actor_for(&device_bytes, &session, &identity);
        let inner = Inner {
            conn,
            cache: DocCache::new(CACHE_DOCS),
            actor,
            device: hex::encode(&device_bytes),
            device_bytes,
            session,
            identity,
            serving,
            enrolled,
            data_version: 0,
        };
        Ok(Store { inner: Mutex::new(inner), path, compiled_forms: Mutex::default() })
    }

    /// Makes this store a server for other peers (a hub): from now on it keeps recent record
    /// versions so that each peer is sent only what it lacks.
    pub fn enable_serving(&self) -> Result<()> {
        let mut g = self.lock();
        g.conn.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('serving', x'01')",
            [],
        )?;
        g.serving = true;
        Ok(())
    }

    /// The scopes this device is enrolled for, as its hub last said (`None` before a sync).
    pub fn enrolled_scopes(&self) -> Option<Vec<String>> {
        self.lock().enrolled.clone()
    }

    /// The file this store lives in (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// This device's id (hex), shared by every change it makes.
    pub fn device_id(&self) -> String {
        self.lock().device.clone()
    }

    pub fn identity(&self) -> Identity {
        self.lock().identity.clone()
    }

    /// Switches the person using this store; their later changes carry their name.
    pub fn set_identity(&self, identity: Identity) -> Result<()> {
        identity.check()?;
        let mut g = self.lock();
        g.actor = actor_for(&g.device_bytes, &g.session, &identity);
        g.identity = identity;
        Ok(())
    }

    /// Locks the store. A lock poisoned by a panic elsewhere is recovered: the cache is
    /// dropped (documents reload from SQLite, which only holds committed state).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => {
                let mut g = poisoned.into_inner();
                g.cache.clear();
                self.inner.clear_poison();
                g
            }
        }
    }

    /// Runs `f` with a read view of the database.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        let g = self.lock();
        f(&g.conn)
    }

    /// Creates a record: `build` fills the root of a fresh document (common fields are set
    /// here). Returns the new record's id.
    pub(crate) fn create(
        &self,
        kind: Kind,
        scope: &str,
        build: impl FnOnce(&mut Transaction<'_>, &str) -> Result<()>,
    ) -> Result<String> {
        check_scope(scope)?;
        let id = new_id();
        let mut g = self.lock();
        // Refuse here what the hub would refuse, so honest devices never meet a rejection.
        if let Some(scopes) = &g.enrolled {
            if !scopes.iter().any(|s| s == scope) {
                return Err(Error::Forbidden(format!(
                    "this device is not enrolled for scope {scope}"
                )));
            }
        }
        let inner = &mut *g;
        let mut doc = Automerge::new();
        inner.prepare(&mut doc);
        let now = now_ms();
        let mut tx = doc.transaction();
        tx.put(ROOT, "kind", kind.as_str())?;
        tx.put(ROOT, "schema", 1_i64)?;
        tx.put(ROOT, "id", id.as_str())?;
        tx.put(ROOT, "scope", scope)?;
        tx.put(ROOT, "created_at", now)?;
        tx.put(ROOT, "created_by", inner.identity.user_id.as_str())?;
        if let Err(e) = build(&mut tx, &id) {
            tx.rollback();
            return Err(e);
        }
        tx.commit_with(
            CommitOptions::default()
                .with_time(now)
                .with_message("create"),
        );
        let index = index_row(&doc, None)?;
        let tx = inner.conn.transaction()?;
        write::write_doc(&tx, &id, None, &doc, &[], &index, now, inner.serving)?;
        tx.commit()?;
        inner.cache.put(&id, doc);
        Ok(id)
    }

    /// Applies a local edit to record `id` as one durable transaction. `kind` guards against
    /// editing a record through the wrong typed API.
    pub(crate) fn edit<R>(
        &self,
        id: &str,
        kind: Option<Kind>,
        message: &str,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<R>,
    ) -> Result<R> {
        let mut g = self.lock();
        let inner = &mut *g;
        let own = inner.begin()?;
        let out = Self::edit_in(inner, id, kind, message, f);
        inner.finish(own, out.is_ok())?;
        out
    }

    fn edit_in<R>(
        inner: &mut Inner,
        id: &str,
        kind: Option<Kind>,
        message: &str,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<R>,
    ) -> Result<R> {
        let row = inner
            .row(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        if let Some(k) = kind {
            if row.kind != k {
                return Err(Error::invalid(format!(
                    "record {id} is a {}, not a {}",
                    row.kind.as_str(),
                    k.as_str()
                )));
            }
        }
        let mut doc = inner.take_doc(id)?;
        inner.prepare(&mut doc);
        let old_heads = doc.get_heads();
        let now = now_ms();
        let mut tx = doc.transaction();
        let out = match f(&mut tx) {
            Ok(out) => out,
            Err(e) => {
                tx.rollback();
                inner.cache.put(id, doc);
                return Err(e);
            }
        };
        let (hash, _) = tx.commit_with(
            CommitOptions::default()
                .with_time(now)
                .with_message(message),
        );
        if hash.is_none() {
            inner.cache.put(id, doc);
            return Ok(out);
        }
        // On any failure below, the in-memory document is dropped: SQLite holds the truth.
        // A local edit cannot create a conflict, so a record without any skips the walk.
        let index = index_row(&doc, (row.conflicts == 0).then_some(0))?;
        write::write_doc(
            &inner.conn,
            id,
            Some(&row),
            &doc,
            &old_heads,
            &index,
            now,
            inner.serving,
        )?;
        inner.cache.put(id, doc);
        Ok(out)
    }

    /// Reads record `id` through `f`.
    pub(crate) fn view<R>(&self, id: &str, f: impl FnOnce(&Automerge) -> Result<R>) -> Result<R> {
        let mut g = self.lock();
        let inner = &mut *g;
        inner.refresh()?;
        inner
            .row(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        if inner.cache.get(id).is_none() {
            let doc = inner.load_doc(id)?;
            inner.cache.put(id, doc);
        }
        let doc = inner.cache.get(id).expect("just cached");
        f(doc)
    }

    /// The kind of record `id`.
    pub fn kind_of(&self, id: &str) -> Result<Kind> {
        let mut g = self.lock();
        Ok(g.row(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?
            .kind)
    }

    /// Soft-deletes a record: it leaves lists, and its history and data stay (and sync).
    pub fn delete_record(&self, id: &str) -> Result<()> {
        self.edit(id, None, "delete", |tx| {
            tx.put(ROOT, "deleted", true)?;
            Ok(())
        })
    }

    /// Restores a soft-deleted record.
    pub fn restore_record(&self, id: &str) -> Result<()> {
        self.edit(id, None, "restore", |tx| {
            tx.put(ROOT, "deleted", false)?;
            Ok(())
        })
    }

    /// The record's current heads (its version), as hex change hashes.
    pub fn heads(&self, id: &str) -> Result<Vec<String>> {
        self.view(id, |d| Ok(doc::heads_to_hex(&d.get_heads())))
    }

    /// The record's changes since `since` (hex heads; empty for all), as bytes another store
    /// can apply with [`Store::apply_changes`].
    pub fn export_changes(&self, id: &str, since: &[String]) -> Result<Vec<u8>> {
        let since = doc::heads_from_hex(since)?;
        self.view(id, |d| {
            if since.is_empty() {
                Ok(d.save())
            } else {
                // Heads we do not know fall back to everything: never send too little.
                if since.iter().any(|h| d.get_change_meta_by_hash(h).is_none()) {
                    Ok(d.save())
                } else {
                    Ok(d.save_after(&since))
                }
            }
        })
    }

    /// Applies changes made elsewhere (by [`Store::export_changes`], a bundle or a sync peer)
    /// to record `id`. Applying the same bytes twice, or in any order, is harmless. Changes
    /// whose dependencies are missing are stored and applied when those arrive. Malformed or
    /// hostile bytes return [`Error::Rejected`] and leave the record exactly as it was.
    pub fn apply_changes(&self, id: &str, bytes: &[u8]) -> Result<ApplyOutcome> {
        let mut g = self.lock();
        g.apply(id, bytes, None)
    }

    /// Who changed which fields when, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        self.view(id, |d| Ok(doc::history(d)))
    }

    /// The whole record as JSON, now or as it was at `at` (hex heads, e.g. one history entry's
    /// change hash).
    pub fn record_json(&self, id: &str, at: Option<&[String]>) -> Result<serde_json::Value> {
        let heads = at.map(doc::heads_from_hex).transpose()?;
        self.view(id, |d| {
            if let Some(h) = &heads {
                if h.iter().any(|c| d.get_change_meta_by_hash(c).is_none()) {
                    return Err(Error::invalid("this record has no such version"));
                }
            }
            Ok(doc::object_json(d, &ROOT, heads.as_deref()))
        })
    }

    /// Records changed after changelog sequence `after`, oldest first: (id, seq).
    pub fn changed_since(&self, after: i64, limit: usize) -> Result<Vec<(String, i64)>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached("SELECT id, seq FROM docs WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
            let rows =
                st.query_map(params![after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The highest changelog sequence in this store.
    pub fn last_seq(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT COALESCE(MAX(seq), 0) FROM docs", [], |r| r.get(0))?))
    }

    /// Number of received changes waiting for their dependencies.
    pub fn pending_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM pending", [], |r| r.get(0))?))
    }

    /// Summary of one record from the index.
    pub fn summary(&self, id: &str) -> Result<RecordSummary> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {SUMMARY_COLS} FROM docs WHERE id = ?1"),
                [id],
                summary_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(id.to_string()))
        })
    }

    /// Writes the WAL into the main file (after bulk work, or before copying the file).
    pub fn checkpoint(&self) -> Result<()> {
        self.read(|c| {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        })
    }

    /// Runs `f` with relaxed durability, for bulk imports whose source stays available until
    /// this returns: commits inside skip their fsync, and everything is synced to disk
    /// (checkpointed) before this returns. Not for edits a user was told are saved.
    pub fn bulk_import<R>(&self, f: impl FnOnce(&Store) -> Result<R>) -> Result<R> {
        self.read(|c| Ok(c.pragma_update(None, "synchronous", "OFF")?))?;
        let out = f(self);
        self.read(|c| Ok(c.pragma_update(None, "synchronous", "FULL")?))?;
        let out = out?;
        if self.path.is_some() {
            self.checkpoint()?;
        }
        Ok(out)
    }

    /// Runs SQLite's integrity check; `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<()> {
        self.read(|c| {
            let res: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if res == "ok" {
                Ok(())
            } else {
                Err(Error::Corrupt {
                    path: PathBuf::new(),
                    moved_to: PathBuf::new(),
                    reason: res,
                })
            }
        })
    }

    /// Number of documents currently loaded in memory.
    pub fn cached_docs(&self) -> usize {
        self.lock().cache.len()
    }
}

impl Inner {
    /// Drops the cached documents if another connection committed since we last looked: a
    /// coordinator's command beside a running hub, say. Without this, our next write would be
    /// based on a stale document and could overwrite theirs.
    pub(crate) fn refresh(&mut self) -> Result<()> {
        let v: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
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
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            if let Err(e) = self.refresh() {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e);
            }
            Ok(true)
        } else {
            self.conn.execute_batch("SAVEPOINT sangam_write")?;
            Ok(false)
        }
    }

    /// Ends what [`Inner::begin`] started: commit (or release) on success, roll back otherwise.
    /// A failed commit drops the cache, which may hold what was never stored.
    pub(crate) fn finish(&mut self, own: bool, ok: bool) -> Result<()> {
        let sql = match (own, ok) {
            (true, true) => "COMMIT",
            (true, false) => "ROLLBACK",
            (false, true) => "RELEASE sangam_write",
            (false, false) => "ROLLBACK TO sangam_write; RELEASE sangam_write",
        };
        if let Err(e) = self.conn.execute_batch(sql) {
            if own {
                let _ = self.conn.execute_batch("ROLLBACK");
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
    pub(crate) fn batch<R>(&mut self, f: impl FnOnce(&mut Inner) -> Result<R>) -> Result<R> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        if let Err(e) = self.refresh() {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(e);
        }
        match f(self) {
            Ok(r) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(r),
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    self.cache.clear();
                    Err(e.into())
                }
            },
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                self.cache.clear();
                Err(e)
            }
        }
    }

    /// Sets this device's actor and the current user as author on a document.
    pub(crate) fn prepare(&self, doc: &mut Automerge) {
        let author = Author::from(doc::author_bytes(
            &self.identity.user_id,
            &self.identity.display_name,
        ));
        doc.set_author(Some(author));
        doc.set_actor(self.actor.clone());
    }

    pub(crate) fn device_bytes(&self) -> &[u8] {
        &self.device_bytes
    }

    pub(crate) fn device_hex(&self) -> String {
        self.device.clone()
    }

    pub(crate) fn row(&mut self, id: &str) -> Result<Option<RowInfo>> {
        let mut st = self.conn.prepare_cached(
            "SELECT rid, kind, scope, chunks, COALESCE(length(snapshot), 0), conflicts FROM docs WHERE id = ?1",
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
                })
            })
            .optional()?;
        Ok(r)
    }

    /// Loads a document from its snapshot and chunks.
    fn load_doc(&self, id: &str) -> Result<Automerge> {
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

    pub(crate) fn take_doc(&mut self, id: &str) -> Result<Automerge> {
        match self.cache.take(id) {
            Some(d) => Ok(d),
            None => self.load_doc(id),
        }
    }
}

/// Moves a corrupt database (and its WAL) aside, keeping it, and builds the error to report.
fn move_aside(path: &Path, reason: &str) -> Error {
    let stamp = now_ms();
    let moved_to = PathBuf::from(format!("{}.corrupt-{stamp}", path.display()));
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", path.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", moved_to.display()));
            if let Err(e) = std::fs::rename(&from, &to) {
                return Error::Io(e);
            }
        }
    }
    tracing::error!(moved_to = %moved_to.display(), "store unreadable; moved aside");
    Error::Corrupt {
        path: path.into(),
        moved_to,
        reason: reason.into(),
    }
}
