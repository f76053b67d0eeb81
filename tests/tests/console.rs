//! The web console end to end: a real hub process seeded by real phones through sync, a
//! coordinator signing in over HTTP, and every refusal the console owes (no session, wrong
//! scope, missing CSRF token, injected HTML, a field worker's token, too many wrong passwords).

use std::process::{Command, Stdio};
use std::time::Duration;

use sangam_core::*;
use sangam_tests::console::{seed, PASSWORD};
use sangam_tests::*;

fn add_user(data: &std::path::Path, name: &str, role: &str, scopes: &[&str], password: &str) -> std::process::Output {
    sangam_tests::console::add_user(EXE, data, name, role, scopes, password)
}

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");
/// A browser without a cookie jar of its own: the cookie is passed by hand.
struct Browser {
    agent: ureq::Agent,
    base: String,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
    headers: Vec<(String, String)>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            agent: ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(30)).build(),
            base: base.to_string(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn take(&mut self, r: Result<ureq::Response, ureq::Error>) -> Page {
        let r = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport: {e}"),
        };
        let status = r.status();
        let location = r.header("location").map(str::to_string);
        let mut headers = Vec::new();
        for name in r.headers_names() {
            for v in r.all(&name) {
                headers.push((name.clone(), v.to_string()));
            }
        }
        for (name, v) in &headers {
            if name == "set-cookie" {
                let kv = v.split(';').next().unwrap();
                let (k, val) = kv.split_once('=').unwrap();
                self.cookies.retain(|(n, _)| n != k);
                if !val.is_empty() {
                    self.cookies.push((k.to_string(), val.to_string()));
                }
            }
        }
        Page { status, location, body: r.into_string().unwrap_or_default(), headers }
    }

    fn get(&mut self, path: &str) -> Page {
        let r = self.agent.get(&format!("{}{path}", self.base)).set("Cookie", &self.cookie_header()).call();
        self.take(r)
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.agent.post(&format!("{}{path}", self.base)).set("Cookie", &self.cookie_header()).send_form(form);
        self.take(r)
    }

    fn sign_in(&mut self, user: &str, password: &str) -> Page {
        self.post("/console/login", &[("user", user), ("password", password)])
    }
}

fn csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a CSRF field on the page") + 19;
    let end = at + body[at..].find('"').expect("the CSRF field ends");
    body[at..end].to_string()
}

