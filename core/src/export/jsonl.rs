//! Responses as JSON lines: one file per form (`FORM.jsonl`, or `FORM-vVERSION.jsonl` for one
//! version), one response per line with its answers, repeat rows (with their row ids) and
//! review. Every version goes in the same file; each line names its version.

use std::io::Write;
use std::path::Path;

use super::{file_safe, iso_utc, with_files, ExportOptions, ExportReport, OutFile, Progress, Selection};
use crate::model::response::read_response;
use crate::model::review::read_review;
use crate::{Result, Store};

impl Store {
    /// Exports the responses of `form_id` as JSON lines into `out_dir`.
    pub fn export_jsonl(&self, form_id: &str, opts: &ExportOptions, out_dir: &Path, progress: &mut Progress<'_>) -> Result<ExportReport> {
        let filter = Selection { form_id, version: None, opts }.set();
        let name = match &opts.version {
            Some(v) => format!("{}-v{}.jsonl", file_safe(form_id), file_safe(v)),
            None => format!("{}.jsonl", file_safe(form_id)),
        };
        let (records, files) = with_files(vec![OutFile::create(out_dir, &name)?], |files| {
            let f = &mut files[0];
            self.export_each(&filter, opts.page_size, progress, |id| {
                let line = self.view(id, |d| {
                    let r = read_response(d, id);
                    let review = read_review(d);
                    let media = crate::model::response::read_media(d);
                    let mut v = serde_json::to_value(&r)?;
                    if let Some(obj) = v.as_object_mut() {
                        obj.insert("created_at".into(), iso_utc(r.created_at_ms).into());
                        obj.insert("review".into(), serde_json::to_value(&review)?);
                        // The files the answers name, by reference (name, size, type).
                        if !media.is_empty() {
                            obj.insert("media".into(), serde_json::to_value(&media)?);
                        }
                    }
                    Ok(serde_json::to_vec(&v)?)
                })?;
                f.w.write_all(&line)?;
                f.w.write_all(b"\n")?;
                f.rows += 1;
                Ok(())
            })
        })?;
        Ok(ExportReport { files, records, ..Default::default() })
    }
}
