//! The coordinator's web console, served by `sangam-hub serve` under `/console/`.
//!
//! Pages are drawn on the server (HTML with a little CSS and one small script, both embedded in
//! the binary; nothing is fetched from elsewhere), in English or Hindi. Every write goes
//! through the same `sangam-core` operations as the command line, as the signed-in
//! coordinator, so history, conflicts and sync behave exactly as for the CLI and phones.
//!
//! Security: accounts from `sangam-hub user add` (Argon2id), server-side sessions in an
//! `HttpOnly`, `SameSite=Strict` cookie (`Secure` under TLS), a CSRF token in every form,
//! failed sign-ins limited per account and per address, a strict Content-Security-Policy,
//! and the console refused unless the hub serves TLS or listens on loopback only. A
//! coordinator sees and changes only records of their scopes.

pub mod accounts;
mod exports;
mod bundles;
mod forms;
pub mod html;
pub mod i18n;
mod pages;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use sangam_core::Store;

use crate::devices::Devices;
use crate::HubError;
use accounts::{Accounts, Limiter, Session};
use i18n::{t, tf, Lang};

pub const COOKIE: &str = "sangam_session";
pub const LANG_COOKIE: &str = "sangam_lang";

/// What the console's handlers share.
pub struct Console {
    /// The console's own handle on the hub's store (writes take `write` and act as the
    /// signed-in user).
    pub store: Store,
    pub write: Mutex<()>,
    /// The hub's data directory (for the certificate pin of enrolment codes).
    pub data: std::path::PathBuf,
    pub devices: Arc<Devices>,
    pub accounts: Accounts,
    pub limiter: Limiter,
    pub secure: bool,
    pub enabled: bool,
    /// Export jobs started from the console.
    pub jobs: exports::Jobs,
}

type Shared = Arc<Console>;

/// The console's routes. `enabled` is false when the hub listens beyond loopback without TLS:
/// then every console path answers 404 with the reason.
pub fn router(data: &std::path::Path, devices: Arc<Devices>, tls: bool, loopback: bool) -> Result<Router, HubError> {
    let console = Arc::new(Console {
        store: crate::open_store(data)?,
        write: Mutex::new(()),
        data: data.to_path_buf(),
        devices,
        accounts: Accounts::open(data)?,
        limiter: Limiter::default(),
        secure: tls,
        enabled: tls || loopback,
        jobs: exports::Jobs::default(),
    });
    Ok(Router::new()
        .route("/console", get(|| async { redirect("/console/overview") }))
        .route("/console/", get(|| async { redirect("/console/overview") }))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/logout-all", post(logout_all))
        .route("/console/lang", get(lang))
        .route("/console/overview", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::overview)))
        .route("/console/responses", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::responses)))
        .route("/console/review", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::review_queue)))
        .route("/console/conflicts", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::conflicts)))
        .route("/console/devices", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::devices)))
        .route("/console/exports", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, exports::page)).post(export_start))
        .route("/console/exports/{id}", get(export_job))
        .route("/console/exports/{id}/download", get(export_download))
        .route("/console/forms", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, forms::list)))
        .route("/console/forms/check", post(form_check).layer(axum::extract::DefaultBodyLimit::max(forms::MAX_UPLOAD_BYTES + 64 * 1024)))
        .route("/console/forms/publish", post(form_publish))
        .route("/console/bundles", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, bundles::page)))
        .route("/console/bundles/import", post(bundle_import).layer(axum::extract::DefaultBodyLimit::max(bundles::MAX_BUNDLE_UPLOAD_BYTES + 64 * 1024)))
        .route("/console/bundles/export", post(bundle_export))
        .route("/console/map", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::map)))
        .route("/console/meetings", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::meetings)))
        .route("/console/actions", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::actions)))
        .route("/console/r/{id}/action", post(|s: State<Shared>, h: HeaderMap, p: Path<String>, f: Form<std::collections::HashMap<String, String>>| action(s, h, p, f, pages::set_action_status)))
        .route("/console/duplicates", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::duplicates)))
        .route("/console/subjects", get(|s: State<Shared>, h: HeaderMap, u: axum::http::Uri| page(s, h, u, pages::subjects)))
        .route("/console/r/{id}/merge", post(|s: State<Shared>, h: HeaderMap, p: Path<String>, f: Form<std::collections::HashMap<String, String>>| action(s, h, p, f, pages::merge)))
        .route("/console/r/{id}/unmerge", post(|s: State<Shared>, h: HeaderMap, p: Path<String>, f: Form<std::collections::HashMap<String, String>>| action(s, h, p, f, pages::unmerge)))
        .route("/console/devices/enrol", post(enrol))
        .route("/console/devices/revoke", post(revoke))
        .route("/console/r/{id}", get(record))
        .route("/console/r/{id}/media/{name}", get(media))
        .route("/console/r/{id}/review", post(|s: State<Shared>, h: HeaderMap, p: Path<String>, f: Form<std::collections::HashMap<String, String>>| action(s, h, p, f, pages::set_review)))
        .route("/console/r/{id}/comment", post(|s: State<Shared>, h: HeaderMap, p: Path<String>, f: Form<std::collections::HashMap<String, String>>| action(s, h, p, f, pages::comment)))
        .route("/console/r/{id}/resolve", post(|s: State<Shared>, h: HeaderMap, p: Path<String>, f: Form<std::collections::HashMap<String, String>>| action(s, h, p, f, pages::resolve)))
        .with_state(console)
        .layer(axum::middleware::from_fn(compress)))
}

