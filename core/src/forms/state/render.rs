//! Renders a [`LiveForm`] into a [`FormState`] in one language: the view a phone draws and
//! the list of violations a submission is flagged with.

use serde::{Deserialize, Serialize};

use super::compiled::NodeKind;
use super::live::{LiveForm, NodeResult};
use crate::forms::definition::{FormDefinition, Question, QuestionType, Translated};
use crate::forms::expr::Value;
use crate::FieldValue;

/// Why an answer is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// A required question is unanswered.
    Required,
    /// The answer breaks the question's constraint.
    Constraint,
    /// The answer is not of the question's type (or not one of its choices).
    Invalid,
}

impl ViolationKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ViolationKind::Required => "required",
            ViolationKind::Constraint => "constraint",
            ViolationKind::Invalid => "invalid",
        }
    }
}

/// One flagged answer. The message is in the language the state was rendered in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub question: String,
    /// The repeat and row, for a question inside a repeat.
    pub repeat: Option<String>,
    pub row_id: Option<String>,
    pub kind: ViolationKind,
    pub message: String,
}

/// A choice as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceView {
    pub name: String,
    pub label: String,
}

/// The state of one question in one context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionState {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub label: Option<String>,
    pub hint: Option<String>,
    pub relevant: bool,
    pub required: bool,
    pub read_only: bool,
    /// The answer, or the calculated value of a calculation.
    pub value: Option<FieldValue>,
    /// For select questions: the choices offered (after the choice filter).
    pub choices: Option<Vec<ChoiceView>>,
    pub violation: Option<Violation>,
    /// An expression of this question could not be evaluated.
    pub error: Option<String>,
    /// How the form asks to show it (`signature`, `draw`, `annotate`, `multiline`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<String>,
    /// For a photo: the longest side, in pixels, the app downscales it to before attaching it
    /// (the `max-pixels` parameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pixels: Option<u32>,
}

/// A group outside repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupState {
    pub name: String,
    pub label: Option<String>,
    pub relevant: bool,
}

/// One row of a repeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowState {
    pub row_id: String,
    /// 1-based, as `position(..)` sees it (among the rows of the same enclosing row).
    pub position: usize,
    pub questions: Vec<QuestionState>,
    /// For a repeat inside a repeat: the enclosing repeat's row this row belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_row: Option<String>,
    /// The repeats inside this repeat, as they stand in this row: whether they apply and how
    /// many rows their `repeat_count` asks for here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inner: Vec<InnerRepeatState>,
}

/// A repeat inside a repeat, as it stands in one row of the enclosing repeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InnerRepeatState {
    pub name: String,
    pub relevant: bool,
    pub expected_rows: Option<u32>,
}

/// A repeat and its rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatState {
    pub name: String,
    /// The enclosing repeat, for a repeat inside a repeat (its rows name their enclosing row;
    /// its relevance and row count per enclosing row are in that row's `inner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The question this repeat follows in the form, among the questions of its level (the
    /// top level, or its enclosing repeat's row); `None` when it comes before all of them.
    /// A screen shows the repeat right after that question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    pub label: Option<String>,
    pub relevant: bool,
    /// Rows the form's `repeat_count` asks for.
    pub expected_rows: Option<u32>,
    pub rows: Vec<RowState>,
}

/// The whole live state of a response, in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormState {
    pub form_id: String,
    pub form_version: String,
    /// The form's language the state is in (its own name for it).
    pub language: String,
    /// Every language the form has, its default first (what a language switch offers).
    #[serde(default)]
    pub languages: Vec<String>,
    /// Questions outside repeats, in form order.
    pub questions: Vec<QuestionState>,
    pub groups: Vec<GroupState>,
    pub repeats: Vec<RepeatState>,
    pub violations: Vec<Violation>,
    /// Answers stored under names this form version does not have (kept, not shown).
    pub unknown_answers: Vec<String>,
}

impl FormState {
    /// The state of a question outside repeats.
    pub fn question(&self, name: &str) -> Option<&QuestionState> {
        self.questions.iter().find(|q| q.name == name)
    }

    /// The state of a question in one repeat row.
    pub fn row_question(&self, repeat: &str, row_id: &str, name: &str) -> Option<&QuestionState> {
        self.repeat(repeat)?.rows.iter().find(|r| r.row_id == row_id)?.questions.iter().find(|q| q.name == name)
    }

    pub fn repeat(&self, name: &str) -> Option<&RepeatState> {
        self.repeats.iter().find(|r| r.name == name)
    }

    /// True when nothing is flagged.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }
}

fn lang_code(lang: &str) -> &str {
    lang.rsplit_once('(').map(|(_, c)| c.trim_end_matches(')').trim()).unwrap_or(lang)
}

