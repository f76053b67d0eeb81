//! Attachments, lookups, triggers, dynamic defaults and entities in the live state:
//! `select_one_from_file` choices from a CSV/GeoJSON, `instance('x')/root/item[…]/f` and
//! `pulldata()`, `trigger` (ODK's setvalue on value change), `default` expressions and
//! `${last-saved#q}` at first load and in new repeat rows, and what a response asks of its
//! entity lists.

use std::collections::BTreeMap;
use std::sync::Arc;

use sangam_core::forms::definition::{EntityDeclaration, FormDefinition, Item, Question, QuestionType, Repeat};
use sangam_core::forms::expr::Clock;
use sangam_core::forms::state::{CompiledForm, EntityOp, LiveForm};
use sangam_core::FieldValue;

fn clock() -> Clock {
    Clock::fixed(1_709_620_200_000, 330)
}

fn t(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn form(items: Vec<Item>) -> FormDefinition {
    FormDefinition {
        form_id: "f".into(),
        version: "1".into(),
        title: "F".into(),
        default_language: "default".into(),
        languages: vec!["default".into()],
        items,
        choice_lists: BTreeMap::new(),
        settings: Default::default(),
    }
}

fn live(def: FormDefinition) -> LiveForm {
    let c = CompiledForm::new(def).unwrap_or_else(|i| panic!("{i:?}"));
    LiveForm::new(Arc::new(c), &BTreeMap::new(), &BTreeMap::new(), clock())
}

const TREES: &str = "name,label,district,height\noak,Oak,north,20\npine,Pine,south,35\nash,Ash,north,12\n";

#[test]
fn file_choices_lookups_and_pulldata_read_the_attachment() {
    let mut pick = Question::new("tree", QuestionType::SelectOne);
    pick.list_name = Some("trees.csv".into());
    pick.choices_from_file = true;
    pick.choice_filter = Some("district = 'north'".into());
    let mut h = Question::new("h", QuestionType::Calculate);
    h.calculation = Some("instance('trees')/root/item[name = ${tree}]/height".into());
    let mut p = Question::new("p", QuestionType::Calculate);
    p.calculation = Some("pulldata('trees', 'label', 'name', ${tree})".into());
    let mut n = Question::new("n", QuestionType::Calculate);
    n.calculation = Some("count(instance('trees')/root/item[district = 'north'][height > 15])".into());
    let mut l = live(form(vec![Item::Question(pick), Item::Question(h), Item::Question(p), Item::Question(n)]));
    // Without the attachment: no choices, empty lookups.
    assert!(l.state(None).question("tree").unwrap().choices.clone().unwrap_or_default().is_empty());
    l.set_attachment("trees.csv", TREES.as_bytes()).unwrap();
    let st = l.state(None);
    let choices = st.question("tree").unwrap().choices.clone().unwrap();
    let names: Vec<&str> = choices.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["oak", "ash"]);
    assert_eq!(choices[0].label, "Oak");
    assert_eq!(st.question("n").unwrap().value.as_ref().map(|v| v.display()), Some("1".to_string()));
    l.set_answer("tree", None, Some(&t("pine"))).unwrap();
    let st = l.state(None);
    assert_eq!(st.question("h").unwrap().value, Some(t("35")));
    assert_eq!(st.question("p").unwrap().value, Some(t("Pine")));
    // A broken attachment is an error naming the line, not a panic.
    let e = l.set_attachment("trees.csv", b"name,label\n\"oak,Oak\n").unwrap_err().to_string();
    assert!(e.contains("line 2"), "{e}");
}

