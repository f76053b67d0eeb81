//! Sync benchmark (issue: hub and sync). Run: `cargo bench -p sangam-tests --bench sync`.
//!
//! Workloads from BENCHMARKS.md against a real hub process seeded with 50,000 records (by a
//! phone pushing them through the real sync path): W1 bootstrap of a new phone; W3 nothing
//! changed; W2 daily sync (500 changed at the hub, the phone pushes 25 new and 5 edited) on
//! loopback and through an emulated Regular-2G link, and the phone pushing one-field edits to
//! 1% of the store; W8 200 simulated phones at once; and a second bootstrap while the phone is
//! in use (an answer saved and a list read every 20 ms), with how long those waited. Prints bytes each way (payload and wire), requests, wall and CPU
//! time, and peak RSS of phone and hub. `SANGAM_BENCH_RECORDS` overrides the 50,000.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sangam_core::sync::client::SyncOptions;
use sangam_core::*;
use sangam_hub::devices::Devices;
use sangam_tests::households::{answers, save_household};
use sangam_tests::proxy::{Proxy, Shape};
use sangam_tests::Hub;

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");
const SCOPE: &str = "UP-SIT";

fn hwm_kb(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn cpu_secs(pid: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn opts() -> SyncOptions<'static> {
    SyncOptions { timeout: Duration::from_secs(600), ..Default::default() }
}

/// Child mode: a new phone bootstraps; prints one line of metrics.
fn phone_bootstrap(db: &Path, url: &str, token: &str) -> Result<()> {
    let phone = Store::open(db, Identity::field_worker("phone", "Phone"))?;
    let t = Instant::now();
    let cpu0 = cpu_secs("self");
    let r = phone.sync(url, token, &opts())?;
    println!(
        "W1 {} {} {} {} {:.3} {:.3} {}",
        r.progress.round_trips,
        r.progress.bytes_sent,
        r.progress.bytes_received,
        r.progress.docs_received,
        t.elapsed().as_secs_f64(),
        cpu_secs("self") - cpu0,
        hwm_kb("self")
    );
    Ok(())
}

/// Child mode: a new phone bootstraps while the person keeps using it: a thread saves an answer
/// to a draft and lists the 50 newest responses every 20 ms. Prints how long those waited, and
/// how many progress reports the bootstrap gave.
fn phone_in_use(db: &Path, url: &str, token: &str) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let phone = Store::open(db, Identity::field_worker("phone2", "Phone 2"))?;
    let draft = save_household(&phone, SCOPE, 0)?;
    let done = AtomicBool::new(false);
    let reports = AtomicUsize::new(0);
    let report = |_: &sangam_core::sync::SyncProgress| {
        reports.fetch_add(1, Ordering::Relaxed);
    };
    let t = Instant::now();
    let (saves, lists) = std::thread::scope(|sc| -> Result<(Vec<Duration>, Vec<Duration>)> {
        let user = sc.spawn(|| -> Result<(Vec<Duration>, Vec<Duration>)> {
            let (mut saves, mut lists) = (Vec::new(), Vec::new());
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                phone.set_answer(&draft, "household_size", &FieldValue::Int(1 + i % 9))?;
                saves.push(t.elapsed());
                let t = Instant::now();
                phone.list_responses(&ResponseFilter { limit: Some(50), ..Default::default() })?;
                lists.push(t.elapsed());
                i += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok((saves, lists))
        });
        let synced = phone.sync(url, token, &SyncOptions { progress: Some(&report), ..opts() });
        done.store(true, Ordering::Relaxed);
        let used = user.join().map_err(|_| Error::InvalidInput("the user thread panicked".into()))??;
        synced?;
        Ok(used)
    })?;
    let ms = |mut v: Vec<Duration>, q: f64| -> f64 {
        v.sort();
        v.get(((v.len() as f64 - 1.0) * q).round() as usize).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "W1U {} {:.3} {:.3} {:.3} {:.3} {:.3} {} {:.3}",
        saves.len(),
        ms(saves.clone(), 0.5),
        ms(saves.clone(), 0.99),
        ms(saves, 1.0),
        ms(lists.clone(), 0.5),
        ms(lists, 0.99),
        reports.load(Ordering::Relaxed),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Child mode: seeds the hub with `n` household responses through the real sync path (a
/// phone holding them pushes them all to the hub at `url`). Returns the records' JSON size in
/// all and the size of that JSON compressed with zstd at level 19: the floor W1 is measured
/// against.
fn seed(phone_db: &Path, url: &str, token: &str, n: usize) -> Result<(usize, usize)> {
    let store = Store::open(phone_db, Identity::field_worker("seeder", "Seeder"))?;
    let t = Instant::now();
    let ids = store.bulk_import(|s| {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            ids.push(save_household(s, SCOPE, i)?);
        }
        Ok(ids)
    })?;
    let made = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let r = store.sync(url, token, &opts())?;
    assert!(r.rejected.is_empty(), "the hub refused seeded records: {:?}", &r.rejected[..r.rejected.len().min(3)]);
    eprintln!(
        "seeded {n} records at the hub through sync: made on a phone in {made:.1} s, pushed in {:.1} s ({} round trips)",
        t.elapsed().as_secs_f64(),
        r.progress.round_trips
    );
    let mut json = Vec::new();
    for id in &ids {
        serde_json::to_writer(&mut json, &store.record_json(id, None)?)?;
        json.push(b'\n');
    }
    let floor = zstd::bulk::compress(&json, 19)?.len();
    Ok((json.len(), floor))
}

/// Edits `n` records directly in the (stopped) hub's store: "changed at the hub". Returns them.
fn change_at_hub(data: &Path, n: usize, round: i64) -> Result<Vec<String>> {
    let store = sangam_hub::open_store(data).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let ids: Vec<String> = store.changed_since(0, n)?.into_iter().map(|(id, _)| id).collect();
    store.bulk_import(|s| {
        for id in &ids {
            s.set_answer(id, "followup_visits", &FieldValue::Int(round))?;
        }
        Ok(())
    })?;
    Ok(ids)
}

fn phone_day(phone: &Store, round: i64) -> Result<Vec<String>> {
    let mut touched = Vec::new();
    for i in 0..25 {
        let r = phone.create_response(NewResponse {
            form_id: "deep_listening".into(),
            form_version: "2026-11".into(),
            scope: SCOPE.into(),
            subject_id: None,
        })?;
        phone.set_answers(&r, &answers(i + 1000 * round as usize))?;
        touched.push(r);
    }
    let existing = phone.list_responses(&ResponseFilter { limit: Some(200), offset: Some(1000), ..Default::default() })?;
    for s in existing.iter().take(5) {
        phone.set_answer(&s.id, "notes", &FieldValue::Text(format!("Revisited on day {round}.")))?;
        touched.push(s.id.clone());
    }
    Ok(touched)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 5 && args[1] == "--phone" {
        return phone_bootstrap(Path::new(&args[2]), &args[3], &args[4]);
    }
    if args.len() == 5 && args[1] == "--phone-in-use" {
        return phone_in_use(Path::new(&args[2]), &args[3], &args[4]);
    }
    // The hub's side of the setup runs in child processes, so this process's peak RSS is the
    // phone's (W3 and W2 run their phone here).
    if args.len() == 6 && args[1] == "--seed" {
        let (json, floor) = seed(Path::new(&args[2]), &args[3], &args[4], args[5].parse().unwrap_or(0))?;
        println!("SEED {json} {floor}");
        return Ok(());
    }
    if args.len() == 5 && args[1] == "--change" {
        for id in change_at_hub(Path::new(&args[2]), args[3].parse().unwrap_or(0), args[4].parse().unwrap_or(0))? {
            println!("{id}");
        }
        return Ok(());
    }
    let n: usize = std::env::var("SANGAM_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sync-bench-{n}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root)?;
    let data = root.join("hub");
    drop(sangam_hub::open_store(&data).map_err(|e| Error::InvalidInput(e.to_string()))?);
    let devices = Devices::open(&data).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let seeder = devices.add("seeder", Role::FieldWorker, &[SCOPE.to_string()]).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let token = devices.add("phone", Role::FieldWorker, &[SCOPE.to_string()]).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let token_in_use = devices.add("phone-in-use", Role::FieldWorker, &[SCOPE.to_string()]).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let load_tokens: Vec<String> = (0..200)
        .map(|i| devices.add(&format!("load-{i}"), Role::FieldWorker, &[format!("P{i}")]).expect("enrol"))
        .collect();
    drop(devices);

    let mut hub = Hub::start(EXE, &data);
    // Seeded by a phone pushing its records through the real sync path (in a child process, so
    // this process's peak RSS stays the W3/W2 phone's).
    let out = Command::new(std::env::current_exe()?)
        .arg("--seed")
        .arg(root.join("seeder.db"))
        .arg(&hub.url)
        .arg(&seeder)
        .arg(n.to_string())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("SEED ")).unwrap_or_else(|| panic!("seeding failed: {}", String::from_utf8_lossy(&out.stderr)));
    let f: Vec<usize> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let (json_bytes, json_floor) = (f[0], f[1]);
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    // A fresh hub process, so its peak RSS below is the workloads', not the seeding push's.
    hub.kill();
    let mut hub = Hub::start(EXE, &data);
    let hub_pid = hub.child.id().to_string();
    let target: std::net::SocketAddr = hub.url.trim_start_matches("http://").parse().expect("addr");
    println!(
        "sync benchmark: hub seeded with {n} household records, {} B of JSON each on average; all their JSON is {:.2} MB with zstd -19",
        json_bytes / n.max(1),
        json_floor as f64 / 1e6
    );

    // W1: bootstrap, in a fresh process so its peak RSS is its own.
    let proxy = Proxy::start(target, None);
    let phone_db = root.join("phone.db");
    let hub_cpu0 = cpu_secs(&hub_pid);
    let out = Command::new(std::env::current_exe()?).arg("--phone").arg(&phone_db).arg(&proxy.url).arg(&token).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (wire_up, wire_down) = proxy.take();
    let line = text.lines().find(|l| l.starts_with("W1 ")).unwrap_or_else(|| panic!("phone failed: {}", String::from_utf8_lossy(&out.stderr)));
    let f: Vec<&str> = line.split_whitespace().collect();
    println!(
        "W1 bootstrap        {} requests, payload {} B up / {} B down, wire {wire_up} B up / {wire_down} B down ({:.2} MB; target <= 3.0 MB; {:.2} x the records' JSON at zstd -19), {} records, wall {} s, phone CPU {} s, hub CPU {:.2} s, phone peak RSS {:.1} MB (target <= 128 MB), hub peak RSS {:.1} MB",
        f[1], f[2], f[3], (wire_up + wire_down) as f64 / 1e6, (wire_up + wire_down) as f64 / json_floor.max(1) as f64, f[4], f[5], f[6], cpu_secs(&hub_pid) - hub_cpu0, f[7].parse::<f64>().unwrap_or(0.0) / 1024.0,
        hwm_kb(&hub_pid) as f64 / 1024.0
    );

    // W1 again, on a phone in use meanwhile: how long its saves and lists wait.
    let busy_db = root.join("phone-in-use.db");
    let out = Command::new(std::env::current_exe()?).arg("--phone-in-use").arg(&busy_db).arg(&hub.url).arg(&token_in_use).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("W1U ")).unwrap_or_else(|| panic!("phone in use failed: {}", String::from_utf8_lossy(&out.stderr)));
    let f: Vec<&str> = line.split_whitespace().collect();
    println!(
        "W1 phone in use     during a {} s bootstrap: {} saves of an answer, p50 {} ms, p99 {} ms, longest {} ms; list of 50 p50 {} ms, p99 {} ms; {} progress reports",
        f[8], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
    );

    // W3: nothing changed.
    let phone = Store::open(&phone_db, Identity::field_worker("phone", "Phone"))?;
    let mut w3 = Vec::new();
    for _ in 0..5 {
        let (cpu0, hub0, t) = (cpu_secs("thread-self"), cpu_secs(&hub_pid), Instant::now());
        let r = phone.sync(&proxy.url, &token, &opts())?;
        let (wall, cpu, hub_cpu) = (t.elapsed().as_secs_f64(), cpu_secs("thread-self") - cpu0, cpu_secs(&hub_pid) - hub0);
        let (u, d) = proxy.take();
        w3.push((r.progress.round_trips, r.progress.bytes_sent, r.progress.bytes_received, u, d, wall, cpu, hub_cpu));
    }
    w3.sort_by(|a, b| a.5.total_cmp(&b.5));
    let (rt, pu, pd, u, d, wall, cpu, hub_cpu) = w3[2];
    println!(
        "W3 nothing changed  {rt} request(s), payload {pu} B up / {pd} B down, wire {} B in all (target: 1 request, <= 600 B); median of 5: wall {:.1} ms, phone CPU {:.0} ms, hub CPU {:.0} ms (clock ticks of 10 ms)",
        u + d,
        wall * 1e3,
        cpu * 1e3,
        hub_cpu * 1e3
    );

    // W2: 500 changed at the hub; the phone pushes its day (25 new, 5 edited).
    hub.kill();
    let changed_at_hub = change_in_child(&data, 500, 1)?;
    let hub2 = Hub::start(EXE, &data);
    let target: std::net::SocketAddr = hub2.url.trim_start_matches("http://").parse().expect("addr");
    let proxy = Proxy::start(target, None);
    let touched = phone_day(&phone, 1)?;
    let before: BTreeMap<String, Vec<String>> =
        touched.iter().chain(&changed_at_hub).filter_map(|id| Some((id.clone(), phone.heads(id).ok()?))).collect();
    let hub_pid = hub2.child.id().to_string();
    let (t, cpu0, hub0) = (Instant::now(), cpu_secs("thread-self"), cpu_secs(&hub_pid));
    let r = phone.sync(&proxy.url, &token, &opts())?;
    let wall = t.elapsed();
    let (cpu, hub_cpu) = (cpu_secs("thread-self") - cpu0, cpu_secs(&hub_pid) - hub0);
    let (u, d) = proxy.take();
    // The floor: the automerge changes actually carried, zstd-compressed.
    let mut carried = Vec::new();
    for id in touched.iter().chain(&changed_at_hub) {
        let since = before.get(id).cloned().unwrap_or_default();
        let since = if touched.contains(id) && since == phone.heads(id)? { Vec::new() } else { since };
        carried.extend(phone.export_changes(id, &since)?);
    }
    let floor = zstd_len(&carried);
    println!(
        "W2 daily sync       {} round trip(s), payload {} B up / {} B down, wire {u} B up / {d} B down, wall {:.3} s, phone CPU {:.2} s, hub CPU {:.2} s; carried changes {} B zstd -> wire/floor {:.2} (target <= 1.5 x + 1 KB: {} B)",
        r.progress.round_trips, r.progress.bytes_sent, r.progress.bytes_received, wall.as_secs_f64(), cpu, hub_cpu, floor,
        (u + d) as f64 / floor as f64, (1.5 * floor as f64) as u64 + 1024
    );

    // W2 on Regular 2G: the phone's push (hub unchanged), then a full daily sync.
    let shaped = Proxy::start(target, Some(Shape::regular_2g()));
    phone_day(&phone, 2)?;
    let (t, cpu0, hub0) = (Instant::now(), cpu_secs("thread-self"), cpu_secs(&hub_pid));
    let r = phone.sync(&shaped.url, &token, &opts())?;
    let (u, d) = shaped.take();
    println!(
        "W2 push on 2G       {} round trip(s), wire {u} B up / {d} B down, wall {:.2} s (target <= 2.5 s), phone CPU {:.2} s, hub CPU {:.2} s, hub peak RSS {:.1} MB",
        r.progress.round_trips,
        t.elapsed().as_secs_f64(),
        cpu_secs("thread-self") - cpu0,
        cpu_secs(&hub_pid) - hub0,
        hwm_kb(&hub_pid) as f64 / 1024.0
    );
    drop(hub2);
    change_in_child(&data, 500, 3)?;
    let hub3 = Hub::start(EXE, &data);
    let hub_pid = hub3.child.id().to_string();
    let target: std::net::SocketAddr = hub3.url.trim_start_matches("http://").parse().expect("addr");
    let shaped = Proxy::start(target, Some(Shape::regular_2g()));
    phone_day(&phone, 3)?;
    let (t, cpu0, hub0) = (Instant::now(), cpu_secs("thread-self"), cpu_secs(&hub_pid));
    let r = phone.sync(&shaped.url, &token, &opts())?;
    let (u, d) = shaped.take();
    println!(
        "W2 full day on 2G   {} round trip(s), wire {u} B up / {d} B down, wall {:.2} s (push and 500-record pull), phone CPU {:.2} s, hub CPU {:.2} s",
        r.progress.round_trips,
        t.elapsed().as_secs_f64(),
        cpu_secs("thread-self") - cpu0,
        cpu_secs(&hub_pid) - hub0
    );
    // W2 at 1%: the phone edits one field in 1% of the store's records and pushes them, on
    // loopback and over Regular 2G.
    let ids: Vec<String> = phone.changed_since(0, n)?.into_iter().map(|(id, _)| id).collect();
    for (day, shape) in [(4, None), (5, Some(Shape::regular_2g()))] {
        let edits = (n / 100).max(1);
        for i in 0..edits {
            let id = &ids[(i * 97 + day) % ids.len()];
            phone.set_answer(id, "notes", &FieldValue::Text(format!("Revisited on day {day}.")))?;
        }
        let label = if shape.is_some() { "on 2G" } else { "loopback" };
        let link = Proxy::start(target, shape);
        let (t, cpu0, hub0) = (Instant::now(), cpu_secs("thread-self"), cpu_secs(&hub_pid));
        let r = phone.sync(&link.url, &token, &opts())?;
        let (u, d) = link.take();
        println!(
            "W2 1% push {:<9} {edits} one-field edits, {} round trip(s), wire {u} B up / {d} B down ({:.0} B per edit), wall {:.2} s, phone CPU {:.2} s, hub CPU {:.2} s",
            label,
            r.progress.round_trips,
            (u + d) as f64 / edits as f64,
            t.elapsed().as_secs_f64(),
            cpu_secs("thread-self") - cpu0,
            cpu_secs(&hub_pid) - hub0
        );
    }
    // This process has been the phone for W3 and W2 (the hub's setup ran in children).
    println!("W3+W2 phone peak RSS {:.1} MB (this process, proxies included)", hwm_kb("self") as f64 / 1024.0);

    // W8: 200 phones at once over loopback, each pushing a day then checking in with nothing new.
    let url = hub3.url.clone();
    let cpu0 = cpu_secs(&hub_pid);
    let t = Instant::now();
    let failures: usize = std::thread::scope(|sc| {
        let handles: Vec<_> = load_tokens
            .iter()
            .enumerate()
            .map(|(i, tok)| {
                let url = url.clone();
                sc.spawn(move || -> Result<()> {
                    let s = Store::open_in_memory(Identity::field_worker(&format!("load{i}"), "L"))?;
                    for k in 0..30 {
                        let r = s.create_response(NewResponse {
                            form_id: "deep_listening".into(),
                            form_version: "2026-11".into(),
                            scope: format!("P{i}"),
                            subject_id: None,
                        })?;
                        s.set_answers(&r, &answers(k))?;
                    }
                    s.sync(&url, tok, &opts())?;
                    s.sync(&url, tok, &opts())?;
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).filter(|r| !matches!(r, Ok(Ok(())))).count()
    });
    println!(
        "W8 200 phones       wall {:.2} s, failures {failures}, hub CPU {:.2} s, hub peak RSS {:.1} MB (target <= 128 MB)",
        t.elapsed().as_secs_f64(),
        cpu_secs(&hub_pid) - cpu0,
        hwm_kb(&hub_pid) as f64 / 1024.0
    );
    Ok(())
}

/// Runs `change_at_hub` in a child process (the hub must be stopped); returns the ids changed.
fn change_in_child(data: &Path, n: usize, round: i64) -> Result<Vec<String>> {
    let out = Command::new(std::env::current_exe()?).arg("--change").arg(data).arg(n.to_string()).arg(round.to_string()).output()?;
    if !out.status.success() {
        panic!("changing records at the hub failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect())
}

/// The floor: the same compressor and level as the wire for a message this size (zstd 3).
fn zstd_len(b: &[u8]) -> usize {
    zstd::bulk::compress(b, 3).map(|z| z.len()).unwrap_or(b.len())
}
