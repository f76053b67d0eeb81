//! The sync wire format, version 5.
//!
//! Version 2 (ADR 0006) sends whole records in compact form both ways (`push_whole`, `whole`)
//! and drops the hub's heads from pulled increments. Version 3 (ADR 0007) carries the
//! signatures of relayed changes with a push (`signatures`, `keys`) and the hub's public key
//! in its answer (`hub_key`). Version 4 (ADR 0010) sends a one-change edit on heads the hub
//! acknowledged without its dependencies and heads (`push_edits`, `sync::edit`). Version 5
//! (ADR 0007, step 3) lets a device ask for the hub's credential of it (`wants_credential`,
//! `credential`). Peers of other versions are refused with a clear error.
//!
//! A frame is `MAGIC (4 bytes) | protocol version (u16, little endian) | zstd(postcard(msg))`.
//! postcard gives a compact, stable binary encoding; zstd shrinks batches of similar records.
//! A frame of another version is refused with an error that names both versions.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

pub use super::transpose::WholeBatch;
use crate::credential::SignedCredential;
use crate::sign::{PublicKey, Sig};
use crate::{Error, Result};

/// The protocol version this code speaks.
pub const PROTOCOL_VERSION: u16 = 5;
/// The first four bytes of every frame.
pub const MAGIC: &[u8; 4] = b"SGSY";
/// Bytes before a frame's compressed message: magic, version, decompressed length.
const FRAME_HEADER: usize = 14;
/// Largest decoded message a phone accepts from its hub, and the ceiling of every other limit
/// (a hostile frame must not make us allocate without bound). A hub decodes pushed requests
/// under a tighter limit that follows its body limit (`Limits::for_body`).
pub const MAX_DECODED_BYTES: usize = 256 * 1024 * 1024;
/// Most a frame may grow when decompressed, as a ratio to its compressed size. Our payloads
/// are mostly Automerge chunks (already compact) and random ids and hashes; real frames grow
/// 2-6 times. A zstd bomb grows thousands of times.
pub const MAX_EXPANSION: usize = 64;
/// Frames this small are never refused for their ratio (tiny frames compress oddly).
const RATIO_FLOOR: usize = 1024 * 1024;

/// How much a decoder may inflate. Memory follows what the data really holds, never the length
/// a frame declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest decoded message, in bytes.
    pub max_decoded: usize,
}

impl Limits {
    /// The limit for requests whose bodies are at most `max_body` bytes: four times the body
    /// limit, within `MAX_DECODED_BYTES`.
    pub fn for_body(max_body: usize) -> Self {
        Limits {
            max_decoded: max_body
                .saturating_mul(4)
                .clamp(RATIO_FLOOR, MAX_DECODED_BYTES),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decoded: MAX_DECODED_BYTES,
        }
    }
}

/// Why a compressed body did not inflate.
#[derive(Debug)]
pub(crate) enum Inflate {
    /// More than the limit (the declared length or the real output).
    TooLarge(usize),
    /// Not valid zstd, or not the declared length.
    Damaged,
}

/// Decompresses `z`, which declares `declared` bytes of output, under `limits` and the
/// expansion ratio. Streams into a buffer that grows with real output, so a frame that lies
/// about its length or inflates without end costs at most the limit.
pub(crate) fn inflate(
    z: &[u8],
    declared: u64,
    limits: &Limits,
) -> std::result::Result<Vec<u8>, Inflate> {
    use std::io::Read;
    let cap = limits
        .max_decoded
        .min(z.len().saturating_mul(MAX_EXPANSION).max(RATIO_FLOOR));
    let declared = usize::try_from(declared).map_err(|_| Inflate::TooLarge(cap))?;
    if declared > cap {
        return Err(Inflate::TooLarge(cap));
    }
    let mut dec = zstd::stream::read::Decoder::with_buffer(z).map_err(|_| Inflate::Damaged)?;
    // Start small: the declared length is only a claim.
    let mut out = Vec::with_capacity(declared.min(1024 * 1024));
    (&mut dec)
        .take(declared as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| Inflate::Damaged)?;
    if out.len() != declared {
        return Err(Inflate::Damaged);
    }
    Ok(out)
}

