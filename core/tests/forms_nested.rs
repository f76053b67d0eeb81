//! A repeat inside a repeat (tests/fixtures/forms/nested_repeats.xlsx, written by
//! make_nested_repeats.py beside it): each household member's children. Expressions in a
//! child's row read its member's row; a member's row counts its own children; the top counts
//! all. Rows are stored flat per repeat, each naming the enclosing row it belongs to, and come
//! back the same way from the store, in exports and through a removal of the enclosing row.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use sangam_core::forms::expr::Clock;
use sangam_core::forms::state::{CompiledForm, LiveForm, ViolationKind};
use sangam_core::forms::xlsform;
use sangam_core::{ExportOptions, FieldValue, Identity, NewResponse, Role, Store};

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms/nested_repeats.xlsx")
}

fn clock() -> Clock {
    Clock::fixed(1_709_620_200_000, 330)
}

fn t(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn live() -> LiveForm {
    let def = xlsform::import_file(path()).unwrap_or_else(|p| panic!("{p:?}"));
    LiveForm::new(Arc::new(CompiledForm::new(def).unwrap()), &BTreeMap::new(), &BTreeMap::new(), clock())
}

#[test]
fn a_childs_row_reads_its_members_row_and_counts_follow_the_enclosing_row() {
    let mut l = live();
    l.add_row("members", "m1").unwrap();
    l.add_row("members", "m2").unwrap();
    l.set_answer("mname", Some("m1"), Some(&t("Sunita"))).unwrap();
    l.set_answer("age", Some("m1"), Some(&FieldValue::Int(40))).unwrap();
    l.set_answer("mname", Some("m2"), Some(&t("Ravi"))).unwrap();
    l.set_answer("age", Some("m2"), Some(&FieldValue::Int(12))).unwrap();
    // A child row needs the row it belongs to.
    assert!(l.add_row("children", "c0").is_err());
    assert!(l.add_row_in("children", "c0", Some("nope")).is_err());
    l.add_row_in("children", "c1", Some("m1")).unwrap();
    l.add_row_in("children", "c2", Some("m1")).unwrap();
    l.add_row_in("children", "c3", Some("m2")).unwrap();
    l.set_answer("cage", Some("c1"), Some(&FieldValue::Int(50))).unwrap();
    l.set_answer("cage", Some("c2"), Some(&FieldValue::Int(8))).unwrap();
    let s = l.state(None);
    // The enclosing row's answers, seen from a child's row.
    assert_eq!(s.row_question("children", "c1", "parent_name").unwrap().value, Some(t("Sunita")));
    // Ravi (12) has no children to record: his children's repeat is not relevant, so nothing
    // is computed there (as ODK leaves irrelevant calculations empty).
    assert_eq!(s.row_question("children", "c3", "parent_name").unwrap().value, None);
    let v = s.row_question("children", "c1", "cage").unwrap().violation.clone().expect("50 is older than 40");
    assert_eq!((v.kind, v.repeat.as_deref(), v.row_id.as_deref()), (ViolationKind::Constraint, Some("children"), Some("c1")));
    assert!(s.row_question("children", "c2", "cage").unwrap().violation.is_none());
    // Positions count among the same member's children.
    assert_eq!(s.row_question("children", "c2", "child_no").unwrap().value, Some(t("2")));
    let rows = &s.repeat("children").unwrap().rows;
    assert_eq!(rows.iter().map(|r| (r.row_id.as_str(), r.position, r.parent_row.as_deref())).collect::<Vec<_>>(), [("c1", 1, Some("m1")), ("c2", 2, Some("m1")), ("c3", 1, Some("m2"))]);
    assert_eq!(s.repeat("children").unwrap().parent.as_deref(), Some("members"));
    // A member's own children; every child from the top.
    assert_eq!(s.row_question("members", "m1", "n_children").unwrap().value, Some(t("2")));
    assert_eq!(s.row_question("members", "m2", "n_children").unwrap().value, Some(t("1")));
    assert_eq!(s.row_question("members", "m1", "child_ages").unwrap().value, Some(t("58")));
    assert_eq!(s.question("total_children").unwrap().value, Some(t("3")));
    // Multi-level indexed-repeat: the first member's second child.
    l.set_answer("cname", Some("c2"), Some(&t("Kiran"))).unwrap();
    assert_eq!(l.state(None).question("first_members_second_child").unwrap().value, Some(t("Kiran")));
    let s = l.state(None);
    // The inner repeat's relevance is per member: Ravi (12) has no children to record.
    let m = &s.repeat("members").unwrap().rows;
    assert!(m[0].inner.iter().any(|i| i.name == "children" && i.relevant));
    assert!(m[1].inner.iter().any(|i| i.name == "children" && !i.relevant));
    assert!(!s.row_question("children", "c3", "cname").unwrap().relevant, "inside an irrelevant repeat");
    // Editing the member's age updates its children's constraint.
    l.set_answer("age", Some("m1"), Some(&FieldValue::Int(60))).unwrap();
    assert!(l.state(None).row_question("children", "c1", "cage").unwrap().violation.is_none());
    // Removing a member removes its children.
    l.remove_row("members", "m1").unwrap();
    let s = l.state(None);
    assert_eq!(s.repeat("children").unwrap().rows.len(), 1);
    assert_eq!(s.question("total_children").unwrap().value, Some(t("1")));
    let (_, repeats) = l.answers();
    assert_eq!(repeats["children"].iter().map(|r| (r.row_id.as_str(), r.parent_row.as_deref())).collect::<Vec<_>>(), [("c3", Some("m2"))]);
}

#[test]
fn nested_rows_are_stored_read_exported_and_removed_with_their_enclosing_row() {
    let s = Store::open_in_memory(Identity::new("admin", "Admin", Role::Admin)).unwrap();
    let def = xlsform::import_file(path()).unwrap();
    s.publish_form(&def, "S").unwrap();
    let r = s.create_response(NewResponse { form_id: "roster".into(), form_version: "1".into(), scope: "S".into(), subject_id: None }).unwrap();
    let m1 = s.add_repeat_row(&r, "members").unwrap();
    let m2 = s.add_repeat_row(&r, "members").unwrap();
    s.set_row_answer(&r, "members", &m1, "mname", Some(&t("Sunita"))).unwrap();
    s.set_row_answer(&r, "members", &m1, "age", Some(&FieldValue::Int(40))).unwrap();
    s.set_row_answer(&r, "members", &m2, "mname", Some(&t("Meena"))).unwrap();
    s.set_row_answer(&r, "members", &m2, "age", Some(&FieldValue::Int(35))).unwrap();
    assert!(s.add_nested_repeat_row(&r, "children", "members", "no-such-row").is_err());
    let c1 = s.add_nested_repeat_row(&r, "children", "members", &m1).unwrap();
    let c2 = s.add_nested_repeat_row(&r, "children", "members", &m2).unwrap();
    s.set_row_answer(&r, "children", &c1, "cname", Some(&t("Asha"))).unwrap();
    s.set_row_answer(&r, "children", &c2, "cname", Some(&t("Bina"))).unwrap();
    let resp = s.response(&r).unwrap();
    assert_eq!(resp.repeats["children"].iter().map(|x| x.parent_row.clone()).collect::<Vec<_>>(), [Some(m1.clone()), Some(m2.clone())]);
    // The live state from the store.
    let st = s.response_form_state(&r, None, clock()).unwrap();
    assert_eq!(st.row_question("children", &c1, "parent_name").unwrap().value, Some(t("Sunita")));
    assert_eq!(st.question("total_children").unwrap().value, Some(t("2")));

    // CSV: the child's PARENT_KEY is its member's KEY.
    s.set_response_status(&r, sangam_core::ResponseStatus::Submitted).unwrap();
    let dir = tempfile::tempdir().unwrap();
    s.export_csv("roster", &ExportOptions::default(), dir.path(), &mut |_| true).unwrap();
    let read = |name: &str| -> Vec<Vec<String>> {
        let f = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).find(|p| p.file_name().unwrap().to_string_lossy().ends_with(name)).unwrap();
        let text = std::fs::read_to_string(f).unwrap();
        text.lines().map(|l| l.split(',').map(|c| c.trim_matches('"').to_string()).collect()).collect()
    };
    let members = read("-members.csv");
    let children = read("-children.csv");
    let col = |rows: &Vec<Vec<String>>, name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let (mk, mrow) = (col(&members, "KEY"), col(&members, "ROW_ID"));
    let key_of = |row: &str| members.iter().find(|r| r[mrow] == row).unwrap()[mk].clone();
    let (pk, ck, crow) = (col(&children, "PARENT_KEY"), col(&children, "KEY"), col(&children, "ROW_ID"));
    let child = |row: &str| children.iter().find(|r| r[crow] == row).unwrap().clone();
    assert_eq!(child(&c1)[pk], key_of(&m1));
    assert_eq!(child(&c2)[pk], key_of(&m2));
    assert!(child(&c2)[ck].starts_with(&key_of(&m2)) && child(&c2)[ck].ends_with("/children[1]"), "{}", child(&c2)[ck]);

    // Removing the member hides its children too (nothing is erased).
    s.remove_repeat_row(&r, "members", &m1).unwrap();
    let resp = s.response(&r).unwrap();
    assert_eq!(resp.repeats["children"].iter().map(|x| x.row_id.clone()).collect::<Vec<_>>(), [c2.clone()]);
    assert_eq!(s.response_form_state(&r, None, clock()).unwrap().question("total_children").unwrap().value, Some(t("1")));
}

#[test]
fn each_repeat_names_the_question_it_follows_so_screens_show_it_in_place() {
    let st = live().state(None);
    let members = st.repeats.iter().find(|r| r.name == "members").expect("members");
    let children = st.repeats.iter().find(|r| r.name == "children").expect("children");
    assert_eq!(members.after.as_deref(), Some("village"), "after the top-level question before it");
    assert_eq!((children.parent.as_deref(), children.after.as_deref()), (Some("members"), Some("age")), "after the member question before it, in the member's row");
}
