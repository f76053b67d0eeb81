//! Helpers for end-to-end scenarios: a real hub process on loopback, enrolment through its
//! command line, phones as real stores, and a loopback proxy that cuts connections.

pub mod console;
pub mod households;
pub mod proxy;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sangam_core::sync::client::SyncOptions;
use sangam_core::sync::protocol;
use sangam_core::sync::SyncReport;
use sangam_core::{Identity, NewResponse, Result as CoreResult, Role, Store};

/// A `sangam-hub serve` process on an ephemeral loopback port.
pub struct Hub {
    pub child: Child,
    pub url: String,
    pub data: PathBuf,
    /// An admin device's token, for reading /metrics.
    pub admin_token: String,
}

impl Hub {
    pub fn start(exe: &str, data: &Path) -> Hub {
        Self::start_with(exe, data, &[])
    }

    pub fn start_with(exe: &str, data: &Path, extra: &[&str]) -> Hub {
        static SCRAPERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let scraper = format!(
            "scraper-{}-{}",
            std::process::id(),
            SCRAPERS.fetch_add(1, Ordering::Relaxed)
        );
        let admin_token = enrol(exe, data, &scraper, "admin", &["ops"]);
        let mut child = Command::new(exe)
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn hub");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(20);
        let url = loop {
            assert!(Instant::now() < deadline, "hub did not start");
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(u) = l.strip_prefix("listening on ") {
                        break u.trim().to_string();
                    }
                }
                _ => panic!("hub exited before listening"),
            }
        };
        // Keep draining stdout so the hub never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Hub {
            child,
            url,
            data: data.to_path_buf(),
            admin_token,
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The /metrics text, read as an admin device.
    pub fn metrics_text(&self) -> String {
        ureq::get(&format!("{}{}", self.url, protocol::METRICS_PATH))
            .set(protocol::AUTHORIZATION_HEADER, &protocol::bearer(&self.admin_token))
            .call()
            .expect("metrics")
            .into_string()
            .expect("text")
    }

    pub fn metric(&self, name: &str) -> u64 {
        let text = self.metrics_text();
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Enrols a device through the hub's command line; returns the token (its last line).
/// A raw sync request as device `key` sends it: token, device id, key and the key's signature
/// of `body` (what `HttpTransport` sets), for tests that post bytes by hand.
pub fn signed_post(url: &str, token: &str, key: &sangam_core::sign::DeviceKey, body: &[u8], timeout: Duration) -> std::result::Result<ureq::Response, ureq::Error> {
    let device = key.device_id();
    ureq::post(&protocol::sync_url(url))
        .set(protocol::AUTHORIZATION_HEADER, &protocol::bearer(token))
        .set(protocol::DEVICE_HEADER, &hex::encode(device))
        .set(protocol::PROOF_HEADER, &protocol::device_proof(key, body))
        .timeout(timeout)
        .send_bytes(body)
}

pub fn enrol(exe: &str, data: &Path, name: &str, role: &str, scopes: &[&str]) -> String {
    let mut cmd = Command::new(exe);
    cmd.args(["device", "add", "--data"])
        .arg(data)
        .args(["--name", name, "--role", role]);
    for s in scopes {
        cmd.args(["--scope", s]);
    }
    let out = cmd.output().expect("device add");
    assert!(
        out.status.success(),
        "device add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .last()
        .expect("token line")
        .trim()
        .to_string()
}

/// A phone: a store on disk plus its enrolment token.
pub struct Phone {
    pub store: Store,
    pub token: String,
}

impl Phone {
    pub fn new(dir: &Path, name: &str, role: Role, token: String) -> Phone {
        let store = Store::open(
            dir.join(format!("{name}.db")),
            Identity::new(name, name, role),
        )
        .expect("open phone");
        Phone { store, token }
    }

    pub fn sync(&self, url: &str) -> CoreResult<SyncReport> {
        self.store.sync(
            url,
            &self.token,
            &SyncOptions {
                timeout: Duration::from_secs(20),
                ..Default::default()
            },
        )
    }
}

pub fn response(s: &Store, scope: &str) -> String {
    s.create_response(NewResponse {
        form_id: "f".into(),
        form_version: "1".into(),
        scope: scope.into(),
        subject_id: None,
    })
    .expect("create response")
}

/// Where a proxy cuts a connection.
#[derive(Debug, Clone, Copy)]
pub enum Cut {
    /// After this many bytes from the client.
    Request(usize),
    /// After this many bytes of the hub's answer.
    Response(usize),
    /// After this many bytes from the client over the whole connection (its requests one
    /// after another).
    Upstream(usize),
    /// After this many bytes from the hub over the whole connection.
    Downstream(usize),
}

/// A loopback TCP proxy to `target` that cuts each connection as `cut` says (a patchy link).
pub struct CuttingProxy {
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl CuttingProxy {
    pub fn start(target: SocketAddr, cut: Cut) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        std::thread::spawn(move || relay(client, target, cut));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        CuttingProxy {
            url: format!("http://{addr}"),
            stop,
        }
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Copies `from` to `to` until `limit` bytes (then drops both directions) or the end.
fn pipe(mut from: TcpStream, mut to: TcpStream, limit: Option<usize>) {
    let mut buf = [0u8; 8192];
    let mut sent = 0usize;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let n = match limit {
            Some(l) if sent + n >= l => {
                let _ = to.write_all(&buf[..l - sent]);
                let _ = to.shutdown(std::net::Shutdown::Both);
                let _ = from.shutdown(std::net::Shutdown::Both);
                return;
            }
            _ => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n;
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

fn relay(mut client: TcpStream, target: SocketAddr, cut: Cut) {
    let _ = client.set_nonblocking(false);
    if let Cut::Upstream(_) | Cut::Downstream(_) = cut {
        let Ok(hub) = TcpStream::connect(target) else { return };
        let (up, down) = match cut {
            Cut::Upstream(n) => (Some(n), None),
            Cut::Downstream(n) => (None, Some(n)),
            _ => unreachable!(),
        };
        let (Ok(c2), Ok(h2)) = (client.try_clone(), hub.try_clone()) else { return };
        let t = std::thread::spawn(move || pipe(c2, h2, up));
        pipe(hub, client, down);
        let _ = t.join();
        return;
    }
    let Ok(mut hub) = TcpStream::connect(target) else {
        return;
    };
    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = hub.set_read_timeout(Some(Duration::from_secs(5)));
    // Client → hub, until the request is complete (headers + Content-Length) or the cut.
    let mut req = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        req.extend_from_slice(&buf[..n]);
        if let Cut::Request(limit) = cut {
            if req.len() >= limit {
                let _ = hub.write_all(&req[..limit]);
                return; // both sockets dropped mid-request
            }
        }
        if request_complete(&req) {
            break;
        }
    }
    if hub.write_all(&req).is_err() {
        return;
    }
    // Later requests on a kept-alive connection pass through untouched.
    if let (Ok(mut c), Ok(mut h)) = (client.try_clone(), hub.try_clone()) {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut c, &mut h);
        });
    }
    let mut sent = 0usize;
    loop {
        let n = match hub.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Cut::Response(limit) = cut {
            if sent + n >= limit {
                let _ = client.write_all(&buf[..limit - sent]);
                return;
            }
        }
        if client.write_all(&buf[..n]).is_err() {
            return;
        }
        sent += n;
    }
}

fn request_complete(req: &[u8]) -> bool {
    let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&req[..end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    req.len() >= end + 4 + len
}
