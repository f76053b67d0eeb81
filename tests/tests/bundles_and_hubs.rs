//! Bundles through the hub's command line, and hub-to-hub sync (district → national).

use std::process::Command;
use std::time::{Duration, Instant};

use sangam_core::*;
use sangam_tests::*;

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");

fn run(args: &[&str], data: &std::path::Path) -> (bool, String) {
    let out = Command::new(EXE).args(args).arg("--data").arg(data).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn bundles_carry_a_phones_work_to_the_hub_once_and_damaged_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let token = enrol(EXE, &data, "asha", "field-worker", &["S"]);
    let phone = Phone::new(dir.path(), "asha", Role::FieldWorker, token);
    let r = response(&phone.store, "S");
    phone.store.set_answer(&r, "q", &FieldValue::Text("typed offline".into())).unwrap();
    let outside = response(&phone.store, "ELSEWHERE");
    let file = dir.path().join("asha.sgb");
    std::fs::write(&file, phone.store.export_bundle(&Default::default()).unwrap()).unwrap();
    let f = file.to_str().unwrap();

    let (ok, out) = run(&["bundle", "import", f, "--device", "asha", "--json"], &data);
    assert!(!ok, "a refused record makes the exit code non-zero");
    let rep: serde_json::Value = serde_json::from_str(&out[..out.rfind('}').unwrap() + 1]).unwrap();
    assert_eq!(rep["changed"], 1);
    assert_eq!(rep["rejected"][0][0], outside);
    let (_, out) = run(&["bundle", "import", f, "--device", "asha", "--json"], &data);
    let rep: serde_json::Value = serde_json::from_str(&out[..out.rfind('}').unwrap() + 1]).unwrap();
    assert_eq!(rep["changed"], 0, "importing twice changes nothing");
    assert_eq!(rep["unchanged"], 1);

    let bytes = std::fs::read(&file).unwrap();
    for (name, bad) in [("truncated", bytes[..bytes.len() - 10].to_vec()), ("bit-flipped", {
        let mut b = bytes.clone();
        let mid = b.len() / 2;
        b[mid] ^= 1;
        b
    })] {
        let p = dir.path().join(name);
        std::fs::write(&p, bad).unwrap();
        let (ok, out) = run(&["bundle", "import", p.to_str().unwrap(), "--device", "asha"], &data);
        assert!(!ok);
        assert!(out.contains("damaged") || out.contains("not a Sangam bundle"), "{name}: {out}");
    }

    // The hub's own bundle round-trips into a fresh hub.
    let out_file = dir.path().join("hub.sgb");
    let (ok, out) = run(&["bundle", "export", "--out", out_file.to_str().unwrap()], &data);
    assert!(ok, "{out}");
    let data2 = dir.path().join("hub2");
    enrol(EXE, &data2, "courier", "admin", &["S"]);
    let (ok, out) = run(&["bundle", "import", out_file.to_str().unwrap(), "--device", "courier"], &data2);
    assert!(ok, "{out}");
    assert!(out.contains("1 changed"), "{out}");
}

