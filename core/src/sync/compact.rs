//! Whole records on the wire, without what the receiver can work out for itself.
//!
//! An Automerge document chunk carries a 4-byte checksum and the 32-byte hash of each of its
//! heads. Both are derived from the rest of the chunk: the checksum is the start of the hash of
//! the chunk's data, and the heads are the hashes of the changes the document rebuilds when it is
//! loaded. They are random bytes, so compression cannot touch them, and with the record's id
//! they were half of every whole record a phone pulled (ADR 0006). A compact record is the
//! chunk's data with the head hashes cut out (their count stays):
//!
//! ```text
//! chunk   = magic | checksum | type 0 | uLEB len | data
//! data    = actors | uLEB n | n × 32-byte head hash | rest
//! compact = actors | uLEB n | rest
//! ```
//!
//! [`expand`] rebuilds the exact chunk: it loads the data with placeholder heads and without
//! checking them, takes the heads the changes hash to, and writes them and a fresh checksum back.
//! The rebuilt chunk then goes through the ordinary strict load like any bytes from a peer, so a
//! broken or hostile sender gains nothing over sending a whole chunk: at worst the record is
//! refused. The record's id comes from the document's own `id` field, so none travels beside it.

use std::collections::BTreeSet;

use automerge::{Automerge, ChangeHash, LoadOptions, OnPartialLoad, VerificationMode, ROOT};
use sha2::{Digest, Sha256};

use crate::doc::{self, uleb, MAGIC};

/// More heads than this in one record is not something our records ever have.
const MAX_HEADS: u64 = 4096;

/// Where the head hashes sit in a document chunk's data: (start of their count, end of their
/// count, number of heads).
fn heads_at(data: &[u8]) -> Option<(usize, usize, u64)> {
    let (actors, mut at) = uleb(data)?;
    if actors > data.len() as u64 {
        return None;
    }
    for _ in 0..actors {
        let (len, used) = uleb(data.get(at..)?)?;
        at = at.checked_add(used)?.checked_add(usize::try_from(len).ok()?)?;
        if at > data.len() {
            return None;
        }
    }
    let (n, used) = uleb(data.get(at..)?)?;
    Some((at, at + used, n))
}

/// The compact form of `chunk`, a single document chunk (as `Automerge::save` makes);
/// `None` for anything else.
pub(crate) fn compact(chunk: &[u8]) -> Option<Vec<u8>> {
    let data = doc::chunk_data(chunk, 0)?;
    let (_, count_end, n) = heads_at(data)?;
    let hashes_end = count_end.checked_add(usize::try_from(n).ok()?.checked_mul(32)?)?;
    if n > MAX_HEADS || hashes_end > data.len() {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() - (hashes_end - count_end));
    out.extend_from_slice(&data[..count_end]);
    out.extend_from_slice(&data[hashes_end..]);
    Some(out)
}

fn chunk_of(data: &[u8]) -> Vec<u8> {
    let mut len = Vec::with_capacity(5);
    doc::put_uleb(&mut len, data.len() as u64);
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(&len);
    h.update(data);
    let sum = h.finalize();
    let mut out = Vec::with_capacity(9 + len.len() + data.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&sum[..4]);
    out.push(0);
    out.extend_from_slice(&len);
    out.extend_from_slice(data);
    out
}

/// A compact record made whole again.
#[derive(Debug)]
pub(crate) struct Expanded {
    /// The record's id, from its own `id` field.
    pub id: String,
    /// Its heads (as its changes hash).
    pub heads: Vec<ChangeHash>,
    /// The document chunk it was made from.
    pub chunk: Vec<u8>,
}

