//! Golden files for the two binary formats (`docs/PROTOCOL.md`): one sync request and one sync
//! answer (`SGSY` frames) and one bundle (`SGBN`), built from records with fixed ids, actors and
//! times. Each file is decoded and its fields checked, so a change that breaks old peers or old
//! files fails here; and today's encoder must produce the same bytes where encoding is
//! deterministic (a bundle's header carries its writer's random key and device id and the time
//! of export, and its signature follows, so there only the body is compared byte for byte).
//!
//! After a deliberate format change: `SANGAM_BLESS_GOLDEN=1 cargo test -p sangam-core --test golden`
//! rewrites the files; review the diff of the decoded fields, and bump the version.

use std::path::PathBuf;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ObjType, ReadDoc, ROOT};
use sangam_core::sync::wire::{self, Ack, PullDoc, PushDoc, PushEdit, Rejection, SyncRequest, SyncResponse};
use sangam_core::sync::{bundle_header, BundleOptions, PeerInfo, SyncEngine, PROTOCOL_VERSION};
use sangam_core::*;

/// Records of the golden files: pushed whole, pushed as an increment, refused, pulled whole,
/// asked for whole, pushed as a compact edit.
const R_WHOLE: &str = "0190a3c4-5e6f-7a8b-9c0d-000000000001";
const R_INCREMENT: &str = "0190a3c4-5e6f-7a8b-9c0d-000000000002";
const R_REFUSED: &str = "0190a3c4-5e6f-7a8b-9c0d-000000000003";
const R_PULLED: &str = "0190a3c4-5e6f-7a8b-9c0d-000000000004";
const R_WANTED: &str = "0190a3c4-5e6f-7a8b-9c0d-000000000005";
const R_EDIT: &str = "0190a3c4-5e6f-7a8b-9c0d-000000000006";
const HUB_STORE: &str = "00112233445566778899aabbccddeeff";
const SCOPE: &str = "UP-SIT";
/// 2024-06-01 00:00 UTC, in milliseconds.
const TIME: i64 = 1_717_200_000_000;

fn wid(id: &str) -> [u8; 16] {
    *uuid::Uuid::parse_str(id).unwrap().as_bytes()
}