/// Messages at least this big are compressed harder.
const BIG_MESSAGE: usize = 128 * 1024;

/// A record id on the wire: the 16 bytes of its UUID.
pub type WireId = [u8; 16];
/// A change hash on the wire.
pub type WireHash = [u8; 32];

pub(crate) fn id_to_wire(id: &str) -> Result<WireId> {
    uuid::Uuid::parse_str(id)
        .map(|u| *u.as_bytes())
        .map_err(|_| Error::invalid("record ids are UUIDs"))
}

pub(crate) fn id_from_wire(id: &WireId) -> String {
    uuid::Uuid::from_bytes(*id).to_string()
}

/// What a device (or a downstream hub) sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The hub store the cursor refers to; a different hub (or a restored one) resets it.
    pub hub_store: Option<String>,
    /// Everything the hub logged up to this sequence has been received.
    pub cursor: i64,
    /// The token the hub gave with that cursor.
    pub cursor_token: Option<[u8; 8]>,
    /// Records changed here that the hub lacks.
    pub push: Vec<PushDoc>,
    /// Records changed here by one change on the heads the hub acknowledged, compact.
    pub push_edits: Vec<PushEdit>,
    /// Records the hub is not known to have at all, whole, compact and transposed (as
    /// `SyncResponse::whole`).
    pub push_whole: WholeBatch,
    /// Records the sender needs whole (it could not apply an increment).
    pub want_full: Vec<WireId>,
    /// Stop adding pulled records once this many change bytes are in the answer.
    pub max_pull_bytes: u64,
    /// Signatures of other devices' changes inside `push` and `push_whole` (a phone relaying
    /// what reached it in a bundle), by change hash, checked by the hub against their makers.
    pub signatures: Vec<(WireHash, Sig)>,
    /// The public keys of those changes' makers (each proves itself: a device id derives from
    /// its key).
    pub keys: Vec<PublicKey>,
    /// The sender knows the hub's key already (the answer then leaves it out).
    pub has_hub_key: bool,
    /// The sender holds no credential from this hub, or one about to expire: the answer brings
    /// a new one (`crate::credential`).
    pub wants_credential: bool,
}

/// One record's changes, since the heads the hub was known to have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushDoc {
    pub id: WireId,
    /// The sender's heads for this record once the hub has applied `changes`.
    pub heads: Vec<WireHash>,
    pub changes: Vec<u8>,
}

/// One record's one new change, made on the heads the hub acknowledged, without them
/// (`sync::edit`): the hub rebuilds it on the heads it holds, and the hash prefix tells whether
/// those were the ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushEdit {
    pub id: WireId,
    /// The first 8 bytes of the change's hash (the sender's one head once it is applied).
    pub head: [u8; 8],
    /// The change chunk's data after its dependencies.
    pub change: Vec<u8>,
}

/// The hub's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub hub_store: String,
    /// The request's cursor referred to another hub store: the sender starts over.
    pub cursor_reset: bool,
    /// Pushed records now stored at the hub; `heads` is given only where the hub's heads differ
    /// from the pushed heads (the hub also had changes of its own, which come in `pull`).
    pub acks: Vec<Ack>,
    pub rejected: Vec<Rejection>,
    /// Pushed records whose increment the hub could not apply (it lacks their dependencies):
    /// send them whole.
    pub resend_full: Vec<WireId>,
    pub pull: Vec<PullDoc>,
    /// Whole records: each a document chunk without the checksum and head hashes the receiver
    /// works out itself, naming its record in its own `id` field (`compact`), and the lot
    /// transposed so that compression sees like next to like (`batch`).
    pub whole: WholeBatch,
    /// The new cursor, to send next time, with its token.
    pub cursor: i64,
    pub cursor_token: Option<[u8; 8]>,
    /// More records wait past `cursor`: ask again.
    pub more: bool,
    /// The scopes the device is enrolled for, so it can refuse locally what the hub would.
    pub scopes: Vec<String>,
    /// The hub's public key, unless the request said it has it: the device knows its hub's
    /// bundles by it.
    pub hub_key: Option<PublicKey>,
    /// The hub's credential of the device, when it asked for one.
    pub credential: Option<SignedCredential>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub id: WireId,
    pub heads: Option<Vec<WireHash>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub id: WireId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullDoc {
    pub id: WireId,
    /// The changes since the version the receiver is known to have. The receiver works out the
    /// hub's heads itself (`engine::hub_heads`).
    pub changes: Vec<u8>,
}

