//! Cross-check with pyxform, the reference XLSForm converter: for each fixture, names, types,
//! labels per language, required, relevant/constraint/calculation text, choices and the
//! group/repeat tree agree with pyxform's output (scripts/pyxform_dump.py). The forms of
//! pyxform's own test corpus (tests/fixtures/forms/pyxform, BSD licence) are imported too:
//! those we accept must agree with pyxform, and those we refuse must be refused for a named
//! unsupported feature, or be forms pyxform refuses as well, or be listed below with why.
//!
//! Needs `pip install pyxform`; without it these tests print a loud SKIPPED message (set
//! SANGAM_REQUIRE_PYXFORM=1 to make that a failure instead).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Map, Value};

use sangam_core::forms::definition::{FormDefinition, Item, Translated};
use sangam_core::forms::xlsform::{self, ProblemKind};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether pyxform can be imported; prints a loud message when not.
fn pyxform_available() -> bool {
    let ok = Command::new(python()).args(["-c", "import pyxform"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        let msg = "pyxform is not importable (pip install pyxform): the pyxform cross-check did not run";
        if std::env::var("SANGAM_REQUIRE_PYXFORM").as_deref() == Ok("1") {
            panic!("{msg}");
        }
        eprintln!("\n==================== SKIPPED ====================\n{msg}\n=================================================\n");
    }
    ok
}

fn pyxform(path: &Path) -> Value {
    let out = Command::new(python())
        .arg(root().join("../scripts/pyxform_dump.py"))
        .arg(path)
        .output()
        .expect("python runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("pyxform_dump output for {}: {e}\n{}", path.display(), String::from_utf8_lossy(&out.stderr)))
}

fn tr(t: &Translated) -> Value {
    json!(t)
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map(|s| json!(s)).unwrap_or(Value::Null)
}

fn items(list: &[Item]) -> Vec<Value> {
    list
        .iter()
        .map(|it| match it {
            Item::Group(g) => json!({"kind": "group", "name": g.name, "label": tr(&g.label), "relevant": opt(&g.relevant),
                "children": items(&g.items)}),
            Item::Repeat(r) => json!({"kind": "repeat", "name": r.name, "label": tr(&r.label), "relevant": opt(&r.relevant),
                "repeat_count": opt(&r.repeat_count), "children": items(&r.items)}),
            Item::Question(q) => json!({
                "kind": "question", "name": q.name, "type": q.kind.as_str(), "list": opt(&q.list_name),
                "label": tr(&q.label), "hint": tr(&q.hint), "required": opt(&q.required),
                "required_message": tr(&q.required_message), "relevant": opt(&q.relevant),
                "constraint": opt(&q.constraint), "constraint_message": tr(&q.constraint_message),
                "calculation": opt(&q.calculation), "choice_filter": opt(&q.choice_filter), "read_only": opt(&q.read_only),
            }),
        })
        .collect()
}

/// Our definition in the shape scripts/pyxform_dump.py prints.
fn normalise(def: &FormDefinition) -> Value {
    let mut choices = Map::new();
    for (name, list) in &def.choice_lists {
        // pyxform writes external_choices lists to itemsets.csv, not into its form.
        if name.starts_with("external_choices:") {
            continue;
        }
        let cs: Vec<Value> = list.choices.iter().map(|c| json!({"name": c.name, "label": tr(&c.label), "extra": c.extra})).collect();
        choices.insert(name.clone(), Value::Array(cs));
    }
    json!({"form_id": def.form_id, "version": def.version, "title": def.title, "default_language": def.default_language,
        "items": items(&def.items), "choices": choices})
}

/// pyxform leaves the version out when the settings sheet has none (we default to "1"), and
/// names the default language `default` where every column has a language (we name the first).
fn comparable(mut ours: Value, theirs: &Value) -> (Value, Value) {
    if theirs["version"].is_null() {
        ours["version"] = Value::Null;
    }
    ours["default_language"] = theirs["default_language"].clone();
    let mut theirs = theirs.clone();
    specify_other(&mut ours);
    specify_other(&mut theirs);
    (ours, theirs)
}

/// The `<name>_other` question of `or_other`: pyxform refers to its select as `../name`
/// (we write `${name}`) and labels it in a language called `default`; compare the rest.
fn specify_other(v: &mut Value) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(specify_other),
        Value::Object(m) => {
            let name = m.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            let rel = m.get("relevant").and_then(Value::as_str).unwrap_or("").to_string();
            if let Some(base) = name.strip_suffix("_other") {
                if rel == format!("selected(../{base}, 'other')") || rel == format!("selected(${{{base}}}, 'other')") {
                    m.insert("relevant".into(), json!(format!("selected(${{{base}}}, 'other')")));
                    m.remove("label");
                }
            }
            m.values_mut().for_each(specify_other);
        }
        _ => {}
    }
}

fn assert_agrees(path: &Path, def: &FormDefinition, theirs: &Value) {
    let (ours, theirs) = comparable(normalise(def), theirs);
    if ours != theirs {
        let a = serde_json::to_string_pretty(&ours).unwrap_or_default();
        let b = serde_json::to_string_pretty(&theirs).unwrap_or_default();
        let first = a.lines().zip(b.lines()).enumerate().find(|(_, (x, y))| x != y);
        panic!("{} differs from pyxform at line {:?}\n--- ours ---\n{a}\n--- pyxform ---\n{b}", path.display(), first);
    }
}

