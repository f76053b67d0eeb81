//! Peers benchmark: Sangam against PouchDB replicating to a PouchDB server (the stack CHT
//! runs in the field), the same household records through the same byte-counting proxy, both
//! systems' figures from the same run, side by side.
//!
//! Run: `cargo bench -p sangam-tests --bench peers`. Needs Node.js and npm: the PouchDB side
//! (`tests/peers/`, pinned in its package-lock) is installed with `npm ci` on first run.
//! `SANGAM_BENCH_SIZES` (default `10000`) lists the store sizes, comma-separated;
//! `SANGAM_BENCH_SKIP_POUCHDB=1` runs only Sangam's side (to profile it).
//!
//! Workloads, on loopback unless said:
//! - push-all: a phone holding N records pushes them all to an empty hub;
//! - daily push of 1%: 1% of the records get one field edited, then pushed;
//! - nothing changed: a sync (PouchDB: a push and a pull) with nothing new;
//! - daily push of 1% over Regular 2G (150 ms one way, 50 kbit/s up, 250 kbit/s down);
//! - bootstrap: a fresh phone pulls all N;
//! - bootstrap over Regular 2G: another fresh phone pulls all N over the slow link. It runs for
//!   sizes up to `SANGAM_BENCH_SLOW_BOOTSTRAP_MAX` (default 10000: PouchDB's 2G bootstrap of
//!   50,000 records takes a quarter of an hour).
//!
//! Local edits happen before the clock starts on both sides; only the sync is timed.
//!
//! Both sides keep their data on disk: PouchDB's server and phone in LevelDB (as
//! pouchdb-server does), Sangam's hub and phone in SQLite (WAL, a full fsync per transaction).

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use sangam_core::sync::client::SyncOptions;
use sangam_core::*;
use sangam_tests::households::{pouch_doc, save_household};
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
    if dir.join("node_modules/pouchdb-adapter-leveldb").exists() && dir.join("node_modules/express-pouchdb").exists() {
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
    fn start(dir: &Path) -> PouchServer {
        std::fs::create_dir_all(dir).expect("server dir");
        let mut child = Command::new("node")
            .arg("server.js")
            .arg("0")
            .arg(dir)
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
    fn start(url: &str, slow_url: &str, records: &Path, edits: usize, dir: &Path, slow_bootstrap: bool) -> PouchPhone {
        std::fs::create_dir_all(dir).expect("phone dir");
        let mut child = Command::new("node")
            .arg("client.js")
            .arg(url)
            .arg(slow_url)
            .arg(records)
            .arg(edits.to_string())
            .arg(dir)
            .arg(if slow_bootstrap { "slow-bootstrap" } else { "no-slow-bootstrap" })
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
    let server = PouchServer::start(&dir.join("pouch-server"));
    // One address for both links (PouchDB's checkpoints are per address): the shape is
    // switched on for the slow phase only.
    let link = Proxy::start(server.addr, Some(Shape::regular_2g()));
    link.set_shaped(false);
    let mut phone = PouchPhone::start(&link.url, &link.url, &records, n / 100, &dir.join("pouch-phone"), slow_bootstrap(n));
    let mut figures = Vec::new();
    for name in WORKLOADS_POUCH {
        link.set_shaped(name.ends_with("-slow"));
        link.take();
        let (phase, wall, requests, docs) = phone.phase();
        assert_eq!(phase, *name, "the PouchDB phone ran another phase");
        let (up, down) = link.take();
        eprintln!("pouchdb {n}: {phase} {docs} docs, {wall:.2} s");
        if *name == "bootstrap-slow" && !slow_bootstrap(n) {
            continue;
        }
        if let Some(label) = label(name) {
            figures.push((label, Figures { up, down, requests, wall }));
        }
    }
    figures
}

/// The PouchDB phone's phases, in order (see tests/peers/client.js).
const WORKLOADS_POUCH: &[&str] = &["push-all", "settle", "daily", "nothing", "daily-slow", "bootstrap", "bootstrap-slow"];

/// Whether the 2G bootstrap runs for `n` records (see the module's documentation).
fn slow_bootstrap(n: usize) -> bool {
    let max = std::env::var("SANGAM_BENCH_SLOW_BOOTSTRAP_MAX").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    n <= max
}

/// The table's name for a phase (`None`: set-up, not a workload).
fn label(phase: &str) -> Option<&'static str> {
    Some(match phase {
        "push-all" => "push-all",
        "daily" => "daily push of 1%",
        "nothing" => "nothing changed",
        "daily-slow" => "daily push of 1%, Regular 2G",
        "bootstrap" => "bootstrap",
        "bootstrap-slow" => "bootstrap, Regular 2G",
        _ => return None,
    })
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
                save_household(s, SCOPE, i)?;
            }
            Ok(())
        })
        .expect("records on the phone");
    phone
}

