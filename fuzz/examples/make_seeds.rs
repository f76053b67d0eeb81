//! Writes the seed inputs: `seeds/base_record.{bin,id}` (the record `store_apply` starts from)
//! and real, well-formed inputs under `seeds/<target>/` for the store-backed targets, each in
//! the input layout `src/harness.rs` describes. Run from fuzz/:
//!
//!     cargo run --example make_seeds            # seeds only (keeps the base record)
//!     cargo run --example make_seeds -- --base  # also writes a new base record
//!
//! A new base record changes what committed regressions of `store_apply` mean: keep the
//! committed one unless starting over. The text seeds of `expr` and the workbooks of
//! `xlsform_import` are plain files in seeds/ (see scripts/fuzz.sh).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use sangam_core::sync::{wire, BundleOptions, SyncEngine, SyncRequest};
use sangam_core::{FieldValue, Identity, NewResponse, NewSubject, Role, Store};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn write(target: &str, name: &str, mode: u8, payload: &[u8]) {
    let d = dir().join("seeds").join(target);
    fs::create_dir_all(&d).unwrap();
    let mut bytes = vec![mode];
    bytes.extend_from_slice(payload);
    fs::write(d.join(name), bytes).unwrap();
}

fn response(store: &Store, scope: &str, answers: usize) -> String {
    let r = store
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: scope.into(), subject_id: None })
        .unwrap();
    for i in 0..answers {
        store.set_answer(&r, &format!("q{i}"), &FieldValue::Text(format!("answer {i}"))).unwrap();
    }
    store.set_answer(&r, "age", &FieldValue::Int(34)).unwrap();
    store.set_answer(&r, "c", &FieldValue::Choices(["x".to_string(), "y".to_string()].into())).unwrap();
    r
}

/// The postcard message inside a sync frame.
fn postcard_of(frame: &[u8]) -> Vec<u8> {
    let len = u64::from_le_bytes(frame[6..14].try_into().unwrap()) as usize;
    zstd::bulk::decompress(&frame[14..], len).unwrap()
}

/// (header postcard, body postcard) of a bundle file.
fn bundle_parts(b: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let content = &b[..b.len() - 64];
    let hlen = u32::from_le_bytes(content[6..10].try_into().unwrap()) as usize;
    let header = content[10..10 + hlen].to_vec();
    let body = &content[10 + hlen + 8..];
    let raw_len = u64::from_le_bytes(body[..8].try_into().unwrap()) as usize;
    (header, zstd::bulk::decompress(&body[8..], raw_len).unwrap())
}

fn main() {
    let base = std::env::args().any(|a| a == "--base");

    // store_apply: the base record, an increment of it, and other whole records.
    let a = Store::open_in_memory(Identity::field_worker("seed", "Seed")).unwrap();
    let r = response(&a, "S", 4);
    let full = a.export_changes(&r, &[]).unwrap();
    if base {
        fs::create_dir_all(dir().join("seeds")).unwrap();
        fs::write(dir().join("seeds/base_record.bin"), &full).unwrap();
        fs::write(dir().join("seeds/base_record.id"), &r).unwrap();
    }
    // Increments must build on the committed base record, so they are made from it.
    let base_id = if base { r.clone() } else { sangam_fuzz::BASE_RECORD_ID.trim().to_string() };
    let b = Store::open_in_memory(Identity::field_worker("seed2", "Seed 2")).unwrap();
    b.apply_changes(&base_id, if base { &full } else { sangam_fuzz::BASE_RECORD }).unwrap();
    let h0 = b.heads(&base_id).unwrap();
    b.set_answer(&base_id, "q1", &FieldValue::Text("changed".into())).unwrap();
    b.set_answer(&base_id, "new", &FieldValue::Decimal(2.5)).unwrap();
    b.set_answer(&base_id, "ok", &FieldValue::Bool(true)).unwrap();
    let incr = b.export_changes(&base_id, &h0).unwrap();
    let whole_b = b.export_changes(&base_id, &[]).unwrap();
    let subject = b.create_subject(NewSubject::new("household", "S")).unwrap();
    let subject_full = b.export_changes(&subject, &[]).unwrap();
    write("store_apply", "base-incr", 0, &incr);
    write("store_apply", "base-whole-edited", 0, &whole_b);
    write("store_apply", "base-foreign-record", 0, &subject_full);
    write("store_apply", "empty-whole", 1, &full);
    write("store_apply", "empty-incr-pending", 1, &incr);
    write("store_apply", "empty-subject", 1, &subject_full);

    // Sync: a device with records, its first request (whole records), the hub's answer, then
    // an edit and the next request (increments).
    let device = Store::open_in_memory(Identity::field_worker("dev", "Device")).unwrap();
    let r1 = response(&device, "S", 6);
    let _r2 = response(&device, "S", 2);
    let _s = device.create_subject(NewSubject { attrs: BTreeMap::from([("name".into(), FieldValue::Text("Asha".into()))]), ..NewSubject::new("person", "S") }).unwrap();
    let hub = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    hub.enable_serving().unwrap();
    let hub_other = response(&hub, "S", 3);
    let _ = hub_other;
    let peer = sangam_fuzz::field_worker_peer();
    let mut engine = SyncEngine::new(&device);
    let req1 = engine.next_request().unwrap().unwrap();
    assert!(!req1.push_whole.is_empty(), "the first request carries whole records");
    let (resp1, _) = hub.serve_sync(&peer, &req1).unwrap();
    engine.handle_response(resp1.clone(), 0, 0).unwrap();
    drop(engine);
    device.set_answer(&r1, "q0", &FieldValue::Text("edited".into())).unwrap();
    let mut engine = SyncEngine::new(&device);
    let req2 = engine.next_request().unwrap().unwrap();
    let (resp2, _) = hub.serve_sync(&peer, &req2).unwrap();

    let frames = [
        ("req-empty", wire::encode(&SyncRequest::default()).unwrap()),
        ("req-whole", wire::encode(&req1).unwrap()),
        ("req-incr", wire::encode(&req2).unwrap()),
        ("resp-pull", wire::encode(&resp1).unwrap()),
        ("resp-ack", wire::encode(&resp2).unwrap()),
    ];
    for (name, f) in &frames {
        write("wire_decode", &format!("{name}-frame"), 0, f);
        write("wire_decode", &format!("{name}-postcard"), 1, &postcard_of(f));
        if name.starts_with("req") {
            write("whole_batch", &format!("{name}-frame"), 0, f);
            write("whole_batch", &format!("{name}-postcard"), 1, &postcard_of(f));
        }
    }

    // Bundles: everything, and only what the hub lacks (increments).
    let all = device.export_bundle(&BundleOptions::default()).unwrap();
    let unsynced = device.export_bundle(&BundleOptions { scopes: vec!["S".into()], only_unsynced: true }).unwrap();
    for (name, bundle) in [("all", &all), ("unsynced", &unsynced)] {
        write("bundle_import", &format!("{name}-file"), 0, bundle);
        write("bundle_import", &format!("{name}-file-peer"), 0x80, bundle);
        write("bundle_import", &format!("{name}-nosum"), 1, &bundle[..bundle.len() - 64]);
        let (h, body) = bundle_parts(bundle);
        let mut parts = (h.len() as u16).to_le_bytes().to_vec();
        parts.extend_from_slice(&h);
        parts.extend_from_slice(&body);
        write("bundle_import", &format!("{name}-parts"), 2, &parts);
        write("bundle_import", &format!("{name}-parts-peer"), 0x82, &parts);
    }
    eprintln!("seeds written under {}", dir().join("seeds").display());
}
