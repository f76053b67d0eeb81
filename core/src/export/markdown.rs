//! Meeting minutes as Markdown, one file per meeting (`DATE-COALITION-ID.md`): when and
//! where, the agenda, attendance (contact details are left out: minutes get shared), the
//! minutes as written, decisions with who recorded them, and the action items that came out
//! of the meeting with their owner, due date, status and notes as they stand today.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use crate::store::ExportSet;

use super::{file_safe, iso_utc, with_files, ExportOptions, ExportReport, OutFile, Progress};
use crate::model::meeting::Meeting;
use crate::{Action, ActionFilter, Result, Store};

impl Store {
    /// Exports meetings (of `opts.scope`, or all) as Markdown minutes into `out_dir`.
    pub fn export_meetings_markdown(&self, opts: &ExportOptions, out_dir: &Path, progress: &mut Progress<'_>) -> Result<ExportReport> {
        let filter = ExportSet::Meetings { scope: opts.scope.clone() };
        let mut report = ExportReport::default();
        report.records = self.export_each(&filter, opts.page_size, progress, |id| {
            let meeting = self.meeting(id)?;
            let summaries = self.list_actions(&ActionFilter { meeting_id: Some(id.to_string()), limit: Some(10_000), ..Default::default() })?;
            let mut actions = Vec::with_capacity(summaries.len());
            for s in summaries {
                actions.push(self.action(&s.id)?);
            }
            let name = format!(
                "{}-{}-{}.md",
                file_safe(&meeting.date),
                file_safe(&meeting.coalition.to_lowercase().replace(' ', "-")),
                file_safe(id)
            );
            let text = minutes_markdown(&meeting, &actions);
            let ((), files) = with_files(vec![OutFile::create(out_dir, &name)?], |files| {
                files[0].w.write_all(text.as_bytes())?;
                files[0].rows = 1;
                Ok(())
            })?;
            report.files.extend(files);
            Ok(())
        })?;
        Ok(report)
    }
}

/// Text safe inside a Markdown table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// A meeting and its actions as Markdown.
pub fn minutes_markdown(m: &Meeting, actions: &[Action]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} — {}\n", m.coalition.trim(), m.date);
    let _ = writeln!(out, "- **Date:** {} {}", m.date, m.time);
    let _ = writeln!(out, "- **Venue:** {}", m.venue.trim());
    let _ = writeln!(out, "- **Scope:** {}", m.scope);
    let _ = writeln!(out, "- **Record:** `{}`\n", m.id);
    out.push_str("## Agenda\n\n");
    if m.agenda.is_empty() {
        out.push_str("_No agenda recorded._\n");
    }
    for (i, item) in m.agenda.iter().enumerate() {
        let _ = writeln!(out, "{}. {}", i + 1, item.replace(['\r', '\n'], " "));
    }
    let present = m.attendees.iter().filter(|a| a.present == Some(true)).count();
    let _ = writeln!(out, "\n## Attendance\n\n{present} of {} present.\n", m.attendees.len());
    if !m.attendees.is_empty() {
        out.push_str("| Name | Role | Organisation | Attendance |\n|---|---|---|---|\n");
        for a in &m.attendees {
            let state = match a.present {
                Some(true) => "present",
                Some(false) => "absent",
                None => "not recorded",
            };
            let _ = writeln!(out, "| {} | {} | {} | {state} |", cell(&a.name), cell(&a.role), cell(&a.organisation));
        }
    }
    out.push_str("\n## Minutes\n\n");
    if m.minutes.trim().is_empty() {
        out.push_str("_No minutes written._\n");
    } else {
        out.push_str(m.minutes.trim_end());
        out.push('\n');
    }
    out.push_str("\n## Decisions\n\n");
    if m.decisions.is_empty() {
        out.push_str("_No decisions recorded._\n");
    }
    for (i, d) in m.decisions.iter().enumerate() {
        let _ = writeln!(out, "{}. {} _(recorded by {}, {})_", i + 1, d.text.replace(['\r', '\n'], " "), d.by, iso_utc(d.at_ms));
    }
    out.push_str("\n## Actions\n\n");
    if actions.is_empty() {
        out.push_str("_No actions._\n");
    } else {
        out.push_str("| Action | Owner | Due | Status |\n|---|---|---|---|\n");
        for a in actions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&a.title),
                cell(&a.owner),
                a.due.as_deref().unwrap_or("—"),
                a.status.as_str()
            );
        }
        for a in actions.iter().filter(|a| !a.notes.trim().is_empty()) {
            let _ = writeln!(out, "\n**{}** — notes:\n\n{}", cell(&a.title), a.notes.trim_end());
        }
    }
    out
}
