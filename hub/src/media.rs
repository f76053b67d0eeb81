//! The hub's side of media transfer (`sangam_core::sync::media` has the protocol): status,
//! resumable upload, and download in windows.
//!
//! A device may send or fetch a file only if some record it may see refers to it, so a phone
//! never receives a file of a record outside its scopes, and nothing unreferenced can be
//! parked here. A file must be the size its record gives, at most `--max-media-mib`, and each
//! enrolment's files count against `--media-quota-mib`. An upload is stored piece by piece
//! as the body arrives (a cut connection keeps what came) and is kept only if its bytes hash
//! to its name. Uploads take no sync permit: a slow 2G upload holds up no one's records.

use std::sync::atomic::Ordering::Relaxed;

use axum::body::{Body, HttpBody};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use sangam_core::media::{MediaName, PIECE_BYTES};
use sangam_core::policy::PeerInfo;
use sangam_core::store::Received;
use sangam_core::sync::media::{FileStatus, StatusRequest, StatusResponse, DOWNLOAD_WINDOW, OFFSET_HEADER, SIZE_HEADER, STATUS_NAMES};
use sangam_core::sync::protocol::{self, RejectCode};

use crate::server::{bearer, refuse, AppState, Slot, BODY_IDLE_TIMEOUT, SYNCS_PER_DEVICE};

/// The enrolment a media request comes from, with the device's registered key (a device
/// syncs its records, and so proves its key, before it moves media), and its in-flight slot.
async fn media_peer(s: &AppState, headers: &HeaderMap) -> Result<(PeerInfo, Slot), Response> {
    let Some(token) = bearer(headers) else {
        return Err(refuse(RejectCode::Unauthorized, "missing 'Authorization: Bearer <token>'"));
    };
    let devices = s.devices.clone();
    let peer = match tokio::task::spawn_blocking(move || devices.authenticate(&token)).await {
        Ok(Ok(Some(p))) => p,
        Ok(Ok(None)) => return Err(refuse(RejectCode::Unauthorized, "unknown or revoked device token")),
        _ => return Err(refuse(RejectCode::ServerError, "the hub's device registry failed")),
    };
    let device = headers.get(protocol::DEVICE_HEADER).and_then(|v| v.to_str().ok());
    let Some(device) = protocol::device_header(device) else {
        return Err(refuse(RejectCode::BadRequest, format!("missing or malformed '{}' header", protocol::DEVICE_HEADER)));
    };
    let store = s.store.clone();
    let bound = tokio::task::spawn_blocking(move || store.device_binding(&device)).await.ok().flatten();
    let peer = match bound {
        Some(b) if b.name == peer.name && b.key.is_some() => peer.with_key(b.key.expect("checked")),
        Some(b) if b.name != peer.name => {
            return Err(refuse(RejectCode::Forbidden, format!("this device is enrolled as '{}', not '{}'", b.name, peer.name)))
        }
        _ => return Err(refuse(RejectCode::ProofRequired, "this hub has not registered this device's key: sync its records first")),
    };
    let Some(slot) = s.inflight.take(&peer.name) else {
        return Err(refuse(RejectCode::RateLimited, format!("this device already has {SYNCS_PER_DEVICE} requests in progress; retry when they finish")));
    };
    Ok((peer, slot))
}

fn json<T: serde::Serialize>(v: &T) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], serde_json::to_vec(v).unwrap_or_default()).into_response()
}

/// Why an upload of `size` bytes, `have` of them here already, would be refused.
fn over_limits(s: &AppState, size: u64, have: u64, used: u64) -> Option<String> {
    let max = s.config.max_media;
    let quota = s.config.media_quota;
    if size > max {
        Some(format!("the file is {size} bytes; this hub takes files of at most {max} bytes"))
    } else if used.saturating_add(size - have.min(size)) > quota {
        Some(format!(
            "this enrolment's files would take {} bytes here, over its quota of {quota}; ask the coordinator",
            used + size - have.min(size)
        ))
    } else {
        None
    }
}

fn status_of(store: &sangam_core::Store, peer: &PeerInfo, name: &str) -> sangam_core::Result<FileStatus> {
    let mut st = FileStatus { name: name.to_string(), ..Default::default() };
    if MediaName::parse(name).is_none() {
        return Ok(st);
    }
    let Some(declared) = store.media_declared(name, peer)? else { return Ok(st) };
    st.allowed = true;
    st.size = declared.size;
    if let Some(info) = store.media_info(name)? {
        st.complete = info.complete;
        if info.complete || info.size == declared.size {
            st.have = info.have;
            st.size = info.size;
        }
    }
    Ok(st)
}

