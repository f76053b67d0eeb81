//! Exports for the people who analyse and report: responses as CSV per form
//! version (ODK-style, one file per repeat), as JSON lines, or as raw Automerge documents, and
//! meeting minutes as Markdown.
//!
//! Every export streams: records are found through the index a page at a time (by row id, so
//! a record edited during the export is written once), each document is read through the
//! store's bounded cache and written out before the next, so memory stays flat whatever the
//! number of records. Progress goes to a callback after every page; returning `false` from it
//! cancels ([`Error::Cancelled`]). Files are written under a private temporary name
//! (mode 0600) and renamed when complete, so a cancelled or failed export never leaves a file
//! that looks finished.
//!
//! ```
//! use sangam_core::{Store, Identity, NewResponse, FieldValue, ExportOptions};
//! let store = Store::open_in_memory(Identity::coordinator("c1", "Meena")).unwrap();
//! let r = store.create_response(NewResponse {
//!     form_id: "hh".into(), form_version: "1".into(), scope: "UP-SIT".into(), subject_id: None,
//! }).unwrap();
//! store.set_answer(&r, "members", &FieldValue::Int(5)).unwrap();
//! let dir = std::env::temp_dir().join(format!("sangam-doc-{}", std::process::id()));
//! let opts = ExportOptions { include_drafts: true, ..Default::default() };
//! let report = store.export_csv("hh", &opts, &dir, &mut |_| true).unwrap();
//! assert_eq!(report.records, 1);
//! # std::fs::remove_dir_all(&dir).ok();
//! ```

mod automerge;
mod csv;
mod jsonl;
mod markdown;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::ExportSet;
pub use crate::model::checks::iso_utc;

use crate::{Error, Result, Store};

/// What to export and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOptions {
    /// Only this scope.
    pub scope: Option<String>,
    /// Only this form version (CSV writes one set of files per version either way).
    pub version: Option<String>,
    /// Write choice labels in this language (e.g. `Hindi (hi)`) instead of choice names, where
    /// the form version is published here.
    pub language: Option<String>,
    /// Include drafts, not only submitted responses.
    pub include_drafts: bool,
    /// Records read per index page.
    pub page_size: u32,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            scope: None,
            version: None,
            language: None,
            include_drafts: false,
            page_size: 256,
        }
    }
}

/// How far an export is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportProgress {
    pub done: u64,
    pub total: u64,
}

/// One file an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedFile {
    pub path: PathBuf,
    /// Rows (CSV, JSON lines) or records (one-record files) in it.
    pub rows: u64,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportReport {
    pub files: Vec<ExportedFile>,
    /// Records exported.
    pub records: u64,
    /// Media files written into the `media` folder beside a CSV export.
    #[serde(default)]
    pub media: u64,
    /// Media files the exported responses name that this store does not have whole (not yet
    /// synced here): their answers keep the file name.
    #[serde(default)]
    pub media_missing: Vec<String>,
}

/// The folder beside a CSV export that holds the media files its answers name.
pub const MEDIA_DIR: &str = "media";

/// The progress callback: return `false` to cancel.
pub type Progress<'a> = dyn FnMut(&ExportProgress) -> bool + 'a;

/// Which responses an export covers.
pub(crate) struct Selection<'a> {
    pub form_id: &'a str,
    pub version: Option<&'a str>,
    pub opts: &'a ExportOptions,
}

impl Selection<'_> {
    /// The records this selection covers, as the store's export scan takes them.
    pub(crate) fn set(&self) -> ExportSet {
        ExportSet::Responses {
            form_id: self.form_id.to_string(),
            version: self.version.or(self.opts.version.as_deref()).map(str::to_string),
            scope: self.opts.scope.clone(),
            include_drafts: self.opts.include_drafts,
        }
    }
}

impl Store {

    /// Calls `each` with every record id matching `filter`, a page at a time, reporting
    /// progress after each page.
    pub(crate) fn export_each(
        &self,
        set: &ExportSet,
        page: u32,
        progress: &mut Progress<'_>,
        mut each: impl FnMut(&str) -> Result<()>,
    ) -> Result<u64> {
        let mut state = ExportProgress {
            done: 0,
            total: self.export_count(set)?,
        };
        if !progress(&state) {
            return Err(Error::Cancelled);
        }
        let mut after = 0;
        loop {
            let rows = self.export_page(set, after, page)?;
            let Some((last, _)) = rows.last() else { break };
            after = *last;
            for (_, id) in &rows {
                match each(id) {
                    // Removed since the page was read: nothing to write.
                    Err(Error::NotFound(_)) => continue,
                    other => other?,
                }
                state.done += 1;
            }
            state.total = state.total.max(state.done);
            if !progress(&state) {
                return Err(Error::Cancelled);
            }
        }
        Ok(state.done)
    }

}

impl Store {
    /// Writes each file of `names` this store has whole into `out_dir/media/<name>` (a file
    /// already there with the right size is left as it is); the rest go to `media_missing`.
    pub(crate) fn export_media(&self, names: &std::collections::BTreeSet<String>, out_dir: &Path, report: &mut ExportReport) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let dir = out_dir.join(MEDIA_DIR);
        crate::files::private_dir(&dir)?;
        for name in names {
            // Names come from records: only real media names become file names.
            if crate::media::MediaName::parse(name).is_none() {
                continue;
            }
            match self.media_info(name)? {
                Some(info) if info.complete => {
                    let path = dir.join(name);
                    if std::fs::metadata(&path).map(|m| m.len() == info.size).unwrap_or(false) {
                        report.media += 1;
                        continue;
                    }
                    crate::files::write_private(&path, &self.media_bytes(name)?)?;
                    report.media += 1;
                }
                _ => report.media_missing.push(name.clone()),
            }
        }
        Ok(())
    }
}

