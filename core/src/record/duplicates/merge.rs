//! Merging a duplicate subject B into the subject A that is kept, and undoing it.
//!
//! A merge is one SQLite transaction over several records:
//! - **B** gets `merged_into = A` and leaves lists (the index hides merged subjects); nothing
//!   else of B changes, so its data and history stay whole.
//! - **Responses about B** now refer to A (`subject_id`).
//! - **A** gains every attribute it lacked. Where both have a value and they differ, A does not
//!   silently pick: the field becomes a real Automerge conflict holding both values, so
//!   [`Store::conflicts`] lists it with both and a coordinator resolves it like any other. To
//!   make it, the merge writes A's value and B's value as *concurrent* changes (one per value,
//!   by distinct actors of this device, all based on A's current version) — the only way
//!   Automerge keeps several values for one field, and what makes the merge look to every
//!   peer exactly like people who wrote different values offline. (A field of A already in
//!   conflict keeps all its values, and B's joins them.)
//! - **A** records the merge under `merged_from/<B>`: who, when, B's version, what A gained,
//!   which fields were put in conflict (with A's own value), which responses moved. Unmerge
//!   reads it back; `merged_into` and `merged_from` may only be written by coordinators.
//!
//! Offline devices: the same pair merged on two devices converges (Automerge), with the same
//! values written twice; merging the pair again on any coordinator device settles those into
//! one. An edit of B (or a new response about B) made while B was being merged elsewhere is
//! never lost: it stays on B, is listed by [`Store::merge_follow_ups`], and merging the pair
//! again folds it into A.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ObjId, ObjType, PatchAction, Prop, ReadDoc, ROOT};
use serde::{Deserialize, Serialize};

use super::changes::{change_record, distinct, lane_changes, point_at, put_fresh, settle, values_at, Actors, Lanes};
use crate::doc;
use crate::model::review::maps_at;
use crate::record::conflicts::field_value_from_json;
use crate::model::Kind;
use crate::{Error, FieldValue, Result, Store};

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeReport {
    pub keep: String,
    pub duplicate: String,
    /// Attributes the kept subject gained from the duplicate.
    pub gained: Vec<String>,
    /// Attributes both held with different values: now conflicts on the kept subject.
    pub conflicts: Vec<String>,
    /// Responses that now refer to the kept subject.
    pub responses_moved: Vec<String>,
    /// The pair was merged before; this folded in what changed since and settled values that
    /// two devices wrote twice.
    pub refreshed: bool,
}

/// What an unmerge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmergeReport {
    pub keep: String,
    pub duplicate: String,
    /// Attributes gained in the merge, removed again from the kept subject.
    pub removed: Vec<String>,
    /// Attributes the merge had put in conflict, given back the kept subject's own value.
    pub restored: Vec<String>,
    /// Attributes someone changed since the merge: left as they are now.
    pub left_as_edited: Vec<String>,
    /// Responses that refer to the duplicate again.
    pub responses_restored: Vec<String>,
}

/// An attribute the merge put in conflict: the kept subject's value (values, if it already
/// held several) and the duplicate's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictedAttr {
    pub keep: Vec<serde_json::Value>,
    pub duplicate: serde_json::Value,
}


/// A merge as recorded on the kept subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeRecord {
    pub duplicate: String,
    pub by: String,
    pub at_ms: i64,
    /// The duplicate's version (hex heads) once merged.
    pub duplicate_heads: Vec<String>,
    pub gained: BTreeMap<String, serde_json::Value>,
    pub conflicted: BTreeMap<String, ConflictedAttr>,
    pub responses: Vec<String>,
    pub undone_at_ms: Option<i64>,
    pub undone_by: Option<String>,
}

/// A merged pair with something left to fold in: attributes of the duplicate changed after
/// the merge, or responses that still refer to it (made offline during the merge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeFollowUp {
    pub keep: String,
    pub duplicate: String,
    pub changed_attrs: Vec<String>,
    pub responses: Vec<String>,
}

