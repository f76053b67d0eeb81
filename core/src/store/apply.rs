//! Applying changes from elsewhere (a peer, a bundle, another store) to a record: untrusted
//! bytes are validated and applied to a copy inside a panic guard, checked, and only then
//! persisted and swapped in. Changes waiting for their dependencies are kept durably.

use automerge::{Automerge, ReadDoc, ROOT};
use rusqlite::params;
use sha2::{Digest, Sha256};

use super::write::{encode, index_row, write_encoded, Encoded};
use super::{now_ms, ApplyOutcome, Inner, IndexRow, Kind, MAX_CHANGE_BYTES};
use crate::doc;
use crate::{Error, Result};

impl Inner {
    /// Applies untrusted bytes to record `id` (see [`Store::apply_changes`]). `check` lets the
    /// caller (the hub) refuse a result, e.g. a scope the peer may not write.
    pub(crate) fn apply(
        &mut self,
        id: &str,
        bytes: &[u8],
        check: Option<&dyn Fn(Option<&str>, &Automerge, &Automerge) -> Result<()>>,
    ) -> Result<ApplyOutcome> {
        let own = self.begin()?;
        let out = self.apply_in(id, bytes, check);
        self.finish(own, out.is_ok())?;
        out
    }

    fn apply_in(
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
        let attempt = doc::guard(|| -> Result<(Automerge, bool, Option<Encoded>, IndexRow, Option<Vec<automerge::ChangeHash>>)> {
            // Automerge skips chunks it cannot parse; a strict load first refuses them instead.
            let whole = doc::validate_chunks(bytes).map_err(|e| Error::rejected(id, e))?;
            let incoming = whole.as_ref().map(|d| d.get_heads());
            let fresh = row.is_none() && pending.is_empty();
            let mut copy = match whole {
                // A whole new record: the validated load is the record.
                Some(d) if fresh => d,
                _ => {
                    let mut copy = live.clone();
                    copy.load_incremental(bytes).map_err(|e| Error::rejected(id, e.to_string()))?;
                    copy
                }
            };
            for p in &pending {
                // Earlier pending bytes were accepted once; a failure now only means "not yet".
                let _ = copy.load_incremental(p);
            }
            let waiting = !copy.get_missing_deps(&[]).is_empty();
            let heads = copy.get_heads();
            if heads == old_heads {
                return Ok((copy, waiting, None, IndexRow::default(), incoming));
            }
            // Deriving the index walks the whole result, and encoding it for storage proves it
            // is usable, both before we keep anything.
            let index = index_row(&copy, None).map_err(|e| Error::rejected(id, e.to_string()))?;
            let encoded = if fresh && !waiting && whole_is(&bytes, &copy) {
                Encoded::Snapshot(bytes.to_vec())
            } else {
                encode(row.as_ref(), &copy, &old_heads)
            };
            Ok((copy, waiting, Some(encoded), index, incoming))
        });
        let restore = |inner: &mut Inner, live: Automerge| {
            if row.is_some() {
                inner.cache.put(id, live);
            }
        };
        let (mut copy, waiting, encoded, index, incoming_heads) = match attempt {
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
        let changed = encoded.is_some();
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
        // Inside the transaction (or savepoint) `apply` began.
        let tx = &self.conn;
        if waiting {
            let hash = Sha256::digest(bytes).to_vec();
            tx.execute(
                "INSERT OR IGNORE INTO pending(doc_id, hash, data, received_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, hash, bytes, now],
            )?;
        } else if !pending.is_empty() {
            tx.execute("DELETE FROM pending WHERE doc_id = ?1", [id])?;
        }
        if let Some(body) = encoded {
            write_encoded(tx, id, row.as_ref(), &copy.get_heads(), body, &index, now, self.serving)?;
        }
        let conflicts = if changed { index.conflicts as usize } else { doc::conflict_count(&copy) };
        if changed || row.is_some() {
            self.prepare(&mut copy);
            self.cache.put(id, copy);
        }
        Ok(ApplyOutcome { changed, pending: waiting, conflicts, incoming_heads })
    }
}

/// Whether `bytes` (a validated single document chunk) already is `doc`'s snapshot.
fn whole_is(bytes: &[u8], doc: &Automerge) -> bool {
    bytes.len() > 8 && bytes[8] == 0 && doc.get_missing_deps(&[]).is_empty()
}