#[test]
fn a_coordinator_reviews_resolves_and_stays_in_scope() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    let out = add_user(&data, "meera", "coordinator", &["S"], PASSWORD);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Field workers have no console accounts; short passwords are refused.
    assert!(!add_user(&data, "fw", "field-worker", &["S"], PASSWORD).status.success());
    assert!(!add_user(&data, "short", "coordinator", &["S"], "12345").status.success());
    let (hub, a, ta, r, other) = (&seeded.hub, &seeded.asha, seeded.asha_token.clone(), seeded.response.clone(), seeded.other.clone());

    let mut br = Browser::new(&hub.url);
    // No session: every page sends to sign-in.
    let p = br.get("/console/overview");
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/console/login")));
    // A field worker's device token is no way in.
    let p = br.agent.get(&format!("{}/console/responses", hub.url)).set("Authorization", &format!("Bearer {ta}")).call();
    assert!(matches!(p, Ok(ref r) if r.status() == 303), "a device token must not open the console");

    // Wrong passwords are refused, then the account is locked for a while.
    for _ in 0..5 {
        assert_eq!(br.sign_in("meera", "wrong password!").status, 401);
    }
    let locked = br.sign_in("meera", PASSWORD);
    assert_eq!(locked.status, 429, "the sixth try within the window is refused even when right");
    assert!(locked.headers.iter().any(|(k, _)| k == "retry-after"));

    // A second coordinator of the same scope signs in (meera is locked out meanwhile).
    assert!(add_user(&data, "ravi", "coordinator", &["S"], PASSWORD).status.success());
    let p = br.sign_in("ravi", PASSWORD);
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/console/overview")), "{}", p.body);
    let set_cookie = p.headers.iter().find(|(k, _)| k == "set-cookie").map(|(_, v)| v.clone()).unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");

    let p = br.get("/console/overview");
    assert_eq!(p.status, 200);
    assert!(p.headers.iter().any(|(k, v)| k == "content-security-policy" && v.contains("script-src 'self'")));
    assert!(p.body.contains("id=\"card-submitted\""), "{}", p.body);
    assert!(p.body.contains("asha"), "per-worker counts name the field worker");
    assert!(p.body.contains("rampur"), "per-village counts name the village");
    let token = csrf(&p.body);
    // The token is masked afresh on every page (compressed pages must not repeat a secret),
    // and any of its maskings is good; the bare session token or a forged one is not.
    let again = csrf(&br.get("/console/overview").body);
    assert!(token.len() == 128 && again.len() == 128 && token != again, "{token} {again}");
    // Pages go gzip-compressed to a browser that accepts it, and whole.
    let zipped = br
        .agent
        .get(&format!("{}/console/review", hub.url))
        .set("Cookie", &br.cookie_header())
        .set("Accept-Encoding", "gzip, deflate")
        .call()
        .unwrap();
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert!(zipped.header("vary").is_some_and(|v| v.contains("accept-encoding")));
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut zipped.into_reader(), &mut raw).unwrap();
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut html).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.ends_with("</html>"), "{html}");
    let plain = br.agent.get(&format!("{}/console/review", hub.url)).set("Cookie", &br.cookie_header()).set("Accept-Encoding", "gzip;q=0").call().unwrap();
    assert_eq!(plain.header("content-encoding"), None, "gzip;q=0 refuses it");

    // The table: this scope's response, found by worker, village and text; not the other scope's.
    let p = br.get("/console/responses");
    assert!(p.body.contains(&r[..8]) && !p.body.contains(&other[..8]), "{}", p.body);
    assert!(!p.body.contains("<script>alert(1)"), "subject names are escaped");
    assert!(p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;Devi"));
    assert!(br.get("/console/responses?worker=asha").body.contains(&r[..8]));
    assert!(!br.get("/console/responses?worker=bina").body.contains(&r[..8]));
    assert!(br.get("/console/responses?village=ramp").body.contains(&r[..8]));
    assert!(br.get("/console/responses?text=devi").body.contains(&r[..8]));
    assert!(!br.get("/console/responses?text=%27%20OR%201%3D1%20--").body.contains(&r[..8]), "text search is a parameter, not SQL");
    assert!(br.get("/console/responses?sort=worker&dir=asc").status == 200);
    // Another scope's record is not there, by list or by address; nor by asking for its scope.
    assert_eq!(br.get(&format!("/console/r/{other}")).status, 404);
    assert!(!br.get("/console/responses?scope=T").body.contains(&other[..8]));

    // The record page: answers escaped, the conflict with both values and their authors.
    let page = br.get(&format!("/console/r/{r}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("&lt;img src=x onerror=alert(2)&gt;") && !page.body.contains("<img src=x"));
    assert!(page.body.contains("answers/income"), "{}", page.body);
    assert!(page.body.contains("1500") && page.body.contains("1800"));

    // Writes need the session's CSRF token.
    let path = format!("/console/r/{r}/review");
    assert_eq!(br.post(&path, &[("state", "approved")]).status, 403);
    assert_eq!(br.post(&path, &[("state", "approved"), ("csrf", &"0".repeat(64))]).status, 403);
    let p = br.post(&path, &[("state", "has-issues"), ("comment", "income <b>twice</b>?"), ("csrf", &token)]);
    assert_eq!(p.status, 303);
    let page = br.get(&format!("/console/r/{r}"));
    assert!(page.body.contains("income &lt;b&gt;twice&lt;/b&gt;?"), "{}", page.body);
    // An open redirect is not a place to go back to.
    let p = br.post(&format!("/console/r/{r}/comment"), &[("text", "seen"), ("csrf", &token), ("back", "//evil.example/")]);
    assert_eq!(p.location.as_deref(), Some(format!("/console/r/{r}").as_str()));
    // The review queue lists submitted responses awaiting review; has-issues ones under their state.
    assert!(br.get("/console/review?state=has-issues").body.contains(&r[..8]));
    // Writing to another scope's record is refused like reading it.
    assert_eq!(br.post(&format!("/console/r/{other}/review"), &[("state", "approved"), ("csrf", &token)]).status, 404);

    // Resolve the conflict in one click: keep the value shown second.
    let p = br.post(&format!("/console/r/{r}/resolve"), &[("path", "answers/income"), ("pick", "1"), ("csrf", &token)]);
    assert_eq!(p.status, 303);
    let conflicts = br.get("/console/conflicts");
    assert!(!conflicts.body.contains(&r[..8]), "resolved: {}", conflicts.body);

    // What the coordinator did reaches the phone on its next sync, as the coordinator's.
    a.sync(&hub.url).unwrap();
    let review = a.store.review(&r).unwrap();
    assert_eq!(review.state, ReviewState::HasIssues);
    assert!(review.comments.iter().any(|c| c.by == "ravi" && c.text == "income <b>twice</b>?"));
    assert!(a.store.conflicts(&r).unwrap().is_empty());

    // Hindi: every page's words switch.
    let p = br.get("/console/lang?to=hi&back=/console/overview");
    assert_eq!(p.location.as_deref(), Some("/console/overview"));
    let hi = br.get("/console/overview");
    assert!(hi.body.contains("lang=\"hi\"") && hi.body.contains("सारांश") && hi.body.contains("जमा किए गए"), "{}", hi.body);
    assert_eq!(br.get("/console/lang?to=en&back=https://evil.example/").location.as_deref(), Some("/console/overview"));

    // Enrol a phone from the Devices page: the token works for sync, the page shows it once
    // with the enrolment link as a QR code; a coordinator cannot enrol an admin; revoke works.
    let devices = br.get("/console/devices");
    assert!(devices.body.contains("id=\"enrol\""), "{}", devices.body);
    let token = csrf(&devices.body);
    let url = hub.url.clone();
    let p = br.post("/console/devices/enrol", &[("name", "new-phone"), ("role", "field-worker"), ("scope_S", "1"), ("hub_url", &url), ("csrf", &token)]);
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("<svg"), "a QR code");
    let link = p.body.split("<pre id=\"enrol-link\">").nth(1).unwrap().split("</pre>").next().unwrap().replace("&amp;", "&");
    let code = sangam_core::sync::protocol::Enrolment::decode(&link).unwrap();
    let phone = Phone::new(dir.path(), "new-phone", Role::FieldWorker, code.token.clone());
    phone.sync(&hub.url).unwrap();
    assert!(phone.store.list_responses(&ResponseFilter::default()).unwrap().iter().any(|x| x.id == r), "the new phone got scope S");
    let p = br.post("/console/devices/enrol", &[("name", "boss"), ("role", "admin"), ("scope_S", "1"), ("hub_url", &url), ("csrf", &token)]);
    assert_eq!(p.status, 403);
    let p = br.post("/console/devices/enrol", &[("name", "t-phone"), ("role", "field-worker"), ("scope_T", "1"), ("hub_url", &url), ("csrf", &token)]);
    assert_eq!(p.status, 400, "no scope of the coordinator's chosen: {}", p.body);
    assert_eq!(br.post("/console/devices/revoke", &[("name", "tara"), ("csrf", &token)]).status, 404, "another scope's device");
    assert_eq!(br.post("/console/devices/revoke", &[("name", "new-phone"), ("csrf", &token)]).status, 200);
    assert!(phone.sync(&hub.url).is_err(), "a revoked token no longer syncs");

    // Sign out everywhere: the session cookie no longer works, here or in another browser.
    let mut other_browser = Browser::new(&hub.url);
    assert_eq!(other_browser.sign_in("ravi", PASSWORD).status, 303);
    assert_eq!(other_browser.get("/console/overview").status, 200);
    let token = csrf(&br.get("/console/overview").body);
    assert_eq!(br.post("/console/logout-all", &[("csrf", &token)]).status, 200);
    assert_eq!(other_browser.get("/console/overview").status, 303);
    assert_eq!(br.get("/console/overview").status, 303);
}

#[test]
fn the_console_is_off_beyond_loopback_without_tls() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    enrol(EXE, &data, "scraper", "admin", &["ops"]);
    let mut child = Command::new(EXE)
        .args(["serve", "--data"])
        .arg(&data)
        .args(["--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let url = loop {
        let l = lines.next().expect("hub output").unwrap();
        if let Some(u) = l.strip_prefix("listening on ") {
            break u.trim().replace("0.0.0.0", "127.0.0.1");
        }
    };
    let r = ureq::AgentBuilder::new().redirects(0).build().get(&format!("{url}/console/login")).call();
    let _ = child.kill();
    let _ = child.wait();
    match r {
        Err(ureq::Error::Status(404, body)) => assert!(body.into_string().unwrap().contains("--tls-cert")),
        other => panic!("the console must be off: {other:?}"),
    }
}

#[test]
fn a_record_shows_its_photos_and_serves_them_only_within_scope() {
    use sangam_core::record::media::AnswerAt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    assert!(add_user(&data, "meera", "coordinator", &["S"], PASSWORD).status.success());
    assert!(add_user(&data, "ravi", "coordinator", &["T"], PASSWORD).status.success());
    let photo: Vec<u8> = (0..40_000u32).map(|i| (i * 7) as u8).collect();
    let name = seeded.asha.store.attach_media(&seeded.response, AnswerAt::Top, "photo", &photo, "jpg", Some("image/jpeg")).unwrap();
    let audio = b"a short recording".to_vec();
    let clip = seeded.asha.store.attach_media(&seeded.response, AnswerAt::Top, "voice", &audio, "m4a", Some("audio/mp4")).unwrap();
    seeded.asha.sync(&seeded.hub.url).unwrap();
    // The record first: its page lists the photo as not yet received.
    let mut b = Browser::new(&seeded.hub.url);
    assert_eq!(b.sign_in("meera", PASSWORD).status, 303);
    let page = b.get(&format!("/console/r/{}", seeded.response));
    assert!(page.body.contains("not received from the phone yet"), "{}", page.body);
    seeded.asha.store.sync_media(&seeded.hub.url, &seeded.asha_token, &sangam_core::sync::media::MediaOptions::default()).unwrap();

    let page = b.get(&format!("/console/r/{}", seeded.response));
    let url = format!("/console/r/{}/media/{name}", seeded.response);
    assert!(page.body.contains(&format!("<img class=\"thumb\" src=\"{url}\"")), "{}", page.body);
    assert!(page.body.contains("<audio controls"), "{}", page.body);
    let csp = page.headers.iter().find(|(k, _)| k == "content-security-policy").map(|(_, v)| v.clone()).unwrap();
    assert!(csp.contains("media-src 'self'"), "{csp}");
    let r = b.agent.get(&format!("{}{url}", seeded.hub.url)).set("Cookie", &b.cookie_header()).call().unwrap();
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut got).unwrap();
    assert_eq!(got, photo);
    assert_eq!(b.get(&format!("/console/r/{}/media/{clip}", seeded.response)).status, 200);

    // A file the record does not name, another record's id, another scope: not found.
    let stranger = format!("{}.jpg", "ab".repeat(32));
    assert_eq!(b.get(&format!("/console/r/{}/media/{stranger}", seeded.response)).status, 404);
    assert_eq!(b.get(&format!("/console/r/{}/media/{name}", seeded.other)).status, 404);
    let mut other = Browser::new(&seeded.hub.url);
    other.sign_in("ravi", PASSWORD);
    assert_eq!(other.get(&url).status, 404);
    // Signed out: to the sign-in page.
    assert_eq!(Browser::new(&seeded.hub.url).get(&url).status, 303);
}

