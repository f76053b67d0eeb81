//! Coordinators: review states with comments, who may set them, how they reach the field
//! worker, and the scope-wide conflicts worklist.

use sangam_core::sync::{InProcess, PeerInfo, SyncOptions, SyncReport};
use sangam_core::*;

fn hub() -> Store {
    let h = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
    h.enable_serving().unwrap();
    h
}

fn peer(scopes: &[&str], role: Role) -> PeerInfo {
    PeerInfo::new("p", role, scopes.iter().map(|s| s.to_string()).collect())
}

fn sync(dev: &Store, hub: &Store, p: &PeerInfo) -> SyncReport {
    let mut hub = InProcess::new(hub, p);
    let report = dev.sync_with(&mut hub, &SyncOptions::default()).unwrap();
    assert!(hub.frames.len() < 50, "sync did not finish");
    report
}

fn copy(from: &Store, to: &Store, id: &str) {
    to.apply_changes(id, &from.export_changes(id, &[]).unwrap()).unwrap();
}

fn response(s: &Store, scope: &str) -> String {
    s.create_response(NewResponse { form_id: "hh".into(), form_version: "1".into(), scope: scope.into(), subject_id: None })
        .unwrap()
}

fn coordinator(user: &str) -> Store {
    Store::open_in_memory(Identity::coordinator(user, &format!("Coordinator {user}"))).unwrap()
}

#[test]
fn only_coordinators_set_review_states_and_comments() {
    let fw = Store::open_in_memory(Identity::field_worker("asha", "Asha")).unwrap();
    let r = response(&fw, "S");
    assert!(matches!(fw.set_review(&r, ReviewState::Approved, None), Err(Error::Forbidden(_))));
    assert!(matches!(fw.add_review_comment(&r, "looks fine"), Err(Error::Forbidden(_))));
    assert_eq!(fw.review(&r).unwrap().state, ReviewState::Received, "unreviewed responses are received");

    let c = coordinator("meena");
    copy(&fw, &c, &r);
    c.set_review(&r, ReviewState::HasIssues, Some("Age is missing")).unwrap();
    c.add_review_comment(&r, "Called the household; will revisit").unwrap();
    c.set_review(&r, ReviewState::Approved, None).unwrap();
    let review = c.review(&r).unwrap();
    assert_eq!(review.state, ReviewState::Approved);
    assert_eq!(review.state_by.as_deref(), Some("meena"));
    assert!(!review.conflicted);
    let texts: Vec<&str> = review.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["Age is missing", "Called the household; will revisit"]);
    assert_eq!(review.comments[0].by_name, "Coordinator meena");
    let states: Vec<ReviewState> = c.review_history(&r).unwrap().into_iter().map(|e| e.state).collect();
    assert_eq!(states, [ReviewState::HasIssues, ReviewState::Approved], "history keeps every state");
    assert!(matches!(c.set_review(&r, ReviewState::Rejected, Some("  ")), Err(Error::InvalidInput(_))));
    let subject = c.create_subject(NewSubject::new("household", "S")).unwrap();
    assert!(matches!(c.set_review(&subject, ReviewState::Approved, None), Err(Error::InvalidInput(_))));
    assert!(matches!(c.review("0190f000-0000-7000-8000-000000000000"), Err(Error::NotFound(_))));
}

#[test]
fn responses_are_filtered_by_review_state() {
    let c = coordinator("meena");
    let ids: Vec<String> = (0..6).map(|_| response(&c, "S")).collect();
    let other_scope = response(&c, "T");
    c.set_review(&ids[0], ReviewState::Approved, None).unwrap();
    c.set_review(&ids[1], ReviewState::Approved, Some("ok")).unwrap();
    c.set_review(&ids[2], ReviewState::Rejected, Some("duplicate visit")).unwrap();
    c.set_review(&other_scope, ReviewState::Approved, None).unwrap();
    let list = |state: ReviewState, scope: Option<&str>| {
        let f = ReviewFilter { scope: scope.map(Into::into), state: Some(state), ..Default::default() };
        let mut ids: Vec<String> = c.list_by_review(&f).unwrap().into_iter().map(|i| i.summary.id).collect();
        ids.sort();
        ids
    };
    let mut approved = vec![ids[0].clone(), ids[1].clone()];
    approved.sort();
    assert_eq!(list(ReviewState::Approved, Some("S")), approved);
    assert_eq!(list(ReviewState::Approved, None).len(), 3);
    assert_eq!(list(ReviewState::Rejected, Some("S")), vec![ids[2].clone()]);
    assert_eq!(list(ReviewState::Received, Some("S")).len(), 3);
    assert_eq!(list(ReviewState::HasIssues, None).len(), 0);
    let limited = c.list_by_review(&ReviewFilter { limit: Some(2), ..Default::default() }).unwrap();
    assert_eq!(limited.len(), 2);
    let with_comment = c
        .list_by_review(&ReviewFilter { state: Some(ReviewState::Rejected), ..Default::default() })
        .unwrap();
    assert_eq!(with_comment[0].comments, 1);
}

