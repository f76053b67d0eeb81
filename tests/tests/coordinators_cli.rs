//! End to end: the coordinator's commands of the real hub binary — review, conflicts,
//! duplicates, merge and unmerge, exports — and phones that see the results after a sync.
//!
//! The commands work on the hub's store file. While `serve` runs, its process keeps records
//! cached and would not see (and could overwrite) a write made by another process, so these
//! scenarios stop the hub around coordinator writes and start it again, as an office does
//! today.

use std::path::Path;
use std::process::Command;

use sangam_core::*;
use sangam_tests::*;

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");

/// Runs the hub's command line with `--data DATA` after the (sub)command words.
fn run(data: &Path, words: &[&str], rest: &[&str]) -> (i32, String, String) {
    let out = Command::new(EXE).args(words).arg("--data").arg(data).args(rest).output().expect("run hub command");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_json(data: &Path, words: &[&str], rest: &[&str]) -> serde_json::Value {
    let mut rest = rest.to_vec();
    rest.push("--json");
    let (code, out, err) = run(data, words, &rest);
    assert_eq!(code, 0, "{words:?} {rest:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{words:?}: not JSON ({e}): {out}"))
}

fn copy(from: &Store, to: &Store, id: &str) {
    to.apply_changes(id, &from.export_changes(id, &[]).unwrap()).unwrap();
}

#[test]
fn a_coordinator_resolves_and_reviews_at_the_hub_and_the_phones_see_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let a = Phone::new(dir.path(), "asha", Role::FieldWorker, enrol(EXE, &data, "asha", "field-worker", &["S"]));
    let b = Phone::new(dir.path(), "ravi", Role::FieldWorker, enrol(EXE, &data, "ravi", "field-worker", &["S"]));
    let mut hub = Hub::start(EXE, &data);
    let r = response(&a.store, "S");
    a.store.set_response_status(&r, ResponseStatus::Submitted).unwrap();
    a.sync(&hub.url).unwrap();
    b.sync(&hub.url).unwrap();
    a.store.set_answer(&r, "members", &FieldValue::Int(5)).unwrap();
    b.store.set_answer(&r, "members", &FieldValue::Int(6)).unwrap();
    a.sync(&hub.url).unwrap();
    b.sync(&hub.url).unwrap();
    hub.kill();

    let listed = run_json(&data, &["conflicts", "list"], &["--scope", "S"]);
    let rec = listed.as_array().unwrap().iter().find(|x| x["summary"]["id"] == r.as_str()).expect("conflicted record listed");
    let field = &rec["fields"][0];
    assert_eq!(field["path"], "answers/members");
    assert_eq!(field["values"].as_array().unwrap().len(), 2);
    let pick = field["values"][0]["value"].clone();
    let (_, text, _) = run(&data, &["conflicts", "list"], &[]);
    assert!(text.contains("answers/members") && text.contains("[1]"), "{text}");
    let resolved = run_json(&data, &["conflicts", "resolve"], &[&r, "answers/members", "--pick", "0", "--by", "meena"]);
    assert_eq!(resolved["remaining"], serde_json::json!([]));
    assert_eq!(run_json(&data, &["conflicts", "list"], &[]), serde_json::json!([]));
    let (code, _, err) = run(&data, &["conflicts", "resolve"], &[&r, "answers/members", "--value", "not json"]);
    assert_eq!(code, 2, "{err}");

    let set = run_json(&data, &["review", "set"], &[&r, "has-issues", "--comment", "Recount the members", "--by", "meena"]);
    assert_eq!(set["review"]["state"], "has-issues");
    let listed = run_json(&data, &["review", "list"], &["--state", "has-issues"]);
    assert_eq!(listed[0]["summary"]["id"], r.as_str());
    assert_eq!(run_json(&data, &["review", "list"], &["--state", "approved"]), serde_json::json!([]));
    let (code, _, err) = run(&data, &["review", "set"], &[&r, "great"]);
    assert_eq!(code, 2);
    assert!(err.contains("received, has-issues, approved or rejected"), "{err}");
    let shown = run_json(&data, &["review", "show"], &[&r]);
    assert_eq!(shown["history"][0]["author"]["user_id"], "meena");

    let hub = Hub::start(EXE, &data);
    a.sync(&hub.url).unwrap();
    let review = a.store.review(&r).unwrap();
    assert_eq!(review.state, ReviewState::HasIssues);
    assert_eq!(review.comments[0].text, "Recount the members");
    assert_eq!(review.comments[0].by, "meena");
    assert!(a.store.conflicts(&r).unwrap().is_empty());
    assert_eq!(a.store.response(&r).unwrap().answers["members"].to_json(), pick);
}