#[test]
fn duplicates_are_merged_and_unmerged_and_a_household_shows_its_responses_over_time() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    assert!(add_user(&data, "meera", "coordinator", &["S"], PASSWORD).status.success());
    // Bina registers the same household again on her phone.
    let again = seeded
        .bina
        .store
        .create_subject(NewSubject::new("household", "S").attr("name", "<script>alert(1)</script>Devi").attr("village", "Rampur").attr("phone", "98765 43210"))
        .unwrap();
    seeded.bina.sync(&seeded.hub.url).unwrap();
    let original = seeded.asha.store.response(&seeded.response).unwrap().subject_id.unwrap();

    let mut b = Browser::new(&seeded.hub.url);
    assert_eq!(b.sign_in("meera", PASSWORD).status, 303);
    let page = b.get("/console/duplicates");
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("/console/r/{again}")) && page.body.contains(&format!("/console/r/{original}")), "{}", page.body);
    assert!(!page.body.contains("<script>alert(1)"), "names are escaped");
    let token = csrf(&page.body);
    // Merge the new one into the one registered first.
    let r = b.post(&format!("/console/r/{again}/merge"), &[("csrf", &token), ("into", &original), ("back", "/console/duplicates")]);
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/console/duplicates")));
    let dup = b.get(&format!("/console/r/{again}"));
    assert!(dup.body.contains("Merged into") && dup.body.contains("Undo the merge"), "{}", dup.body);
    let kept = b.get(&format!("/console/r/{original}"));
    assert!(kept.body.contains("98765 43210"), "the kept household gained the phone number");
    // Without the CSRF token nothing happens.
    assert_eq!(b.post(&format!("/console/r/{again}/unmerge"), &[]).status, 403);
    let r = b.post(&format!("/console/r/{again}/unmerge"), &[("csrf", &token)]);
    assert_eq!(r.status, 303);
    assert!(!b.get(&format!("/console/r/{again}")).body.contains("Merged into"), "unmerged");

    // The household over time: its response is listed on its page; found by village.
    let hh = b.get(&format!("/console/r/{original}"));
    assert!(hh.body.contains("Responses over time") && hh.body.contains(&format!("/console/r/{}", seeded.response)), "{}", hh.body);
    let found = b.get("/console/subjects?q=Ramp");
    assert!(found.body.contains(&format!("/console/r/{original}")), "{}", found.body);
    let by_phone = b.get("/console/subjects?q=98765");
    assert!(by_phone.body.contains(&format!("/console/r/{again}")), "{}", by_phone.body);
    // In Hindi too.
    b.get("/console/lang?to=hi");
    assert!(b.get("/console/duplicates").body.contains("दोहराव"));
}

