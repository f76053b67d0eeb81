//! Bundles: the same changes as a sync, carried on a file (USB stick, SD card, Bluetooth share).
//!
//! Layout: `MAGIC "SGBN" | version u16 | header length u32 | header (postcard) | body length u64
//! | body (zstd of postcard) | signature`: the writer's Ed25519 signature of SHA-256 of
//! everything before it, by the key the header names. The signature is verified before the body
//! is read, so a truncated, altered or relabelled file is refused whole with a clear error.
//! Importing a bundle twice changes nothing.
//!
//! Version 2 carried whole records as sync does (compact and transposed, ADR 0006), which makes
//! a district's bundle about half the size for a Bluetooth share. Version 3 (ADR 0007) is signed
//! by its writer and carries the signatures of the changes in it, so whoever relays it further
//! relays them with their makers' proof. Version 4 adds, after the compressed records, the
//! media files those records name (`media length u64 | postcard [name, type, bytes]`), not
//! compressed; each is taken only if a record names it and its bytes hash to its name.
//! Version 5 adds to the body the writer's credential from its hub and those of the makers whose
//! changes it relays (`crate::credential`), so that a phone of the same hub gives a
//! coordinator's changes a coordinator's authority, whoever carried them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::transpose::{self, WholeBatch};
use crate::credential::SignedCredential;
use crate::model::Role;
use crate::policy::PeerInfo;
use crate::sign::{device_of_key, verify_bundle, PublicKey, Sig, Signatures};
use super::wire::{id_from_wire, id_to_wire, inflate, Inflate, Limits, WireId};
use crate::model::checks::now_ms;
use crate::{Error, Result, Store};

const MAGIC: &[u8; 4] = b"SGBN";
/// The bundle format version this code writes (it reads version 3 too).
pub const BUNDLE_VERSION: u16 = 5;
/// The oldest bundle version this code reads.
pub const OLDEST_BUNDLE_VERSION: u16 = 3;
/// Most media bytes one bundle carries; files past it are left for a sync or the next bundle.
pub const MAX_BUNDLE_MEDIA_BYTES: u64 = 512 * 1024 * 1024;
/// Whole records loaded at a time while a bundle is imported.
const LOAD_SLICE: usize = 128;

/// What a bundle says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    /// The device that wrote it (its device id, hex): the id of `key`.
    pub source: String,
    /// The writer's public key, which signed the bundle.
    pub key: PublicKey,
    /// The user who exported it.
    pub exported_by: String,
    pub created_ms: i64,
    /// The scopes it was limited to (empty: all).
    pub scopes: Vec<String>,
    /// It carries only what the exporter's hub was not known to have (changes since the hub's
    /// heads), rather than whole records.
    pub since_upstream: bool,
    pub records: u64,
}

/// Which records to put in a bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleOptions {
    /// Only records of these scopes (empty: all).
    pub scopes: Vec<String>,
    /// Only what the hub does not have yet, as changes since the hub's known heads.
    pub only_unsynced: bool,
}

/// What importing a bundle did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleReport {
    pub header: Option<BundleHeader>,
    pub changed: u64,
    pub unchanged: u64,
    /// Records waiting for changes they depend on (kept; applied when those arrive).
    pub pending: u64,
    pub rejected: Vec<(String, String)>,
    /// Media files stored whole from the bundle.
    #[serde(default)]
    pub media: u64,
    /// Media files in the bundle that were not taken, with why (no record here names them, or
    /// their bytes do not match their name).
    #[serde(default)]
    pub media_refused: Vec<(String, String)>,
    /// With whose authority its writer's changes were taken, in words ("its hub's bundle,
    /// taken whole", "coordinator 'asha', vouched for by this device's hub", ...).
    #[serde(default)]
    pub taken_as: String,
}

