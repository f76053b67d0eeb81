//! Who may write what, checked by a hub on every incoming record and by the core before it
//! accepts the same from a bundle: known kind, scope within the peer's scopes, and no field
//! written that the peer's role may not write.
//!
//! Each change is checked against the device that *made* it, not only the one that delivers it
//! (see [`authority`]): a serving store binds each enrolled device's id (derived from its key,
//! `crate::sign`) to its enrolment, so a field worker's change relayed through a coordinator's
//! phone is checked as a field worker's, a change signed by its maker keeps its maker's
//! authority whoever relays it, and an unsigned change claiming another device's id gets no more
//! than both devices together may do. A change from a device the hub has never seen gets a
//! field worker's authority, unless a hub (admin) relays it: hubs check what they accept
//! themselves.

use automerge::{Automerge, ROOT};
use serde::{Deserialize, Serialize};

use crate::doc;
use crate::incoming::{Incoming, IncomingChange};
use crate::sign::{device_of_key, PublicKey, Signatures};
use crate::model::{Kind, Role};
use crate::{Error, Result};

/// A peer as a hub knows it: enrolled for some scopes with a role, and (when it said) the
/// device id that begins the actor ids of the changes it makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerInfo {
    pub name: String,
    pub role: Role,
    pub scopes: Vec<String>,
    /// The peer's own store's device id (`Store::device_id`, 16 bytes).
    #[serde(default)]
    pub device: Option<[u8; 16]>,
    /// The device's public key (its device id is derived from it), once it has proved it holds
    /// the key; the changes it makes are signed with it.
    #[serde(default)]
    pub key: Option<PublicKey>,
}

/// A scope list holding only this matches every scope (a phone importing a bundle before it
/// has ever learnt its scopes). `device add` never accepts it as a scope.
pub const ANY_SCOPE: &str = "*";

impl PeerInfo {
    pub fn new(name: impl Into<String>, role: Role, scopes: Vec<String>) -> Self {
        PeerInfo { name: name.into(), role, scopes, device: None, key: None }
    }

    /// The same peer, saying which device it is.
    pub fn with_device(mut self, device: [u8; 16]) -> Self {
        self.device = Some(device);
        self
    }

    /// The same peer, proven to hold `key`: it is the device the key's id names.
    pub fn with_key(mut self, key: PublicKey) -> Self {
        self.device = Some(device_of_key(&key));
        self.key = Some(key);
        self
    }

    pub fn may_see(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope || s == ANY_SCOPE)
    }

    /// What both may do: the lower role and the common scopes (named after `maker`).
    pub fn narrowed(&self, maker: &PeerInfo) -> PeerInfo {
        let role = if rank(maker.role) < rank(self.role) { maker.role } else { self.role };
        let scopes = if self.scopes.iter().any(|s| s == ANY_SCOPE) {
            maker.scopes.clone()
        } else {
            self.scopes.iter().filter(|s| maker.may_see(s)).cloned().collect()
        };
        PeerInfo { name: maker.name.clone(), role, scopes, device: maker.device, key: maker.key }
    }
}

fn rank(r: Role) -> u8 {
    match r {
        Role::FieldWorker => 0,
        Role::Coordinator => 1,
        Role::Admin => 2,
    }
}

/// The device id an actor id begins with (ADR 0002), if it is one of ours.
pub fn device_of(actor: &[u8]) -> Option<[u8; 16]> {
    actor.get(..16).and_then(|d| d.try_into().ok())
}

/// The authority a change has when `sender` delivers it. `bound` looks up the enrolled device
/// a device id belongs to (a serving store's bindings, and the store's own device); `sigs` are
/// the signatures that came with relayed changes.
///
/// - The sender's own change: the sender's authority.
/// - A change of a device whose key is known, signed by that key: its maker's own authority,
///   whoever relays it (a coordinator's review carried on a field worker's phone stays a
///   coordinator's).
/// - Unsigned, or signed wrongly: what the sender and the claimed maker may do together.
/// - A device no one knows: what a field worker of the sender's scopes may do.
pub fn authority(
    sender: &PeerInfo,
    change: &IncomingChange,
    bound: &dyn Fn(&[u8; 16]) -> Option<PeerInfo>,
    sigs: &Signatures,
) -> PeerInfo {
    let Some(device) = device_of(change.actor.to_bytes()) else {
        return unknown_maker(sender);
    };
    if sender.device == Some(device) {
        return sender.clone();
    }
    match bound(&device) {
        Some(maker) if maker.key.is_some_and(|k| sigs.signed_by(&change.hash.0, &k)) => maker,
        Some(maker) if maker.name == sender.name => sender.clone(),
        Some(maker) => sender.narrowed(&maker),
        None => unknown_maker(sender),
    }
}

/// A change from a device no hub has bound: what a field worker of the sender's scopes may do,
/// unless a hub relays it (or the sender did not say which device it is: then it answers for
/// everything it sends, as before devices were bound).
fn unknown_maker(sender: &PeerInfo) -> PeerInfo {
    if sender.role == Role::Admin || sender.device.is_none() {
        return sender.clone();
    }
    let fw = PeerInfo { name: format!("{} (relayed)", sender.name), role: Role::FieldWorker, scopes: sender.scopes.clone(), device: None, key: None };
    sender.narrowed(&fw)
}

/// Top-level fields only coordinators (and admins) may write.
const COORDINATOR_FIELDS: &[&str] = &["review", "resolutions", "merged_into", "merged_from"];

/// Top-level fields fixed when a record is created: no one writes them afterwards, not even
/// with a concurrent write that loses (it would still be kept and could surface later).
pub(crate) const IDENTITY_FIELDS: &[&str] = &["kind", "id", "scope", "created_at", "created_by"];

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
    // Who created a record is who wrote its creation: `created_by` names the change's author.
    for c in incoming.changes.iter().filter(|c| c.root_keys.contains("created_by")) {
        let user = c.author.as_deref().map(doc::author_user);
        let created_by = doc::get_str(after, &ROOT, "created_by");
        if user.is_none() || user.as_deref() != created_by.as_deref() {
            return Err(refuse("'created_by' must name the author of the change that creates the record"));
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