#[test]
fn meetings_show_attendance_minutes_and_decisions_and_action_items_are_tracked_across_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    assert!(add_user(&data, "meera", "coordinator", &["S"], PASSWORD).status.success());
    let s = &seeded.asha.store;
    let m = s
        .create_meeting(NewMeeting {
            coalition: "District Entrepreneurship Coalition".into(),
            scope: "S".into(),
            date: "2026-11-05".into(),
            time: "10:30".into(),
            venue: "Block office".into(),
            agenda: vec!["E-rickshaw routes".into()],
        })
        .unwrap();
    let who = s.add_attendee(&m, NewAttendee { name: "Kamla".into(), role: "entrepreneur".into(), organisation: "SHG".into(), contact: String::new() }).unwrap();
    s.set_attendance(&m, &who, true).unwrap();
    s.minutes_replace(&m, "Opened at 10:30 <b>sharp</b>.").unwrap();
    s.add_decision(&m, "Start a night route").unwrap();
    let late = s
        .create_action(NewAction { scope: "S".into(), meeting_id: Some(m.clone()), title: "Map the night route".into(), owner: "Kamla".into(), due: Some("2026-01-01".into()), notes: String::new() })
        .unwrap();
    s.create_action(NewAction { scope: "S".into(), meeting_id: Some(m.clone()), title: "Call the RTO".into(), owner: "Meena".into(), due: Some("2099-01-01".into()), notes: String::new() })
        .unwrap();
    seeded.asha.sync(&seeded.hub.url).unwrap();

    let mut b = Browser::new(&seeded.hub.url);
    assert_eq!(b.sign_in("meera", PASSWORD).status, 303);
    let list = b.get("/console/meetings");
    assert!(list.body.contains(&format!("/console/r/{m}")) && list.body.contains("1 / 1"), "{}", list.body);
    let page = b.get(&format!("/console/r/{m}"));
    for want in ["Kamla", "Start a night route", "E-rickshaw routes", "Opened at 10:30 &lt;b&gt;sharp&lt;/b&gt;.", "Map the night route"] {
        assert!(page.body.contains(want), "{want} missing: {}", page.body);
    }
    // The tracker: the overdue item first, marked.
    let tracker = b.get("/console/actions");
    let first = tracker.body.find("Map the night route").unwrap();
    assert!(first < tracker.body.find("Call the RTO").unwrap(), "overdue first");
    assert!(tracker.body.contains("class=\"overdue\""));
    assert!(b.get("/console/actions?owner=Meena").body.contains("Call the RTO"));
    assert!(!b.get("/console/actions?owner=Meena").body.contains("Map the night route"));
    // Done, in one click; it leaves the open list and the phone learns it.
    let token = csrf(&tracker.body);
    let r = b.post(&format!("/console/r/{late}/action"), &[("csrf", &token), ("status", "done"), ("back", "/console/actions")]);
    assert_eq!(r.status, 303);
    assert!(!b.get("/console/actions").body.contains("Map the night route"));
    assert!(b.get("/console/actions?all=1").body.contains("Map the night route"));
    seeded.asha.sync(&seeded.hub.url).unwrap();
    assert_eq!(s.action(&late).unwrap().status, ActionStatus::Done);
    assert_eq!(b.post(&format!("/console/r/{late}/action"), &[("csrf", &token), ("status", "finished")]).status, 400);
}

