//! Reading and writing one record: creating it, editing it as one durable transaction,
//! viewing it, its heads, history and JSON, and its changes for another store.


use automerge::transaction::Transactable;
use automerge::transaction::{CommitOptions, Transaction};
use automerge::{Automerge, ROOT};
use rusqlite::OptionalExtension;

use super::{write, ApplyOutcome, Inner, Store, SUMMARY_COLS, summary_from_row};
use crate::doc::{self, HistoryEntry};
use crate::model::checks::{check_scope, now_ms};
use crate::model::{index_row, Kind, RecordSummary};
use crate::{Error, Result};

impl Store {
    /// Creates a record: `build` fills the root of a fresh document (common fields are set
    /// here). Returns the new record's id.
    pub(crate) fn create(
        &self,
        kind: Kind,
        scope: &str,
        build: impl FnOnce(&mut Transaction<'_>, &str) -> Result<()>,
    ) -> Result<String> {
        check_scope(scope)?;
        let mut g = self.lock();
        // The id names this device as the record's creator (see `sign::new_record_id`).
        let id = crate::sign::new_record_id(&g.device_bytes);
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
        inner.set_actor_and_author(&mut doc);
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

    pub(crate) fn edit_in<R>(
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
        inner.set_actor_and_author(&mut doc);
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

    /// The kept reading of record `id` (see `IndexRow::view`) when it was read at the record's
    /// present heads and the document is not loaded already.
    pub(crate) fn kept_view(&self, id: &str) -> Result<Option<Vec<u8>>> {
        let mut g = self.lock();
        let inner = &mut *g;
        inner.refresh()?;
        if inner.cache.get(id).is_some() {
            return Ok(None);
        }
        let data: Option<Vec<u8>> = inner
            .conn
            .prepare_cached("SELECT v.data FROM docs d JOIN views v ON v.rid = d.rid AND v.heads = d.heads WHERE d.id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        data.map(write::unpack).transpose()
    }

    /// Reads each of `ids` through `f` in one read transaction, keeping none of the documents
    /// it had to load (a duplicate search reads thousands of subjects once; caching them would
    /// only push out the records in use). A record not here gives `None`.
    pub(crate) fn view_each<R>(&self, ids: &[&str], mut f: impl FnMut(&Automerge) -> R) -> Result<Vec<Option<R>>> {
        let mut g = self.lock();
        let inner = &mut *g;
        inner.refresh()?;
        let own = inner.conn.is_autocommit();
        if own {
            inner.conn.execute_batch("BEGIN DEFERRED")?;
        }
        let mut out = Vec::with_capacity(ids.len());
        let mut failed = None;
        for id in ids {
            if let Some(d) = inner.cache.get(id) {
                out.push(Some(f(d)));
                continue;
            }
            match inner.load_doc(id) {
                Ok(d) => out.push(Some(f(&d))),
                Err(Error::NotFound(_)) => out.push(None),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if own {
            inner.conn.execute_batch("COMMIT")?;
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(out),
        }
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

    /// Summary of one record from the index.
    pub fn summary(&self, id: &str) -> Result<RecordSummary> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {SUMMARY_COLS} FROM docs WHERE id = ?1"))?
                .query_row([id], summary_from_row)
                .optional()?
                .ok_or_else(|| Error::NotFound(id.to_string()))
        })
    }
}
