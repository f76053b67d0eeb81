//! Media end to end: photos and audio from a phone through a real hub process to another
//! phone and a coordinator; resuming after cut connections and a killed hub; scope, role,
//! size and quota refusals; hostile uploads.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use sangam_core::media::{MediaName, PIECE_BYTES};
use sangam_core::record::media::AnswerAt;
use sangam_core::sync::media::{MediaOptions, FILE_PATH, OFFSET_HEADER, SIZE_HEADER, STATUS_PATH};
use sangam_core::sync::protocol;
use sangam_core::*;
use sangam_tests::*;

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");

fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen()).collect()
}

fn opts() -> MediaOptions<'static> {
    MediaOptions { timeout: Duration::from_secs(20), ..Default::default() }
}

/// A phone that has synced its records: ready to move media.
fn synced(p: &Phone, url: &str) {
    p.sync(url).expect("records sync");
}

/// A raw media request as `p` sends it.
fn raw(p: &Phone, method: &str, url: &str) -> ureq::Request {
    ureq::request(method, url)
        .set(protocol::AUTHORIZATION_HEADER, &protocol::bearer(&p.token))
        .set(protocol::DEVICE_HEADER, &p.store.device_id())
        .timeout(Duration::from_secs(20))
}

/// The hub's media status of one file, as `p` asks for it.
fn status(p: &Phone, url: &str, name: &str) -> serde_json::Value {
    let body = serde_json::json!({"names": [name]}).to_string();
    let text = raw(p, "POST", &format!("{url}{STATUS_PATH}")).set("Content-Type", "application/json").send_string(&body).unwrap().into_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

fn status_code(r: Result<ureq::Response, ureq::Error>) -> u16 {
    match r {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(c, _)) => c,
        Err(e) => panic!("transport error: {e}"),
    }
}

#[test]
fn a_photo_and_an_audio_clip_go_from_a_phone_through_the_hub_to_another_phone_and_a_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let t1 = enrol(EXE, &data, "fw1", "field-worker", &["UP-SIT"]);
    let t2 = enrol(EXE, &data, "fw2", "field-worker", &["UP-SIT"]);
    let t3 = enrol(EXE, &data, "fw3", "field-worker", &["UP-LKO"]);
    let tc = enrol(EXE, &data, "coord", "coordinator", &["UP-SIT", "UP-LKO"]);
    let hub = Hub::start(EXE, &data);
    let a = Phone::new(dir.path(), "fw1", Role::FieldWorker, t1);
    let b = Phone::new(dir.path(), "fw2", Role::FieldWorker, t2);
    let other = Phone::new(dir.path(), "fw3", Role::FieldWorker, t3);
    let coord = Phone::new(dir.path(), "coord", Role::Coordinator, tc);

    let id = response(&a.store, "UP-SIT");
    let photo = bytes(150_000, 1);
    let audio = bytes(2 * 1024 * 1024 + 17, 2);
    let p = a.store.attach_media(&id, AnswerAt::Top, "photo", &photo, "jpg", Some("image/jpeg")).unwrap();
    let s = a.store.attach_media(&id, AnswerAt::Top, "interview", &audio, "m4a", Some("audio/mp4")).unwrap();
    synced(&a, &hub.url);
    let up = a.store.sync_media(&hub.url, &a.token, &opts()).unwrap();
    assert_eq!((up.uploaded, up.waiting, up.refused.len()), (2, 0, 0), "{up:?}");
    assert_eq!(up.bytes_up, (photo.len() + audio.len()) as u64);
    assert!(a.store.media_of(&id).unwrap().iter().all(|m| m.uploaded));
    // Nothing travels twice.
    let again = a.store.sync_media(&hub.url, &a.token, &opts()).unwrap();
    assert_eq!((again.uploaded, again.bytes_up), (0, 0));

    for phone in [&b, &coord] {
        synced(phone, &hub.url);
        let down = phone.store.sync_media(&hub.url, &phone.token, &opts()).unwrap();
        assert_eq!(down.downloaded, 2, "{down:?}");
        assert_eq!(phone.store.media_bytes(&p).unwrap(), photo);
        assert_eq!(phone.store.media_bytes(&s).unwrap(), audio);
        assert_eq!(phone.store.response(&id).unwrap().answers["photo"], FieldValue::Text(p.clone()));
    }

    // A phone may choose not to fetch others' media.
    let lazy = Phone::new(dir.path(), "fw2b", Role::FieldWorker, enrol(EXE, &data, "fw2b", "field-worker", &["UP-SIT"]));
    synced(&lazy, &hub.url);
    let none = lazy.store.sync_media(&hub.url, &lazy.token, &MediaOptions { download: false, ..opts() }).unwrap();
    assert_eq!((none.downloaded, none.bytes_down), (0, 0));
    assert_eq!(lazy.store.media_of(&id).unwrap().iter().filter(|m| m.complete).count(), 0);

    // A phone of another scope never gets the file, even asking for it by name.
    synced(&other, &hub.url);
    assert!(other.store.response(&id).is_err());
    let st = status(&other, &hub.url, &p);
    assert_eq!(st["files"][0]["allowed"], false);
    assert_eq!(st["files"][0]["have"], 0, "nothing said of a file out of scope");
    assert_eq!(status_code(raw(&other, "GET", &format!("{}{FILE_PATH}{p}", hub.url)).call()), 403);
    // Nor can it send bytes for it.
    let put = raw(&other, "PUT", &format!("{}{FILE_PATH}{p}", hub.url))
        .set(OFFSET_HEADER, "0")
        .set(SIZE_HEADER, &photo.len().to_string())
        .send_bytes(&photo);
    assert_eq!(status_code(put), 403);
    assert!(hub.metric("sangam_media_bytes_in_total") >= (photo.len() + audio.len()) as u64);
}