/// A multipart body (the browser's encoding of a form with files), by hand.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----sangamtestboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    for (k, name, data) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn an_admin_checks_previews_and_publishes_an_xlsform_and_a_coordinator_only_checks() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    assert!(add_user(&data, "root", "admin", &[], PASSWORD).status.success());
    assert!(add_user(&data, "meera", "coordinator", &["S"], PASSWORD).status.success());
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/forms");
    let good = std::fs::read(fixtures.join("deep_listening.xlsx")).unwrap();
    let broken = std::fs::read(fixtures.join("broken.xlsx")).unwrap();
    let mut b = Browser::new(&seeded.hub.url);
    assert_eq!(b.sign_in("root", PASSWORD).status, 303);
    let list = b.get("/console/forms");
    let token = csrf(&list.body);
    let post = |b: &mut Browser, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]| {
        let (ct, body) = multipart(fields, files);
        let r = b.agent.post(&format!("{}/console/forms/check", b.base)).set("Cookie", &b.cookie_header()).set("Content-Type", &ct).send_bytes(&body);
        b.take(r)
    };
    // Without the CSRF token: refused.
    assert_eq!(post(&mut b, &[], &[("form", "deep_listening.xlsx", &good)]).status, 403);
    // A broken form: every problem named by its cell.
    let p = post(&mut b, &[("csrf", &token)], &[("form", "broken.xlsx", &broken)]);
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Problems to fix in the form") && p.body.contains("survey!"), "{}", p.body);
    // A good one: previewed with its questions, then published.
    let p = post(&mut b, &[("csrf", &token)], &[("form", "deep_listening.xlsx", &good)]);
    assert!(p.body.contains("Form preview") && p.body.contains("<th>"), "{}", p.body);
    let at = p.body.find("name=\"upload\" value=\"").expect("a publish button") + 21;
    let upload = p.body[at..at + 32].to_string();
    let r = b.post("/console/forms/publish", &[("csrf", &token), ("upload", &upload), ("scope", "S")]);
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/console/forms")), "{}", r.body);
    let list = b.get("/console/forms");
    assert!(list.body.contains("<td>S</td>"), "{}", list.body);
    // The upload is gone once published; publishing it again says so.
    assert_eq!(b.post("/console/forms/publish", &[("csrf", &token), ("upload", &upload), ("scope", "S")]).status, 400);
    // The phones of that scope receive it.
    seeded.asha.sync(&seeded.hub.url).unwrap();
    assert_eq!(seeded.asha.store.list_forms(Some("S")).unwrap().len(), 1);

    // A coordinator checks and previews, and cannot publish.
    let mut m = Browser::new(&seeded.hub.url);
    m.sign_in("meera", PASSWORD);
    let t = csrf(&m.get("/console/forms").body);
    let p = post(&mut m, &[("csrf", &t)], &[("form", "deep_listening.xlsx", &good)]);
    assert!(p.body.contains("Only an admin can publish forms.") && !p.body.contains("name=\"upload\""), "{}", p.body);
    assert_eq!(m.post("/console/forms/publish", &[("csrf", &t), ("upload", &upload), ("scope", "S")]).status, 403);
}

