//! Forms in the store: publishing versions, finding them, live state of a response, flagging on
//! submit without losing data, and moving drafts to the newest version.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use sangam_core::forms::expr::Clock;
use sangam_core::forms::state::ViolationKind;
use sangam_core::forms::{xlsform, FormDefinition};
use sangam_core::{Error, FieldValue, Identity, NewResponse, Role, Store};

fn def(name: &str) -> FormDefinition {
    xlsform::import_file(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms").join(name)).expect("fixture")
}

fn admin_store() -> Store {
    Store::open_in_memory(Identity::new("admin-1", "Admin", Role::Admin)).unwrap()
}

fn clock() -> Clock {
    Clock::fixed(1_709_620_200_000, 330)
}

fn draft(store: &Store, form: &str, version: &str) -> String {
    store
        .create_response(NewResponse { form_id: form.into(), form_version: version.into(), scope: "UP-SIT".into(), subject_id: None })
        .unwrap()
}

#[test]
fn publishing_stores_each_version_once_and_lists_them() {
    let store = admin_store();
    let v1 = store.publish_form(&def("entrepreneur_followup_v1.xlsx"), "UP-SIT").unwrap();
    let v2 = store.publish_form(&def("entrepreneur_followup_v2.xlsx"), "UP-SIT").unwrap();
    store.publish_form(&def("deep_listening.xlsx"), "UP-LKO").unwrap();
    let again = store.publish_form(&def("entrepreneur_followup_v1.xlsx"), "UP-SIT");
    assert!(matches!(again, Err(Error::InvalidInput(m)) if m.contains("already published")));
    let all = store.list_forms(None).unwrap();
    assert_eq!(all.len(), 3);
    let sit = store.list_forms(Some("UP-SIT")).unwrap();
    assert_eq!(sit.iter().map(|r| r.form_version.clone().unwrap()).collect::<Vec<_>>(), vec!["1", "2"]);
    assert_eq!(sit[0].title.as_deref(), Some("Entrepreneur follow-up"));
    assert_eq!(store.newest_form_version("entrepreneur_followup").unwrap().as_deref(), Some("2"));
    assert_eq!(store.form_definition("entrepreneur_followup", None).unwrap(), def("entrepreneur_followup_v2.xlsx"));
    assert_eq!(store.form_definition("entrepreneur_followup", Some("1")).unwrap(), def("entrepreneur_followup_v1.xlsx"));
    assert_eq!(store.form_definition_by_record(&v2).unwrap().version, "2");
    assert_eq!(store.form_record_id("entrepreneur_followup", "1").unwrap(), Some(v1));
    assert!(matches!(store.form_definition("nope", None), Err(Error::NotFound(_))));
    assert!(matches!(store.form_definition("entrepreneur_followup", Some("9")), Err(Error::NotFound(_))));
}

#[test]
fn only_admins_publish_and_broken_definitions_are_refused() {
    let store = Store::open_in_memory(Identity::field_worker("fw-1", "Asha")).unwrap();
    assert!(matches!(store.publish_form(&def("deep_listening.xlsx"), "UP-SIT"), Err(Error::Forbidden(_))));
    let store = admin_store();
    let mut bad = def("entrepreneur_followup_v1.xlsx");
    bad.version = "3".into();
    if let sangam_core::forms::definition::Item::Question(q) = &mut bad.items[0] {
        q.relevant = Some("${ghost} = 1".into());
    }
    assert!(matches!(store.publish_form(&bad, "UP-SIT"), Err(Error::InvalidInput(m)) if m.contains("ghost")));
}

#[test]
fn response_state_comes_from_its_pinned_version() {
    let store = admin_store();
    store.publish_form(&def("deep_listening.xlsx"), "UP-SIT").unwrap();
    let r = draft(&store, "deep_listening", "2024061001");
    store.set_answer(&r, "consent", &FieldValue::Text("yes".into())).unwrap();
    store.set_answer(&r, "hh_size", &FieldValue::Int(2)).unwrap();
    let row = store.add_repeat_row(&r, "members").unwrap();
    store.set_row_answer(&r, "members", &row, "member_age", Some(&FieldValue::Int(12))).unwrap();
    let s = store.response_form_state(&r, Some("Hindi (hi)"), clock()).unwrap();
    assert_eq!(s.form_version, "2024061001");
    assert!(s.question("village").unwrap().relevant);
    assert!(s.row_question("members", &row, "member_school").unwrap().relevant);
    assert_eq!(s.question("adults").unwrap().value, Some(FieldValue::Text("0".into())));
    let mut live = store.live_form(&r, clock()).unwrap();
    live.set_answer("member_age", Some(&row), Some(&FieldValue::Int(30))).unwrap();
    assert_eq!(live.state(None).question("adults").unwrap().value, Some(FieldValue::Text("1".into())));
}

#[test]
fn submitting_flags_violations_and_keeps_every_answer() {
    let store = admin_store();
    store.publish_form(&def("deep_listening.xlsx"), "UP-SIT").unwrap();
    let r = draft(&store, "deep_listening", "2024061001");
    store.set_answer(&r, "consent", &FieldValue::Text("yes".into())).unwrap();
    store.set_answer(&r, "hh_size", &FieldValue::Int(99)).unwrap();
    store.set_answer(&r, "phone", &FieldValue::Text("123".into())).unwrap();
    let report = store.submit_response(&r, Some("English (en)"), clock()).unwrap();
    assert!(!report.ok);
    let hh = report.violations.iter().find(|v| v.question == "hh_size").unwrap();
    assert_eq!((hh.kind, hh.message.as_str()), (ViolationKind::Constraint, "A household has 1 to 30 members."));
    assert!(report.violations.iter().any(|v| v.question == "phone" && v.kind == ViolationKind::Constraint));
    assert!(report.violations.iter().any(|v| v.question == "village" && v.kind == ViolationKind::Required));
    let resp = store.response(&r).unwrap();
    assert_eq!(resp.status, sangam_core::ResponseStatus::Submitted);
    assert_eq!(resp.answers["hh_size"], FieldValue::Int(99), "flagged, never dropped");
    assert_eq!(resp.answers["phone"], FieldValue::Text("123".into()));
    let stored = store.response_validation(&r).unwrap().expect("flag stored on the response");
    assert_eq!(stored.violations, report.violations);
    assert!(!stored.ok);
    assert_eq!(stored.checked_by, "admin-1");
    // Fixing the answers and validating again clears the flags.
    store.set_answer(&r, "hh_size", &FieldValue::Int(3)).unwrap();
    let again = store.validate_response(&r, None, clock()).unwrap();
    assert!(!again.violations.iter().any(|v| v.question == "hh_size"));
    assert_eq!(store.response_validation(&r).unwrap().unwrap().violations, again.violations);
    // An unchanged result is not written again.
    let heads = store.heads(&r).unwrap();
    store.validate_response(&r, None, clock()).unwrap();
    assert_eq!(store.heads(&r).unwrap(), heads);
}

#[test]
fn validating_a_response_of_an_unknown_form_is_not_found() {
    let store = admin_store();
    let r = draft(&store, "never_published", "1");
    assert!(matches!(store.validate_response(&r, None, clock()), Err(Error::NotFound(_))));
    assert!(store.response_validation(&r).unwrap().is_none());
}

#[test]
fn moving_a_draft_keeps_what_fits_and_reports_the_rest() {
    let store = admin_store();
    store.publish_form(&def("entrepreneur_followup_v1.xlsx"), "UP-SIT").unwrap();
    let r = draft(&store, "entrepreneur_followup", "1");
    let answers: BTreeMap<String, Option<FieldValue>> = [
        ("enterprise_name", FieldValue::Text("Devi Silai Kendra".into())),
        ("business_type", FieldValue::Text("poultry".into())),
        ("employees", FieldValue::Int(3)),
        ("monthly_revenue", FieldValue::Decimal(12_500.0)),
        ("has_loan", FieldValue::Text("yes".into())),
        ("loan_amount", FieldValue::Int(50_000)),
        ("followup_date", FieldValue::Text("2024-03-01".into())),
        ("challenges", FieldValue::Choices(BTreeSet::from(["credit".to_string(), "weather".to_string()]))),
        ("notes", FieldValue::Text("Orders up before Eid.".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v)))
    .collect();
    store.set_answers(&r, &answers).unwrap();
    // Nothing newer yet: nothing moves.
    let same = store.move_draft_to_newest(&r).unwrap();
    assert_eq!((same.from_version.as_str(), same.to_version.as_str()), ("1", "1"));
    store.publish_form(&def("entrepreneur_followup_v2.xlsx"), "UP-SIT").unwrap();
    let report = store.move_draft_to_newest(&r).unwrap();
    assert_eq!((report.from_version.as_str(), report.to_version.as_str()), ("1", "2"));
    let left: BTreeMap<&str, &str> = report.left_out.iter().map(|l| (l.question.as_str(), l.reason.as_str())).collect();
    assert!(left["business_type"].contains("no longer offered"), "{left:?}");
    assert!(left["loan_amount"].contains("no question"), "{left:?}");
    assert!(left["challenges"].contains("no longer offered"), "{left:?}");
    assert_eq!(report.converted, vec!["challenges", "employees", "monthly_revenue"]);
    assert_eq!(report.kept, 4, "enterprise_name, has_loan, followup_date and notes are kept as they were");
    let resp = store.response(&r).unwrap();
    assert_eq!(resp.form_version, "2");
    assert_eq!(resp.answers["employees"], FieldValue::Decimal(3.0));
    assert_eq!(resp.answers["monthly_revenue"], FieldValue::Int(12_500));
    assert_eq!(resp.answers["challenges"], FieldValue::Choices(BTreeSet::from(["credit".to_string()])));
    assert_eq!(resp.answers["notes"], FieldValue::Text("Orders up before Eid.".into()));
    assert!(!resp.answers.contains_key("loan_amount"));
    assert!(!resp.answers.contains_key("business_type"));
    // What was left out is kept on the response.
    let history = store.migration_history(&r).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].left_out, report.left_out);
    assert!(history[0].left_out.iter().any(|l| l.question == "loan_amount" && l.value == FieldValue::Int(50_000)));
    // Submitted responses stay on their version.
    store.set_response_status(&r, sangam_core::ResponseStatus::Submitted).unwrap();
    assert!(matches!(store.move_draft_to_newest(&r), Err(Error::InvalidInput(_))));
}

