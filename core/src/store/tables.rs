//! The coordinator's tables and counts, read from the index (never from documents): the
//! responses table with its filters, sorts and total, and the overview's counts. A hub's web
//! console draws its pages from these; each is one or two indexed queries, so a page costs the
//! same in a 500-record hub as in a 50,000-record one, bar the total count's scan.

use rusqlite::types::Value as SqlValue;
use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};

use super::lists::like_prefix;
use super::types::summary_from_row;
use super::Store;
use crate::model::checks::normalise;
use crate::model::response::ResponseStatus;
use crate::model::review::ReviewState;
use crate::model::RecordSummary;
use crate::Result;

/// The response table's columns one can sort by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResponseSort {
    #[default]
    Updated,
    Status,
    Review,
    Worker,
    Village,
    Subject,
}

impl ResponseSort {
    pub fn parse(s: &str) -> Option<ResponseSort> {
        Some(match s {
            "updated" => ResponseSort::Updated,
            "status" => ResponseSort::Status,
            "review" => ResponseSort::Review,
            "worker" => ResponseSort::Worker,
            "village" => ResponseSort::Village,
            "subject" => ResponseSort::Subject,
            _ => return None,
        })
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            ResponseSort::Updated => "updated",
            ResponseSort::Status => "status",
            ResponseSort::Review => "review",
            ResponseSort::Worker => "worker",
            ResponseSort::Village => "village",
            ResponseSort::Subject => "subject",
        }
    }
    fn column(&self) -> &'static str {
        match self {
            ResponseSort::Updated => "r.updated_at",
            ResponseSort::Status => "r.status",
            ResponseSort::Review => "r.review",
            ResponseSort::Worker => "r.owner",
            ResponseSort::Village => "s.k_village",
            ResponseSort::Subject => "s.title",
        }
    }
}

/// One page of the responses table: every given filter must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseQuery {
    /// Only these scopes (`None`: every scope; an empty list matches nothing).
    pub scopes: Option<Vec<String>>,
    pub form_id: Option<String>,
    pub status: Option<ResponseStatus>,
    pub review: Option<ReviewState>,
    /// The field worker who started the response (`Response::created_by`).
    pub worker: Option<String>,
    /// The start of the subject's village name (normalised as subject search does).
    pub village: Option<String>,
    /// Updated at or after / before this time (Unix ms).
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Text found in the response's id, its subject's title or name.
    pub text: Option<String>,
    pub sort: ResponseSort,
    pub descending: bool,
    pub limit: u32,
    pub offset: u32,
}

/// A row of the responses table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRow {
    pub summary: RecordSummary,
    /// `None`: stored before review states were indexed (shown as received).
    pub review: Option<ReviewState>,
    pub worker: Option<String>,
    pub subject_title: Option<String>,
    pub village: Option<String>,
}

/// A page of rows and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsePage {
    pub rows: Vec<ResponseRow>,
    pub total: u64,
}

/// Counts for a coordinator's overview of some scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub responses: u64,
    pub drafts: u64,
    pub awaiting_review: u64,
    pub has_issues: u64,
    pub conflicted_records: u64,
    pub overdue_actions: u64,
    pub open_actions: u64,
    pub subjects: u64,
    pub meetings: u64,
    /// Submitted responses last updated on each day (UTC date), per field worker, for the days
    /// asked for, oldest first.
    pub per_day: Vec<DayCount>,
    /// Submitted responses per subject village, most first (at most 20).
    pub per_village: Vec<(String, u64)>,
    /// Submitted responses per field worker, most first.
    pub per_worker: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    pub day: String,
    pub worker: String,
    pub count: u64,
}

const ROW_COLS: &str = "r.id, r.kind, r.scope, r.title, r.form_id, r.form_version, r.status, r.subject_id, r.owner, \
     r.due, r.updated_at, r.conflicts, r.seq, r.up_heads IS NOT r.heads, r.review, s.title, s.k_village";

/// A `LIKE … ESCAPE '\\'` pattern matching `s` anywhere.
fn like_contains(s: &str) -> String {
    format!("%{}", like_prefix(s))
}

/// `AND r.scope IN (…)` for a scope list, or `AND 0` for an empty one.
fn scope_clause(scopes: &Option<Vec<String>>, col: &str, args: &mut Vec<SqlValue>) -> String {
    match scopes {
        None => String::new(),
        Some(list) if list.is_empty() => " AND 0".into(),
        Some(list) => {
            let mut marks = Vec::with_capacity(list.len());
            for s in list {
                args.push(SqlValue::Text(s.clone()));
                marks.push(format!("?{}", args.len()));
            }
            format!(" AND {col} IN ({})", marks.join(", "))
        }
    }
}

