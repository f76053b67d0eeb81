//! Credentials: a hub's signed word on one of its devices' role and scopes (ADR 0007, step 3).
//!
//! A hub knows each enrolled device's role, scopes and key; a phone knows only its own. So a
//! phone importing another phone's bundle could not tell a coordinator's review from a field
//! worker's forgery, and took every such bundle with a field worker's authority. Now the hub
//! signs, for each device that syncs with it, a credential naming the device's key, enrolment,
//! role and scopes, valid for [`VALID_DAYS`]. The device keeps it and puts it in the bundles it
//! writes (with those of the makers whose changes it relays); a phone that knows the same hub's
//! key (it has synced with it) checks the credential and grants the changes signed by that key
//! the role written in it, within the scopes both it and the importing phone hold.
//!
//! A credential outlives a revocation by at most its validity: a stolen coordinator's phone can
//! lend its role to bundles for up to [`VALID_DAYS`] days, though never to a sync (the hub
//! refuses a revoked token) and never beyond the scopes it had.

use serde::{Deserialize, Serialize};

use crate::model::Role;
use crate::policy::PeerInfo;
use crate::sign::{device_of_key, verify_credential, DeviceKey, PublicKey, Sig};
use crate::{Error, Result};

/// How long a credential holds, in days.
pub const VALID_DAYS: i64 = 14;
/// A device asks for a new credential when the one it holds has fewer days left than this.
pub const RENEW_DAYS: i64 = 7;
const DAY_MS: i64 = 86_400_000;
/// Largest encoded credential accepted (a credential is well under 1 KiB).
const MAX_BODY: usize = 4096;
/// Most scopes one credential names.
const MAX_SCOPES: usize = 256;

/// What a hub vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// The device's public key: only changes and bundles it signed take the role below.
    pub key: PublicKey,
    /// The enrolment the device syncs as.
    pub name: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub issued_ms: i64,
    pub expires_ms: i64,
}

/// A credential as issued: its encoding, the issuing hub's key and that key's signature of it.
/// The encoding is what was signed, so checking it needs no re-encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCredential {
    pub body: Vec<u8>,
    pub issuer: PublicKey,
    pub sig: Sig,
}

impl SignedCredential {
    /// Issues a credential for `peer` (whose key must be known), signed by `hub`, from `now_ms`.
    pub fn issue(hub: &DeviceKey, peer: &PeerInfo, now_ms: i64) -> Option<SignedCredential> {
        let credential = Credential {
            key: peer.key?,
            name: peer.name.clone(),
            role: peer.role,
            scopes: peer.scopes.clone(),
            issued_ms: now_ms,
            expires_ms: now_ms + VALID_DAYS * DAY_MS,
        };
        let body = postcard::to_stdvec(&credential).ok()?;
        (body.len() <= MAX_BODY && credential.scopes.len() <= MAX_SCOPES)
            .then(|| SignedCredential { sig: hub.sign_credential(&body), body, issuer: hub.public() })
    }

    /// The credential, if `issuer` signed it and it still holds at `now_ms`.
    pub fn check(&self, issuer: &PublicKey, now_ms: i64) -> Result<Credential> {
        if self.issuer != *issuer {
            return Err(Error::Forbidden("the credential was issued by another hub than this device's".into()));
        }
        let c = self.read()?;
        if now_ms >= c.expires_ms {
            return Err(Error::Forbidden(format!("the credential of '{}' expired", c.name)));
        }
        Ok(c)
    }

    /// The credential, if its signature holds (whoever issued it, and whether or not it
    /// expired): what a store keeps, to be checked again with [`SignedCredential::check`].
    pub fn read(&self) -> Result<Credential> {
        if self.body.len() > MAX_BODY || !verify_credential(&self.issuer, &self.body, &self.sig) {
            return Err(Error::Forbidden("the credential's signature does not hold".into()));
        }
        let c: Credential = postcard::from_bytes(&self.body).map_err(|_| Error::Forbidden("the credential cannot be read".into()))?;
        if c.scopes.len() > MAX_SCOPES || c.expires_ms < c.issued_ms {
            return Err(Error::Forbidden("the credential is malformed".into()));
        }
        Ok(c)
    }

    /// Whether a device holding this should ask its hub (whose key is `hub`) for a new one.
    pub fn needs_renewal(&self, hub: &PublicKey, now_ms: i64) -> bool {
        self.check(hub, now_ms + RENEW_DAYS * DAY_MS).is_err()
    }
}

impl Credential {
    /// The device id the credential is for.
    pub fn device(&self) -> [u8; 16] {
        device_of_key(&self.key)
    }

    /// The authority it gives, within `scopes` (the importing device's own; `None`: all).
    pub fn authority(&self, scopes: Option<&[String]>) -> PeerInfo {
        let mine = PeerInfo::new(self.name.clone(), self.role, self.scopes.clone()).with_key(self.key);
        match scopes {
            Some(s) => PeerInfo { scopes: mine.scopes.iter().filter(|x| s.iter().any(|y| y == *x || y == crate::policy::ANY_SCOPE)).cloned().collect(), ..mine },
            None => mine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(key: &DeviceKey) -> PeerInfo {
        PeerInfo::new("asha", Role::Coordinator, vec!["A".into(), "B".into()]).with_key(key.public())
    }

    #[test]
    fn a_credential_holds_only_for_its_issuer_until_it_expires() {
        let hub = DeviceKey::generate().unwrap();
        let other = DeviceKey::generate().unwrap();
        let phone = DeviceKey::generate().unwrap();
        let c = SignedCredential::issue(&hub, &peer(&phone), 1_000).unwrap();
        let got = c.check(&hub.public(), 2_000).unwrap();
        assert_eq!((got.role, got.device()), (Role::Coordinator, phone.device_id()));
        assert!(c.check(&other.public(), 2_000).is_err());
        assert!(c.check(&hub.public(), 1_000 + VALID_DAYS * DAY_MS).is_err());
        assert!(!c.needs_renewal(&hub.public(), 2_000));
        assert!(c.needs_renewal(&hub.public(), 1_000 + (VALID_DAYS - RENEW_DAYS) * DAY_MS));
        // Altered, or re-signed by someone else claiming the hub's key: refused.
        let mut forged = c.clone();
        let mut body: Credential = postcard::from_bytes(&forged.body).unwrap();
        body.role = Role::Admin;
        forged.body = postcard::to_stdvec(&body).unwrap();
        assert!(forged.check(&hub.public(), 2_000).is_err());
        forged.sig = other.sign_credential(&forged.body);
        assert!(forged.check(&hub.public(), 2_000).is_err());
        // No key, no credential.
        assert!(SignedCredential::issue(&hub, &PeerInfo::new("x", Role::FieldWorker, vec![]), 0).is_none());
    }

    #[test]
    fn its_authority_stays_within_the_importers_scopes() {
        let hub = DeviceKey::generate().unwrap();
        let phone = DeviceKey::generate().unwrap();
        let c = SignedCredential::issue(&hub, &peer(&phone), 0).unwrap().read().unwrap();
        assert_eq!(c.authority(Some(&["B".into(), "C".into()])).scopes, vec!["B".to_string()]);
        assert_eq!(c.authority(None).scopes.len(), 2);
        assert_eq!(c.authority(Some(&["*".into()])).scopes.len(), 2);
        assert_eq!(c.authority(None).key, Some(phone.public()));
    }
}
