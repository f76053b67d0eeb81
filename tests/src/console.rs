//! A hub seeded for the web console's tests through real phone syncs: two field workers of
//! scope `S` with a household, a submitted response about it holding hostile text and a
//! conflict, a third field worker's response in scope `T`, and console accounts.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use sangam_core::{FieldValue, NewResponse, NewSubject, ResponseStatus, Role};

use crate::{enrol, response, Hub, Phone};

pub const PASSWORD: &str = "correct horse battery";

/// Adds a console account through the hub's command line (password on standard input).
pub fn add_user(exe: &str, data: &Path, name: &str, role: &str, scopes: &[&str], password: &str) -> std::process::Output {
    let mut cmd = Command::new(exe);
    cmd.args(["user", "add", "--data"]).arg(data).args(["--name", name, "--role", role]);
    for s in scopes {
        cmd.args(["--scope", s]);
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn user add");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{password}");
    }
    child.wait_with_output().expect("user add")
}

pub struct Seeded {
    pub hub: Hub,
    /// Field worker `asha` (scope S), who made the household and the response.
    pub asha: Phone,
    pub asha_token: String,
    pub bina: Phone,
    pub tara: Phone,
    /// The submitted response in scope S, with a conflict on `answers/income`.
    pub response: String,
    /// A submitted response in scope T.
    pub other: String,
}

/// Seeds a hub in `dir` (accounts are added by the caller before or after).
pub fn seed(exe: &str, dir: &Path) -> Seeded {
    let data = dir.join("hub");
    let ta = enrol(exe, &data, "asha", "field-worker", &["S"]);
    let tb = enrol(exe, &data, "bina", "field-worker", &["S"]);
    let tt = enrol(exe, &data, "tara", "field-worker", &["T"]);
    let hub = Hub::start(exe, &data);
    let asha = Phone::new(dir, "asha", Role::FieldWorker, ta.clone());
    let bina = Phone::new(dir, "bina", Role::FieldWorker, tb);
    let tara = Phone::new(dir, "tara", Role::FieldWorker, tt);
    let hh = asha
        .store
        .create_subject(NewSubject::new("household", "S").attr("name", "<script>alert(1)</script>Devi").attr("village", "Rampur"))
        .expect("household");
    let r = asha
        .store
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: Some(hh) })
        .expect("response");
    asha.store.set_answer(&r, "income", &FieldValue::Int(1200)).expect("answer");
    asha.store.set_answer(&r, "note", &FieldValue::Text("<img src=x onerror=alert(2)>".into())).expect("answer");
    asha.store.set_response_status(&r, ResponseStatus::Submitted).expect("submit");
    asha.sync(&hub.url).expect("sync");
    bina.sync(&hub.url).expect("sync");
    asha.store.set_answer(&r, "income", &FieldValue::Int(1500)).expect("answer");
    bina.store.set_answer(&r, "income", &FieldValue::Int(1800)).expect("answer");
    asha.sync(&hub.url).expect("sync");
    bina.sync(&hub.url).expect("sync");
    let other = response(&tara.store, "T");
    tara.store.set_response_status(&other, ResponseStatus::Submitted).expect("submit");
    tara.sync(&hub.url).expect("sync");
    Seeded { hub, asha, asha_token: ta, bina, tara, response: r, other }
}
