//! XLSForm import: the fixtures import into the expected definitions, and every problem of a
//! broken form is reported with sheet, row and column.

use std::path::PathBuf;

use sangam_core::forms::definition::{Item, QuestionType};
use sangam_core::forms::xlsform::{self, ProblemKind};
use sangam_core::forms::{inspect, FormDefinition};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms").join(name)
}

fn load(name: &str) -> FormDefinition {
    match xlsform::import_file(fixture(name)) {
        Ok(d) => d,
        Err(p) => panic!("{name} has problems: {}", p.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

#[test]
fn deep_listening_survey_imports_with_both_languages() {
    let d = load("deep_listening.xlsx");
    assert_eq!(d.form_id, "deep_listening");
    assert_eq!(d.version, "2024061001");
    assert_eq!(d.title, "Deep listening household survey");
    assert_eq!(d.default_language, "English (en)");
    assert_eq!(d.languages, vec!["English (en)".to_string(), "Hindi (hi)".to_string()]);
    let (age, place) = d.question("member_age").expect("member_age");
    assert_eq!(age.kind, QuestionType::Integer);
    assert_eq!(place.repeat.as_deref(), Some("members"));
    assert_eq!(place.groups, vec!["household".to_string()]);
    assert_eq!(age.label["Hindi (hi)"], "उम्र (वर्षों में)");
    assert_eq!(age.constraint.as_deref(), Some(". >= 0 and . <= 120"));
    assert_eq!(age.constraint_message["Hindi (hi)"], "उम्र 0 से 120 के बीच होनी चाहिए।");
    assert_eq!(age.required.as_deref(), Some("true()"));
    let (services, _) = d.question("services_used").unwrap();
    assert_eq!(services.kind, QuestionType::SelectMultiple);
    assert_eq!(services.choice_filter.as_deref(), Some("sector=${main_sector} or sector='all'"));
    assert_eq!(d.choice_lists["service"].choices[0].extra["sector"], "agriculture");
    assert_eq!(d.question("location").unwrap().0.kind, QuestionType::Geopoint);
    assert_eq!(d.question("adults").unwrap().0.calculation.as_deref(), Some("sum(${member_is_adult})"));
    assert_eq!(d.question("land_acres").unwrap().0.default.as_deref(), Some("0"));
    let Item::Group(household) = &d.items[3] else { panic!("the household group comes fourth") };
    assert_eq!(household.relevant.as_deref(), Some("${consent} = 'yes'"));
    let repeat = d.repeats()[0];
    assert_eq!(repeat.repeat_count.as_deref(), Some("${hh_size}"));
}

#[test]
fn broken_form_reports_each_problem_where_it_is() {
    let problems = xlsform::import_file(fixture("broken.xlsx")).expect_err("the form is broken");
    let has = |kind: ProblemKind, row: u32, column: &str| {
        problems.iter().any(|p| p.kind == kind && p.row == Some(row) && p.column.as_deref() == Some(column) && p.sheet == "survey")
    };
    let listing = problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
    assert!(has(ProblemKind::UnknownType, 3, "type"), "{listing}");
    assert!(has(ProblemKind::MissingChoiceList, 4, "type"), "{listing}");
    assert!(has(ProblemKind::UnknownReference, 5, "relevant"), "{listing}");
    assert!(has(ProblemKind::ExpressionSyntax, 6, "constraint"), "{listing}");
    assert!(has(ProblemKind::DuplicateName, 7, "name"), "{listing}");
    assert!(has(ProblemKind::NotClosed, 8, "type"), "{listing}");
    let syntax = problems.iter().find(|p| p.kind == ProblemKind::ExpressionSyntax).unwrap();
    assert_eq!(syntax.cell_column.as_deref(), Some("E"));
    assert!(syntax.to_string().starts_with("survey!E6 (constraint): "), "{syntax}");
}

#[test]
fn unsupported_features_are_named_not_ignored() {
    // Everything this fixture once refused by name (pulldata() included) imports now; what
    // it leaves aside is a warning, never silence.
    let imported = xlsform::import_file_with_warnings(fixture("unsupported.xlsx")).unwrap_or_else(|p| panic!("{p:?}"));
    let warnings: Vec<&str> = imported.warnings.iter().filter_map(|p| p.feature.as_deref()).collect();
    assert!(warnings.contains(&"column media::image"), "{warnings:?}");
    let d = imported.definition;
    assert_eq!(d.question("route").map(|(q, _)| q.kind), Some(QuestionType::Geotrace));
    assert_eq!(d.question("started").map(|(q, _)| q.kind), Some(QuestionType::Start));
    assert_eq!(d.settings.instance_name.as_deref(), Some("x"));
    // SurveyCTO's functions stay refused by name.
    let e = sangam_core::forms::expr::Expr::parse("duration()").unwrap_err();
    assert_eq!(e.unsupported_function.as_deref(), Some("duration"));
}

#[test]
fn inspect_renders_text_and_json() {
    let ok = inspect(fixture("deep_listening.xlsx"));
    assert!(ok.ok());
    assert_eq!(ok.exit_code(), 0);
    let text = ok.to_text();
    assert!(text.contains("Form: Deep listening household survey (form_id deep_listening, version 2024061001)"), "{text}");
    assert!(text.contains("repeat members \"Household member\""), "{text}");
    assert!(text.contains("English (en) [default], Hindi (hi)"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&ok.to_json()).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["definition"]["form_id"], "deep_listening");

    let bad = inspect(fixture("broken.xlsx"));
    assert!(!bad.ok());
    assert_eq!(bad.exit_code(), 1);
    assert!(bad.to_text().contains("survey!B7 (name): the name 'a' is already used at row 2"), "{}", bad.to_text());
    let json: serde_json::Value = serde_json::from_str(&bad.to_json()).unwrap();
    assert_eq!(json["ok"], false);
    assert!(json["problems"].as_array().map(|a| a.len() >= 6).unwrap_or(false));
    assert_eq!(json["problems"][0]["sheet"], "survey");
}

#[test]
fn garbage_and_missing_files_are_problems_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 definitely not a workbook").unwrap();
    let p = xlsform::import_file(&junk).expect_err("junk");
    assert_eq!(p[0].kind, ProblemKind::UnreadableFile);
    let p = xlsform::import_file(dir.path().join("absent.xlsx")).expect_err("absent");
    assert_eq!(p[0].kind, ProblemKind::UnreadableFile);
    // Every truncation of a real workbook is refused or read, never a panic.
    let bytes = std::fs::read(fixture("entrepreneur_followup_v1.xlsx")).unwrap();
    for cut in (0..bytes.len()).step_by(97) {
        let _ = xlsform::import_bytes(&bytes[..cut], "cut");
    }
}

#[test]
fn versions_and_or_other_follow_pyxform() {
    let v2 = load("entrepreneur_followup_v2.xlsx");
    assert_eq!(v2.version, "2");
    assert_eq!(v2.default_language, "default");
    assert_eq!(v2.question("employees").unwrap().0.kind, QuestionType::Decimal);
    assert!(v2.question("loan_amount").is_none());
}
