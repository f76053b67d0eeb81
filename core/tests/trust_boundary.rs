//! The trust boundary, attacked as a field worker with one enrolled phone would: crafted records
//! pushed straight at a hub's `serve_sync` (and through a bundle). Each attack once took a hub
//! down, forged a coordinator's authority or poisoned a record; each must now be refused with a
//! reason while the hub stays up and every honest write still lands.

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ReadDoc, ROOT};
use sangam_core::sync::wire::PushDoc;
use sangam_core::sync::{InProcess, PeerInfo, SyncEngine, SyncOptions, SyncRequest};
use sangam_core::*;

fn hub() -> Store {
    let h = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    h.enable_serving().unwrap();
    h
}

fn peer(name: &str, scopes: &[&str], role: Role) -> PeerInfo {
    PeerInfo::new(name, role, scopes.iter().map(|s| s.to_string()).collect())
}

fn wire(id: &str) -> [u8; 16] {
    *uuid::Uuid::parse_str(id).unwrap().as_bytes()
}

/// Pushes raw `changes` for record `id` as `p`; returns the hub's answer.
fn push(h: &Store, p: &PeerInfo, id: &str, changes: Vec<u8>) -> sangam_core::sync::SyncResponse {
    let req = SyncRequest {
        push: vec![PushDoc { id: wire(id), heads: vec![], changes }],
        max_pull_bytes: 1 << 20,
        ..Default::default()
    };
    h.serve_sync(p, &req).unwrap().0
}

/// A full sync of `dev` with `h` as `p`, through the real engine.
fn sync(dev: &Store, h: &Store, p: &PeerInfo) -> sangam_core::sync::SyncReport {
    let mut hub = InProcess::new(h, p);
    let report = dev.sync_with(&mut hub, &SyncOptions::default()).unwrap();
    assert!(hub.frames.len() < 20, "sync did not finish");
    report
}

fn response(s: &Store, scope: &str) -> String {
    s.create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: scope.into(), subject_id: None })
        .unwrap()
}

/// The record's document as raw automerge, with an actor of the attacker's choosing.
fn raw(s: &Store, id: &str, actor: u8) -> Automerge {
    let mut d = Automerge::load(&s.export_changes(id, &[]).unwrap()).unwrap();
    d.set_actor(ActorId::from(vec![actor; 16]));
    d
}

fn nest(tx: &mut impl Transactable, at: &automerge::ObjId, key: &str, depth: usize) {
    let mut obj = tx.put_object(at, key, ObjType::Map).unwrap();
    for i in 0..depth {
        obj = tx.put_object(&obj, format!("d{i}"), ObjType::Map).unwrap();
    }
}

#[test]
fn a_deeply_nested_concurrent_answer_is_refused_and_the_hub_stays_up() {
    let h = hub();
    let fw = peer("fw", &["S"], Role::FieldWorker);
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&phone, "S");
    // Two concurrent values of answers.x: a string, and a map nested 1000 deep.
    let mut left = raw(&phone, &r, 1);
    let mut right = left.fork().with_actor(ActorId::from(vec![2; 16]));
    let answers = left.get(&ROOT, "answers").unwrap().unwrap().1;
    let mut tx = left.transaction();
    tx.put(&answers, "x", "plain").unwrap();
    tx.commit();
    let mut tx = right.transaction();
    nest(&mut tx, &answers, "x", 1000);
    tx.commit();
    left.merge(&mut right).unwrap();
    let resp = push(&h, &fw, &r, left.save());
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert!(resp.rejected[0].reason.contains("nested too deep"), "{}", resp.rejected[0].reason);
    assert!(h.summary(&r).is_err(), "nothing of the refused record is kept");

    // The same record in a bundle is refused the same way, by a phone too.
    let victim = Store::open_in_memory(Identity::field_worker("v", "V")).unwrap();
    let e = victim.apply_changes(&r, &left.save()).unwrap_err().to_string();
    assert!(e.contains("nested too deep"), "{e}");

    // And the honest record still lands.
    let report = sync(&phone, &h, &fw);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(h.summary(&r).unwrap().kind, Kind::Response);
}

