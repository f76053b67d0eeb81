//! Moving a draft from one version of a form to another: which answers still fit.
//!
//! An answer is kept when a question of the same name exists in the new version, in the same
//! place (outside repeats, or in the same repeat), with a compatible type, and the value fits
//! it (a choice still offered, a number still a whole number, …). Compatible type changes:
//! integer ↔ decimal (a decimal only when it is whole), integer/decimal/select_one/date/time/
//! datetime/geopoint → text,
//! select_one → select_multiple. A multiple choice keeps the choices still offered. Everything
//! else is left out, with the reason; [`crate::Store::move_draft_to_newest`] keeps what was
//! left out in the response's `migrations` record, so nothing typed is lost.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::forms::definition::{FormDefinition, Placement, Question, QuestionType};
use crate::forms::expr::Value;
use crate::model::response::RepeatRow;
use crate::FieldValue;

/// An answer that could not be kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftOut {
    pub question: String,
    pub repeat: Option<String>,
    pub row_id: Option<String>,
    /// The value (or, for a multiple choice kept in part, the choices) left out.
    pub value: FieldValue,
    pub reason: String,
}

/// What moving a draft did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationReport {
    pub from_version: String,
    pub to_version: String,
    /// Answers kept as they were.
    pub kept: usize,
    /// Answers kept with a converted value (e.g. an integer now in a decimal question).
    pub converted: Vec<String>,
    pub left_out: Vec<LeftOut>,
}

/// What happens to one answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Keep,
    /// Keep this value instead (a conversion, or the choices still offered). A partial
    /// multiple choice also reports the choices it dropped.
    Convert(FieldValue, Option<LeftOut>),
    Leave(String),
}

/// The decision for every answer of a draft.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// (name, old value, decision) for answers outside repeats.
    pub answers: Vec<(String, FieldValue, Decision)>,
    /// (repeat, row id, name, old value, decision) for answers in repeat rows.
    pub rows: Vec<(String, String, String, FieldValue, Decision)>,
}

fn compatible(old: QuestionType, new: QuestionType) -> bool {
    use QuestionType as T;
    old == new
        || matches!(
            (old, new),
            (T::Integer, T::Decimal)
                | (T::Decimal, T::Integer)
                | (T::Integer | T::Decimal | T::SelectOne | T::Date | T::Time | T::Datetime | T::Geopoint, T::Text)
                | (T::SelectOne, T::SelectMultiple)
        )
}