/// A file being written under a private temporary name until [`OutFile::finish`] renames it
/// (see [`crate::files::AtomicFile`]: 0600, links never followed, never over a database).
pub(crate) struct OutFile {
    file: crate::files::AtomicFile,
    pub(crate) w: BufWriter<File>,
    pub(crate) rows: u64,
    sync: bool,
}

impl OutFile {
    pub(crate) fn create(dir: &Path, name: &str) -> Result<OutFile> {
        crate::files::private_dir(dir)?;
        let mut file = crate::files::AtomicFile::create(&dir.join(name))?;
        let w = BufWriter::with_capacity(64 * 1024, file.file().try_clone()?);
        Ok(OutFile {
            file,
            w,
            rows: 0,
            sync: true,
        })
    }

    /// Skips the sync to disk when finished (for exports of one small file per record).
    pub(crate) fn unsynced(mut self) -> OutFile {
        self.sync = false;
        self
    }

    pub(crate) fn finish(self) -> Result<ExportedFile> {
        let OutFile {
            file,
            w,
            rows,
            sync,
        } = self;
        let handle = w.into_inner().map_err(|e| Error::Io(e.into_error()))?;
        drop(handle);
        let path = file.commit(sync)?;
        Ok(ExportedFile { path, rows })
    }

    /// Removes the partial file (best effort, after a failure or cancel).
    pub(crate) fn abandon(self) {
        drop(self);
    }
}

/// Writes everything through `f`, then finishes the files; on failure removes them.
pub(crate) fn with_files<R>(
    files: Vec<OutFile>,
    f: impl FnOnce(&mut [OutFile]) -> Result<R>,
) -> Result<(R, Vec<ExportedFile>)> {
    let mut files = files;
    match f(&mut files) {
        Ok(r) => {
            let mut done = Vec::with_capacity(files.len());
            for mut file in files {
                if let Err(e) = file.w.flush() {
                    file.abandon();
                    return Err(e.into());
                }
                done.push(file.finish()?);
            }
            Ok((r, done))
        }
        Err(e) => {
            for file in files {
                file.abandon();
            }
            Err(e)
        }
    }
}

/// A name safe for a file (letters, digits, `.`, `-` and `_`; anything else becomes `_`), as
/// exports name their files.
pub fn file_safe_name(s: &str) -> String {
    file_safe(s)
}

/// A name safe for a file: letters, digits, `.`, `-` and `_`; anything else becomes `_`.
pub(crate) fn file_safe(s: &str) -> String {
    let out: String = s
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match out.trim_start_matches('.') {
        "" => "_".into(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldValue;

    #[test]
    fn times_format_as_iso_utc() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(1_796_034_600_123), "2026-11-30T10:30:00.123Z");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn responses_read_for_export_keep_rows_in_order_and_skip_removed_ones() {
        use crate::{Identity, NewResponse};
        let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
        let b = Store::open_in_memory(Identity::field_worker("b", "B")).unwrap();
        let r = a
            .create_response(NewResponse {
                form_id: "f".into(),
                form_version: "1".into(),
                scope: "S".into(),
                subject_id: None,
            })
            .unwrap();
        a.set_answer(&r, "n", &FieldValue::Int(1)).unwrap();
        a.set_answer(
            &r,
            "tags",
            &FieldValue::Choices(["x".to_string(), "y".to_string()].into()),
        )
        .unwrap();
        a.set_answer(&r, "tags", &FieldValue::Choices(["y".to_string()].into()))
            .unwrap();
        a.set_answer(&r, "ok", &FieldValue::Bool(false)).unwrap();
        a.set_answer(&r, "d", &FieldValue::Decimal(2.5)).unwrap();
        let rows: Vec<String> = (0..3)
            .map(|_| a.add_repeat_row(&r, "kids").unwrap())
            .collect();
        a.set_row_answer(&r, "kids", &rows[1], "age", Some(&FieldValue::Int(4)))
            .unwrap();
        a.remove_repeat_row(&r, "kids", &rows[0]).unwrap();
        b.apply_changes(&r, &a.export_changes(&r, &[]).unwrap())
            .unwrap();
        a.set_answer(&r, "n", &FieldValue::Int(2)).unwrap();
        b.set_answer(&r, "n", &FieldValue::Text("two".into()))
            .unwrap();
        a.apply_changes(&r, &b.export_changes(&r, &[]).unwrap())
            .unwrap();
        assert_eq!(a.conflicts(&r).unwrap().len(), 1);
        let read = a.response(&r).unwrap();
        assert_eq!(read.answers["tags"], FieldValue::Choices(["y".to_string()].into()));
        assert_eq!(read.answers["ok"], FieldValue::Bool(false));
        assert_eq!(read.answers["d"], FieldValue::Decimal(2.5));
        assert_eq!(read.repeats["kids"].iter().map(|r| r.row_id.as_str()).collect::<Vec<_>>(), [&rows[1], &rows[2]]);
        assert_eq!(read.repeats["kids"][0].answers["age"], FieldValue::Int(4));
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(file_safe("hh/1 v2"), "hh_1_v2");
        assert_eq!(file_safe("../x"), "_x");
        assert_eq!(file_safe(""), "_");
    }
}