/// Merge records stored on a subject: the union over concurrent `merged_from` maps, the one
/// Automerge shows taking precedence where both hold an entry for the same duplicate.
pub(crate) fn read_records(d: &Automerge) -> Vec<MergeRecord> {
    let mut out: BTreeMap<String, MergeRecord> = BTreeMap::new();
    for container in maps_at(d, &ROOT, "merged_from").iter().rev() {
        for dup in d.keys(container).collect::<Vec<_>>() {
            for entry in maps_at(d, container, &dup).iter().rev() {
                let rec = read_entry(d, entry, &dup);
                match out.get_mut(&dup) {
                    None => {
                        out.insert(dup.clone(), rec);
                    }
                    Some(have) => {
                        // Two devices merged the same pair: keep what either moved or gained.
                        for (k, v) in rec.gained {
                            have.gained.entry(k).or_insert(v);
                        }
                        for (k, v) in rec.conflicted {
                            have.conflicted.entry(k).or_insert(v);
                        }
                        for r in rec.responses {
                            if !have.responses.contains(&r) {
                                have.responses.push(r);
                            }
                        }
                        for h in rec.duplicate_heads {
                            if !have.duplicate_heads.contains(&h) {
                                have.duplicate_heads.push(h);
                            }
                        }
                    }
                }
            }
        }
    }
    out.into_values().collect()
}

