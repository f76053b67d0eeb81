//! Device keys and what they sign (ADR 0007): every store holds an Ed25519 key pair made when it
//! was created, and its device id is derived from the public key, so a device id cannot be
//! claimed by anyone who does not hold its key.
//!
//! The key signs, each under its own domain tag so that no signature can be replayed as another:
//! - every change the device commits (`change`), kept beside the change and carried with it when
//!   someone else relays it (a bundle through another phone);
//! - every sync request it sends (`request`: its device id and the body's SHA-256), which is how
//!   a hub knows the device id a request names is the sender's;
//! - every bundle it writes (`bundle`: SHA-256 of the bundle's content);
//! - on a hub, the credentials it issues to its devices (`credential`: the encoded credential),
//!   by which one phone knows another's role and scopes.
//!
//! Record ids carry their creator (`new_record_id`): seven bytes of a tag of the device that
//! created the record, so a hub refuses a new record whose id belongs to another device, and a
//! device that learns an id before its owner syncs cannot squat it.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

const DEVICE_TAG: &[u8] = b"sangam-device-v1";
const CHANGE_TAG: &[u8] = b"sangam-change-v1";
const REQUEST_TAG: &[u8] = b"sangam-request-v1";
const BUNDLE_TAG: &[u8] = b"sangam-bundle-v1";
const RECORD_TAG: &[u8] = b"sangam-record-v1";
const CREDENTIAL_TAG: &[u8] = b"sangam-credential-v1";

/// A 32-byte Ed25519 public key.
pub type PublicKey = [u8; 32];

/// A 64-byte Ed25519 signature, as bytes (serialised as its 64 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sig(pub [u8; 64]);

impl std::fmt::Debug for Sig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sig({})", hex::encode(&self.0[..8]))
    }
}

impl Serialize for Sig {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let halves: [[u8; 32]; 2] = [self.0[..32].try_into().expect("32"), self.0[32..].try_into().expect("32")];
        halves.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Sig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let [a, b] = <[[u8; 32]; 2]>::deserialize(d)?;
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&a);
        out[32..].copy_from_slice(&b);
        Ok(Sig(out))
    }
}

/// The device id that belongs to public key `key`: the first 16 bytes of
/// SHA-256("sangam-device-v1" ‖ key).
pub fn device_of_key(key: &PublicKey) -> [u8; 16] {
    let h = Sha256::new().chain_update(DEVICE_TAG).chain_update(key).finalize();
    h[..16].try_into().expect("16 bytes")
}

/// A device's key pair. The secret never leaves the store that made it.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A fresh key from the system's random source.
    pub fn generate() -> Result<DeviceKey> {
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret).map_err(|e| Error::invalid(format!("no random source for a device key: {e}")))?;
        Ok(DeviceKey(SigningKey::from_bytes(&secret)))
    }

    /// The key whose secret is `secret` (as [`DeviceKey::secret`] gave it).
    pub fn from_secret(secret: &[u8]) -> Result<DeviceKey> {
        let s: [u8; 32] = secret.try_into().map_err(|_| Error::invalid("a device key is 32 bytes"))?;
        Ok(DeviceKey(SigningKey::from_bytes(&s)))
    }

    pub(crate) fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public(&self) -> PublicKey {
        self.0.verifying_key().to_bytes()
    }

    /// This key's device id ([`device_of_key`]).
    pub fn device_id(&self) -> [u8; 16] {
        device_of_key(&self.public())
    }

    /// Signs a change this device committed.
    pub fn sign_change(&self, hash: &[u8; 32]) -> Sig {
        Sig(self.0.sign(&tagged(CHANGE_TAG, hash)).to_bytes())
    }

    /// Signs a sync request body sent as device `device`.
    pub fn sign_request(&self, device: &[u8; 16], body: &[u8]) -> Sig {
        Sig(self.0.sign(&request_message(device, body)).to_bytes())
    }

    /// Signs a bundle whose content (everything before the signature) hashes to `digest`.
    pub fn sign_bundle(&self, digest: &[u8; 32]) -> Sig {
        Sig(self.0.sign(&tagged(BUNDLE_TAG, digest)).to_bytes())
    }

    /// Signs an encoded credential this hub issues.
    pub fn sign_credential(&self, body: &[u8]) -> Sig {
        Sig(self.0.sign(&tagged(CREDENTIAL_TAG, body)).to_bytes())
    }
}