#[test]
fn visible_nesting_thousands_deep_is_refused_quickly() {
    let h = hub();
    let fw = peer("fw", &["S"], Role::FieldWorker);
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&phone, "S");
    sync(&phone, &h, &fw);
    let mut d = raw(&phone, &r, 3);
    let before = d.get_heads();
    let answers = d.get(&ROOT, "answers").unwrap().unwrap().1;
    let mut tx = d.transaction();
    nest(&mut tx, &answers, "deep", 6000);
    tx.commit();
    let started = std::time::Instant::now();
    let resp = push(&h, &fw, &r, d.save_after(&before));
    assert_eq!(resp.rejected.len(), 1);
    assert!(resp.rejected[0].reason.contains("nested too deep"));
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(h.record_json(&r, None).unwrap()["answers"].get("deep").is_none());
}

#[test]
fn a_field_worker_cannot_write_a_review_even_one_that_loses_a_conflict() {
    let h = hub();
    let fw = peer("fw", &["S"], Role::FieldWorker);
    let co = peer("co", &["S"], Role::Coordinator);
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let coord = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let r = response(&phone, "S");
    sync(&phone, &h, &fw);
    // The attacker writes a review map concurrently with the coordinator's.
    let mut forged = raw(&phone, &r, 0x01); // low actor: its map loses to the coordinator's
    let base = forged.get_heads();
    let mut tx = forged.transaction();
    let m = tx.put_object(ROOT, "review", ObjType::Map).unwrap();
    tx.put(&m, "state", "approved").unwrap();
    let comments = tx.put_object(&m, "comments", ObjType::Map).unwrap();
    let c = tx.put_object(&comments, "forged", ObjType::Map).unwrap();
    tx.put(&c, "by", "c").unwrap();
    tx.put(&c, "text", "looks fine").unwrap();
    tx.commit();
    sync(&coord, &h, &co);
    coord.set_review(&r, ReviewState::HasIssues, Some("age missing")).unwrap();
    sync(&coord, &h, &co);

    let resp = push(&h, &fw, &r, forged.save_after(&base));
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert!(resp.rejected[0].reason.contains("may not write 'review'"), "{}", resp.rejected[0].reason);
    let review = h.review(&r).unwrap();
    assert_eq!(review.state, ReviewState::HasIssues);
    assert!(review.comments.iter().all(|c| c.text != "looks fine"));
    assert!(!review.conflicted);
}

#[test]
fn identity_fields_cannot_be_rewritten_even_concurrently() {
    let h = hub();
    let fw = peer("fw", &["S"], Role::FieldWorker);
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&phone, "S");
    sync(&phone, &h, &fw);
    let mut d = raw(&phone, &r, 9);
    let base = d.get_heads();
    let mut tx = d.transaction();
    tx.put(ROOT, "created_by", "coord1").unwrap();
    tx.commit();
    let resp = push(&h, &fw, &r, d.save_after(&base));
    assert_eq!(resp.rejected.len(), 1);
    assert!(resp.rejected[0].reason.contains("created_by"), "{}", resp.rejected[0].reason);
}

/// A change on `r` whose dependency the hub lacks: `phone` makes one edit it does not send,
/// then a second on top; the second alone is returned.
fn orphan_change(phone: &Store, r: &str, key: &str) -> Vec<u8> {
    phone.set_answer(r, &format!("{key}-hidden"), &FieldValue::Int(1)).unwrap();
    let mid = phone.heads(r).unwrap();
    phone.set_answer(r, key, &FieldValue::Text("x".repeat(64))).unwrap();
    phone.export_changes(r, &mid).unwrap()
}

#[test]
fn a_parked_change_from_another_scope_is_refused_and_never_blocks_the_owner() {
    let h = hub();
    let owner = peer("owner", &["A"], Role::FieldWorker);
    let intruder = peer("intruder", &["B"], Role::FieldWorker);
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&phone, "A");
    sync(&phone, &h, &owner);
    // The intruder (scope B) gets a copy of the record somehow and parks a change on it.
    let other = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    other.apply_changes(&r, &phone.export_changes(&r, &[]).unwrap()).unwrap();
    let resp = push(&h, &intruder, &r, orphan_change(&other, &r, "poison"));
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert!(resp.resend_full.is_empty());
    assert_eq!(h.pending_count().unwrap(), 0);

    // Even a change parked by someone allowed to does not make the owner's pushes wait.
    let colleague = peer("colleague", &["A"], Role::FieldWorker);
    let third = Store::open_in_memory(Identity::field_worker("c", "C")).unwrap();
    third.apply_changes(&r, &phone.export_changes(&r, &[]).unwrap()).unwrap();
    let resp = push(&h, &colleague, &r, orphan_change(&third, &r, "later"));
    assert_eq!(resp.resend_full.len(), 1);
    assert_eq!(h.pending_count().unwrap(), 1);
    for i in 0..3 {
        phone.set_answer(&r, "q", &FieldValue::Int(i)).unwrap();
        let report = sync(&phone, &h, &owner);
        assert!(report.rejected.is_empty());
        assert_eq!(phone.unsynced_count().unwrap(), 0, "the owner's edit {i} was not acknowledged");
    }
    assert_eq!(h.response(&r).unwrap().answers["q"], FieldValue::Int(2));
}