fn commit(d: &mut Automerge, message: &str, f: impl FnOnce(&mut automerge::transaction::Transaction<'_>)) {
    let mut tx = d.transaction();
    f(&mut tx);
    tx.commit_with(CommitOptions::default().with_message(message.to_string()).with_time(TIME));
}

/// A survey response as a record, made by a fixed actor at a fixed time.
fn record(id: &str, name: &str, age: i64) -> Automerge {
    let mut d = Automerge::new().with_actor(ActorId::from(vec![0x5a; 16]));
    commit(&mut d, "create", |tx| {
        tx.put(ROOT, "id", id).unwrap();
        tx.put(ROOT, "kind", "response").unwrap();
        tx.put(ROOT, "scope", SCOPE).unwrap();
        tx.put(ROOT, "form_id", "household").unwrap();
        tx.put(ROOT, "form_version", "2024060101").unwrap();
        tx.put(ROOT, "status", "draft").unwrap();
        let answers = tx.put_object(ROOT, "answers", ObjType::Map).unwrap();
        tx.put(&answers, "head_name", name).unwrap();
        tx.put(&answers, "age", age).unwrap();
        tx.put_object(ROOT, "repeats", ObjType::Map).unwrap();
    });
    d
}

/// `record` and one more change to it: the record and the heads before that change.
fn edited(id: &str) -> (Automerge, Vec<automerge::ChangeHash>) {
    let mut d = record(id, "Meena", 41);
    let base = d.get_heads();
    let answers = d.get(ROOT, "answers").unwrap().unwrap().1;
    commit(&mut d, "answer", |tx| tx.put(&answers, "household_size", 5).unwrap());
    (d, base)
}

/// A device store holding exactly `docs`, applied from their bytes.
fn store_with(docs: &[(&str, &Automerge)]) -> Store {
    let s = Store::open_in_memory(Identity::field_worker("golden", "Golden")).unwrap();
    for (id, d) in docs {
        s.apply_changes(id, &d.save()).unwrap();
    }
    s
}

/// Whole records as they go on the wire (compact, transposed), from the engine itself.
fn whole(docs: &[(&str, &Automerge)]) -> wire::WholeBatch {
    SyncEngine::new(&store_with(docs)).next_request().unwrap().unwrap().push_whole
}

fn request() -> SyncRequest {
    let (edited, base) = edited(R_INCREMENT);
    let (one, one_base) = self::edited(R_EDIT);
    let (hash, rest) = sangam_core::sync::edit::compact(&one.save_after(&one_base), &one_base).expect("one change on its base");
    SyncRequest {
        hub_store: Some(HUB_STORE.into()),
        cursor: 0x1234_5678_9abc,
        cursor_token: Some(*b"cursor!!"),
        push: vec![PushDoc { id: wid(R_INCREMENT), heads: edited.get_heads().iter().map(|h| h.0).collect(), changes: edited.save_after(&base) }],
        push_edits: vec![PushEdit { id: wid(R_EDIT), head: sangam_core::sync::edit::prefix(&hash), change: rest }],
        push_whole: whole(&[(R_WHOLE, &record(R_WHOLE, "Asha", 34))]),
        want_full: vec![wid(R_WANTED)],
        max_pull_bytes: 2 * 1024 * 1024,
        signatures: vec![([0x5b; 32], sangam_core::sign::Sig([0x5c; 64]))],
        keys: vec![[0x5d; 32]],
        has_hub_key: false,
        wants_credential: true,
    }
}

fn response() -> SyncResponse {
    let (edited, base) = edited(R_INCREMENT);
    SyncResponse {
        hub_store: HUB_STORE.into(),
        cursor_reset: false,
        acks: vec![Ack { id: wid(R_WHOLE), heads: None }, Ack { id: wid(R_INCREMENT), heads: Some(vec![[0xab; 32]]) }],
        rejected: vec![Rejection { id: wid(R_REFUSED), reason: "scope 'UP-LKO' is not one of this device's".into() }],
        resend_full: vec![],
        pull: vec![PullDoc { id: wid(R_INCREMENT), changes: edited.save_after(&base) }],
        whole: whole(&[(R_PULLED, &record(R_PULLED, "Bina", 29))]),
        cursor: -0x0123_4567_89ab_cdef,
        cursor_token: Some(*b"token#02"),
        more: true,
        scopes: vec![SCOPE.into()],
        hub_key: Some([0x5e; 32]),
        credential: Some(sangam_core::credential::SignedCredential { body: vec![0x60; 40], issuer: [0x5e; 32], sig: sangam_core::sign::Sig([0x61; 64]) }),
    }
}

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn blessing() -> bool {
    std::env::var_os("SANGAM_BLESS_GOLDEN").is_some()
}

/// The golden file `name`; when blessing, `fresh` is written first.
fn golden(name: &str, fresh: &[u8]) -> Vec<u8> {
    if blessing() {
        std::fs::write(path(name), fresh).unwrap();
    }
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("{name}: {e}; create it with SANGAM_BLESS_GOLDEN=1"))
}

/// A frame's parts by hand, as docs/PROTOCOL.md lays them out: magic, version, the message's
/// length, and the zstd of its postcard bytes.
fn frame_parts(frame: &[u8]) -> (u16, Vec<u8>) {
    assert_eq!(&frame[..4], b"SGSY");
    let version = u16::from_le_bytes(frame[4..6].try_into().unwrap());
    let len = u64::from_le_bytes(frame[6..14].try_into().unwrap()) as usize;
    let raw = zstd::bulk::decompress(&frame[14..], len).unwrap();
    assert_eq!(raw.len(), len);
    (version, raw)
}

#[test]
fn the_golden_sync_request_decodes_and_is_what_the_encoder_writes() {
    let fresh = wire::encode(&request()).unwrap();
    let file = golden("request.sgsy", &fresh);
    let (version, raw) = frame_parts(&file);
    assert_eq!(version, 5);
    let req: SyncRequest = wire::decode(&file).unwrap();
    assert_eq!(postcard::to_stdvec(&req).unwrap(), raw, "the frame holds exactly the message");
    assert_eq!(req.hub_store.as_deref(), Some(HUB_STORE));
    assert_eq!((req.cursor, req.cursor_token), (0x1234_5678_9abc, Some(*b"cursor!!")));
    assert_eq!(req.push.len(), 1);
    assert_eq!(req.push[0].id, wid(R_INCREMENT));
    assert_eq!(req.push[0].heads.len(), 1);
    assert_eq!(req.push_edits.len(), 1);
    assert_eq!(req.push_edits[0].id, wid(R_EDIT));
    assert_eq!(req.push_whole.count, 1);
    assert_eq!(req.want_full, vec![wid(R_WANTED)]);
    assert_eq!(req.max_pull_bytes, 2 * 1024 * 1024);
    assert_eq!((req.signatures.len(), req.keys.len(), req.has_hub_key, req.wants_credential), (1, 1, false, true));
    assert_eq!(req, request(), "the golden request is the one built here");

    // A hub takes it: the whole record lands, the increment and the edit (whose base it lacks)
    // are asked for whole, and the cursor of another hub store starts over.
    let hub = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    hub.enable_serving().unwrap();
    let (resp, _) = hub.serve_sync(&PeerInfo::new("golden", Role::FieldWorker, vec![SCOPE.into()]), &req).unwrap();
    assert!(resp.rejected.is_empty(), "{:?}", resp.rejected);
    assert!(resp.cursor_reset);
    assert_eq!(resp.resend_full, vec![wid(R_INCREMENT), wid(R_EDIT)]);
    assert_eq!(hub.record_json(R_WHOLE, None).unwrap()["answers"]["head_name"], "Asha");

    assert_eq!(PROTOCOL_VERSION, 5, "a new protocol version needs new golden files");
    assert!(fresh == file, "today's encoder writes other bytes than request.sgsy (see the header of this file)");
}

