//! The console's pages and the writes its forms make. Each page function returns a title and
//! the page's body; `mod.rs` frames it, checks the session and (for writes) the CSRF token.

use std::collections::{BTreeMap, HashMap};

use sangam_core::forms::definition::{Item, Translated};
use sangam_core::{
    FieldValue, FormDefinition, Identity, Role, ResponseQuery, ResponseSort, ResponseStatus, ReviewFilter, ReviewState, Store,
};

use super::accounts::Session;
use super::html::{bars, csrf_field, esc, q, when};
use super::i18n::Lang;
use super::{Console, Ctx};
use crate::HubError;

/// Rows per page of the responses table.
pub const PAGE_ROWS: u32 = 50;

fn day_ms(date: &str, end: bool) -> Option<i64> {
    // YYYY-MM-DD → Unix ms at 00:00 UTC (of the next day for `end`).
    let (y, rest) = date.split_once('-')?;
    let (m, d) = rest.split_once('-')?;
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468 + i64::from(end);
    Some(days * 86_400_000)
}

fn today() -> String {
    sangam_core::export::iso_utc(sangam_core::now_ms()).chars().take(10).collect()
}

fn state_label(cx: &Ctx, s: ReviewState) -> &'static str {
    cx.t(s.as_str())
}

fn scope_picker(cx: &Ctx, action: &str, extra: &str) -> String {
    let mut opts = String::new();
    if let Some(list) = &cx.session.user.scopes {
        opts += &format!("<option value=\"\">{}</option>", cx.t("all_scopes"));
        for s in list {
            let sel = if cx.q("scope") == Some(s.as_str()) { " selected" } else { "" };
            opts += &format!("<option value=\"{v}\"{sel}>{v}</option>", v = esc(s));
        }
    } else {
        return format!(
            "<form method=\"get\" action=\"{action}\" class=\"bar\"><label>{} <input name=\"scope\" value=\"{}\"></label>{extra}<button>{}</button></form>",
            cx.t("scope"),
            esc(cx.q("scope").unwrap_or("")),
            cx.t("filter")
        );
    }
    format!(
        "<form method=\"get\" action=\"{action}\" class=\"bar\"><label>{} <select name=\"scope\">{opts}</select></label>{extra}<button>{}</button></form>",
        cx.t("scope"),
        cx.t("filter")
    )
}

pub fn overview(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let scopes = cx.scopes();
    let o = c.store.overview(&scopes, &today(), 14)?;
    let mut b = scope_picker(cx, "/console/overview", "");
    let scope_q = cx.q("scope").map(|s| format!("&scope={}", q(s))).unwrap_or_default();
    b += "<div class=\"cards\">";
    for (key, n, href) in [
        ("submitted", o.responses, format!("/console/responses?status=submitted{scope_q}")),
        ("drafts", o.drafts, format!("/console/responses?status=draft{scope_q}")),
        ("awaiting_review", o.awaiting_review, format!("/console/review?{}", scope_q.trim_start_matches('&'))),
        ("has_issues_n", o.has_issues, format!("/console/responses?review=has-issues{scope_q}")),
        ("open_conflicts", o.conflicted_records, format!("/console/conflicts?{}", scope_q.trim_start_matches('&'))),
        ("overdue_actions", o.overdue_actions, String::new()),
        ("open_actions", o.open_actions, String::new()),
        ("subjects", o.subjects, String::new()),
        ("meetings", o.meetings, String::new()),
    ] {
        let inner = format!("<span class=\"n\">{n}</span><span>{}</span>", cx.t(key));
        b += &if href.is_empty() {
            format!("<div class=\"card\" id=\"card-{key}\">{inner}</div>")
        } else {
            format!("<a class=\"card\" id=\"card-{key}\" href=\"{}\">{inner}</a>", esc(&href))
        };
    }
    b += "</div>";
    // Per day: one bar per day, stacked per worker would need a legend; totals per day and a
    // table per worker and day below keep it readable on a tablet.
    let mut per_day: BTreeMap<String, u64> = BTreeMap::new();
    for d in &o.per_day {
        *per_day.entry(d.day.clone()).or_default() += d.count;
    }
    b += &format!("<section><h2>{}</h2>{}", cx.t("per_day"), bars(&per_day.into_iter().collect::<Vec<_>>()));
    if !o.per_day.is_empty() {
        b += &format!("<table><thead><tr><th>{}</th><th>{}</th><th>#</th></tr></thead><tbody>", cx.t("when"), cx.t("worker"));
        for d in &o.per_day {
            b += &format!("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&d.day), esc(&d.worker), d.count);
        }
        b += "</tbody></table>";
    }
    b += "</section>";
    b += &format!("<section><h2>{}</h2>{}</section>", cx.t("per_worker"), bars(&o.per_worker));
    b += &format!("<section><h2>{}</h2>{}</section>", cx.t("per_village"), bars(&o.per_village));
    b += &format!("<section><h2>{}</h2>{}</section>", cx.t("devices_seen"), device_table(c, cx)?);
    Ok((cx.t("overview").to_string(), b))
}

fn device_table(c: &Console, cx: &Ctx) -> Result<String, HubError> {
    let pending: HashMap<String, u64> = c.store.pending_by_peer()?.into_iter().collect();
    let mut b = format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        cx.t("device"),
        cx.t("role"),
        cx.t("scope"),
        cx.t("last_seen"),
        cx.t("waiting"),
        cx.t("status")
    );
    let mut any = false;
    for d in c.devices.list()? {
        if !d.scopes.iter().any(|s| cx.session.user.sees(s)) {
            continue;
        }
        any = true;
        b += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.name),
            esc(&d.role),
            esc(&d.scopes.join(", ")),
            d.last_seen_ms.map(when).unwrap_or_else(|| cx.t("never").to_string()),
            pending.get(&d.name).copied().unwrap_or(0),
            if d.revoked { cx.t("revoked") } else { cx.t("active") }
        );
    }
    if !any {
        b += &format!("<tr><td colspan=\"6\">{}</td></tr>", cx.t("nothing"));
    }
    Ok(b + "</tbody></table>")
}

