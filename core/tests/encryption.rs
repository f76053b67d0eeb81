//! Data at rest (ADR 0013): a store opened with a key keeps no personal text in any file it
//! writes (the store, its WAL); a wrong key or a missing one is refused with the file left as
//! it was; a clear store is encrypted in place losing nothing; a store can change its key.

use std::path::{Path, PathBuf};

use sangam_core::*;

const NAME: &str = "Sunita Kumari Devi";
const PHONE: &str = "9876501234";

fn me() -> Identity {
    Identity::field_worker("fw1", "Asha")
}

/// Writes a household with a name and phone number, and a second one left in the WAL.
fn write_people(s: &Store, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            s.create_subject(NewSubject::new("household", "UP-SIT").attr("name", format!("{NAME} {i}").as_str()).attr("phone", PHONE))
                .unwrap()
        })
        .collect()
}

/// Every file beside (and including) the store: the store, its WAL and shared memory, any
/// copy left by an interrupted encryption.
fn files_of(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().unwrap();
    let stem = path.file_name().unwrap().to_str().unwrap().to_string();
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(&stem))
        .collect()
}

fn holds(path: &Path, text: &str) -> bool {
    files_of(path).iter().any(|f| std::fs::read(f).unwrap().windows(text.len()).any(|w| w == text.as_bytes()))
}