#[test]
fn the_golden_sync_response_decodes_and_is_what_the_encoder_writes() {
    let fresh = wire::encode(&response()).unwrap();
    let file = golden("response.sgsy", &fresh);
    let (version, raw) = frame_parts(&file);
    assert_eq!(version, 5);
    let resp: SyncResponse = wire::decode(&file).unwrap();
    assert_eq!(postcard::to_stdvec(&resp).unwrap(), raw, "the frame holds exactly the message");
    assert_eq!(resp.hub_store, HUB_STORE);
    assert!(!resp.cursor_reset && resp.more);
    assert_eq!(resp.acks, vec![Ack { id: wid(R_WHOLE), heads: None }, Ack { id: wid(R_INCREMENT), heads: Some(vec![[0xab; 32]]) }]);
    assert_eq!(resp.rejected[0].id, wid(R_REFUSED));
    assert_eq!(resp.pull[0].id, wid(R_INCREMENT));
    assert_eq!(resp.whole.count, 1);
    assert_eq!((resp.cursor, resp.cursor_token), (-0x0123_4567_89ab_cdef, Some(*b"token#02")));
    assert_eq!(resp.scopes, vec![SCOPE.to_string()]);
    assert_eq!(resp.hub_key, Some([0x5e; 32]));
    assert_eq!(resp.credential.as_ref().map(|c| (c.body.len(), c.issuer)), Some((40, [0x5e; 32])));
    assert_eq!(resp, response(), "the golden response is the one built here");

    // A device applies it: the whole record arrives, the increment it cannot apply is asked
    // for whole next, the refusal is reported, and the cursor is kept.
    let phone = Store::open_in_memory(Identity::field_worker("golden", "Golden")).unwrap();
    let mut engine = SyncEngine::new(&phone);
    engine.next_request().unwrap();
    engine.handle_response(resp, 0, file.len() as u64).unwrap();
    assert_eq!(phone.record_json(R_PULLED, None).unwrap()["answers"]["head_name"], "Bina");
    let next = engine.next_request().unwrap().unwrap();
    assert_eq!(next.want_full, vec![wid(R_INCREMENT)]);
    assert_eq!((next.hub_store.as_deref(), next.cursor), (Some(HUB_STORE), -0x0123_4567_89ab_cdef));
    assert_eq!(engine.finish().rejected, vec![(R_REFUSED.to_string(), "scope 'UP-LKO' is not one of this device's".to_string())]);
    assert_eq!(phone.enrolled_scopes(), Some(vec![SCOPE.to_string()]));
    assert!(phone.credential().unwrap().is_none(), "a credential whose signature fails is not kept");

    assert!(fresh == file, "today's encoder writes other bytes than response.sgsy (see the header of this file)");
}

/// A bundle's parts by hand, as docs/PROTOCOL.md lays them out: magic, version, the header
/// (postcard), the body (its decompressed length, then zstd of postcard) and the writer's
/// signature of the SHA-256 of everything before it.
fn bundle_parts(file: &[u8]) -> (u16, &[u8], &[u8]) {
    use sha2::Digest;
    assert_eq!(&file[..4], b"SGBN");
    let version = u16::from_le_bytes(file[4..6].try_into().unwrap());
    let header_len = u32::from_le_bytes(file[6..10].try_into().unwrap()) as usize;
    let header = &file[10..10 + header_len];
    let at = 10 + header_len;
    let body_len = u64::from_le_bytes(file[at..at + 8].try_into().unwrap()) as usize;
    let body = &file[at + 8..at + 8 + body_len];
    let mut end = at + 8 + body_len;
    if version >= 4 {
        // The media section: its length, then postcard of the files (none here).
        let media_len = u64::from_le_bytes(file[end..end + 8].try_into().unwrap()) as usize;
        assert_eq!(&file[end + 8..end + 8 + media_len], &[0], "these records name no media: an empty list");
        end += 8 + media_len;
    }
    assert_eq!(file.len(), end + 64, "nothing after the signature");
    let header: sangam_core::sync::BundleHeader = postcard::from_bytes(header).unwrap();
    let digest: [u8; 32] = sha2::Sha256::digest(&file[..end]).into();
    let sig = sangam_core::sign::Sig(file[end..].try_into().unwrap());
    assert!(sangam_core::sign::verify_bundle(&header.key, &digest, &sig), "signed by the key the header names");
    assert_eq!(header.source, hex::encode(sangam_core::sign::device_of_key(&header.key)));
    let header = &file[10..10 + header_len];
    let raw_len = u64::from_le_bytes(body[..8].try_into().unwrap()) as usize;
    assert_eq!(zstd::bulk::decompress(&body[8..], raw_len).unwrap().len(), raw_len);
    (version, header, body)
}

