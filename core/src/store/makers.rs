//! Which enrolled device owns which device id (the first 16 bytes of its actor ids), and that
//! device's key, on a serving store. Learnt when a device syncs with a request signed by its key
//! (or when a bundle it signed is imported as from it); a device id belongs to one enrolled
//! device for good, so no other device can claim its changes or launder its own through it. The
//! write policy looks the maker of every incoming change up here (`policy::authority`), and
//! checks relayed changes' signatures against the key found.

use rusqlite::{params, OptionalExtension};

use super::Inner;
use crate::model::checks::now_ms;
use crate::policy::PeerInfo;
use crate::{Error, Result};

impl crate::Store {
    /// The enrolled device a device id is bound to at this serving store (with its key, once
    /// it proved it), as last seen; `None` for one never bound.
    pub fn device_binding(&self, device: &[u8; 16]) -> Option<PeerInfo> {
        let g = self.lock();
        if device[..] == g.device_bytes[..] {
            return None;
        }
        g.bound_device(device)
    }

    /// The keys the devices of enrolment `name` proved at this serving store, the most
    /// recently seen first (a bundle for that phone is sealed to the first).
    pub fn device_keys_of(&self, name: &str) -> Result<Vec<crate::sign::PublicKey>> {
        let g = self.lock();
        let mut st = g.conn.prepare_cached("SELECT info FROM device_owners WHERE name = ?1 ORDER BY seen_at DESC")?;
        let infos = st.query_map([name], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(infos.iter().filter_map(|i| serde_json::from_str::<PeerInfo>(i).ok()).filter_map(|p| p.key).collect())
    }
}

impl Inner {
    /// The enrolled device `device` belongs to, as it was when last seen; this store's own
    /// device is itself, with its user's role and its key.
    pub(crate) fn bound_device(&self, device: &[u8; 16]) -> Option<PeerInfo> {
        if device[..] == self.device_bytes[..] {
            let scopes = self.enrolled.clone().unwrap_or_else(|| vec![crate::policy::ANY_SCOPE.to_string()]);
            return Some(PeerInfo::new(format!("this store ({})", self.identity.user_id), self.identity.role, scopes).with_key(self.key.public()));
        }
        let info: Option<String> = self
            .conn
            .prepare_cached("SELECT info FROM device_owners WHERE device = ?1")
            .and_then(|mut st| st.query_row([&device[..]], |r| r.get(0)).optional())
            .ok()
            .flatten();
        info.and_then(|i| serde_json::from_str(&i).ok())
    }

    /// Records that `peer` is the device `peer.device` (and refreshes its role and scopes).
    /// A device id that already belongs to another enrolled device is refused.
    pub(crate) fn bind_device(&mut self, peer: &PeerInfo) -> Result<()> {
        let Some(device) = peer.device else { return Ok(()) };
        let owner: Option<String> = self
            .conn
            .prepare_cached("SELECT name FROM device_owners WHERE device = ?1")?
            .query_row([&device[..]], |r| r.get(0))
            .optional()?;
        if let Some(known) = self.bound_device(&device).filter(|k| k.name == peer.name) {
            // One device, one key: a device id derives from its key, so this only catches a
            // binding made before keys, which now gains one.
            if let (Some(had), Some(now)) = (known.key, peer.key) {
                if had != now {
                    return Err(Error::Forbidden(format!("device {} presented another key than before", hex::encode(device))));
                }
            }
        }
        if let Some(owner) = owner.filter(|o| *o != peer.name) {
            return Err(Error::Forbidden(format!(
                "device {} is enrolled as '{owner}', not '{}'; each phone syncs with its own enrolment",
                hex::encode(device),
                peer.name
            )));
        }
        self.conn
            .prepare_cached(
                "INSERT INTO device_owners(device, name, info, seen_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(device) DO UPDATE SET info = ?3, seen_at = ?4",
            )?
            .execute(params![&device[..], peer.name, serde_json::to_string(peer)?, now_ms()])?;
        Ok(())
    }
}
