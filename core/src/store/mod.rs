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

mod cache;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::transaction::Transactable;
use automerge::transaction::{CommitOptions, Transaction};
use automerge::{ActorId, Author, Automerge, ChangeHash, ReadDoc, ROOT};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::doc::{self, FieldConflict, HistoryEntry};
use crate::{Error, Result};
use cache::DocCache;

/// Chunks appended to a document before they are compacted into its snapshot.
pub const COMPACT_AFTER: i64 = 10;
/// Documents kept loaded in memory.
pub const CACHE_DOCS: usize = 64;
/// Largest change payload accepted for one record.
pub const MAX_CHANGE_BYTES: usize = 16 * 1024 * 1024;

/// What a user may do (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    FieldWorker,
    Coordinator,
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::FieldWorker => "field-worker",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "field-worker" => Ok(Role::FieldWorker),
            "coordinator" => Ok(Role::Coordinator),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::invalid("role must be field-worker, coordinator or admin")),
        }
    }
    /// Coordinators and admins may review, resolve conflicts and merge.
    pub fn can_coordinate(&self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }
}

/// The person using this store; recorded on every change they make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: String,
    pub display_name: String,
    pub role: Role,
}

impl Identity {
    pub fn new(user_id: &str, display_name: &str, role: Role) -> Self {
        Identity { user_id: user_id.into(), display_name: display_name.into(), role }
    }
    pub fn field_worker(user_id: &str, display_name: &str) -> Self {
        Self::new(user_id, display_name, Role::FieldWorker)
    }
    pub fn coordinator(user_id: &str, display_name: &str) -> Self {
        Self::new(user_id, display_name, Role::Coordinator)
    }
}

/// The kinds of record (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Form,
    Response,
    Subject,
    Meeting,
    Action,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Form => "form",
            Kind::Response => "response",
            Kind::Subject => "subject",
            Kind::Meeting => "meeting",
            Kind::Action => "action",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "form" => Kind::Form,
            "response" => Kind::Response,
            "subject" => Kind::Subject,
            "meeting" => Kind::Meeting,
            "action" => Kind::Action,
            _ => return None,
        })
    }
}

/// What happened when changes from elsewhere were applied to a record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyOutcome {
    /// New changes became part of the record.
    pub changed: bool,
    /// Some changes wait for others they depend on; they are stored and applied on arrival.
    pub pending: bool,
    /// Conflicting fields in the record after applying.
    pub conflicts: usize,
}

/// A summary row for list screens, read from the index (never from the document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSummary {
    pub id: String,
    pub kind: Kind,
    pub scope: String,
    pub title: Option<String>,
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<String>,
    pub subject_id: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub updated_at_ms: i64,
    pub conflicts: i64,
    /// Changelog sequence of the record's last change in this store.
    pub seq: i64,
}

pub(crate) const SUMMARY_COLS: &str =
    "id, kind, scope, title, form_id, form_version, status, subject_id, owner, due, updated_at, conflicts, seq";

pub(crate) fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordSummary> {
    let kind: String = r.get(1)?;
    Ok(RecordSummary {
        id: r.get(0)?,
        kind: Kind::parse(&kind).unwrap_or(Kind::Response),
        scope: r.get(2)?,
        title: r.get(3)?,
        form_id: r.get(4)?,
        form_version: r.get(5)?,
        status: r.get(6)?,
        subject_id: r.get(7)?,
        owner: r.get(8)?,
        due: r.get(9)?,
        updated_at_ms: r.get(10)?,
        conflicts: r.get(11)?,
        seq: r.get(12)?,
    })
}

/// The index columns of one record, derived from its document.
#[derive(Debug, Default)]
pub(crate) struct IndexRow {
    pub kind: String,
    pub scope: String,
    pub deleted: bool,
    pub conflicts: i64,
    pub title: Option<String>,
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub status: Option<String>,
    pub subject_id: Option<String>,
    pub k_name: Option<String>,
    pub k_village: Option<String>,
    pub k_phone: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub meeting_id: Option<String>,
}

/// What the store knows about a record's row.
struct RowInfo {
    rid: i64,
    kind: Kind,
    scope: String,
    chunks: i64,
}

pub(crate) struct Inner {
    pub(crate) conn: Connection,
    cache: DocCache,
    actor: ActorId,
    device: String,
    device_bytes: Vec<u8>,
    session: Vec<u8>,
    pub(crate) identity: Identity,
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

/// The record store of one device (or of a hub).
pub struct Store {
    inner: Mutex<Inner>,
    path: Option<PathBuf>,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt))
}

