//! The hub's HTTP server: `POST /v1/sync`, `GET /healthz`, `GET /metrics` (the names are
//! `sangam_core::sync::protocol`'s).
//!
//! The server only authenticates, enforces limits and moves bytes; everything about records is
//! `sangam-core` (`Store::serve_sync`), run on blocking threads. Bad input never produces a 5xx:
//! unknown or revoked tokens get 401, malformed or wrong-version bodies 400, oversized ones
//! 413, a device already syncing twice 429, each with a JSON `{"error": "...", "code": "..."}`
//! that says what to do, and the same machine code (`RejectCode`) in the `X-Sangam-Error`
//! header, which clients act on.
//!
//! Connection hygiene (see `docs/LIMITS.md`): a connection that has not sent a complete request
//! head within [`HEADER_READ_TIMEOUT`] (idle, or sending headers slowly) is closed; a body that
//! stalls for [`BODY_IDLE_TIMEOUT`] is dropped; each device has at most
//! [`SYNCS_PER_DEVICE`] requests in flight; and one of the [`CONCURRENT_SYNCS`] permits is taken
//! only once the body is read, so slow uploads never hold up other devices. Pushed bodies
//! decompress to at most four times `--max-body-mib`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::Ordering::Relaxed;

use sangam_core::sync::protocol::{self, RejectCode};
use sangam_core::sync::wire::{decode_limited, encode, Limits, SyncRequest};
use sangam_core::{Error as CoreError, Store};

use crate::devices::Devices;
use crate::metrics::Metrics;
use crate::{open_store, HubError};

/// How to run a hub.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub data: PathBuf,
    pub listen: SocketAddr,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Most records pushed in one request.
    pub max_docs: usize,
    /// An upstream hub to sync with (URL, token), for district → state → national.
    pub upstream: Option<(String, String)>,
    pub upstream_interval: Duration,
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Largest media file taken, in bytes.
    pub max_media: u64,
    /// Media bytes one enrolment's devices may keep here.
    pub media_quota: u64,
}

impl HubConfig {
    pub fn new(data: PathBuf) -> Self {
        HubConfig {
            data,
            listen: "127.0.0.1:8787".parse().expect("valid address"),
            max_body: 32 * 1024 * 1024,
            max_docs: sangam_core::sync::serve::MAX_DOCS_PER_REQUEST,
            upstream: None,
            upstream_interval: Duration::from_secs(30),
            tls: None,
            max_media: sangam_core::media::MAX_MEDIA_BYTES,
            media_quota: 2 * 1024 * 1024 * 1024,
        }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<Store>,
    pub(crate) devices: Arc<Devices>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) config: Arc<HubConfig>,
    /// Requests decoded and served at once. The store serialises writes anyway; waiting here
    /// bounds the memory of decoded requests when hundreds of phones arrive together.
    gate: Arc<tokio::sync::Semaphore>,
    pub(crate) inflight: Arc<InFlight>,
}

/// Sync requests decoded and served at once (bodies already read).
pub const CONCURRENT_SYNCS: usize = 4;
/// Requests one device may have in flight (reading, waiting or being served).
pub const SYNCS_PER_DEVICE: usize = 2;
/// A connection must send a whole request head within this long, also between requests on a
/// kept-alive connection.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A request body that sends nothing for this long is dropped.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a whole body may take (a 32 MiB body at 2G's 50 kbit/s takes about 90 minutes;
/// phones send far smaller batches).
pub const BODY_TOTAL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Requests in flight per device.
#[derive(Default)]
pub(crate) struct InFlight(std::sync::Mutex<std::collections::HashMap<String, usize>>);

/// One request's slot in [`InFlight`], given back when dropped.
pub(crate) struct Slot {
    map: Arc<InFlight>,
    name: String,
}

impl InFlight {
    pub(crate) fn take(self: &Arc<Self>, name: &str) -> Option<Slot> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(name.to_string()).or_insert(0);
        if *n >= SYNCS_PER_DEVICE {
            return None;
        }
        *n += 1;
        Some(Slot {
            map: self.clone(),
            name: name.to_string(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = self.map.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.name) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.name);
            }
        }
    }
}

enum BodyError {
    TooBig,
    Broken,
}