#[test]
fn an_export_runs_in_the_background_shows_progress_and_downloads_as_a_zip_with_its_media() {
    use sangam_core::record::media::AnswerAt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    assert!(add_user(&data, "meera", "coordinator", &["S"], PASSWORD).status.success());
    assert!(add_user(&data, "ravi", "coordinator", &["T"], PASSWORD).status.success());
    let photo: Vec<u8> = (0..30_000u32).map(|i| (i * 13) as u8).collect();
    let name = seeded.asha.store.attach_media(&seeded.response, AnswerAt::Top, "photo", &photo, "jpg", Some("image/jpeg")).unwrap();
    seeded.asha.sync(&seeded.hub.url).unwrap();
    seeded.asha.store.sync_media(&seeded.hub.url, &seeded.asha_token, &sangam_core::sync::media::MediaOptions::default()).unwrap();

    let mut b = Browser::new(&seeded.hub.url);
    assert_eq!(b.sign_in("meera", PASSWORD).status, 303);
    let token = csrf(&b.get("/console/exports").body);
    let r = b.post("/console/exports", &[("csrf", &token), ("form_id", "f"), ("format", "csv"), ("drafts", "1")]);
    assert_eq!(r.status, 303);
    let job = r.location.unwrap();
    let mut page = b.get(&job);
    for _ in 0..100 {
        if page.body.contains("export-ready") {
            break;
        }
        assert!(page.body.contains("export-running"), "{}", page.body);
        std::thread::sleep(Duration::from_millis(100));
        page = b.get(&job);
    }
    assert!(page.body.contains("export-ready") && page.body.contains("1 media files"), "{}", page.body);
    let r = b.agent.get(&format!("{}{job}/download", seeded.hub.url)).set("Cookie", &b.cookie_header()).call().unwrap();
    assert_eq!(r.header("content-type"), Some("application/zip"));
    let mut zip = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut zip).unwrap();
    assert_eq!(&zip[..4], b"PK\x03\x04");
    let has = |needle: &[u8]| zip.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"f-csv/f-v1.csv"), "the CSV is in the ZIP");
    assert!(has(format!("f-csv/media/{name}").as_bytes()), "the photo is in its media folder");
    assert!(has(&photo[..64]), "stored as it is");
    // Only its user sees the job.
    let mut other = Browser::new(&seeded.hub.url);
    other.sign_in("ravi", PASSWORD);
    assert_eq!(other.get(&job).status, 404);
    assert_eq!(other.get(&format!("{job}/download")).status, 404);

    // With a password: the page warns without one; with one, every entry is AES-256 encrypted.
    let form_page = b.get("/console/exports").body;
    assert!(form_page.contains("name=\"password\"") && form_page.contains("in clear"), "{form_page}");
    let token = csrf(&form_page);
    let short = b.post("/console/exports", &[("csrf", &token), ("form_id", "f"), ("format", "csv"), ("password", "short")]);
    assert_ne!(short.status, 303, "a short password starts no export");
    let r = b.post("/console/exports", &[("csrf", &token), ("form_id", "f"), ("format", "csv"), ("drafts", "1"), ("password", "a long export password")]);
    assert_eq!(r.status, 303);
    let job = r.location.unwrap();
    for _ in 0..100 {
        if b.get(&job).body.contains("export-ready") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = b.agent.get(&format!("{}{job}/download", seeded.hub.url)).set("Cookie", &b.cookie_header()).call().unwrap();
    let mut sealed = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut sealed).unwrap();
    assert!(!sealed.windows(64).any(|w| w == &photo[..64]), "the photo is encrypted too");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(sealed)).unwrap();
    assert!(archive.by_name_decrypt("f-csv/f-v1.csv", b"not it at all").is_err());
    let mut csv = String::new();
    std::io::Read::read_to_string(&mut archive.by_name_decrypt("f-csv/f-v1.csv", b"a long export password").unwrap(), &mut csv).unwrap();
    assert!(csv.contains(&seeded.response), "the CSV reads back with the password");
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name_decrypt(&format!("f-csv/media/{name}"), b"a long export password").unwrap(), &mut back).unwrap();
    assert_eq!(back, photo);
}

