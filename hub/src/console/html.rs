//! HTML for the console: escaping and the page frame. Every text that did not come from this
//! file goes through [`esc`] (or [`attr`]) before it reaches a page.

use super::accounts::Session;
use super::i18n::{t, Lang};

/// Text escaped for an HTML element's content or a quoted attribute.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value for a URL query (percent-encoded).
pub fn q(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An ISO date and time (UTC, to the minute) of Unix ms.
pub fn when(ms: i64) -> String {
    let s = sangam_core::export::iso_utc(ms);
    s.get(..16).map(|x| x.replace('T', " ")).unwrap_or(s)
}

pub struct Page<'a> {
    pub lang: Lang,
    pub session: Option<&'a Session>,
    pub title: &'a str,
    /// The path of this page (with its query), for the language switch to come back to.
    pub here: &'a str,
}

/// The whole page: head, navigation and `body`.
pub fn frame(p: &Page<'_>, body: &str) -> String {
    let l = p.lang;
    let mut nav = String::new();
    if let Some(s) = p.session {
        for (href, key) in [
            ("/console/overview", "overview"),
            ("/console/responses", "responses"),
            ("/console/review", "review_queue"),
            ("/console/conflicts", "conflicts"),
            ("/console/forms", "forms"),
            ("/console/exports", "exports"),
            ("/console/meetings", "meetings"),
            ("/console/actions", "actions"),
            ("/console/subjects", "subjects"),
            ("/console/map", "map"),
            ("/console/duplicates", "duplicates"),
            ("/console/devices", "devices"),
            ("/console/bundles", "bundles"),
        ] {
            nav += &format!("<a href=\"{href}\">{}</a>", t(l, key));
        }
        nav += &format!(
            "<span class=\"who\">{}</span>\
             <form method=\"post\" action=\"/console/logout\">{csrf}<button>{}</button></form>\
             <form method=\"post\" action=\"/console/logout-all\">{csrf}<button>{}</button></form>",
            esc(&s.user.display),
            t(l, "sign_out"),
            t(l, "sign_out_all"),
            csrf = csrf_field(s)
        );
    }
    let other = if l == Lang::Hi { "en" } else { "hi" };
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {app}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
         <script src=\"/console/assets/console.js\" defer></script></head>\
         <body><header><strong>{app}</strong><nav>{nav}</nav>\
         <a class=\"lang\" id=\"lang\" href=\"/console/lang?to={other}&amp;back={back}\">{switch}</a></header>\
         <main><h1>{title}</h1>{body}</main></body></html>",
        code = l.code(),
        title = esc(p.title),
        app = t(l, "app"),
        back = q(p.here),
        switch = t(l, "language"),
    )
}

/// A hidden CSRF field for a form of this session.
pub fn csrf_field(s: &Session) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", masked_csrf(s))
}

/// The session's CSRF token as a form carries it, masked afresh each time: a random pad, then
/// the token XOR the pad (hex). Pages are sent compressed and some echo what was typed into a
/// search; a secret repeated in every page would let compressed sizes give it away (BREACH).
pub fn masked_csrf(s: &Session) -> String {
    use rand::RngCore;
    let Ok(token) = hex::decode(&s.csrf) else { return String::new() };
    let mut pad = vec![0u8; token.len()];
    rand::rngs::OsRng.fill_bytes(&mut pad);
    let masked: Vec<u8> = pad.iter().zip(&token).map(|(p, t)| p ^ t).collect();
    format!("{}{}", hex::encode(&pad), hex::encode(masked))
}

/// The token a masked CSRF value carries (see [`masked_csrf`]).
pub fn unmask_csrf(value: &str) -> Option<Vec<u8>> {
    let raw = hex::decode(value).ok()?;
    if raw.is_empty() || raw.len() % 2 != 0 {
        return None;
    }
    let (pad, masked) = raw.split_at(raw.len() / 2);
    Some(pad.iter().zip(masked).map(|(p, m)| p ^ m).collect())
}

/// A horizontal bar chart (inline SVG, no script): one bar per (label, value).
pub fn bars(rows: &[(String, u64)]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let h = 22 * rows.len() + 4;
    let mut svg = format!("<svg class=\"chart\" viewBox=\"0 0 600 {h}\" role=\"img\" width=\"600\" height=\"{h}\">");
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 22 * i + 2;
        let w = (*v as f64 / max as f64 * 380.0).round().max(1.0);
        svg += &format!(
            "<text x=\"0\" y=\"{ty}\" class=\"lbl\">{}</text><rect x=\"170\" y=\"{y}\" width=\"{w}\" height=\"18\" class=\"bar\"></rect>\
             <text x=\"{tx}\" y=\"{ty}\">{v}</text>",
            esc(label.get(..label.char_indices().nth(24).map_or(label.len(), |c| c.0)).unwrap_or(label)),
            ty = y + 14,
            tx = 176.0 + w,
        );
    }
    svg + "</svg>"
}
