//! The web console in headless Chromium (Playwright's `playwright-core`, `tests/browser/`):
//! sign in, review from the keyboard, resolve a conflict, switch to Hindi, sign out, against a
//! hub seeded through real phone syncs. Screenshots go to `target/console-screenshots/`.
//!
//! Skipped (with a note) where Node.js, Chromium or `tests/browser/node_modules` is missing,
//! unless `SANGAM_REQUIRE_BROWSER=1` (CI sets it, after installing them).

use std::path::PathBuf;
use std::process::Command;

use sangam_tests::console::{add_user, seed, PASSWORD};

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");

#[test]
fn the_console_works_in_chromium() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("browser/console.mjs");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = root.join("browser/node_modules/playwright-core").exists()
        && std::path::Path::new(&chromium).exists()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(
            std::env::var("SANGAM_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "SANGAM_REQUIRE_BROWSER=1 but Node.js, {chromium} or tests/browser/node_modules is missing (npm install --prefix tests/browser)"
        );
        eprintln!("skipped: needs Node.js, {chromium} and `npm install --prefix tests/browser`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seeded = seed(EXE, dir.path());
    let out = add_user(EXE, &dir.path().join("hub"), "meera", "coordinator", &["S"], PASSWORD);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // What the later pages show: a photo, a second registration of the household, a meeting
    // with an overdue action item, a location.
    use sangam_core::record::media::AnswerAt;
    use sangam_core::*;
    const PNG: &str = "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63fccfc0500f000485018084a98c210000000049454e44ae426082";
    let s = &seeded.asha.store;
    s.attach_media(&seeded.response, AnswerAt::Top, "photo", &hex::decode(PNG).unwrap(), "png", Some("image/png")).unwrap();
    s.set_answer(&seeded.response, "gps", &FieldValue::Text("26.8467 80.9462 120 5".into())).unwrap();
    let m = s
        .create_meeting(NewMeeting { coalition: "DEC".into(), scope: "S".into(), date: "2026-11-05".into(), time: "10:30".into(), venue: "Block office".into(), agenda: vec!["Routes".into()] })
        .unwrap();
    s.create_action(NewAction { scope: "S".into(), meeting_id: Some(m.clone()), title: "Map the night route".into(), owner: "Kamla".into(), due: Some("2026-01-01".into()), notes: String::new() })
        .unwrap();
    seeded.asha.sync(&seeded.hub.url).unwrap();
    s.sync_media(&seeded.hub.url, &seeded.asha_token, &sangam_core::sync::media::MediaOptions::default()).unwrap();
    seeded.bina.store.create_subject(NewSubject::new("household", "S").attr("name", "<script>alert(1)</script>Devi").attr("village", "Rampur")).unwrap();
    seeded.bina.sync(&seeded.hub.url).unwrap();
    let shots = root.join("../target/console-screenshots");
    let out = Command::new("node")
        .arg(&script)
        .args([&seeded.hub.url, "meera", PASSWORD, &seeded.response, &m])
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // What the coordinator did in the browser reaches the phone.
    seeded.asha.sync(&seeded.hub.url).unwrap();
    let review = seeded.asha.store.review(&seeded.response).unwrap();
    assert_eq!(review.state, sangam_core::ReviewState::HasIssues);
    assert!(review.comments.iter().any(|c| c.text == "count the members again"));
    assert!(seeded.asha.store.conflicts(&seeded.response).unwrap().is_empty());
}
