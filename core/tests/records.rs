//! Behaviour of the typed record operations, conflicts, history and offline merging.

use std::collections::{BTreeMap, BTreeSet};

use sangam_core::*;

fn fw(user: &str) -> Store {
    Store::open_in_memory(Identity::field_worker(user, &format!("User {user}"))).unwrap()
}

fn sync_one(from: &Store, to: &Store, id: &str) {
    let bytes = from.export_changes(id, &[]).unwrap();
    to.apply_changes(id, &bytes).unwrap();
}

fn choices(items: &[&str]) -> FieldValue {
    FieldValue::Choices(items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>())
}

#[test]
fn subject_create_update_search_and_soft_delete() {
    let s = fw("u1");
    let id = s
        .create_subject(
            NewSubject::new("household", "UP-SIT")
                .attr("name", "Sunita Devi")
                .attr("village", "Rampur Kalan")
                .attr("phone", "+91 98765 43210")
                .attr("members", 5_i64),
        )
        .unwrap();
    let mut ch = BTreeMap::new();
    ch.insert("members".to_string(), Some(FieldValue::Int(6)));
    ch.insert("phone".to_string(), None);
    s.update_subject(&id, ch).unwrap();
    let subj = s.subject(&id).unwrap();
    assert_eq!(subj.attrs["members"], FieldValue::Int(6));
    assert!(!subj.attrs.contains_key("phone"));

    let q = |name: Option<&str>, village: Option<&str>| SubjectQuery {
        name_prefix: name.map(Into::into),
        village_prefix: village.map(Into::into),
        ..Default::default()
    };
    assert_eq!(s.search_subjects(&q(Some("devi"), None)).unwrap().len(), 1, "word prefix matches");
    assert_eq!(s.search_subjects(&q(Some("SUN"), Some("ramp"))).unwrap().len(), 1);
    assert_eq!(s.search_subjects(&q(Some("xyz"), None)).unwrap().len(), 0);
    s.delete_record(&id).unwrap();
    assert!(s.search_subjects(&q(Some("sun"), None)).unwrap().is_empty());
    assert!(s.subject(&id).unwrap().deleted, "soft-deleted data stays readable");
}

#[test]
fn phone_search_ignores_formatting() {
    let s = fw("u1");
    s.create_subject(NewSubject::new("person", "S").attr("name", "A").attr("phone", "098765-43210")).unwrap();
    let q = SubjectQuery { phone_prefix: Some("+91 9876".into()), ..Default::default() };
    assert_eq!(s.search_subjects(&q).unwrap().len(), 1);
}

#[test]
fn response_answers_repeats_status_and_lists() {
    let s = fw("u1");
    let hh = s.create_subject(NewSubject::new("household", "S").attr("name", "H")).unwrap();
    let r = s
        .create_response(NewResponse {
            form_id: "deep_listening".into(),
            form_version: "2026-11".into(),
            scope: "S".into(),
            subject_id: Some(hh.clone()),
        })
        .unwrap();
    s.set_answer(&r, "income", &FieldValue::Int(12000)).unwrap();
    s.set_answer(&r, "needs", &choices(&["loan", "training"])).unwrap();
    s.set_answer(&r, "needs", &choices(&["training", "market"])).unwrap();
    s.clear_answer(&r, "income").unwrap();
    let row = s.add_repeat_row(&r, "members").unwrap();
    let row2 = s.add_repeat_row(&r, "members").unwrap();
    s.set_row_answer(&r, "members", &row, "name", Some(&"Asha".into())).unwrap();
    s.set_row_answer(&r, "members", &row2, "name", Some(&"Ravi".into())).unwrap();
    s.remove_repeat_row(&r, "members", &row2).unwrap();
    s.set_response_status(&r, ResponseStatus::Submitted).unwrap();

    let resp = s.response(&r).unwrap();
    assert_eq!(resp.answers.get("needs"), Some(&choices(&["market", "training"])));
    assert!(!resp.answers.contains_key("income"));
    assert_eq!(resp.repeats["members"].len(), 1);
    assert_eq!(resp.repeats["members"][0].answers["name"], FieldValue::Text("Asha".into()));
    assert_eq!(resp.status, sangam_core::ResponseStatus::Submitted);

    let f = ResponseFilter { form_id: Some("deep_listening".into()), status: Some(sangam_core::ResponseStatus::Submitted), ..Default::default() };
    assert_eq!(s.list_responses(&f).unwrap().len(), 1);
    let f = ResponseFilter { subject_id: Some(hh), ..Default::default() };
    assert_eq!(s.list_responses(&f).unwrap()[0].id, r);
    let f = ResponseFilter { status: Some(sangam_core::ResponseStatus::Draft), ..Default::default() };
    assert!(s.list_responses(&f).unwrap().is_empty());
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let s = fw("u1");
    assert!(matches!(s.response("nope"), Err(Error::NotFound(_))));
    let r = s
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
        .unwrap();
    // A path is a key now (a name used twice in a form); a malformed one is still refused.
    assert!(matches!(s.set_answer(&r, "a//b", &FieldValue::Int(1)), Err(Error::InvalidInput(_))));
    assert!(matches!(s.set_answer(&r, "x", &FieldValue::Decimal(f64::NAN)), Err(Error::InvalidInput(_))));
    assert!(matches!(s.meeting(&r), Err(Error::InvalidInput(_))));
    assert!(matches!(s.add_attendee(&r, NewAttendee { name: "a".into(), role: String::new(), organisation: String::new(), contact: String::new() }), Err(Error::InvalidInput(_))));
    assert!(matches!(s.apply_changes(&r, b"garbage"), Err(Error::Rejected { .. })));
    assert!(s.create_subject(NewSubject::new("household", "bad scope!")).is_err());
    assert!(matches!(
        s.create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: Some(r.clone()) }),
        Err(Error::InvalidInput(_))
    ));
    // The record still works after all of that.
    s.set_answer(&r, "x", &FieldValue::Int(1)).unwrap();
}

