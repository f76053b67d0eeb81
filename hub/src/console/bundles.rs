//! The console's bundles: changes carried on a file (USB stick, SD card, Bluetooth share) for
//! phones the hub's network does not reach. A coordinator imports the bundle a phone wrote,
//! checked exactly as that phone's sync would be (its enrolment's role and scopes), and
//! writes one for a phone: the records of scopes the coordinator sees, sealed to the phone's
//! key when it has synced once (so only that phone can read it, and it refuses the file if a
//! byte changed). The same core operations as `sangam-hub bundle import` and `export`.

use std::collections::HashMap;

use sangam_core::sync::BundleOptions;

use super::accounts::Session;
use super::html::{csrf_field, esc};
use super::{Console, Ctx};
use crate::HubError;

/// A bundle upload at most: the media a bundle may carry, plus its records.
pub const MAX_BUNDLE_UPLOAD_BYTES: usize = sangam_core::sync::bundle::MAX_BUNDLE_MEDIA_BYTES as usize + 128 * 1024 * 1024;

/// A posted bundle: the file and the form's other fields.
pub struct BundleUpload {
    pub file: Option<Vec<u8>>,
    pub fields: HashMap<String, String>,
}

/// Reads a multipart post with one `bundle` file, within [`MAX_BUNDLE_UPLOAD_BYTES`].
pub async fn read_upload(mut m: axum::extract::Multipart) -> Result<BundleUpload, String> {
    let mut up = BundleUpload { file: None, fields: HashMap::new() };
    let mut total = 0usize;
    while let Some(mut field) = m.next_field().await.map_err(|e| format!("the upload could not be read: {e}"))? {
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        let mut data = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| format!("the upload could not be read: {e}"))? {
            total += chunk.len();
            if total > MAX_BUNDLE_UPLOAD_BYTES {
                return Err(format!("the upload is over {} MiB", MAX_BUNDLE_UPLOAD_BYTES / 1024 / 1024));
            }
            data.extend_from_slice(&chunk);
        }
        match (name.as_str(), is_file) {
            ("bundle", true) if !data.is_empty() => up.file = Some(data),
            (_, false) => {
                up.fields.insert(name, String::from_utf8_lossy(&data).into_owned());
            }
            _ => {}
        }
    }
    Ok(up)
}

/// Enrolled devices, not revoked, all of whose scopes this user sees: (name, label).
fn my_devices(c: &Console, s: &Session) -> Result<Vec<(String, String)>, HubError> {
    Ok(c.devices
        .list()?
        .into_iter()
        .filter(|d| !d.revoked && !d.scopes.is_empty() && d.scopes.iter().all(|x| s.user.sees(x)))
        .map(|d| {
            let label = format!("{} ({}, {})", d.name, d.role, d.scopes.join(", "));
            (d.name, label)
        })
        .collect())
}

fn options(list: &[(String, String)]) -> String {
    list.iter().map(|(v, l)| format!("<option value=\"{}\">{}</option>", esc(v), esc(l))).collect()
}

/// The page: import a phone's bundle; write one for a phone.
pub fn page(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let csrf = csrf_field(&cx.session);
    let devices = my_devices(c, &cx.session)?;
    let mut b = format!("<p class=\"dim\">{}</p>", cx.t("bundles_note"));
    b += &format!("<h2>{}</h2>", cx.t("bundle_import"));
    if devices.is_empty() {
        b += &format!("<p>{}</p>", cx.t("no_devices"));
    } else {
        b += &format!(
            "<form method=\"post\" action=\"/console/bundles/import\" enctype=\"multipart/form-data\" class=\"bar\" id=\"bundle-import\">{csrf}\
             <label>{} <select name=\"device\" required>{}</select></label>\
             <label>{} <input type=\"file\" name=\"bundle\" required></label><button>{}</button></form>",
            cx.t("bundle_from"),
            options(&devices),
            cx.t("bundle_file"),
            cx.t("import"),
        );
    }
    let sealable: Vec<(String, String)> = devices.into_iter().filter(|(name, _)| c.store.device_keys_of(name).is_ok_and(|k| !k.is_empty())).collect();
    let scopes = match &cx.session.user.scopes {
        Some(list) => list
            .iter()
            .map(|s| format!("<label class=\"check\"><input type=\"checkbox\" name=\"scope_{v}\" value=\"1\" checked> {v}</label>", v = esc(s)))
            .collect::<String>(),
        None => format!("<label>{} <input name=\"scopes\" placeholder=\"UP-SIT, UP-LKO\"></label>", cx.t("scope")),
    };
    b += &format!(
        "<h2>{}</h2><form method=\"post\" action=\"/console/bundles/export\" class=\"bar\" id=\"bundle-export\">{csrf}{scopes}\
         <label>{} <select name=\"seal_for\"><option value=\"\">{}</option>{}</select></label><button>{}</button></form>\
         <p class=\"dim\">{}</p>",
        cx.t("bundle_export"),
        cx.t("bundle_seal_for"),
        cx.t("bundle_unsealed"),
        options(&sealable),
        cx.t("download"),
        cx.t("bundle_seal_note"),
    );
    Ok((cx.t("bundles").to_string(), b))
}

