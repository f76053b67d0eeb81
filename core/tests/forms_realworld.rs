//! Features that real-world XLSForms use (issue 11), on one small fixture
//! (tests/fixtures/forms/realworld_features.xlsx, written by make_realworld_features.py beside
//! it): metadata filled from clock and device, names unique only among siblings, XPath paths,
//! calculations on any question, typographic quotes, warnings instead of refusals for
//! display-only settings and columns, instance_name, jr:choice-name, indexed-repeat, range,
//! geotrace, media questions (answered with a stored file), allow_choice_duplicates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use sangam_core::forms::definition::{Item, QuestionType};
use sangam_core::forms::expr::Clock;
use sangam_core::forms::state::{CompiledForm, DeviceInfo, LiveForm, ViolationKind};
use sangam_core::forms::xlsform::{self, ProblemKind};
use sangam_core::FieldValue;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms/realworld_features.xlsx")
}

/// 2024-03-05T06:30:00Z, seen from India (+05:30).
fn clock() -> Clock {
    Clock::fixed(1_709_620_200_000, 330)
}

fn t(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn live() -> LiveForm {
    let def = xlsform::import_file(path()).expect("imports");
    let form = Arc::new(CompiledForm::new(def).expect("compiles"));
    LiveForm::new(form, &BTreeMap::new(), &BTreeMap::new(), clock())
}

#[test]
fn imports_with_warnings_not_refusals() {
    let imported = xlsform::import_file_with_warnings(path()).unwrap_or_else(|p| panic!("{p:#?}"));
    let def = &imported.definition;
    assert_eq!(def.settings.style.as_deref(), Some("pages"));
    assert_eq!(def.settings.instance_name.as_deref(), Some("concat(${greeting}, ' household')"));
    let warned: Vec<&str> = imported.warnings.iter().filter_map(|w| w.feature.as_deref()).collect();
    for f in ["setting public_key", "setting submission_url", "column notes", "column instance::tag", "column media::image", "required on a group"] {
        assert!(warned.contains(&f), "{f} not warned about: {warned:?}");
    }
    assert!(imported.warnings.iter().all(|w| w.kind == ProblemKind::Ignored));
    // Media questions are answered with a stored file now: no warning.
    assert!(!warned.contains(&"type image"), "{warned:?}");
    // allow_choice_duplicates keeps both rows.
    assert_eq!(def.choice_lists["yn"].choices.iter().filter(|c| c.name == "no").count(), 2);
    // Types.
    let kind = |n: &str| def.questions().into_iter().find(|(q, _)| q.name == n).map(|(q, _)| q.kind);
    assert_eq!(kind("start"), Some(QuestionType::Start));
    assert_eq!(kind("deviceid"), Some(QuestionType::DeviceId));
    assert_eq!(kind("_id"), Some(QuestionType::Hidden));
    assert_eq!(kind("score"), Some(QuestionType::Range));
    assert_eq!(kind("road"), Some(QuestionType::Geotrace));
    // Typographic quotes straightened where pyxform straightens them.
    let hidden = def.questions().into_iter().find(|(q, _)| q.name == "_id").unwrap().0.calculation.clone();
    assert_eq!(hidden.as_deref(), Some("'fixed'"));
    // Two questions called `name`, in different groups.
    let names = def.questions().into_iter().filter(|(q, _)| q.name == "name").count();
    assert_eq!(names, 2);
    assert!(matches!(&def.items[5], Item::Group(g) if g.name == "hh"));
}

#[test]
fn names_twice_in_one_group_are_still_refused() {
    // The same check on a definition: two `name`s among the same siblings.
    let mut def = xlsform::import_file(path()).unwrap();
    if let Item::Group(g) = &mut def.items[5] {
        let dup = g.items[0].clone();
        g.items.push(dup);
    }
    assert!(CompiledForm::new(def).is_err());
}

#[test]
fn metadata_is_filled_from_clock_and_device() {
    let mut l = live();
    let device = DeviceInfo { device_id: Some("android:123".into()), username: Some("asha".into()), ..DeviceInfo::default() };
    l.fill_metadata(&device);
    let s = l.state(None);
    let v = |n: &str| s.question(n).and_then(|q| q.value.clone());
    assert_eq!(v("start"), Some(t("2024-03-05T12:00:00.000+05:30")));
    assert_eq!(v("end"), Some(t("2024-03-05T12:00:00.000+05:30")));
    assert_eq!(v("today"), Some(t("2024-03-05")));
    assert_eq!(v("deviceid"), Some(t("android:123")));
    assert_eq!(v("username"), Some(t("asha")));
    assert!(s.question("start").unwrap().read_only);
    // Later: start stays, end moves.
    l.set_clock(Clock::fixed(1_709_620_200_000 + 60_000, 330));
    l.fill_metadata(&device);
    let s = l.state(None);
    assert_eq!(s.question("start").and_then(|q| q.value.clone()), Some(t("2024-03-05T12:00:00.000+05:30")));
    assert_eq!(s.question("end").and_then(|q| q.value.clone()), Some(t("2024-03-05T12:01:00.000+05:30")));
}

#[test]
fn paths_duplicate_names_and_computed_defaults() {
    let mut l = live();
    // The nested `name` is keyed by its path; the unique names keep their own.
    l.set_answer("hh/name", None, Some(&t("Sunita"))).unwrap();
    let s = l.state(None);
    assert!(s.question("visit/name").unwrap().relevant, "../../hh/name resolved from the visit group");
    // A calculation on a text question is a default that stays editable.
    assert_eq!(s.question("greeting").unwrap().value, Some(t("Namaste Sunita")));
    assert!(!s.question("greeting").unwrap().read_only);
    assert_eq!(l.instance_name().as_deref(), Some("Namaste Sunita household"));
    l.set_answer("greeting", None, Some(&t("Hello"))).unwrap();
    l.set_answer("hh/name", None, Some(&t("Meena"))).unwrap();
    assert_eq!(l.state(None).question("greeting").unwrap().value, Some(t("Hello")), "an answer is kept");
    l.set_answer("greeting", None, None).unwrap();
    assert_eq!(l.state(None).question("greeting").unwrap().value, Some(t("Namaste Meena")), "cleared: computed again");
    // Straightened quotes work, and jr:choice-name gives the label.
    l.set_answer("water", None, Some(&t("yes"))).unwrap();
    let s = l.state(None);
    assert!(s.question("piped").unwrap().relevant);
    assert_eq!(s.question("water_label").unwrap().value, Some(t("Yes")));
    assert_eq!(s.question("_id").unwrap().value, Some(t("fixed")));
}

#[test]
fn indexed_repeat_and_range() {
    let mut l = live();
    l.add_row("members", "m1").unwrap();
    l.add_row("members", "m2").unwrap();
    l.set_answer("mname", Some("m1"), Some(&t("Asha"))).unwrap();
    l.set_answer("mname", Some("m2"), Some(&t("Ravi"))).unwrap();
    l.add_row("ages", "a1").unwrap();
    l.add_row("ages", "a2").unwrap();
    let s = l.state(None);
    let ages = s.repeats.iter().find(|r| r.name == "ages").unwrap();
    let who: Vec<Option<FieldValue>> =
        ages.rows.iter().map(|r| r.questions.iter().find(|q| q.name == "who").and_then(|q| q.value.clone())).collect();
    assert_eq!(who, vec![Some(t("Asha")), Some(t("Ravi"))]);
    l.set_answer("score", Some("a1"), Some(&FieldValue::Int(4))).unwrap();
    l.set_answer("score", Some("a2"), Some(&FieldValue::Int(5))).unwrap();
    let s = l.state(None);
    let bad: Vec<&str> = s.violations.iter().filter(|v| v.kind == ViolationKind::Invalid).map(|v| v.question.as_str()).collect();
    assert_eq!(bad, vec!["score"], "5 is off the range's step of 2");
    l.set_answer("road", None, Some(&t("12.9 77.5; 12.91 77.51"))).unwrap();
    assert!(!l.state(None).violations.iter().any(|v| v.question == "road"));
    l.set_answer("road", None, Some(&t("12.9 77.5"))).unwrap();
    assert!(l.state(None).violations.iter().any(|v| v.question == "road" && v.kind == ViolationKind::Invalid), "a trace has two points");
}

#[test]
fn inspect_lists_warnings() {
    let report = sangam_core::forms::inspect(path());
    assert!(report.ok());
    assert!(report.warnings.iter().any(|w| w.feature.as_deref() == Some("setting public_key")));
    let text = report.to_text();
    assert!(text.contains("warnings (the form imports"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert!(json["warnings"].as_array().map(|w| !w.is_empty()).unwrap_or(false));
}

#[test]
fn secondary_instance_values_come_from_the_app() {
    use sangam_core::forms::definition::{FormDefinition, Question};
    let mut q = Question::new("uuid", QuestionType::Calculate);
    q.calculation = Some("if(instance('contact-summary')/context/uuid != '', instance('contact-summary')/context/uuid, 'none')".into());
    let def = FormDefinition {
        form_id: "f".into(),
        version: "1".into(),
        title: "F".into(),
        default_language: "default".into(),
        languages: vec![],
        items: vec![Item::Question(q)],
        choice_lists: BTreeMap::new(),
        settings: Default::default(),
    };
    let mut l = LiveForm::new(Arc::new(CompiledForm::new(def).unwrap()), &BTreeMap::new(), &BTreeMap::new(), clock());
    assert_eq!(l.state(None).question("uuid").unwrap().value, Some(t("none")));
    l.set_instance_values("contact-summary", BTreeMap::from([("/context/uuid".to_string(), "p-17".to_string())]));
    assert_eq!(l.state(None).question("uuid").unwrap().value, Some(t("p-17")));
    // Lookups with predicates parse; they read attachments (forms_external.rs).
    assert!(sangam_core::forms::expr::Expr::parse("instance('features')/root/item[id=${f}]/geometry").is_ok());
    assert!(sangam_core::forms::expr::Expr::parse("${f}[1]").unwrap_err().to_string().contains("predicates"));
}

/// A form reads its own choice lists as ODK serves them, `instance('list')/root/item[…]`
/// (tests/fixtures/forms/choice_lookups.xlsx, written by make_choice_lookups.py), and
/// `jr:choice-name()` names a choice in the language the person chose.
#[test]
fn own_choice_lists_are_instances_and_choice_names_follow_the_language() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms/choice_lookups.xlsx");
    let def = xlsform::import_file(&path).unwrap_or_else(|p| panic!("{p:?}"));
    let form = Arc::new(CompiledForm::new(def).unwrap());
    let mut l = LiveForm::new(form, &BTreeMap::new(), &BTreeMap::new(), clock());
    assert_eq!(l.state(None).question("kharif_crops").unwrap().value, Some(t("2")), "count over the list's items");
    l.set_answer("crop", None, Some(&t("wheat"))).unwrap();
    let s = l.state(None);
    assert_eq!(s.question("season").unwrap().value, Some(t("rabi")), "a further column of the chosen choice");
    assert!(s.question("rabi_note").unwrap().relevant);
    assert_eq!(s.question("crop_label").unwrap().value, Some(t("Wheat")));
    let changed = l.set_language(Some("Hindi (hi)"));
    assert!(changed.contains(&"crop_label".to_string()), "{changed:?}");
    assert_eq!(l.state(Some("Hindi (hi)")).question("crop_label").unwrap().value, Some(t("गेहूँ")));
    // A language the form does not have is its default.
    l.set_language(Some("Klingon"));
    assert_eq!(l.state(None).question("crop_label").unwrap().value, Some(t("Wheat")));
    l.set_answer("crop", None, Some(&t("paddy"))).unwrap();
    let s = l.state(None);
    assert_eq!(s.question("season").unwrap().value, Some(t("kharif")));
    assert!(!s.question("rabi_note").unwrap().relevant);
}
