//! The console's forms pages: the published forms, and an XLSForm upload that is checked (every
//! problem named by its cell), previewed (questions, types and labels in each language, the
//! attachments it reads) and, by an admin, published with its attachments — what
//! `sangam-hub form inspect` and `form publish` do on the command line.
//!
//! An upload waits in `DATA/console-uploads/<random id>/` (private files) between its check and
//! its publication, and is removed once published; uploads older than a day are removed when
//! the next one arrives.

use std::collections::HashMap;
use std::path::PathBuf;

use sangam_core::forms::xlsform;
use sangam_core::{Identity, Role};

use super::accounts::Session;
use super::html::{csrf_field, esc, when};
use super::{Console, Ctx};
use crate::HubError;

/// Largest upload (the workbook and its attachments together).
pub const MAX_UPLOAD_BYTES: usize = 48 * 1024 * 1024;
const UPLOADS: &str = "console-uploads";
const UPLOAD_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// One uploaded workbook with its attachments, as the multipart form brought them.
pub struct Upload {
    pub form: Option<(String, Vec<u8>)>,
    pub attachments: Vec<(String, Vec<u8>)>,
    pub fields: HashMap<String, String>,
}

fn safe_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let ok = !base.is_empty() && base.len() <= 100 && !base.starts_with('.') && base.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    ok.then(|| base.to_string())
}

fn uploads_dir(c: &Console) -> PathBuf {
    c.data.join(UPLOADS)
}

fn upload_dir(c: &Console, id: &str) -> Option<PathBuf> {
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| uploads_dir(c).join(id))
}

/// The published forms the user may see; for an admin, the upload form too.
pub fn list(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let mut b = String::new();
    b += &upload_form(cx);
    b += &format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        cx.t("form"),
        cx.t("version"),
        cx.t("title"),
        cx.t("scope"),
        cx.t("updated")
    );
    let forms: Vec<_> = c.store.list_forms(None)?.into_iter().filter(|f| cx.session.user.sees(&f.scope)).collect();
    for f in &forms {
        b += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(f.form_id.as_deref().unwrap_or("")),
            esc(f.form_version.as_deref().unwrap_or("")),
            esc(f.title.as_deref().unwrap_or("")),
            esc(&f.scope),
            when(f.updated_at_ms)
        );
    }
    if forms.is_empty() {
        b += &format!("<tr><td colspan=\"5\">{}</td></tr>", cx.t("nothing_found"));
    }
    Ok((cx.t("forms").to_string(), b + "</tbody></table>"))
}

fn upload_form(cx: &Ctx) -> String {
    format!(
        "<section><h2>{}</h2><form method=\"post\" action=\"/console/forms/check\" enctype=\"multipart/form-data\" class=\"bar\">{}\
         <label>{} <input type=\"file\" name=\"form\" accept=\".xlsx,.xls\" required></label>\
         <label>{} <input type=\"file\" name=\"attachments\" multiple></label><button>{}</button></form></section>",
        cx.t("upload_form"),
        csrf_field(&cx.session),
        cx.t("xlsform"),
        cx.t("form_files"),
        cx.t("check")
    )
}

/// Checks an uploaded workbook: its problems, or its preview with the button to publish it.
pub fn check(c: &Console, cx: &Ctx, up: Upload) -> Result<(String, String), HubError> {
    let Some((file_name, bytes)) = up.form else {
        return Err(HubError::Usage("choose an XLSForm (.xlsx or .xls) to upload".into()));
    };
    let stem = file_name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&file_name).to_string();
    let mut b = format!("<p class=\"meta\">{}</p>", esc(&file_name));
    let imported = match xlsform::import_bytes_with_warnings(&bytes, &stem) {
        Ok(i) => i,
        Err(problems) => {
            b += &format!("<section><h2>{} ({})</h2><ul class=\"flags\">", cx.t("form_problems"), problems.len());
            for p in problems.iter().filter(|p| !p.is_warning()).take(500) {
                b += &format!("<li>{}</li>", esc(&p.to_string()));
            }
            b += "</ul></section>";
            b += &upload_form(cx);
            return Ok((cx.t("form_problems").to_string(), b));
        }
    };
    let def = &imported.definition;
    b += &format!(
        "<h2>{} <span class=\"dim\">{} · {} {}</span></h2><p>{}: {}</p>",
        esc(&def.title),
        esc(&def.form_id),
        cx.t("version"),
        esc(&def.version),
        cx.t("languages"),
        esc(&def.languages.join(", "))
    );
    if !imported.warnings.is_empty() {
        b += &format!("<section><h2>{}</h2><ul class=\"dim\">", cx.t("form_warnings"));
        for w in imported.warnings.iter().take(200) {
            b += &format!("<li>{}</li>", esc(&w.to_string()));
        }
        b += "</ul></section>";
    }
    // What it reads from files, and which of them came.
    let mut needed: Vec<String> = def.questions().into_iter().filter(|(q, _)| q.choices_from_file).filter_map(|(q, _)| q.list_name.clone()).collect();
    needed.sort();
    needed.dedup();
    let given: Vec<&str> = up.attachments.iter().map(|(n, _)| n.as_str()).collect();
    let missing: Vec<&String> = needed.iter().filter(|n| !given.contains(&n.as_str())).collect();
    if !needed.is_empty() || !given.is_empty() {
        b += &format!("<section><h2>{}</h2><ul>", cx.t("form_files"));
        for n in &given {
            b += &format!("<li>{}</li>", esc(n));
        }
        for n in &missing {
            b += &format!("<li class=\"overdue\">{} — {}</li>", esc(n), cx.t("file_missing"));
        }
        b += "</ul></section>";
    }
    // The questions, with their labels in every language.
    b += &format!(
        "<section><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th>",
        cx.t("questions"),
        cx.t("name"),
        cx.t("type")
    );
    for l in &def.languages {
        b += &format!("<th>{}</th>", esc(l));
    }
    b += "</tr></thead><tbody>";
    for (question, at) in def.questions().into_iter().take(2000) {
        let mut path: Vec<&str> = at.groups.iter().map(String::as_str).collect();
        if let Some(r) = &at.repeat {
            path.insert(0, r);
        }
        path.push(&question.name);
        b += &format!("<tr><td>{}</td><td>{}</td>", esc(&path.join(" / ")), esc(question.kind.as_str()));
        for l in &def.languages {
            b += &format!("<td>{}</td>", esc(question.label.get(l).map(String::as_str).unwrap_or("")));
        }
        b += "</tr>";
    }
    b += "</tbody></table></section>";
    // Keep the upload for its publication.
    if cx.session.user.role == Role::Admin && missing.is_empty() {
        let id = hex::encode(rand::random::<[u8; 16]>());
        let dir = uploads_dir(c).join(&id);
        sweep(c);
        sangam_core::files::private_dir(&dir)?;
        sangam_core::files::write_private(&dir.join("form.xlsx"), &bytes)?;
        let files = dir.join("files");
        sangam_core::files::private_dir(&files)?;
        for (n, data) in &up.attachments {
            sangam_core::files::write_private(&files.join(n), data)?;
        }
        b += &format!(
            "<form method=\"post\" action=\"/console/forms/publish\" class=\"bar\">{}<input type=\"hidden\" name=\"upload\" value=\"{id}\">\
             <label>{} <input name=\"scope\" required></label><button>{}</button></form>",
            csrf_field(&cx.session),
            cx.t("scope"),
            cx.t("publish")
        );
    } else if cx.session.user.role != Role::Admin {
        b += &format!("<p class=\"dim\">{}</p>", cx.t("admins_publish"));
    }
    Ok((cx.t("form_preview").to_string(), b))
}