#[test]
fn parking_is_bounded_per_device() {
    let h = hub();
    let fw = peer("fw", &["S"], Role::FieldWorker);
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let mut records = Vec::new();
    for _ in 0..40 {
        records.push(response(&phone, "S"));
    }
    sync(&phone, &h, &fw);
    let mut parked_bytes = 0;
    for r in &records {
        for k in 0..20 {
            let bytes = orphan_change(&phone, r, &format!("k{k}"));
            parked_bytes += bytes.len();
            push(&h, &fw, r, bytes);
        }
    }
    let pending = h.pending_count().unwrap();
    assert!(pending <= sangam_core::store::PENDING_PER_PEER, "{pending} parked");
    assert!(pending > 0);
    assert!(parked_bytes > 0);
    // The phone still syncs everything: what was not parked is sent whole.
    let report = sync(&phone, &h, &fw);
    assert!(report.rejected.is_empty());
    assert_eq!(phone.unsynced_count().unwrap(), 0);
    for r in &records {
        assert_eq!(h.record_json(r, None).unwrap(), phone.record_json(r, None).unwrap());
    }
}

#[test]
fn a_parked_review_completed_by_a_coordinator_is_checked_against_its_sender() {
    let h = hub();
    let fw = peer("fw", &["S"], Role::FieldWorker);
    let co = peer("co", &["S"], Role::Coordinator);
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&phone, "S");
    sync(&phone, &h, &fw);
    // The field worker makes an innocent change C1 and, on top, a review change C2; it pushes
    // only C2, which waits for C1.
    let mut d = raw(&phone, &r, 7);
    let base = d.get_heads();
    let answers = d.get(&ROOT, "answers").unwrap().unwrap().1;
    let mut tx = d.transaction();
    tx.put(&answers, "innocent", 1).unwrap();
    tx.commit();
    let c1 = d.save_after(&base);
    let mid = d.get_heads();
    let mut tx = d.transaction();
    let m = tx.put_object(ROOT, "review", ObjType::Map).unwrap();
    tx.put(&m, "state", "approved").unwrap();
    tx.commit();
    let resp = push(&h, &fw, &r, d.save_after(&mid));
    assert_eq!(resp.resend_full.len(), 1);
    // A coordinator's phone relays C1 (say, from a bundle).
    let resp = push(&h, &co, &r, c1);
    assert_eq!(resp.acks.len(), 1, "{resp:?}");
    assert_eq!(h.response(&r).unwrap().answers["innocent"], FieldValue::Int(1));
    let json = h.record_json(&r, None).unwrap();
    assert!(json.get("review").is_none(), "the parked review took effect: {json}");
    assert_eq!(h.pending_count().unwrap(), 0, "the refused parked change is dropped");
}

/// Attack 8: a device's pull cursor once jumped to the hub-wide changelog position, so a field
/// worker of scope A could watch how busy scope B was. Now the cursor moves only with A's own
/// records and is sealed, and what B does leaves A's next answer byte-for-byte the same.
#[test]
fn a_devices_cursor_tells_nothing_of_other_scopes() {
    let h = hub();
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let (pa, pb) = (peer("a", &["A"], Role::FieldWorker), peer("b", &["B"], Role::FieldWorker));
    response(&a, "A");
    sync(&a, &h, &pa);
    let ask = |dev: &Store| {
        let mut engine = SyncEngine::new(dev);
        let req = engine.next_request().unwrap().unwrap();
        h.serve_sync(&pa, &req).unwrap().0
    };
    let before = ask(&a);
    for _ in 0..20 {
        response(&b, "B");
    }
    sync(&b, &h, &pb);
    let after = ask(&a);
    assert_eq!((before.cursor, before.cursor_token), (after.cursor, after.cursor_token), "B's activity moved A's cursor");
    // A's own new record moves it, to a value that does not count positions.
    let r = response(&a, "A");
    sync(&a, &h, &pa);
    let moved = ask(&a);
    assert_ne!(moved.cursor, after.cursor);
    assert!(moved.cursor.unsigned_abs() > 1 << 20, "the cursor is sealed, not a small position: {}", moved.cursor);
    assert!(a.summary(&r).is_ok());
}

