//! The sync engine without a network: devices and a hub store exchange encoded frames
//! in-process (`sync::InProcess`). (End-to-end tests over HTTP with a real hub live in the
//! `tests/` crate.)

use sangam_core::sync::{BundleOptions, InProcess, PeerInfo, SyncEngine, SyncOptions, SyncReport, Transport, TransportError};
use sangam_core::*;

fn hub() -> Store {
    let h = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    h.enable_serving().unwrap();
    h
}

fn peer(scopes: &[&str], role: Role) -> PeerInfo {
    PeerInfo::new("p", role, scopes.iter().map(|s| s.to_string()).collect())
}

/// Runs a whole sync through encoded frames; returns the report and the frames' sizes.
fn sync(dev: &Store, hub: &Store, p: &PeerInfo) -> (SyncReport, Vec<(usize, usize)>) {
    let mut hub = InProcess::new(hub, p);
    let report = dev.sync_with(&mut hub, &SyncOptions::default()).unwrap();
    assert!(hub.frames.len() < 50, "sync did not finish");
    (report, hub.frames)
}

/// The in-process hub behind a link that breaks after `left` round trips.
struct Breaks<'a> {
    hub: InProcess<'a>,
    left: usize,
}

impl Transport for Breaks<'_> {
    fn round_trip(&mut self, request: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        if self.left == 0 {
            return Err(TransportError::Unreachable("the link broke".into()));
        }
        self.left -= 1;
        self.hub.round_trip(request)
    }
}

fn response(s: &Store, scope: &str) -> String {
    s.create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: scope.into(), subject_id: None })
        .unwrap()
}

#[test]
fn two_devices_converge_through_the_hub_and_see_the_conflict() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let r = response(&a, "S");
    a.set_answer(&r, "q", &FieldValue::Int(1)).unwrap();
    sync(&a, &h, &p);
    sync(&b, &h, &p);
    assert_eq!(b.response(&r).unwrap().answers["q"], FieldValue::Int(1));
    a.set_answer(&r, "q", &FieldValue::Int(2)).unwrap();
    b.set_answer(&r, "q", &FieldValue::Int(3)).unwrap();
    b.set_answer(&r, "other", &FieldValue::Int(9)).unwrap();
    sync(&a, &h, &p);
    let (report, _) = sync(&b, &h, &p);
    assert_eq!(report.new_conflicts, vec![r.clone()]);
    sync(&a, &h, &p);
    assert_eq!(a.record_json(&r, None).unwrap(), b.record_json(&r, None).unwrap());
    assert_eq!(a.conflicts(&r).unwrap().len(), 1);
    assert_eq!(a.unsynced_count().unwrap(), 0);
    assert_eq!(b.unsynced_count().unwrap(), 0);
    // Lists say which records are not sent yet, without loading them.
    a.set_answer(&r, "q", &FieldValue::Int(4)).unwrap();
    let row = |s: &Store| s.list_responses(&ResponseFilter::default()).unwrap().into_iter().find(|x| x.id == r).unwrap();
    assert!(row(&a).unsynced && !row(&b).unsynced);
    sync(&a, &h, &p);
    assert!(!row(&a).unsynced);
}

#[test]
fn a_no_op_sync_is_one_tiny_request_whatever_the_store_size() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    for _ in 0..300 {
        response(&a, "S");
    }
    sync(&a, &h, &p);
    let (report, sizes) = sync(&a, &h, &p);
    assert_eq!(sizes.len(), 1, "one round trip");
    assert!(sizes[0].0 < 200 && sizes[0].1 < 200, "tiny frames: {sizes:?}");
    assert_eq!(report.progress.docs_sent + report.progress.docs_received, 0);
}