/// Imports an uploaded bundle as the chosen device's sync would take it; the report page.
pub fn import(c: &Console, cx: &Ctx, up: BundleUpload) -> Result<(String, String), HubError> {
    let device = up.fields.get("device").map(|d| d.trim()).filter(|d| !d.is_empty()).ok_or_else(|| HubError::Usage("choose the device the bundle came from".into()))?;
    // Only a device of this user's scopes; any other is as unknown as one never enrolled.
    if !my_devices(c, &cx.session)?.iter().any(|(name, _)| name == device) {
        return Err(HubError::Core(sangam_core::Error::NotFound(device.to_string())));
    }
    let bytes = up.file.ok_or_else(|| HubError::Usage("choose the bundle file".into()))?;
    let peer = c.devices.peer(device)?;
    let report = {
        let _one_writer = c.write.lock().unwrap_or_else(|p| p.into_inner());
        c.store.import_bundle(&bytes, Some(&peer))?
    };
    let mut b = format!(
        "<p id=\"bundle-report\">{}: {} {}, {} {}, {} {}, {} {}</p>",
        esc(device),
        report.changed,
        cx.t("bundle_changed"),
        report.unchanged,
        cx.t("bundle_unchanged"),
        report.pending,
        cx.t("bundle_pending"),
        report.rejected.len(),
        cx.t("bundle_refused"),
    );
    if report.media > 0 || !report.media_refused.is_empty() {
        b += &format!("<p>{} {}, {} {}</p>", report.media, cx.t("media_files"), report.media_refused.len(), cx.t("bundle_refused"));
    }
    if !report.rejected.is_empty() || !report.media_refused.is_empty() {
        b += "<ul class=\"flags\">";
        for (id, why) in report.rejected.iter().chain(report.media_refused.iter()) {
            b += &format!("<li>{}: {}</li>", esc(id), esc(why));
        }
        b += "</ul>";
    }
    b += &format!("<p><a href=\"/console/bundles\">{}</a></p>", cx.t("bundles"));
    Ok((cx.t("bundle_import").to_string(), b))
}

/// Writes a bundle of the scopes asked for (each one this user sees), sealed to a phone when
/// asked: the file's bytes and its name.
pub fn export(c: &Console, s: &Session, form: &HashMap<String, String>) -> Result<(Vec<u8>, String), HubError> {
    let scopes: Vec<String> = match &s.user.scopes {
        Some(list) => list.iter().filter(|x| form.get(&format!("scope_{x}")).is_some_and(|v| v == "1")).cloned().collect(),
        None => form.get("scopes").map(|v| v.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()).unwrap_or_default(),
    };
    // No scope named means every scope: only for an admin, who sees them all.
    if scopes.is_empty() && s.user.scopes.is_some() {
        return Err(HubError::Usage("choose at least one scope".into()));
    }
    let seal_for = form.get("seal_for").map(|d| d.trim()).filter(|d| !d.is_empty());
    let recipient = match seal_for {
        Some(name) => {
            if !my_devices(c, s)?.iter().any(|(n, _)| n == name) {
                return Err(HubError::Core(sangam_core::Error::NotFound(name.to_string())));
            }
            let key = c.store.device_keys_of(name)?.into_iter().next().ok_or_else(|| {
                HubError::Usage(format!("the phone '{name}' has not synced with this hub yet, so its key is not known; it must sync once"))
            })?;
            Some(key)
        }
        None => None,
    };
    let signed = c.store.export_bundle(&BundleOptions { scopes: scopes.clone(), only_unsynced: false })?;
    let bytes = match &recipient {
        Some(k) => sangam_core::sync::sealed::seal(&signed, k)?,
        None => signed,
    };
    let what = match seal_for {
        Some(d) => sangam_core::export::file_safe_name(d),
        None if scopes.is_empty() => "all".to_string(),
        None => sangam_core::export::file_safe_name(&scopes.join("-")),
    };
    let day = sangam_core::iso_utc(sangam_core::now_ms());
    Ok((bytes, format!("sangam-{what}-{}.sgbn", day.get(..10).unwrap_or("bundle"))))
}