#[test]
fn a_field_worker_sees_state_and_comments_of_their_response_after_sync() {
    let h = hub();
    let fw = Store::open_in_memory(Identity::field_worker("asha", "Asha")).unwrap();
    let c = coordinator("meena");
    let r = response(&fw, "S");
    fw.set_answer(&r, "members", &FieldValue::Int(5)).unwrap();
    sync(&fw, &h, &peer(&["S"], Role::FieldWorker));
    sync(&c, &h, &peer(&["S"], Role::Coordinator));
    c.set_review(&r, ReviewState::HasIssues, Some("Please add the head of household's age")).unwrap();
    let report = sync(&c, &h, &peer(&["S"], Role::Coordinator));
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    sync(&fw, &h, &peer(&["S"], Role::FieldWorker));
    let seen = fw.review(&r).unwrap();
    assert_eq!(seen.state, ReviewState::HasIssues);
    assert_eq!(seen.comments.len(), 1);
    assert_eq!(seen.comments[0].text, "Please add the head of household's age");
    assert_eq!(fw.response(&r).unwrap().answers["members"], FieldValue::Int(5), "answers untouched");
}

#[test]
fn the_hub_refuses_a_review_pushed_by_a_field_workers_device() {
    let h = hub();
    let fw = Store::open_in_memory(Identity::field_worker("asha", "Asha")).unwrap();
    let r = response(&fw, "S");
    sync(&fw, &h, &peer(&["S"], Role::FieldWorker));
    // A coordinator-like store writes the review; the field worker's device carries it.
    let rogue = coordinator("rogue");
    copy(&fw, &rogue, &r);
    rogue.set_review(&r, ReviewState::Approved, Some("self-approved")).unwrap();
    copy(&rogue, &fw, &r);
    let report = sync(&fw, &h, &peer(&["S"], Role::FieldWorker));
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].0, r);
    assert!(report.rejected[0].1.contains("review"), "{}", report.rejected[0].1);
    assert_eq!(h.review(&r).unwrap().state, ReviewState::Received, "the hub kept no review");
}

#[test]
fn concurrent_first_reviews_keep_both_comments_and_the_next_review_settles_them() {
    let (a, b) = (coordinator("meena"), coordinator("ravi"));
    let r = response(&a, "S");
    copy(&a, &b, &r);
    a.set_review(&r, ReviewState::Approved, Some("fine by me")).unwrap();
    b.set_review(&r, ReviewState::Rejected, Some("visited twice")).unwrap();
    copy(&a, &b, &r);
    copy(&b, &a, &r);
    for s in [&a, &b] {
        let review = s.review(&r).unwrap();
        assert!(review.conflicted, "different states written concurrently are shown as such");
        assert_eq!(review.comments.len(), 2, "both comments kept");
        assert!(s.conflicts(&r).unwrap().iter().any(|c| c.path == "review"));
    }
    assert_eq!(a.record_json(&r, None).unwrap(), b.record_json(&r, None).unwrap());
    a.set_review(&r, ReviewState::Rejected, Some("agreed with Ravi")).unwrap();
    copy(&a, &b, &r);
    for s in [&a, &b] {
        let review = s.review(&r).unwrap();
        assert!(!review.conflicted);
        assert_eq!(review.state, ReviewState::Rejected);
        assert_eq!(review.comments.len(), 3);
        assert!(s.conflicts(&r).unwrap().is_empty(), "{:?}", s.conflicts(&r).unwrap());
    }
}