/// A request's language, session and query, as the page functions see them.
pub struct Ctx {
    pub lang: Lang,
    pub session: Session,
    pub query: std::collections::HashMap<String, String>,
    pub here: String,
    /// The `Host` the browser used (the hub's address as this office reaches it).
    pub host: String,
}

impl Ctx {
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
    /// The scopes to show: the one asked for (if the user sees it), else all the user's.
    pub fn scopes(&self) -> Option<Vec<String>> {
        match self.q("scope") {
            Some(s) if self.session.user.sees(s) => Some(vec![s.to_string()]),
            _ => self.session.user.scopes.clone(),
        }
    }

    /// The scopes to list one at a time (lists take one scope each): `[None]` for all.
    pub fn scope_list(&self) -> Vec<Option<String>> {
        match self.scopes() {
            None => vec![None],
            Some(l) => l.into_iter().map(Some).collect(),
        }
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::parse(cookie(headers, LANG_COOKIE).unwrap_or("en"))
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// Security headers every console answer carries.
fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

fn html(status: StatusCode, body: String) -> Response {
    harden((status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}

fn disabled(lang: Lang) -> Response {
    html(StatusCode::NOT_FOUND, format!("<!doctype html><meta charset=\"utf-8\"><p>{}</p>", t(lang, "disabled")))
}

/// A page with a message only (errors, refusals).
fn message(lang: Lang, session: Option<&Session>, status: StatusCode, text: &str) -> Response {
    let title = if status.is_success() { t(lang, "app") } else { t(lang, "error") };
    let p = html::Page { lang, session, title, here: "/console/overview" };
    html(status, html::frame(&p, &format!("<p class=\"msg\">{}</p>", html::esc(text))))
}

async fn css() -> Response {
    let mut r = ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("assets/console.css")).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    harden(r)
}

async fn js() -> Response {
    let mut r = ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("assets/console.js")).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    harden(r)
}

/// Runs blocking work (SQLite, Argon2) off the async threads; a panic is a 500 page.
async fn blocking(lang: Lang, f: impl FnOnce() -> Response + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(_) => message(lang, None, StatusCode::INTERNAL_SERVER_ERROR, t(lang, "error")),
    }
}

/// The signed-in session of a request, if any.
fn session_of(c: &Console, headers: &HeaderMap) -> Option<(String, Session)> {
    let token = cookie(headers, COOKIE)?;
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    c.accounts.session(token).ok().flatten().map(|s| (token.to_string(), s))
}

fn here_of(path: &str, query: &std::collections::HashMap<String, String>) -> String {
    let mut here = path.to_string();
    let mut first = true;
    let mut keys: Vec<_> = query.iter().filter(|(_, v)| !v.is_empty()).collect();
    keys.sort();
    for (k, v) in keys {
        here.push(if first { '?' } else { '&' });
        first = false;
        here += &format!("{}={}", html::q(k), html::q(v));
    }
    here
}

type PageFn = fn(&Console, &Ctx) -> Result<(String, String), HubError>;

async fn page(
    State(c): State<Shared>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    f: PageFn,
) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    let query: std::collections::HashMap<String, String> =
        uri.query().and_then(|q| serde_urlencoded_map(q)).unwrap_or_default();
    let path = uri.path().to_string();
    blocking(lang, move || {
        let Some((_, session)) = session_of(&c, &headers) else { return redirect("/console/login") };
        let here = here_of(&path, &query);
        let cx = Ctx { lang, session, query, here, host: host_of(&headers) };
        framed(&cx, f(&c, &cx))
    })
    .await
}