#[test]
fn geojson_choices_use_id_and_title() {
    let mut pick = Question::new("feature", QuestionType::SelectOne);
    pick.list_name = Some("buildings.geojson".into());
    pick.choices_from_file = true;
    let mut g = Question::new("where", QuestionType::Calculate);
    g.calculation = Some("instance('buildings')/root/item[id=${feature}]/geometry".into());
    let mut l = live(form(vec![Item::Question(pick), Item::Question(g)]));
    let gj = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"b1","properties":{"title":"School"},"geometry":{"type":"Point","coordinates":[115.2,-8.6]}}]}"#;
    l.set_attachment("buildings.geojson", gj.as_bytes()).unwrap();
    let st = l.state(None);
    let choices = st.question("feature").unwrap().choices.clone().unwrap();
    assert_eq!((choices[0].name.as_str(), choices[0].label.as_str()), ("b1", "School"));
    l.set_answer("feature", None, Some(&t("b1"))).unwrap();
    assert_eq!(l.state(None).question("where").unwrap().value, Some(t("-8.6 115.2 0 0")));
}

#[test]
fn a_trigger_sets_the_value_when_its_question_changes_and_only_then() {
    let a = Question::new("a", QuestionType::Integer);
    let b = Question::new("b", QuestionType::Integer);
    let mut stamp = Question::new("stamp", QuestionType::Calculate);
    stamp.calculation = Some("${a} * 10 + ${b}".into());
    stamp.trigger = Some("${a}".into());
    let mut cleared = Question::new("cleared", QuestionType::Text);
    cleared.trigger = Some("${a}".into());
    let mut l = live(form(vec![Item::Question(a), Item::Question(b), Item::Question(stamp), Item::Question(cleared)]));
    l.set_answer("b", None, Some(&FieldValue::Int(2))).unwrap();
    assert_eq!(l.state(None).question("stamp").unwrap().value, None, "b is no trigger");
    l.set_answer("cleared", None, Some(&t("typed"))).unwrap();
    let touched = l.set_answer("a", None, Some(&FieldValue::Int(3))).unwrap();
    assert!(touched.contains(&"stamp".to_string()));
    let st = l.state(None);
    assert_eq!(st.question("stamp").unwrap().value, Some(t("32")));
    // Without a calculation the trigger clears the value (ODK's empty setvalue).
    assert_eq!(st.question("cleared").unwrap().value, None);
    // b changes: the stamp stays, it is set only when a changes.
    l.set_answer("b", None, Some(&FieldValue::Int(5))).unwrap();
    assert_eq!(l.state(None).question("stamp").unwrap().value, Some(t("32")));
    // The set value is kept like an answer.
    let (answers, _) = l.answers();
    assert_eq!(answers.get("stamp"), Some(&t("32")));
    // A trigger naming itself is refused.
    let mut selfish = Question::new("s", QuestionType::Text);
    selfish.trigger = Some("${s}".into());
    assert!(CompiledForm::new(form(vec![Item::Question(selfish)])).is_err());
}

#[test]
fn defaults_apply_at_start_and_in_new_rows_dynamic_ones_evaluated_then() {
    let mut village = Question::new("village", QuestionType::Text);
    village.default = Some("Rampur".into());
    let mut seen = Question::new("seen", QuestionType::Date);
    seen.default = Some("today()".into());
    let mut width = Question::new("width", QuestionType::Integer);
    width.default = Some("${last-saved#width}".into());
    let mut code = Question::new("code", QuestionType::Text);
    code.default = Some("concat(${village}, '-1')".into());
    let mut age = Question::new("age", QuestionType::Integer);
    age.default = Some("18".into());
    let mut label = Question::new("row_label", QuestionType::Text);
    label.default = Some("concat('member of ', ${village})".into());
    let members = Repeat { name: "members".into(), items: vec![Item::Question(age), Item::Question(label)], ..Default::default() };
    let mut l = live(form(vec![
        Item::Question(village),
        Item::Question(seen),
        Item::Question(width),
        Item::Question(code),
        Item::Repeat(members),
    ]));
    // Nothing is defaulted until the response starts.
    assert_eq!(l.state(None).question("village").unwrap().value, None);
    l.set_last_saved(&BTreeMap::from([("width".to_string(), FieldValue::Int(7))]));
    l.start_response();
    let (a, _) = l.answers();
    assert_eq!(a.get("village"), Some(&t("Rampur")));
    assert_eq!(a.get("seen"), Some(&t("2024-03-05")));
    assert_eq!(a.get("width"), Some(&FieldValue::Int(7)));
    assert_eq!(a.get("code"), Some(&t("Rampur-1")));
    // A given answer is never overwritten by a default.
    l.set_answer("village", None, Some(&t("Sitapur"))).unwrap();
    l.start_response();
    assert_eq!(l.answers().0.get("village"), Some(&t("Sitapur")));
    // A new row gets its questions' defaults, dynamic ones read the response as it is.
    l.add_row("members", "r1").unwrap();
    let (_, rows) = l.answers();
    let r = &rows["members"][0].answers;
    assert_eq!(r.get("age"), Some(&FieldValue::Int(18)));
    assert_eq!(r.get("row_label"), Some(&t("member of Sitapur")));
}