impl Store {
    /// One page of the responses table, with the number of responses matching in all.
    pub fn response_table(&self, q: &ResponseQuery) -> Result<ResponsePage> {
        let mut args: Vec<SqlValue> = Vec::new();
        let mut wh = String::from(" WHERE r.kind = 'response' AND r.deleted = 0");
        // Whether a filter reads the subject (the count joins it only then).
        let mut needs_subject = false;
        wh += &scope_clause(&q.scopes, "r.scope", &mut args);
        let eq = |col: &str, v: Option<String>, wh: &mut String, args: &mut Vec<SqlValue>| {
            if let Some(v) = v {
                args.push(SqlValue::Text(v));
                *wh += &format!(" AND {col} = ?{}", args.len());
            }
        };
        eq("r.form_id", q.form_id.clone(), &mut wh, &mut args);
        eq("r.status", q.status.map(|s| s.as_str().to_string()), &mut wh, &mut args);
        eq("r.owner", q.worker.clone(), &mut wh, &mut args);
        if let Some(state) = q.review {
            args.push(SqlValue::Integer(state.code()));
            wh += &if state == ReviewState::Received {
                format!(" AND (r.review = ?{} OR r.review IS NULL)", args.len())
            } else {
                format!(" AND r.review = ?{}", args.len())
            };
        }
        if let Some(v) = q.village.as_deref().map(normalise).filter(|v| !v.is_empty()) {
            args.push(SqlValue::Text(like_prefix(&v)));
            wh += &format!(" AND s.k_village LIKE ?{} ESCAPE '\\'", args.len());
            needs_subject = true;
        }
        if let Some(t) = q.from_ms {
            args.push(SqlValue::Integer(t));
            wh += &format!(" AND r.updated_at >= ?{}", args.len());
        }
        if let Some(t) = q.to_ms {
            args.push(SqlValue::Integer(t));
            wh += &format!(" AND r.updated_at < ?{}", args.len());
        }
        if let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            args.push(SqlValue::Text(like_contains(text)));
            let raw = args.len();
            args.push(SqlValue::Text(like_contains(&normalise(text))));
            let norm = args.len();
            needs_subject = true;
            wh += &format!(
                " AND (r.id LIKE ?{raw} ESCAPE '\\' OR s.title LIKE ?{raw} ESCAPE '\\' OR r.owner LIKE ?{raw} ESCAPE '\\' \
                 OR s.k_name LIKE ?{norm} ESCAPE '\\')"
            );
        }
        let join = " LEFT JOIN docs s INDEXED BY docs_subject_keys ON s.id = r.subject_id AND s.kind = 'subject'";
        let from = format!(" FROM docs r INDEXED BY docs_responses{join}");
        let order = format!(
            " ORDER BY {} {dir}, r.updated_at DESC, r.rid DESC",
            q.sort.column(),
            dir = if q.descending { "DESC" } else { "ASC" }
        );
        let page = format!(
            "SELECT {ROW_COLS}{from}{wh}{order} LIMIT {} OFFSET {}",
            q.limit.clamp(1, 1000),
            q.offset
        );
        let count = format!("SELECT count(*) FROM docs r INDEXED BY docs_responses{}{wh}", if needs_subject { join } else { "" });
        self.read(|c| {
            let mut st = c.prepare_cached(&page)?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| {
                let summary = summary_from_row(r)?;
                let review: Option<i64> = r.get(14)?;
                Ok(ResponseRow {
                    worker: summary.owner.clone(),
                    summary,
                    review: review.and_then(ReviewState::from_code),
                    subject_title: r.get(15)?,
                    village: r.get(16)?,
                })
            })?;
            let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 = c.prepare_cached(&count)?.query_row(params_from_iter(args.iter()), |r| r.get(0))?;
            Ok(ResponsePage { rows, total: total.max(0) as u64 })
        })
    }

    /// The field workers who started responses in these scopes, by name.
    pub fn response_workers(&self, scopes: &Option<Vec<String>>) -> Result<Vec<String>> {
        let mut args = Vec::new();
        let sql = format!(
            "SELECT DISTINCT r.owner FROM docs r INDEXED BY docs_responses WHERE r.kind = 'response' AND r.deleted = 0 AND r.owner IS NOT NULL{} ORDER BY r.owner LIMIT 1000",
            scope_clause(scopes, "r.scope", &mut args)
        );
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })
    }

    /// The overview's counts for these scopes; `per_day` covers the `days` days up to and
    /// including `today` (a `YYYY-MM-DD` UTC date).
    pub fn overview(&self, scopes: &Option<Vec<String>>, today: &str, days: u32) -> Result<Overview> {
        crate::model::checks::check_date(today)?;
        let mut args = Vec::new();
        let sc = scope_clause(scopes, "scope", &mut args);
        let n = args.len();
        let day0 = format!("date(?{}, '-{} days')", n + 1, days.clamp(1, 366) - 1);
        let mut dargs = args.clone();
        dargs.push(SqlValue::Text(today.to_string()));
        self.read(|c| {
            let count = |sql: String, a: &[SqlValue]| -> Result<u64> {
                let v: i64 = c.prepare_cached(&sql)?.query_row(params_from_iter(a.iter()), |r| r.get(0))?;
                Ok(v.max(0) as u64)
            };
            let live = "deleted = 0";
            let mut o = Overview {
                // Each count walks the index of what it counts (SQLite would otherwise pick the
                // scope's index and read every record of the scope).
                conflicted_records: count(format!("SELECT count(*) FROM docs INDEXED BY docs_conflicts WHERE conflicts > 0 AND {live}{sc}"), &args)?,
                overdue_actions: count(
                    format!(
                        "SELECT count(*) FROM docs INDEXED BY docs_kind_updated WHERE kind = 'action' AND {live} AND status IN ('open', 'in-progress') \
                         AND due IS NOT NULL AND due < ?{}{sc}",
                        n + 1
                    ),
                    &dargs,
                )?,
                open_actions: count(
                    format!("SELECT count(*) FROM docs INDEXED BY docs_kind_updated WHERE kind = 'action' AND {live} AND status IN ('open', 'in-progress'){sc}"),
                    &args,
                )?,
                subjects: count(format!("SELECT count(*) FROM docs INDEXED BY docs_kind_updated WHERE kind = 'subject' AND {live}{sc}"), &args)?,
                meetings: count(format!("SELECT count(*) FROM docs INDEXED BY docs_kind_updated WHERE kind = 'meeting' AND {live}{sc}"), &args)?,
                ..Default::default()
            };
            // Per village: the submitted responses counted per subject (kept by triggers, see
            // schema V11), each subject's village looked up once.
            let mut st = c.prepare_cached(&format!(
                "SELECT coalesce(s.k_village, '?') AS v, sum(c.submitted) AS n FROM subject_response_counts c \
                 LEFT JOIN docs s INDEXED BY docs_subject_keys ON s.id = c.subject_id AND s.kind = 'subject' \
                 WHERE c.submitted > 0{sc} GROUP BY v ORDER BY n DESC, v LIMIT 20",
                sc = scope_clause(scopes, "c.scope", &mut Vec::new()),
            ))?;
            o.per_village = st
                .query_map(params_from_iter(args.iter()), |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?
                .collect::<rusqlite::Result<_>>()?;
            // The totals, the per-worker and the per-day counts, from the counts per scope, UTC
            // day and worker (kept by triggers, see schema V11).
            let (first, last): (i64, i64) = c.prepare_cached(&format!(
                "SELECT CAST(strftime('%s', {day0}) AS INTEGER) / 86400, CAST(strftime('%s', ?{}) AS INTEGER) / 86400",
                n + 1
            ))?
            .query_row(params_from_iter(dargs.iter()), |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mut st = c.prepare_cached(&format!(
                "SELECT day, date(day * 86400, 'unixepoch'), owner, sum(submitted), sum(drafts), sum(awaiting), sum(issues) \
                 FROM response_counts WHERE 1{sc} GROUP BY day, owner"
            ))?;
            let rows = st
                .query_map(params_from_iter(args.iter()), |r| {
                    let n = |i| r.get::<_, Option<i64>>(i).map(|v| v.unwrap_or(0).max(0) as u64);
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, n(3)?, n(4)?, n(5)?, n(6)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut workers: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
            for (day_number, day, worker, submitted, drafts, awaiting, issues) in rows {
                o.responses += submitted;
                o.drafts += drafts;
                o.awaiting_review += awaiting;
                o.has_issues += issues;
                *workers.entry(worker.clone()).or_default() += submitted;
                if submitted > 0 && (first..=last).contains(&day_number) {
                    o.per_day.push(DayCount { day, worker, count: submitted });
                }
            }
            o.per_day.sort_by(|a, b| (&a.day, &a.worker).cmp(&(&b.day, &b.worker)));
            let mut per_worker: Vec<(String, u64)> = workers.into_iter().filter(|(_, n)| *n > 0).collect();
            per_worker.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            per_worker.truncate(50);
            o.per_worker = per_worker;
            Ok(o)
        })
    }

    /// Changes waiting for the changes they depend on, per peer that sent them.
    pub fn pending_by_peer(&self) -> Result<Vec<(String, u64)>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT coalesce(peer, '?'), count(*) FROM pending GROUP BY peer ORDER BY 1")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