pub fn devices(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let csrf = csrf_field(&cx.session);
    let mut b = device_table(c, cx)?;
    // Revoke: devices all of whose scopes this user sees.
    let mine: Vec<(String, String)> = c
        .devices
        .list()?
        .into_iter()
        .filter(|d| !d.revoked && !d.scopes.is_empty() && d.scopes.iter().all(|s| cx.session.user.sees(s)))
        .map(|d| (d.name.clone(), d.name))
        .collect();
    if !mine.is_empty() {
        b += &format!(
            "<form method=\"post\" action=\"/console/devices/revoke\" class=\"bar\" id=\"revoke\">{csrf}{}<button>{}</button></form>",
            select("name", cx.t("device"), None, &mine, "—"),
            cx.t("revoke")
        );
    }
    let roles: &[&str] = if cx.session.user.role == Role::Admin { &["field-worker", "coordinator", "admin"] } else { &["field-worker"] };
    let role_opts: String = roles.iter().map(|r| format!("<option value=\"{r}\">{}</option>", cx.t(r))).collect();
    let scopes = match &cx.session.user.scopes {
        Some(list) => list
            .iter()
            .map(|s| format!("<label class=\"check\"><input type=\"checkbox\" name=\"scope_{v}\" value=\"1\" checked> {v}</label>", v = esc(s)))
            .collect::<String>(),
        None => format!("<label>{} <input name=\"scopes\" placeholder=\"UP-SIT, UP-LKO\" required></label>", cx.t("scope")),
    };
    let scheme = if c.secure { "https" } else { "http" };
    b += &format!(
        "<h2>{}</h2><form method=\"post\" action=\"/console/devices/enrol\" class=\"bar\" id=\"enrol\">{csrf}\
         <label>{} <input name=\"name\" required maxlength=\"100\"></label><label>{} <select name=\"role\">{role_opts}</select></label>{scopes}\
         <label>{} <input name=\"hub_url\" value=\"{}\" size=\"34\" required></label><button>{}</button></form>",
        cx.t("enrol"),
        cx.t("device"),
        cx.t("role"),
        cx.t("hub_url"),
        esc(&format!("{scheme}://{}", cx.host)),
        cx.t("enrol")
    );
    Ok((cx.t("devices").to_string(), b))
}

