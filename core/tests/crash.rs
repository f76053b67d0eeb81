//! Crash test: a child process saves answers in a loop and reports each acknowledged save; it
//! is killed with SIGKILL at random moments, 30 times. Every time, the store reopens cleanly,
//! passes `PRAGMA integrity_check` and holds every acknowledged save.
//!
//! The child is this same test binary, re-run with `SANGAM_CRASH_CHILD` set.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use sangam_core::*;

const ROUNDS: usize = 30;

fn identity() -> Identity {
    Identity::field_worker("crash", "Crash Test")
}

/// The child: one response per round, answers saved one by one, each acknowledged on stdout
/// only after `set_answer` returned (i.e. after the durable commit).
#[test]
fn crash_child() {
    let Ok(path) = std::env::var("SANGAM_CRASH_CHILD") else { return };
    let store = Store::open(&path, identity()).unwrap();
    let id = store
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
        .unwrap();
    println!("RECORD {id}");
    for n in 0.. {
        store.set_answer(&id, &format!("q{}", n % 50), &FieldValue::Int(n)).unwrap();
        if n % 7 == 3 {
            store.minutes_insert(&id, 0, "x").ok(); // wrong kind: an error, never damage
        }
        println!("ACK {n}");
    }
}

#[test]
fn killed_writers_never_lose_acknowledged_saves() {
    if std::env::var("SANGAM_CRASH_CHILD").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut acked: Vec<(String, i64)> = Vec::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env("SANGAM_CRASH_CHILD", &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut record = None;
        let mut last = None;
        let kill_after = Duration::from_millis(rng.gen_range(30..400));
        let start = Instant::now();
        while start.elapsed() < kill_after {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(5)) {
                if let Some(id) = line.split("RECORD ").nth(1) {
                    record = Some(id.to_string());
                } else if let Some(n) = line.strip_prefix("ACK ") {
                    last = Some(n.parse::<i64>().unwrap());
                }
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Acknowledgements already written to the pipe before the kill still count.
        reader.join().unwrap();
        while let Ok(line) = rx.try_recv() {
            if let Some(id) = line.split("RECORD ").nth(1) {
                record = Some(id.to_string());
            } else if let Some(n) = line.strip_prefix("ACK ") {
                last = Some(n.parse::<i64>().unwrap());
            }
        }
        let store = Store::open(&path, identity()).unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        store.integrity_check().unwrap();
        if let (Some(id), Some(n)) = (record, last) {
            acked.push((id, n));
        }
        for (id, n) in &acked {
            let r = store.response(id).unwrap();
            // Save k wrote q{k % 50} = k. Every acknowledged save must be there, or overwritten
            // by a later save of the same question (which may have committed without its ACK
            // reaching us before the kill).
            for k in (n - 49).max(0)..=*n {
                match r.answers.get(&format!("q{}", k % 50)) {
                    Some(FieldValue::Int(v)) => assert!(
                        *v >= k && v % 50 == k % 50,
                        "round {round}: acknowledged save {k} lost (found {v})"
                    ),
                    other => panic!("round {round}: acknowledged save {k} lost (found {other:?})"),
                }
            }
        }
    }
    assert!(acked.len() >= ROUNDS / 2, "the child made too little progress to test anything");
}