/// Rebuilds the document chunk a compact record was made from, and names the record it holds.
/// Untrusted input: must run inside [`doc::guard`]; the result still has to pass the strict
/// load every received chunk passes.
pub(crate) fn expand(compact: &[u8]) -> std::result::Result<Expanded, String> {
    const BAD: &str = "a whole record sent by the peer is malformed";
    let (_, count_end, n) = heads_at(compact).ok_or(BAD)?;
    if n > MAX_HEADS {
        return Err(BAD.into());
    }
    let n = n as usize;
    let splice = |hashes: &[u8]| {
        let mut data = Vec::with_capacity(compact.len() + hashes.len());
        data.extend_from_slice(&compact[..count_end]);
        data.extend_from_slice(hashes);
        data.extend_from_slice(&compact[count_end..]);
        data
    };
    let placeholder = chunk_of(&splice(&vec![0u8; n * 32]));
    crate::chunks::check(&placeholder).map_err(|e| format!("{BAD}: {e}"))?;
    let loaded = Automerge::load_with_options(
        &placeholder,
        LoadOptions::new().on_partial_load(OnPartialLoad::Error).verification_mode(VerificationMode::DontCheck),
    )
    .map_err(|e| format!("{BAD}: {e}"))?;
    // Loaded unchecked, the document believes the placeholder heads; the changes themselves
    // were rebuilt and hashed, and the heads are those no other change depends on.
    let changes = loaded.get_changes_meta(&[]);
    let deps: BTreeSet<ChangeHash> = changes.iter().flat_map(|c| c.deps.iter().copied()).collect();
    let heads: BTreeSet<ChangeHash> = changes.iter().map(|c| c.hash).filter(|h| !deps.contains(h)).collect();
    if heads.len() != n {
        return Err(format!("{BAD}: it names {n} heads, its changes make {}", heads.len()));
    }
    let id = doc::get_str(&loaded, &ROOT, "id").ok_or_else(|| format!("{BAD}: it has no id"))?;
    let hashes: Vec<u8> = heads.iter().flat_map(|h| h.0).collect();
    Ok(Expanded { id, heads: heads.into_iter().collect(), chunk: chunk_of(&splice(&hashes)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::ActorId;

    fn record(id: &str) -> Automerge {
        let mut d = Automerge::new().with_actor(ActorId::from(b"device-one".to_vec()));
        let mut tx = d.transaction();
        tx.put(ROOT, "id", id).unwrap();
        tx.put(ROOT, "kind", "response").unwrap();
        tx.commit();
        d
    }

    #[test]
    fn a_compact_record_expands_to_the_exact_chunk() {
        let id = "0192f0c4-1c1e-7b7e-9b1a-3c4d5e6f7a8b";
        let mut a = record(id);
        // Two concurrent edits from two devices: two heads, two actors.
        let mut b = a.fork().with_actor(ActorId::from(b"device-two".to_vec()));
        a.transact(|tx| tx.put(ROOT, "village", "Rampur")).unwrap();
        b.transact(|tx| tx.put(ROOT, "village", "Sitapur")).unwrap();
        a.merge(&mut b).unwrap();
        assert_eq!(a.get_heads().len(), 2);
        for chunk in [a.save(), a.save_nocompress(), record(id).save()] {
            let small = compact(&chunk).unwrap();
            assert!(small.len() + 32 <= chunk.len());
            let got = doc::guard(|| expand(&small)).unwrap().unwrap();
            assert_eq!(got.id, id);
            assert_eq!(got.chunk, chunk);
            assert_eq!(got.heads, Automerge::load(&chunk).unwrap().get_heads());
        }
    }

    #[test]
    fn change_chunks_and_junk_are_not_compacted() {
        let d = record("0192f0c4-1c1e-7b7e-9b1a-3c4d5e6f7a8b");
        let change = d.get_last_local_change().unwrap().raw_bytes().to_vec();
        assert!(compact(&change).is_none());
        assert!(compact(b"").is_none());
        assert!(compact(&[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 0, 0x7f]).is_none());
        let mut two = d.save();
        two.extend(d.save());
        assert!(compact(&two).is_none());
    }

    #[test]
    fn an_unchecked_load_believes_the_heads_it_is_given() {
        // Why expand hashes the changes itself, and the rebuilt chunk is loaded again: the
        // unchecked load's document keeps the placeholder heads (and would fail on them later).
        let id = "0192f0c4-1c1e-7b7e-9b1a-3c4d5e6f7a8b";
        let chunk = record(id).save();
        let small = compact(&chunk).unwrap();
        let (_, count_end, n) = heads_at(&small).unwrap();
        let mut data = small[..count_end].to_vec();
        data.extend(vec![0u8; n as usize * 32]);
        data.extend_from_slice(&small[count_end..]);
        let d = Automerge::load_with_options(&chunk_of(&data), LoadOptions::new().verification_mode(VerificationMode::DontCheck)).unwrap();
        assert_ne!(d.get_heads(), Automerge::load(&chunk).unwrap().get_heads());
    }

    #[test]
    fn damaged_compact_records_are_refused_without_panicking() {
        let chunk = record("0192f0c4-1c1e-7b7e-9b1a-3c4d5e6f7a8b").save();
        let small = compact(&chunk).unwrap();
        let mut refused = 0;
        for i in 0..small.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = small.clone();
                bad[i] ^= flip;
                match doc::guard(|| expand(&bad)) {
                    Ok(Ok(Expanded { chunk: rebuilt, .. })) => {
                        // Whatever expands is a well-formed chunk that the strict load judges.
                        let _ = doc::guard(|| doc::validate_chunks(&rebuilt));
                    }
                    _ => refused += 1,
                }
            }
            // A cut record is refused, except one cut exactly before its optional trailer of
            // head positions (older writers leave it out), which is still the same record.
            match doc::guard(|| expand(&small[..i])) {
                Ok(Ok(Expanded { chunk: rebuilt, .. })) => {
                    let d = doc::guard(|| doc::validate_chunks(&rebuilt)).unwrap().unwrap().unwrap();
                    assert_eq!(d.get_heads(), Automerge::load(&chunk).unwrap().get_heads());
                }
                _ => refused += 1,
            }
        }
        assert!(refused > 0);
    }
}
