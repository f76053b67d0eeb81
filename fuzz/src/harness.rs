//! The entry points of the fuzz targets, one function per target.
//!
//! Each fuzz target (fuzz_targets/<name>.rs) is `fuzz_target!(|data| harness::<name>(data))`,
//! and core/tests/fuzz_regressions.rs includes this very file (`#[path]`) to replay the saved
//! crashing inputs under fuzz/regressions/<name>/ through the same code. So this file uses
//! only `sangam_core`'s public API and crates that sangam-core's tests can reach (zstd, sha2,
//! postcard).
//!
//! Input layout. Most targets take a first "mode" byte and treat the rest as the payload, so
//! that the fuzzer can also reach what lies behind a checksum or a compression layer:
//!
//! - `wire_decode`, `whole_batch`: mode even: the payload is a sync frame as received; mode
//!   odd: the payload is the postcard message, and a valid frame (magic, version, length,
//!   zstd) is built around it first.
//! - `bundle_import`: mode % 3 == 0: the payload is a bundle file as received; 1: the payload
//!   is a bundle without its signature: its header is made the harness's key's (`fuzz_key`)
//!   and signed; 2: the payload is `u16 LE header length | header (postcard) | body
//!   (postcard)` and a complete bundle is built from it, signed the same way. Mode & 0x80: import as from an enrolled field worker (scope "S")
//!   rather than with no peer.
//! - `store_apply`: mode even: apply to a store already holding one response record
//!   (`BASE_RECORD`); mode odd: apply to an empty store under a fixed UUID.
//! - `xlsform_import`: the whole input is the workbook.
//! - `expr`: the whole input is the expression (UTF-8).

#![allow(dead_code)]

use sangam_core::forms::expr::{Clock, Expr, MapScope, Value};
use sangam_core::sync::{wire, PeerInfo, SyncRequest, SyncResponse};
use sangam_core::{Identity, Role, Store};
use sha2::{Digest, Sha256};

/// The fuzz targets, by name (the directory names under seeds/, corpus/ and regressions/).
pub const TARGETS: &[&str] = &["wire_decode", "whole_batch", "bundle_import", "store_apply", "xlsform_import", "expr"];

/// One response record (the whole document, as `Store::export_changes(id, &[])` gives it),
/// made by `cargo run --example make_seeds` with `create_response` and `set_answer`.
pub const BASE_RECORD: &[u8] = include_bytes!("../seeds/base_record.bin");
/// The id of `BASE_RECORD`.
pub const BASE_RECORD_ID: &str = include_str!("../seeds/base_record.id");
/// The record id used when applying to an empty store.
pub const EMPTY_STORE_ID: &str = "0192f0c4-1c1e-7b7e-9b1a-3c4d5e6f7a8b";

fn split_mode(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(m, rest)| (*m, rest))
}

/// A sync frame around a postcard message, as `wire::encode` builds it.
pub fn sync_frame(postcard: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(postcard.len() + 32);
    out.extend_from_slice(b"SGSY");
    out.extend_from_slice(&sangam_core::sync::PROTOCOL_VERSION.to_le_bytes());
    out.extend_from_slice(&(postcard.len() as u64).to_le_bytes());
    out.extend_from_slice(&zstd::bulk::compress(postcard, 1).expect("zstd compresses"));
    out
}

/// The frame a `wire_decode` / `whole_batch` input stands for.
fn frame_of(data: &[u8]) -> Option<Vec<u8>> {
    let (mode, payload) = split_mode(data)?;
    Some(if mode % 2 == 0 { payload.to_vec() } else { sync_frame(payload) })
}

/// Untrusted sync frames: decoding either message must return, never panic.
pub fn wire_decode(data: &[u8]) {
    let Some(frame) = frame_of(data) else { return };
    let req = wire::decode::<SyncRequest>(&frame);
    let resp = wire::decode::<SyncResponse>(&frame);
    // Whatever decodes must encode again.
    if let Ok(r) = req {
        wire::encode(&r).expect("a decoded request encodes");
    }
    if let Ok(r) = resp {
        wire::encode(&r).expect("a decoded response encodes");
    }
}

pub fn field_worker_peer() -> PeerInfo {
    PeerInfo::new("fuzz-peer", Role::FieldWorker, vec!["S".into()])
}

/// A hub serving a decoded request: whole records (`push_whole`, which `serve_sync` unpacks
/// with `transpose::unpack_whole`) and increments from a hostile field worker. Only storage
/// failures may be errors; afterwards the hub must still answer a plain request.
pub fn whole_batch(data: &[u8]) {
    let Some(frame) = frame_of(data) else { return };
    let Ok(req) = wire::decode::<SyncRequest>(&frame) else { return };
    let hub = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).expect("store opens");
    hub.enable_serving().expect("serving");
    let peer = field_worker_peer();
    if let Ok((resp, _stats)) = hub.serve_sync(&peer, &req) {
        wire::encode(&resp).expect("a response encodes");
    }
    hub.serve_sync(&peer, &SyncRequest::default()).expect("the hub still serves after a hostile request");
}

/// The key the harness signs bundles with.
pub fn fuzz_key() -> sangam_core::sign::DeviceKey {
    sangam_core::sign::DeviceKey::from_secret(&[7u8; 32]).expect("a 32-byte secret")
}

