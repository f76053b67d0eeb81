//! A day's work with photos over Regular 2G (300 ms RTT, 50 kbit/s up): N responses, each
//! with one 150 KB photo (random bytes: as incompressible as a JPEG), pushed by a phone through
//! the byte-counting proxy to a real hub process. Prints the records' time and bytes (they go
//! first: the hub has every answer before the first photo leaves), the photos' time and wire
//! overhead over their raw bytes, and what a cut upload re-sends when it resumes.
//!
//! `cargo bench -p sangam-tests --bench media` (N = `SANGAM_BENCH_PHOTOS`, default 40; at 50
//! kbit/s up, 40 photos take about 16 minutes of link time).

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use sangam_core::record::media::AnswerAt;
use sangam_core::sync::media::MediaOptions;
use sangam_core::Role;
use sangam_tests::proxy::{Proxy, Shape};
use sangam_tests::{enrol, households, response, Cut, CuttingProxy, Hub, Phone};

const EXE: &str = env!("CARGO_BIN_EXE_hub-under-test");
const PHOTO: usize = 150_000;

fn main() {
    let n: usize = std::env::var("SANGAM_BENCH_PHOTOS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let token = enrol(EXE, &data, "fw1", "field-worker", &["UP-SIT"]);
    let hub = Hub::start(EXE, &data);
    let addr: std::net::SocketAddr = hub.url.trim_start_matches("http://").parse().unwrap();
    let phone = Phone::new(dir.path(), "fw1", Role::FieldWorker, token);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    for i in 0..n {
        let id = households::save_household(&phone.store, "UP-SIT", i).unwrap();
        let photo: Vec<u8> = (0..PHOTO).map(|_| rng.gen()).collect();
        phone.store.attach_media(&id, AnswerAt::Top, "photo", &photo, "jpg", Some("image/jpeg")).unwrap();
    }
    let raw = (n * PHOTO) as u64;
    let proxy = Proxy::start(addr, Some(Shape::regular_2g()));

    let t = Instant::now();
    phone.sync(&proxy.url).unwrap();
    let records_s = t.elapsed().as_secs_f64();
    let (rec_up, rec_down) = proxy.take();

    let opts = MediaOptions { timeout: Duration::from_secs(600), ..Default::default() };
    let t = Instant::now();
    let report = phone.store.sync_media(&proxy.url, &phone.token, &opts).unwrap();
    let media_s = t.elapsed().as_secs_f64();
    let (up, down) = proxy.take();
    assert_eq!(report.uploaded as usize, n, "{report:?}");
    let overhead = (up + down) as f64 / raw as f64 - 1.0;

    println!("media over Regular 2G (50 kbit/s up, 250 kbit/s down, 300 ms RTT), {n} responses with one {PHOTO}-byte photo each:");
    println!("  records first:  {records_s:.1} s, {rec_up} B up, {rec_down} B down (every answer at the hub before any photo)");
    println!("  photos after:   {media_s:.1} s, {up} B up, {down} B down for {raw} B of photos: wire overhead {:.2}%", overhead * 100.0);
    println!("  total:          {:.1} s", records_s + media_s);

    // A connection cut mid-file: the client asks where the hub's copy ends and sends the
    // rest. Every byte that crosses the cut is counted (a counting proxy behind the cutter).
    let id = response(&phone.store, "UP-SIT");
    let audio: Vec<u8> = (0..2 * 1024 * 1024).map(|_| rng.gen()).collect();
    phone.store.attach_media(&id, AnswerAt::Top, "audio", &audio, "m4a", Some("audio/mp4")).unwrap();
    phone.sync(&hub.url).unwrap();
    let counter = Proxy::start(addr, None);
    let behind: std::net::SocketAddr = counter.url.trim_start_matches("http://").parse().unwrap();
    let cut = 1_500_000;
    let cutter = CuttingProxy::start(behind, Cut::Upstream(cut));
    let report = phone.store.sync_media(&cutter.url, &phone.token, &opts).unwrap();
    assert_eq!(report.uploaded, 1, "{report:?}");
    let (crossed, _) = counter.take();
    println!(
        "  a {} B upload cut after {cut} B of its connection: completed by the retry; {crossed} B crossed in all, {} B more than the file (request heads and the part of the last piece in flight; one piece is {} B)",
        audio.len(),
        crossed.saturating_sub(audio.len() as u64),
        sangam_core::media::PIECE_BYTES
    );
}
