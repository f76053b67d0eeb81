//! Duplicate subjects: the same household or person registered twice (two field workers, two
//! spellings, one in Devanagari and one in Latin letters), found, scored with reasons, and
//! merged reversibly ([`merge`]).
//!
//! Finding candidates reads only the index (`k_name`, `k_village`, `k_phone`, the subject
//! type) of the subjects of a scope, never their documents, and compares only pairs that share
//! a block: the same phone number, a name word (phonetic key, see [`names`]) in the same
//! village, a rare name word anywhere, or neighbouring whole-name keys in sorted order. Pairs
//! that look likely are then scored with their ages, which needs their documents: only theirs
//! are read. Thousands of subjects take milliseconds.
//!
//! ```
//! use sangam_core::{Store, Identity, NewSubject, DuplicateOptions};
//! let store = Store::open_in_memory(Identity::coordinator("c1", "Meena")).unwrap();
//! let a = store.create_subject(NewSubject::new("person", "S").attr("name", "Sunita Devi").attr("village", "Rampur")).unwrap();
//! let b = store.create_subject(NewSubject::new("person", "S").attr("name", "सुनीता देवी").attr("village", "रामपुर")).unwrap();
//! let found = store.duplicate_candidates(&DuplicateOptions::default()).unwrap();
//! assert_eq!(found.len(), 1);
//! assert!(found[0].reasons.iter().any(|r| r.code == "same-name"));
//! ```

mod changes;
pub mod merge;
pub mod names;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::checks::now_ms;
use crate::store::SubjectKeys;
use crate::{FieldValue, Result, Store};

pub use merge::{ConflictedAttr, MergeFollowUp, MergeRecord, MergeReport, UnmergeReport};

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateOptions {
    /// Only this scope (pairs never cross scopes either way).
    pub scope: Option<String>,
    /// Only subjects of this type (pairs never cross types either way).
    pub subject_type: Option<String>,
    /// Pairs scoring below this (0-100) are left out.
    pub min_score: u32,
    pub limit: usize,
}

impl Default for DuplicateOptions {
    fn default() -> Self {
        DuplicateOptions { scope: None, subject_type: None, min_score: 50, limit: 500 }
    }
}

/// Why a pair looks alike (or not): a stable code, the points it added or took away, and a
/// sentence for people. Reasons never quote names or numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchReason {
    pub code: String,
    pub points: i32,
    pub detail: String,
}

/// Two subjects that may be one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    /// The one registered first: the suggested subject to keep.
    pub keep: String,
    pub duplicate: String,
    pub keep_title: Option<String>,
    pub duplicate_title: Option<String>,
    pub scope: String,
    /// 0-100.
    pub score: u32,
    pub reasons: Vec<MatchReason>,
}

/// Members above which a block is too common to compare all pairs in (e.g. "devi" across a
/// whole district); its members are still compared through their other blocks.
const MAX_BLOCK: usize = 300;
/// Members above which a name word alone (without the village) is too common to block on.
const MAX_WORD_BLOCK: usize = 60;
/// How many neighbours each subject is compared with in whole-name key order.
const WINDOW: usize = 5;
/// Scored pairs whose subjects' ages are read together.
const AGE_BLOCK: usize = 512;

struct Row {
    id: String,
    scope: String,
    subject_type: String,
    title: Option<String>,
    raw_name: String,
    name: String,
    tokens: Vec<String>,
    village: String,
    phone: String,
    /// `name`, each of `tokens` and `village` as characters, for edit distances.
    name_chars: Vec<char>,
    token_chars: Vec<Vec<char>>,
    village_chars: Vec<char>,
}

impl Row {
    #[allow(clippy::too_many_arguments)]
    fn new(id: String, scope: String, subject_type: String, title: Option<String>, raw_name: String, tokens: Vec<String>, village: String, phone: String) -> Row {
        let name = tokens.join(" ");
        Row {
            name_chars: name.chars().collect(),
            token_chars: tokens.iter().map(|t| t.chars().collect()).collect(),
            village_chars: village.chars().collect(),
            id,
            scope,
            subject_type,
            title,
            raw_name,
            name,
            tokens,
            village,
            phone,
        }
    }
}

impl Store {
    /// Candidate duplicate subjects, highest score first.
    ///
    /// The answer is kept until a subject changes (a new, edited, merged or deleted one), so a
    /// coordinator going back to the list does not search again.
    pub fn duplicate_candidates(&self, opts: &DuplicateOptions) -> Result<Vec<DuplicateCandidate>> {
        let version = self.subjects_version()?;
        let key = format!("duplicates\u{1f}{:?}\u{1f}{:?}\u{1f}{}\u{1f}{}", opts.scope, opts.subject_type, opts.min_score, opts.limit);
        let found = self.derived_at(&key, version, || self.search_duplicates(opts))?;
        Ok((*found).clone())
    }

