//! Operating the hub: HTTPS with a certificate, health and metrics endpoints, a loud warning
//! when serving off loopback without TLS, and graceful shutdown on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use sangam_core::sync::protocol;
use sangam_tests::*;

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");

#[test]
fn the_hub_serves_https_with_a_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "hub", "localhost");
    let data = dir.path().join("hub");
    let hub = Hub::start_with(
        EXE,
        &data,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(hub.url.starts_with("https://"), "{}", hub.url);
    let out = Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(&cert)
        .arg(format!(
            "{}{}",
            hub.url.replace("127.0.0.1", "localhost"),
            protocol::HEALTH_PATH
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Plain HTTP to the TLS port gets nothing useful.
    let plain = hub.url.replace("https://", "http://");
    assert!(ureq::get(&format!("{plain}{}", protocol::HEALTH_PATH))
        .timeout(Duration::from_secs(5))
        .call()
        .is_err());
}

#[test]
fn metrics_are_prometheus_text_and_sigterm_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let token = enrol(EXE, &data, "a", "field-worker", &["S"]);
    let mut hub = Hub::start(EXE, &data);
    let phone = Phone::new(dir.path(), "a", sangam_core::Role::FieldWorker, token);
    response(&phone.store, "S");
    phone.sync(&hub.url).unwrap();
    // Without an admin token the metrics (which tell every scope's activity) stay closed.
    match ureq::get(&format!("{}{}", hub.url, protocol::METRICS_PATH)).call() {
        Err(ureq::Error::Status(401, _)) => {}
        other => panic!("metrics without a token: {other:?}"),
    }
    match ureq::get(&format!("{}{}", hub.url, protocol::METRICS_PATH))
        .set(protocol::AUTHORIZATION_HEADER, &protocol::bearer(&phone.token))
        .call()
    {
        Err(ureq::Error::Status(403, _)) => {}
        other => panic!("metrics with a field worker's token: {other:?}"),
    }
    let text = hub.metrics_text();
    for name in [
        "sangam_sync_requests_total",
        "sangam_docs_in_total",
        "sangam_bytes_in_total",
        "sangam_sync_seconds_bucket",
        "sangam_rejections_total",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    assert_eq!(hub.metric("sangam_docs_in_total"), 1);
    let pid = hub.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut exited = false;
    for _ in 0..100 {
        if let Ok(Some(status)) = hub.child.try_wait() {
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
            exited = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(exited, "the hub did not stop on SIGTERM");
}

#[test]
fn serving_off_loopback_without_tls_warns_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(EXE)
        .args(["serve", "--data"])
        .arg(dir.path().join("hub"))
        .args(["--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("WARNING") && err.contains("without TLS"),
        "{err}"
    );
}

/// A self-signed certificate and key for `cn`, made with openssl.
fn self_signed(dir: &std::path::Path, stem: &str, cn: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join(format!("{stem}-cert.pem")), dir.join(format!("{stem}-key.pem")));
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", &format!("/CN={cn}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl is needed for this test");
    assert!(ok.success());
    (cert, key)
}

/// Attack 8: a LAN hub's self-signed certificate. The enrolment code pins it, the phone trusts
/// exactly it (whatever name it carries), and a hub with another certificate (an impostor on
/// the office Wi-Fi) is refused.
#[test]
fn the_enrolment_code_pins_the_hubs_certificate_and_phones_trust_exactly_it() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "hub", "district-hub");
    let data = dir.path().join("hub");
    let hub = Hub::start_with(EXE, &data, &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    let out = Command::new(EXE)
        .args(["device", "add", "--data"])
        .arg(&data)
        .args(["--name", "asha", "--role", "field-worker", "--scope", "S", "--hub-url", &hub.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let code = text.lines().find_map(|l| l.strip_prefix("enrolment code: ")).expect("an enrolment code");
    let token = text.lines().last().unwrap().trim().to_string();
    let enrolment = protocol::Enrolment::decode(code).unwrap();
    assert_eq!(enrolment.token, token);
    let address = enrolment.hub_url;
    let pinned = protocol::HubAddress::parse(&address).unwrap();
    assert!(pinned.url == hub.url && pinned.pin.is_some(), "{address}");

    let phone = Phone::new(dir.path(), "asha", sangam_core::Role::FieldWorker, token.clone());
    response(&phone.store, "S");
    // Without the pin the self-signed certificate is not trusted.
    assert!(phone.sync(&hub.url).is_err());
    let rep = phone.sync(&address).expect("the pinned hub is trusted");
    assert!(rep.rejected.is_empty());

    // An impostor: same address, another certificate.
    drop(hub);
    let (cert2, key2) = self_signed(dir.path(), "impostor", "district-hub");
    let impostor_data = dir.path().join("impostor");
    let impostor = Hub::start_with(EXE, &impostor_data, &["--tls-cert", cert2.to_str().unwrap(), "--tls-key", key2.to_str().unwrap()]);
    let (_, pin) = address.split_once('#').unwrap();
    let e = phone.sync(&format!("{}#{pin}", impostor.url)).unwrap_err().to_string();
    assert!(e.contains("pin") || e.contains("certificate"), "{e}");
    // Malformed pins are clear errors.
    let e = phone.sync(&format!("{}#sha256=abc", impostor.url)).unwrap_err().to_string();
    assert!(e.contains("certificate pin"), "{e}");
}
