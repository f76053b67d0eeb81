//! Sealed bundles (ADR 0013): a signed bundle encrypted to the one hub meant to read it, so a
//! lost USB stick or a forwarded Bluetooth share reveals nothing, and a bundle altered by one
//! byte, or carried to any other hub, is refused.
//!
//! Layout: `MAGIC "SGSB" | version u8 | recipient's Ed25519 public key [32] | ephemeral X25519
//! public key [32] | ChaCha20-Poly1305 of the signed bundle (with its 16-byte tag)`.
//!
//! - The recipient's X25519 key is its Ed25519 device key in Montgomery form (the conversion
//!   libsodium and age's SSH recipients use), so a hub needs no second key pair and a phone
//!   seals to the key its hub already gave it (`hub_key`).
//! - The cipher key is HKDF-SHA256 of the X25519 shared secret, salted with both public keys;
//!   it is used once (a fresh ephemeral key per bundle), so the nonce is fixed at zero.
//! - Everything before the ciphertext is authenticated as associated data: the recipient
//!   cannot be relabelled.
//! - Inside is the whole signed bundle: the sender is still proven by its signature.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use curve25519_dalek::montgomery::MontgomeryPoint;
use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::sign::{DeviceKey, PublicKey};
use crate::{Error, Result};

const MAGIC: &[u8; 4] = b"SGSB";
const VERSION: u8 = 1;
const PREFIX: usize = 4 + 1 + 32 + 32;
const INFO: &[u8] = b"sangam-sealed-bundle-v1";

/// Whether `bytes` are a sealed bundle.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The hub a sealed bundle is sealed to (its Ed25519 public key), without opening it.
pub fn sealed_to(bytes: &[u8]) -> Option<PublicKey> {
    (is_sealed(bytes) && bytes.len() >= PREFIX).then(|| bytes[5..37].try_into().expect("32 bytes"))
}

fn montgomery_of(key: &PublicKey) -> Result<MontgomeryPoint> {
    let v = VerifyingKey::from_bytes(key).map_err(|_| Error::invalid("the recipient's key is not a valid public key"))?;
    Ok(v.to_montgomery())
}

fn cipher(shared: &MontgomeryPoint, ephemeral: &MontgomeryPoint, recipient: &MontgomeryPoint) -> Result<chacha20poly1305::ChaCha20Poly1305> {
    // A low-order point gives an all-zero secret: an attacker's choice, never a real key.
    if shared.to_bytes() == [0u8; 32] {
        return Err(Error::invalid("this sealed bundle is damaged (its key exchange is invalid); nothing was imported"));
    }
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral.as_bytes());
    salt[32..].copy_from_slice(recipient.as_bytes());
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(&salt), shared.as_bytes());
    let mut key = [0u8; 32];
    hk.expand(INFO, &mut key).map_err(|_| Error::invalid("key derivation failed"))?;
    let c = chacha20poly1305::ChaCha20Poly1305::new(&key.into());
    zeroize::Zeroize::zeroize(&mut key);
    Ok(c)
}

/// Seals the signed bundle `bundle` to the hub whose public key is `recipient`.
pub fn seal(bundle: &[u8], recipient: &PublicKey) -> Result<Vec<u8>> {
    let theirs = montgomery_of(recipient)?;
    let mut e = [0u8; 32];
    getrandom::getrandom(&mut e).map_err(|err| Error::invalid(format!("no random source to seal a bundle: {err}")))?;
    let ephemeral = MontgomeryPoint::mul_base_clamped(e);
    let shared = theirs.mul_clamped(e);
    zeroize::Zeroize::zeroize(&mut e);
    let mut out = Vec::with_capacity(PREFIX + bundle.len() + 16);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(recipient);
    out.extend_from_slice(ephemeral.as_bytes());
    let body = cipher(&shared, &ephemeral, &theirs)?
        .encrypt(&[0u8; 12].into(), Payload { msg: bundle, aad: &out })
        .map_err(|_| Error::invalid("sealing the bundle failed"))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens a bundle sealed to `me`; the signed bundle inside is returned for the usual checks.
pub fn open(sealed: &[u8], me: &DeviceKey) -> Result<Vec<u8>> {
    if sealed.len() < PREFIX + 16 || !is_sealed(sealed) {
        return Err(Error::invalid("this sealed bundle is cut short; nothing was imported"));
    }
    if sealed[4] != VERSION {
        return Err(Error::Incompatible(format!("the sealed bundle has version {}, this build reads version {VERSION}", sealed[4])));
    }
    let recipient: PublicKey = sealed[5..37].try_into().expect("32 bytes");
    if recipient != me.public() {
        return Err(Error::Forbidden(format!(
            "this bundle is sealed for another hub (key {}…), not this one (key {}…); it cannot be read here",
            hex::encode(&recipient[..6]),
            hex::encode(&me.public()[..6])
        )));
    }
    let ephemeral = MontgomeryPoint(sealed[37..69].try_into().expect("32 bytes"));
    let mine = montgomery_of(&recipient)?;
    let secret = SigningKey::from_bytes(&me.secret()).to_scalar_bytes();
    let shared = ephemeral.mul_clamped(secret);
    cipher(&shared, &ephemeral, &mine)?
        .decrypt(&[0u8; 12].into(), Payload { msg: &sealed[PREFIX..], aad: &sealed[..PREFIX] })
        .map_err(|_| Error::invalid("this sealed bundle was altered or damaged on its way; nothing was imported"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_hub_opens_a_sealed_bundle_and_any_altered_byte_is_refused() {
        let hub = DeviceKey::generate().unwrap();
        let other = DeviceKey::generate().unwrap();
        let bundle = b"SGBN a signed bundle naming Sunita Kumari Devi".to_vec();
        let sealed = seal(&bundle, &hub.public()).unwrap();
        assert!(is_sealed(&sealed));
        assert_eq!(sealed_to(&sealed), Some(hub.public()));
        assert!(!sealed.windows(6).any(|w| w == b"Sunita"), "the text is not readable");
        assert_eq!(open(&sealed, &hub).unwrap(), bundle);
        assert!(matches!(open(&sealed, &other), Err(Error::Forbidden(_))));
        for i in [0, 4, 5, 40, PREFIX, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(open(&bad, &hub).is_err(), "byte {i} altered and still opened");
        }
        // Relabelled to another hub: refused there (the label is authenticated).
        let mut relabelled = sealed.clone();
        relabelled[5..37].copy_from_slice(&other.public());
        assert!(open(&relabelled, &other).is_err());
        assert!(open(&sealed[..PREFIX + 10], &hub).is_err());
        // Two seals of one bundle differ (a fresh key each time).
        assert_ne!(seal(&bundle, &hub.public()).unwrap(), sealed);
    }
}
