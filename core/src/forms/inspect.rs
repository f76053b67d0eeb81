//! `sangam-hub form inspect FILE.xlsx [--json]`: a form author's check before publishing.
//! [`inspect`] imports the file and renders either the typed definition or every problem, as
//! plain text for people or as JSON for tools.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::definition::{FormDefinition, Item, Question};
use super::xlsform::{self, Problem};

/// The outcome of inspecting one XLSForm file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectReport {
    /// The file name as given.
    pub file: String,
    /// The definition, when the form has no problems.
    pub definition: Option<FormDefinition>,
    /// Every problem found (empty when the form is fine).
    pub problems: Vec<Problem>,
    /// What the import left aside without refusing the form (display-only settings, unused
    /// columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Problem>,
}

/// Imports `path` and reports on it.
pub fn inspect(path: impl AsRef<Path>) -> InspectReport {
    let path = path.as_ref();
    let file = path.display().to_string();
    match xlsform::import_file_with_warnings(path) {
        Ok(i) => InspectReport { file, definition: Some(i.definition), problems: Vec::new(), warnings: i.warnings },
        Err(all) => {
            let (warnings, problems) = all.into_iter().partition(Problem::is_warning);
            InspectReport { file, definition: None, problems, warnings }
        }
    }
}

impl InspectReport {
    /// Whether the form can be published.
    pub fn ok(&self) -> bool {
        self.definition.is_some() && self.problems.is_empty()
    }

    /// The process exit code a CLI should use: 0 when fine, 1 when the form has problems.
    pub fn exit_code(&self) -> i32 {
        if self.ok() {
            0
        } else {
            1
        }
    }

    /// JSON: `{"file", "ok", "definition"}` or `{"file", "ok", "problems": [...]}`, with
    /// `"warnings": [...]` when there are any.
    pub fn to_json(&self) -> String {
        let mut v = serde_json::json!({ "file": self.file, "ok": self.ok() });
        if let Some(d) = &self.definition {
            v["definition"] = serde_json::to_value(d).unwrap_or(serde_json::Value::Null);
        } else {
            v["problems"] = serde_json::to_value(&self.problems).unwrap_or(serde_json::Value::Null);
        }
        if !self.warnings.is_empty() {
            v["warnings"] = serde_json::to_value(&self.warnings).unwrap_or(serde_json::Value::Null);
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// Text for people: the form's tree, or one line per problem.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        match &self.definition {
            Some(d) if self.problems.is_empty() => render_definition(d, &mut out),
            _ => {
                let n = self.problems.len();
                let _ = writeln!(out, "{}: {n} problem{} found", self.file, if n == 1 { "" } else { "s" });
                for p in &self.problems {
                    let _ = writeln!(out, "  {p}");
                }
            }
        }
        if !self.warnings.is_empty() {
            let n = self.warnings.len();
            let _ = writeln!(out, "\n{n} warning{} (the form imports; these change nothing Sangam keeps):", if n == 1 { "" } else { "s" });
            for w in &self.warnings {
                let _ = writeln!(out, "  {w}");
            }
        }
        out
    }
}

fn render_definition(d: &FormDefinition, out: &mut String) {
    let _ = writeln!(out, "Form: {} (form_id {}, version {})", d.title, d.form_id, d.version);
    let langs: Vec<String> = d
        .languages
        .iter()
        .map(|l| if *l == d.default_language { format!("{l} [default]") } else { l.clone() })
        .collect();
    let _ = writeln!(out, "Languages: {}", langs.join(", "));
    let (q, g, r) = count(&d.items);
    let _ = writeln!(out, "Questions: {q} in {g} groups and {r} repeats");
    let _ = writeln!(out);
    render_items(d, &d.items, 1, out);
    if !d.choice_lists.is_empty() {
        let _ = writeln!(out, "\nChoice lists:");
        for (name, list) in &d.choice_lists {
            let names: Vec<&str> = list.choices.iter().map(|c| c.name.as_str()).collect();
            let _ = writeln!(out, "  {name}: {}", names.join(", "));
        }
    }
}

fn count(items: &[Item]) -> (usize, usize, usize) {
    items.iter().fold((0, 0, 0), |(q, g, r), it| match it {
        Item::Question(_) => (q + 1, g, r),
        Item::Group(x) => {
            let (a, b, c) = count(&x.items);
            (q + a, g + b + 1, r + c)
        }
        Item::Repeat(x) => {
            let (a, b, c) = count(&x.items);
            (q + a, g + b, r + c + 1)
        }
    })
}

fn label(d: &FormDefinition, t: &super::definition::Translated) -> String {
    d.text(t, &d.default_language).map(|s| format!(" \"{s}\"")).unwrap_or_default()
}

fn render_items(d: &FormDefinition, items: &[Item], depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for it in items {
        match it {
            Item::Group(g) => {
                let _ = writeln!(out, "{pad}group {}{}", g.name, label(d, &g.label));
                if let Some(r) = &g.relevant {
                    let _ = writeln!(out, "{pad}  relevant: {r}");
                }
                render_items(d, &g.items, depth + 1, out);
            }
            Item::Repeat(r) => {
                let _ = writeln!(out, "{pad}repeat {}{}", r.name, label(d, &r.label));
                if let Some(c) = &r.repeat_count {
                    let _ = writeln!(out, "{pad}  repeat_count: {c}");
                }
                if let Some(x) = &r.relevant {
                    let _ = writeln!(out, "{pad}  relevant: {x}");
                }
                render_items(d, &r.items, depth + 1, out);
            }
            Item::Question(q) => render_question(d, q, &pad, out),
        }
    }
}

fn render_question(d: &FormDefinition, q: &Question, pad: &str, out: &mut String) {
    let mut ty = q.kind.as_str().to_string();
    if let Some(l) = &q.list_name {
        ty = format!("{ty} {l}");
    }
    if q.or_other {
        ty += " or_other";
    }
    let _ = writeln!(out, "{pad}{ty} {}{}", q.name, label(d, &q.label));
    for (k, v) in [
        ("required", &q.required),
        ("relevant", &q.relevant),
        ("constraint", &q.constraint),
        ("calculation", &q.calculation),
        ("choice_filter", &q.choice_filter),
        ("read_only", &q.read_only),
        ("default", &q.default),
        ("appearance", &q.appearance),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "{pad}  {k}: {v}");
        }
    }
    let others: Vec<&String> = q.label.keys().filter(|l| **l != d.default_language).collect();
    if !others.is_empty() {
        let _ = writeln!(out, "{pad}  labels also in: {}", others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
    }
}
