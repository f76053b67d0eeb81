//! Which enrolled device owns which device id (the first 16 bytes of its actor ids), and that
//! device's key, on a serving store. Learnt when a device syncs with a request signed by its key
//! (or when a bundle it signed is imported as from it); a device id belongs to one enrolled
//! device for good, so no other device can claim its changes or launder its own through it. The
//! write policy looks the maker of every incoming change up here (`policy::authority`), and
//! checks relayed changes' signatures against the key found.
//!
//! On a phone, which binds no one, the makers it knows are those its hub vouched for: the
//! credentials (`crate::credential`) that came verified in bundles, of its current hub and not
//! expired, each within the phone's own scopes.

use rusqlite::{params, OptionalExtension};

use super::Inner;
use crate::credential::{Credential, SignedCredential};
use crate::model::checks::now_ms;
use crate::policy::PeerInfo;
use crate::sign::PublicKey;
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

    /// What this device's hub vouches for it (its credential), if it holds a current one.
    pub fn credential(&self) -> Result<Option<Credential>> {
        let g = self.lock();
        let own: [u8; 16] = g.device_bytes[..].try_into().map_err(|_| Error::invalid("device id"))?;
        g.vouched(&own, now_ms())
    }

    /// Whether this device should ask its hub for a credential at its next sync (it holds
    /// none from its current hub, or one about to expire).
    pub(crate) fn needs_credential(&self) -> Result<bool> {
        let g = self.lock();
        let Some(hub) = g.hub_public_key()? else { return Ok(true) };
        let own: [u8; 16] = g.device_bytes[..].try_into().map_err(|_| Error::invalid("device id"))?;
        Ok(g.credential_for(&own, now_ms())?.is_none_or(|c| c.needs_renewal(&hub, now_ms())))
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
        match info {
            Some(i) => serde_json::from_str(&i).ok(),
            None if !self.is_serving() => self.vouched(device, now_ms()).ok().flatten().map(|c| c.authority(self.enrolled())),
            None => None,
        }
    }

    /// The public key of this device's hub, if it has synced with one.
    pub(crate) fn hub_public_key(&self) -> Result<Option<PublicKey>> {
        let k: Option<Vec<u8>> = self.conn.prepare_cached("SELECT value FROM meta WHERE key = 'hub_key'")?.query_row([], |r| r.get(0)).optional()?;
        Ok(k.and_then(|k| k.try_into().ok()))
    }

    /// The credential this store holds for `device`, as issued, if its current hub issued it
    /// and it holds at `now` (what it puts in the bundles it writes).
    pub(crate) fn credential_for(&self, device: &[u8; 16], now: i64) -> Result<Option<SignedCredential>> {
        let Some(hub) = self.hub_public_key()? else { return Ok(None) };
        let row: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT signed FROM credentials WHERE device = ?1 AND issuer = ?2 AND expires_ms > ?3")?
            .query_row(params![&device[..], &hub[..], now], |r| r.get(0))
            .optional()?;
        Ok(row.and_then(|b| postcard::from_bytes(&b).ok()))
    }

    /// What the credential held for `device` vouches for (checked when it was kept).
    fn vouched(&self, device: &[u8; 16], now: i64) -> Result<Option<Credential>> {
        Ok(self.credential_for(device, now)?.and_then(|c| c.read().ok()))
    }

    /// Keeps this device's own credential from its hub's answer, if that hub (whose key is
    /// known by now) issued it for this device's key.
    pub(crate) fn keep_own_credential(&self, signed: &SignedCredential) -> Result<()> {
        let hub = self.hub_public_key()?.ok_or_else(|| Error::Forbidden("a credential came before the hub's key".into()))?;
        let c = signed.check(&hub, now_ms())?;
        if c.key != self.key.public() {
            return Err(Error::Forbidden("the credential is for another device's key".into()));
        }
        self.keep_credential(signed, &c)
    }

    /// Keeps the credentials that came in a bundle which hold for this device's hub (others
    /// are left out: they vouch for no one here). Returns what the writer's says, if it holds.
    pub(crate) fn keep_bundle_credentials(&self, writer: Option<&SignedCredential>, relayed: &[SignedCredential], writer_key: &PublicKey) -> Result<Option<Credential>> {
        let Some(hub) = self.hub_public_key()? else { return Ok(None) };
        let now = now_ms();
        for signed in relayed {
            if let Ok(c) = signed.check(&hub, now) {
                self.keep_credential(signed, &c)?;
            }
        }
        let Some(signed) = writer else { return Ok(None) };
        match signed.check(&hub, now) {
            Ok(c) if c.key == *writer_key => {
                self.keep_credential(signed, &c)?;
                Ok(Some(c))
            }
            _ => Ok(None),
        }
    }

    /// Keeps a credential whose signature has been checked against this store's hub key (a
    /// later one replaces an earlier one for the same device).
    pub(crate) fn keep_credential(&self, signed: &SignedCredential, c: &Credential) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO credentials(device, issuer, expires_ms, signed) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(device) DO UPDATE SET issuer = ?2, expires_ms = ?3, signed = ?4 \
                 WHERE excluded.expires_ms > expires_ms OR excluded.issuer <> issuer",
            )?
            .execute(params![&c.device()[..], &signed.issuer[..], c.expires_ms, postcard::to_stdvec(signed).map_err(|e| Error::invalid(e.to_string()))?])?;
        Ok(())
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
