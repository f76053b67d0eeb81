//! Evaluating one node of a [`LiveForm`]: its relevance, requiredness, constraint, read-only
//! state and calculation, in the context of its repeat row, through the expression language's
//! [`Scope`] over the form's current answers.

use super::compiled::NodeKind;
use super::live::{empty, LiveForm, NodeResult};
use crate::forms::expr::{Clock, Scope, Value};

impl LiveForm {
    /// The result of node `i` in a context, and its new value if it is calculated.
    pub(super) fn evaluate(&self, i: usize, row: Option<(usize, usize)>) -> (NodeResult, Option<Value>) {
        let node = &self.form.nodes[i];
        let current = self.value_at(i, row);
        let ctx = Ctx { live: self, row, current: current.clone(), choice: None };
        let mut res = NodeResult::default();
        let mut errors = Vec::new();
        let mut run = |col: &str, e: Option<&crate::forms::expr::Expr>, ctx: &Ctx<'_>| -> Option<Value> {
            let e = e?;
            match e.eval(ctx) {
                Ok(v) => Some(v),
                Err(err) => {
                    errors.push(format!("{col}: {err}"));
                    None
                }
            }
        };
        let parent_relevant = match node.parent {
            Some(p) => self.result_at(p, row).map(|r| r.relevant).unwrap_or(true),
            None => true,
        };
        let own = run("relevant", node.exprs.relevant.as_ref(), &ctx).map(|v| v.to_bool()).unwrap_or(true);
        res.relevant = parent_relevant && own;
        res.required = run("required", node.exprs.required.as_ref(), &ctx).map(|v| v.to_bool()).unwrap_or(false);
        res.read_only = run("read_only", node.exprs.read_only.as_ref(), &ctx).map(|v| v.to_bool()).unwrap_or(false);
        let mut calc = None;
        let computed = matches!(node.kind, NodeKind::Question(k) if k.is_computed());
        if node.exprs.calculation.is_some() && computed {
            calc = Some(if res.relevant {
                run("calculation", node.exprs.calculation.as_ref(), &ctx).map(|v| v.first()).unwrap_or_else(empty)
            } else {
                empty()
            });
        } else if node.exprs.calculation.is_some() && !self.is_answered(i, row) {
            // On a question that takes an answer, a calculation is a computed default that
            // stays editable (as in ODK): it gives the value until someone answers.
            calc = Some(if res.relevant {
                run("calculation", node.exprs.calculation.as_ref(), &ctx).map(|v| v.first()).unwrap_or_else(empty)
            } else {
                empty()
            });
        }
        if res.relevant && !current.is_empty_answer() {
            res.constraint_ok = run("constraint", node.exprs.constraint.as_ref(), &ctx).map(|v| v.to_bool()).unwrap_or(false)
                || node.exprs.constraint.is_none();
        }
        if let Some(n) = run("repeat_count", node.exprs.repeat_count.as_ref(), &ctx) {
            let n = n.to_num();
            res.expected_rows = if n.is_finite() && n >= 0.0 { Some(n.min(10_000.0) as u32) } else { None };
        }
        if let (Some(filter), Some(list)) = (node.exprs.choice_filter.as_ref(), self.choice_list(i)) {
            let mut keep = Vec::new();
            for (ci, choice) in list.choices.iter().enumerate() {
                let cctx = Ctx { live: self, row, current: current.clone(), choice: Some(choice) };
                match filter.eval(&cctx) {
                    Ok(v) if v.to_bool() => keep.push(ci),
                    Ok(_) => {}
                    Err(err) => {
                        errors.push(format!("choice_filter: {err}"));
                        break;
                    }
                }
            }
            res.choices = Some(keep);
        }
        if !errors.is_empty() {
            res.error = Some(errors.join("; "));
        }
        (res, calc)
    }

    /// The value of node `i` as seen from context `row` (the same row if it is in that repeat).
    pub(super) fn value_at(&self, i: usize, row: Option<(usize, usize)>) -> Value {
        let node = &self.form.nodes[i];
        match (node.repeat, row) {
            (None, _) => self.values.get(node.slot).cloned().unwrap_or_else(empty),
            (Some(r), at) => match self.context_in(r, at) {
                Some((_, ri)) => self.rows.get(&r).and_then(|rows| rows.get(ri)).map(|x| x.values[node.slot].clone()).unwrap_or_else(empty),
                None => empty(),
            },
        }
    }
}

/// The scope an expression of one node sees.
pub(super) struct Ctx<'a> {
    pub(super) live: &'a LiveForm,
    pub(super) row: Option<(usize, usize)>,
    pub(super) current: Value,
    pub(super) choice: Option<&'a crate::forms::definition::Choice>,
}