/// Encodes a message as a frame of this protocol version.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>> {
    let raw = postcard::to_stdvec(msg)
        .map_err(|e| Error::invalid(format!("cannot encode message: {e}")))?;
    let mut out = Vec::with_capacity(raw.len() / 3 + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_le_bytes());
    // Small messages (the daily sync) at zstd's fast default; big ones (a bootstrap, a week
    // offline) at a level that costs the sender ~10 ms per MB more and carries ~12 % fewer bytes
    // over a slow link. Decompression speed is the same.
    let level = if raw.len() >= BIG_MESSAGE { 9 } else { 3 };
    let z = zstd::bulk::compress(&raw, level)?;
    out.extend_from_slice(&(raw.len() as u64).to_le_bytes());
    out.extend_from_slice(&z);
    Ok(out)
}

/// The protocol version a frame declares, if it looks like a frame at all (a hub tells an
/// outdated peer from a malformed request by it).
pub fn frame_version(frame: &[u8]) -> Option<u16> {
    (frame.len() >= FRAME_HEADER && &frame[..4] == MAGIC).then(|| u16::from_le_bytes([frame[4], frame[5]]))
}

/// Decodes a frame, refusing other versions and malformed bytes with a clear error.
pub fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T> {
    decode_limited(frame, &Limits::default())
}

