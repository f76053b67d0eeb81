//! The coordinator's commands: review responses, list and resolve conflicts, find
//! and merge (or unmerge) duplicate subjects, and export data. They work on the hub's own
//! store (`DATA/hub.db`), which acts as an admin; `--by NAME` records which coordinator
//! acted. Everything they change reaches phones with their next sync. Every command that
//! prints data has `--json`.
//!
//! They may run while `serve` runs on the same data directory: every write takes SQLite's
//! write lock before reading, and a store drops cached records another process has changed
//! (`PRAGMA data_version`), so neither side overwrites the other.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use sangam_core::field_value_from_json;
use sangam_core::{
    DuplicateOptions, ExportOptions, ExportProgress, ExportReport, Identity, ReviewFilter, ReviewState, Role, Store,
};

use crate::{open_store, HubError};

#[derive(Subcommand)]
pub enum ReviewCmd {
    /// List responses by review state (unreviewed responses are `received`).
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        form: Option<String>,
        /// received, has-issues, approved or rejected.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Show a response's review state, comments and the history of its states.
    Show {
        #[arg(long)]
        data: PathBuf,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Set a response's review state, with an optional comment.
    Set {
        #[arg(long)]
        data: PathBuf,
        id: String,
        /// received, has-issues, approved or rejected.
        state: String,
        #[arg(long)]
        comment: Option<String>,
        /// The coordinator acting (recorded in the response's history).
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Comment on a response without changing its state.
    Comment {
        #[arg(long)]
        data: PathBuf,
        id: String,
        text: String,
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ConflictsCmd {
    /// Every record with fields holding concurrent values, with who wrote each and when.
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        scope: Option<String>,
        #[arg(long, default_value_t = 200)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Resolve one field: pick one of its values by index, or write a new value (JSON).
    Resolve {
        #[arg(long)]
        data: PathBuf,
        id: String,
        /// The field's path as listed, e.g. `answers/age`.
        path: String,
        #[arg(long, conflicts_with = "value", required_unless_present = "value")]
        pick: Option<usize>,
        /// A new value as JSON: `5`, `"text"`, `true`, `["loan","market"]`.
        #[arg(long)]
        value: Option<String>,
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct DuplicatesArgs {
    #[arg(long)]
    data: PathBuf,
    #[arg(long)]
    scope: Option<String>,
    /// Only subjects of this type (household, person, …).
    #[arg(long = "type")]
    subject_type: Option<String>,
    /// Leave out pairs scoring below this (0-100).
    #[arg(long, default_value_t = 50)]
    min_score: u32,
    #[arg(long, default_value_t = 500)]
    limit: usize,
    /// List merged pairs with something left to fold in instead.
    #[arg(long)]
    follow_ups: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct MergeArgs {
    #[arg(long)]
    data: PathBuf,
    /// The subject to keep.
    keep: String,
    /// The duplicate, merged into KEEP.
    duplicate: String,
    #[arg(long)]
    by: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct UnmergeArgs {
    #[arg(long)]
    data: PathBuf,
    /// The subject that was merged into another.
    duplicate: String,
    #[arg(long)]
    by: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
    Automerge,
    Md,
}

#[derive(Args, Clone)]
pub struct ExportArgs {
    #[arg(long)]
    data: PathBuf,
    /// Export the responses of this form.
    #[arg(long, conflicts_with = "meetings", required_unless_present = "meetings")]
    form: Option<String>,
    /// Export meeting minutes (with --format md).
    #[arg(long)]
    meetings: bool,
    #[arg(long, value_enum)]
    format: Format,
    #[arg(long)]
    out: PathBuf,
    /// Only this form version.
    #[arg(long)]
    version: Option<String>,
    #[arg(long)]
    scope: Option<String>,
    /// Choice labels in this language (e.g. "Hindi (hi)") instead of choice names (CSV).
    #[arg(long)]
    labels: Option<String>,
    /// Include drafts, not only submitted responses.
    #[arg(long)]
    include_drafts: bool,
    #[arg(long)]
    json: bool,
    /// Write one ZIP file at `--out` (ending in .zip), every entry encrypted with AES-256 under a
    /// password read from standard input (or `SANGAM_EXPORT_PASSWORD`), at least 10 characters.
    /// Without it, the export is clear files, and a warning says so.
    #[arg(long)]
    encrypt: bool,
}

fn store_as(data: &Path, by: Option<&str>) -> Result<Store, HubError> {
    let store = open_store(data)?;
    if let Some(by) = by {
        store.set_identity(Identity::new(by, by, Role::Coordinator))?;
    }
    Ok(store)
}

fn parse_state(s: &str) -> Result<ReviewState, HubError> {
    ReviewState::parse(s).ok_or_else(|| HubError::Usage("a review state is received, has-issues, approved or rejected".into()))
}

fn print_json(v: &impl serde::Serialize) -> Result<(), HubError> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

pub fn review(cmd: ReviewCmd) -> Result<i32, HubError> {
    match cmd {
        ReviewCmd::List { data, scope, form, state, limit, json } => {
            let state = state.as_deref().map(parse_state).transpose()?;
            let store = open_store(&data)?;
            let items = store.list_by_review(&ReviewFilter { scope, form_id: form, status: None, state, limit: Some(limit) })?;
            if json {
                return print_json(&items).map(|_| 0);
            }
            for i in items {
                println!(
                    "{}  {:<11} {:<10} {:<20} {} comment(s)",
                    i.summary.id,
                    i.state.as_str(),
                    i.summary.scope,
                    i.summary.form_id.unwrap_or_default(),
                    i.comments
                );
            }
            Ok(0)
        }
        ReviewCmd::Show { data, id, json } => {
            let store = open_store(&data)?;
            let review = store.review(&id)?;
            let history = store.review_history(&id)?;
            if json {
                return print_json(&serde_json::json!({ "id": id, "review": review, "history": history })).map(|_| 0);
            }
            println!("{id}: {}{}", review.state.as_str(), if review.conflicted { " (set differently by two coordinators)" } else { "" });
            for c in &review.comments {
                println!("  {} {}: {}", sangam_core::export::iso_utc(c.at_ms), c.by, c.text);
            }
            for e in &history {
                println!("  state {} by {} at {}", e.state.as_str(), e.author.user_id, sangam_core::export::iso_utc(e.author.time_ms));
            }
            Ok(0)
        }
        ReviewCmd::Set { data, id, state, comment, by, json } => {
            let state = parse_state(&state)?;
            let store = store_as(&data, by.as_deref())?;
            store.set_review(&id, state, comment.as_deref())?;
            let review = store.review(&id)?;
            if json {
                return print_json(&serde_json::json!({ "id": id, "review": review })).map(|_| 0);
            }
            println!("{id} is now {}", review.state.as_str());
            Ok(0)
        }
        ReviewCmd::Comment { data, id, text, by, json } => {
            let store = store_as(&data, by.as_deref())?;
            let comment = store.add_review_comment(&id, &text)?;
            if json {
                return print_json(&serde_json::json!({ "id": id, "comment": comment })).map(|_| 0);
            }
            println!("comment {comment} added to {id}");
            Ok(0)
        }
    }
}

pub fn conflicts(cmd: ConflictsCmd) -> Result<i32, HubError> {
    match cmd {
        ConflictsCmd::List { data, scope, limit, json } => {
            let store = open_store(&data)?;
            let records = store.conflicted_records(scope.as_deref(), limit, 0)?;
            if json {
                return print_json(&records).map(|_| 0);
            }
            if records.is_empty() {
                println!("no conflicts");
            }
            for r in records {
                println!("{} {} {} {}", r.summary.id, r.summary.kind.as_str(), r.summary.scope, r.summary.title.unwrap_or_default());
                for f in r.fields {
                    println!("  {}", f.path);
                    for (i, v) in f.values.iter().enumerate() {
                        println!(
                            "    [{i}] {}  by {} on device {} at {}{}",
                            v.value,
                            v.author.user_id,
                            short(&v.author.device),
                            sangam_core::export::iso_utc(v.author.time_ms),
                            if v.shown { "  (shown now)" } else { "" }
                        );
                    }
                }
            }
            Ok(0)
        }
        ConflictsCmd::Resolve { data, id, path, pick, value, by, json } => {
            let store = store_as(&data, by.as_deref())?;
            match (pick, value) {
                (Some(i), _) => store.resolve_conflict_pick(&id, &path, i)?,
                (None, Some(v)) => {
                    let parsed: serde_json::Value =
                        serde_json::from_str(&v).map_err(|_| HubError::Usage("--value takes JSON: 5, \"text\", true or [\"a\",\"b\"]".into()))?;
                    store.resolve_conflict(&id, &path, &field_value_from_json(&parsed)?)?;
                }
                (None, None) => return Err(HubError::Usage("give --pick N or --value JSON".into())),
            }
            let left = store.conflicts(&id)?;
            if json {
                return print_json(&serde_json::json!({ "id": id, "resolved": path, "remaining": left })).map(|_| 0);
            }
            println!("resolved {path} on {id}; {} conflicting field(s) left on it", left.len());
            Ok(0)
        }
    }
}

pub fn duplicates(a: DuplicatesArgs) -> Result<i32, HubError> {
    let store = open_store(&a.data)?;
    if a.follow_ups {
        let list = store.merge_follow_ups(a.scope.as_deref())?;
        if a.json {
            return print_json(&list).map(|_| 0);
        }
        for f in list {
            println!(
                "{} merged into {}: changed since {:?}, {} response(s) still about it; run `merge` again to fold in",
                f.duplicate,
                f.keep,
                f.changed_attrs,
                f.responses.len()
            );
        }
        return Ok(0);
    }
    let opts = DuplicateOptions { scope: a.scope, subject_type: a.subject_type, min_score: a.min_score, limit: a.limit };
    let found = store.duplicate_candidates(&opts)?;
    if a.json {
        return print_json(&found).map(|_| 0);
    }
    if found.is_empty() {
        println!("no candidate duplicates");
    }
    for c in found {
        println!(
            "{:>3}  keep {} ({})  duplicate {} ({})",
            c.score,
            c.keep,
            c.keep_title.unwrap_or_default(),
            c.duplicate,
            c.duplicate_title.unwrap_or_default()
        );
        let reasons: Vec<String> = c.reasons.iter().map(|r| format!("{} ({:+})", r.detail, r.points)).collect();
        println!("     {}", reasons.join("; "));
    }
    Ok(0)
}

pub fn merge(a: MergeArgs) -> Result<i32, HubError> {
    let store = store_as(&a.data, a.by.as_deref())?;
    let report = store.merge_subjects(&a.keep, &a.duplicate)?;
    if a.json {
        return print_json(&report).map(|_| 0);
    }
    println!(
        "{} {} into {}: gained {:?}; in conflict {:?}; {} response(s) now refer to it",
        if report.refreshed { "refreshed the merge of" } else { "merged" },
        report.duplicate,
        report.keep,
        report.gained,
        report.conflicts,
        report.responses_moved.len()
    );
    if !report.conflicts.is_empty() {
        println!("resolve the conflicts with: sangam-hub conflicts list --data {}", a.data.display());
    }
    Ok(0)
}

pub fn unmerge(a: UnmergeArgs) -> Result<i32, HubError> {
    let store = store_as(&a.data, a.by.as_deref())?;
    let report = store.unmerge_subject(&a.duplicate)?;
    if a.json {
        return print_json(&report).map(|_| 0);
    }
    println!(
        "unmerged {} from {}: removed {:?}, restored {:?}, left as edited since {:?}; {} response(s) refer to it again",
        report.duplicate,
        report.keep,
        report.removed,
        report.restored,
        report.left_as_edited,
        report.responses_restored.len()
    );
    Ok(0)
}

pub fn export(mut a: ExportArgs) -> Result<i32, HubError> {
    // Encrypted: the export is written to a private folder beside the ZIP, packed, then removed.
    let zip_to = if a.encrypt {
        if a.out.extension().and_then(|e| e.to_str()) != Some("zip") {
            return Err(HubError::Usage("with --encrypt, --out names the ZIP file to write (ending in .zip)".into()));
        }
        if let Some(why) = sangam_core::files::refuse_target(&a.out) {
            return Err(HubError::Usage(why));
        }
        let password = match std::env::var("SANGAM_EXPORT_PASSWORD") {
            Ok(p) if !p.is_empty() => p,
            _ => {
                eprintln!("password for the export (at least {} characters, then Enter):", crate::archive::MIN_PASSWORD_CHARS);
                let mut p = String::new();
                std::io::stdin().read_line(&mut p)?;
                p.trim_end_matches(['\r', '\n']).to_string()
            }
        };
        crate::archive::check_password(&password)?;
        let staging = PathBuf::from(format!("{}.parts-{}", a.out.display(), std::process::id()));
        let zip = a.out.clone();
        a.out = staging;
        Some((zip, password))
    } else {
        None
    };
    let result = export_to_dir(&a);
    if let Some((zip, password)) = zip_to {
        let packed = result.and_then(|code| {
            let root = zip.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "export".into());
            crate::archive::zip_dir(&a.out, &zip, &root, Some(&password))?;
            eprintln!("encrypted (AES-256) into {}; open it with 7-Zip, WinRAR or the Mac's Archive Utility and the password", zip.display());
            Ok(code)
        });
        let _ = std::fs::remove_dir_all(&a.out);
        return packed;
    }
    if result.is_ok() && !a.json {
        eprintln!(
            "warning: this export is not encrypted: it holds people's answers in clear for anyone who gets the files. \
             Keep it on an encrypted disk, or export again with --encrypt."
        );
    }
    result
}

fn export_to_dir(a: &ExportArgs) -> Result<i32, HubError> {
    let a = a.clone();
    let store = open_store(&a.data)?;
    let opts = ExportOptions {
        scope: a.scope,
        version: a.version,
        language: a.labels,
        include_drafts: a.include_drafts,
        ..Default::default()
    };
    // Progress on stderr, every tenth of the way.
    let mut last_tenth = None;
    let mut progress = |p: &ExportProgress| {
        let tenth = p.done.saturating_mul(10).checked_div(p.total).unwrap_or(10);
        if last_tenth != Some(tenth) {
            eprintln!("exported {} of {}", p.done, p.total);
            last_tenth = Some(tenth);
        }
        true
    };
    let report: ExportReport = match (a.form.as_deref(), a.meetings, a.format) {
        (_, true, Format::Md) => store.export_meetings_markdown(&opts, &a.out, &mut progress)?,
        (_, true, _) => return Err(HubError::Usage("meetings export as Markdown: --format md".into())),
        (Some(form), false, Format::Csv) => store.export_csv(form, &opts, &a.out, &mut progress)?,
        (Some(form), false, Format::Jsonl) => store.export_jsonl(form, &opts, &a.out, &mut progress)?,
        (Some(form), false, Format::Automerge) => store.export_automerge(form, &opts, &a.out, &mut progress)?,
        (Some(_), false, Format::Md) => return Err(HubError::Usage("Markdown is for meetings: use --meetings".into())),
        (None, false, _) => return Err(HubError::Usage("give --form ID or --meetings".into())),
    };
    if a.json {
        return print_json(&report).map(|_| 0);
    }
    println!("exported {} record(s) to {}", report.records, a.out.display());
    if report.media > 0 || !report.media_missing.is_empty() {
        println!("  {} media file(s) in {}", report.media, a.out.join(sangam_core::export::MEDIA_DIR).display());
    }
    if !report.media_missing.is_empty() {
        println!(
            "  {} media file(s) named by these responses are not on this hub yet (their phones have not sent them): {}",
            report.media_missing.len(),
            report.media_missing.join(", ")
        );
    }
    for f in &report.files {
        println!("  {} ({} rows)", f.path.display(), f.rows);
    }
    Ok(0)
}
