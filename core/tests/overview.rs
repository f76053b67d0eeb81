//! The coordinator's overview counts (`Store::overview`): totals, submissions per worker (most
//! first), per village, and per UTC day for the days asked for only; and the counts kept for it
//! by triggers, which must always equal a scan of the responses.

use sangam_core::*;

/// The UTC date `days` after 1970-01-01, as YYYY-MM-DD.
fn date_of(days: i64) -> String {
    iso_utc(days * 86_400_000)[..10].to_string()
}

fn respond(s: &Store, user: &str, village_subject: &str, submit: bool) -> String {
    s.set_identity(Identity::field_worker(user, user)).unwrap();
    let r = s
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: Some(village_subject.into()) })
        .unwrap();
    if submit {
        s.set_response_status(&r, ResponseStatus::Submitted).unwrap();
    }
    r
}

#[test]
fn the_overview_counts_per_worker_village_and_day_in_one_pass() {
    let s = Store::open_in_memory(Identity::coordinator("c", "C")).unwrap();
    let rampur = s.create_subject(NewSubject::new("household", "S").attr("name", "A").attr("village", "Rampur")).unwrap();
    let sitapur = s.create_subject(NewSubject::new("household", "S").attr("name", "B").attr("village", "Sitapur")).unwrap();
    for _ in 0..3 {
        respond(&s, "asha", &rampur, true);
    }
    respond(&s, "bina", &sitapur, true);
    respond(&s, "bina", &rampur, false);
    let today = date_of(now_ms() / 86_400_000);

    let o = s.overview(&None, &today, 14).unwrap();
    assert_eq!((o.responses, o.drafts, o.awaiting_review), (4, 1, 4));
    assert_eq!(o.per_worker, vec![("asha".to_string(), 3), ("bina".to_string(), 1)], "most first");
    assert_eq!(o.per_village, vec![("rampur".to_string(), 3), ("sitapur".to_string(), 1)]);
    assert_eq!(
        o.per_day,
        vec![
            DayCount { day: today.clone(), worker: "asha".into(), count: 3 },
            DayCount { day: today.clone(), worker: "bina".into(), count: 1 },
        ]
    );

    // Days outside the window asked for are not listed; the totals still count everything.
    let long_ago = s.overview(&None, "2001-01-01", 14).unwrap();
    assert!(long_ago.per_day.is_empty());
    assert_eq!(long_ago.responses, 4);
    let tomorrow = date_of(now_ms() / 86_400_000 + 1);
    assert_eq!(s.overview(&None, &tomorrow, 2).unwrap().per_day.len(), 2, "yesterday is inside a two-day window");
    assert!(s.overview(&None, &tomorrow, 1).unwrap().per_day.is_empty(), "a one-day window is that day only");

    // Another scope sees none of it.
    let other = s.overview(&Some(vec!["T".into()]), &today, 14).unwrap();
    assert_eq!((other.responses, other.per_worker.len(), other.per_day.len(), other.per_village.len()), (0, 0, 0, 0));
}

