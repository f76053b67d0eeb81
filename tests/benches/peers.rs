//! Peers benchmark: Sangam against PouchDB replicating to a PouchDB server (the stack CHT
//! runs in the field), the same household records through the same byte-counting proxy, both
//! systems' figures from the same run, side by side.
//!
//! Run: `cargo bench -p sangam-tests --bench peers`. Needs Node.js and npm: the PouchDB side
//! (`tests/peers/`, pinned in its package-lock) is installed with `npm ci` on first run.
//! `SANGAM_BENCH_SIZES` (default `10000`) lists the store sizes, comma-separated.
//!
//! Workloads, each on loopback and the daily push also through an emulated Regular 2G link:
//! - push-all: a phone holding N records pushes them all to an empty hub;
//! - daily: 1% of the records get one field edited, then pushed;
//! - nothing: a sync with nothing changed;
//! - bootstrap: a fresh phone pulls all N.
//!
//! PouchDB's server keeps its databases in memory (memdown); Sangam's hub writes to SQLite
//! with a full fsync per transaction, so the comparison does not flatter Sangam.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use sangam_core::sync::client::SyncOptions;
use sangam_core::*;
use sangam_tests::households::{answers, pouch_doc};
use sangam_tests::proxy::{Proxy, Shape};
use sangam_tests::{enrol, Hub};

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");
const SCOPE: &str = "UP-SIT";

/// One workload's figures.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    up: u64,
    down: u64,
    requests: u64,
    wall: f64,
}