#[test]
fn a_started_response_keeps_its_forms_defaults_literal_and_computed() {
    use sangam_core::forms::definition::{Item, Question, QuestionType};
    let store = admin_store();
    let mut village = Question::new("village", QuestionType::Text);
    village.default = Some("Rampur".into());
    let mut seen = Question::new("seen", QuestionType::Date);
    seen.default = Some("today()".into());
    let plain = Question::new("notes", QuestionType::Text);
    let def = FormDefinition {
        form_id: "visit".into(),
        version: "1".into(),
        title: "Visit".into(),
        default_language: "default".into(),
        languages: vec!["default".into()],
        items: vec![Item::Question(village), Item::Question(seen), Item::Question(plain)],
        choice_lists: BTreeMap::new(),
        settings: Default::default(),
    };
    store.publish_form(&def, "UP-SIT").unwrap();
    let r = draft(&store, "visit", "1");
    let mut got = store.start_response(&r, clock()).unwrap();
    got.sort();
    assert_eq!(got, ["seen", "village"]);
    let answers = store.response(&r).unwrap().answers;
    assert_eq!(answers["village"], FieldValue::Text("Rampur".into()));
    assert_eq!(answers["seen"].display(), "2024-03-05", "today() at the clock's time and offset");
    assert!(!answers.contains_key("notes"));
    // Starting again changes nothing; a response of a form not published here is left alone.
    assert!(store.start_response(&r, clock()).unwrap().is_empty());
    let other = draft(&store, "unknown", "1");
    assert!(store.start_response(&other, clock()).unwrap().is_empty());
}

