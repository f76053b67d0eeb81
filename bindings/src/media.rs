//! Media from the apps: attach a photo, signature or audio clip to an answer, read it back,
//! see each file's upload state, and move files after the records with progress and cancel.

use std::sync::Arc;

use sangam_core::record::media::AnswerAt;
use sangam_core::sync::media::{MediaOptions, MediaProgress, MediaReport};

use crate::error::guard;
use crate::store::SangamStore;
use crate::sync::CancelToken;
use crate::ApiError;

/// One file a response refers to, and what this phone has of it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MediaStateInfo {
    /// The file's name (SHA-256 and extension), which is the answer's value.
    pub name: String,
    pub size: u64,
    pub mime: Option<String>,
    /// Bytes on this phone (`size` once it is here whole).
    pub have: u64,
    pub complete: bool,
    /// The hub has it whole.
    pub uploaded: bool,
}

/// Where a media sync is.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MediaProgressInfo {
    pub name: String,
    pub upload: bool,
    pub done: u64,
    pub size: u64,
    pub files_done: u64,
    pub files: u64,
}

/// What a media sync did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MediaSyncResult {
    pub uploaded: u64,
    pub downloaded: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Files that go at a later sync.
    pub waiting: u64,
    /// Files the hub refused ("name: reason").
    pub refused: Vec<String>,
}

impl From<MediaReport> for MediaSyncResult {
    fn from(r: MediaReport) -> Self {
        MediaSyncResult {
            uploaded: r.uploaded,
            downloaded: r.downloaded,
            bytes_up: r.bytes_up,
            bytes_down: r.bytes_down,
            waiting: r.waiting,
            refused: r.refused.into_iter().map(|(n, why)| format!("{n}: {why}")).collect(),
        }
    }
}

/// Receives progress while files move (after every piece).
#[uniffi::export(with_foreign)]
pub trait MediaProgressListener: Send + Sync {
    fn on_media_progress(&self, progress: MediaProgressInfo);
}

#[uniffi::export]
impl SangamStore {
    /// Attaches a file's bytes to an answer (in a repeat row when `repeat` and `row_id` are
    /// given): stored durably first, then the answer is saved. Returns the file's name.
    pub fn attach_media(
        &self,
        response_id: String,
        field: String,
        repeat: Option<String>,
        row_id: Option<String>,
        bytes: Vec<u8>,
        ext: String,
        mime: Option<String>,
    ) -> Result<String, ApiError> {
        guard(|| {
            let at = match (&repeat, &row_id) {
                (Some(repeat), Some(row_id)) => AnswerAt::Row { repeat, row_id },
                _ => AnswerAt::Top,
            };
            Ok(self.core().attach_media(&response_id, at, &field, &bytes, &ext, mime.as_deref())?)
        })
    }

    /// Attaches the file at `path` (a photo the camera wrote, a recording) to an answer, as
    /// `attach_media` does; its extension names its type when `mime` is not given.
    pub fn attach_media_file(
        &self,
        response_id: String,
        field: String,
        repeat: Option<String>,
        row_id: Option<String>,
        path: String,
        mime: Option<String>,
    ) -> Result<String, ApiError> {
        guard(|| {
            let p = std::path::Path::new(&path);
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("bin").to_string();
            let len = std::fs::metadata(p).map_err(sangam_core::Error::from)?.len();
            if len > sangam_core::media::MAX_MEDIA_BYTES {
                return Err(sangam_core::Error::InvalidInput(format!(
                    "the file is {len} bytes; at most {} may be attached",
                    sangam_core::media::MAX_MEDIA_BYTES
                ))
                .into());
            }
            let bytes = std::fs::read(p).map_err(sangam_core::Error::from)?;
            let at = match (&repeat, &row_id) {
                (Some(repeat), Some(row_id)) => AnswerAt::Row { repeat, row_id },
                _ => AnswerAt::Top,
            };
            Ok(self.core().attach_media(&response_id, at, &field, &bytes, &ext, mime.as_deref())?)
        })
    }

    /// A file's bytes (it must be on this phone whole).
    pub fn media_bytes(&self, name: String) -> Result<Vec<u8>, ApiError> {
        guard(|| Ok(self.core().media_bytes(&name)?))
    }

    /// The files a response refers to, with their state on this phone.
    pub fn media_of(&self, response_id: String) -> Result<Vec<MediaStateInfo>, ApiError> {
        guard(|| {
            Ok(self
                .core()
                .media_of(&response_id)?
                .into_iter()
                .map(|m| MediaStateInfo { name: m.name, size: m.size, mime: m.mime, have: m.have, complete: m.complete, uploaded: m.uploaded })
                .collect())
        })
    }

    /// Moves files after a records sync: sends what the hub lacks and, with `download`,
    /// fetches what this phone's records name and it lacks. A cut resumes where it stopped.
    pub fn sync_media(
        &self,
        hub_url: String,
        token: String,
        download: bool,
        listener: Option<Arc<dyn MediaProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<MediaSyncResult, ApiError> {
        guard(|| {
            let report = |p: &MediaProgress| {
                if let Some(l) = &listener {
                    l.on_media_progress(MediaProgressInfo {
                        name: p.name.clone(),
                        upload: p.upload,
                        done: p.done,
                        size: p.size,
                        files_done: p.files_done,
                        files: p.files,
                    });
                }
            };
            let opts = MediaOptions { progress: Some(&report), cancel: cancel.as_ref().map(|c| &c.0), download, ..Default::default() };
            Ok(self.core().sync_media(&hub_url, &token, &opts)?.into())
        })
    }

    /// Deletes files no record has named for a week; returns how many.
    pub fn collect_media(&self) -> Result<u64, ApiError> {
        guard(|| Ok(self.core().collect_media()?.files))
    }
}
