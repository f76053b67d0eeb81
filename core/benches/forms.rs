//! Forms benchmark: a 300-question XLSForm with 60 relevance and 60 constraint
//! expressions (core/tests/fixtures/forms/bench_300.xlsx, made by
//! scripts/make_form_fixtures.py).
//!
//! - live form state after one answer changes: target ≤ 1 ms median;
//! - import of the XLSForm: target ≤ 200 ms median.
//! - with the real-forms folder beside the repository (`../shared/realforms/`, see
//!   core/tests/forms_realforms.rs): import of the largest real form (by file size, refused
//!   or not: the reading and checking is the same work), and, on the accepted real form with
//!   the most questions, the live state after one answer changes (the question with the most
//!   dependents).
//!
//! - the 500-question form with nested repeats (bench_500_nested.xlsx): live state after one
//!   answer changes in a member's row, and in the household: target ≤ 1 ms median.
//!
//! Run with `cargo bench -p sangam-core --bench forms`. Plain `std::time` medians.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sangam_core::forms::definition::QuestionType;
use sangam_core::forms::expr::Clock;
use sangam_core::forms::state::{CompiledForm, LiveForm};
use sangam_core::forms::xlsform;
use sangam_core::FieldValue;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn measure(n: usize, mut f: impl FnMut(usize)) -> Duration {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i);
        out.push(t.elapsed());
    }
    median(out)
}

fn report(what: &str, d: Duration, target: Option<Duration>) {
    let verdict = match target {
        Some(t) if d <= t => format!("(target ≤ {t:?}: met)"),
        Some(t) => format!("(target ≤ {t:?}: MISSED)"),
        None => String::new(),
    };
    println!("{what:<58} median {:>10.3} ms {verdict}", d.as_secs_f64() * 1000.0);
}

fn main() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms/bench_300.xlsx");
    let bytes = std::fs::read(&path).expect("bench fixture");
    let def = xlsform::import_bytes(&bytes, "bench_300").expect("bench form imports");
    let questions = def.questions();
    let relevance = questions.iter().filter(|(q, _)| q.relevant.is_some()).count();
    let constraints = questions.iter().filter(|(q, _)| q.constraint.is_some()).count();
    println!("form: {} questions, {relevance} relevance and {constraints} constraint expressions", questions.len());

    let import = measure(30, |_| {
        black_box(xlsform::import_bytes(black_box(&bytes), "bench_300").ok());
    });
    report("import XLSForm (read + check + compile)", import, Some(Duration::from_millis(200)));

    let compile = measure(100, |_| {
        black_box(CompiledForm::new(def.clone()).ok());
    });
    report("compile definition (parse every expression, graph)", compile, None);

    let form = Arc::new(CompiledForm::new(def.clone()).expect("compiles"));
    let mut answers = BTreeMap::new();
    for (i, (q, _)) in questions.iter().enumerate() {
        let v = match q.kind {
            QuestionType::Integer => FieldValue::Int((i % 90) as i64),
            QuestionType::SelectOne => FieldValue::Text(if i % 2 == 0 { "yes" } else { "no" }.into()),
            QuestionType::Text => FieldValue::Text(format!("answer {i}")),
            _ => continue,
        };
        answers.insert(q.name.clone(), v);
    }
    let clock = Clock::fixed(1_709_620_200_000, 330);
    let full = measure(100, |_| {
        black_box(LiveForm::new(form.clone(), &answers, &BTreeMap::new(), clock));
    });
    report("full state from scratch (LiveForm::new)", full, None);

    let mut live = LiveForm::new(form.clone(), &answers, &BTreeMap::new(), clock);
    // q1 feeds every relevance expression that tests `${q1} < 100`, the widest fan-out.
    let fan_out = live.set_answer("q1", None, Some(&FieldValue::Int(7))).expect("q1").len();
    println!("changing q1 recomputes {fan_out} of {} nodes", questions.len());
    let one = measure(2000, |i| {
        let v = FieldValue::Int(if i % 2 == 0 { 5 } else { 150 });
        black_box(live.set_answer("q1", None, Some(&v)).ok());
    });
    report("one answer changes (q1, widest fan-out): update", one, Some(Duration::from_millis(1)));
    let one_render = measure(1000, |i| {
        let v = FieldValue::Int(if i % 2 == 0 { 5 } else { 150 });
        black_box(live.set_answer("q1", None, Some(&v)).ok());
        black_box(live.state(None));
    });
    report("one answer changes (q1): update + render whole state", one_render, Some(Duration::from_millis(1)));
    let leaf = measure(2000, |i| {
        let v = FieldValue::Int(i as i64 % 1000);
        black_box(live.set_answer("q298", None, Some(&v)).ok());
    });
    report("one answer changes (q298, no dependents): update", leaf, Some(Duration::from_millis(1)));
    nested();
    real_forms();
}