fn error_page(lang: Lang, session: Option<&Session>, e: HubError) -> Response {
    match e {
        HubError::Core(sangam_core::Error::NotFound(_)) => message(lang, session, StatusCode::NOT_FOUND, t(lang, "not_found")),
        HubError::Core(sangam_core::Error::InvalidInput(m)) | HubError::Usage(m) => message(lang, session, StatusCode::BAD_REQUEST, &m),
        HubError::Core(sangam_core::Error::Forbidden(m)) => message(lang, session, StatusCode::FORBIDDEN, &m),
        other => {
            tracing::warn!(error = %other, "console page failed");
            message(lang, session, StatusCode::INTERNAL_SERVER_ERROR, t(lang, "error"))
        }
    }
}

/// The session of a form post whose CSRF token is right, or the refusal to answer with.
fn posted_session(c: &Console, headers: &HeaderMap, form: &std::collections::HashMap<String, String>, lang: Lang) -> Result<Session, Response> {
    let Some((_, session)) = session_of(c, headers) else {
        return Err(message(lang, None, StatusCode::UNAUTHORIZED, t(lang, "bad_login")));
    };
    if !csrf_ok(&session, form) {
        return Err(message(lang, Some(&session), StatusCode::FORBIDDEN, t(lang, "bad_csrf")));
    }
    Ok(session)
}

/// A page function's result, framed (or its error page).
fn framed(cx: &Ctx, result: Result<(String, String), HubError>) -> Response {
    match result {
        Ok((title, body)) => {
            let p = html::Page { lang: cx.lang, session: Some(&cx.session), title: &title, here: &cx.here };
            html(StatusCode::OK, html::frame(&p, &body))
        }
        Err(e) => error_page(cx.lang, Some(&cx.session), e),
    }
}

/// Parses a query string into a map (the last of repeated keys wins).
fn serde_urlencoded_map(q: &str) -> Option<std::collections::HashMap<String, String>> {
    let mut m = std::collections::HashMap::new();
    for part in q.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        m.insert(pct_decode(k)?, pct_decode(v)?);
    }
    Some(m)
}

fn pct_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            x => out.push(x),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

async fn record(State(c): State<Shared>, headers: HeaderMap, Path(id): Path<String>, uri: axum::http::Uri) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    let query = uri.query().and_then(serde_urlencoded_map).unwrap_or_default();
    blocking(lang, move || {
        let Some((_, session)) = session_of(&c, &headers) else { return redirect("/console/login") };
        let here = format!("/console/r/{}", html::q(&id));
        let cx = Ctx { lang, session, query, here, host: host_of(&headers) };
        framed(&cx, pages::record(&c, &cx, &id))
    })
    .await
}