#[test]
fn a_field_workers_token_cannot_set_a_review_state_or_merge_at_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let a = Phone::new(dir.path(), "asha", Role::FieldWorker, enrol(EXE, &data, "asha", "field-worker", &["S"]));
    let mut hub = Hub::start(EXE, &data);
    let keep = a.store.create_subject(NewSubject::new("person", "S").attr("name", "Asha")).unwrap();
    let dup = a.store.create_subject(NewSubject::new("person", "S").attr("name", "Asha")).unwrap();
    let r = response(&a.store, "S");
    a.sync(&hub.url).unwrap();

    // A coordinator-like store crafts the changes; the field worker's device pushes them.
    let rogue = Store::open(dir.path().join("rogue.db"), Identity::coordinator("rogue", "Rogue")).unwrap();
    for id in [&keep, &dup, &r] {
        copy(&a.store, &rogue, id);
    }
    rogue.set_review(&r, ReviewState::Approved, Some("approved by myself")).unwrap();
    rogue.merge_subjects(&keep, &dup).unwrap();
    for id in [&keep, &dup, &r] {
        copy(&rogue, &a.store, id);
    }
    let report = a.sync(&hub.url).unwrap();
    let refused: std::collections::BTreeMap<String, String> = report.rejected.into_iter().collect();
    assert!(refused.get(&r).is_some_and(|why| why.contains("review")), "{refused:?}");
    assert!(refused.get(&dup).is_some_and(|why| why.contains("merged_into")), "{refused:?}");
    assert!(refused.get(&keep).is_some_and(|why| why.contains("merged_from")), "{refused:?}");
    hub.kill();

    assert_eq!(run_json(&data, &["review", "show"], &[&r])["review"]["state"], "received");
    let hub_store = sangam_hub::open_store(&data).unwrap();
    assert_eq!(hub_store.subject(&dup).unwrap().merged_into, None, "the hub kept no merge");
    assert!(hub_store.merge_records(&keep).unwrap().is_empty());
}

