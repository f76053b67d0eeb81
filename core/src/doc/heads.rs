//! A document's heads (its version) as hex text and as stored blobs.

use automerge::ChangeHash;

use crate::{Error, Result};

pub(crate) fn heads_to_hex(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(|h| h.to_string()).collect()
}

pub(crate) fn heads_from_hex(heads: &[String]) -> Result<Vec<ChangeHash>> {
    heads
        .iter()
        .map(|h| h.parse::<ChangeHash>().map_err(|_| Error::invalid("a version hash is malformed")))
        .collect()
}

pub(crate) fn heads_to_blob(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// Reads heads stored as a blob of 32-byte change hashes.
pub(crate) fn heads_from_blob(b: &[u8]) -> Vec<ChangeHash> {
    b.chunks_exact(32).filter_map(|c| ChangeHash::try_from(c).ok()).collect()
}