/// Both systems' figures for one store size, by workload.
struct Run {
    n: usize,
    rows: Vec<(&'static str, Figures, Figures)>,
}

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

fn install_pouchdb() {
    let dir = peers_dir();
    if dir.join("node_modules/express-pouchdb").exists() {
        return;
    }
    eprintln!("installing PouchDB and its server (npm ci in {})", dir.display());
    let ok = Command::new("npm").args(["ci", "--no-fund", "--no-audit"]).current_dir(&dir).status().map(|s| s.success());
    assert!(matches!(ok, Ok(true)), "npm ci failed in {}: Node.js and npm are needed for this benchmark", dir.display());
}

/// A running `node server.js`.
struct PouchServer {
    child: Child,
    addr: SocketAddr,
}

impl PouchServer {
    fn start() -> PouchServer {
        let mut child = Command::new("node")
            .arg("server.js")
            .current_dir(peers_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node server.js");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = lines
            .find_map(|l| l.ok()?.strip_prefix("listening on http://").map(str::to_string))
            .expect("the PouchDB server did not start");
        std::thread::spawn(move || for _ in lines {});
        PouchServer { child, addr: url.trim().parse().expect("address") }
    }
}

impl Drop for PouchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The PouchDB phone, `node client.js`, advanced phase by phase.
struct PouchPhone {
    child: Child,
    stdin: ChildStdin,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl PouchPhone {
    fn start(url: &str, records: &Path, edits: usize) -> PouchPhone {
        let mut child = Command::new("node")
            .arg("client.js")
            .arg(url)
            .arg(records)
            .arg(edits.to_string())
            .current_dir(peers_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node client.js");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        assert!(lines.any(|l| l.map(|l| l == "READY").unwrap_or(false)), "the PouchDB phone did not load its records");
        PouchPhone { child, stdin, lines }
    }

    /// Runs the next phase; returns (name, wall seconds, requests, docs).
    fn phase(&mut self) -> (String, f64, u64, u64) {
        writeln!(self.stdin, "next").expect("to the PouchDB phone");
        let line = self.lines.next().and_then(|l| l.ok()).expect("a phase report from the PouchDB phone");
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.first(), Some(&"PHASE"), "unexpected line from the PouchDB phone: {line}");
        (f[1].to_string(), f[2].parse::<f64>().unwrap_or(0.0) / 1000.0, f[3].parse().unwrap_or(0), f[4].parse().unwrap_or(0))
    }
}

impl Drop for PouchPhone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pouchdb(n: usize, dir: &Path) -> Vec<(&'static str, Figures)> {
    let records = dir.join("records.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&records).expect("records file"));
    for i in 0..n {
        serde_json::to_writer(&mut out, &pouch_doc(i)).expect("json");
        out.write_all(b"\n").expect("write");
    }
    drop(out);
    let mut figures = Vec::new();
    for (shape, names) in [(None, &["push-all", "daily", "nothing", "bootstrap"][..]), (Some(Shape::regular_2g()), &["push-all", "daily (2G)"][..])] {
        let server = PouchServer::start();
        let proxy = Proxy::start(server.addr, shape);
        let mut phone = PouchPhone::start(&proxy.url, &records, n / 100);
        for name in names {
            proxy.take();
            let (phase, wall, requests, docs) = phone.phase();
            let (up, down) = proxy.take();
            eprintln!("pouchdb {n}: {phase} {docs} docs, {wall:.2} s");
            if shape.is_none() || *name != "push-all" {
                figures.push((*name, Figures { up, down, requests, wall }));
            }
        }
    }
    figures
}

fn opts() -> SyncOptions<'static> {
    SyncOptions { timeout: Duration::from_secs(900), ..Default::default() }
}

/// A phone's sync through `url`, measured.
fn sangam_sync(phone: &Store, url: &str, token: &str, proxy: &Proxy) -> Figures {
    proxy.take();
    let t = Instant::now();
    let r = phone.sync(url, token, &opts()).expect("sync");
    let wall = t.elapsed().as_secs_f64();
    let (up, down) = proxy.take();
    assert!(r.rejected.is_empty(), "the hub refused records: {:?}", &r.rejected[..r.rejected.len().min(3)]);
    Figures { up, down, requests: u64::from(r.progress.round_trips), wall }
}

fn phone_with_records(dir: &Path, name: &str, n: usize) -> Store {
    let phone = Store::open(dir.join(format!("{name}.db")), Identity::field_worker(name, name)).expect("phone store");
    phone
        .bulk_import(|s| {
            for i in 0..n {
                let r = s.create_response(NewResponse {
                    form_id: "deep_listening".into(),
                    form_version: "2026-11".into(),
                    scope: SCOPE.into(),
                    subject_id: None,
                })?;
                s.set_answers(&r, &answers(i))?;
            }
            Ok(())
        })
        .expect("records on the phone");
    phone
}

fn edit_one_percent(phone: &Store, n: usize) {
    let ids: Vec<String> = phone.changed_since(0, n).expect("ids").into_iter().map(|(id, _)| id).collect();
    for (i, id) in ids.iter().step_by(97).cycle().take(n / 100).enumerate() {
        phone.set_answer(id, "notes", &FieldValue::Text(format!("Revisited on day {i}."))).expect("edit");
    }
}

fn sangam(n: usize, dir: &Path) -> Vec<(&'static str, Figures)> {
    let mut figures = Vec::new();
    for shape in [None, Some(Shape::regular_2g())] {
        let tag = if shape.is_some() { "2g" } else { "lan" };
        let data = dir.join(format!("hub-{tag}"));
        let hub = Hub::start(EXE, &data);
        let addr: SocketAddr = hub.url.trim_start_matches("http://").parse().expect("hub address");
        let proxy = Proxy::start(addr, shape);
        let token = enrol(EXE, &data, &format!("phone-{tag}"), "field-worker", &[SCOPE]);
        let phone = phone_with_records(dir, &format!("phone-{tag}"), n);
        let push = sangam_sync(&phone, &proxy.url, &token, &proxy);
        edit_one_percent(&phone, n);
        let daily = sangam_sync(&phone, &proxy.url, &token, &proxy);
        eprintln!("sangam {n} {tag}: push-all {:.2} s, daily {:.2} s", push.wall, daily.wall);
        if shape.is_none() {
            figures.push(("push-all", push));
            figures.push(("daily", daily));
            figures.push(("nothing", sangam_sync(&phone, &proxy.url, &token, &proxy)));
            let fresh_token = enrol(EXE, &data, "fresh", "field-worker", &[SCOPE]);
            let fresh = Store::open(dir.join("fresh.db"), Identity::field_worker("fresh", "Fresh")).expect("fresh phone");
            figures.push(("bootstrap", sangam_sync(&fresh, &proxy.url, &fresh_token, &proxy)));
        } else {
            figures.push(("daily (2G)", daily));
        }
    }
    figures
}

fn kb(b: u64) -> String {
    if b >= 1_000_000 {
        format!("{:.2} MB", b as f64 / 1e6)
    } else {
        format!("{:.1} KB", b as f64 / 1e3)
    }
}

fn print(runs: &[Run]) {
    println!();
    println!("| workload | N | Sangam | PouchDB | bytes PouchDB/Sangam | wall Sangam/PouchDB |");
    println!("|---|---|---|---|---|---|");
    for run in runs {
        for (name, s, p) in &run.rows {
            let (sb, pb) = (s.up + s.down, p.up + p.down);
            println!(
                "| {name} | {} | {} ({} up), {} req, {:.2} s | {} ({} up), {} req, {:.2} s | {:.1}x | {:.2} |",
                run.n,
                kb(sb),
                kb(s.up),
                s.requests,
                s.wall,
                kb(pb),
                kb(p.up),
                p.requests,
                p.wall,
                pb as f64 / sb.max(1) as f64,
                s.wall / p.wall.max(1e-9),
            );
        }
    }
    println!();
    println!("Sangam's hub syncs SQLite with a full fsync per transaction; PouchDB's server keeps its databases in memory.");
    println!("Requests: Sangam's sync round trips; PouchDB's HTTP requests. 2G: 150 ms one way, 50 kbit/s up, 250 kbit/s down.");
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SANGAM_BENCH_SIZES")
        .unwrap_or_else(|_| "10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    install_pouchdb();
    let mut runs = Vec::new();
    for n in sizes {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("peers-bench-{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench dir");
        let p = pouchdb(n, &dir);
        let s = sangam(n, &dir);
        let rows = s
            .into_iter()
            .filter_map(|(name, sf)| p.iter().find(|(pn, _)| *pn == name).map(|(_, pf)| (name, sf, *pf)))
            .collect();
        runs.push(Run { n, rows });
        let _ = std::fs::remove_dir_all(&dir);
    }
    print(&runs);
}