fn default_message(kind: ViolationKind, lang: &str) -> String {
    let hi = lang_code(lang) == "hi" || lang.eq_ignore_ascii_case("hindi");
    match (kind, hi) {
        (ViolationKind::Required, false) => "This question is required.".into(),
        (ViolationKind::Required, true) => "इस प्रश्न का उत्तर ज़रूरी है।".into(),
        (ViolationKind::Constraint, false) => "This answer is not accepted.".into(),
        (ViolationKind::Constraint, true) => "यह उत्तर स्वीकार नहीं है।".into(),
        (ViolationKind::Invalid, false) => "This answer does not fit the question.".into(),
        (ViolationKind::Invalid, true) => "यह उत्तर प्रश्न के अनुरूप नहीं है।".into(),
    }
}

fn message(def: &FormDefinition, t: &Translated, lang: &str, kind: ViolationKind) -> String {
    def.text(t, lang).map(str::to_string).unwrap_or_else(|| default_message(kind, lang))
}

/// Whether an answer fits its question (types, choices, formats).
fn fits(q: &Question, v: &FieldValue, allowed: &dyn Fn(&str) -> bool) -> bool {
    let num = |v: &FieldValue| match v {
        FieldValue::Int(i) => Some(*i as f64),
        FieldValue::Decimal(d) => Some(*d),
        FieldValue::Text(t) => Some(Value::Str(t.clone()).to_num()).filter(|n| !n.is_nan()),
        _ => None,
    };
    let text = |v: &FieldValue| match v {
        FieldValue::Text(t) => Some(t.clone()),
        _ => None,
    };
    match q.kind {
        QuestionType::Integer => num(v).map(|n| n == n.trunc()).unwrap_or(false),
        QuestionType::Decimal => num(v).is_some(),
        QuestionType::SelectOne => text(v).map(|t| allowed(t.trim())).unwrap_or(false),
        QuestionType::SelectMultiple => match v {
            FieldValue::Choices(c) => c.iter().all(|c| allowed(c)),
            FieldValue::Text(t) => t.split_whitespace().all(allowed),
            _ => false,
        },
        QuestionType::Date => text(v).map(|t| Value::Str(t).to_date(0).map(|d| d.is_some()).unwrap_or(false)).unwrap_or(false),
        QuestionType::Datetime => text(v).map(|t| t.contains('T') && Value::Str(t).to_date(0).is_ok()).unwrap_or(false),
        QuestionType::Time => text(v).map(|t| is_time(&t)).unwrap_or(false),
        QuestionType::Geopoint | QuestionType::StartGeopoint | QuestionType::BackgroundGeopoint => {
            text(v).map(|t| is_geopoint(&t)).unwrap_or(false)
        }
        QuestionType::Geotrace => text(v).map(|t| is_geo_list(&t, 2)).unwrap_or(false),
        QuestionType::Geoshape => text(v).map(|t| is_geo_list(&t, 4)).unwrap_or(false),
        QuestionType::Range => num(v).map(|n| in_range(q, n)).unwrap_or(false),
        QuestionType::Rank => match v {
            FieldValue::Choices(c) => c.iter().all(|c| allowed(c)),
            FieldValue::Text(t) => t.split_whitespace().all(allowed),
            _ => false,
        },
        QuestionType::Start | QuestionType::End => {
            text(v).map(|t| t.contains('T') && Value::Str(t).to_date(0).is_ok()).unwrap_or(false)
        }
        QuestionType::Today => text(v).map(|t| Value::Str(t).to_date(0).map(|d| d.is_some()).unwrap_or(false)).unwrap_or(false),
        QuestionType::Acknowledge => matches!(v, FieldValue::Bool(_)) || text(v).as_deref() == Some("OK"),
        QuestionType::Text
        | QuestionType::Image
        | QuestionType::Audio
        | QuestionType::Video
        | QuestionType::File
        | QuestionType::Audit
        | QuestionType::Barcode
        | QuestionType::Hidden
        | QuestionType::DeviceId
        | QuestionType::PhoneNumber
        | QuestionType::Username
        | QuestionType::Email
        | QuestionType::SubscriberId
        | QuestionType::SimSerial
        | QuestionType::XmlExternal
        | QuestionType::CsvExternal
        | QuestionType::Note
        | QuestionType::Calculate => !matches!(v, FieldValue::Choices(_)),
    }
}

