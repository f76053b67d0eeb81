//! Store benchmark (issue: core record store). Run: `cargo bench -p sangam-core --bench store`.
//!
//! Seeds a store with 50,000 responses (40 answers each), 2,000 subjects, 200 meetings (2 KB of
//! minutes each) and 500 actions, then prints medians of repeated runs: cold open to the first
//! 50 rows of a list; listing the 50 most recently updated responses of one form; a durable
//! save of one answer (and fsyncs per save, counted with strace when it is installed); loading
//! one response; bytes on disk per response beside the same response as compact JSON; and
//! peak RSS while opening 1,000 random records one after another (in a fresh process).
//!
//! `SANGAM_BENCH_RESPONSES=5000` seeds a smaller store for a quick look.
//! `SANGAM_BENCH_ENCRYPTED=1` runs it all on an encrypted store (SQLCipher, ADR 0013), to set
//! beside a run without it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rand::{rngs::StdRng, Rng, SeedableRng};
use sangam_core::*;

const FORMS: usize = 10;

fn id() -> Identity {
    Identity::field_worker("bench", "Bench User")
}

/// The store at `path`, encrypted under a fixed key when `SANGAM_BENCH_ENCRYPTED` is set.
fn open_store(path: &Path) -> Result<Store> {
    if std::env::var_os("SANGAM_BENCH_ENCRYPTED").is_some() {
        Store::open_encrypted(path, id(), &StoreKey::from_bytes(&[7u8; 32])?)
    } else {
        Store::open(path, id())
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize]
}

fn answers(rng: &mut StdRng) -> std::collections::BTreeMap<String, Option<FieldValue>> {
    let mut m = std::collections::BTreeMap::new();
    for q in 0..40 {
        let v = match q % 4 {
            0 => FieldValue::Int(rng.gen_range(0..100_000)),
            1 => FieldValue::Text(["yes", "no", "sometimes", "Rampur", "Sitapur", "daily wage"][rng.gen_range(0..6)].into()),
            2 => FieldValue::Choices(["loan", "training", "market", "transport"].iter().filter(|_| rng.gen_bool(0.5)).map(|s| s.to_string()).collect()),
            _ => FieldValue::Decimal((rng.gen_range(0..10_000) as f64) / 100.0),
        };
        m.insert(format!("q{q:02}"), Some(v));
    }
    m
}