#[test]
fn an_upload_or_download_cut_anywhere_resumes_where_it_stopped_and_a_killed_hub_keeps_what_it_stored() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let t1 = enrol(EXE, &data, "fw1", "field-worker", &["UP-SIT"]);
    let t2 = enrol(EXE, &data, "fw2", "field-worker", &["UP-SIT"]);
    let mut hub = Hub::start(EXE, &data);
    let a = Phone::new(dir.path(), "fw1", Role::FieldWorker, t1);
    let b = Phone::new(dir.path(), "fw2", Role::FieldWorker, t2);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let audio = bytes(2 * 1024 * 1024, 3);
    let id = response(&a.store, "UP-SIT");
    let name = a.store.attach_media(&id, AnswerAt::Top, "audio", &audio, "m4a", Some("audio/mp4")).unwrap();
    synced(&a, &hub.url);
    let addr: std::net::SocketAddr = hub.url.trim_start_matches("http://").parse().unwrap();

    // Cut the upload at random places: each time the hub keeps what came (less at most a
    // piece and the request's head), and the next try goes on from there.
    let mut kept = 0u64;
    for _ in 0..3 {
        let cut = rng.gen_range(100_000..600_000) as u64;
        let proxy = CuttingProxy::start(addr, Cut::Upstream(cut as usize));
        let err = a.store.sync_media(&proxy.url, &a.token, &opts());
        assert!(err.is_err(), "a cut upload fails");
        // The hub stores what came as the cut reaches it: wait until its copy stops growing.
        let mut st = status(&a, &hub.url, &name);
        for _ in 0..50 {
            std::thread::sleep(Duration::from_millis(100));
            let next = status(&a, &hub.url, &name);
            if next == st && next["files"][0]["have"].as_u64().unwrap() > kept {
                break;
            }
            st = next;
        }
        let now = st["files"][0]["have"].as_u64().unwrap();
        assert!(now > kept && now + (PIECE_BYTES as u64) + 2048 >= kept + cut, "the hub kept {now} after {kept} and a cut at {cut}");
        assert!(!st["files"][0]["complete"].as_bool().unwrap());
        kept = now;
    }

    // The hub killed and restarted: the stored part survives, the rest completes it.
    hub.kill();
    let hub = Hub::start(EXE, &data);
    let rest = a.store.sync_media(&hub.url, &a.token, &opts()).unwrap();
    assert_eq!(rest.uploaded, 1);
    assert_eq!(rest.bytes_up, audio.len() as u64 - kept, "only the rest is sent");

    // A download cut anywhere resumes too.
    synced(&b, &hub.url);
    let addr: std::net::SocketAddr = hub.url.trim_start_matches("http://").parse().unwrap();
    let mut have = 0u64;
    for _ in 0..2 {
        let cut = rng.gen_range(100_000..400_000) as u64;
        let proxy = CuttingProxy::start(addr, Cut::Downstream(cut as usize));
        assert!(b.store.sync_media(&proxy.url, &b.token, &opts()).is_err());
        let now = b.store.media_info(&name).unwrap().map_or(0, |i| i.have);
        assert!(now > have && now + PIECE_BYTES as u64 + 2048 >= have + cut, "kept {now} after {have} and a cut at {cut}");
        have = now;
    }
    let rest = b.store.sync_media(&hub.url, &b.token, &opts()).unwrap();
    assert_eq!(rest.downloaded, 1);
    assert_eq!(rest.bytes_down, audio.len() as u64 - have);
    assert_eq!(b.store.media_bytes(&name).unwrap(), audio);
    b.store.integrity_check().unwrap();
}

