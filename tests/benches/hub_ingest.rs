//! Hub ingest cost against store size (the hub whose cost follows what changed).
//! Run: `cargo bench -p sangam-tests --bench hub_ingest`.
//!
//! A hub store on disk holds N household responses of the `deep_listening` form (seeded
//! directly: the cost measured is the hub's, at size N). A phone that synced only the form
//! creates K responses, submits them (so the hub validates each, as it does in the field) and
//! pushes them through the real sync engine and `serve_sync`; then edits one field of each and
//! pushes again. Prints the hub's CPU per ingested record and per applied edit for each N
//! (process CPU time inside `serve_sync`, helper threads included), medians of 5 runs, and the
//! hub's CPU for a check-in with nothing new either way (W3), median of 50.
//! `SANGAM_BENCH_SIZES` (comma-separated) overrides the sizes, default 10000,50000.

use std::collections::BTreeMap;
use std::time::Instant;

use sangam_core::forms::expr::Clock;
use sangam_core::sync::{PeerInfo, SyncEngine};
use sangam_core::*;

const K: usize = 200;
const RUNS: usize = 5;

/// CPU time of the whole process, helper threads included (the hub loads pushed records on
/// several threads). The phone runs only between `serve_sync` calls, so the time spent inside
/// one is the hub's.
fn process_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

fn answers(i: usize) -> BTreeMap<String, Option<FieldValue>> {
    let mut m = BTreeMap::new();
    m.insert("village".into(), Some(FieldValue::Text(format!("Village {}", i % 97))));
    m.insert("head_name".into(), Some(FieldValue::Text(format!("Household head {i}"))));
    m.insert("mobile".into(), Some(FieldValue::Text(format!("9{:09}", (i as u64 * 7_919) % 1_000_000_000))));
    m.insert("age".into(), Some(FieldValue::Int(18 + (i % 50) as i64)));
    m.insert("household_size".into(), Some(FieldValue::Int(1 + (i % 9) as i64)));
    m.insert("notes".into(), Some(FieldValue::Text("Interview completed at home.".into())));
    m
}

/// Pushes everything `phone` has for the hub; returns the hub's CPU time in serve_sync (ns).
fn push(phone: &Store, hub: &Store, peer: &PeerInfo) -> Result<u64> {
    let mut engine = SyncEngine::new(phone);
    let mut cpu = 0;
    while let Some(req) = engine.next_request()? {
        let c0 = process_cpu_ns();
        let (resp, _) = hub.serve_sync(peer, &req)?;
        cpu += process_cpu_ns() - c0;
        engine.handle_response(resp, 0, 0)?;
    }
    Ok(cpu)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let sizes: Vec<usize> = std::env::var("SANGAM_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 50_000]);
    let form_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/forms/deep_listening.xlsx");
    let def = forms::xlsform::import_file(form_path).map_err(|p| Error::InvalidInput(format!("{p:?}")))?;
    let root = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hub-ingest-bench");
    println!("hub ingest: {K} submitted responses pushed, then one field of each edited; hub CPU per record, median of {RUNS} runs");
    for &n in &sizes {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root)?;
        let hub = Store::open(root.join("hub.db"), Identity::new("hub", "Hub", Role::Admin))?;
        hub.enable_serving()?;
        let t = Instant::now();
        hub.bulk_import(|s| {
            for i in 0..n {
                let r = s.create_response(NewResponse {
                    form_id: def.form_id.clone(),
                    form_version: def.version.clone(),
                    scope: "S".into(),
                    subject_id: None,
                })?;
                s.set_answers(&r, &answers(i))?;
            }
            Ok(())
        })?;
        hub.publish_form(&def, "FORMS")?;
        eprintln!("seeded {n} responses in {:.1} s", t.elapsed().as_secs_f64());
        let (mut per_record, mut per_edit, mut noop) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..RUNS {
            let phone = Store::open(root.join(format!("phone-{run}.db")), Identity::field_worker(&format!("fw{run}"), "FW"))?;
            let forms_only = PeerInfo::new(format!("fw{run}"), Role::FieldWorker, vec!["FORMS".into()]);
            push(&phone, &hub, &forms_only)?;
            let peer = PeerInfo::new(format!("fw{run}"), Role::FieldWorker, vec!["S".into(), "FORMS".into()]);
            // Learn both scopes; the seeded responses are older than the cursor, so none travel.
            push(&phone, &hub, &peer)?;
            let mut ids = Vec::with_capacity(K);
            for i in 0..K {
                let r = phone.create_response(NewResponse {
                    form_id: def.form_id.clone(),
                    form_version: def.version.clone(),
                    scope: "S".into(),
                    subject_id: None,
                })?;
                phone.set_answers(&r, &answers(n + run * K + i))?;
                phone.submit_response(&r, None, Clock::system())?;
                ids.push(r);
            }
            let cpu = push(&phone, &hub, &peer)?;
            per_record.push(cpu as f64 / K as f64 / 1e6);
            for (i, id) in ids.iter().enumerate() {
                phone.set_answer(id, "household_size", &FieldValue::Int(20 + i as i64))?;
            }
            let cpu = push(&phone, &hub, &peer)?;
            per_edit.push(cpu as f64 / K as f64 / 1e6);
            // W3: the phone checks in with nothing new; the hub has nothing new for it.
            for _ in 0..10 {
                noop.push(push(&phone, &hub, &peer)? as f64 / 1e6);
            }
        }
        println!(
            "N = {n:>7}: hub CPU {:.3} ms per ingested submitted record, {:.3} ms per one-field edit, {:.3} ms per check-in with nothing new (W3)",
            median(per_record),
            median(per_edit),
            median(noop)
        );
    }
    Ok(())
}
