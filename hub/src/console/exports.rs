//! The console's exports: a form's responses as CSV (one file per repeat, ODK's
//! PARENT_KEY/KEY, with the media folder beside it, choices as names or as labels in a
//! language), JSON lines or Automerge documents (each record with its whole history), or every
//! meeting's minutes as Markdown, for the scopes the user sees, made in the background with progress, then downloaded as one ZIP file.
//!
//! A job runs on its own thread through the same `sangam-core` export as the command line
//! (records read a page at a time, memory flat), into `DATA/console-exports/<job>/`, then
//! zipped beside it; the page of the job refreshes itself until the file is ready. Only the
//! user who started a job sees it. Jobs and their files older than a day are removed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sangam_core::ExportOptions;

use super::accounts::Session;
use super::html::{csrf_field, esc, q};
use super::{Console, Ctx};
use crate::HubError;

const EXPORTS: &str = "console-exports";
/// The job name of a meeting-minutes export.
const MEETINGS: &str = "meetings";
const JOB_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Where one export job is.
#[derive(Debug, Clone, Default)]
pub struct Job {
    pub user: String,
    pub form_id: String,
    pub format: String,
    pub done: u64,
    pub total: u64,
    /// The ZIP file, once written.
    pub file: Option<PathBuf>,
    pub error: Option<String>,
    pub media: u64,
    pub media_missing: usize,
}

/// The running and finished jobs, by id.
#[derive(Default)]
pub struct Jobs(Mutex<HashMap<String, Job>>);

impl Jobs {
    fn get(&self, id: &str) -> Option<Job> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }
    fn update(&self, id: &str, f: impl FnOnce(&mut Job)) {
        if let Some(j) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get_mut(id) {
            f(j);
        }
    }
}

fn exports_dir(c: &Console) -> PathBuf {
    c.data.join(EXPORTS)
}

fn valid_job(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The page to start an export: the forms the user may see, the format, the language of
/// choice labels, drafts or not, and a password.
pub fn page(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let mut forms: Vec<String> = c.store.list_forms(None)?.into_iter().filter(|f| cx.session.user.sees(&f.scope)).filter_map(|f| f.form_id).collect();
    forms.sort();
    forms.dedup();
    let mut languages: Vec<String> = Vec::new();
    let mut opts = String::new();
    for f in &forms {
        opts += &format!("<option value=\"{v}\">{v}</option>", v = esc(f));
        if let Ok(def) = c.store.form_definition(f, None) {
            languages.extend(def.languages);
        }
    }
    languages.sort();
    languages.dedup();
    let langs: String = languages.iter().map(|l| format!("<option value=\"{v}\">{v}</option>", v = esc(l))).collect();
    let b = format!(
        "<form method=\"post\" action=\"/console/exports\" class=\"bar\">{}\
         <label>{} <select name=\"form_id\">{opts}</select></label>\
         <label>{} <select name=\"format\"><option value=\"csv\">CSV</option><option value=\"jsonl\">JSON lines</option>\
         <option value=\"automerge\">{}</option><option value=\"md\">{}</option></select></label>\
         <label>{} <select name=\"labels\"><option value=\"\">{}</option>{langs}</select></label>\
         <label><input type=\"checkbox\" name=\"drafts\" value=\"1\"> {}</label>\
         <label>{} <input type=\"password\" name=\"password\" minlength=\"{min}\" autocomplete=\"new-password\"></label><button>{}</button></form>\
         <p class=\"dim\">{}</p><p class=\"dim\">{}</p><p class=\"warn\">{}</p>",
        csrf_field(&cx.session),
        cx.t("form"),
        cx.t("format"),
        cx.t("format_automerge"),
        cx.t("format_minutes"),
        cx.t("choice_labels"),
        cx.t("choice_names"),
        cx.t("include_drafts"),
        cx.t("export_password"),
        cx.t("export"),
        cx.t("export_form_or_minutes"),
        cx.t("export_note"),
        cx.t("export_clear_warning"),
        min = crate::archive::MIN_PASSWORD_CHARS,
    );
    Ok((cx.t("exports").to_string(), b))
}

/// Starts an export job; returns its id.
pub fn start(c: &Arc<Console>, s: &Session, form: &HashMap<String, String>) -> Result<String, HubError> {
    let format = match form.get("format").map(String::as_str) {
        Some("jsonl") => "jsonl",
        Some("automerge") => "automerge",
        Some("md") => "md",
        _ => "csv",
    }
    .to_string();
    // Meeting minutes are of every meeting the user sees, not of a form.
    let form_id = match format.as_str() {
        "md" => MEETINGS.to_string(),
        _ => form.get("form_id").map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).ok_or_else(|| HubError::Usage("choose a form to export".into()))?,
    };
    let drafts = form.get("drafts").is_some_and(|v| v == "1");
    let language = form.get("labels").map(|l| l.trim().to_string()).filter(|l| !l.is_empty());
    // An empty password: a clear ZIP (the page warns); any other is checked before the job starts.
    let password = form.get("password").filter(|p| !p.is_empty()).cloned();
    if let Some(p) = &password {
        crate::archive::check_password(p)?;
    }
    sweep(c);
    let id = hex::encode(rand::random::<[u8; 16]>());
    c.jobs.0.lock().unwrap_or_else(|p| p.into_inner()).insert(
        id.clone(),
        Job { user: s.user.name.clone(), form_id: form_id.clone(), format: format.clone(), ..Default::default() },
    );
    let scopes = s.user.scopes.clone();
    let (c2, job) = (c.clone(), id.clone());
    std::thread::spawn(move || {
        let what = What { form_id: &form_id, format: &format, drafts, language };
        let out = run(&c2, &job, &what, scopes.as_deref(), password.as_deref());
        c2.jobs.update(&job, |j| match out {
            Ok(file) => j.file = Some(file),
            Err(e) => j.error = Some(e.to_string()),
        });
    });
    Ok(id)
}