#[test]
fn the_golden_bundle_imports_and_its_body_is_what_the_encoder_writes() {
    let (edited, _) = edited(R_INCREMENT);
    let docs = [(R_WHOLE, record(R_WHOLE, "Asha", 34)), (R_INCREMENT, edited)];
    let docs: Vec<(&str, &Automerge)> = docs.iter().map(|(id, d)| (*id, d)).collect();
    let fresh = store_with(&docs).export_bundle(&BundleOptions::default()).unwrap();
    let file = golden("bundle.sgbn", &fresh);

    let (version, header_bytes, body) = bundle_parts(&file);
    assert_eq!(version, 5);
    let header = bundle_header(&file).unwrap();
    assert_eq!(postcard::to_stdvec(&header).unwrap(), header_bytes);
    assert_eq!(header.exported_by, "golden");
    assert!(header.scopes.is_empty() && !header.since_upstream);
    assert_eq!(header.records, 2);
    assert!(header.source.len() == 32 && hex::decode(&header.source).is_ok(), "{}", header.source);
    assert!(header.created_ms > TIME, "{}", header.created_ms);

    let hub = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    let report = hub.import_bundle(&file, None).unwrap();
    assert_eq!((report.changed, report.rejected.len()), (2, 0), "{report:?}");
    assert_eq!(hub.record_json(R_WHOLE, None).unwrap()["answers"]["head_name"], "Asha");
    let r = hub.record_json(R_INCREMENT, None).unwrap();
    assert_eq!((r["answers"]["head_name"].as_str(), r["answers"]["household_size"].as_i64()), (Some("Meena"), Some(5)));

    // The writer's key and device id and the export time differ from one export to the next;
    // the body (the records) does not.
    let (_, fresh_header, fresh_body) = bundle_parts(&fresh);
    let fresh_header: sangam_core::sync::BundleHeader = postcard::from_bytes(fresh_header).unwrap();
    assert_eq!(sangam_core::sync::BundleHeader { source: header.source.clone(), key: header.key, created_ms: header.created_ms, ..fresh_header }, header);
    assert!(fresh_body == body, "today's encoder writes another bundle body than bundle.sgbn (see the header of this file)");
}

/// Bundles of earlier versions (3, before media; 4, before credentials) still import: a stick
/// written by an older phone is not refused.
#[test]
fn a_version_4_bundle_still_imports() {
    let file = std::fs::read(path("bundle-v4.sgbn")).unwrap();
    let (version, _, _) = bundle_parts(&file);
    assert_eq!(version, 4);
    let hub = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    let report = hub.import_bundle(&file, None).unwrap();
    assert_eq!((report.changed, report.rejected.len(), report.media), (2, 0, 0), "{report:?}");
    let phone = Store::open_in_memory(Identity::field_worker("p", "P")).unwrap();
    let report = phone.import_bundle_on_device(&file).unwrap();
    assert_eq!((report.changed, report.rejected.len()), (2, 0), "{report:?}");
    assert_eq!(phone.record_json(R_WHOLE, None).unwrap()["answers"]["head_name"], "Asha");
}

#[test]
fn a_version_3_bundle_still_imports() {
    let file = std::fs::read(path("bundle-v3.sgbn")).unwrap();
    let (version, _, v3_body) = bundle_parts(&file);
    assert_eq!(version, 3);
    let hub = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    let report = hub.import_bundle(&file, None).unwrap();
    assert_eq!((report.changed, report.rejected.len(), report.media), (2, 0, 0), "{report:?}");
    assert_eq!(hub.record_json(R_WHOLE, None).unwrap()["answers"]["head_name"], "Asha");
    // Its records are encoded as version 4's are.
    let v4 = std::fs::read(path("bundle-v4.sgbn")).unwrap();
    let (_, _, v4_body) = bundle_parts(&v4);
    assert!(v3_body == v4_body);
}