/// Enrols a device: a coordinator enrols field workers of their own scopes; an admin anyone.
/// The answer shows the token once and the enrolment link as a QR code the phone scans.
pub fn enrol(c: &Console, cx: &Ctx, form: &HashMap<String, String>) -> Result<(String, String), HubError> {
    let user = &cx.session.user;
    let name = form.get("name").map(|s| s.trim()).unwrap_or("");
    let role = Role::parse(form.get("role").map(String::as_str).unwrap_or("")).map_err(|e| HubError::Usage(e.to_string()))?;
    if user.role != Role::Admin && role != Role::FieldWorker {
        return Err(HubError::Core(sangam_core::Error::Forbidden("a coordinator enrols field workers only".into())));
    }
    let scopes: Vec<String> = match &user.scopes {
        Some(list) => list.iter().filter(|s| form.contains_key(&format!("scope_{s}"))).cloned().collect(),
        None => form.get("scopes").map(|s| s.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()).unwrap_or_default(),
    };
    if scopes.iter().any(|s| !user.sees(s)) {
        return Err(HubError::Core(sangam_core::Error::Forbidden("that scope is not yours".into())));
    }
    let hub_url = crate::cli::pinned_address(&c.data, form.get("hub_url").map(|s| s.trim()).unwrap_or(""), None)?;
    let token = c.devices.add(name, role, &scopes)?;
    let link = sangam_core::sync::protocol::Enrolment { hub_url, token: token.clone() }.encode();
    let qr = qrcode::QrCode::new(link.as_bytes())
        .map_err(|e| HubError::Usage(format!("cannot draw the QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(280, 280)
        .build();
    // Inline in the page: without the XML declaration.
    let qr = qr.find("<svg").map(|at| qr[at..].to_string()).unwrap_or(qr);
    let b = format!(
        "<p>{}</p><div class=\"qr\" id=\"qr\">{qr}</div><p>{}</p><pre id=\"enrol-link\">{}</pre><p>{}</p><pre id=\"token\">{}</pre>\
         <p><a href=\"/console/devices\">{}</a></p>",
        esc(&format!("{name} · {} · {}", role.as_str(), scopes.join(", "))),
        cx.t("scan_this"),
        esc(&link),
        cx.t("token_once"),
        esc(&token),
        cx.t("devices")
    );
    Ok((cx.t("enrolled").to_string(), b))
}

pub fn revoke(c: &Console, cx: &Ctx, form: &HashMap<String, String>) -> Result<(String, String), HubError> {
    let name = form.get("name").map(|s| s.trim()).unwrap_or("");
    let device = c.devices.list()?.into_iter().find(|d| d.name == name);
    match device {
        Some(d) if !d.scopes.is_empty() && d.scopes.iter().all(|s| cx.session.user.sees(s)) => {
            c.devices.revoke(name)?;
            Ok((cx.t("devices").to_string(), format!("<p class=\"msg\">{}</p>{}", esc(&format!("{name}: {}", cx.t("revoked"))), device_table(c, cx)?)))
        }
        _ => Err(HubError::Core(sangam_core::Error::NotFound(name.to_string()))),
    }
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[(String, String)], any: &str) -> String {
    let mut s = format!("<label>{label} <select name=\"{name}\"><option value=\"\">{any}</option>");
    for (v, l) in options {
        let sel = if current == Some(v.as_str()) { " selected" } else { "" };
        s += &format!("<option value=\"{}\"{sel}>{}</option>", esc(v), esc(l));
    }
    s + "</select></label>"
}

pub fn responses(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let scopes = cx.scopes();
    let page: u32 = cx.q("page").and_then(|p| p.parse().ok()).unwrap_or(1).clamp(1, 100_000);
    let sort = cx.q("sort").and_then(ResponseSort::parse).unwrap_or_default();
    let descending = cx.q("dir") != Some("asc");
    let query = ResponseQuery {
        scopes: scopes.clone(),
        form_id: cx.q("form").map(str::to_string),
        status: cx.q("status").and_then(ResponseStatus::parse),
        review: cx.q("review").and_then(ReviewState::parse),
        worker: cx.q("worker").map(str::to_string),
        village: cx.q("village").map(str::to_string),
        from_ms: cx.q("from").and_then(|d| day_ms(d, false)),
        to_ms: cx.q("to").and_then(|d| day_ms(d, true)),
        text: cx.q("text").map(str::to_string),
        sort,
        descending,
        limit: PAGE_ROWS,
        offset: (page - 1) * PAGE_ROWS,
    };
    let result = c.store.response_table(&query)?;
    let forms: Vec<(String, String)> = c
        .store
        .list_forms(None)?
        .into_iter()
        .filter(|f| cx.session.user.sees(&f.scope))
        .filter_map(|f| f.form_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|f| (f.clone(), f))
        .collect();
    let workers: Vec<(String, String)> = c.store.response_workers(&scopes)?.into_iter().map(|w| (w.clone(), w)).collect();
    let statuses = [("submitted", "submitted_s"), ("draft", "draft")].map(|(v, k)| (v.to_string(), cx.t(k).to_string()));
    let reviews = [ReviewState::Received, ReviewState::HasIssues, ReviewState::Approved, ReviewState::Rejected]
        .map(|s| (s.as_str().to_string(), state_label(cx, s).to_string()));
    let any = cx.t("any");
    let hidden_sort = format!(
        "<input type=\"hidden\" name=\"sort\" value=\"{}\"><input type=\"hidden\" name=\"dir\" value=\"{}\">",
        sort.as_str(),
        if descending { "desc" } else { "asc" }
    );
    let filters = format!(
        "{}{}{}{}{}<label>{} <input name=\"village\" value=\"{}\" size=\"10\"></label>\
         <label>{} <input type=\"date\" name=\"from\" value=\"{}\"></label><label>{} <input type=\"date\" name=\"to\" value=\"{}\"></label>\
         <label>{} <input type=\"search\" name=\"text\" value=\"{}\"></label>{hidden_sort}",
        select("form", cx.t("form"), cx.q("form"), &forms, any),
        select("status", cx.t("status"), cx.q("status"), &statuses, any),
        select("review", cx.t("review"), cx.q("review"), &reviews, any),
        select("worker", cx.t("worker"), cx.q("worker"), &workers, any),
        "",
        cx.t("village"),
        esc(cx.q("village").unwrap_or("")),
        cx.t("from"),
        esc(cx.q("from").unwrap_or("")),
        cx.t("to"),
        esc(cx.q("to").unwrap_or("")),
        cx.t("search"),
        esc(cx.q("text").unwrap_or("")),
    );
    let mut b = scope_picker(cx, "/console/responses", &filters);
    // Column headers sort; a second click turns the order round.
    let base: HashMap<String, String> = cx.query.iter().filter(|(k, _)| !matches!(k.as_str(), "sort" | "dir" | "page")).map(|(k, v)| (k.clone(), v.clone())).collect();
    let link = |extra: &[(&str, String)]| {
        let mut m = base.clone();
        for (k, v) in extra {
            m.insert(k.to_string(), v.clone());
        }
        super::here_of("/console/responses", &m)
    };
    let th = |col: ResponseSort, key: &str| {
        let dir = if sort == col && descending { "asc" } else { "desc" };
        let mark = if sort == col { if descending { " ▼" } else { " ▲" } } else { "" };
        format!("<th><a href=\"{}\">{}{mark}</a></th>", esc(&link(&[("sort", col.as_str().into()), ("dir", dir.into())])), cx.t(key))
    };
    b += &format!(
        "<table id=\"responses\"><thead><tr><th>{}</th><th>{}</th>{}{}{}{}{}{}</tr></thead><tbody>",
        cx.t("id"),
        cx.t("form"),
        th(ResponseSort::Subject, "subject"),
        th(ResponseSort::Village, "village"),
        th(ResponseSort::Worker, "worker"),
        th(ResponseSort::Status, "status"),
        th(ResponseSort::Review, "review"),
        th(ResponseSort::Updated, "updated"),
    );
    for r in &result.rows {
        let s = &r.summary;
        let status = match s.status.as_deref() {
            Some("draft") => cx.t("draft"),
            Some("submitted") => cx.t("submitted_s"),
            _ => "",
        };
        b += &format!(
            "<tr><td><a href=\"/console/r/{}\">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{status}</td><td>{}</td><td>{}</td></tr>",
            q(&s.id),
            esc(s.id.get(..8).unwrap_or(&s.id)),
            if s.conflicts > 0 { " <span class=\"warn\">⚠</span>" } else { "" },
            esc(s.form_id.as_deref().unwrap_or("")),
            esc(r.subject_title.as_deref().unwrap_or("")),
            esc(r.village.as_deref().unwrap_or("")),
            esc(r.worker.as_deref().unwrap_or("")),
            state_label(cx, r.review.unwrap_or(ReviewState::Received)),
            when(s.updated_at_ms),
        );
    }
    if result.rows.is_empty() {
        b += &format!("<tr><td colspan=\"8\">{}</td></tr>", cx.t("nothing"));
    }
    b += "</tbody></table>";
    let pages = (result.total.div_ceil(u64::from(PAGE_ROWS))).max(1);
    b += &format!("<p class=\"pager\">{}", super::i18n::tf(cx.lang, "page_of", &[&page.to_string(), &pages.to_string(), &result.total.to_string()]));
    let keep_sort = |p: u32| link(&[("page", p.to_string()), ("sort", sort.as_str().into()), ("dir", (if descending { "desc" } else { "asc" }).into())]);
    if page > 1 {
        b += &format!(" <a rel=\"prev\" href=\"{}\">{}</a>", esc(&keep_sort(page - 1)), cx.t("prev"));
    }
    if u64::from(page) < pages {
        b += &format!(" <a rel=\"next\" href=\"{}\">{}</a>", esc(&keep_sort(page + 1)), cx.t("next"));
    }
    b += "</p>";
    Ok((cx.t("responses").to_string(), b))
}

/// The form's labels in the console's language: questions (and groups) by name, and choices
/// by (list, choice).
struct Labels {
    questions: HashMap<String, String>,
    lists: HashMap<String, String>,
    choices: HashMap<(String, String), String>,
}

fn pick_language(def: &FormDefinition, lang: Lang) -> String {
    if lang == Lang::Hi {
        if let Some(l) = def.languages.iter().find(|l| {
            let l = l.to_lowercase();
            l.contains("(hi)") || l.starts_with("hindi") || l == "hi"
        }) {
            return l.clone();
        }
    }
    if lang == Lang::En {
        if let Some(l) = def.languages.iter().find(|l| {
            let l = l.to_lowercase();
            l.contains("(en)") || l.starts_with("english") || l == "en"
        }) {
            return l.clone();
        }
    }
    def.default_language.clone()
}

fn tr(t: &Translated, lang: &str, default: &str) -> Option<String> {
    t.get(lang).or_else(|| t.get(default)).or_else(|| t.values().next()).cloned()
}

fn labels(def: &FormDefinition, lang: Lang) -> Labels {
    let l = pick_language(def, lang);
    let d = &def.default_language;
    let mut out = Labels { questions: HashMap::new(), lists: HashMap::new(), choices: HashMap::new() };
    // A stack, not recursion: nesting depth is the form's.
    let mut stack: Vec<&Item> = def.items.iter().collect();
    while let Some(item) = stack.pop() {
        match item {
            Item::Question(qn) => {
                if let Some(label) = tr(&qn.label, &l, d) {
                    out.questions.insert(qn.name.clone(), label);
                }
                if let Some(list) = &qn.list_name {
                    out.lists.insert(qn.name.clone(), list.clone());
                }
            }
            Item::Group(g) => {
                if let Some(label) = tr(&g.label, &l, d) {
                    out.questions.insert(g.name.clone(), label);
                }
                stack.extend(g.items.iter());
            }
            Item::Repeat(r) => {
                if let Some(label) = tr(&r.label, &l, d) {
                    out.questions.insert(r.name.clone(), label);
                }
                stack.extend(r.items.iter());
            }
        }
    }
    for (name, list) in &def.choice_lists {
        for ch in &list.choices {
            if let Some(label) = tr(&ch.label, &l, d) {
                out.choices.insert((name.clone(), ch.name.clone()), label);
            }
        }
    }
    out
}

fn show_value(labels: Option<&Labels>, question: &str, v: &FieldValue) -> String {
    let choice = |c: &str| -> String {
        labels
            .and_then(|l| l.lists.get(question).and_then(|list| l.choices.get(&(list.clone(), c.to_string()))))
            .map(|label| format!("{} <span class=\"dim\">({})</span>", esc(label), esc(c)))
            .unwrap_or_else(|| esc(c))
    };
    match v {
        FieldValue::Choices(set) => set.iter().map(|c| choice(c)).collect::<Vec<_>>().join(", "),
        FieldValue::Text(t) if labels.is_some_and(|l| l.lists.contains_key(question)) => choice(t),
        other => esc(&other.display()),
    }
}

fn question_label(labels: Option<&Labels>, name: &str) -> String {
    match labels.and_then(|l| l.questions.get(name)) {
        Some(label) => format!("{} <span class=\"dim\">{}</span>", esc(label), esc(name)),
        None => esc(name),
    }
}

/// A record's page: a response's answers, flags, review and comments; every record's
/// conflicts (each value with its author, one click to keep it) and history.
pub fn record(c: &Console, cx: &Ctx, id: &str) -> Result<(String, String), HubError> {
    let summary = c.store.summary(id)?;
    if !cx.session.user.sees(&summary.scope) {
        return Err(HubError::Core(sangam_core::Error::NotFound(id.to_string())));
    }
    let csrf = csrf_field(&cx.session);
    let here = format!("/console/r/{}", q(id));
    let back = format!("<input type=\"hidden\" name=\"back\" value=\"{}\">", esc(&here));
    let mut b = format!(
        "<p class=\"meta\">{} · {} · {} · {}</p>",
        esc(summary.kind.as_str()),
        esc(&summary.scope),
        esc(id),
        when(summary.updated_at_ms)
    );
    let mut title = summary.title.clone().unwrap_or_else(|| id.to_string());
    if summary.kind == sangam_core::Kind::Subject {
        b += &subject_section(c, cx, id)?;
    }
    if summary.kind == sangam_core::Kind::Meeting {
        b += &meeting_section(c, cx, id)?;
    }
    if summary.kind == sangam_core::Kind::Response {
        let r = c.store.response(id)?;
        let def = c.store.form_definition(&r.form_id, Some(&r.form_version)).ok();
        let labels = def.as_ref().map(|d| labels(d, cx.lang));
        if let Some(d) = &def {
            title = format!("{} — {}", d.title, id.get(..8).unwrap_or(id));
        }
        b += &format!(
            "<p>{}: {} · {}: {} · {}: {}</p>",
            cx.t("worker"),
            esc(&r.created_by),
            cx.t("status"),
            cx.t(if r.status == ResponseStatus::Draft { "draft" } else { "submitted_s" }),
            cx.t("form"),
            esc(&format!("{} {}", r.form_id, r.form_version))
        );
        b += &format!("<section><h2>{}</h2><table class=\"answers\"><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>", cx.t("answers"), cx.t("question"), cx.t("answer"));
        for (name, v) in &r.answers {
            b += &format!("<tr><td>{}</td><td>{}</td></tr>", question_label(labels.as_ref(), name), show_value(labels.as_ref(), name, v));
        }
        for (repeat, rows) in &r.repeats {
            for (i, row) in rows.iter().enumerate() {
                b += &format!("<tr class=\"rep\"><th colspan=\"2\">{} · {} {}</th></tr>", question_label(labels.as_ref(), repeat), cx.t("repeat_row"), i + 1);
                for (name, v) in &row.answers {
                    b += &format!("<tr><td>{}</td><td>{}</td></tr>", question_label(labels.as_ref(), name), show_value(labels.as_ref(), name, v));
                }
            }
        }
        b += "</tbody></table></section>";
        // Media: photos shown, recordings playable, other files to download.
        let media = c.store.media_of(id)?;
        if !media.is_empty() {
            b += &format!("<section id=\"media\"><h2>{}</h2><ul class=\"media\">", cx.t("media"));
            for m in &media {
                let url = format!("{here}/media/{}", q(&m.name));
                let mime = m.mime.clone().unwrap_or_default();
                let size = format!("{} KB", m.size.div_ceil(1024));
                if !m.complete {
                    b += &format!(
                        "<li><span class=\"dim\">{}</span> {} <span class=\"dim\">({} / {})</span></li>",
                        esc(&m.name[..12.min(m.name.len())]),
                        cx.t("media_missing"),
                        m.have.div_ceil(1024),
                        esc(&size)
                    );
                } else if mime.starts_with("image/") && mime != "image/svg+xml" {
                    b += &format!("<li><a href=\"{url}\"><img class=\"thumb\" src=\"{url}\" alt=\"{}\" loading=\"lazy\"></a> <span class=\"dim\">{}</span></li>", esc(&m.name), esc(&size));
                } else if mime.starts_with("audio/") {
                    b += &format!("<li><audio controls preload=\"none\" src=\"{url}\"></audio> <span class=\"dim\">{}</span></li>", esc(&size));
                } else if mime.starts_with("video/") {
                    b += &format!("<li><video controls preload=\"none\" width=\"320\" src=\"{url}\"></video> <span class=\"dim\">{}</span></li>", esc(&size));
                } else {
                    b += &format!("<li><a href=\"{url}\">{}</a> <span class=\"dim\">{}</span></li>", esc(&m.name), esc(&size));
                }
            }
            b += "</ul></section>";
        }
        // Validation flags.
        b += &format!("<section><h2>{}</h2>", cx.t("flags"));
        match c.store.response_validation(id)? {
            Some(v) if !v.violations.is_empty() => {
                b += "<ul class=\"flags\">";
                for f in &v.violations {
                    b += &format!("<li>{}: {}</li>", question_label(labels.as_ref(), &f.question), esc(&f.message));
                }
                b += "</ul>";
            }
            _ => b += &format!("<p>{}</p>", cx.t("no_flags")),
        }
        b += "</section>";
        // Review.
        let review = c.store.review(id)?;
        b += &format!(
            "<section id=\"review\"><h2>{}: <span class=\"state\" id=\"review-state\">{}</span></h2>",
            cx.t("review"),
            state_label(cx, review.state)
        );
        b += &format!(
            "<form method=\"post\" action=\"{here}/review\" class=\"bar\">{csrf}{back}\
             <label>{} <input name=\"comment\" size=\"40\"></label>\
             <button name=\"state\" value=\"approved\">{}</button><button name=\"state\" value=\"has-issues\">{}</button>\
             <button name=\"state\" value=\"rejected\">{}</button></form>",
            cx.t("comment"),
            cx.t("approve"),
            cx.t("mark_issues"),
            cx.t("reject")
        );
        if !review.comments.is_empty() {
            b += &format!("<h3>{}</h3><ul class=\"comments\">", cx.t("comments"));
            for cm in &review.comments {
                b += &format!("<li><b>{}</b> {}: {}</li>", esc(&cm.by_name), when(cm.at_ms), esc(&cm.text));
            }
            b += "</ul>";
        }
        b += &format!(
            "<form method=\"post\" action=\"{here}/comment\" class=\"bar\">{csrf}{back}<label>{} <input name=\"text\" size=\"50\" required></label><button>{}</button></form></section>",
            cx.t("comment"),
            cx.t("add_comment")
        );
    } else if !matches!(summary.kind, sangam_core::Kind::Subject | sangam_core::Kind::Meeting) {
        // Kinds without a page of their own show their record as it is.
        let json = c.store.record_json(id, None)?;
        b += &format!("<pre class=\"json\">{}</pre>", esc(&serde_json::to_string_pretty(&json)?));
    }
    // Conflicts.
    b += &format!("<section id=\"conflicts\"><h2>{}</h2>", cx.t("conflicts"));
    let conflicts = c.store.conflicts(id)?;
    if conflicts.is_empty() {
        b += &format!("<p>{}</p>", cx.t("no_conflicts"));
    }
    for f in &conflicts {
        b += &format!("<div class=\"conflict\"><h3>{} <code>{}</code></h3><ul>", cx.t("conflict_of"), esc(&f.path));
        for (i, v) in f.values.iter().enumerate() {
            b += &format!(
                "<li><b>{}</b> — {} {} ({} {}) {}{}\
                 <form method=\"post\" action=\"{here}/resolve\" class=\"inline\">{csrf}{back}<input type=\"hidden\" name=\"path\" value=\"{}\">\
                 <input type=\"hidden\" name=\"pick\" value=\"{i}\"><button>{}</button></form></li>",
                esc(&v.value.to_string()),
                cx.t("by"),
                esc(&v.author.user_name),
                cx.t("on_device"),
                esc(v.author.device.get(..8).unwrap_or(&v.author.device)),
                when(v.author.time_ms),
                if v.shown { format!(" <i>({})</i>", cx.t("shown_now")) } else { String::new() },
                esc(&f.path),
                cx.t("keep_this")
            );
        }
        b += "</ul></div>";
    }
    b += "</section>";
    // History, newest first.
    b += &format!(
        "<section><h2>{}</h2><table class=\"history\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        cx.t("history"),
        cx.t("when"),
        cx.t("who"),
        cx.t("device"),
        cx.t("fields")
    );
    let history = c.store.history(id)?;
    for h in history.iter().rev().take(200) {
        b += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            when(h.author.time_ms),
            esc(&h.author.user_name),
            esc(h.author.device.get(..8).unwrap_or(&h.author.device)),
            esc(&h.fields.join(", "))
        );
    }
    b += "</tbody></table></section>";
    Ok((title, b))
}

pub fn review_queue(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let state = cx.q("state").and_then(ReviewState::parse).unwrap_or(ReviewState::Received);
    let mut items = Vec::new();
    // The review list takes one scope at a time; a coordinator's few scopes are merged.
    let scope_list = cx.scope_list();
    for scope in scope_list {
        items.extend(c.store.list_by_review(&ReviewFilter {
            scope,
            form_id: cx.q("form").map(str::to_string),
            status: Some(ResponseStatus::Submitted),
            state: Some(state),
            limit: Some(100),
        })?);
    }
    items.sort_by(|a, b| b.summary.updated_at_ms.cmp(&a.summary.updated_at_ms));
    items.truncate(100);
    let states = [ReviewState::Received, ReviewState::HasIssues, ReviewState::Approved, ReviewState::Rejected]
        .map(|s| (s.as_str().to_string(), state_label(cx, s).to_string()));
    let mut b = scope_picker(cx, "/console/review", &select("state", cx.t("review"), Some(state.as_str()), &states, cx.t("received")));
    b += &format!("<p class=\"help\">{}</p>", cx.t("keys_help"));
    let csrf = csrf_field(&cx.session);
    let here = esc(&cx.here);
    b += &format!(
        "<table id=\"queue\" class=\"queue\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        cx.t("id"),
        cx.t("form"),
        cx.t("worker"),
        cx.t("updated"),
        cx.t("comments")
    );
    for it in &items {
        let s = &it.summary;
        let act = format!("/console/r/{}/review", q(&s.id));
        b += &format!(
            "<tr tabindex=\"0\" data-href=\"/console/r/{id_q}\"><td><a href=\"/console/r/{id_q}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><form method=\"post\" action=\"{act}\" class=\"inline\">{csrf}<input type=\"hidden\" name=\"back\" value=\"{here}\">\
             <input name=\"comment\" class=\"qc\" placeholder=\"{}\" size=\"18\">\
             <button name=\"state\" value=\"approved\" data-key=\"a\">{}</button><button name=\"state\" value=\"has-issues\" data-key=\"i\">{}</button>\
             <button name=\"state\" value=\"rejected\" data-key=\"r\">{}</button></form></td></tr>",
            esc(s.id.get(..8).unwrap_or(&s.id)),
            esc(s.form_id.as_deref().unwrap_or("")),
            esc(s.owner.as_deref().unwrap_or("")),
            when(s.updated_at_ms),
            it.comments,
            cx.t("comment"),
            cx.t("approve"),
            cx.t("mark_issues"),
            cx.t("reject"),
            id_q = q(&s.id),
        );
    }
    if items.is_empty() {
        b += &format!("<tr><td colspan=\"6\">{}</td></tr>", cx.t("nothing"));
    }
    b += "</tbody></table>";
    Ok((cx.t("review_queue").to_string(), b))
}

pub fn conflicts(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let scope_list = cx.scope_list();
    let mut records = Vec::new();
    for scope in scope_list {
        records.extend(c.store.conflicted_records(scope.as_deref(), 200, 0)?);
    }
    let mut b = scope_picker(cx, "/console/conflicts", "");
    b += &format!("<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>", cx.t("id"), cx.t("scope"), cx.t("fields"), cx.t("updated"));
    for r in &records {
        b += &format!(
            "<tr><td><a href=\"/console/r/{}#conflicts\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            q(&r.summary.id),
            esc(r.summary.title.as_deref().unwrap_or(&r.summary.id)),
            esc(&r.summary.scope),
            esc(&r.fields.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", ")),
            when(r.summary.updated_at_ms)
        );
    }
    if records.is_empty() {
        b += &format!("<tr><td colspan=\"4\">{}</td></tr>", cx.t("no_conflicts"));
    }
    Ok((cx.t("conflicts").to_string(), b + "</tbody></table>"))
}

/// Candidate duplicate subjects of the user's scopes: each pair side by side, with the reasons
/// it scored, and one button to merge (keeping either one).
pub fn duplicates(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let scope_list = cx.scope_list();
    let mut pairs = Vec::new();
    for scope in scope_list {
        let opts = sangam_core::DuplicateOptions { scope, limit: 100, ..Default::default() };
        pairs.extend(c.store.duplicate_candidates(&opts)?);
    }
    pairs.sort_by(|a, b| b.score.cmp(&a.score));
    pairs.truncate(100);
    let csrf = csrf_field(&cx.session);
    let mut b = scope_picker(cx, "/console/duplicates", "");
    if pairs.is_empty() {
        b += &format!("<p>{}</p>", cx.t("no_duplicates"));
    }
    for p in &pairs {
        let (Ok(keep), Ok(dup)) = (c.store.subject(&p.keep), c.store.subject(&p.duplicate)) else { continue };
        let keys: std::collections::BTreeSet<&String> = keep.attrs.keys().chain(dup.attrs.keys()).collect();
        b += &format!(
            "<section class=\"pair\"><h2>{} {} · <span class=\"dim\">{}</span></h2><p class=\"dim\">{}</p>",
            cx.t("score"),
            p.score,
            esc(&p.scope),
            esc(&p.reasons.iter().map(|r| reason_label(cx, r)).collect::<Vec<_>>().join(" · "))
        );
        b += &format!(
            "<table><thead><tr><th></th><th><a href=\"/console/r/{}\">{}</a></th><th><a href=\"/console/r/{}\">{}</a></th></tr></thead><tbody>",
            q(&p.keep),
            esc(p.keep_title.as_deref().unwrap_or(&p.keep)),
            q(&p.duplicate),
            esc(p.duplicate_title.as_deref().unwrap_or(&p.duplicate))
        );
        for k in keys {
            let a = keep.attrs.get(k).map(|v| esc(&v.display())).unwrap_or_default();
            let d = dup.attrs.get(k).map(|v| esc(&v.display())).unwrap_or_default();
            let differ = if a != d && !a.is_empty() && !d.is_empty() { " class=\"differ\"" } else { "" };
            b += &format!("<tr{differ}><td>{}</td><td>{a}</td><td>{d}</td></tr>", esc(k));
        }
        b += "</tbody></table>";
        let here = "<input type=\"hidden\" name=\"back\" value=\"/console/duplicates\">";
        b += &format!(
            "<div class=\"bar\"><form method=\"post\" action=\"/console/r/{dup}/merge\">{csrf}{here}<input type=\"hidden\" name=\"into\" value=\"{keep}\"><button>{}</button></form>\
             <form method=\"post\" action=\"/console/r/{keep}/merge\">{csrf}{here}<input type=\"hidden\" name=\"into\" value=\"{dup}\"><button>{}</button></form></div></section>",
            cx.t("merge_keep_left"),
            cx.t("merge_keep_right"),
            dup = esc(&p.duplicate),
            keep = esc(&p.keep),
        );
    }
    Ok((cx.t("duplicates").to_string(), b))
}

/// Why a pair scored, in the console's language (the reason's own words for one not listed).
fn reason_label(cx: &Ctx, r: &sangam_core::MatchReason) -> String {
    let key = format!("dup_{}", r.code);
    if !super::i18n::known(&key) {
        return r.detail.clone();
    }
    // Scores that carry a figure keep it (in the reason's own words) after the label.
    match r.detail.find('(') {
        Some(i) => format!("{} {}", cx.t(&key), &r.detail[i..]),
        None => cx.t(&key).to_string(),
    }
}

/// Households, people and enterprises of the user's scopes, found by name, village or phone.
pub fn subjects(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let scope_list = cx.scope_list();
    let text = cx.q("q").map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let mut found = Vec::new();
    for scope in scope_list {
        let digits = text.as_deref().is_some_and(|t| t.chars().filter(|c| c.is_ascii_digit()).count() >= 4);
        let mut query = sangam_core::SubjectQuery { scope, limit: Some(200), ..Default::default() };
        if digits {
            query.phone_prefix = text.clone();
        } else {
            query.name_prefix = text.clone();
        }
        found.extend(c.store.search_subjects(&query)?);
        if !digits && text.is_some() {
            query.name_prefix = None;
            query.village_prefix = text.clone();
            for s in c.store.search_subjects(&query)? {
                if !found.iter().any(|f: &sangam_core::RecordSummary| f.id == s.id) {
                    found.push(s);
                }
            }
        }
    }
    found.truncate(200);
    let mut b = scope_picker(
        cx,
        "/console/subjects",
        &format!("<label>{} <input name=\"q\" value=\"{}\"></label>", cx.t("search"), esc(cx.q("q").unwrap_or(""))),
    );
    b += &format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        cx.t("name"),
        cx.t("type"),
        cx.t("scope"),
        cx.t("updated")
    );
    for s in &found {
        b += &format!(
            "<tr><td><a href=\"/console/r/{}\">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            q(&s.id),
            esc(s.title.as_deref().unwrap_or(&s.id)),
            if s.status.as_deref() == Some("merged") { format!(" <span class=\"dim\">({})</span>", cx.t("merged")) } else { String::new() },
            esc(s.form_id.as_deref().unwrap_or("")),
            esc(&s.scope),
            when(s.updated_at_ms)
        );
    }
    if found.is_empty() {
        b += &format!("<tr><td colspan=\"4\">{}</td></tr>", cx.t("nothing_found"));
    }
    Ok((cx.t("subjects").to_string(), b + "</tbody></table>"))
}