/// `parameters` of a range: `start=1 end=10 step=1` (ODK's defaults 1, 10, 1).
pub(crate) fn range_parameters(q: &Question) -> (f64, f64, f64) {
    let (mut start, mut end, mut step) = (1.0, 10.0, 1.0);
    for part in q.parameters.as_deref().unwrap_or("").split([' ', ';', ',']).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else { continue };
        let v = Value::Str(v.trim().into()).to_num();
        match k.trim().to_lowercase().as_str() {
            "start" => start = v,
            "end" => end = v,
            "step" => step = v,
            _ => {}
        }
    }
    (start, end, step)
}

fn in_range(q: &Question, n: f64) -> bool {
    let (start, end, step) = range_parameters(q);
    let (lo, hi) = if start <= end { (start, end) } else { (end, start) };
    if !(lo..=hi).contains(&n) {
        return false;
    }
    if step.is_finite() && step != 0.0 {
        let k = (n - start) / step;
        return (k - k.round()).abs() < 1e-9;
    }
    true
}

/// Points `lat lon [alt [acc]]` separated by `;`, at least `min` of them.
fn is_geo_list(t: &str, min: usize) -> bool {
    let points: Vec<&str> = t.split(';').map(str::trim).filter(|p| !p.is_empty()).collect();
    points.len() >= min && points.iter().all(|p| is_geopoint(p))
}

fn is_time(t: &str) -> bool {
    let core = t.split(['+', '-', 'Z']).next().unwrap_or("");
    let parts: Vec<&str> = core.split(':').collect();
    let num = |s: &str, max: u32| s.split('.').next().and_then(|s| s.parse::<u32>().ok()).map(|n| n <= max).unwrap_or(false);
    (parts.len() == 2 || parts.len() == 3) && num(parts[0], 23) && num(parts[1], 59) && parts.get(2).map(|s| num(s, 60)).unwrap_or(true)
}

fn is_geopoint(t: &str) -> bool {
    let parts: Vec<f64> = t.split_whitespace().map(|p| Value::Str(p.into()).to_num()).collect();
    (2..=4).contains(&parts.len())
        && parts.iter().all(|p| p.is_finite())
        && (-90.0..=90.0).contains(&parts[0])
        && (-180.0..=180.0).contains(&parts[1])
}

impl LiveForm {
    /// Renders the state in `language` (the form's default when `None` or unknown).
    pub fn state(&self, language: Option<&str>) -> FormState {
        let def = &self.form.def;
        let lang = language.and_then(|l| def.language_named(l)).unwrap_or(&def.default_language).to_string();
        let mut st = FormState {
            form_id: def.form_id.clone(),
            form_version: def.version.clone(),
            language: lang.clone(),
            languages: def.languages.clone(),
            questions: Vec::new(),
            groups: Vec::new(),
            repeats: Vec::new(),
            violations: Vec::new(),
            unknown_answers: self.unknown.keys().cloned().collect(),
        };
        // The last question seen in each repeat (None: the top level), so a repeat can say
        // which question it follows and be shown where it stands in the form.
        let mut last_question: std::collections::HashMap<Option<usize>, &str> = std::collections::HashMap::new();
        for (i, node) in self.form.nodes.iter().enumerate() {
            if matches!(node.kind, NodeKind::Question(_)) {
                last_question.insert(node.repeat, node.name.as_str());
            }
            if node.repeat.is_some() && node.kind != NodeKind::Repeat {
                continue;
            }
            let top = NodeResult::default();
            let res = if node.repeat.is_none() { &self.results[node.slot] } else { &top };
            match node.kind {
                NodeKind::Question(_) => {
                    let q = self.question_state(i, &self.values[node.slot], self.answered[node.slot].as_ref(), res, &lang);
                    st.violations.extend(q.violation.clone());
                    st.questions.push(q);
                }
                NodeKind::Group => st.groups.push(GroupState {
                    name: node.name.clone(),
                    label: group_label(def, &def.items, &node.name, &lang),
                    relevant: res.relevant,
                }),
                NodeKind::Repeat => {
                    let members = self.form.members.get(&i).cloned().unwrap_or_default();
                    let rows = self.rows.get(&i).map(Vec::as_slice).unwrap_or(&[]);
                    let mut rs = Vec::with_capacity(rows.len());
                    for (ri, row) in rows.iter().enumerate() {
                        let mut questions = Vec::new();
                        let mut inner = Vec::new();
                        for &m in &members {
                            let member = &self.form.nodes[m];
                            if member.kind == NodeKind::Repeat {
                                let r = &row.results[member.slot];
                                inner.push(InnerRepeatState { name: member.name.clone(), relevant: r.relevant, expected_rows: r.expected_rows });
                                continue;
                            }
                            if !matches!(member.kind, NodeKind::Question(_)) {
                                continue;
                            }
                            let slot = self.form.nodes[m].slot;
                            let mut q = self.question_state(m, &row.values[slot], row.answered[slot].as_ref(), &row.results[slot], &lang);
                            if let Some(v) = q.violation.as_mut() {
                                v.repeat = Some(node.name.clone());
                                v.row_id = Some(row.id.clone());
                            }
                            st.violations.extend(q.violation.clone());
                            questions.push(q);
                        }
                        let position = self.rows_below(i, Some((i, ri))).iter().position(|&x| x == ri).map_or(ri + 1, |p| p + 1);
                        rs.push(RowState { row_id: row.id.clone(), position, questions, parent_row: row.parent.clone(), inner });
                    }
                    st.repeats.push(RepeatState {
                        name: node.name.clone(),
                        parent: node.repeat.map(|p| self.form.nodes[p].name.clone()),
                        after: last_question.get(&node.repeat).map(|q| q.to_string()),
                        label: group_label(def, &def.items, &node.name, &lang),
                        relevant: res.relevant,
                        expected_rows: res.expected_rows,
                        rows: rs,
                    });
                }
            }
        }
        st
    }

