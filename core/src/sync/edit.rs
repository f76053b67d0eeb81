//! A pushed edit without what the hub already knows (ADR 0010): the commonest push is one new
//! change on a record whose heads the hub acknowledged, and two of its 32-byte hashes are
//! random bytes the hub can work out for itself: the change's dependencies (the hub's own heads
//! for the record) and the sender's heads after it (the change's own hash). A compact edit is
//! the change chunk's data without its dependencies, and the first 8 bytes of its hash:
//!
//! ```text
//! chunk = magic | checksum | type 1 | uLEB len | data
//! data  = uLEB n | n × 32-byte dependency hash | rest
//! edit  = (8-byte hash prefix, rest)
//! ```
//!
//! The hub rebuilds the chunk with the heads it holds for the record as the dependencies and
//! checks the hash prefix: a match is the exact chunk the sender made (the hash covers every
//! byte), a mismatch means the hub's heads are not the ones the change was made on, and the
//! sender is asked for the record whole. The rebuilt chunk then goes through the same strict
//! load and checks as any pushed change.

use automerge::ChangeHash;
use sha2::{Digest, Sha256};

use crate::doc::{put_uleb, uleb, MAGIC};

/// Automerge's chunk type of an uncompressed change.
const CHANGE: u8 = 1;
/// Dependencies at most in a change that is sent compact (more go as they are).
const MAX_DEPS: usize = 64;

/// The hash of a change chunk's data (what Automerge names the change by) and the chunk.
fn change_chunk(data: &[u8]) -> (Vec<u8>, ChangeHash) {
    let mut len = Vec::with_capacity(5);
    put_uleb(&mut len, data.len() as u64);
    let hash: [u8; 32] = Sha256::new().chain_update([CHANGE]).chain_update(&len).chain_update(data).finalize().into();
    let mut out = Vec::with_capacity(9 + len.len() + data.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&hash[..4]);
    out.push(CHANGE);
    out.extend_from_slice(&len);
    out.extend_from_slice(data);
    (out, ChangeHash(hash))
}

/// The compact form of `chunk` when it is exactly one uncompressed change whose dependencies
/// are exactly `deps` (sorted): its hash, and the data after its dependencies. `None` for
/// anything else (it is then sent as it is).
pub fn compact(chunk: &[u8], deps: &[ChangeHash]) -> Option<(ChangeHash, Vec<u8>)> {
    if deps.len() > MAX_DEPS {
        return None;
    }
    let data = crate::doc::chunk_data(chunk, CHANGE)?;
    let (n, used) = uleb(data)?;
    if n != deps.len() as u64 {
        return None;
    }
    let end = used + 32 * deps.len();
    let listed = data.get(used..end)?;
    if !listed.chunks(32).eq(deps.iter().map(|d| &d.0[..])) {
        return None;
    }
    let (rebuilt, hash) = change_chunk(data);
    // The chunk's own checksum must be the one its data gives, or the hub would rebuild a
    // different chunk than the one sent.
    if rebuilt != chunk {
        return None;
    }
    Some((hash, data[end..].to_vec()))
}

/// Rebuilds a compact edit on `deps` (the heads the hub holds, sorted): the chunk and its hash
/// when its hash starts with `prefix`, `None` when it does not (the change was made on other
/// heads). Untrusted input: the chunk still has to pass the strict load.
pub fn expand(rest: &[u8], deps: &[ChangeHash], prefix: &[u8; 8]) -> Option<(Vec<u8>, ChangeHash)> {
    if deps.len() > MAX_DEPS {
        return None;
    }
    let mut data = Vec::with_capacity(rest.len() + 1 + 32 * deps.len());
    put_uleb(&mut data, deps.len() as u64);
    for d in deps {
        data.extend_from_slice(&d.0);
    }
    data.extend_from_slice(rest);
    let (chunk, hash) = change_chunk(&data);
    (hash.0[..8] == prefix[..]).then_some((chunk, hash))
}

/// The first 8 bytes of a hash, as a compact edit carries it.
pub fn prefix(hash: &ChangeHash) -> [u8; 8] {
    hash.0[..8].try_into().expect("8 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, Automerge, ROOT};

    fn record() -> Automerge {
        let mut d = Automerge::new().with_actor(ActorId::from(b"device-one".to_vec()));
        d.transact(|tx| tx.put(ROOT, "village", "Rampur")).unwrap();
        d
    }

    #[test]
    fn one_change_on_known_heads_goes_compact_and_comes_back_exact() {
        let mut d = record();
        let known = d.get_heads();
        d.transact(|tx| tx.put(ROOT, "notes", "Revisited.")).unwrap();
        let chunk = d.save_after(&known);
        let (hash, rest) = compact(&chunk, &known).expect("compact");
        assert_eq!(d.get_heads(), vec![hash]);
        assert!(rest.len() + 32 + 4 <= chunk.len());
        let (rebuilt, h) = expand(&rest, &known, &prefix(&hash)).expect("expands");
        assert_eq!((rebuilt, h), (chunk, hash));
        // The hub holding other heads rebuilds another change, which the prefix tells.
        assert!(expand(&rest, &[], &prefix(&hash)).is_none());
        let mut other = record();
        other.transact(|tx| tx.put(ROOT, "notes", "Elsewhere.")).unwrap();
        assert!(expand(&rest, &other.get_heads(), &prefix(&hash)).is_none());
    }

    #[test]
    fn anything_else_is_sent_as_it_is() {
        let mut d = record();
        let known = d.get_heads();
        d.transact(|tx| tx.put(ROOT, "a", 1)).unwrap();
        d.transact(|tx| tx.put(ROOT, "b", 2)).unwrap();
        // Two changes.
        assert!(compact(&d.save_after(&known), &known).is_none());
        // Dependencies other than the ones named.
        let one = d.get_last_local_change().unwrap().raw_bytes().to_vec();
        assert!(compact(&one, &known).is_none());
        // A document chunk, junk, and a chunk whose checksum is wrong.
        assert!(compact(&d.save(), &[]).is_none());
        assert!(compact(b"", &[]).is_none());
        let mut e = record();
        let k = e.get_heads();
        e.transact(|tx| tx.put(ROOT, "c", 3)).unwrap();
        let mut bad = e.save_after(&k);
        bad[5] ^= 1;
        assert!(compact(&bad, &k).is_none());
    }

    #[test]
    fn damaged_edits_rebuild_to_chunks_the_strict_load_judges() {
        let mut d = record();
        let known = d.get_heads();
        d.transact(|tx| tx.put(ROOT, "notes", "Revisited.")).unwrap();
        let (hash, rest) = compact(&d.save_after(&known), &known).unwrap();
        for i in 0..rest.len() {
            let mut bad = rest.clone();
            bad[i] ^= 0x41;
            // A damaged edit no longer matches its hash; with a matching prefix forged for it,
            // it is a well-formed chunk or garbage, and the strict load decides, never a panic.
            assert!(expand(&bad, &known, &prefix(&hash)).is_none());
            let (chunk, h) = {
                let mut data = Vec::new();
                put_uleb(&mut data, known.len() as u64);
                data.extend(known.iter().flat_map(|k| k.0));
                data.extend_from_slice(&bad);
                change_chunk(&data)
            };
            let again = expand(&bad, &known, &prefix(&h)).unwrap();
            assert_eq!(again.0, chunk);
            let _ = crate::doc::guard(|| crate::doc::validate_chunks(&again.0));
        }
    }
}
