//! Coordinators: exports — ODK-style CSV per form version and repeat, JSON lines, raw
//! Automerge documents and meeting minutes as Markdown; streaming, progress and cancel.

use std::collections::BTreeMap;
use std::path::Path;

use sangam_core::forms::definition::*;
use sangam_core::*;

fn admin() -> Store {
    Store::open_in_memory(Identity::new("admin1", "Admin", Role::Admin)).unwrap()
}

fn label(en: &str, hi: &str) -> Translated {
    let mut t = Translated::new();
    t.insert("English (en)".into(), en.into());
    t.insert("Hindi (hi)".into(), hi.into());
    t
}

fn choice(name: &str, en: &str, hi: &str) -> Choice {
    Choice { name: name.into(), label: label(en, hi), extra: BTreeMap::new() }
}

/// A household form: a group with a select_one, a select_multiple, a repeat of members.
fn form() -> FormDefinition {
    let mut village = Question::new("village", QuestionType::Text);
    village.label = label("Village", "गाँव");
    let mut water = Question::new("water", QuestionType::SelectOne);
    water.list_name = Some("sources".into());
    let mut needs = Question::new("needs", QuestionType::SelectMultiple);
    needs.list_name = Some("needs".into());
    let mut lists = BTreeMap::new();
    lists.insert("sources".into(), ChoiceList { choices: vec![choice("well", "Well", "कुआँ"), choice("tap", "Tap", "नल")] });
    lists.insert(
        "needs".into(),
        ChoiceList { choices: vec![choice("loan", "Loan", "ऋण"), choice("training", "Training", "प्रशिक्षण"), choice("market", "Market", "बाज़ार")] },
    );
    FormDefinition {
        form_id: "hh".into(),
        version: "2".into(),
        title: "Household".into(),
        default_language: "English (en)".into(),
        languages: vec!["English (en)".into(), "Hindi (hi)".into()],
        items: vec![
            Item::Question(village),
            Item::Group(Group { name: "home".into(), items: vec![Item::Question(water), Item::Question(needs)], ..Default::default() }),
            Item::Question(Question::new("intro", QuestionType::Note)),
            Item::Repeat(Repeat {
                name: "members".into(),
                items: vec![Item::Question(Question::new("name", QuestionType::Text)), Item::Question(Question::new("age", QuestionType::Integer))],
                ..Default::default()
            }),
        ],
        choice_lists: lists,
        settings: Default::default(),
    }
}

fn new_response(s: &Store, version: &str) -> String {
    s.create_response(NewResponse { form_id: "hh".into(), form_version: version.into(), scope: "S".into(), subject_id: None })
        .unwrap()
}

fn choices(items: &[&str]) -> FieldValue {
    FieldValue::Choices(items.iter().map(|s| s.to_string()).collect())
}

/// Reads a CSV file written by the exporter (RFC 4180) into rows of cells.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

fn all_true(_: &ExportProgress) -> bool {
    true
}