#[test]
fn forged_oversized_unreferenced_and_over_quota_files_are_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let t1 = enrol(EXE, &data, "fw1", "field-worker", &["UP-SIT"]);
    let hub = Hub::start_with(EXE, &data, &["--max-media-mib", "1", "--media-quota-mib", "2"]);
    let a = Phone::new(dir.path(), "fw1", Role::FieldWorker, t1);
    let id = response(&a.store, "UP-SIT");
    let real = bytes(300_000, 4);
    let name = a.store.attach_media(&id, AnswerAt::Top, "photo", &real, "jpg", Some("image/jpeg")).unwrap();
    synced(&a, &hub.url);
    let put = |name: &str, offset: u64, size: u64, body: &[u8]| {
        raw(&a, "PUT", &format!("{}{FILE_PATH}{name}", hub.url))
            .set(OFFSET_HEADER, &offset.to_string())
            .set(SIZE_HEADER, &size.to_string())
            .send_bytes(body)
    };
    let size = real.len() as u64;
    // Bytes that are not the named file: refused, and none kept.
    let forged = bytes(real.len(), 5);
    assert_eq!(status_code(put(&name, 0, size, &forged)), 400);
    let st = status(&a, &hub.url, &name);
    assert_eq!(st["files"][0]["have"], 0);
    // A size other than the record's, a body past the end, an offset past what is held.
    assert_eq!(status_code(put(&name, 0, size + 1, &real)), 400);
    assert_eq!(status_code(put(&name, 0, size, &[real.clone(), vec![0; 10]].concat())), 400);
    assert_eq!(status_code(put(&name, 1000, size, &real[1000..])), 409);
    // A file no record names.
    let loose = MediaName::of(b"not named by any record", "jpg").unwrap();
    assert_eq!(status_code(put(loose.as_str(), 0, 23, b"not named by any record")), 403);
    // Not a name at all.
    assert_eq!(status_code(put("..%2F..%2Fhub.db", 0, 3, b"abc")), 400);
    // A truncated upload keeps its part; the real client completes it.
    let half = &real[..PIECE_BYTES * 2];
    let short = raw(&a, "PUT", &format!("{}{FILE_PATH}{name}", hub.url))
        .set(OFFSET_HEADER, "0")
        .set(SIZE_HEADER, &size.to_string())
        .send_bytes(half);
    assert_eq!(status_code(short), 200);
    let done = a.store.sync_media(&hub.url, &a.token, &opts()).unwrap();
    assert_eq!((done.uploaded, done.bytes_up), (1, size - half.len() as u64));

    // Over the size limit (1 MiB) and over the quota (2 MiB for this enrolment).
    let big = bytes(1024 * 1024 + 1, 6);
    let id2 = response(&a.store, "UP-SIT");
    a.store.attach_media(&id2, AnswerAt::Top, "video", &big, "mp4", Some("video/mp4")).unwrap();
    for i in 0..8 {
        a.store.attach_media(&id2, AnswerAt::Top, &format!("p{i}"), &bytes(900_000, 10 + i), "jpg", Some("image/jpeg")).unwrap();
    }
    synced(&a, &hub.url);
    let r = a.store.sync_media(&hub.url, &a.token, &opts()).unwrap();
    assert!(r.refused.iter().any(|(_, why)| why.contains("at most")), "{r:?}");
    assert!(r.refused.iter().any(|(_, why)| why.contains("quota")), "{r:?}");
    assert!(r.uploaded >= 1 && r.uploaded <= 2, "{r:?}");
    // The records themselves all landed: media never holds them up.
    assert_eq!(a.store.response(&id2).unwrap().answers.len(), 9);
}

