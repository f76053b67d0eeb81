//! The media area: files attached to records, content-addressed ([`MediaName`]), stored in
//! pieces beside the records in the same SQLite file (so a file is as durable, as atomic and,
//! once the store is encrypted, as private as the answers that name it).
//!
//! A file arrives whole (taken on this phone: [`Store::put_media`]) or piece by piece from a
//! peer ([`Store::media_receive`]), each piece committed as it comes, so a transfer cut at 90%
//! resumes at 90%. It is marked complete only once its bytes hash to its name; bytes that do
//! not are thrown away. Which records refer to which files is `doc_media`, written with each
//! record's index row (`write_refs`).

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use super::Store;
use crate::media::{MediaInfo, MediaName, MediaRef, PIECE_BYTES};
use crate::model::checks::now_ms;
use crate::policy::PeerInfo;
use crate::{Error, Result};

/// A file no record refers to is deleted after this long (a sync, a draft being filled in or
/// a bundle on its way may still name it meanwhile).
pub const MEDIA_GRACE_MS: i64 = 7 * 24 * 3600 * 1000;
/// A partly received file that has not grown for this long is dropped (it is asked for again
/// if a record still needs it).
pub const PARTIAL_MEDIA_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// A part of a file another sender is still adding to (it grew this recently) is not started
/// over by a sender claiming another size for it: that sender is told to come back later.
pub const MEDIA_RESTART_IDLE_MS: i64 = 10 * 60 * 1000;

/// What became of bytes offered at an offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored (or already complete): what the store now has.
    Stored(MediaInfo),
    /// The offset is not where the stored part ends: send from `have` instead.
    WrongOffset { have: u64 },
    /// Another sender is adding to a part of this file stored under another size: nothing was
    /// taken; send it again later (once that upload completes or has been idle for
    /// [`MEDIA_RESTART_IDLE_MS`], the file is here or may be started over).
    Busy,
}

/// One file a record refers to, with what this store has of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MediaState {
    pub name: String,
    pub size: u64,
    pub mime: Option<String>,
    /// Bytes stored here.
    pub have: u64,
    pub complete: bool,
    /// The upstream hub is known to have it whole.
    pub uploaded: bool,
}

/// What a collection of unreferenced media removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MediaCollected {
    pub files: u64,
    pub bytes: u64,
    /// Partly received files dropped because they stopped growing.
    pub stale_partial: u64,
}

fn info_from(name: String, r: &rusqlite::Row<'_>) -> rusqlite::Result<MediaInfo> {
    Ok(MediaInfo {
        name,
        size: r.get::<_, i64>(0)? as u64,
        have: r.get::<_, i64>(1)? as u64,
        complete: r.get::<_, i64>(2)? != 0,
        mime: r.get(3)?,
    })
}

impl Store {
    /// Stores a whole file taken on this device, durably, before any answer names it; returns
    /// its name. Storing the same bytes again changes nothing.
    pub fn put_media(&self, bytes: &[u8], ext: &str, mime: Option<&str>) -> Result<MediaName> {
        if bytes.is_empty() {
            return Err(Error::invalid("an empty file cannot be attached"));
        }
        if bytes.len() as u64 > crate::media::MAX_MEDIA_BYTES {
            return Err(Error::invalid(format!(
                "the file is {} bytes; at most {} may be attached",
                bytes.len(),
                crate::media::MAX_MEDIA_BYTES
            )));
        }
        if let Some(m) = mime {
            crate::media::check_type(m)?;
        }
        let name = MediaName::of(bytes, ext)?;
        let now = now_ms();
        self.lock().transaction(|g| {
            let c = &g.conn;
            let complete: Option<i64> =
                c.prepare_cached("SELECT complete FROM media WHERE name = ?1")?.query_row([name.as_str()], |r| r.get(0)).optional()?;
            if complete == Some(1) {
                c.prepare_cached("UPDATE media SET orphan_since = NULL WHERE name = ?1")?.execute([name.as_str()])?;
                return Ok(());
            }
            c.prepare_cached("DELETE FROM media_pieces WHERE name = ?1")?.execute([name.as_str()])?;
            let mut n = 0i64;
            for piece in bytes.chunks(PIECE_BYTES) {
                c.prepare_cached("INSERT INTO media_pieces(name, n, data) VALUES (?1, ?2, ?3)")?.execute(params![name.as_str(), n, piece])?;
                n += 1;
            }
            c.prepare_cached(
                "INSERT OR REPLACE INTO media(name, size, have, pieces, complete, mime, source, added_at, touched_at) \
                 VALUES (?1, ?2, ?2, ?3, 1, ?4, NULL, ?5, ?5)",
            )?
            .execute(params![name.as_str(), bytes.len() as i64, n, mime, now])?;
            Ok(())
        })?;
        Ok(name)
    }