#[test]
fn meeting_minutes_merge_by_character_across_phones() {
    let a = fw("a");
    let b = fw("b");
    let m = a
        .create_meeting(NewMeeting {
            coalition: "District Entrepreneurship Coalition".into(),
            scope: "S".into(),
            date: "2026-11-29".into(),
            time: "10:30".into(),
            venue: "Block office".into(),
            agenda: vec!["Loans".into()],
        })
        .unwrap();
    a.minutes_replace(&m, "Opened at 10:30.").unwrap();
    sync_one(&a, &b, &m);
    a.minutes_insert(&m, 0, "[A] ").unwrap();
    let end = b.meeting(&m).unwrap().minutes.chars().count();
    b.minutes_insert(&m, end, " Closed at 12.").unwrap();
    let att = b.add_attendee(&m, NewAttendee { name: "Meena".into(), role: "entrepreneur".into(), organisation: "SHG".into(), contact: "".into() }).unwrap();
    b.set_attendance(&m, &att, true).unwrap();
    a.add_decision(&m, "Hold a loan camp").unwrap();
    a.add_agenda_item(&m, "E-rickshaw routes").unwrap();
    sync_one(&a, &b, &m);
    sync_one(&b, &a, &m);
    let ma = a.meeting(&m).unwrap();
    assert_eq!(ma, b.meeting(&m).unwrap());
    assert_eq!(ma.minutes, "[A] Opened at 10:30. Closed at 12.");
    assert_eq!(ma.attendees[0].present, Some(true));
    assert_eq!(ma.decisions.len(), 1);
    assert_eq!(ma.agenda, vec!["Loans".to_string(), "E-rickshaw routes".to_string()]);
    assert!(a.minutes_delete(&m, 1000, 1).is_err());
    a.minutes_delete(&m, 0, 4).unwrap();
    assert_eq!(a.meeting(&m).unwrap().minutes, "Opened at 10:30. Closed at 12.");
}