/// `POST /v1/media-status`.
pub(crate) async fn status(State(s): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (peer, _slot) = match media_peer(&s, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(req) = serde_json::from_slice::<StatusRequest>(&body) else {
        return refuse(RejectCode::BadRequest, "the media status request is not {\"names\": [...]}");
    };
    if req.names.len() > STATUS_NAMES {
        return refuse(RejectCode::TooLarge, format!("at most {STATUS_NAMES} names in one status request"));
    }
    let store = s.store.clone();
    let state = s.clone();
    let out = tokio::task::spawn_blocking(move || {
        let used = store.media_usage(&peer.name)?;
        req.names
            .iter()
            .map(|n| {
                let mut st = status_of(&store, &peer, n)?;
                if st.allowed && !st.complete {
                    st.refused = over_limits(&state, st.size, st.have, used);
                }
                Ok(st)
            })
            .collect::<sangam_core::Result<Vec<_>>>()
    })
    .await;
    match out {
        Ok(Ok(files)) => json(&StatusResponse { files }),
        _ => refuse(RejectCode::ServerError, "the hub could not read its media; retry later"),
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// Most of a refused upload's body read (and thrown away) so the device sees the refusal
/// rather than a broken pipe; a longer body is cut off.
const DRAIN_BYTES: usize = 4 * 1024 * 1024;

async fn drained(mut body: Body, resp: Response) -> Response {
    let mut seen = 0usize;
    while seen <= DRAIN_BYTES {
        let frame = tokio::select! {
            f = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)) => f,
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => None,
        };
        match frame {
            Some(Ok(f)) => seen += f.data_ref().map_or(0, |d| d.len()),
            _ => break,
        }
    }
    resp
}

/// `PUT /v1/media/<name>`.
pub(crate) async fn upload(State(s): State<AppState>, Path(name): Path<String>, headers: HeaderMap, body: Body) -> Response {
    match upload_checked(&s, name, &headers).await {
        // On its own task, so that a connection dropped mid-body (hyper then drops this
        // handler) still stores every byte that arrived.
        Ok((peer, media, offset, size, slot)) => {
            match tokio::spawn(receive(s, peer, media, offset, size, body, slot)).await {
                Ok(r) => r,
                Err(_) => refuse(RejectCode::ServerError, "internal error"),
            }
        }
        Err(refusal) => drained(body, refusal).await,
    }
}

type Checked = (PeerInfo, MediaName, u64, u64, Slot);

async fn upload_checked(s: &AppState, name: String, headers: &HeaderMap) -> Result<Checked, Response> {
    let (peer, slot) = media_peer(s, headers).await?;
    let Some(media) = MediaName::parse(&name) else {
        return Err(refuse(RejectCode::BadRequest, "not a media name (64 hex digits of SHA-256, a dot, an extension)"));
    };
    let (Some(offset), Some(size)) = (header_u64(&headers, OFFSET_HEADER), header_u64(&headers, SIZE_HEADER)) else {
        return Err(refuse(RejectCode::BadRequest, format!("an upload names where it starts ('{OFFSET_HEADER}') and the file's size ('{SIZE_HEADER}')")));
    };
    if size > s.config.max_media {
        return Err(refuse(RejectCode::TooLarge, over_limits(s, size, 0, 0).unwrap_or_default()));
    }
    let declared_len = header_u64(headers, header::CONTENT_LENGTH.as_str());
    if offset > size || declared_len.is_some_and(|l| l > size - offset) {
        return Err(refuse(RejectCode::BadRequest, "the body reaches past the file's end"));
    }
    // The file must be one a record this device may see names, at the size it gives.
    let store = s.store.clone();
    let (n, p) = (name.clone(), peer.clone());
    let checked = tokio::task::spawn_blocking(move || -> sangam_core::Result<(Option<u64>, FileStatus, u64)> {
        let declared = store.media_declared(&n, &p)?.map(|d| d.size);
        let st = status_of(&store, &p, &n)?;
        Ok((declared, st, store.media_usage(&p.name)?))
    })
    .await;
    let Ok(Ok((declared, st, used))) = checked else {
        return Err(refuse(RejectCode::ServerError, "the hub could not read its media; retry later"));
    };
    match declared {
        None => return Err(refuse(RejectCode::Forbidden, "no record this device may see names this file; sync the records first")),
        Some(d) if d != size => return Err(refuse(RejectCode::BadRequest, format!("the record gives this file {d} bytes, not {size}"))),
        _ => {}
    }
    if st.complete {
        return Err(json(&st));
    }
    if st.have != offset {
        return Err(wrong_offset(st.have));
    }
    if let Some(why) = over_limits(s, size, offset, used) {
        return Err(refuse(RejectCode::TooLarge, why));
    }
    Ok((peer, media, offset, size, slot))
}

fn wrong_offset(have: u64) -> Response {
    let mut r = refuse(RejectCode::BadRequest, format!("the hub holds {have} bytes of this file: send from there"));
    *r.status_mut() = StatusCode::CONFLICT;
    if let Ok(v) = header::HeaderValue::from_str(&have.to_string()) {
        r.headers_mut().insert(OFFSET_HEADER, v);
    }
    r
}

async fn receive(s: AppState, peer: PeerInfo, media: MediaName, offset: u64, size: u64, mut body: Body, _slot: Slot) -> Response {
    let name = media.to_string();
    let mut last = FileStatus { name: name.clone(), allowed: true, have: offset, size, complete: false, refused: None };

    // Store the body piece by piece as it arrives.
    let mut at = offset;
    let mut buf: Vec<u8> = Vec::with_capacity(PIECE_BYTES);
    let mut broke = false;
    loop {
        let frame = tokio::select! {
            f = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)) => f,
            _ = tokio::time::sleep(BODY_IDLE_TIMEOUT) => { broke = true; None }
        };
        let data = match frame {
            None => None,
            Some(Err(_)) => {
                broke = true;
                None
            }
            Some(Ok(f)) => f.into_data().ok(),
        };
        let end = data.is_none();
        if let Some(d) = &data {
            if at + (buf.len() + d.len()) as u64 > size {
                return refuse(RejectCode::BadRequest, "the body reaches past the file's end");
            }
            buf.extend_from_slice(d);
        }
        while buf.len() >= PIECE_BYTES || (end && !buf.is_empty()) {
            let take = buf.len().min(PIECE_BYTES);
            let piece: Vec<u8> = buf.drain(..take).collect();
            let (store, m, who, len) = (s.store.clone(), media.clone(), peer.name.clone(), piece.len() as u64);
            let res = tokio::task::spawn_blocking(move || store.media_receive(&m, size, None, Some(&who), at, &piece)).await;
            match res {
                Ok(Ok(Received::Stored(info))) => {
                    s.metrics.media_bytes_in.fetch_add(len, Relaxed);
                    at = info.have;
                    last = FileStatus { name: name.clone(), allowed: true, have: info.have, size: info.size, complete: info.complete, refused: None };
                }
                Ok(Ok(Received::WrongOffset { have })) => return drained(body, wrong_offset(have)).await,
                Ok(Ok(Received::Busy)) => {
                    let mut r = refuse(RejectCode::Busy, "another device is uploading this file under another size; it is left for a later sync");
                    *r.status_mut() = StatusCode::LOCKED;
                    return drained(body, r).await;
                }
                Ok(Err(sangam_core::Error::Rejected { reason, .. })) => {
                    s.metrics.rejections.fetch_add(1, Relaxed);
                    tracing::warn!(device = %peer.name, file = %name, "media refused: {reason}");
                    return refuse(RejectCode::BadRequest, reason);
                }
                Ok(Err(sangam_core::Error::InvalidInput(reason))) => return refuse(RejectCode::BadRequest, reason),
                _ => return refuse(RejectCode::ServerError, "the hub could not store this file; what arrived is kept, retry later"),
            }
        }
        if end {
            break;
        }
    }
    if broke {
        return refuse(RejectCode::BadRequest, format!("the upload broke off; the hub kept {at} bytes: resume from there"));
    }
    tracing::info!(device = %peer.name, file = %name, have = last.have, complete = last.complete, "media upload");
    json(&last)
}