#[test]
fn submitting_a_registration_form_creates_its_subject_and_a_follow_up_updates_it() {
    use sangam_core::forms::definition::{EntityDeclaration, Item, Question, QuestionType};
    let store = admin_store();
    let form = |id: &str, entity_id: Option<&str>| {
        let mut head = Question::new("head", QuestionType::Text);
        head.save_to = Some("head_name".into());
        let mut size = Question::new("size", QuestionType::Integer);
        size.save_to = Some("members".into());
        let mut items = vec![Item::Question(head), Item::Question(size)];
        if entity_id.is_some() {
            items.push(Item::Question(Question::new("household", QuestionType::Text)));
        }
        let mut def = FormDefinition {
            form_id: id.into(),
            version: "1".into(),
            title: id.into(),
            default_language: "default".into(),
            languages: vec!["default".into()],
            items,
            choice_lists: BTreeMap::new(),
            settings: Default::default(),
        };
        def.settings.entities.push(EntityDeclaration {
            dataset: "household".into(),
            label: Some("concat('Household of ', ${head})".into()),
            create_if: None,
            update_if: entity_id.map(|_| "true()".into()),
            entity_id: entity_id.map(Into::into),
        });
        def
    };
    store.publish_form(&form("register", None), "UP-SIT").unwrap();
    store.publish_form(&form("follow_up", Some("${household}")), "UP-SIT").unwrap();
    let r = draft(&store, "register", "1");
    store.set_answer(&r, "head", &FieldValue::Text("Sunita Devi".into())).unwrap();
    store.set_answer(&r, "size", &FieldValue::Int(5)).unwrap();
    let report = store.submit_response(&r, None, clock()).unwrap();
    assert_eq!(report.subjects.len(), 1, "one subject made");
    let hh = &report.subjects[0];
    let s = store.subject(hh).unwrap();
    assert_eq!((s.subject_type.as_str(), s.scope.as_str()), ("household", "UP-SIT"));
    assert_eq!(s.attrs["name"], FieldValue::Text("Household of Sunita Devi".into()));
    assert_eq!((s.attrs["head_name"].clone(), s.attrs["members"].clone()), (FieldValue::Text("Sunita Devi".into()), FieldValue::Int(5)));
    assert_eq!(store.response(&r).unwrap().subject_id.as_deref(), Some(hh.as_str()), "the response is about its subject");
    // Submitting again updates the same subject instead of making another.
    store.set_answer(&r, "size", &FieldValue::Int(6)).unwrap();
    assert_eq!(store.submit_response(&r, None, clock()).unwrap().subjects, [hh.clone()]);
    assert_eq!(store.subject(hh).unwrap().attrs["members"], FieldValue::Int(6));
    // A follow-up naming the household updates it.
    let f = draft(&store, "follow_up", "1");
    store.set_answer(&f, "household", &FieldValue::Text(hh.clone())).unwrap();
    store.set_answer(&f, "size", &FieldValue::Int(7)).unwrap();
    assert_eq!(store.submit_response(&f, None, clock()).unwrap().subjects, [hh.clone()]);
    assert_eq!(store.subject(hh).unwrap().attrs["members"], FieldValue::Int(7));
    let households = store.search_subjects(&sangam_core::SubjectQuery { subject_type: Some("household".into()), ..Default::default() }).unwrap();
    assert_eq!(households.len(), 1, "no duplicate subject");
}

