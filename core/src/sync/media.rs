//! Moving media files between a device and its hub, after the records (so a slow link never
//! holds up the answers), over three plain HTTP requests:
//!
//! - `POST /v1/media-status` with `{"names": [...]}` (at most [`STATUS_NAMES`]): for each
//!   file, whether this device may send or fetch it (some record it may see refers to it) and,
//!   if so, how much of it the hub holds (`have`, `size`, `complete`).
//! - `PUT /v1/media/<name>` with `X-Sangam-Offset` (where the body starts) and `X-Sangam-Size`
//!   (the whole file): the hub stores the body piece by piece as it arrives, so a cut
//!   connection keeps what came; the answer is the same status for that file. A body that
//!   does not start where the hub's copy ends gets 409 with the hub's `X-Sangam-Offset`.
//! - `GET /v1/media/<name>?offset=N`: at most [`DOWNLOAD_WINDOW`] bytes from `N` of a file the
//!   hub has whole, with `X-Sangam-Size`.
//!
//! Only what the receiver lacks travels: a file the hub has whole is never sent again, and a
//! device asks only for files its records name and it does not have. Files are not compressed
//! (photos and audio already are). A file's name is its SHA-256, so each side checks what it
//! receives and keeps nothing that does not match.

use serde::{Deserialize, Serialize};

pub use crate::media::DOWNLOAD_WINDOW;

/// The path of the status request.
pub const STATUS_PATH: &str = "/v1/media-status";
/// The path prefix of a file (`/v1/media/<name>`).
pub const FILE_PATH: &str = "/v1/media/";
/// Where a `PUT` body starts in the file, and (in a 409) where the hub's copy ends.
pub const OFFSET_HEADER: &str = "X-Sangam-Offset";
/// The whole file's size.
pub const SIZE_HEADER: &str = "X-Sangam-Size";
/// Most names in one status request.
pub const STATUS_NAMES: usize = 500;

/// A status request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRequest {
    pub names: Vec<String>,
}

/// What the hub says of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStatus {
    pub name: String,
    /// Some record the device may see refers to it (otherwise nothing else is said).
    pub allowed: bool,
    /// Bytes the hub holds.
    pub have: u64,
    /// The whole size (0 when the hub has none of it and no record gives it).
    pub size: u64,
    pub complete: bool,
    /// Why the hub would refuse this file from this device (too large, over its quota), so
    /// the device does not send it in vain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// The answer to a status request, in the order asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub files: Vec<FileStatus>,
}

/// What a media sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaReport {
    /// Files the hub now has whole that it lacked.
    pub uploaded: u64,
    /// Files this device now has whole that it lacked.
    pub downloaded: u64,
    /// Bytes of file content sent and received.
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Files still to move (the hub does not know their record yet, it lacks them too, or the
    /// sync stopped): they go at the next sync.
    pub waiting: u64,
    /// Files the hub refused, with its reason.
    pub refused: Vec<(String, String)>,
}

/// Where a media sync is, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaProgress {
    pub name: String,
    pub upload: bool,
    /// Bytes of this file sent so far (an upload; the hub's answer then says what it holds)
    /// or stored here (a download).
    pub done: u64,
    pub size: u64,
    /// Files finished so far and files to move in this sync.
    pub files_done: u64,
    pub files: u64,
}

#[cfg(feature = "client")]
pub use client::MediaOptions;

#[cfg(feature = "client")]
mod client {
    use std::io::Read;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::media::{MediaName, PIECE_BYTES};
    use crate::store::Received;
    use crate::sync::client::http_agent;
    use crate::sync::protocol;
    use crate::{Error, Result, Store};