#[test]
fn an_edit_sends_only_the_change_not_the_record() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&a, "S");
    for i in 0..40 {
        a.set_answer(&r, &format!("q{i}"), &FieldValue::Text(format!("a long-ish answer number {i}"))).unwrap();
    }
    let (_, first) = sync(&a, &h, &p);
    a.set_answer(&r, "q1", &FieldValue::Int(7)).unwrap();
    let (_, second) = sync(&a, &h, &p);
    assert_eq!(second.len(), 1);
    assert!(second[0].0 * 2 < first[0].0, "increment {second:?} vs whole {first:?}");
    assert!(second[0].0 < 400, "one small change, one small frame: {second:?}");
    // The hub does not echo the push back.
    assert!(second[0].1 < 150, "{second:?}");
}

#[test]
fn a_one_change_edit_goes_without_the_hashes_the_hub_knows() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&a, "S");
    a.set_answer(&r, "q", &FieldValue::Int(1)).unwrap();
    sync(&a, &h, &p);
    a.set_answer(&r, "notes", &FieldValue::Text("Revisited.".into())).unwrap();
    let req = SyncEngine::new(&a).next_request().unwrap().unwrap();
    assert!(req.push.is_empty() && req.push_whole.is_empty(), "{req:?}");
    assert_eq!(req.push_edits.len(), 1);
    let edit = &req.push_edits[0];
    // No dependency hash and no heads travel: the change itself and an 8-byte hash prefix.
    let plain = a.export_changes(&r, &h.heads(&r).unwrap()).unwrap();
    assert!(edit.change.len() + 33 <= plain.len(), "{} vs {}", edit.change.len(), plain.len());
    assert_eq!(edit.head[..], hex::decode(&a.heads(&r).unwrap()[0]).unwrap()[..8]);
    let (report, frames) = sync(&a, &h, &p);
    assert!(report.rejected.is_empty() && frames.len() == 1, "{report:?} {frames:?}");
    assert_eq!(h.heads(&r).unwrap(), a.heads(&r).unwrap());
    assert_eq!(h.response(&r).unwrap().answers["notes"], FieldValue::Text("Revisited.".into()));
    // Nothing left to send.
    assert_eq!(sync(&a, &h, &p).1.len(), 1);
    assert!(SyncEngine::new(&a).next_request().unwrap().is_none_or(|q| q.push_edits.is_empty() && q.push.is_empty()));
}

#[test]
fn an_edit_made_on_heads_the_hub_has_moved_past_still_lands_and_both_values_stay() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let r = response(&a, "S");
    a.set_answer(&r, "q", &FieldValue::Int(1)).unwrap();
    sync(&a, &h, &p);
    sync(&b, &h, &p);
    // b's edit reaches the hub first; a's edit was made on the heads before it.
    b.set_answer(&r, "q", &FieldValue::Int(3)).unwrap();
    sync(&b, &h, &p);
    a.set_answer(&r, "q", &FieldValue::Int(2)).unwrap();
    assert_eq!(SyncEngine::new(&a).next_request().unwrap().unwrap().push_edits.len(), 1);
    let (report, _) = sync(&a, &h, &p);
    assert!(report.rejected.is_empty(), "{report:?}");
    sync(&b, &h, &p);
    for s in [&a, &b, &h] {
        assert_eq!(s.heads(&r).unwrap(), h.heads(&r).unwrap());
        assert_eq!(s.conflicts(&r).unwrap().len(), 1, "both values of q are kept");
    }
}

#[test]
fn a_forged_compact_edit_is_asked_for_whole_and_changes_nothing() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&a, "S");
    sync(&a, &h, &p);
    let before = h.heads(&r).unwrap();
    let wid = *uuid::Uuid::parse_str(&r).unwrap().as_bytes();
    for (head, change) in [([0u8; 8], vec![1, 2, 3]), ([7; 8], Vec::new())] {
        let req = sangam_core::sync::SyncRequest {
            push_edits: vec![sangam_core::sync::wire::PushEdit { id: wid, head, change }],
            max_pull_bytes: 1 << 20,
            ..Default::default()
        };
        let (resp, _) = h.serve_sync(&p, &req).unwrap();
        assert_eq!(resp.resend_full, vec![wid]);
        assert!(resp.acks.is_empty() && resp.rejected.is_empty());
    }
    assert_eq!(h.heads(&r).unwrap(), before);
}