/// A subject's part of its record page: its attributes, its merge (with the button to undo
/// it), and every response about it, oldest first: the household over time.
fn subject_section(c: &Console, cx: &Ctx, id: &str) -> Result<String, HubError> {
    let s = c.store.subject(id)?;
    let mut b = format!("<section><h2>{}</h2><table class=\"answers\"><tbody>", cx.t("attributes"));
    for (k, v) in &s.attrs {
        b += &format!("<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v.display()));
    }
    b += "</tbody></table></section>";
    if let Some(into) = &s.merged_into {
        b += &format!(
            "<section><p>{} <a href=\"/console/r/{}\">{}</a></p><form method=\"post\" action=\"/console/r/{}/unmerge\">{}<button>{}</button></form></section>",
            cx.t("merged_into"),
            q(into),
            esc(into),
            q(id),
            csrf_field(&cx.session),
            cx.t("unmerge")
        );
    }
    let filter = sangam_core::ResponseFilter { subject_id: Some(id.to_string()), limit: Some(500), ..Default::default() };
    let mut responses = c.store.list_responses(&filter)?;
    responses.retain(|r| cx.session.user.sees(&r.scope));
    responses.reverse();
    b += &format!(
        "<section id=\"over-time\"><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        cx.t("over_time"),
        cx.t("date"),
        cx.t("form"),
        cx.t("worker"),
        cx.t("status")
    );
    for r in &responses {
        let full = c.store.response(&r.id)?;
        b += &format!(
            "<tr><td><a href=\"/console/r/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            q(&r.id),
            when(full.created_at_ms),
            esc(&format!("{} {}", full.form_id, full.form_version)),
            esc(&full.created_by),
            cx.t(if full.status == ResponseStatus::Draft { "draft" } else { "submitted_s" })
        );
    }
    if responses.is_empty() {
        b += &format!("<tr><td colspan=\"4\">{}</td></tr>", cx.t("nothing_found"));
    }
    Ok(b + "</tbody></table></section>")
}

/// Coalition meetings of the user's scopes, newest first, with attendance and their open
/// action items.
pub fn meetings(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let scope_list = cx.scope_list();
    let mut rows = Vec::new();
    for scope in scope_list {
        for m in c.store.list_meetings(scope.as_deref(), 200)? {
            rows.push(c.store.meeting(&m.id)?);
        }
    }
    rows.sort_by(|a, b| (&b.date, &b.time).cmp(&(&a.date, &a.time)));
    let mut b = scope_picker(cx, "/console/meetings", "");
    b += &format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        cx.t("date"),
        cx.t("coalition"),
        cx.t("venue"),
        cx.t("present"),
        cx.t("decisions"),
        cx.t("open_actions")
    );
    for m in &rows {
        let present = m.attendees.iter().filter(|a| a.present == Some(true)).count();
        let open = c
            .store
            .list_actions(&sangam_core::ActionFilter { meeting_id: Some(m.id.clone()), open_only: true, ..Default::default() })?
            .len();
        b += &format!(
            "<tr><td><a href=\"/console/r/{}\">{} {}</a></td><td>{}</td><td>{}</td><td>{present} / {}</td><td>{}</td><td>{open}</td></tr>",
            q(&m.id),
            esc(&m.date),
            esc(&m.time),
            esc(&m.coalition),
            esc(&m.venue),
            m.attendees.len(),
            m.decisions.len()
        );
    }
    if rows.is_empty() {
        b += &format!("<tr><td colspan=\"6\">{}</td></tr>", cx.t("nothing_found"));
    }
    Ok((cx.t("meetings").to_string(), b + "</tbody></table>"))
}