fn seed(path: &Path, responses: usize) -> Result<()> {
    let s = open_store(path)?;
    let mut rng = StdRng::seed_from_u64(7);
    let t = Instant::now();
    s.bulk_import(|s| {
        let mut subjects = Vec::new();
        for i in 0..2_000 {
            subjects.push(s.create_subject(
                NewSubject::new("household", "UP-SIT")
                    .attr("name", format!("Household {i}").as_str())
                    .attr("village", ["Rampur", "Sitapur", "Biswan", "Laharpur"][i % 4])
                    .attr("phone", format!("98{:08}", i).as_str()),
            )?);
        }
        for i in 0..responses {
            let r = s.create_response(NewResponse {
                form_id: format!("form_{}", i % FORMS),
                form_version: "1".into(),
                scope: "UP-SIT".into(),
                subject_id: Some(subjects[i % subjects.len()].clone()),
            })?;
            s.set_answers(&r, &answers(&mut rng))?;
        }
        let minutes: String = "The coalition discussed loans, e-rickshaw routes and training. ".repeat(33);
        for i in 0..200 {
            let m = s.create_meeting(NewMeeting {
                coalition: "District Entrepreneurship Coalition".into(),
                scope: "UP-SIT".into(),
                date: format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
                time: "10:30".into(),
                venue: "Block office".into(),
                agenda: vec!["Loans".into(), "Transport".into()],
            })?;
            s.minutes_replace(&m, &minutes[..2048])?;
        }
        for i in 0..500 {
            s.create_action(NewAction {
                scope: "UP-SIT".into(),
                meeting_id: None,
                title: format!("Action {i}"),
                owner: ["meena", "ravi", "asha"][i % 3].into(),
                due: Some(format!("2026-12-{:02}", 1 + i % 28)),
                notes: String::new(),
            })?;
        }
        Ok(())
    })?;
    eprintln!("seeded {responses} responses and the rest in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse().unwrap_or(0)))
        .unwrap_or(0)
}

/// Child mode: open the store and 1,000 random records one after another; print VmHWM.
fn rss_probe(path: &Path) -> Result<()> {
    let s = open_store(path)?;
    let ids: Vec<String> = s.changed_since(0, usize::MAX)?.into_iter().map(|(id, _)| id).collect();
    let mut rng = StdRng::seed_from_u64(99);
    for _ in 0..1_000 {
        let id = &ids[rng.gen_range(0..ids.len())];
        s.record_json(id, None)?;
    }
    println!("HWM_KB {}", vm_hwm_kb());
    Ok(())
}

/// Child mode: `n` durable saves, for strace to count fsyncs.
fn save_probe(path: &Path, n: usize) -> Result<()> {
    let s = open_store(path)?;
    let r = s.list_responses(&ResponseFilter { limit: Some(1), ..Default::default() })?.remove(0).id;
    s.response(&r)?;
    println!("READY");
    for i in 0..n {
        s.set_answer(&r, "q00", &FieldValue::Int(i as i64))?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 3 && args[1] == "--rss-probe" {
        return rss_probe(Path::new(&args[2]));
    }
    if args.len() >= 4 && args[1] == "--save-probe" {
        return save_probe(Path::new(&args[2]), args[3].parse().unwrap_or(100));
    }
    let responses: usize = std::env::var("SANGAM_BENCH_RESPONSES").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("store-bench");
    std::fs::create_dir_all(&dir)?;
    let encrypted = if std::env::var_os("SANGAM_BENCH_ENCRYPTED").is_some() { "-encrypted" } else { "" };
    let path = dir.join(format!("seed-{responses}-v{}{encrypted}.db", sangam_core::store::schema::VERSION));
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        seed(&tmp, responses)?;
        std::fs::rename(&tmp, &path)?;
    }
    println!("store benchmark: {responses} responses x 40 answers, 2,000 subjects, 200 meetings, 500 actions{}", if std::env::var_os("SANGAM_BENCH_ENCRYPTED").is_some() { ", encrypted (SQLCipher)" } else { "" });

    // Cold open to the first 50 rows (a fresh Store each time; the OS page cache stays warm).
    let mut cold = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let s = open_store(&path)?;
        let rows = s.list_responses(&ResponseFilter { limit: Some(50), ..Default::default() })?;
        cold.push(t.elapsed());
        assert_eq!(rows.len(), 50);
    }
    println!("cold open to first 50 rows     median {:>9.3} ms   (target <= 50 ms)", median(cold).as_secs_f64() * 1e3);

    let s = open_store(&path)?;
    let mut list = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        let rows = s.list_responses(&ResponseFilter { form_id: Some(format!("form_{}", i % FORMS)), limit: Some(50), ..Default::default() })?;
        list.push(t.elapsed());
        assert_eq!(rows.len(), 50);
    }
    println!("list 50 newest of one form     median {:>9.3} ms   (target <= 2 ms)", median(list).as_secs_f64() * 1e3);

    // Loading one response from SQLite (cache misses: random picks among 50,000).
    let ids: Vec<String> = s
        .list_responses(&ResponseFilter { limit: Some(10_000), ..Default::default() })?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut rng = StdRng::seed_from_u64(3);
    let mut load = Vec::new();
    for _ in 0..1_000 {
        let id = &ids[rng.gen_range(0..ids.len())];
        let t = Instant::now();
        let r = s.response(id)?;
        load.push(t.elapsed());
        assert_eq!(r.answers.len(), 40);
    }
    println!(
        "load one response              median {:>9.3} ms   p99 {:.3} ms   (target <= 1 ms)",
        median(load.clone()).as_secs_f64() * 1e3,
        pct(load, 0.99).as_secs_f64() * 1e3
    );

    // Durable save of one answer.
    let target = ids[0].clone();
    s.response(&target)?;
    let mut save = Vec::new();
    for i in 0..1_000 {
        let t = Instant::now();
        s.set_answer(&target, "q01", &FieldValue::Int(i))?;
        save.push(t.elapsed());
    }
    println!(
        "durable save of one answer     median {:>9.3} ms   p99 {:.3} ms   (target <= 1 ms)",
        median(save.clone()).as_secs_f64() * 1e3,
        pct(save, 0.99).as_secs_f64() * 1e3
    );
    drop(s);
    fsyncs_per_save(&path);

    bytes_per_response()?;

    let out = Command::new(std::env::current_exe()?).arg("--rss-probe").arg(&path).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().find_map(|l| l.strip_prefix("HWM_KB ")) {
        Some(kb) => println!(
            "peak RSS opening 1,000 records {:>9.1} MB   (target <= 64 MB)",
            kb.trim().parse::<f64>().unwrap_or(0.0) / 1024.0
        ),
        None => println!("peak RSS probe failed: {}", String::from_utf8_lossy(&out.stderr)),
    }
    Ok(())
}

fn fsyncs_per_save(path: &Path) {
    const N: usize = 1_000;
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", "/dev/stdout"])
        .arg(&exe)
        .arg("--save-probe")
        .arg(path)
        .arg(N.to_string())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            // Only count syncs after the probe said READY (opening syncs too).
            let after = text.split("READY").nth(1).unwrap_or(&text);
            let syncs = after.lines().filter(|l| l.contains("fsync(") || l.contains("fdatasync(")).count();
            println!("fsyncs per durable save        {:>9.3}      (target exactly 1; {syncs} over {N} saves)", syncs as f64 / N as f64);
        }
        _ => println!("fsyncs per durable save        (strace not available; install it to count)"),
    }
}

/// Bytes on disk per response, all-in (document, index rows, history), beside compact JSON.
fn bytes_per_response() -> Result<()> {
    const N: usize = 2_000;
    let dir = tempfile_dir();
    let path = dir.join("bytes.db");
    let _ = std::fs::remove_file(&path);
    let empty = {
        let s = open_store(&path)?;
        s.checkpoint()?;
        std::fs::metadata(&path)?.len()
    };
    let s = open_store(&path)?;
    let mut rng = StdRng::seed_from_u64(11);
    let mut json = 0usize;
    let mut ids = Vec::new();
    s.bulk_import(|s| {
        for i in 0..N {
            let r = s.create_response(NewResponse {
                form_id: format!("form_{}", i % FORMS),
                form_version: "1".into(),
                scope: "UP-SIT".into(),
                subject_id: None,
            })?;
            s.set_answers(&r, &answers(&mut rng))?;
            ids.push(r);
        }
        Ok(())
    })?;
    for r in &ids {
        json += serde_json::to_vec(&s.response(r)?)?.len();
    }
    s.checkpoint()?;
    let total = std::fs::metadata(&path)?.len() - empty;
    let per = total as f64 / N as f64;
    let per_json = json as f64 / N as f64;
    println!(
        "bytes on disk per response     {per:>9.0} B    compact JSON {per_json:.0} B   ratio {:.2} (target <= 1.25)",
        per / per_json
    );
    let _ = std::fs::remove_file(&path);
    Ok(())
}

fn tempfile_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("store-bench");
    std::fs::create_dir_all(&d).unwrap();
    d
}
