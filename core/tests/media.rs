//! The media area: files attached to answers, stored whole or piece by piece, checked against
//! their names, referenced by records and collected when nothing refers to them.

use sangam_core::media::{MediaName, PIECE_BYTES};
use sangam_core::record::media::AnswerAt;
use sangam_core::store::{Received, MEDIA_GRACE_MS};
use sangam_core::sync::bundle::BundleOptions;
use sangam_core::{FieldValue, Identity, NewResponse, Store};

fn store() -> Store {
    Store::open_in_memory(Identity::field_worker("u1", "Asha")).unwrap()
}

fn response(s: &Store) -> String {
    s.create_response(NewResponse { form_id: "hh".into(), form_version: "1".into(), scope: "UP-SIT".into(), subject_id: None }).unwrap()
}

fn photo(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn an_attached_photo_is_the_answer_and_is_listed_by_the_record() {
    let s = store();
    let id = response(&s);
    let bytes = photo(150_000, 1);
    let name = s.attach_media(&id, AnswerAt::Top, "photo", &bytes, "jpg", Some("image/jpeg")).unwrap();
    assert!(MediaName::parse(&name).unwrap().matches(&bytes));
    assert_eq!(s.response(&id).unwrap().answers["photo"], FieldValue::Text(name.clone()));
    assert_eq!(s.media_bytes(&name).unwrap(), bytes);
    let refs = s.media_of(&id).unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!((refs[0].size, refs[0].complete, refs[0].uploaded), (150_000, true, false));
    assert_eq!(refs[0].mime.as_deref(), Some("image/jpeg"));
    // The same bytes again are the same file.
    assert_eq!(s.put_media(&bytes, "jpg", None).unwrap().as_str(), name);

    // Taken again: the old photo is no longer referred to, the new one is.
    let again = s.attach_media(&id, AnswerAt::Top, "photo", &photo(1000, 2), "jpg", Some("image/jpeg")).unwrap();
    let refs = s.media_of(&id).unwrap();
    assert_eq!(refs.iter().map(|r| r.name.clone()).collect::<Vec<_>>(), vec![again.clone()]);
    assert!(s.media_to_send("hub").unwrap().iter().all(|m| m.name != name));
    // Cleared: nothing is referred to.
    s.clear_answer(&id, "photo").unwrap();
    assert!(s.media_of(&id).unwrap().is_empty());
}

#[test]
fn a_media_name_the_device_does_not_have_cannot_be_answered() {
    let s = store();
    let id = response(&s);
    let fake = format!("{}.jpg", "ab".repeat(32));
    let err = s.set_answer(&id, "photo", &FieldValue::Text(fake)).unwrap_err();
    assert!(err.to_string().contains("not on this device"), "{err}");
    // In a repeat row too.
    let row = s.add_repeat_row(&id, "members").unwrap();
    let name = s.attach_media(&id, AnswerAt::Row { repeat: "members", row_id: &row }, "sig", b"signature strokes", "png", Some("image/png")).unwrap();
    assert_eq!(s.media_of(&id).unwrap()[0].name, name);
}

#[test]
fn pieces_arrive_resume_at_the_stored_end_and_must_hash_to_the_name() {
    let s = store();
    let bytes = photo(3 * PIECE_BYTES + 123, 9);
    let name = MediaName::of(&bytes, "m4a").unwrap();
    let size = bytes.len() as u64;
    let first = &bytes[..PIECE_BYTES + 10];
    match s.media_receive(&name, size, Some("audio/mp4"), Some("fw1"), 0, first).unwrap() {
        Received::Stored(i) => assert_eq!((i.have, i.complete), (first.len() as u64, false)),
        other => panic!("{other:?}"),
    }
    // A sender that thinks it starts over is told where to go on from.
    assert_eq!(s.media_receive(&name, size, None, Some("fw1"), 0, &bytes[..10]).unwrap(), Received::WrongOffset { have: first.len() as u64 });
    assert!(s.media_receive(&name, size, None, Some("fw1"), size - 1, &bytes[..10]).is_err(), "past the end");
    assert_eq!(s.media_usage("fw1").unwrap(), first.len() as u64);
    // Another sender claiming another size cannot throw away an upload that is still growing:
    // it is told to come back later, and the part stays.
    assert_eq!(s.media_receive(&name, size + 7, None, Some("fw2"), 0, &bytes[..10]).unwrap(), Received::Busy);
    assert_eq!(s.media_info(name.as_str()).unwrap().map(|i| (i.size, i.have)), Some((size, first.len() as u64)));
    let rest = &bytes[first.len()..];
    match s.media_receive(&name, size, None, Some("fw1"), first.len() as u64, rest).unwrap() {
        Received::Stored(i) => assert!(i.complete),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.media_bytes(name.as_str()).unwrap(), bytes);
    assert_eq!(s.media_read(name.as_str(), PIECE_BYTES as u64 - 5, 20).unwrap(), bytes[PIECE_BYTES - 5..PIECE_BYTES + 15].to_vec());
    // Complete: more bytes change nothing.
    assert!(matches!(s.media_receive(&name, size, None, None, 0, b"xx").unwrap(), Received::Stored(i) if i.complete));

    // Bytes that are not the named file are thrown away whole.
    let other = MediaName::of(b"the real thing", "jpg").unwrap();
    let err = s.media_receive(&other, 14, None, Some("fw1"), 0, b"a forged thing").unwrap_err();
    assert!(err.to_string().contains("do not hash"), "{err}");
    assert!(s.media_info(other.as_str()).unwrap().is_none());
}

#[test]
fn unreferenced_files_are_collected_only_after_the_grace_period() {
    let s = store();
    let id = response(&s);
    let kept = s.attach_media(&id, AnswerAt::Top, "photo", b"kept photo", "jpg", None).unwrap();
    let loose = s.put_media(b"taken, never saved", "jpg", None).unwrap();
    let now = sangam_core::now_ms();
    assert_eq!(s.collect_media_at(now).unwrap().files, 0, "first seen unreferenced: only marked");
    assert_eq!(s.collect_media_at(now + MEDIA_GRACE_MS - 1).unwrap().files, 0);
    let out = s.collect_media_at(now + MEDIA_GRACE_MS + 1).unwrap();
    assert_eq!(out.files, 1);
    assert!(s.media_info(loose.as_str()).unwrap().is_none());
    assert!(s.media_info(&kept).unwrap().unwrap().complete);
}

#[test]
fn references_survive_reopening_and_concurrent_photos_both_stay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let a = Store::open(&path, Identity::field_worker("u1", "Asha")).unwrap();
    let b = Store::open_in_memory(Identity::field_worker("u2", "Bela")).unwrap();
    let id = response(&a);
    b.import_bundle(&a.export_bundle(&BundleOptions::default()).unwrap(), None).unwrap();
    let pa = a.attach_media(&id, AnswerAt::Top, "photo", b"photo from a", "jpg", None).unwrap();
    let pb = b.attach_media(&id, AnswerAt::Top, "photo", b"photo from b", "jpg", None).unwrap();
    a.import_bundle(&b.export_bundle(&BundleOptions::default()).unwrap(), None).unwrap();
    let names: Vec<String> = a.response_media(&id).unwrap().into_iter().map(|m| m.name).collect();
    assert!(names.contains(&pa) && names.contains(&pb), "{names:?}");
    // An unrelated edit keeps both: the losing value still names its file.
    a.set_answer(&id, "note", &FieldValue::Text("x".into())).unwrap();
    assert_eq!(a.response_media(&id).unwrap().len(), 2);
    drop(a);
    let a = Store::open(&path, Identity::field_worker("u1", "Asha")).unwrap();
    assert_eq!(a.media_of(&id).unwrap().len(), 2);
    // b's bundle carried b's photo too: nothing is wanted.
    assert!(a.media_wanted().unwrap().is_empty());
    assert_eq!(a.media_bytes(&pb).unwrap(), b"photo from b");
}