impl Clone for DeviceKey {
    fn clone(&self) -> Self {
        DeviceKey(SigningKey::from_bytes(&self.0.to_bytes()))
    }
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({})", hex::encode(self.device_id()))
    }
}

fn tagged(tag: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(tag.len() + bytes.len());
    m.extend_from_slice(tag);
    m.extend_from_slice(bytes);
    m
}

fn request_message(device: &[u8; 16], body: &[u8]) -> Vec<u8> {
    let mut m = tagged(REQUEST_TAG, device);
    m.extend_from_slice(&Sha256::digest(body));
    m
}

fn verify(key: &PublicKey, message: &[u8], sig: &Sig) -> bool {
    let Ok(k) = VerifyingKey::from_bytes(key) else { return false };
    k.verify_strict(message, &Signature::from_bytes(&sig.0)).is_ok()
}

/// Whether `sig` is `key`'s signature of change `hash`.
pub fn verify_change(key: &PublicKey, hash: &[u8; 32], sig: &Sig) -> bool {
    verify(key, &tagged(CHANGE_TAG, hash), sig)
}

/// Whether `sig` is `key`'s signature of request `body` sent as `device`.
pub fn verify_request(key: &PublicKey, device: &[u8; 16], body: &[u8], sig: &Sig) -> bool {
    verify(key, &request_message(device, body), sig)
}

/// Whether `sig` is `key`'s signature of a bundle whose content hashes to `digest`.
pub fn verify_bundle(key: &PublicKey, digest: &[u8; 32], sig: &Sig) -> bool {
    verify(key, &tagged(BUNDLE_TAG, digest), sig)
}

/// Whether `sig` is `key`'s signature of the encoded credential `body`.
pub fn verify_credential(key: &PublicKey, body: &[u8], sig: &Sig) -> bool {
    verify(key, &tagged(CREDENTIAL_TAG, body), sig)
}

/// Signatures that travel with relayed changes, by change hash, and the public keys of their
/// makers. A signature is only a claim until it verifies against a key whose device id is the
/// change's device (a key proves itself: the device id is derived from it).
#[derive(Debug, Clone, Default)]
pub struct Signatures {
    sigs: HashMap<[u8; 32], Sig>,
    keys: HashMap<[u8; 16], PublicKey>,
}

impl Signatures {
    pub fn new() -> Self {
        Signatures::default()
    }

    pub fn insert(&mut self, hash: [u8; 32], sig: Sig) {
        self.sigs.insert(hash, sig);
    }

    /// A maker's public key, filed under the device id it derives.
    pub fn insert_key(&mut self, key: PublicKey) {
        self.keys.insert(device_of_key(&key), key);
    }

    pub fn len(&self) -> usize {
        self.sigs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }

    /// The key that came for `device`, if any.
    pub fn key_of(&self, device: &[u8; 16]) -> Option<PublicKey> {
        self.keys.get(device).copied()
    }

    pub fn sig_of(&self, hash: &[u8; 32]) -> Option<Sig> {
        self.sigs.get(hash).copied()
    }

    /// Every signature with its hash, and every key (what a relay hands on).
    pub fn parts(&self) -> (Vec<([u8; 32], Sig)>, Vec<PublicKey>) {
        let mut sigs: Vec<_> = self.sigs.iter().map(|(h, s)| (*h, *s)).collect();
        sigs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut keys: Vec<_> = self.keys.values().copied().collect();
        keys.sort();
        (sigs, keys)
    }

    /// Adds everything `other` holds.
    pub fn extend(&mut self, other: Signatures) {
        self.sigs.extend(other.sigs);
        self.keys.extend(other.keys);
    }