impl Store {
    /// Opens (or creates) the store at `path` for `identity`.
    ///
    /// A file that is not a readable Sangam store is moved aside (never deleted) and
    /// [`Error::Corrupt`] is returned; opening again then starts a fresh store. A file from a
    /// newer schema is refused with [`Error::SchemaTooNew`] and left untouched.
    pub fn open(path: impl AsRef<Path>, identity: Identity) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        check_identity(&identity)?;
        match Self::open_conn(&path) {
            Ok(conn) => Self::from_conn(conn, identity, Some(path)),
            Err(Error::Sqlite(e)) if is_corruption(&e) => Err(move_aside(&path, &e.to_string())),
            Err(Error::Corrupt { reason, .. }) => Err(move_aside(&path, &reason)),
            Err(e) => Err(e),
        }
    }

    /// A store in memory, for tests and throw-away work.
    pub fn open_in_memory(identity: Identity) -> Result<Store> {
        check_identity(&identity)?;
        let mut conn = Connection::open_in_memory()?;
        schema::migrate(&mut conn)?;
        Self::from_conn(conn, identity, None)
    }

    fn open_conn(path: &Path) -> Result<Connection> {
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
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        schema::migrate(&mut conn)?;
        Ok(conn)
    }

    fn from_conn(conn: Connection, identity: Identity, path: Option<PathBuf>) -> Result<Store> {
        let device_bytes: Vec<u8> = match conn
            .query_row("SELECT value FROM meta WHERE key = 'device'", [], |r| r.get(0))
            .optional()?
        {
            Some(b) => b,
            None => {
                let b = uuid::Uuid::new_v4().as_bytes().to_vec();
                conn.execute("INSERT INTO meta(key, value) VALUES ('device', ?1)", params![b])?;
                b
            }
        };
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
        };
        Ok(Store { inner: Mutex::new(inner), path })
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
        check_identity(&identity)?;
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
        tx.commit_with(CommitOptions::default().with_time(now).with_message("create"));
        let index = index_row(&doc)?;
        let snapshot = doc.save();
        let heads = doc::heads_to_blob(&doc.get_heads());
        let tx = inner.conn.transaction()?;
        let seq = next_seq(&tx)?;
        tx.execute(
            "INSERT INTO docs(id, kind, scope, seq, heads, snapshot, chunks, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            params![id, kind.as_str(), scope, seq, heads, snapshot, now],
        )?;
        write_index(&tx, &id, &index)?;
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
        let row = inner.row(id)?.ok_or_else(|| Error::NotFound(id.to_string()))?;
        if let Some(k) = kind {
            if row.kind != k {
                return Err(Error::invalid(format!("record {id} is a {}, not a {}", row.kind.as_str(), k.as_str())));
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
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(now).with_message(message));
        if hash.is_none() {
            inner.cache.put(id, doc);
            return Ok(out);
        }
        // On any failure below, the in-memory document is dropped: SQLite holds the truth.
        inner.persist(&row, &doc, &old_heads, now)?;
        inner.cache.put(id, doc);
        Ok(out)
    }

    /// Reads record `id` through `f`.
    pub(crate) fn view<R>(&self, id: &str, f: impl FnOnce(&Automerge) -> Result<R>) -> Result<R> {
        let mut g = self.lock();
        let inner = &mut *g;
        inner.row(id)?.ok_or_else(|| Error::NotFound(id.to_string()))?;
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
        Ok(g.row(id)?.ok_or_else(|| Error::NotFound(id.to_string()))?.kind)
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

    /// Every field of record `id` that holds concurrent values, with who wrote each and when.
    pub fn conflicts(&self, id: &str) -> Result<Vec<FieldConflict>> {
        self.view(id, |d| Ok(doc::conflicts(d)))
    }

    /// Resolves the conflict at `path` by writing `value`, which supersedes every concurrent
    /// value; the resolution is recorded in the record. Coordinators only.
    pub fn resolve_conflict(&self, id: &str, path: &str, value: &crate::FieldValue) -> Result<()> {
        value.check()?;
        let identity = self.identity();
        if !identity.role.can_coordinate() {
            return Err(Error::Forbidden("only a coordinator can resolve conflicts".into()));
        }
        let before = self.conflicts(id)?;
        let Some(conflict) = before.into_iter().find(|c| c.path == path) else {
            return Err(Error::invalid("that field has no conflict to resolve"));
        };
        let replaced = serde_json::to_string(&conflict.values.iter().map(|v| &v.value).collect::<Vec<_>>())?;
        self.edit(id, None, "resolve", |tx| {
            doc::write_path(tx, path, value)?;
            let list = match doc::get_obj(tx, &ROOT, "resolutions") {
                Some(l) => l,
                None => tx.put_object(ROOT, "resolutions", automerge::ObjType::List)?,
            };
            let at = tx.length(&list);
            let entry = tx.insert_object(&list, at, automerge::ObjType::Map)?;
            tx.put(&entry, "path", path)?;
            tx.put(&entry, "value", serde_json::to_string(&value.to_json())?)?;
            tx.put(&entry, "replaced", replaced)?;
            tx.put(&entry, "by", identity.user_id.as_str())?;
            tx.put(&entry, "at", now_ms())?;
            Ok(())
        })
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
            let mut st = c.prepare_cached("SELECT id, seq FROM docs WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
            let rows = st.query_map(params![after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
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
            c.query_row(&format!("SELECT {SUMMARY_COLS} FROM docs WHERE id = ?1"), [id], summary_from_row)
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

    /// Runs SQLite's integrity check; `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<()> {
        self.read(|c| {
            let res: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if res == "ok" {
                Ok(())
            } else {
                Err(Error::Corrupt { path: PathBuf::new(), moved_to: PathBuf::new(), reason: res })
            }
        })
    }

    /// Number of documents currently loaded in memory.
    pub fn cached_docs(&self) -> usize {
        self.lock().cache.len()
    }
}

impl Inner {
    /// Sets this device's actor and the current user as author on a document.
    fn prepare(&self, doc: &mut Automerge) {
        let author = Author::from(doc::author_bytes(&self.identity.user_id, &self.identity.display_name));
        doc.set_author(Some(author));
        doc.set_actor(self.actor.clone());
    }

    fn row(&mut self, id: &str) -> Result<Option<RowInfo>> {
        let mut st = self.conn.prepare_cached("SELECT rid, kind, scope, chunks FROM docs WHERE id = ?1")?;
        let r = st
            .query_row([id], |r| {
                let kind: String = r.get(1)?;
                Ok((r.get(0)?, kind, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        Ok(r.map(|(rid, kind, scope, chunks)| RowInfo {
            rid,
            kind: Kind::parse(&kind).unwrap_or(Kind::Response),
            scope,
            chunks,
        }))
    }

    /// Loads a document from its snapshot and chunks.
    fn load_doc(&self, id: &str) -> Result<Automerge> {
        let (rid, snapshot): (i64, Option<Vec<u8>>) = self
            .conn
            .prepare_cached("SELECT rid, snapshot FROM docs WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        let mut bytes = snapshot.unwrap_or_default();
        let mut st = self.conn.prepare_cached("SELECT data FROM chunks WHERE rid = ?1 ORDER BY n")?;
        let rows = st.query_map([rid], |r| r.get::<_, Vec<u8>>(0))?;
        for chunk in rows {
            bytes.extend_from_slice(&chunk?);
        }
        let doc = doc::guard(|| Automerge::load(&bytes))
            .map_err(|reason| Error::rejected(id, format!("stored document unreadable: {reason}")))?
            .map_err(|e| Error::rejected(id, format!("stored document unreadable: {e}")))?;
        Ok(doc)
    }

    fn take_doc(&mut self, id: &str) -> Result<Automerge> {
        match self.cache.take(id) {
            Some(d) => Ok(d),
            None => self.load_doc(id),
        }
    }

    /// Persists what changed in `doc` since `old_heads` as one transaction.
    fn persist(&mut self, row: &RowInfo, doc: &Automerge, old_heads: &[ChangeHash], now: i64) -> Result<()> {
        let index = index_row(doc)?;
        let heads = doc::heads_to_blob(&doc.get_heads());
        let tx = self.conn.transaction()?;
        let seq = next_seq(&tx)?;
        if row.chunks + 1 >= COMPACT_AFTER {
            let snapshot = doc.save();
            tx.execute("DELETE FROM chunks WHERE rid = ?1", [row.rid])?;
            tx.prepare_cached("UPDATE docs SET snapshot = ?2, chunks = 0, heads = ?3, seq = ?4, updated_at = ?5 WHERE rid = ?1")?
                .execute(params![row.rid, snapshot, heads, seq, now])?;
        } else {
            let chunk = doc.save_after(old_heads);
            tx.prepare_cached("INSERT OR REPLACE INTO chunks(rid, n, data) VALUES (?1, ?2, ?3)")?
                .execute(params![row.rid, row.chunks, chunk])?;
            tx.prepare_cached("UPDATE docs SET chunks = chunks + 1, heads = ?2, seq = ?3, updated_at = ?4 WHERE rid = ?1")?
                .execute(params![row.rid, heads, seq, now])?;
        }
        let id = doc::get_str(doc, &ROOT, "id").unwrap_or_default();
        write_index(&tx, &id, &index)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies untrusted bytes to record `id` (see [`Store::apply_changes`]). `check` lets the
    /// caller (the hub) refuse a result, e.g. a scope the peer may not write.
    pub(crate) fn apply(
        &mut self,
        id: &str,
        bytes: &[u8],
        check: Option<&dyn Fn(Option<&str>, &Automerge, &Automerge) -> Result<()>>,
    ) -> Result<ApplyOutcome> {
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
        let pending: Vec<Vec<u8>> = {
            let mut st = self.conn.prepare_cached("SELECT data FROM pending WHERE doc_id = ?1")?;
            let rows = st.query_map([id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let old_heads = live.get_heads();
        // Everything that touches the untrusted bytes happens on a copy, inside the guard.
        let attempt = doc::guard(|| -> Result<(Automerge, bool, Vec<u8>, Vec<u8>, IndexRow)> {
            // Automerge skips chunks it cannot parse; a strict load first refuses them instead.
            doc::validate_chunks(bytes).map_err(|e| Error::rejected(id, e))?;
            let mut copy = live.clone();
            copy.load_incremental(bytes).map_err(|e| Error::rejected(id, e.to_string()))?;
            for p in &pending {
                // Earlier pending bytes were accepted once; a failure now only means "not yet".
                let _ = copy.load_incremental(p);
            }
            let waiting = !copy.get_missing_deps(&[]).is_empty();
            let heads = copy.get_heads();
            if heads == old_heads {
                return Ok((copy, waiting, Vec::new(), Vec::new(), IndexRow::default()));
            }
            let index = index_row(&copy).map_err(|e| Error::rejected(id, e.to_string()))?;
            let chunk = if old_heads.is_empty() { copy.save() } else { copy.save_after(&old_heads) };
            // Reading the result end to end proves it is usable before we keep it.
            let _ = doc::conflict_count(&copy);
            let _ = copy.save();
            Ok((copy, waiting, chunk, doc::heads_to_blob(&heads), index))
        });
        let restore = |inner: &mut Inner, live: Automerge| {
            if row.is_some() {
                inner.cache.put(id, live);
            }
        };
        let (mut copy, waiting, chunk, heads, index) = match attempt {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                restore(self, live);
                return Err(e);
            }
            Err(reason) => {
                // The library panicked: the live document was never touched; drop any state
                // derived from it and refuse the payload.
                return Err(Error::rejected(id, reason));
            }
        };
        let changed = !chunk.is_empty();
        if changed {
            let stored_id = doc::get_str(&copy, &ROOT, "id");
            if stored_id.as_deref() != Some(id) {
                restore(self, live);
                return Err(Error::rejected(id, "the changes belong to another record"));
            }
            if Kind::parse(&index.kind).is_none() {
                restore(self, live);
                return Err(Error::rejected(id, "unknown record kind"));
            }
            if let Some(r) = &row {
                if r.scope != index.scope || r.kind.as_str() != index.kind {
                    restore(self, live);
                    return Err(Error::rejected(id, "a record's scope and kind cannot change"));
                }
            }
            if let Some(check) = check {
                if let Err(e) = check(row.as_ref().map(|r| r.scope.as_str()), &live, &copy) {
                    restore(self, live);
                    return Err(e);
                }
            }
        }
        let now = now_ms();
        let tx = self.conn.transaction()?;
        if waiting {
            let hash = Sha256::digest(bytes).to_vec();
            tx.execute(
                "INSERT OR IGNORE INTO pending(doc_id, hash, data, received_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, hash, bytes, now],
            )?;
        } else if !pending.is_empty() {
            tx.execute("DELETE FROM pending WHERE doc_id = ?1", [id])?;
        }
        if changed {
            let seq = next_seq(&tx)?;
            match &row {
                None => {
                    tx.execute(
                        "INSERT INTO docs(id, kind, scope, seq, heads, snapshot, chunks, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
                        params![id, index.kind, index.scope, seq, heads, chunk, now],
                    )?;
                }
                Some(r) if r.chunks + 1 >= COMPACT_AFTER => {
                    let snapshot = copy.save();
                    tx.execute("DELETE FROM chunks WHERE rid = ?1", [r.rid])?;
                    tx.execute(
                        "UPDATE docs SET snapshot = ?2, chunks = 0, heads = ?3, seq = ?4, updated_at = ?5 WHERE rid = ?1",
                        params![r.rid, snapshot, heads, seq, now],
                    )?;
                }
                Some(r) => {
                    tx.execute("INSERT OR REPLACE INTO chunks(rid, n, data) VALUES (?1, ?2, ?3)", params![r.rid, r.chunks, chunk])?;
                    tx.execute(
                        "UPDATE docs SET chunks = chunks + 1, heads = ?2, seq = ?3, updated_at = ?4 WHERE rid = ?1",
                        params![r.rid, heads, seq, now],
                    )?;
                }
            }
            write_index(&tx, id, &index)?;
        }
        tx.commit()?;
        let conflicts = if changed { index.conflicts as usize } else { doc::conflict_count(&copy) };
        if changed || row.is_some() {
            self.prepare(&mut copy);
            self.cache.put(id, copy);
        }
        Ok(ApplyOutcome { changed, pending: waiting, conflicts })
    }
}

fn next_seq(tx: &rusqlite::Transaction<'_>) -> Result<i64> {
    Ok(tx.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM docs")?.query_row([], |r| r.get(0))?)
}

fn write_index(tx: &rusqlite::Transaction<'_>, id: &str, ix: &IndexRow) -> Result<()> {
    tx.prepare_cached(
        "UPDATE docs SET deleted = ?2, conflicts = ?3, title = ?4, form_id = ?5, form_version = ?6, status = ?7, \
         subject_id = ?8, k_name = ?9, k_village = ?10, k_phone = ?11, owner = ?12, due = ?13, meeting_id = ?14 WHERE id = ?1",
    )?
    .execute(params![
        id,
        ix.deleted,
        ix.conflicts,
        ix.title,
        ix.form_id,
        ix.form_version,
        ix.status,
        ix.subject_id,
        ix.k_name,
        ix.k_village,
        ix.k_phone,
        ix.owner,
        ix.due,
        ix.meeting_id
    ])?;
    Ok(())
}

/// Derives a record's index columns from its document.
pub(crate) fn index_row(doc: &Automerge) -> Result<IndexRow> {
    let kind = doc::get_str(doc, &ROOT, "kind").ok_or_else(|| Error::invalid("record has no kind"))?;
    let scope = doc::get_str(doc, &ROOT, "scope").ok_or_else(|| Error::invalid("record has no scope"))?;
    let mut ix = IndexRow {
        deleted: doc::get_bool(doc, &ROOT, "deleted").unwrap_or(false),
        conflicts: doc::conflict_count(doc) as i64,
        ..IndexRow::default()
    };
    match Kind::parse(&kind) {
        Some(Kind::Subject) => crate::record::subject::index(doc, &mut ix),
        Some(Kind::Response) => crate::record::response::index(doc, &mut ix),
        Some(Kind::Meeting) => crate::record::meeting::index(doc, &mut ix),
        Some(Kind::Action) => crate::record::action::index(doc, &mut ix),
        Some(Kind::Form) => {
            ix.title = doc::get_str(doc, &ROOT, "title");
            ix.form_id = doc::get_str(doc, &ROOT, "form_id");
            ix.form_version = doc::get_str(doc, &ROOT, "form_version");
        }
        None => {}
    }
    ix.kind = kind;
    ix.scope = scope;
    Ok(ix)
}

fn check_identity(id: &Identity) -> Result<()> {
    if id.user_id.trim().is_empty() {
        return Err(Error::invalid("a user id is required"));
    }
    if id.user_id.contains('\u{1f}') {
        return Err(Error::invalid("a user id must not contain control characters"));
    }
    Ok(())
}

pub(crate) fn check_scope(scope: &str) -> Result<()> {
    if scope.is_empty() || scope.len() > 64 || !scope.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(Error::invalid("a scope is 1-64 letters, digits, '-', '_' or '.'"));
    }
    Ok(())
}

/// Checks a field or attribute name: non-empty, no `/` (paths use it), not reserved.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 128 || name.contains('/') || name.starts_with('_') {
        return Err(Error::invalid("a field name is 1-128 characters, without '/', not starting with '_'"));
    }
    Ok(())
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
    Error::Corrupt { path: path.into(), moved_to, reason: reason.into() }
}