#[derive(Deserialize)]
pub(crate) struct From {
    #[serde(default)]
    offset: u64,
}

/// `GET /v1/media/<name>?offset=N`.
pub(crate) async fn download(State(s): State<AppState>, Path(name): Path<String>, Query(q): Query<From>, headers: HeaderMap) -> Response {
    let (peer, _slot) = match media_peer(&s, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if MediaName::parse(&name).is_none() {
        return refuse(RejectCode::BadRequest, "not a media name");
    }
    let store = s.store.clone();
    let n = name.clone();
    let out = tokio::task::spawn_blocking(move || -> sangam_core::Result<Option<(u64, Vec<u8>)>> {
        if !store.media_visible_to(&n, &peer)? {
            return Ok(None);
        }
        match store.media_info(&n)? {
            Some(i) if i.complete => Ok(Some((i.size, store.media_read(&n, q.offset, DOWNLOAD_WINDOW)?))),
            _ => Ok(None),
        }
    })
    .await;
    match out {
        Ok(Ok(Some((size, bytes)))) => {
            s.metrics.media_bytes_out.fetch_add(bytes.len() as u64, Relaxed);
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                    (header::HeaderName::from_static("x-sangam-size"), size.to_string()),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(Ok(None)) => refuse(RejectCode::Forbidden, "this hub has no such file whole for a record this device may see"),
        _ => refuse(RejectCode::ServerError, "the hub could not read its media; retry later"),
    }
}