/// A media file a record names, for a signed-in user who may see the record: photos, audio
/// and video of common types inline, anything else as a download. Content-addressed, so the
/// browser may keep it.
async fn media(State(c): State<Shared>, headers: HeaderMap, Path((id, name)): Path<(String, String)>) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    blocking(lang, move || {
        let Some((_, session)) = session_of(&c, &headers) else { return redirect("/console/login") };
        let not_found = || message(lang, Some(&session), StatusCode::NOT_FOUND, t(lang, "media_missing"));
        let Ok(summary) = c.store.summary(&id) else { return not_found() };
        if !session.user.sees(&summary.scope) {
            return not_found();
        }
        let Ok(refs) = c.store.response_media(&id) else { return not_found() };
        let Some(r) = refs.into_iter().find(|m| m.name == name) else { return not_found() };
        let Ok(bytes) = c.store.media_bytes(&name) else { return not_found() };
        let mime = r.mime.unwrap_or_default();
        let inline = matches!(
            mime.as_str(),
            "image/jpeg" | "image/png" | "image/webp" | "audio/mp4" | "audio/mpeg" | "audio/ogg" | "audio/wav" | "audio/amr" | "audio/3gpp" | "video/mp4" | "video/webm" | "video/3gpp"
        );
        let mut resp = (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, if inline { mime.clone() } else { "application/octet-stream".to_string() }),
                (header::CONTENT_DISPOSITION, format!("{}; filename=\"{name}\"", if inline { "inline" } else { "attachment" })),
                (header::CACHE_CONTROL, "private, max-age=604800, immutable".to_string()),
            ],
            bytes,
        )
            .into_response();
        resp = harden(resp);
        resp
    })
    .await
}

/// A form post: session and CSRF token checked (or the refusal), then `f` answers, on a
/// blocking thread.
async fn posted(
    c: Shared,
    headers: HeaderMap,
    form: std::collections::HashMap<String, String>,
    f: impl FnOnce(&Console, Lang, &Session, &std::collections::HashMap<String, String>) -> Response + Send + 'static,
) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    blocking(lang, move || match posted_session(&c, &headers, &form, lang) {
        Ok(session) => f(&c, lang, &session, &form),
        Err(refused) => refused,
    })
    .await
}

/// Starts an export, then to its page.
async fn export_start(State(c): State<Shared>, headers: HeaderMap, Form(form): Form<std::collections::HashMap<String, String>>) -> Response {
    let shared = c.clone();
    posted(c, headers, form, move |_, lang, session, form| match exports::start(&shared, session, form) {
        Ok(id) => redirect(&format!("/console/exports/{id}")),
        Err(e) => error_page(lang, Some(session), e),
    })
    .await
}

/// An export's page: its progress, then its download.
async fn export_job(State(c): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    blocking(lang, move || {
        let Some((_, session)) = session_of(&c, &headers) else { return redirect("/console/login") };
        let here = format!("/console/exports/{}", html::q(&id));
        let cx = Ctx { lang, session, query: Default::default(), here, host: host_of(&headers) };
        framed(&cx, exports::job_page(&c, &cx, &id))
    })
    .await
}

/// An export's ZIP file, streamed from disk, for the user who started it.
async fn export_download(State(c): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    let Some((_, session)) = session_of(&c, &headers) else { return redirect("/console/login") };
    let Some((path, name)) = exports::job_file(&c, &session.user.name, &id) else {
        return message(lang, Some(&session), StatusCode::NOT_FOUND, t(lang, "not_found"));
    };
    let Ok(file) = tokio::fs::File::open(&path).await else {
        return message(lang, Some(&session), StatusCode::NOT_FOUND, t(lang, "not_found"));
    };
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let resp = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        body,
    )
        .into_response();
    harden(resp)
}

