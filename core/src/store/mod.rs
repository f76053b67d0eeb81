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
mod changelog;
mod derived;
mod export_scan;
mod inner;
pub mod key;
pub(crate) mod lists;
mod maintenance;
mod media;
mod makers;
mod open;
mod records;
pub mod schema;
mod sync_state;
mod tables;
mod types;
mod up_heads;
mod write;

pub use apply::{PENDING_BYTES_PER_PEER, PENDING_PER_PEER, PENDING_PER_RECORD, PENDING_TTL_MS};
pub use media::{MediaCollected, MediaState, Received, MEDIA_GRACE_MS, PARTIAL_MEDIA_TTL_MS};
pub(crate) use changelog::Changed;
pub(crate) use export_scan::ExportSet;
pub(crate) use inner::{Inner, RowInfo};
pub(crate) use lists::SubjectKeys;
pub use sync_state::{SyncFailure, SyncStatus, UPSTREAM};
pub(crate) use sync_state::Upstream;
pub use tables::{DayCount, Overview, ResponsePage, ResponseQuery, ResponseRow, ResponseSort};
pub use key::StoreKey;
pub use types::ApplyOutcome;
pub(crate) use types::{summary_from_row, SUMMARY_COLS};

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::model::Identity;
use crate::Result;

/// Chunks appended to a document before they are compacted into its snapshot.
pub const COMPACT_AFTER: i64 = 10;
/// Documents kept loaded in memory: more than a hub applies in one transaction
/// (`sync::serve::PUSH_SLICE`), so that checking the records just pushed finds them loaded.
pub const CACHE_DOCS: usize = 160;
/// Documents whose last snapshot is at most this big are re-saved whole on every write:
/// one compact snapshot is smaller on disk and 3-4x faster to load than a snapshot plus
/// increments, and saving a small document costs tens of microseconds.
pub const COMPACT_BELOW_BYTES: i64 = 4096;
/// Largest change payload accepted for one record.
pub const MAX_CHANGE_BYTES: usize = 16 * 1024 * 1024;

/// The record store of one device (or of a hub).
pub struct Store {
    inner: Mutex<Inner>,
    path: Option<PathBuf>,
    /// Values derived from records (compiled forms), kept while the record is unchanged.
    derived: derived::Derived,
    /// Whether the file is encrypted (opened with a key).
    encrypted: bool,
}

impl Store {
    /// The scopes this device is enrolled for, as its hub last said (`None` before a sync).
    pub fn enrolled_scopes(&self) -> Option<Vec<String>> {
        self.lock().enrolled.clone()
    }

    /// The file this store lives in (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// This device's id (hex), shared by every change it makes: derived from its key
    /// ([`crate::sign::device_of_key`]), so no one else can claim it.
    pub fn device_id(&self) -> String {
        self.lock().device.clone()
    }

    /// This store's id (hex), by which the devices it serves and its hub know it. The device id
    /// for stores made since device keys; the id it always had for older ones.
    pub fn store_id(&self) -> String {
        self.lock().store_id.clone()
    }

    /// This device's key (the public half is registered with its hub when it syncs).
    pub fn device_key(&self) -> crate::sign::DeviceKey {
        self.lock().key.clone()
    }

    pub fn identity(&self) -> Identity {
        self.lock().identity.clone()
    }

    /// Switches the person using this store; their later changes carry their name.
    pub fn set_identity(&self, identity: Identity) -> Result<()> {
        identity.check()?;
        let mut g = self.lock();
        g.actor = open::actor_for(&g.device_bytes, &g.session, &identity);
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
    fn read<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        let g = self.lock();
        f(&g.conn)
    }

}