#[test]
fn entity_actions_follow_create_if_update_if_and_save_to() {
    let mut species = Question::new("species", QuestionType::Text);
    species.save_to = Some("species".into());
    let mut height = Question::new("height", QuestionType::Integer);
    height.save_to = Some("height_m".into());
    let existing = Question::new("existing", QuestionType::Text);
    let mut def = form(vec![Item::Question(species), Item::Question(height), Item::Question(existing)]);
    def.settings.entities.push(EntityDeclaration {
        dataset: "trees".into(),
        label: Some("concat(${species}, ' ', ${height}, ' m')".into()),
        create_if: Some("${existing} = ''".into()),
        update_if: Some("${existing} != ''".into()),
        entity_id: Some("${existing}".into()),
    });
    let mut l = live(def.clone());
    l.set_answer("species", None, Some(&t("oak"))).unwrap();
    l.set_answer("height", None, Some(&FieldValue::Int(20))).unwrap();
    let a = &l.entity_actions()[0];
    assert_eq!((a.dataset.as_str(), a.op, a.entity_id.as_deref()), ("trees", EntityOp::Create, None));
    assert_eq!(a.label.as_deref(), Some("oak 20 m"));
    assert_eq!(a.properties.get("height_m"), Some(&FieldValue::Int(20)));
    l.set_answer("existing", None, Some(&t("uuid:1"))).unwrap();
    let a = &l.entity_actions()[0];
    assert_eq!((a.op, a.entity_id.as_deref()), (EntityOp::Update, Some("uuid:1")));
    // Unknown references in a declaration are refused when the form compiles.
    def.settings.entities[0].label = Some("${nope}".into());
    let issues = CompiledForm::new(def).unwrap_err();
    assert!(issues.iter().any(|i| i.item == "entities/trees" && i.column == "label"), "{issues:?}");
}

/// `${last-saved#q}` reads the response of the same form this store's user saved last: a new
/// response started from the store takes its default from there.
#[test]
fn last_saved_comes_from_the_store() {
    use sangam_core::{Identity, NewResponse, Role, Store};
    let mut width = Question::new("width", QuestionType::Integer);
    width.default = Some("${last-saved#width}".into());
    let village = Question::new("village", QuestionType::Text);
    let s = Store::open_in_memory(Identity::new("asha", "Asha", Role::Admin)).unwrap();
    s.publish_form(&form(vec![Item::Question(width), Item::Question(village)]), "S").unwrap();
    let new = || s.create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None }).unwrap();
    let clock = Clock::fixed(1_709_620_200_000, 330);
    let first = new();
    assert!(s.start_response(&first, clock).unwrap().is_empty(), "nothing saved before: no default");
    s.set_answer(&first, "width", &FieldValue::Int(7)).unwrap();
    let second = new();
    assert_eq!(s.start_response(&second, clock).unwrap(), vec!["width".to_string()]);
    assert_eq!(s.response(&second).unwrap().answers["width"], FieldValue::Int(7));
    assert_eq!(s.live_form(&second, clock).unwrap().state(None).question("width").unwrap().value, Some(FieldValue::Int(7)));
}
