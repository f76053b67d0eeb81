//! A blocking HTTP transport for sync (feature `client`): phones and upstream-syncing hubs call
//! [`Store::sync`] and get a report. TLS is rustls; one agent (connection reuse) per sync.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::engine::{SyncEngine, SyncProgress, SyncReport};
use super::wire::{decode, encode, SyncResponse, MAX_DECODED_BYTES};
use crate::{Error, Result, Store};

/// Longest sync session, in round trips (a guard against a peer that always says "more").
const MAX_ROUNDS: u32 = 10_000;

/// How to run a sync.
pub struct SyncOptions<'a> {
    /// Called after every round trip.
    pub progress: Option<&'a (dyn Fn(&SyncProgress) + Sync)>,
    /// Set to stop between round trips; what was acknowledged so far is kept.
    pub cancel: Option<&'a AtomicBool>,
    /// Per-request timeout (a patchy 2G link needs a long one).
    pub timeout: Duration,
    /// Records and change bytes per request.
    pub batch_docs: usize,
    pub batch_bytes: u64,
}

impl Default for SyncOptions<'_> {
    fn default() -> Self {
        SyncOptions {
            progress: None,
            cancel: None,
            timeout: Duration::from_secs(120),
            batch_docs: super::engine::BATCH_DOCS,
            batch_bytes: super::engine::BATCH_BYTES,
        }
    }
}

impl Store {
    /// Syncs with the hub at `hub_url` (e.g. `http://192.168.1.10:8787`) using this device's
    /// enrolment token. Runs round trips until both sides have everything, or until cancelled.
    pub fn sync(&self, hub_url: &str, token: &str, opts: &SyncOptions<'_>) -> Result<SyncReport> {
        let url = format!("{}/v1/sync", hub_url.trim_end_matches('/'));
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::invalid(
                "the hub address must start with http:// or https://",
            ));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(15))
            .timeout(opts.timeout)
            .user_agent(concat!("sangam/", env!("CARGO_PKG_VERSION")))
            .build();
        let mut engine = SyncEngine::new(self).with_batch(opts.batch_docs, opts.batch_bytes);
        let mut rounds = 0;
        while let Some(req) = engine.next_request()? {
            if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Cancelled);
            }
            rounds += 1;
            if rounds > MAX_ROUNDS {
                return Err(Error::Network(
                    "the hub kept asking for more; stopped".into(),
                ));
            }
            let body = encode(&req)?;
            let (resp, received) = post(&agent, &url, token, &body)?;
            engine.handle_response(resp, body.len() as u64, received)?;
            if let Some(p) = opts.progress {
                p(engine.progress());
            }
        }
        Ok(engine.finish())
    }
}

fn post(agent: &ureq::Agent, url: &str, token: &str, body: &[u8]) -> Result<(SyncResponse, u64)> {
    let result = agent
        .post(url)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", "application/x-sangam-sync")
        .send_bytes(body);
    match result {
        Ok(resp) => {
            let mut buf = Vec::new();
            resp.into_reader()
                .take(MAX_DECODED_BYTES as u64)
                .read_to_end(&mut buf)
                .map_err(|e| {
                    Error::Network(format!("the connection broke while receiving: {e}"))
                })?;
            let n = buf.len() as u64;
            Ok((decode(&buf)?, n))
        }
        Err(ureq::Error::Status(code, resp)) => {
            let text = resp.into_string().unwrap_or_default();
            let msg = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or(text);
            Err(match code {
                401 | 403 => Error::Auth(msg),
                400 | 413 | 422 if msg.contains("version") => Error::Incompatible(msg),
                // Busy: the same device is already syncing; worth retrying.
                429 | 503 => Error::Network(format!("the hub is busy ({code}): {msg}")),
                400..=499 => {
                    Error::InvalidInput(format!("the hub refused the request ({code}): {msg}"))
                }
                _ => Error::Network(format!("the hub failed ({code}): {msg}")),
            })
        }
        Err(ureq::Error::Transport(t)) => Err(Error::Network(format!("cannot reach the hub: {t}"))),
    }
}