    /// The search itself. Every blocked pair is scored on its index keys alone, without a
    /// string made; pairs that cannot reach `min_score` even with the age bonus are dropped.
    /// The rest are taken best first, reading ages (from the subjects' documents) only until
    /// no later pair can enter the `limit` best; only those get their reasons written out.
    fn search_duplicates(&self, opts: &DuplicateOptions) -> Result<Vec<DuplicateCandidate>> {
        let rows = self.duplicate_rows(opts)?;
        let pairs = candidate_pairs(&rows);
        let min = opts.min_score as i32;
        let limit = opts.limit.max(1);
        let mut scratch = names::Scratch::default();
        let mut scored: Vec<(i32, usize, usize)> = pairs
            .into_iter()
            .filter_map(|(i, j)| {
                let points = score_pair(&rows[i], &rows[j], &mut scratch, None);
                // Age can add 10 at most: pairs that cannot reach the bar are not read.
                (points + 10 >= min).then_some((points, i, j))
            })
            .collect();
        scored.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| (a.1, a.2).cmp(&(b.1, b.2))));
        let mut ages: HashMap<usize, Option<f64>> = HashMap::new();
        let clamp = |score: i32| score.clamp(0, 100);
        // The `limit` best clamped scores so far, lowest on top.
        let mut best: std::collections::BinaryHeap<std::cmp::Reverse<i32>> = std::collections::BinaryHeap::new();
        let mut kept: Vec<(i32, usize, usize, Option<(f64, f64)>)> = Vec::new();
        // Pairs are taken a block at a time, the ages their subjects still lack read together.
        'blocks: for block in scored.chunks(AGE_BLOCK) {
            let mut need: Vec<usize> = block.iter().flat_map(|(_, i, j)| [*i, *j]).filter(|k| !ages.contains_key(k)).collect();
            need.sort_unstable();
            need.dedup();
            let ids: Vec<&str> = need.iter().map(|k| rows[*k].id.as_str()).collect();
            let read = self.view_each(&ids, |d| age_from(&crate::model::subject::read_subject(d, "").attrs))?;
            for (k, age) in need.into_iter().zip(read) {
                ages.insert(k, age.flatten());
            }
            for &(points, i, j) in block {
                if best.len() >= limit && best.peek().is_some_and(|w| w.0 > clamp(points + 10)) {
                    break 'blocks;
                }
                let both = match (ages[&i], ages[&j]) {
                    (Some(x), Some(y)) => Some((x, y)),
                    _ => None,
                };
                let score = points + both.map(|(x, y)| age_points((x - y).abs())).unwrap_or(0);
                if score < min {
                    continue;
                }
                best.push(std::cmp::Reverse(clamp(score)));
                if best.len() > limit {
                    best.pop();
                }
                kept.push((score, i, j, both));
            }
        }
        // The `limit` best in the order the list shows them (best first, then by the two ids),
        // found before any reason is written out.
        let shown = |x: &(i32, usize, usize, Option<(f64, f64)>), y: &(i32, usize, usize, Option<(f64, f64)>)| {
            clamp(y.0).cmp(&clamp(x.0)).then_with(|| (&rows[x.1].id, &rows[x.2].id).cmp(&(&rows[y.1].id, &rows[y.2].id)))
        };
        if kept.len() > limit {
            kept.select_nth_unstable_by(limit - 1, shown);
            kept.truncate(limit);
        }
        kept.sort_by(shown);
        let mut out: Vec<DuplicateCandidate> = Vec::with_capacity(kept.len());
        for (score, i, j, both) in kept {
            let (a, b) = (&rows[i], &rows[j]);
            let mut reasons = Vec::new();
            score_pair(a, b, &mut scratch, Some(&mut reasons));
            if let Some((x, y)) = both {
                let gap = (x - y).abs();
                if gap <= 2.0 {
                    reasons.push(reason("age-close", 10, "ages within 2 years".into()));
                } else {
                    reasons.push(reason("age-differs", -20, format!("ages differ by {gap:.0} years")));
                }
            }
            // Rows come in the order this store first stored them, and a pair as (earlier,
            // later): keep the older registration.
            out.push(DuplicateCandidate {
                keep: a.id.clone(),
                duplicate: b.id.clone(),
                keep_title: a.title.clone(),
                duplicate_title: b.title.clone(),
                scope: a.scope.clone(),
                score: clamp(score) as u32,
                reasons,
            });
        }
        tracing::debug!(subjects = rows.len(), candidates = out.len(), "duplicate search");
        Ok(out)
    }

    /// The index rows of live subjects, with their phonetic keys.
    fn duplicate_rows(&self, opts: &DuplicateOptions) -> Result<Vec<Row>> {
        let raw = self.subject_keys(opts.scope.as_deref(), opts.subject_type.as_deref())?;
        Ok(raw
            .into_iter()
            .map(|SubjectKeys { id, scope, subject_type, title, name, village, phone }| {
                let raw_name = name.unwrap_or_default();
                let mut tokens = names::name_tokens(&raw_name);
                tokens.sort();
                let village = names::name_tokens(village.as_deref().unwrap_or("")).join(" ");
                Row::new(id, scope, subject_type.unwrap_or_default(), title, raw_name, tokens, village, phone.unwrap_or_default())
            })
            .collect())
    }
}

