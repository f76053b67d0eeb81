//! The round-trip loop of a sync, over any [`Transport`]: [`Store::sync_with`] builds each
//! request with the [`SyncEngine`], hands its encoded frame to the transport, and applies the
//! answer, until both sides have everything. The transport only moves bytes: HTTP to a hub
//! (`client::HttpTransport`, feature `client`), or a hub store in the same process
//! ([`InProcess`], for tests and tools).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::engine::{SyncEngine, SyncProgress, SyncReport, BATCH_BYTES, BATCH_DOCS};
use crate::policy::PeerInfo;
use super::protocol::RejectCode;
use super::wire::{decode, decode_limited, encode, Limits, SyncResponse};
use crate::{Error, Result, Store};

/// Longest sync session, in round trips (a guard against a peer that always says "more").
pub const MAX_ROUNDS: u32 = 10_000;

/// Moves one encoded sync request to a hub and brings back its answer.
pub trait Transport {
    /// Sends `request` (a `wire` frame) and returns the hub's answer (a `wire` frame).
    fn round_trip(&mut self, request: &[u8]) -> std::result::Result<Vec<u8>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn round_trip(&mut self, request: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        (**self).round_trip(request)
    }
}

/// Why a round trip brought back no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The hub could not be reached, or the connection broke before the whole answer came:
    /// retry later; the hub applies a repeated request at most once.
    #[error("{0}")]
    Unreachable(String),
    /// The hub answered with a refusal: its HTTP status, its machine code (from the status
    /// when an older hub sent none) and its message.
    #[error("the hub refused the request ({status}, {code}): {message}")]
    Refused { status: u16, code: RejectCode, message: String },
}

impl TransportError {
    /// A refusal with the status `code` goes with.
    pub fn refused(code: RejectCode, message: impl Into<String>) -> TransportError {
        TransportError::Refused { status: code.status(), code, message: message.into() }
    }

    /// Whether the same request may succeed later.
    pub fn retryable(&self) -> bool {
        match self {
            TransportError::Unreachable(_) => true,
            TransportError::Refused { code, .. } => code.retryable(),
        }
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Error {
        match e {
            TransportError::Unreachable(msg) => Error::Network(msg),
            TransportError::Refused { status, code, message } => code.into_error(status, message),
        }
    }
}

/// How to run a sync.
pub struct SyncOptions<'a> {
    /// Called after every round trip.
    pub progress: Option<&'a (dyn Fn(&SyncProgress) + Sync)>,
    /// Set to stop between round trips; what was acknowledged so far is kept.
    pub cancel: Option<&'a AtomicBool>,
    /// Per-request timeout of a network transport (a patchy 2G link needs a long one).
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
            batch_docs: BATCH_DOCS,
            batch_bytes: BATCH_BYTES,
        }
    }
}

impl Store {
    /// Syncs with the hub behind `transport`: runs round trips until both sides have
    /// everything, or until cancelled. Every answer is applied before the next request is
    /// built, so an error or a cancel keeps everything acknowledged so far.
    pub fn sync_with<T: Transport + ?Sized>(&self, transport: &mut T, opts: &SyncOptions<'_>) -> Result<SyncReport> {
        let out = self.sync_rounds(transport, opts);
        // Remembered for the sync status screens; a failure to note it must not hide the outcome.
        if let Err(e) = self.note_sync_outcome(&out) {
            tracing::warn!(error = %e, "could not keep the sync's outcome");
        }
        out
    }

    fn sync_rounds<T: Transport + ?Sized>(&self, transport: &mut T, opts: &SyncOptions<'_>) -> Result<SyncReport> {
        let mut engine = SyncEngine::new(self).with_request_limits(opts.batch_docs, opts.batch_bytes);
        let mut rounds = 0;
        while let Some(req) = engine.next_request()? {
            if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Cancelled);
            }
            rounds += 1;
            if rounds > MAX_ROUNDS {
                return Err(Error::Network("the hub kept asking for more; stopped".into()));
            }
            let body = encode(&req)?;
            let answer = transport.round_trip(&body)?;
            let resp: SyncResponse = decode(&answer)?;
            engine.handle_response(resp, body.len() as u64, answer.len() as u64)?;
            if let Some(p) = opts.progress {
                p(engine.progress());
            }
        }
        Ok(engine.finish())
    }
}