/// The counts a direct scan of the responses gives, and the counts the triggers keep, as rows.
fn counts(path: &std::path::Path) -> (Vec<(String, i64, String, i64, i64, i64, i64)>, Vec<(String, String, i64)>) {
    let c = rusqlite::Connection::open(path).unwrap();
    let rows = |sql: &str| -> Vec<(String, i64, String, i64, i64, i64, i64)> {
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let kept = rows(
        "SELECT scope, day, owner, submitted, drafts, awaiting, issues FROM response_counts \
         WHERE submitted != 0 OR drafts != 0 OR awaiting != 0 OR issues != 0 ORDER BY 1, 2, 3",
    );
    let scanned = rows(
        "SELECT scope, updated_at / 86400000, coalesce(owner, '?'), sum(status = 'submitted'), sum(status = 'draft'), \
         sum(status = 'submitted' AND (review IS NULL OR review = 0)), coalesce(sum(review = 1), 0) \
         FROM docs WHERE kind = 'response' AND deleted = 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    );
    assert_eq!(kept, scanned, "the kept counts per scope, day and worker differ from a scan");
    let subjects = |sql: &str| -> Vec<(String, String, i64)> {
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let kept_s = subjects("SELECT scope, subject_id, submitted FROM subject_response_counts WHERE submitted != 0 ORDER BY 1, 2");
    let scanned_s = subjects(
        "SELECT scope, coalesce(subject_id, ''), sum(status = 'submitted') FROM docs WHERE kind = 'response' AND deleted = 0 \
         GROUP BY 1, 2 HAVING sum(status = 'submitted') > 0 ORDER BY 1, 2",
    );
    assert_eq!(kept_s, scanned_s, "the kept counts per subject differ from a scan");
    (kept, kept_s)
}

/// Whatever happens to responses (new, submitted, reviewed, deleted, re-filed to another
/// subject, arriving by sync from a phone), the counts the overview reads equal a scan of the
/// responses; and a store from before the counts existed gets them on upgrade.
#[test]
fn the_kept_counts_always_equal_a_scan_of_the_responses() {
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use sangam_core::sync::transport::{InProcess, SyncOptions};
    use sangam_core::sync::PeerInfo;
    let dir = tempfile::tempdir().unwrap();
    let hub_path = dir.path().join("hub.db");
    let hub = Store::open(&hub_path, Identity::new("hub", "Hub", Role::Admin)).unwrap();
    hub.enable_serving().unwrap();
    let phone = Store::open(dir.path().join("phone.db"), Identity::field_worker("ravi", "Ravi")).unwrap();
    let peer = PeerInfo::new("ravi", Role::FieldWorker, vec!["S".into()]);
    let subjects: Vec<String> = (0..4)
        .map(|i| hub.create_subject(NewSubject::new("household", "S").attr("name", "H").attr("village", format!("V{}", i % 2).as_str())).unwrap())
        .collect();
    let mut rng = StdRng::seed_from_u64(7);
    let mut responses: Vec<String> = Vec::new();
    let mut merged = false;
    for step in 0..300 {
        let pick = |rng: &mut StdRng, v: &Vec<String>| v[rng.gen_range(0..v.len())].clone();
        match rng.gen_range(0..8) {
            0 | 1 => {
                let worker = ["asha", "bina", "chandni"][rng.gen_range(0..3)];
                let scope = if rng.gen_bool(0.8) { "S" } else { "T" };
                hub.set_identity(Identity::field_worker(worker, worker)).unwrap();
                let subject = rng.gen_bool(0.9).then(|| pick(&mut rng, &subjects));
                let r = hub
                    .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: scope.into(), subject_id: subject })
                    .unwrap();
                responses.push(r);
            }
            2 if !responses.is_empty() => {
                let r = pick(&mut rng, &responses);
                let status = if rng.gen_bool(0.8) { ResponseStatus::Submitted } else { ResponseStatus::Draft };
                let _ = hub.set_response_status(&r, status);
            }
            3 if !responses.is_empty() => {
                hub.set_identity(Identity::coordinator("meera", "Meera")).unwrap();
                let r = pick(&mut rng, &responses);
                let state = [ReviewState::HasIssues, ReviewState::Approved, ReviewState::Received, ReviewState::Rejected][rng.gen_range(0..4)];
                let _ = hub.set_review(&r, state, Some("checked"));
            }
            4 if !responses.is_empty() && rng.gen_bool(0.3) => {
                let r = pick(&mut rng, &responses);
                let _ = hub.delete_record(&r);
            }
            5 => {
                // A merge moves the duplicate's responses to the subject kept; an undo moves
                // them back.
                hub.set_identity(Identity::coordinator("meera", "Meera")).unwrap();
                if merged {
                    hub.unmerge_subject(&subjects[1]).unwrap();
                } else {
                    hub.merge_subjects(&subjects[0], &subjects[1]).unwrap();
                }
                merged = !merged;
            }
            6 => {
                let r = phone
                    .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: Some(pick(&mut rng, &subjects)) })
                    .unwrap();
                if rng.gen_bool(0.7) {
                    phone.set_response_status(&r, ResponseStatus::Submitted).unwrap();
                }
            }
            _ => {
                let mut link = InProcess::new(&hub, &peer);
                phone.sync_with(&mut link, &SyncOptions::default()).unwrap();
            }
        }
        if step % 50 == 49 {
            counts(&hub_path);
        }
    }
    let (kept, kept_s) = counts(&hub_path);
    assert!(kept.iter().any(|r| r.6 > 0) && kept.iter().any(|r| r.2 == "ravi"), "the run reviewed and synced something: {kept:?}");
    assert!(!kept_s.is_empty());
    drop(hub);

    // A store from schema 10 (no counts) gets them, exact, when it is next opened.
    {
        let c = rusqlite::Connection::open(&hub_path).unwrap();
        c.execute_batch(
            "DROP TRIGGER docs_counts_insert; DROP TRIGGER docs_counts_delete; DROP TRIGGER docs_counts_update; \
             DROP TABLE response_counts; DROP TABLE subject_response_counts; DROP INDEX docs_subject_seq; DROP TABLE views; DROP TABLE credentials; PRAGMA user_version = 10;",
        )
        .unwrap();
    }
    let hub = Store::open(&hub_path, Identity::new("hub", "Hub", Role::Admin)).unwrap();
    assert_eq!(counts(&hub_path), (kept, kept_s), "the upgrade fills the counts in");
    drop(hub);
}