/// A meeting's part of its record page: agenda, attendance, minutes, decisions and its actions.
fn meeting_section(c: &Console, cx: &Ctx, id: &str) -> Result<String, HubError> {
    let m = c.store.meeting(id)?;
    let mut b = format!("<p>{} · {} {} · {}</p>", esc(&m.coalition), esc(&m.date), esc(&m.time), esc(&m.venue));
    b += &format!("<section><h2>{}</h2><ol>", cx.t("agenda"));
    for item in &m.agenda {
        b += &format!("<li>{}</li>", esc(item));
    }
    b += "</ol></section>";
    b += &format!(
        "<section><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        cx.t("attendance"),
        cx.t("name"),
        cx.t("role"),
        cx.t("organisation"),
        cx.t("present")
    );
    for a in &m.attendees {
        let here = match a.present {
            Some(true) => cx.t("yes"),
            Some(false) => cx.t("no"),
            None => "–",
        };
        b += &format!("<tr><td>{}</td><td>{}</td><td>{}</td><td>{here}</td></tr>", esc(&a.name), esc(&a.role), esc(&a.organisation));
    }
    b += "</tbody></table></section>";
    b += &format!("<section><h2>{}</h2><pre class=\"minutes\">{}</pre></section>", cx.t("minutes"), esc(&m.minutes));
    b += &format!("<section><h2>{}</h2><ul>", cx.t("decisions"));
    for d in &m.decisions {
        b += &format!("<li>{} <span class=\"dim\">— {}, {}</span></li>", esc(&d.text), esc(&d.by), when(d.at_ms));
    }
    b += "</ul></section>";
    b += &actions_table(c, cx, &sangam_core::ActionFilter { meeting_id: Some(id.to_string()), ..Default::default() }, &format!("/console/r/{}", q(id)))?;
    Ok(b)
}

