//! Real-world XLSForms (issue 11): forms written by health, humanitarian, research and mapping
//! programmes, kept outside the repository with their sources and licences in the folder's
//! SOURCES.md. Every form is imported and a table is printed (file, accepted?, what pyxform
//! says, first refusal). Forms listed in `EXPECTED_ACCEPTED` must import; every other form
//! must be listed in `OUT_OF_SCOPE` with the reason, and be refused only for features named
//! as unsupported. Accepted forms that pyxform also accepts must agree with pyxform (names,
//! types, nesting, labels and hints per language, expressions, choices), up to the
//! differences listed in `PYXFORM_DIFFERENCES`.
//!
//! The forms are read from `../shared/realforms/` beside the repository; without that folder
//! the test prints a loud SKIPPED message. Without pyxform (`pip install pyxform==4.5.0`) the
//! comparison is skipped with a message and the rest still runs.
//!
//! Table: `cargo test -p sangam-core --test forms_realforms -- --nocapture`

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Map, Value};

use sangam_core::forms::definition::{FormDefinition, Item, Translated};
use sangam_core::forms::xlsform::{self, Problem, ProblemKind};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn realforms() -> PathBuf {
    root().join("../../shared/realforms")
}

/// Forms that import.
const EXPECTED_ACCEPTED: &[&str] = &[
    "cht_covid19_rdt_capture_hi.xlsx",
    "cht_death_report_hi.xlsx",
    "cht_delivery_hi.xlsx",
    "cht_large_cha.xlsx",
    "cht_person_create_hi.xlsx",
    "cht_pnc_danger_baby_hi.xlsx",
    "cht_pregnancy_danger_sign_hi.xlsx",
    "cht_pregnancy_hi.xlsx",
    "cht_pregnancy_home_visit_hi.xlsx",
    "cht_replace_user.xlsx",
    "hotosm_bali_building_risks_id.xlsx",
    "hotosm_entities_registration.xls",
    "hotosm_monrovia_slum_assessment.xlsx",
    "unhcr_kobo_examples.xlsx",
    "unhcr_xlsform_template_dari.xlsx",
    "unicef_liberia_anthro_std_r2.xlsx",
];

const SURVEYCTO: &str = "SurveyCTO-only functions and types (duration(), device-info(), caseid, …): the issue leaves them refused by name";
const CHOICE_DUPLICATES: &str = "a choice name twice in one list without allow_choice_duplicates: an error in the form, and pyxform refuses it for the same reason";

/// How a still-refused form is refused.
#[derive(Clone, Copy, PartialEq)]
enum Refusal {
    /// Only for features named as unsupported.
    Named,
    /// pyxform refuses it too: errors in the form itself are among the reasons.
    BothRefuse,
    /// pyxform accepts it and we refuse it for more than named features: a known gap.
    Gap,
}
use Refusal::{BothRefuse, Gap, Named};