/// Long minutes are opened from their kept reading in a freshly opened store, and that reading
/// is always the document's: after each edit, from another phone's sync too, and the old one
/// is never shown once the record has moved on.
#[test]
fn long_minutes_open_from_their_kept_reading_which_follows_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let a = Store::open(&path, Identity::field_worker("a", "A")).unwrap();
    let b = fw("b");
    let m = a
        .create_meeting(NewMeeting {
            coalition: "District Entrepreneurship Coalition".into(),
            scope: "S".into(),
            date: "2026-11-29".into(),
            time: "10:30".into(),
            venue: "Block office".into(),
            agenda: vec!["Loans".into()],
        })
        .unwrap();
    let long = "The loan group agreed to visit the bank on Friday. ".repeat(120);
    a.minutes_replace(&m, &long).unwrap();
    let kept_rows = |path: &std::path::Path| -> i64 {
        rusqlite::Connection::open(path).unwrap().query_row("SELECT count(*) FROM views", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(kept_rows(&path), 1, "long minutes keep a reading");
    let seen = a.meeting(&m).unwrap();
    drop(a);
    let a = Store::open(&path, Identity::field_worker("a", "A")).unwrap();
    assert_eq!(a.meeting(&m).unwrap(), seen, "a fresh store shows the kept reading, equal to the document's");
    // Another phone edits; after the sync the reading shown is the new one.
    sync_one(&a, &b, &m);
    b.minutes_insert(&m, 0, "[B] ").unwrap();
    b.add_decision(&m, "Hold a loan camp").unwrap();
    sync_one(&b, &a, &m);
    drop(a);
    let a = Store::open(&path, Identity::field_worker("a", "A")).unwrap();
    let now = a.meeting(&m).unwrap();
    assert_eq!(now, b.meeting(&m).unwrap());
    assert!(now.minutes.starts_with("[B] The loan") && now.decisions.len() == 1);
    // Cut short again, the meeting keeps no reading, and opens from its document.
    a.minutes_replace(&m, "Short.").unwrap();
    assert_eq!(kept_rows(&path), 0);
    drop(a);
    let a = Store::open(&path, Identity::field_worker("a", "A")).unwrap();
    assert_eq!(a.meeting(&m).unwrap().minutes, "Short.");
}

#[test]
fn actions_list_open_by_owner_and_overdue() {
    let s = fw("u1");
    let mk = |title: &str, owner: &str, due: Option<&str>| {
        s.create_action(NewAction {
            scope: "S".into(),
            meeting_id: None,
            title: title.into(),
            owner: owner.into(),
            due: due.map(Into::into),
            notes: String::new(),
        })
        .unwrap()
    };
    let a1 = mk("Book hall", "meena", Some("2026-11-01"));
    let _a2 = mk("Call bank", "ravi", Some("2026-12-15"));
    let a3 = mk("Print forms", "meena", None);
    s.update_action(&a3, ActionUpdate { status: Some(ActionStatus::Done), notes: Some("done early".into()), ..Default::default() }).unwrap();
    let overdue = s.list_actions(&ActionFilter { overdue_on: Some("2026-11-29".into()), ..Default::default() }).unwrap();
    assert_eq!(overdue.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), vec![a1.clone()]);
    let meena_open = s.list_actions(&ActionFilter { owner: Some("meena".into()), open_only: true, ..Default::default() }).unwrap();
    assert_eq!(meena_open.len(), 1);
    assert_eq!(s.action(&a3).unwrap().notes, "done early");
    assert_eq!(s.action(&a3).unwrap().status, ActionStatus::Done);
    assert!(s.update_action(&a1, ActionUpdate { due: Some(Some("tomorrow".into())), ..Default::default() }).is_err());
}

#[test]
fn concurrent_answers_are_kept_as_a_conflict_and_a_coordinator_resolves_it() {
    let a = fw("asha");
    let b = fw("bina");
    let r = a
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
        .unwrap();
    sync_one(&a, &b, &r);
    a.set_answer(&r, "income", &FieldValue::Int(1000)).unwrap();
    b.set_answer(&r, "income", &FieldValue::Int(2000)).unwrap();
    sync_one(&a, &b, &r);
    sync_one(&b, &a, &r);
    let conflicts = a.conflicts(&r).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].path, "answers/income");
    let mut users: Vec<_> = conflicts[0].values.iter().map(|v| v.author.user_id.clone()).collect();
    users.sort();
    assert_eq!(users, vec!["asha", "bina"]);
    assert!(conflicts[0].values.iter().all(|v| v.author.time_ms > 0 && !v.author.device.is_empty()));
    assert_eq!(a.summary(&r).unwrap().conflicts, 1);
    let f = ResponseFilter { has_conflicts: Some(true), ..Default::default() };
    assert_eq!(a.list_responses(&f).unwrap().len(), 1);

    // A field worker may not resolve; a coordinator can.
    assert!(matches!(a.resolve_conflict(&r, "answers/income", &FieldValue::Int(1500)), Err(Error::Forbidden(_))));
    let c = Store::open_in_memory(Identity::coordinator("coord", "Coordinator")).unwrap();
    sync_one(&a, &c, &r);
    c.resolve_conflict(&r, "answers/income", &FieldValue::Int(1500)).unwrap();
    assert!(c.conflicts(&r).unwrap().is_empty());
    sync_one(&c, &a, &r);
    assert_eq!(a.response(&r).unwrap().answers["income"], FieldValue::Int(1500));
    assert_eq!(a.summary(&r).unwrap().conflicts, 0);
    let json = a.record_json(&r, None).unwrap();
    assert_eq!(json["resolutions"][0]["path"], "answers/income");
    assert_eq!(json["resolutions"][0]["by"], "coord");
}