#[test]
fn scopes_are_enforced_both_ways() {
    let h = hub();
    let pa = peer(&["A"], Role::FieldWorker);
    let pb = peer(&["B"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let ra = response(&a, "A");
    let outside = response(&a, "B"); // a's device is not enrolled for B
    let (report, _) = sync(&a, &h, &pa);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].0, outside);
    assert!(report.rejected[0].1.contains("scope"));
    assert!(h.summary(&outside).is_err(), "the hub never stored it");
    // Having learnt its scopes, the device refuses locally what the hub would refuse.
    assert_eq!(a.enrolled_scopes(), Some(vec!["A".to_string()]));
    assert!(matches!(
        a.create_subject(NewSubject::new("household", "B")),
        Err(Error::Forbidden(_))
    ));
    assert!(a.response(&outside).is_ok(), "the device keeps it");
    response(&b, "B");
    sync(&b, &h, &pb);
    assert!(b.summary(&ra).is_err(), "b never receives scope A");
}

#[test]
fn a_field_worker_cannot_write_coordinator_fields_at_the_hub() {
    let h = hub();
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let c = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let r = response(&a, "S");
    let x = Store::open_in_memory(Identity::field_worker("x", "X")).unwrap();
    x.apply_changes(&r, &a.export_changes(&r, &[]).unwrap()).unwrap();
    a.set_answer(&r, "q", &FieldValue::Int(1)).unwrap();
    x.set_answer(&r, "q", &FieldValue::Int(2)).unwrap();
    x.apply_changes(&r, &a.export_changes(&r, &[]).unwrap()).unwrap();
    c.apply_changes(&r, &x.export_changes(&r, &[]).unwrap()).unwrap();
    c.resolve_conflict(&r, "answers/q", &FieldValue::Int(3)).unwrap();
    // Relayed through a field worker's device, the coordinator's resolution is refused...
    a.apply_changes(&r, &c.export_changes(&r, &[]).unwrap()).unwrap();
    let (report, _) = sync(&a, &h, &peer(&["S"], Role::FieldWorker));
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    // ...and accepted from the coordinator's own device.
    let (report, _) = sync(&c, &h, &peer(&["S"], Role::Coordinator));
    assert!(report.rejected.is_empty(), "{report:?}");
}

#[test]
fn large_syncs_go_in_bounded_batches_and_resume() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    for _ in 0..120 {
        response(&a, "S");
    }
    // Push in batches of 25; the link breaks after two round trips.
    let mut link = Breaks { hub: InProcess::new(&h, &p), left: 2 };
    let e = a.sync_with(&mut link, &SyncOptions { batch_docs: 25, batch_bytes: 1 << 20, ..Default::default() }).unwrap_err();
    assert!(matches!(e, Error::Network(_)), "{e}");
    assert_eq!(a.unsynced_count().unwrap(), 70);
    let (_, sizes) = sync(&a, &h, &p);
    assert_eq!(a.unsynced_count().unwrap(), 0);
    assert!(!sizes.is_empty());
    // A new device pulls all 120 in pages.
    let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let mut engine = SyncEngine::new(&b).with_request_limits(25, 64 * 1024);
    let mut rounds = 0;
    while let Some(req) = engine.next_request().unwrap() {
        let mut req = req;
        req.max_pull_bytes = 1; // smallest page the hub allows
        let (resp, _) = h.serve_sync(&p, &req).unwrap();
        engine.handle_response(resp, 0, 0).unwrap();
        rounds += 1;
    }
    assert!(rounds >= 1);
    assert_eq!(b.list_responses(&ResponseFilter { limit: Some(1000), ..Default::default() }).unwrap().len(), 120);
}