/// An XLSForm upload: session and CSRF token (a field of the multipart form) checked, then
/// the check and preview page.
async fn form_check(State(c): State<Shared>, headers: HeaderMap, multipart: axum::extract::Multipart) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    let upload = forms::read_upload(multipart).await;
    blocking(lang, move || {
        let fields = upload.as_ref().map(|u| u.fields.clone()).unwrap_or_default();
        let session = match posted_session(&c, &headers, &fields, lang) {
            Ok(s) => s,
            Err(refused) => return refused,
        };
        let cx = Ctx { lang, session, query: Default::default(), here: "/console/forms".into(), host: host_of(&headers) };
        match upload {
            Ok(up) => framed(&cx, forms::check(&c, &cx, up)),
            Err(why) => framed(&cx, Err(HubError::Usage(why))),
        }
    })
    .await
}

/// A bundle upload: session and CSRF token (a field of the multipart form) checked, then the
/// import and its report.
async fn bundle_import(State(c): State<Shared>, headers: HeaderMap, multipart: axum::extract::Multipart) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    let upload = bundles::read_upload(multipart).await;
    blocking(lang, move || {
        let fields = upload.as_ref().map(|u| u.fields.clone()).unwrap_or_default();
        let session = match posted_session(&c, &headers, &fields, lang) {
            Ok(s) => s,
            Err(refused) => return refused,
        };
        let cx = Ctx { lang, session, query: Default::default(), here: "/console/bundles".into(), host: host_of(&headers) };
        match upload {
            Ok(up) => framed(&cx, bundles::import(&c, &cx, up)),
            Err(why) => framed(&cx, Err(HubError::Usage(why))),
        }
    })
    .await
}

/// A bundle for a phone, written and sent as a download.
async fn bundle_export(State(c): State<Shared>, headers: HeaderMap, Form(form): Form<std::collections::HashMap<String, String>>) -> Response {
    posted(c, headers, form, |c, lang, session, form| match bundles::export(c, session, form) {
        Ok((bytes, name)) => harden(
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                ],
                bytes,
            )
                .into_response(),
        ),
        Err(e) => error_page(lang, Some(session), e),
    })
    .await
}

/// Publishes a checked upload, then back to the forms list.
async fn form_publish(State(c): State<Shared>, headers: HeaderMap, Form(form): Form<std::collections::HashMap<String, String>>) -> Response {
    posted(c, headers, form, |c, lang, session, form| match forms::publish(c, session, form) {
        Ok(()) => redirect("/console/forms"),
        Err(e) => error_page(lang, Some(session), e),
    })
    .await
}

type ActionFn = fn(&Console, &Session, &str, &std::collections::HashMap<String, String>) -> Result<(), HubError>;

/// A form post on a record: checks session and CSRF token, runs `f`, then goes back.
async fn action(
    State(c): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<std::collections::HashMap<String, String>>,
    f: ActionFn,
) -> Response {
    posted(c, headers, form, move |c, lang, session, form| match f(c, session, &id, form) {
        Ok(()) => {
            let back = form.get("back").map(String::as_str).filter(|b| safe_back(b)).map(str::to_string);
            redirect(&back.unwrap_or_else(|| format!("/console/r/{}", html::q(&id))))
        }
        Err(e) => error_page(lang, Some(session), e),
    })
    .await
}

/// Only paths of this console are places to go back to (no open redirect).
fn safe_back(b: &str) -> bool {
    b.starts_with("/console/") && !b.starts_with("//") && !b.contains('\\') && !b.contains("://")
}

fn csrf_ok(session: &Session, form: &std::collections::HashMap<String, String>) -> bool {
    use subtle::ConstantTimeEq;
    let (Some(sent), Ok(token)) = (form.get("csrf").and_then(|v| html::unmask_csrf(v)), hex::decode(&session.csrf)) else {
        return false;
    };
    sent.len() == token.len() && bool::from(sent.ct_eq(&token))
}

