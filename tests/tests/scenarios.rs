//! One sync scenario suite, run over both transports: the hub's serve path in this process
//! (`InProcess`) and a real `sangam-hub serve` process over HTTP. A scenario that passes on one
//! and fails on the other points at the HTTP layer (or at what the in-process hub skips).

use std::path::Path;

use sangam_core::sync::{InProcess, PeerInfo, SyncOptions, SyncReport};
use sangam_core::*;
use sangam_tests::{enrol, Hub};

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");

/// A hub reached one way or the other.
enum Link {
    InProcess(Box<Store>),
    Http(Hub),
}

/// An enrolled device: how the hub knows it.
enum Enrolled {
    InProcess(PeerInfo),
    Http(String),
}

impl Link {
    fn in_process(dir: &Path) -> Link {
        let hub = Store::open(dir.join("hub.db"), Identity::new("hub", "Hub", Role::Admin)).unwrap();
        hub.enable_serving().unwrap();
        Link::InProcess(Box::new(hub))
    }

    fn http(dir: &Path) -> Link {
        Link::Http(Hub::start(EXE, &dir.join("hub")))
    }

    fn enrol(&self, name: &str, role: Role, scopes: &[&str]) -> Enrolled {
        match self {
            Link::InProcess(_) => Enrolled::InProcess(PeerInfo::new(name, role, scopes.iter().map(|s| s.to_string()).collect())),
            Link::Http(hub) => Enrolled::Http(enrol(EXE, &hub.data, name, role.as_str(), scopes)),
        }
    }

    fn sync(&self, device: &Enrolled, phone: &Store) -> SyncReport {
        let report = match (self, device) {
            (Link::InProcess(hub), Enrolled::InProcess(peer)) => {
                phone.sync_with(&mut InProcess::new(hub, peer), &SyncOptions::default()).unwrap()
            }
            (Link::Http(hub), Enrolled::Http(token)) => phone.sync(&hub.url, token, &SyncOptions::default()).unwrap(),
            _ => unreachable!("a device enrolled at another hub"),
        };
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        report
    }
}

fn phone(dir: &Path, name: &str, role: Role) -> Store {
    Store::open(dir.join(format!("{name}.db")), Identity::new(name, name, role)).unwrap()
}

fn household(s: &Store, scope: &str) -> String {
    let r = s
        .create_response(NewResponse { form_id: "hh".into(), form_version: "1".into(), scope: scope.into(), subject_id: None })
        .unwrap();
    s.set_answer(&r, "village", &FieldValue::Text("Rampur".into())).unwrap();
    r
}

/// Runs `scenario` over both transports, each in a fresh directory.
fn both(scenario: impl Fn(&Link, &Path)) {
    for make in [Link::in_process as fn(&Path) -> Link, Link::http] {
        let dir = tempfile::tempdir().unwrap();
        let link = make(dir.path());
        scenario(&link, dir.path());
    }
}

#[test]
fn offline_edits_on_two_phones_converge() {
    both(|link, dir| {
        let (a, b) = (phone(dir, "asha", Role::FieldWorker), phone(dir, "ravi", Role::FieldWorker));
        let (da, db) = (link.enrol("asha", Role::FieldWorker, &["S"]), link.enrol("ravi", Role::FieldWorker, &["S"]));
        let r = household(&a, "S");
        link.sync(&da, &a);
        link.sync(&db, &b);
        a.set_answer(&r, "members", &FieldValue::Int(5)).unwrap();
        b.set_answer(&r, "income", &FieldValue::Int(9000)).unwrap();
        for _ in 0..2 {
            link.sync(&da, &a);
            link.sync(&db, &b);
        }
        assert_eq!(a.record_json(&r, None).unwrap(), b.record_json(&r, None).unwrap());
        let answers = a.response(&r).unwrap().answers;
        assert_eq!((answers["members"].clone(), answers["income"].clone()), (FieldValue::Int(5), FieldValue::Int(9000)));
    });
}

#[test]
fn the_same_field_written_on_two_phones_keeps_both_values() {
    both(|link, dir| {
        let (a, b) = (phone(dir, "asha", Role::FieldWorker), phone(dir, "ravi", Role::FieldWorker));
        let (da, db) = (link.enrol("asha", Role::FieldWorker, &["S"]), link.enrol("ravi", Role::FieldWorker, &["S"]));
        let r = household(&a, "S");
        link.sync(&da, &a);
        link.sync(&db, &b);
        a.set_answer(&r, "members", &FieldValue::Int(5)).unwrap();
        b.set_answer(&r, "members", &FieldValue::Int(6)).unwrap();
        link.sync(&da, &a);
        link.sync(&db, &b);
        link.sync(&da, &a);
        for s in [&a, &b] {
            let c = s.conflicts(&r).unwrap();
            assert_eq!(c.len(), 1);
            let mut users: Vec<&str> = c[0].values.iter().map(|v| v.author.user_id.as_str()).collect();
            users.sort();
            assert_eq!(users, ["asha", "ravi"]);
        }
    });
}

#[test]
fn a_phone_receives_only_its_scopes() {
    both(|link, dir| {
        let (a, b) = (phone(dir, "asha", Role::FieldWorker), phone(dir, "ravi", Role::FieldWorker));
        let (da, db) = (link.enrol("asha", Role::FieldWorker, &["S1"]), link.enrol("ravi", Role::FieldWorker, &["S2"]));
        let mine = household(&a, "S1");
        link.sync(&da, &a);
        let theirs = household(&b, "S2");
        link.sync(&db, &b);
        link.sync(&da, &a);
        assert!(b.kind_of(&mine).is_err(), "a record of another scope reached the phone");
        assert!(a.kind_of(&theirs).is_err(), "a record of another scope reached the phone");
        assert_eq!(a.enrolled_scopes(), Some(vec!["S1".to_string()]));
    });
}

#[test]
fn a_sync_with_nothing_new_is_one_small_round_trip() {
    both(|link, dir| {
        let a = phone(dir, "asha", Role::FieldWorker);
        let da = link.enrol("asha", Role::FieldWorker, &["S"]);
        household(&a, "S");
        link.sync(&da, &a);
        link.sync(&da, &a);
        let r = link.sync(&da, &a);
        assert_eq!(r.progress.round_trips, 1);
        assert!(r.progress.bytes_sent + r.progress.bytes_received < 700, "{:?}", r.progress);
        assert_eq!(a.unsynced_count().unwrap(), 0);
    });
}