#[test]
fn the_map_plots_where_responses_were_taken_within_the_users_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    assert!(add_user(&data, "meera", "coordinator", &["S"], PASSWORD).status.success());
    seeded.asha.store.set_answer(&seeded.response, "gps", &FieldValue::Text("26.8467 80.9462 120 5".into())).unwrap();
    seeded.asha.sync(&seeded.hub.url).unwrap();
    seeded.tara.store.set_answer(&seeded.other, "gps", &FieldValue::Text("27.1 81.2 0 4".into())).unwrap();
    seeded.tara.sync(&seeded.hub.url).unwrap();
    let mut b = Browser::new(&seeded.hub.url);
    assert_eq!(b.sign_in("meera", PASSWORD).status, 303);
    let page = b.get("/console/map?form=f");
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("<circle").count(), 1, "only the point of the user's scope: {}", page.body);
    assert!(page.body.contains(&format!("<a href=\"/console/r/{}\"><circle", seeded.response)), "{}", page.body);
    assert!(b.get("/console/map?form=nothing").body.contains("No answers with a location"));
}

/// Waits for export job `job` to be ready and downloads its ZIP.
fn export_zip(b: &mut Browser, job: &str) -> Vec<u8> {
    for _ in 0..100 {
        let page = b.get(job);
        if page.body.contains("export-ready") {
            break;
        }
        assert!(page.body.contains("export-running"), "{}", page.body);
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = b.agent.get(&format!("{}{job}/download", b.base)).set("Cookie", &b.cookie_header()).call().unwrap();
    let mut zip = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut zip).unwrap();
    zip
}