#[test]
fn csv_follows_the_published_form_with_repeats_and_multi_select_columns() {
    let s = admin();
    s.publish_form(&form(), "S").unwrap();
    let r = new_response(&s, "2");
    s.set_answer(&r, "village", &"Rampur, \"east\"".into()).unwrap();
    s.set_answer(&r, "water", &"tap".into()).unwrap();
    s.set_answer(&r, "needs", &choices(&["loan", "market"])).unwrap();
    s.set_answer(&r, "legacy_q", &FieldValue::Int(7)).unwrap();
    let m1 = s.add_repeat_row(&r, "members").unwrap();
    let m2 = s.add_repeat_row(&r, "members").unwrap();
    s.set_row_answer(&r, "members", &m1, "name", Some(&"Asha".into())).unwrap();
    s.set_row_answer(&r, "members", &m2, "name", Some(&"Ravi".into())).unwrap();
    s.set_row_answer(&r, "members", &m2, "age", Some(&FieldValue::Int(12))).unwrap();
    s.set_response_status(&r, ResponseStatus::Submitted).unwrap();
    s.set_review(&r, ReviewState::Approved, None).unwrap();
    let unanswered = new_response(&s, "2");
    s.set_response_status(&unanswered, ResponseStatus::Submitted).unwrap();
    new_response(&s, "2"); // a draft: left out by default

    let dir = tempfile::tempdir().unwrap();
    let report = s.export_csv("hh", &ExportOptions::default(), dir.path(), &mut all_true).unwrap();
    assert_eq!(report.records, 2);
    let names: Vec<String> = report.files.iter().map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["hh-v2.csv", "hh-v2-members.csv"]);
    assert_eq!(report.files[0].rows, 2);
    assert_eq!(report.files[1].rows, 2);

    let main = read_csv(&dir.path().join("hh-v2.csv"));
    assert_eq!(
        main[0],
        [
            "SubmissionDate", "village", "home-water", "home-needs", "home-needs/loan", "home-needs/training", "home-needs/market",
            "_other_answers", "meta-instanceID", "SubjectID", "SubmitterID", "Status", "ReviewState", "FormVersion", "KEY"
        ]
    );
    let row = main.iter().find(|row| row.last() == Some(&format!("uuid:{r}"))).unwrap();
    assert_eq!(row[1], "Rampur, \"east\"", "quoted and unquoted back");
    assert_eq!(row[2], "tap");
    assert_eq!(row[3], "loan market", "multi-select as space-separated values …");
    assert_eq!(&row[4..7], ["1", "0", "1"], "… and one 0/1 column per choice");
    assert_eq!(row[7], r#"{"legacy_q":7}"#, "answers the form does not know are kept");
    assert_eq!(row[10], "admin1");
    assert_eq!(row[11], "submitted");
    assert_eq!(row[12], "approved");
    assert!(row[0].ends_with('Z') && row[0].len() == 24);
    let blank = main.iter().find(|row| row.last() == Some(&format!("uuid:{unanswered}"))).unwrap();
    assert_eq!(&blank[3..7], ["", "", "", ""], "unanswered multi-select stays empty, not 0");
    assert_eq!(blank[12], "received");

    let members = read_csv(&dir.path().join("hh-v2-members.csv"));
    assert_eq!(members[0], ["name", "age", "_other_answers", "PARENT_KEY", "KEY", "ROW_ID"]);
    assert_eq!(column(&members, "name"), ["Asha", "Ravi"], "rows in their order");
    assert_eq!(column(&members, "age"), ["", "12"]);
    assert_eq!(column(&members, "PARENT_KEY"), [format!("uuid:{r}"), format!("uuid:{r}")]);
    assert_eq!(column(&members, "KEY"), [format!("uuid:{r}/members[1]"), format!("uuid:{r}/members[2]")]);
    assert_eq!(column(&members, "ROW_ID"), [m1, m2]);
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".partial")));
}

#[test]
fn csv_can_show_choice_labels_in_a_chosen_language() {
    let s = admin();
    s.publish_form(&form(), "S").unwrap();
    let r = new_response(&s, "2");
    s.set_answer(&r, "water", &"well".into()).unwrap();
    s.set_answer(&r, "needs", &choices(&["training", "unknown_choice"])).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions { language: Some("Hindi (hi)".into()), include_drafts: true, ..Default::default() };
    s.export_csv("hh", &opts, dir.path(), &mut all_true).unwrap();
    let main = read_csv(&dir.path().join("hh-v2.csv"));
    assert_eq!(column(&main, "home-water"), ["कुआँ"]);
    assert_eq!(column(&main, "home-needs"), ["प्रशिक्षण unknown_choice"], "a name the list lacks stays a name");
    assert_eq!(column(&main, "home-needs/training"), ["1"], "flag columns keep choice names");
}

