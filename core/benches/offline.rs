//! Long-offline and co-editing benchmark. Run: `cargo bench -p sangam-core --bench offline`.
//!
//! W4 long offline: a phone and its hub share 5,000 responses; offline, the phone makes 3,000
//! edits while 5,000 edits land at the hub (500 of them on the same fields as the phone's);
//! then one sync. Prints wall and CPU time, bytes each way and round trips, and checks that
//! every value is kept (each field both sides wrote holds both values, as a conflict).
//!
//! W5 minutes: three writers co-edit one meeting's minutes, 2,000 keystroke-sized edits each,
//! each syncing with the hub every 50 of its edits. Prints bytes per edit on the wire, the
//! document's size after, the time to open the finished minutes in a freshly opened store
//! (from the reading the store keeps of long minutes) and of the first edit after (which loads
//! the document), and checks the merged text is identical on all three.
//!
//! Stores are files (WAL, full fsync), synced through the in-process transport (the hub's
//! serve path without HTTP). Medians of `SANGAM_BENCH_RUNS` runs (default 5).

use std::path::Path;
use std::time::{Duration, Instant};

use rand::{rngs::StdRng, Rng, SeedableRng};
use sangam_core::sync::transport::{InProcess, SyncOptions};
use sangam_core::sync::PeerInfo;
use sangam_core::*;

const SCOPE: &str = "UP-SIT";

fn cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = s.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn hub(dir: &Path) -> Store {
    let h = Store::open(dir.join("hub.db"), Identity::new("hub", "Hub", Role::Admin)).unwrap();
    h.enable_serving().unwrap();
    h
}

fn peer(name: &str) -> PeerInfo {
    PeerInfo::new(name, Role::FieldWorker, vec![SCOPE.into()])
}

/// Syncs `phone` with `hub` as `peer`; returns (bytes up, bytes down, round trips).
fn sync(phone: &Store, hub: &Store, peer: &PeerInfo) -> (usize, usize, usize) {
    let mut link = InProcess::new(hub, peer);
    let r = phone.sync_with(&mut link, &SyncOptions::default()).unwrap();
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let up = link.frames.iter().map(|f| f.0).sum();
    let down = link.frames.iter().map(|f| f.1).sum();
    (up, down, link.frames.len())
}

struct W4 {
    wall: f64,
    cpu: f64,
    up: usize,
    down: usize,
    rounds: usize,
}

fn w4(dir: &Path) -> W4 {
    let h = hub(dir);
    let field = peer("phone");
    let phone = Store::open(dir.join("phone.db"), Identity::field_worker("phone", "Phone")).unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let ids: Vec<String> = phone
        .bulk_import(|s| {
            (0..5_000)
                .map(|i| {
                    let r = s.create_response(NewResponse {
                        form_id: "deep_listening".into(),
                        form_version: "1".into(),
                        scope: SCOPE.into(),
                        subject_id: None,
                    })?;
                    s.set_answer(&r, "household_size", &FieldValue::Int(i % 9 + 1))?;
                    s.set_answer(&r, "notes", &FieldValue::Text(format!("Visit {i}.")))?;
                    Ok(r)
                })
                .collect::<Result<Vec<_>>>()
        })
        .unwrap();
    sync(&phone, &h, &field);
    // Offline: 3,000 edits on the phone; 5,000 at the hub (others' work), 500 of them on the
    // very fields the phone edits.
    let phone_edits: Vec<(usize, i64)> = (0..3_000).map(|k| (k, rng.gen_range(100..200))).collect();
    phone
        .bulk_import(|s| {
            for (k, v) in &phone_edits {
                s.set_answer(&ids[*k], "income_monthly", &FieldValue::Int(*v * 100))?;
            }
            Ok(())
        })
        .unwrap();
    h.bulk_import(|s| {
        for k in 0..5_000 {
            let (field, v) = if k < 500 { ("income_monthly", 7) } else { ("followup_visits", 1) };
            s.set_answer(&ids[(k + 2_500) % 5_000], field, &FieldValue::Int(v))?;
        }
        Ok(())
    })
    .unwrap();
    let (t, c) = (Instant::now(), cpu_secs());
    let (up, down, rounds) = sync(&phone, &h, &field);
    let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
    // Every value kept: the phone's own edits, the hub's, and both where both wrote.
    for (k, v) in &phone_edits {
        let id = &ids[*k];
        let on_hub = (2_500..3_000).contains(k);
        for s in [&phone, &h] {
            if on_hub {
                let c = s.conflicts(id).unwrap();
                let f = c.iter().find(|f| f.path == "answers/income_monthly").expect("both values kept as a conflict");
                let vals: Vec<String> = f.values.iter().map(|v| v.value.to_string()).collect();
                assert!(vals.contains(&(v * 100).to_string()) && vals.contains(&"7".to_string()), "{vals:?}");
            } else if s.response(id).unwrap().answers.get("income_monthly") != Some(&FieldValue::Int(v * 100)) {
                panic!("an edit was lost");
            }
        }
    }
    for k in 500..5_000 {
        let id = &ids[(k + 2_500) % 5_000];
        assert_eq!(phone.response(id).unwrap().answers.get("followup_visits"), Some(&FieldValue::Int(1)), "a hub edit was lost");
    }
    W4 { wall, cpu, up, down, rounds }
}

