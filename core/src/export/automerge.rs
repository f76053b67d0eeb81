//! Raw Automerge documents, one file per record (`ID.automerge`): the record's whole history
//! in Automerge's standard binary document format, which any Automerge implementation (Rust,
//! JavaScript, the C bindings …) opens with its `load`. Nothing Sangam-specific is added.

use std::io::Write;
use std::path::Path;

use super::{with_files, ExportOptions, ExportReport, OutFile, Progress, Selection};
use crate::{Result, Store};

impl Store {
    /// Exports the responses of `form_id` as one Automerge document file each into `out_dir`.
    /// The report lists `out_dir` once, with the number of files written (not every file, so
    /// that memory stays flat for any number of records).
    pub fn export_automerge(&self, form_id: &str, opts: &ExportOptions, out_dir: &Path, progress: &mut Progress<'_>) -> Result<ExportReport> {
        let filter = Selection { form_id, version: None, opts }.set();
        std::fs::create_dir_all(out_dir)?;
        let records = self.export_each(&filter, opts.page_size, progress, |id| {
            self.export_record_automerge(id, out_dir)?;
            Ok(())
        })?;
        Ok(ExportReport { files: vec![super::ExportedFile { path: out_dir.to_path_buf(), rows: records }], records, ..Default::default() })
    }

    /// Writes record `id` as an Automerge document file `ID.automerge` in `out_dir`.
    pub fn export_record_automerge(&self, id: &str, out_dir: &Path) -> Result<super::ExportedFile> {
        let bytes = self.export_changes(id, &[])?;
        // One of possibly many thousands of files: not synced one by one.
        let file = OutFile::create(out_dir, &format!("{}.automerge", super::file_safe(id)))?.unsynced();
        let ((), mut files) = with_files(vec![file], |files| {
            files[0].w.write_all(&bytes)?;
            files[0].rows = 1;
            Ok(())
        })?;
        files.pop().ok_or_else(|| crate::Error::invalid("no file written"))
    }
}