#[test]
fn duplicates_are_merged_and_unmerged_from_the_cli_and_phones_follow() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let a = Phone::new(dir.path(), "asha", Role::FieldWorker, enrol(EXE, &data, "asha", "field-worker", &["S"]));
    let mut hub = Hub::start(EXE, &data);
    let keep = a
        .store
        .create_subject(NewSubject::new("person", "S").attr("name", "Sunita Devi").attr("village", "Rampur").attr("age", 34_i64).attr("phone", "+91 98765 43210"))
        .unwrap();
    let dup = a
        .store
        .create_subject(NewSubject::new("person", "S").attr("name", "सुनीता देवी").attr("village", "रामपुर").attr("age", 35_i64).attr("caste", "OBC"))
        .unwrap();
    let r = a
        .store
        .create_response(NewResponse { form_id: "visit".into(), form_version: "1".into(), scope: "S".into(), subject_id: Some(dup.clone()) })
        .unwrap();
    a.sync(&hub.url).unwrap();
    hub.kill();

    let found = run_json(&data, &["duplicates"], &["--scope", "S"]);
    let first = &found[0];
    assert_eq!((first["keep"].as_str().unwrap(), first["duplicate"].as_str().unwrap()), (keep.as_str(), dup.as_str()));
    let codes: Vec<&str> = first["reasons"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["same-name", "same-village", "age-close"], "{first}");
    let (_, text, _) = run(&data, &["duplicates"], &[]);
    assert!(text.contains("same name, spelled differently or in another script"), "{text}");

    let merged = run_json(&data, &["merge"], &[&keep, &dup, "--by", "meena"]);
    assert_eq!(merged["gained"], serde_json::json!(["caste"]));
    assert_eq!(merged["conflicts"], serde_json::json!(["age", "name", "village"]));
    assert_eq!(merged["responses_moved"], serde_json::json!([r.clone()]));
    assert_eq!(run_json(&data, &["duplicates"], &[]), serde_json::json!([]), "a merged pair is no candidate");
    assert_eq!(run_json(&data, &["duplicates"], &["--follow-ups"]), serde_json::json!([]));
    let conflicts = run_json(&data, &["conflicts", "list"], &[]);
    assert_eq!(conflicts[0]["summary"]["id"], keep.as_str());
    assert_eq!(conflicts[0]["fields"].as_array().unwrap().len(), 3);

    let mut hub = Hub::start(EXE, &data);
    a.sync(&hub.url).unwrap();
    assert_eq!(a.store.subject(&dup).unwrap().merged_into.as_deref(), Some(keep.as_str()));
    assert_eq!(a.store.response(&r).unwrap().subject_id.as_deref(), Some(keep.as_str()));
    assert_eq!(a.store.search_subjects(&SubjectQuery::default()).unwrap().len(), 1, "the duplicate left the phone's lists");
    assert_eq!(a.store.subject(&keep).unwrap().attrs["caste"], FieldValue::Text("OBC".into()));
    hub.kill();

    let undone = run_json(&data, &["unmerge"], &[&dup, "--by", "meena"]);
    assert_eq!(undone["responses_restored"], serde_json::json!([r.clone()]));
    assert_eq!(undone["removed"], serde_json::json!(["caste"]));
    let (code, _, err) = run(&data, &["unmerge"], &[&dup]);
    assert_eq!(code, 2);
    assert!(err.contains("not merged"), "{err}");
    let hub = Hub::start(EXE, &data);
    a.sync(&hub.url).unwrap();
    assert_eq!(a.store.subject(&dup).unwrap().merged_into, None);
    assert_eq!(a.store.response(&r).unwrap().subject_id.as_deref(), Some(dup.as_str()));
    assert_eq!(a.store.search_subjects(&SubjectQuery::default()).unwrap().len(), 2);
    assert!(a.store.conflicts(&keep).unwrap().is_empty());
}