#[test]
fn a_sealed_bundle_reveals_nothing_opens_only_at_its_hub_and_refuses_one_altered_byte() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let token = enrol(EXE, &data, "asha", "field-worker", &["S"]);
    let phone = Phone::new(dir.path(), "asha", Role::FieldWorker, token);
    // Before its first sync the phone does not know its hub's key: no sealed bundle yet.
    assert!(matches!(phone.store.export_sealed_bundle(&Default::default()), Err(Error::InvalidInput(_))));
    {
        let hub = Hub::start(EXE, &data);
        phone.sync(&hub.url).unwrap();
    }
    let r = response(&phone.store, "S");
    phone.store.set_answer(&r, "head", &FieldValue::Text("Sunita Kumari Devi".into())).unwrap();
    let sealed = phone.store.export_sealed_bundle(&Default::default()).unwrap();
    assert!(!sealed.windows(6).any(|w| w == b"Sunita"), "a lost stick shows no name");
    let file = dir.path().join("asha-sealed.sgb");
    std::fs::write(&file, &sealed).unwrap();
    let f = file.to_str().unwrap();

    // Altered by one byte anywhere: refused whole, nothing imported.
    for at in [10, sealed.len() / 2, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[at] ^= 1;
        let p = dir.path().join(format!("bad-{at}.sgb"));
        std::fs::write(&p, bad).unwrap();
        let (ok, out) = run(&["bundle", "import", p.to_str().unwrap(), "--device", "asha"], &data);
        assert!(!ok, "an altered sealed bundle was accepted");
        assert!(out.contains("altered") || out.contains("another hub") || out.contains("damaged"), "byte {at}: {out}");
    }
    // Any other hub refuses it.
    let other = dir.path().join("other");
    enrol(EXE, &other, "asha", "field-worker", &["S"]);
    let (ok, out) = run(&["bundle", "import", f, "--device", "asha"], &other);
    assert!(!ok);
    assert!(out.contains("sealed for another hub"), "{out}");
    // Its hub opens it, checked as the phone's sync would be.
    let (ok, out) = run(&["bundle", "import", f, "--device", "asha", "--json"], &data);
    assert!(ok, "{out}");
    let rep: serde_json::Value = serde_json::from_str(&out[..out.rfind('}').unwrap() + 1]).unwrap();
    assert_eq!(rep["changed"], 1);

    // A hub seals a bundle to one phone (by the key it proved when it synced): that phone
    // imports it, any other store cannot read it.
    let for_phone = dir.path().join("for-asha.sgb");
    let (ok, out) = run(&["bundle", "export", "--out", for_phone.to_str().unwrap(), "--seal-for-device", "asha"], &data);
    assert!(ok && out.contains("sealed"), "{out}");
    let bytes = std::fs::read(&for_phone).unwrap();
    assert!(phone.store.import_bundle_on_device(&bytes).is_ok(), "the phone opens its own sealed bundle");
    let stranger = Store::open_in_memory(Identity::field_worker("x", "X")).unwrap();
    assert!(matches!(stranger.import_bundle_on_device(&bytes), Err(Error::Forbidden(_))));
    let (ok, out) = run(&["bundle", "export", "--out", dir.path().join("x.sgb").to_str().unwrap(), "--seal-for-device", "nobody"], &data);
    assert!(!ok && out.contains("has synced with this hub yet"), "{out}");

    // A hub seals to another hub by its public key.
    let (ok, key) = run(&["key", "public"], &other);
    assert!(ok, "{key}");
    let to_other = dir.path().join("to-other.sgb");
    let (ok, out) = run(&["bundle", "export", "--out", to_other.to_str().unwrap(), "--seal-to", key.trim()], &data);
    assert!(ok && out.contains("sealed"), "{out}");
    let third = dir.path().join("third");
    enrol(EXE, &third, "courier", "admin", &["S"]);
    let (ok, out) = run(&["bundle", "import", to_other.to_str().unwrap(), "--device", "courier"], &third);
    assert!(!ok && out.contains("sealed for another hub"), "{out}");
    enrol(EXE, &other, "courier", "admin", &["S"]);
    let (ok, out) = run(&["bundle", "import", to_other.to_str().unwrap(), "--device", "courier"], &other);
    assert!(ok, "{out}");
    assert!(out.contains("changed"), "{out}");
}

#[test]
fn district_hubs_and_a_national_hub_converge() {
    let dir = tempfile::tempdir().unwrap();
    let national = dir.path().join("national");
    let ta = enrol(EXE, &national, "district-a", "admin", &["A"]);
    let tb = enrol(EXE, &national, "district-b", "admin", &["B"]);
    let tn = enrol(EXE, &national, "state-coordinator", "coordinator", &["A", "B"]);
    let nat = Hub::start(EXE, &national);
    let (da, db) = (dir.path().join("district-a"), dir.path().join("district-b"));
    let pa = enrol(EXE, &da, "phone-a", "field-worker", &["A"]);
    let pb = enrol(EXE, &db, "phone-b", "field-worker", &["B"]);
    let hub_a = Hub::start_with(EXE, &da, &["--upstream", &nat.url, "--upstream-token", &ta, "--upstream-interval-secs", "1"]);
    let hub_b = Hub::start_with(EXE, &db, &["--upstream", &nat.url, "--upstream-token", &tb, "--upstream-interval-secs", "1"]);
    let phone_a = Phone::new(dir.path(), "phone-a", Role::FieldWorker, pa);
    let phone_b = Phone::new(dir.path(), "phone-b", Role::FieldWorker, pb);
    let ra = response(&phone_a.store, "A");
    let rb = response(&phone_b.store, "B");
    phone_a.sync(&hub_a.url).unwrap();
    phone_b.sync(&hub_b.url).unwrap();

    // The state coordinator, syncing with the national hub, eventually sees both districts.
    let coord = Phone::new(dir.path(), "state-coordinator", Role::Coordinator, tn);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        coord.sync(&nat.url).unwrap();
        if coord.store.summary(&ra).is_ok() && coord.store.summary(&rb).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "district records did not reach the national hub");
        std::thread::sleep(Duration::from_millis(300));
    }
    // An edit at the national level flows back down to the district phone.
    coord.store.set_answer(&ra, "checked", &FieldValue::Bool(true)).unwrap();
    coord.sync(&nat.url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        phone_a.sync(&hub_a.url).unwrap();
        if phone_a.store.response(&ra).unwrap().answers.get("checked") == Some(&FieldValue::Bool(true)) {
            break;
        }
        assert!(Instant::now() < deadline, "the national edit did not reach district A");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(phone_a.store.heads(&ra).unwrap(), coord.store.heads(&ra).unwrap());
    // District scoping holds across levels.
    phone_b.sync(&hub_b.url).unwrap();
    assert!(phone_b.store.summary(&ra).is_err());
    drop((hub_a, hub_b));
}