#[test]
fn exports_offer_automerge_documents_meeting_minutes_and_choice_labels() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    assert!(add_user(&data, "meera", "coordinator", &["S"], PASSWORD).status.success());
    let m = seeded
        .asha
        .store
        .create_meeting(NewMeeting {
            coalition: "District Entrepreneurship Coalition".into(),
            scope: "S".into(),
            date: "2026-11-05".into(),
            time: "10:30".into(),
            venue: "Block office".into(),
            agenda: vec!["E-rickshaw routes".into()],
        })
        .unwrap();
    seeded.asha.store.minutes_replace(&m, "Night route agreed.").unwrap();
    seeded.asha.sync(&seeded.hub.url).unwrap();
    let mut b = Browser::new(&seeded.hub.url);
    assert_eq!(b.sign_in("meera", PASSWORD).status, 303);
    let page = b.get("/console/exports").body;
    assert!(page.contains("value=\"automerge\"") && page.contains("value=\"md\"") && page.contains("name=\"labels\""), "{page}");
    let token = csrf(&page);

    // Automerge: each response as a document any Automerge opens, with its history.
    let r = b.post("/console/exports", &[("csrf", &token), ("form_id", "f"), ("format", "automerge"), ("drafts", "1")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let zip = export_zip(&mut b, &r.location.unwrap());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let name = format!("f-automerge/{}.automerge", seeded.response);
    let mut doc = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(&name).expect("the response's document"), &mut doc).unwrap();
    let loaded = automerge::Automerge::load(&doc).unwrap();
    assert!(loaded.get_changes(&[]).len() > 3, "the whole history travels");

    // Meeting minutes: no form needed.
    let r = b.post("/console/exports", &[("csrf", &token), ("form_id", ""), ("format", "md")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let zip = export_zip(&mut b, &r.location.unwrap());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut minutes = String::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        if f.name().ends_with(".md") {
            std::io::Read::read_to_string(&mut f, &mut minutes).unwrap();
        }
    }
    assert!(minutes.contains("Night route agreed.") && minutes.contains("E-rickshaw routes"), "{minutes}");
    // A form's export still needs its form.
    assert_eq!(b.post("/console/exports", &[("csrf", &token), ("form_id", ""), ("format", "csv")]).status, 400);
}

#[test]
fn a_coordinator_imports_a_phones_bundle_and_writes_one_sealed_for_a_phone_within_scope() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let seeded = seed(EXE, dir.path());
    assert!(add_user(&data, "meera", "coordinator", &["S"], PASSWORD).status.success());
    assert!(add_user(&data, "ravi", "coordinator", &["T"], PASSWORD).status.success());
    // Out of reach of the hub, asha collects a response and writes it to an SD card.
    let offline = response(&seeded.asha.store, "S");
    seeded.asha.store.set_answer(&offline, "income", &FieldValue::Int(900)).unwrap();
    let card = seeded.asha.store.export_bundle(&sangam_core::sync::BundleOptions { only_unsynced: true, ..Default::default() }).unwrap();

    let mut b = Browser::new(&seeded.hub.url);
    assert_eq!(b.sign_in("meera", PASSWORD).status, 303);
    let page = b.get("/console/bundles");
    assert!(page.body.contains("id=\"bundle-import\"") && page.body.contains("value=\"asha\"") && !page.body.contains("value=\"tara\""), "{}", page.body);
    let token = csrf(&page.body);
    let upload = |b: &mut Browser, fields: &[(&str, &str)], file: &[u8]| {
        let (ct, body) = multipart(fields, &[("bundle", "asha.sgbn", file)]);
        let r = b.agent.post(&format!("{}/console/bundles/import", b.base)).set("Cookie", &b.cookie_header()).set("Content-Type", &ct).send_bytes(&body);
        b.take(r)
    };
    // Without the CSRF token: refused, nothing imported.
    assert_eq!(upload(&mut b, &[("device", "asha")], &card).status, 403);
    // A device of another scope is unknown to this coordinator.
    assert_eq!(upload(&mut b, &[("csrf", &token), ("device", "tara")], &card).status, 404);
    // A damaged file: a clear refusal.
    let p = upload(&mut b, &[("csrf", &token), ("device", "asha")], b"not a bundle at all");
    assert_eq!(p.status, 400, "{}", p.body);
    let p = upload(&mut b, &[("csrf", &token), ("device", "asha")], &card);
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"bundle-report\"") && p.body.contains("1 changed") && p.body.contains("0 refused"), "{}", p.body);
    let hub_store = Store::open(data.join("hub.db"), Identity::new("check", "Check", Role::Admin)).unwrap();
    assert_eq!(hub_store.response(&offline).unwrap().answers["income"], FieldValue::Int(900));
    // The same card again changes nothing.
    assert!(upload(&mut b, &[("csrf", &token), ("device", "asha")], &card).body.contains("0 changed"));

    // A bundle for bina's phone, sealed to it: only bina reads it.
    seeded.bina.sync(&seeded.hub.url).unwrap();
    let export = |b: &mut Browser, form: &[(&str, &str)]| {
        let r = b.agent.post(&format!("{}/console/bundles/export", b.base)).set("Cookie", &b.cookie_header()).send_form(form);
        match r {
            Ok(r) => {
                let disposition = r.header("content-disposition").unwrap_or("").to_string();
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).unwrap();
                (200, disposition, bytes)
            }
            Err(ureq::Error::Status(code, _)) => (code, String::new(), Vec::new()),
            Err(e) => panic!("{e}"),
        }
    };
    let (status, disposition, sealed) = export(&mut b, &[("csrf", &token), ("scope_S", "1"), ("seal_for", "bina")]);
    assert_eq!(status, 200);
    assert!(disposition.contains("attachment") && disposition.contains(".sgbn"), "{disposition}");
    assert!(seeded.tara.store.import_bundle_on_device(&sealed).is_err(), "sealed to bina, not to tara");
    let report = seeded.bina.store.import_bundle_on_device(&sealed).unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(seeded.bina.store.response(&offline).unwrap().answers["income"], FieldValue::Int(900));
    // No scope chosen, or none of hers: refused (never "every scope").
    assert_eq!(export(&mut b, &[("csrf", &token)]).0, 400);
    assert_eq!(export(&mut b, &[("csrf", &token), ("scope_T", "1")]).0, 400);
    assert_eq!(export(&mut b, &[("scope_S", "1")]).0, 403, "no CSRF token");
    // Ravi (scope T) cannot seal for asha, whose scope he does not see.
    let mut r = Browser::new(&seeded.hub.url);
    r.sign_in("ravi", PASSWORD);
    let t = csrf(&r.get("/console/bundles").body);
    assert_eq!(export(&mut r, &[("csrf", &t), ("scope_T", "1"), ("seal_for", "asha")]).0, 404);
    // In Hindi too.
    let hi = b.get("/console/lang?to=hi&back=/console/bundles");
    assert_eq!(hi.status, 303);
    assert!(b.get("/console/bundles").body.contains("फ़ोन का बंडल आयात करें"));
}
