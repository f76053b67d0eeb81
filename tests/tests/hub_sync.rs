//! End to end over HTTP: real hub processes on loopback, phones as real stores.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use sangam_core::sync::protocol;
use sangam_core::sync::wire::{encode, SyncRequest};
use sangam_core::sync::SyncEngine;
use sangam_core::*;
use sangam_tests::*;

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");

/// Posts `body` as a sync request; returns the status, the refusal code header and the body.
fn post_raw(url: &str, token: &str, body: &[u8]) -> (u16, Option<String>, String) {
    post_as(url, token, &sangam_core::sign::DeviceKey::generate().unwrap(), body)
}

/// Posts `body` as the device whose key is `key`.
fn post_as(url: &str, token: &str, key: &sangam_core::sign::DeviceKey, body: &[u8]) -> (u16, Option<String>, String) {
    match signed_post(url, token, key, body, Duration::from_secs(30)) {
        Ok(r) => (r.status(), None, String::new()),
        Err(ureq::Error::Status(code, r)) => {
            let header = r.header(protocol::ERROR_CODE_HEADER).map(str::to_string);
            (code, header, r.into_string().unwrap_or_default())
        }
        Err(e) => panic!("transport error: {e}"),
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 1 {
        return vec![vec![0]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn three_devices_edit_offline_and_converge_in_every_sync_order() {
    for order in permutations(3) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("hub");
        let tokens: Vec<String> = (0..3).map(|i| enrol(EXE, &data, &format!("p{i}"), "field-worker", &["S"])).collect();
        let hub = Hub::start(EXE, &data);
        let phones: Vec<Phone> =
            (0..3).map(|i| Phone::new(dir.path(), &format!("p{i}"), Role::FieldWorker, tokens[i].clone())).collect();
        // A shared household and response, known to all.
        let hh = phones[0].store.create_subject(NewSubject::new("household", "S").attr("name", "Devi")).unwrap();
        let r = response(&phones[0].store, "S");
        phones[0].sync(&hub.url).unwrap();
        for p in &phones[1..] {
            p.sync(&hub.url).unwrap();
        }
        // Offline: overlapping edits, plus one new record each.
        let mut own = Vec::new();
        for (i, p) in phones.iter().enumerate() {
            p.store.set_answer(&r, "shared", &FieldValue::Int(i as i64)).unwrap();
            p.store.set_answer(&r, &format!("only_{i}"), &FieldValue::Int(i as i64)).unwrap();
            let mut ch = std::collections::BTreeMap::new();
            ch.insert(format!("note_{i}"), Some(FieldValue::Text(format!("from {i}"))));
            p.store.update_subject(&hh, ch).unwrap();
            own.push(response(&p.store, "S"));
        }
        for &i in &order {
            phones[i].sync(&hub.url).unwrap();
        }
        for &i in &order {
            phones[i].sync(&hub.url).unwrap();
        }
        let expect = phones[0].store.record_json(&r, None).unwrap();
        for p in &phones {
            assert_eq!(p.store.record_json(&r, None).unwrap(), expect, "order {order:?}");
            assert_eq!(p.store.record_json(&hh, None).unwrap(), phones[0].store.record_json(&hh, None).unwrap());
            for o in &own {
                assert!(p.store.summary(o).is_ok(), "every new record everywhere");
            }
            let resp = p.store.response(&r).unwrap();
            for i in 0..3 {
                assert_eq!(resp.answers[&format!("only_{i}")], FieldValue::Int(i as i64));
            }
            let c = p.store.conflicts(&r).unwrap();
            assert_eq!(c.len(), 1);
            assert_eq!(c[0].values.len(), 3, "all three concurrent values kept");
            assert_eq!(p.store.subject(&hh).unwrap().attrs.len(), 4);
        }
    }
}

#[test]
fn scope_isolation_and_bad_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let ta = enrol(EXE, &data, "a", "field-worker", &["A"]);
    let tb = enrol(EXE, &data, "b", "field-worker", &["B"]);
    let tr = enrol(EXE, &data, "revoked", "field-worker", &["A"]);
    let out = std::process::Command::new(EXE).args(["device", "revoke", "--data"]).arg(&data).args(["--name", "revoked"]).output().unwrap();
    assert!(out.status.success());
    let hub = Hub::start(EXE, &data);
    let a = Phone::new(dir.path(), "a", Role::FieldWorker, ta.clone());
    let b = Phone::new(dir.path(), "b", Role::FieldWorker, tb);
    let ra = response(&a.store, "A");
    let rb_by_a = response(&a.store, "B");
    let rep = a.sync(&hub.url).unwrap();
    assert_eq!(rep.rejected.len(), 1);
    assert_eq!(rep.rejected[0].0, rb_by_a);
    let rb = response(&b.store, "B");
    b.sync(&hub.url).unwrap();
    a.sync(&hub.url).unwrap();
    assert!(b.store.summary(&ra).is_err(), "B never sees scope A");
    assert!(a.store.summary(&rb).is_err(), "A never sees scope B");

    // Revoked and wrong tokens: 401, typed error, nothing applied.
    let before = hub.metric("sangam_docs_in_total");
    let r = Phone::new(dir.path(), "revoked", Role::FieldWorker, tr);
    response(&r.store, "A");
    assert!(matches!(r.sync(&hub.url), Err(Error::Auth(_))));
    let w = Phone::new(dir.path(), "wrong", Role::FieldWorker, "sgm_not-a-token".into());
    response(&w.store, "A");
    assert!(matches!(w.sync(&hub.url), Err(Error::Auth(_))));
    let (code, header, body) = post_raw(&hub.url, "", b"x");
    assert_eq!((code, header.as_deref()), (401, Some("unauthorized")), "{body}");
    assert_eq!(hub.metric("sangam_docs_in_total"), before);
    assert!(hub.metric("sangam_sync_requests_total{outcome=\"unauthorized\"}") >= 3);
}

#[test]
fn bad_bodies_get_4xx_with_a_clear_error_and_the_hub_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let t = enrol(EXE, &data, "a", "field-worker", &["A"]);
    let hub = Hub::start_with(EXE, &data, &["--max-body-mib", "1", "--max-docs", "10"]);
    let good = encode(&SyncRequest::default()).unwrap();
    let mut newer = good.clone();
    newer[4] = 7;
    let mut older = good.clone();
    older[4] = 1;
    use protocol::RejectCode::*;
    let cases: Vec<(&str, Vec<u8>, protocol::RejectCode, &str)> = vec![
        ("garbage", b"GET me a survey".to_vec(), BadRequest, "not a Sangam sync message"),
        ("truncated", good[..good.len() - 3].to_vec(), BadRequest, "damaged"),
        ("empty", Vec::new(), BadRequest, "not a Sangam"),
        ("newer version", newer, VersionTooNew, "version 7"),
        ("older version", older, VersionTooOld, "version 1"),
        ("oversized", vec![0u8; 2 * 1024 * 1024], TooLarge, "limit"),
    ];
    for (what, body, code, needle) in cases {
        let (got, header, text) = post_raw(&hub.url, &t, &body);
        assert_eq!(got, code.status(), "{what}: {text}");
        // The machine code, in the header and the body; the human message next to it.
        assert_eq!(header.as_deref(), Some(code.as_str()), "{what}: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: JSON error body, got {text}"));
        assert_eq!(v["code"].as_str(), Some(code.as_str()), "{what}: {text}");
        assert!(v["error"].as_str().unwrap().contains(needle), "{what}: {text}");
    }
    // Too many records in one request.
    let many = SyncRequest {
        push: (0..11u8).map(|i| sangam_core::sync::wire::PushDoc { id: [i; 16], heads: vec![], changes: vec![] }).collect(),
        ..Default::default()
    };
    let (got, header, text) = post_raw(&hub.url, &t, &encode(&many).unwrap());
    assert_eq!((got, header.as_deref()), (413, Some("too-large")), "{text}");
    assert_eq!(ureq::get(&format!("{}{}", hub.url, protocol::HEALTH_PATH)).call().unwrap().status(), 200);
    assert_eq!(hub.metric("sangam_sync_requests_total{outcome=\"server_error\"}"), 0);
    let a = Phone::new(dir.path(), "a", Role::FieldWorker, t);
    response(&a.store, "A");
    assert!(a.sync(&hub.url).unwrap().rejected.is_empty());
}