    /// What this store has of the file `name`.
    pub fn media_info(&self, name: &str) -> Result<Option<MediaInfo>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT size, have, complete, mime FROM media WHERE name = ?1")?
                .query_row([name], |r| info_from(name.to_string(), r))
                .optional()?)
        })
    }

    /// A whole file's bytes (it must be complete here).
    pub fn media_bytes(&self, name: &str) -> Result<Vec<u8>> {
        let info = self.media_info(name)?.ok_or_else(|| Error::NotFound(format!("media {name}")))?;
        if !info.complete {
            return Err(Error::invalid(format!("media {name} is not here whole yet ({} of {} bytes)", info.have, info.size)));
        }
        self.media_read(name, 0, info.size)
    }

    /// Up to `max` stored bytes of `name` from `offset`.
    pub fn media_read(&self, name: &str, offset: u64, max: u64) -> Result<Vec<u8>> {
        self.read(|c| {
            let mut out = Vec::new();
            let mut at = 0u64;
            let mut stmt = c.prepare_cached("SELECT data FROM media_pieces WHERE name = ?1 ORDER BY n")?;
            let mut rows = stmt.query([name])?;
            while let Some(r) = rows.next()? {
                if out.len() as u64 >= max {
                    break;
                }
                let data = r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
                let end = at + data.len() as u64;
                if end > offset {
                    let from = offset.saturating_sub(at) as usize;
                    let want = (max - out.len() as u64) as usize;
                    let piece = &data[from..];
                    out.extend_from_slice(&piece[..piece.len().min(want)]);
                }
                at = end;
            }
            Ok(out)
        })
    }

    /// Takes bytes of the file `name` (whose whole size is `size`) that belong at `offset`,
    /// from `source` (the enrolment that sent them, for quotas; `None` from this store's hub).
    /// Each piece is committed as it is stored. When the last byte arrives the content is
    /// hashed: a match completes the file, a mismatch throws every byte of it away and is an
    /// error. A file already complete takes nothing and reports itself.
    pub fn media_receive(
        &self,
        name: &MediaName,
        size: u64,
        mime: Option<&str>,
        source: Option<&str>,
        offset: u64,
        bytes: &[u8],
    ) -> Result<Received> {
        if size == 0 {
            return Err(Error::invalid("a media file has at least one byte"));
        }
        if offset.checked_add(bytes.len() as u64).is_none_or(|end| end > size) {
            return Err(Error::invalid(format!("bytes {}..{} lie past the file's end ({size})", offset, offset + bytes.len() as u64)));
        }
        let mime = mime.filter(|m| crate::media::check_type(m).is_ok());
        let now = now_ms();
        let n = name.as_str();
        let out = self.lock().transaction(|g| {
            let c = &g.conn;
            let row: Option<(i64, i64, i64, i64, Option<String>, i64)> = c
                .prepare_cached("SELECT size, have, pieces, complete, source, touched_at FROM media WHERE name = ?1")?
                .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
                .optional()?;
            let (mut have, mut pieces) = match row.map(|(s, h, p, done, from, at)| ((s, h, p, done), from, at)) {
                Some(((s, h, _, 1), _, _)) => {
                    return Ok(Some(Received::Stored(MediaInfo { name: n.to_string(), size: s as u64, have: h as u64, complete: true, mime: mime.map(str::to_string) })))
                }
                // A part another sender is still adding to, under another claimed size, stays:
                // only one size can be the file's, and a claim alone must not throw away what
                // an honest upload has sent so far.
                Some(((s, h, _, _), from, at)) if s as u64 != size && h > 0 && from.as_deref() != source && now - at < MEDIA_RESTART_IDLE_MS => {
                    return Ok(Some(Received::Busy));
                }
                // Otherwise a part stored under another claimed size is started again.
                Some(((s, _, _, _), _, _)) if s as u64 != size && offset == 0 => {
                    c.prepare_cached("DELETE FROM media_pieces WHERE name = ?1")?.execute([n])?;
                    c.prepare_cached("UPDATE media SET size = ?2, have = 0, pieces = 0, source = ?3, touched_at = ?4 WHERE name = ?1")?
                        .execute(params![n, size as i64, source, now])?;
                    (0u64, 0i64)
                }
                Some(((s, h, _, _), _, _)) if s as u64 != size => return Ok(Some(Received::WrongOffset { have: if offset == 0 { h as u64 } else { 0 } })),
                Some(((_, h, p, _), _, _)) => (h as u64, p),
                None => {
                    c.prepare_cached(
                        "INSERT INTO media(name, size, have, pieces, complete, mime, source, added_at, touched_at) \
                         VALUES (?1, ?2, 0, 0, 0, ?3, ?4, ?5, ?5)",
                    )?
                    .execute(params![n, size as i64, mime, source, now])?;
                    (0, 0)
                }
            };
            if offset != have {
                return Ok(Some(Received::WrongOffset { have }));
            }
            for piece in bytes.chunks(PIECE_BYTES) {
                c.prepare_cached("INSERT INTO media_pieces(name, n, data) VALUES (?1, ?2, ?3)")?.execute(params![n, pieces, piece])?;
                pieces += 1;
                have += piece.len() as u64;
            }
            let complete = have == size;
            if complete {
                let mut h = Sha256::new();
                let mut stmt = c.prepare_cached("SELECT data FROM media_pieces WHERE name = ?1 ORDER BY n")?;
                let mut rows = stmt.query([n])?;
                while let Some(r) = rows.next()? {
                    h.update(r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
                }
                drop(rows);
                if h.finalize().as_slice() != name.sha256() {
                    // Thrown away in this same transaction, which then commits.
                    c.prepare_cached("DELETE FROM media_pieces WHERE name = ?1")?.execute([n])?;
                    c.prepare_cached("DELETE FROM media WHERE name = ?1")?.execute([n])?;
                    return Ok(None);
                }
            }
            c.prepare_cached("UPDATE media SET have = ?2, pieces = ?3, complete = ?4, touched_at = ?5, mime = COALESCE(mime, ?6) WHERE name = ?1")?
                .execute(params![n, have as i64, pieces, complete as i64, now, mime])?;
            Ok(Some(Received::Stored(MediaInfo { name: n.to_string(), size, have, complete, mime: mime.map(str::to_string) })))
        })?;
        out.ok_or_else(|| Error::Rejected {
            id: n.to_string(),
            reason: "the bytes sent do not hash to the file's name; they were thrown away".into(),
            library_failed: false,
        })
    }

    /// Whether some record `peer` may see refers to the file `name`: the only files a peer
    /// may send to this store or fetch from it.
    pub fn media_visible_to(&self, name: &str, peer: &PeerInfo) -> Result<bool> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT DISTINCT d.scope FROM doc_media m JOIN docs d ON d.rid = m.rid WHERE m.name = ?1")?;
            let scopes = stmt.query_map([name], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(scopes.iter().any(|s| peer.may_see(s)))
        })
    }

    /// The size the records `peer` may see give for the file `name` (the largest, if they
    /// disagree), or `None` when no such record refers to it.
    pub fn media_declared(&self, name: &str, peer: &PeerInfo) -> Result<Option<MediaRef>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT d.scope, m.size, m.mime FROM doc_media m JOIN docs d ON d.rid = m.rid WHERE m.name = ?1")?;
            let rows = stmt
                .query_map([name], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<String>>(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows
                .into_iter()
                .filter(|(scope, _, _)| peer.may_see(scope))
                .max_by_key(|(_, size, _)| *size)
                .map(|(_, size, mime)| MediaRef { name: name.to_string(), size: size as u64, mime }))
        })
    }

    /// Files here whole that records refer to and `peer` (a hub's store id) is not known to
    /// have.
    pub fn media_to_send(&self, peer: &str) -> Result<Vec<MediaInfo>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT m.name, m.size, m.have, m.complete, m.mime FROM media m \
                 WHERE m.complete = 1 AND EXISTS (SELECT 1 FROM doc_media r WHERE r.name = m.name) \
                 AND NOT EXISTS (SELECT 1 FROM media_sent s WHERE s.name = m.name AND s.peer = ?1) ORDER BY m.added_at",
            )?;
            let rows = stmt.query_map([peer], |r| {
                Ok(MediaInfo {
                    name: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    have: r.get::<_, i64>(2)? as u64,
                    complete: r.get::<_, i64>(3)? != 0,
                    mime: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Notes that `peer` has the file `name` whole.
    pub fn mark_media_sent(&self, name: &str, peer: &str) -> Result<()> {
        self.read(|c| {
            c.prepare_cached("INSERT OR IGNORE INTO media_sent(name, peer) VALUES (?1, ?2)")?.execute([name, peer])?;
            Ok(())
        })
    }

    /// Files records here refer to that this store does not have whole, oldest record first.
    pub fn media_wanted(&self) -> Result<Vec<MediaRef>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT r.name, MAX(r.size), MAX(r.mime) FROM doc_media r \
                 WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.name = r.name AND m.complete = 1) \
                 GROUP BY r.name ORDER BY MIN(r.rid)",
            )?;
            let rows = stmt.query_map([], |r| Ok(MediaRef { name: r.get(0)?, size: r.get::<_, i64>(1)? as u64, mime: r.get(2)? }))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Bytes stored here that `source` sent (complete and partial files): its quota use.
    pub fn media_usage(&self, source: &str) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c.prepare_cached("SELECT COALESCE(SUM(have), 0) FROM media WHERE source = ?1")?.query_row([source], |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    /// The files record `id` refers to, with what this store has of each.
    pub fn media_of(&self, id: &str) -> Result<Vec<MediaState>> {
        let hub = self.upstream()?.hub_store.unwrap_or_default();
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT r.name, r.size, COALESCE(m.mime, r.mime), COALESCE(m.have, 0), COALESCE(m.complete, 0), \
                 EXISTS (SELECT 1 FROM media_sent s WHERE s.name = r.name AND s.peer = ?2) \
                 FROM doc_media r LEFT JOIN media m ON m.name = r.name \
                 WHERE r.rid = (SELECT rid FROM docs WHERE id = ?1) ORDER BY r.name",
            )?;
            let rows = stmt.query_map(params![id, hub], |r| {
                Ok(MediaState {
                    name: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    mime: r.get(2)?,
                    have: r.get::<_, i64>(3)? as u64,
                    complete: r.get::<_, i64>(4)? != 0,
                    uploaded: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Deletes files no record has referred to for [`MEDIA_GRACE_MS`] (a file first seen
    /// unreferenced is only marked; one referred to again is unmarked), and partly received
    /// files that stopped growing [`PARTIAL_MEDIA_TTL_MS`] ago.
    pub fn collect_media(&self) -> Result<MediaCollected> {
        self.collect_media_at(now_ms())
    }

    /// [`Store::collect_media`] as if the time were `now` (Unix ms).
    pub fn collect_media_at(&self, now: i64) -> Result<MediaCollected> {
        self.lock().transaction(|g| {
            let c = &g.conn;
            const REFERENCED: &str = "EXISTS (SELECT 1 FROM doc_media r WHERE r.name = media.name)";
            c.execute(&format!("UPDATE media SET orphan_since = NULL WHERE orphan_since IS NOT NULL AND {REFERENCED}"), [])?;
            c.execute(&format!("UPDATE media SET orphan_since = ?1 WHERE orphan_since IS NULL AND NOT {REFERENCED}"), [now])?;
            let mut out = MediaCollected::default();
            let doomed: Vec<(String, i64, bool)> = {
                let mut stmt = c.prepare(
                    "SELECT name, have, complete FROM media WHERE (orphan_since IS NOT NULL AND orphan_since <= ?1) \
                     OR (complete = 0 AND touched_at <= ?2)",
                )?;
                let rows = stmt.query_map(params![now - MEDIA_GRACE_MS, now - PARTIAL_MEDIA_TTL_MS], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0))
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            for (name, have, complete) in doomed {
                c.prepare_cached("DELETE FROM media_pieces WHERE name = ?1")?.execute([&name])?;
                c.prepare_cached("DELETE FROM media WHERE name = ?1")?.execute([&name])?;
                c.prepare_cached("DELETE FROM media_sent WHERE name = ?1")?.execute([&name])?;
                if complete {
                    out.files += 1;
                } else {
                    out.stale_partial += 1;
                }
                out.bytes += have as u64;
            }
            Ok(out)
        })
    }
}

/// Keeps `doc_media` equal to a record's `media` map, inside the write of its index row.
pub(super) fn write_refs(tx: &rusqlite::Connection, rid: i64, existed: bool, refs: &[MediaRef]) -> Result<()> {
    if existed {
        tx.prepare_cached("DELETE FROM doc_media WHERE rid = ?1")?.execute([rid])?;
    }
    for m in refs {
        tx.prepare_cached("INSERT OR REPLACE INTO doc_media(name, rid, size, mime) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![m.name, rid, m.size.min(i64::MAX as u64) as i64, m.mime])?;
    }
    Ok(())
}