/// A hub store answering in the same process, as the hub's HTTP layer would: the request is
/// decoded under the limits of the hub's body limit, served for `peer`, and the answer encoded;
/// what the hub refuses comes back as the same [`RejectCode`]. For tests, benchmarks and tools.
pub struct InProcess<'a> {
    hub: &'a Store,
    peer: PeerInfo,
    limits: Limits,
    /// Each round trip's request and answer sizes, in bytes, in order.
    pub frames: Vec<(usize, usize)>,
}

impl<'a> InProcess<'a> {
    /// `hub` serving `peer` (the hub must have serving enabled, as `sangam-hub` does).
    pub fn new(hub: &'a Store, peer: &PeerInfo) -> Self {
        InProcess { hub, peer: peer.clone(), limits: Limits::default(), frames: Vec::new() }
    }

    /// Decodes requests under the limits of a hub that takes bodies of at most `max_body` bytes.
    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.limits = Limits::for_body(max_body);
        self
    }
}

impl Transport for InProcess<'_> {
    fn round_trip(&mut self, request: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        let req = decode_limited(request, &self.limits)
            .map_err(|e| TransportError::refused(RejectCode::for_undecodable(request), e.to_string()))?;
        let (resp, _) = self
            .hub
            .serve_sync(&self.peer, &req)
            .map_err(|e| TransportError::refused(RejectCode::for_serve_error(&e), e.to_string()))?;
        let answer = encode(&resp).map_err(|e| TransportError::refused(RejectCode::ServerError, e.to_string()))?;
        self.frames.push((request.len(), answer.len()));
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::wire::{SyncRequest, PROTOCOL_VERSION};
    use crate::{Identity, NewResponse, Role};

    fn hub() -> Store {
        let h = Store::open_in_memory(Identity::new("hub", "Hub", Role::Admin)).unwrap();
        h.enable_serving().unwrap();
        h
    }

    #[test]
    fn a_sync_runs_over_the_in_process_transport_and_counts_its_frames() {
        let h = hub();
        let peer = PeerInfo::new("p", Role::FieldWorker, vec!["S".into()]);
        let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
        let id = phone
            .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
            .unwrap();
        let mut t = InProcess::new(&h, &peer);
        let report = phone.sync_with(&mut t, &SyncOptions::default()).unwrap();
        assert_eq!(report.progress.docs_sent, 1);
        assert_eq!(report.progress.round_trips as usize, t.frames.len());
        let sent: usize = t.frames.iter().map(|f| f.0).sum();
        assert_eq!(report.progress.bytes_sent, sent as u64);
        assert!(h.summary(&id).is_ok());
    }

    #[test]
    fn refusals_become_the_errors_a_hub_over_http_gives() {
        let h = hub();
        let peer = PeerInfo::new("p", Role::FieldWorker, vec!["S".into()]);
        let mut t = InProcess::new(&h, &peer);
        let mut frame = encode(&SyncRequest::default()).unwrap();
        frame[4..6].copy_from_slice(&(PROTOCOL_VERSION + 1).to_le_bytes());
        let e = t.round_trip(&frame).unwrap_err();
        assert!(matches!(e, TransportError::Refused { status: 400, code: RejectCode::VersionTooNew, .. }), "{e}");
        assert!(!e.retryable());
        assert!(matches!(Error::from(e), Error::Incompatible(_)));
        let e = t.round_trip(b"junk").unwrap_err();
        assert!(matches!(Error::from(e), Error::InvalidInput(_)));
        assert!(TransportError::Unreachable("cut".into()).retryable());
        assert!(matches!(Error::from(TransportError::Unreachable("cut".into())), Error::Network(_)));
    }

    #[test]
    fn a_cancelled_sync_stops_before_its_first_round_trip() {
        let h = hub();
        let peer = PeerInfo::new("p", Role::FieldWorker, vec!["S".into()]);
        let phone = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
        let cancel = AtomicBool::new(true);
        let mut t = InProcess::new(&h, &peer);
        let e = phone.sync_with(&mut t, &SyncOptions { cancel: Some(&cancel), ..Default::default() }).unwrap_err();
        assert!(matches!(e, Error::Cancelled));
        assert!(t.frames.is_empty());
    }
}