#[test]
fn replayed_requests_change_nothing_and_cut_connections_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let t = enrol(EXE, &data, "a", "field-worker", &["A"]);
    let t2 = enrol(EXE, &data, "b", "field-worker", &["A"]);
    let hub = Hub::start(EXE, &data);
    let a = Phone::new(dir.path(), "a", Role::FieldWorker, t.clone());
    let r = response(&a.store, "A");
    a.store.set_answer(&r, "q", &FieldValue::Int(1)).unwrap();
    // Replay: the same request body three times.
    let req = SyncEngine::new(&a.store).next_request().unwrap().unwrap();
    let body = encode(&req).unwrap();
    let key = a.store.device_key();
    assert_eq!(post_as(&hub.url, &t, &key, &body).0, 200);
    let after_first = hub.metric("sangam_docs_in_total");
    assert_eq!(post_as(&hub.url, &t, &key, &body).0, 200);
    assert_eq!(post_as(&hub.url, &t, &key, &body).0, 200);
    assert_eq!(hub.metric("sangam_docs_in_total"), after_first, "a replay applies nothing");

    // Cuts at random byte offsets, mid-request and mid-response, then a clean sync.
    let target: std::net::SocketAddr = hub.url.trim_start_matches("http://").parse().unwrap();
    let b = Phone::new(dir.path(), "b", Role::FieldWorker, t2);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for round in 0..12 {
        for i in 0..5 {
            let id = response(&a.store, "A");
            a.store.set_answer(&id, "n", &FieldValue::Int(round * 10 + i)).unwrap();
        }
        let cut = if round % 2 == 0 { Cut::Request(rng.gen_range(1..1500)) } else { Cut::Response(rng.gen_range(1..600)) };
        let proxy = CuttingProxy::start(target, cut);
        let _ = a.sync(&proxy.url); // fails or succeeds, depending on where the cut fell
        let _ = b.sync(&proxy.url);
    }
    a.sync(&hub.url).unwrap();
    b.sync(&hub.url).unwrap();
    assert_eq!(a.store.unsynced_count().unwrap(), 0);
    let all = |s: &Store| s.list_responses(&ResponseFilter { limit: Some(1000), ..Default::default() }).unwrap().len();
    assert_eq!(all(&a.store), 61);
    assert_eq!(all(&b.store), 61, "every response reached b through the hub");
}

