//! [`LiveForm`]: the answers of one response with every expression's result, kept up to date
//! incrementally. Changing an answer recomputes only the nodes that depend on it (and, when a
//! relevance flips, the nodes inside), in topological order, stopping where results do not
//! change.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::compiled::{CompiledForm, NodeKind};
use super::evaluate::Ctx;
use crate::forms::attachments::{self, AttachmentKind};
use crate::forms::definition::{Choice, ChoiceList, QuestionType};
use crate::forms::expr::{Clock, InstanceItems, Value};
use crate::model::response::RepeatRow;
use crate::{Error, FieldValue, Result};

/// What the device and its user tell the metadata questions
/// ([`LiveForm::fill_metadata`]). `None` leaves a question empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    pub device_id: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub subscriber_id: Option<String>,
    pub sim_serial: Option<String>,
    /// `lat lon [alt [accuracy]]` where the phone is.
    pub location: Option<String>,
}

/// The results of one node in one context (top level, or one repeat row).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeResult {
    /// Relevant, taking enclosing groups and repeats into account.
    pub relevant: bool,
    pub required: bool,
    pub read_only: bool,
    /// `false` when the answer breaks the constraint.
    pub constraint_ok: bool,
    /// Indices into the choice list that pass the choice filter (`None`: no filter).
    pub choices: Option<Vec<usize>>,
    /// The number of rows `repeat_count` asks for.
    pub expected_rows: Option<u32>,
    /// An expression of this node failed to evaluate (column: message).
    pub error: Option<String>,
}

impl Default for NodeResult {
    fn default() -> Self {
        NodeResult { relevant: true, required: false, read_only: false, constraint_ok: true, choices: None, expected_rows: None, error: None }
    }
}

/// One row of a repeat: its id, the answers (calculated values for calculate questions) and
/// results of the repeat's member nodes, by slot.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub id: String,
    /// The row of the enclosing repeat this row belongs to (a repeat inside a repeat).
    pub parent: Option<String>,
    pub values: Vec<Value>,
    pub answered: Vec<Option<FieldValue>>,
    pub results: Vec<NodeResult>,
}

/// A response's answers with the live results of every expression of its form.
#[derive(Debug, Clone)]
pub struct LiveForm {
    pub(crate) form: Arc<CompiledForm>,
    pub(crate) clock: Clock,
    pub(crate) values: Vec<Value>,
    pub(crate) answered: Vec<Option<FieldValue>>,
    pub(crate) results: Vec<NodeResult>,
    /// Rows by repeat node.
    pub(crate) rows: BTreeMap<usize, Vec<Row>>,
    /// Answers for names the form does not have (kept, reported, never dropped).
    pub(crate) unknown: BTreeMap<String, FieldValue>,
    /// Secondary instances the app supplies: name → path (`/context/x`) → value.
    pub(crate) secondary: BTreeMap<String, BTreeMap<String, String>>,
    /// The language the person filling the form chose (`None`: the form's default), in which
    /// `jr:choice-name()` gives a choice's label, as ODK Collect does.
    pub(crate) language: Option<String>,
    /// Attachments and item lists by instance name (`features` for `features.csv`).
    pub(crate) items: BTreeMap<String, Arc<InstanceItems>>,
    /// The choices of `select_one_from_file` questions, by node, from their attachment.
    pub(crate) file_choices: BTreeMap<usize, ChoiceList>,
    /// The answers of the last response saved with the form (`${last-saved#q}`).
    pub(crate) last_saved: BTreeMap<String, FieldValue>,
    /// By node: a calculation whose value `once()` fixes (see [`LiveForm::keeps_once`]).
    once: Vec<bool>,
}

pub(super) fn empty() -> Value {
    Value::Str(String::new())
}

/// The expression value of an answer to a question of type `kind`.
pub(crate) fn to_value(kind: QuestionType, v: &FieldValue) -> Value {
    use crate::forms::expr::Value as V;
    match (kind, v) {
        (_, FieldValue::Int(i)) => V::Num(*i as f64),
        (_, FieldValue::Decimal(d)) => V::Num(*d),
        (_, FieldValue::Choices(c)) => V::Str(c.iter().cloned().collect::<Vec<_>>().join(" ")),
        (QuestionType::Acknowledge, FieldValue::Bool(b)) => V::Str(if *b { "OK".into() } else { String::new() }),
        (_, FieldValue::Bool(b)) => V::Bool(*b),
        (QuestionType::Integer | QuestionType::Decimal, FieldValue::Text(t)) => {
            let n = crate::forms::expr::Value::Str(t.clone()).to_num();
            if n.is_nan() { V::Str(t.clone()) } else { V::Num(n) }
        }
        (QuestionType::Date, FieldValue::Text(t)) => match V::Str(t.clone()).to_date(0) {
            Ok(Some(d)) if !t.contains('T') => V::Date(d),
            _ => V::Str(t.clone()),
        },
        (_, FieldValue::Text(t)) => V::Str(t.clone()),
    }
}