/// The pairs worth scoring, each once, as (lower index, higher index).
fn candidate_pairs(rows: &[Row]) -> Vec<(usize, usize)> {
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let group = format!("{}\u{1f}{}", r.scope, r.subject_type);
        if r.phone.len() >= 7 {
            blocks.entry(format!("{group}\u{1f}p\u{1f}{}", r.phone)).or_default().push(i);
        }
        for t in r.tokens.iter().filter(|t| t.chars().count() >= 2) {
            blocks.entry(format!("{group}\u{1f}t\u{1f}{t}")).or_default().push(i);
            let prefix: String = t.chars().take(3).collect();
            if !r.village.is_empty() {
                blocks.entry(format!("{group}\u{1f}tv\u{1f}{prefix}\u{1f}{}", r.village)).or_default().push(i);
            }
        }
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut skipped = 0usize;
    for (key, members) in &blocks {
        let cap = if key.contains("\u{1f}t\u{1f}") { MAX_WORD_BLOCK } else { MAX_BLOCK };
        if members.len() > cap {
            skipped += 1;
            continue;
        }
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if i != j {
                    pairs.push((i.min(j), i.max(j)));
                }
            }
        }
    }
    // Sorted neighbourhood on the whole-name key, within each scope and type.
    let mut order: Vec<usize> = (0..rows.len()).filter(|&i| !rows[i].name.is_empty()).collect();
    order.sort_by(|&a, &b| {
        (&rows[a].scope, &rows[a].subject_type, &rows[a].name).cmp(&(&rows[b].scope, &rows[b].subject_type, &rows[b].name))
    });
    for (x, &i) in order.iter().enumerate() {
        for &j in order.iter().skip(x + 1).take(WINDOW) {
            if rows[i].scope == rows[j].scope && rows[i].subject_type == rows[j].subject_type {
                pairs.push((i.min(j), i.max(j)));
            }
        }
    }
    if skipped > 0 {
        tracing::debug!(blocks = skipped, "common blocks compared only through other keys");
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

fn reason(code: &str, points: i32, detail: String) -> MatchReason {
    MatchReason { code: code.into(), points, detail }
}

/// The points ages add: close ages make a pair likelier, distant ones unlikelier.
fn age_points(gap: f64) -> i32 {
    if gap <= 2.0 {
        10
    } else {
        -20
    }
}

/// Scores a pair on what the index holds: name, phone and village. The points are returned;
/// the reasons are written only when `explain` asks for them (scoring every blocked pair must
/// not make a string for each).
fn score_pair(a: &Row, b: &Row, scratch: &mut names::Scratch, mut explain: Option<&mut Vec<MatchReason>>) -> i32 {
    let mut points = 0;
    let mut add = |code: &str, p: i32, detail: &dyn Fn() -> String| {
        points += p;
        if let Some(out) = explain.as_deref_mut() {
            out.push(reason(code, p, detail()));
        }
    };
    if !a.name.is_empty() && !b.name.is_empty() {
        if a.name == b.name {
            if a.raw_name == b.raw_name {
                add("same-name", 50, &|| "same name".to_string());
            } else {
                add("same-name", 50, &|| "same name, spelled differently or in another script".to_string());
            }
        } else {
            let sim = names::similarity_of(&a.name_chars, &b.name_chars, scratch);
            if sim >= 0.85 {
                add("similar-name", 40, &|| format!("names sound alike ({:.0}% similar)", sim * 100.0));
            } else {
                let (short, long) = if a.tokens.len() <= b.tokens.len() { (a, b) } else { (b, a) };
                let contained = short.tokens.len() < long.tokens.len()
                    && short.token_chars.iter().all(|t| long.token_chars.iter().any(|u| names::similarity_of(t, u, scratch) >= 0.85));
                if contained {
                    add("name-contained", 30, &|| "one name holds all the words of the other".into());
                } else if sim >= 0.7 {
                    add("somewhat-similar-name", 20, &|| format!("names partly alike ({:.0}% similar)", sim * 100.0));
                }
            }
        }
    }
    if !a.phone.is_empty() && a.phone == b.phone && a.phone.len() >= 7 {
        add("same-phone", 30, &|| "same phone number".into());
    }
    if !a.village.is_empty() && !b.village.is_empty() {
        if a.village == b.village {
            add("same-village", 15, &|| "same village".into());
        } else if names::similarity_of(&a.village_chars, &b.village_chars, scratch) >= 0.85 {
            add("similar-village", 10, &|| "village names spelled alike".into());
        } else {
            add("different-village", -20, &|| "different villages".into());
        }
    }
    points
}

/// A subject's age in years from `age`, `birth_year`, or `dob`/`date_of_birth` (YYYY-MM-DD).
fn age_from(attrs: &BTreeMap<String, FieldValue>) -> Option<f64> {
    let number = |v: &FieldValue| match v {
        FieldValue::Int(i) => Some(*i as f64),
        FieldValue::Decimal(d) if d.is_finite() => Some(*d),
        FieldValue::Text(t) => t.trim().parse::<f64>().ok().filter(|d| d.is_finite()),
        _ => None,
    };
    let this_year = crate::model::checks::civil_from_ms(now_ms()).0 as f64;
    if let Some(age) = attrs.get("age").and_then(number) {
        return Some(age);
    }
    if let Some(year) = attrs.get("birth_year").and_then(number) {
        return Some(this_year - year);
    }
    for key in ["dob", "date_of_birth"] {
        if let Some(FieldValue::Text(t)) = attrs.get(key) {
            if let Some(year) = t.get(..4).and_then(|y| y.parse::<f64>().ok()) {
                return Some(this_year - year);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str, village: &str, phone: &str) -> Row {
        let mut tokens = names::name_tokens(name);
        tokens.sort();
        let village = names::name_tokens(village).join(" ");
        Row::new(id.into(), "S".into(), "person".into(), Some(name.into()), name.to_lowercase(), tokens, village, phone.into())
    }

    fn explained(a: &Row, b: &Row) -> (i32, Vec<MatchReason>) {
        let mut reasons = Vec::new();
        let points = score_pair(a, b, &mut names::Scratch::default(), Some(&mut reasons));
        assert_eq!(points, score_pair(a, b, &mut names::Scratch::default(), None), "points do not depend on explaining");
        (points, reasons)
    }

    #[test]
    fn scores_add_up_from_reasons() {
        let a = row("1", "Sunita Devi", "Rampur", "9876543210");
        let b = row("2", "सुनीता देवी", "रामपुर", "9876543210");
        let (points, r) = explained(&a, &b);
        let codes: Vec<&str> = r.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["same-name", "same-phone", "same-village"]);
        assert_eq!(r.iter().map(|r| r.points).sum::<i32>(), 95);
        assert_eq!(points, 95);
        let c = row("3", "Ramesh Kumar", "Sitapur", "");
        assert!(explained(&a, &c).0 < 0);
    }

    #[test]
    fn blocking_pairs_likely_matches_and_skips_strangers() {
        let rows = vec![
            row("1", "Sunita Devi", "Rampur", ""),
            row("2", "Ramesh Kumar", "Sitapur", "9000000001"),
            row("3", "सुनीता देवी", "रामपुर", ""),
            row("4", "Mohan Lal", "Biswan", "9000000001"),
        ];
        let pairs = candidate_pairs(&rows);
        assert!(pairs.contains(&(0, 2)), "same name across scripts");
        assert!(pairs.contains(&(1, 3)), "same phone");
    }

    #[test]
    fn ages_come_from_age_birth_year_or_dob() {
        let mut a = BTreeMap::new();
        a.insert("age".to_string(), FieldValue::Text(" 34 ".into()));
        assert_eq!(age_from(&a), Some(34.0));
        let mut b = BTreeMap::new();
        b.insert("dob".to_string(), FieldValue::Text("x".into()));
        assert_eq!(age_from(&b), None);
    }
}