/// Publishes a checked upload to a scope (admins only), with its attachments.
pub fn publish(c: &Console, s: &Session, form: &HashMap<String, String>) -> Result<(), HubError> {
    if s.user.role != Role::Admin {
        return Err(HubError::Core(sangam_core::Error::Forbidden("only an admin may publish forms".into())));
    }
    let dir = form.get("upload").and_then(|id| upload_dir(c, id)).filter(|d| d.is_dir()).ok_or_else(|| HubError::Usage("that upload is gone; upload the form again".into()))?;
    let scope = form.get("scope").map(|s| s.trim()).filter(|s| !s.is_empty()).ok_or_else(|| HubError::Usage("give the scope to publish to".into()))?;
    let bytes = std::fs::read(dir.join("form.xlsx"))?;
    let def = xlsform::import_bytes(&bytes, "form").map_err(|p| HubError::Usage(format!("the form has {} problem(s); check it again", p.len())))?;
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("files")) {
        for e in entries.flatten() {
            if let Some(name) = e.file_name().to_str().and_then(safe_file_name) {
                files.push((name, std::fs::read(e.path())?));
            }
        }
    }
    {
        let _one_writer = c.write.lock().unwrap_or_else(|p| p.into_inner());
        c.store.set_identity(Identity::new(&s.user.name, &s.user.display, s.user.role))?;
        c.store.publish_form_with_files(&def, scope, &files)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Removes uploads older than a day.
fn sweep(c: &Console) {
    let Ok(entries) = std::fs::read_dir(uploads_dir(c)) else { return };
    for e in entries.flatten() {
        let old = e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age > UPLOAD_TTL);
        if old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Reads the multipart upload: the workbook (`form`), its attachments (`attachments`, each
/// with a safe file name) and the text fields; at most [`MAX_UPLOAD_BYTES`] in all.
pub async fn read_upload(mut m: axum::extract::Multipart) -> Result<Upload, String> {
    let mut up = Upload { form: None, attachments: Vec::new(), fields: HashMap::new() };
    let mut total = 0usize;
    while let Some(field) = m.next_field().await.map_err(|e| format!("the upload could not be read: {e}"))? {
        let name = field.name().unwrap_or("").to_string();
        let file = field.file_name().map(str::to_string);
        let mut data = Vec::new();
        let mut field = field;
        while let Some(chunk) = field.chunk().await.map_err(|e| format!("the upload could not be read: {e}"))? {
            total += chunk.len();
            if total > MAX_UPLOAD_BYTES {
                return Err(format!("the upload is over {} MiB", MAX_UPLOAD_BYTES / 1024 / 1024));
            }
            data.extend_from_slice(&chunk);
        }
        match (name.as_str(), file) {
            ("form", Some(f)) if !data.is_empty() => up.form = Some((safe_file_name(&f).unwrap_or_else(|| "form.xlsx".into()), data)),
            ("attachments", Some(f)) if !data.is_empty() => {
                let f = safe_file_name(&f).ok_or_else(|| format!("'{}' is not a usable file name (letters, digits, '.', '-', '_')", f.chars().take(60).collect::<String>()))?;
                up.attachments.push((f, data));
            }
            (_, None) => {
                up.fields.insert(name, String::from_utf8_lossy(&data).into_owned());
            }
            _ => {}
        }
    }
    Ok(up)
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_kept_safe() {
        assert_eq!(super::safe_file_name("C:\\forms\\villages.csv").as_deref(), Some("villages.csv"));
        assert_eq!(super::safe_file_name("../../hub.db").as_deref(), Some("hub.db"));
        assert!(super::safe_file_name("..").is_none());
        assert!(super::safe_file_name("a b.csv").is_none());
    }
}
