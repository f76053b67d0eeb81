//! Who made a change: Automerge author bytes (user) and actor ids (device).

use automerge::{ActorId, Automerge, ChangeHash};
use serde::{Deserialize, Serialize};

/// Who made a change: the user (from the Automerge author) and the device (from the actor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeAuthor {
    pub user_id: String,
    pub user_name: String,
    /// Hex id of the device store that made the change.
    pub device: String,
    /// Unix time in milliseconds.
    pub time_ms: i64,
}

/// Encodes a user as Automerge author bytes: `user_id 0x1f display_name`.
pub(crate) fn author_bytes(user_id: &str, display_name: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(user_id.len() + display_name.len() + 1);
    v.extend_from_slice(user_id.as_bytes());
    v.push(0x1f);
    v.extend_from_slice(display_name.as_bytes());
    v
}

/// The user id in Automerge author bytes.
pub(crate) fn author_user(bytes: &[u8]) -> String {
    decode_author(Some(bytes)).0
}

fn decode_author(bytes: Option<&[u8]>) -> (String, String) {
    let Some(b) = bytes else { return (String::new(), String::new()) };
    let s = String::from_utf8_lossy(b);
    match s.split_once('\u{1f}') {
        Some((u, n)) => (u.to_string(), n.to_string()),
        None => (s.to_string(), String::new()),
    }
}

/// The device part of an actor id: the first 16 bytes, as hex.
pub(crate) fn device_of(actor: &ActorId) -> String {
    let b = actor.to_bytes();
    hex::encode(&b[..b.len().min(16)])
}

pub(crate) fn author_of_change(doc: &Automerge, hash: &ChangeHash) -> Option<ChangeAuthor> {
    let meta = doc.get_change_meta_by_hash(hash)?;
    let (user_id, user_name) = decode_author(meta.author.as_ref().map(|a| a.as_bytes()));
    Some(ChangeAuthor { user_id, user_name, device: device_of(&meta.actor), time_ms: meta.timestamp })
}