fn device(s: &Store) -> [u8; 16] {
    hex::decode(s.device_id()).unwrap().try_into().unwrap()
}

/// `d` set to make changes as `user` on the device `dev` (an actor as our stores make them).
fn as_made_on(d: &mut Automerge, dev: [u8; 16], user: &str) {
    use sha2::Digest;
    let mut actor = dev.to_vec();
    actor.extend_from_slice(&[0xee; 4]);
    actor.extend_from_slice(&sha2::Sha256::digest(user.as_bytes())[..4]);
    // Setting the author draws a fresh actor, so the actor comes second.
    d.set_author(Some(automerge::Author::from(format!("{user}\u{1f}{user}").into_bytes())));
    d.set_actor(ActorId::from(actor));
}

/// A review change on `r` made on `dev` as `user`.
fn review_change(s: &Store, r: &str, dev: [u8; 16], user: &str) -> Vec<u8> {
    let mut d = Automerge::load(&s.export_changes(r, &[]).unwrap()).unwrap();
    as_made_on(&mut d, dev, user);
    let base = d.get_heads();
    let mut tx = d.transaction();
    let m = tx.put_object(ROOT, "review", ObjType::Map).unwrap();
    tx.put(&m, "state", "approved").unwrap();
    tx.commit();
    d.save_after(&base)
}

/// Attack 6: an author that does not match its actor, and a `created_by` naming someone other
/// than the author of the creating change, are refused.
#[test]
fn forged_authorship_is_refused() {
    let h = hub();
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let fw = peer("fw", &["S"], Role::FieldWorker).with_device(device(&phone));
    let r = response(&phone, "S");
    sync(&phone, &h, &fw);
    // Author "coord1" on an actor of the attacker's choosing.
    let mut d = raw(&phone, &r, 3);
    d.set_author(Some(automerge::Author::from(b"coord1\x1fCoordinator".to_vec())));
    d.set_actor(ActorId::from(vec![3u8; 24]));
    let base = d.get_heads();
    let answers = d.get(&ROOT, "answers").unwrap().unwrap().1;
    let mut tx = d.transaction();
    tx.put(&answers, "q", "forged").unwrap();
    tx.commit();
    let resp = push(&h, &fw, &r, d.save_after(&base));
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert!(resp.rejected[0].reason.contains("author does not match"), "{}", resp.rejected[0].reason);
    // A new record claiming to be created by coord1, written by the field worker.
    let mut n = Automerge::new();
    as_made_on(&mut n, device(&phone), "a");
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = n.transaction();
    for (k, v) in [("kind", "response"), ("id", id.as_str()), ("scope", "S"), ("created_by", "coord1"), ("form_id", "f"), ("form_version", "1"), ("status", "draft")] {
        tx.put(ROOT, k, v).unwrap();
    }
    tx.put(ROOT, "created_at", 1i64).unwrap();
    tx.put_object(ROOT, "answers", ObjType::Map).unwrap();
    tx.commit();
    let resp = push(&h, &fw, &id, n.save());
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert!(resp.rejected[0].reason.contains("created_by"), "{}", resp.rejected[0].reason);
    assert!(h.summary(&id).is_err());
}

/// Attack 6: a field worker's change relayed through a coordinator's phone is checked as the
/// field worker's; so is a change from a device the hub has never seen; the coordinator's own
/// review still lands.
#[test]
fn a_relayed_change_is_checked_against_the_device_that_made_it() {
    let h = hub();
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let coord = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let fw = peer("fw", &["S"], Role::FieldWorker).with_device(device(&phone));
    let co = peer("co", &["S"], Role::Coordinator).with_device(device(&coord));
    let r = response(&phone, "S");
    sync(&phone, &h, &fw);
    sync(&coord, &h, &co);
    // The field worker's own review change, handed to the coordinator's phone and pushed by it.
    let laundered = review_change(&phone, &r, device(&phone), "a");
    let resp = push(&h, &co, &r, laundered);
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    let why = &resp.rejected[0].reason;
    assert!(why.contains("may not write 'review'") && why.contains("made on device 'fw'"), "{why}");
    // A device no one enrolled: a field worker's authority, whoever relays it.
    let stranger = review_change(&phone, &r, [0x5a; 16], "c");
    let resp = push(&h, &co, &r, stranger);
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert!(h.record_json(&r, None).unwrap().get("review").is_none());
    // The coordinator's own review lands.
    coord.set_review(&r, ReviewState::Approved, None).unwrap();
    let rep = sync(&coord, &h, &co);
    assert!(rep.rejected.is_empty(), "{rep:?}");
    assert_eq!(h.review(&r).unwrap().state, ReviewState::Approved);
    // A device id belongs to one enrolment: another enrolment cannot claim it.
    let thief = peer("thief", &["S"], Role::Coordinator).with_device(device(&phone));
    let e = h.serve_sync(&thief, &SyncRequest::default()).unwrap_err().to_string();
    assert!(e.contains("enrolled as 'fw'"), "{e}");
}