/// Reads a request body of at most `limit` bytes. An over-limit body is still read to its end
/// (and thrown away, within bounds), because a client that sends its whole body before reading
/// the answer would otherwise see a broken pipe instead of the 413 and its message.
async fn read_bounded(
    mut body: Body,
    limit: usize,
    declared: Option<usize>,
) -> Result<Bytes, BodyError> {
    use axum::body::HttpBody;
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    let mut too_big = declared.is_some_and(|n| n > limit);
    let mut seen = 0usize;
    let drain_cap = limit.saturating_mul(4).max(64 * 1024 * 1024);
    let deadline = tokio::time::sleep(BODY_TOTAL_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        let frame = tokio::select! {
            f = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)) => f,
            _ = tokio::time::sleep(BODY_IDLE_TIMEOUT) => return Err(if too_big { BodyError::TooBig } else { BodyError::Broken }),
            _ = &mut deadline => return Err(if too_big { BodyError::TooBig } else { BodyError::Broken }),
        };
        let Some(frame) = frame else { break };
        let Ok(frame) = frame else {
            return Err(if too_big {
                BodyError::TooBig
            } else {
                BodyError::Broken
            });
        };
        let Some(data) = frame.data_ref() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > limit {
            too_big = true;
            buf = Vec::new();
        }
        if too_big {
            if seen > drain_cap {
                return Err(BodyError::TooBig);
            }
            continue;
        }
        buf.extend_from_slice(data);
    }
    if too_big {
        return Err(BodyError::TooBig);
    }
    Ok(Bytes::from(buf))
}

/// A refusal: the status of `code`, the code in a header and in the JSON body, and a message
/// that says what to do (see `sangam_core::sync::protocol::RejectCode`).
pub(crate) fn refuse(code: RejectCode, msg: impl Into<String>) -> Response {
    refuse_with(code, msg, &[])
}