#[test]
fn bundles_carry_the_files_their_records_name_and_importing_twice_changes_nothing() {
    use sangam_core::policy::PeerInfo;
    use sangam_core::Role;
    let a = store();
    let id = response(&a);
    let bytes = photo(200_000, 3);
    let name = a.attach_media(&id, AnswerAt::Top, "photo", &bytes, "jpg", Some("image/jpeg")).unwrap();
    let file = a.export_bundle(&BundleOptions::default()).unwrap();
    assert!(file.len() > bytes.len(), "the photo travels in the bundle");

    let hub = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    let r = hub.import_bundle(&file, Some(&PeerInfo::new("fw1", Role::FieldWorker, vec!["UP-SIT".into()]))).unwrap();
    assert_eq!((r.changed, r.media, r.media_refused.len()), (1, 1, 0), "{r:?}");
    assert_eq!(hub.media_bytes(&name).unwrap(), bytes);
    let again = hub.import_bundle(&file, Some(&PeerInfo::new("fw1", Role::FieldWorker, vec!["UP-SIT".into()]))).unwrap();
    assert_eq!((again.changed, again.media), (0, 0));

    // From a device of another scope: its record is refused, so no record names the file.
    let other = Store::open_in_memory(Identity::new("hub2", "Hub", Role::Admin)).unwrap();
    let r = other.import_bundle(&file, Some(&PeerInfo::new("fw9", Role::FieldWorker, vec!["UP-LKO".into()]))).unwrap();
    assert_eq!(r.media, 0);
    assert!(r.media_refused.iter().any(|(n, why)| n == &name && why.contains("no record")), "{r:?}");
    assert!(other.media_info(&name).unwrap().is_none());

    // One byte altered anywhere in the file: refused whole.
    let mut bad = file.clone();
    let at = bad.len() - 1000;
    bad[at] ^= 1;
    assert!(Store::open_in_memory(Identity::new("hub3", "Hub", Role::Admin)).unwrap().import_bundle(&bad, None).is_err());
}