/// Runs `phone-under-test` on `store` and kills it -9 once it reports `at_least` bytes of
/// `name` on the receiving side; returns whether it was killed before finishing.
fn kill_phone_mid_transfer(store: &std::path::Path, user: &str, url: &str, token: &str, at_least: u64) -> bool {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_phone-under-test"))
        .arg(store)
        .args([user, url, token])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut killed = false;
    for line in std::io::BufReader::new(out).lines() {
        let line = line.unwrap();
        let done = line.strip_prefix("progress ").and_then(|l| l.split(' ').nth(1)).and_then(|d| d.parse::<u64>().ok());
        if done.is_some_and(|d| d >= at_least) {
            child.kill().unwrap(); // SIGKILL
            killed = true;
            break;
        }
    }
    let _ = child.wait();
    killed
}

#[test]
fn a_phone_killed_mid_upload_or_mid_download_keeps_what_was_stored_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let t1 = enrol(EXE, &data, "fw1", "field-worker", &["UP-SIT"]);
    let t2 = enrol(EXE, &data, "fw2", "field-worker", &["UP-SIT"]);
    let hub = Hub::start(EXE, &data);
    let audio = bytes(6 * 1024 * 1024, 11);

    // Upload: the phone process dies part way; the hub keeps the pieces it stored.
    let a_path = dir.path().join("fw1.db");
    let id = {
        let a = Phone::new(dir.path(), "fw1", Role::FieldWorker, t1.clone());
        let id = response(&a.store, "UP-SIT");
        a.store.attach_media(&id, AnswerAt::Top, "audio", &audio, "m4a", Some("audio/mp4")).unwrap();
        synced(&a, &hub.url);
        id
    };
    assert!(kill_phone_mid_transfer(&a_path, "fw1", &hub.url, &t1, 1024 * 1024), "killed mid-upload");
    let a = Phone::new(dir.path(), "fw1", Role::FieldWorker, t1);
    a.store.integrity_check().unwrap();
    let name = a.store.response_media(&id).unwrap()[0].name.clone();
    let held = status(&a, &hub.url, &name)["files"][0]["have"].as_u64().unwrap();
    assert!(held < audio.len() as u64, "the upload did not finish");
    let rest = a.store.sync_media(&hub.url, &a.token, &opts()).unwrap();
    assert_eq!(rest.uploaded, 1);
    assert!(rest.bytes_up <= audio.len() as u64 - held, "only the rest went: {} after {held}", rest.bytes_up);

    // Download: the phone process dies part way; its store is sound, keeps its pieces, and
    // the next sync fetches only the rest.
    let b_path = dir.path().join("fw2.db");
    {
        let b = Phone::new(dir.path(), "fw2", Role::FieldWorker, t2.clone());
        synced(&b, &hub.url);
    }
    assert!(kill_phone_mid_transfer(&b_path, "fw2", &hub.url, &t2, 2 * 1024 * 1024), "killed mid-download");
    let b = Phone::new(dir.path(), "fw2", Role::FieldWorker, t2);
    b.store.integrity_check().unwrap();
    let have = b.store.media_info(&name).unwrap().map_or(0, |i| i.have);
    assert!(have >= 2 * 1024 * 1024 && have < audio.len() as u64, "kept {have}");
    let rest = b.store.sync_media(&hub.url, &b.token, &opts()).unwrap();
    assert_eq!((rest.downloaded, rest.bytes_down), (1, audio.len() as u64 - have));
    assert_eq!(b.store.media_bytes(&name).unwrap(), audio);
}