/// Decodes a frame under `limits` (a hub decodes pushed requests under `Limits::for_body`).
pub fn decode_limited<T: DeserializeOwned>(frame: &[u8], limits: &Limits) -> Result<T> {
    let Some(version) = frame_version(frame) else {
        return Err(Error::invalid("not a Sangam sync message"));
    };
    if version != PROTOCOL_VERSION {
        return Err(Error::Incompatible(format!(
            "the peer speaks sync protocol version {version}, this build speaks version {PROTOCOL_VERSION}; update the older side"
        )));
    }
    let len = u64::from_le_bytes(frame[6..14].try_into().expect("8 bytes"));
    let raw = inflate(&frame[FRAME_HEADER..], len, limits).map_err(|e| match e {
        Inflate::TooLarge(cap) => Error::invalid(format!(
            "sync message too large: it decompresses to more than {cap} bytes; sync in smaller batches"
        )),
        Inflate::Damaged => Error::invalid("sync message is damaged (decompression failed or wrong length)"),
    })?;
    postcard::from_bytes(&raw)
        .map_err(|e| Error::invalid(format!("sync message is malformed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_batch() -> WholeBatch {
        WholeBatch {
            count: 1,
            heads: vec![4],
            layout: vec![5],
            columns: vec![(1, 87, vec![6])],
            values: vec![(Some(b"k".to_vec()), vec![7]), (None, vec![8])],
            tails: vec![0, 0],
        }
    }

    fn sample() -> SyncRequest {
        SyncRequest {
            hub_store: Some("cd".into()),
            cursor: 42,
            cursor_token: Some([7; 8]),
            push: vec![PushDoc {
                id: [1; 16],
                heads: vec![[2; 32]],
                changes: vec![1, 2, 3],
            }],
            push_edits: vec![PushEdit { id: [4; 16], head: [5; 8], change: vec![6, 7] }],
            push_whole: sample_batch(),
            want_full: vec![[3; 16]],
            max_pull_bytes: 1 << 20,
            signatures: vec![([10; 32], Sig([11; 64]))],
            keys: vec![[12; 32]],
            has_hub_key: true,
            wants_credential: true,
        }
    }

    #[test]
    fn frames_round_trip() {
        let f = encode(&sample()).unwrap();
        assert_eq!(decode::<SyncRequest>(&f).unwrap(), sample());
    }

    /// Golden bytes: an accidental change to the wire format fails loudly here.
    #[test]
    fn the_version_5_encoding_is_stable() {
        let raw = postcard::to_stdvec(&sample()).unwrap();
        assert_eq!(
            hex::encode(&raw),
            "010263645401070707070707070701010101010101010101010101010101010102020202020202020202020202020202020202020202020202020202020202020301020301040404040404040404040404040404040505050505050505020607010104010501015701060201016b01070001080200000103030303030303030303030303030303808040010a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b010c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0101"
        );
    }

    #[test]
    fn the_version_5_response_encoding_is_stable() {
        let resp = SyncResponse {
            hub_store: "ab".into(),
            cursor_reset: false,
            acks: vec![Ack {
                id: [4; 16],
                heads: None,
            }],
            rejected: vec![Rejection {
                id: [5; 16],
                reason: "no".into(),
            }],
            resend_full: vec![],
            pull: vec![PullDoc {
                id: [6; 16],
                changes: vec![9],
            }],
            whole: sample_batch(),
            cursor: 300,
            cursor_token: None,
            more: true,
            scopes: vec!["A".into()],
            hub_key: Some([13; 32]),
            credential: Some(SignedCredential { body: vec![14, 15], issuer: [16; 32], sig: Sig([17; 64]) }),
        };
        let raw = postcard::to_stdvec(&resp).unwrap();
        assert_eq!(
            hex::encode(&raw),
            "026162000104040404040404040404040404040404000105050505050505050505050505050505026e6f0001060606060606060606060606060606060109010104010501015701060201016b0107000108020000d8040001010141010d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d01020e0f101010101010101010101010101010101010101010101010101010101010101011111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
        );
        let f = encode(&resp).unwrap();
        assert_eq!(decode::<SyncResponse>(&f).unwrap(), resp);
    }

    #[test]
    fn other_versions_and_garbage_are_refused_clearly() {
        let mut f = encode(&sample()).unwrap();
        f[4] = 9;
        let e = decode::<SyncRequest>(&f).unwrap_err().to_string();
        assert!(e.contains("version 9") && e.contains("version 5"), "{e}");
        assert!(decode::<SyncRequest>(b"hello").is_err());
        let f = encode(&sample()).unwrap();
        for cut in [5, 14, f.len() - 1] {
            assert!(decode::<SyncRequest>(&f[..cut]).is_err());
        }
        let mut bad = f.clone();
        let n = bad.len();
        bad[n - 3] ^= 0xff;
        assert!(decode::<SyncRequest>(&bad).is_err());
        let mut huge = f.clone();
        huge[6..14].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode::<SyncRequest>(&huge).is_err());
    }

    /// A zstd bomb: a few KB that inflate to hundreds of MB. Refused by its ratio without
    /// allocating what it declares or what it holds.
    #[test]
    fn a_zstd_bomb_is_refused_by_ratio_and_by_limit() {
        let raw = vec![0u8; 64 * 1024 * 1024];
        let z = zstd::bulk::compress(&raw, 19).unwrap();
        assert!(z.len() < 16 * 1024, "{}", z.len());
        let mut frame = Vec::new();
        frame.extend_from_slice(MAGIC);
        frame.extend_from_slice(&PROTOCOL_VERSION.to_le_bytes());
        frame.extend_from_slice(&(raw.len() as u64).to_le_bytes());
        frame.extend_from_slice(&z);
        let e = decode::<SyncRequest>(&frame).unwrap_err().to_string();
        assert!(e.contains("too large"), "{e}");
        // Lying about the length: a small declared length with a huge real output is damaged,
        // and only declared+1 bytes are ever produced.
        frame[6..14].copy_from_slice(&1000u64.to_le_bytes());
        let e = decode::<SyncRequest>(&frame).unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
        // The body limit caps what an honest big frame may decode to.
        let limits = Limits::for_body(1024 * 1024);
        assert_eq!(limits.max_decoded, 4 * 1024 * 1024);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let big: Vec<u8> = (0..6 * 1024 * 1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 56) as u8
            })
            .collect();
        let z = zstd::bulk::compress(&big, 1).unwrap();
        let r = inflate(&z, big.len() as u64, &limits);
        assert!(matches!(r, Err(Inflate::TooLarge(_))));
        assert_eq!(
            inflate(&z, big.len() as u64, &Limits::default())
                .ok()
                .as_deref(),
            Some(&big[..])
        );
    }
}