#[test]
fn conflicts_are_listed_per_scope_with_every_value_and_resolved_by_pick() {
    let (f1, f2) = (
        Store::open_in_memory(Identity::field_worker("asha", "Asha")).unwrap(),
        Store::open_in_memory(Identity::field_worker("ravi", "Ravi")).unwrap(),
    );
    let c = coordinator("meena");
    let r = response(&f1, "S");
    let elsewhere = response(&f1, "T");
    let calm = response(&f1, "S");
    for id in [&r, &elsewhere, &calm] {
        copy(&f1, &f2, id);
    }
    for (s, v) in [(&f1, 4), (&f2, 5)] {
        s.set_answer(&r, "members", &FieldValue::Int(v)).unwrap();
        s.set_answer(&elsewhere, "members", &FieldValue::Int(v)).unwrap();
    }
    for id in [&r, &elsewhere, &calm] {
        copy(&f1, &c, id);
        copy(&f2, &c, id);
    }
    let listed = c.conflicted_records(Some("S"), 50, 0).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].summary.id, r);
    assert_eq!(listed[0].fields.len(), 1);
    let field = &listed[0].fields[0];
    assert_eq!(field.path, "answers/members");
    assert_ne!(field.values[0].value, field.values[1].value, "values written alike are no conflict");
    let mut users: Vec<&str> = field.values.iter().map(|v| v.author.user_id.as_str()).collect();
    users.sort();
    assert_eq!(users, ["asha", "ravi"], "each value says who wrote it");
    assert!(field.values.iter().all(|v| !v.author.device.is_empty() && v.author.time_ms > 0));
    assert_eq!(c.conflicted_records(None, 50, 0).unwrap().len(), 2);

    assert!(matches!(f1.resolve_conflict_pick(&r, "answers/members", 0), Err(Error::Forbidden(_))));
    assert!(matches!(c.resolve_conflict_pick(&r, "answers/members", 9), Err(Error::InvalidInput(_))));
    assert!(matches!(c.resolve_conflict_pick(&r, "answers/none", 0), Err(Error::InvalidInput(_))));
    let picked = field.values[1].value.clone();
    c.resolve_conflict_pick(&r, "answers/members", 1).unwrap();
    assert_eq!(c.response(&r).unwrap().answers["members"].to_json(), picked);
    assert!(c.conflicted_records(Some("S"), 50, 0).unwrap().is_empty());
    let last = c.history(&r).unwrap().pop().unwrap();
    assert_eq!(last.message.as_deref(), Some("resolve"), "the resolution stands in history");
    assert_eq!(last.author.user_id, "meena");
}

#[test]
fn review_states_are_indexed_and_a_store_from_before_the_index_fills_it_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coord.db");
    let c = Store::open(&path, Identity::coordinator("meena", "Meena")).unwrap();
    // More responses than one page of the listing, most of them never reviewed.
    let ids: Vec<String> = (0..300).map(|_| response(&c, "S")).collect();
    c.set_review(&ids[10], ReviewState::HasIssues, Some("Age is missing")).unwrap();
    c.set_review(&ids[290], ReviewState::HasIssues, None).unwrap();
    c.set_review(&ids[5], ReviewState::Approved, None).unwrap();
    let states = |path: &std::path::Path| -> Vec<Option<i64>> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut st = conn.prepare("SELECT review FROM docs WHERE kind = 'response' ORDER BY rid").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    };
    let indexed = states(&path);
    assert_eq!(indexed.iter().filter(|s| **s == Some(1)).count(), 2, "has issues");
    assert_eq!(indexed.iter().filter(|s| **s == Some(0)).count(), 297, "received");
    let issues = |c: &Store| {
        let f = ReviewFilter { state: Some(ReviewState::HasIssues), ..Default::default() };
        let mut got: Vec<String> = c.list_by_review(&f).unwrap().into_iter().map(|i| i.summary.id).collect();
        got.sort();
        got
    };
    let mut want = vec![ids[10].clone(), ids[290].clone()];
    want.sort();
    assert_eq!(issues(&c), want);
    drop(c);
    // As if written before the index existed: the listing still finds them, and fills it in.
    rusqlite::Connection::open(&path).unwrap().execute("UPDATE docs SET review = NULL", []).unwrap();
    let c = Store::open(&path, Identity::coordinator("meena", "Meena")).unwrap();
    assert_eq!(issues(&c), want);
    let all = c.list_by_review(&ReviewFilter { limit: Some(1000), ..Default::default() }).unwrap();
    assert_eq!(all.len(), 300);
    drop(c);
    assert_eq!(states(&path), indexed, "the listing filled in the index");
}