/// The 500-question form with nested repeats (bench_500_nested.xlsx): a household of 8
/// members with 3 children each, every question answered, then one member's age changes (its
/// row's relevance, its children's constraints and relevance, and the household's sums read it)
/// and one household answer that relevance in every row reads.
fn nested() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms/bench_500_nested.xlsx");
    let bytes = std::fs::read(&path).expect("nested bench fixture");
    let def = xlsform::import_bytes(&bytes, "bench_500_nested").expect("nested bench form imports");
    let import = measure(30, |_| {
        black_box(xlsform::import_bytes(black_box(&bytes), "bench_500_nested").ok());
    });
    let questions = def.questions();
    println!("nested form: {} questions, 2 repeat levels, 8 members x 3 children", questions.len());
    report("nested form: import", import, None);
    let form = Arc::new(CompiledForm::new(def.clone()).expect("compiles"));
    let clock = Clock::fixed(1_709_620_200_000, 330);
    let mut live = LiveForm::new(form.clone(), &BTreeMap::new(), &BTreeMap::new(), clock);
    let value = |q: &sangam_core::forms::definition::Question, i: usize| match q.kind {
        QuestionType::Integer => Some(FieldValue::Int(20 + (i % 50) as i64)),
        QuestionType::SelectOne => Some(FieldValue::Text("yes".into())),
        QuestionType::Text => Some(FieldValue::Text(format!("answer {i}"))),
        _ => None,
    };
    for (i, (q, p)) in questions.iter().enumerate() {
        if p.repeat.is_none() {
            if let Some(v) = value(q, i) {
                live.set_answer(&q.name, None, Some(&v)).expect("household answer");
            }
        }
    }
    for m in 0..8 {
        let member = format!("m{m}");
        live.add_row("members", &member).expect("member row");
        for c in 0..3 {
            live.add_row_in("children", &format!("{member}c{c}"), Some(&member)).expect("child row");
        }
    }
    for (i, (q, p)) in questions.iter().enumerate() {
        let Some(v) = value(q, i) else { continue };
        match p.repeat.as_deref() {
            Some("members") => {
                for m in 0..8 {
                    live.set_answer(&q.name, Some(&format!("m{m}")), Some(&v)).expect("member answer");
                }
            }
            Some("children") => {
                for m in 0..8 {
                    for c in 0..3 {
                        live.set_answer(&q.name, Some(&format!("m{m}c{c}")), Some(&v)).expect("child answer");
                    }
                }
            }
            _ => {}
        }
    }
    let (answers, repeats) = live.answers();
    let full = measure(30, |_| {
        black_box(LiveForm::new(form.clone(), &answers, &repeats, clock));
    });
    report("nested form: full state of 8 members, 24 children", full, None);
    let fan_out = live.set_answer("m1", Some("m3"), Some(&FieldValue::Int(17))).expect("m1").len();
    let member = measure(2000, |i| {
        let v = FieldValue::Int(if i % 2 == 0 { 17 } else { 40 });
        black_box(live.set_answer("m1", Some("m3"), Some(&v)).ok());
    });
    report(&format!("nested form: a member's age changes ({fan_out} nodes): update"), member, Some(Duration::from_millis(1)));
    let household = measure(2000, |i| {
        let v = FieldValue::Int(if i % 2 == 0 { 0 } else { 5 });
        black_box(live.set_answer("h1", None, Some(&v)).ok());
    });
    report("nested form: a household answer every row reads: update", household, Some(Duration::from_millis(1)));
}