impl Scope for Ctx<'_> {
    fn reference(&self, name: &str) -> Value {
        let live = self.live;
        let Some(i) = live.form.node(name) else { return Value::Nodes(Vec::new()) };
        let node = &live.form.nodes[i];
        if node.kind == NodeKind::Repeat {
            // The rows this context sees: all of a top repeat's, one member's children.
            let n = live.rows_below(i, self.row).len();
            return Value::Nodes(vec![empty(); n]);
        }
        match node.repeat {
            None => Value::Nodes(vec![live.values[node.slot].clone()]),
            // This row's (or its enclosing row's) value; from outside, every row's it sees.
            Some(r) => {
                let rows = live.rows.get(&r);
                Value::Nodes(live.rows_of(r, self.row).into_iter().filter_map(|k| rows.and_then(|x| x.get(k)).map(|x| x.values[node.slot].clone())).collect())
            }
        }
    }

    fn current(&self) -> Value {
        Value::Nodes(vec![self.current.clone()])
    }

    fn all_rows(&self, name: &str) -> Value {
        let live = self.live;
        let Some(i) = live.form.node(name) else { return Value::Nodes(Vec::new()) };
        let node = &live.form.nodes[i];
        match node.repeat {
            Some(r) if node.kind != NodeKind::Repeat => Value::Nodes(
                live.rows.get(&r).map(|rows| rows.iter().map(|x| x.values[node.slot].clone()).collect()).unwrap_or_default(),
            ),
            _ => self.reference(name),
        }
    }

    fn indexed_row(&self, name: &str, levels: &[(String, usize)]) -> Value {
        let live = self.live;
        if levels.len() == 1 {
            let i = levels[0].1;
            return match self.all_rows(name) {
                Value::Nodes(rows) => Value::Nodes(rows.get(i - 1).cloned().map(|v| vec![v]).unwrap_or_default()),
                _ => Value::Nodes(Vec::new()),
            };
        }
        let Some(q) = live.form.node(name) else { return Value::Nodes(Vec::new()) };
        // Row i of the outermost repeat, then row j of the next among that row's, and so on.
        let mut at: Option<(usize, usize)> = None;
        for (rname, i) in levels {
            let Some(r) = live.form.node(rname).filter(|&r| live.form.nodes[r].kind == NodeKind::Repeat) else { return Value::Nodes(Vec::new()) };
            let Some(&k) = live.rows_below(r, at).get(i - 1) else { return Value::Nodes(Vec::new()) };
            at = Some((r, k));
        }
        Value::Nodes(vec![live.value_at(q, at)])
    }

    fn instance_value(&self, instance: &str, path: &str) -> Value {
        match self.live.secondary.get(instance).and_then(|m| m.get(path)) {
            Some(v) => Value::Nodes(vec![Value::Str(v.clone())]),
            None => Value::Nodes(Vec::new()),
        }
    }

    fn instance_items(&self, instance: &str) -> Option<std::sync::Arc<crate::forms::expr::InstanceItems>> {
        self.live.items.get(instance).cloned()
    }

    fn last_saved(&self, name: &str) -> Value {
        match (self.live.form.node(name), self.live.last_saved.get(name)) {
            (Some(i), Some(v)) => Value::Nodes(vec![super::live::to_value(self.live.kind(i), v)]),
            _ => Value::Nodes(Vec::new()),
        }
    }

    fn choice_label(&self, question: &str, value: &str) -> Option<String> {
        let live = self.live;
        let list = live.choice_list(live.form.node(question)?)?;
        let c = list.choices.iter().find(|c| c.name == value)?;
        let lang = live.language.as_deref().unwrap_or(&live.form.def.default_language);
        live.form.def.text(&c.label, lang).map(str::to_string)
    }

    fn column(&self, name: &str) -> Value {
        let Some(c) = self.choice else { return Value::Nodes(Vec::new()) };
        let v = match name {
            "name" => Some(c.name.clone()),
            "label" => c.label.values().next().cloned(),
            other if other.starts_with("label::") => c.label.get(&other["label::".len()..]).cloned(),
            other => c.extra.get(other).cloned(),
        };
        Value::Nodes(vec![Value::Str(v.unwrap_or_default())])
    }

    fn position(&self) -> Option<usize> {
        // Among the rows of the same enclosing row (the children of one member).
        let (r, k) = self.row?;
        self.live.rows_below(r, self.row).iter().position(|&x| x == k).map(|p| p + 1)
    }

    fn clock(&self) -> Clock {
        self.live.clock
    }
}
