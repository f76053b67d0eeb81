//! Writing a document and its index row to SQLite, and deriving the index row.

use automerge::{Automerge, ChangeHash};
use rusqlite::params;

use super::{RowInfo, COMPACT_AFTER, COMPACT_BELOW_BYTES};
use crate::model::IndexRow;
use crate::doc;
use crate::{Error, Result};

/// Writes record `id` — its document bytes, heads, changelog sequence and index columns —
/// within `tx`. A new record (`row` is `None`) is inserted with a snapshot; an existing one
/// gets either a fresh snapshot (small documents, or every [`COMPACT_AFTER`] writes) or the
/// increment since `old_heads` appended as a chunk.
/// How a write stores the document: a whole snapshot, or an increment appended as a chunk.
pub(crate) enum Encoded {
    Snapshot(Vec<u8>),
    Chunk(Vec<u8>),
}

/// Encodes what a write of `doc` must store, given the record's row (`None`: a new record).
/// An increment is appended while the document has fewer than [`COMPACT_AFTER`] of them and
/// they stay under half its snapshot's size; past either, the document is saved whole again.
/// Loading a snapshot plus increments replays the increments change by change: a meeting's
/// minutes typed on three phones (6,000 changes) took twice as long to open from a snapshot
/// and a few synced increments as from one snapshot.
pub(crate) fn encode(row: Option<&RowInfo>, doc: &Automerge, old_heads: &[ChangeHash]) -> Encoded {
    match row {
        Some(r) if r.chunks + 1 < COMPACT_AFTER && r.snapshot_len > COMPACT_BELOW_BYTES => {
            let increment = doc.save_after(old_heads);
            if r.chunk_bytes + increment.len() as i64 <= r.snapshot_len / 2 {
                return Encoded::Chunk(increment);
            }
            Encoded::Snapshot(doc.save_nocompress())
        }
        // Uncompressed columns: `pack` compresses the whole snapshot with zstd, which does
        // better on raw columns than on Automerge's own DEFLATE of them, and that DEFLATE was a
        // tenth of a hub's cost per edit.
        _ => Encoded::Snapshot(doc.save_nocompress()),
    }
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Largest snapshot `unpack` inflates in one piece from its declared size; bigger (or
/// undeclared) ones are streamed.
const UNPACK_DIRECT_MAX: u64 = 64 << 20;

thread_local! {
    // One compression and one decompression context per thread, reused: making a zstd context
    // costs more than compressing a typical record (it was ~8% of a hub's ingest CPU).
    static PACKER: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> = const { std::cell::RefCell::new(None) };
    static UNPACKER: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { std::cell::RefCell::new(None) };
}

/// Compresses a snapshot for storage when that makes it smaller. Automerge compresses only
/// large columns, so small records' snapshots (field names repeated across records, short
/// strings) shrink by 10-20% more with zstd.
pub(crate) fn pack(snapshot: Vec<u8>) -> Vec<u8> {
    let packed = PACKER.with(|p| {
        let mut p = p.borrow_mut();
        if p.is_none() {
            *p = zstd::bulk::Compressor::new(6).ok();
        }
        p.as_mut().and_then(|c| c.compress(&snapshot).ok())
    });
    match packed {
        Some(z) if z.len() < snapshot.len() => z,
        _ => snapshot,
    }
}

/// Reverses [`pack`]; raw Automerge bytes (older stores, incompressible snapshots) pass through.
pub(crate) fn unpack(stored: Vec<u8>) -> Result<Vec<u8>> {
    if !stored.starts_with(&ZSTD_MAGIC) {
        return Ok(stored);
    }
    let unreadable = |e: std::io::Error| Error::invalid(format!("stored snapshot unreadable: {e}"));
    match zstd::zstd_safe::get_frame_content_size(&stored) {
        Ok(Some(size)) if size <= UNPACK_DIRECT_MAX => UNPACKER.with(|u| {
            let mut u = u.borrow_mut();
            if u.is_none() {
                *u = Some(zstd::bulk::Decompressor::new().map_err(unreadable)?);
            }
            u.as_mut().expect("just made").decompress(&stored, size as usize).map_err(unreadable)
        }),
        _ => zstd::stream::decode_all(&stored[..]).map_err(unreadable),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_doc(
    tx: &rusqlite::Connection,
    id: &str,
    row: Option<&RowInfo>,
    doc: &Automerge,
    old_heads: &[ChangeHash],
    ix: &IndexRow,
    now: i64,
    serving: bool,
) -> Result<()> {
    let body = encode(row, doc, old_heads);
    write_encoded(tx, id, row, &doc.get_heads(), body, ix, now, serving)
}

/// Writes an already encoded document (see [`encode`]) with its index row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_encoded(
    tx: &rusqlite::Connection,
    id: &str,
    row: Option<&RowInfo>,
    doc_heads: &[ChangeHash],
    body: Encoded,
    ix: &IndexRow,
    now: i64,
    serving: bool,
) -> Result<()> {
    let seq = next_seq(tx)?;
    let heads = doc::heads_to_blob(doc_heads);
    let index = params![
        ix.deleted,
        ix.conflicts,
        ix.title,
        ix.form_id,
        ix.form_version,
        ix.status,
        ix.subject_id,
        ix.name_key,
        ix.village_key,
        ix.phone_key,
        ix.owner,
        ix.due,
        ix.meeting_id,
        ix.review
    ];
    const IX: &str = "deleted = ?1, conflicts = ?2, title = ?3, form_id = ?4, form_version = ?5, status = ?6, \
         subject_id = ?7, k_name = ?8, k_village = ?9, k_phone = ?10, owner = ?11, due = ?12, meeting_id = ?13, review = ?14";
    let rid = match (row, body) {
        (None, Encoded::Snapshot(snapshot) | Encoded::Chunk(snapshot)) => {
            let snapshot = pack(snapshot);
            tx.prepare_cached(
                "INSERT INTO docs(deleted, conflicts, title, form_id, form_version, status, subject_id, k_name, k_village, \
                 k_phone, owner, due, meeting_id, review, id, kind, scope, seq, heads, snapshot, chunks, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, 0, ?21)",
            )?
            .execute(rusqlite::params_from_iter(
                index.iter().copied().chain(params![id, ix.kind, ix.scope, seq, heads, snapshot, now].iter().copied()),
            ))?;
            tx.last_insert_rowid()
        }
        (Some(r), Encoded::Snapshot(snapshot)) => {
            let snapshot = pack(snapshot);
            if r.chunks > 0 {
                tx.prepare_cached("DELETE FROM chunks WHERE rid = ?1")?.execute([r.rid])?;
            }
            tx.prepare_cached(&format!(
                "UPDATE docs SET {IX}, snapshot = ?15, chunks = 0, heads = ?16, seq = ?17, updated_at = ?18 WHERE rid = ?19"
            ))?
            .execute(rusqlite::params_from_iter(
                index.iter().copied().chain(params![snapshot, heads, seq, now, r.rid].iter().copied()),
            ))?;
            r.rid
        }
        (Some(r), Encoded::Chunk(chunk)) => {
            tx.prepare_cached("INSERT OR REPLACE INTO chunks(rid, n, data) VALUES (?1, ?2, ?3)")?
                .execute(params![r.rid, r.chunks, chunk])?;
            tx.prepare_cached(&format!(
                "UPDATE docs SET {IX}, chunks = chunks + 1, heads = ?15, seq = ?16, updated_at = ?17 WHERE rid = ?18"
            ))?
            .execute(rusqlite::params_from_iter(
                index.iter().copied().chain(params![heads, seq, now, r.rid].iter().copied()),
            ))?;
            r.rid
        }
    };
    match &ix.view {
        Some(view) => {
            tx.prepare_cached("INSERT OR REPLACE INTO views(rid, heads, data) VALUES (?1, ?2, ?3)")?
                .execute(params![rid, heads, pack(view.clone())])?;
        }
        None if ix.kind == "meeting" && row.is_some() => {
            tx.prepare_cached("DELETE FROM views WHERE rid = ?1")?.execute([rid])?;
        }
        None => {}
    }
    if (ix.kind == "response" || ix.kind == "form") && (row.is_some() || !ix.media.is_empty()) {
        super::media::write_refs(tx, rid, row.is_some(), &ix.media)?;
    }
    if serving {
        record_version(tx, rid, seq, &heads)?;
    }
    Ok(())
}

/// Versions a serving store keeps per record (older cursors get the whole record).
const VERSIONS_KEPT: i64 = 16;

/// Remembers the record's heads at changelog sequence `seq`, so that a peer whose cursor is at
/// or past `seq` can be sent only what came after.
fn record_version(tx: &rusqlite::Connection, rid: i64, seq: i64, heads: &[u8]) -> Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO doc_versions(rid, seq, heads) VALUES (?1, ?2, ?3)")?
        .execute(params![rid, seq, heads])?;
    tx.prepare_cached("INSERT OR REPLACE INTO changelog(seq, rid) VALUES (?1, ?2)")?.execute(params![seq, rid])?;
    tx.prepare_cached(
        "DELETE FROM doc_versions WHERE rid = ?1 AND seq < \
         (SELECT seq FROM doc_versions WHERE rid = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![rid, VERSIONS_KEPT - 1])?;
    Ok(())
}

fn next_seq(tx: &rusqlite::Connection) -> Result<i64> {
    Ok(tx.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM docs")?.query_row([], |r| r.get(0))?)
}