/// A name used twice in a form (XLSForm wants names unique only among siblings) is kept under
/// its path, `hh/name` and `visit/name`: the store takes such keys (and names starting with
/// `_`, as CHT's `_id`), a concurrent edit of one is a conflict a coordinator resolves by its
/// path, and CSV gives each its own column.
#[test]
fn answers_keyed_by_path_are_stored_resolved_and_exported_apart() {
    let store = Store::open_in_memory(Identity::new("co", "Coordinator", Role::Admin)).unwrap();
    store.publish_form(&def("realworld_features.xlsx"), "UP-SIT").unwrap();
    let r = draft(&store, "realworld", "3");
    store.set_answer(&r, "hh/name", &FieldValue::Text("Sunita".into())).unwrap();
    store.set_answer(&r, "visit/name", &FieldValue::Text("Asha".into())).unwrap();
    store.set_answer(&r, "_inputs_id", &FieldValue::Text("c-17".into())).unwrap();
    for bad in ["", "a//b", "/a", "_pos", &"x".repeat(129)] {
        assert!(store.set_answer(&r, bad, &FieldValue::Int(1)).is_err(), "{bad:?}");
    }
    let resp = store.response(&r).unwrap();
    assert_eq!(resp.answers["hh/name"], FieldValue::Text("Sunita".into()));
    assert_eq!(resp.answers["_inputs_id"], FieldValue::Text("c-17".into()));
    let st = store.response_form_state(&r, None, clock()).unwrap();
    assert_eq!(st.question("visit/name").unwrap().value, Some(FieldValue::Text("Asha".into())));

    // A concurrent edit of `visit/name` on another device: a conflict, resolved by its path.
    let other = Store::open_in_memory(Identity::field_worker("fw", "FW")).unwrap();
    other.apply_changes(&r, &store.export_changes(&r, &[]).unwrap()).unwrap();
    other.set_answer(&r, "visit/name", &FieldValue::Text("Bina".into())).unwrap();
    store.set_answer(&r, "visit/name", &FieldValue::Text("Chitra".into())).unwrap();
    store.apply_changes(&r, &other.export_changes(&r, &[]).unwrap()).unwrap();
    let c = store.conflicts(&r).unwrap();
    assert_eq!(c.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), ["answers/visit/name"]);
    store.resolve_conflict(&r, "answers/visit/name", &FieldValue::Text("Bina".into())).unwrap();
    assert!(store.conflicts(&r).unwrap().is_empty());
    assert_eq!(store.response(&r).unwrap().answers["visit/name"], FieldValue::Text("Bina".into()));

    // CSV: one column each.
    store.set_response_status(&r, sangam_core::ResponseStatus::Submitted).unwrap();
    let dir = tempfile::tempdir().unwrap();
    store.export_csv("realworld", &sangam_core::ExportOptions::default(), dir.path(), &mut |_| true).unwrap();
    let main = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().ends_with("-v3.csv"))
        .expect("the main CSV");
    let text = std::fs::read_to_string(main).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').map(|c| c.trim_matches('"')).collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').map(|c| c.trim_matches('"')).collect();
    let at = |h: &str| row[head.iter().position(|x| *x == h).unwrap_or_else(|| panic!("no column {h}: {head:?}"))];
    assert_eq!((at("hh-name"), at("visit-name")), ("Sunita", "Bina"));
}