#[test]
fn csv_without_a_published_form_takes_its_columns_from_the_data() {
    let s = admin();
    let a = new_response(&s, "9");
    s.set_answers(&a, &[("b".to_string(), Some(FieldValue::Int(1))), ("tags".to_string(), Some(choices(&["x"])))].into_iter().collect())
        .unwrap();
    let b = new_response(&s, "9");
    s.set_answers(&b, &[("a".to_string(), Some("hi".into())), ("tags".to_string(), Some(choices(&["y", "x"])))].into_iter().collect())
        .unwrap();
    let row = s.add_repeat_row(&b, "kids").unwrap();
    s.set_row_answer(&b, "kids", &row, "age", Some(&FieldValue::Int(3))).unwrap();
    let other = new_response(&s, "10");
    s.set_answer(&other, "z", &FieldValue::Bool(true)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions { include_drafts: true, ..Default::default() };
    let report = s.export_csv("hh", &opts, dir.path(), &mut all_true).unwrap();
    assert_eq!(report.records, 3);
    let main = read_csv(&dir.path().join("hh-v9.csv"));
    assert_eq!(
        main[0][..6],
        ["SubmissionDate", "a", "b", "tags", "tags/x", "tags/y"],
        "sorted answer names, then a 0/1 column per choice seen"
    );
    assert!(!main[0].contains(&"_other_answers".to_string()));
    assert_eq!(column(&main, "tags/y"), ["0", "1"]);
    let kids = read_csv(&dir.path().join("hh-v9-kids.csv"));
    assert_eq!(kids[0], ["age", "PARENT_KEY", "KEY", "ROW_ID"]);
    assert_eq!(read_csv(&dir.path().join("hh-v10.csv"))[1][1], "true", "one set of files per version");
}

#[test]
fn jsonl_has_one_line_per_response_with_review_and_repeats() {
    let s = admin();
    let r = new_response(&s, "1");
    s.set_answer(&r, "q", &"सुनीता".into()).unwrap();
    let row = s.add_repeat_row(&r, "members").unwrap();
    s.set_row_answer(&r, "members", &row, "name", Some(&"Asha".into())).unwrap();
    s.set_review(&r, ReviewState::HasIssues, Some("check the name")).unwrap();
    new_response(&s, "2");
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions { include_drafts: true, ..Default::default() };
    let report = s.export_jsonl("hh", &opts, dir.path(), &mut all_true).unwrap();
    assert_eq!(report.records, 2);
    let text = std::fs::read_to_string(dir.path().join("hh.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    let first = lines.iter().find(|l| l["id"] == r.as_str()).unwrap();
    assert_eq!(first["answers"]["q"], "सुनीता");
    assert_eq!(first["repeats"]["members"][0]["answers"]["name"], "Asha");
    assert_eq!(first["review"]["state"], "has-issues");
    assert_eq!(first["review"]["comments"][0]["text"], "check the name");
    assert_eq!(first["form_version"], "1");
}

#[test]
fn automerge_files_open_with_plain_automerge() {
    use automerge::ReadDoc;
    let s = admin();
    let r = new_response(&s, "1");
    s.set_answer(&r, "members", &FieldValue::Int(5)).unwrap();
    s.set_response_status(&r, ResponseStatus::Submitted).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = s.export_automerge("hh", &ExportOptions::default(), dir.path(), &mut all_true).unwrap();
    assert_eq!(report.records, 1);
    let bytes = std::fs::read(dir.path().join(format!("{r}.automerge"))).unwrap();
    let doc = automerge::Automerge::load(&bytes).unwrap();
    let id = doc.get(automerge::ROOT, "id").unwrap().unwrap().0.to_string();
    assert_eq!(id, format!("\"{r}\""));
    let (_, answers) = doc.get(automerge::ROOT, "answers").unwrap().unwrap();
    assert_eq!(doc.get(&answers, "members").unwrap().unwrap().0.to_string(), "5");
    assert_eq!(doc.get_changes(&[]).len(), s.history(&r).unwrap().len(), "the whole history travels");
}

#[test]
fn meeting_minutes_export_as_markdown_with_attendance_decisions_and_actions() {
    let s = admin();
    let m = s
        .create_meeting(NewMeeting {
            coalition: "District Entrepreneurship Coalition".into(),
            scope: "S".into(),
            date: "2026-11-29".into(),
            time: "10:30".into(),
            venue: "Block office".into(),
            agenda: vec!["Loans".into(), "E-rickshaw routes".into()],
        })
        .unwrap();
    let meena = s
        .add_attendee(&m, NewAttendee { name: "Meena | SHG".into(), role: "chair".into(), organisation: "SHG".into(), contact: "9876543210".into() })
        .unwrap();
    let ravi = s.add_attendee(&m, NewAttendee { name: "Ravi".into(), role: "member".into(), organisation: "Bank".into(), contact: String::new() }).unwrap();
    s.add_attendee(&m, NewAttendee { name: "Asha".into(), role: "guest".into(), organisation: String::new(), contact: String::new() }).unwrap();
    s.set_attendance(&m, &meena, true).unwrap();
    s.set_attendance(&m, &ravi, false).unwrap();
    s.minutes_replace(&m, "The bank will visit on Friday.\nRoutes to be mapped.").unwrap();
    s.add_decision(&m, "Hold a loan camp in December").unwrap();
    s.create_action(NewAction {
        scope: "S".into(),
        meeting_id: Some(m.clone()),
        title: "Book the hall".into(),
        owner: "meena".into(),
        due: Some("2026-12-05".into()),
        notes: "Ask the block office first.".into(),
    })
    .unwrap();
    let other = s
        .create_meeting(NewMeeting { coalition: "Other".into(), scope: "T".into(), date: "2026-10-01".into(), time: "09:00".into(), venue: String::new(), agenda: vec![] })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions { scope: Some("S".into()), ..Default::default() };
    let report = s.export_meetings_markdown(&opts, dir.path(), &mut all_true).unwrap();
    assert_eq!(report.records, 1);
    let name = report.files[0].path.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(name, format!("2026-11-29-district-entrepreneurship-coalition-{m}.md"));
    let md = std::fs::read_to_string(&report.files[0].path).unwrap();
    for part in [
        "# District Entrepreneurship Coalition — 2026-11-29",
        "1. Loans\n2. E-rickshaw routes",
        "1 of 3 present.",
        "| Meena \\| SHG | chair | SHG | present |",
        "| Ravi | member | Bank | absent |",
        "| Asha | guest |  | not recorded |",
        "The bank will visit on Friday.\nRoutes to be mapped.",
        "1. Hold a loan camp in December _(recorded by admin1, ",
        "| Book the hall | meena | 2026-12-05 | open |",
        "Ask the block office first.",
    ] {
        assert!(md.contains(part), "missing {part:?} in\n{md}");
    }
    assert!(!md.contains("9876543210"), "contact details stay out of shared minutes");
    assert!(!md.contains(&other));
    let all = s.export_meetings_markdown(&ExportOptions::default(), dir.path(), &mut all_true).unwrap();
    assert_eq!(all.records, 2);
}

#[test]
fn exports_stream_report_progress_and_can_be_cancelled() {
    let s = admin();
    s.bulk_import(|s| {
        for i in 0..600 {
            let r = new_response(s, "1");
            s.set_answer(&r, "n", &FieldValue::Int(i))?;
        }
        Ok(())
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions { include_drafts: true, page_size: 100, ..Default::default() };
    let mut seen = Vec::new();
    let report = s
        .export_csv("hh", &opts, dir.path(), &mut |p: &ExportProgress| {
            seen.push(p.clone());
            true
        })
        .unwrap();
    assert_eq!(report.records, 600);
    assert_eq!(seen.first().unwrap(), &ExportProgress { done: 0, total: 600 });
    assert_eq!(seen.last().unwrap(), &ExportProgress { done: 600, total: 600 });
    assert!(seen.len() >= 7, "progress after every page: {}", seen.len());
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
    assert!(s.cached_docs() <= store::CACHE_DOCS, "documents pass through the bounded cache");

    let cancelled = tempfile::tempdir().unwrap();
    let mut calls = 0;
    let out = s.export_csv("hh", &opts, cancelled.path(), &mut |_: &ExportProgress| {
        calls += 1;
        calls < 3
    });
    assert!(matches!(out, Err(Error::Cancelled)));
    assert_eq!(std::fs::read_dir(cancelled.path()).unwrap().count(), 0, "a cancelled export leaves no file behind");
    let none = s.export_jsonl("nothing", &opts, cancelled.path(), &mut all_true).unwrap();
    assert_eq!(none.records, 0);
    assert_eq!(std::fs::read_to_string(cancelled.path().join("nothing.jsonl")).unwrap(), "");
}