#[test]
fn a_hub_killed_mid_upload_keeps_the_pieces_it_stored_and_the_phone_resumes_after_its_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let t1 = enrol(EXE, &data, "fw1", "field-worker", &["UP-SIT"]);
    let mut hub = Hub::start(EXE, &data);
    let a = Phone::new(dir.path(), "fw1", Role::FieldWorker, t1);
    let audio = bytes(8 * 1024 * 1024, 12);
    let id = response(&a.store, "UP-SIT");
    let name = a.store.attach_media(&id, AnswerAt::Top, "audio", &audio, "m4a", Some("audio/mp4")).unwrap();
    synced(&a, &hub.url);
    // Upload over a slow link (the shaped proxy) so the hub can be killed in the middle.
    let addr: std::net::SocketAddr = hub.url.trim_start_matches("http://").parse().unwrap();
    let slow = sangam_tests::proxy::Proxy::start(
        addr,
        Some(sangam_tests::proxy::Shape { one_way: Duration::from_millis(5), up_bytes_per_sec: 2_000_000.0, down_bytes_per_sec: 2_000_000.0 }),
    );
    let upload = {
        let (url, token, path) = (slow.url.clone(), a.token.clone(), dir.path().join("fw1.db"));
        std::thread::spawn(move || {
            let s = Store::open(path, Identity::new("fw1", "fw1", Role::FieldWorker)).unwrap();
            s.sync_media(&url, &token, &opts())
        })
    };
    let mut held = 0;
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(20));
        held = status(&a, &hub.url, &name)["files"][0]["have"].as_u64().unwrap();
        if held >= 1024 * 1024 {
            break;
        }
    }
    assert!(held >= 1024 * 1024, "the upload got going ({held})");
    hub.kill(); // SIGKILL
    assert!(upload.join().unwrap().is_err(), "the phone saw the hub go");
    let hub = Hub::start(EXE, &data);
    let kept = status(&a, &hub.url, &name)["files"][0]["have"].as_u64().unwrap();
    assert!(kept >= held && kept < audio.len() as u64, "the restarted hub holds what it stored ({kept} ≥ {held})");
    let rest = a.store.sync_media(&hub.url, &a.token, &opts()).unwrap();
    assert_eq!((rest.uploaded, rest.bytes_up), (1, audio.len() as u64 - kept));
    // The hub's copy is whole and right: another phone gets the same bytes.
    let t2 = enrol(EXE, &data, "fw2", "field-worker", &["UP-SIT"]);
    let b = Phone::new(dir.path(), "fw2", Role::FieldWorker, t2);
    synced(&b, &hub.url);
    b.store.sync_media(&hub.url, &b.token, &opts()).unwrap();
    assert_eq!(b.store.media_bytes(&name).unwrap(), audio);
}

#[test]
fn a_form_published_with_its_attachment_brings_the_file_to_phones_and_its_choices_come_from_it() {
    use sangam_core::forms::definition::{FormDefinition, Item, Question, QuestionType};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let ta = enrol(EXE, &data, "office", "admin", &["UP-SIT"]);
    let tf = enrol(EXE, &data, "fw1", "field-worker", &["UP-SIT"]);
    let hub = Hub::start(EXE, &data);
    let admin = Phone::new(dir.path(), "office", Role::Admin, ta);
    let mut pick = Question::new("village", QuestionType::SelectOne);
    pick.list_name = Some("villages.csv".into());
    pick.choices_from_file = true;
    let def = FormDefinition {
        form_id: "visit".into(),
        version: "1".into(),
        title: "Visit".into(),
        default_language: "default".into(),
        languages: vec!["default".into()],
        items: vec![Item::Question(pick)],
        choice_lists: Default::default(),
        settings: Default::default(),
    };
    let csv = "name,label\nrampur,Rampur\nsitapur,Sitapur\n".as_bytes().to_vec();
    // A file that is not what its extension says is refused before anything is published.
    assert!(admin.store.publish_form_with_files(&def, "UP-SIT", &[("villages.csv".into(), b"name,label\n\"broken".to_vec())]).is_err());
    assert!(admin.store.publish_form_with_files(&def, "UP-SIT", &[("../x.csv".into(), csv.clone())]).is_err());
    let form_id = admin.store.publish_form_with_files(&def, "UP-SIT", &[("villages.csv".into(), csv.clone())]).unwrap();
    synced(&admin, &hub.url);
    let up = admin.store.sync_media(&hub.url, &admin.token, &opts()).unwrap();
    assert_eq!(up.uploaded, 1, "{up:?}");

    let fw = Phone::new(dir.path(), "fw1", Role::FieldWorker, tf);
    synced(&fw, &hub.url);
    let down = fw.store.sync_media(&hub.url, &fw.token, &opts()).unwrap();
    assert_eq!(down.downloaded, 1, "{down:?}");
    assert_eq!(fw.store.form_files(&form_id).unwrap().len(), 1);
    let r = fw.store.create_response(NewResponse { form_id: "visit".into(), form_version: "1".into(), scope: "UP-SIT".into(), subject_id: None }).unwrap();
    let live = fw.store.live_form(&r, sangam_core::forms::expr::Clock::system()).unwrap();
    let st = live.state(None);
    let names: Vec<String> = st.question("village").unwrap().choices.clone().unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["rampur", "sitapur"]);
}