    fn question_state(
        &self,
        i: usize,
        value: &Value,
        answered: Option<&FieldValue>,
        res: &NodeResult,
        lang: &str,
    ) -> QuestionState {
        let def = &self.form.def;
        let node = &self.form.nodes[i];
        let q = node.question.as_ref();
        let kind = self.kind(i);
        let list = self.choice_list(i);
        let choices = list.map(|l| {
            l.choices
                .iter()
                .enumerate()
                .filter(|(ci, _)| res.choices.as_ref().map(|k| k.contains(ci)).unwrap_or(true))
                .map(|(_, c)| ChoiceView { name: c.name.clone(), label: def.text(&c.label, lang).unwrap_or(&c.name).to_string() })
                .collect::<Vec<_>>()
        });
        let computed_default = answered.is_none() && q.map(|q| q.calculation.is_some()).unwrap_or(false);
        let shown = if kind.is_computed() || computed_default {
            Some(value.to_text()).filter(|s| !s.is_empty()).map(FieldValue::Text)
        } else {
            answered.cloned()
        };
        let flag = |kind: ViolationKind, t: Option<&Translated>| Violation {
            question: node.name.clone(),
            repeat: None,
            row_id: None,
            kind,
            message: t.map(|t| message(def, t, lang, kind)).unwrap_or_else(|| default_message(kind, lang)),
        };
        let mut violation = None;
        if res.relevant && kind.takes_answer() {
            let empty = shown.as_ref().map(to_text_empty).unwrap_or(true);
            if empty {
                if res.required {
                    violation = Some(flag(ViolationKind::Required, q.map(|q| &q.required_message)));
                }
            } else if let (Some(q), Some(a)) = (q, shown.as_ref()) {
                let allowed = |c: &str| choices.as_ref().map(|cs| cs.iter().any(|x| x.name == c)).unwrap_or(false);
                if !fits(q, a, &allowed) {
                    violation = Some(flag(ViolationKind::Invalid, None));
                } else if !res.constraint_ok {
                    violation = Some(flag(ViolationKind::Constraint, Some(&q.constraint_message)));
                }
            }
        }
        QuestionState {
            name: node.name.clone(),
            kind,
            label: q.and_then(|q| def.text(&q.label, lang)).map(str::to_string),
            hint: q.and_then(|q| def.text(&q.hint, lang)).map(str::to_string),
            relevant: res.relevant,
            required: res.required,
            read_only: res.read_only || !kind.takes_answer(),
            value: shown,
            choices,
            violation,
            error: res.error.clone(),
            appearance: q.and_then(|q| q.appearance.clone()),
            max_pixels: q.and_then(|q| q.max_pixels()),
        }
    }
}

fn to_text_empty(v: &FieldValue) -> bool {
    match v {
        FieldValue::Text(t) => t.trim().is_empty(),
        FieldValue::Choices(c) => c.is_empty(),
        FieldValue::Bool(b) => !b,
        _ => false,
    }
}

fn group_label(def: &FormDefinition, items: &[crate::forms::definition::Item], name: &str, lang: &str) -> Option<String> {
    use crate::forms::definition::Item;
    for it in items {
        match it {
            Item::Group(g) if g.name == name => return def.text(&g.label, lang).map(str::to_string),
            Item::Repeat(r) if r.name == name => return def.text(&r.label, lang).map(str::to_string),
            Item::Group(g) => {
                if let Some(l) = group_label(def, &g.items, name, lang) {
                    return Some(l);
                }
            }
            Item::Repeat(r) => {
                if let Some(l) = group_label(def, &r.items, name, lang) {
                    return Some(l);
                }
            }
            Item::Question(_) => {}
        }
    }
    None
}
