//! What this device's hub is known to have of each record (`docs.up_heads`): the records with
//! changes not yet sent, and the marks a sync or bundle sets as the hub acknowledges them.

use automerge::ChangeHash;
use rusqlite::{params, OptionalExtension};

use super::{Inner, Store};
use crate::doc::heads_from_blob;
use crate::{Error, Result};

impl Inner {
    /// Up to `limit` records with changes the hub lacks, oldest change first, each with the
    /// heads the hub is known to have.
    pub(crate) fn unsent(&self, limit: usize) -> Result<Vec<(String, Vec<ChangeHash>)>> {
        let mut st = self.conn.prepare_cached("SELECT id, up_heads FROM docs WHERE up_heads IS NOT heads ORDER BY seq LIMIT ?1")?;
        let rows = st.query_map([limit as i64], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<Vec<u8>>>(1)?)))?;
        let rows: Vec<(String, Option<Vec<u8>>)> = rows.collect::<rusqlite::Result<_>>()?;
        Ok(rows.into_iter().map(|(id, up)| (id, up.map(|b| heads_from_blob(&b)).unwrap_or_default())).collect())
    }

    /// Every record (or only those with unsent changes) with its scope and the heads the hub is
    /// known to have (empty when `only_unsent` is false: the whole record is meant).
    pub(crate) fn records_for_bundle(&self, only_unsent: bool) -> Result<Vec<(String, String, Vec<ChangeHash>)>> {
        let sql = if only_unsent {
            "SELECT id, scope, up_heads FROM docs WHERE up_heads IS NOT heads ORDER BY seq"
        } else {
            "SELECT id, scope, NULL FROM docs ORDER BY seq"
        };
        let mut st = self.conn.prepare(sql)?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<Vec<u8>>>(2)?)))?;
        let rows: Vec<(String, String, Option<Vec<u8>>)> = rows.collect::<rusqlite::Result<_>>()?;
        Ok(rows.into_iter().map(|(id, scope, up)| (id, scope, up.map(|b| heads_from_blob(&b)).unwrap_or_default())).collect())
    }

    /// Records that the hub has `heads` of record `id` (32-byte change hashes).
    pub(crate) fn set_up_heads(&self, id: &str, heads: &[[u8; 32]]) -> Result<()> {
        let blob: Vec<u8> = heads.iter().flatten().copied().collect();
        self.conn.prepare_cached("UPDATE docs SET up_heads = ?2 WHERE id = ?1")?.execute(params![id, blob])?;
        Ok(())
    }

    /// Forgets what the hub has of record `id`: the next push offers it whole.
    pub(crate) fn forget_up_heads(&self, id: &str) -> Result<()> {
        self.conn.prepare_cached("UPDATE docs SET up_heads = NULL WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    /// Forgets what the hub has of every record.
    pub(crate) fn forget_all_up_heads(&self) -> Result<()> {
        self.conn.execute("UPDATE docs SET up_heads = NULL", [])?;
        Ok(())
    }

    /// Whether record `id` had nothing unsent, and the heads the hub was known to have.
    pub(crate) fn sync_marks(&self, id: &str) -> Result<(bool, Vec<ChangeHash>)> {
        let row: Option<(bool, Option<Vec<u8>>)> = self
            .conn
            .prepare_cached("SELECT up_heads IS heads, up_heads FROM docs WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match row {
            Some((synced, up)) => (synced, up.map(|b| heads_from_blob(&b)).unwrap_or_default()),
            None => (false, Vec::new()),
        })
    }
}

impl Store {
    /// Records changed here that the hub does not have yet.
    pub fn unsynced_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM docs WHERE up_heads IS NOT heads", [], |r| r.get(0))?))
    }

    /// Whether record `id` has changes the hub does not have yet.
    pub fn is_unsynced(&self, id: &str) -> Result<bool> {
        self.read(|c| {
            c.query_row("SELECT up_heads IS NOT heads FROM docs WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::NotFound(id.to_string()))
        })
    }

    /// Forgets what the hub is known to have, so the next sync offers every record whole and
    /// pulls everything again (the repair path after restoring a backup).
    pub fn reset_sync_state(&self) -> Result<()> {
        self.read(|c| {
            c.execute_batch("UPDATE docs SET up_heads = NULL; DELETE FROM sync_state;")?;
            Ok(())
        })
    }
}