/// Attack 6: a bundle is checked as from the device that wrote it: one written on a field
/// worker's phone cannot be imported as a coordinator's, and a phone importing someone's
/// bundle takes records from it, never a coordinator's authority.
#[test]
fn a_bundle_is_checked_as_from_its_writer_on_hubs_and_phones() {
    let h = hub();
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let fw = peer("fw", &["S"], Role::FieldWorker).with_device(device(&phone));
    let r = response(&phone, "S");
    sync(&phone, &h, &fw);
    // The field worker forges a review on its own phone and exports a bundle.
    phone.apply_changes(&r, &review_change(&phone, &r, device(&phone), "a")).unwrap();
    let bundle = phone.export_bundle(&Default::default()).unwrap();
    // Passed off as a coordinator's bundle at the hub: refused whole.
    let as_coord = peer("co", &["S"], Role::Coordinator);
    let e = h.import_bundle(&bundle, Some(&as_coord)).unwrap_err().to_string();
    assert!(e.contains("enrolled as 'fw'"), "{e}");
    // As its real sender: the review is refused, the rest lands.
    let rep = h.import_bundle(&bundle, Some(&peer("fw", &["S"], Role::FieldWorker))).unwrap();
    assert_eq!(rep.rejected.len(), 1, "{rep:?}");
    assert!(h.record_json(&r, None).unwrap().get("review").is_none());
    // Another phone (even a coordinator's) importing it takes the record without the review.
    let other = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let rep = other.import_bundle_on_device(&bundle).unwrap();
    assert_eq!(rep.rejected.len(), 1, "{rep:?}");
    assert!(rep.rejected[0].1.contains("review"), "{rep:?}");
    // A bundle written by the phone's own hub comes in whole: the hub checked it.
    let coord = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let co = peer("co", &["S"], Role::Coordinator).with_device(device(&coord));
    sync(&coord, &h, &co);
    coord.set_review(&r, ReviewState::Approved, None).unwrap();
    sync(&coord, &h, &co);
    let hub_bundle = h.export_bundle(&Default::default()).unwrap();
    let enrolled = Store::open_in_memory(Identity::field_worker("e", "E")).unwrap();
    sync(&enrolled, &h, &peer("e", &["S"], Role::FieldWorker).with_device(device(&enrolled)));
    let rep = enrolled.import_bundle_on_device(&hub_bundle).unwrap();
    assert!(rep.rejected.is_empty(), "{rep:?}");
    // The same hub bundle on a phone that never synced with that hub: checked strictly.
    let stranger = Store::open_in_memory(Identity::field_worker("s", "S")).unwrap();
    assert_eq!(stranger.import_bundle_on_device(&hub_bundle).unwrap().rejected.len(), 1);
    // Its own work in a bundle comes back whole to the phone that made it.
    let mine = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r2 = response(&mine, "S");
    let b2 = mine.export_bundle(&Default::default()).unwrap();
    let fresh = Store::open_in_memory(Identity::field_worker("z", "Z")).unwrap();
    assert!(fresh.import_bundle_on_device(&b2).unwrap().rejected.is_empty());
    assert!(fresh.summary(&r2).is_ok());
}

fn keyed(name: &str, scopes: &[&str], role: Role, s: &Store) -> PeerInfo {
    peer(name, scopes, role).with_key(s.device_key().public())
}

/// The hash of the one change `bytes` holds.
fn change_hash(bytes: &[u8]) -> [u8; 32] {
    automerge::Change::from_bytes(bytes.to_vec()).unwrap().hash().0
}