/// One media file in a bundle (version 4): its name proves its bytes.
#[derive(Serialize, Deserialize)]
struct BundleMedia {
    name: String,
    mime: Option<String>,
    bytes: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct BundleDoc {
    id: WireId,
    changes: Vec<u8>,
}

#[derive(Default, Serialize, Deserialize)]
struct BundleBody {
    /// Increments (and any whole record that could not be packed), with their ids.
    docs: Vec<BundleDoc>,
    /// Whole records, compact and transposed; each names itself.
    whole: WholeBatch,
    /// Signatures of the changes in the bundle (the writer's own, and others' it relays), by
    /// change hash, with their makers' keys.
    signatures: Vec<([u8; 32], Sig)>,
    keys: Vec<PublicKey>,
    /// The writer's credential from its hub (version 5), if it holds a current one.
    writer_credential: Option<SignedCredential>,
    /// The credentials it holds of the makers whose changes it relays (version 5).
    credentials: Vec<SignedCredential>,
}

/// A body of version 3 or 4, without credentials.
#[derive(Deserialize)]
struct BundleBodyV4 {
    docs: Vec<BundleDoc>,
    whole: WholeBatch,
    signatures: Vec<([u8; 32], Sig)>,
    keys: Vec<PublicKey>,
}

/// Most relayed makers' credentials one bundle carries.
const MAX_BUNDLE_CREDENTIALS: usize = 4096;

impl Store {
    /// `bytes` as a signed bundle: opened with this store's key when sealed to it
    /// ([`super::sealed`]), as they are otherwise.
    fn unsealed<'a>(&self, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>> {
        Ok(if super::sealed::is_sealed(bytes) {
            std::borrow::Cow::Owned(super::sealed::open(bytes, &self.device_key())?)
        } else {
            std::borrow::Cow::Borrowed(bytes)
        })
    }

    /// A bundle of records' changes sealed to this phone's hub (the key it gave at the last
    /// sync), so that only that hub can read it ([`super::sealed`]).
    pub fn export_sealed_bundle(&self, opts: &BundleOptions) -> Result<Vec<u8>> {
        let hub = self.hub_key()?.ok_or_else(|| Error::invalid("this device has not synced with its hub yet, so it cannot seal a bundle to it; sync once, or export an unsealed bundle"))?;
        super::sealed::seal(&self.export_bundle(opts)?, &hub)
    }

    /// Writes a bundle of records' changes.
    pub fn export_bundle(&self, opts: &BundleOptions) -> Result<Vec<u8>> {
        let mut g = self.lock();
        let rows = g.records_for_bundle(opts.only_unsynced)?;
        let mut docs = Vec::new();
        let mut wholes = Vec::new();
        let mut sigs = Signatures::new();
        for (id, scope, up) in rows {
            if !opts.scopes.is_empty() && !opts.scopes.contains(&scope) {
                continue;
            }
            g.own_sigs(&id, &mut sigs)?;
            g.relayed_sigs(&id, &mut sigs)?;
            let (changes, whole) = g.with_doc(&id, |d| {
                let known =
                    !up.is_empty() && up.iter().all(|h| d.get_change_meta_by_hash(h).is_some());
                Ok(if known {
                    (d.save_after(&up), false)
                } else {
                    (d.save_nocompress(), true)
                })
            })?;
            match whole {
                true => wholes.push((id_to_wire(&id)?, changes)),
                false => docs.push(BundleDoc {
                    id: id_to_wire(&id)?,
                    changes,
                }),
            }
        }
        let records = docs.len() + wholes.len();
        let ids: Vec<String> = docs.iter().map(|d| id_from_wire(&d.id)).chain(wholes.iter().map(|(id, _)| id_from_wire(id))).collect();
        let (whole, plain) = transpose::pack_whole(wholes);
        docs.extend(
            plain
                .into_iter()
                .map(|(id, changes)| BundleDoc { id, changes }),
        );
        let (signatures, keys) = sigs.parts();
        let key = g.device_key().clone();
        let now = now_ms();
        let writer_credential = g.credential_for(&key.device_id(), now)?;
        let mut credentials = Vec::new();
        for k in keys.iter().filter(|k| **k != key.public()) {
            if let Some(c) = g.credential_for(&crate::sign::device_of_key(k), now)? {
                credentials.push(c);
            }
        }
        let body = BundleBody { docs, whole, signatures, keys, writer_credential, credentials };
        let header = BundleHeader {
            source: g_device(&g),
            key: key.public(),
            exported_by: g.identity().user_id.clone(),
            created_ms: now_ms(),
            scopes: opts.scopes.clone(),
            since_upstream: opts.only_unsynced,
            records: records as u64,
        };
        drop(g);
        let media = self.media_for_bundle(&ids, opts.only_unsynced)?;
        assemble(&header, &body, &media, &key)
    }

