//! Writes a small store with one record of each kind, for migration tests.
//!
//! `tests/fixtures/store-v1.db` was made by running this at schema version 1:
//! `cargo run -p sangam-core --example make_store_fixture -- core/tests/fixtures/store-v1.db`
//! Fixtures are never regenerated once committed: each one stands for the files that
//! phones in the field hold today.

use sangam_core::*;

fn main() -> Result<()> {
    let path = std::env::args().nth(1).expect("usage: make_store_fixture OUT.db");
    let _ = std::fs::remove_file(&path);
    let s = Store::open(&path, Identity::field_worker("fixture-user", "Fixture User"))?;
    let hh = s.create_subject(
        NewSubject::new("household", "UP-SIT")
            .attr("name", "सुनीता देवी")
            .attr("village", "Rampur")
            .attr("phone", "9876543210"),
    )?;
    let r = s.create_response(NewResponse {
        form_id: "deep_listening".into(),
        form_version: "2026-11".into(),
        scope: "UP-SIT".into(),
        subject_id: Some(hh.clone()),
    })?;
    s.set_answer(&r, "income", &FieldValue::Int(12000))?;
    s.set_answer(&r, "needs", &FieldValue::Choices(["loan".to_string(), "training".to_string()].into()))?;
    let row = s.add_repeat_row(&r, "members")?;
    s.set_row_answer(&r, "members", &row, "name", Some(&"Asha".into()))?;
    s.set_response_status(&r, ResponseStatus::Submitted)?;
    let m = s.create_meeting(NewMeeting {
        coalition: "District Entrepreneurship Coalition".into(),
        scope: "UP-SIT".into(),
        date: "2026-11-01".into(),
        time: "10:30".into(),
        venue: "Block office".into(),
        agenda: vec!["Loans".into()],
    })?;
    s.minutes_replace(&m, "Opened at 10:30.")?;
    s.create_action(NewAction {
        scope: "UP-SIT".into(),
        meeting_id: Some(m.clone()),
        title: "Book the hall".into(),
        owner: "meena".into(),
        due: Some("2026-12-01".into()),
        notes: "".into(),
    })?;
    s.checkpoint()?;
    println!("subject {hh}\nresponse {r}\nmeeting {m}");
    Ok(())
}
