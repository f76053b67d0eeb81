//! Which enrolled device owns which device id (the first 16 bytes of its actor ids), on a
//! serving store. Learnt when a device syncs saying which device it is (or when a bundle it
//! wrote is imported as from it); a device id belongs to one enrolled device for good, so no
//! other device can claim its changes or launder its own through it. The write policy looks
//! the maker of every incoming change up here (`policy::authority`).

use rusqlite::{params, OptionalExtension};

use super::Inner;
use crate::model::checks::now_ms;
use crate::policy::PeerInfo;
use crate::{Error, Result};

impl Inner {
    /// The enrolled device `device` belongs to, as it was when last seen.
    pub(crate) fn bound_device(&self, device: &[u8; 16]) -> Option<PeerInfo> {
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
