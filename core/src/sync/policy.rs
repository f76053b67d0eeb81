//! Who may write what (DESIGN §5), checked by a hub on every incoming record and by the core
//! before it accepts the same from a bundle: known kind, scope within the peer's scopes, and no
//! field written that the peer's role may not write.

use automerge::{Automerge, ROOT};
use serde::{Deserialize, Serialize};

use crate::doc;
use crate::incoming::Incoming;
use crate::store::{Kind, Role};
use crate::{Error, Result};

/// A peer as a hub knows it: enrolled for some scopes with a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerInfo {
    pub name: String,
    pub role: Role,
    pub scopes: Vec<String>,
}

impl PeerInfo {
    pub fn may_see(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Top-level fields only coordinators (and admins) may write.
const COORDINATOR_FIELDS: &[&str] = &["review", "resolutions", "merged_into", "merged_from"];

/// Top-level fields fixed when a record is created: no one writes them afterwards, not even
/// with a concurrent write that loses (it would still be kept and could surface later).
const IDENTITY_FIELDS: &[&str] = &["kind", "id", "scope", "created_at", "created_by"];

/// Checks the result of applying a peer's changes: `before` is the record as it was (empty
/// for a new record), `after` with the changes applied, and `incoming` what the new changes
/// did (every op, visible in `after` or not: see [`crate::incoming`]).
pub(crate) fn check_write(peer: &PeerInfo, before: &Automerge, after: &Automerge, incoming: &Incoming) -> Result<()> {
    let kind = doc::get_str(after, &ROOT, "kind").and_then(|k| Kind::parse(&k)).ok_or_else(|| refuse("unknown record kind"))?;
    let scope = doc::get_str(after, &ROOT, "scope").ok_or_else(|| refuse("record has no scope"))?;
    if !peer.may_see(&scope) {
        return Err(refuse("record is outside the scopes this device is enrolled for"));
    }
    let existed = !before.get_heads().is_empty();
    if let Some(old) = doc::get_str(before, &ROOT, "scope") {
        if old != scope {
            return Err(refuse("a record's scope cannot change"));
        }
    }
    if existed {
        if let Some(f) = incoming.root_keys.iter().find(|f| IDENTITY_FIELDS.contains(&f.as_str())) {
            return Err(refuse(&format!("'{f}' is fixed when a record is created and cannot be written again")));
        }
    }
    if kind == Kind::Form && peer.role != Role::Admin {
        return Err(refuse("only an admin may publish or change forms"));
    }
    if !peer.role.can_coordinate() {
        if let Some(f) = incoming.root_keys.iter().find(|f| COORDINATOR_FIELDS.contains(&f.as_str())) {
            return Err(refuse(&format!("a {} may not write '{f}'", peer.role.as_str())));
        }
    }
    Ok(())
}

fn refuse(reason: &str) -> Error {
    Error::Forbidden(reason.to_string())
}
