//! The changelog: every write takes the next sequence number (`docs.seq`), so "what changed
//! after position N" is an index range. A serving store (a hub) also keeps, per record, its
//! heads at recent positions (`doc_versions`) and which record each position logged
//! (`changelog`), so a peer's cursor says exactly what that peer was sent.

use automerge::ChangeHash;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, OptionalExtension};
use sha2::{Digest, Sha256};

use super::{Inner, Store};
use crate::doc::heads_from_blob;
use crate::Result;

/// A record in the changelog, as of its last change.
pub(crate) struct Changed {
    pub(crate) id: String,
    pub(crate) seq: i64,
    pub(crate) rid: i64,
    pub(crate) heads: Vec<ChangeHash>,
}

impl Inner {
    /// Up to `limit` records of `scopes` changed after position `after`, in order, with their
    /// heads now. No scopes, no records.
    pub(crate) fn changed_in_scopes(&self, after: i64, scopes: &[String], limit: usize) -> Result<Vec<Changed>> {
        let marks = vec!["?"; scopes.len().max(1)].join(", ");
        let sql = format!("SELECT id, seq, rid, heads FROM docs WHERE seq > ?1 AND scope IN ({marks}) ORDER BY seq LIMIT {limit}");
        let mut args: Vec<SqlValue> = vec![after.into()];
        if scopes.is_empty() {
            args.push(SqlValue::Null);
        }
        args.extend(scopes.iter().map(|s| SqlValue::from(s.clone())));
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map(params_from_iter(args.iter()), |r| {
            Ok(Changed { id: r.get(0)?, seq: r.get(1)?, rid: r.get(2)?, heads: heads_from_blob(&r.get::<_, Vec<u8>>(3)?) })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The record's heads as of changelog sequence `cursor` (empty if unknown or too old).
    pub(crate) fn version_at(&self, rid: i64, cursor: i64) -> Result<Vec<ChangeHash>> {
        if cursor <= 0 {
            return Ok(Vec::new());
        }
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT heads FROM doc_versions WHERE rid = ?1 AND seq <= ?2 ORDER BY seq DESC LIMIT 1")?
            .query_row(rusqlite::params![rid, cursor], |r| r.get(0))
            .optional()?;
        Ok(blob.map(|b| heads_from_blob(&b)).unwrap_or_default())
    }

    /// A token naming changelog position `seq` of this hub: the hash of the hub, the position and
    /// the record logged there. A hub restored from an old copy has logged other records at those
    /// positions (or none), so a cursor it did not issue is recognised and the peer starts over
    /// instead of silently skipping records.
    pub(crate) fn cursor_token(&self, hub: &str, seq: i64) -> Result<Option<[u8; 8]>> {
        if seq <= 0 {
            return Ok(None);
        }
        let id: Option<String> = self
            .conn
            .prepare_cached("SELECT d.id FROM changelog c JOIN docs d ON d.rid = c.rid WHERE c.seq = ?1")?
            .query_row([seq], |r| r.get(0))
            .optional()?;
        Ok(id.map(|id| {
            let d = Sha256::digest(format!("{hub}:{seq}:{id}"));
            d[..8].try_into().expect("8 bytes")
        }))
    }
}

impl Store {
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
}