fn edit_one_percent(phone: &Store, n: usize, day: usize) {
    let ids: Vec<String> = phone.changed_since(0, n).expect("ids").into_iter().map(|(id, _)| id).collect();
    for i in 0..n / 100 {
        let id = &ids[(i * 97 + day) % ids.len()];
        phone.set_answer(id, "notes", &FieldValue::Text(format!("Revisited on day {day}."))).expect("edit");
    }
}

fn sangam(n: usize, dir: &Path) -> Vec<(&'static str, Figures)> {
    let data = dir.join("hub");
    let hub = Hub::start(EXE, &data);
    let addr: SocketAddr = hub.url.trim_start_matches("http://").parse().expect("hub address");
    let link = Proxy::start(addr, Some(Shape::regular_2g()));
    link.set_shaped(false);
    let token = enrol(EXE, &data, "phone", "field-worker", &[SCOPE]);
    let phone = phone_with_records(dir, "phone", n);
    let mut figures = vec![("push-all", sangam_sync(&phone, &link.url, &token, &link))];
    edit_one_percent(&phone, n, 1);
    figures.push(("daily push of 1%", sangam_sync(&phone, &link.url, &token, &link)));
    figures.push(("nothing changed", sangam_sync(&phone, &link.url, &token, &link)));
    edit_one_percent(&phone, n, 2);
    link.set_shaped(true);
    figures.push(("daily push of 1%, Regular 2G", sangam_sync(&phone, &link.url, &token, &link)));
    link.set_shaped(false);
    let fresh_token = enrol(EXE, &data, "fresh", "field-worker", &[SCOPE]);
    let fresh = Store::open(dir.join("fresh.db"), Identity::field_worker("fresh", "Fresh")).expect("fresh phone");
    figures.push(("bootstrap", sangam_sync(&fresh, &link.url, &fresh_token, &link)));
    if slow_bootstrap(n) {
        let token = enrol(EXE, &data, "fresh-slow", "field-worker", &[SCOPE]);
        let fresh = Store::open(dir.join("fresh-slow.db"), Identity::field_worker("fresh-slow", "Fresh")).expect("fresh phone");
        link.set_shaped(true);
        figures.push(("bootstrap, Regular 2G", sangam_sync(&fresh, &link.url, &token, &link)));
        link.set_shaped(false);
    }
    for (name, f) in &figures {
        eprintln!("sangam {n}: {name} {:.2} s", f.wall);
    }
    drop(hub);
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
    println!("On disk: PouchDB in LevelDB (server and phone), Sangam in SQLite with a full fsync per transaction.");
    println!("Requests: Sangam's sync round trips; PouchDB's HTTP requests. 2G: 150 ms one way, 50 kbit/s up, 250 kbit/s down.");
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SANGAM_BENCH_SIZES")
        .unwrap_or_else(|_| "10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if std::env::var_os("SANGAM_BENCH_SKIP_POUCHDB").is_none() {
        install_pouchdb();
    }
    let mut runs = Vec::new();
    for n in sizes {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("peers-bench-{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench dir");
        // `SANGAM_BENCH_SKIP_POUCHDB=1` runs Sangam's side alone (for profiling it).
        let p = if std::env::var_os("SANGAM_BENCH_SKIP_POUCHDB").is_some() { Vec::new() } else { pouchdb(n, &dir) };
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