#[test]
fn a_lost_response_is_harmless_the_retry_changes_nothing_twice() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&a, "S");
    a.set_answer(&r, "q", &FieldValue::Int(1)).unwrap();
    let mut engine = SyncEngine::new(&a);
    let req = engine.next_request().unwrap().unwrap();
    h.serve_sync(&p, &req).unwrap(); // the response never arrives
    h.serve_sync(&p, &req).unwrap(); // a replay of the same request
    let seq = h.last_seq().unwrap();
    sync(&a, &h, &p);
    assert_eq!(h.last_seq().unwrap(), seq, "nothing applied twice");
    assert_eq!(h.response(&r).unwrap().answers["q"], FieldValue::Int(1));
}

#[test]
fn a_hub_restored_from_an_old_copy_is_repaired_completely() {
    let dir = tempfile::tempdir().unwrap();
    let hub_path = dir.path().join("hub.db");
    let backup = dir.path().join("hub-backup.db");
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r1 = response(&a, "S");
    {
        let h = Store::open(&hub_path, Identity::new("hub", "Hub", Role::Admin)).unwrap();
        h.enable_serving().unwrap();
        sync(&a, &h, &p);
        h.checkpoint().unwrap();
        std::fs::copy(&hub_path, &backup).unwrap();
        let r2 = response(&a, "S");
        a.set_answer(&r1, "q", &FieldValue::Int(5)).unwrap();
        sync(&a, &h, &p);
        assert!(h.summary(&r2).is_ok());
    }
    // The hub's disk dies; the old backup is restored. Another device then writes.
    std::fs::copy(&backup, &hub_path).unwrap();
    let _ = std::fs::remove_file(dir.path().join("hub.db-wal"));
    let h = Store::open(&hub_path, Identity::new("hub", "Hub", Role::Admin)).unwrap();
    let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let rb = response(&b, "S");
    sync(&b, &h, &p);
    let (report, _) = sync(&a, &h, &p);
    assert!(report.reset, "a's cursor was issued by the lost hub");
    sync(&b, &h, &p);
    // Everything is back at the hub and on both devices.
    for id in a.changed_since(0, 1000).unwrap().into_iter().map(|(i, _)| i) {
        assert_eq!(h.heads(&id).unwrap(), a.heads(&id).unwrap());
        assert_eq!(b.heads(&id).unwrap(), a.heads(&id).unwrap());
    }
    assert!(a.summary(&rb).is_ok());
    assert_eq!(h.response(&r1).unwrap().answers["q"], FieldValue::Int(5));
}

#[test]
fn bundles_round_trip_import_twice_and_refuse_damage() {
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&a, "S");
    a.set_answer(&r, "q", &FieldValue::Text("saved offline".into())).unwrap();
    let m = a
        .create_meeting(NewMeeting {
            coalition: "DEC".into(),
            scope: "S".into(),
            date: "2026-11-29".into(),
            time: "10:00".into(),
            venue: "".into(),
            agenda: vec![],
        })
        .unwrap();
    let bundle = a.export_bundle(&BundleOptions::default()).unwrap();
    let hub = hub();
    let rep = hub.import_bundle(&bundle, Some(&peer(&["S"], Role::FieldWorker))).unwrap();
    assert_eq!(rep.changed, 2);
    assert_eq!(rep.header.as_ref().unwrap().records, 2);
    let again = hub.import_bundle(&bundle, None).unwrap();
    assert_eq!((again.changed, again.unchanged), (0, 2));
    assert_eq!(hub.response(&r).unwrap().answers["q"], FieldValue::Text("saved offline".into()));
    assert!(hub.meeting(&m).is_ok());
    assert_eq!(hub.heads(&r).unwrap(), a.heads(&r).unwrap(), "whole records arrive exactly as they left");
    assert_eq!(hub.heads(&m).unwrap(), a.heads(&m).unwrap());
    // Damage: truncation and bit flips anywhere are refused whole.
    let fresh = Store::open_in_memory(Identity::field_worker("z", "Z")).unwrap();
    for cut in [0, 3, 10, bundle.len() / 2, bundle.len() - 1] {
        assert!(fresh.import_bundle(&bundle[..cut], None).is_err());
    }
    for at in [6, 12, bundle.len() / 2, bundle.len() - 40, bundle.len() - 1] {
        let mut bad = bundle.clone();
        bad[at] ^= 0x20;
        let e = fresh.import_bundle(&bad, None).unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_) | Error::Incompatible(_)), "{e}");
    }
    assert_eq!(fresh.last_seq().unwrap(), 0, "nothing imported from a damaged bundle");
    // A bundle from a device enrolled elsewhere is checked like a sync.
    let rep = fresh.import_bundle(&bundle, Some(&peer(&["OTHER"], Role::FieldWorker))).unwrap();
    assert_eq!(rep.rejected.len(), 2);
    // Only-unsynced bundles carry just what the hub lacks.
    let h2 = self::hub();
    sync(&a, &h2, &peer(&["S"], Role::FieldWorker));
    a.set_answer(&r, "later", &FieldValue::Int(1)).unwrap();
    let small = a.export_bundle(&BundleOptions { only_unsynced: true, ..Default::default() }).unwrap();
    assert!(small.len() < bundle.len());
    let rep = h2.import_bundle(&small, None).unwrap();
    assert_eq!(rep.changed, 1);
    assert_eq!(h2.response(&r).unwrap().answers["later"], FieldValue::Int(1));
}