/// The answer a computed value gives a question of type `kind`; `None` when it is empty.
pub(crate) fn to_field(kind: QuestionType, v: &Value) -> Option<FieldValue> {
    let t = v.first().to_text();
    if t.is_empty() {
        return None;
    }
    let n = Value::Str(t.clone()).to_num();
    Some(match kind {
        QuestionType::Integer if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 => FieldValue::Int(n as i64),
        QuestionType::Decimal if n.is_finite() => FieldValue::Decimal(n),
        QuestionType::SelectMultiple => FieldValue::Choices(t.split_whitespace().map(str::to_string).collect()),
        _ => FieldValue::Text(t),
    })
}

/// The item fields that give a file choice's value and label: `parameters` `value=…` and
/// `label=…`, else the attachment kind's defaults.
fn choice_fields(parameters: Option<&str>, kind: AttachmentKind) -> (String, String) {
    let (mut value, mut label) = kind.choice_fields();
    for p in parameters.unwrap_or("").split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        match p.split_once('=') {
            Some(("value", v)) if !v.is_empty() => value = v,
            Some(("label", l)) if !l.is_empty() => label = l,
            _ => {}
        }
    }
    (value.to_string(), label.to_string())
}

impl LiveForm {
    /// Builds the live state of `answers` and `repeats` (as a [`crate::Response`] holds them).
    pub fn new(
        form: Arc<CompiledForm>,
        answers: &BTreeMap<String, FieldValue>,
        repeats: &BTreeMap<String, Vec<RepeatRow>>,
        clock: Clock,
    ) -> LiveForm {
        let top = form.top_slots;
        let mut live = LiveForm {
            clock,
            values: vec![empty(); top],
            answered: vec![None; top],
            results: vec![NodeResult::default(); top],
            rows: form.members.keys().map(|&r| (r, Vec::new())).collect(),
            unknown: BTreeMap::new(),
            secondary: BTreeMap::new(),
            language: None,
            items: form.choice_instances.clone(),
            file_choices: BTreeMap::new(),
            last_saved: BTreeMap::new(),
            once: Vec::new(),
            form,
        };
        live.once = (0..live.form.nodes.len()).map(|i| live.computes_once(i)).collect();
        for (name, v) in answers {
            match live.form.node(name) {
                Some(i) if live.form.nodes[i].repeat.is_none() && live.takes_answer(i) => {
                    let slot = live.form.nodes[i].slot;
                    live.values[slot] = to_value(live.kind(i), v);
                    live.answered[slot] = Some(v.clone());
                }
                // A `once()` calculation saved with the response keeps its value (ODK keeps
                // it in the instance): `once(random())` does not change when reopened.
                Some(i) if live.form.nodes[i].repeat.is_none() && live.keeps_once(i) => {
                    let slot = live.form.nodes[i].slot;
                    live.values[slot] = to_value(live.kind(i), v);
                }
                _ => {
                    live.unknown.insert(name.clone(), v.clone());
                }
            }
        }
        for (rname, rows) in repeats {
            let Some(r) = live.form.node(rname).filter(|&r| live.form.nodes[r].kind == NodeKind::Repeat) else {
                for row in rows {
                    for (k, v) in &row.answers {
                        live.unknown.insert(format!("{rname}/{}/{k}", row.row_id), v.clone());
                    }
                }
                continue;
            };
            for row in rows {
                let mut new = live.empty_row(r, &row.row_id, row.parent_row.clone());
                for (name, v) in &row.answers {
                    match live.form.node(name) {
                        Some(i) if live.form.nodes[i].repeat == Some(r) && live.takes_answer(i) => {
                            let slot = live.form.nodes[i].slot;
                            new.values[slot] = to_value(live.kind(i), v);
                            new.answered[slot] = Some(v.clone());
                        }
                        Some(i) if live.form.nodes[i].repeat == Some(r) && live.keeps_once(i) => {
                            let slot = live.form.nodes[i].slot;
                            new.values[slot] = to_value(live.kind(i), v);
                        }
                        _ => {
                            live.unknown.insert(format!("{rname}/{}/{name}", row.row_id), v.clone());
                        }
                    }
                }
                live.rows.entry(r).or_default().push(new);
            }
        }
        live.recompute_all();
        live
    }