/// A device id is its key's: a request naming another device's id, or signed by another key,
/// or with a signature of other bytes, is refused before anything is read.
#[test]
fn a_device_id_cannot_be_claimed_without_its_key() {
    use sangam_core::sync::protocol::{check_device_proof, device_proof};
    let victim = Store::open_in_memory(Identity::field_worker("v", "V")).unwrap();
    let thief = sangam_core::sign::DeviceKey::generate().unwrap();
    let body = b"a request body";
    let vid = victim.device_id();
    let proof = |key: [u8; 32], sig: sangam_core::sign::Sig| format!("{}{}", hex::encode(key), hex::encode(sig.0));
    // The thief's own key, the victim's id.
    let e = check_device_proof(Some(&vid), Some(&proof(thief.public(), thief.sign_request(&device(&victim), body))), body).unwrap_err();
    assert!(e.contains("not the id of the key"), "{e}");
    // The victim's public key (it is no secret), the thief's signature.
    let e = check_device_proof(Some(&vid), Some(&proof(victim.device_key().public(), thief.sign_request(&device(&victim), body))), body).unwrap_err();
    assert!(e.contains("does not match"), "{e}");
    // The victim's real proof of another request, replayed with this body.
    let other = device_proof(&victim.device_key(), b"another body");
    assert!(check_device_proof(Some(&vid), Some(&other), body).is_err());
    // Headers missing or short: a clear reason.
    let e = check_device_proof(None, Some(&other), body).unwrap_err();
    assert!(e.contains("X-Sangam-Device"), "{e}");
    assert!(check_device_proof(Some(&vid), Some("abcd"), body).unwrap_err().contains("X-Sangam-Proof"));
    // The real thing passes and gives the key.
    let ok = check_device_proof(Some(&vid), Some(&device_proof(&victim.device_key(), body)), body).unwrap();
    assert_eq!(ok, victim.device_key().public());
    // And the id is derived from the key: a new store's store id is its device id.
    assert_eq!(hex::encode(sangam_core::sign::device_of_key(&ok)), vid);
    assert_eq!(victim.store_id(), vid);
}

/// Record-id squatting: a device that learns a record's id before its owner syncs cannot take
/// the id with a record of its own, nor with a creation it claims its owner made; the owner's
/// record then lands untouched.
#[test]
fn a_record_id_cannot_be_squatted_before_its_owner_syncs() {
    let h = hub();
    let owner = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let squatter = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let fa = keyed("fa", &["S"], Role::FieldWorker, &owner);
    let fb = keyed("fb", &["S", "T"], Role::FieldWorker, &squatter);
    let r = response(&owner, "S");
    owner.set_answer(&r, "q", &FieldValue::Text("the owner's answer".into())).unwrap();
    // A record of the squatter's own under the learnt id, in another scope.
    let fake = |dev: [u8; 16], user: &str| {
        let mut n = Automerge::new();
        as_made_on(&mut n, dev, user);
        let mut tx = n.transaction();
        for (k, v) in [("kind", "response"), ("id", r.as_str()), ("scope", "T"), ("created_by", user), ("form_id", "f"), ("form_version", "1"), ("status", "draft")] {
            tx.put(ROOT, k, v).unwrap();
        }
        tx.put(ROOT, "created_at", 1i64).unwrap();
        tx.put_object(ROOT, "answers", ObjType::Map).unwrap();
        tx.commit();
        n.save()
    };
    let resp = push(&h, &fb, &r, fake(device(&squatter), "b"));
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert!(resp.rejected[0].reason.contains("created on another device"), "{}", resp.rejected[0].reason);
    // The same, claiming to be the owner's creation (no signature of the owner's key).
    let resp = push(&h, &fb, &r, fake(device(&owner), "a"));
    assert_eq!(resp.rejected.len(), 1, "{resp:?}");
    assert!(resp.rejected[0].reason.contains("is not that device's"), "{}", resp.rejected[0].reason);
    assert!(h.summary(&r).is_err(), "nothing stored under the owner's id");
    // The owner's record lands as the owner wrote it.
    let rep = sync(&owner, &h, &fa);
    assert!(rep.rejected.is_empty(), "{rep:?}");
    let j = h.record_json(&r, None).unwrap();
    assert_eq!((j["scope"].as_str(), j["answers"]["q"].as_str()), (Some("S"), Some("the owner's answer")));
}

