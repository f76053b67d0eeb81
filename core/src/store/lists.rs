//! Lists read from the index, never from documents: each kind's list and search, the review
//! queue's pages, records with conflicts, forms by id and version.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, OptionalExtension};

use super::types::{summary_from_row, SUMMARY_COLS};
use super::Store;
use crate::model::action::ActionFilter;
use crate::model::checks::{check_date, normalise, normalise_phone_prefix};
use crate::model::form::compare_versions;
use crate::model::response::ResponseFilter;
use crate::model::review::{ReviewFilter, ReviewState};
use crate::model::subject::SubjectQuery;
use crate::model::RecordSummary;
use crate::Result;

/// A subject's indexed search keys (normalised name, village and phone).
pub(crate) struct SubjectKeys {
    pub(crate) id: String,
    pub(crate) scope: String,
    pub(crate) subject_type: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) village: Option<String>,
    pub(crate) phone: Option<String>,
}

/// Rows read per index page when a list has to look inside documents.
pub(crate) const PAGE: u32 = 200;

impl Store {
    /// Lists action items from the index.
    pub fn list_actions(&self, f: &ActionFilter) -> Result<Vec<RecordSummary>> {
        if let Some(d) = &f.overdue_on {
            check_date(d)?;
        }
        let mut sql = format!("SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'action' AND deleted = 0");
        let mut args: Vec<SqlValue> = Vec::new();
        for (col, v) in [("scope", &f.scope), ("owner", &f.owner), ("meeting_id", &f.meeting_id)] {
            if let Some(v) = v {
                args.push(SqlValue::Text(v.clone()));
                sql += &format!(" AND {col} = ?{}", args.len());
            }
        }
        if f.open_only || f.overdue_on.is_some() {
            sql += " AND status IN ('open', 'in-progress')";
        }
        if let Some(d) = &f.overdue_on {
            args.push(SqlValue::Text(d.clone()));
            sql += &format!(" AND due IS NOT NULL AND due < ?{}", args.len());
        }
        sql += &format!(" ORDER BY due IS NULL, due, updated_at DESC LIMIT {}", f.limit.unwrap_or(100).min(10_000));
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Lists responses from the index.
    pub fn list_responses(&self, f: &ResponseFilter) -> Result<Vec<RecordSummary>> {
        let mut sql = format!("SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'response' AND deleted = 0");
        let mut args: Vec<SqlValue> = Vec::new();
        let mut eq = |col: &str, v: &Option<String>, sql: &mut String| {
            if let Some(v) = v {
                args.push(SqlValue::Text(v.clone()));
                *sql += &format!(" AND {col} = ?{}", args.len());
            }
        };
        eq("form_id", &f.form_id, &mut sql);
        eq("form_version", &f.form_version, &mut sql);
        eq("status", &f.status.map(|s| s.as_str().to_string()), &mut sql);
        eq("subject_id", &f.subject_id, &mut sql);
        eq("scope", &f.scope, &mut sql);
        if let Some(t) = f.updated_since_ms {
            args.push(SqlValue::Integer(t));
            sql += &format!(" AND updated_at >= ?{}", args.len());
        }
        match f.has_conflicts {
            Some(true) => sql += " AND conflicts > 0",
            Some(false) => sql += " AND conflicts = 0",
            None => {}
        }
        sql += &format!(
            " ORDER BY updated_at DESC LIMIT {} OFFSET {}",
            f.limit.unwrap_or(50).min(10_000),
            f.offset.unwrap_or(0)
        );
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Searches subjects from the index, most recently updated first.
    pub fn search_subjects(&self, q: &SubjectQuery) -> Result<Vec<RecordSummary>> {
        let mut sql = format!("SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'subject' AND deleted = 0");
        let mut args: Vec<String> = Vec::new();
        if let Some(s) = &q.scope {
            args.push(s.clone());
            sql += &format!(" AND scope = ?{}", args.len());
        }
        if let Some(t) = &q.subject_type {
            args.push(t.clone());
            sql += &format!(" AND form_id = ?{}", args.len());
        }
        for (col, raw) in [("k_name", &q.name_prefix), ("k_village", &q.village_prefix)] {
            if let Some(p) = raw {
                let p = normalise(p);
                if p.is_empty() {
                    continue;
                }
                args.push(like_prefix(&p));
                args.push(format!("% {}", like_prefix(&p)));
                sql += &format!(
                    " AND ({col} LIKE ?{} ESCAPE '\\' OR {col} LIKE ?{} ESCAPE '\\')",
                    args.len() - 1,
                    args.len()
                );
            }
        }
        if let Some(p) = &q.phone_prefix {
            let digits = normalise_phone_prefix(p);
            if !digits.is_empty() {
                args.push(like_prefix(&digits));
                sql += &format!(" AND k_phone LIKE ?{} ESCAPE '\\'", args.len());
            }
        }
        sql += &format!(" ORDER BY updated_at DESC LIMIT {}", q.limit.unwrap_or(50).min(10_000));
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Meetings of a scope (or all), newest date first.
    pub fn list_meetings(&self, scope: Option<&str>, limit: u32) -> Result<Vec<RecordSummary>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'meeting' AND deleted = 0 AND (?1 IS NULL OR scope = ?1) \
                 ORDER BY due DESC, updated_at DESC LIMIT ?2"
            ))?;
            let rows = st.query_map(params![scope, limit], summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One page of responses for the review queue, with each one's indexed review state
    /// (`None`: stored before the state was indexed).
    pub(crate) fn review_page(&self, f: &ReviewFilter, offset: i64) -> Result<Vec<(RecordSummary, Option<i64>)>> {
        let mut sql = format!("SELECT {SUMMARY_COLS}, review FROM docs WHERE kind = 'response' AND deleted = 0");
        let mut args: Vec<SqlValue> = Vec::new();
        for (col, v) in [("scope", &f.scope), ("form_id", &f.form_id), ("status", &f.status.map(|s| s.as_str().to_string()))] {
            if let Some(v) = v {
                args.push(SqlValue::Text(v.clone()));
                sql += &format!(" AND {col} = ?{}", args.len());
            }
        }
        if let Some(state) = f.state {
            args.push(SqlValue::Integer(state.code()));
            sql += &format!(" AND (review = ?{} OR review IS NULL)", args.len());
        }
        sql += &format!(" ORDER BY updated_at DESC, rid DESC LIMIT {PAGE} OFFSET ?{}", args.len() + 1);
        args.push(SqlValue::Integer(offset));
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| Ok((summary_from_row(r)?, r.get(14)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Writes review states read from documents into the index, where it has none yet (a
    /// state indexed meanwhile by a write is left alone).
    pub(crate) fn index_review_states(&self, states: &[(String, ReviewState)]) -> Result<()> {
        self.read(|c| {
            let tx = c.unchecked_transaction()?;
            {
                let mut st = tx.prepare_cached("UPDATE docs SET review = ?2 WHERE id = ?1 AND review IS NULL")?;
                for (id, state) in states {
                    st.execute(params![id, state.code()])?;
                }
            }
            Ok(tx.commit()?)
        })
    }

    /// Records with conflicts (optionally of one scope), most recently updated first.
    pub(crate) fn conflicted_page(&self, scope: Option<&str>, limit: u32, offset: u32) -> Result<Vec<RecordSummary>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM docs WHERE conflicts > 0 AND deleted = 0 AND (?1 IS NULL OR scope = ?1) \
                 ORDER BY updated_at DESC, rid DESC LIMIT ?2 OFFSET ?3"
            ))?;
            let rows = st.query_map(rusqlite::params![scope, limit.min(10_000), offset], summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Published forms (every version), optionally of one scope, by form id then version.
    pub fn list_forms(&self, scope: Option<&str>) -> Result<Vec<RecordSummary>> {
        let mut rows = self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM docs WHERE kind = 'form' AND deleted = 0 AND (?1 IS NULL OR scope = ?1)"
            ))?;
            let rows = st.query_map([scope], summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        rows.sort_by(|a, b| {
            a.form_id.cmp(&b.form_id).then_with(|| {
                compare_versions(a.form_version.as_deref().unwrap_or(""), b.form_version.as_deref().unwrap_or(""))
            })
        });
        Ok(rows)
    }

    /// The record id of form `form_id` at `version`, if published.
    /// The record id of a published form version.
    pub fn form_record_id(&self, form_id: &str, version: &str) -> Result<Option<String>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id FROM docs INDEXED BY docs_forms WHERE kind = 'form' AND deleted = 0 AND form_id = ?1 AND form_version = ?2 ORDER BY seq LIMIT 1",
            )?;
            let mut rows = st.query_map([form_id, version], |r| r.get::<_, String>(0))?;
            Ok(rows.next().transpose()?)
        })
    }