/// `header` (postcard) made the fuzz key's: its writer and key replaced, so that the signature
/// the harness adds verifies and the fuzzer reaches the body. Bytes that are no header stay.
fn as_fuzz_writer(header: &[u8]) -> Vec<u8> {
    match postcard::from_bytes::<sangam_core::sync::BundleHeader>(header) {
        Ok(mut h) => {
            let key = fuzz_key();
            h.key = key.public();
            h.source = hex_lower(&key.device_id());
            postcard::to_stdvec(&h).expect("a header encodes")
        }
        Err(_) => header.to_vec(),
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A bundle file around `content` (everything but the signature): its header made the fuzz
/// key's, and the fuzz key's signature appended.
pub fn with_signature(content: &[u8]) -> Vec<u8> {
    let mut out = content.to_vec();
    if content.len() >= 10 {
        let hlen = u32::from_le_bytes(content[6..10].try_into().expect("4 bytes")) as usize;
        if let Some(header) = content.get(10..10usize.saturating_add(hlen)) {
            let fresh = as_fuzz_writer(header);
            out = content[..6].to_vec();
            out.extend_from_slice(&(fresh.len() as u32).to_le_bytes());
            out.extend_from_slice(&fresh);
            out.extend_from_slice(&content[10 + hlen..]);
        }
    }
    let digest: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&fuzz_key().sign_bundle(&digest).0);
    out
}

/// A complete bundle from a postcard header and a postcard body.
pub fn bundle_from_parts(header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut z = Vec::new();
    z.extend_from_slice(&(body.len() as u64).to_le_bytes());
    z.extend_from_slice(&zstd::bulk::compress(body, 1).expect("zstd compresses"));
    let mut out = Vec::new();
    out.extend_from_slice(b"SGBN");
    out.extend_from_slice(&sangam_core::sync::BUNDLE_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(&(z.len() as u64).to_le_bytes());
    out.extend_from_slice(&z);
    // Version 4: an empty media section.
    out.extend_from_slice(&0u64.to_le_bytes());
    with_signature(&out)
}

/// The bundle file a `bundle_import` input stands for, and whether to import it from a peer.
fn bundle_of(data: &[u8]) -> Option<(Vec<u8>, bool)> {
    let (mode, payload) = split_mode(data)?;
    let bytes = match (mode & 0x7f) % 3 {
        0 => payload.to_vec(),
        1 => with_signature(payload),
        _ => {
            if payload.len() < 2 {
                return None;
            }
            let hlen = (u16::from_le_bytes([payload[0], payload[1]]) as usize).min(payload.len() - 2);
            bundle_from_parts(&payload[2..2 + hlen], &payload[2 + hlen..])
        }
    };
    Some((bytes, mode & 0x80 != 0))
}

/// Untrusted bundle files: reading the header and importing must return, never panic, and
/// the store must stay usable.
pub fn bundle_import(data: &[u8]) {
    let Some((bytes, from_peer)) = bundle_of(data) else { return };
    let _ = sangam_core::sync::bundle_header(&bytes);
    let store = Store::open_in_memory(Identity::field_worker("f", "F")).expect("store opens");
    let peer = field_worker_peer();
    let report = store.import_bundle(&bytes, from_peer.then_some(&peer));
    if let Ok(report) = report {
        assert!(report.header.is_some(), "an imported bundle has a header");
    }
    for (id, _seq) in store.changed_since(0, 10_000).expect("the store lists its records") {
        store.record_json(&id, None).expect("an imported record reads");
    }
}

/// Untrusted Automerge changes applied to a record.
pub fn store_apply(data: &[u8]) {
    let Some((mode, payload)) = split_mode(data) else { return };
    let store = Store::open_in_memory(Identity::field_worker("v", "V")).expect("store opens");
    if mode % 2 == 0 {
        let id = BASE_RECORD_ID.trim();
        store.apply_changes(id, BASE_RECORD).expect("the base record applies");
        let before = store.record_json(id, None).expect("the base record reads");
        let out = store.apply_changes(id, payload);
        let after = store.record_json(id, None).expect("the record reads after applying hostile changes");
        match out {
            Err(_) => assert_eq!(after, before, "refused changes altered the record"),
            Ok(o) if !o.changed => assert_eq!(after, before, "unchanged outcome but the record changed"),
            Ok(_) => {}
        }
        // The store still takes local edits.
        store
            .set_answer(id, "after_fuzz", &sangam_core::FieldValue::Int(1))
            .expect("the record still takes an edit");
        store.record_json(id, None).expect("the record reads after an edit");
    } else {
        let id = EMPTY_STORE_ID;
        let out = store.apply_changes(id, payload);
        match out {
            Ok(o) if o.changed => {
                store.record_json(id, None).expect("an applied record reads");
            }
            _ => {
                // Nothing (or only pending changes) landed: reading may say "not found", but
                // must return.
                let _ = store.record_json(id, None);
            }
        }
    }
}

/// Untrusted workbooks.
pub fn xlsform_import(data: &[u8]) {
    let _ = sangam_core::forms::xlsform::import_bytes(data, "fuzz");
}

/// Untrusted expressions: parse, inspect and evaluate against a small scope.
pub fn expr(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let Ok(e) = Expr::parse(src) else { return };
    let _ = e.references();
    let _ = e.columns();
    let _ = e.uses_current();
    let _ = e.uses_clock();
    let scope = MapScope::new()
        .with("age", "21")
        .with("name", "Asha")
        .with("empty", "")
        .with("d", "2024-02-29")
        .with("c", "a b c")
        .with_value("n", Value::Num(3.5))
        .with_value("when", Value::DateTime(1_700_000_000_000, 330))
        .with_rows("rows", &["1", "2", "x"])
        .current(Value::Str("7".into()))
        .column("district", "d1")
        .position(2)
        .clock(Clock::fixed(1_700_000_000_000, 330));
    if let Ok(v) = e.eval(&scope) {
        let _ = v.to_text();
        let _ = v.to_num();
        let _ = v.to_bool();
    }
    let _ = e.eval_bool(&scope);
    let _ = e.eval(&MapScope::new().clock(Clock::fixed(0, 0)));
}