#[test]
fn the_hub_validates_submitted_responses_and_the_flags_come_back() {
    let h = hub();
    let def = sangam_core::forms::xlsform::import_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/forms/deep_listening.xlsx"))
        .expect("fixture imports");
    h.publish_form(&def, "S").unwrap();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    sync(&a, &h, &p);
    let r = a
        .create_response(NewResponse { form_id: def.form_id.clone(), form_version: def.version.clone(), scope: "S".into(), subject_id: None })
        .unwrap();
    // Submitted without the phone's own check (an old app, say): required answers are missing.
    a.set_response_status(&r, ResponseStatus::Submitted).unwrap();
    sync(&a, &h, &p);
    let flagged = a.response_validation(&r).unwrap().expect("the hub's validation came back");
    assert!(!flagged.ok && !flagged.violations.is_empty());
    assert_eq!(a.response(&r).unwrap().status, sangam_core::ResponseStatus::Submitted, "flagged, never dropped");
    assert!(a.conflicts(&r).unwrap().is_empty());
}

#[test]
fn a_push_of_many_slices_is_validated_as_it_lands_and_an_answer_put_right_changes_its_flag() {
    let h = hub();
    let def = sangam_core::forms::xlsform::import_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/forms/deep_listening.xlsx"))
        .expect("fixture imports");
    h.publish_form(&def, "S").unwrap();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    sync(&a, &h, &p);
    let new = |form_id: &str, version: &str| {
        a.create_response(NewResponse { form_id: form_id.into(), form_version: version.into(), scope: "S".into(), subject_id: None }).unwrap()
    };
    // More than two slices of submitted responses, unchecked on the phone, and one of a form
    // version the hub does not have: it is stored, with nothing to check it against.
    let ids: Vec<String> = (0..300).map(|_| new(&def.form_id, &def.version)).collect();
    let ghost = new("not_published", "1");
    for id in ids.iter().chain([&ghost]) {
        a.set_response_status(id, ResponseStatus::Submitted).unwrap();
    }
    sync(&a, &h, &p);
    for id in &ids {
        let v = h.response_validation(id).unwrap().expect("checked by the hub as it landed");
        assert!(!v.ok && !v.violations.is_empty());
        assert_eq!(v.checked_by, h.identity().user_id);
    }
    assert!(h.response_validation(&ghost).unwrap().is_none());
    assert_eq!(h.response(&ghost).unwrap().status, ResponseStatus::Submitted, "kept, unchecked");
    // The date put right on the phone: the hub's next check flags one violation fewer, and
    // that flag comes back to the phone.
    a.set_answer(&ids[0], "interview_date", &FieldValue::Text("2024-03-01".into())).unwrap();
    sync(&a, &h, &p);
    let before = h.response_validation(&ids[1]).unwrap().unwrap();
    let fixed = h.response_validation(&ids[0]).unwrap().unwrap();
    assert!(fixed.violations.len() < before.violations.len(), "{:?}", fixed.violations);
    sync(&a, &h, &p);
    assert_eq!(a.response_validation(&ids[0]).unwrap().unwrap().violations, fixed.violations);
}