/// The action-item tracker across meetings: owner, due date, status (changed in place), the
/// meeting it came from; overdue items first.
pub fn actions(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let owner = cx.q("owner").map(str::trim).filter(|o| !o.is_empty()).map(str::to_string);
    let open_only = cx.q("all") != Some("1");
    let scope_list = cx.scope_list();
    let mut b = scope_picker(
        cx,
        "/console/actions",
        &format!(
            "<label>{} <input name=\"owner\" value=\"{}\"></label><label><input type=\"checkbox\" name=\"all\" value=\"1\"{}> {}</label>",
            cx.t("owner"),
            esc(owner.as_deref().unwrap_or("")),
            if open_only { "" } else { " checked" },
            cx.t("include_closed")
        ),
    );
    let mut html = String::new();
    for scope in scope_list {
        let f = sangam_core::ActionFilter { scope, owner: owner.clone(), open_only, limit: Some(500), ..Default::default() };
        html += &actions_table(c, cx, &f, "/console/actions")?;
    }
    b += &html;
    Ok((cx.t("actions").to_string(), b))
}

fn actions_table(c: &Console, cx: &Ctx, f: &sangam_core::ActionFilter, back: &str) -> Result<String, HubError> {
    let today = today();
    let mut list = Vec::new();
    for s in c.store.list_actions(f)? {
        if cx.session.user.sees(&s.scope) {
            list.push(c.store.action(&s.id)?);
        }
    }
    let open = |a: &sangam_core::Action| matches!(a.status, sangam_core::ActionStatus::Open | sangam_core::ActionStatus::InProgress);
    let overdue = |a: &sangam_core::Action| open(a) && a.due.as_deref().is_some_and(|d| d < today.as_str());
    list.sort_by(|a, b| (!overdue(a), a.due.clone().unwrap_or_else(|| "9999".into())).cmp(&(!overdue(b), b.due.clone().unwrap_or_else(|| "9999".into()))));
    let csrf = csrf_field(&cx.session);
    let mut b = format!(
        "<section id=\"actions\"><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        cx.t("actions"),
        cx.t("action"),
        cx.t("owner"),
        cx.t("due"),
        cx.t("meeting"),
        cx.t("status")
    );
    for a in &list {
        let mut opts = String::new();
        for st in [sangam_core::ActionStatus::Open, sangam_core::ActionStatus::InProgress, sangam_core::ActionStatus::Done, sangam_core::ActionStatus::Dropped] {
            let sel = if st == a.status { " selected" } else { "" };
            opts += &format!("<option value=\"{}\"{sel}>{}</option>", st.as_str(), cx.t(&format!("action_{}", st.as_str())));
        }
        let meeting = match &a.meeting_id {
            Some(m) => format!("<a href=\"/console/r/{}\">{}</a>", q(m), esc(&c.store.meeting(m).map(|m| format!("{} {}", m.coalition, m.date)).unwrap_or_default())),
            None => String::new(),
        };
        b += &format!(
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{meeting}</td><td><form method=\"post\" action=\"/console/r/{}/action\" class=\"bar\">{csrf}\
             <input type=\"hidden\" name=\"back\" value=\"{}\"><select name=\"status\">{opts}</select><button>{}</button></form></td></tr>",
            if overdue(a) { " class=\"overdue\"" } else { "" },
            esc(&a.title),
            esc(&a.owner),
            esc(a.due.as_deref().unwrap_or("")),
            q(&a.id),
            esc(back),
            cx.t("save")
        );
    }
    if list.is_empty() {
        b += &format!("<tr><td colspan=\"5\">{}</td></tr>", cx.t("nothing_found"));
    }
    Ok(b + "</tbody></table></section>")
}

