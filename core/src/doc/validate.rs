//! Checking untrusted bytes before Automerge sees them: chunk framing and checksums, the
//! change graph of a batch of changes, and the LEB128 integers the format is built from.

use automerge::{Automerge, ChangeHash};

pub(crate) const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Checks that `bytes` is a sequence of well-formed Automerge chunks, each with a valid
/// checksum, without applying anything. Automerge's own incremental load skips chunks it
/// cannot parse (and reports success), so untrusted bytes pass through here first.
/// Must run inside [`guard`].
/// When `bytes` is exactly one document chunk, the loaded document is returned (so a caller
/// with nothing to merge it into need not load it twice).
pub(crate) fn validate_chunks(bytes: &[u8]) -> std::result::Result<Option<Automerge>, String> {
    // Bounded before Automerge decodes anything (its decoders trust run lengths).
    crate::chunks::check(bytes)?;
    let mut rest = bytes;
    let mut n = 0;
    let mut only_doc = None;
    while !rest.is_empty() {
        if rest.len() < 9 || rest[..4] != MAGIC {
            return Err("not Automerge data (bad chunk header)".into());
        }
        let ty = rest[8];
        let (len, used) = uleb(&rest[9..]).ok_or("bad chunk length")?;
        let end = 9usize
            .checked_add(used)
            .and_then(|h| h.checked_add(usize::try_from(len).ok()?))
            .filter(|e| *e <= rest.len())
            .ok_or("truncated chunk")?;
        let chunk = &rest[..end];
        match ty {
            0 | 3 => {
                let d = Automerge::load_with_options(
                    chunk,
                    automerge::LoadOptions::new()
                        .on_partial_load(automerge::OnPartialLoad::Error)
                        .verification_mode(automerge::VerificationMode::Check),
                )
                .map_err(|e| format!("bad document chunk: {e}"))?;
                if n == 0 && ty == 0 && end == rest.len() {
                    only_doc = Some(d);
                }
            }
            1 | 2 => {
                automerge::Change::from_bytes(chunk.to_vec()).map_err(|e| format!("bad change chunk: {e}"))?;
            }
            other => return Err(format!("unknown chunk type {other}")),
        }
        rest = &rest[end..];
        n += 1;
    }
    Ok(only_doc)
}

/// For bytes made only of change chunks: each change's hash and dependencies (`None` if any
/// chunk is a whole document, or the bytes do not parse). Must run inside [`guard`].
pub(crate) fn change_graph(bytes: &[u8]) -> Option<Vec<(ChangeHash, Vec<ChangeHash>)>> {
    let mut rest = bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 9 || rest[..4] != MAGIC {
            return None;
        }
        let (len, used) = uleb(&rest[9..])?;
        let end = 9usize.checked_add(used)?.checked_add(usize::try_from(len).ok()?)?;
        if end > rest.len() || !matches!(rest[8], 1 | 2) {
            return None;
        }
        let change = automerge::Change::from_bytes(rest[..end].to_vec()).ok()?;
        out.push((change.hash(), change.deps().to_vec()));
        rest = &rest[end..];
    }
    Some(out)
}

/// Appends `v` as unsigned LEB128 (the integer encoding of Automerge's chunks).
pub(crate) fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// The data of `bytes` when it is exactly one chunk of type `ty` (by its header and length;
/// neither the checksum nor the contents are checked), `None` otherwise.
pub(crate) fn chunk_data(bytes: &[u8], ty: u8) -> Option<&[u8]> {
    if bytes.len() < 9 || bytes[..4] != MAGIC || bytes[8] != ty {
        return None;
    }
    let (len, used) = uleb(&bytes[9..])?;
    let start = 9 + used;
    (start.checked_add(usize::try_from(len).ok()?)? == bytes.len()).then(|| &bytes[start..])
}

/// Whether `bytes` is exactly one document chunk (by its header and length; the contents are
/// not checked).
pub(crate) fn is_one_document_chunk(bytes: &[u8]) -> bool {
    chunk_data(bytes, 0).is_some()
}

pub(crate) fn uleb(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    #[test]
    fn one_document_chunk_is_told_from_changes_and_from_several_chunks() {
        let mut d = Automerge::new();
        d.transact(|tx| tx.put(automerge::ROOT, "id", "x")).unwrap();
        let whole = d.save_nocompress();
        assert!(is_one_document_chunk(&whole));
        assert!(is_one_document_chunk(&d.save()));
        let mut two = whole.clone();
        two.extend_from_slice(&whole);
        assert!(!is_one_document_chunk(&two));
        assert!(!is_one_document_chunk(&whole[..whole.len() - 1]));
        assert!(!is_one_document_chunk(d.get_last_local_change().unwrap().raw_bytes()));
        assert!(!is_one_document_chunk(b""));
    }
}