#[test]
fn fixtures_agree_with_pyxform() {
    if !pyxform_available() {
        return;
    }
    for name in ["deep_listening.xlsx", "entrepreneur_followup_v1.xlsx", "entrepreneur_followup_v2.xlsx", "bench_300.xlsx"] {
        let path = root().join("tests/fixtures/forms").join(name);
        let def = xlsform::import_file(&path).expect("fixture imports");
        let theirs = pyxform(&path);
        assert_eq!(theirs["ok"], true, "pyxform refuses {name}: {}", theirs["error"]);
        assert_agrees(&path, &def, &theirs["form"]);
    }
}

/// Corpus forms we refuse for reasons other than a named unsupported feature, though pyxform
/// accepts them, and why.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    ("attribute_columns_test.xlsx", "the name '_1': names starting with '_' are reserved by the store"),
    ("flat_xlsform_test.xlsx", "the name '_1': names starting with '_' are reserved by the store"),
    ("xlsform_spec_test.xlsx", "the name '_1': names starting with '_' are reserved by the store"),
    ("bad_calc.xlsx", "a calculation that is not an expression: pyxform leaves it to ODK Validate, we check it"),
    ("bug_bad_calc.xlsx", "a calculation that is not an expression: pyxform leaves it to ODK Validate, we check it"),
    ("bug_UCL_Biomass_Plot_Form.xlsx", "curly quotes in expressions (ODK Validate refuses them too) and a nested repeat"),
    ("bug_extra_columns.xls", "a row with a type but no name, and a date default of '1'"),
    ("case_insensitivity.xls", "an entities label that is a bare word ('l1'), which we refuse as a likely typo, as in calculations"),
    ("case_insensitivity.xlsx", "an entities label that is a bare word ('l1'), which we refuse as a likely typo, as in calculations"),
    ("choice_filter_test.xlsx", "a choice name twice in one list: answers are stored by choice name"),
    ("or_other.xlsx", "a choice filter comparing with a bare 'yes', a column the list does not have"),
    ("repeat_date_test.xls", "notes without a name: answers and state are kept by name"),
    ("survey_no_name.xlsx", "no sheet called 'survey'"),
];

/// Corpus forms we accept that differ from pyxform's view on purpose, and why.
const ACCEPTED_DIFFERENCES: &[(&str, &str)] = &[
    ("table-list.xls", "pyxform rewrites a table-list group into a generated note and list-nolabel selects; we keep the group's appearance for the renderer"),
    ("widgets.xls", "pyxform rewrites a table-list group into a generated note and list-nolabel selects; we keep the group's appearance for the renderer"),
];

#[test]
fn pyxform_corpus_is_accepted_identically_or_refused_by_name() {
    if !pyxform_available() {
        return;
    }
    let dir = root().join("tests/fixtures/forms/pyxform");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|e| e == "xlsx" || e == "xls").unwrap_or(false))
        .collect();
    files.sort();
    let (mut accepted, mut unsupported, mut both_refuse, mut known) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let theirs = pyxform(path);
        match xlsform::import_file(path) {
            Ok(def) => {
                if theirs["ok"] != true {
                    failures.push(format!("{name}: we accept it, pyxform refuses it: {}", theirs["error"]));
                    continue;
                }
                let (ours, theirs) = comparable(normalise(&def), &theirs["form"]);
                if ours != theirs && ACCEPTED_DIFFERENCES.iter().any(|(f, _)| *f == name) {
                    known += 1;
                    continue;
                }
                if ours != theirs {
                    let a = serde_json::to_string_pretty(&ours).unwrap_or_default();
                    let b = serde_json::to_string_pretty(&theirs).unwrap_or_default();
                    let first = a.lines().zip(b.lines()).find(|(x, y)| x != y).map(|(x, y)| format!("ours {}, pyxform {}", x.trim(), y.trim()));
                    failures.push(format!("{name}: accepted but differs from pyxform: {}", first.unwrap_or_default()));
                    continue;
                }
                accepted += 1;
            }
            Err(problems) => {
                let unnamed: Vec<String> = problems
                    .iter()
                    .filter(|p| !p.is_warning())
                    .filter(|p| p.kind != ProblemKind::Unsupported || p.feature.as_deref().map(str::is_empty).unwrap_or(true))
                    .map(|p| p.to_string())
                    .collect();
                if unnamed.is_empty() {
                    unsupported += 1;
                    let features: Vec<&str> = problems.iter().filter(|p| !p.is_warning()).filter_map(|p| p.feature.as_deref()).collect();
                    println!("{name}: unsupported: {}", features.join(", "));
                } else if theirs["ok"] != true {
                    both_refuse += 1;
                    println!("{name}: refused by both ({})", unnamed[0]);
                } else if KNOWN_DIFFERENCES.iter().any(|(f, _)| *f == name) {
                    known += 1;
                } else {
                    failures.push(format!("{name}: refused, pyxform accepts it:\n    {}", unnamed.join("\n    ")));
                }
            }
        }
    }
    println!("corpus: {accepted} accepted and identical, {unsupported} refused for named unsupported features, {both_refuse} refused by both, {known} known differences");
    assert!(failures.is_empty(), "{} corpus forms disagree:\n{}", failures.len(), failures.join("\n"));
    assert!(accepted >= 5, "too few corpus forms accepted: {accepted}");
}