/// Forms still refused, how, and why.
const OUT_OF_SCOPE: &[(&str, Refusal, &str)] = &[
    ("cht_place_create_hi.xlsx", BothRefuse, "a template: defaults 'PLACE_TYPE' that are no choice, and paths into an inputs/meta group the form does not have (pyxform refuses its 'meta' group)"),
    ("epfl_abidjan_household_2022.xls", BothRefuse, "the same name twice in one group (HandWashHabits1, group_HH_location): pyxform refuses it for the same reason"),
    ("epfl_nairobi_household_2021.xls", BothRefuse, "the same name twice in one group (HandWashHabits1, group_HH_location): pyxform refuses it for the same reason"),
    ("hotosm_buildings_nepali.xls", BothRefuse, "triggers naming a question that does not exist (${feature}) and lists missing from the choices sheet: pyxform refuses it"),
    ("hotosm_health_facilities.xls", BothRefuse, "lookups and triggers reading a question that does not exist (${feature}) and lists missing from the choices sheet: pyxform refuses it"),
    ("hotosm_highways.xls", BothRefuse, "a trigger naming a question that does not exist (${feature}): pyxform refuses it"),
    ("hotosm_wildfire_buildings.xlsx", BothRefuse, "labels and triggers naming questions that do not exist (${form_category}, ${existing}): pyxform refuses it"),
    ("ipa_birthday_age.xlsx", Named, SURVEYCTO),
    ("ipa_case_management_es.xlsx", Gap, "SurveyCTO case management: besides SurveyCTO functions, coalesce() with 6 arguments (SurveyCTO's own) and calculations that refer to each other in circles, which SurveyCTO evaluates in sheet order"),
    ("ipa_module_durations.xlsx", Named, SURVEYCTO),
    ("ipa_phone_survey.xlsx", Named, SURVEYCTO),
    ("ipa_phq9_gad7_es.xlsx", Named, SURVEYCTO),
    ("ipa_random_module_order.xlsx", Named, SURVEYCTO),
    ("ipa_repeat_allows_selection.xlsx", Named, SURVEYCTO),
    ("rhomis_core_v1_6_farm_household.xlsx", BothRefuse, "a choice name twice in one list (pyxform refuses it); also choice filters on columns the lists lack and lists missing from the choices sheet (the module-import build of RHoMIS fills them)"),
    ("unhcr_demo_tigrinya_amharic_oromo.xlsx", BothRefuse, "a choice name twice in one list (pyxform refuses it); also a bare word (Ethopia) where a question or a quoted text is meant, which we refuse as a likely typo"),
    ("unhcr_kobo_sample_form.xls", BothRefuse, "a choice name twice in one list (pyxform refuses it); also a bare `name` in a relevant (a choice-filter column outside a choice filter), which we refuse as a likely mistake"),
    ("unicef_liberia_coverage_r1.xlsx", BothRefuse, CHOICE_DUPLICATES),
    ("unicef_liberia_village_r2.xlsx", BothRefuse, CHOICE_DUPLICATES),
];

/// Features refused by name before that now import: no refused form may name one again.
const NOW_SUPPORTED: &[&str] = &[
    "column trigger",
    "column save_to",
    "dynamic default",
    "sheet entities",
    "type select_one_from_file",
    "type select_multiple_from_file",
    "function pulldata()",
];

/// Accepted forms where we differ from pyxform, the one top-level field that differs (left out
/// of that form's comparison; everything else must still agree), and why.
const PYXFORM_DIFFERENCES: &[(&str, &str, &str)] = &[];

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

fn pyxform_available() -> bool {
    Command::new(python()).args(["-c", "import pyxform"]).output().map(|o| o.status.success()).unwrap_or(false)
}

fn pyxform(path: &Path) -> Value {
    let out = Command::new(python()).arg(root().join("../scripts/pyxform_dump.py")).arg(path).output().expect("python runs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("pyxform_dump output for {}: {e}\n{}", path.display(), String::from_utf8_lossy(&out.stderr)))
}

fn tr(t: &Translated) -> Value {
    json!(t)
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map(|s| json!(s)).unwrap_or(Value::Null)
}

fn items(list: &[Item]) -> Vec<Value> {
    list.iter()
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
                // pyxform puts a triggered calculation in a setvalue action, not the bind.
                "calculation": if q.trigger.is_some() { Value::Null } else { opt(&q.calculation) },
                "choice_filter": opt(&q.choice_filter), "read_only": opt(&q.read_only),
            }),
        })
        .collect()
}

fn normalise(def: &FormDefinition) -> Value {
    let mut choices = Map::new();
    for (name, list) in &def.choice_lists {
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
    (ours, theirs.clone())
}

/// The first place two JSON values differ, as a path with both sides.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let (va, vb) = (x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null));
                let sub = match x.get("name").and_then(Value::as_str) {
                    Some(n) => format!("{path}/{n}.{k}"),
                    None => format!("{path}.{k}"),
                };
                if let Some(d) = first_difference(va, vb, &sub) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (va, vb)) in x.iter().zip(y.iter()).enumerate() {
                if let Some(d) = first_difference(va, vb, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            if x.len() != y.len() {
                return Some(format!("{path}: {} items here, {} in pyxform", x.len(), y.len()));
            }
            None
        }
        _ if a == b => None,
        _ => Some(format!("{path}: ours {a}, pyxform {b}")),
    }
}

fn named_only(problems: &[Problem]) -> bool {
    problems
        .iter()
        .filter(|p| !p.is_warning())
        .all(|p| p.kind == ProblemKind::Unsupported && p.feature.as_deref().map(|f| !f.is_empty()).unwrap_or(false))
}