fn digest(path: &Path) -> Vec<(String, Vec<u8>)> {
    use sha2::Digest;
    let mut v: Vec<_> = files_of(path)
        .iter()
        .map(|f| (f.file_name().unwrap().to_string_lossy().to_string(), sha2::Sha256::digest(std::fs::read(f).unwrap()).to_vec()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_clear_store_shows_its_people_and_an_encrypted_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    // The clear store first, so the search below is known to find what is there.
    let clear = dir.path().join("clear.db");
    let s = Store::open(&clear, me()).unwrap();
    write_people(&s, 20);
    assert!(holds(&clear, NAME) && holds(&clear, PHONE), "the clear store must hold the text (the search works)");
    assert!(!s.is_encrypted());
    drop(s);

    let path = dir.path().join("sealed.db");
    let key = StoreKey::generate().unwrap();
    let s = Store::open_encrypted(&path, me(), &key).unwrap();
    assert!(s.is_encrypted());
    let ids = write_people(&s, 20);
    // Still in the WAL, not checkpointed: the WAL is encrypted too.
    assert!(Path::new(&format!("{}-wal", path.display())).exists());
    assert!(!holds(&path, NAME) && !holds(&path, PHONE), "no personal text in the store or its WAL");
    assert!(!holds(&path, "household") && !holds(&path, "UP-SIT"));
    s.checkpoint().unwrap();
    assert!(!holds(&path, NAME));
    drop(s);

    let s = Store::open_encrypted(&path, me(), &key).unwrap();
    assert_eq!(s.subject(&ids[7]).unwrap().attrs["name"].display(), format!("{NAME} 7"));
    s.integrity_check().unwrap();
}

#[test]
fn a_wrong_key_or_no_key_is_refused_and_the_file_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let key = StoreKey::generate().unwrap();
    let ids = {
        let s = Store::open_encrypted(&path, me(), &key).unwrap();
        write_people(&s, 5)
    };
    let before = digest(&path);
    match Store::open_encrypted(&path, me(), &StoreKey::generate().unwrap()) {
        Err(Error::WrongKey) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a wrong key opened the store"),
    }
    assert_eq!(digest(&path), before, "a wrong key changed the files");
    match Store::open(&path, me()) {
        Err(Error::KeyNeeded) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("an encrypted store opened without its key"),
    }
    assert_eq!(digest(&path), before, "opening without a key changed the files");
    assert!(!dir.path().read_dir().unwrap().flatten().any(|e| e.file_name().to_string_lossy().contains("corrupt")), "nothing moved aside");
    let s = Store::open_encrypted(&path, me(), &key).unwrap();
    assert_eq!(s.subject(&ids[4]).unwrap().attrs["phone"].display(), PHONE);
}

#[test]
fn a_clear_store_is_encrypted_in_place_losing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (ids, response) = {
        let s = Store::open(&path, me()).unwrap();
        let ids = write_people(&s, 50);
        s.checkpoint().unwrap();
        // More after the checkpoint: these sit in the WAL when the store is encrypted.
        let more = write_people(&s, 5);
        s.update_subject(&ids[0], [("phone".to_string(), Some(FieldValue::Text("9000000001".into())))].into_iter().collect()).unwrap();
        let response = s
            .create_response(NewResponse { form_id: "deep_listening".into(), form_version: "1".into(), scope: "UP-SIT".into(), subject_id: None })
            .unwrap();
        s.set_answer(&response, "head_name", &FieldValue::Text(NAME.into())).unwrap();
        (ids.into_iter().chain(more).collect::<Vec<_>>(), response)
    };
    let before: Vec<u64> = {
        let s = Store::open(&path, me()).unwrap();
        vec![s.search_subjects(&SubjectQuery { limit: Some(10_000), ..Default::default() }).unwrap().len() as u64, s.changed_since(0, 10_000).unwrap().len() as u64]
    };
    // A copy left by an earlier, interrupted attempt is thrown away, not trusted.
    std::fs::write(format!("{}-encrypting", path.display()), b"half a copy").unwrap();
    let key = StoreKey::generate().unwrap();
    let s = Store::open_encrypted(&path, me(), &key).unwrap();
    let after = vec![s.search_subjects(&SubjectQuery { limit: Some(10_000), ..Default::default() }).unwrap().len() as u64, s.changed_since(0, 10_000).unwrap().len() as u64];
    assert_eq!(after, before, "every record and changelog entry kept");
    assert_eq!(s.subject(&ids[0]).unwrap().attrs["phone"].display(), "9000000001");
    assert_eq!(s.subject(&ids[54]).unwrap().attrs["name"].display(), format!("{NAME} 4"));
    assert_eq!(s.response(&response).unwrap().answers["head_name"].display(), NAME);
    s.integrity_check().unwrap();
    // It keeps working: new writes, and the same device.
    let device = s.device_id();
    write_people(&s, 1);
    drop(s);
    assert!(!holds(&path, NAME) && !holds(&path, PHONE), "no clear text left in any file");
    assert!(!Path::new(&format!("{}-encrypting", path.display())).exists());
    let s = Store::open_encrypted(&path, me(), &key).unwrap();
    assert_eq!(s.device_id(), device);
    assert_eq!(s.search_subjects(&SubjectQuery { limit: Some(10_000), ..Default::default() }).unwrap().len() as u64, before[0] + 1);
}

#[test]
fn a_store_changes_its_key_and_the_old_one_no_longer_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let old = StoreKey::generate().unwrap();
    let new = StoreKey::generate().unwrap();
    let ids = {
        let s = Store::open_encrypted(&path, me(), &old).unwrap();
        let ids = write_people(&s, 30);
        s.rekey(&new).unwrap();
        // The open store keeps working under its new key.
        write_people(&s, 1);
        ids
    };
    assert!(matches!(Store::open_encrypted(&path, me(), &old), Err(Error::WrongKey)));
    let s = Store::open_encrypted(&path, me(), &new).unwrap();
    assert_eq!(s.subject(&ids[29]).unwrap().attrs["name"].display(), format!("{NAME} 29"));
    assert_eq!(s.search_subjects(&SubjectQuery { limit: Some(10_000), ..Default::default() }).unwrap().len(), 31);
    s.integrity_check().unwrap();
    assert!(!holds(&path, NAME));
    // A clear store has no key to change.
    let clear = Store::open(dir.path().join("clear.db"), me()).unwrap();
    assert!(matches!(clear.rekey(&new), Err(Error::InvalidInput(_))));
}