/// Whether an `Accept-Encoding` value accepts gzip (and does not refuse it with `q=0`).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| matches!(p.trim().strip_prefix("q="), Some(q) if q.trim().parse::<f32>().is_ok_and(|q| q == 0.0)));
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// Pages, style sheet and script go gzip-compressed to a browser that accepts it (a review
/// queue page of 80 KB is 10 KB on the wire over an office's Wi-Fi or a dongle). Media, ZIP
/// exports and small answers go as they are.
async fn compress(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use std::io::Write;
    let gzip = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(accepts_gzip);
    let r = next.run(req).await;
    let text = r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/"));
    if !gzip || !text || r.headers().contains_key(header::CONTENT_ENCODING) {
        return r;
    }
    let (mut parts, body) = r.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be sent").into_response();
    };
    parts.headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    if bytes.len() < 1024 {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let mut z = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::new(6));
    let Ok(zipped) = z.write_all(&bytes).and_then(|_| z.finish()) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(zipped))
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    back: Option<String>,
}

async fn lang(Query(q): Query<LangQuery>) -> Response {
    let to = Lang::parse(&q.to);
    let back = q.back.filter(|b| safe_back(b)).unwrap_or_else(|| "/console/overview".into());
    let mut r = redirect(&back);
    if let Ok(v) = HeaderValue::from_str(&format!("{LANG_COOKIE}={}; Path=/console; Max-Age=31536000; SameSite=Lax", to.code())) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    harden(r)
}

fn login_form(lang: Lang, error: Option<&str>, status: StatusCode) -> Response {
    let err = error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", html::esc(e))).unwrap_or_default();
    let body = format!(
        "{err}<form method=\"post\" action=\"/console/login\" class=\"login\">\
         <label>{} <input name=\"user\" autocomplete=\"username\" required autofocus></label>\
         <label>{} <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
         <button type=\"submit\">{}</button></form>",
        t(lang, "user"),
        t(lang, "password"),
        t(lang, "sign_in")
    );
    let p = html::Page { lang, session: None, title: t(lang, "sign_in"), here: "/console/login" };
    html(status, html::frame(&p, &body))
}