    /// Whether change `hash` comes with a signature by `key`.
    pub fn signed_by(&self, hash: &[u8; 32], key: &PublicKey) -> bool {
        self.sigs.get(hash).is_some_and(|s| verify_change(key, hash, s))
    }
}

/// The seven bytes that begin the ids of records created by `device`.
fn record_tag(device: &[u8]) -> [u8; 7] {
    let h = Sha256::new().chain_update(RECORD_TAG).chain_update(device).finalize();
    h[..7].try_into().expect("7 bytes")
}

/// A new record id for a record created on `device`: a version-8 UUID whose bytes 0-5 and 7 are
/// the device's record tag and whose other 66 bits are random.
pub fn new_record_id(device: &[u8]) -> String {
    let mut b = *uuid::Uuid::new_v4().as_bytes();
    let tag = record_tag(device);
    b[..6].copy_from_slice(&tag[..6]);
    b[7] = tag[6];
    b[6] = 0x80 | (b[6] & 0x0f);
    b[8] = 0x80 | (b[8] & 0x3f);
    uuid::Uuid::from_bytes(b).to_string()
}

/// Whether record id `id` says which device created it (ids made by [`new_record_id`]; records
/// from before have random ids that say nothing).
pub fn names_its_creator(id: &[u8; 16]) -> bool {
    id[6] >> 4 == 8 && id[8] >> 6 == 0b10
}

/// Whether record id `id` was made by [`new_record_id`] on `device`.
pub fn created_on(id: &[u8; 16], device: &[u8]) -> bool {
    let tag = record_tag(device);
    names_its_creator(id) && id[..6] == tag[..6] && id[7] == tag[6]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signature_verifies_only_for_what_and_whom_it_signed() {
        let k = DeviceKey::generate().unwrap();
        let other = DeviceKey::generate().unwrap();
        let h = [7u8; 32];
        let s = k.sign_change(&h);
        assert!(verify_change(&k.public(), &h, &s));
        assert!(!verify_change(&other.public(), &h, &s));
        assert!(!verify_change(&k.public(), &[8u8; 32], &s));
        // A change signature is not a bundle signature, nor a request's, nor a credential's.
        assert!(!verify_bundle(&k.public(), &h, &s));
        assert!(!verify_credential(&k.public(), &h, &s));
        let c = k.sign_credential(&h);
        assert!(verify_credential(&k.public(), &h, &c) && !verify_change(&k.public(), &h, &c));
        let d = k.device_id();
        let r = k.sign_request(&d, b"body");
        assert!(verify_request(&k.public(), &d, b"body", &r));
        assert!(!verify_request(&k.public(), &d, b"bodY", &r));
        assert!(!verify_request(&k.public(), &other.device_id(), b"body", &r));
        let again = DeviceKey::from_secret(&k.secret()).unwrap();
        assert_eq!(again.public(), k.public());
        assert_eq!(device_of_key(&k.public()), k.device_id());
    }

    #[test]
    fn record_ids_name_the_device_that_created_them() {
        let a = DeviceKey::generate().unwrap().device_id();
        let b = DeviceKey::generate().unwrap().device_id();
        let id = new_record_id(&a);
        let u = *uuid::Uuid::parse_str(&id).unwrap().as_bytes();
        assert_eq!(uuid::Uuid::from_bytes(u).get_version_num(), 8);
        assert!(names_its_creator(&u) && created_on(&u, &a) && !created_on(&u, &b));
        assert_ne!(new_record_id(&a), id);
        let old = *uuid::Uuid::now_v7().as_bytes();
        assert!(!names_its_creator(&old));
    }

    #[test]
    fn signatures_serialise_as_their_64_bytes() {
        let s = Sig([9u8; 64]);
        let bytes = postcard::to_stdvec(&s).unwrap();
        assert_eq!(bytes, vec![9u8; 64]);
        assert_eq!(postcard::from_bytes::<Sig>(&bytes).unwrap(), s);
    }
}