/// A change signed by its maker keeps its maker's authority whoever relays it: a coordinator's
/// review carried by a field worker's phone lands. The same review signed by anyone else, or
/// unsigned, gets no more than the relaying field worker may do.
#[test]
fn a_signed_relayed_change_keeps_its_makers_authority_and_a_forged_one_does_not() {
    use sangam_core::sign::Sig;
    let h = hub();
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let coord = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let fw = keyed("fw", &["S"], Role::FieldWorker, &phone);
    let co = keyed("co", &["S"], Role::Coordinator, &coord);
    let r = response(&phone, "S");
    sync(&phone, &h, &fw);
    sync(&coord, &h, &co);
    let review = review_change(&coord, &r, device(&coord), "c");
    let hash = change_hash(&review);
    let relay = |sig: Sig, key: [u8; 32]| {
        let req = SyncRequest {
            push: vec![PushDoc { id: wire(&r), heads: vec![], changes: review.clone() }],
            signatures: vec![(hash, sig)],
            keys: vec![key],
            max_pull_bytes: 1 << 20,
            ..Default::default()
        };
        h.serve_sync(&fw, &req).unwrap().0
    };
    // Unsigned, signed by the field worker, or a signature of another change: refused.
    let unsigned = push(&h, &fw, &r, review.clone());
    assert_eq!(unsigned.rejected.len(), 1, "{unsigned:?}");
    let by_fw = relay(phone.device_key().sign_change(&hash), phone.device_key().public());
    assert_eq!(by_fw.rejected.len(), 1, "{by_fw:?}");
    let other = relay(coord.device_key().sign_change(&[0u8; 32]), coord.device_key().public());
    assert_eq!(other.rejected.len(), 1, "{other:?}");
    assert!(h.record_json(&r, None).unwrap().get("review").is_none());
    // Signed by the coordinator's key (as a bundle from the coordinator's phone carries it).
    let signed = relay(coord.device_key().sign_change(&hash), coord.device_key().public());
    assert!(signed.rejected.is_empty(), "{signed:?}");
    assert_eq!(h.review(&r).unwrap().state, ReviewState::Approved);
}

/// Bundles are signed by their writer: a bundle altered by one byte, or relabelled with another
/// device's key, is refused whole; and a phone importing someone's bundle gives changes that
/// claim to be its own (without its signature) no more than the bundle's writer may do.
#[test]
fn a_bundle_is_signed_by_its_writer_and_a_claim_on_the_importers_device_needs_its_signature() {
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let coord = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let r = response(&phone, "S");
    let bundle = phone.export_bundle(&Default::default()).unwrap();
    for at in [12, bundle.len() / 2, bundle.len() - 1] {
        let mut bad = bundle.clone();
        bad[at] ^= 1;
        let e = coord.import_bundle_on_device(&bad).unwrap_err().to_string();
        assert!(e.contains("damaged") || e.contains("malformed") || e.contains("Sangam bundle"), "byte {at}: {e}");
    }
    assert!(coord.summary(&r).is_err(), "nothing of an altered bundle is imported");
    // A review forged on the field worker's phone as if the coordinator's phone had made it.
    phone.apply_changes(&r, &review_change(&phone, &r, device(&coord), "c")).unwrap();
    let forged = phone.export_bundle(&Default::default()).unwrap();
    let rep = coord.import_bundle_on_device(&forged).unwrap();
    assert_eq!(rep.rejected.len(), 1, "{rep:?}");
    assert!(rep.rejected[0].1.contains("review"), "{rep:?}");
    assert!(coord.summary(&r).is_err());
    // The coordinator's own review, exported, then imported into the same phone restored from a
    // backup taken before it: signed by its key, so it keeps its authority.
    let dir = tempfile::tempdir().unwrap();
    let (live, backup) = (dir.path().join("c.db"), dir.path().join("backup.db"));
    let own = Store::open(&live, Identity::coordinator("c", "C")).unwrap();
    let r2 = response(&own, "S");
    own.checkpoint().unwrap();
    drop(own);
    std::fs::copy(&live, &backup).unwrap();
    let own = Store::open(&live, Identity::coordinator("c", "C")).unwrap();
    own.set_review(&r2, ReviewState::Approved, None).unwrap();
    let b = own.export_bundle(&Default::default()).unwrap();
    drop(own);
    let restored = Store::open(&backup, Identity::coordinator("c", "C")).unwrap();
    assert!(restored.review(&r2).is_err() || restored.review(&r2).unwrap().state != ReviewState::Approved);
    let rep = restored.import_bundle_on_device(&b).unwrap();
    assert!(rep.rejected.is_empty(), "{rep:?}");
    assert_eq!(restored.review(&r2).unwrap().state, ReviewState::Approved);
}