    /// Imports a bundle. With `peer`, every record is checked as a hub checks a sync from that
    /// device (scope and role); refused records are reported and the rest goes in. A damaged
    /// bundle is refused whole before anything is applied.
    ///
    /// A sealed bundle ([`super::sealed`]) is opened with this store's key first; one sealed to
    /// another hub is refused.
    pub fn import_bundle(&self, bytes: &[u8], peer: Option<&PeerInfo>) -> Result<BundleReport> {
        let bytes = self.unsealed(bytes)?;
        let (header, body, media) = parse_bundle(&bytes)?;
        let taken_as = match peer {
            Some(p) => format!("{} '{}'", p.role.as_str(), p.name),
            None => "whole".to_string(),
        };
        self.import_parsed(header, body, media, peer, taken_as)
    }

    fn import_parsed(&self, header: BundleHeader, body: BundleBody, media: Vec<BundleMedia>, peer: Option<&PeerInfo>, taken_as: String) -> Result<BundleReport> {
        if body.whole.count as u64 > header.records {
            return Err(damaged("record count"));
        }
        // A bundle imported as from an enrolled device must have been written by that device:
        // the writer's key signed it, and its device id is bound to the enrolment (or already
        // is), so the same file cannot be passed off as another device's.
        let sender = match peer {
            Some(p) if p.device.is_none() => Some(p.clone().with_key(header.key)),
            other => other.cloned(),
        };
        let mut sigs = Signatures::new();
        for (h, s) in &body.signatures {
            sigs.insert(*h, *s);
        }
        for k in &body.keys {
            sigs.insert_key(*k);
        }
        let peer = sender.as_ref();
        let mut report = BundleReport { header: Some(header), taken_as, ..Default::default() };
        let (compacts, stopped) = transpose::unpack_compact(&body.whole);
        {
            let mut g = self.lock();
            if let (Some(p), true) = (peer, g.is_serving()) {
                g.bind_device(p)?;
            }
        }
        let mut land = |inner: &mut crate::store::Inner, id: String, changes: &[u8], loaded: Option<automerge::Automerge>| -> Result<()> {
            let applied = match loaded {
                Some(doc) => inner.apply_whole(&id, changes, doc, peer, &sigs),
                None => inner.apply_signed(&id, changes, peer, &sigs),
            };
            if matches!(applied, Ok(ref out) if out.changed) && !inner.is_serving() {
                // What reached us with its makers' signatures goes on with them.
                inner.keep_relayed_sigs(&id, &sigs)?;
            }
            match applied {
                Ok(out) if out.changed => report.changed += 1,
                Ok(out) if out.pending => report.pending += 1,
                Ok(_) => report.unchanged += 1,
                Err(Error::Rejected { reason, .. }) | Err(Error::Forbidden(reason)) | Err(Error::InvalidInput(reason)) => {
                    report.rejected.push((id, reason))
                }
                Err(e) => return Err(e),
            }
            Ok(())
        };
        // A slice of records per transaction, the store unlocked between slices, so a phone
        // stays usable while a large bundle goes in (importing again what is already here
        // changes nothing, so a bundle cut short by a crash is simply imported again).
        for slice in body.docs.chunks(LOAD_SLICE) {
            self.lock().transaction(|inner| {
                for d in slice {
                    land(inner, id_from_wire(&d.id), &d.changes, None)?;
                }
                Ok(())
            })?;
        }
        // Whole records are rebuilt and loaded outside the lock, a slice at a time (over the
        // machine's cores), so a large bundle never holds more than a slice of them loaded.
        let mut unreadable = Vec::new();
        let compacts: Vec<&[u8]> = compacts.iter().map(|c| &c[..]).collect();
        for slice in compacts.chunks(LOAD_SLICE) {
            let loaded = transpose::load_wholes(slice, transpose::cores());
            self.lock().transaction(|inner| {
                for whole in loaded {
                    match whole {
                        Ok(w) => land(inner, w.id, &w.chunk, w.doc)?,
                        // Only a bundle made to deceive gets here (a damaged one fails its checksum).
                        Err(reason) => unreadable.push(("(unreadable record)".to_string(), reason)),
                    }
                }
                Ok(())
            })?;
        }
        if let Some(reason) = stopped {
            unreadable.push(("(unreadable record)".to_string(), reason));
        }
        report.rejected.extend(unreadable);
        // Then the files the records name (as a hub checks an upload: a record the sender may
        // see must name each one, and its bytes must hash to its name).
        for m in media {
            let Some(name) = crate::media::MediaName::parse(&m.name) else {
                report.media_refused.push((m.name, "not a media name".into()));
                continue;
            };
            if self.media_info(name.as_str())?.is_some_and(|i| i.complete) {
                continue; // here already: importing twice changes nothing
            }
            let named = match peer {
                Some(p) => self.media_declared(name.as_str(), p)?,
                None => self.media_wanted()?.into_iter().find(|w| w.name == m.name).or(self.media_info(name.as_str())?.map(|i| crate::media::MediaRef { name: i.name, size: i.size, mime: i.mime })),
            };
            match named {
                Some(r) if r.size == m.bytes.len() as u64 => {}
                Some(_) => {
                    report.media_refused.push((m.name, "its size is not the one its record gives".into()));
                    continue;
                }
                None => {
                    report.media_refused.push((m.name, "no record here names it".into()));
                    continue;
                }
            }
            match self.media_receive(&name, m.bytes.len() as u64, m.mime.as_deref(), peer.map(|p| p.name.as_str()), 0, &m.bytes) {
                Ok(crate::store::Received::Stored(i)) if i.complete => report.media += 1,
                // A part received earlier: the file already has some bytes here.
                Ok(_) => self.media_receive_whole(&name, m.mime.as_deref(), peer.map(|p| p.name.as_str()), &m.bytes, &mut report)?,
                Err(Error::Rejected { reason, .. }) => report.media_refused.push((m.name, reason)),
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Completes a partly received file from a bundle's whole copy.
    fn media_receive_whole(&self, name: &crate::media::MediaName, mime: Option<&str>, source: Option<&str>, bytes: &[u8], report: &mut BundleReport) -> Result<()> {
        let have = self.media_info(name.as_str())?.map_or(0, |i| i.have) as usize;
        match self.media_receive(name, bytes.len() as u64, mime, source, have as u64, &bytes[have.min(bytes.len())..]) {
            Ok(crate::store::Received::Stored(i)) if i.complete => report.media += 1,
            Ok(_) => report.media_refused.push((name.to_string(), "a different part of it is already here".into())),
            Err(Error::Rejected { reason, .. }) => report.media_refused.push((name.to_string(), reason)),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// The media files of records `ids` this store has whole (with `only_unsynced`, those its
    /// hub is not known to have), up to [`MAX_BUNDLE_MEDIA_BYTES`].
    fn media_for_bundle(&self, ids: &[String], only_unsynced: bool) -> Result<Vec<BundleMedia>> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut total = 0u64;
        for id in ids {
            for m in self.media_of(id)? {
                if !m.complete || (only_unsynced && m.uploaded) || !seen.insert(m.name.clone()) {
                    continue;
                }
                if total + m.size > MAX_BUNDLE_MEDIA_BYTES {
                    continue;
                }
                total += m.size;
                out.push(BundleMedia { bytes: self.media_bytes(&m.name)?, name: m.name, mime: m.mime });
            }
        }
        Ok(out)
    }
}

impl Store {
    /// Imports a bundle that reached this device (a phone) from elsewhere: a USB stick, a
    /// Bluetooth share. A bundle written by this device's own hub (the store it syncs with)
    /// comes in whole, forms and coordinators' work included: the hub checked all of it. Any
    /// other bundle's changes are checked as a field worker's in this device's scopes (any
    /// scope before the first sync), except those this device made itself, which keep its own
    /// role: a bundle from another phone can carry records, never a coordinator's authority.
    pub fn import_bundle_on_device(&self, bytes: &[u8]) -> Result<BundleReport> {
        let bytes = self.unsealed(bytes)?;
        let (header, body, media) = parse_bundle(&bytes)?;
        if self.hub_key()? == Some(header.key) {
            return self.import_parsed(header, body, media, None, "its hub's bundle, taken whole".into());
        }
        // The writer's own changes count as a field worker's of this device's scopes (or, with
        // a credential from this device's hub, with the role it gives, within those scopes);
        // others' it relays too, unless signed by a key this store knows (its own, or one its
        // hub vouched for); changes claiming this device without its signature get no more
        // than the writer's.
        let (writer, taken_as) = {
            let g = self.lock();
            let scopes = g.enrolled().map(<[String]>::to_vec).unwrap_or_else(|| vec![crate::policy::ANY_SCOPE.to_string()]);
            if header.key == g.device_key().public() {
                // Written by this very device (a store restored from a backup takes back what
                // it exported): only its key could sign it.
                (PeerInfo::new("this device", g.identity().role, scopes).with_key(header.key), "this device's own".to_string())
            } else if let Some(c) = g.keep_bundle_credentials(body.writer_credential.as_ref(), &body.credentials, &header.key)? {
                let authority = c.authority(g.enrolled());
                let until = crate::iso_utc(c.expires_ms);
                let said = format!("{} '{}', vouched for by this device's hub until {until}", c.role.as_str(), c.name);
                (authority, said)
            } else {
                let said = format!("a field worker's, in this device's scopes (device {} has no credential from this device's hub)", header.source);
                (PeerInfo::new(format!("the bundle of device {}", header.source), Role::FieldWorker, scopes).with_key(header.key), said)
            }
        };
        self.import_parsed(header, body, media, Some(&writer), taken_as)
    }
}

fn g_device(g: &crate::store::Inner) -> String {
    g.device_hex()
}

/// Reads just a bundle's header (after verifying the whole file).
pub fn bundle_header(bytes: &[u8]) -> Result<BundleHeader> {
    Ok(parse_bundle(bytes)?.0)
}

/// The bundle's bytes: header, compressed records, media, and the writer's signature of it all.
fn assemble(header: &BundleHeader, body: &BundleBody, media: &[BundleMedia], key: &crate::sign::DeviceKey) -> Result<Vec<u8>> {
    assemble_with(header, body, media, key, BUNDLE_VERSION)
}

fn assemble_with(header: &BundleHeader, body: &impl Serialize, media: &[BundleMedia], key: &crate::sign::DeviceKey, version: u16) -> Result<Vec<u8>> {
    let header = postcard::to_stdvec(header).map_err(|e| Error::invalid(e.to_string()))?;
    let raw = postcard::to_stdvec(body).map_err(|e| Error::invalid(e.to_string()))?;
    let mut body = (raw.len() as u64).to_le_bytes().to_vec();
    body.extend(zstd::bulk::compress(&raw, 9)?);
    let mut out = Vec::with_capacity(body.len() + header.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    // Media after the records, not compressed (photos and audio already are).
    let media = postcard::to_stdvec(media).map_err(|e| Error::invalid(e.to_string()))?;
    out.extend_from_slice(&(media.len() as u64).to_le_bytes());
    out.extend_from_slice(&media);
    let digest: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&key.sign_bundle(&digest).0);
    Ok(out)
}

fn damaged(what: &str) -> Error {
    Error::invalid(format!(
        "this bundle is damaged or incomplete ({what}); nothing was imported"
    ))
}

fn parse_bundle(bytes: &[u8]) -> Result<(BundleHeader, BundleBody, Vec<BundleMedia>)> {
    if super::sealed::is_sealed(bytes) {
        return Err(Error::invalid("this bundle is sealed; only the hub it is sealed to can read it"));
    }
    if bytes.len() < 4 + 2 + 4 + 8 + 64 || &bytes[..4] != MAGIC {
        return Err(Error::invalid("not a Sangam bundle"));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if !(OLDEST_BUNDLE_VERSION..=BUNDLE_VERSION).contains(&version) {
        return Err(Error::Incompatible(format!(
            "the bundle has format version {version}, this build reads versions {OLDEST_BUNDLE_VERSION} to {BUNDLE_VERSION}"
        )));
    }
    let (content, sig) = bytes.split_at(bytes.len() - 64);
    let hlen = u32::from_le_bytes(content[6..10].try_into().expect("4 bytes")) as usize;
    let hend = 10usize
        .checked_add(hlen)
        .filter(|e| *e + 8 <= content.len())
        .ok_or_else(|| damaged("header length"))?;
    let header: BundleHeader =
        postcard::from_bytes(&content[10..hend]).map_err(|_| damaged("header"))?;
    let digest: [u8; 32] = Sha256::digest(content).into();
    let sig = Sig(sig.try_into().expect("64 bytes"));
    if !verify_bundle(&header.key, &digest, &sig) {
        return Err(damaged("its writer's signature does not match: altered, truncated or not from the device it names"));
    }
    if hex::encode(device_of_key(&header.key)) != header.source {
        return Err(damaged("writer"));
    }
    let blen = u64::from_le_bytes(content[hend..hend + 8].try_into().expect("8 bytes"));
    let rest = &content[hend + 8..];
    // Version 4: the compressed records, then the media section (its length, then postcard).
    let (body, media) = if version >= 4 {
        let bend = usize::try_from(blen).ok().filter(|b| b.checked_add(8).is_some_and(|e| e <= rest.len())).ok_or_else(|| damaged("body length"))?;
        let (body, tail) = rest.split_at(bend);
        let mlen = u64::from_le_bytes(tail[..8].try_into().expect("8 bytes"));
        if mlen != (tail.len() - 8) as u64 {
            return Err(damaged("media length"));
        }
        let media: Vec<BundleMedia> = if mlen == 0 { Vec::new() } else { postcard::from_bytes(&tail[8..]).map_err(|_| damaged("media"))? };
        (body, media)
    } else {
        (rest, Vec::new())
    };
    if blen != body.len() as u64 || body.len() < 8 {
        return Err(damaged("body length"));
    }
    let raw_len = u64::from_le_bytes(body[..8].try_into().expect("8 bytes"));
    let raw = inflate(&body[8..], raw_len, &Limits::default()).map_err(|e| match e {
        Inflate::TooLarge(cap) => Error::invalid(format!(
            "this bundle decompresses to more than {cap} bytes (a real bundle grows a few times, this one without bound); nothing was imported"
        )),
        Inflate::Damaged => damaged("body"),
    })?;
    let body: BundleBody = if version >= 5 {
        postcard::from_bytes(&raw).map_err(|_| damaged("records"))?
    } else {
        let b: BundleBodyV4 = postcard::from_bytes(&raw).map_err(|_| damaged("records"))?;
        BundleBody { docs: b.docs, whole: b.whole, signatures: b.signatures, keys: b.keys, writer_credential: None, credentials: Vec::new() }
    };
    if body.credentials.len() > MAX_BUNDLE_CREDENTIALS {
        return Err(damaged("too many credentials"));
    }
    Ok((header, body, media))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{InProcess, SyncOptions};
    use crate::{Identity, NewResponse};

    fn synced(h: &Store, s: &Store, name: &str, role: Role) {
        let p = PeerInfo::new(name, role, vec!["S".into()]).with_key(s.device_key().public());
        s.sync_with(&mut InProcess::new(h, &p), &SyncOptions::default()).unwrap();
    }

    /// A credential lifted from a coordinator's bundle into a field worker's own vouches for
    /// nothing: it names the coordinator's key, not the writer's.
    #[test]
    fn a_credential_counts_only_for_the_key_it_names() {
        let h = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
        h.enable_serving().unwrap();
        let coord = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
        let fw = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
        let other = Store::open_in_memory(Identity::field_worker("o", "O")).unwrap();
        synced(&h, &coord, "co", Role::Coordinator);
        synced(&h, &fw, "fw", Role::FieldWorker);
        synced(&h, &other, "ot", Role::FieldWorker);
        assert_eq!(coord.credential().unwrap().unwrap().role, Role::Coordinator);
        fw.create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None }).unwrap();
        let lifted = parse_bundle(&coord.export_bundle(&Default::default()).unwrap()).unwrap().1.writer_credential.expect("the coordinator holds one");
        let (header, mut body, media) = parse_bundle(&fw.export_bundle(&Default::default()).unwrap()).unwrap();
        assert!(body.writer_credential.is_some());
        body.writer_credential = Some(lifted);
        let forged = assemble(&header, &body, &media, &fw.device_key()).unwrap();
        let rep = other.import_bundle_on_device(&forged).unwrap();
        assert!(rep.taken_as.contains("a field worker's"), "{}", rep.taken_as);
        // Its own, honest: taken with the field worker's credential, as a field worker's.
        let rep = other.import_bundle_on_device(&fw.export_bundle(&Default::default()).unwrap()).unwrap();
        assert!(rep.taken_as.starts_with("field-worker 'fw', vouched for"), "{}", rep.taken_as);
        // A version 4 bundle (no credentials) still reads.
        let (header, body, media) = parse_bundle(&fw.export_bundle(&Default::default()).unwrap()).unwrap();
        let v4 = BundleBodyV4Out { docs: &body.docs, whole: &body.whole, signatures: &body.signatures, keys: &body.keys };
        let mut old = assemble_with(&header, &v4, &media, &fw.device_key(), 4).unwrap();
        assert_eq!(u16::from_le_bytes([old[4], old[5]]), 4);
        assert!(other.import_bundle_on_device(&old).unwrap().rejected.is_empty());
        old[20] ^= 1;
        assert!(other.import_bundle_on_device(&old).is_err());
    }

    #[derive(Serialize)]
    struct BundleBodyV4Out<'a> {
        docs: &'a [BundleDoc],
        whole: &'a WholeBatch,
        signatures: &'a [([u8; 32], Sig)],
        keys: &'a [PublicKey],
    }
}