#[test]
fn a_once_calculation_is_saved_with_the_response_and_keeps_its_value_when_reopened() {
    use sangam_core::forms::definition::{Item, Question, QuestionType};
    let store = admin_store();
    let mut arm = Question::new("arm", QuestionType::Calculate);
    arm.calculation = Some("once(random())".into());
    let mut day = Question::new("enrolled_on", QuestionType::Calculate);
    day.calculation = Some("once( today() )".into());
    let mut plain = Question::new("noise", QuestionType::Calculate);
    plain.calculation = Some("random()".into());
    let form = FormDefinition {
        form_id: "rct".into(),
        version: "1".into(),
        title: "RCT".into(),
        default_language: "default".into(),
        languages: vec!["default".into()],
        items: vec![Item::Question(arm), Item::Question(day), Item::Question(plain)],
        choice_lists: Default::default(),
        settings: Default::default(),
    };
    store.publish_form(&form, "UP-SIT").unwrap();
    let r = draft(&store, "rct", "1");
    store.start_response(&r, clock()).unwrap();
    let saved = store.response(&r).unwrap().answers;
    let first = saved.get("arm").cloned().expect("the once() value is saved");
    assert!(saved.contains_key("enrolled_on"));
    assert!(!saved.contains_key("noise"), "a plain calculation is not saved");
    for _ in 0..3 {
        let st = store.live_form(&r, Clock::system()).unwrap().state(None);
        assert_eq!(st.question("arm").unwrap().value, Some(FieldValue::Text(first.display())), "the same arm every time it is opened");
    }
}