struct W5 {
    bytes_per_edit: f64,
    doc_bytes: usize,
    load: Duration,
    first_edit: Duration,
}

fn w5(dir: &Path) -> W5 {
    let h = hub(dir);
    let names = ["asha", "ravi", "meena"];
    let writers: Vec<Store> = names
        .iter()
        .map(|n| Store::open(dir.join(format!("{n}.db")), Identity::field_worker(n, n)).unwrap())
        .collect();
    let peers: Vec<PeerInfo> = names.iter().map(|n| peer(n)).collect();
    let id = writers[0]
        .create_meeting(NewMeeting {
            coalition: "District Entrepreneurship Coalition".into(),
            scope: SCOPE.into(),
            date: "2026-12-02".into(),
            time: "11:00".into(),
            venue: "Block office".into(),
            agenda: vec!["Loans".into(), "E-rickshaw routes".into()],
        })
        .unwrap();
    for (w, p) in writers.iter().zip(&peers) {
        sync(w, &h, p);
    }
    let mut rng = StdRng::seed_from_u64(5);
    let words = ["the ", "loan ", "group ", "rickshaw ", "meeting ", "agreed ", "to ", "visit ", "bank ", "on ", "Friday. "];
    let mut wire = 0usize;
    for round in 0..40 {
        for (w, p) in writers.iter().zip(&peers) {
            for _ in 0..50 {
                let len = w.meeting(&id).unwrap().minutes.chars().count();
                if len > 20 && rng.gen_bool(0.1) {
                    w.minutes_delete(&id, rng.gen_range(0..len - 3), rng.gen_range(1..3)).unwrap();
                } else {
                    let pos = if rng.gen_bool(0.8) { len } else { rng.gen_range(0..=len) };
                    w.minutes_insert(&id, pos, words[rng.gen_range(0..words.len())]).unwrap();
                }
            }
            let (up, down, _) = sync(w, &h, p);
            wire += up + down;
        }
        let _ = round;
    }
    // Everyone catches up, then all three must read the same text.
    for _ in 0..2 {
        for (w, p) in writers.iter().zip(&peers) {
            sync(w, &h, p);
        }
    }
    let text = writers[0].meeting(&id).unwrap().minutes;
    for w in &writers[1..] {
        assert_eq!(w.meeting(&id).unwrap().minutes, text, "the merged minutes differ between writers");
    }
    let doc_bytes = writers[0].export_changes(&id, &[]).unwrap().len();
    drop(writers);
    let fresh = Store::open(dir.join("meena.db"), Identity::field_worker("meena", "meena")).unwrap();
    let t = Instant::now();
    let m = fresh.meeting(&id).unwrap();
    let load = t.elapsed();
    assert_eq!(m.minutes, text);
    // The first keystroke after opening loads the document itself (and saves the edit).
    let t = Instant::now();
    fresh.minutes_insert(&id, 0, "x").unwrap();
    let first_edit = t.elapsed();
    W5 { bytes_per_edit: wire as f64 / 6_000.0, doc_bytes, load, first_edit }
}

fn main() {
    let runs: usize = std::env::var("SANGAM_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let (mut w4s, mut w5s) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        w4s.push(w4(&subdir(dir.path(), "w4")));
        w5s.push(w5(&subdir(dir.path(), "w5")));
        eprintln!("run {} of {runs} done", i + 1);
    }
    println!("W4 long offline (3,000 phone edits vs 5,000 at the hub, one sync; medians of {runs}):");
    println!(
        "  wall {:.2} s, CPU {:.2} s, {:.1} KB up, {:.1} KB down, {} round trips; every value kept",
        median(w4s.iter().map(|w| w.wall).collect()),
        median(w4s.iter().map(|w| w.cpu).collect()),
        median(w4s.iter().map(|w| w.up).collect()) as f64 / 1e3,
        median(w4s.iter().map(|w| w.down).collect()) as f64 / 1e3,
        median(w4s.iter().map(|w| w.rounds).collect()),
    );
    println!("W5 minutes (3 writers x 2,000 keystroke edits, synced every 50; medians of {runs}):");
    println!(
        "  {:.0} B per edit on the wire, document {:.1} KB after, finished minutes open in {:.2} ms (their kept reading), \
         first edit after opening {:.2} ms (loads the document); text identical on all three",
        median(w5s.iter().map(|w| w.bytes_per_edit).collect()),
        median(w5s.iter().map(|w| w.doc_bytes).collect()) as f64 / 1e3,
        median(w5s.iter().map(|w| w.load.as_secs_f64()).collect()) * 1e3,
        median(w5s.iter().map(|w| w.first_edit.as_secs_f64()).collect()) * 1e3,
    );
}

fn subdir(base: &Path, name: &str) -> std::path::PathBuf {
    let d = base.join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}
