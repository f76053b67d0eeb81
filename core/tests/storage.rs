//! Storage: migrations from committed fixtures, newer-schema refusal, corrupt files moved
//! aside (never deleted), and the bounded document cache.

use std::path::Path;

use sangam_core::*;

fn copy_fixture(name: &str, dir: &Path) -> std::path::PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let dst = dir.join("store.db");
    std::fs::copy(src, &dst).unwrap();
    dst
}

#[test]
fn a_schema_v1_store_opens_with_current_code_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_fixture("store-v1.db", dir.path());
    let s = Store::open(&path, Identity::field_worker("new-user", "New")).unwrap();
    s.integrity_check().unwrap();
    let subjects = s.search_subjects(&SubjectQuery { name_prefix: Some("सुनीता".into()), ..Default::default() }).unwrap();
    assert_eq!(subjects.len(), 1);
    let hh = &subjects[0].id;
    let responses = s.list_responses(&ResponseFilter { subject_id: Some(hh.clone()), ..Default::default() }).unwrap();
    assert_eq!(responses.len(), 1);
    let r = s.response(&responses[0].id).unwrap();
    assert_eq!(r.answers["income"], FieldValue::Int(12000));
    assert_eq!(r.status, sangam_core::ResponseStatus::Submitted);
    assert_eq!(r.repeats["members"][0].answers["name"], FieldValue::Text("Asha".into()));
    let meetings = s.list_meetings(Some("UP-SIT"), 10).unwrap();
    let m = s.meeting(&meetings[0].id).unwrap();
    assert_eq!(m.minutes, "Opened at 10:30.");
    let actions = s.list_actions(&ActionFilter { owner: Some("meena".into()), ..Default::default() }).unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(s.history(&r.id).unwrap()[0].author.user_id, "fixture-user");
    // And it keeps working: new edits by a new user on top of the old data.
    s.set_answer(&r.id, "income", &FieldValue::Int(13000)).unwrap();
    drop(s);
    let s = Store::open(&path, Identity::field_worker("new-user", "New")).unwrap();
    assert_eq!(s.response(&r.id).unwrap().answers["income"], FieldValue::Int(13000));
}

#[test]
fn a_store_from_a_newer_version_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(Store::open(&path, Identity::field_worker("u", "U")).unwrap());
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 999).unwrap();
    }
    match Store::open(&path, Identity::field_worker("u", "U")) {
        Err(Error::SchemaTooNew { found: 999, .. }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a newer store must be refused"),
    }
    assert!(path.exists(), "the newer store must not be moved or deleted");
}

#[test]
fn a_corrupt_file_is_moved_aside_and_kept_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    std::fs::write(&path, b"this is not a database, but it may be someone's only copy of work........").unwrap();
    let err = match Store::open(&path, Identity::field_worker("u", "U")) {
        Err(e) => e,
        Ok(_) => panic!("garbage must not open as a store"),
    };
    let Error::Corrupt { moved_to, .. } = err else { panic!("wrong error: {err}") };
    assert!(std::fs::read(&moved_to).unwrap().starts_with(b"this is not a database"));
    // Opening again starts afresh.
    let s = Store::open(&path, Identity::field_worker("u", "U")).unwrap();
    s.create_subject(NewSubject::new("household", "S")).unwrap();
}

#[test]
fn a_damaged_page_is_reported_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let s = Store::open(&path, Identity::field_worker("u", "U")).unwrap();
        for i in 0..200 {
            s.create_subject(NewSubject::new("household", "S").attr("name", format!("N{i}").as_str())).unwrap();
        }
        s.checkpoint().unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    // Overwrite the b-tree header of a page in the middle of the file.
    let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    let at = (bytes.len() / page / 2) * page;
    for b in &mut bytes[at..at + 64] {
        *b = 0xAA;
    }
    std::fs::write(&path, &bytes).unwrap();
    // Either the open notices (and moves the file aside), or the integrity check does.
    match Store::open(&path, Identity::field_worker("u", "U")) {
        Err(Error::Corrupt { moved_to, .. }) => assert!(moved_to.exists()),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(s) => assert!(s.integrity_check().is_err()),
    }
}

#[test]
fn the_document_cache_stays_bounded() {
    let s = Store::open_in_memory(Identity::field_worker("u", "U")).unwrap();
    let ids: Vec<String> = (0..200).map(|_| s.create_subject(NewSubject::new("household", "S")).unwrap()).collect();
    for id in &ids {
        s.subject(id).unwrap();
    }
    assert!(s.cached_docs() <= sangam_core::store::CACHE_DOCS);
}

#[test]
fn two_processes_on_one_file_never_overwrite_each_other() {
    // A hub serving and a coordinator's command on the same store: two connections, two caches.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let a = Store::open(&path, Identity::field_worker("a", "A")).unwrap();
    let b = Store::open(&path, Identity::coordinator("b", "B")).unwrap();
    let r = a
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
        .unwrap();
    a.set_answer(&r, "one", &FieldValue::Int(1)).unwrap(); // cached in a
    b.set_answer(&r, "two", &FieldValue::Int(2)).unwrap(); // written through b
    a.set_answer(&r, "three", &FieldValue::Int(3)).unwrap(); // a must see b's write first
    for s in [&a, &b] {
        let ans = s.response(&r).unwrap().answers;
        assert_eq!((ans.get("one"), ans.get("two"), ans.get("three")), (Some(&FieldValue::Int(1)), Some(&FieldValue::Int(2)), Some(&FieldValue::Int(3))));
    }
    drop((a, b));
    let c = Store::open(&path, Identity::field_worker("c", "C")).unwrap();
    assert_eq!(c.response(&r).unwrap().answers.len(), 3);
    c.integrity_check().unwrap();
}