/// Two phones submit follow-ups of one household offline: what each changed merges into the
/// subject as subject edits do, and the field both changed is a conflict with both values,
/// which a coordinator resolves.
#[test]
fn follow_ups_on_two_phones_updating_one_household_merge_as_subject_edits_do() {
    use sangam_core::forms::definition::{EntityDeclaration, Item, Question, QuestionType};
    use sangam_core::sync::BundleOptions;
    let admin = admin_store();
    let mut head = Question::new("head", QuestionType::Text);
    head.save_to = Some("head_name".into());
    let mut size = Question::new("size", QuestionType::Integer);
    size.save_to = Some("members".into());
    let mut phone_q = Question::new("phone", QuestionType::Text);
    phone_q.save_to = Some("phone".into());
    let mut def = FormDefinition {
        form_id: "follow_up".into(),
        version: "1".into(),
        title: "Follow-up".into(),
        default_language: "default".into(),
        languages: vec!["default".into()],
        items: vec![Item::Question(head), Item::Question(size), Item::Question(phone_q), Item::Question(Question::new("household", QuestionType::Text))],
        choice_lists: BTreeMap::new(),
        settings: Default::default(),
    };
    def.settings.entities.push(EntityDeclaration {
        dataset: "household".into(),
        label: None,
        create_if: None,
        update_if: Some("true()".into()),
        entity_id: Some("${household}".into()),
    });
    admin.publish_form(&def, "UP-SIT").unwrap();
    let hh = admin.create_subject(sangam_core::NewSubject::new("household", "UP-SIT").attr("name", "Sunita Devi")).unwrap();
    let a = Store::open_in_memory(Identity::field_worker("fw-a", "Asha")).unwrap();
    let b = Store::open_in_memory(Identity::field_worker("fw-b", "Bina")).unwrap();
    let all = admin.export_bundle(&BundleOptions::default()).unwrap();
    a.import_bundle(&all, None).unwrap();
    b.import_bundle(&all, None).unwrap();
    let follow_up = |s: &Store, size: Option<i64>, phone: &str| {
        let r = draft(s, "follow_up", "1");
        s.set_answer(&r, "household", &FieldValue::Text(hh.clone())).unwrap();
        if let Some(n) = size {
            s.set_answer(&r, "size", &FieldValue::Int(n)).unwrap();
        }
        s.set_answer(&r, "phone", &FieldValue::Text(phone.into())).unwrap();
        assert_eq!(s.submit_response(&r, None, clock()).unwrap().subjects, [hh.clone()]);
    };
    follow_up(&a, Some(6), "98765 43210");
    follow_up(&b, None, "91234 56789");
    // They meet (through the hub, or a bundle): each takes the other's changes.
    a.import_bundle(&b.export_bundle(&BundleOptions::default()).unwrap(), None).unwrap();
    b.import_bundle(&a.export_bundle(&BundleOptions::default()).unwrap(), None).unwrap();
    for s in [&a, &b] {
        let subject = s.subject(&hh).unwrap();
        assert_eq!(subject.attrs["members"], FieldValue::Int(6), "A's change to the household size is kept");
        assert_eq!(subject.attrs["name"], FieldValue::Text("Sunita Devi".into()));
        let conflicts = s.conflicts(&hh).unwrap();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert_eq!(conflicts[0].path, "attrs/phone");
        let values: BTreeSet<String> = conflicts[0].values.iter().map(|v| v.value.to_string()).collect();
        assert_eq!(values, ["\"91234 56789\"".to_string(), "\"98765 43210\"".to_string()].into_iter().collect());
    }
    assert_eq!(a.subject(&hh).unwrap().attrs["phone"], b.subject(&hh).unwrap().attrs["phone"], "both show the same value until it is resolved");
}

#[test]
fn a_new_repeat_row_gets_its_defaults_and_keeps_its_once_values() {
    use sangam_core::forms::definition::{Item, Question, QuestionType, Repeat};
    let store = admin_store();
    let mut token = Question::new("token", QuestionType::Calculate);
    token.calculation = Some("once(random())".into());
    let mut role = Question::new("role", QuestionType::Text);
    role.default = Some("member".into());
    let rep = Repeat {
        name: "members".into(),
        label: Default::default(),
        relevant: None,
        repeat_count: None,
        appearance: None,
        items: vec![Item::Question(token), Item::Question(role), Item::Question(Question::new("name", QuestionType::Text))],
    };
    let form = FormDefinition {
        form_id: "roster".into(),
        version: "1".into(),
        title: "Roster".into(),
        default_language: "default".into(),
        languages: vec!["default".into()],
        items: vec![Item::Repeat(rep)],
        choice_lists: Default::default(),
        settings: Default::default(),
    };
    store.publish_form(&form, "UP-SIT").unwrap();
    let r = draft(&store, "roster", "1");
    let a = store.start_repeat_row(&r, "members", None, clock()).unwrap();
    let b = store.start_repeat_row(&r, "members", None, clock()).unwrap();
    let rows = store.response(&r).unwrap().repeats["members"].clone();
    assert_eq!(rows.iter().map(|x| x.row_id.clone()).collect::<Vec<_>>(), [a.clone(), b]);
    assert_eq!(rows[0].answers["role"], FieldValue::Text("member".into()), "the default is saved with the row");
    let token = rows[0].answers.get("token").cloned().expect("the row's once() value is saved");
    for _ in 0..2 {
        let st = store.live_form(&r, Clock::system()).unwrap().state(None);
        let row = st.repeats.iter().find(|x| x.name == "members").unwrap().rows.iter().find(|x| x.row_id == a).unwrap().clone();
        assert_eq!(row.questions.iter().find(|q| q.name == "token").unwrap().value, Some(FieldValue::Text(token.display())));
    }
}