    /// Whether node `i` is a calculation whose value `once()` fixes: it is saved with the
    /// response ([`LiveForm::answers`]) so that it stays what it first was.
    fn keeps_once(&self, i: usize) -> bool {
        self.once.get(i).copied().unwrap_or(false)
    }

    fn computes_once(&self, i: usize) -> bool {
        let node = &self.form.nodes[i];
        !self.takes_answer(i)
            && node
                .question
                .as_ref()
                .and_then(|q| q.calculation.as_deref())
                .is_some_and(|c| c.chars().filter(|ch| !ch.is_whitespace()).collect::<String>().contains("once("))
    }

    fn empty_row(&self, repeat: usize, id: &str, parent: Option<String>) -> Row {
        let n = self.form.members.get(&repeat).map(Vec::len).unwrap_or(0);
        Row { id: id.to_string(), parent, values: vec![empty(); n], answered: vec![None; n], results: vec![NodeResult::default(); n] }
    }

    /// The row of repeat `target` that context `at` lies in: `at` itself, or the enclosing row
    /// of a repeat inside `target` (the household member a child row belongs to). `None` when
    /// `at` is not inside `target`. Walks up one level per enclosing repeat (the form's nesting).
    pub(crate) fn context_in(&self, target: usize, at: Option<(usize, usize)>) -> Option<(usize, usize)> {
        let (mut r, mut k) = at?;
        loop {
            if r == target {
                return Some((r, k));
            }
            let pr = self.form.nodes[r].repeat?;
            let parent = self.rows.get(&r)?.get(k)?.parent.as_deref()?;
            k = self.rows.get(&pr)?.iter().position(|x| x.id == parent)?;
            r = pr;
        }
    }

    /// The rows of repeat `r` that context `at` sees: its own row (or the enclosing one), else
    /// the rows below what it sees of the enclosing repeat ([`LiveForm::rows_below`]).
    pub(crate) fn rows_of(&self, r: usize, at: Option<(usize, usize)>) -> Vec<usize> {
        match self.context_in(r, at) {
            Some((_, k)) => vec![k],
            None => self.rows_below(r, at),
        }
    }

    /// The rows of repeat `r` that belong to the rows of its enclosing repeat seen from `at`
    /// (all rows for a repeat at the top of the form): a member's children from the member's
    /// row, every child from the top. Recursion is bounded by the form's nesting of repeats.
    pub(crate) fn rows_below(&self, r: usize, at: Option<(usize, usize)>) -> Vec<usize> {
        let Some(rows) = self.rows.get(&r) else { return Vec::new() };
        match self.form.nodes[r].repeat {
            None => (0..rows.len()).collect(),
            Some(pr) => {
                let parent_rows = self.rows.get(&pr);
                let parents: std::collections::HashSet<&str> = self
                    .rows_of(pr, at)
                    .into_iter()
                    .filter_map(|k| parent_rows.and_then(|p| p.get(k)).map(|x| x.id.as_str()))
                    .collect();
                rows.iter().enumerate().filter(|(_, x)| x.parent.as_deref().is_some_and(|p| parents.contains(p))).map(|(k, _)| k).collect()
            }
        }
    }

    pub(crate) fn kind(&self, i: usize) -> QuestionType {
        match self.form.nodes[i].kind {
            NodeKind::Question(k) => k,
            _ => QuestionType::Note,
        }
    }

    /// Whether the app may set an answer: every question but calculates (hidden values and
    /// metadata are set by the app, not typed). A calculate with a `trigger` holds the value
    /// the trigger set, which is kept like an answer.
    fn takes_answer(&self, i: usize) -> bool {
        let node = &self.form.nodes[i];
        match node.kind {
            NodeKind::Question(QuestionType::Calculate) => !node.trigger_names.is_empty(),
            NodeKind::Question(_) => true,
            _ => false,
        }
    }

    /// The compiled form.
    pub fn form(&self) -> &Arc<CompiledForm> {
        &self.form
    }

    /// Recomputes everything (after the clock changes, for instance).
    pub fn recompute_all(&mut self) {
        let all = vec![true; self.form.nodes.len()];
        self.run(all);
    }

