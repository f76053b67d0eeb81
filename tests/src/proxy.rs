//! A loopback TCP proxy that counts bytes each way and can shape the link like a slow mobile
//! network (one-way delay plus bandwidth per direction), for benchmarks.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Link shape: delay each way and bytes per second each way.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub one_way: Duration,
    pub up_bytes_per_sec: f64,
    pub down_bytes_per_sec: f64,
}

impl Shape {
    /// "Regular 2G": 300 ms RTT, 50 kbit/s up, 250 kbit/s down.
    pub fn regular_2g() -> Shape {
        Shape { one_way: Duration::from_millis(150), up_bytes_per_sec: 50_000.0 / 8.0, down_bytes_per_sec: 250_000.0 / 8.0 }
    }
}

/// Bytes that crossed the proxy, each way, and connections opened.
#[derive(Default)]
pub struct Counters {
    pub up: AtomicU64,
    pub down: AtomicU64,
    pub connections: AtomicU64,
}

pub struct Proxy {
    pub url: String,
    pub counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    /// Whether the shape applies now (it can be switched on and off, even mid-connection).
    shaped: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(target: SocketAddr, shape: Option<Shape>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let shaped = Arc::new(AtomicBool::new(true));
        let counters = Arc::new(Counters::default());
        let (stop2, c2, shaped2) = (stop.clone(), counters.clone(), shaped.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        c2.connections.fetch_add(1, Ordering::Relaxed);
                        let (c3, s3) = (c2.clone(), shaped2.clone());
                        std::thread::spawn(move || relay(client, target, shape, s3, c3));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Proxy { url: format!("http://{addr}"), counters, stop, shaped }
    }

    /// Switches the link's shape on or off (the same address, as a phone moving between a
    /// LAN and a mobile network keeps talking to one hub).
    pub fn set_shaped(&self, on: bool) {
        self.shaped.store(on, Ordering::Relaxed);
    }

    pub fn take(&self) -> (u64, u64) {
        (self.counters.up.swap(0, Ordering::Relaxed), self.counters.down.swap(0, Ordering::Relaxed))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn relay(client: TcpStream, target: SocketAddr, shape: Option<Shape>, shaped: Arc<AtomicBool>, counters: Arc<Counters>) {
    let _ = client.set_nonblocking(false);
    let _ = client.set_nodelay(true);
    let Ok(hub) = TcpStream::connect(target) else { return };
    let _ = hub.set_nodelay(true);
    let (Ok(c2), Ok(h2)) = (client.try_clone(), hub.try_clone()) else { return };
    let (up, shaped_up) = (counters.clone(), shaped.clone());
    let t = std::thread::spawn(move || pump(client, hub, shape.map(|s| (s.one_way, s.up_bytes_per_sec)), &shaped_up, &up.up));
    pump(h2, c2, shape.map(|s| (s.one_way, s.down_bytes_per_sec)), &shaped, &counters.down);
    let _ = t.join();
}

/// Copies `from` → `to`. With a shape, each chunk leaves no earlier than its arrival plus the
/// one-way delay, and no faster than the bandwidth allows.
fn pump(mut from: TcpStream, mut to: TcpStream, shape: Option<(Duration, f64)>, shaped: &AtomicBool, count: &AtomicU64) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut link_free = Instant::now();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        count.fetch_add(n as u64, Ordering::Relaxed);
        if let Some((delay, rate)) = shape.filter(|_| shaped.load(Ordering::Relaxed)) {
            let arrived = Instant::now();
            let start = link_free.max(arrived);
            let done = start + Duration::from_secs_f64(n as f64 / rate);
            link_free = done;
            let due = done.max(arrived + delay);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}
