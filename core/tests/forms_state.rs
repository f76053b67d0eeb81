//! Live form state over the fixture surveys: relevance, required, calculations, constraint
//! messages per language, choice filters, repeats, and incremental updates matching a full
//! recomputation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use sangam_core::forms::expr::Clock;
use sangam_core::forms::state::{CompiledForm, LiveForm, ViolationKind};
use sangam_core::forms::xlsform;
use sangam_core::{FieldValue, RepeatRow};

fn form(name: &str) -> Arc<CompiledForm> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms").join(name);
    let def = xlsform::import_file(path).expect("fixture imports");
    Arc::new(CompiledForm::new(def).expect("fixture compiles"))
}

fn clock() -> Clock {
    Clock::fixed(1_709_620_200_000, 330)
}

fn t(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn live() -> LiveForm {
    LiveForm::new(form("deep_listening.xlsx"), &BTreeMap::new(), &BTreeMap::new(), clock())
}

#[test]
fn skip_logic_follows_consent() {
    let mut l = live();
    let s = l.state(None);
    assert!(!s.question("village").unwrap().relevant, "household questions wait for consent");
    assert!(!s.groups.iter().find(|g| g.name == "household").unwrap().relevant);
    l.set_answer("consent", None, Some(&t("yes"))).unwrap();
    let s = l.state(None);
    assert!(s.question("village").unwrap().relevant);
    assert!(s.question("village").unwrap().required);
    assert!(s.violations.iter().any(|v| v.question == "village" && v.kind == ViolationKind::Required));
    l.set_answer("consent", None, Some(&t("no"))).unwrap();
    let s = l.state(None);
    assert!(!s.question("village").unwrap().relevant);
    assert!(!s.violations.iter().any(|v| v.question == "village"), "irrelevant questions are not required");
}

#[test]
fn constraint_messages_come_in_the_chosen_language() {
    let mut l = live();
    l.set_answer("consent", None, Some(&t("yes"))).unwrap();
    l.set_answer("hh_size", None, Some(&FieldValue::Int(45))).unwrap();
    let en = l.state(Some("English (en)"));
    let v = en.question("hh_size").unwrap().violation.clone().expect("45 members is too many");
    assert_eq!(v.kind, ViolationKind::Constraint);
    assert_eq!(v.message, "A household has 1 to 30 members.");
    let hi = l.state(Some("Hindi (hi)"));
    assert_eq!(hi.question("hh_size").unwrap().violation.as_ref().unwrap().message, "एक परिवार में 1 से 30 सदस्य होते हैं।");
    assert_eq!(hi.question("hh_size").unwrap().label.as_deref(), Some("इस परिवार में कितने लोग रहते हैं?"));
    // Required messages too, and an unknown language falls back to the default.
    l.set_answer("consent", None, None).unwrap();
    let hi = l.state(Some("Hindi (hi)"));
    assert_eq!(hi.question("consent").unwrap().violation.as_ref().unwrap().message, "कृपया सहमति दर्ज करें।");
    assert_eq!(l.state(Some("Klingon")).language, "English (en)");
    // A future interview date breaks `. <= today()`.
    l.set_answer("interview_date", None, Some(&t("2030-01-01"))).unwrap();
    assert_eq!(
        l.state(None).question("interview_date").unwrap().violation.as_ref().unwrap().message,
        "The date cannot be in the future."
    );
    l.set_answer("interview_date", None, Some(&t("2024-03-05"))).unwrap();
    assert!(l.state(None).question("interview_date").unwrap().violation.is_none());
}

#[test]
fn regex_constraint_and_invalid_answers_are_flagged() {
    let mut l = live();
    l.set_answer("consent", None, Some(&t("yes"))).unwrap();
    l.set_answer("phone", None, Some(&t("12345"))).unwrap();
    assert_eq!(l.state(None).question("phone").unwrap().violation.as_ref().unwrap().kind, ViolationKind::Constraint);
    l.set_answer("phone", None, Some(&t("9876543210"))).unwrap();
    assert!(l.state(None).question("phone").unwrap().violation.is_none());
    l.set_answer("hh_size", None, Some(&t("many"))).unwrap();
    assert_eq!(l.state(None).question("hh_size").unwrap().violation.as_ref().unwrap().kind, ViolationKind::Invalid);
    l.set_answer("district", None, Some(&t("mumbai"))).unwrap();
    assert_eq!(l.state(None).question("district").unwrap().violation.as_ref().unwrap().kind, ViolationKind::Invalid);
    l.set_answer("location", None, Some(&t("27.57 80.68 120 5"))).unwrap();
    assert!(l.state(None).question("location").unwrap().violation.is_none());
    l.set_answer("location", None, Some(&t("127.57 80.68"))).unwrap();
    assert_eq!(l.state(None).question("location").unwrap().violation.as_ref().unwrap().kind, ViolationKind::Invalid);
}

#[test]
fn choice_filters_leave_matching_choices() {
    let mut l = live();
    l.set_answer("consent", None, Some(&t("yes"))).unwrap();
    let names = |l: &LiveForm, q: &str| -> Vec<String> {
        l.state(None).question(q).unwrap().choices.as_ref().unwrap().iter().map(|c| c.name.clone()).collect()
    };
    assert!(names(&l, "block").is_empty(), "no district chosen yet");
    l.set_answer("district", None, Some(&t("sitapur"))).unwrap();
    assert_eq!(names(&l, "block"), vec!["machhrehta", "pisawan"]);
    l.set_answer("district", None, Some(&t("lakhimpur"))).unwrap();
    assert_eq!(names(&l, "block"), vec!["gola", "mitauli"]);
    l.set_answer("main_sector", None, Some(&t("health"))).unwrap();
    assert_eq!(names(&l, "services_used"), vec!["asha", "phc", "mgnrega"]);
    let hi = l.state(Some("Hindi (hi)"));
    assert_eq!(hi.question("services_used").unwrap().choices.as_ref().unwrap()[0].label, "आशा दीदी का दौरा");
    // A choice the filter no longer offers is flagged, and kept.
    l.set_answer("services_used", None, Some(&FieldValue::Choices(BTreeSet::from(["seed".to_string()])))).unwrap();
    let s = l.state(None);
    assert_eq!(s.question("services_used").unwrap().violation.as_ref().unwrap().kind, ViolationKind::Invalid);
    assert!(s.question("services_used").unwrap().value.is_some());
}

#[test]
fn select_multiple_constraint_and_other() {
    let mut l = live();
    l.set_answer("consent", None, Some(&t("yes"))).unwrap();
    let set = |xs: &[&str]| FieldValue::Choices(xs.iter().map(|s| s.to_string()).collect());
    l.set_answer("concerns", None, Some(&set(&["none", "water"]))).unwrap();
    assert_eq!(
        l.state(None).question("concerns").unwrap().violation.as_ref().unwrap().message,
        "'None' cannot be combined with other answers."
    );
    assert!(!l.state(None).question("concerns_other").unwrap().relevant);
    l.set_answer("concerns", None, Some(&set(&["water", "other"]))).unwrap();
    let s = l.state(None);
    assert!(s.question("concerns").unwrap().violation.is_none());
    assert!(s.question("concerns_other").unwrap().relevant);
    assert!(s.question("concerns_other").unwrap().required);
}

#[test]
fn repeats_compute_per_row_and_across_rows() {
    let mut l = live();
    l.set_answer("consent", None, Some(&t("yes"))).unwrap();
    l.set_answer("hh_size", None, Some(&FieldValue::Int(3))).unwrap();
    for (id, age) in [("r1", 42), ("r2", 11), ("r3", 19)] {
        l.add_row("members", id).unwrap();
        l.set_answer("member_age", Some(id), Some(&FieldValue::Int(age))).unwrap();
    }
    let s = l.state(None);
    let members = s.repeat("members").unwrap();
    assert_eq!(members.expected_rows, Some(3));
    assert_eq!(members.rows.len(), 3);
    assert_eq!(members.rows[1].position, 2);
    assert!(!s.row_question("members", "r1", "member_school").unwrap().relevant);
    assert!(s.row_question("members", "r2", "member_school").unwrap().relevant);
    assert_eq!(s.row_question("members", "r3", "member_is_adult").unwrap().value, Some(t("1")));
    assert_eq!(s.question("adults").unwrap().value, Some(t("2")));
    assert_eq!(s.question("children").unwrap().value, Some(t("1")));
    let v = s.violations.iter().find(|v| v.question == "member_name" && v.row_id.as_deref() == Some("r2")).unwrap();
    assert_eq!(v.repeat.as_deref(), Some("members"));
    l.remove_row("members", "r1").unwrap();
    assert_eq!(l.state(None).question("adults").unwrap().value, Some(t("1")));
    assert!(l.set_answer("member_age", None, Some(&FieldValue::Int(3))).is_err(), "a row is needed");
    assert!(l.set_answer("member_age", Some("nope"), Some(&FieldValue::Int(3))).is_err());
    assert!(l.set_answer("adults", None, Some(&FieldValue::Int(3))).is_err(), "calculations take no answer");
    assert!(l.set_answer("nothing", None, None).is_err());
}

#[test]
fn calculations_chain_and_go_empty_when_irrelevant() {
    let mut l = live();
    l.set_answer("consent", None, Some(&t("yes"))).unwrap();
    l.set_answer("hh_size", None, Some(&FieldValue::Int(4))).unwrap();
    l.set_answer("monthly_income", None, Some(&FieldValue::Int(10_000))).unwrap();
    assert_eq!(l.state(None).question("income_per_person").unwrap().value, Some(t("2500")));
    l.set_answer("hh_size", None, Some(&FieldValue::Int(3))).unwrap();
    assert_eq!(l.state(None).question("income_per_person").unwrap().value, Some(t("3333.33")));
    l.set_answer("consent", None, Some(&t("no"))).unwrap();
    assert_eq!(l.state(None).question("income_per_person").unwrap().value, None);
    assert_eq!(l.state(None).question("monthly_income").unwrap().value, Some(FieldValue::Int(10_000)), "answers are kept");
}

#[test]
fn one_change_recomputes_only_what_depends_on_it() {
    let mut l = live();
    let touched = l.set_answer("phone", None, Some(&t("9876543210"))).unwrap();
    assert_eq!(touched, vec!["phone".to_string()]);
    let touched = l.set_answer("hh_size", None, Some(&FieldValue::Int(2))).unwrap();
    assert!(touched.contains(&"income_per_person".to_string()));
    assert!(touched.contains(&"members".to_string()));
    assert!(!touched.contains(&"village".to_string()));
}

#[test]
fn incremental_updates_match_a_fresh_computation() {
    let f = form("deep_listening.xlsx");
    let mut l = LiveForm::new(f.clone(), &BTreeMap::new(), &BTreeMap::new(), clock());
    let steps: Vec<(&str, Option<&str>, Option<FieldValue>)> = vec![
        ("consent", None, Some(t("yes"))),
        ("hh_size", None, Some(FieldValue::Int(2))),
        ("member_age", Some("a"), Some(FieldValue::Int(30))),
        ("member_age", Some("b"), Some(FieldValue::Int(9))),
        ("monthly_income", None, Some(FieldValue::Int(5000))),
        ("district", None, Some(t("sitapur"))),
        ("main_sector", None, Some(t("agriculture"))),
        ("consent", None, Some(t("no"))),
        ("member_age", Some("b"), None),
        ("consent", None, Some(t("yes"))),
    ];
    let mut answers = BTreeMap::new();
    let mut rows: BTreeMap<String, RepeatRow> = BTreeMap::new();
    l.add_row("members", "a").unwrap();
    l.add_row("members", "b").unwrap();
    for id in ["a", "b"] {
        rows.insert(id.into(), RepeatRow { row_id: id.into(), answers: BTreeMap::new(), parent_row: None });
    }
    for (name, row, v) in steps {
        l.set_answer(name, row, v.as_ref()).unwrap();
        match (row, &v) {
            (None, Some(v)) => {
                answers.insert(name.to_string(), v.clone());
            }
            (None, None) => {
                answers.remove(name);
            }
            (Some(r), v) => {
                let a = &mut rows.get_mut(r).unwrap().answers;
                match v {
                    Some(v) => a.insert(name.to_string(), v.clone()),
                    None => a.remove(name),
                };
            }
        }
        let repeats = BTreeMap::from([("members".to_string(), rows.values().cloned().collect::<Vec<_>>())]);
        let fresh = LiveForm::new(f.clone(), &answers, &repeats, clock());
        assert_eq!(l.state(Some("Hindi (hi)")), fresh.state(Some("Hindi (hi)")), "after setting {name}");
    }
}

#[test]
fn answers_for_unknown_questions_are_kept_and_listed() {
    let answers = BTreeMap::from([("retired_question".to_string(), t("x"))]);
    let l = LiveForm::new(form("deep_listening.xlsx"), &answers, &BTreeMap::new(), clock());
    assert_eq!(l.state(None).unknown_answers, vec!["retired_question".to_string()]);
}