/// Sets an action item's status.
pub fn set_action_status(c: &Console, s: &Session, id: &str, form: &HashMap<String, String>) -> Result<(), HubError> {
    let status = form
        .get("status")
        .and_then(|v| sangam_core::ActionStatus::parse(v))
        .ok_or_else(|| HubError::Usage("an action's status is open, in-progress, done or dropped".into()))?;
    as_user(c, s, id, |st| st.update_action(id, sangam_core::ActionUpdate { status: Some(status), ..Default::default() }))
}

/// A point of a geopoint answer (`lat lon [altitude [accuracy]]`), if `t` is one.
fn geopoint(t: &str) -> Option<(f64, f64)> {
    let parts: Vec<f64> = t.split_whitespace().map(|p| p.parse::<f64>()).collect::<Result<_, _>>().ok()?;
    if !(2..=4).contains(&parts.len()) {
        return None;
    }
    let (lat, lon) = (parts[0], parts[1]);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && !(lat == 0.0 && lon == 0.0)).then_some((lat, lon))
}

/// Where a form's responses were taken: its geopoint answers plotted on their own bounds
/// (no map tiles: the office may be offline), each point a link to its record.
pub fn map(c: &Console, cx: &Ctx) -> Result<(String, String), HubError> {
    let mut forms: Vec<String> = c.store.list_forms(None)?.into_iter().filter(|f| cx.session.user.sees(&f.scope)).filter_map(|f| f.form_id).collect();
    forms.sort();
    forms.dedup();
    let chosen = cx.q("form").map(str::to_string).or_else(|| forms.first().cloned());
    let mut opts = String::new();
    for f in &forms {
        let sel = if Some(f) == chosen.as_ref() { " selected" } else { "" };
        opts += &format!("<option value=\"{v}\"{sel}>{v}</option>", v = esc(f));
    }
    let mut b = scope_picker(cx, "/console/map", &format!("<label>{} <select name=\"form\">{opts}</select></label>", cx.t("form")));
    let Some(form_id) = chosen else {
        return Ok((cx.t("map").to_string(), b + &format!("<p>{}</p>", cx.t("nothing_found"))));
    };
    // The form's geopoint questions; for a form not published here, any answer that reads as one.
    let geo: Option<Vec<String>> = c.store.form_definition(&form_id, None).ok().map(|d| {
        d.questions()
            .into_iter()
            .filter(|(q, _)| matches!(q.kind, sangam_core::forms::definition::QuestionType::Geopoint | sangam_core::forms::definition::QuestionType::StartGeopoint))
            .map(|(q, _)| q.name.clone())
            .collect()
    });
    let scope_list = cx.scope_list();
    let mut points = Vec::new();
    'scopes: for scope in scope_list {
        let filter = sangam_core::ResponseFilter { form_id: Some(form_id.clone()), scope, limit: Some(2000), ..Default::default() };
        for r in c.store.list_responses(&filter)? {
            let full = c.store.response(&r.id)?;
            for (name, v) in &full.answers {
                if geo.as_ref().is_some_and(|g| !g.contains(name)) {
                    continue;
                }
                if let sangam_core::FieldValue::Text(t) = v {
                    if let Some(p) = geopoint(t) {
                        points.push((p, r.id.clone(), full.created_by.clone()));
                        break;
                    }
                }
            }
            if points.len() >= 2000 {
                break 'scopes;
            }
        }
    }
    if points.is_empty() {
        return Ok((cx.t("map").to_string(), b + &format!("<p>{}</p>", cx.t("no_points"))));
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for ((lat, lon), _, _) in &points {
        lat0 = lat0.min(*lat);
        lat1 = lat1.max(*lat);
        lon0 = lon0.min(*lon);
        lon1 = lon1.max(*lon);
    }
    let pad = |a: f64, z: f64| ((z - a) * 0.05).max(0.001);
    let (py, px) = (pad(lat0, lat1), pad(lon0, lon1));
    let (lat0, lat1, lon0, lon1) = (lat0 - py, lat1 + py, lon0 - px, lon1 + px);
    let (w, h) = (900.0, 560.0);
    let mut svg = format!("<svg class=\"map\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\"><rect width=\"{w}\" height=\"{h}\" fill=\"#f6f7f7\"/>", cx.t("map"));
    for ((lat, lon), id, who) in &points {
        let x = (lon - lon0) / (lon1 - lon0) * w;
        let y = (lat1 - lat) / (lat1 - lat0) * h;
        svg += &format!(
            "<a href=\"/console/r/{}\"><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"#2271b1\" fill-opacity=\"0.7\"><title>{} · {lat:.5}, {lon:.5}</title></circle></a>",
            q(id),
            esc(who)
        );
    }
    svg += "</svg>";
    b += &format!(
        "<p class=\"dim\">{} {} · {:.4}–{:.4} N, {:.4}–{:.4} E</p>{svg}",
        points.len(),
        cx.t("points"),
        lat0,
        lat1,
        lon0,
        lon1
    );
    Ok((cx.t("map").to_string(), b))
}