fn read_entry(d: &Automerge, e: &ObjId, dup: &str) -> MergeRecord {
    let json = |k: &str| doc::get_str(d, e, k).and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
    MergeRecord {
        duplicate: dup.to_string(),
        by: doc::get_str(d, e, "by").unwrap_or_default(),
        at_ms: doc::get_i64(d, e, "at").unwrap_or(0),
        duplicate_heads: doc::get_str(d, e, "dup_heads")
            .map(|s| s.split(',').filter(|h| !h.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
        gained: json("gained").and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
        conflicted: json("conflicted").and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
        responses: json("responses").and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
        undone_at_ms: doc::get_i64(d, e, "undone_at"),
        undone_by: doc::get_str(d, e, "undone_by"),
    }
}

fn write_entry(tx: &mut Transaction<'_>, container: &ObjId, r: &MergeRecord) -> Result<()> {
    let e = tx.put_object(container, r.duplicate.as_str(), ObjType::Map)?;
    tx.put(&e, "by", r.by.as_str())?;
    tx.put(&e, "at", r.at_ms)?;
    tx.put(&e, "dup_heads", r.duplicate_heads.join(",").as_str())?;
    tx.put(&e, "gained", serde_json::to_string(&r.gained)?.as_str())?;
    tx.put(&e, "conflicted", serde_json::to_string(&r.conflicted)?.as_str())?;
    tx.put(&e, "responses", serde_json::to_string(&r.responses)?.as_str())?;
    if let Some(at) = r.undone_at_ms {
        tx.put(&e, "undone_at", at)?;
    }
    if let Some(by) = &r.undone_by {
        tx.put(&e, "undone_by", by.as_str())?;
    }
    Ok(())
}

/// The `merged_from` map to write into; when devices created it concurrently, a fresh one
/// holding the union of their records, which supersedes them.
fn records_container(tx: &mut Transaction<'_>, records: &[MergeRecord]) -> Result<ObjId> {
    let maps = maps_at(tx, &ROOT, "merged_from");
    if maps.len() == 1 {
        return Ok(maps[0].clone());
    }
    let m = tx.put_object(ROOT, "merged_from", ObjType::Map)?;
    for r in records {
        write_entry(tx, &m, r)?;
    }
    Ok(m)
}

/// Attributes of a subject changed after version `heads`; `None` when this store does not
/// have that version yet.
fn changed_attrs_since(d: &Automerge, heads: &[String]) -> Option<BTreeSet<String>> {
    let heads = doc::heads_from_hex(heads).ok()?;
    if heads.is_empty() || heads.iter().any(|h| d.get_change_meta_by_hash(h).is_none()) {
        return None;
    }
    let mut out = BTreeSet::new();
    for patch in d.diff(&heads, &d.get_heads()) {
        let props: Vec<String> = patch
            .path
            .iter()
            .map(|(_, p)| match p {
                Prop::Map(k) => k.clone(),
                Prop::Seq(i) => i.to_string(),
            })
            .collect();
        let key = match &patch.action {
            PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => Some(key.clone()),
            PatchAction::Conflict { prop: Prop::Map(k) } => Some(k.clone()),
            _ => None,
        };
        match props.as_slice() {
            [first, attr, ..] if first == "attrs" => {
                out.insert(attr.clone());
            }
            [first] if first == "attrs" => out.extend(key),
            [] if key.as_deref() == Some("attrs") => {
                out.extend(d.get(&ROOT, "attrs").ok().flatten().map(|(_, id)| d.keys(&id).collect::<Vec<_>>()).unwrap_or_default());
            }
            _ => {}
        }
    }
    Some(out)
}

impl Store {

    /// The merges recorded on subject `keep` (undone ones included, marked).
    pub fn merge_records(&self, keep: &str) -> Result<Vec<MergeRecord>> {
        self.view(keep, |d| {
            crate::model::expect_kind(d, keep, Kind::Subject)?;
            Ok(read_records(d))
        })
    }

    /// Merges subject `duplicate` into `keep` (see the module docs). Merging a pair again
    /// folds in whatever changed on the duplicate since. Coordinators and admins only.
    pub fn merge_subjects(&self, keep: &str, duplicate: &str) -> Result<MergeReport> {
        let who = self.identity();
        if !who.role.can_coordinate() {
            return Err(Error::Forbidden("only a coordinator can merge subjects".into()));
        }
        if keep == duplicate {
            return Err(Error::invalid("a subject cannot be merged into itself"));
        }
        let a = self.subject(keep)?;
        let b = self.subject(duplicate)?;
        if a.scope != b.scope {
            return Err(Error::invalid("only subjects of the same scope can be merged"));
        }
        if a.subject_type != b.subject_type {
            return Err(Error::invalid("only subjects of the same type can be merged"));
        }
        if a.merged_into.is_some() {
            return Err(Error::invalid("the subject to keep was itself merged into another; merge into that one"));
        }
        if matches!(&b.merged_into, Some(other) if other != keep) {
            return Err(Error::invalid("the duplicate is merged into another subject; unmerge it first"));
        }
        let records = self.merge_records(keep)?;
        let prior = records.iter().find(|r| r.duplicate == duplicate && r.undone_at_ms.is_none()).cloned();
        let keys: Vec<String> = match &prior {
            Some(p) => self
                .view(duplicate, |d| Ok(changed_attrs_since(d, &p.duplicate_heads)))?
                .map(|s| s.into_iter().collect())
                .unwrap_or_else(|| b.attrs.keys().cloned().collect()),
            None => b.attrs.keys().cloned().collect(),
        };
        let mut record = prior.clone().unwrap_or(MergeRecord {
            duplicate: duplicate.to_string(),
            by: who.user_id.clone(),
            at_ms: 0,
            duplicate_heads: Vec::new(),
            gained: BTreeMap::new(),
            conflicted: BTreeMap::new(),
            responses: Vec::new(),
            undone_at_ms: None,
            undone_by: None,
        });
        let mut report = MergeReport {
            keep: keep.to_string(),
            duplicate: duplicate.to_string(),
            refreshed: prior.is_some(),
            ..Default::default()
        };
        // What A holds now, every concurrent value of each field.
        let held: BTreeMap<String, Vec<FieldValue>> = self.view(keep, |d| {
            let attrs = doc::get_obj(d, &ROOT, "attrs");
            Ok(keys
                .iter()
                .map(|k| (k.clone(), attrs.as_ref().map(|o| distinct(values_at(d, o, k))).unwrap_or_default()))
                .collect())
        })?;
        let mut gains: Vec<(String, FieldValue)> = Vec::new();
        let mut lanes: Lanes = Vec::new();
        for k in keys {
            let Some(bv) = b.attrs.get(&k) else { continue };
            let own = held.get(&k).cloned().unwrap_or_default();
            let gained_before = record.gained.get(&k).and_then(|v| field_value_from_json(v).ok());
            if own.is_empty() || (own.len() == 1 && gained_before.as_ref() == own.first()) {
                // A lacks it, or still holds what it gained from B earlier: B's value goes in.
                if own.first() != Some(bv) {
                    gains.push((k, bv.clone()));
                }
            } else if !own.contains(bv) {
                let mut values = own.clone();
                values.push(bv.clone());
                lanes.push((k, values));
            }
        }
        for (k, v) in &gains {
            record.gained.insert(k.clone(), v.to_json());
            report.gained.push(k.clone());
        }
        for (k, values) in &lanes {
            let (own, theirs) = values.split_at(values.len() - 1);
            let keep_values = match record.conflicted.get(k) {
                Some(c) => c.keep.clone(),
                None => own.iter().map(FieldValue::to_json).collect(),
            };
            record.conflicted.insert(k.clone(), ConflictedAttr { keep: keep_values, duplicate: theirs[0].to_json() });
            report.conflicts.push(k.clone());
        }
        let moving = self.responses_about(duplicate)?;
        // Responses moved earlier that two devices both moved: settle their doubled value.
        let mut settle_ids = Vec::new();
        for r in &record.responses {
            if !moving.contains(r) && self.summary(r).map(|s| s.conflicts > 0).unwrap_or(false) {
                settle_ids.push(r.clone());
            }
        }
        for r in &moving {
            if !record.responses.contains(r) {
                record.responses.push(r.clone());
            }
        }
        report.responses_moved = moving.clone();
        let actors = Actors::new(self, lanes.iter().map(|(_, v)| v.len()).max().unwrap_or(1))?;
        record.by = who.user_id.clone();
        record.at_ms = actors.now;
        let mut g = self.lock();
        g.transaction(|inner| {
            change_record(inner, duplicate, &actors, "merge into", |tx| point_at(tx, "merged_into", keep))?;
            record.duplicate_heads = inner.with_doc(duplicate, |d| Ok(doc::heads_to_hex(&d.get_heads())))?;
            for r in moving.iter().chain(settle_ids.iter()) {
                change_record(inner, r, &actors, "merge: refer to kept subject", |tx| point_at(tx, "subject_id", keep))?;
            }
            let settle_keys: Vec<String> = record.gained.keys().cloned().collect();
            let changes = inner.with_doc(keep, |d| {
                lane_changes(d, &actors, "merge", &lanes, |tx, attrs| {
                    for k in &settle_keys {
                        settle(tx, attrs, k)?;
                    }
                    for (k, v) in &gains {
                        put_fresh(tx, attrs, k, v)?;
                    }
                    let others: Vec<MergeRecord> = records.iter().filter(|r| r.duplicate != duplicate).cloned().collect();
                    let container = records_container(tx, &others)?;
                    write_entry(tx, &container, &record)
                })
            })?;
            for bytes in changes {
                inner.apply(keep, &bytes, None)?;
            }
            Ok(())
        })?;
        tracing::info!(gained = report.gained.len(), conflicts = report.conflicts.len(), moved = report.responses_moved.len(), "subjects merged");
        Ok(report)
    }

    /// Undoes the merge of `duplicate`: it returns to lists, the responses it had refer to it
    /// again, and the kept subject loses what it gained and gets its own values back — except
    /// fields someone edited since the merge, which are left as they are. The merge stays in
    /// both histories, marked undone. Coordinators and admins only.
    pub fn unmerge_subject(&self, duplicate: &str) -> Result<UnmergeReport> {
        let who = self.identity();
        if !who.role.can_coordinate() {
            return Err(Error::Forbidden("only a coordinator can undo a merge".into()));
        }
        let b = self.subject(duplicate)?;
        let keep = b.merged_into.ok_or_else(|| Error::invalid("this subject is not merged into another"))?;
        let records = self.merge_records(&keep)?;
        let mut record = records
            .iter()
            .find(|r| r.duplicate == duplicate && r.undone_at_ms.is_none())
            .cloned()
            .ok_or_else(|| Error::invalid("the record of this merge has not reached this store yet; sync, then try again"))?;
        let mut report = UnmergeReport { keep: keep.clone(), duplicate: duplicate.to_string(), ..Default::default() };
        // Plan from what the kept subject holds now.
        let held: BTreeMap<String, Vec<FieldValue>> = self.view(&keep, |d| {
            let attrs = doc::get_obj(d, &ROOT, "attrs");
            Ok(record
                .gained
                .keys()
                .chain(record.conflicted.keys())
                .map(|k| (k.clone(), attrs.as_ref().map(|o| distinct(values_at(d, o, k))).unwrap_or_default()))
                .collect())
        })?;
        let mut removals = Vec::new();
        for (k, gained) in &record.gained {
            let now = held.get(k).cloned().unwrap_or_default();
            if now.is_empty() || record.conflicted.contains_key(k) {
                continue;
            }
            if now == [field_value_from_json(gained)?] {
                removals.push(k.clone());
            } else {
                report.left_as_edited.push(k.clone());
            }
        }
        let mut lanes: Lanes = Vec::new();
        for (k, c) in &record.conflicted {
            let own: Vec<FieldValue> = c.keep.iter().map(field_value_from_json).collect::<Result<_>>()?;
            let theirs = field_value_from_json(&c.duplicate)?;
            let now = held.get(k).cloned().unwrap_or_default();
            if !own.is_empty() && now.iter().all(|v| *v == theirs || own.contains(v)) {
                lanes.push((k.clone(), own));
            } else {
                report.left_as_edited.push(k.clone());
            }
        }
        report.removed = removals.clone();
        report.restored = lanes.iter().map(|(k, _)| k.clone()).collect();
        let actors = Actors::new(self, lanes.iter().map(|(_, v)| v.len()).max().unwrap_or(1))?;
        record.undone_at_ms = Some(actors.now);
        record.undone_by = Some(who.user_id.clone());
        let mut g = self.lock();
        g.transaction(|inner| {
            let changes = inner.with_doc(&keep, |d| {
                lane_changes(d, &actors, "unmerge", &lanes, |tx, attrs| {
                    for k in &removals {
                        tx.delete(attrs, k.as_str())?;
                    }
                    let others: Vec<MergeRecord> = records.iter().filter(|r| r.duplicate != duplicate).cloned().collect();
                    let container = records_container(tx, &others)?;
                    write_entry(tx, &container, &record)
                })
            })?;
            for bytes in changes {
                inner.apply(&keep, &bytes, None)?;
            }
            change_record(inner, duplicate, &actors, "unmerge", |tx| {
                if tx.get(ROOT, "merged_into")?.is_some() {
                    tx.delete(ROOT, "merged_into")?;
                }
                Ok(())
            })?;
            for r in &record.responses {
                if inner.row(r)?.is_none() {
                    continue;
                }
                let back = change_record(inner, r, &actors, "unmerge: refer to the subject again", |tx| {
                    let now = values_at(tx, &ROOT, "subject_id");
                    if !now.is_empty() && now.iter().all(|v| *v == FieldValue::Text(keep.clone())) {
                        tx.put(ROOT, "subject_id", duplicate)?;
                    }
                    Ok(())
                })?;
                if back {
                    report.responses_restored.push(r.clone());
                }
            }
            Ok(())
        })?;
        tracing::info!(removed = report.removed.len(), restored = report.restored.len(), "merge undone");
        Ok(report)
    }

    /// Merged pairs (optionally of one scope) with something to fold in: duplicates edited
    /// after their merge, or responses still about them. Merge the pair again to fold them.
    pub fn merge_follow_ups(&self, scope: Option<&str>) -> Result<Vec<MergeFollowUp>> {
        let merged = self.merged_subjects(scope)?;
        let mut out = Vec::new();
        for (dup, keep) in merged {
            let Ok(records) = self.merge_records(&keep) else { continue };
            let Some(rec) = records.into_iter().find(|r| r.duplicate == dup && r.undone_at_ms.is_none()) else { continue };
            let Ok(a) = self.subject(&keep) else { continue };
            let b = self.subject(&dup)?;
            let changed = self.view(&dup, |d| Ok(changed_attrs_since(d, &rec.duplicate_heads)))?.unwrap_or_default();
            let changed_attrs: Vec<String> =
                changed.into_iter().filter(|k| b.attrs.get(k).is_some_and(|v| a.attrs.get(k) != Some(v))).collect();
            let responses = self.responses_about(&dup)?;
            if !changed_attrs.is_empty() || !responses.is_empty() {
                out.push(MergeFollowUp { keep, duplicate: dup, changed_attrs, responses });
            }
        }
        Ok(out)
    }

    /// Settles a subject's merge records that devices wrote concurrently into one map (the
    /// resolution of a conflict on `merged_from`). Coordinators and admins only.
    pub(crate) fn settle_merge_records(&self, keep: &str) -> Result<()> {
        if !self.identity().role.can_coordinate() {
            return Err(Error::Forbidden("only a coordinator can resolve conflicts".into()));
        }
        let records = self.merge_records(keep)?;
        self.edit(keep, Some(Kind::Subject), "resolve", |tx| {
            records_container(tx, &records)?;
            Ok(())
        })
    }
}
