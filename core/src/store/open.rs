//! Opening a store: the file made private, SQLite set up (WAL, full sync), the schema
//! migrated, this device's id read or made; a file that is not a readable store moved aside.

use std::path::{Path, PathBuf};

use automerge::ActorId;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use sha2::{Digest, Sha256};

use std::sync::Mutex;

use super::cache::DocCache;
use super::{schema, Inner, Store, StoreKey, CACHE_DOCS};
use crate::model::checks::now_ms;
use crate::model::Identity;
use crate::sign::DeviceKey;
use crate::{Error, Result};

impl Store {
    /// Opens (or creates) the store at `path` for `identity`.
    ///
    /// A file that is not a readable Sangam store is moved aside (never deleted) and
    /// [`Error::Corrupt`] is returned; opening again then starts a fresh store. A file from a
    /// newer schema is refused with [`Error::SchemaTooNew`] and left untouched.
    ///
    /// An encrypted store is refused with [`Error::KeyNeeded`] and left as it is: open it with
    /// [`Store::open_encrypted`].
    pub fn open(path: impl AsRef<Path>, identity: Identity) -> Result<Store> {
        Self::open_keyed(path.as_ref(), identity, None)
    }

    /// Opens (or creates) the store at `path`, encrypted under `key` (ADR 0013).
    ///
    /// A new store is encrypted from its first page. A clear store is encrypted first, in
    /// place and losing nothing (a crash leaves the clear store or the encrypted one, whole). A
    /// wrong key is [`Error::WrongKey`], with the file left exactly as it was.
    pub fn open_encrypted(path: impl AsRef<Path>, identity: Identity, key: &StoreKey) -> Result<Store> {
        Self::open_keyed(path.as_ref(), identity, Some(key))
    }

    fn open_keyed(path: &Path, identity: Identity, key: Option<&StoreKey>) -> Result<Store> {
        let path = path.to_path_buf();
        identity.check()?;
        match key {
            Some(k) => {
                super::key::encrypt_in_place(&path, k)?;
            }
            None if super::key::looks_encrypted(&path)? => return Err(Error::KeyNeeded),
            None => {}
        }
        match Self::open_conn(&path, key) {
            Ok(conn) => {
                let mut store = Self::from_conn(conn, identity, Some(path))?;
                store.encrypted = key.is_some();
                Ok(store)
            }
            // With a key, an unreadable first page is a wrong key far more often than damage:
            // the file is never moved aside for it.
            Err(Error::Sqlite(e)) if key.is_some() && is_corruption(&e) => Err(Error::WrongKey),
            Err(Error::Sqlite(e)) if is_corruption(&e) => Err(move_aside(&path, &e.to_string())),
            Err(Error::Corrupt { reason, .. }) => Err(move_aside(&path, &reason)),
            Err(e) => Err(e),
        }
    }

    /// Whether this store's file is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Changes the key of this encrypted store to `new`. The caller keeps the old key until
    /// this returns: a crash during the rekey leaves the store under the old key.
    pub fn rekey(&self, new: &StoreKey) -> Result<()> {
        if !self.encrypted {
            return Err(Error::invalid("this store is not encrypted; open it with a key to encrypt it"));
        }
        let mut g = self.lock();
        super::key::rekey(&g.conn, new)?;
        g.cache.clear();
        Ok(())
    }

    /// A store in memory, for tests and throw-away work.
    pub fn open_in_memory(identity: Identity) -> Result<Store> {
        identity.check()?;
        let mut conn = Connection::open_in_memory()?;
        schema::migrate(&mut conn)?;
        Self::from_conn(conn, identity, None)
    }

    fn open_conn(path: &Path, key: Option<&StoreKey>) -> Result<Connection> {
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
        if let Some(k) = key {
            super::key::apply(&conn, k)?;
        }
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
        if tables == 0 && key.is_none() {
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
        // Query plans stay as prepared: without this, SQLite marks a cached statement whose
        // bound values the planner looked at (to decide whether a partial index applies) to be
        // prepared again at every new binding, which cost a hub a reparse per statement run.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.set_prepared_statement_cache_capacity(64);
        let meta = |key: &str| -> Result<Option<Vec<u8>>> {
            Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        };
        // The device key, made with the store (stores from before keys get theirs now). The
        // device id follows from it (ADR 0007).
        let key = match meta("device_key")? {
            Some(secret) => DeviceKey::from_secret(&secret)?,
            None => {
                let k = DeviceKey::generate()?;
                conn.execute("INSERT INTO meta(key, value) VALUES ('device_key', ?1)", params![&k.secret()[..]])?;
                k
            }
        };
        let device_bytes = key.device_id().to_vec();
        // The store's id names it to the devices it serves (their cursors) and to its hub. A new
        // store's id is its device id; a store from before keys keeps the id it had, so no
        // device's cursor is reset by the upgrade.
        let store_id = match meta("device")? {
            Some(b) => hex::encode(b),
            None => {
                conn.execute("INSERT INTO meta(key, value) VALUES ('device', ?1)", params![&device_bytes])?;
                hex::encode(&device_bytes)
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
            key,
            store_id,
            session,
            identity,
            serving,
            enrolled,
            data_version: 0,
        };
        Ok(Store { inner: Mutex::new(inner), path, derived: Default::default(), encrypted: false })
    }
}

/// The actor id for changes made by `identity` on this device in this session: the 16-byte
/// device id, 4 random bytes drawn at open (so a store restored from an old copy never reuses
/// an actor id, and with it sequence numbers) and 4 bytes of the user (Automerge ties one
/// author to each actor). ADR 0002.
pub(super) fn actor_for(device: &[u8], session: &[u8], identity: &Identity) -> ActorId {
    let mut actor = device.to_vec();
    actor.extend_from_slice(session);
    actor.extend_from_slice(&Sha256::digest(identity.user_id.as_bytes())[..4]);
    ActorId::from(actor)
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt)
    )
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