/// Merges the subject `id` into the one the form names (`into`); both must be in the user's
/// scopes.
pub fn merge(c: &Console, s: &Session, id: &str, form: &HashMap<String, String>) -> Result<(), HubError> {
    let into = form.get("into").map(|v| v.trim()).filter(|v| !v.is_empty()).ok_or_else(|| HubError::Usage("which subject to keep is missing".into()))?;
    let keep = c.store.summary(into)?;
    if !s.user.sees(&keep.scope) {
        return Err(HubError::Core(sangam_core::Error::NotFound(into.to_string())));
    }
    as_user(c, s, id, |st| st.merge_subjects(into, id)).map(|_| ())
}

/// Undoes the merge of subject `id`.
pub fn unmerge(c: &Console, s: &Session, id: &str, _form: &HashMap<String, String>) -> Result<(), HubError> {
    as_user(c, s, id, |st| st.unmerge_subject(id)).map(|_| ())
}

/// Runs a write as the signed-in user, on a record of their scopes.
fn as_user<R>(c: &Console, s: &Session, id: &str, f: impl FnOnce(&Store) -> sangam_core::Result<R>) -> Result<R, HubError> {
    let summary = c.store.summary(id)?;
    if !s.user.sees(&summary.scope) {
        return Err(HubError::Core(sangam_core::Error::NotFound(id.to_string())));
    }
    let _one_writer = c.write.lock().unwrap_or_else(|p| p.into_inner());
    c.store.set_identity(Identity::new(&s.user.name, &s.user.display, s.user.role))?;
    Ok(f(&c.store)?)
}

pub fn set_review(c: &Console, s: &Session, id: &str, form: &HashMap<String, String>) -> Result<(), HubError> {
    let state = form
        .get("state")
        .and_then(|v| ReviewState::parse(v))
        .ok_or_else(|| HubError::Usage("a review state is received, has-issues, approved or rejected".into()))?;
    let comment = form.get("comment").map(|c| c.trim()).filter(|c| !c.is_empty());
    as_user(c, s, id, |st| st.set_review(id, state, comment))
}

pub fn comment(c: &Console, s: &Session, id: &str, form: &HashMap<String, String>) -> Result<(), HubError> {
    let text = form.get("text").map(|c| c.trim()).filter(|c| !c.is_empty()).ok_or_else(|| HubError::Usage("write a comment first".into()))?;
    as_user(c, s, id, |st| st.add_review_comment(id, text).map(|_| ()))
}

pub fn resolve(c: &Console, s: &Session, id: &str, form: &HashMap<String, String>) -> Result<(), HubError> {
    let path = form.get("path").ok_or_else(|| HubError::Usage("which field?".into()))?;
    let pick: usize = form.get("pick").and_then(|p| p.parse().ok()).ok_or_else(|| HubError::Usage("which value?".into()))?;
    as_user(c, s, id, |st| st.resolve_conflict_pick(id, path, pick))
}

#[cfg(test)]
mod tests {
    use super::day_ms;

    #[test]
    fn dates_become_utc_midnights() {
        assert_eq!(day_ms("1970-01-01", false), Some(0));
        assert_eq!(day_ms("1970-01-01", true), Some(86_400_000));
        assert_eq!(day_ms("2026-12-03", false), Some(1_796_256_000_000));
        assert_eq!(day_ms("2026-13-03", false), None);
        assert_eq!(day_ms("x", false), None);
    }
}
