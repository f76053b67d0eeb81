//! Export benchmark (issue: coordinators). Run: `cargo bench -p sangam-core --bench export`.
//!
//! Seeds a store once with 50,000 responses of one published form (40 answers each: integers,
//! text, multi-selects of 4 choices, decimals; cached under the target directory), then
//! exports them to CSV in a fresh child process and prints the wall time, the rate and the
//! child's peak RSS (VmHWM), so that seeding does not inflate it. Target: peak RSS <= 64 MB.
//!
//! `SANGAM_BENCH_RESPONSES=5000` seeds a smaller store for a quick look.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rand::{rngs::StdRng, Rng, SeedableRng};
use sangam_core::forms::definition::{Choice, ChoiceList, FormDefinition, Item, Question, QuestionType};
use sangam_core::*;

const CHOICES: [&str; 4] = ["loan", "training", "market", "transport"];

fn admin() -> Identity {
    Identity::new("bench", "Bench Admin", Role::Admin)
}

fn form() -> FormDefinition {
    let items = (0..40)
        .map(|q| {
            let kind = match q % 4 {
                0 => QuestionType::Integer,
                1 => QuestionType::Text,
                2 => QuestionType::SelectMultiple,
                _ => QuestionType::Decimal,
            };
            let mut question = Question::new(&format!("q{q:02}"), kind);
            if kind == QuestionType::SelectMultiple {
                question.list_name = Some("needs".into());
            }
            Item::Question(question)
        })
        .collect();
    let mut lists = BTreeMap::new();
    lists.insert(
        "needs".to_string(),
        ChoiceList { choices: CHOICES.iter().map(|c| Choice { name: c.to_string(), ..Default::default() }).collect() },
    );
    FormDefinition {
        form_id: "bench".into(),
        version: "1".into(),
        title: "Benchmark".into(),
        default_language: "default".into(),
        languages: vec!["default".into()],
        items,
        choice_lists: lists,
        settings: Default::default(),
    }
}

fn answers(rng: &mut StdRng) -> BTreeMap<String, Option<FieldValue>> {
    let mut m = BTreeMap::new();
    for q in 0..40 {
        let v = match q % 4 {
            0 => FieldValue::Int(rng.gen_range(0..100_000)),
            1 => FieldValue::Text(["yes", "no", "sometimes", "Rampur", "Sitapur", "daily wage, seasonal"][rng.gen_range(0..6)].into()),
            2 => FieldValue::Choices(CHOICES.iter().filter(|_| rng.gen_bool(0.5)).map(|s| s.to_string()).collect()),
            _ => FieldValue::Decimal((rng.gen_range(0..10_000) as f64) / 100.0),
        };
        m.insert(format!("q{q:02}"), Some(v));
    }
    m
}

fn seed(path: &Path, responses: usize) -> Result<()> {
    let s = Store::open(path, admin())?;
    s.publish_form(&form(), "UP-SIT")?;
    let mut rng = StdRng::seed_from_u64(7);
    let t = Instant::now();
    s.bulk_import(|s| {
        for _ in 0..responses {
            let r = s.create_response(NewResponse {
                form_id: "bench".into(),
                form_version: "1".into(),
                scope: "UP-SIT".into(),
                subject_id: None,
            })?;
            s.set_answers(&r, &answers(&mut rng))?;
        }
        Ok(())
    })?;
    eprintln!("seeded {responses} responses in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// Child mode: open the store, export to CSV, print what it took.
fn export_probe(path: &Path, out: &Path) -> Result<()> {
    let before = vm_hwm_kb();
    let t = Instant::now();
    let s = Store::open(path, admin())?;
    let opts = ExportOptions { include_drafts: true, ..Default::default() };
    let report = s.export_csv("bench", &opts, out, &mut |_| true)?;
    let elapsed = t.elapsed();
    let bytes: u64 = report.files.iter().filter_map(|f| std::fs::metadata(&f.path).ok()).map(|m| m.len()).sum();
    println!("RECORDS {}", report.records);
    println!("MS {}", elapsed.as_millis());
    println!("BYTES {bytes}");
    println!("HWM_START_KB {before}");
    println!("HWM_KB {}", vm_hwm_kb());
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 4 && args[1] == "--export-probe" {
        return export_probe(Path::new(&args[2]), Path::new(&args[3]));
    }
    let responses: usize = std::env::var("SANGAM_BENCH_RESPONSES").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("export-bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("seed-{responses}-v{}.db", sangam_core::store::schema::VERSION));
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        seed(&tmp, responses)?;
        std::fs::rename(&tmp, &path)?;
    }
    println!("export benchmark: {responses} responses x 40 answers of one form to CSV (fresh process)");
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(std::env::current_exe()?).arg("--export-probe").arg(&path).arg(&out).output()?;
    let text = String::from_utf8_lossy(&run.stdout);
    let get = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.trim().parse::<f64>().ok());
    match (get("RECORDS "), get("MS "), get("HWM_KB "), get("BYTES ")) {
        (Some(n), Some(ms), Some(kb), Some(bytes)) => {
            println!("exported {n:.0} responses         {:>9.2} s    ({:.0} responses/s)", ms / 1e3, n / (ms / 1e3).max(1e-9));
            println!("CSV written                    {:>9.1} MB", bytes / 1e6);
            println!(
                "peak RSS of the export process {:>9.1} MB   (target <= 64 MB; {:.1} MB before opening the store)",
                kb / 1024.0,
                get("HWM_START_KB ").unwrap_or(0.0) / 1024.0
            );
        }
        _ => println!("export probe failed: {}", String::from_utf8_lossy(&run.stderr)),
    }
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}