async fn login_page(State(c): State<Shared>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    login_form(lang, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    user: String,
    password: String,
}

/// Signs in. A cross-site post cannot sign a browser in to an attacker's account: the session
/// cookie is `SameSite=Strict`, and a post whose `Origin` is another site is refused.
async fn login(
    State(c): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    if !same_origin(&headers) {
        return message(lang, None, StatusCode::FORBIDDEN, t(lang, "bad_csrf"));
    }
    blocking(lang, move || {
        let user_key = format!("user:{}", f.user.trim());
        let addr_key = format!("addr:{}", addr.ip());
        let locked = c
            .limiter
            .locked(&user_key, accounts::FAILS_PER_USER)
            .or_else(|| c.limiter.locked(&addr_key, accounts::FAILS_PER_ADDRESS));
        if let Some(wait) = locked {
            let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
            let mut r = login_form(lang, Some(&tf(lang, "locked", &[&minutes])), StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        match c.accounts.check_password(f.user.trim(), &f.password) {
            Ok(Some(user)) => {
                c.limiter.clear(&user_key);
                match c.accounts.open_session(user) {
                    Ok((token, _)) => {
                        let mut r = redirect("/console/overview");
                        let cookie = format!(
                            "{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{}",
                            accounts::SESSION_MAX_MS / 1000,
                            if c.secure { "; Secure" } else { "" }
                        );
                        if let Ok(v) = HeaderValue::from_str(&cookie) {
                            r.headers_mut().append(header::SET_COOKIE, v);
                        }
                        harden(r)
                    }
                    Err(e) => error_page(lang, None, e),
                }
            }
            Ok(None) => {
                c.limiter.fail(&user_key);
                c.limiter.fail(&addr_key);
                login_form(lang, Some(t(lang, "bad_login")), StatusCode::UNAUTHORIZED)
            }
            Err(e) => error_page(lang, None, e),
        }
    })
    .await
}

/// A post with an `Origin` header must come from this host (browsers send it on posts).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.split_once("://").is_some_and(|(_, h)| h == host)
}

async fn logout(State(c): State<Shared>, headers: HeaderMap, Form(form): Form<std::collections::HashMap<String, String>>) -> Response {
    end_sessions(c, headers, form, false).await
}

async fn logout_all(State(c): State<Shared>, headers: HeaderMap, Form(form): Form<std::collections::HashMap<String, String>>) -> Response {
    end_sessions(c, headers, form, true).await
}

async fn end_sessions(c: Shared, headers: HeaderMap, form: std::collections::HashMap<String, String>, all: bool) -> Response {
    let lang = lang_of(&headers);
    blocking(lang, move || {
        let Some((token, session)) = session_of(&c, &headers) else { return redirect("/console/login") };
        if !csrf_ok(&session, &form) {
            return message(lang, Some(&session), StatusCode::FORBIDDEN, t(lang, "bad_csrf"));
        }
        let done = if all { c.accounts.close_all(&session.user.name).map(|_| ()) } else { c.accounts.close_session(&token) };
        if let Err(e) = done {
            return error_page(lang, Some(&session), e);
        }
        let mut r = if all { message(lang, None, StatusCode::OK, t(lang, "signed_out_all")) } else { redirect("/console/login") };
        if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        harden(r)
    })
    .await
}

fn host_of(headers: &HeaderMap) -> String {
    headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// A device post (enrol, revoke): session and CSRF checked, then `f` draws the answer page.
async fn device_post(
    c: Shared,
    headers: HeaderMap,
    form: std::collections::HashMap<String, String>,
    f: fn(&Console, &Ctx, &std::collections::HashMap<String, String>) -> Result<(String, String), HubError>,
) -> Response {
    let lang = lang_of(&headers);
    if !c.enabled {
        return disabled(lang);
    }
    blocking(lang, move || {
        let session = match posted_session(&c, &headers, &form, lang) {
            Ok(s) => s,
            Err(refused) => return refused,
        };
        let cx = Ctx { lang, session, query: Default::default(), here: "/console/devices".into(), host: host_of(&headers) };
        framed(&cx, f(&c, &cx, &form))
    })
    .await
}

async fn enrol(State(c): State<Shared>, headers: HeaderMap, Form(form): Form<std::collections::HashMap<String, String>>) -> Response {
    device_post(c, headers, form, pages::enrol).await
}

async fn revoke(State(c): State<Shared>, headers: HeaderMap, Form(form): Form<std::collections::HashMap<String, String>>) -> Response {
    device_post(c, headers, form, pages::revoke).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_accepted_unless_refused() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, gzip;q=0.8"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("deflate, br"));
        assert!(!accepts_gzip(""));
    }

    #[test]
    fn a_masked_csrf_token_unmasks_to_the_session_token_and_differs_each_time() {
        let session = Session {
            user: accounts::User { name: "meera".into(), display: "Meera".into(), role: sangam_core::Role::Coordinator, scopes: None, disabled: false },
            csrf: accounts::random_token(),
        };
        let (a, b) = (html::masked_csrf(&session), html::masked_csrf(&session));
        assert_ne!(a, b);
        let form = |v: &str| std::collections::HashMap::from([("csrf".to_string(), v.to_string())]);
        assert!(csrf_ok(&session, &form(&a)) && csrf_ok(&session, &form(&b)));
        assert!(!csrf_ok(&session, &form(&session.csrf)), "the bare token is not a masked one");
        assert!(!csrf_ok(&session, &form("zz")) && !csrf_ok(&session, &form("")));
        assert!(!csrf_ok(&session, &std::collections::HashMap::new()));
    }
}
