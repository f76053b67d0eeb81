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