#[test]
fn a_hub_killed_mid_sync_restarts_and_loses_no_acknowledged_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let t = enrol(EXE, &data, "a", "field-worker", &["A"]);
    let t2 = enrol(EXE, &data, "b", "field-worker", &["A"]);
    let a = Phone::new(dir.path(), "a", Role::FieldWorker, t);
    let b = Phone::new(dir.path(), "b", Role::FieldWorker, t2);
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let mut acknowledged: Vec<(String, i64)> = Vec::new();
    for round in 0..20 {
        let mut hub = Hub::start(EXE, &data);
        let url = hub.url.clone();
        for i in 0..20 {
            let id = response(&a.store, "A");
            a.store.set_answer(&id, "n", &FieldValue::Int(round * 100 + i)).unwrap();
        }
        // Sync from a thread; kill the hub at a random moment.
        let pending: Vec<(String, i64)> = a
            .store
            .list_responses(&ResponseFilter { limit: Some(5000), ..Default::default() })
            .unwrap()
            .into_iter()
            .filter(|s| a.store.is_unsynced(&s.id).unwrap())
            .map(|s| (s.id.clone(), 0))
            .collect();
        let handle = std::thread::scope(|sc| {
            let h = sc.spawn(|| a.sync(&url));
            std::thread::sleep(Duration::from_millis(rng.gen_range(0..40)));
            hub.kill();
            h.join().unwrap()
        });
        if handle.is_ok() {
            // Everything the sync sent was acknowledged before the kill.
            acknowledged.extend(pending);
        }
        // Records the device no longer marks unsynced were acknowledged by the hub.
        for s in a.store.list_responses(&ResponseFilter { limit: Some(5000), ..Default::default() }).unwrap() {
            if !a.store.is_unsynced(&s.id).unwrap() {
                acknowledged.push((s.id, 0));
            }
        }
    }
    acknowledged.sort();
    acknowledged.dedup();
    let hub = Hub::start(EXE, &data);
    // What the hub acknowledged before each kill is there: b gets it without a ever syncing again.
    b.sync(&hub.url).unwrap();
    for (id, _) in &acknowledged {
        assert!(b.store.summary(id).is_ok(), "acknowledged record {id} lost by the hub");
    }
    a.sync(&hub.url).unwrap();
    b.sync(&hub.url).unwrap();
    let n = |s: &Store| s.list_responses(&ResponseFilter { limit: Some(5000), ..Default::default() }).unwrap().len();
    assert_eq!(n(&a.store), 400);
    assert_eq!(n(&b.store), 400, "devices converge after the crashes");
}
