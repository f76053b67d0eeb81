//! The scans exports walk: which records an export covers, counted, paged by row id, and the
//! form versions they hold.

use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;

use super::Store;
use crate::Result;

/// The records an export covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExportSet {
    /// Responses to one form (one version, or all), of one scope or all, drafts or not.
    Responses { form_id: String, version: Option<String>, scope: Option<String>, include_drafts: bool },
    /// Meetings of one scope, or all.
    Meetings { scope: Option<String> },
}

impl ExportSet {
    fn filter(&self) -> (String, Vec<SqlValue>) {
        match self {
            ExportSet::Responses { form_id, version, scope, include_drafts } => {
                let mut sql = String::from("kind = 'response' AND deleted = 0 AND form_id = ?1");
                let mut args = vec![SqlValue::Text(form_id.clone())];
                if let Some(v) = version {
                    args.push(SqlValue::Text(v.clone()));
                    sql += &format!(" AND form_version = ?{}", args.len());
                }
                if let Some(s) = scope {
                    args.push(SqlValue::Text(s.clone()));
                    sql += &format!(" AND scope = ?{}", args.len());
                }
                if !include_drafts {
                    sql += " AND status = 'submitted'";
                }
                (sql, args)
            }
            ExportSet::Meetings { scope } => {
                let mut sql = String::from("kind = 'meeting' AND deleted = 0");
                let mut args = Vec::new();
                if let Some(s) = scope {
                    args.push(SqlValue::Text(s.clone()));
                    sql += " AND scope = ?1";
                }
                (sql, args)
            }
        }
    }
}

impl Store {
    /// Number of records matching `filter`.
    pub(crate) fn export_count(&self, set: &ExportSet) -> Result<u64> {
        let filter = set.filter();
        self.read(|c| {
            let n: i64 = c
                .prepare_cached(&format!("SELECT count(*) FROM docs WHERE {}", filter.0))?
                .query_row(params_from_iter(filter.1.iter()), |r| r.get(0))?;
            Ok(n.max(0) as u64)
        })
    }

    /// One page of record ids matching `filter` after row id `after`, in row id order.
    ///
    /// A range scan of the table by row id: there is no index on (form, row id), and through
    /// the (form, updated) index SQLite would sort every match again for each page. The scan
    /// visits each row once over the whole export, so an export costs one pass over the table.
    pub(crate) fn export_page(
        &self,
        set: &ExportSet,
        after: i64,
        page: u32,
    ) -> Result<Vec<(i64, String)>> {
        let filter = set.filter();
        let n = filter.1.len();
        let sql = format!(
            "SELECT rid, id FROM docs NOT INDEXED WHERE {} AND rid > ?{} ORDER BY rid LIMIT ?{}",
            filter.0,
            n + 1,
            n + 2
        );
        let mut args = filter.1.clone();
        args.push(SqlValue::Integer(after));
        args.push(SqlValue::Integer(i64::from(page.clamp(1, 10_000))));
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The form versions that have responses matching `opts`, oldest version first.
    pub(crate) fn export_versions(
        &self,
        set: &ExportSet,
    ) -> Result<Vec<String>> {
        let (filter, args) = set.filter();
        let mut versions: Vec<String> = self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT DISTINCT form_version FROM docs WHERE {filter}"
            ))?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| {
                r.get::<_, Option<String>>(0)
            })?;
            Ok(rows
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .collect())
        })?;
        versions.sort_by(|a, b| crate::model::form::compare_versions(a, b));
        Ok(versions)
    }
}
