//! Data at rest at the hub (ADR 0013): started with a data key, no file the hub writes holds a
//! household's name or phone number; a wrong key is refused with the data left as it was; a
//! clear hub turns encrypted losing nothing; the key can be rotated.
//!
//! One test: the key reaches the hub's command-line children through the environment of this
//! test process.

use std::path::{Path, PathBuf};
use std::process::Command;

use sangam_core::*;
use sangam_tests::*;

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");
const NAME: &str = "Sunita Kumari Devi";
const PHONE: &str = "9876501234";

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The files under `dir` that hold `text`.
fn holding(dir: &Path, text: &str) -> Vec<PathBuf> {
    all_files(dir).into_iter().filter(|f| std::fs::read(f).map(|b| b.windows(text.len()).any(|w| w == text.as_bytes())).unwrap_or(false)).collect()
}

fn hub_cmd(args: &[&str]) -> std::process::Output {
    Command::new(EXE).args(args).output().expect("run sangam-hub")
}

fn household(phone: &Phone, i: usize) -> String {
    phone.store.create_subject(NewSubject::new("household", "UP-SIT").attr("name", format!("{NAME} {i}").as_str()).attr("phone", PHONE)).unwrap()
}

#[test]
fn a_hub_with_a_data_key_keeps_no_clear_text_and_refuses_a_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("hub.key");
    let out = hub_cmd(&["key", "new", "--out", key.to_str().unwrap()]);
    assert!(out.status.success(), "key new: {}", String::from_utf8_lossy(&out.stderr));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // A clear hub first, with records: turning encryption on must lose none of them.
    let first = {
        let hub = Hub::start(EXE, &data);
        let phone = Phone::new(dir.path(), "asha", Role::FieldWorker, enrol(EXE, &data, "asha", "field-worker", &["UP-SIT"]));
        let id = household(&phone, 0);
        phone.sync(&hub.url).unwrap();
        drop(hub);
        assert!(!holding(&data, NAME).is_empty(), "a clear hub holds the text (so the search below works)");
        id
    };

    std::env::set_var("SANGAM_HUB_KEY_FILE", &key);
    let hub = Hub::start(EXE, &data);
    let phone = Phone::new(dir.path(), "bina", Role::FieldWorker, enrol(EXE, &data, "bina", "field-worker", &["UP-SIT"]));
    let ids: Vec<String> = (1..40).map(|i| household(&phone, i)).collect();
    let report = phone.sync(&hub.url).unwrap();
    assert!(report.rejected.is_empty());
    assert!(phone.store.subject(&first).is_ok(), "the record from before encryption still syncs out");
    // While it runs (its WAL live) and after it stops.
    assert_eq!(holding(&data, NAME), Vec::<PathBuf>::new(), "files holding a name while the hub runs");
    assert_eq!(holding(&data, PHONE), Vec::<PathBuf>::new());
    drop(hub);
    assert_eq!(holding(&data, NAME), Vec::<PathBuf>::new(), "files holding a name after the hub stopped");
    assert_eq!(holding(&data, "bina"), Vec::<PathBuf>::new(), "device names (devices.db) are encrypted too");

    // The command line uses the key as the server does.
    let out = hub_cmd(&["device", "list", "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "device list with the key: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bina"));

    // A wrong key, or none: refused, the data untouched.
    let before: Vec<(PathBuf, Vec<u8>)> = all_files(&data).into_iter().map(|f| (f.clone(), std::fs::read(&f).unwrap())).collect();
    let wrong = keys.path().join("wrong.key");
    assert!(hub_cmd(&["key", "new", "--out", wrong.to_str().unwrap()]).status.success());
    let out = hub_cmd(&["device", "list", "--data", data.to_str().unwrap(), "--key-file", wrong.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be opened with this key"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(EXE).args(["device", "list", "--data", data.to_str().unwrap()]).env_remove("SANGAM_HUB_KEY_FILE").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("encrypted"), "{}", String::from_utf8_lossy(&out.stderr));
    let after: Vec<(PathBuf, Vec<u8>)> = all_files(&data).into_iter().map(|f| (f.clone(), std::fs::read(&f).unwrap())).collect();
    assert_eq!(before, after, "a refused key changed the data");

    // Rotation: the old key stops working, the new one serves everything.
    let new = keys.path().join("new.key");
    assert!(hub_cmd(&["key", "new", "--out", new.to_str().unwrap()]).status.success());
    let out = hub_cmd(&["key", "rotate", "--data", data.to_str().unwrap(), "--new-key-file", new.to_str().unwrap()]);
    assert!(out.status.success(), "key rotate: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!hub_cmd(&["device", "list", "--data", data.to_str().unwrap()]).status.success(), "the old key still opens the data");
    std::env::set_var("SANGAM_HUB_KEY_FILE", &new);
    let hub = Hub::start(EXE, &data);
    let fresh = Phone::new(dir.path(), "chitra", Role::FieldWorker, enrol(EXE, &data, "chitra", "field-worker", &["UP-SIT"]));
    fresh.sync(&hub.url).unwrap();
    for id in ids.iter().chain([&first]) {
        assert!(fresh.store.subject(id).is_ok(), "a record lost across encryption and rotation");
    }
    assert_eq!(holding(&data, NAME), Vec::<PathBuf>::new());
    drop(hub);

    // The hub's log, at its most talkative, names no one either.
    let log = dir.path().join("hub.log");
    let mut child = Command::new(EXE)
        .args(["serve", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let url = {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let l = lines.next().expect("the hub printed its address").unwrap();
            if let Some(u) = l.strip_prefix("listening on ") {
                break u.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        url
    };
    household(&fresh, 99);
    fresh.sync(&url).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("sync"), "the log was written at all");
    assert!(!text.contains("Sunita") && !text.contains(PHONE), "the hub's log holds personal text");
}
