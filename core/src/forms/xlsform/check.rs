//! Checks of a whole definition after the survey sheet is read: `${name}` in labels, and the
//! compiled form's issues (bad expressions, unknown references, cycles, missing lists)
//! mapped back to their rows and columns.

use std::collections::{HashMap, HashSet};

use super::sheet::Sheet;
use super::{At, Problem, ProblemKind};
use crate::forms::definition::{FormDefinition, Item};
use crate::forms::state::{CompiledForm, IssueKind};

/// `${name}` inside labels and hints must name a question.
pub(crate) fn labels(
    def: &FormDefinition,
    sheet: &Sheet,
    rows: &HashMap<String, u32>,
    skipped: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    let names: HashSet<&str> = def.questions().iter().map(|(q, _)| q.name.as_str()).collect();
    for (q, _) in def.questions() {
        for (col, t) in [("label", &q.label), ("hint", &q.hint)] {
            for text in t.values() {
                let mut rest = text.as_str();
                while let Some(i) = rest.find("${") {
                    let after = &rest[i + 2..];
                    let Some(end) = after.find('}') else { break };
                    let r = after[..end].trim();
                    if !names.contains(r) && !skipped.contains(r) {
                        problems.push(
                            At { sheet: sheet.name.clone(), row: rows.get(&q.name).copied(), column: Some(col.into()), letter: sheet.letter(col) }
                                .problem(ProblemKind::UnknownReference, format!("${{{r}}} in the {col} refers to a question that does not exist")),
                        );
                    }
                    rest = &after[end..];
                }
            }
        }
    }
}

/// Compiles the definition and maps each issue back to its row and column.
pub(crate) fn compiled(
    def: &FormDefinition,
    sheet: &Sheet,
    rows: &HashMap<String, u32>,
    skipped: &HashSet<String>,
    entities: &super::entities::Entities,
    problems: &mut Vec<Problem>,
) {
    // A form that compiles may still hold what only reads plainly here: warnings.
    let (issues, warnings) = match CompiledForm::new(def.clone()) {
        Ok(form) => (form.notes(), true),
        Err(issues) => (issues, false),
    };
    for i in issues {
        if matches!(&i.kind, IssueKind::UnknownReference(r) if skipped.contains(r)) {
            continue;
        }
        let at = match i.item.strip_prefix("entities/") {
            Some(dataset) => At {
                sheet: entities.sheet.clone().unwrap_or_else(|| "entities".into()),
                row: entities.rows.get(dataset).copied(),
                column: Some(i.column.clone()),
                letter: entities.letters.get(&i.column).cloned(),
            },
            None => At { sheet: sheet.name.clone(), row: rows.get(&i.item).copied(), column: Some(i.column.clone()), letter: sheet.letter(&i.column) },
        };
        let src = expression_of(def, &i.item, &i.column);
        let msg = match &src {
            Some(s) => format!("{} (in `{s}`)", i.message),
            None => i.message.clone(),
        };
        let p = match &i.kind {
            _ if warnings => at.ignored("if() with two arguments", msg),
            IssueKind::Syntax => at.problem(ProblemKind::ExpressionSyntax, msg),
            IssueKind::UnsupportedFunction(f) => at.unsupported(format!("function {f}()"), msg),
            IssueKind::UnknownReference(_) | IssueKind::UnknownChoiceColumn(_) => at.problem(ProblemKind::UnknownReference, msg),
            IssueKind::Cycle => at.problem(ProblemKind::Cycle, msg),
            // Already reported with both rows while reading the sheet.
            IssueKind::DuplicateName(_) => continue,
            IssueKind::MissingChoiceList(_) => at.problem(ProblemKind::MissingChoiceList, msg),
        };
        problems.push(p);
    }
}

fn expression_of(def: &FormDefinition, item: &str, column: &str) -> Option<String> {
    if let Some(dataset) = item.strip_prefix("entities/") {
        let d = def.settings.entities.iter().find(|d| d.dataset == dataset)?;
        return match column {
            "label" => d.label.clone(),
            "create_if" => d.create_if.clone(),
            "update_if" => d.update_if.clone(),
            "entity_id" => d.entity_id.clone(),
            _ => None,
        };
    }
    fn find<'a>(items: &'a [Item], name: &str) -> Option<&'a Item> {
        for it in items {
            let (n, sub) = match it {
                Item::Question(q) => (&q.name, None),
                Item::Group(g) => (&g.name, Some(&g.items)),
                Item::Repeat(r) => (&r.name, Some(&r.items)),
            };
            if n == name {
                return Some(it);
            }
            if let Some(found) = sub.and_then(|s| find(s, name)) {
                return Some(found);
            }
        }
        None
    }
    match find(&def.items, item)? {
        Item::Question(q) => match column {
            "relevant" => q.relevant.clone(),
            "required" => q.required.clone(),
            "read_only" => q.read_only.clone(),
            "constraint" => q.constraint.clone(),
            "calculation" => q.calculation.clone(),
            "choice_filter" => q.choice_filter.clone(),
            "default" => q.default.clone(),
            "trigger" => q.trigger.clone(),
            _ => None,
        },
        Item::Group(g) if column == "relevant" => g.relevant.clone(),
        Item::Repeat(r) => match column {
            "relevant" => r.relevant.clone(),
            "repeat_count" => r.repeat_count.clone(),
            _ => None,
        },
        Item::Group(_) => None,
    }
}