#[test]
fn two_people_writing_the_same_value_at_once_is_not_a_conflict() {
    let a = fw("asha");
    let b = fw("bina");
    let r = a
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
        .unwrap();
    sync_one(&a, &b, &r);
    a.set_answer(&r, "village", &FieldValue::Text("Rampur".into())).unwrap();
    b.set_answer(&r, "village", &FieldValue::Text("Rampur".into())).unwrap();
    a.set_answer(&r, "needs", &FieldValue::Choices(["loan".to_string()].into())).unwrap();
    b.set_answer(&r, "needs", &FieldValue::Choices(["loan".to_string()].into())).unwrap();
    a.set_answer(&r, "age", &FieldValue::Int(30)).unwrap();
    b.set_answer(&r, "age", &FieldValue::Int(31)).unwrap();
    sync_one(&a, &b, &r);
    sync_one(&b, &a, &r);
    for s in [&a, &b] {
        let paths: Vec<String> = s.conflicts(&r).unwrap().into_iter().map(|c| c.path).collect();
        assert_eq!(paths, vec!["answers/age".to_string()], "only the disagreement is listed");
        assert_eq!(s.summary(&r).unwrap().conflicts, 1);
        assert_eq!(s.response(&r).unwrap().answers["village"], FieldValue::Text("Rampur".into()));
    }
}

#[test]
fn history_shows_who_changed_what_and_past_versions() {
    let s = fw("asha");
    let r = s
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
        .unwrap();
    s.set_answer(&r, "age", &FieldValue::Int(30)).unwrap();
    s.set_identity(Identity::field_worker("bina", "Bina")).unwrap();
    s.set_answer(&r, "age", &FieldValue::Int(31)).unwrap();
    let h = s.history(&r).unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(h[1].author.user_id, "asha");
    assert_eq!(h[1].fields, vec!["answers/age".to_string()]);
    assert_eq!(h[2].author.user_name, "Bina");
    assert_eq!(h[1].author.device, h[2].author.device, "same device, two users");
    let past = s.record_json(&r, Some(&[h[1].change.clone()])).unwrap();
    assert_eq!(past["answers"]["age"], 30);
    assert_eq!(s.record_json(&r, None).unwrap()["answers"]["age"], 31);
    assert!(s.record_json(&r, Some(&["00".repeat(32)])).is_err());
}

#[test]
fn out_of_order_changes_wait_durably_and_apply_when_dependencies_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let a = fw("a");
    let r = a
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
        .unwrap();
    let base = a.export_changes(&r, &[]).unwrap();
    let h0 = a.heads(&r).unwrap();
    a.set_answer(&r, "q1", &FieldValue::Int(1)).unwrap();
    let h1 = a.heads(&r).unwrap();
    let d1 = a.export_changes(&r, &h0).unwrap();
    a.set_answer(&r, "q2", &FieldValue::Int(2)).unwrap();
    let d2 = a.export_changes(&r, &h1).unwrap();

    let path = dir.path().join("b.db");
    {
        let b = Store::open(&path, Identity::field_worker("b", "B")).unwrap();
        let out = b.apply_changes(&r, &d2).unwrap();
        assert!(out.pending && !out.changed);
        assert_eq!(b.pending_count().unwrap(), 1);
        b.apply_changes(&r, &d2).unwrap(); // duplicate: still one pending entry
        assert_eq!(b.pending_count().unwrap(), 1);
    }
    let b = Store::open(&path, Identity::field_worker("b", "B")).unwrap();
    b.apply_changes(&r, &base).unwrap();
    b.apply_changes(&r, &d1).unwrap();
    assert_eq!(b.pending_count().unwrap(), 0);
    let resp = b.response(&r).unwrap();
    assert_eq!(resp.answers["q2"], FieldValue::Int(2));
    assert_eq!(b.heads(&r).unwrap(), a.heads(&r).unwrap());
    // Applying everything again changes nothing.
    let seq = b.last_seq().unwrap();
    assert!(!b.apply_changes(&r, &base).unwrap().changed);
    assert!(!b.apply_changes(&r, &d1).unwrap().changed);
    assert_eq!(b.last_seq().unwrap(), seq);
}

#[test]
fn changes_for_another_record_or_scope_are_refused() {
    let a = fw("a");
    let r1 = a.create_subject(NewSubject::new("household", "S1")).unwrap();
    let r2 = a.create_subject(NewSubject::new("household", "S1")).unwrap();
    let b = fw("b");
    let bytes = a.export_changes(&r1, &[]).unwrap();
    assert!(matches!(b.apply_changes(&r2, &bytes), Err(Error::Rejected { .. })));
    assert!(matches!(b.apply_changes("not-a-uuid", &bytes), Err(Error::InvalidInput(_))));
}

#[test]
fn many_edits_compact_and_reload_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let r;
    {
        let s = Store::open(&path, Identity::field_worker("a", "A")).unwrap();
        r = s
            .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
            .unwrap();
        for i in 0..37 {
            s.set_answer(&r, &format!("q{i}"), &FieldValue::Int(i)).unwrap();
        }
    }
    let s = Store::open(&path, Identity::field_worker("a", "A")).unwrap();
    let resp = s.response(&r).unwrap();
    assert_eq!(resp.answers.len(), 37);
    assert_eq!(s.history(&r).unwrap().len(), 38);
    s.integrity_check().unwrap();
}