/// A coordinator's work carried phone to phone, with no hub in reach: the hub vouches for each
/// device's role in a credential the device keeps, which travels in its bundles. A phone of the
/// same hub takes a coordinator's review from the coordinator's bundle, and from a field
/// worker's bundle relaying it; a phone of another hub, or one that never synced, does not.
#[test]
fn a_coordinators_work_carries_its_hubs_word_from_phone_to_phone() {
    let h = hub();
    let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let third = Store::open_in_memory(Identity::field_worker("e", "E")).unwrap();
    let coord = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let fw = keyed("fw", &["S"], Role::FieldWorker, &phone);
    let r = response(&phone, "S");
    assert!(phone.credential().unwrap().is_none(), "no credential before the first sync");
    sync(&phone, &h, &fw);
    sync(&third, &h, &keyed("e", &["S"], Role::FieldWorker, &third));
    sync(&coord, &h, &keyed("co", &["S", "T"], Role::Coordinator, &coord));
    let c = coord.credential().unwrap().expect("the hub vouched for the coordinator");
    assert_eq!((c.role, c.name.as_str(), c.key), (Role::Coordinator, "co", coord.device_key().public()));
    assert_eq!(phone.credential().unwrap().unwrap().role, Role::FieldWorker);
    // The next sync asks for none: the credential holds for days yet.
    let mut t = InProcess::new(&h, &fw);
    phone.sync_with(&mut t, &SyncOptions::default()).unwrap();
    assert!(t.frames.iter().all(|(_, answer)| *answer < 600), "{:?}", t.frames);

    // Offline: the coordinator reviews and shares a bundle by Bluetooth.
    coord.set_review(&r, ReviewState::Approved, None).unwrap();
    let bundle = coord.export_bundle(&Default::default()).unwrap();
    let rep = phone.import_bundle_on_device(&bundle).unwrap();
    assert!(rep.rejected.is_empty(), "{rep:?}");
    assert!(rep.taken_as.starts_with("coordinator 'co', vouched for by this device's hub until"), "{}", rep.taken_as);
    assert_eq!(phone.review(&r).unwrap().state, ReviewState::Approved);
    // Relayed again, phone to phone: the field worker's bundle carries the coordinator's
    // signature and credential, so the third phone takes the review too.
    let relayed = phone.export_bundle(&Default::default()).unwrap();
    let rep = third.import_bundle_on_device(&relayed).unwrap();
    assert!(rep.rejected.is_empty(), "{rep:?}");
    assert!(rep.taken_as.starts_with("field-worker 'fw'"), "{}", rep.taken_as);
    assert_eq!(third.review(&r).unwrap().state, ReviewState::Approved);
    // And the field worker's phone hands it on to the hub with the coordinator's authority.
    let rep = sync(&phone, &h, &fw);
    assert!(rep.rejected.is_empty(), "{rep:?}");
    assert_eq!(h.review(&r).unwrap().state, ReviewState::Approved);

    // A phone of another hub cannot check the credential: a field worker's authority.
    let h2 = hub();
    let elsewhere = Store::open_in_memory(Identity::field_worker("x", "X")).unwrap();
    sync(&elsewhere, &h2, &keyed("x", &["S"], Role::FieldWorker, &elsewhere));
    let rep = elsewhere.import_bundle_on_device(&bundle).unwrap();
    assert_eq!(rep.rejected.len(), 1, "{rep:?}");
    assert!(rep.taken_as.starts_with("a field worker's"), "{}", rep.taken_as);
    // Nor can one that never synced.
    let fresh = Store::open_in_memory(Identity::field_worker("z", "Z")).unwrap();
    assert_eq!(fresh.import_bundle_on_device(&bundle).unwrap().rejected.len(), 1);
    // The credential's scopes bound it: what a coordinator of scope T only wrote in scope S is
    // refused, though S is the importing phone's scope.
    let tcoord = Store::open_in_memory(Identity::coordinator("t", "T")).unwrap();
    let outside = response(&tcoord, "S");
    sync(&tcoord, &h, &keyed("tco", &["T"], Role::Coordinator, &tcoord));
    let rep = phone.import_bundle_on_device(&tcoord.export_bundle(&Default::default()).unwrap()).unwrap();
    assert!(rep.taken_as.starts_with("coordinator 'tco'"), "{}", rep.taken_as);
    assert_eq!(rep.rejected.len(), 1, "{rep:?}");
    assert!(rep.rejected[0].1.contains("outside the scopes"), "{rep:?}");
    assert!(phone.summary(&outside).is_err());
}