fn refuse_with(code: RejectCode, msg: impl Into<String>, extra: &[(header::HeaderName, &'static str)]) -> Response {
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = protocol::Refusal::new(code, msg).to_json();
    let mut resp = (status, [(header::CONTENT_TYPE, protocol::ERROR_CONTENT_TYPE)], body).into_response();
    let headers = resp.headers_mut();
    if let Ok(name) = header::HeaderName::try_from(protocol::ERROR_CODE_HEADER) {
        headers.insert(name, header::HeaderValue::from_static(code.as_str()));
    }
    for (name, value) in extra {
        headers.insert(name.clone(), header::HeaderValue::from_static(value));
    }
    resp
}

/// Runs the hub until Ctrl-C or SIGTERM. Prints `listening on URL` once it accepts connections.
pub async fn serve(config: HubConfig) -> Result<(), HubError> {
    serve_until(config, shutdown_signal(), None).await
}

/// Runs the hub until `stop` completes; sends the bound address on `ready`.
pub async fn serve_until(
    config: HubConfig,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> Result<(), HubError> {
    let store = Arc::new(open_store(&config.data)?);
    let devices = Arc::new(Devices::open(&config.data)?);
    let metrics = Arc::new(Metrics::default());
    let config = Arc::new(config);
    let state = AppState {
        store: store.clone(),
        devices,
        metrics: metrics.clone(),
        config: config.clone(),
        gate: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_SYNCS)),
        inflight: Arc::new(InFlight::default()),
    };
    let console = crate::console::router(&config.data, state.devices.clone(), config.tls.is_some(), config.listen.ip().is_loopback())?;
    let app = Router::new()
        .route(protocol::SYNC_PATH, post(sync))
        .route(protocol::HEALTH_PATH, get(|| async { "ok\n" }))
        .route(protocol::METRICS_PATH, get(metrics_text))
        .route(sangam_core::sync::media::STATUS_PATH, post(crate::media::status).layer(DefaultBodyLimit::max(256 * 1024)))
        .route("/v1/media/{name}", axum::routing::put(crate::media::upload).get(crate::media::download))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
        .merge(console.layer(DefaultBodyLimit::max(1024 * 1024)));

    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(async move {
        stop.await;
        tracing::info!("shutting down");
        shutdown.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    // Media no record refers to any more goes after its grace period; checked hourly.
    {
        let store = store.clone();
        tokio::spawn(async move {
            loop {
                let s = store.clone();
                match tokio::task::spawn_blocking(move || s.collect_media()).await {
                    Ok(Ok(c)) if c.files + c.stale_partial > 0 => {
                        tracing::info!(files = c.files, partial = c.stale_partial, bytes = c.bytes, "unreferenced media collected")
                    }
                    Ok(Err(e)) => tracing::warn!(error = %e, "media collection failed"),
                    _ => {}
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        });
    }
    if let Some((url, token)) = config.upstream.clone() {
        tokio::spawn(crate::upstream::run(
            store.clone(),
            url,
            token,
            config.upstream_interval,
            metrics.clone(),
        ));
    }
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    if config.tls.is_none() && !config.listen.ip().is_loopback() {
        tracing::warn!("!!! serving WITHOUT TLS on {} — tokens and survey data cross the network in clear text. Use --tls-cert/--tls-key, or keep the hub on a trusted office LAN only. !!!", config.listen);
        eprintln!("WARNING: serving without TLS on {}: tokens and data travel in clear text; use --tls-cert and --tls-key", config.listen);
    }
    let announce = handle.clone();
    tokio::spawn(async move {
        if let Some(addr) = announce.listening().await {
            if ready.is_none() {
                println!("listening on {scheme}://{addr}");
            }
            tracing::info!(%addr, "listening");
            if let Some(tx) = ready {
                let _ = tx.send(addr);
            }
        }
    });
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    match &config.tls {
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| {
                    HubError::Usage(format!("cannot load the TLS certificate or key: {e}"))
                })?;
            // axum-server closes a TLS handshake that takes over 10 s; then the request must start.
            let acceptor = crate::conn::Guarded {
                inner: axum_server::tls_rustls::RustlsAcceptor::new(tls),
                timeout: HEADER_READ_TIMEOUT,
            };
            let mut server = axum_server::bind(config.listen).acceptor(acceptor);
            timeouts(server.http_builder());
            server.handle(handle).serve(service).await?;
        }
        None => {
            let acceptor = crate::conn::Guarded {
                inner: axum_server::accept::DefaultAcceptor,
                timeout: HEADER_READ_TIMEOUT,
            };
            let mut server = axum_server::bind(config.listen).acceptor(acceptor);
            timeouts(server.http_builder());
            server.handle(handle).serve(service).await?;
        }
    }
    store.checkpoint().ok();
    Ok(())
}

/// Closes connections that idle or send their request head too slowly (HTTP/1), and those
/// that stop answering pings (HTTP/2).
fn timeouts(b: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>) {
    b.http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    b.http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(HEADER_READ_TIMEOUT);
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The metrics tell the activity of every scope, so only an enrolled admin device may read
/// them (a Prometheus scraper is enrolled with `device add --role admin`).
async fn metrics_text(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return refuse(
            RejectCode::Unauthorized,
            "missing 'Authorization: Bearer <token>' of an admin device",
        );
    };
    let devices = s.devices.clone();
    match tokio::task::spawn_blocking(move || devices.authenticate(&token)).await {
        Ok(Ok(Some(p))) if p.role == sangam_core::Role::Admin => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            s.metrics.render(),
        )
            .into_response(),
        Ok(Ok(Some(_))) => refuse(
            RejectCode::Forbidden,
            "only an admin device may read the hub's metrics",
        ),
        Ok(Ok(None)) => refuse(RejectCode::Unauthorized, "unknown or revoked device token"),
        _ => refuse(
            RejectCode::ServerError,
            "the hub's device registry failed",
        ),
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(protocol::AUTHORIZATION_HEADER)?.to_str().ok()?;
    protocol::bearer_token(v).map(str::to_string)
}

async fn sync(State(s): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let start = Instant::now();
    let resp = sync_inner(&s, headers, body).await;
    let status = resp.status();
    let m = &s.metrics;
    match status.as_u16() {
        200 => m.requests_ok.fetch_add(1, Relaxed),
        401 => m.requests_unauthorized.fetch_add(1, Relaxed),
        400..=499 => m.requests_client_error.fetch_add(1, Relaxed),
        _ => m.requests_server_error.fetch_add(1, Relaxed),
    };
    m.observe(start.elapsed());
    resp
}

async fn sync_inner(s: &AppState, headers: HeaderMap, body: Body) -> Response {
    let Some(token) = bearer(&headers) else {
        return refuse(RejectCode::Unauthorized, "missing 'Authorization: Bearer <token>'; enrol this device with 'sangam-hub device add'");
    };
    let devices = s.devices.clone();
    let peer = match tokio::task::spawn_blocking(move || devices.authenticate(&token)).await {
        Ok(Ok(Some(p))) => p,
        Ok(Ok(None)) => {
            return refuse(RejectCode::Unauthorized, "unknown or revoked device token")
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "device registry failed");
            return refuse(
                RejectCode::ServerError,
                "the hub's device registry failed",
            );
        }
        Err(_) => return refuse(RejectCode::ServerError, "internal error"),
    };
    let Some(_slot) = s.inflight.take(&peer.name) else {
        return refuse_with(
            RejectCode::RateLimited,
            format!("this device already has {SYNCS_PER_DEVICE} syncs in progress; retry when they finish"),
            &[(header::RETRY_AFTER, "5")],
        );
    };
    let limit = s.config.max_body;
    let too_big = || {
        refuse(
            RejectCode::TooLarge,
            format!(
                "request body over the hub's limit of {} bytes; sync in smaller batches",
                limit
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let bytes: Bytes = match read_bounded(body, limit, declared).await {
        Ok(b) => b,
        Err(BodyError::TooBig) => return too_big(),
        Err(BodyError::Broken) => {
            return refuse(
                RejectCode::BadRequest,
                "the request body could not be read in full",
            )
        }
    };
    s.metrics.bytes_in.fetch_add(bytes.len() as u64, Relaxed);
    // The body is in: only now wait for a permit, so a slow upload holds no one up.
    let Ok(_permit) = s.gate.acquire().await else {
        return refuse(
            RejectCode::Busy,
            "the hub is shutting down; retry later",
        );
    };
    let req: SyncRequest = match decode_limited(&bytes, &Limits::for_body(limit)) {
        Ok(r) => r,
        // Another protocol version is told apart from a malformed body, so the device can say
        // which side to update.
        Err(e) => return refuse(RejectCode::for_undecodable(&bytes), e.to_string()),
    };
    let pushed = req.push.len() + req.push_whole.count as usize;
    if pushed > s.config.max_docs {
        return refuse(
            RejectCode::TooLarge,
            format!(
                "{pushed} records in one request; the hub takes at most {}",
                s.config.max_docs
            ),
        );
    }
    // Which device this is: its key, proven by its signature of this very request (sent until
    // this hub has registered the key), or the key this hub registered for it; the device id,
    // derived from the key, is bound to this enrolment for good, so that every change is
    // checked against the device that made it (see sangam_core::policy).
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let peer = match header(protocol::PROOF_HEADER) {
        Some(proof) => match protocol::check_device_proof(header(protocol::DEVICE_HEADER), Some(proof), &bytes) {
            Ok(key) => peer.with_key(key),
            Err(reason) => return refuse(RejectCode::BadRequest, reason),
        },
        None => {
            let Some(device) = protocol::device_header(header(protocol::DEVICE_HEADER)) else {
                return refuse(
                    RejectCode::BadRequest,
                    format!("missing or malformed '{}' header (32 hex digits); update the app", protocol::DEVICE_HEADER),
                );
            };
            let store = s.store.clone();
            let bound = tokio::task::spawn_blocking(move || store.device_binding(&device)).await.ok().flatten();
            match bound {
                Some(b) if b.name == peer.name && b.key.is_some() => {
                    let key = b.key.expect("checked");
                    peer.with_key(key)
                }
                Some(b) if b.name != peer.name => {
                    return refuse(
                        RejectCode::Forbidden,
                        format!("device {} is enrolled as '{}', not '{}'; each phone syncs with its own enrolment", hex::encode(device), b.name, peer.name),
                    )
                }
                _ => {
                    return refuse(
                        RejectCode::ProofRequired,
                        format!("this hub has not registered this device's key: send the request with its '{}'", protocol::PROOF_HEADER),
                    )
                }
            }
        }
    };
    let store = s.store.clone();
    let peer_name = peer.name.clone();
    let served = tokio::task::spawn_blocking(move || store.serve_sync(&peer, &req)).await;
    let out = match served {
        Ok(v) => v,
        Err(_) => return refuse(RejectCode::ServerError, "internal error"),
    };
    let (resp, stats) = match out {
        Ok(v) => v,
        Err(e) if RejectCode::for_serve_error(&e) != RejectCode::ServerError => {
            let code = RejectCode::for_serve_error(&e);
            let msg = match e {
                CoreError::InvalidInput(msg) | CoreError::Forbidden(msg) => msg,
                e => e.to_string(),
            };
            return refuse(code, msg);
        }
        Err(e) => {
            tracing::error!(device = %peer_name, error = %e, "sync failed");
            return refuse(
                RejectCode::ServerError,
                "the hub could not store this batch; nothing was lost, retry later",
            );
        }
    };
    // Payloads that made the document library fail are kept for inspection.
    for (_, bytes) in &stats.library_failed {
        quarantine(&s.config.data, &peer_name, bytes);
        s.metrics.quarantined.fetch_add(1, Relaxed);
    }
    s.metrics.docs_in.fetch_add(stats.docs_in, Relaxed);
    s.metrics.docs_out.fetch_add(stats.docs_out, Relaxed);
    s.metrics.rejections.fetch_add(stats.rejected, Relaxed);
    tracing::info!(device = %peer_name, pushed, docs_in = stats.docs_in, docs_out = stats.docs_out, rejected = stats.rejected, "sync");
    match encode(&resp) {
        Ok(out) => {
            s.metrics.bytes_out.fetch_add(out.len() as u64, Relaxed);
            ([(header::CONTENT_TYPE, protocol::CONTENT_TYPE)], out).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "encoding the response failed");
            refuse(RejectCode::ServerError, "internal error")
        }
    }
}

fn quarantine(data: &std::path::Path, device: &str, bytes: &[u8]) {
    let dir = data.join("quarantine");
    let name = format!(
        "{}-{}.bin",
        sangam_core::now_ms(),
        device
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
    );
    if let Err(e) = crate::datakey::write_private(&dir.join(&name), bytes) {
        tracing::error!(error = %e, "could not quarantine a payload");
    } else {
        tracing::warn!(file = %name, "payload quarantined");
    }
}