/// What a job exports.
struct What<'a> {
    form_id: &'a str,
    format: &'a str,
    drafts: bool,
    language: Option<String>,
}

fn run(c: &Console, job: &str, what: &What<'_>, scopes: Option<&[String]>, password: Option<&str>) -> Result<PathBuf, HubError> {
    let dir = exports_dir(c).join(job);
    sangam_core::files::private_dir(&dir)?;
    let scope_list: Vec<Option<String>> = match scopes {
        None => vec![None],
        Some(l) => l.iter().cloned().map(Some).collect(),
    };
    let many = scope_list.len() > 1;
    let mut base = 0u64;
    for scope in scope_list {
        let out = match (&scope, many) {
            (Some(s), true) => dir.join(sangam_core::export::file_safe_name(s)),
            _ => dir.clone(),
        };
        let opts = ExportOptions { scope, include_drafts: what.drafts, language: what.language.clone(), ..Default::default() };
        let mut progress = |p: &sangam_core::ExportProgress| {
            c.jobs.update(job, |j| {
                j.done = base + p.done;
                j.total = j.total.max(base + p.total);
            });
            true
        };
        let report = match what.format {
            "jsonl" => c.store.export_jsonl(what.form_id, &opts, &out, &mut progress)?,
            "automerge" => c.store.export_automerge(what.form_id, &opts, &out, &mut progress)?,
            "md" => c.store.export_meetings_markdown(&opts, &out, &mut progress)?,
            _ => c.store.export_csv(what.form_id, &opts, &out, &mut progress)?,
        };
        base += report.records;
        c.jobs.update(job, |j| {
            j.media += report.media;
            j.media_missing += report.media_missing.len();
        });
    }
    let zip_path = exports_dir(c).join(format!("{job}.zip"));
    crate::archive::zip_dir(&dir, &zip_path, &format!("{}-{}", sangam_core::export::file_safe_name(what.form_id), what.format), password)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(zip_path)
}

/// The page of one job: progress while it runs (refreshing itself), then the download.
pub fn job_page(c: &Console, cx: &Ctx, id: &str) -> Result<(String, String), HubError> {
    let job = valid_job(id).then(|| c.jobs.get(id)).flatten().filter(|j| j.user == cx.session.user.name);
    let Some(job) = job else { return Err(HubError::Core(sangam_core::Error::NotFound(id.to_string()))) };
    let mut b = format!("<p>{} · {}</p>", esc(&job.form_id), esc(&job.format));
    if let Some(e) = &job.error {
        b += &format!("<p class=\"flags\">{}: {}</p>", cx.t("error"), esc(e));
    } else if job.file.is_some() {
        b += &format!(
            "<p id=\"export-ready\">{} ({} {}, {} {})</p><p><a class=\"button\" href=\"/console/exports/{}/download\">{}</a></p>",
            cx.t("export_ready"),
            job.done,
            cx.t("records"),
            job.media,
            cx.t("media_files"),
            q(id),
            cx.t("download")
        );
        if job.media_missing > 0 {
            b += &format!("<p class=\"dim\">{} {}</p>", job.media_missing, cx.t("media_missing"));
        }
    } else {
        let pct = if job.total > 0 { job.done * 100 / job.total } else { 0 };
        b += &format!(
            "<meta http-equiv=\"refresh\" content=\"2\"><p id=\"export-running\">{} {} / {} ({pct}%)</p><progress max=\"100\" value=\"{pct}\"></progress>",
            cx.t("exporting"),
            job.done,
            job.total
        );
    }
    Ok((cx.t("exports").to_string(), b))
}

/// The finished ZIP of job `id`, for the user who started it.
pub fn job_file(c: &Console, user: &str, id: &str) -> Option<(PathBuf, String)> {
    let job = valid_job(id).then(|| c.jobs.get(id)).flatten().filter(|j| j.user == user)?;
    let file = job.file?;
    Some((file, format!("{}-{}.zip", sangam_core::export::file_safe_name(&job.form_id), job.format)))
}

/// Removes export files older than a day, and their jobs.
fn sweep(c: &Console) {
    if let Ok(entries) = std::fs::read_dir(exports_dir(c)) {
        for e in entries.flatten() {
            let old = e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age > JOB_TTL);
            if old {
                let p = e.path();
                let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
            }
        }
    }
    c.jobs.0.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, j| j.file.as_ref().is_none_or(|f| f.exists()) || j.error.is_some());
}