    /// How to run a media sync.
    pub struct MediaOptions<'a> {
        pub progress: Option<&'a (dyn Fn(&MediaProgress) + Sync)>,
        /// Set to stop between pieces; what arrived is kept and the rest resumes next time.
        pub cancel: Option<&'a AtomicBool>,
        /// Per-request timeout.
        pub timeout: Duration,
        /// Fetch files other devices attached to records this device has (a coordinator's
        /// tablet does; a field worker's phone may choose not to).
        pub download: bool,
    }

    impl Default for MediaOptions<'_> {
        fn default() -> Self {
            MediaOptions { progress: None, cancel: None, timeout: Duration::from_secs(120), download: true }
        }
    }

    struct Conn {
        agent: ureq::Agent,
        base: String,
        authorization: String,
        device: String,
    }

    impl Conn {
        fn request(&self, method: &str, path: &str) -> ureq::Request {
            self.agent
                .request(method, &format!("{}{path}", self.base))
                .set(protocol::AUTHORIZATION_HEADER, &self.authorization)
                .set(protocol::DEVICE_HEADER, &self.device)
        }

        fn status(&self, names: &[String]) -> Result<Vec<FileStatus>> {
            let body = serde_json::to_vec(&StatusRequest { names: names.to_vec() })?;
            let resp = self.request("POST", STATUS_PATH).set("Content-Type", "application/json").send_bytes(&body).map_err(refusal)?;
            let mut buf = Vec::new();
            resp.into_reader().take(16 * 1024 * 1024).read_to_end(&mut buf).map_err(broke)?;
            let out: StatusResponse = serde_json::from_slice(&buf).map_err(|e| Error::Network(format!("the hub's media status was unreadable: {e}")))?;
            if out.files.len() != names.len() {
                return Err(Error::Network("the hub's media status did not answer for every file".into()));
            }
            Ok(out.files)
        }
    }

    /// Why a request failed, as the store's error.
    fn refusal(e: ureq::Error) -> Error {
        match e {
            ureq::Error::Status(status, resp) => {
                let header = resp.header(protocol::ERROR_CODE_HEADER).map(str::to_string);
                let body = resp.into_string().unwrap_or_default();
                let (code, message) = protocol::read_refusal(status, header.as_deref(), &body);
                code.into_error(status, message)
            }
            ureq::Error::Transport(t) => Error::Network(format!("cannot reach the hub: {t}")),
        }
    }

    fn broke(e: std::io::Error) -> Error {
        Error::Network(format!("the connection broke: {e}"))
    }

    /// Reads a stored file from an offset, a piece at a time, as a request body.
    struct PieceReader<'s> {
        store: &'s Store,
        name: String,
        at: u64,
        end: u64,
        buf: Vec<u8>,
        pos: usize,
        cancel: Option<&'s AtomicBool>,
        /// Told how far the body has been handed to the connection, after every piece.
        sent: &'s dyn Fn(u64),
    }

    impl Read for PieceReader<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.pos == self.buf.len() {
                if self.at >= self.end {
                    return Ok(0);
                }
                if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                    return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "cancelled"));
                }
                let want = (self.end - self.at).min(PIECE_BYTES as u64);
                self.buf = self.store.media_read(&self.name, self.at, want).map_err(std::io::Error::other)?;
                if self.buf.is_empty() {
                    return Err(std::io::Error::other("the stored file ended early"));
                }
                // The piece before this one has gone to the connection.
                (self.sent)(self.at);
                self.at += self.buf.len() as u64;
                self.pos = 0;
            }
            let n = out.len().min(self.buf.len() - self.pos);
            out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    impl Store {
        /// Sends the hub the files it lacks that this device's records name, then (with
        /// `opts.download`) fetches the files this device's records name that it lacks. Run
        /// after [`Store::sync`]: the hub takes a file only once it has a record naming it.
        /// A cut connection keeps every piece that arrived; the next call resumes there.
        pub fn sync_media(&self, hub_url: &str, token: &str, opts: &MediaOptions<'_>) -> Result<MediaReport> {
            let hub = self.upstream()?.hub_store.ok_or_else(|| Error::invalid("sync the records with this hub before its media"))?;
            let (agent, base) = http_agent(hub_url, opts.timeout)?;
            let conn = Conn { agent, base, authorization: protocol::bearer(token), device: self.device_id() };
            let mut report = MediaReport::default();
            let cancelled = || opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed));

            let to_send = self.media_to_send(&hub)?;
            let wanted = if opts.download { self.media_wanted()? } else { Vec::new() };
            let files = (to_send.len() + wanted.len()) as u64;
            let mut files_done = 0u64;
            let progress = |name: &str, upload: bool, done: u64, size: u64, files_done: u64| {
                if let Some(p) = opts.progress {
                    p(&MediaProgress { name: name.to_string(), upload, done, size, files_done, files });
                }
            };

            // Up: every file the hub lacks, from where its copy ends.
            for batch in to_send.chunks(STATUS_NAMES) {
                let names: Vec<String> = batch.iter().map(|m| m.name.clone()).collect();
                let statuses = conn.status(&names)?;
                for (m, st) in batch.iter().zip(statuses) {
                    if cancelled() {
                        report.waiting += 1;
                        continue;
                    }
                    if st.complete {
                        self.mark_media_sent(&m.name, &hub)?;
                        files_done += 1;
                        continue;
                    }
                    if let Some(why) = st.refused {
                        report.refused.push((m.name.clone(), why));
                        continue;
                    }
                    if !st.allowed {
                        // The hub has no record naming it yet (its record was refused, or is
                        // still waiting there): try again next time.
                        report.waiting += 1;
                        continue;
                    }
                    let mut from = st.have.min(m.size);
                    let mut done = false;
                    for attempt in 0..3 {
                        let len = m.size - from;
                        let sent = |at: u64| progress(&m.name, true, at, m.size, files_done);
                        let body = PieceReader { store: self, name: m.name.clone(), at: from, end: m.size, buf: Vec::new(), pos: 0, cancel: opts.cancel, sent: &sent };
                        let sent = conn
                            .request("PUT", &format!("{FILE_PATH}{}", m.name))
                            .set(OFFSET_HEADER, &from.to_string())
                            .set(SIZE_HEADER, &m.size.to_string())
                            .set("Content-Type", "application/octet-stream")
                            .set("Content-Length", &len.to_string())
                            .send(body);
                        match sent {
                            Ok(resp) => {
                                let mut buf = Vec::new();
                                resp.into_reader().take(64 * 1024).read_to_end(&mut buf).map_err(broke)?;
                                let st: FileStatus = serde_json::from_slice(&buf).map_err(|e| Error::Network(format!("the hub's answer was unreadable: {e}")))?;
                                report.bytes_up += len;
                                progress(&m.name, true, st.have, m.size, files_done);
                                if st.complete {
                                    self.mark_media_sent(&m.name, &hub)?;
                                    report.uploaded += 1;
                                    done = true;
                                }
                                break;
                            }
                            Err(ureq::Error::Status(409, resp)) => {
                                from = resp.header(OFFSET_HEADER).and_then(|v| v.parse().ok()).unwrap_or(0).min(m.size);
                            }
                            Err(ureq::Error::Status(status, resp)) if status != 401 && status < 500 && status != 429 => {
                                let e = refusal(ureq::Error::Status(status, resp));
                                report.refused.push((m.name.clone(), e.to_string()));
                                break;
                            }
                            Err(e) => {
                                if cancelled() {
                                    return Err(Error::Cancelled);
                                }
                                if attempt == 2 {
                                    return Err(refusal(e));
                                }
                                // The connection broke (or the hub was still storing an
                                // earlier, broken upload of this file): ask where its copy
                                // ends now, and go on from there.
                                std::thread::sleep(std::time::Duration::from_millis(300));
                                match conn.status(std::slice::from_ref(&m.name))?.pop() {
                                    Some(st) if st.complete => {
                                        self.mark_media_sent(&m.name, &hub)?;
                                        report.uploaded += 1;
                                        done = true;
                                        break;
                                    }
                                    Some(st) => from = st.have.min(m.size),
                                    None => return Err(refusal(e)),
                                }
                            }
                        }
                    }
                    if done {
                        files_done += 1;
                    } else {
                        report.waiting += 1;
                    }
                }
            }

            // Down: every file this device's records name that it lacks and the hub has.
            for batch in wanted.chunks(STATUS_NAMES) {
                let names: Vec<String> = batch.iter().map(|m| m.name.clone()).collect();
                let statuses = conn.status(&names)?;
                for (m, st) in batch.iter().zip(statuses) {
                    let Some(name) = MediaName::parse(&m.name) else { continue };
                    if cancelled() || !st.allowed || !st.complete {
                        report.waiting += 1;
                        continue;
                    }
                    let size = st.size;
                    let mut have = self.media_info(name.as_str())?.filter(|i| i.size == size).map_or(0, |i| i.have);
                    let mut complete = false;
                    while !complete && have < size {
                        if cancelled() {
                            return Err(Error::Cancelled);
                        }
                        let resp = conn
                            .request("GET", &format!("{FILE_PATH}{}", name))
                            .query("offset", &have.to_string())
                            .call()
                            .map_err(refusal)?;
                        let mut reader = resp.into_reader().take(DOWNLOAD_WINDOW);
                        let mut got_any = false;
                        loop {
                            let mut piece = Vec::with_capacity(PIECE_BYTES);
                            let read = (&mut reader).take(PIECE_BYTES as u64).read_to_end(&mut piece);
                            if piece.is_empty() {
                                read.map_err(broke)?;
                                break;
                            }
                            got_any = true;
                            let len = piece.len() as u64;
                            let received = match self.media_receive(&name, size, m.mime.as_deref(), None, have, &piece) {
                                Err(Error::Rejected { reason, .. }) => {
                                    report.refused.push((name.to_string(), reason));
                                    break;
                                }
                                other => other?,
                            };
                            match received {
                                Received::Stored(info) => {
                                    have = info.have;
                                    complete = info.complete;
                                }
                                Received::WrongOffset { have: h } => {
                                    have = h;
                                    break;
                                }
                                // A part of it under another size is still being added to here
                                // (a bundle's copy, say): left for the next sync.
                                Received::Busy => break,
                            }
                            report.bytes_down += len;
                            progress(name.as_str(), false, have, size, files_done);
                            // What arrived is stored; a broken read ends this window.
                            read.map_err(broke)?;
                            if complete {
                                break;
                            }
                        }
                        if !got_any {
                            return Err(Error::Network(format!("the hub sent none of {name}")));
                        }
                        if report.refused.iter().any(|(n, _)| n == name.as_str()) {
                            break;
                        }
                    }
                    if complete {
                        self.mark_media_sent(name.as_str(), &hub)?;
                        report.downloaded += 1;
                        files_done += 1;
                    }
                }
            }
            Ok(report)
        }
    }
}