#[test]
fn whole_records_travel_compact_both_ways_and_name_themselves() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let ids: Vec<String> = (0..20).map(|_| response(&a, "S")).collect();
    // A new record goes up whole and compact: no separate id, no head hashes, no checksum.
    let mut engine = SyncEngine::new(&a);
    let req = engine.next_request().unwrap().unwrap();
    assert_eq!((req.push.len(), req.push_whole.count), (0, 20));
    let b = &req.push_whole;
    let carried = b.heads.len()
        + b.layout.len()
        + b.tails.len()
        + b.columns.iter().map(|c| c.2.len()).sum::<usize>()
        + b.values.iter().map(|v| v.1.len()).sum::<usize>();
    let chunks: usize = ids.iter().map(|id| a.export_changes(id, &[]).unwrap().len()).sum();
    assert!(carried + 20 * 36 <= chunks, "{carried} B carried for {chunks} B of records");
    let (resp, stats) = h.serve_sync(&p, &req).unwrap();
    assert_eq!((resp.acks.len(), stats.docs_in), (20, 20));
    assert!(resp.acks.iter().all(|ack| ack.heads.is_none()), "the hub derived the same heads");
    engine.handle_response(resp, 0, 0).unwrap();
    assert_eq!(a.unsynced_count().unwrap(), 0);
    // A new phone gets them whole and compact, and holds exactly the same records.
    let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let mut engine = SyncEngine::new(&b);
    let req = engine.next_request().unwrap().unwrap();
    let (resp, _) = h.serve_sync(&p, &req).unwrap();
    assert_eq!((resp.pull.len(), resp.whole.count), (0, 20));
    engine.handle_response(resp, 0, 0).unwrap();
    for id in &ids {
        assert_eq!(b.record_json(id, None).unwrap(), a.record_json(id, None).unwrap());
        assert_eq!(b.heads(id).unwrap(), a.heads(id).unwrap());
    }
    // Both know what the hub has: nothing to push, nothing more to pull.
    assert_eq!(b.unsynced_count().unwrap(), 0);
    let (_, sizes) = sync(&b, &h, &p);
    assert_eq!(sizes.len(), 1);
}