fn real_forms() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/realforms");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("real forms: SKIPPED (no folder at {})", dir.display());
        return;
    };
    let mut files: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().map(|e| e == "xlsx" || e == "xls").unwrap_or(false))
        .map(|p| (std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0), p))
        .collect();
    files.sort();
    let Some((size, largest)) = files.last().cloned() else { return };
    let bytes = std::fs::read(&largest).expect("largest real form");
    let name = largest.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let imported = xlsform::import_bytes(&bytes, "largest").is_ok();
    let import = measure(10, |_| {
        black_box(xlsform::import_bytes(black_box(&bytes), "largest").ok());
    });
    report(
        &format!("import largest real form ({name}, {} KB, {})", size / 1024, if imported { "accepted" } else { "refused" }),
        import,
        Some(Duration::from_millis(50)),
    );

    // Every real form, slowest first: the goal holds for whichever is slowest, not only the
    // largest file.
    let mut times: Vec<(Duration, String, bool)> = files
        .iter()
        .filter_map(|(_, p)| {
            let bytes = std::fs::read(p).ok()?;
            let accepted = xlsform::import_bytes(&bytes, "real").is_ok();
            let t = measure(5, |_| {
                black_box(xlsform::import_bytes(black_box(&bytes), "real").ok());
            });
            Some((t, p.file_name()?.to_string_lossy().to_string(), accepted))
        })
        .collect();
    times.sort_by(|a, b| b.0.cmp(&a.0));
    for (t, name, accepted) in times.iter().take(3) {
        report(
            &format!("import real form, slowest of {} ({name}, {})", files.len(), if *accepted { "accepted" } else { "refused" }),
            *t,
            Some(Duration::from_millis(50)),
        );
    }

    // The accepted real form with the most questions.
    let Some((def, name)) = files
        .iter()
        .filter_map(|(_, p)| xlsform::import_file(p).ok().map(|d| (d, p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default())))
        .max_by_key(|(d, _)| d.questions().len())
    else {
        return;
    };
    let form = Arc::new(CompiledForm::new(def.clone()).expect("an accepted form compiles"));
    let clock = Clock::fixed(1_709_620_200_000, 330);
    let full = measure(30, |_| {
        black_box(LiveForm::new(form.clone(), &BTreeMap::new(), &BTreeMap::new(), clock));
    });
    let mut live = LiveForm::new(form.clone(), &BTreeMap::new(), &BTreeMap::new(), clock);
    // The top-level question with the most direct dependents, answered with text.
    let target = def
        .questions()
        .iter()
        .filter(|(q, p)| p.repeat.is_none() && q.kind.takes_answer() && !q.kind.is_computed())
        .map(|(q, _)| q.name.clone())
        .max_by_key(|n| live.set_answer(n, None, Some(&FieldValue::Text("1".into()))).map(|t| t.len()).unwrap_or(0));
    let Some(target) = target else { return };
    let fan_out = live.set_answer(&target, None, Some(&FieldValue::Text("2".into()))).map(|t| t.len()).unwrap_or(0);
    println!("real form {name}: {} questions; changing '{target}' recomputes {fan_out} nodes", def.questions().len());
    report(&format!("real form {name}: full state (LiveForm::new)"), full, None);
    let one = measure(500, |i| {
        let v = FieldValue::Text(if i % 2 == 0 { "1" } else { "2" }.into());
        black_box(live.set_answer(&target, None, Some(&v)).ok());
    });
    report(&format!("real form {name}: one answer changes, update"), one, Some(Duration::from_millis(1)));
}
