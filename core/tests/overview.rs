//! The coordinator's overview counts (`Store::overview`): totals, submissions per worker (most
//! first), per village, and per UTC day for the days asked for only.

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
