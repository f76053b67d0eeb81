//! The hub against hostile connections and files (trust-boundary attacks 4, 5 and 8): idle and
//! slow-header sockets are closed, slow bodies from one device hold up no other, a zstd bomb is
//! refused, /metrics needs an admin token, a revoked name can be enrolled again, and
//! `bundle export --out` writes privately, never through a planted link or over a store.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use sangam_core::sync::{protocol, wire};
use sangam_core::Role;
use sangam_tests::*;

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");

fn addr(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Waits until the hub closes `s` (read returns 0 or an error), up to `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 256];
    while start.elapsed() < within {
        match s.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return Some(start.elapsed()),
        }
    }
    None
}

#[test]
fn idle_and_slow_header_connections_are_closed_and_valid_syncs_still_pass() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let token = enrol(EXE, &data, "a", "field-worker", &["S"]);
    let hub = Hub::start(EXE, &data);
    let a = addr(&hub.url);
    // Many idle sockets that never send a byte.
    let mut idle: Vec<TcpStream> = (0..50).map(|_| TcpStream::connect(&a).unwrap()).collect();
    // One that drips its request head a byte at a time.
    let mut slow = TcpStream::connect(&a).unwrap();
    slow.write_all(format!("POST {} HTTP/1.1\r\nHost: x\r\n", protocol::SYNC_PATH).as_bytes())
        .unwrap();
    let drip = {
        let mut s = slow.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..30 {
                if s.write_all(b"X").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    // A valid sync goes through meanwhile.
    let phone = Phone::new(dir.path(), "a", Role::FieldWorker, token);
    response(&phone.store, "S");
    phone.sync(&hub.url).unwrap();
    let limit = Duration::from_secs(14);
    assert!(
        closed_within(&mut slow, limit).is_some(),
        "a slow request head was not cut off"
    );
    for s in idle.iter_mut() {
        assert!(
            closed_within(s, limit).is_some(),
            "an idle connection was never closed"
        );
    }
    drip.join().unwrap();
    assert_eq!(
        ureq::get(&format!("{}{}", hub.url, protocol::HEALTH_PATH))
            .call()
            .unwrap()
            .status(),
        200
    );
}

/// Starts a request with a body it never finishes.
fn stalled_body(url: &str, token: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr(url)).unwrap();
    write!(
        s,
        "POST {} HTTP/1.1\r\nHost: x\r\n{}: {}\r\nContent-Type: {}\r\nContent-Length: 100000\r\n\r\n",
        protocol::SYNC_PATH,
        protocol::AUTHORIZATION_HEADER,
        protocol::bearer(token),
        protocol::CONTENT_TYPE,
    )
    .unwrap();
    s.write_all(&[0u8; 1000]).unwrap();
    s
}

fn post(url: &str, token: &str, body: &[u8]) -> (u16, String) {
    match signed_post(url, token, &sangam_core::sign::DeviceKey::generate().unwrap(), body, Duration::from_secs(20)) {
        Ok(r) => (r.status(), String::new()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("transport error: {e}"),
    }
}

#[test]
fn slow_bodies_from_one_device_hold_up_no_other_and_get_no_more_slots() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let bad = enrol(EXE, &data, "bad", "field-worker", &["S"]);
    let good = enrol(EXE, &data, "good", "field-worker", &["S"]);
    let hub = Hub::start(EXE, &data);
    // Before the fix, four of these took every sync permit for 30 s.
    let stalled: Vec<TcpStream> = (0..6).map(|_| stalled_body(&hub.url, &bad)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let (code, body) = post(&hub.url, &bad, b"x");
    assert_eq!(code, 429, "a device past its in-flight limit: {body}");
    assert!(body.contains("in progress"), "{body}");
    let refusal = protocol::Refusal::from_json(&body).expect("a JSON refusal");
    assert_eq!(refusal.code(), Some(protocol::RejectCode::RateLimited), "{body}");
    let phone = Phone::new(dir.path(), "good", Role::FieldWorker, good);
    response(&phone.store, "S");
    let start = Instant::now();
    phone.sync(&hub.url).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "another device waited {:?} behind slow bodies",
        start.elapsed()
    );
    drop(stalled);
}

#[test]
fn a_zstd_bomb_is_refused_with_a_clear_error_and_the_hub_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let token = enrol(EXE, &data, "a", "field-worker", &["S"]);
    let hub = Hub::start(EXE, &data);
    let raw = vec![0u8; 256 * 1024 * 1024];
    let z = zstd::bulk::compress(&raw, 19).unwrap();
    drop(raw);
    let mut frame = wire::MAGIC.to_vec();
    frame.extend_from_slice(&sangam_core::sync::PROTOCOL_VERSION.to_le_bytes());
    frame.extend_from_slice(&(256u64 * 1024 * 1024).to_le_bytes());
    frame.extend_from_slice(&z);
    assert!(frame.len() < 64 * 1024, "{}", frame.len());
    for _ in 0..4 {
        let (code, body) = post(&hub.url, &token, &frame);
        assert_eq!(code, 400, "{body}");
        assert!(body.contains("too large"), "{body}");
    }
    let phone = Phone::new(dir.path(), "a", Role::FieldWorker, token);
    response(&phone.store, "S");
    phone.sync(&hub.url).unwrap();
    assert_eq!(hub.metric("sangam_docs_in_total"), 1);
}

fn hub_cmd(args: &[&str]) -> (bool, String) {
    let out = Command::new(EXE).args(args).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_revoked_device_name_can_be_enrolled_again_and_its_old_token_stays_dead() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let d = data.to_str().unwrap();
    let old = enrol(EXE, &data, "asha", "field-worker", &["S"]);
    let (ok, out) = hub_cmd(&[
        "device",
        "add",
        "--data",
        d,
        "--name",
        "asha",
        "--role",
        "field-worker",
        "--scope",
        "S",
    ]);
    assert!(!ok && out.contains("revoke it first"), "{out}");
    assert!(hub_cmd(&["device", "revoke", "--data", d, "--name", "asha"]).0);
    let new = enrol(EXE, &data, "asha", "field-worker", &["T"]);
    assert_ne!(old, new);
    let hub = Hub::start(EXE, &data);
    let stale = Phone::new(&dir.path().join("old"), "asha", Role::FieldWorker, old);
    response(&stale.store, "S");
    assert!(matches!(
        stale.sync(&hub.url),
        Err(sangam_core::Error::Auth(_))
    ));
    let fresh = Phone::new(&dir.path().join("new"), "asha", Role::FieldWorker, new);
    response(&fresh.store, "T");
    assert!(fresh.sync(&hub.url).unwrap().rejected.is_empty());
}

#[cfg(unix)]
#[test]
fn data_files_and_bundles_are_private_and_export_never_writes_through_a_link_or_over_a_store() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let d = data.to_str().unwrap();
    let token = enrol(EXE, &data, "a", "field-worker", &["S"]);
    {
        let hub = Hub::start(EXE, &data);
        let phone = Phone::new(dir.path(), "a", Role::FieldWorker, token);
        response(&phone.store, "S");
        phone.sync(&hub.url).unwrap();
        let phone_db = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "db"));
        if let Some(p) = phone_db {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    assert_eq!(mode(&data), 0o700);
    for f in ["hub.db", "devices.db"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    let out = dir.path().join("b.sgb");
    // A link planted at the old temporary name is not followed.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"keep me").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("b.partial")).unwrap();
    let (ok, text) = hub_cmd(&[
        "bundle",
        "export",
        "--data",
        d,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    assert_eq!(mode(&out), 0o600);
    assert!(sangam_core::sync::bundle_header(&std::fs::read(&out).unwrap()).is_ok());
    // --out naming a link, or the live store, is refused and changes nothing.
    let link = dir.path().join("link.sgb");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let (ok, text) = hub_cmd(&[
        "bundle",
        "export",
        "--data",
        d,
        "--out",
        link.to_str().unwrap(),
    ]);
    assert!(!ok && text.contains("link"), "{text}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    let live = data.join("hub.db");
    let before = std::fs::metadata(&live).unwrap().len();
    let (ok, text) = hub_cmd(&[
        "bundle",
        "export",
        "--data",
        d,
        "--out",
        live.to_str().unwrap(),
    ]);
    assert!(!ok && text.contains("database"), "{text}");
    assert_eq!(std::fs::metadata(&live).unwrap().len(), before);
    let (ok, text) = hub_cmd(&["review", "list", "--data", d]);
    assert!(ok, "the store still opens: {text}");
}

/// Device-id squatting over HTTP: an enrolled attacker who knows a victim's device id (it begins
/// every actor id the victim's changes carry) presents it with the attacker's own key, or with
/// the victim's public key and the attacker's signature: refused, nothing bound. The victim's
/// first sync afterwards lands.
#[test]
fn a_device_id_cannot_be_taken_over_http_without_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let victim_token = enrol(EXE, &data, "victim", "field-worker", &["S"]);
    let thief_token = enrol(EXE, &data, "thief", "field-worker", &["S"]);
    let hub = Hub::start(EXE, &data);
    let victim = Phone::new(dir.path(), "victim", Role::FieldWorker, victim_token);
    let thief = sangam_core::sign::DeviceKey::generate().unwrap();
    let body = wire::encode(&wire::SyncRequest::default()).unwrap();
    let device = victim.store.device_id();
    let post_with = |proof: Option<String>| {
        let mut req = ureq::post(&protocol::sync_url(&hub.url))
            .set(protocol::AUTHORIZATION_HEADER, &protocol::bearer(&thief_token))
            .set(protocol::DEVICE_HEADER, &device);
        if let Some(p) = &proof {
            req = req.set(protocol::PROOF_HEADER, p);
        }
        match req.send_bytes(&body) {
            Ok(r) => (r.status(), String::new()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("transport error: {e}"),
        }
    };
    let dev: [u8; 16] = hex::decode(&device).unwrap().try_into().unwrap();
    let proof = |key: [u8; 32], sig: sangam_core::sign::Sig| format!("{}{}", hex::encode(key), hex::encode(sig.0));
    // The thief's own key, the victim's id.
    let (code, text) = post_with(Some(proof(thief.public(), thief.sign_request(&dev, &body))));
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("not the id of the key"), "{text}");
    // The victim's public key (no secret), the thief's signature.
    let (code, text) = post_with(Some(proof(victim.store.device_key().public(), thief.sign_request(&dev, &body))));
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("does not match"), "{text}");
    // No proof at all for a device the hub has not registered.
    let (code, text) = post_with(None);
    assert_eq!(code, 401, "{text}");
    assert!(text.contains("proof-required"), "{text}");
    let r = response(&victim.store, "S");
    let rep = victim.sync(&hub.url).unwrap();
    assert!(rep.rejected.is_empty(), "{rep:?}");
    assert_eq!(hub.metric("sangam_docs_in_total"), 1, "the victim's record {r} landed");
    // Registered now: the victim's later syncs carry no proof, the thief's token still cannot
    // use the victim's device id (bound to the victim's enrolment).
    let (code, text) = post_with(None);
    assert_eq!(code, 403, "{text}");
    assert!(text.contains("enrolled as 'victim'"), "{text}");
    response(&victim.store, "S");
    assert!(victim.sync(&hub.url).unwrap().rejected.is_empty());
    assert_eq!(hub.metric("sangam_docs_in_total"), 2);
}