fn choice_names(def: &FormDefinition, q: &Question) -> BTreeSet<String> {
    q.list_name
        .as_ref()
        .and_then(|l| def.choice_lists.get(l))
        .map(|l| l.choices.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

/// Decides whether `value` fits question `q` of `def`.
fn fit(def: &FormDefinition, old: Option<&Question>, q: &Question, value: &FieldValue, name: &str) -> Decision {
    use QuestionType as T;
    if !q.kind.takes_answer() {
        return Decision::Leave(format!("'{name}' is now a {} and takes no answer", q.kind.as_str()));
    }
    if let Some(o) = old {
        if !compatible(o.kind, q.kind) {
            return Decision::Leave(format!("'{name}' changed from {} to {}", o.kind.as_str(), q.kind.as_str()));
        }
    }
    let num = |v: &FieldValue| match v {
        FieldValue::Int(i) => Some(*i as f64),
        FieldValue::Decimal(d) => Some(*d),
        FieldValue::Text(t) => Some(Value::Str(t.clone()).to_num()).filter(|n| !n.is_nan()),
        _ => None,
    };
    let misfit = || Decision::Leave(format!("the answer does not fit the new {} question", q.kind.as_str()));
    match (q.kind, value) {
        (T::Integer, FieldValue::Int(_)) => Decision::Keep,
        (T::Integer, v) => match num(v) {
            Some(n) if n == n.trunc() && n.abs() < 9.0e15 => Decision::Convert(FieldValue::Int(n as i64), None),
            _ => misfit(),
        },
        (T::Decimal, FieldValue::Decimal(_)) => Decision::Keep,
        (T::Decimal, v) => num(v).map(|n| Decision::Convert(FieldValue::Decimal(n), None)).unwrap_or_else(misfit),
        (T::Text | T::Image, FieldValue::Text(_)) => Decision::Keep,
        (T::Text, FieldValue::Int(_) | FieldValue::Decimal(_)) => Decision::Convert(FieldValue::Text(value.display()), None),
        (T::SelectOne, FieldValue::Text(t)) => {
            if choice_names(def, q).contains(t.trim()) {
                Decision::Keep
            } else {
                Decision::Leave(format!("the choice is no longer offered by '{name}'"))
            }
        }
        (T::SelectMultiple, v) => {
            let chosen: BTreeSet<String> = match v {
                FieldValue::Choices(c) => c.clone(),
                FieldValue::Text(t) => t.split_whitespace().map(str::to_string).collect(),
                _ => return misfit(),
            };
            let offered = choice_names(def, q);
            let (kept, gone): (BTreeSet<String>, BTreeSet<String>) = chosen.into_iter().partition(|c| offered.contains(c));
            if kept.is_empty() {
                return Decision::Leave(format!("none of the choices is offered by '{name}' any more"));
            }
            let same = matches!(v, FieldValue::Choices(_)) && gone.is_empty();
            if same {
                return Decision::Keep;
            }
            let partial = (!gone.is_empty()).then(|| LeftOut {
                question: name.to_string(),
                repeat: None,
                row_id: None,
                value: FieldValue::Choices(gone),
                reason: format!("these choices are no longer offered by '{name}'"),
            });
            Decision::Convert(FieldValue::Choices(kept), partial)
        }
        (T::Date | T::Time | T::Datetime | T::Geopoint, FieldValue::Text(t)) => {
            let ok = match q.kind {
                T::Date => Value::Str(t.clone()).to_date(0).map(|d| d.is_some()).unwrap_or(false) && !t.contains('T'),
                T::Datetime => t.contains('T'),
                _ => !t.trim().is_empty(),
            };
            if ok {
                Decision::Keep
            } else {
                misfit()
            }
        }
        (T::Acknowledge, FieldValue::Bool(_)) => Decision::Keep,
        (T::Acknowledge, FieldValue::Text(t)) if t == "OK" => Decision::Convert(FieldValue::Bool(true), None),
        _ => misfit(),
    }
}

fn decide(
    old: Option<&FormDefinition>,
    new: &FormDefinition,
    new_qs: &BTreeMap<&str, (&Question, Placement)>,
    name: &str,
    repeat: Option<&str>,
    value: &FieldValue,
) -> Decision {
    let Some((q, place)) = new_qs.get(name) else {
        return Decision::Leave(format!("the new version has no question '{name}'"));
    };
    if place.repeat.as_deref() != repeat {
        return Decision::Leave(match &place.repeat {
            Some(r) => format!("'{name}' moved into the repeat '{r}'"),
            None => format!("'{name}' moved out of its repeat"),
        });
    }
    let old_q = old.and_then(|d| d.question(name)).map(|(q, _)| q.clone());
    fit(new, old_q.as_ref(), q, value, name)
}

/// Decides, answer by answer, what moving a draft from `old` (when known) to `new` keeps.
pub fn plan(
    old: Option<&FormDefinition>,
    new: &FormDefinition,
    answers: &BTreeMap<String, FieldValue>,
    repeats: &BTreeMap<String, Vec<RepeatRow>>,
) -> Plan {
    let questions = new.questions();
    let new_qs: BTreeMap<&str, (&Question, Placement)> = questions.iter().map(|(q, p)| (q.name.as_str(), (*q, p.clone()))).collect();
    let mut plan = Plan::default();
    for (name, v) in answers {
        plan.answers.push((name.clone(), v.clone(), decide(old, new, &new_qs, name, None, v)));
    }
    let new_repeats: BTreeSet<&str> = new.repeats().into_iter().map(|r| r.name.as_str()).collect();
    for (rname, rows) in repeats {
        for row in rows {
            for (name, v) in &row.answers {
                let d = if new_repeats.contains(rname.as_str()) {
                    decide(old, new, &new_qs, name, Some(rname), v)
                } else {
                    Decision::Leave(format!("the new version has no repeat '{rname}'"))
                };
                plan.rows.push((rname.clone(), row.row_id.clone(), name.clone(), v.clone(), d));
            }
        }
    }
    plan
}