    /// The highest published version of form `form_id`.
    /// The newest published version of `form_id`, if any.
    pub fn newest_form_version(&self, form_id: &str) -> Result<Option<String>> {
        let versions: Vec<String> = self.read(|c| {
            let mut st = c.prepare_cached("SELECT form_version FROM docs INDEXED BY docs_forms WHERE kind = 'form' AND deleted = 0 AND form_id = ?1")?;
            let rows = st.query_map([form_id], |r| r.get::<_, Option<String>>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().flatten().collect())
        })?;
        Ok(versions.into_iter().max_by(|a, b| compare_versions(a, b)))
    }

    /// The heads (version) of record `id` as stored, without loading its document.
    pub(crate) fn stored_heads(&self, id: &str) -> Result<Vec<u8>> {
        self.read(|c| {
            c.prepare_cached("SELECT heads FROM docs WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| crate::Error::NotFound(id.to_string()))
        })
    }

    /// The responses about subject `subject`, oldest first.
    pub(crate) fn responses_about(&self, subject: &str) -> Result<Vec<String>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT id FROM docs WHERE kind = 'response' AND subject_id = ?1 ORDER BY rid")?;
            let rows = st.query_map([subject], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Subjects merged into another (of one scope, or all): (duplicate, kept), oldest first.
    pub(crate) fn merged_subjects(&self, scope: Option<&str>) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, subject_id FROM docs WHERE kind = 'subject' AND status = 'merged' AND subject_id IS NOT NULL \
                 AND (?1 IS NULL OR scope = ?1) ORDER BY rid",
            )?;
            let rows = st.query_map([scope], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The indexed search keys of every live subject (of one scope and type, or all), oldest
    /// first: what duplicate detection compares.
    /// A value that changes whenever a subject is written: the changelog sequence of the last
    /// subject change and the number of subject rows. Results kept while subjects are
    /// unchanged (a duplicate search) are keyed by it.
    pub(crate) fn subjects_version(&self) -> Result<Vec<u8>> {
        self.read(|c| {
            let (seq, n): (i64, i64) = c
                .prepare_cached("SELECT coalesce(max(seq), 0), count(*) FROM docs WHERE kind = 'subject'")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mut v = seq.to_le_bytes().to_vec();
            v.extend(n.to_le_bytes());
            Ok(v)
        })
    }

    pub(crate) fn subject_keys(&self, scope: Option<&str>, subject_type: Option<&str>) -> Result<Vec<SubjectKeys>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, scope, form_id, title, k_name, k_village, k_phone FROM docs \
                 WHERE kind = 'subject' AND deleted = 0 AND (?1 IS NULL OR scope = ?1) AND (?2 IS NULL OR form_id = ?2) \
                 ORDER BY rid",
            )?;
            let rows = st.query_map(params![scope, subject_type], |r| {
                Ok(SubjectKeys {
                    id: r.get(0)?,
                    scope: r.get(1)?,
                    subject_type: r.get(2)?,
                    title: r.get(3)?,
                    name: r.get(4)?,
                    village: r.get(5)?,
                    phone: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` prefix pattern.
pub(crate) fn like_prefix(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_prefix_escapes_wildcards() {
        assert_eq!(like_prefix("a_b%"), "a\\_b\\%%");
    }
}