    /// Sets the clock `today()`/`now()` read, recomputing what depends on it.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
        if self.form.uses_clock {
            self.recompute_all();
        }
    }

    /// Sets (`Some`) or clears (`None`) the answer to `name` (in `row_id` for a question
    /// inside a repeat) and recomputes what depends on it. Returns the names of the nodes
    /// whose state was recomputed.
    pub fn set_answer(&mut self, name: &str, row_id: Option<&str>, value: Option<&FieldValue>) -> Result<Vec<String>> {
        let i = self.form.node(name).ok_or_else(|| Error::invalid("the form has no such question"))?;
        if !self.takes_answer(i) {
            return Err(Error::invalid("that question takes no answer (a note or a calculation)"));
        }
        if let Some(v) = value {
            v.check()?;
        }
        let kind = self.kind(i);
        let node = &self.form.nodes[i];
        let slot = node.slot;
        let new_value = value.map(|v| to_value(kind, v)).unwrap_or_else(empty);
        match (node.repeat, row_id) {
            (None, None) => {
                self.values[slot] = new_value;
                self.answered[slot] = value.cloned();
            }
            (Some(r), Some(row_id)) => {
                let row = self
                    .rows
                    .get_mut(&r)
                    .and_then(|rows| rows.iter_mut().find(|row| row.id == row_id))
                    .ok_or_else(|| Error::invalid("no such repeat row"))?;
                row.values[slot] = new_value;
                row.answered[slot] = value.cloned();
            }
            (None, Some(_)) => return Err(Error::invalid("that question is not inside a repeat")),
            (Some(_), None) => return Err(Error::invalid("that question is inside a repeat: give the row")),
        }
        let changed = match (node.repeat, row_id) {
            (Some(r), Some(row_id)) => self.rows.get(&r).and_then(|rows| rows.iter().position(|x| x.id == row_id)).map(|k| (r, k)),
            _ => None,
        };
        let mut dirty = vec![false; self.form.nodes.len()];
        dirty[i] = true;
        for &d in &self.form.dependents[i] {
            dirty[d] = true;
        }
        let mut touched = self.run(dirty);
        if !self.form.triggers[i].is_empty() {
            for name in self.fire_triggers(i, changed) {
                if !touched.contains(&name) {
                    touched.push(name);
                }
            }
        }
        Ok(touched)
    }

    /// ODK's `setvalue` on `xforms-value-changed`: node `i` changed (in row `at`), so every
    /// question whose `trigger` names it gets its calculation's value (or empty). Targets in
    /// the trigger's repeat are set in the same row; targets in a repeat the trigger is not
    /// in, in every row. Values set here do not fire further triggers (no chains, no loops).
    fn fire_triggers(&mut self, i: usize, at: Option<(usize, usize)>) -> Vec<String> {
        let form = Arc::clone(&self.form);
        let mut dirty = vec![false; form.nodes.len()];
        for &t in &form.triggers[i] {
            let node = &form.nodes[t];
            let contexts: Vec<Option<(usize, usize)>> = match node.repeat {
                None => vec![None],
                Some(r) => self.rows_of(r, at).into_iter().map(|k| Some((r, k))).collect(),
            };
            for cx in contexts {
                let v = match &node.exprs.trigger_value {
                    Some(e) => {
                        let ctx = Ctx { live: self, row: cx, current: self.value_at(t, cx), choice: None };
                        e.eval(&ctx).ok().and_then(|v| to_field(self.kind(t), &v))
                    }
                    None => None,
                };
                self.put(t, cx, v);
            }
            dirty[t] = true;
            form.dependents[t].iter().for_each(|&d| dirty[d] = true);
        }
        self.run(dirty)
    }

    /// Stores an answer of node `i` in context `at` without recomputing.
    fn put(&mut self, i: usize, at: Option<(usize, usize)>, v: Option<FieldValue>) {
        let kind = self.kind(i);
        let node = &self.form.nodes[i];
        let value = v.as_ref().map(|v| to_value(kind, v)).unwrap_or_else(empty);
        match (node.repeat, at) {
            (None, _) => {
                self.values[node.slot] = value;
                self.answered[node.slot] = v;
            }
            (Some(r), at) => {
                let slot = node.slot;
                if let Some((_, k)) = self.context_in(r, at) {
                    if let Some(row) = self.rows.get_mut(&r).and_then(|rows| rows.get_mut(k)) {
                        row.values[slot] = value;
                        row.answered[slot] = v;
                    }
                }
            }
        }
    }

    /// The default of node `i` in context `at`: the literal as written, or the dynamic
    /// default's value; `None` when it has none or it comes out empty.
    fn default_of(&self, i: usize, at: Option<(usize, usize)>) -> Option<FieldValue> {
        let node = &self.form.nodes[i];
        let q = node.question.as_ref()?;
        let kind = self.kind(i);
        match &node.exprs.default {
            Some(e) => {
                let ctx = Ctx { live: self, row: at, current: self.value_at(i, at), choice: None };
                e.eval(&ctx).ok().and_then(|v| to_field(kind, &v))
            }
            None if q.default_is_dynamic() => None,
            None => to_field(kind, &Value::Str(q.default.clone()?)),
        }
    }

    /// Gives the defaults of one context: every question there without an answer that has a
    /// `default` gets it, in form order (so a default may read an earlier one).
    fn apply_defaults(&mut self, at: Option<(usize, usize)>) -> Vec<String> {
        let form = Arc::clone(&self.form);
        let repeat = at.map(|(r, _)| r);
        for (i, node) in form.nodes.iter().enumerate() {
            let has_default = node.question.as_ref().map(|q| q.default.is_some()).unwrap_or(false);
            if !has_default || node.repeat != repeat || !self.takes_answer(i) || self.is_answered(i, at) {
                continue;
            }
            if let Some(v) = self.default_of(i, at) {
                self.put(i, at, Some(v));
                let mut dirty = vec![false; form.nodes.len()];
                dirty[i] = true;
                form.dependents[i].iter().for_each(|&d| dirty[d] = true);
                // Recomputed now: later defaults may read this one.
                self.run(dirty);
            }
        }
        let names: Vec<String> =
            form.nodes.iter().filter(|n| n.repeat == repeat && n.question.as_ref().map(|q| q.default.is_some()).unwrap_or(false)).map(|n| n.name.clone()).collect();
        names
    }

    /// Starts a new response, as ODK does on `odk-instance-first-load`: every question
    /// outside repeats that has a `default` (a literal, or an expression evaluated now) and
    /// no answer gets it. Call once, when the response is created, then keep the answers
    /// ([`LiveForm::answers`]); a reopened response keeps what it has. Returns the names of
    /// the questions with defaults.
    pub fn start_response(&mut self) -> Vec<String> {
        self.apply_defaults(None)
    }

    /// Every answer held (given, defaulted, set by a trigger or filled as metadata), outside
    /// repeats and by repeat row, in the shape a [`crate::Response`] keeps them.
    pub fn answers(&self) -> (BTreeMap<String, FieldValue>, BTreeMap<String, Vec<RepeatRow>>) {
        let mut top = BTreeMap::new();
        let mut repeats: BTreeMap<String, Vec<RepeatRow>> = BTreeMap::new();
        for (i, node) in self.form.nodes.iter().enumerate() {
            if node.repeat.is_none() {
                if let Some(v) = self.answered.get(node.slot).cloned().flatten() {
                    top.insert(node.name.clone(), v);
                } else if self.keeps_once(i) {
                    if let Some(v) = self.values.get(node.slot).and_then(|v| to_field(self.kind(i), v)) {
                        top.insert(node.name.clone(), v);
                    }
                }
            }
            if node.kind == NodeKind::Repeat {
                let members = self.form.members.get(&i).map(Vec::as_slice).unwrap_or(&[]);
                let rows = self.rows.get(&i).map(Vec::as_slice).unwrap_or(&[]);
                let out = rows
                    .iter()
                    .map(|row| RepeatRow {
                        row_id: row.id.clone(),
                        parent_row: row.parent.clone(),
                        answers: members
                            .iter()
                            .filter_map(|&m| {
                                let slot = self.form.nodes[m].slot;
                                let v = match row.answered.get(slot).cloned().flatten() {
                                    Some(v) => Some(v),
                                    None if self.keeps_once(m) => row.values.get(slot).and_then(|v| to_field(self.kind(m), v)),
                                    None => None,
                                };
                                v.map(|v| (self.form.nodes[m].name.clone(), v))
                            })
                            .collect(),
                    })
                    .collect();
                repeats.insert(node.name.clone(), out);
            }
        }
        (top, repeats)
    }

    /// Gives the form attachment `file_name` (`features.csv`, `villages.xml`,
    /// `buildings.geojson`): the choices of the `select_one_from_file` questions that name
    /// it, and the items `instance('features')/root/item[…]` and `pulldata('features', …)`
    /// read. Recomputes everything. A file that cannot be read is an error naming the line.
    pub fn set_attachment(&mut self, file_name: &str, bytes: &[u8]) -> Result<Vec<String>> {
        let items = attachments::parse(file_name, bytes).map_err(Error::invalid)?;
        Ok(self.set_items(file_name, items))
    }

    /// As [`LiveForm::set_attachment`], with the items already read (`file_name` gives
    /// the instance name and, by its extension, the default value and label fields).
    pub fn set_items(&mut self, file_name: &str, items: InstanceItems) -> Vec<String> {
        let name = attachments::instance_name(file_name).to_string();
        let kind = AttachmentKind::of(file_name).unwrap_or(AttachmentKind::Csv);
        let form = Arc::clone(&self.form);
        for (i, node) in form.nodes.iter().enumerate() {
            let Some(q) = node.question.as_ref().filter(|q| q.choices_from_file) else { continue };
            let Some(list) = q.list_name.as_deref().filter(|l| attachments::instance_name(l) == name) else { continue };
            let kind = AttachmentKind::of(list).unwrap_or(kind);
            let (value_field, label_field) = choice_fields(q.parameters.as_deref(), kind);
            let lang = &form.def.default_language;
            let choices = items
                .items
                .iter()
                .map(|it| {
                    let mut label = crate::forms::definition::Translated::new();
                    if let Some(l) = it.get(&label_field) {
                        label.insert(lang.clone(), l.clone());
                    }
                    for (k, v) in it {
                        if let Some(l) = k.strip_prefix(&format!("{label_field}::")) {
                            label.insert(l.to_string(), v.clone());
                        }
                    }
                    let extra = it.iter().filter(|(k, _)| **k != value_field).map(|(k, v)| (k.clone(), v.clone())).collect();
                    Choice { name: it.get(&value_field).cloned().unwrap_or_default(), label, extra }
                })
                .collect();
            self.file_choices.insert(i, ChoiceList { choices });
        }
        self.items.insert(name, Arc::new(items));
        self.recompute_all_touched()
    }

    /// Gives the answers of the last response saved with this form, read by
    /// `${last-saved#q}` (ODK's last-saved instance), for defaults given from now on.
    pub fn set_last_saved(&mut self, answers: &BTreeMap<String, FieldValue>) -> Vec<String> {
        self.last_saved = answers.clone();
        self.recompute_all_touched()
    }

    fn recompute_all_touched(&mut self) -> Vec<String> {
        let all = vec![true; self.form.nodes.len()];
        self.run(all)
    }

    /// Fills ODK's metadata questions as ODK Collect does: `start` and `today` once, when the
    /// response starts (left as they are after that), `end` with the clock's time at every
    /// call (call it when the response is saved), and `deviceid`, `username`, `email`,
    /// `phonenumber`, `subscriberid`, `simserial` and `start-geopoint` from `device` where
    /// still empty. Returns the names of the nodes recomputed. The values are answers, so
    /// they are kept in the response like any other.
    pub fn fill_metadata(&mut self, device: &DeviceInfo) -> Vec<String> {
        use crate::forms::expr::{format_iso_date, format_iso_datetime};
        let now = format_iso_datetime(self.clock.now_ms, self.clock.utc_offset_min);
        let today = format_iso_date(self.clock.today());
        let form = Arc::clone(&self.form);
        let mut dirty = vec![false; form.nodes.len()];
        for (i, node) in form.nodes.iter().enumerate() {
            let NodeKind::Question(kind) = node.kind else { continue };
            if node.repeat.is_some() || !kind.is_metadata() {
                continue;
            }
            let set = self.answered[node.slot].is_some();
            let value = match kind {
                QuestionType::Start if !set => Some(now.clone()),
                QuestionType::Today if !set => Some(today.clone()),
                QuestionType::End => Some(now.clone()),
                QuestionType::DeviceId if !set => device.device_id.clone(),
                QuestionType::Username if !set => device.username.clone(),
                QuestionType::Email if !set => device.email.clone(),
                QuestionType::PhoneNumber if !set => device.phone_number.clone(),
                QuestionType::SubscriberId if !set => device.subscriber_id.clone(),
                QuestionType::SimSerial if !set => device.sim_serial.clone(),
                QuestionType::StartGeopoint if !set => device.location.clone(),
                _ => None,
            };
            let Some(v) = value else { continue };
            let fv = FieldValue::Text(v);
            self.values[node.slot] = to_value(kind, &fv);
            self.answered[node.slot] = Some(fv);
            dirty[i] = true;
            for &d in &form.dependents[i] {
                dirty[d] = true;
            }
        }
        self.run(dirty)
    }

    /// Sets the language the person filling the form reads it in (a language the form does not
    /// have means its default); what depends on it (`jr:choice-name()`) is recomputed. Returns
    /// the questions whose state changed.
    pub fn set_language(&mut self, language: Option<&str>) -> Vec<String> {
        let def = &self.form.def;
        let lang = language.and_then(|l| def.language_named(l)).filter(|l| *l != def.default_language).map(str::to_string);
        if lang == self.language {
            return Vec::new();
        }
        self.language = lang;
        let all = vec![true; self.form.nodes.len()];
        self.run(all)
    }

    /// Gives the values of secondary instance `name` (CHT's `contact-summary`: what the app
    /// knows of the person), read by `instance('name')/context/x`; recomputes everything.
    /// Paths are written from the instance's root element, e.g. `/context/pregnancy_uuid`.
    pub fn set_instance_values(&mut self, name: &str, values: BTreeMap<String, String>) -> Vec<String> {
        self.secondary.insert(name.to_string(), values);
        let all = vec![true; self.form.nodes.len()];
        self.run(all)
    }

    /// The response's name in lists: the form's `instance_name` evaluated over the answers,
    /// or `None` when the form has none (or it comes out empty).
    pub fn instance_name(&self) -> Option<String> {
        let e = self.form.instance_name.as_ref()?;
        let ctx = Ctx { live: self, row: None, current: empty(), choice: None };
        let v = e.eval(&ctx).ok()?.to_text();
        let v = v.trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// Adds an empty row to a repeat at the top of the form (as
    /// [`crate::Store::add_repeat_row`] did).
    pub fn add_row(&mut self, repeat: &str, row_id: &str) -> Result<Vec<String>> {
        self.add_row_in(repeat, row_id, None)
    }

    /// Adds an empty row to a repeat; for a repeat inside a repeat, `parent_row` is the row of
    /// the enclosing repeat it belongs to (as [`crate::Store::add_nested_repeat_row`] did).
    pub fn add_row_in(&mut self, repeat: &str, row_id: &str, parent_row: Option<&str>) -> Result<Vec<String>> {
        let r = self.repeat_node(repeat)?;
        if self.rows.get(&r).map(|rows| rows.iter().any(|x| x.id == row_id)).unwrap_or(false) {
            return Err(Error::invalid("that repeat row already exists"));
        }
        match (self.form.nodes[r].repeat, parent_row) {
            (None, None) => {}
            (None, Some(_)) => return Err(Error::invalid("that repeat is not inside another repeat")),
            (Some(_), None) => return Err(Error::invalid("that repeat is inside another repeat: give the row it belongs to")),
            (Some(pr), Some(p)) => {
                if !self.rows.get(&pr).is_some_and(|rows| rows.iter().any(|x| x.id == p)) {
                    return Err(Error::invalid("no such row in the enclosing repeat"));
                }
            }
        }
        let row = self.empty_row(r, row_id, parent_row.map(str::to_string));
        let rows = self.rows.entry(r).or_default();
        rows.push(row);
        let at = (r, rows.len() - 1);
        let mut touched = self.rows_changed(r);
        // A new row starts with the defaults of its questions (ODK's `odk-new-repeat`).
        for name in self.apply_defaults(Some(at)) {
            if !touched.contains(&name) {
                touched.push(name);
            }
        }
        Ok(touched)
    }

    /// Removes a row from a repeat, with the rows of the repeats inside it that belong to it.
    pub fn remove_row(&mut self, repeat: &str, row_id: &str) -> Result<Vec<String>> {
        let r = self.repeat_node(repeat)?;
        let rows = self.rows.entry(r).or_default();
        let before = rows.len();
        rows.retain(|x| x.id != row_id);
        if rows.len() == before {
            return Err(Error::invalid("no such repeat row"));
        }
        // Rows below it, level by level (a repeat's inner repeats come after it in form order).
        let mut gone: std::collections::HashSet<String> = std::collections::HashSet::from([row_id.to_string()]);
        let mut changed = vec![r];
        let inner: Vec<usize> = self.form.nodes.iter().enumerate().filter(|(_, n)| n.kind == NodeKind::Repeat && n.repeat.is_some()).map(|(i, _)| i).collect();
        for i in inner {
            if let Some(rows) = self.rows.get_mut(&i) {
                let n = rows.len();
                let mut dropped = Vec::new();
                rows.retain(|x| {
                    let orphan = x.parent.as_ref().is_some_and(|p| gone.contains(p));
                    if orphan {
                        dropped.push(x.id.clone());
                    }
                    !orphan
                });
                if rows.len() != n {
                    gone.extend(dropped);
                    changed.push(i);
                }
            }
        }
        let mut touched = Vec::new();
        for c in changed {
            for name in self.rows_changed(c) {
                if !touched.contains(&name) {
                    touched.push(name);
                }
            }
        }
        Ok(touched)
    }

    fn repeat_node(&self, repeat: &str) -> Result<usize> {
        self.form
            .node(repeat)
            .filter(|&r| self.form.nodes[r].kind == NodeKind::Repeat)
            .ok_or_else(|| Error::invalid("the form has no such repeat"))
    }

    fn rows_changed(&mut self, r: usize) -> Vec<String> {
        let mut dirty = vec![false; self.form.nodes.len()];
        dirty[r] = true;
        for &m in self.form.members.get(&r).map(Vec::as_slice).unwrap_or(&[]) {
            dirty[m] = true;
            for &d in &self.form.dependents[m] {
                dirty[d] = true;
            }
        }
        for &d in &self.form.dependents[r] {
            dirty[d] = true;
        }
        self.run(dirty)
    }

    /// Recomputes the dirty nodes in topological order, marking dependents of what changed.
    fn run(&mut self, mut dirty: Vec<bool>) -> Vec<String> {
        /// Passes over the order at most: one suffices unless the form has answered
        /// questions whose state reads calculations ordered after them (see CompiledForm).
        const MAX_PASSES: usize = 8;
        let form = Arc::clone(&self.form);
        let mut rank = vec![0usize; form.nodes.len()];
        for (k, &i) in form.order.iter().enumerate() {
            rank[i] = k;
        }
        let mut touched = Vec::new();
        let mut seen = vec![false; form.nodes.len()];
        for _ in 0..MAX_PASSES {
            let mut again = false;
            for (k, &i) in form.order.iter().enumerate() {
                if !dirty[i] {
                    continue;
                }
                dirty[i] = false;
                if !seen[i] {
                    seen[i] = true;
                    touched.push(form.nodes[i].name.clone());
                }
                let (value_changed, relevance_changed) = self.recompute(i);
                let mut mark = |d: usize| {
                    dirty[d] = true;
                    again |= rank[d] <= k;
                };
                if value_changed || relevance_changed {
                    form.dependents[i].iter().for_each(|&d| mark(d));
                }
                if relevance_changed {
                    form.children[i].iter().for_each(|&c| mark(c));
                }
            }
            if !again {
                break;
            }
        }
        touched
    }

    /// Recomputes node `i` in every context it lives in. Returns whether a calculated value
    /// and whether a relevance changed.
    fn recompute(&mut self, i: usize) -> (bool, bool) {
        let node = &self.form.nodes[i];
        match node.repeat {
            None => {
                let (res, val) = self.evaluate(i, None);
                let slot = node.slot;
                let rel_changed = self.results[slot].relevant != res.relevant;
                self.results[slot] = res;
                let val_changed = match val {
                    Some(v) if self.values[slot] != v => {
                        self.values[slot] = v;
                        true
                    }
                    _ => false,
                };
                (val_changed, rel_changed)
            }
            Some(r) => {
                let n = self.rows.get(&r).map(Vec::len).unwrap_or(0);
                let (mut vc, mut rc) = (false, false);
                for row in 0..n {
                    let (res, val) = self.evaluate(i, Some((r, row)));
                    let slot = node.slot;
                    let Some(target) = self.rows.get_mut(&r).and_then(|rows| rows.get_mut(row)) else { continue };
                    rc |= target.results[slot].relevant != res.relevant;
                    target.results[slot] = res;
                    if let Some(v) = val {
                        if target.values[slot] != v {
                            target.values[slot] = v;
                            vc = true;
                        }
                    }
                }
                (vc, rc)
            }
        }
    }

    pub(crate) fn choice_list(&self, i: usize) -> Option<&crate::forms::definition::ChoiceList> {
        let q = self.form.nodes[i].question.as_ref()?;
        if q.choices_from_file {
            return self.file_choices.get(&i);
        }
        self.form.def.choice_lists.get(q.list_name.as_ref()?)
    }

    /// Whether node `i` holds an answer given by a person (or the app) in context `row`.
    pub(crate) fn is_answered(&self, i: usize, row: Option<(usize, usize)>) -> bool {
        let node = &self.form.nodes[i];
        match (node.repeat, row) {
            (None, _) => self.answered.get(node.slot).map(Option::is_some).unwrap_or(false),
            (Some(r), at) => match self.context_in(r, at) {
                Some((_, ri)) => self.rows.get(&r).and_then(|rows| rows.get(ri)).and_then(|x| x.answered.get(node.slot)).map(Option::is_some).unwrap_or(false),
                None => false,
            },
        }
    }

    pub(crate) fn result_at(&self, i: usize, row: Option<(usize, usize)>) -> Option<&NodeResult> {
        let node = &self.form.nodes[i];
        match (node.repeat, row) {
            (None, _) => self.results.get(node.slot),
            (Some(r), at) => {
                let (_, ri) = self.context_in(r, at)?;
                self.rows.get(&r)?.get(ri)?.results.get(node.slot)
            }
        }
    }
}
