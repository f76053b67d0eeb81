//! Prometheus text metrics: requests, documents in and out, bytes, rejections, errors and
//! latency. Plain atomics; no personal data ever becomes a label.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const BUCKETS_MS: [u64; 10] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

#[derive(Default)]
pub struct Metrics {
    pub requests_ok: AtomicU64,
    pub requests_client_error: AtomicU64,
    pub requests_unauthorized: AtomicU64,
    pub requests_server_error: AtomicU64,
    pub docs_in: AtomicU64,
    pub docs_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub rejections: AtomicU64,
    pub quarantined: AtomicU64,
    pub media_bytes_in: AtomicU64,
    pub media_bytes_out: AtomicU64,
    pub upstream_syncs: AtomicU64,
    pub upstream_failures: AtomicU64,
    latency: [AtomicU64; BUCKETS_MS.len() + 1],
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, d: Duration) {
        let ms = d.as_millis() as u64;
        let i = BUCKETS_MS.iter().position(|b| ms <= *b).unwrap_or(BUCKETS_MS.len());
        self.latency[i].fetch_add(1, Relaxed);
        self.latency_sum_us.fetch_add(d.as_micros() as u64, Relaxed);
        self.latency_count.fetch_add(1, Relaxed);
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let c = |s: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        let _ = writeln!(s, "# HELP sangam_sync_requests_total Sync requests by outcome.\n# TYPE sangam_sync_requests_total counter");
        for (outcome, v) in [
            ("ok", &self.requests_ok),
            ("client_error", &self.requests_client_error),
            ("unauthorized", &self.requests_unauthorized),
            ("server_error", &self.requests_server_error),
        ] {
            let _ = writeln!(s, "sangam_sync_requests_total{{outcome=\"{outcome}\"}} {}", v.load(Relaxed));
        }
        c(&mut s, "sangam_docs_in_total", "Records changed by pushes.", self.docs_in.load(Relaxed));
        c(&mut s, "sangam_docs_out_total", "Records sent in pulls.", self.docs_out.load(Relaxed));
        c(&mut s, "sangam_bytes_in_total", "Request body bytes.", self.bytes_in.load(Relaxed));
        c(&mut s, "sangam_bytes_out_total", "Response body bytes.", self.bytes_out.load(Relaxed));
        c(&mut s, "sangam_rejections_total", "Pushed records refused.", self.rejections.load(Relaxed));
        c(&mut s, "sangam_quarantined_total", "Payloads kept aside for inspection.", self.quarantined.load(Relaxed));
        c(&mut s, "sangam_media_bytes_in_total", "Media file bytes received and stored.", self.media_bytes_in.load(Relaxed));
        c(&mut s, "sangam_media_bytes_out_total", "Media file bytes sent.", self.media_bytes_out.load(Relaxed));
        c(&mut s, "sangam_upstream_syncs_total", "Completed syncs with the upstream hub.", self.upstream_syncs.load(Relaxed));
        c(&mut s, "sangam_upstream_failures_total", "Failed syncs with the upstream hub.", self.upstream_failures.load(Relaxed));
        let _ = writeln!(s, "# HELP sangam_sync_seconds Sync request latency.\n# TYPE sangam_sync_seconds histogram");
        let mut cum = 0;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            cum += self.latency[i].load(Relaxed);
            let _ = writeln!(s, "sangam_sync_seconds_bucket{{le=\"{}\"}} {cum}", *b as f64 / 1000.0);
        }
        cum += self.latency[BUCKETS_MS.len()].load(Relaxed);
        let _ = writeln!(s, "sangam_sync_seconds_bucket{{le=\"+Inf\"}} {cum}");
        let _ = writeln!(s, "sangam_sync_seconds_sum {}", self.latency_sum_us.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(s, "sangam_sync_seconds_count {}", self.latency_count.load(Relaxed));
        s
    }
}