#[test]
fn real_forms_import() {
    let dir = realforms();
    if !dir.is_dir() {
        eprintln!(
            "\n==================== SKIPPED ====================\nno real forms folder at {}: the real-forms test did not run\n=================================================\n",
            dir.display()
        );
        return;
    }
    let with_pyxform = pyxform_available();
    if !with_pyxform {
        eprintln!("\n==== pyxform is not importable (pip install pyxform==4.5.0): the comparison with pyxform is skipped ====\n");
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("real forms folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|e| e == "xlsx" || e == "xls").unwrap_or(false))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut accepted = 0;
    println!("\n{:<40} {:<9} {:<8} first refusal / comparison", "file", "accepted", "pyxform");
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let theirs = if with_pyxform { Some(pyxform(path)) } else { None };
        let py = match &theirs {
            Some(t) if t["ok"] == true => "accepts",
            Some(_) => "refuses",
            None => "-",
        };
        match xlsform::import_file(path) {
            Ok(def) => {
                accepted += 1;
                let mut note = String::new();
                if let Some(t) = theirs.as_ref().filter(|t| t["ok"] == true) {
                    let (mut ours, mut theirs) = comparable(normalise(&def), &t["form"]);
                    let known = PYXFORM_DIFFERENCES.iter().find(|(f, _, _)| *f == name);
                    if let (Some((_, field, _)), Some(o), Some(t)) = (known, ours.as_object_mut(), theirs.as_object_mut()) {
                        o.remove(*field);
                        t.remove(*field);
                    }
                    if let Some(d) = first_difference(&ours, &theirs, "") {
                        note = format!("differs from pyxform: {d}");
                        failures.push(format!("{name}: {note}"));
                    } else if let Some((_, field, _)) = known {
                        note = format!("agrees with pyxform but for its {field} (listed)");
                    } else {
                        note = "agrees with pyxform".into();
                    }
                }
                println!("{name:<40} {:<9} {py:<8} {note}", "yes");
                if OUT_OF_SCOPE.iter().any(|(f, _, _)| *f == name) {
                    failures.push(format!("{name}: accepted now, remove it from OUT_OF_SCOPE"));
                }
            }
            Err(problems) => {
                let first = problems.first().map(|p| p.to_string()).unwrap_or_default();
                let n = problems.iter().filter(|p| !p.is_warning()).count();
                let mut features: Vec<&str> = problems.iter().filter(|p| !p.is_warning()).filter_map(|p| p.feature.as_deref()).collect();
                features.sort();
                features.dedup();
                println!("{name:<40} {:<9} {py:<8} {n} problem(s); {first}", "no");
                if let Some((_, _, why)) = OUT_OF_SCOPE.iter().find(|(f, _, _)| *f == name) {
                    println!("{:<59} out of scope: {why}", "");
                }
                if !features.is_empty() {
                    println!("{:<59} unsupported: {}", "", features.join(", "));
                }
                if std::env::var("SANGAM_REALFORMS_ALL").as_deref() == Ok("1") {
                    problems.iter().for_each(|p| println!("    {p}"));
                }
                for f in features.iter().filter(|f| NOW_SUPPORTED.contains(f)) {
                    failures.push(format!("{name}: refused for '{f}', which is supported now"));
                }
                let listed = OUT_OF_SCOPE.iter().find(|(f, _, _)| *f == name);
                if EXPECTED_ACCEPTED.contains(&name.as_str()) {
                    failures.push(format!("{name}: expected to import, refused: {first}"));
                } else if listed.is_none() {
                    failures.push(format!("{name}: refused and not listed as out of scope: {first}"));
                } else if let (Some((_, BothRefuse, _)), "accepts") = (listed, py) {
                    failures.push(format!("{name}: listed as refused by pyxform too, but pyxform accepts it"));
                } else if listed.map(|(_, how, _)| *how == Named).unwrap_or(true) && !named_only(&problems) {
                    let unnamed: Vec<String> =
                        problems.iter().filter(|p| !p.is_warning() && p.kind != ProblemKind::Unsupported).map(|p| p.to_string()).collect();
                    failures.push(format!("{name}: refused for more than named features:\n    {}", unnamed.join("\n    ")));
                }
            }
        }
    }
    println!("\naccepted {accepted} of {}", files.len());
    assert!(failures.is_empty(), "{} real forms fail:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(accepted, EXPECTED_ACCEPTED.len(), "the accepted count changed: update EXPECTED_ACCEPTED");
}