#[test]
fn unreadable_whole_records_from_a_broken_peer_are_reported_and_change_nothing() {
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = response(&a, "S");
    // The hub gets garbage whole records: it answers nothing for them and keeps serving.
    let mut engine = SyncEngine::new(&a);
    let mut req = engine.next_request().unwrap().unwrap();
    let good = req.push_whole.clone();
    let mut cut = good.clone();
    cut.tails.truncate(good.tails.len() / 2);
    let mut flipped = good.clone();
    flipped.heads[0] ^= 0x5a;
    for bad in [cut, flipped] {
        req.push_whole = bad;
        let (resp, stats) = h.serve_sync(&p, &req).unwrap();
        assert!(resp.acks.is_empty() && stats.docs_in == 0 && stats.rejected > 0);
    }
    let (resp, stats) = h.serve_sync(&p, &req).unwrap();
    assert!(resp.acks.is_empty() && stats.docs_in == 0);
    // The device is told nothing about its record: it reports that and stops offering it.
    engine.handle_response(resp, 0, 0).unwrap();
    assert!(engine.next_request().unwrap().is_none(), "the sync ends instead of looping");
    let report = engine.finish();
    assert_eq!(report.rejected, vec![(r.clone(), "the hub did not answer for this record".to_string())]);
    assert!(a.is_unsynced(&r).unwrap(), "still waiting to be pushed next time");
    // A phone fed garbage whole records by a broken hub reports them and changes nothing.
    // A batch that claims more records than it holds: those it holds land, the rest is
    // reported.
    let mut short = good.clone();
    short.count = 3;
    let c = Store::open_in_memory(Identity::field_worker("c", "C")).unwrap();
    let mut req = SyncEngine::new(&c).next_request().unwrap().unwrap();
    req.push_whole = short;
    let (resp, stats) = h.serve_sync(&p, &req).unwrap();
    assert_eq!((resp.acks.len(), stats.docs_in, stats.rejected), (1, 1, 1));
    let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
    let mut engine = SyncEngine::new(&b);
    let req = engine.next_request().unwrap().unwrap();
    let (mut resp, _) = h.serve_sync(&p, &req).unwrap();
    let mut garbage = good.clone();
    garbage.values.iter_mut().for_each(|v| v.1.iter_mut().for_each(|b| *b = 0xff));
    resp.whole = garbage;
    engine.handle_response(resp, 0, 0).unwrap();
    let report = engine.finish();
    assert!(!report.unreadable.is_empty(), "{:?}", report.unreadable);
    assert_eq!(b.list_responses(&ResponseFilter::default()).unwrap().len(), 0);
    // And the next good syncs bring everything.
    let (report, _) = sync(&a, &h, &p);
    assert!(report.rejected.is_empty());
    b.reset_sync_state().unwrap();
    sync(&b, &h, &p);
    assert_eq!(b.record_json(&r, None).unwrap(), a.record_json(&r, None).unwrap());
}

#[test]
fn a_push_larger_than_one_slice_is_applied_slice_by_slice_and_acknowledged_whole() {
    use sangam_core::sync::serve::PUSH_SLICE;
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let n = 3 * PUSH_SLICE + 5;
    for _ in 0..n {
        response(&a, "S");
    }
    let mut link = InProcess::new(&h, &p);
    let r = a.sync_with(&mut link, &SyncOptions { batch_docs: 5_000, batch_bytes: 64 << 20, ..Default::default() }).unwrap();
    assert!(r.rejected.is_empty());
    assert!(link.frames.len() <= 2, "one request carried them all: {:?}", link.frames);
    assert_eq!(a.unsynced_count().unwrap(), 0, "every record acknowledged");
    assert_eq!(h.changed_since(0, 10_000).unwrap().len(), n);
}

#[test]
fn the_sync_status_keeps_the_last_finished_sync_and_the_failure_since_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let h = hub();
    let p = peer(&["S"], Role::FieldWorker);
    let path = dir.path().join("phone.db");
    let a = Store::open(&path, Identity::field_worker("a", "A")).unwrap();
    assert_eq!(a.sync_status().unwrap(), SyncStatus::default(), "never synced");
    response(&a, "S");
    let mut link = Breaks { hub: InProcess::new(&h, &p), left: 0 };
    assert!(a.sync_with(&mut link, &SyncOptions::default()).is_err());
    let st = a.sync_status().unwrap();
    let failure = st.last_failure.expect("the failure is kept");
    assert_eq!((st.last_ok_ms, failure.kind.as_str()), (None, "network"));
    assert!(failure.message.contains("the link broke"), "{}", failure.message);
    sync(&a, &h, &p);
    let st = a.sync_status().unwrap();
    assert!(st.last_ok_ms.is_some_and(|t| t >= failure.at_ms) && st.last_failure.is_none(), "a finished sync clears the failure: {st:?}");
    // Cancelled by the person: not a failure, and the last finished sync stays.
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let mut hub = InProcess::new(&h, &p);
    assert!(matches!(a.sync_with(&mut hub, &SyncOptions { cancel: Some(&cancel), ..Default::default() }), Err(Error::Cancelled)));
    assert_eq!(a.sync_status().unwrap(), st);
    drop(a);
    assert_eq!(Store::open(&path, Identity::field_worker("a", "A")).unwrap().sync_status().unwrap(), st, "kept across a restart");
}