#[test]
fn a_csv_export_writes_the_files_beside_it_and_names_the_missing_ones() {
    use sangam_core::ExportOptions;
    let a = store();
    let id = response(&a);
    let bytes = photo(5_000, 4);
    let name = a.attach_media(&id, AnswerAt::Top, "photo", &bytes, "jpg", Some("image/jpeg")).unwrap();
    let opts = ExportOptions { include_drafts: true, ..Default::default() };

    let dir = tempfile::tempdir().unwrap();
    let r = a.export_csv("hh", &opts, dir.path(), &mut |_| true).unwrap();
    assert_eq!((r.media, r.media_missing.len()), (1, 0));
    assert_eq!(std::fs::read(dir.path().join("media").join(&name)).unwrap(), bytes);
    let csv = std::fs::read_to_string(&r.files[0].path).unwrap();
    assert!(csv.contains(&name), "the answer column names the file");
    // Again into the same folder: the same files, nothing rewritten wrongly.
    let r = a.export_csv("hh", &opts, dir.path(), &mut |_| true).unwrap();
    assert_eq!(r.media, 1);

    // JSON lines name the files by reference.
    let r = a.export_jsonl("hh", &opts, dir.path(), &mut |_| true).unwrap();
    let line = std::fs::read_to_string(&r.files[0].path).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(v["media"][0]["name"], name.as_str());
    assert_eq!(v["media"][0]["size"], 5_000);

    // A store that has the record but not yet the file says so.
    let c = Store::open_in_memory(Identity::coordinator("c2", "Ravi")).unwrap();
    let rec = a.export_changes(&id, &[]).unwrap();
    c.apply_changes(&id, &rec).unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let r = c.export_csv("hh", &opts, dir2.path(), &mut |_| true).unwrap();
    assert_eq!((r.media, r.media_missing.clone()), (0, vec![name.clone()]));
}
