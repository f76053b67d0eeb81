//! Keeping a store in shape: serving mode, bulk imports with relaxed durability, WAL
//! checkpoints, integrity checks and a few counters.

use std::path::PathBuf;


use super::Store;
use crate::{Error, Result};

impl Store {
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

    /// Number of received changes waiting for their dependencies.
    pub fn pending_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM pending", [], |r| r.get(0))?))
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