#[test]
fn exports_from_the_cli_write_csv_jsonl_automerge_and_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let a = Phone::new(dir.path(), "asha", Role::FieldWorker, enrol(EXE, &data, "asha", "field-worker", &["S"]));
    let mut hub = Hub::start(EXE, &data);
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = response(&a.store, "S");
        a.store.set_answer(&r, "members", &FieldValue::Int(i)).unwrap();
        a.store.set_answer(&r, "needs", &FieldValue::Choices(["loan".to_string()].into())).unwrap();
        let row = a.store.add_repeat_row(&r, "kids").unwrap();
        a.store.set_row_answer(&r, "kids", &row, "age", Some(&FieldValue::Int(3))).unwrap();
        a.store.set_response_status(&r, ResponseStatus::Submitted).unwrap();
        ids.push(r);
    }
    response(&a.store, "S"); // a draft
    let m = a
        .store
        .create_meeting(NewMeeting {
            coalition: "Coalition".into(),
            scope: "S".into(),
            date: "2026-11-29".into(),
            time: "10:30".into(),
            venue: "Block office".into(),
            agenda: vec!["Loans".into()],
        })
        .unwrap();
    let who = a.store.add_attendee(&m, NewAttendee { name: "Meena".into(), role: "chair".into(), organisation: "SHG".into(), contact: String::new() }).unwrap();
    a.store.set_attendance(&m, &who, true).unwrap();
    a.sync(&hub.url).unwrap();
    hub.kill();

    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let csv = run_json(&data, &["export"], &["--form", "f", "--format", "csv", "--out", o]);
    assert_eq!(csv["records"], 5);
    let main = std::fs::read_to_string(out.join("f-v1.csv")).unwrap();
    let header = main.lines().next().unwrap();
    assert!(header.starts_with("SubmissionDate,members,needs,needs/loan,meta-instanceID"), "{header}");
    assert_eq!(main.lines().count(), 6);
    assert_eq!(std::fs::read_to_string(out.join("f-v1-kids.csv")).unwrap().lines().count(), 6);
    let (code, _, err) = run(&data, &["export"], &["--form", "f", "--format", "csv", "--out", o, "--include-drafts"]);
    assert_eq!(code, 0);
    assert!(err.contains("exported 6 of 6"), "progress is shown: {err}");
    assert!(err.contains("not encrypted"), "a clear export warns: {err}");

    // Encrypted: one AES-256 ZIP, readable only with its password, and nothing left in clear.
    let zipped = dir.path().join("export.zip");
    let enc = |password: &str| {
        Command::new(EXE)
            .args(["export", "--data", data.to_str().unwrap(), "--form", "f", "--format", "csv", "--encrypt", "--out", zipped.to_str().unwrap()])
            .env("SANGAM_EXPORT_PASSWORD", password)
            .output()
            .unwrap()
    };
    let short = enc("short");
    assert!(!short.status.success() && String::from_utf8_lossy(&short.stderr).contains("at least 10"));
    let done = enc("a long export password");
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let bytes = std::fs::read(&zipped).unwrap();
    assert!(!bytes.windows(b"meta-instanceID".len()).any(|w| w == b"meta-instanceID"), "the CSV is not readable in the ZIP");
    assert!(!dir.path().read_dir().unwrap().flatten().any(|e| e.file_name().to_string_lossy().contains(".parts-")), "no clear staging left");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let name = (0..archive.len()).map(|i| archive.name_for_index(i).unwrap().to_string()).find(|n| n.ends_with("f-v1.csv")).expect("the CSV is in the ZIP");
    assert!(archive.by_name_decrypt(&name, b"the wrong password").is_err(), "a wrong password opens the ZIP");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name_decrypt(&name, b"a long export password").unwrap(), &mut text).unwrap();
    assert!(text.starts_with("SubmissionDate,members,needs") && text.lines().count() == 6, "{text}");

    let jl = run_json(&data, &["export"], &["--form", "f", "--format", "jsonl", "--out", o]);
    assert_eq!(jl["records"], 5);
    assert_eq!(std::fs::read_to_string(out.join("f.jsonl")).unwrap().lines().count(), 5);

    let am_dir = out.join("automerge");
    let am = run_json(&data, &["export"], &["--form", "f", "--format", "automerge", "--out", am_dir.to_str().unwrap()]);
    assert_eq!(am["records"], 5);
    let fresh = Store::open_in_memory(Identity::coordinator("x", "X")).unwrap();
    for id in &ids {
        let bytes = std::fs::read(am_dir.join(format!("{id}.automerge"))).unwrap();
        fresh.apply_changes(id, &bytes).unwrap();
        assert_eq!(fresh.record_json(id, None).unwrap(), a.store.record_json(id, None).unwrap(), "the whole record");
    }

    let md_dir = out.join("minutes");
    let md = run_json(&data, &["export"], &["--meetings", "--format", "md", "--out", md_dir.to_str().unwrap()]);
    assert_eq!(md["records"], 1);
    let text = std::fs::read_to_string(md["files"][0]["path"].as_str().unwrap()).unwrap();
    assert!(text.contains("## Attendance\n\n1 of 1 present.") && text.contains("| Meena | chair | SHG | present |"), "{text}");

    let (code, _, err) = run(&data, &["export"], &["--form", "f", "--format", "md", "--out", o]);
    assert_eq!(code, 2);
    assert!(err.contains("--meetings"), "{err}");
    let (code, _, _) = run(&data, &["export"], &["--format", "csv", "--out", o]);
    assert_ne!(code, 0, "a form or --meetings is required");
}
